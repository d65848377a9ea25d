// Composed pipelines (pipeline/pipeline.hpp): the same numbers as running the stages by hand,
// assign() on new records, ready-made embedders, and the stage concepts.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <span>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <unistd.h>

#include "support/data.hpp"

#include <segkit/cluster/dbscan.hpp>
#include <segkit/cluster/hdbscan.hpp>
#include <segkit/cluster/kmeans.hpp>
#include <segkit/embed/lsa.hpp>
#include <segkit/pipeline/pipeline.hpp>
#include <segkit/quality/external.hpp>
#include <segkit/reduce/pca.hpp>
#include <segkit/reduce/umap.hpp>

#include <segkit/datasets/product_catalog.hpp>

namespace pl = segkit::pipeline;
using segkit::label_type;
using segkit::matrix;

namespace {

// A ready embedder of numeric records: each record is its own vector.
struct row_embedder {
  std::size_t d = 0;
  [[nodiscard]] matrix<float> embed(std::span<const std::vector<float>> rows) const {
    matrix<float> m = matrix<float>::from_shape({rows.size(), d});
    for (std::size_t i = 0; i < rows.size(); ++i) std::copy_n(rows[i].data(), d, &m(i, 0));
    return m;
  }
  [[nodiscard]] std::size_t dim() const { return d; }
};

// Whether a fitted pipeline offers assign() for records R.
template <class F, class R>
concept can_assign = requires(const F& f, std::span<const R> r) { f.assign(r); };

// Whether a fitted pipeline offers save().
template <class F>
concept can_save = requires(const F& f, const std::filesystem::path& p) { f.save(p); };

}  // namespace

// The stage concepts, checked where a pipeline is declared.
static_assert(pl::embedding_stage<segkit::embed::lsa, std::string>);        // fits an embedder
static_assert(pl::embedding_stage<segkit::embed::lsa_model, std::string>);  // is one
static_assert(pl::embedding_stage<row_embedder, std::vector<float>>);
static_assert(!pl::embedding_stage<segkit::embed::lsa, std::vector<float>>);  // wrong record type
static_assert(!pl::embedding_stage<segkit::cluster::kmeans<float>, std::string>);
static_assert(segkit::inductive_reducer<segkit::reduce::pca<float>, float>);
static_assert(!segkit::inductive_reducer<segkit::cluster::kmeans<float>, float>);

TEST_CASE("pipeline: LSA -> PCA -> k-means equals the stages run by hand; assign() places new texts", "[pipeline]") {
  std::vector<std::string> texts;
  std::vector<label_type> truth;
  for (const auto& p : segkit::datasets::make_catalog({.products = 1500, .seed = 8})) {
    texts.push_back(p.title + ". " + p.description);
    truth.push_back(static_cast<label_type>(p.category));
  }
  const std::span<const std::string> train(texts.data(), 1200), fresh(texts.data() + 1200, 300);
  const segkit::embed::lsa lsa({.dims = 60, .seed = 3});
  const segkit::reduce::pca<float> pca({.n_components = 20, .seed = 3});
  const segkit::cluster::kmeans<float> km({.k = 25, .n_init = 2, .spherical = true, .seed = 3});
  const auto p = pl::make_pipeline<std::string>(lsa, pca, km);
  const auto fit = p.fit(train, {.seed = 5});

  // By hand.
  const auto em = lsa.fit(train);
  const auto e = em.embed(train);
  const auto pm = pca.fit(e);
  const matrix<float> r = pm.transform(e);
  const auto cm = km.fit(r);
  CHECK((fit.result.labels == cm.labels()));
  CHECK((fit.result.vectors == r));
  CHECK(fit.result.n_segments == 25);
  CHECK(fit.result.coordinates.shape(1) == 2);
  CHECK(fit.result.keywords.size() == 25);
  CHECK_FALSE(fit.result.names.at(0).empty());
  CHECK(fit.result.silhouette_values.size() == 1200);
  std::vector<label_type> train_truth(truth.begin(), truth.begin() + 1200), fresh_truth(truth.begin() + 1200, truth.end());
  CHECK(segkit::quality::normalized_mutual_information(train_truth, fit.result.labels) > 0.8);

  // assign(): embed -> reduce -> predict, the same as by hand, and mostly right.
  STATIC_REQUIRE(can_assign<decltype(fit.model), std::string>);
  const auto labels = fit.model.assign(fresh);
  CHECK((labels == cm.predict(pm.transform(em.embed(fresh)))));
  CHECK(segkit::quality::normalized_mutual_information(fresh_truth, labels) > 0.8);
  // Training texts assigned again land where fit() put them (k-means' predict is its final assignment).
  const auto again = fit.model.assign(std::span<const std::string>(texts.data(), 50));
  std::size_t same = 0;
  for (std::size_t i = 0; i < 50; ++i) same += again(i) == fit.result.labels(i) ? 1 : 0;
  CHECK(same == 50);
  CHECK_THROWS_WITH(p.fit(std::span<const std::string>(texts.data(), 2)), Catch::Contains("at least 3 records"));
}

