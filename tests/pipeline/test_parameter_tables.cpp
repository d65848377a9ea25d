// Every parameter table of the library (pipeline::parameter_tables): its defaults valid, its
// JSON round trip exact, its docs complete, its names and older spellings unambiguous.

#include <catch2/catch.hpp>

#include <set>
#include <string>

#include <segkit/core/yaml.hpp>
#include <segkit/pipeline/parameter_tables.hpp>

namespace sp = segkit::params;
using segkit::pipeline::parameter_tables;

TEST_CASE("parameter tables: every table's defaults validate and its JSON reads back equal", "[params]") {
  REQUIRE(parameter_tables().size() >= 40);
  std::set<std::string> names;
  for (const auto& t : parameter_tables()) {
    INFO("table " << t.name);
    CHECK(names.insert(t.name).second);  // names are unique
    const std::string defaults = t.defaults_json();
    CHECK_NOTHROW(t.check(segkit::parse_json(defaults), t.name));  // defaults are valid and read back
    const auto fields = t.describe();
    REQUIRE(!fields.empty());
    std::set<std::string> spellings;
    for (const auto& f : fields) {
      INFO("field " << f.name);
      CHECK(!f.doc.empty());
      CHECK(f.doc.size() < 300);  // one line
      CHECK(spellings.insert(f.name).second);
      for (const auto& a : f.aliases) CHECK(spellings.insert(a).second);  // no alias shadows a name
      if (f.kind == sp::value_kind::choice) {
        CHECK(!f.choices.empty());
        CHECK(std::find(f.choices.begin(), f.choices.end(), f.default_value) != f.choices.end());
      }
      if (f.kind != sp::value_kind::data && f.kind != sp::value_kind::group) {
        CHECK(defaults.find("\"" + f.name + "\": ") != std::string::npos);  // written to files
      }
    }
    const std::string md = t.markdown();
    for (const auto& f : fields) CHECK(md.find("| `" + f.name + "` |") != std::string::npos);
  }
}

TEST_CASE("parameter tables: a file with an unknown key, a wrong type or an out-of-range value is refused by name", "[params]") {
  const auto& kmeans = segkit::pipeline::parameter_table_named("kmeans");
  CHECK_NOTHROW(kmeans.check(segkit::parse_yaml("k: 3\ninit: kmeans||\nalgorithm: elkan\n"), "k.yaml"));
  CHECK_NOTHROW(kmeans.check(segkit::parse_json(R"({"n_clusters": 3})"), "k.json"));  // scikit-learn's name
  CHECK_THROWS_WITH(kmeans.check(segkit::parse_json(R"({"clusters": 3})"), "k.json"), Catch::Contains("unknown key 'clusters'"));
  CHECK_THROWS_WITH(kmeans.check(segkit::parse_json(R"({"k": "three"})"), "k.json"), Catch::Contains("k.json.k must be a whole number, not string"));
  CHECK_THROWS_WITH(kmeans.check(segkit::parse_json(R"({"k": 0})"), "k.json"), Catch::Contains("k must be >= 1 (got 0)"));
  CHECK_THROWS_WITH(kmeans.check(segkit::parse_json(R"({"initial_centers": [[1]]})"), "k.json"), Catch::Contains("set through code"));
  const auto& lsa = segkit::pipeline::parameter_table_named("lsa");
  CHECK_NOTHROW(lsa.check(segkit::parse_json(R"({"dims": 32, "tfidf": {"min_df": 2, "analysis": {"analyzer": "chars-wb", "ngram_max": 4}}})"), "lsa"));
  CHECK_THROWS_WITH(lsa.check(segkit::parse_json(R"({"tfidf": {"analysis": {"analyzer": "bytes"}}})"), "lsa"),
                    Catch::Contains("analyzer must be word, chars or chars-wb (got 'bytes')"));
  CHECK_THROWS_WITH(segkit::pipeline::parameter_table_named("kmean"), Catch::Contains("no parameter table 'kmean' (known: flat-search, hnsw"));
}

TEST_CASE("parameter tables: flattened options of nested groups are unique", "[params]") {
  const auto flat = sp::describe_flat<segkit::embed::lsa_params>();
  std::set<std::string> options;
  for (const auto& f : flat) CHECK(options.insert(f.option).second);
  // lsa's own normalize keeps its name; the TF-IDF stage's is spelt with its path.
  CHECK(options.count("normalize") == 1);
  CHECK(options.count("tfidf-normalize") == 1);
  CHECK(options.count("ngram-max") == 1);
  // A nested group's defaults are the parent's (LSA: word bigrams, English stop words), not the group type's.
  for (const auto& f : flat) {
    if (f.name == "tfidf.analysis.ngram_max") CHECK(f.default_value == "2");
    if (f.name == "tfidf.sublinear_tf") CHECK(f.default_value == "true");
  }
  const std::string md = sp::markdown_table<segkit::embed::lsa_params>();
  CHECK(md.find("| `tfidf.analysis.ngram_max` | `2` |") != std::string::npos);
  segkit::embed::lsa_params p;
  sp::set_path(p, "tfidf.analysis.ngram_max", "3", "test");
  CHECK(p.tfidf.analysis.ngram_max == 3);
  CHECK_THROWS_WITH(sp::set_path(p, "tfidf.nothing.x", "3", "test"), Catch::Contains("unknown parameter group 'nothing'"));
}

TEST_CASE("parameter tables: a list of groups (a pipeline file's reducers)", "[params]") {
  using segkit::pipeline::pipeline_config;
  const auto c = sp::from_json<pipeline_config>(segkit::parse_json(R"({"reduce": [{"kind": "umap", "n_components": 4}, {"kind": "pca"}]})"), "p");
  REQUIRE(c.reducers.size() == 2);
  CHECK(c.reducers[0].kind == segkit::pipeline::reducer_kind::umap);
  CHECK(c.reducers[0].n_components == 4);
  CHECK(c.reducers[1].n_components == segkit::pipeline::reducer_config{}.n_components);
  CHECK(sp::to_json(c).find(R"("reduce": [{"kind": "umap", "n_components": 4)") != std::string::npos);
  CHECK(sp::from_json<pipeline_config>(segkit::parse_json(sp::to_json(c)), "p").reducers[1].kind == segkit::pipeline::reducer_kind::pca);
  CHECK_THROWS_WITH(sp::from_json<pipeline_config>(segkit::parse_json(R"({"reduce": [{"n_components": 0}]})"), "p"),
                    Catch::Contains("p: reduce[0]: n_components must be >= 1 (got 0)"));
  const std::string md = sp::markdown_table<pipeline_config>();
  CHECK(md.find("| `reduce` |  | a list of objects with the fields below |") != std::string::npos);
  CHECK(md.find("| `reduce[].kind` | `pca` | pca or umap |") != std::string::npos);
  // Not offered as options: a list of groups is only read from files.
  for (const auto& f : sp::describe_flat<pipeline_config>()) CHECK(f.name.find("reduce") == std::string::npos);
}
