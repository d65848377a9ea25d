// Archetypes: the least a type must offer to model each concept. Positive and negative checks
// pin the concepts down; generic segkit code instantiated with an archetype proves it uses
// nothing beyond the concept (see also tests/index/test_any_index.cpp).
#include <catch2/catch.hpp>

#include <filesystem>
#include <span>
#include <string_view>

#include <segkit/core/concepts.hpp>

namespace archetype {

struct metric {
  static constexpr std::string_view name = "archetype";
  static constexpr bool true_metric = true;
  static constexpr bool squared = false;
  static constexpr bool higher_is_closer = false;
  float operator()(const float* a, const float* b, std::size_t) const { return a[0] > b[0] ? a[0] - b[0] : b[0] - a[0]; }
};

struct index {
  using value_type = float;
  struct search_params {};
  void add(std::span<const segkit::id_type>, segkit::matrix_view<float>) {}
  bool remove(segkit::id_type) { return false; }
  template <class Filter = segkit::accept_all>
  segkit::knn_result<float> search(segkit::matrix_view<float>, std::size_t, const search_params&, Filter&& = {}) const {
    return {};
  }
  std::size_t size() const { return 0; }
  std::size_t dim() const { return 1; }
  void save(const std::filesystem::path&) const {}
  static index load(const std::filesystem::path&) { return {}; }
};

// Only the protocol: labels() and n_clusters(), not segkit::clustering itself.
struct clustering {
  const segkit::label_vector& labels() const { return labels_; }
  std::size_t n_clusters() const { return 0; }
  segkit::label_vector labels_;
};
struct weighted_clusterer {
  clustering fit(segkit::matrix_view<float>, std::span<const double> = {}) const { return {}; }
};
struct clusterer {
  clustering fit(segkit::matrix_view<float>) const { return {}; }
};
struct model : clustering {
  xt::xtensor<segkit::label_type, 1> predict(segkit::matrix_view<float>) const { return {}; }
};
struct inductive_clusterer {
  model fit(segkit::matrix_view<float>) const { return {}; }
};

struct reducer {
  segkit::matrix<float> fit_transform(segkit::matrix_view<float>) const { return {}; }
};
struct reducer_model {
  segkit::matrix<float> transform(segkit::matrix_view<float>) const { return {}; }
};
struct inductive_reducer : reducer {
  reducer_model fit(segkit::matrix_view<float>) const { return {}; }
};

struct embedder {
  segkit::matrix<float> embed(std::span<const std::string_view>) const { return {}; }
  std::size_t dim() const { return 4; }
};

struct centroid_trainer {
  segkit::matrix<float> operator()(segkit::matrix_view<float>, std::size_t k, std::uint64_t, std::size_t) const {
    return segkit::matrix<float>::from_shape({k, 1});
  }
};

// Near misses: each lacks one thing.
struct trainer_without_threads {
  segkit::matrix<float> operator()(segkit::matrix_view<float>, std::size_t, std::uint64_t) const { return {}; }
};
struct metric_without_traits {
  float operator()(const float*, const float*, std::size_t) const { return 0; }
};
struct index_without_load {
  using value_type = float;
  struct search_params {};
  void add(std::span<const segkit::id_type>, segkit::matrix_view<float>) {}
  bool remove(segkit::id_type) { return false; }
  template <class Filter = segkit::accept_all>
  segkit::knn_result<float> search(segkit::matrix_view<float>, std::size_t, const search_params&, Filter&& = {}) const {
    return {};
  }
  std::size_t size() const { return 0; }
  std::size_t dim() const { return 1; }
  void save(const std::filesystem::path&) const {}
};
struct clusterer_without_labels {
  struct result {
    std::size_t n_clusters() const { return 0; }
    segkit::label_vector labels;  // a data member, not the protocol's labels()
  };
  result fit(segkit::matrix_view<float>) const { return {}; }
};

}  // namespace archetype

static_assert(segkit::metric<archetype::metric>);
static_assert(!segkit::metric<archetype::metric_without_traits>);
static_assert(segkit::neighbor_index<archetype::index>);
static_assert(!segkit::neighbor_index<archetype::index_without_load>);
static_assert(segkit::clusterer<archetype::clusterer>);
static_assert(!segkit::inductive_clusterer<archetype::clusterer>);
static_assert(segkit::inductive_clusterer<archetype::inductive_clusterer>);
static_assert(!segkit::clusterer<archetype::clusterer_without_labels>);
static_assert(segkit::clustering_model<segkit::clustering>);
static_assert(!segkit::weighted_clusterer<archetype::clusterer>);
static_assert(segkit::weighted_clusterer<archetype::weighted_clusterer>);
static_assert(segkit::reducer<archetype::reducer>);
static_assert(!segkit::inductive_reducer<archetype::reducer>);
static_assert(segkit::inductive_reducer<archetype::inductive_reducer>);
static_assert(segkit::embedder<archetype::embedder, std::string_view>);
static_assert(!segkit::embedder<archetype::embedder, int>);
static_assert(!segkit::clusterer<archetype::reducer>);
static_assert(segkit::centroid_trainer<archetype::centroid_trainer>);
static_assert(!segkit::centroid_trainer<archetype::trainer_without_threads>);

TEST_CASE("concept archetypes behave as declared", "[core][concepts]") {
  const archetype::metric m;
  const float a[1] = {1.0f}, b[1] = {3.5f};
  CHECK(m(a, b, 1) == 2.5f);
  CHECK(archetype::embedder{}.dim() == 4);
}
