#pragma once
// The session segmentation model: item2vec page vectors learnt from historical sessions, a
// session's vector from its last views (recency-weighted mean), segments by spherical k-means of
// historical session vectors, each named from the page attributes it over-represents, centroids
// in a segkit flat index for ranking, all saved to one checksummed file.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include <segkit/cluster/choose_k.hpp>
#include <segkit/cluster/kmeans.hpp>
#include <segkit/core/binary_format.hpp>
#include <segkit/distance/metrics.hpp>
#include <segkit/embed/item2vec.hpp>
#include <segkit/index/flat.hpp>

#include "shop.hpp"

namespace segkit::examples {

/// Options of session_model::fit().
struct session_model_params {
  std::size_t dim = 32;          ///< page vector dimensions
  std::size_t window = 2;        ///< item2vec context: pages this close in a session (2 measured best here: wider windows mix the types)
  std::size_t epochs = 30;       ///< item2vec passes (30: the ARI against the shopper types rises from 0.51 at 5 to 0.66)
  std::size_t last = 5;          ///< a session is its last N views
  double half_life = 2.0;        ///< recency weighting of those views (in views; 0 = plain mean)
  std::size_t k = 0;             ///< segments; 0 = the knee of a k-means sweep over k_min..k_max
  std::size_t k_min = 3;         ///< sweep start
  std::size_t k_max = 10;        ///< sweep end
  std::uint64_t seed = 1;        ///< the only source of randomness
  std::size_t threads = 0;       ///< 0 = all hardware threads
};

/// A segment a session may belong to, with its cosine similarity to the segment's centroid.
struct segment_choice {
  label_type segment = 0;  ///< label
  double score = 0.0;      ///< cosine similarity of the session vector and the centroid
};

/// Names of segments from the page attributes their sessions over-represent (lift against all
/// sessions): the tier, the behavior its page kinds show, and a category when it dominates.
inline std::vector<std::string> name_segments(const shop& s, std::span<const label_type> labels, std::size_t k, std::size_t last) {
  // Per segment, counts of tier, kind and category over each session's last views.
  std::vector<std::array<double, 3>> tier(k + 1, std::array<double, 3>{});
  std::vector<std::array<double, 4>> kind(k + 1, std::array<double, 4>{});
  std::vector<std::array<double, 12>> cat(k + 1, std::array<double, 12>{});
  std::vector<double> total(k + 1, 0.0);
  for (std::size_t i = 0; i < s.sessions.size(); ++i) {
    const auto& v = s.sessions[i];
    const std::size_t first = v.size() > last ? v.size() - last : 0;
    for (const std::size_t g : {static_cast<std::size_t>(labels[i]), k}) {  // its segment, and everyone (row k)
      for (std::size_t t = first; t < v.size(); ++t) {
        const auto& pg = s.pages[v[t] - 1];
        tier[g][pg.tier] += 1.0;
        kind[g][pg.kind] += 1.0;
        cat[g][pg.category] += 1.0;
        total[g] += 1.0;
      }
    }
  }
  const auto top = [&](const auto& counts, std::size_t g) {
    std::size_t best = 0;
    double lift = 0.0;
    for (std::size_t j = 0; j < counts[g].size(); ++j) {
      const double l = (counts[g][j] / total[g]) / std::max(counts[k][j] / total[k], 1e-12);
      if (l > lift) lift = l, best = j;
    }
    return std::pair{best, lift};
  };
  static constexpr std::string_view behavior[] = {"buyer", "browser", "bargain-shopper", "researcher"};
  std::vector<std::string> names;
  std::map<std::string, std::size_t> seen;
  for (std::size_t g = 0; g < k; ++g) {
    std::string name;
    if (total[g] == 0.0) {
      name = fmt::format("segment-{}", g);
    } else {
      const auto [t, tl] = top(tier, g);
      const auto [b, bl] = top(kind, g);
      const auto [c, cl] = top(cat, g);
      // Short sessions on product pages read as intent to buy.
      name = std::string(tl > 1.2 ? shop_tiers[t] : "mixed-tier");
      if (cl > 2.0) name += fmt::format("-{}", shop_categories[c]);
      name += fmt::format("-{}", bl > 1.15 ? behavior[b] : "shopper");
    }
    if (const auto n = ++seen[name]; n > 1) name += fmt::format("-{}", n);
    names.push_back(std::move(name));
  }
  return names;
}

/// The fitted model the service serves.
class session_model {
 public:
  embed::item2vec_model pages;     ///< page vectors and the session rule
  matrix<float> centers;           ///< k x dim unit centroids
  std::vector<std::string> names;  ///< per segment
  std::vector<double> shares;      ///< share of the training sessions per segment

