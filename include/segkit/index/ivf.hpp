#pragma once
/// @file
/// @brief Inverted-file index (IVF): a k-means coarse quantizer splits the vectors into lists;
/// a search scans the nprobe lists closest to the query. Lists hold the vectors themselves
/// (flat), 8-bit scalar-quantized residuals (sq8) or product-quantized residuals (pq) with
/// asymmetric distance tables, optionally re-ranked with the exact vectors.

/// Longer than segkit's ~600-line guide: ivf is one class whose training, list scans, mutations
/// and persistence share its inverted lists; the quantizers are in index/detail/ and distance/.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
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
#include "segkit/core/parallel.hpp"
#include "segkit/core/params.hpp"
#include "segkit/core/types.hpp"
#include "segkit/distance/kernels.hpp"
#include "segkit/distance/metrics.hpp"
#include "segkit/distance/nearest.hpp"
#include "segkit/index/attributes.hpp"
#include "segkit/index/detail/checks.hpp"
#include "segkit/index/detail/scalar_quantizer.hpp"

namespace segkit::index {

/// How an IVF index stores the vectors of its lists.
enum class ivf_codec {
  flat,  ///< the vectors (d floats each): exact distances within the probed lists
  sq8,   ///< residuals to the list center, one byte per dimension (per-dimension range)
  pq     ///< residuals to the list center, m bytes: m sub-vectors, each the index of one of 256 sub-centers
};

/// Names of ivf_codec in files and on the command line.
constexpr auto enum_names(ivf_codec) {
  using params::name_value;
  return std::array{name_value{"flat", ivf_codec::flat}, name_value{"sq8", ivf_codec::sq8}, name_value{"pq", ivf_codec::pq}};
}

/// How an inverted-file index is built (ivf::build_params).
struct ivf_params {
  std::size_t nlist = 0;              ///< lists (0 = about 4 sqrt(n))
  ivf_codec codec = ivf_codec::flat;  ///< what the lists store
  std::size_t pq_m = 0;               ///< pq sub-quantizers (0 = automatic)
  bool keep_vectors = true;           ///< sq8/pq: keep the vectors to re-rank
  std::size_t train_size = 0;         ///< training rows (0 = min(n, 256 nlist))
  std::uint64_t seed = 0;             ///< the trainer's seeds
  std::size_t threads = 0;            ///< worker threads (0 = all)

  /// The parameter table (segkit/core/params.hpp): names, docs and valid values.
  static constexpr auto table() {
    using p = ivf_params;
    namespace sp = segkit::params;
    return std::tuple{sp::field("nlist", &p::nlist, "lists; 0 = about 4 sqrt(n) of the training rows"),
                      sp::field("codec", &p::codec, "what the lists store: the vectors (flat), 1 byte per dimension (sq8) or pq_m bytes (pq)", {},
                                "quantizer"),
                      sp::field("pq_m", &p::pq_m, "pq: sub-quantizers (must divide d); 0 = the largest divisor of d up to d / 4"),
                      sp::field("keep_vectors", &p::keep_vectors, "sq8/pq: also keep the vectors, to re-rank candidates exactly"),
                      sp::field("train_size", &p::train_size, "rows used for training; 0 = min(n, 256 nlist)"),
                      sp::field("seed", &p::seed, "seed of the trainer (coarse lists; codebook q uses seed + 1 + q)"),
                      sp::field("threads", &p::threads, "worker threads, 0 = all cores; the index does not depend on it")};
  }
};

/// Per-search parameters of an inverted-file index (ivf::search_params).
struct ivf_search_params {
  std::size_t nprobe = 0;     ///< lists scanned
  std::size_t rerank = 0;     ///< candidates re-scored exactly
  std::size_t threads = 0;    ///< worker threads (0 = all)
  double exact_below = 0.02;  ///< planner threshold

