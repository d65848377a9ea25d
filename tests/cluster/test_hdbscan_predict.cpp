#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <numeric>
#include <string>
#include <vector>

#include "support/data.hpp"
#include "support/partition.hpp"

#include <segkit/cluster/hdbscan.hpp>
#include <segkit/core/npy.hpp>

namespace fs = std::filesystem;
using segkit::label_type;
using segkit::cluster::hdbscan;
using segkit::cluster::hdbscan_predictor;
namespace dist = segkit::distance;

namespace {
fs::path fixture(const std::string& name) { return fs::path(SEGKIT_TEST_DATA) / "hdbscan" / name; }

// The label in `to` of every label in `from`, read off two labelings of the same rows.
template <class A, class B>
std::map<label_type, label_type> label_map(const A& from, const B& to) {
  std::map<label_type, label_type> m{{-1, -1}};
  for (std::size_t i = 0; i < from.size(); ++i) m.emplace(static_cast<label_type>(from(i)), static_cast<label_type>(to(i)));
  return m;
}

template <class M>
void check_same_matrix(const M& a, const M& b) {
  REQUIRE(a.shape() == b.shape());
  for (std::size_t i = 0; i < a.size(); ++i) REQUIRE(a.data()[i] == b.data()[i]);
}
}  // namespace

TEST_CASE("hdbscan approximate_predict and membership vectors match the reference rules on fixtures", "[cluster][hdbscan]") {
  // Fixtures: tests/data/make_hdbscan_predict_fixture.py, a dense numpy oracle of the hdbscan
  // library's prediction and soft-clustering rules whose partition equals R dbscan::hdbscan's.
  // Queries: 150 uniform points around the data, 60 jittered rows, 20 exact copies of rows.
  // The oracle numbers clusters as segkit does (children in scipy's order): where several
  // clusters meet a point at the same height, "the nearest cluster" is the first of them.
  for (const auto& [name, min_pts] : {std::pair<std::string, std::size_t>{"moons2d", 8}, {"blobs5d", 10}}) {
    INFO("case " << name);
    const auto x = segkit::load_npy_matrix<double>(fixture(name + "_X.npy"));
    const auto q = segkit::load_npy_matrix<double>(fixture(name + "_predict_Q.npy"));
    const hdbscan<dist::l2_metric, double> algo({.min_cluster_size = min_pts, .threads = 2});
    const auto fit = algo.fit(x);
    const hdbscan_predictor<dist::l2_metric, double> pred(fit);
    const auto ref_fit = segkit::load_npy_vector<std::int32_t>(fixture(name + "_predict_fit_labels.npy"));
    REQUIRE(segkit::test::same_partition(fit.labels(), ref_fit));
    const auto to_ref = label_map(fit.labels(), ref_fit);
    std::vector<std::size_t> column(fit.n_clusters());  // segkit label -> reference column
    for (std::size_t l = 0; l < fit.n_clusters(); ++l) column[l] = static_cast<std::size_t>(to_ref.at(static_cast<label_type>(l)));

    const auto p = pred.approximate_predict(q);
    const auto labels = segkit::load_npy_vector<std::int32_t>(fixture(name + "_predict_labels.npy"));
    const auto prob = segkit::load_npy_vector<double>(fixture(name + "_predict_prob.npy"));
    const auto outlier = segkit::load_npy_vector<double>(fixture(name + "_predict_outlier.npy"));
    REQUIRE(p.labels.size() == q.shape(0));
    std::size_t noise = 0;
    for (std::size_t i = 0; i < q.shape(0); ++i) {
      INFO("point " << i);
      CHECK(to_ref.at(p.labels(i)) == labels(i));
      CHECK(p.probabilities[i] == Approx(prob(i)).margin(1e-12).epsilon(1e-9));
      CHECK(p.outlier_scores[i] == Approx(outlier(i)).margin(1e-12).epsilon(1e-9));
      noise += p.labels(i) < 0 ? 1 : 0;
    }
    CHECK(noise > 0);  // the fixture exercises both outcomes
    CHECK(noise < q.shape(0));

    const auto check_membership = [&](const segkit::matrix<double>& got, const std::string& file) {
      const auto want = segkit::load_npy_matrix<double>(fixture(file));
      REQUIRE(got.shape(0) == want.shape(0));
      REQUIRE(got.shape(1) == want.shape(1));
      for (std::size_t i = 0; i < got.shape(0); ++i) {
        for (std::size_t l = 0; l < got.shape(1); ++l) {
          INFO("row " << i << " cluster " << l);
          CHECK(got(i, l) == Approx(want(i, column[l])).margin(1e-12).epsilon(1e-9));
        }
      }
    };
    check_membership(pred.membership_vectors(q), name + "_predict_membership.npy");
    check_membership(pred.all_points_membership_vectors(), name + "_predict_all_membership.npy");
  }
}

