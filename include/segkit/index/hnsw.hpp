#pragma once
/// @file
/// @brief Approximate nearest-neighbor search on a hierarchical navigable small-world graph
/// (HNSW), with a deterministic parallel build, filters applied during the walk, upserts,
/// removals and checksummed persistence.

/// Longer than segkit's ~600-line guide: hnsw is one class whose build, walk, mutations and
/// persistence share its private node arrays and lock; what needs none of that state is in
/// index/detail/ (checks, scalar quantizer, top-k) and distance/.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "segkit/core/binary_format.hpp"
#include "segkit/core/compiled.hpp"
#include "segkit/core/concepts.hpp"
#include "segkit/core/error.hpp"
#include "segkit/core/file.hpp"
#include "segkit/core/matrix_view.hpp"
#include "segkit/core/npy.hpp"
#include "segkit/core/parallel.hpp"
#include "segkit/core/params.hpp"
#include "segkit/core/random.hpp"
#include "segkit/core/types.hpp"
#include "segkit/distance/compressed.hpp"
#include "segkit/distance/kernels.hpp"
#include "segkit/distance/metrics.hpp"
#include "segkit/index/attributes.hpp"
#include "segkit/index/detail/checks.hpp"
#include "segkit/index/detail/scalar_quantizer.hpp"

namespace segkit::index {

/// What the searches of an HNSW graph read for each node (the float vectors are always kept: the
/// build, exact re-ranking, compaction and the planner's exact scans use them).
enum class hnsw_storage {
  float32,  ///< the vectors themselves (4 bytes per value)
  float16,  ///< an IEEE half-precision copy (2 bytes per value; values must lie within ±65504)
  int8      ///< an 8-bit scalar-quantized copy (1 byte per value, per-dimension range)
};

/// Names of hnsw_storage in files and on the command line.
constexpr auto enum_names(hnsw_storage) {
  using params::name_value;
  return std::array{name_value{"float32", hnsw_storage::float32}, name_value{"float16", hnsw_storage::float16}, name_value{"int8", hnsw_storage::int8}};
}

/// How an HNSW graph is built (hnsw::build_params).
struct hnsw_params {
  std::size_t m = 16;                            ///< links per node
  std::size_t ef_construction = 200;             ///< candidates per insertion
  std::uint64_t seed = 100;                      ///< seed of the random levels
  std::size_t threads = 0;                       ///< worker threads (0 = all)
  hnsw_storage storage = hnsw_storage::float32;  ///< what searches walk on

  /// The parameter table (segkit/core/params.hpp): names, docs and valid values.
  static constexpr auto table() {
    using p = hnsw_params;
    namespace sp = segkit::params;
    return std::tuple{sp::field("m", &p::m, "links per node on upper levels (2 m on level 0)", sp::between(2, 1024)),
                      sp::field("ef_construction", &p::ef_construction, "candidates examined per insertion", sp::at_least(1)),
                      sp::field("seed", &p::seed, "seed of the random levels"),
                      sp::field("threads", &p::threads, "worker threads, 0 = all cores; the graph does not depend on it"),
                      sp::field("storage", &p::storage, "what searches walk on: float32, a float16 copy or an int8 copy (re-ranked with the floats)")};
  }
};

/// Per-search parameters of an HNSW graph (hnsw::search_params).
struct hnsw_search_params {
  std::size_t ef = 0;        ///< candidates kept during the walk
  std::size_t threads = 0;   ///< worker threads (0 = all)
  double exact_below = 0.0;  ///< planner threshold
  bool rerank = true;        ///< float16 / int8: re-score with the floats

