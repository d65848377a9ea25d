#pragma once
// A deterministic generator of customer profiles for the find-similar-customers example: each
// customer belongs to one of 20 hidden interest groups, which shape the "about me" text and the
// purchase history; region, age group and last purchase date are drawn independently. A ring of
// near-duplicate accounts (the same template text, the same purchases: a fraud ring) is planted
// among them. The groups and the ring are the truth the example scores itself against.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include <segkit/core/random.hpp>
#include <segkit/core/types.hpp>

namespace segkit::examples {

/// One interest group: its words (for the text) and where its products sit in the catalog.
struct interest_group {
  std::string_view name;
  std::array<std::string_view, 8> words;
};

inline const std::array<interest_group, 20>& interest_groups() {
  static const std::array<interest_group, 20> g = {{
      {"trail runners", {"trail", "running", "ultramarathon", "mountains", "shoes", "hydration", "races", "elevation"}},
      {"home bakers", {"baking", "sourdough", "bread", "flour", "oven", "pastry", "recipes", "yeast"}},
      {"gamers", {"gaming", "console", "rpg", "multiplayer", "headset", "streaming", "esports", "controller"}},
      {"gardeners", {"garden", "plants", "tomatoes", "compost", "seeds", "greenhouse", "pruning", "soil"}},
      {"photographers", {"photography", "camera", "lenses", "portraits", "landscape", "editing", "tripod", "light"}},
      {"cyclists", {"cycling", "bike", "road", "gravel", "saddle", "commute", "tour", "gears"}},
      {"parents", {"kids", "toddler", "school", "family", "stroller", "toys", "bedtime", "parenting"}},
      {"coffee lovers", {"coffee", "espresso", "beans", "grinder", "roast", "latte", "barista", "brewing"}},
      {"readers", {"books", "novels", "reading", "library", "fiction", "authors", "poetry", "kindle"}},
      {"yoga fans", {"yoga", "meditation", "mat", "stretching", "mindfulness", "breathing", "retreat", "balance"}},
      {"home cooks", {"cooking", "kitchen", "knives", "spices", "pans", "dinner", "cuisine", "grill"}},
      {"travellers", {"travel", "backpack", "flights", "luggage", "hostels", "passport", "adventure", "maps"}},
      {"musicians", {"guitar", "music", "amplifier", "songs", "band", "piano", "strings", "recording"}},
      {"pet owners", {"dog", "cat", "pets", "leash", "treats", "vet", "walks", "puppy"}},
      {"diy builders", {"tools", "woodworking", "drill", "workshop", "renovation", "saw", "projects", "timber"}},
      {"fashionistas", {"fashion", "style", "dresses", "sneakers", "outfits", "designer", "trends", "accessories"}},
      {"campers", {"camping", "tent", "campfire", "sleeping", "outdoors", "lantern", "hiking", "stove"}},
      {"fitness buffs", {"gym", "weights", "protein", "training", "workout", "strength", "squats", "cardio"}},
      {"tech geeks", {"gadgets", "laptop", "smartphone", "coding", "smart", "home", "tech", "keyboard"}},
      {"skincare fans", {"skincare", "serum", "moisturizer", "sunscreen", "routine", "beauty", "cleanser", "glow"}},
  }};
  return g;
}

inline constexpr std::array<std::string_view, 4> customer_regions = {"EU", "NA", "APAC", "LATAM"};
inline constexpr std::array<std::string_view, 5> customer_ages = {"18-24", "25-34", "35-44", "45-54", "55+"};
/// Products per interest group in the catalog (product id = group * 50 + i); 200 general products follow.
inline constexpr std::size_t products_per_group = 50, general_products = 200;

/// One customer.
struct customer {
  id_type id = 0;                  ///< 0-based
  std::string about;               ///< "about me" text
  std::vector<id_type> purchases;  ///< product ids, oldest first
  std::string region;              ///< one of customer_regions
  std::string age_group;           ///< one of customer_ages
  std::int64_t last_purchase = 0;  ///< seconds since 1970 (UTC)
  label_type group = 0;            ///< hidden interest group
  bool ring = false;               ///< hidden: a member of the planted ring
};

/// Options of make_customers().
struct customer_params {
  std::size_t customers = 10000;    ///< profiles, the ring included
  std::size_t ring = 25;            ///< near-duplicate accounts planted
  std::int64_t today = 1764547200;  ///< 2025-12-01 00:00 UTC: last purchases fall within the year before
  std::uint64_t seed = 1;           ///< the only source of randomness
};

inline std::vector<customer> make_customers(const customer_params& p = {}) {
  static constexpr std::string_view openers[] = {"I love", "Big fan of", "Into", "Passionate about", "Weekends are for", "Always looking for"};
  static constexpr std::string_view fillers[] = {"and good food", "with friends", "on a budget", "every week", "when I can", "since college",
                                                 "and coffee", "in the city"};
  const auto& groups = interest_groups();
  std::vector<customer> out;
  out.reserve(p.customers);
  for (std::size_t i = 0; i < p.customers; ++i) {
    rng r(p.seed, i);
    customer c;
    c.id = i;
    const bool ring = i >= p.customers - p.ring;
    c.group = static_cast<label_type>(ring ? 18 : i % groups.size());  // the ring poses as tech geeks
    c.ring = ring;
    const auto& g = groups[static_cast<std::size_t>(c.group)];
    if (ring) {
      // One template, a number changed: the same text and the same basket for every account.
      rng t(p.seed ^ 0xF4A0DULL, 0);
      c.about = fmt::format("Hi I am a tech lover, best deals on gadgets and smartphone accessories, contact {} for more", 1000 + r.below(20));
      for (std::size_t k = 0; k < 12; ++k) c.purchases.push_back(18 * products_per_group + t.below(products_per_group));
      c.region = "APAC";
      c.age_group = "18-24";
      c.last_purchase = p.today - static_cast<std::int64_t>(r.below(3 * 86400));
    } else {
      // A second interest for some customers; two to four sentences of their words with fillers,
      // now and then a word of any group.
      const std::size_t second = r.uniform() < 0.35 ? r.below(groups.size()) : static_cast<std::size_t>(c.group);
      const std::size_t sentences = 2 + r.below(3);
      for (std::size_t s = 0; s < sentences; ++s) {
        const double u = r.uniform();
        const auto& src = u < 0.15 ? groups[r.below(groups.size())] : u < 0.45 ? groups[second] : g;
        c.about += fmt::format("{}{} {} and {} {}.", s ? " " : "", openers[r.below(std::size(openers))], src.words[r.below(8)], src.words[r.below(8)],
                               fillers[r.below(std::size(fillers))]);
      }
      // Purchases: mostly the group's products (popular ones first), some of the second
      // interest's, some general ones.
      const std::size_t n = 3 + r.below(15);
      for (std::size_t k = 0; k < n; ++k) {
        const double u = r.uniform();
        if (u < 0.8) {
          const auto rank = static_cast<std::size_t>(static_cast<double>(products_per_group) * r.uniform() * r.uniform());
          const std::size_t from = u < 0.55 ? static_cast<std::size_t>(c.group) : second;
          c.purchases.push_back(static_cast<id_type>(from * products_per_group + rank));
        } else {
          c.purchases.push_back(static_cast<id_type>(groups.size() * products_per_group + r.below(general_products)));
        }
      }
      c.region = std::string(customer_regions[r.below(customer_regions.size())]);
      c.age_group = std::string(customer_ages[r.below(customer_ages.size())]);
      c.last_purchase = p.today - static_cast<std::int64_t>(r.below(365 * 86400));
    }
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace segkit::examples