  /// The parameter table (segkit/core/params.hpp): names, docs and valid values.
  static constexpr auto table() {
    using p = ivf_search_params;
    namespace sp = segkit::params;
    return std::tuple{sp::field("nprobe", &p::nprobe, "lists scanned; 0 = max(1, nlist / 16)"),
                      sp::field("rerank", &p::rerank, "sq8/pq with kept vectors: candidates re-scored exactly; 0 = 4 k"),
                      sp::field("threads", &p::threads, "worker threads, 0 = all cores; results do not depend on it"),
                      sp::field("exact_below", &p::exact_below, "a filter reporting selectivity below this is answered exactly (kept vectors needed)",
                                sp::between(0, 1))};
  }
};

/// A segkit::centroid_trainer of T rows behind a std::function (what an ivf keeps).
template <class T>
using trainer_function = std::function<matrix<T>(matrix_view<T>, std::size_t, std::uint64_t, std::size_t)>;

namespace detail {
inline constexpr const char* ivf_kind = "segkit.index.ivf";
inline constexpr std::uint32_t ivf_format_version = 1;
}  // namespace detail

/**
 * @brief Inverted-file index with flat, SQ8 or PQ lists.
 *
 * Training (automatic on the first add(), or explicit with train()) fits the coarse quantizer
 * with the index's segkit::centroid_trainer (given to the constructor; segkit::cluster::kmeans_trainer
 * is k-means++ then Lloyd) on up to 256 x nlist rows, then the codec: the per-dimension range of
 * the residuals for sq8, or m codebooks of 256 sub-centers trained on the residual sub-vectors for pq (Jégou, Douze & Schmid, "Product quantization for nearest neighbor
 * search", TPAMI 2011). A search computes the query's distance to every list center, scans the
 * nprobe closest lists (pq through one 256-entry distance table per sub-quantizer and list),
 * keeps the best `rerank` candidates and, when the vectors are kept (`keep_vectors`), re-scores
 * them exactly. Filters are evaluated during the scan; a filter reporting selectivity() below
 * exact_below is answered exactly from the kept vectors.
 *
 * @tparam Metric  l2, sqeuclidean or cosine (vectors stored normalized).
 * @par Complexity  search O(nlist d + nprobe (n / nlist) c) with c = d (flat, sq8) or m (pq).
 * @par Thread safety  Any number of searches (and saves, size, contains) may run alongside one
 * writer (add, upsert, remove, train, set_attributes): a writer-preferring reader-writer lock
 * inside, so a search sees the index before or after a write, never during it.
 */
template <class Metric = distance::l2_metric, class T = float>
  requires(std::is_same_v<T, float> && (std::is_same_v<Metric, distance::l2_metric> || std::is_same_v<Metric, distance::squared_l2_metric> ||
                                        std::is_same_v<Metric, distance::cosine_metric>))
class ivf : public detail::mutations<ivf<Metric, T>, T> {
  friend class detail::mutations<ivf, T>;
  static std::string component(std::string_view op) { return fmt::format("segkit::index::ivf::{}", op); }

 public:
  using value_type = T;
  using metric_type = Metric;
  using detail::mutations<ivf, T>::add;
  using detail::mutations<ivf, T>::upsert;

  using build_params = ivf_params;          ///< how the index is built
  using search_params = ivf_search_params;  ///< per-search parameters

  /**
   * @brief An empty, untrained index whose quantizers `trainer` trains (e.g.
   * segkit::cluster::kmeans_trainer{}).
   * @throws segkit::invalid_argument for dim 0 or a pq_m that does not divide dim.
   */
  template <segkit::centroid_trainer<T> Trainer>
  ivf(std::size_t dim, build_params params, Trainer trainer, Metric metric = {}) : ivf(dim, params, metric) {
    trainer_ = [trainer](matrix_view<T> rows, std::size_t k, std::uint64_t seed, std::size_t threads) -> matrix<T> {
      return trainer(rows, k, seed, threads);
    };
  }

  /// An empty index without a trainer: it can be loaded into or searched, but train() and a first
  /// add() throw. @throws segkit::invalid_argument for dim 0 or a pq_m that does not divide dim.
  explicit ivf(std::size_t dim, build_params params = {}, Metric metric = {}) : dim_(dim), p_(params), metric_(metric) {
    const char* comp = "segkit::index::ivf";
    if (dim == 0) segkit::detail::throw_invalid(comp, "dim must be at least 1");
    segkit::params::validate(p_, comp);
    if (p_.codec == ivf_codec::pq) {
      if (p_.pq_m == 0) {  // the largest divisor of dim up to dim / 4
        p_.pq_m = std::max<std::size_t>(1, dim / 4);
        while (dim % p_.pq_m != 0) --p_.pq_m;
      }
      if (dim % p_.pq_m != 0) segkit::detail::throw_invalid(comp, fmt::format("pq_m ({}) must divide the dimension ({})", p_.pq_m, dim));
    }
    if (p_.codec == ivf_codec::flat) p_.keep_vectors = true;  // the lists are the vectors
  }

  [[nodiscard]] std::size_t dim() const noexcept { return dim_; }                       ///< dimension
  [[nodiscard]] const Metric& metric() const noexcept { return metric_; }              ///< the metric
  [[nodiscard]] std::size_t size() const {  ///< stored vectors
    const auto lock = lock_.read();
    return where_.size();
  }
  [[nodiscard]] bool trained() const {  ///< true once trained
    const auto lock = lock_.read();
    return centers_.size() != 0;
  }
  [[nodiscard]] std::size_t nlist() const {  ///< lists
    const auto lock = lock_.read();
    return lists_.size();
  }
  [[nodiscard]] const build_params& params() const noexcept { return p_; }              ///< parameters (resolved)
  [[nodiscard]] bool contains(id_type id) const {  ///< true if id is stored
    const auto lock = lock_.read();
    return where_.count(id) != 0;
  }
  /// Bytes of code per vector in the lists (d x 4 for flat, d for sq8, m for pq).
  [[nodiscard]] std::size_t code_size() const noexcept { return p_.codec == ivf_codec::flat ? dim_ * sizeof(T) : code_bytes(); }
  /// Attaches per-id attributes (saved with the index).
  void set_attributes(std::shared_ptr<const attribute_table> table) {
    const auto lock = lock_.write();
    attributes_ = std::move(table);
  }
  /// The attached attributes, or nullptr.
  [[nodiscard]] std::shared_ptr<const attribute_table> attributes() const {
    const auto lock = lock_.read();
    return attributes_;
  }

