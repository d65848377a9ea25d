#pragma once
/// @file
/// @brief item2vec: skip-gram with negative sampling over sequences of ids (page views, purchases),
/// item vectors and session vectors (mean or recency-weighted mean of the last items).

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "segkit/core/binary_format.hpp"
#include "segkit/core/concepts.hpp"
#include "segkit/core/error.hpp"
#include "segkit/core/matrix_view.hpp"
#include "segkit/core/parallel.hpp"
#include "segkit/core/random.hpp"
#include "segkit/core/types.hpp"
#include "segkit/core/params.hpp"
#include "segkit/distance/kernels.hpp"

namespace segkit::embed {

/// Parameters of item2vec.
struct item2vec_params {
  std::size_t dim = 64;          ///< vector dimensions
  std::size_t window = 5;        ///< largest distance between a center and a context position (each position draws 1..window)
  std::size_t negative = 5;      ///< negative samples per positive pair
  double sample = 1e-3;          ///< subsampling threshold of frequent items (0 = keep all)
  std::size_t epochs = 5;        ///< passes over the sequences
  double alpha = 0.025;          ///< starting learning rate, decaying linearly to min_alpha
  double min_alpha = 1e-4;       ///< final learning rate
  std::size_t min_count = 1;     ///< items seen fewer times get no vector
  double ns_exponent = 0.75;     ///< negatives drawn with probability proportional to count^ns_exponent
  double serial_warmup = 0.05;   ///< share of the training, from its start, run one chunk at a time (see item2vec)
  std::uint64_t seed = 0;        ///< the only source of randomness
  std::size_t threads = 0;       ///< 0 = all hardware threads; results do not depend on it

  /// The parameter table (segkit/core/params.hpp): names, docs and valid values.
  static constexpr auto table() {
    using p = item2vec_params;
    namespace sp = segkit::params;
    return std::tuple{sp::field("dim", &p::dim, "vector dimensions", sp::at_least(1), "dims,vector_size"),
                      sp::field("window", &p::window, "largest distance between a center and a context position (each position draws 1..window)", sp::at_least(1)),
                      sp::field("negative", &p::negative, "negative samples per positive pair", sp::at_least(1)),
                      sp::field("sample", &p::sample, "subsampling threshold of frequent items (0 = keep all)", sp::at_least(0)),
                      sp::field("epochs", &p::epochs, "passes over the sequences", sp::at_least(1)),
                      sp::field("alpha", &p::alpha, "starting learning rate, decaying linearly to min_alpha", sp::above(0)),
                      sp::field("min_alpha", &p::min_alpha, "final learning rate", sp::at_least(0)),
                      sp::field("min_count", &p::min_count, "items seen fewer times get no vector", sp::at_least(1)),
                      sp::field("ns_exponent", &p::ns_exponent, "negatives drawn with probability proportional to count^ns_exponent"),
                      sp::field("serial_warmup", &p::serial_warmup, "share of the training, from its start, run one chunk at a time", sp::between(0, 1)),
                      sp::field("seed", &p::seed, "the only source of randomness"),
                      sp::field("threads", &p::threads, "worker threads, 0 = all cores; results do not depend on it")};
  }
};

/// How a session (a sequence of items) becomes one vector.
struct session_params {
  std::size_t last = 0;        ///< only the last N known items (0 = all)
  double half_life = 0.0;      ///< recency weighting: an item k positions before the last weighs 0.5^(k / half_life); 0 = plain mean
  bool normalize = false;      ///< scale to unit length

