// Parameter tables: validation, text and JSON/YAML reading, writing and description, all from
// one declaration per field (a test struct here; every algorithm's own table is checked in
// tests/core/test_param_tables.cpp).

#include <catch2/catch.hpp>

#include <array>
#include <cstdint>
#include <string>
#include <tuple>
#include <vector>

#include <segkit/core/json.hpp>
#include <segkit/core/params.hpp>
#include <segkit/core/yaml.hpp>

namespace demo {

enum class shape { round, square, star };
constexpr auto enum_names(shape) {
  using segkit::params::name_value;
  return std::array{name_value{"round", shape::round}, name_value{"square", shape::square}, name_value{"star", shape::star},
                    name_value{"circle", shape::round}};  // an older spelling
}

struct inner {
  double weight = 0.5;
  static constexpr auto table() {
    using p = inner;
    return std::tuple{segkit::params::field("weight", &p::weight, "a share", segkit::params::between(0, 1))};
  }
};

struct opts {
  std::size_t count = 8;
  double rate = 1e-4;
  bool flag = false;
  shape kind = shape::square;
  std::string label = "x";
  std::vector<std::string> words{"a", "b"};
  std::int32_t offset = -3;
  inner nested{};
  std::vector<std::vector<double>> data{};  // only code sets it (no text form)
  std::uint64_t seed = 0;

  static constexpr auto table() {
    using p = opts;
    namespace sp = segkit::params;
    return std::tuple{sp::field("count", &p::count, "how many", sp::at_least(1), "n,how_many"),
                      sp::field("rate", &p::rate, "a positive rate", sp::above(0)),
                      sp::field("flag", &p::flag, "on or off"),
                      sp::field("kind", &p::kind, "the shape"),
                      sp::field("label", &p::label, "a name"),
                      sp::field("words", &p::words, "some words"),
                      sp::field("offset", &p::offset, "may be negative", sp::between(-10, 10)),
                      sp::field("nested", &p::nested, "a group"),
                      sp::field("data", &p::data, "values given in code"),
                      sp::internal_field("seed", &p::seed, "the only source of randomness")};
  }
};

}  // namespace demo

namespace sp = segkit::params;

static_assert(sp::tabled<demo::opts>);
static_assert(sp::named_enum<demo::shape>);
static_assert(!sp::tabled<int>);

TEST_CASE("params: enum names, canonical and older spellings", "[core][params]") {
  CHECK(sp::name(demo::shape::round) == "round");
  CHECK(sp::parse_enum<demo::shape>("circle", "kind") == demo::shape::round);
  CHECK(sp::choices_text<demo::shape>() == "round, square or star");
  CHECK_THROWS_WITH(sp::parse_enum<demo::shape>("oval", "--kind"), "--kind must be round, square or star (got 'oval')");
}

TEST_CASE("params: validate names the component, field, rule and value", "[core][params]") {
  demo::opts o;
  CHECK_NOTHROW(sp::validate(o, "demo"));
  o.count = 0;
  CHECK_THROWS_WITH(sp::validate(o, "demo"), "demo: count must be >= 1 (got 0)");
  o.count = 1;
  o.rate = 0.0;
  CHECK_THROWS_WITH(sp::validate(o, "demo"), "demo: rate must be > 0 (got 0)");
  o.rate = std::numeric_limits<double>::quiet_NaN();
  CHECK_THROWS_WITH(sp::validate(o, "demo"), Catch::Contains("rate must be > 0 (got nan)"));
  o.rate = 1.0;
  o.offset = 11;
  CHECK_THROWS_AS(sp::validate(o, "demo"), segkit::invalid_argument);
  o.offset = 0;
  o.nested.weight = 2.0;
  CHECK_THROWS_WITH(sp::validate(o, "demo"), "demo: nested: weight must be in [0, 1] (got 2)");
}

