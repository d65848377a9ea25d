// SVG charts and HTML reports: structure (well-formed SVG, one mark per drawn point, legend,
// bands), escaping, sampling bounds for large n, determinism, and errors.
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "support/data.hpp"

#include <segkit/cluster/hdbscan.hpp>
#include <segkit/cluster/kmeans.hpp>
#include <segkit/monitor/drift.hpp>
#include <segkit/quality/internal.hpp>
#include <segkit/pipeline/profile.hpp>
#include <segkit/report/drift.hpp>
#include <segkit/report/html.hpp>
#include <segkit/report/segmentation.hpp>
#include <segkit/report/svg.hpp>

namespace rp = segkit::report;
using segkit::label_type;

namespace {

std::size_t count(const std::string& s, const std::string& what) {
  std::size_t c = 0;
  for (auto p = s.find(what); p != std::string::npos; p = s.find(what, p + what.size())) ++c;
  return c;
}

// True when every element of an XML fragment is closed in order (comments, declarations and
// self-closing tags handled); enough to catch a broken writer.
bool well_formed(const std::string& s) {
  std::vector<std::string> open;
  for (std::size_t i = s.find('<'); i != std::string::npos; i = s.find('<', i + 1)) {
    if (s.compare(i, 2, "<!") == 0 || s.compare(i, 2, "<?") == 0) continue;
    const std::size_t end = s.find('>', i);
    if (end == std::string::npos) return false;
    const bool closing = s[i + 1] == '/';
    const bool self = s[end - 1] == '/';
    std::size_t b = i + (closing ? 2 : 1), e = b;
    while (e < end && s[e] != ' ' && s[e] != '/' && s[e] != '>' && s[e] != '\n') ++e;
    const std::string name = s.substr(b, e - b);
    if (name.empty()) return false;
    if (closing) {
      if (open.empty() || open.back() != name) return false;
      open.pop_back();
    } else if (!self) {
      open.push_back(name);
    }
    i = end;
  }
  return open.empty();
}

// Two-column coordinates and labels for `segments` well separated groups.
struct points {
  segkit::matrix<double> xy;
  std::vector<label_type> labels;
};
points groups(std::size_t n, std::size_t segments, std::uint64_t seed) {
  const auto m = segkit::test::blobs(n, 2, segments, seed);
  points p{segkit::matrix<double>::from_shape({n, 2}), std::vector<label_type>(n)};
  for (std::size_t i = 0; i < n; ++i) {
    p.xy(i, 0) = m(i, 0);
    p.xy(i, 1) = m(i, 1);
    p.labels[i] = static_cast<label_type>(i % segments);
  }
  return p;
}

}  // namespace

TEST_CASE("escape and segment colors", "[report]") {
  CHECK(rp::escape("a<b & \"c\" 'd'>") == "a&lt;b &amp; &quot;c&quot; &#39;d&#39;&gt;");
  std::set<std::string> colors;
  for (label_type l = 0; l < 60; ++l) {
    const auto c = rp::segment_color(l);
    REQUIRE(c.size() == 7);
    CHECK(c[0] == '#');
    colors.insert(c);
  }
  CHECK(colors.size() == 60);
  CHECK(rp::segment_color(-1) == "#9a9a9a");
  CHECK(rp::segment_color(3) == rp::segment_color(3));
}

TEST_CASE("nice_ticks are round values inside the range", "[report]") {
  const auto t = rp::nice_ticks(0.13, 9.7);
  REQUIRE(t.size() >= 4);
  CHECK(t.front() >= 0.13);
  CHECK(t.back() <= 9.7);
  for (std::size_t i = 1; i < t.size(); ++i) CHECK(t[i] - t[i - 1] == Approx(2.0));
  CHECK(rp::nice_ticks(-1, 1).size() == 5);  // -1 -0.5 0 0.5 1
  CHECK(rp::nice_ticks(3, 3).size() == 1);
}

