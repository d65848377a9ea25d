// Drift statistics against scipy 1.10.1 fixtures (tests/data/make_drift_fixture.py) and against
// their definitions.
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include <segkit/core/npy.hpp>
#include <segkit/core/random.hpp>
#include <segkit/monitor/statistics.hpp>

namespace fs = std::filesystem;
namespace mon = segkit::monitor;

namespace {
fs::path fixture(const std::string& name) { return fs::path(SEGKIT_TEST_DATA) / "monitor" / name; }
std::vector<double> load(const std::string& name) {
  const auto v = segkit::load_npy_vector<double>(fixture(name));
  return {v.begin(), v.end()};
}
}  // namespace

TEST_CASE("ks_2samp equals scipy's statistic and p-value, exact and asymptotic", "[monitor][ks]") {
  for (const std::string name : {"same50", "shift", "ties", "mid", "big", "bigdrift", "lopsided", "forced", "mid2", "dmtw"}) {
    INFO("case " << name);
    const auto a = load("ks_" + name + "_a.npy");
    const auto b = load("ks_" + name + "_b.npy");
    const auto want = load("ks_" + name + "_result.npy");
    const auto method = want[2] == 0.0 ? mon::ks_method::automatic : (want[2] == 1.0 ? mon::ks_method::exact : mon::ks_method::asymptotic);
    const auto r = mon::ks_2samp(a, b, method);
    CHECK(r.statistic == Approx(want[0]).margin(1e-12));
    CHECK(r.p_value == Approx(want[1]).epsilon(1e-9).margin(1e-13));
    // Swapping the samples changes only the sign.
    const auto s = mon::ks_2samp(b, a, method);
    CHECK(s.statistic == r.statistic);
    CHECK(s.p_value == Approx(r.p_value).epsilon(1e-12));
    CHECK(s.sign == -r.sign);
  }
}

TEST_CASE("chi-square test and tail equal scipy's", "[monitor][chi2]") {
  for (const std::string name : {"two_by_five", "two_by_two", "three_by_four"}) {
    INFO("case " << name);
    const auto t = segkit::load_npy_matrix<std::int64_t>(fixture("chi2_" + name + "_table.npy"));
    const auto want = load("chi2_" + name + "_result.npy");
    const auto r = mon::chi_square_test(t);
    CHECK(r.statistic == Approx(want[0]).epsilon(1e-12));
    CHECK(r.p_value == Approx(want[1]).epsilon(1e-10));
    CHECK(static_cast<double>(r.dof) == want[2]);
  }
  const auto sf = segkit::load_npy_matrix<double>(fixture("chi2_sf.npy"));
  for (std::size_t i = 0; i < sf.shape(0); ++i) {
    INFO("x " << sf(i, 0) << " dof " << sf(i, 1));
    CHECK(mon::chi_square_sf(sf(i, 0), sf(i, 1)) == Approx(sf(i, 2)).epsilon(1e-10));
  }
}

TEST_CASE("kolmogorov_sf: the asymptotic forms agree with Durbin's exact matrix method", "[monitor][ks]") {
  // Where scipy switches to the Pelz-Good series (n x^1.5 > 1.4) or twice the one-sided tail
  // (n x^2 >= 2.2), the exact matrix method still applies at this n: the values must agree.
  for (const std::uint64_t n : {300u, 1000u}) {
    for (const double x : {0.02, 0.035, 0.05, 0.07, 0.09}) {
      INFO("n " << n << " x " << x);
      const double exact = 1.0 - mon::detail::durbin_cdf(n, x);
      CHECK(mon::kolmogorov_sf(n, x) == Approx(exact).epsilon(1e-6).margin(1e-12));
    }
  }
  // Ends and monotonicity.
  CHECK(mon::kolmogorov_sf(50, 0.0) == 1.0);
  CHECK(mon::kolmogorov_sf(50, 1.0) == 0.0);
  CHECK(mon::kolmogorov_sf(50, 0.009) == 1.0);                                 // n x <= 1/2
  CHECK(mon::kolmogorov_sf(50, 0.99) == Approx(2.0 * std::pow(0.01, 50.0)));   // n x >= n - 1
  double last = 1.0;
  for (double x = 0.001; x < 0.2; x += 0.001) {
    const double p = mon::kolmogorov_sf(2000, x);
    REQUIRE(p <= last + 1e-9);
    last = p;
  }
}