  /// The parameter table (segkit/core/params.hpp): names, docs and valid values.
  static constexpr auto table() {
    using p = session_params;
    namespace sp = segkit::params;
    return std::tuple{sp::field("last", &p::last, "only the last N known items (0 = all)"),
                      sp::field("half_life", &p::half_life, "recency weighting: an item k positions before the last weighs 0.5^(k / half_life); 0 = plain mean", sp::at_least(0)),
                      sp::field("normalize", &p::normalize, "scale to unit length")};
  }
};

namespace detail {

[[noreturn]] inline void throw_item2vec(const std::string& m) { segkit::detail::throw_invalid("segkit::embed::item2vec", m); }

/// Walker's alias table (Vose's construction) for O(1) draws from a discrete distribution.
class alias_table {
 public:
  explicit alias_table(const std::vector<double>& weights) : prob_(weights.size()), alias_(weights.size()) {
    const std::size_t n = weights.size();
    double total = 0.0;
    for (const double w : weights) total += w;
    std::vector<double> scaled(n);
    std::vector<std::uint32_t> small, large;
    for (std::size_t i = 0; i < n; ++i) {
      scaled[i] = weights[i] * static_cast<double>(n) / total;
      (scaled[i] < 1.0 ? small : large).push_back(static_cast<std::uint32_t>(i));
    }
    while (!small.empty() && !large.empty()) {
      const std::uint32_t s = small.back(), l = large.back();
      small.pop_back();
      prob_[s] = scaled[s];
      alias_[s] = l;
      scaled[l] = (scaled[l] + scaled[s]) - 1.0;
      if (scaled[l] < 1.0) {
        large.pop_back();
        small.push_back(l);
      }
    }
    for (const std::uint32_t i : large) prob_[i] = 1.0;
    for (const std::uint32_t i : small) prob_[i] = 1.0;
  }
  [[nodiscard]] std::uint32_t draw(segkit::rng& gen) const {
    const auto i = static_cast<std::uint32_t>(gen.below(prob_.size()));
    return gen.uniform() < prob_[i] ? i : alias_[i];
  }

 private:
  std::vector<double> prob_;
  std::vector<std::uint32_t> alias_;
};

/// sigma(x) on [-6, 6] in 1,000 steps (word2vec's EXP_TABLE; MAX_EXP = 6).
inline const std::vector<float>& sigmoid_table() {
  static const std::vector<float> t = [] {
    std::vector<float> v(1000);
    for (std::size_t i = 0; i < v.size(); ++i) {
      const double x = (static_cast<double>(i) / 1000.0 * 2.0 - 1.0) * 6.0;
      v[i] = static_cast<float>(1.0 / (1.0 + std::exp(-x)));
    }
    return v;
  }();
  return t;
}

/// A chunk's private copies of the rows it touches (dense slot index: O(1) lookups).
struct row_cache {
  std::vector<std::uint32_t> slot;   // per vocabulary row: slot in data, or none
  std::vector<std::uint32_t> rows;   // touched rows, by slot
  std::vector<float> data;           // their values (the chunk's view), then their deltas
  static constexpr std::uint32_t none = std::numeric_limits<std::uint32_t>::max();

  void reset(std::size_t vocab) {
    if (slot.size() != vocab) slot.assign(vocab, none);
    for (const std::uint32_t r : rows) slot[r] = none;
    rows.clear();
    data.clear();
  }
  float* get(std::uint32_t r, const float* shared, std::size_t dim) {
    std::uint32_t s = slot[r];
    if (s == none) {
      s = static_cast<std::uint32_t>(rows.size());
      slot[r] = s;
      rows.push_back(r);
      data.insert(data.end(), shared + static_cast<std::size_t>(r) * dim, shared + static_cast<std::size_t>(r + 1) * dim);
    }
    return data.data() + static_cast<std::size_t>(s) * dim;
  }
  /// Starts loading row r (the chunk's copy, or the shared row get() would copy).
  void prefetch(std::uint32_t r, const float* shared, std::size_t dim) const {
    const std::uint32_t s = slot[r];
    const float* p = s == none ? shared + static_cast<std::size_t>(r) * dim : data.data() + static_cast<std::size_t>(s) * dim;
    for (std::size_t off = 0; off < dim; off += 16) __builtin_prefetch(p + off);
  }
  /// data -= shared (the snapshot): what the chunk changed.
  void to_deltas(const float* shared, std::size_t dim) {
    for (std::size_t s = 0; s < rows.size(); ++s) {
      const float* o = shared + static_cast<std::size_t>(rows[s]) * dim;
      float* d = data.data() + s * dim;
      for (std::size_t j = 0; j < dim; ++j) d[j] -= o[j];
    }
  }
  void add_deltas(float* shared, std::size_t dim) const {
    for (std::size_t s = 0; s < rows.size(); ++s) {
      float* o = shared + static_cast<std::size_t>(rows[s]) * dim;
      const float* d = data.data() + s * dim;
      for (std::size_t j = 0; j < dim; ++j) o[j] += d[j];
    }
  }
};

}  // namespace detail

/**
 * @brief A fitted item2vec model: one vector per item seen at least min_count times (satisfies
 * segkit::embedder for sessions, `std::vector<id_type>`).
 */
struct item2vec_model {
  std::vector<id_type> items;                        ///< row r's item, by decreasing count (ties: smaller id)
  std::vector<std::size_t> counts;                   ///< row r's occurrences in the training sequences
  std::unordered_map<id_type, std::uint32_t> row;    ///< item -> row
  matrix<float> vectors;                             ///< items x dim (the input vectors, as word2vec's)
  session_params session_rule;                       ///< how embed() turns sessions into vectors
  std::size_t words_trained = 0;                     ///< item occurrences trained on (after subsampling), all epochs