  static constexpr std::string_view container_kind = "segkit.model.sessions";

  /// Learns page vectors from the shop's sessions and segments the session vectors.
  /// @throws segkit::invalid_argument as item2vec and k-means do.
  static session_model fit(const shop& s, const session_model_params& p = {}) {
    session_model m;
    m.pages = embed::item2vec({.dim = p.dim, .window = p.window, .epochs = p.epochs, .seed = p.seed, .threads = p.threads}).fit(s.sessions);
    m.pages.session_rule = {.last = p.last, .half_life = p.half_life, .normalize = true};
    const matrix<float> x = m.pages.embed(s.sessions);
    std::size_t k = p.k;
    if (k == 0) {
      const auto sweep = cluster::kmeans_sweep<float>(x, p.k_min, p.k_max, {.spherical = true, .seed = p.seed, .threads = p.threads});
      k = sweep.chosen_k.value_or((p.k_min + p.k_max) / 2);
    }
    const auto km = cluster::kmeans<float>({.k = k, .n_init = 3, .spherical = true, .seed = p.seed, .threads = p.threads}).fit(x);
    m.centers = km.centers;
    m.names = name_segments(s, std::span<const label_type>(km.labels().data(), km.labels().size()), k, p.last);
    m.shares.assign(k, 0.0);
    for (const label_type l : km.labels()) m.shares[static_cast<std::size_t>(l)] += 1.0 / static_cast<double>(km.labels().size());
    m.build_index();
    return m;
  }

  [[nodiscard]] std::size_t n_segments() const noexcept { return centers.shape(0); }

  /// How many of the views have a page vector.
  [[nodiscard]] std::size_t known(std::span<const id_type> views) const {
    std::size_t n = 0;
    for (const id_type v : views) n += pages.contains(v) ? 1 : 0;
    return n;
  }

  /// The `n` segments closest to the session, best first (empty when no view is a known page).
  /// Safe to call concurrently.
  [[nodiscard]] std::vector<segment_choice> rank(std::span<const id_type> views, std::size_t n) const {
    if (known(views) == 0) return {};
    const auto v = pages.session_vector(views, pages.session_rule);
    const matrix_view<float> q(v.data(), 1, v.size(), v.size());
    const auto r = index_.search(q, std::min(n, n_segments()), {.threads = 1});
    std::vector<segment_choice> out;
    for (std::size_t j = 0; j < r.ids.shape(1); ++j) out.push_back({static_cast<label_type>(r.ids(0, j)), 1.0 - static_cast<double>(r.distances(0, j))});
    return out;
  }

  /// Writes the model atomically: page vectors (nested item2vec container), centroids, names and shares.
  void save(const std::filesystem::path& path) const {
    container_writer w{std::string(container_kind)};
    byte_writer meta;
    meta.put(std::uint32_t{1}).put(static_cast<std::uint64_t>(n_segments())).put(static_cast<std::uint64_t>(centers.shape(1)));
    for (const auto& name : names) meta.put_string(name);
    w.add("meta", meta.bytes());
    add_nested(w, "pages", pages);
    w.add_array<float>("centres", std::span<const float>(centers.data(), centers.size()));
    w.add_array<double>("shares", std::span<const double>(shares));
    w.commit(path);
  }

  /// Reads a model written by save(). @throws segkit::io_error / segkit::format_error.
  static session_model load(const std::filesystem::path& path) {
    const container_reader file(path, container_kind);
    byte_reader meta(file.section("meta"), file);
    if (const auto v = meta.get<std::uint32_t>(); v != 1) file.fail(fmt::format("session model format version {} is not supported", v));
    const auto k = meta.get<std::uint64_t>(), d = meta.get<std::uint64_t>();
    session_model m;
    m.pages = read_nested<embed::item2vec_model>(file, "pages");
    if (k == 0 || k > 100000 || d != m.pages.dim()) file.fail(fmt::format("implausible shape: {} centroids of {} dimensions for {}-dimensional pages", k, d, m.pages.dim()));
    for (std::uint64_t i = 0; i < k; ++i) m.names.push_back(meta.get_string());
    const auto c = file.finite_array<float>("centres", k * d);
    m.centers = matrix<float>::from_shape({k, d});
    std::copy(c.begin(), c.end(), m.centers.begin());
    m.shares = file.finite_array<double>("shares", k);
    m.build_index();
    return m;
  }

 private:
  void build_index() {
    index_ = index::flat<distance::cosine_metric>(centers.shape(1));
    std::vector<id_type> ids(n_segments());
    for (std::size_t i = 0; i < ids.size(); ++i) ids[i] = i;
    index_.add(ids, centers);
  }

  index::flat<distance::cosine_metric> index_{1};
};

}  // namespace segkit::examples
