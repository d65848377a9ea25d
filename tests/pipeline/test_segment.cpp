// The default text segmentation (pipeline/segment.hpp) on the generated product catalog, whose
// hidden categories give a truth to score against, and its report.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <string>
#include <vector>

#include "support/data.hpp"

#include <segkit/pipeline/segment.hpp>
#include <segkit/pipeline/segmentation_model.hpp>
#include <segkit/core/csv.hpp>
#include <segkit/core/npy.hpp>
#include <segkit/quality/external.hpp>
#include <segkit/report/segmentation.hpp>

#include <segkit/datasets/product_catalog.hpp>

namespace pl = segkit::pipeline;
using segkit::label_type;

namespace {

struct corpus {
  std::vector<std::string> texts, titles;
  std::vector<label_type> truth;
};

corpus catalog(std::size_t n) {
  corpus c;
  for (const auto& p : segkit::datasets::make_catalog({.products = n, .seed = 3})) {
    c.texts.push_back(p.title + ". " + p.description);
    c.titles.push_back(p.title);
    c.truth.push_back(static_cast<label_type>(p.category));
  }
  return c;
}

}  // namespace

TEST_CASE("catalog generator: deterministic, prefix-stable, every category, overlap present", "[pipeline][segment]") {
  const auto a = segkit::datasets::make_catalog({.products = 500, .seed = 2});
  const auto b = segkit::datasets::make_catalog({.products = 1000, .seed = 2});
  REQUIRE(a.size() == 500);
  for (std::size_t i = 0; i < 500; ++i) CHECK(a[i].description == b[i].description);
  std::vector<std::size_t> per(25, 0);
  std::size_t bundles = 0, model_titles = 0;
  for (const auto& p : b) {
    ++per[p.category];
    bundles += p.description.find("Bundle includes") != std::string::npos ? 1 : 0;
    const auto& nouns = segkit::datasets::catalog_categories()[p.category].nouns;
    bool named = false;
    for (const auto noun : nouns) {
      std::string lower = p.title;
      std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
      named = named || lower.find(noun) != std::string::npos;
    }
    model_titles += named ? 0 : 1;
  }
  for (const std::size_t c : per) CHECK(c == 40);
  CHECK(bundles > 30);        // about 8 % of the long descriptions
  CHECK(model_titles > 200);  // about 30 % of titles do not say what the product is
  CHECK(segkit::datasets::make_catalog({.products = 10, .seed = 3})[0].title != a[0].title);
}

TEST_CASE("segment_texts: k chosen by the sweep recovers the catalog's categories, named by keywords", "[pipeline][segment]") {
  const auto c = catalog(2000);
  const pl::segment_params p{.k_min = 15, .k_max = 35, .score_rows = 1500, .seed = 1, .threads = 2};
  const auto s = pl::segment_texts(c.texts, p);
  REQUIRE(s.sweep.has_value());
  CHECK(s.sweep->rows.size() == 21);
  CHECK(s.n_segments == s.sweep->chosen_k);
  CHECK(s.n_segments >= 22);
  CHECK(s.n_segments <= 35);
  CHECK(segkit::quality::normalized_mutual_information(c.truth, s.labels) > 0.85);
  CHECK(s.vectors.shape(0) == 2000);
  CHECK(s.coordinates.shape(0) == 2000);
  CHECK(s.coordinates.shape(1) == 2);
  CHECK(s.centers.shape(0) == s.n_segments);
  std::size_t total = 0;
  for (const std::size_t z : s.sizes) total += z;
  CHECK(total == 2000);
  CHECK(s.noise_fraction == 0.0);
  CHECK(s.silhouette_values.size() == 1500);
  CHECK(s.score_sample.size() == 1500);
  CHECK(s.silhouette > 0.05);
  CHECK(s.davies_bouldin > 0.0);
  // Names come from keywords: the segment holding most running shoes mentions them.
  std::vector<std::size_t> shoes(s.n_segments, 0);
  for (std::size_t i = 0; i < 2000; ++i) {
    if (c.truth[i] == 0) ++shoes[static_cast<std::size_t>(s.labels(i))];
  }
  const auto seg = static_cast<label_type>(std::max_element(shoes.begin(), shoes.end()) - shoes.begin());
  const auto& name = s.names.at(seg);
  CHECK((name.find("shoe") != std::string::npos || name.find("trainer") != std::string::npos || name.find("runner") != std::string::npos ||
         name.find("running") != std::string::npos));
  // The fitted embedder places a known text in its own segment's direction.
  const auto again = s.model.embed(std::vector<std::string>{c.texts[5]});
  for (std::size_t j = 0; j < again.shape(1); ++j) CHECK(again(0, j) == Approx(s.vectors(5, j)).margin(1e-5));
  // Same result with one thread.
  auto one = p;
  one.threads = 1;
  const auto s1 = pl::segment_texts(c.texts, one);
  CHECK((s1.labels == s.labels));
  CHECK((s1.coordinates == s.coordinates));
}

