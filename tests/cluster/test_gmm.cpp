#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <numeric>
#include <string>
#include <vector>

#include "support/data.hpp"

#include <segkit/cluster/gmm.hpp>
#include <segkit/core/binary_format.hpp>
#include <segkit/core/npy.hpp>

namespace fs = std::filesystem;
using segkit::cluster::covariance_type;
using segkit::cluster::gaussian_mixture;
using segkit::cluster::gmm_params;

namespace {
fs::path fixture(const std::string& name) { return fs::path(SEGKIT_TEST_DATA) / "gmm" / name; }

xt::xtensor<segkit::label_type, 1> start_labels() {
  const auto s = segkit::load_npy_vector<std::int32_t>(fixture("start.npy"));
  xt::xtensor<segkit::label_type, 1> out = xt::xtensor<segkit::label_type, 1>::from_shape({s.size()});
  std::copy(s.begin(), s.end(), out.begin());
  return out;
}

// |a - b| <= rel * max(1, |b|) for every value.
template <class A, class B>
void check_close(const A& a, const B& b, double rel) {
  REQUIRE(a.size() == b.size());
  auto ia = a.begin();
  for (auto ib = b.begin(); ib != b.end(); ++ia, ++ib) CHECK(std::abs(*ia - *ib) <= rel * std::max(1.0, std::abs(*ib)));
}
}  // namespace

TEST_CASE("gmm reproduces scikit-learn from the same start for every covariance type", "[cluster][gmm]") {
  // Fixture: tests/data/make_gmm_fixture.py (scikit-learn 1.2.1 GaussianMixture, tol 1e-6,
  // started from the saved k-means labels).
  const auto x = segkit::load_npy_matrix<double>(fixture("X.npy"));
  std::vector<double> repeat(x.shape(0));
  for (std::size_t i = 0; i < repeat.size(); ++i) repeat[i] = 1.0 + static_cast<double>(i % 3);
  for (const std::string name : {"full", "tied", "diag", "spherical", "weighted"}) {
    INFO("case " << name);
    gmm_params p{.k = 4, .covariance = segkit::params::parse_enum<segkit::cluster::covariance_type>(name == "weighted" ? "full" : name, "covariance"), .tol = 1e-6, .max_iter = 500};
    p.initial_labels = start_labels();
    const auto model = gaussian_mixture<double>(p).fit(x, name == "weighted" ? std::span<const double>(repeat) : std::span<const double>{});
    const auto facts = segkit::load_npy_vector<double>(fixture(name + "_facts.npy"));
    CHECK(std::abs(model.log_likelihood - facts(0)) < 1e-8);
    CHECK(std::abs(model.lower_bound - facts(1)) < 1e-8);
    CHECK(model.n_iter == static_cast<std::size_t>(facts(2)));
    CHECK(model.converged);
    CHECK((model.labels() == segkit::load_npy_vector<std::int32_t>(fixture(name + "_labels.npy"))));
    check_close(model.weights, segkit::load_npy_vector<double>(fixture(name + "_weights.npy")), 1e-6);
    check_close(model.means, segkit::load_npy_matrix<double>(fixture(name + "_means.npy")), 1e-6);
    const auto cov = segkit::load_npy_array<double>(fixture(name + "_covariances.npy"));
    CHECK(model.covariances.shape() == std::vector<std::size_t>(cov.shape().begin(), cov.shape().end()));
    check_close(model.covariances, cov, 1e-6);
    CHECK(model.degenerate.empty());
    if (name != "weighted") CHECK(model.score(x) == Approx(model.log_likelihood).epsilon(1e-12));
  }
  // float input: the same fit within the 1e-4 on the log-likelihood.
  const auto xf = segkit::load_npy_matrix<float>(fixture("X.npy"));
  gmm_params p{.k = 4, .covariance = covariance_type::full, .tol = 1e-6, .max_iter = 500};
  p.initial_labels = start_labels();
  const auto model = gaussian_mixture<float>(p).fit(xf);
  CHECK(std::abs(model.log_likelihood - segkit::load_npy_vector<double>(fixture("full_facts.npy"))(0)) < 1e-4);
}

TEST_CASE("gmm: same seed gives the same bits at any thread count", "[cluster][gmm]") {
  const auto x = segkit::test::blobs(9000, 6, 5, 4);
  for (const auto t : {covariance_type::full, covariance_type::diag, covariance_type::tied, covariance_type::spherical}) {
    const auto fit = [&](std::size_t threads) { return gaussian_mixture<float>({.k = 5, .covariance = t, .seed = 3, .threads = threads}).fit(x); };
    const auto a = fit(1), b = fit(2), c = fit(3);
    CHECK((a.means == b.means));
    CHECK((a.means == c.means));
    CHECK((a.covariances == c.covariances));
    CHECK((a.labels() == b.labels()));
    CHECK(a.log_likelihood == c.log_likelihood);
    CHECK(a.n_iter == b.n_iter);
  }
}

