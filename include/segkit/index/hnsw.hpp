#pragma once
/// @file
/// @brief Approximate nearest-neighbour search on a hierarchical navigable small-world graph
/// (HNSW), with a deterministic parallel build, filters applied during the walk, upserts,
/// removals and checksummed persistence.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "segkit/core/binary_format.hpp"
#include "segkit/core/concepts.hpp"
#include "segkit/core/error.hpp"
#include "segkit/core/matrix_view.hpp"
#include "segkit/core/npy.hpp"
#include "segkit/core/parallel.hpp"
#include "segkit/core/random.hpp"
#include "segkit/core/types.hpp"
#include "segkit/distance/kernels.hpp"
#include "segkit/distance/metrics.hpp"
#include "segkit/index/attributes.hpp"
#include "segkit/index/detail/checks.hpp"

namespace segkit::index {

namespace detail {
inline constexpr std::uint32_t hnsw_format_version = 1;
inline constexpr const char* hnsw_kind = "segkit.index.hnsw";
inline constexpr int hnsw_max_level = 30;

// The distance the graph is built and walked with (smaller is closer) and the metric's value
// from it: squared Euclidean for l2 (the square root is taken for reporting only), 1 - a.b on
// unit vectors for cosine, -a.b for inner product, the metric itself otherwise.
template <class Metric>
struct graph_distance {
  static constexpr bool unit_vectors = std::is_same_v<Metric, distance::cosine_metric>;

  template <class T>
  static T between(const T* a, const T* b, std::size_t d) noexcept {
    if constexpr (std::is_same_v<Metric, distance::l2_metric> || std::is_same_v<Metric, distance::squared_l2_metric>) {
      return distance::squared_l2(a, b, d);
    } else if constexpr (unit_vectors) {
      return T{1} - distance::dot(a, b, d);
    } else if constexpr (std::is_same_v<Metric, distance::inner_product_metric>) {
      return -distance::dot(a, b, d);
    } else {
      return Metric{}(a, b, d);
    }
  }

  template <class T>
  static T value(T g) noexcept {
    if constexpr (std::is_same_v<Metric, distance::l2_metric>) {
      return std::sqrt(std::max(g, T{0}));
    } else if constexpr (std::is_same_v<Metric, distance::inner_product_metric>) {
      return -g;
    } else {
      return g;
    }
  }
};

// Epoch-tagged visited marks; one per thread, grown to the graph's size on demand.
struct visited_marks {
  std::vector<std::uint32_t> tags;
  std::uint32_t epoch = 0;

  void reset(std::size_t n) {
    if (tags.size() < n) tags.resize(n, 0);
    if (++epoch == 0) {
      std::fill(tags.begin(), tags.end(), 0);
      epoch = 1;
    }
  }
  bool first_visit(std::uint32_t v) noexcept {
    if (tags[v] == epoch) return false;
    tags[v] = epoch;
    return true;
  }
};

inline visited_marks& thread_visited_marks() {
  thread_local visited_marks marks;
  return marks;
}

template <class T>
struct graph_candidate {
  T dist;
  std::uint32_t slot;
};

// Orders by distance, then slot, so that every choice is deterministic. Function objects (not
// function pointers) so that the heap operations inline them.
struct closer {
  template <class T>
  constexpr bool operator()(const graph_candidate<T>& a, const graph_candidate<T>& b) const noexcept {
    return a.dist < b.dist || (a.dist == b.dist && a.slot < b.slot);
  }
};
struct farther {
  template <class T>
  constexpr bool operator()(const graph_candidate<T>& a, const graph_candidate<T>& b) const noexcept {
    return closer{}(b, a);
  }
};
}  // namespace detail

/**
 * @brief Hierarchical navigable small-world graph (Malkov & Yashunin, "Efficient and robust
 * approximate nearest neighbor search using Hierarchical Navigable Small World graphs", TPAMI 2018)
 * with the neighbour-selection heuristic of that paper (Algorithm 4, without extending or keeping
 * pruned candidates).
 *
 * **Deterministic parallel build.** Vectors are inserted in batches. The first ones go in one at
 * a time; later batches hold at most 1/32 of the graph (and at most 64 vectors). All vectors of
 * a batch search the graph as it was before the batch, in parallel, and choose their neighbours
 * among what they found plus the other members of the batch; then each node receiving new reverse
 * links merges them with its own (pruned with the same heuristic when over capacity), nodes in
 * parallel, candidates in insertion order. Batch boundaries and random levels depend only on the
 * insertion order and the seed, so the graph — and every search result — is the same for any
 * thread count.
 *
 * **Filters** are evaluated during the walk: rejected (and removed) nodes are still traversed,
 * never returned; the walk continues until ef accepted nodes are found or the reachable graph is
 * exhausted, so very selective filters degrade to an exhaustive walk (use segkit::index::flat for
 * those, or the planner of the hybrid search).
 *
 * **Removal** marks a node deleted (it keeps routing searches). When deleted nodes outnumber live
 * ones, the next add() rebuilds the graph from the live vectors (compact()), so memory stays
 * bounded under add/remove churn. upsert() of a stored id removes the old node and inserts the new
 * vector.
 *
 * @tparam Metric  l2, sqeuclidean, cosine (vectors stored normalised), ip or manhattan.
 * @tparam T       float (default) or double.
 * @par Complexity  build about O(n log n · ef_construction · M · d); search O(ef · M · d · log n).
 * Memory: n (d values + (2M + 1) links at level 0) plus about n/M upper-level lists.
 * @par Thread safety  Any number of searches (and saves) may run alongside one writer: they
 * share a writer-preferring reader-writer lock that add, remove, compact and set_attributes take
 * exclusively, so a search sees the index before or after a write, never during one. upsert is
 * remove + add: a search between the two does not find the id.
 */
template <class Metric = distance::l2_metric, class T = float>
  requires segkit::metric<Metric, T>
class hnsw : public detail::mutations<hnsw<Metric, T>, T> {
  using slot_t = std::uint32_t;
  friend class detail::mutations<hnsw, T>;
  static std::string component(std::string_view op) { return fmt::format("segkit::index::hnsw::{}", op); }
  using graph = detail::graph_distance<Metric>;
  using cand = detail::graph_candidate<T>;