TEST_CASE("segment_vectors: a given k, HDBSCAN with noise, no layout", "[pipeline][segment]") {
  const auto x = segkit::test::blobs(600, 6, 4, 5);
  const auto s = pl::segment_vectors(x, {}, {.k = 4, .coordinates = false, .seed = 2});
  CHECK(s.n_segments == 4);
  CHECK_FALSE(s.sweep.has_value());
  CHECK(s.coordinates.size() == 0);
  CHECK(s.keywords.empty());
  CHECK(s.names.at(2) == "segment-2");
  std::vector<label_type> truth(600);
  for (std::size_t i = 0; i < 600; ++i) truth[i] = static_cast<label_type>(i % 4);
  CHECK(segkit::quality::adjusted_rand_index(truth, s.labels) > 0.95);

  auto noisy = segkit::test::blobs(600, 6, 3, 6);
  for (std::size_t i = 0; i < 30; ++i) {
    for (std::size_t j = 0; j < 6; ++j) noisy(i * 20, j) = static_cast<float>(40.0 * (static_cast<double>((i * 7 + j * 3) % 11) - 5.0));
  }
  const auto h = pl::segment_vectors(noisy, {}, {.algorithm = pl::segment_algorithm::hdbscan, .min_cluster_size = 40, .coordinates = false, .seed = 2});
  CHECK(h.n_segments >= 3);
  CHECK(h.centers.size() == 0);
  REQUIRE(h.hdbscan() != nullptr);
  CHECK(h.hdbscan()->selected.size() == h.n_segments);
  CHECK(h.hdbscan()->tree.n_points == 600);
  CHECK(s.hdbscan() == nullptr);  // k-means
  segkit::report::html_report page("hdbscan");
  segkit::report::add_segmentation(page, h);
  CHECK(page.str().find("HDBSCAN condensed tree") != std::string::npos);
  CHECK(page.str().find("class=\"cluster selected\"") != std::string::npos);
  CHECK(h.noise_fraction < 0.2);
  if (h.noise_fraction > 0) CHECK(h.names.at(-1) == "noise");
}

TEST_CASE("segment_vectors rejects bad input", "[pipeline][segment]") {
  const auto x = segkit::test::blobs(50, 4, 2, 1);
  const std::vector<std::string> two{"a b", "c d"};
  CHECK_THROWS_WITH(pl::segment_vectors(x, two), Catch::Contains("2 texts for 50 records"));
  CHECK_THROWS_WITH(pl::segment_vectors(x, {}, {.k = 50}), Catch::Contains("k (50) must be below the number of records (50)"));
  CHECK_THROWS_WITH(pl::segment_vectors(x, {}, {.k_min = 9, .k_max = 4}), Catch::Contains("k_min <= k_max"));
  CHECK_THROWS_WITH(pl::segment_vectors(x, {}, {.algorithm = pl::segment_algorithm::hdbscan, .cluster_dims = 1}), Catch::Contains("cluster_dims"));
  auto bad = x;
  bad(3, 2) = std::numeric_limits<float>::quiet_NaN();
  CHECK_THROWS_AS(pl::segment_vectors(bad), segkit::invalid_argument);
  segkit::matrix<float> tiny = segkit::matrix<float>::from_shape({2, 4});
  tiny.fill(1.0f);
  CHECK_THROWS_WITH(pl::segment_vectors(tiny), Catch::Contains("at least 3 records"));
  CHECK_THROWS_AS(pl::segment_texts(std::vector<std::string>{"", "", "", ""}), segkit::invalid_argument);  // no vocabulary
}

