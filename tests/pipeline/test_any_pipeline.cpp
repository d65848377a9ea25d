// Run-time pipelines from JSON (pipeline/any_pipeline.hpp): the same result as the typed
// pipeline with the same stages, and clear errors for bad configurations.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <span>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <unistd.h>

#include <segkit/cluster/kmeans.hpp>
#include <segkit/embed/lsa.hpp>
#include <segkit/pipeline/any_pipeline.hpp>
#include <segkit/pipeline/pipeline.hpp>
#include <segkit/reduce/pca.hpp>

#include <segkit/datasets/product_catalog.hpp>

namespace pl = segkit::pipeline;

TEST_CASE("any_pipeline from JSON equals the typed pipeline with the same stages", "[pipeline][any]") {
  std::vector<std::string> texts;
  for (const auto& p : segkit::datasets::make_catalog({.products = 800, .seed = 9})) texts.push_back(p.title + ". " + p.description);
  const auto c = pl::pipeline_config::parse(R"({"embed": {"dims": 40}, "reduce": [{"kind": "pca", "n_components": 12}],
                                                "cluster": {"kind": "kmeans", "k": 20}, "seed": 3, "threads": 2})");
  CHECK(c.embed.dims == 40);
  REQUIRE(c.reducers.size() == 1);
  CHECK(c.reducers[0].n_components == 12);
  const auto s = pl::any_pipeline(c).fit(texts).result;
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
    const auto r = pl::any_pipeline(cc).fit(texts).result;
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
  CHECK(error_of(R"({"clusters": {}})").find("p.json: unknown key 'clusters' (known: embed, reduce, cluster, seed, threads)") != std::string::npos);
  CHECK(error_of(R"({"cluster": {"kind": "spectral"}})").find("p.json.cluster: kind must be kmeans, gmm, hdbscan, dbscan or agglomerative (got 'spectral')") !=
        std::string::npos);
  CHECK(error_of(R"({"cluster": {"k": 2.5}})").find("p.json.cluster: k must be a whole number >= 1 (got 2.5)") != std::string::npos);
  CHECK(error_of(R"({"cluster": {"k": 0}})").find("p.json: cluster: k must be >= 1 (got 0)") != std::string::npos);
  CHECK(error_of(R"({"cluster": {"covariance": "round"}})").find("covariance must be full, tied, diag or spherical (got 'round')") != std::string::npos);
  CHECK(error_of(R"({"reduce": {"kind": "pca"}})").find("p.json.reduce must be an array of objects, not object") != std::string::npos);
  CHECK(error_of(R"({"reduce": [{"kind": "pca", "dims": 3}]})").find("p.json.reduce[0]: unknown key 'dims'") != std::string::npos);
  CHECK(error_of(R"({"reduce": [{"kind": "umap", "n_neighbors": 1}]})").find("p.json: reduce[0]: n_neighbors must be >= 2 (got 1)") != std::string::npos);
  CHECK(error_of(R"({"embed": {"dims": "many"}})").find("p.json.embed.dims must be a whole number, not string") != std::string::npos);
  CHECK(error_of(R"({"embed": {"dims": 7e50}})").find("p.json.embed: dims must be a whole number >= 1 (got 7e+50)") != std::string::npos);
  CHECK(error_of(R"({"seed": -1})").find("p.json: seed must be a whole number (got -1)") != std::string::npos);
  CHECK(error_of(R"([1])").find("p.json must be an object, not array") != std::string::npos);
  CHECK(error_of("{\"seed\": 1,}").find("line 1, column 12") != std::string::npos);
  CHECK_THROWS_AS(pl::pipeline_config::load("/nonexistent/p.json"), segkit::io_error);
}