TEST_CASE("params: set from command-line text, by name or older spelling", "[core][params]") {
  demo::opts o;
  sp::set(o, "how_many", "12", "--how-many");
  CHECK(o.count == 12);
  sp::set(o, "rate", "2.5e-3", "--rate");
  CHECK(o.rate == 2.5e-3);
  sp::set(o, "flag", "true", "--flag");
  CHECK(o.flag);
  sp::set(o, "kind", "star", "--kind");
  CHECK(o.kind == demo::shape::star);
  sp::set(o, "words", "x,y,z", "--words");
  CHECK(o.words == std::vector<std::string>{"x", "y", "z"});
  sp::set(o, "offset", "-7", "--offset");
  CHECK(o.offset == -7);
  CHECK_THROWS_WITH(sp::set(o, "count", "1.5", "cli"), "cli: count must be a whole number >= 1 (got 1.5)");
  CHECK_THROWS_WITH(sp::set(o, "count", "-2", "cli"), "cli: count must be a whole number >= 1 (got -2)");
  CHECK_THROWS_WITH(sp::set(o, "count", "many", "cli"), "cli: count must be a whole number (got 'many')");
  CHECK_THROWS_WITH(sp::set(o, "rate", "nan", "cli"), "cli: rate must be a number (got 'nan')");
  CHECK_THROWS_WITH(sp::set(o, "flag", "maybe", "cli"), "cli: flag must be true or false (got 'maybe')");
  CHECK_THROWS_WITH(sp::set(o, "kind", "oval", "cli"), "cli: kind must be round, square or star (got 'oval')");
  CHECK_THROWS_WITH(sp::set(o, "colour", "1", "cli"), "cli: unknown parameter 'colour'");
  CHECK_THROWS_WITH(sp::set(o, "data", "1", "cli"), "cli: data cannot be given as text");
  CHECK_THROWS_WITH(sp::set(o, "count", "99999999999999999999", "cli"), Catch::Contains("must be a whole number"));
}

TEST_CASE("params: JSON round trip, defaults kept, unknown keys and wrong types refused", "[core][params]") {
  demo::opts o;
  o.count = 3;
  o.rate = 0.1;
  o.kind = demo::shape::round;
  o.label = "quote \" and \\ and\nnewline";
  o.words = {};
  o.nested.weight = 0.25;
  o.seed = 42;
  const std::string text = sp::to_json(o);
  CHECK(text.find("\"data\"") == std::string::npos);  // only code sets it
  const auto back = sp::from_json<demo::opts>(segkit::parse_json(text), "opts");
  CHECK(back.count == 3);
  CHECK(back.rate == 0.1);
  CHECK(back.kind == demo::shape::round);
  CHECK(back.label == o.label);
  CHECK(back.words.empty());
  CHECK(back.nested.weight == 0.25);
  CHECK(back.seed == 42);
  CHECK(sp::to_json(back) == text);

  // Missing keys keep the defaults; an older spelling is accepted.
  const auto partial = sp::from_json<demo::opts>(segkit::parse_json(R"({"n": 5, "nested": {}})"), "opts");
  CHECK(partial.count == 5);
  CHECK(partial.rate == demo::opts{}.rate);
  CHECK(partial.nested.weight == 0.5);
  CHECK_THROWS_WITH(sp::from_json<demo::opts>(segkit::parse_json(R"({"cuont": 5})"), "opts"),
                    "opts: unknown key 'cuont' (known: count, rate, flag, kind, label, words, offset, nested, seed)");
  CHECK_THROWS_WITH(sp::from_json<demo::opts>(segkit::parse_json(R"({"count": "5"})"), "opts"), "opts.count must be a whole number, not string");
  CHECK_THROWS_WITH(sp::from_json<demo::opts>(segkit::parse_json(R"({"count": 0})"), "opts"), "opts: count must be >= 1 (got 0)");
  CHECK_THROWS_WITH(sp::from_json<demo::opts>(segkit::parse_json(R"({"count": 7E50})"), "opts"), Catch::Contains("count must be a whole number"));
  CHECK_THROWS_WITH(sp::from_json<demo::opts>(segkit::parse_json(R"({"nested": {"weight": 3}})"), "opts"), "opts: nested: weight must be in [0, 1] (got 3)");
  CHECK_THROWS_WITH(sp::from_json<demo::opts>(segkit::parse_json(R"({"kind": "oval"})"), "opts"), "opts: kind must be round, square or star (got 'oval')");
  CHECK_THROWS_WITH(sp::from_json<demo::opts>(segkit::parse_json(R"({"data": [1]})"), "opts"), "opts.data cannot be read from a file (it is set through code)");
  CHECK_THROWS_WITH(sp::from_json<demo::opts>(segkit::parse_json("[1]"), "opts"), "opts must be an object, not array");
  CHECK_THROWS_WITH(sp::from_json<demo::opts>(segkit::parse_json(R"({"words": [1]})"), "opts"), "opts.words must hold strings, not number");
}

