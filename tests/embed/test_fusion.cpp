// CCA and fusion: CCA against the Pearson correlation (one column per view: the canonical
// correlation is |r|), its invariances and uncorrelated outputs; fusion's normalization, weights,
// missing modalities, PCA and CCA projections; fusion behind the embedder concept (records with
// a text and an optional numeric part), equal to the same steps run by hand, in a pipeline.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include <unistd.h>

#include <segkit/cluster/kmeans.hpp>
#include <segkit/core/random.hpp>
#include <segkit/embed/fused_embedder.hpp>
#include <segkit/embed/fusion.hpp>
#include <segkit/embed/lsa.hpp>
#include <segkit/embed/tabular.hpp>
#include <segkit/pipeline/pipeline.hpp>
#include <segkit/quality/external.hpp>
#include <segkit/reduce/cca.hpp>

namespace em = segkit::embed;
namespace rd = segkit::reduce;
using segkit::matrix;

namespace {
double pearson(const matrix<float>& a, std::size_t ca, const matrix<float>& b, std::size_t cb) {
  const std::size_t n = a.shape(0);
  double ma = 0.0, mb = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    ma += a(i, ca);
    mb += b(i, cb);
  }
  ma /= static_cast<double>(n);
  mb /= static_cast<double>(n);
  double sab = 0.0, saa = 0.0, sbb = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    sab += (a(i, ca) - ma) * (b(i, cb) - mb);
    saa += (a(i, ca) - ma) * (a(i, ca) - ma);
    sbb += (b(i, cb) - mb) * (b(i, cb) - mb);
  }
  return sab / std::sqrt(saa * sbb);
}

/// A customer: notes (text) and, for most, a spend profile.
struct customer {
  std::string notes;
  std::optional<std::vector<double>> spend;
};

/// Three groups: the notes tell group 0 from groups 1 and 2 (which share their words), the spend
/// tells group 2 from groups 0 and 1. One record in seven has no spend. truth[i] = group.
std::vector<customer> customers(std::size_t n, std::vector<int>& truth) {
  const std::vector<std::vector<std::string>> words{{"hiking", "tent", "trail", "boots", "camping", "summit", "backpack", "lantern"},
                                                    {"sofa", "lamp", "rug", "cushion", "shelf", "curtain", "mirror", "vase"}};
  segkit::rng r(42);
  std::vector<customer> out;
  truth.clear();
  for (std::size_t i = 0; i < n; ++i) {
    const int g = static_cast<int>(i % 3);
    const auto& w = words[g == 0 ? 0 : 1];
    customer c;
    for (int k = 0; k < 8; ++k) c.notes += (k ? " " : "") + w[r.below(w.size())];
    if (i % 7 != 3) {
      std::vector<double> s(4);
      for (std::size_t j = 0; j < 4; ++j) s[j] = (g == 2 ? 6.0 : 0.0) + r.normal();
      c.spend = s;
    }
    out.push_back(std::move(c));
    truth.push_back(g);
  }
  return out;
}

const auto read_notes = [](const customer& c) { return c.notes; };
const auto read_spend = [](const customer& c) { return c.spend; };

/// Two views of a shared 3-D latent: x = z A + noise (8 columns), y = z B + noise (5 columns).
void views(std::size_t n, matrix<float>& x, matrix<float>& y, double noise) {
  segkit::rng r(11);
  std::vector<double> a(3 * 8), b(3 * 5);
  for (auto& v : a) v = r.normal();
  for (auto& v : b) v = r.normal();
  x = matrix<float>::from_shape({n, 8});
  y = matrix<float>::from_shape({n, 5});
  for (std::size_t i = 0; i < n; ++i) {
    const double z[3] = {r.normal(), r.normal(), r.normal()};
    for (std::size_t j = 0; j < 8; ++j) x(i, j) = static_cast<float>(z[0] * a[j] + z[1] * a[8 + j] + z[2] * a[16 + j] + noise * r.normal());
    for (std::size_t j = 0; j < 5; ++j) y(i, j) = static_cast<float>(z[0] * b[j] + z[1] * b[5 + j] + z[2] * b[10 + j] + noise * r.normal());
  }
}
}  // namespace