  /// Trains the quantizers on `rows` (at least nlist rows; pq wants >= 256). Once only.
  /// @throws segkit::invalid_argument if already trained, too few rows, wrong width or NaN.
  void train(matrix_view<T> rows) {
    detail::require_writable(mapped(), component("train"));
    const auto lock = lock_.write();
    train_locked(rows);
  }

  /// train() for any 2-D xtensor expression.
  template <class E>
    requires(!std::is_same_v<std::decay_t<E>, matrix_view<T>>)
  void train(const E& rows) {
    train(as_rows<T>(rows).view());
  }

  /// Stores rows under ids (training on them first if the index is untrained). Errors as flat::add.
  void add(std::span<const id_type> ids, matrix_view<T> rows);



  /// Removes the vector with this id (the last vector of its list moves into its place).
  bool remove(id_type id) {
    detail::require_writable(mapped(), component("remove"));
    const auto lock = lock_.write();
    return remove_locked(id);
  }

  /// search() without a filter.
  [[nodiscard]] knn_result<T> search(matrix_view<T> queries, std::size_t k, const search_params& params = {}) const;

  /**
   * @brief The approximate k nearest stored vectors of each query among ids passing `filter`.
   * @throws segkit::invalid_argument as flat::search does.
   */
  template <class Filter>
  [[nodiscard]] knn_result<T> search(matrix_view<T> queries, std::size_t k, const search_params& params, Filter&& filter) const {
    detail::check_queries<T>("segkit::index::ivf::search", queries, k, dim_);
    const auto lock = lock_.read();
    const std::size_t nq = queries.rows();
    k = detail::result_width("segkit::index::ivf::search", nq, k, where_.size());
    knn_result<T> out = detail::empty_result<Metric, T>(nq, k);
    if (nq == 0 || where_.empty()) return out;
    std::size_t nprobe = std::min(lists_.size(), params.nprobe != 0 ? params.nprobe : std::max<std::size_t>(1, lists_.size() / 16));
    bool exact = p_.codec == ivf_codec::flat;  // distances from the vectors themselves
    if constexpr (requires { filter.selectivity(); }) {
      if (filter.selectivity() < params.exact_below && p_.keep_vectors) {  // the planner: every list, exact distances of the matches
        nprobe = lists_.size();
        exact = true;
      }
    }
    const bool rerank = p_.keep_vectors && !exact;
    const std::size_t keep = rerank ? std::max(k, params.rerank != 0 ? params.rerank : 4 * k) : k;
    executor ex(params.threads);
    parallel_for(ex, nq, 8, [&](std::size_t b, std::size_t e, std::size_t) {
      std::vector<T> q(dim_), r(dim_);
      std::vector<std::pair<T, std::uint32_t>> probe(lists_.size());
      std::vector<T> table(p_.codec == ivf_codec::pq ? p_.pq_m * 256 : 0);
      std::vector<cand> best;
      for (std::size_t i = b; i < e; ++i) {
        prepare(queries.row(i), q.data());
        for (std::size_t l = 0; l < lists_.size(); ++l) probe[l] = {distance::squared_l2(q.data(), &centers_(l, 0), dim_), static_cast<std::uint32_t>(l)};
        std::partial_sort(probe.begin(), probe.begin() + static_cast<std::ptrdiff_t>(nprobe), probe.end());
        best.clear();
        for (std::size_t pi = 0; pi < nprobe; ++pi) {
          const std::size_t l = probe[pi].second;
          const auto& list = lists_[l];
          if (list.ids.empty()) continue;
          if (!exact) {
            for (std::size_t j = 0; j < dim_; ++j) r[j] = q[j] - centers_(l, j);
            if (p_.codec == ivf_codec::pq) fill_table(r.data(), table.data());
          }
          for (std::size_t s = 0; s < list.ids.size(); ++s) {
            const id_type id = list.ids[s];
            if constexpr (!std::is_same_v<std::decay_t<Filter>, accept_all>) {
              if (!filter(id)) continue;
            }
            const T d = exact ? distance::squared_l2(q.data(), list.vectors.data() + s * dim_, dim_) : code_distance(list, s, r.data(), table.data());
            push(best, {d, id, static_cast<std::uint32_t>(l), static_cast<std::uint32_t>(s)}, keep);
          }
        }
        if (rerank) {
          for (auto& c : best) c.dist = distance::squared_l2(q.data(), lists_[c.list].vectors.data() + static_cast<std::size_t>(c.pos) * dim_, dim_);
        }
        std::sort(best.begin(), best.end(), by_distance);
        for (std::size_t j = 0; j < std::min(k, best.size()); ++j) {
          out.ids(i, j) = best[j].id;
          out.distances(i, j) = value(best[j].dist);
        }
      }
    });
    return out;
  }

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