TEST_CASE("gmm: row order does not change the fit from the same start", "[cluster][gmm]") {
  const auto x = segkit::load_npy_matrix<double>(fixture("X.npy"));
  const auto start = start_labels();
  const std::size_t n = x.shape(0);
  std::vector<std::size_t> perm(n);
  std::iota(perm.begin(), perm.end(), std::size_t{0});
  segkit::rng r(5);
  for (std::size_t i = n - 1; i > 0; --i) std::swap(perm[i], perm[r.below(i + 1)]);
  segkit::matrix<double> xp = segkit::matrix<double>::from_shape({n, x.shape(1)});
  xt::xtensor<segkit::label_type, 1> sp = xt::xtensor<segkit::label_type, 1>::from_shape({n});
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = 0; j < x.shape(1); ++j) xp(i, j) = x(perm[i], j);
    sp(i) = start(perm[i]);
  }
  gmm_params p{.k = 4, .covariance = covariance_type::full, .tol = 1e-6, .max_iter = 500};
  p.initial_labels = start;
  const auto a = gaussian_mixture<double>(p).fit(x);
  p.initial_labels = sp;
  const auto b = gaussian_mixture<double>(p).fit(xp);
  CHECK(a.log_likelihood == Approx(b.log_likelihood).epsilon(1e-10));
  CHECK(a.n_iter == b.n_iter);
  check_close(a.means, b.means, 1e-8);
  for (std::size_t i = 0; i < n; ++i) CHECK(b.labels()(i) == a.labels()(perm[i]));
}

TEST_CASE("gmm model: predict, predict_proba, score_samples, BIC and AIC agree", "[cluster][gmm]") {
  const auto x = segkit::test::blobs(3000, 4, 3, 11);
  for (const auto t : {covariance_type::full, covariance_type::tied, covariance_type::diag, covariance_type::spherical}) {
    const auto m = gaussian_mixture<float>({.k = 3, .covariance = t, .seed = 1}).fit(x);
    INFO("covariance " << segkit::params::name(t));
    const auto proba = m.predict_proba(x);
    const auto labels = m.predict(x);
    const auto logp = m.score_samples(x);
    CHECK((labels == m.labels()));
    double mean = 0.0;
    for (std::size_t i = 0; i < x.shape(0); ++i) {
      double sum = 0.0;
      std::size_t best = 0;
      for (std::size_t c = 0; c < 3; ++c) {
        sum += proba(i, c);
        best = proba(i, c) > proba(i, best) ? c : best;
      }
      CHECK(sum == Approx(1.0).epsilon(1e-12));
      CHECK(static_cast<std::size_t>(labels(i)) == best);
      mean += logp(i);
    }
    mean /= static_cast<double>(x.shape(0));
    CHECK(m.score(x) == Approx(mean).epsilon(1e-12));
    CHECK(m.log_likelihood == Approx(mean).epsilon(1e-12));
    const double n = 3000.0;
    CHECK(m.bic(x) == Approx(-2.0 * mean * n + static_cast<double>(m.n_parameters()) * std::log(n)));
    CHECK(m.aic(x) == Approx(-2.0 * mean * n + 2.0 * static_cast<double>(m.n_parameters())));
    // The density is a proper Gaussian mixture: recompute log p(x) of row 0 from the parameters
    // for the diagonal case (independent of the factorized evaluation).
    if (t == covariance_type::diag) {
      double p0 = 0.0;
      for (std::size_t c = 0; c < 3; ++c) {
        double lp = std::log(m.weights(c));
        for (std::size_t j = 0; j < 4; ++j) {
          const double v = m.covariances(c, j), dx = x(0, j) - m.means(c, j);
          lp += -0.5 * std::log(2.0 * M_PI * v) - 0.5 * dx * dx / v;
        }
        p0 += std::exp(lp);
      }
      CHECK(logp(0) == Approx(std::log(p0)).epsilon(1e-10));
    }
  }
  // scikit-learn's parameter counts for k = 3, d = 4.
  const auto count = [&](covariance_type t) { return gaussian_mixture<float>({.k = 3, .covariance = t}).fit(x).n_parameters(); };
  CHECK(count(covariance_type::full) == 3 * 10 + 12 + 2);
  CHECK(count(covariance_type::tied) == 10 + 12 + 2);
  CHECK(count(covariance_type::diag) == 12 + 12 + 2);
  CHECK(count(covariance_type::spherical) == 3 + 12 + 2);
}

