// Teaching example: segmenting mall customers by annual income and spending score, choosing k
// with the elbow (Kneedle) and the silhouette, then profiling the segments.
//
//   mall_customers [--out DIR] [--seed S]
//
// The data are generated in the shape of the well-known "mall customers" exercise: 200 customers
// in five groups (careful high earners, big spenders, the average middle, frugal low earners,
// young low earners who spend), with age and gender as extra attributes. The program exits with
// status 3 if the silhouette does not find the five groups, the elbow is not at 4 or 5, or the
// k-means segments disagree with the groups (ARI < 0.9): CI runs it as a test.
#include <algorithm>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <fmt/format.h>

#include <segkit/cluster/choose_k.hpp>
#include <segkit/cluster/kmeans.hpp>
#include <segkit/core/random.hpp>
#include <segkit/pipeline/profile.hpp>
#include <segkit/quality/external.hpp>
#include <segkit/quality/internal.hpp>
#include <segkit/quality/sweep.hpp>
#include <segkit/report/html.hpp>
#include <segkit/report/svg.hpp>

#include "../common/example.hpp"

namespace {

struct customers {
  segkit::matrix<double> x;               // income (k$), spending score (1-100)
  std::vector<std::string> gender, age_band;
  std::vector<segkit::label_type> group;  // the generator's group
};

// Five groups of 40: (income mean, income sd, score mean, score sd, typical age).
customers make_customers(std::uint64_t seed) {
  struct shape { double inc, inc_sd, score, score_sd, age; };
  constexpr shape groups[] = {{88, 9, 17, 8, 41}, {87, 9, 82, 8, 32}, {55, 7, 50, 6, 43}, {26, 7, 20, 8, 45}, {25, 7, 79, 8, 25}};
  customers c{segkit::matrix<double>::from_shape({200, 2}), {}, {}, {}};
  for (std::size_t i = 0; i < 200; ++i) {
    segkit::rng r(seed, i);
    const auto g = i % 5;
    c.x(i, 0) = std::max(15.0, groups[g].inc + groups[g].inc_sd * r.normal());
    c.x(i, 1) = std::clamp(groups[g].score + groups[g].score_sd * r.normal(), 1.0, 99.0);
    const double age = groups[g].age + 8.0 * r.normal();
    c.age_band.push_back(age < 30 ? "under 30" : (age < 50 ? "30-49" : "50+"));
    c.gender.push_back(r.uniform() < (g == 1 ? 0.6 : 0.5) ? "female" : "male");
    c.group.push_back(static_cast<segkit::label_type>(g));
  }
  return c;
}

int run(int argc, char** argv) {
  auto opt = segkit::examples::parse_options(argc, argv, {{"out", "mall-customers"}, {"seed", "7"}});
  const auto c = make_customers(std::stoull(opt["seed"]));

  // [choose k]
  // Elbow: inertia for k = 1..10 and its knee; silhouette, Davies-Bouldin and Calinski-Harabasz for k = 2..10.
  const auto elbow = segkit::cluster::kmeans_sweep<double>(c.x, 1, 10, {.n_init = 5, .seed = 1});
  const auto fit_k = [](const auto& rows, std::size_t k, std::uint64_t seed) { return segkit::cluster::kmeans<double>({.k = k, .n_init = 5, .seed = seed}).fit(rows); };
  const auto scores = segkit::quality::sweep_k(c.x, fit_k, {.k_min = 2, .k_max = 10, .gap_references = 0, .stability_runs = 0, .seed = 1});
  // [choose k]
  fmt::print("  k   inertia   silhouette\n");
  for (const auto& p : elbow.points) {
    const auto row = std::find_if(scores.rows.begin(), scores.rows.end(), [&](const auto& s) { return s.k == p.k; });
    fmt::print("{:3} {:9.0f}   {}\n", p.k, p.inertia, row == scores.rows.end() ? std::string("-") : fmt::format("{:.3f}", row->silhouette));
  }
  const std::size_t knee = elbow.chosen_k.value_or(0);
  fmt::print("elbow (Kneedle) k = {}, best silhouette k = {}\n", knee, scores.silhouette_k);

  // [segments]
  const auto model = segkit::cluster::kmeans<double>({.k = 5, .n_init = 10, .seed = 1}).fit(c.x);
  const std::vector<segkit::label_type> labels(model.labels().begin(), model.labels().end());
  const auto profiles = segkit::pipeline::profile_segments(c.x, labels, {.feature_names = {"income", "spending"}},
                                                            {{"gender", "age"}, {c.gender, c.age_band}});
  // [segments]
  const double ari = segkit::quality::adjusted_rand_index(c.group, model.labels());
  std::map<segkit::label_type, std::string> names;
  std::vector<std::vector<segkit::report::cell>> rows;
  for (const auto& p : profiles) {
    const std::string name = fmt::format("{}-income {}-spending", p.features[0].segment_mean > 60 ? "high" : (p.features[0].segment_mean > 40 ? "mid" : "low"),
                                         p.features[1].segment_mean > 60 ? "high" : (p.features[1].segment_mean > 35 ? "mid" : "low"));
    names[p.segment] = name;
    std::string cats;
    for (const auto& cp : p.top_categories) cats += fmt::format("{}{} = {} (lift {:.2f})", cats.empty() ? "" : "; ", cp.attribute, cp.value, cp.lift);
    rows.push_back({segkit::report::swatch(p.segment), name, fmt::format("{}", p.size), fmt::format("{:.1f}", p.features[0].segment_mean),
                    fmt::format("{:.1f}", p.features[1].segment_mean), cats.empty() ? "-" : cats});
    fmt::print("segment {}: {:<28} {:3} customers, income {:5.1f}, spending {:5.1f}  {}\n", p.segment, name, p.size, p.features[0].segment_mean,
               p.features[1].segment_mean, cats);
  }
  fmt::print("ARI against the generator's groups: {:.3f}\n", ari);

  // [report]
  namespace rp = segkit::report;
  rp::html_report page("Mall customers: income and spending segments");
  page.paragraph("200 generated customers. k-means on (annual income, spending score); k from the elbow of the inertia curve and from the silhouette.");
  std::vector<double> ks, inertia, sil_k, sil;
  for (const auto& p : elbow.points) ks.push_back(static_cast<double>(p.k)), inertia.push_back(p.inertia);
  for (const auto& s : scores.rows) sil_k.push_back(static_cast<double>(s.k)), sil.push_back(s.silhouette);
  page.heading("Choosing k");
  page.figure(rp::line_svg(std::vector<rp::series>{{"inertia", ks, inertia}}, {.title = "Elbow", .x_title = "k", .y_title = "inertia", .marked_x = static_cast<double>(knee)}));
  page.figure(rp::line_svg(std::vector<rp::series>{{"silhouette", sil_k, sil}},
                           {.title = "Silhouette", .x_title = "k", .y_title = "mean silhouette", .marked_x = static_cast<double>(scores.silhouette_k)}));
  page.heading("Segments");
  page.figure(rp::scatter_svg(c.x, labels, {}, names, {.title = "income (x) against spending score (y)"}));
  const auto values = segkit::quality::silhouette_samples(c.x, labels);
  page.figure(rp::silhouette_svg(std::vector<double>(values.begin(), values.end()), labels, names));
  page.table({"", "segment", "customers", "income", "spending", "over-represented"}, rows);
  std::filesystem::create_directories(opt["out"]);
  page.save(std::filesystem::path(opt["out"]) / "report.html");
  // [report]

  // Kneedle's chord method may stop one k early when two groups sit close together (here the
  // two low-income groups): the silhouette settles it.
  if ((knee != 4 && knee != 5) || scores.silhouette_k != 5 || ari < 0.9) {
    std::fprintf(stderr, "mall_customers: expected the elbow at 4 or 5, the silhouette at 5 and ARI >= 0.9\n");
    return 3;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return segkit::examples::guarded_main("mall_customers", [&] { return run(argc, argv); });
}