TEST_CASE("ks_2samp: exact unequal sizes agree with enumeration; bad input is refused", "[monitor][ks]") {
  // Every split of 5 + 4 pooled distinct values: the exact p-value is the share of splits whose
  // statistic is at least the observed one.
  const std::vector<double> a{0.1, 0.4, 0.5, 0.8, 0.9}, b{0.2, 0.3, 0.6, 0.7};
  const auto r = mon::ks_2samp(a, b, mon::ks_method::exact);
  std::vector<double> pooled{0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9};
  std::size_t at_least = 0, total = 0;
  for (unsigned mask = 0; mask < (1u << 9); ++mask) {
    if (__builtin_popcount(mask) != 5) continue;
    std::vector<double> x, y;
    for (unsigned i = 0; i < 9; ++i) ((mask >> i) & 1u ? x : y).push_back(pooled[i]);
    ++total;
    at_least += mon::ks_2samp(x, y, mon::ks_method::exact).statistic >= r.statistic - 1e-12 ? 1 : 0;
  }
  CHECK(total == 126);
  CHECK(r.p_value == Approx(static_cast<double>(at_least) / 126.0).epsilon(1e-12));
  using Catch::Matchers::Contains;
  CHECK_THROWS_WITH(mon::ks_2samp(std::vector<double>{}, a), Contains("sizes 0 and 5"));
  CHECK_THROWS_WITH(mon::ks_2samp(a, std::vector<double>{1.0, std::nan("")}), Contains("sample b holds NaN at 1"));
  CHECK_THROWS_WITH(mon::chi_square_test(xt::xtensor<std::int64_t, 2>{{1, 0}, {2, 0}}), Contains("column 1 sums to 0"));
  CHECK_THROWS_WITH(mon::chi_square_test(xt::xtensor<std::int64_t, 2>{{1, -1}, {2, 3}}), Contains("negative"));
}

TEST_CASE("Welch's t-test and Student's t tail equal scipy's", "[monitor][ttest]") {
  for (const std::string name : {"small", "shifted", "equal"}) {
    INFO("case " << name);
    const auto a = load("welch_" + name + "_a.npy");
    const auto b = load("welch_" + name + "_b.npy");
    const auto want = load("welch_" + name + "_result.npy");
    const auto r = mon::welch_t_test(a, b);
    CHECK(r.statistic == Approx(want[0]).epsilon(1e-12));
    CHECK(r.p_value == Approx(want[1]).epsilon(1e-10));
  }
  const auto t = segkit::load_npy_matrix<double>(fixture("t_sf.npy"));
  for (std::size_t i = 0; i < t.shape(0); ++i) {
    INFO("t " << t(i, 0) << " dof " << t(i, 1));
    CHECK(mon::student_t_sf(t(i, 0), t(i, 1)) == Approx(t(i, 2)).epsilon(1e-10));
  }
  CHECK(std::isnan(mon::welch_t_test(1.0, 0.0, 5, 2.0, 0.0, 5).p_value));
  CHECK_THROWS_AS(mon::welch_t_test(std::vector<double>{1.0}, std::vector<double>{1.0, 2.0}), segkit::invalid_argument);
  CHECK(mon::regularized_beta(2.0, 3.0, 0.4) == Approx(0.5248).epsilon(1e-12));  // 1 - (0.6^4 + 4 * 0.4 * 0.6^3)
}