  [[nodiscard]] std::size_t dim() const noexcept { return vectors.shape(1); }
  [[nodiscard]] std::size_t size() const noexcept { return items.size(); }
  [[nodiscard]] bool contains(id_type id) const { return row.count(id) != 0; }

  /// The item's vector. @throws segkit::invalid_argument for an item without one.
  [[nodiscard]] std::span<const float> vector(id_type id) const {
    const auto it = row.find(id);
    if (it == row.end()) detail::throw_item2vec(fmt::format("item {} has no vector (unseen or below min_count)", id));
    return {vectors.data() + static_cast<std::size_t>(it->second) * dim(), dim()};
  }

  /// The k items most cosine-similar to `id` (itself excluded), best first, ties by row.
  [[nodiscard]] std::vector<std::pair<id_type, float>> similar(id_type id, std::size_t k) const {
    const auto v = vector(id);
    const std::size_t d = dim(), self = row.at(id);
    const double nv = std::sqrt(static_cast<double>(distance::dot(v.data(), v.data(), d)));
    std::vector<std::pair<float, std::uint32_t>> scored;
    scored.reserve(size());
    for (std::size_t r = 0; r < size(); ++r) {
      if (r == self) continue;
      const float* w = vectors.data() + r * d;
      const double nw = std::sqrt(static_cast<double>(distance::dot(w, w, d)));
      const double c = nv > 0.0 && nw > 0.0 ? static_cast<double>(distance::dot(v.data(), w, d)) / (nv * nw) : 0.0;
      scored.emplace_back(static_cast<float>(-c), static_cast<std::uint32_t>(r));
    }
    k = std::min(k, scored.size());
    std::partial_sort(scored.begin(), scored.begin() + static_cast<std::ptrdiff_t>(k), scored.end());
    std::vector<std::pair<id_type, float>> out;
    for (std::size_t i = 0; i < k; ++i) out.emplace_back(items[scored[i].second], -scored[i].first);
    return out;
  }

  /// One session's vector (see session_params); unknown items are skipped; none known: zeros.
  [[nodiscard]] std::vector<float> session_vector(std::span<const id_type> items_seen, const session_params& p) const {
    const std::size_t d = dim();
    std::vector<std::uint32_t> known;
    for (const id_type id : items_seen) {
      const auto it = row.find(id);
      if (it != row.end()) known.push_back(it->second);
    }
    const std::size_t first = p.last != 0 && known.size() > p.last ? known.size() - p.last : 0;
    std::vector<double> acc(d, 0.0);
    double total = 0.0;
    for (std::size_t t = first; t < known.size(); ++t) {
      const double age = static_cast<double>(known.size() - 1 - t);
      const double w = p.half_life > 0.0 ? std::exp2(-age / p.half_life) : 1.0;
      const float* v = vectors.data() + static_cast<std::size_t>(known[t]) * d;
      for (std::size_t j = 0; j < d; ++j) acc[j] += w * static_cast<double>(v[j]);
      total += w;
    }
    std::vector<float> out(d, 0.0f);
    if (total <= 0.0) return out;
    double norm = 0.0;
    for (std::size_t j = 0; j < d; ++j) norm += (acc[j] / total) * (acc[j] / total);
    const double scale = p.normalize && norm > 0.0 ? 1.0 / std::sqrt(norm) : 1.0;
    for (std::size_t j = 0; j < d; ++j) out[j] = static_cast<float>(acc[j] / total * scale);
    return out;
  }