TEST_CASE("hdbscan predictor: training rows predict their own labels, any metric and dimension", "[cluster][hdbscan]") {
  // A copy of a training row links to the row itself (mutual reachability = its core distance),
  // so it gets the row's label, and its membership vector is the row's all-points vector.
  const auto check = [](const auto& algo, const auto& x) {
    const auto fit = algo.fit(x);
    REQUIRE(fit.n_clusters() >= 2);
    using P = hdbscan_predictor<typename std::decay_t<decltype(algo)>::metric_type, float>;
    const P pred(fit);
    CHECK((pred.predict(x) == fit.labels()));
    check_same_matrix(pred.membership_vectors(x), pred.all_points_membership_vectors());
    const auto all = pred.all_points_membership_vectors();
    for (std::size_t i = 0; i < all.shape(0); ++i) {
      double sum = 0.0;
      for (std::size_t l = 0; l < all.shape(1); ++l) {
        CHECK(all(i, l) >= 0.0);
        sum += all(i, l);
      }
      CHECK(sum <= 1.0 + 1e-12);
    }
    for (const auto& ex : pred.exemplars()) CHECK(!ex.empty());
  };
  SECTION("l2, 3-D (k-d tree)") { check(hdbscan<>({.min_cluster_size = 15}), segkit::test::blobs(1500, 3, 5, 21)); }
  SECTION("cosine, 3-D (k-d tree on unit rows)") {
    check(hdbscan<dist::cosine_metric>({.min_cluster_size = 15}), segkit::test::blobs(1500, 3, 5, 22));
  }
  SECTION("l2, 24-D (blocked scans)") { check(hdbscan<>({.min_cluster_size = 15}), segkit::test::blobs(1200, 24, 4, 23)); }
  SECTION("manhattan, 6-D (scans)") { check(hdbscan<dist::manhattan_metric>({.min_cluster_size = 15}), segkit::test::blobs(1200, 6, 4, 24)); }
}

TEST_CASE("hdbscan predictor: thread count, row order, unit weights", "[cluster][hdbscan]") {
  const auto x = segkit::test::blobs(2000, 4, 6, 31);
  const hdbscan<> algo({.min_cluster_size = 20});
  const auto fit = algo.fit(x);
  const hdbscan_predictor<> pred(fit);
  const auto q = segkit::test::normal_matrix(3000, 4, 32) * 6.0f;
  const segkit::matrix<float> queries = q;
  const auto one = pred.approximate_predict(queries, 1);
  const auto m1 = pred.membership_vectors(queries, 1);
  for (const std::size_t t : {2, 3}) {
    const auto other = pred.approximate_predict(queries, t);
    CHECK((other.labels == one.labels));
    CHECK(other.probabilities == one.probabilities);
    CHECK(other.outlier_scores == one.outlier_scores);
    check_same_matrix(pred.membership_vectors(queries, t), m1);
  }
  // Reversed queries give reversed answers.
  segkit::matrix<float> reversed = queries;
  for (std::size_t i = 0; i < queries.shape(0); ++i) {
    for (std::size_t j = 0; j < queries.shape(1); ++j) reversed(i, j) = queries(queries.shape(0) - 1 - i, j);
  }
  const auto r = pred.approximate_predict(reversed);
  for (std::size_t i = 0; i < queries.shape(0); ++i) {
    CHECK(r.labels(i) == one.labels(queries.shape(0) - 1 - i));
    CHECK(r.probabilities[i] == one.probabilities[queries.shape(0) - 1 - i]);
  }
  // Weights of 1 take the weighted path and change nothing.
  const std::vector<double> ones(x.shape(0), 1.0);
  const auto wfit = algo.fit(x, ones);
  const hdbscan_predictor<> wpred(wfit);
  const auto w = wpred.approximate_predict(queries);
  CHECK((w.labels == one.labels));
  CHECK(w.probabilities == one.probabilities);
  // Heavy rows: tiny weights everywhere make the 2 x min_samples nearest rows too light, so the
  // core distance of a new point comes from a longer list; it must still place every point.
  std::vector<double> light(x.shape(0), 0.01);
  const hdbscan<> light_algo({.min_cluster_size = 20, .min_samples = 2});
  const auto lfit = light_algo.fit(x, light);
  const hdbscan_predictor<> lpred(lfit);
  const auto l = lpred.approximate_predict(queries);
  for (std::size_t i = 0; i < queries.shape(0); ++i) {
    CHECK(l.labels(i) < static_cast<label_type>(lfit.n_clusters()));
    CHECK(l.probabilities[i] >= 0.0);
    CHECK(l.probabilities[i] <= 1.0);
  }
}

