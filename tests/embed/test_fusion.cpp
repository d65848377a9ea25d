// CCA and fusion: CCA against the Pearson correlation (one column per view: the canonical
// correlation is |r|), its invariances and uncorrelated outputs; fusion's normalisation, weights,
// missing modalities, PCA and CCA projections.
#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include <segkit/core/random.hpp>
#include <segkit/embed/fusion.hpp>
#include <segkit/reduce/cca.hpp>

namespace em = segkit::embed;
namespace rd = segkit::reduce;
using segkit::matrix;

namespace {
double pearson(const matrix<float>& a, std::size_t ca, const matrix<float>& b, std::size_t cb) {
  const std::size_t n = a.shape(0);
  double ma = 0.0, mb = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    ma += a(i, ca);
    mb += b(i, cb);
  }
  ma /= static_cast<double>(n);
  mb /= static_cast<double>(n);
  double sab = 0.0, saa = 0.0, sbb = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    sab += (a(i, ca) - ma) * (b(i, cb) - mb);
    saa += (a(i, ca) - ma) * (a(i, ca) - ma);
    sbb += (b(i, cb) - mb) * (b(i, cb) - mb);
  }
  return sab / std::sqrt(saa * sbb);
}

/// Two views of a shared 3-D latent: x = z A + noise (8 columns), y = z B + noise (5 columns).
void views(std::size_t n, matrix<float>& x, matrix<float>& y, double noise) {
  segkit::rng r(11);
  std::vector<double> a(3 * 8), b(3 * 5);
  for (auto& v : a) v = r.normal();
  for (auto& v : b) v = r.normal();
  x = matrix<float>::from_shape({n, 8});
  y = matrix<float>::from_shape({n, 5});
  for (std::size_t i = 0; i < n; ++i) {
    const double z[3] = {r.normal(), r.normal(), r.normal()};
    for (std::size_t j = 0; j < 8; ++j) x(i, j) = static_cast<float>(z[0] * a[j] + z[1] * a[8 + j] + z[2] * a[16 + j] + noise * r.normal());
    for (std::size_t j = 0; j < 5; ++j) y(i, j) = static_cast<float>(z[0] * b[j] + z[1] * b[5 + j] + z[2] * b[10 + j] + noise * r.normal());
  }
}
}  // namespace

TEST_CASE("CCA: one column per view gives |Pearson r|; a shared latent gives high, ordered, uncorrelated pairs", "[embed][fusion]") {
  matrix<float> x, y;
  views(2000, x, y, 0.5);
  matrix<float> x1 = matrix<float>::from_shape({2000, 1}), y1 = matrix<float>::from_shape({2000, 1});
  for (std::size_t i = 0; i < 2000; ++i) {
    x1(i, 0) = x(i, 0);
    y1(i, 0) = y(i, 2);
  }
  const auto one = rd::cca({.n_components = 1, .regularization = 0.0}).fit(x1, y1);
  CHECK(one.correlations[0] == Approx(std::abs(pearson(x1, 0, y1, 0))).epsilon(1e-9));
  const auto m = rd::cca({.n_components = 4, .regularization = 0.0}).fit(x, y);
  for (std::size_t c = 0; c < 3; ++c) CHECK(m.correlations[c] > 0.8);  // the three shared directions
  CHECK(m.correlations[3] < 0.2);                                     // nothing shared beyond them
  for (std::size_t c = 1; c < 4; ++c) CHECK(m.correlations[c] <= m.correlations[c - 1]);
  const auto zx = m.transform(x, 0), zy = m.transform(y, 1);
  for (std::size_t c = 0; c < 3; ++c) CHECK(pearson(zx, c, zy, c) == Approx(m.correlations[c]).epsilon(1e-4));  // pairs correlate by their value
  CHECK(std::abs(pearson(zx, 0, zx, 1)) < 1e-4);  // uncorrelated within a view
  // Scaling a view's columns changes nothing (without regularisation).
  auto x2 = x;
  for (std::size_t i = 0; i < 2000; ++i) x2(i, 3) *= 50.0f;
  CHECK(rd::cca({.n_components = 3, .regularization = 0.0}).fit(x2, y).correlations[0] == Approx(m.correlations[0]).epsilon(1e-5));
  using Catch::Matchers::Contains;
  CHECK_THROWS_WITH(rd::cca({.n_components = 6}).fit(x, y), Contains("n_components (6)"));
  CHECK_THROWS_WITH(rd::cca().fit(x, matrix<float>::from_shape({10, 5})), Contains("paired"));
}

TEST_CASE("fusion: unit blocks times weights side by side, missing modalities at their mean, PCA and CCA projections", "[embed][fusion]") {
  matrix<float> x, y;
  views(600, x, y, 0.3);
  const std::vector<matrix<float>> blocks{x, y};
  const auto plain = em::fusion({.weights = {2.0, 1.0}}).fit(blocks);
  REQUIRE(plain.dim() == 13);
  const auto f = plain.transform(blocks);
  double n0 = 0.0, n1 = 0.0;
  for (std::size_t j = 0; j < 8; ++j) n0 += static_cast<double>(f(5, j)) * f(5, j);
  for (std::size_t j = 8; j < 13; ++j) n1 += static_cast<double>(f(5, j)) * f(5, j);
  CHECK(std::sqrt(n0) == Approx(2.0).epsilon(1e-5));
  CHECK(std::sqrt(n1) == Approx(1.0).epsilon(1e-5));
  // Record 7 lacks the second modality: its block is the training mean of the normalised rows.
  em::modality_presence present{std::vector<bool>(600, true), std::vector<bool>(600, true)};
  present[1][7] = false;
  const auto m = em::fusion().fit(blocks, present);
  const auto g = m.transform(blocks, present);
  for (std::size_t j = 0; j < 5; ++j) CHECK(g(7, 8 + j) == Approx(m.fill[1][j]).margin(1e-6));
  // PCA: the fused rows' principal coordinates.
  const auto p = em::fusion({.projection = em::fusion_projection::pca, .dims = 3}).fit(blocks);
  CHECK(p.dim() == 3);
  CHECK(p.transform(blocks).shape(1) == 3);
  // CCA: a record seen through one modality lands near where both put it.
  const auto c = em::fusion({.projection = em::fusion_projection::cca, .dims = 3}).fit(blocks);
  const auto both = c.transform(blocks);
  em::modality_presence only_x{std::vector<bool>(600, true), std::vector<bool>(600, false)};
  const auto from_x = c.transform(blocks, only_x);
  double agree = 0.0;
  for (std::size_t comp = 0; comp < 3; ++comp) agree += pearson(both, comp, from_x, comp);
  CHECK(agree / 3.0 > 0.95);
  using Catch::Matchers::Contains;
  CHECK_THROWS_WITH(em::fusion({.projection = em::fusion_projection::cca, .dims = 2}).fit(std::vector<matrix<float>>{x, y, x}), Contains("exactly two"));
  CHECK_THROWS_WITH(em::fusion({.projection = em::fusion_projection::pca}).fit(blocks), Contains("dims"));
  CHECK_THROWS_WITH(plain.transform(std::vector<matrix<float>>{x}), Contains("1 modalities given, 2 fitted"));
  em::modality_presence none{std::vector<bool>(600, true), std::vector<bool>(600, false)};
  CHECK_THROWS_WITH(em::fusion().fit(blocks, none), Contains("absent from every record"));
}
