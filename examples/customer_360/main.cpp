// Multi-modal customer 360 (README.md here): a streaming service's users over 8 weeks, each week
// embedded from four modalities (titles watched, a thumbnail, support tickets, usage), fused,
// segmented with stable segment ids, watched for drift, and shown in an HTML dashboard of segment
// movement. An ablation drops each modality in turn.
//   customer_360 [--out DIR] [--users 2000] [--seed 1] [--model MODEL_DIR] [--image-model CLIP_DIR]
// --model embeds the titles and tickets with a sentence-transformers folder, --image-model the
// thumbnails with a CLIP folder's vision tower (docs/embed_models.md), instead of the built-in
// LSA and colour features.
#include <algorithm>
#include <array>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <numeric>
#include <string>
#include <vector>

#include <fmt/format.h>

#include <segkit/cluster/choose_k.hpp>
#include <segkit/cluster/kmeans.hpp>
#include <segkit/embed/fusion.hpp>
#include <segkit/embed/image.hpp>
#include <segkit/embed/lsa.hpp>
#include <segkit/embed/model_folder.hpp>
#include <segkit/embed/tabular.hpp>
#include <segkit/monitor/drift.hpp>
#include <segkit/monitor/segment_ids.hpp>
#include <segkit/pipeline/keywords.hpp>
#include <segkit/quality/external.hpp>
#include <segkit/report/drift.hpp>
#include <segkit/report/html.hpp>
#include <segkit/report/svg.hpp>

#include "../common/example.hpp"
#include "viewers.hpp"

namespace ex = segkit::examples;
using segkit::label_type;
using segkit::matrix;

namespace {

constexpr std::array<const char*, 4> modality_names = {"titles", "thumbnails", "tickets", "usage"};

// The embedders of the four modalities, fitted on the first week (or models given).
struct embedders {
  segkit::embed::lsa_model titles, tickets;
  segkit::embed::image_features images{{.thumbnail = 4}};
  segkit::embed::scaler_model usage;
  std::shared_ptr<const segkit::embed::onnx_text_embedder> text_model;    // --model: titles and tickets
  std::shared_ptr<const segkit::embed::onnx_image_embedder> image_model;  // --image-model: thumbnails

