// PCA against scikit-learn 1.2.1 fixtures (tests/data/make_pca_fixture.py) and invariants.
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "support/data.hpp"

#include <segkit/core/npy.hpp>
#include <segkit/reduce/pca.hpp>
#include <segkit/reduce/umap.hpp>

namespace fs = std::filesystem;
namespace rd = segkit::reduce;
using segkit::matrix;

namespace {
template <class T>
segkit::matrix_view<T> rows(const matrix<T>& x, std::size_t b, std::size_t e) {
  return segkit::matrix_view<T>(x.data() + b * x.shape(1), e - b, x.shape(1), x.shape(1));
}

fs::path fixture(const std::string& name) { return fs::path(SEGKIT_TEST_DATA) / "pca" / name; }

template <class Model>
void check_against(const std::string& name, const Model& m, const matrix<double>& x, double tol = 1e-9) {
  INFO("case " << name);
  const auto ev = segkit::load_npy_vector<double>(fixture(name + "_ev.npy"));
  const auto ratio = segkit::load_npy_vector<double>(fixture(name + "_ratio.npy"));
  const auto sv = segkit::load_npy_vector<double>(fixture(name + "_sv.npy"));
  const auto comp = segkit::load_npy_matrix<double>(fixture(name + "_comp.npy"));
  const auto y = segkit::load_npy_matrix<double>(fixture(name + "_Y.npy"));
  const auto noise = segkit::load_npy_vector<double>(fixture(name + "_noise.npy"));
  REQUIRE(m.n_components() == ev.size());
  for (std::size_t c = 0; c < ev.size(); ++c) {
    INFO("component " << c);
    CHECK(m.explained_variance[c] == Approx(ev(c)).epsilon(tol));
    CHECK(m.explained_variance_ratio[c] == Approx(ratio(c)).epsilon(tol));
    CHECK(m.singular_values[c] == Approx(sv(c)).epsilon(tol));
    for (std::size_t j = 0; j < comp.shape(1); ++j) REQUIRE(m.components(c, j) == Approx(comp(c, j)).margin(std::sqrt(tol)));
  }
  CHECK(m.noise_variance == Approx(noise(0)).epsilon(std::sqrt(tol)));
  const auto got = m.transform(rows(x, 0, 20));
  for (std::size_t i = 0; i < 20; ++i) {
    for (std::size_t c = 0; c < ev.size(); ++c) REQUIRE(got(i, c) == Approx(y(i, c)).margin(std::sqrt(tol) * 10));
  }
}
}  // namespace

TEST_CASE("pca equals scikit-learn's exact PCA: tall, wide, whitened, by variance", "[reduce][pca]") {
  const auto tall = segkit::load_npy_matrix<double>(fixture("tall_X.npy"));
  check_against("tall", rd::pca<double>({.n_components = 5, .solver = rd::pca_solver::full}).fit(tall), tall);
  check_against("whiten", rd::pca<double>({.n_components = 4, .whiten = true}).fit(tall), tall);
  const auto v = rd::pca<double>({.variance = 0.9}).fit(tall);
  CHECK(v.n_components() == 10);
  check_against("variance", v, tall);
  const auto wide = segkit::load_npy_matrix<double>(fixture("wide_X.npy"));
  const auto w = rd::pca<double>({.n_components = 10}).fit(wide);
  CHECK(w.solver == rd::pca_solver::full);
  check_against("wide", w, wide);
}

TEST_CASE("pca: the randomized solver reaches the exact answer; automatic picks it when it saves work", "[reduce][pca]") {
  const auto big = segkit::load_npy_matrix<double>(fixture("big_X.npy"));
  const auto m = rd::pca<double>({.n_components = 8, .solver = rd::pca_solver::randomized, .seed = 3}).fit(big);
  CHECK(m.solver == rd::pca_solver::randomized);
  // 1,000 x 60: the covariance is cheap, the exact solver wins; 3,000 x 1,000 with 5 components: randomized.
  CHECK(rd::pca<double>({.n_components = 8}).fit(big).solver == rd::pca_solver::full);
  CHECK(rd::detail::automatic_solver(3000, 1000, 5, 10, 0) == rd::pca_solver::randomized);
  CHECK(rd::detail::automatic_solver(3000, 1000, 900, 10, 0) == rd::pca_solver::full);
  check_against("big", m, big, 1e-7);
  // Same bits for any thread count, and another seed lands on the same axes.
  const auto one = rd::pca<double>({.n_components = 8, .solver = rd::pca_solver::randomized, .seed = 3, .threads = 1}).fit(big);
  CHECK(one.singular_values == m.singular_values);
  CHECK((one.components == m.components));
  const auto other = rd::pca<double>({.n_components = 8, .solver = rd::pca_solver::randomized, .seed = 99}).fit(big);
  for (std::size_t c = 0; c < 8; ++c) CHECK(other.singular_values[c] == Approx(m.singular_values[c]).epsilon(1e-7));
}

