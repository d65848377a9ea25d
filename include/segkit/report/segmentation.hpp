#pragma once
/// @file
/// @brief The report of a pipeline::segmentation: key figures, a 2-D map with hover titles, the
/// k sweep (elbow and scores), segment sizes, the silhouette plot and a keyword table.

#include <cmath>
#include <cstddef>
#include <map>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "segkit/pipeline/profile.hpp"
#include "segkit/pipeline/segment.hpp"
#include "segkit/report/html.hpp"
#include "segkit/report/svg.hpp"

namespace segkit::report {

/// Options of add_segmentation().
struct segmentation_report_params {
  std::string map_caption = "2-D UMAP layout of the embeddings; hover a point for its record";  ///< under the scatter
  std::size_t max_points = 6000;  ///< scatter points drawn (see scatter_params)
  std::size_t keywords = 8;       ///< keywords listed per segment
  std::uint64_t seed = 0;         ///< of the scatter's sample
};

/**
 * @brief Appends the sections of a segmentation to `page`: figures (records, segments, noise,
 * silhouette, Davies-Bouldin, Calinski-Harabasz), the map (when coordinates were computed), the
 * k sweep (when k was chosen), the condensed tree (HDBSCAN), sizes, the silhouette plot (when scored) and a table of segments
 * with their names, sizes and keywords.
 * @param page    the report to append to.
 * @param s       the segmentation (pipeline::segment_texts / segment_vectors).
 * @param titles  one text per record shown on hover (or empty).
 * @param params  captions, scatter sampling, keywords per segment.
 * @throws segkit::invalid_argument if titles are given and their count is not the number of records.
 */
inline void add_segmentation(html_report& page, const pipeline::segmentation& s, std::span<const std::string> titles = {},
                             const segmentation_report_params& params = {}) {
  const std::size_t n = s.labels.size();
  if (!titles.empty() && titles.size() != n) {
    segkit::detail::throw_invalid("segkit::report::add_segmentation", fmt::format("{} titles for {} records", titles.size(), n));
  }
  const std::vector<label_type> labels(s.labels.begin(), s.labels.end());
  std::vector<std::pair<std::string, std::string>> figs{{"records", fmt::format("{}", n)}, {"segments", fmt::format("{}", s.n_segments)}};
  if (s.noise_fraction > 0) figs.emplace_back("noise", fmt::format("{:.1f} %", 100.0 * s.noise_fraction));
  if (!s.silhouette_values.empty()) figs.emplace_back("silhouette", fmt::format("{:.3f}", s.silhouette));
  if (s.n_segments >= 2) {
    figs.emplace_back("Davies-Bouldin", fmt::format("{:.3f}", s.davies_bouldin));
    figs.emplace_back("Calinski-Harabasz", fmt::format("{:.1f}", s.calinski_harabasz));
  }
  page.figures(figs);

  if (s.coordinates.size() > 0) {
    page.heading("Map of the segments");
    page.figure(scatter_svg(s.coordinates, labels, titles, s.names, {.width = 980, .height = 620, .max_points = params.max_points, .seed = params.seed}),
                params.map_caption);
  }
  if (s.sweep) {
    const auto& sw = *s.sweep;
    page.heading("Choosing the number of segments");
    page.paragraph(fmt::format("The sweep fitted k = {}..{}. {}.", sw.rows.front().k, sw.rows.back().k, sw.reason));
    series inertia{"inertia", {}, {}}, sil{"silhouette", {}, {}}, db{"Davies-Bouldin", {}, {}};
    for (const auto& r : sw.rows) {
      const auto k = static_cast<double>(r.k);
      inertia.x.push_back(k);
      inertia.y.push_back(r.inertia);
      sil.x.push_back(k);
      sil.y.push_back(r.silhouette);
      db.x.push_back(k);
      db.y.push_back(r.davies_bouldin);
    }
    const auto marked = static_cast<double>(sw.chosen_k);
    page.figure(line_svg(std::vector<series>{inertia}, {.title = "Elbow: inertia by k", .x_title = "k", .y_title = "inertia", .marked_x = marked}));
    page.figure(line_svg(std::vector<series>{sil}, {.title = "Mean silhouette by k (higher is better)", .x_title = "k", .y_title = "silhouette", .marked_x = marked}));
    page.figure(line_svg(std::vector<series>{db}, {.title = "Davies-Bouldin by k (lower is better)", .x_title = "k", .y_title = "Davies-Bouldin", .marked_x = marked}));
    // BIC (mixtures) and stability (resampling) when the sweep computed them.
    series bic{"BIC", {}, {}}, stab{"stability", {}, {}};
    for (const auto& r : sw.rows) {
      if (std::isfinite(r.bic)) bic.x.push_back(static_cast<double>(r.k)), bic.y.push_back(r.bic);
      if (std::isfinite(r.stability)) stab.x.push_back(static_cast<double>(r.k)), stab.y.push_back(r.stability);
    }
    if (!bic.x.empty()) page.figure(line_svg(std::vector<series>{bic}, {.title = "BIC by k (lower is better)", .x_title = "k", .y_title = "BIC", .marked_x = marked}));
    if (!stab.x.empty()) {
      page.figure(line_svg(std::vector<series>{stab}, {.title = "Stability by k (mean Jaccard under subsampling)", .x_title = "k", .y_title = "stability", .marked_x = marked}));
    }
  }
  if (const auto* h = s.hdbscan()) {
    const auto& t = h->tree;
    page.heading("HDBSCAN condensed tree");
    page.figure(condensed_tree_svg(t.parent, t.child, t.lambda, t.child_size, t.n_points, h->selected),
                "Each bar is a cluster of the density hierarchy, from the density at which it appears (top) to the one at which it dissolves; "
                "colored bars are the selected segments.");
  }
  page.heading("Segment sizes");
  {
    std::vector<std::string> names, colors;
    std::vector<double> sizes;
    for (std::size_t l = 0; l < s.n_segments; ++l) {
      const auto lab = static_cast<label_type>(l);
      names.push_back(s.names.at(lab));
      colors.push_back(segment_color(lab));
      sizes.push_back(static_cast<double>(s.sizes[l]));
    }
    if (s.noise_fraction > 0) {
      names.emplace_back("noise");
      colors.push_back(segment_color(noise_label));
      sizes.push_back(std::round(s.noise_fraction * static_cast<double>(n)));
    }
    page.figure(bar_svg(names, sizes, colors, {.value_title = "records"}));
  }
  if (!s.silhouette_values.empty()) {
    std::vector<label_type> sl(s.score_sample.size());
    for (std::size_t r = 0; r < sl.size(); ++r) sl[r] = labels[s.score_sample[r]];
    page.heading("Silhouette");
    page.figure(silhouette_svg(s.silhouette_values, sl, s.names, {.height = std::max<std::size_t>(360, 14 * s.n_segments + 80)}),
                fmt::format("Silhouette values of {} sampled records, by segment", sl.size()));
  }
  page.heading("Segments");
  std::vector<std::vector<cell>> rows;
  std::map<label_type, const pipeline::segment_keywords*> kw;
  for (const auto& k : s.keywords) kw[k.segment] = &k;
  for (std::size_t l = 0; l < s.n_segments; ++l) {
    const auto lab = static_cast<label_type>(l);
    std::string words;
    if (const auto it = kw.find(lab); it != kw.end()) {
      for (std::size_t t = 0; t < it->second->terms.size() && t < params.keywords; ++t) words += (t ? ", " : "") + it->second->terms[t].first;
    }
    rows.push_back({swatch(lab), s.names.at(lab), fmt::format("{}", s.sizes[l]), fmt::format("{:.1f} %", 100.0 * static_cast<double>(s.sizes[l]) / static_cast<double>(n)), words});
  }
  page.table({"", "segment", "records", "share", "keywords (c-TF-IDF)"}, rows);
}

/**
 * @brief Appends a table of segment profiles (pipeline::profile_segments): per segment its size
 * and share, its distinguishing numeric features (segment mean against the population's, lift and
 * effect size; significant ones only) and its over-represented categories (share in the segment
 * against the population's, lift).
 * @param page      the report to append to.
 * @param profiles  from pipeline::profile_segments.
 * @param heading   the section's title.
 */
inline void add_profiles(html_report& page, const std::vector<pipeline::segment_profile>& profiles, std::string_view heading = "Segment profiles") {
  page.heading(heading);
  std::vector<std::vector<cell>> rows;
  for (const auto& p : profiles) {
    std::string features, categories;
    for (const std::size_t j : p.top_features) {
      const auto& f = p.features[j];
      features += fmt::format("{}{}: {:.3g} vs {:.3g} (lift {:.2f}, d = {:+.2f})", features.empty() ? "" : "; ", f.name, f.segment_mean, f.population_mean,
                              f.lift, f.effect_size);
    }
    for (const auto& c : p.top_categories) {
      categories += fmt::format("{}{} = {}: {:.0f} % vs {:.0f} % (lift {:.2f})", categories.empty() ? "" : "; ", c.attribute, c.value, 100.0 * c.segment_share,
                                100.0 * c.population_share, c.lift);
    }
    rows.push_back({swatch(p.segment), p.name, fmt::format("{}", p.size), fmt::format("{:.1f} %", 100.0 * p.share), features.empty() ? "-" : features,
                     categories.empty() ? "-" : categories});
  }
  page.table({"", "segment", "records", "share", "distinguishing features (segment vs all)", "over-represented categories"}, rows);
}

}  // namespace segkit::report
