// Tabular features: scalers and one-hot against scikit-learn 1.2.1 (tests/data/make_tabular_fixture.py),
// frequency encoding and RFM worked out by hand, bad input.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <segkit/core/npy.hpp>
#include <segkit/core/parse.hpp>
#include <segkit/embed/tabular.hpp>

namespace fs = std::filesystem;
namespace em = segkit::embed;

namespace {
fs::path fixture(const std::string& name) { return fs::path(SEGKIT_TEST_DATA) / "tabular" / name; }

std::vector<std::string> lines(const std::string& name) {
  std::ifstream in(fixture(name));
  std::vector<std::string> out;
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

/// "a,b,c" lines as three columns.
std::vector<std::vector<std::string>> columns(const std::string& name) {
  std::vector<std::vector<std::string>> cols(3);
  for (const auto& l : lines(name)) {
    const auto a = l.find(','), b = l.find(',', a + 1);
    cols[0].push_back(l.substr(0, a));
    cols[1].push_back(l.substr(a + 1, b - a - 1));
    cols[2].push_back(l.substr(b + 1));
  }
  return cols;
}

void check_vector(const std::vector<double>& got, const std::string& name) {
  const auto want = segkit::load_npy_vector<double>(fixture(name));
  REQUIRE(got.size() == want.size());
  for (std::size_t j = 0; j < got.size(); ++j) CHECK(got[j] == Approx(want(j)).epsilon(1e-12));
}
}  // namespace

TEST_CASE("scalers equal scikit-learn's StandardScaler and RobustScaler; constant columns map to 0", "[embed][tabular]") {
  const auto x = segkit::load_npy_matrix<double>(fixture("X.npy"));
  const auto standard = em::scaler().fit(x);
  check_vector(standard.center, "standard_center.npy");
  check_vector(standard.scale, "standard_scale.npy");
  const auto y = standard.transform(x);
  const auto want = segkit::load_npy_matrix<double>(fixture("standard_Y.npy"));
  for (std::size_t i = 0; i < x.shape(0); ++i) {
    for (std::size_t j = 0; j < x.shape(1); ++j) REQUIRE(y(i, j) == Approx(want(i, j)).margin(1e-6));
    CHECK(y(i, 2) == 0.0f);  // the constant column
  }
  const auto back = standard.inverse_transform(y);
  CHECK(back(4, 1) == Approx(x(4, 1)).epsilon(1e-6));
  const auto robust = em::scaler({.method = em::scaling::robust}).fit(x);
  check_vector(robust.center, "robust_center.npy");
  check_vector(robust.scale, "robust_scale.npy");
  check_vector(em::scaler({.method = em::scaling::robust, .lower_percentile = 10, .upper_percentile = 90}).fit(x).scale, "robust1090_scale.npy");
  const auto none = em::scaler({.method = em::scaling::none}).fit(x).transform(x);
  CHECK(none(3, 0) == static_cast<float>(x(3, 0)));
  using Catch::Matchers::Contains;
  CHECK_THROWS_WITH(em::scaler({.method = em::scaling::robust, .lower_percentile = 80, .upper_percentile = 20}).fit(x), Contains("percentiles"));
  CHECK_THROWS_WITH(standard.transform(segkit::matrix<double>::from_shape({2, 3})), Contains("3 columns"));
  auto bad = x;
  bad(0, 0) = std::nan("");
  CHECK_THROWS_WITH(em::scaler().fit(bad), Contains("non-finite"));
}

TEST_CASE("one-hot equals scikit-learn's OneHotEncoder (ignore unknown, min_frequency); frequency encoding", "[embed][tabular]") {
  const auto train = columns("cats.txt"), fresh = columns("cats_new.txt");
  const auto m = em::one_hot({.min_frequency = 6}).fit(train);
  const auto want = segkit::load_npy_matrix<double>(fixture("onehot_Y.npy"));
  const auto y = m.transform(fresh);
  REQUIRE(y.shape(1) == want.shape(1));
  REQUIRE(m.dim() == want.shape(1));
  for (std::size_t i = 0; i < y.shape(0); ++i) {
    for (std::size_t j = 0; j < y.shape(1); ++j) CHECK(y(i, j) == static_cast<float>(want(i, j)));
  }
  // Names follow scikit-learn's, with segkit's spelling of the infrequent column.
  const std::vector<std::string> features{"colour", "size", "shop"};
  auto names = m.column_names(features);
  auto sk = lines("onehot_names.txt");
  for (auto& s : sk) {
    const auto u = s.find('_');
    s = s.substr(0, u) + "=" + (s.substr(u + 1) == "infrequent_sklearn" ? "(infrequent)" : s.substr(u + 1));
  }
  CHECK(names == sk);
  using Catch::Matchers::Contains;
  CHECK_THROWS_WITH(em::one_hot({.ignore_unknown = false}).fit(train).transform(fresh), Contains("'purple' was not seen"));
  CHECK_THROWS_WITH(em::one_hot().fit({}), Contains("no categorical"));
  const std::vector<std::vector<std::string>> c{{"a", "b", "a", "a"}};
  const auto f = em::fit_frequency(c);
  const std::vector<std::vector<std::string>> q{{"a", "b", "z"}};
  const auto fy = f.transform(q);
  CHECK(fy(0, 0) == 0.75f);
  CHECK(fy(1, 0) == 0.25f);
  CHECK(fy(2, 0) == 0.0f);
}

TEST_CASE("rfm: recency in days, frequency, total or mean spend, quintile scores; bad input", "[embed][tabular]") {
  const auto t = [](const char* s) { return *segkit::parse_timestamp(s); };
  const std::vector<em::transaction> tx{
      {7, t("2026-01-01"), 10.0}, {7, t("2026-01-11"), 30.0}, {3, t("2026-01-05"), 100.0}, {9, t("2026-01-20"), 5.0},
      {9, t("2026-01-21"), 5.0},  {9, t("2026-01-21T12:00"), 5.0}, {5, t("2025-12-01"), 60.0}, {8, t("2026-01-15"), 20.0},
  };
  const auto r = em::rfm(tx, {.as_of = t("2026-01-31")});
  REQUIRE(r.customers == std::vector<segkit::id_type>{3, 5, 7, 8, 9});
  CHECK(r.values(0, 0) == Approx(26.0));  // customer 3: last 2026-01-05
  CHECK(r.values(4, 0) == Approx(9.5));   // customer 9: last 2026-01-21 12:00
  CHECK(r.values(4, 1) == 3.0);
  CHECK(r.values(2, 2) == 40.0);
  const auto mean = em::rfm(tx, {.as_of = t("2026-01-31"), .monetary_mean = true});
  CHECK(mean.values(2, 2) == 20.0);
  // Scores: 5 customers, one per quintile. Recency best: 9 (9.5 d), then 7, 8, 3, 5.
  CHECK(r.scores(4, 0) == 5);
  CHECK(r.scores(1, 0) == 1);
  CHECK(r.scores(4, 1) == 5);  // three purchases
  CHECK(r.scores(0, 2) == 5);  // 100 spent
  CHECK(r.scores(4, 2) == 1);  // 15 spent
  // as_of defaults to the latest transaction.
  CHECK(em::rfm(tx).values(4, 0) == 0.0);
  using Catch::Matchers::Contains;
  CHECK_THROWS_WITH(em::rfm({}), Contains("no transactions"));
  CHECK_THROWS_WITH(em::rfm(tx, {.as_of = t("2026-01-10")}), Contains("after as_of"));
}