  std::vector<matrix<float>> blocks(const std::vector<ex::viewer_week>& week, segkit::embed::modality_presence& present) const {
    std::vector<std::string> t, k;
    std::vector<segkit::embed::image> img;
    matrix<double> u = matrix<double>::from_shape({week.size(), 6});
    present.assign(4, std::vector<bool>(week.size(), true));
    for (std::size_t i = 0; i < week.size(); ++i) {
      t.push_back(week[i].titles);
      k.push_back(week[i].ticket);
      present[2][i] = !week[i].ticket.empty();
      img.push_back(week[i].thumbnail);
      for (std::size_t j = 0; j < 6; ++j) u(i, j) = week[i].usage[j];
    }
    if (text_model) {
      return {text_model->embed(t), image_model ? image_model->embed(img) : images.embed(img), text_model->embed(k), usage.transform(u)};
    }
    return {titles.embed(t), image_model ? image_model->embed(img) : images.embed(img), tickets.embed(k), usage.transform(u)};
  }
};

embedders fit_embedders(const std::vector<ex::viewer_week>& week, std::uint64_t seed) {
  embedders e;
  std::vector<std::string> t, k;
  matrix<double> u = matrix<double>::from_shape({week.size(), 6});
  for (std::size_t i = 0; i < week.size(); ++i) {
    t.push_back(week[i].titles);
    if (!week[i].ticket.empty()) k.push_back(week[i].ticket);
    for (std::size_t j = 0; j < 6; ++j) u(i, j) = week[i].usage[j];
  }
  segkit::embed::lsa_params lp{.dims = 16, .seed = seed};
  lp.tfidf.analysis.ngram_max = 1;
  e.titles = segkit::embed::lsa(lp).fit(t);
  lp.dims = 8;
  e.tickets = segkit::embed::lsa(lp).fit(k);
  e.usage = segkit::embed::scaler().fit(u);
  return e;
}

// One week's segmentation: k at the knee of a sweep, k-means, ids carried over from last week.
struct week_segments {
  std::vector<label_type> stable;   // per user active this week
  matrix<float> vectors, centers;   // fused rows; centroids by refit label
  std::vector<label_type> ids;      // stable id of each centroid row
  std::vector<label_type> births;   // ids new this week
};

week_segments segment_week(const matrix<float>& v, const week_segments* previous, label_type& next_id, std::uint64_t seed) {
  week_segments s;
  const auto sweep = segkit::cluster::kmeans_sweep<float>(v, 3, 10, {.n_init = 2, .seed = seed});
  const std::size_t k = sweep.chosen_k.value_or(6);
  const auto km = segkit::cluster::kmeans<float>({.k = k, .n_init = 3, .seed = seed}).fit(v);
  s.vectors = v;
  s.centers = km.centers;
  std::vector<label_type> labels(km.labels().begin(), km.labels().end());
  if (previous == nullptr) {
    for (std::size_t c = 0; c < k; ++c) s.ids.push_back(next_id++);
  } else {
    const auto m = segkit::monitor::match_segments_by_centroids(previous->centers, previous->ids, s.centers, {.next_id = next_id});
    for (std::size_t c = 0; c < k; ++c) s.ids.push_back(m.stable_id(static_cast<label_type>(c)));
    s.births = m.births;
    for (const label_type id : s.ids) next_id = std::max(next_id, static_cast<label_type>(id + 1));
  }
  for (const label_type l : labels) s.stable.push_back(s.ids[static_cast<std::size_t>(l)]);
  return s;
}

int run(const ex::options& o) {
  const std::filesystem::path out = o.at("out");
  const std::uint64_t seed = std::stoull(o.at("seed"));
  const auto weeks = ex::make_viewers({.users = std::stoul(o.at("users")), .seed = seed});
  const auto& types = ex::archetypes();
  embedders e = fit_embedders(weeks[0], seed);
  if (o.count("model") != 0) e.text_model = std::make_shared<const segkit::embed::onnx_text_embedder>(segkit::embed::read_text_model_folder(o.at("model")).params);
  if (o.count("image-model") != 0) e.image_model = std::make_shared<const segkit::embed::onnx_image_embedder>(segkit::embed::read_clip_model_folder(o.at("image-model")).image);

  // Every week's four blocks, embedded once.
  std::vector<std::vector<matrix<float>>> blocks;
  std::vector<segkit::embed::modality_presence> presence(weeks.size());
  for (std::size_t w = 0; w < weeks.size(); ++w) blocks.push_back(e.blocks(weeks[w], presence[w]));

  // Fused vectors of every week, for the full model and for each ablation (a modality's weight 0).
  const std::array<double, 4> full = {1.0, 1.0, 0.5, 1.0};
  std::vector<std::vector<matrix<float>>> fused(5);  // [variant][week]; variant 0 = all modalities
  for (std::size_t variant = 0; variant < 5; ++variant) {
    std::vector<double> w(full.begin(), full.end());
    if (variant > 0) w[variant - 1] = 0.0;
    const auto f = segkit::embed::fusion({.weights = w, .projection = segkit::embed::fusion_projection::pca, .dims = 32, .seed = seed}).fit(blocks[0], presence[0]);
    for (std::size_t week = 0; week < weeks.size(); ++week) fused[variant].push_back(f.transform(blocks[week], presence[week]));
  }

  // Weekly segments with stable ids (all modalities), ARI per week for every variant.
  std::vector<week_segments> seg;
  std::array<std::vector<double>, 5> ari;
  for (std::size_t variant = 0; variant < 5; ++variant) {
    label_type ids = 0;
    std::vector<week_segments> s;
    for (std::size_t w = 0; w < weeks.size(); ++w) {
      s.push_back(segment_week(fused[variant][w], w ? &s.back() : nullptr, ids, seed));
      std::vector<label_type> truth;
      for (const auto& v : weeks[w]) truth.push_back(v.archetype);
      ari[variant].push_back(segkit::quality::adjusted_rand_index(truth, s.back().stable));
    }
    if (variant == 0) seg = std::move(s);
  }

  // Drift of every week against the first (features are the fused columns; segments by stable id).
  const segkit::monitor::drift_monitor<float> monitor(seg[0].vectors, seg[0].stable, seg[0].centers,
                                                     {.mmd = {.max_samples = 500, .permutations = 100, .seed = seed}});
  std::vector<segkit::report::drift_period> periods;
  std::size_t flagged_week = 0;
  for (std::size_t w = 1; w < weeks.size(); ++w) {
    periods.push_back({fmt::format("week {}", w), monitor.check(seg[w].vectors, seg[w].stable)});
    if (flagged_week == 0 && (periods.back().report.segments.new_segment_candidate || !seg[w].births.empty())) flagged_week = w;
  }

  // Segment names from the titles their users watched (c-TF-IDF over all weeks).
  std::vector<std::string> docs;
  std::vector<label_type> all_ids;
  for (std::size_t w = 0; w < weeks.size(); ++w) {
    for (std::size_t i = 0; i < weeks[w].size(); ++i) {
      docs.push_back(weeks[w][i].titles);
      all_ids.push_back(seg[w].stable[i]);
    }
  }
  std::map<label_type, std::string> names;
  for (const auto& k : segkit::pipeline::keywords_by_segment(docs, all_ids, {.name_terms = 2})) names[k.segment] = k.name;

  // Console summary.
  fmt::print("{} weeks, {} users at week 0, {} at the end; modalities: titles, thumbnails, tickets, usage; text by {}, thumbnails by {}\n", weeks.size(),
             weeks.front().size(), weeks.back().size(), e.text_model ? "a model" : "LSA", e.image_model ? "CLIP" : "colour features");
  for (std::size_t w = 0; w < weeks.size(); ++w) {
    std::map<label_type, std::size_t> sizes;
    for (const label_type l : seg[w].stable) ++sizes[l];
    std::string line;
    for (const auto& [id, n] : sizes) line += fmt::format(" {}:{}", names[id], n);
    fmt::print("week {}: ARI {:.3f}, {} segments{}{}\n", w, ari[0][w], sizes.size(), seg[w].births.empty() ? "" : fmt::format(" (new: {})", names[seg[w].births.front()]),
               w > 0 && periods[w - 1].report.drifted() ? fmt::format(", {} drift alert(s)", periods[w - 1].report.alerts.size()) : "");
    fmt::print("   {}\n", line);
  }
  const auto mean = [](const std::vector<double>& v) { return std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size()); };
  fmt::print("\nablation (mean ARI over the weeks against the hidden archetypes):\n  all modalities {:.3f}\n", mean(ari[0]));
  for (std::size_t m = 0; m < 4; ++m) fmt::print("  without {:<10} {:.3f}\n", modality_names[m], mean(ari[m + 1]));
  const std::size_t appeared = 4;
  fmt::print("the new archetype ({}) joined in week {}; flagged in week {}\n", types[5].name, appeared,
             flagged_week ? std::to_string(flagged_week) : std::string("none"));

