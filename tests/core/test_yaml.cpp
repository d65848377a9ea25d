// The YAML subset reader (core/yaml.hpp): what configuration files use reads as the equivalent
// JSON does; anything outside the subset is an error naming the line.
#include <catch2/catch.hpp>

#include <string>

#include <segkit/core/json.hpp>
#include <segkit/core/yaml.hpp>

namespace {

// A canonical text of a value, to compare a YAML document with its JSON equivalent.
std::string dump(const segkit::json_value& v) {
  if (v.is_null()) return "null";
  if (v.is_bool()) return v.as_bool() ? "true" : "false";
  if (v.is_number()) return std::to_string(v.as_number());
  if (v.is_string()) return "'" + v.as_string() + "'";
  std::string out;
  if (v.is_array()) {
    out = "[";
    for (const auto& x : v.as_array()) out += dump(x) + ",";
    return out + "]";
  }
  out = "{";
  for (const auto& [k, x] : v.as_object()) out += k + ":" + dump(x) + ",";
  return out + "}";
}

std::string error_of(const std::string& yaml) {
  try {
    (void)segkit::parse_yaml(yaml, "c.yaml");
  } catch (const segkit::format_error& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST_CASE("yaml: block and flow collections read as the equivalent JSON", "[core][yaml]") {
  const std::string yaml = R"(---
# a pipeline
embed: {dims: 100}
reduce:
  - kind: umap        # first
    n_components: 5
    min_dist: 0.0
  - kind: pca
    n_components: 2
cluster:
  kind: "hdbscan"
  note: 'it''s # not a comment'
  plain: don't stop # a comment
  list: [1, -2.5, 3e2, +4, .5, true, ~, x y, "q"]
  empty_list: []
  nothing:
sequence_at_key_indent:
- a
- b:
    c: 1
-
  - nested
  - - deeper
url: http://example.com:8080/x
"quoted key": 1
)";
  const std::string json = R"({"embed": {"dims": 100},
    "reduce": [{"kind": "umap", "n_components": 5, "min_dist": 0.0}, {"kind": "pca", "n_components": 2}],
    "cluster": {"kind": "hdbscan", "note": "it's # not a comment", "plain": "don't stop", "list": [1, -2.5, 300, 4, 0.5, true, null, "x y", "q"],
                "empty_list": [], "nothing": null},
    "sequence_at_key_indent": ["a", {"b": {"c": 1}}, ["nested", ["deeper"]]],
    "url": "http://example.com:8080/x", "quoted key": 1})";
  CHECK(dump(segkit::parse_yaml(yaml)) == dump(segkit::parse_json(json)));
  CHECK(segkit::parse_yaml("").is_null());
  CHECK(segkit::parse_yaml("# only a comment\n").is_null());
  CHECK(segkit::parse_yaml("42").as_number() == 42.0);
  CHECK(segkit::parse_yaml("a: \"tab\\there\"\r\n").as_object().at("a").as_string() == "tab\there");
  CHECK(segkit::parse_yaml("v: 1.2.3").as_object().at("v").as_string() == "1.2.3");  // not a number: a string
  CHECK(segkit::parse_yaml("v: yes").as_object().at("v").as_string() == "yes");      // YAML 1.2: not a boolean
}

TEST_CASE("yaml: what the subset does not read is an error naming the line", "[core][yaml]") {
  CHECK(error_of("a: 1\na: 2") == "segkit::yaml: c.yaml: line 2: key 'a' appears twice");
  CHECK(error_of("a:\n\tb: 1").find("line 2: a tab in the indentation") != std::string::npos);
  CHECK(error_of("a: &x 1").find("line 1: anchors and aliases are not supported") != std::string::npos);
  CHECK(error_of("a: !!str 1").find("line 1: tags are not supported") != std::string::npos);
  CHECK(error_of("a: |\n  text").find("line 1: block scalars") != std::string::npos);
  CHECK(error_of("a: [1, 2\nb: 3").find("line 1: '[' is not closed on its line") != std::string::npos);
  CHECK(error_of("a: \"open").find("line 1: a quoted string is not closed") != std::string::npos);
  CHECK(error_of("a: 1\n  b: 2").find("line 2: unexpected indentation") != std::string::npos);
  CHECK(error_of("a:\n  b: 1\n c: 2").find("line 3:") != std::string::npos);
  CHECK(error_of("a: 1\n---\nb: 2").find("line 2: only one YAML document") != std::string::npos);
  CHECK(error_of("- a\nb: 1").find("line 2") != std::string::npos);
  CHECK(error_of("a: {b 1}").find("line 1: expected ':' after key 'b 1'") != std::string::npos);
  CHECK(error_of("a: [1,, 2]").find("line 1") != std::string::npos);
  std::string deep;
  for (int i = 0; i < 100; ++i) deep += std::string(static_cast<std::size_t>(i) * 2, ' ') + "k:\n";
  CHECK(error_of(deep + std::string(200, ' ') + "v: 1").find("nesting deeper than 64 levels") != std::string::npos);
}
