#include <catch2/catch.hpp>

#include <filesystem>
#include <numeric>
#include <vector>

#include "support/data.hpp"

#include <segkit/index/any_index.hpp>

namespace {
// An archetype index: exactly the neighbor_index concept, nothing more. any_index must wrap it,
// which proves the facade uses nothing beyond the concept.
struct archetype_index {
  using value_type = float;
  struct search_params {};
  std::size_t n = 0;
  void add(std::span<const segkit::id_type> ids, segkit::matrix_view<float>) { n += ids.size(); }
  bool remove(segkit::id_type) { return n > 0 ? (--n, true) : false; }
  template <class Filter = segkit::accept_all>
  segkit::knn_result<float> search(segkit::matrix_view<float> q, std::size_t k, const search_params&, Filter&& f = {}) const {
    segkit::knn_result<float> r{xt::xtensor<segkit::id_type, 2>::from_shape({q.rows(), k}), xt::xtensor<float, 2>::from_shape({q.rows(), k})};
    r.ids.fill(f(segkit::id_type{4}) ? 4 : segkit::no_id);
    r.distances.fill(0.0f);
    return r;
  }
  std::size_t size() const { return n; }
  std::size_t dim() const { return 2; }
  void save(const std::filesystem::path&) const {}
  static archetype_index load(const std::filesystem::path&) { return {}; }
};
static_assert(segkit::neighbor_index<archetype_index>);
static_assert(segkit::neighbor_index<segkit::index::any_index>);
}  // namespace

TEST_CASE("any_index wraps an archetype index and passes filters through", "[index][any_index]") {
  segkit::index::any_index any(archetype_index{});
  const segkit::matrix<float> rows = {{1, 2}, {3, 4}};
  const std::vector<segkit::id_type> ids = {1, 2};
  any.add(ids, segkit::as_rows<float>(rows));
  CHECK(any.size() == 2);
  CHECK(any.remove(1));
  CHECK(any.size() == 1);
  CHECK(any.search(segkit::as_rows<float>(rows), 1, {}).ids(0, 0) == 4);
  CHECK(any.search(segkit::as_rows<float>(rows), 1, {}, [](segkit::id_type id) { return id != 4; }).ids(0, 0) == segkit::no_id);
}

TEST_CASE("any_index makes and loads flat indexes of every metric", "[index][any_index]") {
  const auto base = segkit::test::normal_matrix(200, 8, 3);
  const auto queries = segkit::test::normal_matrix(5, 8, 4);
  std::vector<segkit::id_type> ids(200);
  std::iota(ids.begin(), ids.end(), 0);
  const auto path = std::filesystem::temp_directory_path() / "segkit_any.seg";
  for (const auto name : segkit::distance::metric_names) {
    auto index = segkit::index::any_index::make("flat", name, 8);
    index.add(ids, segkit::as_rows<float>(base));
    index.save(path);
    const auto loaded = segkit::index::any_index::load(path);
    INFO("metric " << name);
    CHECK(loaded.metric() == name);
    CHECK(loaded.type() == "flat");
    CHECK(loaded.dim() == 8);
    const auto a = index.search(segkit::as_rows<float>(queries), 4, {});
    const auto b = loaded.search(segkit::as_rows<float>(queries), 4, {.threads = 1});
    CHECK((a.ids == b.ids));
    // Matches the typed index directly.
    segkit::distance::visit_metric(name, [&](auto m) {
      segkit::index::flat<decltype(m)> typed(8);
      typed.add(ids, base);
      CHECK((typed.search(queries, 4).ids == a.ids));
    });
  }
  CHECK_THROWS_WITH(segkit::index::any_index::make("annoy", "l2", 8), Catch::Contains("unknown index type 'annoy' (available: flat, hnsw, ivf)"));
  CHECK_THROWS_WITH(segkit::index::any_index::make("flat", "hamming", 8), Catch::Contains("unknown metric 'hamming'"));
}
