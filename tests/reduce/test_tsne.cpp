// t-SNE: affinities against scikit-learn 1.2.1 (tests/data/make_tsne_fixture.py), Barnes-Hut and
// FFT interpolation against exact forces, the FFT convolution against a direct sum, and what an
// embedding must do; determinism and batch-invariant transform.
#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <cmath>
#include <random>

#include "support/data.hpp"
#include "support/embedding.hpp"

#include <segkit/core/npy.hpp>
#include <segkit/quality/trustworthiness.hpp>
#include <segkit/reduce/tsne.hpp>

namespace fs = std::filesystem;
namespace rd = segkit::reduce;
using segkit::matrix;

namespace {
fs::path fixture(const std::string& name) { return fs::path(SEGKIT_TEST_DATA) / "tsne" / name; }

/// n points in 7 clusters (sd 2) along a line of length ~2 spread, in `dim` dimensions.
std::vector<double> clustered_embedding(std::size_t n, std::size_t dim, double spread) {
  std::mt19937_64 gen(1);
  std::normal_distribution<double> normal;
  std::vector<double> y(n * dim);
  for (std::size_t i = 0; i < n; ++i) {
    const double c = static_cast<double>(i % 7) * spread / 3.0 - spread;
    for (std::size_t q = 0; q < dim; ++q) y[i * dim + q] = c * (q == 0 ? 1.0 : 0.5) + 2.0 * normal(gen);
  }
  return y;
}

struct force_error {
  double force = 0.0, z = 0.0;  // relative L2 error of all forces; relative error of the summed normalizer
};

force_error fft_error(const std::vector<double>& y, std::size_t n, std::size_t dim, std::size_t points, std::size_t threads) {
  segkit::executor ex(threads);
  std::vector<double> force(n * dim, 0.0), sum_q(n);
  rd::detail::interpolation_repulsion(dim, points, 1.0).compute(y, n, force.data(), sum_q.data(), ex);
  double err = 0.0, norm = 0.0, z = 0.0, z_fft = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    std::vector<double> f(dim, 0.0);
    z += rd::detail::exact_repulsion(y, n, dim, y.data() + i * dim, i, f.data());
    z_fft += sum_q[i];
    for (std::size_t q = 0; q < dim; ++q) {
      err += (f[q] - force[i * dim + q]) * (f[q] - force[i * dim + q]);
      norm += f[q] * f[q];
    }
  }
  return {std::sqrt(err / norm), std::abs(z_fft - z) / z};
}

}  // namespace

TEST_CASE("t-SNE affinities equal scikit-learn's (perplexity bisection and joint P)", "[reduce][tsne]") {
  const auto knn = segkit::load_npy_matrix<std::int64_t>(fixture("knn.npy"));
  const auto d2 = segkit::load_npy_matrix<double>(fixture("d2.npy"));
  const auto want = segkit::load_npy_matrix<double>(fixture("cond.npy"));
  const std::size_t n = 200, k = 31;
  std::vector<double> dd(n * k);
  std::vector<std::uint32_t> ids(n * k);
  for (std::size_t i = 0; i < n * k; ++i) {
    dd[i] = static_cast<double>(static_cast<float>(d2.data()[i]));  // scikit-learn searches in float32
    ids[i] = static_cast<std::uint32_t>(knn.data()[i]);
  }
  segkit::executor ex(2);
  const auto cond = rd::detail::conditional_affinities(dd, n, k, 10.0, ex);
  for (std::size_t i = 0; i < n * k; ++i) REQUIRE(cond[i] == Approx(want.data()[i]).epsilon(1e-4).margin(1e-7));
  const auto p = rd::detail::joint_affinities(ids, cond, n, k);
  const auto pw = segkit::load_npy_matrix<double>(fixture("P.npy"));
  std::map<std::pair<std::size_t, std::size_t>, double> ref;
  for (std::size_t r = 0; r < pw.shape(0); ++r) ref[{static_cast<std::size_t>(pw(r, 0)), static_cast<std::size_t>(pw(r, 1))}] = pw(r, 2);
  REQUIRE(p.value.size() == ref.size());
  double total = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t e = p.start[i]; e < p.start[i + 1]; ++e) {
      REQUIRE(p.value[e] == Approx(ref.at({i, p.column[e]})).epsilon(1e-4).margin(1e-9));
      total += p.value[e];
    }
  }
  CHECK(total == Approx(1.0));
}

TEST_CASE("t-SNE: Barnes-Hut with theta 0 follows the exact forces; same bits for any thread count", "[reduce][tsne]") {
  const auto x = segkit::test::blobs(300, 8, 3, 5);
  const rd::tsne_params base{.perplexity = 15, .exaggeration_iter = 40, .max_iter = 60, .theta = 0.0, .method = rd::tsne_method::barnes_hut, .seed = 2, .threads = 2};
  const auto bh = rd::tsne<>(base).fit(x);
  auto ep = base;
  ep.method = rd::tsne_method::exact;
  const auto exact = rd::tsne<>(ep).fit(x);
  for (std::size_t i = 0; i < 300; ++i) {
    REQUIRE(bh.embedding(i, 0) == Approx(exact.embedding(i, 0)).margin(1e-3));  // summation order only
    REQUIRE(bh.embedding(i, 1) == Approx(exact.embedding(i, 1)).margin(1e-3));
  }
  auto one = base;
  one.threads = 1;
  one.theta = 0.5;
  auto two = one;
  two.threads = 2;
  CHECK((rd::tsne<>(one).fit(x).embedding == rd::tsne<>(two).fit(x).embedding));
}