  /// Writes the index atomically (kind "segkit.index.ivf").
  void save(const std::filesystem::path& path) const;

  /// Reads an index written by save(). @throws segkit::format_error if damaged or of another kind, metric or shape.
  [[nodiscard]] static ivf load(const std::filesystem::path& path) { return load(container_reader(path, detail::ivf_kind)); }

  /// Reads an index from an already verified container.
  [[nodiscard]] static ivf load(const container_reader& file) { return read(file, false); }

  /**
   * @brief Opens a saved index read-only with its lists (ids, codes, kept vectors) memory-mapped:
   * no copy of them is made and processes opening the same file share their pages. Searches,
   * save, size and contains work as on a loaded index; train, add, upsert and remove throw
   * segkit::invalid_argument (load() gives a writable copy). The file must not be rewritten in
   * place while open (segkit's atomic saves never do). @throws as load().
   */
  [[nodiscard]] static ivf open_mapped(const std::filesystem::path& path) { return open_mapped(container_reader::map(path, detail::ivf_kind)); }
  /// open_mapped() from a container opened with container_reader::map().
  [[nodiscard]] static ivf open_mapped(const container_reader& mapped_file) { return read(mapped_file, true); }

  /// True if the index was opened with open_mapped() (read-only).
  [[nodiscard]] bool mapped() const noexcept { return mapping_ != nullptr; }

 private:
  static ivf read(const container_reader& file, bool keep_mapped);

  // values[at, at + count) as a list's own copy, or as a view (open_mapped).
  template <class U>
  static segkit::detail::owned_or_viewed<U> part(const segkit::detail::owned_or_viewed<U>& values, std::size_t at, std::size_t count, bool view) {
    const std::span<const U> piece(values.data() + at, count);
    if (view) return segkit::detail::owned_or_viewed<U>::viewing(piece);
    return std::vector<U>(piece.begin(), piece.end());
  }

  // The steps of add() and upsert() (detail::mutations): the values' checks (none beyond
  // check_rows), the checks that read the index (write lock held; `replacing`: stored ids are about
  // to be removed), then the changes (an untrained index trains on the rows first: it stores
  // nothing yet, so a refused training loses nothing).
  void check_values(std::string_view, const matrix_view<T>&) const {}
  void check_add_locked(std::string_view comp, std::span<const id_type> ids, const matrix_view<T>&, bool replacing) const {
    if (!replacing) detail::check_ids(comp, ids, [this](id_type id) { return where_.count(id) != 0; }, true);
  }
  bool remove_locked(id_type id) {
    const auto it = where_.find(id);
    if (it == where_.end()) return false;
    auto& ids = lists_[it->second.list].ids.owned();
    auto& codes = lists_[it->second.list].codes.owned();
    auto& vectors = lists_[it->second.list].vectors.owned();
    const std::size_t at = it->second.pos, last = ids.size() - 1, cb = code_bytes();
    if (at != last) {
      ids[at] = ids[last];
      std::copy_n(codes.begin() + static_cast<std::ptrdiff_t>(last * cb), cb, codes.begin() + static_cast<std::ptrdiff_t>(at * cb));
      if (p_.keep_vectors) std::copy_n(vectors.begin() + static_cast<std::ptrdiff_t>(last * dim_), dim_, vectors.begin() + static_cast<std::ptrdiff_t>(at * dim_));
      where_[ids[at]].pos = static_cast<std::uint32_t>(at);
    }
    ids.pop_back();
    codes.resize(last * cb);
    if (p_.keep_vectors) vectors.resize(last * dim_);
    where_.erase(it);
    return true;
  }
  void add_locked(std::span<const id_type> ids, const matrix_view<T>& rows);