TEST_CASE("add_segmentation: map, sweep curves, sizes, silhouette and a row per segment", "[pipeline][segment][report]") {
  const auto c = catalog(600);
  const auto s = pl::segment_texts(c.texts, {.k_min = 20, .k_max = 26, .score_rows = 400, .seed = 4});
  segkit::report::html_report page("catalog");
  segkit::report::add_segmentation(page, s, c.titles);
  const std::string html = page.str();
  const auto count = [&](const std::string& what) {
    std::size_t n = 0;
    for (auto p = html.find(what); p != std::string::npos; p = html.find(what, p + 1)) ++n;
    return n;
  };
  CHECK(count("<svg") == 6);  // map, three sweep curves, sizes, silhouette
  CHECK(count("class=\"marker\"") == 3);
  CHECK(count("class=\"band\"") == s.n_segments);
  CHECK(count("<tr>") == s.n_segments + 1);
  CHECK(html.find(segkit::report::escape(c.titles[0])) != std::string::npos);
  CHECK(html.find(s.names.at(0)) != std::string::npos);
  CHECK_THROWS_WITH(segkit::report::add_segmentation(page, s, std::vector<std::string>{"x"}), Catch::Contains("1 titles for 600 records"));
}

TEST_CASE("segmentation_model: assigns texts as the fit did, survives save/load, rejects damaged files", "[pipeline][segment][model]") {
  const auto c = catalog(900);
  const std::vector<std::string> train(c.texts.begin(), c.texts.begin() + 700), fresh(c.texts.begin() + 700, c.texts.end());
  const auto s = pl::segment_texts(train, {.k = 25, .coordinates = false, .seed = 2});
  const auto& m = s.model;
  CHECK(m.names.size() == 25);
  CHECK(m.names[3] == s.names.at(3));
  CHECK(m.sizes == s.sizes);
  REQUIRE(m.keywords.size() == 25);
  CHECK(m.keywords[3].front() == s.keywords[3].terms.front().first);
  // Training texts go to the center k-means put them with (its final assignment is the nearest center).
  const auto again = m.assign(train);
  std::size_t same = 0;
  for (std::size_t i = 0; i < train.size(); ++i) same += again(i) == s.labels(i) ? 1 : 0;
  CHECK(same == train.size());
  // New texts land in the segment of their category's majority.
  const auto labels = m.assign(fresh);
  std::vector<label_type> truth(c.truth.begin() + 700, c.truth.end());
  CHECK(segkit::quality::normalized_mutual_information(truth, labels) > 0.8);
  CHECK(m.assign(std::vector<std::string>{"zzzz qqqq"})(0) == -1);  // no known term

  const auto dir = std::filesystem::temp_directory_path() / fmt::format("segkit_segmodel_{}", ::getpid());
  std::filesystem::create_directories(dir);
  m.save(dir / "m.seg");
  const auto back = pl::segmentation_model::load(dir / "m.seg");
  CHECK((back.assign(fresh) == labels));
  CHECK(back.names == m.names);
  CHECK(back.keywords == m.keywords);
  CHECK(std::get<segkit::embed::lsa_model>(back.embedder).tfidf.vocabulary == std::get<segkit::embed::lsa_model>(m.embedder).tfidf.vocabulary);
  // A flipped byte, a truncated file, another kind of file.
  std::vector<char> bytes;
  {
    std::ifstream in(dir / "m.seg", std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  auto flipped = bytes;
  flipped[flipped.size() / 2] ^= 0x20;
  std::ofstream(dir / "flipped.seg", std::ios::binary).write(flipped.data(), static_cast<std::streamsize>(flipped.size()));
  CHECK_THROWS_AS(pl::segmentation_model::load(dir / "flipped.seg"), segkit::error);
  std::ofstream(dir / "short.seg", std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size() / 3));
  CHECK_THROWS_AS(pl::segmentation_model::load(dir / "short.seg"), segkit::error);
  segkit::cluster::kmeans<float>({.k = 3}).fit(s.vectors).save(dir / "kmeans.seg");
  CHECK_THROWS_WITH(pl::segmentation_model::load(dir / "kmeans.seg"), Catch::Contains("holds 'segkit.model.kmeans', expected a segmentation model"));
  CHECK_THROWS_AS(pl::segmentation_model::load(dir / "missing.seg"), segkit::io_error);
  // A segmentation of given vectors has no embedder: it assigns vectors, not texts.
  const auto v = pl::segment_vectors(s.vectors, {}, {.k = 4, .coordinates = false});
  CHECK(v.model.embedder_kind() == "none");
  CHECK((v.model.assign_vectors(s.vectors) == v.labels));
  CHECK_THROWS_WITH(v.model.assign(train), Catch::Contains("the segmentation's embedder (none) does not take texts"));
  // The UMAP + HDBSCAN segmentation assigns too (approximate_predict after the fitted UMAP).
  const auto h = pl::segment_texts(train, {.algorithm = pl::segment_algorithm::hdbscan, .coordinates = false, .seed = 2});
  REQUIRE(h.model.reducers.size() == 1);
  CHECK(h.model.clusterer_kind() == "hdbscan");
  h.model.save(dir / "h.seg");
  const auto hb = pl::segmentation_model::load(dir / "h.seg");
  const auto hl = hb.assign(fresh);
  CHECK((hl == h.model.assign(fresh)));
  std::vector<label_type> t2, l2;
  for (std::size_t i = 0; i < fresh.size(); ++i) {
    if (hl(i) >= 0) t2.push_back(truth[i]), l2.push_back(hl(i));
  }
  CHECK(l2.size() > fresh.size() / 2);
  CHECK(segkit::quality::normalized_mutual_information(t2, l2) > 0.7);
  std::filesystem::remove_all(dir);
}

TEST_CASE("segmentation_model: tabular records through a saved scaler; item sequences; mismatched input", "[pipeline][segment][model]") {
  // Numeric rows in two groups of very different scales: the scaler, then k-means.
  segkit::matrix<double> rows = segkit::matrix<double>::from_shape({40, 3});
  for (std::size_t i = 0; i < 40; ++i) {
    const double g = i < 20 ? 0.0 : 1.0;
    rows(i, 0) = 1000.0 * g + static_cast<double>(i % 7);
    rows(i, 1) = 0.01 * g + 0.001 * static_cast<double>(i % 5);
    rows(i, 2) = static_cast<double>(i % 3);
  }
  pl::segmentation_model m;
  auto scaler = segkit::embed::scaler().fit(rows);
  auto km = segkit::cluster::kmeans<float>({.k = 2, .seed = 1}).fit(scaler.transform(rows));
  const auto want = km.labels();
  m.embedder = scaler;
  m.clusterer = std::move(km);
  m.names = {"a", "b"};
  const auto dir = std::filesystem::temp_directory_path() / fmt::format("segkit_segmodel_tab_{}", ::getpid());
  std::filesystem::create_directories(dir);
  m.save(dir / "t.seg");
  const auto back = pl::segmentation_model::load(dir / "t.seg");
  CHECK(back.embedder_kind() == "scaler");
  CHECK((back.assign(rows) == want));
  CHECK(std::get<segkit::embed::scaler_model>(back.embedder).center == scaler.center);
  CHECK_THROWS_WITH(back.assign(std::vector<std::string>{"x"}), Catch::Contains("embedder (scaler) does not take texts"));
  CHECK_THROWS_WITH(back.assign_vectors(segkit::matrix<float>::from_shape({2, 5})), Catch::Contains("the records have 5 dimensions, the segmentation's embedder makes 3"));
  // Identical records: k-means keeps a center no record is nearest to; the model still names
  // and sizes every segment the clusterer knows, and saves.
  segkit::matrix<float> same = segkit::matrix<float>::from_shape({6, 2});
  for (std::size_t i = 0; i < 6; ++i) same(i, 0) = 1.0f, same(i, 1) = 2.0f;
  const auto one = pl::segment_vectors(same, {}, {.k = 2, .coordinates = false});
  CHECK(one.n_segments == 1);
  CHECK(one.model.n_segments() == 2);
  CHECK(one.model.names == std::vector<std::string>{"segment-0", "segment-1"});
  CHECK(one.model.sizes == std::vector<std::size_t>{6, 0});
  CHECK_NOTHROW(one.model.save(dir / "one.seg"));
  // Names that do not match the clusterer are refused when saving.
  m.names = {"a"};
  CHECK_THROWS_WITH(m.save(dir / "bad.seg"), Catch::Contains("1 segment names for 2 segments"));
  // item2vec sessions: a session of unknown items is -1.
  const std::vector<std::vector<segkit::id_type>> sessions{{1, 2, 3}, {2, 3, 1}, {7, 8, 9}, {8, 9, 7}, {1, 3}, {9, 8}};
  pl::segmentation_model s;
  auto i2v = segkit::embed::item2vec({.dim = 4, .epochs = 20, .seed = 3}).fit(sessions);
  auto sk = segkit::cluster::kmeans<float>({.k = 2, .seed = 1}).fit(i2v.embed(sessions));
  const auto sl = sk.labels();
  s.embedder = std::move(i2v);
  s.clusterer = std::move(sk);
  s.names = {"x", "y"};
  s.save(dir / "s.seg");
  const auto sb = pl::segmentation_model::load(dir / "s.seg");
  CHECK((sb.assign(sessions) == sl));
  CHECK(sb.assign(std::vector<std::vector<segkit::id_type>>{{100, 200}})(0) == -1);
  std::filesystem::remove_all(dir);
}

TEST_CASE("segmentation_model: files of earlier segkit versions still load and assign as they did", "[pipeline][segment][model][legacy]") {
  // tests/data/legacy_models: written by segkit at commit 54f2ad8 (gen.cpp and the commands in
  // its README), with the labels those versions assigned to records.csv.
  const std::filesystem::path data = SEGKIT_TEST_DATA "/legacy_models";
  const auto table = segkit::read_csv(data / "records.csv");
  std::vector<std::string> texts;
  for (const auto& row : table.rows()) texts.push_back(row[0] + " " + row[1]);
  const auto npy = [&](const char* name) {
    const auto v = segkit::load_npy_vector<std::int32_t>(data / name);
    return std::vector<label_type>(v.begin(), v.end());
  };
  const auto labels = [](const segkit::label_vector& l) { return std::vector<label_type>(l.begin(), l.end()); };
  const auto seg = pl::segmentation_model::load(data / "segment_v0.segmodel");  // segkit.model.segment
  CHECK(seg.clusterer_kind() == "kmeans");
  CHECK(seg.names.size() == 4);
  CHECK(labels(seg.assign(texts)) == npy("a1.npy"));
  const auto any = pl::segmentation_model::load(data / "any_pipeline_v1.segmodel");  // segkit.model.any_pipeline
  CHECK(any.clusterer_kind() == "gmm");
  CHECK(any.reducers.size() == 1);
  CHECK(any.config.find("\"covariance\": \"diag\"") != std::string::npos);
  CHECK(labels(any.assign(texts)) == npy("a2.npy"));
  const auto typed = pl::segmentation_model::load(data / "pipeline_v1.segpipe");  // segkit.model.pipeline
  CHECK(labels(typed.assign(texts)) == npy("pipeline_v1.npy"));
  CHECK(typed.names[2] == "segment-2");
}