 public:
  using value_type = T;
  using metric_type = Metric;
  using detail::mutations<hnsw, T>::add;
  using detail::mutations<hnsw, T>::upsert;

  /// How the graph is built.
  struct build_params {
    std::size_t m = 16;                 ///< links per node on upper levels (2 m on level 0), >= 2
    std::size_t ef_construction = 200;  ///< candidates examined per insertion, >= 1
    std::uint64_t seed = 100;           ///< seed of the random levels
    std::size_t threads = 0;            ///< 0 = all hardware threads; the graph does not depend on it
  };

  /// Per-search parameters.
  struct search_params {
    std::size_t ef = 0;         ///< candidates kept during the walk (at least k); 0 = max(k, 64)
    std::size_t threads = 0;    ///< 0 = all hardware threads; results do not depend on it
    /// A filter reporting selectivity() s below this is answered by an exact scan of the matching
    /// vectors. 0 = the cost model: a walk that must find ef matches visits about ef 2m / s nodes,
    /// the scan s n, so scan when s < sqrt(ef 2m / n).
    double exact_below = 0.0;
  };

  /// An empty index. @throws segkit::invalid_argument if dim is 0, m < 2 or ef_construction is 0.
  explicit hnsw(std::size_t dim, build_params params = {}, Metric metric = {}) : dim_(dim), p_(params), metric_(metric) {
    const char* comp = "segkit::index::hnsw";
    if (dim == 0) segkit::detail::throw_invalid(comp, "dim must be at least 1");
    if (p_.m < 2 || p_.m > 1024) segkit::detail::throw_invalid(comp, fmt::format("m must be in 2..1024, got {}", p_.m));
    if (p_.ef_construction == 0) segkit::detail::throw_invalid(comp, "ef_construction must be at least 1");
    m0_ = 2 * p_.m;
    level_scale_ = 1.0 / std::log(static_cast<double>(p_.m));
  }

  [[nodiscard]] std::size_t dim() const noexcept { return dim_; }                  ///< dimension of the vectors
  [[nodiscard]] std::size_t size() const {  ///< live vectors
    const auto lock = lock_.read();
    return slots_.size();
  }
  [[nodiscard]] std::size_t capacity_used() const {  ///< graph nodes, removed ones included
    const auto lock = lock_.read();
    return ids_.size();
  }
  [[nodiscard]] const Metric& metric() const noexcept { return metric_; }           ///< the metric
  [[nodiscard]] const build_params& params() const noexcept { return p_; }          ///< build parameters
  [[nodiscard]] bool contains(id_type id) const {  ///< true if id is stored
    const auto lock = lock_.read();
    return slots_.count(id) != 0;
  }
  /// Attaches per-id attributes (saved with the index; used by attribute_filter searches).
  void set_attributes(std::shared_ptr<const attribute_table> table) {
    const auto lock = lock_.write();
    attributes_ = std::move(table);
  }
  /// The attached attributes, or nullptr.
  [[nodiscard]] std::shared_ptr<const attribute_table> attributes() const {
    const auto lock = lock_.read();
    return attributes_;
  }