  // train() with the lock held (add() trains an empty index under its own lock).
  void train_locked(matrix_view<T> rows) {
    const char* comp = "segkit::index::ivf::train";
    if (centers_.size() != 0) segkit::detail::throw_invalid(comp, "the index is already trained");
    if (rows.rows() != 0 && rows.cols() != dim_) segkit::detail::throw_invalid(comp, fmt::format("rows have {} columns, the index has dimension {}", rows.cols(), dim_));
    require_finite<T>(comp, "rows", rows);
    const std::size_t n = rows.rows();
    const std::size_t nlist = p_.nlist != 0 ? p_.nlist : std::max<std::size_t>(1, static_cast<std::size_t>(4.0 * std::sqrt(static_cast<double>(n))));
    if (n < nlist) segkit::detail::throw_invalid(comp, fmt::format("{} training rows for {} lists (need at least one per list)", n, nlist));
    const std::size_t m = std::min(n, p_.train_size != 0 ? p_.train_size : 256 * nlist);
    matrix<T> sample = matrix<T>::from_shape({m, dim_});
    for (std::size_t i = 0; i < m; ++i) prepare(rows.row(i * n / m), &sample(i, 0));  // evenly spaced rows
    if (!trainer_) {
      segkit::detail::throw_invalid(comp, "the index has no centroid trainer: construct it with one, e.g. segkit::cluster::kmeans_trainer{} "
                                          "(segkit/cluster/kmeans.hpp)");
    }
    centers_ = trained_centers(comp, matrix_view<T>(sample.data(), m, dim_), nlist, p_.seed);
    const auto coarse_labels = distance::nearest_centers(matrix_view<T>(sample.data(), m, dim_), centers_view(), p_.threads);
    lists_.assign(nlist, {});
    if (p_.codec == ivf_codec::flat) return;
    // Residuals of (at most 65,536 evenly spaced rows of) the sample to their centers train the codec.
    const std::size_t mr = std::min<std::size_t>(m, 65536);
    matrix<T> resid = matrix<T>::from_shape({mr, dim_});
    for (std::size_t i = 0; i < mr; ++i) {
      const std::size_t from = i * m / mr;
      const auto c = static_cast<std::size_t>(coarse_labels(from));
      for (std::size_t j = 0; j < dim_; ++j) resid(i, j) = sample(from, j) - centers_(c, j);
    }
    if (p_.codec == ivf_codec::sq8) {
      sq_.train(resid.data(), mr, dim_, dim_);
      return;
    }
    const std::size_t sub = dim_ / p_.pq_m, ks = std::min<std::size_t>(256, mr);
    codebooks_ = matrix<T>::from_shape({p_.pq_m * 256, sub});
    codebooks_.fill(T{0});
    for (std::size_t q = 0; q < p_.pq_m; ++q) {
      matrix<T> part = matrix<T>::from_shape({mr, sub});
      for (std::size_t i = 0; i < mr; ++i) std::copy_n(&resid(i, q * sub), sub, &part(i, 0));
      const auto book = trained_centers(comp, matrix_view<T>(part.data(), mr, sub), ks, p_.seed + 1 + q);
      std::copy(book.begin(), book.end(), &codebooks_(q * 256, 0));
    }
    transpose_books();
  }

  // A list's arrays are its own, or views into the mapped file (open_mapped).
  struct list_t {
    segkit::detail::owned_or_viewed<id_type> ids;
    segkit::detail::owned_or_viewed<std::uint8_t> codes;  // ids.size() x code_bytes()
    segkit::detail::owned_or_viewed<T> vectors;           // ids.size() x dim (keep_vectors)
  };
  struct slot {
    std::uint32_t list, pos;
  };
  struct cand {
    T dist;
    id_type id;
    std::uint32_t list, pos;
  };
  static bool by_distance(const cand& a, const cand& b) noexcept { return a.dist < b.dist || (a.dist == b.dist && a.id < b.id); }

  // Keeps the `keep` best candidates in a max-heap.
  static void push(std::vector<cand>& heap, const cand& c, std::size_t keep) {
    if (heap.size() < keep) {
      heap.push_back(c);
      std::push_heap(heap.begin(), heap.end(), by_distance);
    } else if (by_distance(c, heap.front())) {
      std::pop_heap(heap.begin(), heap.end(), by_distance);
      heap.back() = c;
      std::push_heap(heap.begin(), heap.end(), by_distance);
    }
  }

  // Bytes of code stored per vector besides the vector itself (flat stores only the vector).
  [[nodiscard]] std::size_t code_bytes() const noexcept { return p_.codec == ivf_codec::flat ? 0 : p_.codec == ivf_codec::sq8 ? dim_ : p_.pq_m; }

  // The metric's value from a squared Euclidean distance between prepared vectors.
  static T value(T sq) noexcept {
    if constexpr (std::is_same_v<Metric, distance::l2_metric>) {
      return std::sqrt(std::max(sq, T{0}));
    } else if constexpr (std::is_same_v<Metric, distance::cosine_metric>) {
      return sq / T{2};  // |a - b|^2 = 2 (1 - cos) on unit vectors
    } else {
      return sq;
    }
  }

  void prepare(const T* in, T* out) const noexcept {
    std::copy_n(in, dim_, out);
    if constexpr (std::is_same_v<Metric, distance::cosine_metric>) {
      const T n = std::sqrt(distance::dot(out, out, dim_));
      if (n > T{0}) {
        for (std::size_t j = 0; j < dim_; ++j) out[j] /= n;
      }
    }
  }