TEST_CASE("pipeline: a ready embedder, UMAP to 2-D and HDBSCAN; the layout is the reduction itself", "[pipeline]") {
  const auto x = segkit::test::blobs(500, 6, 4, 2);
  std::vector<std::vector<float>> rows(500, std::vector<float>(6));
  for (std::size_t i = 0; i < 500; ++i) std::copy_n(&x(i, 0), 6, rows[i].data());
  const auto p = pl::make_pipeline<std::vector<float>>(row_embedder{6}, segkit::reduce::umap<>({.n_neighbors = 10, .n_epochs = 100, .seed = 1}),
                                                      segkit::cluster::hdbscan<>({.min_cluster_size = 20}));
  const auto fit = p.fit(rows);
  CHECK((fit.result.coordinates == fit.result.vectors));  // the reducer's 2-D output
  CHECK(fit.result.n_segments == 4);
  CHECK(fit.result.keywords.empty());
  std::vector<label_type> truth(500);
  for (std::size_t i = 0; i < 500; ++i) truth[i] = static_cast<label_type>(i % 4);
  CHECK(segkit::quality::adjusted_rand_index(truth, fit.result.labels) > 0.95);
  // HDBSCAN predicts through approximate_predict: the fitted pipeline assigns new records (here
  // the training rows again, placed by UMAP's transform, so nearly all keep their segment).
  using fitted = decltype(fit.model);
  STATIC_REQUIRE(can_assign<fitted, std::vector<float>>);
  CHECK(fit.model.transform(std::span<const std::vector<float>>(rows.data(), 3)).shape(1) == 2);
  const auto again = fit.model.assign(std::span<const std::vector<float>>(rows.data(), rows.size()));
  CHECK(segkit::quality::adjusted_rand_index(again, fit.result.labels) > 0.9);
  // DBSCAN (not inductive either) composes too, with no reducer.
  const auto d = pl::make_pipeline<std::vector<float>>(row_embedder{6}, segkit::cluster::dbscan<>({.eps = 3.0, .min_samples = 5})).fit(rows, {.layout = false});
  CHECK(d.result.coordinates.size() == 0);
  CHECK(d.result.n_segments == 4);
}