  /**
   * @brief Inserts `rows` under `ids` (one id per row), in row order.
   * @throws segkit::invalid_argument if counts or dimension differ, a row holds NaN/Inf, or an id
   * is repeated, already stored or segkit::no_id. Nothing is stored on error.
   */
  void add(std::span<const id_type> ids, matrix_view<T> rows) {
    detail::check_rows<T>("segkit::index::hnsw::add", ids, rows, dim_);
    const auto lock = lock_.write();
    detail::check_ids("segkit::index::hnsw::add", ids, [this](id_type id) { return slots_.count(id) != 0; }, true);
    if (ids_.size() + ids.size() > std::numeric_limits<slot_t>::max() - 1) {
      segkit::detail::throw_invalid("segkit::index::hnsw::add", "the index would exceed 2^32 - 2 nodes");
    }
    if (ids_.size() - slots_.size() > slots_.size()) rebuild();
    insert(ids, rows);
  }



  /// Removes the vector with this id (it stops being returned at once); false if there was none.
  bool remove(id_type id) {
    const auto lock = lock_.write();
    const auto it = slots_.find(id);
    if (it == slots_.end()) return false;
    deleted_[it->second] = 1;
    slots_.erase(it);
    return true;
  }

  /// Rebuilds the graph from the live vectors (same insertion order), dropping removed nodes.
  void compact() {
    const auto lock = lock_.write();
    rebuild();
  }

  /// search() without a filter.
  [[nodiscard]] knn_result<T> search(matrix_view<T> queries, std::size_t k, const search_params& params = {}) const {
    return search(queries, k, params, accept_all{});
  }

  /**
   * @brief The (approximate) k nearest stored vectors of each query among ids passing `filter`.
   * @return nq x k ids and metric values ordered by distance (ties by id); rows with fewer than k
   * matches end with segkit::no_id and an infinite distance.
   * @throws segkit::invalid_argument if k is 0, the dimension differs or a query holds NaN/Inf.
   */
  template <class Filter>
  [[nodiscard]] knn_result<T> search(matrix_view<T> queries, std::size_t k, const search_params& params, Filter&& filter) const {
    const auto lock = lock_.read();
    return search_locked(queries, k, params, filter);
  }

 private:
  void rebuild() {
    std::vector<id_type> ids;
    std::vector<T> rows;
    ids.reserve(slots_.size());
    rows.reserve(slots_.size() * dim_);
    for (slot_t s = 0; s < ids_.size(); ++s) {
      if (deleted_[s] != 0) continue;
      ids.push_back(ids_[s]);
      rows.insert(rows.end(), data_.begin() + static_cast<std::ptrdiff_t>(s * dim_), data_.begin() + static_cast<std::ptrdiff_t>((s + 1) * dim_));
    }
    clear();
    insert(ids, matrix_view<T>(rows.data(), ids.size(), dim_));
  }

  template <class Filter>
  knn_result<T> search_locked(matrix_view<T> queries, std::size_t k, const search_params& params, Filter& filter) const {
    detail::check_queries<T>("segkit::index::hnsw::search", queries, k, dim_);
    const std::size_t nq = queries.rows();
    knn_result<T> out = detail::empty_result<Metric, T>(nq, k);
    if (nq == 0 || slots_.empty()) return out;
    executor ex(params.threads);
    // The planner: a selective filter (one that can estimate its selectivity, as attribute_filter
    // does) would make the walk visit most of the graph; scanning the matching vectors is exact
    // and cheaper then.
    const std::size_t ef = std::max(k, params.ef != 0 ? params.ef : std::size_t{64});
    if constexpr (requires { filter.selectivity(); }) {
      const double threshold = params.exact_below > 0.0 ? params.exact_below
                                                         : std::sqrt(static_cast<double>(ef * m0_) / static_cast<double>(slots_.size()));
      if (filter.selectivity() < threshold) {
        exact_scan(queries, k, ex, filter, out);
        return out;
      }
    }
    parallel_for(ex, nq, 16, [&](std::size_t b, std::size_t e, std::size_t) {
      std::vector<T> q(dim_);
      std::vector<cand> top, frontier;
      for (std::size_t i = b; i < e; ++i) {
        prepare_query(queries.row(i), q.data());
        const auto accept = [&](slot_t s) {
          if (deleted_[s] != 0) return false;
          if constexpr (std::is_same_v<std::decay_t<Filter>, accept_all>) {
            return true;
          } else {
            return static_cast<bool>(filter(ids_[s]));
          }
        };
        const slot_t start = descend(q.data(), 1);
        walk(q.data(), start, ef, 0, accept, top, frontier);
        std::sort(top.begin(), top.end(), [&](const cand& a, const cand& c) { return a.dist < c.dist || (a.dist == c.dist && ids_[a.slot] < ids_[c.slot]); });
        const std::size_t m = std::min(k, top.size());
        for (std::size_t j = 0; j < m; ++j) {
          out.ids(i, j) = ids_[top[j].slot];
          out.distances(i, j) = graph::value(top[j].dist);
        }
      }
    });
    return out;
  }