TEST_CASE("pipeline_config::to_json reads back to the same configuration", "[pipeline][any]") {
  const auto c = pl::pipeline_config::parse(R"({"embed": {"dims": 33}, "reduce": [{"kind": "umap", "n_components": 5, "n_neighbors": 7, "min_dist": 0.05},
                                                {"kind": "pca", "n_components": 3}],
                                                "cluster": {"kind": "gmm", "k": 4, "covariance": "tied", "linkage": "single", "spherical": false,
                                                            "min_cluster_size": 9, "eps": 0.25, "min_samples": 2}, "seed": 17, "threads": 1})");
  const auto back = pl::pipeline_config::parse(c.to_json());
  CHECK(back.to_json() == c.to_json());
  CHECK(back.embed.dims == 33);
  REQUIRE(back.reducers.size() == 2);
  CHECK(back.reducers[0].kind == pl::reducer_kind::umap);
  CHECK(back.reducers[0].min_dist == 0.05);
  CHECK(back.reducers[1].n_components == 3);
  CHECK(back.clusterer.kind == pl::clusterer_kind::gmm);
  CHECK(back.clusterer.covariance == segkit::cluster::covariance_type::tied);
  CHECK_FALSE(back.clusterer.spherical);
  CHECK(back.clusterer.eps == 0.25);
  CHECK(back.seed == 17);
}

TEST_CASE("any_pipeline: the fitted model assigns new texts, saves and loads", "[pipeline][any][persist]") {
  std::vector<std::string> texts;
  for (const auto& p : segkit::datasets::make_catalog({.products = 700, .seed = 5})) texts.push_back(p.title + ". " + p.description);
  const std::span<const std::string> train(texts.data(), 600), fresh(texts.data() + 600, 100);
  const auto dir = std::filesystem::temp_directory_path() / fmt::format("segkit_any_pipeline_{}", ::getpid());
  std::filesystem::create_directories(dir);
  for (const char* cluster : {R"({"kind": "kmeans", "k": 15})", R"({"kind": "gmm", "k": 8, "covariance": "diag"})"}) {
    INFO(cluster);
    const auto c = pl::pipeline_config::parse(std::string(R"({"embed": {"dims": 30}, "reduce": [{"kind": "pca", "n_components": 10},
        {"kind": "umap", "n_components": 3, "n_neighbors": 10}], "cluster": )") + cluster + ", \"seed\": 4}");
    const auto fit = pl::any_pipeline(c).fit(train, {.layout = false});
    CHECK(fit.model.names.size() == fit.result.n_segments);
    CHECK(fit.model.names[0] == fit.result.names.at(0));
    // model is another name for result.model, also in a copy (no second copy of the stages).
    CHECK(&fit.model == &fit.result.model);
    const auto copy = fit;
    CHECK(&copy.model == &copy.result.model);
    CHECK(copy.model.names == fit.model.names);
    // assign() = the stages by hand: embed, PCA, UMAP transform, predict.
    const auto labels = fit.model.assign(fresh);
    const auto& m = fit.model;
    const auto v = std::get<segkit::reduce::umap_model<>>(m.reducers[1]).transform(std::get<segkit::reduce::pca_model<float>>(m.reducers[0]).transform(m.embed(fresh)));
    CHECK((m.transform(fresh) == v));
    if (const auto* k = std::get_if<segkit::cluster::kmeans_model<float>>(&m.clusterer)) CHECK((labels == k->predict(v)));
    if (const auto* g = std::get_if<segkit::cluster::gmm_model>(&m.clusterer)) CHECK((labels == g->predict(v)));
    // Saved and loaded: the same labels bit for bit.
    m.save(dir / "m.segmodel");
    const auto back = pl::any_pipeline_model::load(dir / "m.segmodel");
    CHECK(back.config == m.config);
    CHECK(back.config == c.to_json());
    CHECK(back.names == m.names);
    CHECK((back.assign(fresh) == labels));
    CHECK((back.transform(fresh) == v));
  }
  // A text with no known term is -1; every clusterer assigns; foreign files are named.
  const auto km = pl::any_pipeline(pl::pipeline_config::parse(R"({"embed": {"dims": 20}, "cluster": {"kind": "kmeans", "k": 6}})")).fit(train, {.layout = false});
  const std::vector<std::string> odd = {"zzqx wvvy", texts[0]};
  const auto l = km.model.assign(odd);
  CHECK(l(0) == -1);
  CHECK(l(1) == km.result.labels(0));
  const auto hd = pl::any_pipeline(pl::pipeline_config::parse(R"({"embed": {"dims": 20}, "cluster": {"kind": "hdbscan", "min_cluster_size": 15}})"))
                      .fit(train, {.layout = false});
  // HDBSCAN through approximate_predict: the training texts go back to their clusters (those not
  // noise), and saving keeps that.
  CHECK(hd.model.clusterer_kind() == "hdbscan");
  const auto hl = hd.model.assign(train);
  std::size_t kept = 0, clustered = 0;
  for (std::size_t i = 0; i < train.size(); ++i) {
    if (hd.result.labels(i) < 0) continue;
    ++clustered;
    kept += hl(i) == hd.result.labels(i) ? 1 : 0;
  }
  REQUIRE(clustered > 0);
  CHECK(static_cast<double>(kept) >= 0.95 * static_cast<double>(clustered));
  hd.model.save(dir / "h.segmodel");
  CHECK((pl::segmentation_model::load(dir / "h.segmodel").assign(train) == hl));
  for (const char* cluster : {R"({"kind": "dbscan", "eps": 0.6, "min_samples": 4})", R"({"kind": "agglomerative", "k": 7, "linkage": "average"})"}) {
    INFO(cluster);
    const auto f = pl::any_pipeline(pl::pipeline_config::parse(std::string(R"({"embed": {"dims": 20}, "cluster": )") + cluster + "}")).fit(train, {.layout = false});
    f.model.save(dir / "o.segmodel");
    const auto o = pl::segmentation_model::load(dir / "o.segmodel");
    CHECK((o.assign(fresh) == f.model.assign(fresh)));
    CHECK(o.names == f.result.model.names);
  }
  km.model.save(dir / "km.segmodel");
  std::get<segkit::embed::lsa_model>(km.model.embedder).save(dir / "lsa.seg");
  CHECK_THROWS_WITH(pl::any_pipeline_model::load(dir / "lsa.seg"), Catch::Contains("holds 'segkit.model.lsa', expected a segmentation model"));
  std::filesystem::remove_all(dir);
}