TEST_CASE("FFT convolution equals the direct sum of a zero-padded grid", "[reduce][tsne]") {
  segkit::executor ex(2);
  for (const auto& [mx, my, rows, cols] : {std::array<std::size_t, 4>{8, 8, 4, 4}, {64, 32, 30, 9}, {32, 1, 16, 1}, {128, 128, 64, 40}}) {
    const auto kernel = [](long sx, long sy) { return 1.0 / (1.0 + static_cast<double>(sx * sx) + 0.5 * static_cast<double>(sy * sy)); };
    rd::detail::grid_convolution conv;
    conv.set(mx, my, rows, cols, kernel, ex);
    std::vector<double> re(mx * my, 0.0), im(mx * my, 0.0);
    segkit::rng gen(mx + my);
    for (std::size_t i = 0; i < rows; ++i) {
      for (std::size_t j = 0; j < cols; ++j) {
        re[i * my + j] = gen.uniform();
        im[i * my + j] = gen.normal();
      }
    }
    const auto re0 = re, im0 = im;
    conv.apply(re.data(), im.data(), cols, ex);
    for (std::size_t i = 0; i < rows; ++i) {
      for (std::size_t j = 0; j < cols; ++j) {
        double want_re = 0.0, want_im = 0.0;
        for (std::size_t a = 0; a < rows; ++a) {
          for (std::size_t b = 0; b < cols; ++b) {
            const double k = kernel(static_cast<long>(i) - static_cast<long>(a), static_cast<long>(j) - static_cast<long>(b));
            want_re += k * re0[a * my + b];
            want_im += k * im0[a * my + b];
          }
        }
        REQUIRE(re[i * my + j] == Approx(want_re).margin(1e-10));
        REQUIRE(im[i * my + j] == Approx(want_im).margin(1e-10));
      }
    }
  }
}

TEST_CASE("t-SNE FFT interpolation follows the exact forces, more closely with more nodes", "[reduce][tsne]") {
  for (const std::size_t dim : {1u, 2u}) {
    const auto y = clustered_embedding(1500, dim, 20.0);
    const auto five = fft_error(y, 1500, dim, 5, 2), seven = fft_error(y, 1500, dim, 7, 1), three = fft_error(y, 1500, dim, 3, 2);
    CAPTURE(dim, five.force, seven.force, three.force, five.z);
    CHECK(five.force < 0.01);  // Barnes-Hut at theta 0.5 is about 0.014 on such data
    CHECK(five.z < 1e-3);
    CHECK(seven.force < five.force / 3.0);
    CHECK(three.force > five.force);
  }
  // The same bits for any thread count; the grid follows a spread-out embedding too.
  const auto y = clustered_embedding(3000, 2, 60.0);
  segkit::executor one(1), two(2);
  std::vector<double> f1(6000, 0.0), f2(6000, 0.0), z1(3000), z2(3000);
  rd::detail::interpolation_repulsion(2, 5, 1.0).compute(y, 3000, f1.data(), z1.data(), one);
  rd::detail::interpolation_repulsion(2, 5, 1.0).compute(y, 3000, f2.data(), z2.data(), two);
  CHECK(f1 == f2);
  CHECK(z1 == z2);
  CHECK(fft_error(y, 3000, 2, 5, 2).force < 0.01);
}

TEST_CASE("t-SNE with FFT repulsion: clusters apart, same bits for any thread count; automatic mixes methods", "[reduce][tsne]") {
  const auto x = segkit::test::blobs(600, 10, 4, 8);
  rd::tsne_params fp{.perplexity = 30, .max_iter = 350, .method = rd::tsne_method::fft, .seed = 3, .threads = 1};
  const auto m = rd::tsne<>(fp).fit(x);
  CHECK(m.fft_iterations == 350);
  CHECK(segkit::test::neighbor_purity(m.embedding, 4) > 0.97);
  CHECK(segkit::quality::trustworthiness(x, m.embedding, {.neighbors = 10}) > 0.9);
  fp.threads = 2;
  CHECK((rd::tsne<>(fp).fit(x).embedding == m.embedding));
  // Automatic: the FFT while the embedding is small (a tiny grid), Barnes-Hut or FFT after; the
  // KL divergence matches Barnes-Hut's.
  const auto bh = rd::tsne<>({.perplexity = 30, .max_iter = 350, .method = rd::tsne_method::barnes_hut, .seed = 3}).fit(x);
  const auto au = rd::tsne<>({.perplexity = 30, .max_iter = 350, .seed = 3}).fit(x);
  CHECK(bh.fft_iterations == 0);
  CHECK(au.fft_iterations > 0);
  CHECK(au.kl_divergence == Approx(bh.kl_divergence).epsilon(0.03));
  CHECK(m.kl_divergence == Approx(bh.kl_divergence).epsilon(0.03));
  // Neighbors through HNSW: the same quality, the same bits for any thread count.
  auto hp = fp;
  hp.knn = rd::knn_method::hnsw;
  const auto h2 = rd::tsne<>(hp).fit(x);
  hp.threads = 1;
  CHECK((rd::tsne<>(hp).fit(x).embedding == h2.embedding));
  CHECK(h2.knn == rd::knn_method::hnsw);
  CHECK(segkit::test::neighbor_purity(h2.embedding, 4) > 0.97);
  // One dimension.
  const auto one = rd::tsne<>({.n_components = 1, .perplexity = 30, .max_iter = 350, .method = rd::tsne_method::fft, .seed = 3}).fit(x);
  CHECK(segkit::test::neighbor_purity(one.embedding, 4) > 0.9);
}