  // The dashboard.
  segkit::report::html_report page("Customer 360: segments week over week");
  const std::string text_by = e.text_model ? "the model in " + o.at("model") : std::string("LSA");
  page.paragraph(fmt::format("{} users of a streaming service over {} weeks, each week embedded from the titles they watched ({}), a thumbnail "
                             "({}), support tickets ({}; most users file none) and usage (scaled), fused "
                             "with weights 1, 1, 0.5, 1, projected on 32 principal components and segmented with k-means (k at the knee of a sweep); segment ids are carried from "
                             "week to week by matching centroids.",
                             weeks.back().size(), weeks.size(), text_by,
                             e.image_model ? "the CLIP vision tower in " + o.at("image-model") : std::string("CIELAB histogram and a small thumbnail"), text_by));
  std::vector<std::pair<std::string, std::string>> figs = {{"mean ARI (all modalities)", fmt::format("{:.3f}", mean(ari[0]))},
                                                           {"new archetype flagged", flagged_week ? fmt::format("week {}", flagged_week) : "no"}};
  page.figures(figs);
  std::vector<segkit::report::series> lines;
  for (std::size_t v = 0; v < 5; ++v) {
    segkit::report::series s{v == 0 ? "all modalities" : fmt::format("without {}", modality_names[v - 1]), {}, {}};
    for (std::size_t w = 0; w < weeks.size(); ++w) {
      s.x.push_back(static_cast<double>(w));
      s.y.push_back(ari[v][w]);
    }
    lines.push_back(std::move(s));
  }
  page.heading("Accuracy against the hidden archetypes");
  page.figure(segkit::report::line_svg(lines, {.title = "ARI per week", .x_title = "week", .y_title = "ARI", .width = 640}), "An ablation: each modality dropped in turn.");
  segkit::report::add_drift(page, periods, names, {.heading = "Drift against week 0", .max_features = 6});
  // Migration week over week, for the users present in both weeks (users keep their index).
  page.heading("Segment migration week over week");
  for (std::size_t b = 1; b < weeks.size(); ++b) {
    const std::size_t a = b - 1;
    const std::vector<label_type> before(seg[a].stable.begin(), seg[a].stable.end()),
        after(seg[b].stable.begin(), seg[b].stable.begin() + static_cast<std::ptrdiff_t>(before.size()));
    const auto mig = segkit::monitor::migration(before, after);
    page.figure(segkit::report::migration_svg(mig.counts, mig.from_labels, mig.to_labels, names,
                                              {.title = fmt::format("Week {} to week {}", a, b), .from_title = fmt::format("week {}", a),
                                               .to_title = fmt::format("week {}", b), .height = 360}));
  }
  std::filesystem::create_directories(out);
  page.save(out / "dashboard.html");
  fmt::print("dashboard: {}\n", (out / "dashboard.html").string());

  const double floor = std::stod(o.at("min-ari"));
  if (mean(ari[0]) < floor || (floor > 0.0 && flagged_week != appeared)) {
    fmt::print(stderr, "customer_360: mean ARI {:.3f} (at least {:.2f} expected) or the new archetype was not flagged in week {}\n", mean(ari[0]), floor, appeared);
    return 1;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return ex::guarded_main("customer_360", [&] {
    return run(ex::parse_options(argc, argv, {{"out", "customer360"}, {"users", "2000"}, {"seed", "1"}, {"min-ari", "0"}}));
  });
}