  /// Session vectors of many sessions (with `session_rule`), one row each.
  [[nodiscard]] matrix<float> embed(std::span<const std::vector<id_type>> sessions) const {
    matrix<float> out = matrix<float>::from_shape({sessions.size(), dim()});
    for (std::size_t i = 0; i < sessions.size(); ++i) {
      const auto v = session_vector(sessions[i], session_rule);
      std::copy(v.begin(), v.end(), out.data() + i * dim());
    }
    return out;
  }

  /// Kind of the container the model is stored in (segkit::storable_model).
  static constexpr std::string_view container_kind = "segkit.model.item2vec";
  /// Writes the model atomically in segkit's checksummed container.
  void save(const std::filesystem::path& path) const { save_model(*this, path); }
  /// Reads a model written by save(). @throws segkit::io_error / segkit::format_error.
  [[nodiscard]] static item2vec_model load(const std::filesystem::path& path) { return load_model<item2vec_model>(path); }

  /// Adds the items, their counts and vectors and the session rule to `w`.
  void write_to(container_writer& w) const {
    byte_writer meta;
    meta.put(std::uint32_t{1}).put(static_cast<std::uint64_t>(size())).put(static_cast<std::uint64_t>(dim()));
    meta.put(static_cast<std::uint64_t>(session_rule.last)).put(session_rule.half_life).put(static_cast<std::uint8_t>(session_rule.normalize));
    meta.put(static_cast<std::uint64_t>(words_trained));
    const std::vector<std::uint64_t> ids(items.begin(), items.end()), n(counts.begin(), counts.end());
    w.add_copy("meta", meta.bytes());
    w.add_array_copy<std::uint64_t>("items", ids);
    w.add_array_copy<std::uint64_t>("counts", n);
    w.add_array<float>("vectors", std::span<const float>(vectors.data(), vectors.size()));
  }