  void encode(const T* x, std::size_t list, std::uint8_t* code) const {
    if (p_.codec == ivf_codec::flat) return;
    std::vector<T> r(dim_);
    for (std::size_t j = 0; j < dim_; ++j) r[j] = x[j] - centers_(list, j);
    if (p_.codec == ivf_codec::sq8) {
      sq_.encode(r.data(), code);
      return;
    }
    const std::size_t sub = dim_ / p_.pq_m;
    for (std::size_t q = 0; q < p_.pq_m; ++q) {
      std::size_t best = 0;
      T best_d = std::numeric_limits<T>::infinity();
      for (std::size_t c = 0; c < 256; ++c) {
        const T d = distance::squared_l2(r.data() + q * sub, &codebooks_(q * 256 + c, 0), sub);
        if (d < best_d) {
          best_d = d;
          best = c;
        }
      }
      code[q] = static_cast<std::uint8_t>(best);
    }
  }

  // pq: table[q * 256 + c] = |r_q - codebook_q[c]|^2 for the query residual r (plain loops: the
  // sub-vectors are short, a kernel call per entry would cost more than the arithmetic).
  // The codebooks are kept transposed (per sub-quantizer: sub rows of 256), so the loop over the
  // 256 entries is the inner, vectorized one.
  void fill_table(const T* r, T* table) const {
    const std::size_t sub = dim_ / p_.pq_m;
    for (std::size_t q = 0; q < p_.pq_m; ++q) {
      const T* rq = r + q * sub;
      const T* book = books_t_.data() + q * sub * 256;
      T* out = table + q * 256;
      std::fill(out, out + 256, T{0});
      for (std::size_t j = 0; j < sub; ++j) {
        const T v = rq[j];
        const T* row = book + j * 256;
        for (std::size_t c = 0; c < 256; ++c) {
          const T diff = v - row[c];
          out[c] += diff * diff;
        }
      }
    }
  }

  // The trainer's k centers of rows, checked: a user's trainer may return anything.
  matrix<T> trained_centers(const char* comp, matrix_view<T> rows, std::size_t k, std::uint64_t seed) const {
    matrix<T> c = trainer_(rows, k, seed, p_.threads);
    if (c.shape(0) != k || c.shape(1) != rows.cols()) {
      segkit::detail::throw_invalid(comp, fmt::format("the trainer returned {} x {} centers, expected {} x {}", c.shape(0), c.shape(1), k, rows.cols()));
    }
    require_finite<T>(comp, "the trainer's centers", matrix_view<T>(c.data(), k, rows.cols()));
    return c;
  }

  matrix_view<T> centers_view() const { return matrix_view<T>(centers_.data(), centers_.shape(0), dim_); }

  // books_t_[(q * sub + j) * 256 + c] = codebooks_(q * 256 + c, j)
  void transpose_books() {
    const std::size_t sub = dim_ / p_.pq_m;
    books_t_.assign(p_.pq_m * sub * 256, T{0});
    for (std::size_t q = 0; q < p_.pq_m; ++q) {
      for (std::size_t c = 0; c < 256; ++c) {
        for (std::size_t j = 0; j < sub; ++j) books_t_[(q * sub + j) * 256 + c] = codebooks_(q * 256 + c, j);
      }
    }
  }

  // Approximate squared distance from the query (its residual r for the list) to the code of vector s.
  T code_distance(const list_t& list, std::size_t s, const T* r, const T* table) const {
    const std::uint8_t* code = list.codes.data() + s * code_bytes();
    if (p_.codec == ivf_codec::sq8) return sq_.squared_l2(r, code);
    T sum{0};
    for (std::size_t q2 = 0; q2 < p_.pq_m; ++q2) sum += table[q2 * 256 + code[q2]];
    return sum;
  }

