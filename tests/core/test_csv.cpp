#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include <segkit/core/csv.hpp>

TEST_CASE("csv: quotes, doubled quotes, embedded newlines, CRLF and BOM", "[core][csv]") {
  const std::string text =
      "\xEF\xBB\xBFid,title,notes\r\n"
      "1,\"Shoe, running\",\"said \"\"fast\"\"\"\r\n"
      "2,plain,\"line one\nline two\"\n"
      "3,,\n";
  const auto t = segkit::parse_csv(text);
  REQUIRE(t.header() == std::vector<std::string>{"id", "title", "notes"});
  REQUIRE(t.row_count() == 3);
  CHECK(t.rows()[0][1] == "Shoe, running");
  CHECK(t.rows()[0][2] == "said \"fast\"");
  CHECK(t.rows()[1][2] == "line one\nline two");
  CHECK(t.rows()[2][1].empty());
  CHECK(t.rows()[2][2].empty());
  const auto titles = t.column("title");
  CHECK(titles[1] == "plain");
}

TEST_CASE("csv: no trailing newline, custom delimiter, no header", "[core][csv]") {
  const auto t = segkit::parse_csv("a;b\nc;d", {.delimiter = ';', .header = false});
  CHECK(t.header().empty());
  REQUIRE(t.row_count() == 2);
  CHECK(t.rows()[1][1] == "d");
  CHECK(t.column_count() == 2);
}

TEST_CASE("csv: errors name the line", "[core][csv]") {
  CHECK_THROWS_WITH(segkit::parse_csv("a,b\n1,2\n3\n", {}, "x.csv"), Catch::Contains("'x.csv' line 3: 1 field(s), but the header has 2"));
  // The record on line 4 follows a field spanning lines 2-3.
  CHECK_THROWS_WITH(segkit::parse_csv("a,b\n\"x\ny\",2\n1,2,3\n"), Catch::Contains("line 4: 3 field(s)"));
  CHECK_THROWS_WITH(segkit::parse_csv("a,b\n1,\"open\n"), Catch::Contains("line 2: quoted field is not closed"));
  CHECK_THROWS_WITH(segkit::parse_csv("a,b\n\"x\"y,2\n"), Catch::Contains("line 2: unexpected character 'y' after a closing quote"));
  CHECK_THROWS_WITH(segkit::parse_csv("a,b\nx\"y,2\n"), Catch::Contains("quote inside an unquoted field"));
  CHECK_THROWS_AS(segkit::parse_csv("a,b\n1\n"), segkit::format_error);
  const auto t = segkit::parse_csv("a,b\n1,2\n");
  CHECK_THROWS_WITH(t.column("c"), Catch::Contains("has no column 'c' (columns: a, b)"));
}

TEST_CASE("csv: reads files and reports missing ones", "[core][csv]") {
  const auto p = std::filesystem::temp_directory_path() / "segkit_test.csv";
  {
    std::ofstream f(p);
    f << "name,n\nx,1\n";
  }
  const auto t = segkit::read_csv(p);
  CHECK(t.rows()[0][0] == "x");
  CHECK_THROWS_AS(segkit::read_csv("/nonexistent/file.csv"), segkit::io_error);
  CHECK(segkit::parse_csv("").row_count() == 0);
}