  /// Rebuilds a model from write_to()'s sections, checking every value. @throws segkit::format_error.
  [[nodiscard]] static item2vec_model read_from(const container_reader& file) {
    byte_reader meta(file.section("meta"), file);
    if (const auto v = meta.get<std::uint32_t>(); v != 1) file.fail(fmt::format("item2vec model format version {} is not supported", v));
    const auto n = meta.get<std::uint64_t>(), d = meta.get<std::uint64_t>();
    if (n == 0 || d == 0 || n > (std::uint64_t{1} << 32) || d > 65536) file.fail(fmt::format("implausible item2vec shape ({} items, {} dimensions)", n, d));
    item2vec_model m;
    m.session_rule.last = meta.get<std::uint64_t>();
    m.session_rule.half_life = meta.get<double>();
    m.session_rule.normalize = meta.get<std::uint8_t>() != 0;
    m.words_trained = meta.get<std::uint64_t>();
    if (!std::isfinite(m.session_rule.half_life) || m.session_rule.half_life < 0.0) file.fail("the session rule's half-life is negative or not finite");
    const auto ids = file.array<std::uint64_t>("items", n);
    const auto c = file.array<std::uint64_t>("counts", n);
    m.items.assign(ids.begin(), ids.end());
    m.counts.assign(c.begin(), c.end());
    for (std::size_t r = 0; r < n; ++r) {
      if (!m.row.emplace(m.items[r], static_cast<std::uint32_t>(r)).second) file.fail(fmt::format("item {} appears twice", m.items[r]));
    }
    const auto v = file.finite_array<float>("vectors", n * d);
    m.vectors = matrix<float>::from_shape({n, d});
    std::copy(v.begin(), v.end(), m.vectors.begin());
    return m;
  }
};

static_assert(segkit::embedder<item2vec_model, std::vector<id_type>>);
static_assert(segkit::storable_model<item2vec_model>);

/**
 * @brief Skip-gram with negative sampling (Mikolov et al. 2013) over item sequences — item2vec
 * (Barkan & Koenigstein 2016).
 *
 * @code
 * std::vector<std::vector<segkit::id_type>> sessions = ...;   // page views, purchases
 * auto m = segkit::embed::item2vec({.dim = 64, .epochs = 5, .seed = 1}).fit(sessions);
 * m.similar(42, 10);                                  // items bought or viewed alongside 42
 * auto s = m.session_vector(current, {.last = 10, .half_life = 3});
 * @endcode
 * word2vec's recipe: frequent items subsampled (keep probability (sqrt(c / t) + 1) t / c with
 * t = sample x total), a window of 1..window drawn per position, for each (center, context) pair
 * the context's input vector trained against the center's output vector and `negative` items
 * drawn with probability proportional to count^0.75 (an alias table), sigmoid from a 1,000-step
 * table over [-6, 6] (pairs outside skipped), learning rate decaying linearly over the run.
 *
 * Parallel and deterministic: sequences are cut into chunks of about 8,000 items (a 64th of the
 * data if that is less, at least 256); rounds of 8 chunks train at once, each chunk on its own
 * copies of the rows it touches (its own updates seen at once, as in sequential SGD), and the
 * rounds' changes are added to the model in chunk order.
 * Each chunk draws from its own random stream. So the result depends on the seed only, never on
 * the thread count (the one difference from word2vec's lock-free threads: a chunk does not see
 * the other chunks of its round). Those unseen updates cost quality while the vectors are still
 * unformed, so the first `serial_warmup` share of the training (5 %) runs one chunk per round:
 * measured on bench/compare/item2vec_vs_gensim.py's task, precision@10 rose from 0.780-0.784 to
 * 0.785-0.789 (seeds 0-2), that of a fully sequential run; 2 % of warm-up gave 0.782-0.786.
 * @par Thread safety  fit is const and may run concurrently.
 */
class item2vec {
 public:
  /// @throws segkit::invalid_argument naming the first parameter outside its table's range, or min_alpha above alpha.
  explicit item2vec(item2vec_params params = {}) : params_(params) {
    segkit::params::validate(params_, "segkit::embed::item2vec");
    check();
  }

