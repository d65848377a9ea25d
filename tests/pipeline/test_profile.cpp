// Segment profiles and c-TF-IDF keywords, against direct computations of their definitions.
#include <catch2/catch.hpp>

#include <cmath>
#include <string>
#include <vector>

#include "support/data.hpp"

#include <segkit/monitor/statistics.hpp>
#include <segkit/pipeline/keywords.hpp>
#include <segkit/pipeline/profile.hpp>

namespace pl = segkit::pipeline;
using segkit::label_type;

TEST_CASE("tokenize: lower case, alphanumeric runs, no stop words or numbers", "[pipeline][keywords]") {
  CHECK(pl::tokenize("The Espresso-beans of 2024, roasted & GROUND!") == std::vector<std::string>{"espresso", "beans", "roasted", "ground"});
  CHECK(pl::tokenize("a b to", {.min_length = 1, .stop_words = false}) == std::vector<std::string>{"a", "b", "to"});
  for (const char* w : {"a", "about", "the", "their", "with", "your", "while"}) CHECK(pl::detail::is_stop_word(w));
  CHECK_FALSE(pl::detail::is_stop_word("coffee"));
}

TEST_CASE("keywords_by_segment: c-TF-IDF weights and names", "[pipeline][keywords]") {
  const std::vector<std::string> docs{"coffee espresso beans", "espresso coffee grinder", "coffee beans roast",
                                      "trail running shoes",   "running shoes socks",     "trail running jacket", "coffee mug"};
  const std::vector<label_type> labels{0, 0, 0, 1, 1, 1, -1};
  const auto kw = pl::keywords_by_segment(docs, labels, {.top = 3, .name_terms = 2});
  REQUIRE(kw.size() == 2);  // noise skipped
  CHECK(kw[0].segment == 0);
  CHECK(kw[0].documents == 3);
  CHECK(kw[0].name == "coffee-beans");
  CHECK(kw[1].name == "running-shoes");
  // By hand for "coffee" in segment 0. Terms seen at least twice over both classes: coffee 3,
  // espresso 2, beans 2 (class 0: 7 tokens) and trail 2, running 3, shoes 2 (class 1: 7 tokens);
  // A = 18 tokens / 2 classes; weight = 3/7 * log(1 + 9 / 3).
  REQUIRE(kw[0].terms.size() == 3);
  CHECK(kw[0].terms[0].first == "coffee");
  CHECK(kw[0].terms[0].second == Approx(3.0 / 7.0 * std::log(1.0 + 9.0 / 3.0)));
  CHECK(kw[0].terms[1].second == Approx(2.0 / 7.0 * std::log(1.0 + 9.0 / 2.0)));
  CHECK_THROWS_AS(pl::keywords_by_segment(docs, std::vector<label_type>{0}), segkit::invalid_argument);
}

