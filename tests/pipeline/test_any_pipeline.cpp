// Run-time pipelines from JSON (pipeline/any_pipeline.hpp): the same result as the typed
// pipeline with the same stages, and clear errors for bad configurations.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include <segkit/cluster/kmeans.hpp>
#include <segkit/embed/lsa.hpp>
#include <segkit/pipeline/any_pipeline.hpp>
#include <segkit/pipeline/pipeline.hpp>
#include <segkit/reduce/pca.hpp>

#include "../../examples/product_clustering/catalog.hpp"

namespace pl = segkit::pipeline;

TEST_CASE("any_pipeline from JSON equals the typed pipeline with the same stages", "[pipeline][any]") {
  std::vector<std::string> texts;
  for (const auto& p : segkit::examples::make_catalog({.products = 800, .seed = 9})) texts.push_back(p.title + ". " + p.description);
  const auto c = pl::pipeline_config::parse(R"({"embed": {"dims": 40}, "reduce": [{"kind": "pca", "n_components": 12}],
                                                "cluster": {"kind": "kmeans", "k": 20}, "seed": 3, "threads": 2})");
  CHECK(c.dims == 40);
  REQUIRE(c.reducers.size() == 1);
  CHECK(c.reducers[0].n_components == 12);
  const auto s = pl::any_pipeline(c).fit(texts);
  const auto typed = pl::make_pipeline<std::string>(segkit::embed::lsa({.dims = 40, .seed = 3}), segkit::reduce::pca<float>({.n_components = 12, .seed = 3}),
                                                    segkit::cluster::kmeans<float>({.k = 20, .spherical = true, .seed = 3}))
                         .fit(texts);
  CHECK((s.labels == typed.result.labels));
  CHECK(s.n_segments == 20);
  CHECK(s.names == typed.result.names);
  CHECK(s.coordinates.shape(1) == 2);
  // Other clusterers run too.
  for (const char* cluster : {R"({"kind": "gmm", "k": 6, "covariance": "diag"})", R"({"kind": "hdbscan", "min_cluster_size": 15})",
                              R"({"kind": "agglomerative", "k": 10, "linkage": "average"})", R"({"kind": "dbscan", "eps": 0.3, "min_samples": 4})"}) {
    const auto cc = pl::pipeline_config::parse(std::string(R"({"embed": {"dims": 20}, "reduce": [{"kind": "umap", "n_components": 3, "min_dist": 0.0}], "cluster": )") +
                                               cluster + "}");
    const auto r = pl::any_pipeline(cc).fit(texts);
    INFO(cluster);
    CHECK(r.labels.size() == texts.size());
    CHECK(r.n_segments >= 2);
  }
}

TEST_CASE("pipeline_config rejects unknown keys, kinds and types, naming them", "[pipeline][any]") {
  const auto error_of = [](const std::string& json) {
    try {
      (void)pl::pipeline_config::parse(json, "p.json");
    } catch (const segkit::format_error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK(error_of(R"({"clusters": {}})").find("p.json: unknown key 'clusters' in the configuration") != std::string::npos);
  CHECK(error_of(R"({"cluster": {"kind": "spectral"}})").find("cluster.kind must be one of kmeans, gmm, hdbscan, dbscan, agglomerative (got 'spectral')") !=
        std::string::npos);
  CHECK(error_of(R"({"cluster": {"k": 2.5}})").find("cluster.k must be a whole number >= 1") != std::string::npos);
  CHECK(error_of(R"({"cluster": {"k": 0}})").find("cluster.k must be a whole number >= 1") != std::string::npos);
  CHECK(error_of(R"({"reduce": {"kind": "pca"}})").find("reduce must be an array, not object") != std::string::npos);
  CHECK(error_of(R"({"reduce": [{"kind": "pca", "dims": 3}]})").find("unknown key 'dims' in reduce[0]") != std::string::npos);
  CHECK(error_of(R"({"embed": {"dims": "many"}})").find("embed.dims must be a whole number") != std::string::npos);
  CHECK(error_of(R"([1])").find("the configuration must be an object, not array") != std::string::npos);
  CHECK(error_of("{\"seed\": 1,}").find("line 1, column 12") != std::string::npos);
  CHECK_THROWS_AS(pl::pipeline_config::load("/nonexistent/p.json"), segkit::io_error);
}