 public:
  /// search() for any 2-D xtensor expression of queries.
  template <class E, class Filter = accept_all>
    requires(!std::is_same_v<std::decay_t<E>, matrix_view<T>>)
  [[nodiscard]] knn_result<T> search(const E& queries, std::size_t k, const search_params& params = {}, Filter&& filter = {}) const {
    return search(as_rows<T>(queries).view(), k, params, std::forward<Filter>(filter));
  }

  /// Writes the index atomically in segkit's checksummed container (kind "segkit.index.hnsw").
  void save(const std::filesystem::path& path) const {
    const auto lock = lock_.read();
    byte_writer meta;
    meta.put(detail::hnsw_format_version).put_string(Metric::name).put_string(npy_dtype_name(segkit::detail::npy_dtype_of<T>()));
    meta.put(static_cast<std::uint64_t>(dim_)).put(static_cast<std::uint64_t>(ids_.size())).put(static_cast<std::uint64_t>(p_.m));
    meta.put(static_cast<std::uint64_t>(p_.ef_construction)).put(p_.seed).put(inserted_);
    meta.put(static_cast<std::int32_t>(max_level_)).put(entry_);
    std::vector<std::uint32_t> upper;  // per node: its level-1.. lists, concatenated
    for (const auto& u : upper_) upper.insert(upper.end(), u.begin(), u.end());
    std::vector<std::int32_t> levels(level_.begin(), level_.end());
    container_writer w(detail::hnsw_kind);
    w.add("meta", meta.bytes());
    w.add_array<id_type>("ids", ids_);
    w.add_array<T>("vectors", data_);
    w.add_array<std::uint8_t>("deleted", deleted_);
    w.add_array<std::int32_t>("levels", levels);
    w.add_array<std::uint32_t>("links0", links0_);
    w.add_array<std::uint32_t>("upper", upper);
    if (attributes_) attributes_->write(w);
    w.commit(path);
  }

  /**
   * @brief Reads an index written by save(), checking every link.
   * @throws segkit::io_error if unreadable; segkit::format_error if truncated, corrupted, of
   * another version, metric, value type or kind, or structurally invalid.
   */
  [[nodiscard]] static hnsw load(const std::filesystem::path& path) { return load(container_reader(path, detail::hnsw_kind)); }