TEST_CASE("gmm: restarts keep the best lower bound; k-means++ start finds blobs; BIC sweep finds k", "[cluster][gmm]") {
  const auto x = segkit::test::blobs(2400, 5, 4, 7);  // seed 7: true centers at least 12 apart (unit noise)
  const auto one = gaussian_mixture<float>({.k = 4, .n_init = 1, .init = segkit::cluster::gmm_init::kmeans_plus_plus, .seed = 9}).fit(x);
  const auto three = gaussian_mixture<float>({.k = 4, .n_init = 3, .init = segkit::cluster::gmm_init::kmeans_plus_plus, .seed = 9}).fit(x);
  CHECK(three.lower_bound >= one.lower_bound);
  // Generated blobs: label i % 4. Each true group is one component.
  for (std::size_t i = 4; i < 400; ++i) CHECK(three.labels()(i) == three.labels()(i % 4));
  const auto sweep = segkit::cluster::gmm_sweep(x, 1, 7, {.covariance = covariance_type::diag, .seed = 1});
  REQUIRE(sweep.points.size() == 7);
  CHECK(sweep.chosen_k == 4);
  CHECK(sweep.points[0].log_likelihood < sweep.points[3].log_likelihood);
}

TEST_CASE("gmm: a component of identical points is regularized and reported, never NaN", "[cluster][gmm]") {
  auto x = segkit::test::blobs(600, 3, 2, 5);
  xt::xtensor<segkit::label_type, 1> start = xt::xtensor<segkit::label_type, 1>::from_shape({600});
  for (std::size_t i = 0; i < 600; ++i) start(i) = static_cast<segkit::label_type>(i % 2);
  for (std::size_t i = 0; i < 40; ++i) {  // 40 copies of one point, far away, in their own component
    for (std::size_t j = 0; j < 3; ++j) x(i * 15, j) = 100.0f + static_cast<float>(j);
    start(i * 15) = 2;
  }
  for (const auto t : {covariance_type::full, covariance_type::tied, covariance_type::diag, covariance_type::spherical}) {
    for (const double reg : {1e-6, 0.0}) {
      INFO("covariance " << segkit::params::name(t) << ", reg_covar " << reg);
      gmm_params p{.k = 3, .covariance = t, .reg_covar = reg};
      p.initial_labels = start;
      const auto m = gaussian_mixture<float>(p).fit(x);
      CHECK(std::isfinite(m.log_likelihood));
      CHECK(std::all_of(m.covariances.begin(), m.covariances.end(), [](double v) { return std::isfinite(v); }));
      CHECK(std::all_of(m.precisions_cholesky.begin(), m.precisions_cholesky.end(), [](double v) { return std::isfinite(v); }));
      if (t != covariance_type::tied) {  // a shared covariance is not singular here
        CHECK(std::find(m.degenerate.begin(), m.degenerate.end(), std::size_t{2}) != m.degenerate.end());
        CHECK(m.labels()(15) == 2);
      }
    }
  }
  // An empty component (no row starts in it) is reported too.
  auto start0 = start;
  for (auto& l : start0) l = l == 2 ? 1 : l;
  gmm_params p{.k = 3, .covariance = covariance_type::diag};
  p.initial_labels = start0;
  const auto m = gaussian_mixture<float>(p).fit(x);
  CHECK(std::isfinite(m.log_likelihood));
  CHECK(std::find(m.degenerate.begin(), m.degenerate.end(), std::size_t{2}) != m.degenerate.end());
}