TEST_CASE("pipeline: a fitted LSA -> PCA -> UMAP -> k-means pipeline saves and loads whole", "[pipeline][persist]") {
  std::vector<std::string> texts;
  for (const auto& p : segkit::datasets::make_catalog({.products = 700, .seed = 4})) texts.push_back(p.title + ". " + p.description);
  const std::span<const std::string> train(texts.data(), 600), fresh(texts.data() + 600, 100);
  const auto p = pl::make_pipeline<std::string>(segkit::embed::lsa({.dims = 40, .seed = 2}), segkit::reduce::pca<float>({.n_components = 16, .seed = 2}),
                                                segkit::reduce::umap<>({.n_components = 4, .n_neighbors = 10, .n_epochs = 60, .seed = 2}),
                                                segkit::cluster::kmeans<float>({.k = 12, .seed = 2}));
  const auto fit = p.fit(train, {.layout = false});
  using fitted = decltype(fit.model);
  STATIC_REQUIRE(fitted::storable);
  const auto dir = std::filesystem::temp_directory_path() / fmt::format("segkit_pipeline_{}", ::getpid());
  std::filesystem::create_directories(dir);
  fit.model.save(dir / "p.segpipe");
  const auto back = fitted::load(dir / "p.segpipe");
  // Every stage comes back bit for bit: the same vectors and segments for new texts.
  CHECK((back.transform(fresh) == fit.model.transform(fresh)));
  CHECK((back.assign(fresh) == fit.model.assign(fresh)));
  CHECK((back.clusterer.centers == fit.model.clusterer.centers));
  CHECK(back.embedder.tfidf.vocabulary == fit.model.embedder.tfidf.vocabulary);

  // Loading into another pipeline type names the stage that differs.
  using no_umap = decltype(pl::make_pipeline<std::string>(segkit::embed::lsa(), segkit::reduce::pca<float>(), segkit::cluster::kmeans<float>())
                               .fit(std::span<const std::string>())
                               .model);
  CHECK_THROWS_WITH(no_umap::load(dir / "p.segpipe"), Catch::Contains("pipeline of 4 stages, this type has 3"));
  using pca_pca = decltype(pl::make_pipeline<std::string>(segkit::embed::lsa(), segkit::reduce::pca<float>(), segkit::reduce::pca<float>(),
                                                          segkit::cluster::kmeans<float>())
                               .fit(std::span<const std::string>())
                               .model);
  CHECK_THROWS_WITH(pca_pca::load(dir / "p.segpipe"), Catch::Contains("stage 2 is a umap, this pipeline type expects a pca"));
  // It is the one segmentation model file: the run-time model reads it and assigns alike; the
  // segmentation's own model is the same stages.
  const auto run_time = pl::segmentation_model::load(dir / "p.segpipe");
  CHECK(run_time.embedder_kind() == "lsa");
  CHECK(run_time.clusterer_kind() == "kmeans");
  CHECK((run_time.assign(fresh) == fit.model.assign(fresh)));
  CHECK((fit.result.model.assign(fresh) == fit.model.assign(fresh)));
  CHECK(run_time.sizes == fit.model.clusterer.sizes());
  // A damaged byte anywhere is caught by a checksum.
  {
    std::fstream f(dir / "p.segpipe", std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(std::filesystem::file_size(dir / "p.segpipe") / 2));
    char c = 0;
    f.read(&c, 1);
    f.seekp(-1, std::ios::cur);
    c = static_cast<char>(c ^ 0x10);
    f.write(&c, 1);
  }
  CHECK_THROWS_AS(fitted::load(dir / "p.segpipe"), segkit::format_error);
  // Every segkit clusterer's model can be saved (HDBSCAN's with its prediction data); a pipeline
  // with a stage that cannot (a user's embedder) has no save().
  using dense = decltype(pl::make_pipeline<std::string>(segkit::embed::lsa(), segkit::cluster::hdbscan<>()).fit(std::span<const std::string>()).model);
  STATIC_REQUIRE(dense::storable);
  using custom = decltype(pl::make_pipeline<std::vector<float>>(row_embedder{6}, segkit::cluster::kmeans<float>()).fit(std::span<const std::vector<float>>()).model);
  STATIC_REQUIRE_FALSE(custom::storable);
  STATIC_REQUIRE_FALSE(can_save<custom>);
  std::filesystem::remove_all(dir);
}