TEST_CASE("scatter_svg: every point, hover text escaped, legend, well-formed", "[report][scatter]") {
  auto p = groups(60, 3, 1);
  std::vector<std::string> hover(60);
  for (std::size_t i = 0; i < 60; ++i) hover[i] = fmt::format("product <{}> & co", i);
  p.labels[5] = -1;
  const std::map<label_type, std::string> names{{0, "coffee-espresso"}, {1, "running-shoes"}};
  const auto svg = rp::scatter_svg(p.xy, p.labels, hover, names, {.title = "Products"});
  CHECK(well_formed(svg));
  CHECK(count(svg, "<circle") == 60);
  CHECK(count(svg, "class=\"segment\"") == 4);  // noise + 3
  CHECK(svg.find("product &lt;7&gt; &amp; co \xe2\x80\x94 running-shoes") != std::string::npos);  // row 7 is in segment 1
  CHECK(svg.find("product <7>") == std::string::npos);
  CHECK(svg.find("segment 2 (19)") != std::string::npos);  // unnamed segment, with its size
  CHECK(svg.find("noise (1)") != std::string::npos);
  CHECK(svg.find("coffee-espresso (20)") != std::string::npos);
  CHECK(svg.find("<script") == std::string::npos);
  CHECK(count(svg, "class=\"density\"") == 0);  // all points drawn: no density layer
  // The noise group comes first (drawn underneath).
  CHECK(svg.find("data-segment=\"-1\"") < svg.find("data-segment=\"0\""));
  // Points lie inside the plot frame.
  CHECK(svg.find("cx=\"-") == std::string::npos);
}

TEST_CASE("scatter_svg: 100k points in 30 segments are sampled per segment over a density grid", "[report][scatter]") {
  const auto p = groups(100000, 30, 2);
  const rp::scatter_params params{.max_points = 5000, .seed = 3};
  const auto svg = rp::scatter_svg(p.xy, p.labels, {}, {}, params);
  CHECK(well_formed(svg));
  const std::size_t circles = count(svg, "<circle");
  CHECK(circles >= 4900);
  CHECK(circles <= 5000 + 30 * 25);
  for (label_type l = 0; l < 30; ++l) CHECK(svg.find(fmt::format("data-segment=\"{}\"", l)) != std::string::npos);
  CHECK(count(svg, "class=\"density\"") == 1);
  CHECK(svg.find("of 100000 points drawn") != std::string::npos);
  CHECK(svg.size() < 2'000'000);
  CHECK(svg == rp::scatter_svg(p.xy, p.labels, {}, {}, params));  // deterministic
  CHECK(svg != rp::scatter_svg(p.xy, p.labels, {}, {}, {.max_points = 5000, .seed = 4}));
  // A tiny segment keeps all its points.
  auto q = groups(20000, 5, 4);
  for (std::size_t i = 0; i < 10; ++i) q.labels[i * 7] = 9;
  const auto small = rp::scatter_svg(q.xy, q.labels, {}, {}, {.max_points = 1000});
  const auto at = small.find("data-segment=\"9\"");
  REQUIRE(at != std::string::npos);
  CHECK(count(small.substr(at, small.find("</g>", at) - at), "<circle") == 10);
}

TEST_CASE("scatter_svg rejects bad input", "[report][scatter]") {
  const auto p = groups(10, 2, 1);
  std::vector<label_type> short_labels(9, 0);
  CHECK_THROWS_WITH(rp::scatter_svg(p.xy, short_labels), Catch::Contains("9 labels for 10 points"));
  segkit::matrix<double> three = segkit::matrix<double>::from_shape({10, 3});
  three.fill(0.0);
  CHECK_THROWS_WITH(rp::scatter_svg(three, p.labels), Catch::Contains("2 columns (got 3)"));
  auto bad = p.xy;
  bad(4, 1) = std::numeric_limits<double>::quiet_NaN();
  CHECK_THROWS_AS(rp::scatter_svg(bad, p.labels), segkit::invalid_argument);
  std::vector<std::string> hover(3);
  CHECK_THROWS_WITH(rp::scatter_svg(p.xy, p.labels, hover), Catch::Contains("3 hover texts"));
  segkit::matrix<double> none = segkit::matrix<double>::from_shape({0, 2});
  CHECK_THROWS_WITH(rp::scatter_svg(none, std::vector<label_type>{}), Catch::Contains("no points"));
}

TEST_CASE("silhouette_svg: one band per segment, sized by the segment, mean line", "[report][silhouette]") {
  std::vector<double> v;
  std::vector<label_type> l;
  for (int i = 0; i < 300; ++i) {
    v.push_back(0.2 + 0.001 * i);
    l.push_back(i < 200 ? 0 : 1);
  }
  v.push_back(-0.5);
  l.push_back(-1);  // noise is left out of the plot and of the mean
  const auto svg = rp::silhouette_svg(v, l, {{0, "big"}});
  CHECK(well_formed(svg));
  CHECK(count(svg, "class=\"band\"") == 2);
  CHECK(svg.find("big: 200 samples") != std::string::npos);
  double mean = 0;
  for (int i = 0; i < 300; ++i) mean += v[static_cast<std::size_t>(i)];
  CHECK(svg.find(fmt::format("mean {:.3f}", mean / 300)) != std::string::npos);
  CHECK_THROWS_WITH(rp::silhouette_svg(std::vector<double>{1.5}, std::vector<label_type>{0}), Catch::Contains("[-1, 1]"));
  CHECK_THROWS_WITH(rp::silhouette_svg(std::vector<double>{0.5}, std::vector<label_type>{-1}), Catch::Contains("no sample outside noise"));
  CHECK_THROWS_AS(rp::silhouette_svg(std::vector<double>{0.5, 0.1}, std::vector<label_type>{0}), segkit::invalid_argument);
}