  std::size_t dim_;
  build_params p_;
  Metric metric_;
  trainer_function<T> trainer_;            // trains the quantizers (empty: train() throws)
  matrix<T> centers_;                 // nlist x dim (empty until trained)
  std::vector<list_t> lists_;
  detail::scalar_quantizer<T> sq_;    // sq8: per-dimension range of the residuals
  matrix<T> codebooks_;               // pq: (m x 256) x (dim / m)
  std::vector<T> books_t_;            // pq: the codebooks transposed, for the distance tables
  std::unordered_map<id_type, slot> where_;
  std::shared_ptr<const attribute_table> attributes_;
  std::shared_ptr<const void> mapping_;  // open_mapped(): keeps the mapped file alive (shared by copies)
  detail::rw_lock lock_;  // searches, saves and readers share it; train, add, remove and set_attributes take it alone
};

template <class Metric, class T>
  requires(std::is_same_v<T, float> && (std::is_same_v<Metric, distance::l2_metric> || std::is_same_v<Metric, distance::squared_l2_metric> || std::is_same_v<Metric, distance::cosine_metric>))
void ivf<Metric, T>::add(std::span<const id_type> ids, matrix_view<T> rows) {
  constexpr const char* comp = "segkit::index::ivf::add";
  detail::check_rows<T>(comp, ids, rows, dim_);
  detail::require_writable(mapped(), component("add"));
  const auto lock = lock_.write();
  check_add_locked(comp, ids, rows, false);
  add_locked(ids, rows);
}

template <class Metric, class T>
  requires(std::is_same_v<T, float> && (std::is_same_v<Metric, distance::l2_metric> || std::is_same_v<Metric, distance::squared_l2_metric> || std::is_same_v<Metric, distance::cosine_metric>))
void ivf<Metric, T>::add_locked(std::span<const id_type> ids, const matrix_view<T>& rows) {
  if (centers_.size() == 0) train_locked(rows);
  const std::size_t n = rows.rows();
  // Assignment to lists (parallel, deterministic) and encoding.
  matrix<T> prepared = matrix<T>::from_shape({n, dim_});
  for (std::size_t i = 0; i < n; ++i) prepare(rows.row(i), &prepared(i, 0));
  const auto list_of = distance::nearest_centers(matrix_view<T>(prepared.data(), n, dim_), centers_view(), p_.threads);
  const std::size_t cb = code_bytes();
  std::vector<std::uint8_t> code(cb);
  for (std::size_t i = 0; i < n; ++i) {
    const auto l = static_cast<std::size_t>(list_of(i));
    encode(&prepared(i, 0), l, code.data());
    auto& list = lists_[l];
    list.ids.owned().push_back(ids[i]);
    list.codes.owned().insert(list.codes.owned().end(), code.begin(), code.end());
    if (p_.keep_vectors) list.vectors.owned().insert(list.vectors.owned().end(), &prepared(i, 0), &prepared(i, 0) + dim_);
    where_[ids[i]] = {static_cast<std::uint32_t>(l), static_cast<std::uint32_t>(list.ids.size() - 1)};
  }
}

template <class Metric, class T>
  requires(std::is_same_v<T, float> && (std::is_same_v<Metric, distance::l2_metric> || std::is_same_v<Metric, distance::squared_l2_metric> || std::is_same_v<Metric, distance::cosine_metric>))
auto ivf<Metric, T>::search(matrix_view<T> queries, std::size_t k, const search_params& params) const -> knn_result<T> {
  return search(queries, k, params, accept_all{});
}

template <class Metric, class T>
  requires(std::is_same_v<T, float> && (std::is_same_v<Metric, distance::l2_metric> || std::is_same_v<Metric, distance::squared_l2_metric> || std::is_same_v<Metric, distance::cosine_metric>))
void ivf<Metric, T>::save(const std::filesystem::path& path) const {
  const auto lock = lock_.read();
  byte_writer meta;
  meta.put(detail::ivf_format_version).put_string(Metric::name).put_string(std::string(params::name(p_.codec)));
  meta.put(static_cast<std::uint64_t>(dim_)).put(static_cast<std::uint64_t>(lists_.size())).put(static_cast<std::uint64_t>(p_.pq_m));
  meta.put(static_cast<std::uint8_t>(p_.keep_vectors)).put(p_.seed);
  std::vector<std::uint64_t> counts;
  std::vector<id_type> ids;
  std::vector<std::uint8_t> codes;
  std::vector<T> vectors;
  for (const auto& l : lists_) {
    counts.push_back(l.ids.size());
    ids.insert(ids.end(), l.ids.begin(), l.ids.end());
    codes.insert(codes.end(), l.codes.begin(), l.codes.end());
    vectors.insert(vectors.end(), l.vectors.begin(), l.vectors.end());
  }
  container_writer w(detail::ivf_kind);
  w.add("meta", meta.bytes());
  w.add_array<T>("centres", std::span<const T>(centers_.data(), centers_.size()));
  w.add_array<std::uint64_t>("counts", counts);
  w.add_array<id_type>("ids", ids);
  w.add_array<std::uint8_t>("codes", codes);
  w.add_array<T>("vectors", vectors);
  w.add_array<T>("sq_lo", sq_.lo);
  w.add_array<T>("sq_step", sq_.step);
  w.add_array<T>("books", std::span<const T>(codebooks_.data(), codebooks_.size()));
  if (attributes_) attributes_->write(w);
  w.commit(path);
}

template <class Metric, class T>
  requires(std::is_same_v<T, float> && (std::is_same_v<Metric, distance::l2_metric> || std::is_same_v<Metric, distance::squared_l2_metric> || std::is_same_v<Metric, distance::cosine_metric>))
auto ivf<Metric, T>::read(const container_reader& file, bool keep_mapped) -> ivf {
  if (file.kind() != detail::ivf_kind) file.fail(fmt::format("holds '{}', not an IVF index", file.kind()));
  byte_reader meta(file.section("meta"), file);
  if (const auto v = meta.get<std::uint32_t>(); v != detail::ivf_format_version) file.fail(fmt::format("IVF format version {} is not supported", v));
  if (const auto name = meta.get_string(); name != Metric::name) file.fail(fmt::format("index uses metric '{}', this index type expects '{}'", name, Metric::name));
  const auto codec_name = meta.get_string();
  ivf_codec codec = ivf_codec::flat;
  try {
    codec = params::parse_enum<ivf_codec>(codec_name, "the IVF codec");
  } catch (const segkit::invalid_argument& e) {
    file.fail(e.what());
  }
  const auto dim = meta.get<std::uint64_t>(), nlist = meta.get<std::uint64_t>(), pq_m = meta.get<std::uint64_t>();
  const bool keep = meta.get<std::uint8_t>() != 0;
  const auto seed = meta.get<std::uint64_t>();
  if (dim == 0 || dim > (std::uint64_t{1} << 20) || nlist > (std::uint64_t{1} << 24) || (codec == ivf_codec::pq && (pq_m == 0 || dim % pq_m != 0))) file.fail("implausible IVF shape");
  ivf index(static_cast<std::size_t>(dim), {.codec = codec, .pq_m = static_cast<std::size_t>(pq_m), .keep_vectors = keep, .seed = seed});
  index.p_.nlist = static_cast<std::size_t>(nlist);
  const auto centers = file.array<T>("centres", nlist * dim);
  index.centers_ = matrix<T>::from_shape({static_cast<std::size_t>(nlist), static_cast<std::size_t>(dim)});
  std::copy(centers.begin(), centers.end(), index.centers_.begin());
  const auto counts = file.array<std::uint64_t>("counts", nlist);
  std::uint64_t total = 0;
  for (const auto c : counts) {
    if (c > (std::uint64_t{1} << 32)) file.fail("implausible list size");
    total += c;
  }
  const std::size_t cb = index.code_bytes();
  // Loaded: whole sections copied, then split into lists. Mapped: each list views its part.
  const auto ids = file.array_or_view<id_type>("ids", total, keep_mapped);
  const auto codes = file.array_or_view<std::uint8_t>("codes", total * cb, keep_mapped);
  const auto vectors = file.array_or_view<T>("vectors", index.p_.keep_vectors ? total * dim : 0, keep_mapped);
  index.sq_.lo = file.array<T>("sq_lo", codec == ivf_codec::sq8 ? dim : 0);
  index.sq_.step = file.array<T>("sq_step", codec == ivf_codec::sq8 ? dim : 0);
  if (codec == ivf_codec::sq8 && index.centers_.size() != 0 && !index.sq_.valid(static_cast<std::size_t>(dim))) file.fail("invalid sq8 ranges");
  const auto books = file.array<T>("books", codec == ivf_codec::pq ? pq_m * 256 * (dim / pq_m) : 0);
  if (codec == ivf_codec::pq) {
    index.codebooks_ = matrix<T>::from_shape({static_cast<std::size_t>(pq_m * 256), static_cast<std::size_t>(dim / pq_m)});
    std::copy(books.begin(), books.end(), index.codebooks_.begin());
    index.transpose_books();
  }
  // Every floating-point section: a NaN in a stored vector or a codebook would otherwise give NaN
  // distances and wrong neighbors without a word.
  const auto require_finite_section = [&file](const auto& values, std::string_view what) {
    for (std::size_t i = 0; i < values.size(); ++i) {
      if (!std::isfinite(values[i])) file.fail(fmt::format("{} hold a non-finite value (at {})", what, i));
    }
  };
  require_finite_section(centers, "the list centers");
  require_finite_section(vectors, "the stored vectors");
  require_finite_section(books, "the PQ codebooks");
  index.lists_.assign(static_cast<std::size_t>(nlist), {});
  std::size_t at = 0;
  for (std::size_t l = 0; l < nlist; ++l) {
    auto& list = index.lists_[l];
    const auto c = static_cast<std::size_t>(counts[l]);
    list.ids = part(ids, at, c, keep_mapped);
    list.codes = part(codes, at * cb, c * cb, keep_mapped);
    if (index.p_.keep_vectors) list.vectors = part(vectors, at * dim, c * dim, keep_mapped);
    for (std::size_t s = 0; s < c; ++s) {
      if (list.ids[s] == no_id || !index.where_.emplace(list.ids[s], slot{static_cast<std::uint32_t>(l), static_cast<std::uint32_t>(s)}).second) {
        file.fail(fmt::format("id {} is invalid or repeated", list.ids[s]));
      }
    }
    at += c;
  }
  if (keep_mapped) index.mapping_ = file.storage();
  if (attribute_table::present(file)) index.attributes_ = std::make_shared<const attribute_table>(attribute_table::read(file));
  return index;
}

static_assert(segkit::neighbor_index<ivf<>>);

}  // namespace segkit::index

/// The instantiations compiled once into segkit::segkit_compiled (segkit/core/compiled.hpp).
#define SEGKIT_INSTANCES_INDEX_IVF(X)                                                                 \
  X(class segkit::index::ivf<segkit::distance::l2_metric, float>)                                     \
  X(class segkit::index::ivf<segkit::distance::squared_l2_metric, float>)                             \
  X(class segkit::index::ivf<segkit::distance::cosine_metric, float>)
SEGKIT_INSTANCES_INDEX_IVF(SEGKIT_EXTERN_TEMPLATE)
