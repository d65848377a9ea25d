#pragma once
/// @file
/// @brief Exact k-nearest-neighbor search: the reference every approximate index is checked against.

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
#include <tuple>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>
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
#include "segkit/core/types.hpp"
#include "segkit/distance/metrics.hpp"
#include "segkit/index/attributes.hpp"
#include "segkit/index/detail/checks.hpp"
#include "segkit/distance/pairwise.hpp"
#include "segkit/index/detail/topk.hpp"

namespace segkit::index {

namespace detail {
inline constexpr std::uint32_t flat_format_version = 1;
inline constexpr const char* flat_kind = "segkit.index.flat";
}  // namespace detail

/// Per-search parameters of an exact index (flat::search_params).
struct flat_search_params {
  std::size_t threads = 0;  ///< worker threads (0 = all)

  /// The parameter table (segkit/core/params.hpp): names, docs and valid values.
  static constexpr auto table() {
    using p = flat_search_params;
    return std::tuple{segkit::params::field("threads", &p::threads, "worker threads, 0 = all cores; results do not depend on it")};
  }
};

/**
 * @brief Exact search over all stored vectors, with ids chosen by the caller.
 *
 * For l2, squared l2, inner product and cosine, distances between a block of queries and a block
 * of stored vectors come from one BLAS matrix product (using cached norms); the best
 * k + max(8, k/4) candidates of each query are then re-scored with the exact SIMD kernel and the
 * best k reported. Other metrics are evaluated pair by pair with their SIMD kernel. Results are
 * ordered by distance, ties by smaller id, and are the same for any thread count.
 *
 * @tparam Metric  a segkit::metric (default Euclidean); reported distances are its values
 *                 (l2 is the true Euclidean distance, not its square).
 * @tparam T       float (default) or double.
 * @par Complexity  add O(d) per vector; remove O(d); search O(nq n d) with BLAS, memory O(nq k).
 * @par Thread safety  Any number of searches (and saves, size, contains) may run alongside one
 * writer (add, upsert, remove, set_attributes): a writer-preferring reader-writer lock inside, so
 * a search sees the index before or after a write, never during it. Filters may be called from
 * several threads at once and must not call back into the index. ids() and vectors() are views
 * into the storage: do not use them while another thread writes.
 */
template <class Metric = distance::l2_metric, class T = float>
  requires segkit::metric<Metric, T>
class flat {
 public:
  using value_type = T;
  using metric_type = Metric;

  using search_params = flat_search_params;  ///< per-search parameters

  /// An empty index for vectors of `dim` values. @throws segkit::invalid_argument if dim is 0.
  explicit flat(std::size_t dim, Metric metric = {}) : dim_(dim), metric_(metric) {
    if (dim == 0) segkit::detail::throw_invalid("segkit::index::flat", "dim must be at least 1");
  }

