#pragma once
// A deterministic generator of an online shop and its browsing sessions, for the session
// segmentation example: about 2,000 pages (category, brand tier, page kind, price) and sessions of
// 5-30 page views drawn from hidden shopper types, each with its own taste for tiers, page kinds,
// categories and session length. The shopper types are the truth segmentations are scored
// against; segkit never sees them.

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <segkit/core/error.hpp>
#include <segkit/core/random.hpp>
#include <segkit/core/types.hpp>

namespace segkit::examples {

inline constexpr std::array<std::string_view, 12> shop_categories = {"shoes",  "jackets", "phones", "laptops", "kitchen", "furniture",
                                                                     "toys",   "books",   "beauty", "sports",  "garden",  "jewellery"};
inline constexpr std::array<std::string_view, 3> shop_tiers = {"budget", "mid", "premium"};
/// Page kinds: a product page, a category listing, a deals page, a review or comparison page.
inline constexpr std::array<std::string_view, 4> shop_kinds = {"product", "listing", "deal", "review"};

/// One page of the shop.
struct shop_page {
  id_type id = 0;            ///< page id (1-based)
  std::size_t category = 0;  ///< index into shop_categories
  std::size_t tier = 0;      ///< index into shop_tiers
  std::size_t kind = 0;      ///< index into shop_kinds
  double price = 0.0;        ///< of the product shown (listing and deal pages: a typical price)
};

/// A hidden shopper type: what its sessions look like.
struct shopper_type {
  std::string_view name;                     ///< e.g. "bargain hunter"
  std::array<double, 3> tier;                ///< preference over shop_tiers
  std::array<double, 4> kind;                ///< preference over shop_kinds
  std::array<double, 12> category;           ///< preference over the first category of a session
  double switch_category = 0.2;              ///< per view: move to another category
  std::size_t min_views = 5, max_views = 30;  ///< session length range
};

/// The five shopper types of the generated shop.
inline const std::array<shopper_type, 5>& shopper_types() {
  static const std::array<shopper_type, 5> types = {{
      {"bargain hunter", {0.92, 0.07, 0.01}, {0.2, 0.1, 0.68, 0.02}, {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, 0.5, 8, 30},
      {"premium explorer", {0.01, 0.07, 0.92}, {0.6, 0.35, 0.01, 0.04}, {2, 3, 1, 1, 1, 3, 0.2, 0.5, 2, 1, 1, 3}, 0.45, 6, 20},
      {"researcher", {0.05, 0.85, 0.1}, {0.15, 0.03, 0.02, 0.8}, {0.5, 0.5, 3, 3, 1, 0.5, 0.2, 0.5, 0.5, 1.5, 0.5, 0.2}, 0.3, 12, 30},
      {"gift shopper", {0.3, 0.5, 0.2}, {0.3, 0.65, 0.03, 0.02}, {0, 0, 0, 0, 0, 0, 3, 3, 2.5, 0, 0, 2.5}, 0.5, 5, 14},
      {"mission buyer", {0.1, 0.85, 0.05}, {0.95, 0.01, 0.01, 0.03}, {1, 1, 1, 1, 1.5, 1, 1, 1, 1, 1, 1.5, 0.5}, 0.0, 5, 8},
  }};
  return types;
}

/// Options of make_shop().
struct shop_params {
  std::size_t pages = 2000;     ///< pages in the shop
  std::size_t sessions = 20000; ///< historical sessions
  std::uint64_t seed = 1;       ///< the only source of randomness
};

/// A shop and its sessions, with the hidden shopper type of each session.
struct shop {
  std::vector<shop_page> pages;                 ///< pages[id - 1]
  std::vector<std::vector<id_type>> sessions;   ///< page ids viewed, in order
  std::vector<label_type> shopper;              ///< hidden type of each session (index into shopper_types())
};

namespace detail {

template <std::size_t N>
std::size_t draw(const std::array<double, N>& weights, rng& r) {
  double total = 0.0;
  for (const double w : weights) total += w;
  double u = r.uniform() * total;
  for (std::size_t i = 0; i < N; ++i) {
    if ((u -= weights[i]) < 0.0) return i;
  }
  return N - 1;
}

}  // namespace detail

/// The pages of a shop and `sessions` sessions from the five shopper types (in equal shares).
/// @throws segkit::invalid_argument for fewer than 12 pages.
inline shop make_shop(const shop_params& p = {}) {
  if (p.pages < shop_categories.size()) segkit::detail::throw_invalid("make_shop", "needs at least 12 pages (one per category)");
  shop s;
  rng r(p.seed, 0);
  // Pages: categories in turn, a tier and a kind drawn for each, prices by category and tier.
  std::vector<id_type> by[12][3][4];
  std::vector<id_type> in_category[12];
  for (std::size_t i = 0; i < p.pages; ++i) {
    shop_page pg;
    pg.id = i + 1;
    pg.category = i % shop_categories.size();
    pg.tier = detail::draw(std::array<double, 3>{0.4, 0.4, 0.2}, r);
    pg.kind = detail::draw(std::array<double, 4>{0.6, 0.15, 0.12, 0.13}, r);
    const double typical = 15.0 * std::pow(1.35, static_cast<double>((pg.category * 5) % 12));
    pg.price = std::round(typical * std::array<double, 3>{0.5, 1.0, 2.8}[pg.tier] * std::exp(0.25 * r.normal()) * 100.0) / 100.0;
    by[pg.category][pg.tier][pg.kind].push_back(pg.id);
    in_category[pg.category].push_back(pg.id);
    s.pages.push_back(pg);
  }
  const auto& types = shopper_types();
  for (std::size_t k = 0; k < p.sessions; ++k) {
    rng sr(p.seed, k + 1);
    const std::size_t t = k % types.size();
    const auto& ty = types[t];
    const std::size_t len = ty.min_views + sr.below(ty.max_views - ty.min_views + 1);
    std::size_t cat = detail::draw(ty.category, sr);
    std::vector<id_type> views;
    for (std::size_t v = 0; v < len; ++v) {
      if (v > 0 && sr.uniform() < ty.switch_category) cat = detail::draw(ty.category, sr);
      std::size_t tier = detail::draw(ty.tier, sr), kind = detail::draw(ty.kind, sr);
      // The preferred kind and tier when the category has such pages, else any page of the category.
      const auto* pool = &by[cat][tier][kind];
      for (std::size_t alt = 0; pool->empty() && alt < 12; ++alt) pool = &by[cat][(tier + alt / 4) % 3][(kind + alt) % 4];
      if (pool->empty()) pool = &in_category[cat];
      if (pool->empty()) pool = &in_category[0];
      views.push_back((*pool)[sr.below(pool->size())]);
    }
    s.sessions.push_back(std::move(views));
    s.shopper.push_back(static_cast<label_type>(t));
  }
  return s;
}

}  // namespace segkit::examples