TEST_CASE("params: YAML reads as JSON does", "[core][params]") {
  const auto o = sp::from_json<demo::opts>(segkit::parse_yaml("count: 4\nkind: star\nwords: [p, q]\nnested:\n  weight: 0.75\n"), "opts.yaml");
  CHECK(o.count == 4);
  CHECK(o.kind == demo::shape::star);
  CHECK(o.words == std::vector<std::string>{"p", "q"});
  CHECK(o.nested.weight == 0.75);
}

TEST_CASE("params: describe and the docs' table come from the declaration", "[core][params]") {
  const auto fields = sp::describe<demo::opts>();
  REQUIRE(fields.size() == 10);
  CHECK(fields[0].name == "count");
  CHECK(fields[0].default_value == "8");
  CHECK(fields[0].range == ">= 1");
  CHECK(fields[0].aliases == std::vector<std::string>{"n", "how_many"});
  CHECK(fields[1].default_value == "0.0001");
  CHECK(fields[3].type == "choice");
  CHECK(fields[3].default_value == "square");
  CHECK(fields[3].choices == std::vector<std::string>{"round", "square", "star"});
  CHECK(fields[5].default_value == "[a, b]");
  CHECK(fields[7].kind == sp::value_kind::group);
  CHECK_FALSE(fields[7].option_offered);
  CHECK(fields[8].kind == sp::value_kind::data);
  CHECK_FALSE(fields[8].option_offered);
  CHECK_FALSE(fields[9].option_offered);  // internal_field
  CHECK(fields[9].option == "seed");
  const std::string md = sp::markdown_table<demo::opts>();
  CHECK(md.find("| `count` | `8` | >= 1 | how many (also spelt `n`, `how_many`) |") != std::string::npos);
  CHECK(md.find("| `kind` | `square` | round, square or star | the shape |") != std::string::npos);
  CHECK(md.find("| `data` |  | set in code | values given in code |") != std::string::npos);
}

TEST_CASE("json_object writes what parse_json reads back", "[core][json]") {
  segkit::json_object j;
  j.add("a", 0.1).add("n", std::size_t{7}).add("neg", -3).add("ok", true).add("s", "x\"y\\z\n\x01").add("nan", std::numeric_limits<double>::quiet_NaN());
  segkit::json_object inner;
  inner.add("k", 2);
  j.add("inner", inner).add_raw("arr", "[1, 2]");
  const auto v = segkit::parse_json(j.str());
  const auto& o = v.as_object();
  CHECK(o.at("a").as_number() == 0.1);
  CHECK(o.at("n").as_number() == 7);
  CHECK(o.at("neg").as_number() == -3);
  CHECK(o.at("ok").as_bool());
  CHECK(o.at("s").as_string() == "x\"y\\z\n\x01");
  CHECK(o.at("nan").is_null());
  CHECK(o.at("inner").as_object().at("k").as_number() == 2);
  CHECK(o.at("arr").as_array().size() == 2);
  CHECK(j.str().rfind("{\"a\": 0.1, \"n\": 7, ", 0) == 0);
}