TEST_CASE("line_svg and bar_svg: marks per point and bar, gaps at NaN, chosen-k marker", "[report][line]") {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const std::vector<rp::series> lines{{"inertia", {2, 3, 4, 5, 6}, {100, 60, 30, 28, 27}}, {"bic", {2, 3, 4, 5, 6}, {9, nan, 7, 8, 9}}};
  const auto svg = rp::line_svg(lines, {.title = "Elbow", .x_title = "k", .marked_x = 4});
  CHECK(well_formed(svg));
  CHECK(count(svg, "class=\"series\"") == 2);
  CHECK(count(svg, "<circle") == 9);
  CHECK(count(svg, "class=\"marker\"") == 1);
  CHECK(count(svg, "d=\"M") == 2);
  CHECK(count(svg, " M") == 1);  // the NaN breaks the second line once
  CHECK_THROWS_WITH(rp::line_svg(std::vector<rp::series>{{"x", {1, 2}, {1}}}), Catch::Contains("2 x and 1 y"));
  CHECK_THROWS_WITH(rp::line_svg(std::vector<rp::series>{{"x", {1}, {nan}}}), Catch::Contains("no finite point"));

  const std::vector<std::string> names{"a", "b<c", "d"};
  const std::vector<double> sizes{10, 30, 0};
  const auto bars = rp::bar_svg(names, sizes, {}, {.title = "Sizes"});
  CHECK(well_formed(bars));
  CHECK(count(bars, "class=\"bar\"") == 3);
  CHECK(bars.find("b&lt;c") != std::string::npos);
  CHECK_THROWS_WITH(rp::bar_svg(names, std::vector<double>{1, -2, 3}), Catch::Contains(">= 0"));
}

TEST_CASE("html_report: a report of a real clustering is self-contained and complete", "[report][html]") {
  const auto x = segkit::test::blobs(900, 2, 4, 7);
  const auto model = segkit::cluster::kmeans({.k = 4, .seed = 1}).fit(x);
  const std::vector<label_type> labels(model.labels().begin(), model.labels().end());
  const auto sil = segkit::quality::silhouette_samples(x, labels);
  const std::vector<double> values(sil.begin(), sil.end());
  std::map<label_type, std::string> names;
  std::vector<std::vector<rp::cell>> rows;
  std::vector<std::string> bar_names;
  std::vector<double> sizes;
  for (label_type l = 0; l < 4; ++l) {
    names[l] = fmt::format("group <{}>", l);
    const auto size = static_cast<double>(std::count(labels.begin(), labels.end(), l));
    rows.push_back({rp::swatch(l), names[l], fmt::format("{}", size)});
    bar_names.push_back(names[l]);
    sizes.push_back(size);
  }
  rp::html_report page("Blobs & <friends>");
  page.figures(std::vector<std::pair<std::string, std::string>>{{"segments", "4"}, {"silhouette", fmt::format("{:.3f}", segkit::quality::silhouette_score(x, labels))}});
  page.heading("Map").figure(rp::scatter_svg(x, labels, {}, names), "k-means on blobs");
  page.heading("Silhouette").figure(rp::silhouette_svg(values, labels, names));
  page.heading("Sizes").figure(rp::bar_svg(bar_names, sizes));
  page.heading("Segments").table({"", "name", "size"}, rows);
  const std::string html = page.str();
  CHECK(html.rfind("<!doctype html>", 0) == 0);
  CHECK(html.find("<title>Blobs &amp; &lt;friends&gt;</title>") != std::string::npos);
  CHECK(count(html, "<svg") == 3);
  CHECK(count(html, "</svg>") == 3);
  CHECK(count(html, "<tr>") == 5);
  CHECK(count(html, "group &lt;2&gt;") >= 3);  // table, legend, bars
  CHECK(html.find("group <2>") == std::string::npos);
  // Self-contained: no scripts, no external resources; the only URL is the SVG namespace.
  CHECK(html.find("<script") == std::string::npos);
  CHECK(html.find("src=") == std::string::npos);
  CHECK(count(html, "http") == count(html, "http://www.w3.org/2000/svg"));
  CHECK(well_formed(html.substr(html.find("<svg"), html.find("</svg>") + 6 - html.find("<svg"))));
  CHECK_THROWS_WITH(page.table({"a", "b"}, {{"1"}}), Catch::Contains("row 0 has 1 cells for 2 columns"));

  const auto dir = std::filesystem::temp_directory_path() / fmt::format("segkit_report_{}", ::getpid());
  std::filesystem::create_directories(dir);
  page.save(dir / "r.html");
  std::ifstream in(dir / "r.html");
  std::stringstream ss;
  ss << in.rdbuf();
  CHECK(ss.str() == page.str());
  CHECK_THROWS_AS(page.save(dir / "missing" / "r.html"), segkit::io_error);
  std::filesystem::remove_all(dir);
}