  /// Reads an index from an already verified container.
  [[nodiscard]] static hnsw load(const container_reader& file) {
    if (file.kind() != detail::hnsw_kind) file.fail(fmt::format("holds '{}', not an HNSW index", file.kind()));
    byte_reader meta(file.section("meta"), file);
    if (const auto v = meta.get<std::uint32_t>(); v != detail::hnsw_format_version) file.fail(fmt::format("HNSW format version {} is not supported (expected {})", v, detail::hnsw_format_version));
    if (const auto name = meta.get_string(); name != Metric::name) file.fail(fmt::format("index uses metric '{}', this index type expects '{}'", name, Metric::name));
    const std::string want(npy_dtype_name(segkit::detail::npy_dtype_of<T>()));
    if (const auto dtype = meta.get_string(); dtype != want) file.fail(fmt::format("index stores {} values, this index type expects {}", dtype, want));
    const auto dim = meta.get<std::uint64_t>(), count = meta.get<std::uint64_t>(), m = meta.get<std::uint64_t>();
    const auto ef_c = meta.get<std::uint64_t>();
    const auto seed = meta.get<std::uint64_t>(), inserted = meta.get<std::uint64_t>();
    const auto max_level = meta.get<std::int32_t>();
    const auto entry = meta.get<std::uint32_t>();
    if (dim == 0 || dim > (std::uint64_t{1} << 24) || count >= std::numeric_limits<slot_t>::max() || count > (std::uint64_t{1} << 40) / dim) file.fail("implausible index shape");
    if (m < 2 || m > 1024 || ef_c == 0) file.fail("implausible build parameters");
    hnsw index(static_cast<std::size_t>(dim), {.m = static_cast<std::size_t>(m), .ef_construction = static_cast<std::size_t>(ef_c), .seed = seed});
    const auto n = static_cast<std::size_t>(count);
    index.ids_ = file.array<id_type>("ids", n);
    index.data_ = file.array<T>("vectors", n * dim);
    index.deleted_ = file.array<std::uint8_t>("deleted", n);
    const auto levels = file.array<std::int32_t>("levels", n);
    index.links0_ = file.array<std::uint32_t>("links0", n * (1 + index.m0_));
    std::size_t upper_total = 0;
    for (const auto l : levels) {
      if (l < 0 || l > detail::hnsw_max_level || l > max_level) file.fail(fmt::format("node level {} is invalid", l));
      upper_total += static_cast<std::size_t>(l) * (1 + index.p_.m);
    }
    const auto upper = file.array<std::uint32_t>("upper", upper_total);
    index.level_.assign(levels.begin(), levels.end());
    index.upper_.resize(n);
    std::size_t at = 0;
    for (std::size_t s = 0; s < n; ++s) {
      const std::size_t len = static_cast<std::size_t>(levels[s]) * (1 + index.p_.m);
      index.upper_[s].assign(upper.begin() + static_cast<std::ptrdiff_t>(at), upper.begin() + static_cast<std::ptrdiff_t>(at + len));
      at += len;
    }
    for (std::size_t s = 0; s < n; ++s) {
      for (int l = 0; l <= index.level_[s]; ++l) {
        const slot_t* list = index.links(static_cast<slot_t>(s), l);
        if (list[0] > index.max_links(l)) file.fail(fmt::format("node {} has {} links at level {}", s, list[0], l));
        for (slot_t j = 1; j <= list[0]; ++j) {
          if (list[j] >= n || index.level_[list[j]] < l) file.fail(fmt::format("node {} links to an invalid node at level {}", s, l));
        }
      }
      for (std::size_t j = 0; j < dim; ++j) {
        if (!std::isfinite(index.data_[s * dim + j])) file.fail(fmt::format("vector {} holds a non-finite value", s));
      }
      if (index.deleted_[s] > 1) file.fail("invalid deletion flag");
    }
    if (n > 0 && (entry >= n || index.level_[entry] != max_level)) file.fail("invalid entry point");
    if (n == 0 && max_level != -1) file.fail("invalid entry point");
    for (std::size_t s = 0; s < n; ++s) {
      if (index.deleted_[s] != 0) continue;
      if (index.ids_[s] == no_id || !index.slots_.emplace(index.ids_[s], static_cast<slot_t>(s)).second) file.fail(fmt::format("id {} is invalid or repeated", index.ids_[s]));
    }
    index.entry_ = entry;
    index.max_level_ = max_level;
    index.inserted_ = inserted;
    if (attribute_table::present(file)) index.attributes_ = std::make_shared<const attribute_table>(attribute_table::read(file));
    return index;
  }

 private:
  [[nodiscard]] std::size_t max_links(int level) const noexcept { return level == 0 ? m0_ : p_.m; }

  // The link list of a node at a level: [count, neighbour slots...].
  slot_t* links(slot_t s, int level) noexcept {
    return level == 0 ? links0_.data() + static_cast<std::size_t>(s) * (1 + m0_) : upper_[s].data() + static_cast<std::size_t>(level - 1) * (1 + p_.m);
  }
  const slot_t* links(slot_t s, int level) const noexcept {
    return level == 0 ? links0_.data() + static_cast<std::size_t>(s) * (1 + m0_) : upper_[s].data() + static_cast<std::size_t>(level - 1) * (1 + p_.m);
  }
  const T* vec(slot_t s) const noexcept { return data_.data() + static_cast<std::size_t>(s) * dim_; }
  T dist(const T* q, slot_t s) const noexcept { return graph::between(q, vec(s), dim_); }