  /// Dimension of the stored vectors.
  [[nodiscard]] std::size_t dim() const noexcept { return dim_; }
  /// Number of stored vectors.
  [[nodiscard]] std::size_t size() const {
    const auto lock = lock_.read();
    return ids_.size();
  }
  /// The metric.
  [[nodiscard]] const Metric& metric() const noexcept { return metric_; }
  /// True if a vector with this id is stored.
  [[nodiscard]] bool contains(id_type id) const {
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
  /// Ids in storage order (storage order changes when vectors are removed).
  [[nodiscard]] std::span<const id_type> ids() const noexcept { return ids_; }
  /// The stored vectors, in the order of ids().
  [[nodiscard]] matrix_view<T> vectors() const noexcept { return {rows_data(), ids_.size(), dim_}; }

  /**
   * @brief Stores `rows` under `ids` (one id per row).
   * @throws segkit::invalid_argument if the counts or dimension differ, a row holds NaN/Inf, or an
   * id is repeated, already stored, or equal to segkit::no_id. Nothing is stored on error.
   */
  void add(std::span<const id_type> ids, matrix_view<T> rows);
  /// add() for any 2-D xtensor expression.
  template <class E>
    requires(!std::is_same_v<std::decay_t<E>, matrix_view<T>>)
  void add(std::span<const id_type> ids, const E& rows) {
    add(ids, as_rows<T>(rows).view());
  }

  /**
   * @brief Stores `rows` under `ids`, replacing the vectors of ids already stored.
   * @throws segkit::invalid_argument as add() does (except for ids already stored).
   */
  void upsert(std::span<const id_type> ids, matrix_view<T> rows) {
    detail::check_rows<T>("segkit::index::flat::upsert", ids, rows, dim_);
    require_writable("upsert");
    detail::check_ids("segkit::index::flat::upsert", ids, [](id_type) { return false; }, false);
    const auto lock = lock_.write();
    for (std::size_t i = 0; i < ids.size(); ++i) {
      if (auto it = slots_.find(ids[i]); it != slots_.end()) {
        std::copy_n(rows.row(i), dim_, data_.owned().data() + it->second * dim_);
        set_terms(it->second);
      } else {
        append(ids.subspan(i, 1), rows.slice(i, i + 1));
      }
    }
  }

  /// Removes the vector with this id; returns false if there was none. O(d).
  bool remove(id_type id) {
    require_writable("remove");
    const auto lock = lock_.write();
    const auto it = slots_.find(id);
    if (it == slots_.end()) return false;
    const std::size_t slot = it->second;
    const std::size_t last = ids_.size() - 1;
    if (slot != last) {
      std::copy_n(data_.data() + last * dim_, dim_, data_.owned().data() + slot * dim_);
      ids_[slot] = ids_[last];
      if (!terms_.empty()) terms_[slot] = terms_[last];
      slots_[ids_[slot]] = slot;
    }
    slots_.erase(it);
    ids_.pop_back();
    data_.owned().resize(last * dim_);
    if (!terms_.empty()) terms_.pop_back();
    return true;
  }

  /// search() without a filter.
  [[nodiscard]] knn_result<T> search(matrix_view<T> queries, std::size_t k, const search_params& params = {}) const;

  /**
   * @brief The k nearest stored vectors of each query among those whose id passes `filter`.
   * @param queries  nq x dim query rows.
   * @param k        neighbors per query (>= 1).
   * @param params   threads.
   * @param filter   callable `bool(id_type)`, evaluated during the scan (not after it).
   * @return knn_result: nq x k' ids and distances, k' = min(k, size()) (1 for an empty index): k
   *         is capped at the vectors stored, so an absurd k costs nothing; rows with fewer than
   *         k' matches (a filter) end with segkit::no_id and an infinite distance.
   * @throws segkit::invalid_argument if k is 0, the query dimension differs, or a query holds NaN/Inf.
   */
  template <class Filter>
  [[nodiscard]] knn_result<T> search(matrix_view<T> queries, std::size_t k, const search_params& params,
                                     Filter&& filter) const {
    detail::check_queries<T>("segkit::index::flat::search", queries, k, dim_);
    const auto lock = lock_.read();
    const std::size_t nq = queries.rows();
    const std::size_t n = ids_.size();
    k = detail::result_width("segkit::index::flat::search", nq, k, n);
    knn_result<T> out = detail::empty_result<Metric, T>(nq, k);
    if (nq == 0 || n == 0) return out;

    constexpr bool via_gemm = distance::gemm_form_of<Metric>() != distance::gemm_form::none &&
                              (std::is_same_v<T, float> || std::is_same_v<T, double>);
    const std::size_t kc = via_gemm ? k + std::max<std::size_t>(8, k / 4) : k;
    // Work items: query blocks x base ranges, a partition fixed by (nq, n) only.
    constexpr std::size_t query_grain = 256;
    constexpr std::size_t base_block = 1024;
    const std::size_t n_qblocks = chunk_count(nq, query_grain);
    const std::size_t n_ranges = std::clamp<std::size_t>(n / 16384, 1, std::max<std::size_t>(1, 16 / n_qblocks));
    const auto q_terms = distance::row_norm_terms<Metric>(queries);
    const matrix_view<T> base = vectors();

    // cands[(query * n_ranges + range) * kc + j], counts[query * n_ranges + range]
    std::vector<detail::candidate<T>> cands(nq * n_ranges * kc);
    std::vector<std::size_t> counts(nq * n_ranges, 0);
    executor ex(params.threads);
    ex.run(n_qblocks * n_ranges, [&](std::size_t item) {
      const std::size_t qb = item / n_ranges;
      const std::size_t r = item % n_ranges;
      const std::size_t q0 = qb * query_grain;
      const std::size_t q1 = std::min(nq, q0 + query_grain);
      const std::size_t b0 = r * n / n_ranges;
      const std::size_t b1 = (r + 1) * n / n_ranges;
      std::vector<detail::bounded_heap<T>> heaps(q1 - q0, detail::bounded_heap<T>(kc));
      std::vector<T> block((q1 - q0) * base_block);
      const auto qv = queries.slice(q0, q1);
      for (std::size_t j0 = b0; j0 < b1; j0 += base_block) {
        const std::size_t j1 = std::min(b1, j0 + base_block);
        distance::distance_block<Metric, T>(metric_, qv, base.slice(j0, j1), q_terms.empty() ? nullptr : q_terms.data() + q0,
                                            terms_.empty() ? nullptr : terms_.data() + j0, block.data(), base_block, true);
        for (std::size_t i = 0; i < q1 - q0; ++i) {
          auto& heap = heaps[i];
          const T* row = block.data() + i * base_block;
          for (std::size_t j = j0; j < j1; ++j) {
            const T score = distance::to_score<Metric>(row[j - j0]);
            if (heap.full() && score > heap.worst_score()) continue;
            const id_type id = ids_[j];
            if (!heap.admits(score, id)) continue;
            if constexpr (!std::is_same_v<std::decay_t<Filter>, accept_all>) {
              if (!filter(id)) continue;
            }
            heap.push({score, id, j});
          }
        }
      }
      for (std::size_t i = 0; i < q1 - q0; ++i) {
        const auto& items = heaps[i].items();
        const std::size_t cell = (q0 + i) * n_ranges + r;
        std::copy(items.begin(), items.end(), cands.begin() + static_cast<std::ptrdiff_t>(cell * kc));
        counts[cell] = items.size();
      }
    });

    // Merge the ranges of each query, re-score exactly, keep the k best.
    parallel_for(ex, nq, query_grain, [&](std::size_t begin, std::size_t end, std::size_t) {
      std::vector<detail::candidate<T>> merged;
      for (std::size_t q = begin; q < end; ++q) {
        merged.clear();
        for (std::size_t r = 0; r < n_ranges; ++r) {
          const std::size_t cell = q * n_ranges + r;
          const auto first = cands.begin() + static_cast<std::ptrdiff_t>(cell * kc);
          merged.insert(merged.end(), first, first + static_cast<std::ptrdiff_t>(counts[cell]));
        }
        if (merged.size() > kc) {
          std::nth_element(merged.begin(), merged.begin() + static_cast<std::ptrdiff_t>(kc), merged.end(), detail::better<T>);
          merged.resize(kc);
        }
        if constexpr (via_gemm) {
          for (auto& c : merged) c.score = distance::to_score<Metric>(metric_(queries.row(q), base.row(c.slot), dim_));
        }
        std::sort(merged.begin(), merged.end(), detail::better<T>);
        const std::size_t m = std::min(k, merged.size());
        for (std::size_t j = 0; j < m; ++j) {
          out.ids(q, j) = merged[j].id;
          out.distances(q, j) = distance::to_score<Metric>(merged[j].score);  // score -> value (its own inverse)
        }
      }
    });
    return out;
  }

  /// search() for any 2-D xtensor expression of queries.
  template <class E, class Filter = accept_all>
    requires(!std::is_same_v<std::decay_t<E>, matrix_view<T>>)
  [[nodiscard]] knn_result<T> search(const E& queries, std::size_t k, const search_params& params = {},
                                     Filter&& filter = {}) const {
    if constexpr (std::is_same_v<std::decay_t<Filter>, accept_all>) {
      return search(as_rows<T>(queries).view(), k, params);  // the unfiltered search (compiled once in compiled mode)
    } else {
      return search(as_rows<T>(queries).view(), k, params, std::forward<Filter>(filter));
    }
  }

  /**
   * @brief Writes the index to `path` atomically (temporary file, fsync, rename), in segkit's
   * checksummed container (kind "segkit.index.flat").
   */
  void save(const std::filesystem::path& path) const;

  /**
   * @brief Reads an index written by save().
   * @throws segkit::io_error if unreadable; segkit::format_error if the file is truncated,
   * corrupted, of another version, or holds another metric, value type or kind of index.
   */
  [[nodiscard]] static flat load(const std::filesystem::path& path) { return load(container_reader(path, detail::flat_kind)); }

  /// Reads an index from an already verified container (see container_reader).
  [[nodiscard]] static flat load(const container_reader& file) { return read(file, false); }

  /**
   * @brief Opens a saved index read-only with its vectors memory-mapped: no copy of them is made,
   * processes that open the same file share their pages, and opening reads them once (checksums,
   * the finiteness check and the per-row norms). Searches, save, size and contains work as on a
   * loaded index; add, upsert and remove throw segkit::invalid_argument (load() gives a writable
   * copy). The file must not be rewritten in place while open (segkit's atomic saves never do).
   * @throws as load().
   */
  [[nodiscard]] static flat open_mapped(const std::filesystem::path& path) { return open_mapped(container_reader::map(path, detail::flat_kind)); }
  /// open_mapped() from a container opened with container_reader::map().
  [[nodiscard]] static flat open_mapped(const container_reader& mapped_file) { return read(mapped_file, true); }

  /// True if the index was opened with open_mapped() (read-only).
  [[nodiscard]] bool mapped() const noexcept { return mapping_ != nullptr; }

 private:
  static flat read(const container_reader& file, bool keep_mapped);

  // Metrics whose matrix-product form needs per-row norms (see distance::row_norm_terms).
  static constexpr bool uses_terms = distance::needs_norm_terms<Metric>();

  void append(std::span<const id_type> ids, const matrix_view<T>& rows) {
    const std::size_t first = ids_.size();
    auto& data = data_.owned();
    data.resize((first + rows.rows()) * dim_);
    for (std::size_t i = 0; i < rows.rows(); ++i) std::copy_n(rows.row(i), dim_, data.data() + (first + i) * dim_);
    ids_.insert(ids_.end(), ids.begin(), ids.end());
    for (std::size_t i = 0; i < ids.size(); ++i) slots_[ids[i]] = first + i;
    if constexpr (uses_terms) {
      terms_.resize(ids_.size());
      for (std::size_t s = first; s < ids_.size(); ++s) set_terms(s);
    }
  }

  void set_terms(std::size_t slot) {
    if (terms_.empty()) return;
    terms_[slot] = distance::norm_term<Metric>(rows_data() + slot * dim_, dim_);
  }

  [[nodiscard]] const T* rows_data() const noexcept { return data_.data(); }

  void require_writable(const char* op) const { detail::require_writable(mapping_ != nullptr, fmt::format("segkit::index::flat::{}", op)); }

  std::size_t dim_;
  Metric metric_;
  segkit::detail::owned_or_viewed<T> data_;  // size() x dim_, row-major (in the mapping after open_mapped())
  std::vector<id_type> ids_;
  std::vector<T> terms_;   // per-row norm terms for the matrix-product path
  std::unordered_map<id_type, std::size_t> slots_;
  std::shared_ptr<const attribute_table> attributes_;  // optional per-id attributes
  std::shared_ptr<const void> mapping_;  // open_mapped(): keeps the mapped file alive (shared by copies)
  detail::rw_lock lock_;  // searches, saves and readers share it; add, upsert, remove and set_attributes take it alone
};

template <class Metric, class T>
  requires segkit::metric<Metric, T>
void flat<Metric, T>::add(std::span<const id_type> ids, matrix_view<T> rows) {
  detail::check_rows<T>("segkit::index::flat::add", ids, rows, dim_);
  require_writable("add");
  const auto lock = lock_.write();
  detail::check_ids("segkit::index::flat::add", ids, [this](id_type id) { return slots_.count(id) != 0; }, true);
  append(ids, rows);
}

template <class Metric, class T>
  requires segkit::metric<Metric, T>
auto flat<Metric, T>::search(matrix_view<T> queries, std::size_t k, const search_params& params) const -> knn_result<T> {
  return search(queries, k, params, accept_all{});
}

template <class Metric, class T>
  requires segkit::metric<Metric, T>
void flat<Metric, T>::save(const std::filesystem::path& path) const {
  const auto lock = lock_.read();
  byte_writer meta;
  meta.put(detail::flat_format_version).put_string(Metric::name).put_string(npy_dtype_name(segkit::detail::npy_dtype_of<T>()));
  meta.put(static_cast<std::uint64_t>(dim_)).put(static_cast<std::uint64_t>(ids_.size()));
  container_writer w(detail::flat_kind);
  w.add("meta", meta.bytes());
  w.add_array<id_type>("ids", ids_);
  w.add_array<T>("vectors", std::span<const T>(rows_data(), ids_.size() * dim_));
  if (attributes_) attributes_->write(w);
  w.commit(path);
}

template <class Metric, class T>
  requires segkit::metric<Metric, T>
auto flat<Metric, T>::read(const container_reader& file, bool keep_mapped) -> flat {
  if (file.kind() != detail::flat_kind) file.fail(fmt::format("holds '{}', not a flat index", file.kind()));
  byte_reader meta(file.section("meta"), file);
  const auto version = meta.get<std::uint32_t>();
  if (version != detail::flat_format_version) file.fail(fmt::format("flat index format version {} is not supported (expected {})", version, detail::flat_format_version));
  const auto metric_name = meta.get_string();
  if (metric_name != Metric::name) file.fail(fmt::format("index uses metric '{}', this index type expects '{}'", metric_name, Metric::name));
  const auto dtype = meta.get_string();
  if (dtype != npy_dtype_name(segkit::detail::npy_dtype_of<T>())) file.fail(fmt::format("index stores {} values, this index type expects {}", dtype, npy_dtype_name(segkit::detail::npy_dtype_of<T>())));
  const auto dim = meta.get<std::uint64_t>();
  const auto count = meta.get<std::uint64_t>();
  if (dim == 0 || dim > (std::uint64_t{1} << 24)) file.fail(fmt::format("implausible dimension {}", dim));
  if (count > (std::uint64_t{1} << 40) / dim) file.fail(fmt::format("implausible vector count {}", count));
  flat index(static_cast<std::size_t>(dim));
  auto ids = file.array<id_type>("ids", static_cast<std::size_t>(count));
  auto values = file.array_or_view<T>("vectors", static_cast<std::size_t>(count * dim), keep_mapped);
  const matrix_view<T> rows(values.data(), static_cast<std::size_t>(count), static_cast<std::size_t>(dim));
  for (std::size_t i = 0; i < rows.rows(); ++i) {
    for (std::size_t j = 0; j < rows.cols(); ++j) {
      if (!std::isfinite(rows(i, j))) file.fail(fmt::format("vector {} holds a non-finite value", i));
    }
  }
  std::unordered_set<id_type> seen;
  for (auto id : ids) {
    if (id == no_id || !seen.insert(id).second) file.fail(fmt::format("id {} is invalid or repeated", id));
  }
  if (keep_mapped) {
    index.mapping_ = file.storage();
    index.data_ = std::move(values);
    index.ids_ = std::move(ids);
    for (std::size_t i = 0; i < index.ids_.size(); ++i) index.slots_[index.ids_[i]] = i;
    if constexpr (uses_terms) {
      index.terms_.resize(index.ids_.size());
      for (std::size_t slot = 0; slot < index.ids_.size(); ++slot) index.set_terms(slot);
    }
  } else {
    index.append(ids, rows);
  }
  if (attribute_table::present(file)) index.attributes_ = std::make_shared<const attribute_table>(attribute_table::read(file));
  return index;
}

static_assert(segkit::neighbor_index<flat<>>);
static_assert(segkit::neighbor_index<flat<distance::cosine_metric, double>>);

}  // namespace segkit::index

/// The instantiations compiled once into segkit::segkit_compiled (segkit/core/compiled.hpp).
#define SEGKIT_INSTANCES_INDEX_FLAT(X) SEGKIT_METRIC_INSTANCES(X, class segkit::index::flat)
SEGKIT_INSTANCES_INDEX_FLAT(SEGKIT_EXTERN_TEMPLATE)