TEST_CASE("condensed_tree_svg: a bar per cluster of the tree, the selected ones colored", "[report][tree]") {
  const auto x = segkit::test::blobs(600, 2, 3, 4);
  const auto h = segkit::cluster::hdbscan<>({.min_cluster_size = 30}).fit(x);
  REQUIRE(h.n_clusters() == 3);
  const auto& t = h.tree;
  const auto svg = rp::condensed_tree_svg(t.parent, t.child, t.lambda, t.child_size, t.n_points, h.selected);
  CHECK(well_formed(svg));
  CHECK(count(svg, "class=\"cluster") == t.n_clusters);
  CHECK(count(svg, "class=\"cluster selected\"") == 3);
  for (label_type l = 0; l < 3; ++l) CHECK(svg.find(rp::segment_color(l)) != std::string::npos);
  CHECK(svg.find("cluster: 600 points") != std::string::npos);  // the root holds every point
  const std::vector<std::size_t> none;
  CHECK_THROWS_WITH(rp::condensed_tree_svg(none, none, std::vector<double>{}, std::vector<double>{}, 5, none), Catch::Contains("empty"));
  CHECK_THROWS_WITH(rp::condensed_tree_svg(t.parent, t.child, std::vector<double>{1.0}, t.child_size, t.n_points, h.selected), Catch::Contains("same length"));
}

TEST_CASE("migration_svg: a band per flow above the threshold, bars sized by the periods' segments", "[report][migration]") {
  std::vector<label_type> before, after;
  for (int i = 0; i < 1000; ++i) {
    const label_type a = i % 3;
    before.push_back(a);
    after.push_back(i % 50 == 0 ? (a + 1) % 3 : (i % 997 == 0 ? 3 : a));  // 2 % move on, one entity to a new segment
  }
  const auto m = segkit::monitor::migration(before, after);
  const auto svg = rp::migration_svg(m.counts, m.from_labels, m.to_labels, {{3, "new<seg>"}}, {.min_share = 0.0});
  CHECK(well_formed(svg));
  std::size_t nonzero = 0;
  for (const auto c : m.counts) nonzero += c > 0 ? 1 : 0;
  CHECK(count(svg, "class=\"flow\"") == nonzero);
  CHECK(svg.find("new&lt;seg&gt; (1)") != std::string::npos);
  CHECK(svg.find("segment 0 (334)") != std::string::npos);
  // A threshold hides the small flows.
  const auto big = rp::migration_svg(m.counts, m.from_labels, m.to_labels, {}, {.min_share = 0.05});
  CHECK(count(big, "class=\"flow\"") == 3);
  CHECK_THROWS_WITH(rp::migration_svg(m.counts, m.to_labels, m.to_labels), Catch::Contains("one row per 'from'"));
}

TEST_CASE("add_profiles: a row per segment with its lifts", "[report][profile]") {
  // Two segments that differ in income and in region.
  segkit::matrix<double> x = segkit::matrix<double>::from_shape({200, 2});
  std::vector<label_type> labels(200);
  std::vector<std::string> region(200);
  for (std::size_t i = 0; i < 200; ++i) {
    const bool rich = i < 100;
    x(i, 0) = (rich ? 90.0 : 30.0) + static_cast<double>(i % 10);
    x(i, 1) = static_cast<double>(i % 7);
    labels[i] = rich ? 0 : 1;
    region[i] = (rich ? i % 10 < 8 : i % 10 < 2) ? "north" : "south";
  }
  const auto profiles = segkit::pipeline::profile_segments(x, labels, {.feature_names = {"income", "visits"}}, {{"region"}, {region}});
  rp::html_report page("profiles");
  rp::add_profiles(page, profiles);
  const auto html = page.str();
  CHECK(count(html, "<tr>") == 3);
  CHECK(html.find("income: 94.5 vs 64.5") != std::string::npos);
  CHECK(html.find("region = north: 80 % vs 50 % (lift 1.60)") != std::string::npos);
  CHECK(html.find("high-income") != std::string::npos);
}