  /// The parameter table (segkit/core/params.hpp): names, docs and valid values.
  static constexpr auto table() {
    using p = hnsw_search_params;
    namespace sp = segkit::params;
    return std::tuple{sp::field("ef", &p::ef, "candidates kept during the walk (at least k); 0 = max(k, 64)"),
                      sp::field("threads", &p::threads, "worker threads, 0 = all cores; results do not depend on it"),
                      sp::field("exact_below", &p::exact_below,
                                "a filter reporting selectivity s below this is answered by an exact scan of the matches; 0 = the cost model "
                                "(scan when s < sqrt(ef 2m / n))",
                                sp::between(0, 1)),
                      sp::field("rerank", &p::rerank, "float16 / int8 storage: re-score the ef candidates with the float vectors")};
  }
};

namespace detail {
// Version 2 added the storage of the walk (float16 / int8 copies); version 1 files still load.
inline constexpr std::uint32_t hnsw_format_version = 2;
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
  std::vector<std::uint32_t> fresh;  // scratch of a walk: the unvisited neighbors of one node
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
 * with the neighbor-selection heuristic of that paper (Algorithm 4, without extending or keeping
 * pruned candidates).
 *
 * **Deterministic parallel build.** Vectors are inserted in batches. The first ones go in one at
 * a time; later batches hold at most 1/32 of the graph (and at most 64 vectors). All vectors of
 * a batch search the graph as it was before the batch, in parallel, and choose their neighbors
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
 * **Compressed storage.** With hnsw_storage::float16 or int8 the searches walk the graph on a
 * compressed copy of the vectors (half or a quarter of the bytes per node, so more of the graph
 * stays in cache), then re-rank the ef candidates found with the float vectors, so the returned
 * distances are exact. The graph itself is built on the float vectors and does not depend on the
 * storage. int8 codes use a per-dimension range trained on the stored vectors; it is retrained
 * (and every node re-encoded) whenever the graph has doubled since, and by compact(). For l2,
 * sqeuclidean, cosine and ip with float values.
 *
 * **Removal** marks a node deleted (it keeps routing searches). When deleted nodes outnumber live
 * ones, the next add() rebuilds the graph from the live vectors (compact()), so memory stays
 * bounded under add/remove churn. upsert() of a stored id removes the old node and inserts the new
 * vector.
 *
 * @tparam Metric  l2, sqeuclidean, cosine (vectors stored normalized), ip or manhattan.
 * @tparam T       float (default) or double.
 * @par Complexity  build about O(n log n · ef_construction · M · d); search O(ef · M · d · log n).
 * Memory: n (d values + (2M + 1) links at level 0) plus about n/M upper-level lists; float16 /
 * int8 storage adds 2d / d bytes per node (+ 4 for int8 with l2).
 * @par Thread safety  Any number of searches (and saves) may run alongside one writer: they
 * share a writer-preferring reader-writer lock that add, remove, compact and set_attributes take
 * exclusively, so a search sees the index before or after a write, never during one. upsert
 * replaces a batch under one write lock, and checks all of it before changing anything (a value
 * beyond float16's range leaves every old vector in place).
 */
template <class Metric = distance::l2_metric, class T = float>
  requires segkit::metric<Metric, T>
class hnsw : public detail::mutations<hnsw<Metric, T>, T> {
  using slot_t = std::uint32_t;
  friend class detail::mutations<hnsw, T>;
  static std::string component(std::string_view op) { return fmt::format("segkit::index::hnsw::{}", op); }
  using graph = detail::graph_distance<Metric>;
  using cand = detail::graph_candidate<T>;
  static constexpr bool euclidean = std::is_same_v<Metric, distance::l2_metric> || std::is_same_v<Metric, distance::squared_l2_metric>;
  // float16 / int8 storage is offered for float values and the metrics whose graph distance is a
  // squared distance or a dot product.
  static constexpr bool compressible = std::is_same_v<T, float> && (euclidean || graph::unit_vectors || std::is_same_v<Metric, distance::inner_product_metric>);

 public:
  using value_type = T;
  using metric_type = Metric;
  using detail::mutations<hnsw, T>::add;
  using detail::mutations<hnsw, T>::upsert;

  using build_params = hnsw_params;          ///< how the graph is built
  using search_params = hnsw_search_params;  ///< per-search parameters

  /// An empty index. @throws segkit::invalid_argument if dim is 0, a parameter is outside its
  /// table's range, or a compressed storage is asked of a metric or type that has none.
  explicit hnsw(std::size_t dim, build_params params = {}, Metric metric = {}) : dim_(dim), p_(params), metric_(metric) {
    const char* comp = "segkit::index::hnsw";
    if (dim == 0) segkit::detail::throw_invalid(comp, "dim must be at least 1");
    segkit::params::validate(p_, comp);
    if (p_.storage != hnsw_storage::float32 && !compressible) {
      segkit::detail::throw_invalid(comp, fmt::format("{} storage needs float values and the l2, sqeuclidean, cosine or ip metric", params::name(p_.storage)));
    }
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
   * @throws segkit::invalid_argument if counts or dimension differ, a row holds NaN/Inf (or, with
   * float16 storage, a value beyond ±65504), an id is repeated, already stored or segkit::no_id,
   * or the index is read-only (open_mapped). Nothing is stored on error.
   */
  void add(std::span<const id_type> ids, matrix_view<T> rows);



  /// Removes the vector with this id (it stops being returned at once); false if there was none.
  bool remove(id_type id) {
    detail::require_writable(mapped(), component("remove"));
    const auto lock = lock_.write();
    return remove_locked(id);
  }

  /// Rebuilds the graph from the live vectors (same insertion order), dropping removed nodes.
  void compact() {
    detail::require_writable(mapped(), component("compact"));
    const auto lock = lock_.write();
    rebuild();
  }

  /// search() without a filter.
  [[nodiscard]] knn_result<T> search(matrix_view<T> queries, std::size_t k, const search_params& params = {}) const;

  /**
   * @brief The (approximate) k nearest stored vectors of each query among ids passing `filter`.
   * @return nq x k' ids and metric values ordered by distance (ties by id), k' = min(k, size())
   * (1 for an empty index); rows with fewer than k' matches end with segkit::no_id and an
   * infinite distance.
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
    k = detail::result_width("segkit::index::hnsw::search", nq, k, slots_.size());
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
    const auto accept = [&](slot_t s) {
      if (deleted_[s] != 0) return false;
      if constexpr (std::is_same_v<std::decay_t<Filter>, accept_all>) {
        return true;
      } else {
        return static_cast<bool>(filter(ids_[s]));
      }
    };
    // One walk per query on what the storage holds; compressed walks re-score their candidates
    // with the float vectors (rerank).
    const auto run = [&](auto make_measure) {
      parallel_for(ex, nq, 16, [&](std::size_t b, std::size_t e, std::size_t) {
        std::vector<T> q(dim_), scratch(dim_);
        std::vector<cand> top, frontier;
        for (std::size_t i = b; i < e; ++i) {
          prepare_query(queries.row(i), q.data());
          const auto measure = make_measure(q.data(), scratch.data());
          walk(measure, descend(measure, 1), ef, 0, accept, top, frontier);
          if (p_.storage != hnsw_storage::float32 && params.rerank) {
            for (auto& c : top) c.dist = dist(q.data(), c.slot);
          }
          std::sort(top.begin(), top.end(), [&](const cand& a, const cand& c) { return a.dist < c.dist || (a.dist == c.dist && ids_[a.slot] < ids_[c.slot]); });
          const std::size_t m = std::min(k, top.size());
          for (std::size_t j = 0; j < m; ++j) {
            out.ids(i, j) = ids_[top[j].slot];
            out.distances(i, j) = graph::value(top[j].dist);
          }
        }
      });
    };
    if constexpr (compressible) {
      if (p_.storage == hnsw_storage::float16) {
        run([this](const T* q, T*) { return half_measure{*this, q}; });
        return out;
      }
      if (p_.storage == hnsw_storage::int8) {
        run([this](const T* q, T* weights) { return code_measure::of(*this, q, weights); });
        return out;
      }
    }
    run([this](const T* q, T*) { return exact_measure{*this, q}; });
    return out;
  }

 public:
  /// search() for any 2-D xtensor expression of queries.
  template <class E, class Filter = accept_all>
    requires(!std::is_same_v<std::decay_t<E>, matrix_view<T>>)
  [[nodiscard]] knn_result<T> search(const E& queries, std::size_t k, const search_params& params = {}, Filter&& filter = {}) const {
    if constexpr (std::is_same_v<std::decay_t<Filter>, accept_all>) {
      return search(as_rows<T>(queries).view(), k, params);  // the unfiltered search (compiled once in compiled mode)
    } else {
      return search(as_rows<T>(queries).view(), k, params, std::forward<Filter>(filter));
    }
  }

  /// Writes the index atomically in segkit's checksummed container (kind "segkit.index.hnsw").
  void save(const std::filesystem::path& path) const;

  /**
   * @brief Reads an index written by save(), checking every link.
   * @throws segkit::io_error if unreadable; segkit::format_error if truncated, corrupted, of
   * another version, metric, value type or kind, or structurally invalid.
   */
  [[nodiscard]] static hnsw load(const std::filesystem::path& path) { return load(container_reader(path, detail::hnsw_kind)); }

  /// Reads an index from an already verified container.
  [[nodiscard]] static hnsw load(const container_reader& file) { return read(file, false); }

  /**
   * @brief Opens a saved index read-only with its vectors, links and compressed copy memory-mapped:
   * no copy of them is made and processes opening the same file share their pages (opening reads
   * them once, to check every link and value). Searches, save, size and contains work as on a
   * loaded index; add, upsert, remove and compact throw segkit::invalid_argument (load() gives a
   * writable copy). The file must not be rewritten in place while open (segkit's atomic saves
   * never do). @throws as load().
   */
  [[nodiscard]] static hnsw open_mapped(const std::filesystem::path& path) { return open_mapped(container_reader::map(path, detail::hnsw_kind)); }
  /// open_mapped() from a container opened with container_reader::map().
  [[nodiscard]] static hnsw open_mapped(const container_reader& mapped_file) { return read(mapped_file, true); }

  /// True if the index was opened with open_mapped() (read-only).
  [[nodiscard]] bool mapped() const noexcept { return mapping_ != nullptr; }

 private:
  static hnsw read(const container_reader& file, bool keep_mapped);

  [[nodiscard]] std::size_t max_links(int level) const noexcept { return level == 0 ? m0_ : p_.m; }

  // The link list of a node at a level: [count, neighbor slots...].
  slot_t* links(slot_t s, int level) noexcept {
    return level == 0 ? links0_.owned().data() + static_cast<std::size_t>(s) * (1 + m0_) : upper_[s].data() + static_cast<std::size_t>(level - 1) * (1 + p_.m);
  }
  const slot_t* links(slot_t s, int level) const noexcept {
    return level == 0 ? links0_.data() + static_cast<std::size_t>(s) * (1 + m0_) : upper_[s].data() + static_cast<std::size_t>(level - 1) * (1 + p_.m);
  }
  const T* vec(slot_t s) const noexcept { return data_.data() + static_cast<std::size_t>(s) * dim_; }
  T dist(const T* q, slot_t s) const noexcept { return graph::between(q, vec(s), dim_); }

  // What a walk measures: the graph distance from a prepared query to a node, and the row to
  // prefetch for it. exact_measure reads the float vectors; half_measure and code_measure the
  // float16 and int8 copies.
  struct exact_measure {
    const hnsw& index;
    const T* q;
    T operator()(slot_t s) const noexcept { return index.dist(q, s); }
    const void* row(slot_t s) const noexcept { return index.vec(s); }
    std::size_t row_bytes() const noexcept { return index.dim_ * sizeof(T); }
  };
  struct half_measure {
    const hnsw& index;
    const float* q;
    float operator()(slot_t s) const noexcept {
      const std::uint16_t* h = static_cast<const std::uint16_t*>(row(s));
      if constexpr (euclidean) {
        return distance::squared_l2_half(q, h, index.dim_);
      } else if constexpr (graph::unit_vectors) {
        return 1.0f - distance::dot_half(q, h, index.dim_);
      } else {
        return -distance::dot_half(q, h, index.dim_);
      }
    }
    const void* row(slot_t s) const noexcept { return index.halves_.data() + static_cast<std::size_t>(s) * index.dim_; }
    std::size_t row_bytes() const noexcept { return index.dim_ * sizeof(std::uint16_t); }
  };
  // q . decoded(x) = sum_j q_j lo_j + sum_j (q_j step_j) code_j: one multiply-add per byte, with
  // the weights q_j step_j computed once per query; |q - x|^2 = |q|^2 - 2 q . x + |x|^2 with |x|^2
  // of the decoded vector stored per node.
  struct code_measure {
    const hnsw& index;
    const float* weights;
    float offset, qq;
    static code_measure of(const hnsw& index, const float* q, float* weights) noexcept {
      float offset = 0.0f;
      for (std::size_t j = 0; j < index.dim_; ++j) {
        weights[j] = q[j] * index.sq_.step[j];
        offset += q[j] * index.sq_.lo[j];
      }
      return {index, weights, offset, euclidean ? distance::dot(q, q, index.dim_) : 0.0f};
    }
    float operator()(slot_t s) const noexcept {
      const float dot = offset + distance::dot_codes(weights, static_cast<const std::uint8_t*>(row(s)), index.dim_);
      if constexpr (euclidean) {
        return qq - 2.0f * dot + index.code_norms_[s];
      } else if constexpr (graph::unit_vectors) {
        return 1.0f - dot;
      } else {
        return -dot;
      }
    }
    const void* row(slot_t s) const noexcept { return index.codes_.data() + static_cast<std::size_t>(s) * index.dim_; }
    std::size_t row_bytes() const noexcept { return index.dim_; }
  };

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
  template <class Measure>
  slot_t descend(const Measure& dist_to, int floor) const {
    slot_t cur = entry_;
    T cur_d = dist_to(cur);
    for (int l = max_level_; l >= floor; --l) {
      bool moved = true;
      while (moved) {
        moved = false;
        const slot_t* list = links(cur, l);
        for (slot_t j = 1; j <= list[0]; ++j) {
          const T d = dist_to(list[j]);
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
  template <class Measure, class Accept>
  void walk(const Measure& dist_to, slot_t start, std::size_t ef, int level, Accept&& accept, std::vector<cand>& top, std::vector<cand>& frontier) const {
    auto& seen = detail::thread_visited_marks();
    seen.reset(ids_.size());
    auto& fresh = seen.fresh;
    const std::size_t bytes = dist_to.row_bytes();
    top.clear();
    frontier.clear();
    const T d0 = dist_to(start);
    seen.first_visit(start);
    frontier.push_back({d0, start});
    if (accept(start)) top.push_back({d0, start});
    while (!frontier.empty()) {
      std::pop_heap(frontier.begin(), frontier.end(), detail::farther{});  // closest last
      const cand c = frontier.back();
      frontier.pop_back();
      if (top.size() >= ef && c.dist > top.front().dist) break;
      // The closest candidate left is most often the next one expanded: its link list (another
      // scattered load) arrives while this one's neighbors are measured (10 % faster builds).
      if (!frontier.empty()) __builtin_prefetch(links(frontier.front().slot, level));
      const slot_t* list = links(c.slot, level);
      const slot_t count = list[0];
      // The unvisited neighbors are listed first, each one's row requested whole (several cache
      // lines, scattered in memory), then measured: the loads overlap instead of each stalling its
      // distance in turn (a 5 % faster build and walk than prefetching the first line a few
      // neighbors ahead).
      fresh.clear();
      for (slot_t j = 1; j <= count; ++j) {
        const slot_t nb = list[j];
        if (!seen.first_visit(nb)) continue;
        fresh.push_back(nb);
        const char* r = static_cast<const char*>(dist_to.row(nb));
        for (std::size_t off = 0; off < bytes; off += 64) __builtin_prefetch(r + off);
      }
      for (const slot_t nb : fresh) {
        const T d = dist_to(nb);
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

  // The neighbor-selection heuristic: candidates in increasing distance; a candidate is kept if
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
    data_.owned().clear();
    ids_.owned().clear();
    deleted_.owned().clear();
    level_.owned().clear();
    links0_.owned().clear();
    halves_.owned().clear();
    codes_.owned().clear();
    code_norms_.owned().clear();
    sq_ = {};
    sq_trained_on_ = 0;
    upper_.clear();
    slots_.clear();
    max_level_ = -1;
    entry_ = 0;
  }

  // The steps of add() and upsert() (detail::mutations): the values' checks (no lock), the
  // checks that read the index (write lock held; `replacing`: stored ids are about to be removed),
  // then the changes, which no longer throw for a reason of the input's.
  void check_values(std::string_view comp, const matrix_view<T>& rows) const {
    if (p_.storage != hnsw_storage::float16 || graph::unit_vectors) return;
    for (std::size_t i = 0; i < rows.rows(); ++i) {
      for (std::size_t j = 0; j < dim_; ++j) {
        if (std::abs(rows(i, j)) > static_cast<T>(distance::half_max)) {
          segkit::detail::throw_invalid(comp, fmt::format("row {} holds {}, beyond the float16 storage's range of ±65504", i, rows(i, j)));
        }
      }
    }
  }
  void check_add_locked(std::string_view comp, std::span<const id_type> ids, const matrix_view<T>&, bool replacing) const {
    if (!replacing) detail::check_ids(comp, ids, [this](id_type id) { return slots_.count(id) != 0; }, true);
    if (ids_.size() + ids.size() > std::numeric_limits<slot_t>::max() - 1) segkit::detail::throw_invalid(comp, "the index would exceed 2^32 - 2 nodes");
  }
  bool remove_locked(id_type id) {
    const auto it = slots_.find(id);
    if (it == slots_.end()) return false;
    deleted_.owned()[it->second] = 1;
    slots_.erase(it);
    return true;
  }
  void add_locked(std::span<const id_type> ids, const matrix_view<T>& rows) {
    if (ids_.size() - slots_.size() > slots_.size()) rebuild();
    insert(ids, rows);
  }

  // Appends the rows as new nodes and links them, batch by batch (see the class comment).
  void insert(std::span<const id_type> ids, const matrix_view<T>& rows) {
    const std::size_t first = ids_.size(), n = rows.rows();
    if (n == 0) return;
    data_.owned().resize((first + n) * dim_);
    ids_.owned().insert(ids_.owned().end(), ids.begin(), ids.end());
    deleted_.owned().resize(first + n, 0);
    links0_.owned().resize((first + n) * (1 + m0_), 0);
    upper_.resize(first + n);
    level_.owned().resize(first + n);
    for (std::size_t i = 0; i < n; ++i) {
      const auto s = static_cast<slot_t>(first + i);
      prepare_query(rows.row(i), data_.owned().data() + static_cast<std::size_t>(s) * dim_);
      rng r(p_.seed, inserted_++);
      const double u = 1.0 - r.uniform();  // (0, 1]
      const int level = std::min(detail::hnsw_max_level, static_cast<int>(-std::log(u) * level_scale_));
      level_.owned()[s] = level;
      upper_[s].assign(static_cast<std::size_t>(level) * (1 + p_.m), 0);
      slots_[ids[i]] = s;
    }
    encode(first);
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

  // Brings the compressed copy up to date for nodes [from, end): float16 values, or int8 codes
  // (with |decoded|^2 for l2). The int8 ranges are (re)trained on all nodes, and every node
  // re-encoded, when there are none yet or the graph has doubled since they were trained.
  void encode(std::size_t from) {
    const std::size_t n = ids_.size();
    if (p_.storage == hnsw_storage::float16) {
      auto& halves = halves_.owned();
      halves.resize(n * dim_);
      for (std::size_t i = from * dim_; i < n * dim_; ++i) halves[i] = distance::to_half(static_cast<float>(data_[i]));
    } else if (p_.storage == hnsw_storage::int8) {
      if (!sq_.trained() || n >= 2 * sq_trained_on_) {
        sq_.train(data_.data(), n, dim_, dim_);
        sq_trained_on_ = n;
        from = 0;
      }
      auto& codes = codes_.owned();
      codes.resize(n * dim_);
      if constexpr (euclidean) code_norms_.owned().resize(n);
      for (std::size_t s = from; s < n; ++s) {
        std::uint8_t* code = codes.data() + s * dim_;
        sq_.encode(vec(static_cast<slot_t>(s)), code);
        if constexpr (euclidean) {
          T norm{0};
          for (std::size_t j = 0; j < dim_; ++j) {
            const T x = sq_.decode(j, code[j]);
            norm += x * x;
          }
          code_norms_.owned()[s] = norm;
        }
      }
    }
  }

  void link_batch(slot_t b, slot_t e, executor& ex) {
    const std::size_t count = e - b;
    const int top_level = max_level_;
    // 1. Each new node searches the graph as it was before the batch and picks its neighbors.
    std::vector<std::vector<std::vector<slot_t>>> chosen(count);
    // One node per chunk: insertions vary in cost, and with larger chunks a thread waited for the
    // other's last chunk at the end of every batch (93 % of the threads busy instead of 98 %).
    parallel_for(ex, count, 1, [&](std::size_t i0, std::size_t i1, std::size_t) {
      std::vector<cand> top, frontier;
      const auto everyone = [](slot_t) { return true; };
      std::vector<cand> peers, pool;
      for (std::size_t i = i0; i < i1; ++i) {
        const auto s = static_cast<slot_t>(b + i);
        const T* q = vec(s);
        const int lv = std::min(level_[s], top_level);
        const exact_measure to_q{*this, q};
        slot_t ep = descend(to_q, lv + 1);
        chosen[i].resize(static_cast<std::size_t>(lv) + 1);
        // The other members of the batch are candidates too (they cannot be found in the graph
        // yet): without them, near-duplicates inserted together would never link to each other.
        peers.clear();
        for (slot_t u = b; u < e; ++u) {
          if (u != s) peers.push_back({dist(q, u), u});
        }
        for (int l = lv; l >= 0; --l) {
          walk(to_q, ep, p_.ef_construction, l, everyone, top, frontier);
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
  // The per-node arrays are owned, or views into the mapped file after open_mapped().
  template <class U>
  using array = segkit::detail::owned_or_viewed<U>;
  array<T> data_;                        // nodes x dim (unit vectors for cosine)
  array<id_type> ids_;                   // id of each node
  array<std::uint8_t> deleted_;          // 1 = removed (still routes searches)
  array<std::int32_t> level_;            // top level of each node
  array<slot_t> links0_;                 // nodes x (1 + 2m): count, neighbors
  array<std::uint16_t> halves_;          // float16 storage: nodes x dim
  array<std::uint8_t> codes_;            // int8 storage: nodes x dim
  array<T> code_norms_;                  // int8 storage with l2: |decoded vector|^2 per node
  detail::scalar_quantizer<T> sq_;       // int8 storage: per-dimension ranges
  std::size_t sq_trained_on_ = 0;        // int8 storage: nodes when the ranges were trained
  std::vector<std::vector<slot_t>> upper_;  // per node: levels 1..level_, each (1 + m)
  std::unordered_map<id_type, slot_t> slots_;  // live ids
  slot_t entry_ = 0;
  int max_level_ = -1;
  std::uint64_t inserted_ = 0;           // nodes ever inserted: the stream index of their random level
  std::shared_ptr<const attribute_table> attributes_;  // optional per-id attributes
  std::shared_ptr<const void> mapping_;  // open_mapped(): keeps the mapped file alive (shared by copies)
  detail::rw_lock lock_;  // searches and saves share it; add, remove, compact and set_attributes take it alone
};

template <class Metric, class T>
  requires segkit::metric<Metric, T>
void hnsw<Metric, T>::add(std::span<const id_type> ids, matrix_view<T> rows) {
  constexpr const char* comp = "segkit::index::hnsw::add";
  detail::check_rows<T>(comp, ids, rows, dim_);
  detail::require_writable(mapped(), component("add"));
  check_values(comp, rows);
  const auto lock = lock_.write();
  check_add_locked(comp, ids, rows, false);
  add_locked(ids, rows);
}

template <class Metric, class T>
  requires segkit::metric<Metric, T>
auto hnsw<Metric, T>::search(matrix_view<T> queries, std::size_t k, const search_params& params) const -> knn_result<T> {
  return search(queries, k, params, accept_all{});
}

template <class Metric, class T>
  requires segkit::metric<Metric, T>
void hnsw<Metric, T>::save(const std::filesystem::path& path) const {
  const auto lock = lock_.read();
  byte_writer meta;
  meta.put(detail::hnsw_format_version).put_string(Metric::name).put_string(npy_dtype_name(segkit::detail::npy_dtype_of<T>()));
  meta.put(static_cast<std::uint64_t>(dim_)).put(static_cast<std::uint64_t>(ids_.size())).put(static_cast<std::uint64_t>(p_.m));
  meta.put(static_cast<std::uint64_t>(p_.ef_construction)).put(p_.seed).put(inserted_);
  meta.put(static_cast<std::int32_t>(max_level_)).put(entry_);
  meta.put(static_cast<std::uint8_t>(p_.storage)).put(static_cast<std::uint64_t>(sq_trained_on_));
  std::vector<std::uint32_t> upper;  // per node: its level-1.. lists, concatenated
  for (const auto& u : upper_) upper.insert(upper.end(), u.begin(), u.end());
  container_writer w(detail::hnsw_kind);
  w.add("meta", meta.bytes());
  w.add_array<id_type>("ids", ids_);
  w.add_array<T>("vectors", data_);
  w.add_array<std::uint8_t>("deleted", deleted_);
  w.add_array<std::int32_t>("levels", level_);
  w.add_array<std::uint32_t>("links0", links0_);
  w.add_array<std::uint32_t>("upper", upper);
  if (p_.storage == hnsw_storage::float16) w.add_array<std::uint16_t>("halves", halves_);
  if (p_.storage == hnsw_storage::int8) {
    w.add_array<std::uint8_t>("codes", codes_);
    w.add_array<T>("cnorms", code_norms_);
    w.add_array<T>("sq_lo", sq_.lo);
    w.add_array<T>("sq_step", sq_.step);
  }
  if (attributes_) attributes_->write(w);
  w.commit(path);
}

template <class Metric, class T>
  requires segkit::metric<Metric, T>
auto hnsw<Metric, T>::read(const container_reader& file, bool keep_mapped) -> hnsw {
  if (file.kind() != detail::hnsw_kind) file.fail(fmt::format("holds '{}', not an HNSW index", file.kind()));
  byte_reader meta(file.section("meta"), file);
  const auto version = meta.get<std::uint32_t>();
  if (version != 1 && version != detail::hnsw_format_version) file.fail(fmt::format("HNSW format version {} is not supported (expected 1 or {})", version, detail::hnsw_format_version));
  if (const auto name = meta.get_string(); name != Metric::name) file.fail(fmt::format("index uses metric '{}', this index type expects '{}'", name, Metric::name));
  const std::string want(npy_dtype_name(segkit::detail::npy_dtype_of<T>()));
  if (const auto dtype = meta.get_string(); dtype != want) file.fail(fmt::format("index stores {} values, this index type expects {}", dtype, want));
  const auto dim = meta.get<std::uint64_t>(), count = meta.get<std::uint64_t>(), m = meta.get<std::uint64_t>();
  const auto ef_c = meta.get<std::uint64_t>();
  const auto seed = meta.get<std::uint64_t>(), inserted = meta.get<std::uint64_t>();
  const auto max_level = meta.get<std::int32_t>();
  const auto entry = meta.get<std::uint32_t>();
  const auto storage_code = version >= 2 ? meta.get<std::uint8_t>() : std::uint8_t{0};
  const auto trained_on = version >= 2 ? meta.get<std::uint64_t>() : std::uint64_t{0};
  if (dim == 0 || dim > (std::uint64_t{1} << 24) || count >= std::numeric_limits<slot_t>::max() || count > (std::uint64_t{1} << 40) / dim) file.fail("implausible index shape");
  if (m < 2 || m > 1024 || ef_c == 0) file.fail("implausible build parameters");
  if (storage_code > 2) file.fail(fmt::format("unknown vector storage {}", storage_code));
  const auto storage = static_cast<hnsw_storage>(storage_code);
  if (storage != hnsw_storage::float32 && !compressible) file.fail(fmt::format("{} storage is not offered for this metric or value type", params::name(storage)));
  hnsw index(static_cast<std::size_t>(dim), {.m = static_cast<std::size_t>(m), .ef_construction = static_cast<std::size_t>(ef_c), .seed = seed, .storage = storage});
  const auto n = static_cast<std::size_t>(count);
  const std::size_t d = index.dim_;
  index.ids_ = file.array_or_view<id_type>("ids", n, keep_mapped);
  index.data_ = file.array_or_view<T>("vectors", n * d, keep_mapped);
  index.deleted_ = file.array_or_view<std::uint8_t>("deleted", n, keep_mapped);
  index.level_ = file.array_or_view<std::int32_t>("levels", n, keep_mapped);
  index.links0_ = file.array_or_view<std::uint32_t>("links0", n * (1 + index.m0_), keep_mapped);
  if (storage == hnsw_storage::float16) {
    index.halves_ = file.array_or_view<std::uint16_t>("halves", n * d, keep_mapped);
    for (const auto h : index.halves_) {
      if (!distance::half_is_finite(h)) file.fail("the float16 copy holds a non-finite value");
    }
  }
  if (storage == hnsw_storage::int8) {
    index.codes_ = file.array_or_view<std::uint8_t>("codes", n * d, keep_mapped);
    index.code_norms_ = file.array_or_view<T>("cnorms", euclidean ? n : 0, keep_mapped);
    index.sq_.lo = file.array<T>("sq_lo", n > 0 ? d : 0);
    index.sq_.step = file.array<T>("sq_step", n > 0 ? d : 0);
    if (n > 0 && (!index.sq_.valid(d) || trained_on == 0 || trained_on > n)) file.fail("invalid int8 ranges");
    for (const T v : index.code_norms_) {
      if (!std::isfinite(v)) file.fail("an int8 code norm is not finite");
    }
    index.sq_trained_on_ = static_cast<std::size_t>(trained_on);
  }
  std::size_t upper_total = 0;
  for (const auto l : index.level_) {
    if (l < 0 || l > detail::hnsw_max_level || l > max_level) file.fail(fmt::format("node level {} is invalid", l));
    upper_total += static_cast<std::size_t>(l) * (1 + index.p_.m);
  }
  const auto upper = file.array<std::uint32_t>("upper", upper_total);
  index.upper_.resize(n);
  std::size_t at = 0;
  for (std::size_t s = 0; s < n; ++s) {
    const std::size_t len = static_cast<std::size_t>(index.level_[s]) * (1 + index.p_.m);
    index.upper_[s].assign(upper.begin() + static_cast<std::ptrdiff_t>(at), upper.begin() + static_cast<std::ptrdiff_t>(at + len));
    at += len;
  }
  for (std::size_t s = 0; s < n; ++s) {
    for (int l = 0; l <= index.level_[s]; ++l) {
      const slot_t* list = std::as_const(index).links(static_cast<slot_t>(s), l);  // const: the links may be mapped
      if (list[0] > index.max_links(l)) file.fail(fmt::format("node {} has {} links at level {}", s, list[0], l));
      for (slot_t j = 1; j <= list[0]; ++j) {
        if (list[j] >= n || index.level_[list[j]] < l) file.fail(fmt::format("node {} links to an invalid node at level {}", s, l));
      }
    }
    for (std::size_t j = 0; j < d; ++j) {
      if (!std::isfinite(index.data_[s * d + j])) file.fail(fmt::format("vector {} holds a non-finite value", s));
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
  if (keep_mapped) index.mapping_ = file.storage();
  if (attribute_table::present(file)) index.attributes_ = std::make_shared<const attribute_table>(attribute_table::read(file));
  return index;
}

static_assert(segkit::neighbor_index<hnsw<>>);
static_assert(segkit::neighbor_index<hnsw<distance::cosine_metric, double>>);

}  // namespace segkit::index

/// The instantiations compiled once into segkit::segkit_compiled (segkit/core/compiled.hpp).
#define SEGKIT_INSTANCES_INDEX_HNSW(X) SEGKIT_METRIC_INSTANCES(X, class segkit::index::hnsw)
SEGKIT_INSTANCES_INDEX_HNSW(SEGKIT_EXTERN_TEMPLATE)