TEST_CASE("incremental_pca equals scikit-learn's IncrementalPCA", "[reduce][pca]") {
  const auto tall = segkit::load_npy_matrix<double>(fixture("tall_X.npy"));
  rd::incremental_pca<double> inc({.n_components = 5});
  for (std::size_t b = 0; b < 300; b += 60) inc.partial_fit(rows(tall, b, b + 60));
  CHECK(inc.n_samples_seen() == 300);
  check_against("incr", inc.model(), tall, 1e-8);
  using Catch::Matchers::Contains;
  rd::incremental_pca<double> small({.n_components = 5});
  CHECK_THROWS_WITH(small.partial_fit(rows(tall, 0, 3)), Contains("smaller than n_components"));
  CHECK_THROWS_WITH(small.model(), Contains("before any partial_fit"));
}

TEST_CASE("pca: transform is row-wise, inverse_transform reconstructs, float input works", "[reduce][pca]") {
  const auto x = segkit::test::blobs(400, 12, 3, 7);
  const auto m = rd::pca<float>({.n_components = 12}).fit(x);
  const auto y = m.transform(x);
  const auto back = m.inverse_transform(y);
  for (std::size_t i = 0; i < 400; i += 13) {
    for (std::size_t j = 0; j < 12; ++j) REQUIRE(back(i, j) == Approx(x(i, j)).margin(1e-4));
  }
  // One row alone gets the coordinates it gets in the batch.
  const auto alone = m.transform(rows(x, 17, 18));
  for (std::size_t c = 0; c < 12; ++c) CHECK(alone(0, c) == y(17, c));
  // Explained variance ratios of all components sum to 1; components are orthonormal.
  double sum = 0.0;
  for (const double r : m.explained_variance_ratio) sum += r;
  CHECK(sum == Approx(1.0).epsilon(1e-9));
  for (std::size_t a = 0; a < 12; ++a) {
    for (std::size_t b = 0; b < 12; ++b) {
      double dot = 0.0;
      for (std::size_t j = 0; j < 12; ++j) dot += m.components(a, j) * m.components(b, j);
      REQUIRE(dot == Approx(a == b ? 1.0 : 0.0).margin(1e-9));
    }
  }
  CHECK(rd::pca<float>({.n_components = 3}).fit_transform(x).shape(1) == 3);
}

TEST_CASE("pca rejects bad input", "[reduce][pca]") {
  using Catch::Matchers::Contains;
  const auto x = segkit::test::normal_matrix(30, 5, 1);
  CHECK_THROWS_WITH(rd::pca<float>({.n_components = 6}).fit(x), Contains("n_components (6) exceeds min(n, d) = 5"));
  CHECK_THROWS_WITH(rd::pca<float>().fit(segkit::test::normal_matrix(1, 5, 1)), Contains("at least 2 rows"));
  CHECK_THROWS_WITH(rd::pca<float>({.variance = 1.5}).fit(x), Contains("variance must be in [0, 1) (got 1.5)"));
  matrix<float> bad = x;
  bad(4, 2) = std::nanf("");
  CHECK_THROWS_WITH(rd::pca<float>().fit(bad), Contains("non-finite"));
  const auto m = rd::pca<float>({.n_components = 2}).fit(x);
  CHECK_THROWS_WITH(m.transform(segkit::test::normal_matrix(3, 4, 1)), Contains("4 columns, the model 5"));
}

TEST_CASE("pca: a fitted model saves and loads bit for bit; damage is refused", "[reduce][pca][persist]") {
  const auto x = segkit::test::normal_matrix(300, 12, 5);
  const auto m = rd::pca<float>({.n_components = 4, .whiten = true, .seed = 1}).fit(x);
  const auto p = fs::temp_directory_path() / "segkit_pca_model.seg";
  m.save(p);
  const auto back = rd::pca_model<float>::load(p);
  CHECK((back.transform(x) == m.transform(x)));
  CHECK(back.explained_variance == m.explained_variance);
  CHECK(back.whiten);
  CHECK(back.solver == m.solver);
  CHECK(back.n_samples == 300);
  // A file of another kind, and a value the format cannot hold.
  CHECK_THROWS_WITH(segkit::reduce::umap_model<>::load(p), Catch::Contains("expected 'segkit.model.umap'"));
  auto bad = m;
  bad.mean[3] = std::nan("");
  bad.save(p);
  CHECK_THROWS_WITH(rd::pca_model<float>::load(p), Catch::Contains("section 'mean' holds a non-finite value at 3"));
  fs::remove(p);
}