TEST_CASE("add_drift: shares, PSI and alerts per period, from drift_monitor reports", "[report][drift]") {
  // A reference of three segments, then a quiet period, one where feature 1 moves and one where
  // segment 0 loses most of its rows.
  const auto ref = segkit::test::blobs(1500, 3, 3, 1);
  std::vector<label_type> ref_labels(1500);
  for (std::size_t i = 0; i < 1500; ++i) ref_labels[i] = static_cast<label_type>(i % 3);
  const segkit::monitor::drift_monitor<float> monitor(ref, ref_labels, segkit::matrix<float>{}, {.mmd = {.max_samples = 300, .permutations = 50, .seed = 1}});
  const auto quiet = segkit::test::normal_matrix(900, 3, 7);
  segkit::matrix<float> same = quiet, moved = quiet;
  const auto centers = segkit::test::normal_matrix(3, 3, 1 ^ 0xC0FFEEULL);
  std::vector<label_type> labels(900);
  for (std::size_t i = 0; i < 900; ++i) {
    labels[i] = static_cast<label_type>(i % 3);
    for (std::size_t j = 0; j < 3; ++j) same(i, j) += 5.0f * centers(i % 3, j);
    for (std::size_t j = 0; j < 3; ++j) moved(i, j) = same(i, j) + (j == 1 ? 2.0f : 0.0f);
  }
  std::vector<std::size_t> keep;
  for (std::size_t i = 0; i < 900; ++i) {
    if (labels[i] != 0 || i % 6 == 0) keep.push_back(i);
  }
  segkit::matrix<float> fewer = segkit::matrix<float>::from_shape({keep.size(), 3});
  std::vector<label_type> fewer_labels;
  for (std::size_t r = 0; r < keep.size(); ++r) {
    for (std::size_t j = 0; j < 3; ++j) fewer(r, j) = same(keep[r], j);
    fewer_labels.push_back(labels[keep[r]]);
  }
  const std::vector<rp::drift_period> periods = {{"2026-01", monitor.check(same, labels)},
                                                 {"2026-02", monitor.check(moved, labels)},
                                                 {"2026-03", monitor.check(fewer, fewer_labels)}};
  REQUIRE_FALSE(periods[0].report.drifted());
  REQUIRE(periods[1].report.features[1].alert);
  REQUIRE(periods[2].report.segments.alert);
  rp::html_report page("drift");
  rp::add_drift(page, periods, {{0, "bargain hunters"}, {1, "regulars"}, {2, "big spenders"}}, {.feature_names = {"recency", "frequency", "spend"}});
  const std::string html = page.str();
  CHECK(count(html, "<svg") == 2);  // shares and PSI
  CHECK(html.find("Segment shares") != std::string::npos);
  CHECK(html.find("bargain hunters") != std::string::npos);
  CHECK(html.find("frequency") != std::string::npos);
  CHECK(html.find("Periods: 1 = 2026-01, 2 = 2026-02, 3 = 2026-03.") != std::string::npos);
  // One table row per period; the quiet one says "-" for its alerts, the others name theirs.
  CHECK(count(html, "<td>2026-0") == 3);
  const auto row = [&](const std::string& name) { return html.substr(html.find("<td>" + name), html.find("</tr>", html.find("<td>" + name)) - html.find("<td>" + name)); };
  CHECK(row("2026-01").find("<td>0</td><td>-</td>") != std::string::npos);
  CHECK(row("2026-02").find("<td>0</td>") == std::string::npos);
  CHECK(row("2026-03").find("share") != std::string::npos);
  for (auto at = html.find("<svg"); at != std::string::npos; at = html.find("<svg", at + 1)) {
    CHECK(well_formed(html.substr(at, html.find("</svg>", at) + 6 - at)));
  }
  // Errors name the problem.
  CHECK_THROWS_WITH(rp::add_drift(page, std::span<const rp::drift_period>()), Catch::Contains("no periods"));
  CHECK_THROWS_WITH(rp::add_drift(page, periods, {}, {.feature_names = {"a"}}), Catch::Contains("1 feature names for 3 features"));
}