TEST_CASE("gmm refuses bad input with messages naming the problem", "[cluster][gmm]") {
  const auto x = segkit::test::normal_matrix(6, 3, 1);
  CHECK_THROWS_WITH(gaussian_mixture<float>({.k = 0}), Catch::Contains("k must be >= 1 (got 0)"));
  CHECK_THROWS_WITH(gaussian_mixture<float>({.k = 8}).fit(x), Catch::Contains("segkit::cluster::gmm: k (8) exceeds the number of samples (6)"));
  CHECK_THROWS_WITH(gaussian_mixture<float>({.k = 2, .reg_covar = -1}), Catch::Contains("reg_covar must be finite, >= 0 (got -1)"));
  CHECK_THROWS_WITH(gaussian_mixture<float>({.k = 2, .tol = std::nan("")}), Catch::Contains("tol must be finite"));
  CHECK_THROWS_WITH(gaussian_mixture<float>({.k = 2, .max_iter = 0}), Catch::Contains("max_iter must be >= 1 (got 0)"));
  CHECK_THROWS_WITH(gaussian_mixture<float>({.k = 2, .n_init = 0}), Catch::Contains("n_init must be >= 1 (got 0)"));
  auto nan = x;
  nan(2, 1) = std::numeric_limits<float>::infinity();
  CHECK_THROWS_WITH(gaussian_mixture<float>({.k = 2}).fit(nan), Catch::Contains("x holds a non-finite value (inf) at row 2, column 1"));
  CHECK_THROWS_WITH(gaussian_mixture<float>({.k = 1}).fit(segkit::matrix<float>::from_shape({0, 3})), Catch::Contains("no samples"));
  CHECK_THROWS_WITH(gaussian_mixture<float>({.k = 1}).fit(segkit::matrix<float>::from_shape({4, 0})), Catch::Contains("0 features"));
  gmm_params p{.k = 2};
  p.initial_labels = xt::xtensor<segkit::label_type, 1>{0, 1, 1};
  CHECK_THROWS_WITH(gaussian_mixture<float>(p).fit(x), Catch::Contains("3 initial labels for 6 samples"));
  p.initial_labels = xt::xtensor<segkit::label_type, 1>{0, 1, 1, 2, 0, 0};
  CHECK_THROWS_WITH(gaussian_mixture<float>(p).fit(x), Catch::Contains("initial label 2 of row 3 is outside 0..1"));
  p.initial_labels = {};
  p.initial_means = segkit::matrix<double>::from_shape({2, 4});
  CHECK_THROWS_WITH(gaussian_mixture<float>(p).fit(x), Catch::Contains("initial_means are 2 x 4, expected k x d = 2 x 3"));
  CHECK_THROWS_WITH(segkit::params::parse_enum<segkit::cluster::covariance_type>("diagonal", "covariance"),
                    Catch::Contains("covariance must be full, tied, diag or spherical (got 'diagonal')"));
  const auto m = gaussian_mixture<float>({.k = 2}).fit(x);
  CHECK_THROWS_WITH(m.predict(segkit::test::normal_matrix(2, 4, 1)), Catch::Contains("rows have 4 columns, the model has 3"));
  CHECK_THROWS_WITH(m.score(segkit::matrix<float>::from_shape({0, 3})), Catch::Contains("score of no samples"));
  CHECK_THROWS_WITH(segkit::cluster::gmm_sweep(x, 2, 9), Catch::Contains("k_max (9) exceeds the number of samples (6)"));
}

TEST_CASE("gmm model: save and load; damaged or invalid files are refused", "[cluster][gmm]") {
  const auto x = segkit::test::blobs(1200, 4, 3, 2);
  const auto path = fs::temp_directory_path() / "segkit_gmm.seg";
  for (const auto t : {covariance_type::full, covariance_type::tied, covariance_type::diag, covariance_type::spherical}) {
    const auto m = gaussian_mixture<float>({.k = 3, .covariance = t, .seed = 4}).fit(x);
    m.save(path);
    const auto back = segkit::cluster::gmm_model::load(path);
    CHECK(back.covariance == t);
    CHECK((back.means == m.means));
    CHECK((back.covariances == m.covariances));
    check_close(back.precisions_cholesky, m.precisions_cholesky, 1e-12);
    CHECK((back.labels() == m.labels()));
    CHECK(back.n_iter == m.n_iter);
    CHECK(back.log_likelihood == m.log_likelihood);
    CHECK((back.predict(x) == m.labels()));
    CHECK(back.score(x) == Approx(m.score(x)).epsilon(1e-12));
  }
  std::string bytes;
  {
    std::ifstream f(path, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(f), {});
  }
  bytes[bytes.size() / 2] = static_cast<char>(bytes[bytes.size() / 2] ^ 1);
  std::ofstream(path, std::ios::binary) << bytes;
  CHECK_THROWS_AS(segkit::cluster::gmm_model::load(path), segkit::format_error);

  // A well-formed file whose covariance is not positive definite.
  segkit::byte_writer meta;
  meta.put(std::uint32_t{1}).put_string("full").put(std::uint64_t{1}).put(std::uint64_t{2}).put(std::uint64_t{0});
  meta.put(0.0).put(0.0).put(std::uint64_t{1}).put(std::uint8_t{1}).put(std::uint64_t{0});
  segkit::container_writer w("segkit.model.gmm");
  w.add("meta", meta.bytes());
  const std::vector<double> weights{1.0}, means{0.0, 0.0}, cov{1.0, 2.0, 2.0, 1.0};
  w.add_array<double>("weights", weights);
  w.add_array<double>("means", means);
  w.add_array<double>("covar", cov);
  w.add_array<segkit::label_type>("labels", std::vector<segkit::label_type>{});
  w.add_array<std::uint64_t>("degen", std::vector<std::uint64_t>{});
  w.commit(path);
  CHECK_THROWS_WITH(segkit::cluster::gmm_model::load(path), Catch::Contains("not positive definite"));
  fs::remove(path);
}