TEST_CASE("CCA: one column per view gives |Pearson r|; a shared latent gives high, ordered, uncorrelated pairs", "[embed][fusion]") {
  matrix<float> x, y;
  views(2000, x, y, 0.5);
  matrix<float> x1 = matrix<float>::from_shape({2000, 1}), y1 = matrix<float>::from_shape({2000, 1});
  for (std::size_t i = 0; i < 2000; ++i) {
    x1(i, 0) = x(i, 0);
    y1(i, 0) = y(i, 2);
  }
  const auto one = rd::cca({.n_components = 1, .regularization = 0.0}).fit(x1, y1);
  CHECK(one.correlations[0] == Approx(std::abs(pearson(x1, 0, y1, 0))).epsilon(1e-9));
  const auto m = rd::cca({.n_components = 4, .regularization = 0.0}).fit(x, y);
  for (std::size_t c = 0; c < 3; ++c) CHECK(m.correlations[c] > 0.8);  // the three shared directions
  CHECK(m.correlations[3] < 0.2);                                     // nothing shared beyond them
  for (std::size_t c = 1; c < 4; ++c) CHECK(m.correlations[c] <= m.correlations[c - 1]);
  const auto zx = m.transform(x, 0), zy = m.transform(y, 1);
  for (std::size_t c = 0; c < 3; ++c) CHECK(pearson(zx, c, zy, c) == Approx(m.correlations[c]).epsilon(1e-4));  // pairs correlate by their value
  CHECK(std::abs(pearson(zx, 0, zx, 1)) < 1e-4);  // uncorrelated within a view
  // Scaling a view's columns changes nothing (without regularization).
  auto x2 = x;
  for (std::size_t i = 0; i < 2000; ++i) x2(i, 3) *= 50.0f;
  CHECK(rd::cca({.n_components = 3, .regularization = 0.0}).fit(x2, y).correlations[0] == Approx(m.correlations[0]).epsilon(1e-5));
  using Catch::Matchers::Contains;
  CHECK_THROWS_WITH(rd::cca({.n_components = 6}).fit(x, y), Contains("n_components (6)"));
  CHECK_THROWS_WITH(rd::cca().fit(x, matrix<float>::from_shape({10, 5})), Contains("paired"));
}

TEST_CASE("fusion: unit blocks times weights side by side, missing modalities at their mean, PCA and CCA projections", "[embed][fusion]") {
  matrix<float> x, y;
  views(600, x, y, 0.3);
  const std::vector<matrix<float>> blocks{x, y};
  const auto plain = em::fusion({.weights = {2.0, 1.0}}).fit(blocks);
  REQUIRE(plain.dim() == 13);
  const auto f = plain.transform(blocks);
  double n0 = 0.0, n1 = 0.0;
  for (std::size_t j = 0; j < 8; ++j) n0 += static_cast<double>(f(5, j)) * f(5, j);
  for (std::size_t j = 8; j < 13; ++j) n1 += static_cast<double>(f(5, j)) * f(5, j);
  CHECK(std::sqrt(n0) == Approx(2.0).epsilon(1e-5));
  CHECK(std::sqrt(n1) == Approx(1.0).epsilon(1e-5));
  // Record 7 lacks the second modality: its block is the training mean of the normalized rows.
  em::modality_presence present{std::vector<bool>(600, true), std::vector<bool>(600, true)};
  present[1][7] = false;
  const auto m = em::fusion().fit(blocks, present);
  const auto g = m.transform(blocks, present);
  for (std::size_t j = 0; j < 5; ++j) CHECK(g(7, 8 + j) == Approx(m.fill[1][j]).margin(1e-6));
  // PCA: the fused rows' principal coordinates.
  const auto p = em::fusion({.projection = em::fusion_projection::pca, .dims = 3}).fit(blocks);
  CHECK(p.dim() == 3);
  CHECK(p.transform(blocks).shape(1) == 3);
  // CCA: a record seen through one modality lands near where both put it.
  const auto c = em::fusion({.projection = em::fusion_projection::cca, .dims = 3}).fit(blocks);
  const auto both = c.transform(blocks);
  em::modality_presence only_x{std::vector<bool>(600, true), std::vector<bool>(600, false)};
  const auto from_x = c.transform(blocks, only_x);
  double agree = 0.0;
  for (std::size_t comp = 0; comp < 3; ++comp) agree += pearson(both, comp, from_x, comp);
  CHECK(agree / 3.0 > 0.95);
  using Catch::Matchers::Contains;
  CHECK_THROWS_WITH(em::fusion({.projection = em::fusion_projection::cca, .dims = 2}).fit(std::vector<matrix<float>>{x, y, x}), Contains("exactly two"));
  CHECK_THROWS_WITH(em::fusion({.projection = em::fusion_projection::pca}).fit(blocks), Contains("dims"));
  CHECK_THROWS_WITH(plain.transform(std::vector<matrix<float>>{x}), Contains("1 modalities given, 2 fitted"));
  em::modality_presence none{std::vector<bool>(600, true), std::vector<bool>(600, false)};
  CHECK_THROWS_WITH(em::fusion().fit(blocks, none), Contains("absent from every record"));
}