  void prepare_query(const T* in, T* out) const noexcept {
    std::copy_n(in, dim_, out);
    if constexpr (graph::unit_vectors) {
      const T n = std::sqrt(distance::dot(out, out, dim_));
      if (n > T{0}) {
        for (std::size_t j = 0; j < dim_; ++j) out[j] /= n;
      }
    }
  }

  // Exact k nearest among the live nodes passing the filter (the filter is evaluated once per node).
  template <class Filter>
  void exact_scan(const matrix_view<T>& queries, std::size_t k, executor& ex, Filter& filter, knn_result<T>& out) const {
    std::vector<slot_t> match;
    for (slot_t s = 0; s < ids_.size(); ++s) {
      if (deleted_[s] == 0 && filter(ids_[s])) match.push_back(s);
    }
    parallel_for(ex, queries.rows(), 16, [&](std::size_t b, std::size_t e, std::size_t) {
      std::vector<T> q(dim_);
      std::vector<cand> best;
      const auto by_distance_then_id = [&](const cand& a, const cand& c) { return a.dist < c.dist || (a.dist == c.dist && ids_[a.slot] < ids_[c.slot]); };
      for (std::size_t i = b; i < e; ++i) {
        prepare_query(queries.row(i), q.data());
        best.clear();
        for (const slot_t s : match) {
          const cand c{dist(q.data(), s), s};
          if (best.size() < k) {
            best.push_back(c);
            std::push_heap(best.begin(), best.end(), by_distance_then_id);
          } else if (by_distance_then_id(c, best.front())) {
            std::pop_heap(best.begin(), best.end(), by_distance_then_id);
            best.back() = c;
            std::push_heap(best.begin(), best.end(), by_distance_then_id);
          }
        }
        std::sort_heap(best.begin(), best.end(), by_distance_then_id);
        for (std::size_t j = 0; j < best.size(); ++j) {
          out.ids(i, j) = ids_[best[j].slot];
          out.distances(i, j) = graph::value(best[j].dist);
        }
      }
    });
  }

  // Greedy descent from the entry point through the levels above `floor` (exclusive of it).
  slot_t descend(const T* q, int floor) const {
    slot_t cur = entry_;
    T cur_d = dist(q, cur);
    for (int l = max_level_; l >= floor; --l) {
      bool moved = true;
      while (moved) {
        moved = false;
        const slot_t* list = links(cur, l);
        for (slot_t j = 1; j <= list[0]; ++j) {
          const T d = dist(q, list[j]);
          if (d < cur_d || (d == cur_d && list[j] < cur)) {
            cur_d = d;
            cur = list[j];
            moved = true;
          }
        }
      }
    }
    return cur;
  }

  // Best-first walk of one level from `start`: `top` receives up to ef accepted nodes (a max-heap
  // by distance); rejected nodes are expanded but not kept.
  template <class Accept>
  void walk(const T* q, slot_t start, std::size_t ef, int level, Accept&& accept, std::vector<cand>& top, std::vector<cand>& frontier) const {
    auto& seen = detail::thread_visited_marks();
    seen.reset(ids_.size());
    top.clear();
    frontier.clear();
    const T d0 = dist(q, start);
    seen.first_visit(start);
    frontier.push_back({d0, start});
    if (accept(start)) top.push_back({d0, start});
    while (!frontier.empty()) {
      std::pop_heap(frontier.begin(), frontier.end(), detail::farther{});  // closest last
      const cand c = frontier.back();
      frontier.pop_back();
      if (top.size() >= ef && c.dist > top.front().dist) break;
      const slot_t* list = links(c.slot, level);
      const slot_t count = list[0];
      // Fetch the first neighbours' vectors ahead of use; each iteration then asks for the one
      // `ahead` places further on.
      constexpr slot_t ahead = 3;
      for (slot_t j = 1; j <= std::min<slot_t>(count, ahead); ++j) __builtin_prefetch(vec(list[j]));
      for (slot_t j = 1; j <= count; ++j) {
        if (j + ahead <= count) __builtin_prefetch(vec(list[j + ahead]));
        const slot_t nb = list[j];
        if (!seen.first_visit(nb)) continue;
        const T d = dist(q, nb);
        if (top.size() < ef || d < top.front().dist) {
          frontier.push_back({d, nb});
          std::push_heap(frontier.begin(), frontier.end(), detail::farther{});
          if (accept(nb)) {
            top.push_back({d, nb});
            std::push_heap(top.begin(), top.end(), detail::closer{});  // farthest at front
            if (top.size() > ef) {
              std::pop_heap(top.begin(), top.end(), detail::closer{});
              top.pop_back();
            }
          }
        }
      }
    }
  }