TEST_CASE("profile_segments: lifts, Welch tests, top features, categories and names", "[pipeline][profile]") {
  const std::size_t n = 900;
  segkit::matrix<double> x = xt::cast<double>(segkit::test::normal_matrix(n, 4, 3));
  std::vector<label_type> labels(n);
  pl::categorical_columns cats{{"region"}, {std::vector<std::string>(n)}};
  for (std::size_t i = 0; i < n; ++i) {
    labels[i] = static_cast<label_type>(i % 3);
    x(i, 0) += 10.0;                          // a positive feature, so lifts are meaningful
    if (i % 3 == 1) x(i, 2) += 2.0;           // segment 1: high f2
    if (i % 3 == 2) x(i, 1) -= 1.5;           // segment 2: low f1
    cats.values[0][i] = (i % 3 == 0 && i % 9 != 0) ? "EU" : (i % 2 ? "US" : "APAC");
  }
  const auto prof = pl::profile_segments(x, labels, {.feature_names = {"age", "income", "visits", "basket"}}, cats);
  REQUIRE(prof.size() == 3);
  const auto& s1 = prof[1];
  CHECK(s1.segment == 1);
  CHECK(s1.size == 300);
  CHECK(s1.share == Approx(1.0 / 3.0));
  REQUIRE_FALSE(s1.top_features.empty());
  CHECK(s1.top_features.front() == 2);
  CHECK(s1.name == "high-visits");
  CHECK(prof[2].name == "low-income");
  // Welch's test of a segment against the rest, recomputed from the rows.
  std::vector<double> in, rest;
  for (std::size_t i = 0; i < n; ++i) (labels[i] == 1 ? in : rest).push_back(x(i, 2));
  const auto want = segkit::monitor::welch_t_test(in, rest);
  CHECK(s1.features[2].test.statistic == Approx(want.statistic).epsilon(1e-9));
  CHECK(s1.features[2].test.p_value == Approx(want.p_value).epsilon(1e-6).margin(1e-300));
  CHECK(s1.features[2].significant);
  CHECK_FALSE(s1.features[3].significant);
  double mean0 = 0.0, all0 = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    all0 += x(i, 0) / n;
    if (labels[i] == 1) mean0 += x(i, 0) / 300.0;
  }
  CHECK(s1.centroid[0] == Approx(mean0));
  CHECK(s1.features[0].lift == Approx(mean0 / all0));
  // Segment 0 is mostly EU: the category is over-represented and significant.
  REQUIRE_FALSE(prof[0].top_categories.empty());
  const auto& eu = prof[0].top_categories.front();
  CHECK(eu.attribute == "region");
  CHECK(eu.value == "EU");
  CHECK(eu.segment_share == Approx(200.0 / 300.0));
  CHECK(eu.lift == Approx((200.0 / 300.0) / (200.0 / 900.0)));
  const xt::xtensor<std::int64_t, 2> table{{200, 100}, {0, 600}};
  CHECK(eu.p_value == Approx(segkit::monitor::chi_square_test(table).p_value));
  // With documents the name comes from the keywords.
  std::vector<std::string> docs(n);
  for (std::size_t i = 0; i < n; ++i) docs[i] = i % 3 == 0 ? "espresso coffee beans" : (i % 3 == 1 ? "trail running shoes" : "garden hose tools");
  const auto named = pl::profile_segments(x, labels, {.keywords = {.name_terms = 2}}, {}, docs);
  CHECK(named[0].name.find("coffee") != std::string::npos);
  CHECK(named[0].keywords.size() == 3);
  using Catch::Matchers::Contains;
  CHECK_THROWS_WITH(pl::profile_segments(x, std::vector<label_type>{0, 1}), Contains("2 labels for 900 rows"));
  CHECK_THROWS_WITH(pl::profile_segments(x, labels, {.feature_names = {"a"}}), Contains("1 feature names for 4 columns"));
}

TEST_CASE("split_columns: numeric columns become features, the others categories", "[pipeline][profile]") {
  const segkit::csv_table table({"age", "plan", "spend", "code"},
                                {{"31", "basic", "10.5", "7"}, {"45", "premium", "99", "x9"}, {"28", "basic", "1e2", "12"}}, "t.csv");
  const std::vector<std::string> names{"spend", "plan", "code", "age"};
  const auto c = pl::split_columns(table, names);
  // The order asked for; "code" holds a non-number, so it is categorical.
  REQUIRE(c.numeric_names == std::vector<std::string>{"spend", "age"});
  REQUIRE(c.numeric.shape(0) == 3);
  CHECK(c.numeric(2, 0) == 100.0);
  CHECK(c.numeric(1, 1) == 45.0);
  CHECK(c.categorical.names == std::vector<std::string>{"plan", "code"});
  CHECK(c.categorical.values[1] == std::vector<std::string>{"7", "x9", "12"});
  const std::vector<std::string> missing{"age", "income"};
  CHECK_THROWS_WITH(pl::split_columns(table, missing), Catch::Contains("income"));
}
