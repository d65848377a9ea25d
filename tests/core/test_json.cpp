// The configuration JSON reader: values, escapes, and errors with line and column.
#include <catch2/catch.hpp>

#include <string>

#include <segkit/core/json.hpp>

TEST_CASE("parse_json reads every kind of value", "[core][json]") {
  const auto v = segkit::parse_json(R"( {"a": [1, -2.5e1, true, false, null], "s": "x\"y\u00e9\n", "o": {}} )");
  REQUIRE(v.is_object());
  const auto& o = v.as_object();
  const auto& a = o.at("a").as_array();
  REQUIRE(a.size() == 5);
  CHECK(a[0].as_number() == 1.0);
  CHECK(a[1].as_number() == -25.0);
  CHECK(a[2].as_bool());
  CHECK_FALSE(a[3].as_bool());
  CHECK(a[4].is_null());
  CHECK(o.at("s").as_string() == "x\"y\xc3\xa9\n");
  CHECK(o.at("o").as_object().empty());
  CHECK(o.at("a").type_name() == "array");
  CHECK(segkit::parse_json("[]").as_array().empty());
  CHECK(segkit::parse_json("\"\"").as_string().empty());
}

TEST_CASE("parse_json errors name the source, line and column", "[core][json]") {
  const auto error_of = [](const std::string& text) {
    try {
      (void)segkit::parse_json(text, "p.json");
    } catch (const segkit::format_error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK(error_of("{\n  \"a\": 1,\n  \"b\" 2\n}").find("p.json: line 3, column 7: expected ':'") != std::string::npos);
  CHECK(error_of("{\"a\": 1, \"a\": 2}").find("key 'a' appears twice") != std::string::npos);
  CHECK(error_of("[1, 2").find("expected ']'") != std::string::npos);
  CHECK(error_of("\"abc").find("unterminated string") != std::string::npos);
  CHECK(error_of("{\"a\": tru}").find("unexpected character 't'") != std::string::npos);
  CHECK(error_of("1 2").find("unexpected text after") != std::string::npos);
  // \u takes exactly four hex digits (\u00zz was read as a code point before), and surrogates
  // come in pairs, which are one code point.
  CHECK(error_of(R"("\u00zz")").find("'z' is not one") != std::string::npos);
  CHECK(error_of(R"("\u12")").find("four hex digits") != std::string::npos);
  CHECK(error_of(R"("\ud83d")").find("high surrogate without") != std::string::npos);
  CHECK(error_of(R"("\ude00")").find("low surrogate without") != std::string::npos);
  CHECK(error_of(R"("\ud83d\u0041")").find("is not a low surrogate") != std::string::npos);
  CHECK(segkit::parse_json(R"("\ud83d\ude00 \u00E9")").as_string() == "\xF0\x9F\x98\x80 \xC3\xA9");
  CHECK(error_of("-").find("needs digits") != std::string::npos);
  CHECK(error_of("\"\\q\"").find("unknown escape") != std::string::npos);
  CHECK(error_of("").find("unexpected end") != std::string::npos);
  CHECK(error_of(std::string(100, '[') + std::string(100, ']')).find("nesting deeper than 64") != std::string::npos);
  CHECK(error_of("{'a': 1}").find("expected a key in double quotes") != std::string::npos);
}