  // The neighbour-selection heuristic: candidates in increasing distance; a candidate is kept if
  // it is closer to the base than to every candidate kept so far. Returns at most `m` slots.
  // Among equally distant candidates the newer node (higher slot) comes first: with exact
  // duplicates this links each copy to the previous ones (a chain) instead of making the oldest
  // copies hubs that later copies cannot be reached from.
  std::vector<slot_t> select(std::vector<cand> candidates, std::size_t m) const {
    std::sort(candidates.begin(), candidates.end(), [](const cand& a, const cand& b) { return a.dist < b.dist || (a.dist == b.dist && a.slot > b.slot); });
    std::vector<slot_t> kept;
    kept.reserve(m);
    for (const auto& c : candidates) {
      if (kept.size() >= m) break;
      bool good = true;
      for (const slot_t r : kept) {
        if (graph::between(vec(c.slot), vec(r), dim_) < c.dist) {
          good = false;
          break;
        }
      }
      if (good) kept.push_back(c.slot);
    }
    return kept;
  }

  void clear() {
    data_.clear();
    ids_.clear();
    deleted_.clear();
    level_.clear();
    links0_.clear();
    upper_.clear();
    slots_.clear();
    max_level_ = -1;
    entry_ = 0;
  }

  // Appends the rows as new nodes and links them, batch by batch (see the class comment).
  void insert(std::span<const id_type> ids, const matrix_view<T>& rows) {
    const std::size_t first = ids_.size(), n = rows.rows();
    if (n == 0) return;
    data_.resize((first + n) * dim_);
    ids_.insert(ids_.end(), ids.begin(), ids.end());
    deleted_.resize(first + n, 0);
    links0_.resize((first + n) * (1 + m0_), 0);
    upper_.resize(first + n);
    level_.resize(first + n);
    for (std::size_t i = 0; i < n; ++i) {
      const auto s = static_cast<slot_t>(first + i);
      prepare_query(rows.row(i), data_.data() + static_cast<std::size_t>(s) * dim_);
      rng r(p_.seed, inserted_++);
      const double u = 1.0 - r.uniform();  // (0, 1]
      level_[s] = std::min(detail::hnsw_max_level, static_cast<int>(-std::log(u) * level_scale_));
      upper_[s].assign(static_cast<std::size_t>(level_[s]) * (1 + p_.m), 0);
      slots_[ids[i]] = s;
    }
    executor ex(p_.threads);
    std::size_t at = first;
    while (at < first + n) {
      if (max_level_ < 0) {  // empty graph: the first node is the entry point
        entry_ = static_cast<slot_t>(at);
        max_level_ = level_[at];
        ++at;
        continue;
      }
      const std::size_t batch = std::clamp<std::size_t>(at / 32, 1, 64);
      const std::size_t end = std::min(first + n, at + batch);
      link_batch(static_cast<slot_t>(at), static_cast<slot_t>(end), ex);
      at = end;
    }
  }

