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
#include <segkit/pipeline/segment_model.hpp>
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
  const auto again = s.embedder.embed(std::vector<std::string>{c.texts[5]});
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
  REQUIRE(h.tree.has_value());
  CHECK(h.tree_selected.size() == h.n_segments);
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

TEST_CASE("segment_model: assigns texts as the fit did, survives save/load, rejects damaged files", "[pipeline][segment][model]") {
  const auto c = catalog(900);
  const std::vector<std::string> train(c.texts.begin(), c.texts.begin() + 700), fresh(c.texts.begin() + 700, c.texts.end());
  const auto s = pl::segment_texts(train, {.k = 25, .coordinates = false, .seed = 2});
  const auto m = pl::segment_model::from(s);
  CHECK(m.names.size() == 25);
  CHECK(m.names[3] == s.names.at(3));
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
  const auto back = pl::segment_model::load(dir / "m.seg");
  CHECK((back.assign(fresh) == labels));
  CHECK(back.names == m.names);
  CHECK(back.embedder.tfidf.vocabulary == m.embedder.tfidf.vocabulary);
  // A flipped byte, a truncated file, another kind of file.
  std::vector<char> bytes;
  {
    std::ifstream in(dir / "m.seg", std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  auto flipped = bytes;
  flipped[flipped.size() / 2] ^= 0x20;
  std::ofstream(dir / "flipped.seg", std::ios::binary).write(flipped.data(), static_cast<std::streamsize>(flipped.size()));
  CHECK_THROWS_AS(pl::segment_model::load(dir / "flipped.seg"), segkit::error);
  std::ofstream(dir / "short.seg", std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size() / 3));
  CHECK_THROWS_AS(pl::segment_model::load(dir / "short.seg"), segkit::error);
  segkit::cluster::kmeans<float>({.k = 3}).fit(s.vectors).save(dir / "kmeans.seg");
  CHECK_THROWS_WITH(pl::segment_model::load(dir / "kmeans.seg"), Catch::Contains("segkit.model.segment"));
  CHECK_THROWS_AS(pl::segment_model::load(dir / "missing.seg"), segkit::io_error);
  // Only k-means segmentations of texts make a model.
  const auto h = pl::segment_vectors(s.vectors, {}, {.k = 4, .coordinates = false});
  CHECK_THROWS_WITH(pl::segment_model::from(h), Catch::Contains("no fitted embedder"));
  std::filesystem::remove_all(dir);
}