TEST_CASE("pipeline_config reads YAML as it reads JSON, by file extension", "[pipeline][any]") {
  const std::string yaml = R"(# the docs' example
embed: {dims: 50}
reduce:
  - kind: umap
    n_components: 5
    min_dist: 0.0
cluster:
  kind: hdbscan
  min_cluster_size: 20
seed: 7
)";
  const auto y = pl::pipeline_config::parse_yaml(yaml);
  const auto j = pl::pipeline_config::parse(R"({"embed": {"dims": 50}, "reduce": [{"kind": "umap", "n_components": 5, "min_dist": 0.0}],
                                                "cluster": {"kind": "hdbscan", "min_cluster_size": 20}, "seed": 7})");
  CHECK(y.to_json() == j.to_json());
  const auto dir = std::filesystem::temp_directory_path() / fmt::format("segkit_yaml_config_{}", ::getpid());
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "p.yaml") << yaml;
  CHECK(pl::pipeline_config::load(dir / "p.yaml").to_json() == j.to_json());
  std::ofstream(dir / "bad.yml") << "cluster:\n  kind: kmeans\n  k: many\n";
  CHECK_THROWS_WITH(pl::pipeline_config::load(dir / "bad.yml"), Catch::Contains("bad.yml.cluster.k must be a whole number, not string"));
  std::ofstream(dir / "worse.yml") << "cluster:\n  kind: [kmeans\n";
  CHECK_THROWS_WITH(pl::pipeline_config::load(dir / "worse.yml"), Catch::Contains("worse.yml: line 2: '[' is not closed"));
  std::filesystem::remove_all(dir);
}