  /**
   * @throws segkit::invalid_argument for dim, window, epochs of 0, alpha <= 0, min_alpha
   *         outside [0, alpha], sample < 0, or no item reaching min_count.
   */
  [[nodiscard]] item2vec_model fit(std::span<const std::vector<id_type>> sequences) const {
    check();
    const auto& p = params_;
    item2vec_model m;
    // Vocabulary.
    std::unordered_map<id_type, std::size_t> count;
    std::size_t raw_items = 0;
    for (const auto& s : sequences) {
      for (const id_type id : s) ++count[id];
      raw_items += s.size();
    }
    std::vector<std::pair<std::size_t, id_type>> order;
    for (const auto& [id, c] : count) {
      if (c >= p.min_count) order.emplace_back(c, id);
    }
    if (order.empty()) detail::throw_item2vec(fmt::format("no item occurs at least min_count ({}) times", p.min_count));
    if (order.size() >= std::numeric_limits<std::uint32_t>::max()) detail::throw_item2vec("more than 2^32 - 1 distinct items");
    std::sort(order.begin(), order.end(), [](const auto& a, const auto& b) { return a.first != b.first ? a.first > b.first : a.second < b.second; });
    const std::size_t vocab = order.size(), dim = p.dim;
    for (const auto& [c, id] : order) {
      m.row.emplace(id, static_cast<std::uint32_t>(m.items.size()));
      m.items.push_back(id);
      m.counts.push_back(c);
    }
    // Sequences as rows; chunks of about chunk_items items (whole sequences): 8,192, or a 64th of
    // the data when that is less (at least 256), so that a round stays a small share of an epoch.
    const std::size_t chunk_items = std::clamp<std::size_t>(raw_items / 64, min_chunk_items, max_chunk_items);
    std::vector<std::uint32_t> tokens;
    std::vector<std::size_t> seq_start{0}, chunk_start{0};
    std::size_t in_chunk = 0;
    for (const auto& s : sequences) {
      for (const id_type id : s) {
        const auto it = m.row.find(id);
        if (it != m.row.end()) tokens.push_back(it->second);
      }
      seq_start.push_back(tokens.size());
      in_chunk += s.size();
      if (in_chunk >= chunk_items) {
        chunk_start.push_back(seq_start.size() - 1);
        in_chunk = 0;
      }
    }
    if (chunk_start.back() != seq_start.size() - 1) chunk_start.push_back(seq_start.size() - 1);
    const std::size_t chunks = chunk_start.size() - 1, total = tokens.size();
    // Keep probabilities, negative-sampling table, initial vectors.
    std::vector<double> keep(vocab, 1.0), weights(vocab);
    const double threshold = p.sample * static_cast<double>(total);
    for (std::size_t r = 0; r < vocab; ++r) {
      const double c = static_cast<double>(m.counts[r]);
      if (p.sample > 0.0) keep[r] = std::min(1.0, (std::sqrt(c / threshold) + 1.0) * threshold / c);
      weights[r] = std::pow(c, p.ns_exponent);
    }
    const detail::alias_table negatives(weights);
    std::vector<float> syn0(vocab * dim), syn1(vocab * dim, 0.0f);
    for (std::size_t r = 0; r < vocab; ++r) {
      segkit::rng gen(p.seed, r);
      for (std::size_t j = 0; j < dim; ++j) syn0[r * dim + j] = static_cast<float>((2.0 * gen.uniform() - 1.0) / static_cast<double>(dim));
    }
    // Training, round by round.
    executor ex(p.threads);
    std::vector<detail::row_cache> in_cache(round_chunks), out_cache(round_chunks);
    std::vector<std::size_t> trained(round_chunks);
    const double all_words = static_cast<double>(total) * static_cast<double>(p.epochs);
    for (std::size_t epoch = 0; epoch < p.epochs; ++epoch) {
      for (std::size_t first = 0; first < chunks;) {
        const bool serial = static_cast<double>(epoch * chunks + first) < p.serial_warmup * static_cast<double>(p.epochs * chunks);
        const std::size_t in_round = std::min(serial ? std::size_t{1} : round_chunks, chunks - first);
        parallel_for(ex, in_round, 1, [&](std::size_t b, std::size_t e, std::size_t) {
          for (std::size_t s = b; s < e; ++s) {
            const std::size_t c = first + s;
            const double done = static_cast<double>(epoch) * static_cast<double>(total) + static_cast<double>(seq_tokens_before(seq_start, chunk_start, c));
            const double alpha = std::max(p.min_alpha, p.alpha - (p.alpha - p.min_alpha) * done / all_words);
            segkit::rng gen(p.seed ^ 0x9E3779B97F4A7C15ull, epoch * chunks + c);
            in_cache[s].reset(vocab);
            out_cache[s].reset(vocab);
            trained[s] = train_chunk(tokens, seq_start, chunk_start[c], chunk_start[c + 1], keep, negatives, static_cast<float>(alpha), syn0.data(),
                                     syn1.data(), in_cache[s], out_cache[s], gen);
            in_cache[s].to_deltas(syn0.data(), dim);
            out_cache[s].to_deltas(syn1.data(), dim);
          }
        });
        for (std::size_t s = 0; s < in_round; ++s) {
          in_cache[s].add_deltas(syn0.data(), dim);
          out_cache[s].add_deltas(syn1.data(), dim);
          m.words_trained += trained[s];
        }
        first += in_round;
      }
    }
    m.vectors = matrix<float>::from_shape({vocab, dim});
    std::copy(syn0.begin(), syn0.end(), m.vectors.begin());
    return m;
  }

 private:
  static constexpr std::size_t max_chunk_items = 8192;  // items per chunk (whole sequences), from the data only: results do not depend on threads
  static constexpr std::size_t min_chunk_items = 256;
  static constexpr std::size_t round_chunks = 8;    // chunks trained together against one snapshot

