// item2vec: what the vectors must capture on sessions with a known category structure, determinism
// for any thread count, session vectors by hand, similar(), bad input.
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <vector>

#include <segkit/core/random.hpp>
#include <segkit/embed/item2vec.hpp>

namespace em = segkit::embed;
using segkit::id_type;

namespace {
// Sessions over 20 categories of 40 items (item id = 1000 c + i + 7): each session picks a
// category, then each step stays in it with probability 0.85 (an item by a Zipf-like popularity)
// or visits a uniformly random item.
std::vector<std::vector<id_type>> sessions(std::size_t n, std::uint64_t seed) {
  segkit::rng r(seed);
  std::vector<std::vector<id_type>> out(n);
  for (auto& s : out) {
    const std::size_t c = r.below(20), len = 5 + r.below(15);
    for (std::size_t t = 0; t < len; ++t) {
      if (r.uniform() < 0.85) {
        const auto i = static_cast<std::size_t>(std::floor(40.0 * std::pow(r.uniform(), 2.0)));  // popular items first
        s.push_back(1000 * c + i + 7);
      } else {
        s.push_back(1000 * r.below(20) + r.below(40) + 7);
      }
    }
  }
  return out;
}

double category_precision(const em::item2vec_model& m) {
  double hits = 0.0, total = 0.0;
  for (const id_type id : m.items) {
    for (const auto& [other, score] : m.similar(id, 10)) {
      hits += other / 1000 == id / 1000 ? 1.0 : 0.0;
      total += 1.0;
    }
  }
  return hits / total;
}
}  // namespace

TEST_CASE("item2vec puts items of a category together; same bits for any thread count", "[embed][item2vec]") {
  const auto s = sessions(4000, 1);
  const auto m = em::item2vec({.dim = 32, .epochs = 5, .seed = 3, .threads = 2}).fit(s);
  CHECK(m.size() == 800);
  CHECK(m.dim() == 32);
  CHECK(m.counts.front() >= m.counts.back());
  CHECK(m.words_trained > 0);
  CHECK(category_precision(m) > 0.9);
  const auto one = em::item2vec({.dim = 32, .epochs = 5, .seed = 3, .threads = 1}).fit(s);
  CHECK((one.vectors == m.vectors));
  const auto other = em::item2vec({.dim = 32, .epochs = 5, .seed = 4, .threads = 2}).fit(s);
  CHECK_FALSE((other.vectors == m.vectors));
  // All of the training one chunk at a time: another result, again the same for any thread count.
  const auto serial = em::item2vec({.dim = 32, .epochs = 5, .serial_warmup = 1.0, .seed = 3, .threads = 2}).fit(s);
  CHECK_FALSE((serial.vectors == m.vectors));
  CHECK((serial.vectors == em::item2vec({.dim = 32, .epochs = 5, .serial_warmup = 1.0, .seed = 3, .threads = 1}).fit(s).vectors));
  CHECK(category_precision(serial) > 0.9);
  // Without training signal (one epoch, tiny learning rate) the structure is not there: the test can fail.
  const auto untrained = em::item2vec({.dim = 32, .epochs = 1, .alpha = 1e-6, .min_alpha = 1e-7, .seed = 3}).fit(s);
  CHECK(category_precision(untrained) < 0.5);
}

TEST_CASE("item2vec: similar(), session vectors (mean, last N, recency), min_count, bad input", "[embed][item2vec]") {
  using Catch::Matchers::Contains;
  const auto s = sessions(1500, 2);
  const auto m = em::item2vec({.dim = 16, .epochs = 3, .min_count = 3, .seed = 1, .threads = 2}).fit(s);
  for (std::size_t r = 0; r < m.size(); ++r) CHECK(m.counts[r] >= 3);
  const id_type probe = m.items.front();
  const auto sim = m.similar(probe, 5);
  REQUIRE(sim.size() == 5);
  for (std::size_t i = 0; i < sim.size(); ++i) {
    CHECK(sim[i].first != probe);
    if (i > 0) CHECK(sim[i].second <= sim[i - 1].second);
  }
  // Session vectors by hand: unknown items skipped, the last 2 known, weights 0.5^(age / 1).
  const id_type a = m.items[0], b = m.items[1], c = m.items[2];
  const std::vector<id_type> session{a, 999999, b, c};
  const auto va = m.vector(a), vb = m.vector(b), vc = m.vector(c);
  const auto mean = m.session_vector(session, {});
  const auto recent = m.session_vector(session, {.last = 2, .half_life = 1.0});
  for (std::size_t j = 0; j < m.dim(); ++j) {
    CHECK(mean[j] == Approx((va[j] + vb[j] + vc[j]) / 3.0).margin(1e-6));
    CHECK(recent[j] == Approx((0.5 * vb[j] + 1.0 * vc[j]) / 1.5).margin(1e-6));
  }
  const auto unit = m.session_vector(session, {.normalize = true});
  double norm = 0.0;
  for (const float v : unit) norm += static_cast<double>(v) * v;
  CHECK(norm == Approx(1.0).epsilon(1e-5));
  const std::vector<id_type> unknown{123456789};
  for (const float v : m.session_vector(unknown, {})) CHECK(v == 0.0f);
  const auto e = m.embed(std::vector<std::vector<id_type>>{session, unknown});
  CHECK(e.shape(0) == 2);
  CHECK(e(0, 0) == Approx(mean[0]));
  CHECK_THROWS_WITH(m.vector(123456789), Contains("item 123456789 has no vector"));
  CHECK_THROWS_WITH(em::item2vec({.dim = 0}).fit(s), Contains("dim"));
  CHECK_THROWS_WITH(em::item2vec({.min_count = 100000}).fit(s), Contains("min_count (100000)"));
  CHECK_THROWS_WITH(em::item2vec({.alpha = 0.01, .min_alpha = 0.1}).fit(s), Contains("min_alpha"));
  CHECK_THROWS_WITH(em::item2vec().fit({}), Contains("no item"));
  CHECK_THROWS_WITH(em::item2vec({.serial_warmup = 1.5}).fit(s), Contains("serial_warmup must be in [0, 1] (got 1.5)"));
}

TEST_CASE("item2vec: a fitted model saves and loads; sessions embed identically", "[embed][item2vec][persist]") {
  const auto s = sessions(800, 2);
  auto m = em::item2vec({.dim = 16, .epochs = 2, .seed = 1}).fit(s);
  m.session_rule = {.last = 5, .half_life = 2.0, .normalize = true};
  const auto p = std::filesystem::temp_directory_path() / "segkit_item2vec_model.seg";
  m.save(p);
  const auto back = em::item2vec_model::load(p);
  CHECK(back.items == m.items);
  CHECK(back.counts == m.counts);
  CHECK(back.session_rule.last == 5);
  CHECK((back.embed(s) == m.embed(s)));
  CHECK(back.similar(m.items[3], 5) == m.similar(m.items[3], 5));
  // Damage is refused, naming the file.
  std::filesystem::resize_file(p, std::filesystem::file_size(p) - 3);
  CHECK_THROWS_WITH(em::item2vec_model::load(p), Catch::Contains("segkit_item2vec_model.seg"));
  std::filesystem::remove(p);
}