TEST_CASE("hdbscan predictor: far points are noise, no clusters, bad input", "[cluster][hdbscan]") {
  using Catch::Matchers::Contains;
  const auto x = segkit::test::blobs(800, 2, 3, 41);
  const hdbscan<> algo({.min_cluster_size = 15});
  const auto fit = algo.fit(x);
  const hdbscan_predictor<> pred(fit);
  segkit::matrix<float> far = {{1000.0f, 1000.0f}, {-1000.0f, 500.0f}};
  const auto p = pred.approximate_predict(far);
  CHECK(p.labels(0) == -1);
  CHECK(p.labels(1) == -1);
  CHECK(p.probabilities[0] == 0.0);
  CHECK(p.outlier_scores[0] > 0.99);
  const auto mv = pred.membership_vectors(far);
  // Far away: a small share in any cluster, an exemplar of a cluster almost entirely in one.
  const auto row_sum = [](const segkit::matrix<double>& m, std::size_t i) {
    double s = 0.0;
    for (std::size_t l = 0; l < m.shape(1); ++l) s += m(i, l);
    return s;
  };
  CHECK(row_sum(mv, 0) < 0.25);
  const auto all = pred.all_points_membership_vectors();
  const std::size_t e0 = pred.exemplars()[0][0];
  CHECK(row_sum(all, e0) > 0.9);
  CHECK(std::max_element(&all(e0, 0), &all(e0, 0) + all.shape(1)) - &all(e0, 0) == 0);
  CHECK(pred.approximate_predict(segkit::matrix<float>::from_shape({0, 2})).labels.size() == 0);

  // Nothing clustered: every new point is noise and membership vectors have no columns.
  const auto blob = segkit::test::normal_matrix(200, 2, 3);
  const hdbscan<> big({.min_cluster_size = 150});
  const auto none = big.fit(blob);
  REQUIRE(none.n_clusters() == 0);
  const hdbscan_predictor<> none_pred(none);
  const auto np = none_pred.approximate_predict(blob);
  CHECK(std::all_of(np.labels.begin(), np.labels.end(), [](label_type l) { return l == -1; }));
  CHECK(none_pred.membership_vectors(blob).shape(1) == 0);
  CHECK(none_pred.all_points_membership_vectors().shape(0) == 200);

  CHECK_THROWS_WITH(pred.approximate_predict(segkit::test::normal_matrix(5, 3, 1)), Contains("3 columns, the clustering was fitted on 2"));
  auto bad = segkit::test::normal_matrix(5, 2, 1);
  bad(1, 1) = std::nanf("");
  CHECK_THROWS_WITH(pred.approximate_predict(bad), Contains("non-finite"));
  CHECK_THROWS_WITH(pred.membership_vectors(bad), Contains("non-finite"));
  // A model whose prediction data was not kept, or does not fit its trees, is refused.
  CHECK_THROWS_WITH(hdbscan_predictor<>(hdbscan<>({.min_cluster_size = 15, .prediction_data = false}).fit(x)), Contains("no prediction data"));
  auto torn = fit;
  torn.training_rows = segkit::matrix<float>::from_shape({200, 2});
  CHECK_THROWS_WITH(hdbscan_predictor<>(torn), Contains("no prediction data"));
  torn = fit;
  torn.weights.assign(3, 1.0);
  CHECK_THROWS_WITH(hdbscan_predictor<>(torn), Contains("3 weights for 800 samples"));
  // The model predicts through the same predictor.
  CHECK((fit.predict(x) == pred.predict(x)));
}