  static std::size_t seq_tokens_before(const std::vector<std::size_t>& seq_start, const std::vector<std::size_t>& chunk_start, std::size_t c) {
    return seq_start[chunk_start[c]];
  }

  void check() const {
    const auto& p = params_;
    if (p.dim == 0) detail::throw_item2vec("dim must be at least 1");
    if (p.window == 0) detail::throw_item2vec("window must be at least 1");
    if (p.epochs == 0) detail::throw_item2vec("epochs must be at least 1");
    if (!(p.alpha > 0.0) || !(p.min_alpha >= 0.0) || p.min_alpha > p.alpha) {
      detail::throw_item2vec(fmt::format("need 0 <= min_alpha ({}) <= alpha ({}), alpha > 0", p.min_alpha, p.alpha));
    }
    if (!(p.sample >= 0.0)) detail::throw_item2vec(fmt::format("sample ({}) must be >= 0", p.sample));
    if (!(p.ns_exponent >= 0.0)) detail::throw_item2vec(fmt::format("ns_exponent ({}) must be >= 0", p.ns_exponent));
    if (!(p.serial_warmup >= 0.0 && p.serial_warmup <= 1.0)) detail::throw_item2vec(fmt::format("serial_warmup ({}) must be in [0, 1]", p.serial_warmup));
  }

  /// Trains sequences [sb, se) on the caches; returns the items kept by subsampling.
  std::size_t train_chunk(const std::vector<std::uint32_t>& tokens, const std::vector<std::size_t>& seq_start, std::size_t sb, std::size_t se,
                          const std::vector<double>& keep, const detail::alias_table& negatives, float alpha, const float* syn0, const float* syn1,
                          detail::row_cache& in, detail::row_cache& out, segkit::rng& gen) const {
    const std::size_t dim = params_.dim, window = params_.window;
    const auto& table = detail::sigmoid_table();
    std::vector<std::uint32_t> kept, targets(params_.negative + 1);
    std::vector<float> grad(dim);
    std::size_t count = 0;
    for (std::size_t s = sb; s < se; ++s) {
      kept.clear();
      for (std::size_t t = seq_start[s]; t < seq_start[s + 1]; ++t) {
        const std::uint32_t r = tokens[t];
        if (keep[r] >= 1.0 || gen.uniform() < keep[r]) kept.push_back(r);
      }
      count += kept.size();
      const std::size_t len = kept.size();
      for (std::size_t i = 0; i < len; ++i) {
        const std::size_t reach = window - static_cast<std::size_t>(gen.below(window));  // 1..window
        const std::size_t lo = i >= reach ? i - reach : 0, hi = std::min(len, i + reach + 1);
        for (std::size_t j = lo; j < hi; ++j) {
          if (j == i) continue;
          // The negatives drawn first (the same draws, in the same order, as one at a time) so
          // their rows, scattered over the table, load in parallel rather than one miss after another.
          targets[0] = kept[i];
          for (std::size_t d = 1; d < targets.size(); ++d) {
            targets[d] = negatives.draw(gen);
            out.prefetch(targets[d], syn1, dim);
          }
          float* l1 = in.get(kept[j], syn0, dim);  // the context's input vector
          std::fill(grad.begin(), grad.end(), 0.0f);
          for (std::size_t d = 0; d < targets.size(); ++d) {
            const std::uint32_t target = targets[d];
            if (d > 0 && target == kept[i]) continue;
            const float label = d == 0 ? 1.0f : 0.0f;
            float* l2 = out.get(target, syn1, dim);
            const float f = distance::dot(l1, l2, dim);
            if (f <= -6.0f || f >= 6.0f) continue;
            const float sig = table[static_cast<std::size_t>((f + 6.0f) * (1000.0f / 12.0f))];
            const float g = (label - sig) * alpha;
            for (std::size_t q = 0; q < dim; ++q) grad[q] += g * l2[q];
            for (std::size_t q = 0; q < dim; ++q) l2[q] += g * l1[q];
          }
          for (std::size_t q = 0; q < dim; ++q) l1[q] += grad[q];
        }
      }
    }
    return count;
  }

  item2vec_params params_;
};

}  // namespace segkit::embed