TEST_CASE("t-SNE separates clusters, keeps neighborhoods, lowers KL as it runs", "[reduce][tsne]") {
  const auto x = segkit::test::blobs(900, 10, 4, 8);
  const auto m = rd::tsne<>({.perplexity = 30, .max_iter = 500, .seed = 3}).fit(x);
  CHECK(segkit::test::neighbor_purity(m.embedding, 4) > 0.97);
  CHECK(segkit::quality::trustworthiness(x, m.embedding, {.neighbors = 10}) > 0.9);
  const auto early = rd::tsne<>({.perplexity = 30, .max_iter = 260, .seed = 3}).fit(x);
  CHECK(m.kl_divergence < early.kl_divergence);
  CHECK(m.kl_divergence > 0.0);
  CHECK(m.learning_rate == Approx(std::max(900.0 / 12.0 / 4.0, 50.0)));
  const auto r = rd::tsne<>({.perplexity = 30, .max_iter = 400, .init = rd::tsne_init::random, .seed = 3}).fit(x);
  CHECK(segkit::test::neighbor_purity(r.embedding, 4) > 0.95);
}

TEST_CASE("t-SNE transform: batch-invariant, new rows land in their cluster", "[reduce][tsne]") {
  const auto all = segkit::test::blobs(700, 6, 3, 11);
  matrix<float> train = matrix<float>::from_shape({600, 6}), fresh = matrix<float>::from_shape({100, 6});
  std::copy_n(all.data(), 3600, train.data());
  std::copy_n(all.data() + 3600, 600, fresh.data());
  const auto m = rd::tsne<>({.perplexity = 20, .max_iter = 400, .seed = 1}).fit(train);
  const auto y = m.transform(fresh);
  for (const std::size_t i : {0u, 50u, 99u}) {
    const auto alone = m.transform(segkit::matrix_view<float>(fresh.data() + i * 6, 1, 6, 6), 1);
    CHECK(alone(0, 0) == y(i, 0));
    CHECK(alone(0, 1) == y(i, 1));
  }
  CHECK(segkit::test::placed_in_own_blob(y, m.embedding, 600, 3) >= 0.97);
}

TEST_CASE("t-SNE rejects bad input", "[reduce][tsne]") {
  using Catch::Matchers::Contains;
  const auto x = segkit::test::normal_matrix(40, 3, 1);
  CHECK_THROWS_WITH(rd::tsne<>({.perplexity = 30}).fit(x), Contains("perplexity (30)"));
  CHECK_THROWS_WITH(rd::tsne<>({.n_components = 4, .perplexity = 5}).fit(x), Contains("Barnes-Hut needs n_components <= 3"));
  CHECK_THROWS_WITH(rd::tsne<>({.perplexity = 5, .exaggeration_iter = 300, .max_iter = 200}).fit(x), Contains("max_iter (200)"));
  CHECK_THROWS_WITH(rd::tsne<>().fit(segkit::test::normal_matrix(3, 3, 1)), Contains("at least 4 rows"));
  matrix<float> bad = x;
  bad(1, 1) = std::nanf("");
  CHECK_THROWS_WITH(rd::tsne<>({.perplexity = 5}).fit(bad), Contains("non-finite"));
  CHECK(rd::tsne<>({.n_components = 4, .perplexity = 5, .max_iter = 300, .method = rd::tsne_method::exact}).fit(x).embedding.shape(1) == 4);
  CHECK_THROWS_WITH(rd::tsne<>({.n_components = 3, .perplexity = 5, .method = rd::tsne_method::fft}).fit(x), Contains("fft method needs n_components <= 2"));
  CHECK_THROWS_WITH(rd::tsne<>({.perplexity = 5, .fft_points = 0}).fit(x), Contains("fft_points must be in [1, 16] (got 0)"));
  CHECK_THROWS_WITH(rd::tsne<>({.perplexity = 5, .fft_box_width = std::nan("")}).fit(x), Contains("fft_box_width"));
}
