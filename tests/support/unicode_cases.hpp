#pragma once
// The texts of tests/data/unicode/cases.json and what Python 3.11 (Unicode 14.0.0) and the regex
// module make of them (tests/data/make_unicode_fixture.py says how each field was computed).

#include <filesystem>
#include <string>
#include <vector>

#include <segkit/core/file.hpp>
#include <segkit/core/json.hpp>

namespace segkit::test {

struct unicode_case {
  std::string text, lower, nfc, nfd;
  std::vector<std::string> words, clip, bert, bert_cased;
};

inline std::vector<unicode_case> unicode_cases() {
  const auto path = std::filesystem::path(SEGKIT_TEST_DATA) / "unicode" / "cases.json";
  const auto bytes = read_file_bytes(path, "test");
  const auto doc = parse_json(std::string_view(bytes.data(), bytes.size()), path.string());
  const auto strings = [](const json_value& v) {
    std::vector<std::string> out;
    for (const auto& s : v.as_array()) out.push_back(s.as_string());
    return out;
  };
  std::vector<unicode_case> out;
  for (const auto& c : doc.as_object().at("cases").as_array()) {
    const auto& o = c.as_object();
    out.push_back({o.at("text").as_string(), o.at("lower").as_string(), o.at("nfc").as_string(), o.at("nfd").as_string(), strings(o.at("words")),
                   strings(o.at("clip")), strings(o.at("bert")), strings(o.at("bert_cased"))});
  }
  return out;
}

}  // namespace segkit::test