TEST_CASE("fusion and CCA models: saved and loaded, the same fused rows; damaged or mismatched files refused", "[embed][fusion]") {
  matrix<float> x, y;
  views(300, x, y, 0.3);
  const std::vector<matrix<float>> blocks{x, y};
  em::modality_presence present{std::vector<bool>(300, true), std::vector<bool>(300, true)};
  present[0][3] = false;
  present[1][4] = false;
  const auto dir = std::filesystem::temp_directory_path() / ("segkit_fusion_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  for (const auto projection : {em::fusion_projection::none, em::fusion_projection::pca, em::fusion_projection::cca}) {
    INFO("projection " << static_cast<int>(projection));
    const auto m = em::fusion({.weights = {1.5, 0.5}, .projection = projection, .dims = 3, .seed = 2}).fit(blocks, present);
    m.save(dir / "f.seg");
    const auto back = em::fusion_model::load(dir / "f.seg");
    CHECK(back.widths == m.widths);
    CHECK(back.params.weights == m.params.weights);
    CHECK(back.params.projection == projection);
    const auto a = m.transform(blocks, present), b = back.transform(blocks, present);
    REQUIRE(a.shape() == b.shape());
    CHECK(std::equal(a.begin(), a.end(), b.begin()));  // bit for bit
  }
  const auto c = rd::cca({.n_components = 2}).fit(x, y);
  c.save(dir / "c.seg");
  const auto cb = rd::cca_model::load(dir / "c.seg");
  CHECK(cb.correlations == c.correlations);
  const auto t0 = c.transform(y, 1), t1 = cb.transform(y, 1);
  CHECK(std::equal(t0.begin(), t0.end(), t1.begin()));
  using Catch::Matchers::Contains;
  CHECK_THROWS_WITH(em::fusion_model::load(dir / "c.seg"), Contains("segkit.model.cca"));
  // One flipped byte is caught by the checksums.
  std::vector<char> bytes;
  {
    std::ifstream in(dir / "f.seg", std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  bytes[bytes.size() / 2] = static_cast<char>(bytes[bytes.size() / 2] ^ 0x40);
  {
    std::ofstream out(dir / "g.seg", std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }
  CHECK_THROWS_AS(em::fusion_model::load(dir / "g.seg"), segkit::format_error);
  // A file whose parameters are out of the table's bounds (written by hand here) is refused by name.
  auto odd = em::fusion({.projection = em::fusion_projection::none}).fit(blocks);
  odd.params.cca_regularization = -1.0;
  odd.save(dir / "r.seg");
  CHECK_THROWS_WITH(em::fusion_model::load(dir / "r.seg"), Contains("cca_regularization"));
  std::filesystem::remove_all(dir);
}

TEST_CASE("fused embedding: modalities read from records, fitted and fused as by hand; kept apart in a pipeline", "[embed][fusion]") {
  std::vector<int> truth;
  const auto records = customers(600, truth);
  const em::fusion_params fp{.projection = em::fusion_projection::pca, .dims = 6, .seed = 3};
  const em::lsa notes_stage({.dims = 8, .seed = 3});
  const auto f = em::fuse<customer>(fp, em::modality{"notes", read_notes, notes_stage}, em::modality{"spend", read_spend, em::feature_scaling{}});
  const auto fitted = f.fit(records);
  STATIC_REQUIRE(segkit::embedder<decltype(fitted), customer>);
  STATIC_REQUIRE(segkit::pipeline::embedding_stage<decltype(f), customer>);
  REQUIRE(fitted.dim() == 6);
  const auto e = fitted.embed(records);
  REQUIRE(e.shape(0) == 600);

  // The same steps by hand: LSA on every record's notes, the scaler on the spends there are,
  // zero rows where a spend is missing, the fusion fitted and applied with that presence.
  std::vector<std::string> texts;
  std::vector<std::vector<double>> spends;
  em::modality_presence present(2);
  for (const auto& c : records) {
    texts.push_back(c.notes);
    present[0].push_back(true);
    present[1].push_back(c.spend.has_value());
    if (c.spend) spends.push_back(*c.spend);
  }
  CHECK(spends.size() < records.size());
  const auto lsa_model = notes_stage.fit(texts);
  const auto scaled = em::feature_scaling{}.fit(spends);
  const auto s = scaled.embed(spends);
  matrix<float> spend_block = matrix<float>::from_shape({600, 4});
  spend_block.fill(0.0f);
  for (std::size_t i = 0, k = 0; i < 600; ++i) {
    if (!present[1][i]) continue;
    for (std::size_t j = 0; j < 4; ++j) spend_block(i, j) = s(k, j);
    ++k;
  }
  const std::vector<matrix<float>> blocks{lsa_model.embed(texts), spend_block};
  const auto by_hand = em::fusion(fp).fit(blocks, present).transform(blocks, present);
  CHECK((e == by_hand));
  CHECK(std::get<1>(fitted.modalities()).stage.model.center == scaled.model.center);

  // A record's vector does not depend on its batch.
  const auto one = fitted.embed(std::span<const customer>(records.data() + 3, 1));  // record 3 has no spend
  for (std::size_t j = 0; j < 6; ++j) CHECK(one(0, j) == Approx(e(3, j)).margin(1e-6));
  CHECK(fitted.embed(std::span<const customer>()).shape(0) == 0);

  // Neither modality alone separates the three groups; fused they are, also in a pipeline.
  const segkit::cluster::kmeans<float> km({.k = 3, .n_init = 4, .seed = 5});
  const auto ari_of = [&](const auto& labels) {
    std::vector<int> t, l;
    for (std::size_t i = 0; i < 600; ++i) {
      if (!present[1][i]) continue;  // without a spend, groups 1 and 2 look alike
      t.push_back(truth[i]);
      l.push_back(static_cast<int>(labels(i)));
    }
    return segkit::quality::adjusted_rand_index(t, l);
  };
  CHECK(ari_of(km.fit(blocks[0]).labels()) < 0.7);
  CHECK(ari_of(km.fit(spend_block).labels()) < 0.7);
  const auto fused_labels = km.fit(e).labels();
  CHECK(ari_of(fused_labels) > 0.95);
  const auto p = segkit::pipeline::make_pipeline<customer>(f, km).fit(records, {.layout = false});
  CHECK((p.result.labels == fused_labels));
  const auto assigned = p.model.assign(std::span<const customer>(records.data(), 30));
  for (std::size_t i = 0; i < 30; ++i) CHECK(assigned(i) == fused_labels(i));
}

TEST_CASE("fused segmentation: saved as one segmentation model, assigned from each modality's inputs as the pipeline assigns records", "[embed][fusion]") {
  using Catch::Matchers::Contains;
  namespace pl = segkit::pipeline;
  std::vector<int> truth;
  const auto records = customers(400, truth);
  const auto f = em::fuse<customer>({.projection = em::fusion_projection::pca, .dims = 6, .seed = 3}, em::modality{"notes", read_notes, em::lsa({.dims = 8, .seed = 3})},
                                    em::modality{"spend", read_spend, em::feature_scaling{}});
  const auto p = pl::make_pipeline<customer>(f, segkit::cluster::kmeans<float>({.k = 3, .n_init = 2, .seed = 5})).fit(records, {.layout = false});
  using fitted = decltype(p.model);
  STATIC_REQUIRE(fitted::convertible);
  STATIC_REQUIRE_FALSE(fitted::storable);  // no load(): the reading functions are code
  REQUIRE(p.result.model.embedder_kind() == "fused");

  // The modalities' inputs side by side: every record's notes; spends as rows, absent ones unread.
  std::vector<std::string> notes;
  matrix<double> spend = matrix<double>::from_shape({records.size(), 4});
  spend.fill(std::numeric_limits<double>::quiet_NaN());  // never read where absent
  em::modality_presence present(2);
  for (std::size_t i = 0; i < records.size(); ++i) {
    notes.push_back(records[i].notes);
    present[0].push_back(true);
    present[1].push_back(records[i].spend.has_value());
    if (records[i].spend) std::copy(records[i].spend->begin(), records[i].spend->end(), spend.data() + i * 4);
  }
  const std::vector<pl::fused_model::modality_records> inputs{notes, spend};
  const auto dir = std::filesystem::temp_directory_path() / ("segkit_fused_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  p.model.save(dir / "m.segmodel");
  const auto back = pl::segmentation_model::load(dir / "m.segmodel");
  REQUIRE(back.embedder_kind() == "fused");
  const auto& stored = std::get<pl::fused_model>(back.embedder);
  CHECK(stored.names == std::vector<std::string>{"notes", "spend"});
  const auto by_model = back.embed(inputs, present);
  const auto by_pipeline = p.model.embedder.embed(records);
  REQUIRE(by_model.shape() == by_pipeline.shape());
  CHECK(std::equal(by_model.begin(), by_model.end(), by_pipeline.begin()));  // bit for bit
  const auto labels = back.assign(inputs, present);
  const auto expected = p.model.assign(records);
  CHECK(std::equal(labels.begin(), labels.end(), expected.begin()));

  // Wrong inputs are named.
  CHECK_THROWS_WITH(back.embed(std::vector<pl::fused_model::modality_records>{notes}, {}), Contains("1 modalities given, the model fuses 2"));
  CHECK_THROWS_WITH(back.embed(std::vector<pl::fused_model::modality_records>{spend, notes}, present), Contains("modality 'notes' (lsa) was given numeric rows"));
  CHECK_THROWS_WITH(back.embed(std::vector<pl::fused_model::modality_records>{std::vector<std::string>(3, "x"), spend}, {}), Contains("modality 'spend' has 400 records, modality 'notes' 3"));
  CHECK_THROWS_WITH(back.embed(std::vector<pl::fused_model::modality_records>{std::vector<std::string>(3, "x"), matrix<double>::from_shape({3, 4})}, present),
                    Contains("lists 400 records, 3 given"));
  CHECK_THROWS_WITH(back.assign(std::span<const std::string>(notes)), Contains("does not take texts"));
  CHECK_THROWS_WITH(back.embed(inputs), Contains("non-finite"));  // without the presence every spend is read: the absent ones are NaN
  // A stored model whose part does not fit its fusion is refused on load.
  auto broken = back;
  std::get<pl::fused_model>(broken.embedder).fusion.widths[1] = 5;
  CHECK_THROWS_WITH(broken.save(dir / "b.segmodel"), Contains("makes 4 columns, the fusion expects 5"));
  std::filesystem::remove_all(dir);
}

TEST_CASE("fused embedding: no records, a modality no record has, rows of another width, CCA without either part", "[embed][fusion]") {
  using Catch::Matchers::Contains;
  std::vector<int> truth;
  auto records = customers(60, truth);
  const auto f = em::fuse<customer>({}, em::modality{"notes", read_notes, em::lsa({.dims = 4})}, em::modality{"spend", read_spend, em::feature_scaling{}});
  CHECK_THROWS_WITH(f.fit(std::span<const customer>()), Contains("no records"));
  auto no_spend = records;
  for (auto& c : no_spend) c.spend.reset();
  CHECK_THROWS_WITH(f.fit(no_spend), Contains("no record has modality 'spend'"));
  const auto fitted = f.fit(records);
  auto wide = records;
  wide[5].spend = std::vector<double>(5, 1.0);
  CHECK_THROWS_WITH(fitted.embed(wide), Contains("row 4 has 5 values, expected 4"));  // the fifth present spend
  CHECK_THROWS_WITH(f.fit(wide), Contains("has 5 values, expected 4"));
  const auto cca = em::fuse<customer>({.projection = em::fusion_projection::cca, .dims = 2},
                                      em::modality{"notes", [](const customer& c) { return c.notes.size() > 0 ? std::optional(c.notes) : std::nullopt; }, em::lsa({.dims = 4})},
                                      em::modality{"spend", read_spend, em::feature_scaling{}})
                       .fit(records);
  auto lacking = records;
  lacking[3].notes.clear();  // record 3 has no spend either
  CHECK_THROWS_WITH(cca.embed(lacking), Contains("record 3 has neither modality"));
}