  void link_batch(slot_t b, slot_t e, executor& ex) {
    const std::size_t count = e - b;
    const int top_level = max_level_;
    // 1. Each new node searches the graph as it was before the batch and picks its neighbours.
    std::vector<std::vector<std::vector<slot_t>>> chosen(count);
    parallel_for(ex, count, 8, [&](std::size_t i0, std::size_t i1, std::size_t) {
      std::vector<cand> top, frontier;
      const auto everyone = [](slot_t) { return true; };
      std::vector<cand> peers, pool;
      for (std::size_t i = i0; i < i1; ++i) {
        const auto s = static_cast<slot_t>(b + i);
        const T* q = vec(s);
        const int lv = std::min(level_[s], top_level);
        slot_t ep = descend(q, lv + 1);
        chosen[i].resize(static_cast<std::size_t>(lv) + 1);
        // The other members of the batch are candidates too (they cannot be found in the graph
        // yet): without them, near-duplicates inserted together would never link to each other.
        peers.clear();
        for (slot_t u = b; u < e; ++u) {
          if (u != s) peers.push_back({dist(q, u), u});
        }
        for (int l = lv; l >= 0; --l) {
          walk(q, ep, p_.ef_construction, l, everyone, top, frontier);
          // Next level starts from the closest node found here.
          ep = std::min_element(top.begin(), top.end(), detail::closer{})->slot;
          pool.assign(top.begin(), top.end());
          for (const auto& c : peers) {
            if (level_[c.slot] >= l) pool.push_back(c);
          }
          chosen[i][static_cast<std::size_t>(l)] = select(pool, p_.m);  // m out-links per level, as in the paper
        }
      }
    });
    // 2. Own links.
    for (std::size_t i = 0; i < count; ++i) {
      for (std::size_t l = 0; l < chosen[i].size(); ++l) {
        slot_t* list = links(static_cast<slot_t>(b + i), static_cast<int>(l));
        list[0] = static_cast<slot_t>(chosen[i][l].size());
        std::copy(chosen[i][l].begin(), chosen[i][l].end(), list + 1);
      }
    }
    // 3. Reverse links, grouped by (target, level), sources in insertion order.
    struct edge {
      slot_t target;
      int level;
      slot_t source;
    };
    std::vector<edge> edges;
    for (std::size_t i = 0; i < count; ++i) {
      for (std::size_t l = 0; l < chosen[i].size(); ++l) {
        for (const slot_t t : chosen[i][l]) edges.push_back({t, static_cast<int>(l), static_cast<slot_t>(b + i)});
      }
    }
    std::sort(edges.begin(), edges.end(), [](const edge& x, const edge& y) {
      return x.target < y.target || (x.target == y.target && (x.level < y.level || (x.level == y.level && x.source < y.source)));
    });
    std::vector<std::size_t> groups;
    for (std::size_t i = 0; i < edges.size(); ++i) {
      if (i == 0 || edges[i].target != edges[i - 1].target || edges[i].level != edges[i - 1].level) groups.push_back(i);
    }
    groups.push_back(edges.size());
    parallel_for(ex, groups.size() - 1, 64, [&](std::size_t g0, std::size_t g1, std::size_t) {
      for (std::size_t g = g0; g < g1; ++g) {
        const slot_t t = edges[groups[g]].target;
        const int l = edges[groups[g]].level;
        slot_t* list = links(t, l);
        const std::size_t cap = max_links(l);
        const std::size_t incoming = groups[g + 1] - groups[g];
        if (list[0] + incoming <= cap) {
          for (std::size_t j = groups[g]; j < groups[g + 1]; ++j) list[++list[0]] = edges[j].source;
          continue;
        }
        std::vector<cand> pool;
        pool.reserve(list[0] + incoming);
        for (slot_t j = 1; j <= list[0]; ++j) pool.push_back({graph::between(vec(t), vec(list[j]), dim_), list[j]});
        for (std::size_t j = groups[g]; j < groups[g + 1]; ++j) pool.push_back({graph::between(vec(t), vec(edges[j].source), dim_), edges[j].source});
        const auto kept = select(std::move(pool), cap);
        list[0] = static_cast<slot_t>(kept.size());
        std::copy(kept.begin(), kept.end(), list + 1);
      }
    });
    // 4. A new node above the top level becomes the entry point (the first such, in order).
    for (slot_t s = b; s < e; ++s) {
      if (level_[s] > max_level_) {
        max_level_ = level_[s];
        entry_ = s;
      }
    }
  }

  std::size_t dim_;
  build_params p_;
  Metric metric_;
  std::size_t m0_ = 32;
  double level_scale_ = 0.0;
  std::vector<T> data_;                  // nodes x dim (unit vectors for cosine)
  std::vector<id_type> ids_;             // id of each node
  std::vector<std::uint8_t> deleted_;    // 1 = removed (still routes searches)
  std::vector<int> level_;               // top level of each node
  std::vector<slot_t> links0_;           // nodes x (1 + 2m): count, neighbours
  std::vector<std::vector<slot_t>> upper_;  // per node: levels 1..level_, each (1 + m)
  std::unordered_map<id_type, slot_t> slots_;  // live ids
  slot_t entry_ = 0;
  int max_level_ = -1;
  std::uint64_t inserted_ = 0;           // nodes ever inserted: the stream index of their random level
  std::shared_ptr<const attribute_table> attributes_;  // optional per-id attributes
  detail::rw_lock lock_;  // searches and saves share it; add, remove, compact and set_attributes take it alone
};

static_assert(segkit::neighbor_index<hnsw<>>);
static_assert(segkit::neighbor_index<hnsw<distance::cosine_metric, double>>);

}  // namespace segkit::index
