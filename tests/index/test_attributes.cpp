#include <catch2/catch.hpp>

#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "support/data.hpp"
#include "support/knn.hpp"

#include <segkit/core/csv.hpp>
#include <segkit/index/attributes.hpp>
#include <segkit/index/flat.hpp>
#include <segkit/index/hnsw.hpp>

namespace fs = std::filesystem;
using segkit::id_type;
using segkit::index::attribute_filter;
using segkit::index::attribute_table;

namespace {
std::shared_ptr<const attribute_table> customers() {
  const std::string csv =
      "id,region,age,spend,last_purchase,tier:string\n"
      "1,EU,34,120.5,2026-11-01,1\n"
      "2,US,51,80,2026-10-01T12:00:00Z,2\n"
      "3,EU,29,,2026-11-20,2\n"
      "4,APAC,,300.25,,3\n"
      "5,\"EU, West\",45,10,2025-01-01,1\n";
  return std::make_shared<const attribute_table>(attribute_table::from_csv(segkit::parse_csv(csv, {}, "customers.csv")));
}

std::vector<id_type> passing(const attribute_filter& f) {
  std::vector<id_type> out;
  for (id_type id = 0; id <= 6; ++id) {
    if (f(id)) out.push_back(id);
  }
  return out;
}

constexpr std::int64_t now_2026_11_24 = 1795478400;  // 2026-11-24T00:00:00Z
}  // namespace

TEST_CASE("attributes: CSV types are inferred or declared; nulls and quoting kept", "[index][attributes]") {
  const auto t = customers();
  REQUIRE(t->size() == 5);
  CHECK(t->find("region")->type == segkit::index::attribute_type::text);
  CHECK(t->find("age")->type == segkit::index::attribute_type::integer);
  CHECK(t->find("spend")->type == segkit::index::attribute_type::real);
  CHECK(t->find("last_purchase")->type == segkit::index::attribute_type::timestamp);
  CHECK(t->find("tier")->type == segkit::index::attribute_type::text);  // declared
  CHECK(t->find("id") == nullptr);
  const auto& lp = *t->find("last_purchase");
  CHECK(lp.ints[*t->row_of(1)] == now_2026_11_24 - 23 * 86400);
  CHECK(lp.ints[*t->row_of(2)] == now_2026_11_24 - 54 * 86400 + 12 * 3600);
  CHECK(lp.is_null[*t->row_of(4)] == 1);
  CHECK(segkit::parse_timestamp("1970-01-01") == 0);
  CHECK(segkit::parse_timestamp("2000-03-01T00:00") == 951868800);
  CHECK_FALSE(segkit::parse_timestamp("2000-13-01").has_value());
}

TEST_CASE("attribute filters: comparisons, sets, boolean logic, dates and nulls", "[index][attributes]") {
  const auto t = customers();
  const auto f = [&](const char* e) { return passing(attribute_filter::parse(e, t, now_2026_11_24)); };
  CHECK(f("region == 'EU'") == std::vector<id_type>{1, 3});
  CHECK(f("region = \"EU, West\"") == std::vector<id_type>{5});
  CHECK(f("region != 'EU'") == std::vector<id_type>{2, 4, 5});
  CHECK(f("age >= 34") == std::vector<id_type>{1, 2, 5});
  CHECK(f("age < 34") == std::vector<id_type>{3});  // id 4 has no age: null is never < 34
  CHECK(f("not age < 34") == std::vector<id_type>{0, 1, 2, 4, 5, 6});  // not of a null comparison is true
  CHECK(f("spend > 100 and spend <= 300.25") == std::vector<id_type>{1, 4});
  CHECK(f("region in ('EU', 'APAC') and (age > 30 or spend > 200)") == std::vector<id_type>{1, 4});
  CHECK(f("tier not in ('1', '3')") == std::vector<id_type>{2, 3});
  CHECK(f("age in (29, 51)") == std::vector<id_type>{2, 3});
  CHECK(f("region == 'EU' and last_purchase >= now - 30 days") == std::vector<id_type>{1, 3});
  CHECK(f("last_purchase >= now - 30 days") == std::vector<id_type>{1, 3});
  CHECK(f("last_purchase < '2026-01-01'") == std::vector<id_type>{5});
  CHECK(f("last_purchase > now + 1 week") == std::vector<id_type>{});
  CHECK(f("region == 'Mars'") == std::vector<id_type>{});
  CHECK(f("NOT (region == 'EU' OR region == 'US')") == std::vector<id_type>{0, 4, 5, 6});
  CHECK(f("age > -1e3") == std::vector<id_type>{1, 2, 3, 5});
  CHECK(attribute_filter::parse("region == 'EU'", t).selectivity() == Approx(0.4));
}

TEST_CASE("attribute filters: bad expressions give the position and the problem", "[index][attributes]") {
  const auto t = customers();
  const auto bad = [&](const char* e, const char* message) {
    INFO(e);
    CHECK_THROWS_WITH(attribute_filter::parse(e, t), Catch::Contains(message));
  };
  bad("", "empty filter expression");
  bad("country == 'EU'", "at position 1: unknown attribute 'country'");
  bad("region > 'EU'", "'region' is a string attribute: only ==, != and in apply");
  bad("region == 3", "expected a quoted string");
  bad("age == 'old'", "'age' is a numeric attribute: expected a number");
  bad("age == 3 and", "expected a column name, found the end");
  bad("(age == 3", "expected ')'");
  bad("age == 3)", "unexpected ')' after a complete expression");
  bad("region == 'EU", "unterminated string");
  bad("age ! 3", "'!' must be followed by '='");
  bad("age == 3 # x", "unexpected character '#'");
  bad("last_purchase > now - 3 fortnights", "expected a time unit");
  bad("last_purchase > '24/11/2026'", "is not a date");
  bad("age not 3", "expected 'in' after 'not'");
  bad("age in 3", "expected '(' after 'in'");
  bad("age in (1 2)", "expected ',' or ')'");
  CHECK_THROWS_WITH(attribute_filter::parse(std::string(20000, '('), t), Catch::Contains("nested too deeply"));
  std::string nots;
  for (int i = 0; i < 5000; ++i) nots += "not ";
  CHECK_THROWS_WITH(attribute_filter::parse(nots + "age > 3", t), Catch::Contains("nested too deeply"));
}

TEST_CASE("attributes: CSV errors name row and column; tables round-trip through a container", "[index][attributes]") {
  const auto parse = [](const std::string& csv) { return attribute_table::from_csv(segkit::parse_csv(csv, {}, "x.csv")); };
  CHECK_THROWS_WITH(parse("key,a\n1,2\n"), Catch::Contains("no 'id' column"));
  CHECK_THROWS_WITH(parse("id,a\nx,2\n"), Catch::Contains("row 1: id 'x' is not a non-negative integer"));
  CHECK_THROWS_WITH(parse("id,a\n1,2\n1,3\n"), Catch::Contains("row 2: id 1 appears twice"));
  CHECK_THROWS_WITH(parse("id,a:int\n1,2.5\n"), Catch::Contains("row 1, column 'a': '2.5' is not an integer"));
  CHECK_THROWS_WITH(parse("id,a:date\n1,2\n"), Catch::Contains("unknown type 'date'"));

  const auto t = customers();
  const auto path = fs::temp_directory_path() / "segkit_attributes.seg";
  segkit::container_writer w("segkit.test.attributes");
  t->write(w);
  w.commit(path);
  const segkit::container_reader file(path, "segkit.test.attributes");
  REQUIRE(attribute_table::present(file));
  const auto back = std::make_shared<const attribute_table>(attribute_table::read(file));
  const char* e = "region in ('EU', 'APAC') and (age > 30 or spend > 200) or last_purchase < '2026-01-01'";
  CHECK(passing(attribute_filter::parse(e, back, now_2026_11_24)) == passing(attribute_filter::parse(e, t, now_2026_11_24)));
  fs::remove(path);
}

TEST_CASE("attribute filters drive a search: results equal brute force over the matching ids", "[index][attributes]") {
  const std::size_t n = 2000;
  std::string csv = "id,region,age\n";
  const char* regions[] = {"EU", "US", "APAC", "LATAM"};
  for (std::size_t i = 0; i < n; ++i) csv += fmt::format("{},{},{}\n", i, regions[i % 4], 18 + (i * 7) % 60);
  const auto t = std::make_shared<const attribute_table>(attribute_table::from_csv(segkit::parse_csv(csv, {}, "x.csv")));
  const auto f = attribute_filter::parse("region == 'EU' and age >= 40", t);
  const auto base = segkit::test::blobs(n, 8, 10, 31);
  segkit::index::flat<> index(8);
  index.add(segkit::test::iota_ids(n), base);
  const auto q = segkit::test::blobs(20, 8, 10, 32);
  const auto got = index.search(q, 5, {}, f);
  for (std::size_t i = 0; i < 20; ++i) {
    for (std::size_t j = 0; j < 5; ++j) {
      const auto id = got.ids(i, j);
      REQUIRE(id != segkit::no_id);
      CHECK(id % 4 == 0);
      CHECK(18 + (id * 7) % 60 >= 40);
    }
  }
}

TEST_CASE("hnsw with attribute filters: recall >= 0.95 at selectivity 50 %, 10 %, 1 %, 0.1 %", "[index][attributes][hnsw][slow]") {
  // Rows spread over 1,000 buckets (bucket = id mod 1000, uncorrelated with the vectors); the
  // filter "bucket < m" keeps m/1000 of them. Below 2 % the planner scans the matching vectors.
  const std::size_t n = 20000;
  std::string csv = "id,bucket\n";
  for (std::size_t i = 0; i < n; ++i) csv += fmt::format("{},{}\n", i, (i * 7919) % 1000);
  const auto t = std::make_shared<const attribute_table>(attribute_table::from_csv(segkit::parse_csv(csv, {}, "x.csv")));
  const auto base = segkit::test::blobs(n, 16, 40, 41);
  const auto ids = segkit::test::iota_ids(n);
  segkit::index::flat<> exact(16);
  exact.add(ids, base);
  segkit::index::hnsw<> graph(16);
  graph.add(ids, base);
  graph.set_attributes(t);
  const auto q = segkit::test::blobs(100, 16, 40, 42);
  for (const int m : {500, 100, 10, 1}) {
    const auto f = attribute_filter::parse(fmt::format("bucket < {}", m), t);
    INFO("selectivity " << f.selectivity());
    CHECK(f.selectivity() == Approx(m / 1000.0).margin(0.01));
    CHECK(segkit::test::recall(graph.search(q, 10, {.ef = 100}, f), exact.search(q, 10, {}, f)) >= 0.95);
  }
  // The attributes travel with the index file.
  const auto path = fs::temp_directory_path() / "segkit_hnsw_attrs.seg";
  graph.save(path);
  const auto back = segkit::index::hnsw<>::load(path);
  REQUIRE(back.attributes() != nullptr);
  const auto f = attribute_filter::parse("bucket < 100", back.attributes());
  CHECK((back.search(q, 10, {.ef = 100}, f).ids == graph.search(q, 10, {.ef = 100}, f).ids));
  fs::remove(path);
}
