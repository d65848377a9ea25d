#pragma once
/// @file
/// @brief A deterministic generator of a product catalog (the built-in data of `segkit demo`, the
/// product-clustering example and the pipeline tests): titles and descriptions written by
/// templates from a vocabulary per category, in families of related categories that share words
/// (coffee, outdoor, audio, ...), with cross-sell sentences naming other categories' products,
/// generic marketing phrases, short descriptions and typos. The category of each product is kept
/// as the hidden truth for measuring a segmentation. All text here was written for segkit.

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "segkit/core/random.hpp"

namespace segkit::datasets {

/// One category's vocabulary.
struct category_words {
  std::string_view name;                    ///< the category ("espresso machines")
  std::size_t family;                       ///< index into families(): related categories share its words
  std::array<std::string_view, 3> nouns;    ///< what the product is called
  std::array<std::string_view, 8> features; ///< selling points
  std::array<std::string_view, 4> uses;     ///< what it is for
};

/// Words shared by related categories.
struct family_words {
  std::string_view name;                  ///< the family ("coffee")
  std::array<std::string_view, 6> words;  ///< its shared words
};

/// The families of related categories.
inline std::span<const family_words> families() {
  static constexpr family_words f[] = {
      {"coffee and tea", {"brew", "barista", "morning cup", "coffee lovers", "kitchen counter", "hot drinks"}},
      {"outdoor", {"outdoor", "waterproof", "trail", "all weather", "adventure", "lightweight"}},
      {"audio", {"bluetooth", "battery life", "deep bass", "wireless", "noise", "sound"}},
      {"computing", {"usb-c", "rgb lighting", "gaming", "device", "fast charging", "tech"}},
      {"home office", {"desk", "office", "ergonomic", "work from home", "study", "adjustable"}},
      {"kitchen", {"kitchen", "chef", "dishwasher safe", "stainless steel", "cooking", "home cooks"}},
      {"fitness", {"workout", "training", "fitness", "sweat", "performance", "athletes"}},
      {"home living", {"home", "family", "everyday", "living room", "gift", "cozy"}},
  };
  return f;
}

/// The 25 categories; a product's `category` indexes this list.
inline std::span<const category_words> catalog_categories() {
  static constexpr category_words c[] = {
      {"running shoes", 6, {"running shoe", "trainer", "road runner"},
       {"cushioned midsole", "breathable mesh upper", "responsive foam", "grippy outsole", "8 mm heel drop", "reflective details", "wide toe box", "padded collar"},
       {"marathon training", "daily runs", "tempo sessions", "race day"}},
      {"espresso machines", 0, {"espresso machine", "espresso maker", "coffee machine"},
       {"15 bar pump", "steam wand", "milk frother", "portafilter", "thermoblock heating", "pressure gauge", "water tank", "double shot"},
       {"cappuccino", "latte art", "espresso shots", "flat white"}},
      {"yoga mats", 6, {"yoga mat", "exercise mat", "pilates mat"},
       {"non slip surface", "6 mm cushioning", "alignment lines", "natural rubber", "carrying strap", "sweat resistant", "eco foam", "extra long"},
       {"yoga practice", "pilates", "stretching", "hot yoga"}},
      {"gaming laptops", 3, {"gaming laptop", "notebook", "laptop"},
       {"rtx graphics", "144 hz display", "16 gb ram", "1 tb ssd", "cooling fans", "backlit keyboard", "intel core processor", "thin bezel screen"},
       {"aaa games", "video editing", "streaming", "esports"}},
      {"office chairs", 4, {"office chair", "desk chair", "task chair"},
       {"lumbar support", "mesh back", "adjustable armrests", "tilt lock", "swivel base", "seat height lever", "headrest", "rolling casters"},
       {"long work days", "home office", "conference rooms", "gaming sessions"}},
      {"bluetooth speakers", 2, {"bluetooth speaker", "portable speaker", "party speaker"},
       {"360 degree sound", "ipx7 rating", "20 hour battery", "stereo pairing", "built in microphone", "passive radiator", "shock proof", "aux input"},
       {"pool parties", "beach trips", "picnics", "the shower"}},
      {"kitchen knives", 5, {"chef knife", "knife set", "santoku knife"},
       {"high carbon blade", "full tang", "ergonomic handle", "razor sharp edge", "forged steel", "knife block", "honing rod", "damascus pattern"},
       {"slicing vegetables", "meal prep", "carving meat", "dicing onions"}},
      {"winter jackets", 1, {"winter jacket", "parka", "puffer jacket"},
       {"down insulation", "windproof shell", "detachable hood", "fleece lining", "zip pockets", "storm flap", "thermal layer", "snow skirt"},
       {"cold winters", "ski trips", "city commutes", "snowy hikes"}},
      {"board games", 7, {"board game", "strategy game", "party game"},
       {"2 to 6 players", "45 minute playtime", "wooden tokens", "illustrated cards", "game board", "expansion pack", "dice", "rule book"},
       {"game night", "family evenings", "friends", "rainy afternoons"}},
      {"electric toothbrushes", 7, {"electric toothbrush", "sonic toothbrush", "toothbrush"},
       {"pressure sensor", "2 minute timer", "replacement heads", "whitening mode", "rechargeable handle", "travel case", "gum care", "soft bristles"},
       {"dental care", "plaque removal", "sensitive teeth", "travel"}},
      {"camping tents", 1, {"camping tent", "dome tent", "backpacking tent"},
       {"rainfly", "aluminium poles", "2 person", "vestibule", "mesh windows", "stakes", "footprint", "quick pitch"},
       {"camping trips", "festivals", "backpacking", "family camping"}},
      {"desk lamps", 4, {"desk lamp", "led lamp", "reading lamp"},
       {"dimmable led", "color temperature", "flexible gooseneck", "touch control", "eye care", "usb charging port", "clamp base", "memory function"},
       {"reading", "homework", "late night work", "drafting"}},
      {"wireless earbuds", 2, {"wireless earbuds", "earbuds", "in ear headphones"},
       {"active noise cancelling", "charging case", "touch controls", "transparency mode", "ear tips", "low latency", "sweatproof", "clear calls"},
       {"commuting", "workouts", "phone calls", "podcasts"}},
      {"coffee grinders", 0, {"coffee grinder", "burr grinder", "grinder"},
       {"conical burrs", "40 grind settings", "espresso fine grind", "bean hopper", "timer dial", "low retention", "ceramic burrs", "grounds container"},
       {"french press", "pour over", "espresso", "cold brew"}},
      {"hiking backpacks", 1, {"hiking backpack", "daypack", "trekking pack"},
       {"hip belt", "hydration sleeve", "rain cover", "padded straps", "30 litre capacity", "ventilated back", "trekking pole loops", "chest strap"},
       {"day hikes", "mountain trails", "travel", "multi day treks"}},
      {"smart watches", 3, {"smart watch", "smartwatch", "fitness watch"},
       {"heart rate monitor", "gps tracking", "amoled display", "sleep tracking", "notifications", "7 day battery", "blood oxygen", "water resistant"},
       {"fitness tracking", "running", "everyday wear", "swimming"}},
      {"cookware sets", 5, {"cookware set", "pots and pans", "frying pan set"},
       {"non stick coating", "induction compatible", "glass lids", "oven safe", "tri ply base", "saucepan", "stockpot", "cool touch handles"},
       {"everyday cooking", "searing", "simmering sauces", "family meals"}},
      {"rain boots", 1, {"rain boots", "wellies", "rubber boots"},
       {"natural rubber", "slip resistant sole", "pull tabs", "cotton lining", "knee high", "mud guard", "easy clean", "seam sealed"},
       {"rainy days", "gardening", "festivals", "farm work"}},
      {"mechanical keyboards", 3, {"mechanical keyboard", "keyboard", "tenkeyless keyboard"},
       {"hot swappable switches", "pbt keycaps", "tactile switches", "n key rollover", "aluminium frame", "detachable cable", "per key rgb", "linear switches"},
       {"typing", "programming", "competitive gaming", "writing"}},
      {"air purifiers", 7, {"air purifier", "air cleaner", "hepa purifier"},
       {"true hepa filter", "activated carbon", "quiet sleep mode", "air quality sensor", "auto mode", "filter indicator", "cadr rating", "ionizer"},
       {"allergies", "pet dander", "bedrooms", "smoke and dust"}},
      {"dog beds", 7, {"dog bed", "pet bed", "orthopedic dog bed"},
       {"memory foam", "washable cover", "raised bolsters", "non skid bottom", "chew resistant", "waterproof liner", "large breeds", "calming donut"},
       {"senior dogs", "puppies", "crates", "naps"}},
      {"bike helmets", 6, {"bike helmet", "cycling helmet", "helmet"},
       {"mips protection", "adjustable dial", "vents", "visor", "rear light", "in mold shell", "magnetic buckle", "padding"},
       {"road cycling", "mountain biking", "commuting", "kids riding"}},
      {"tea kettles", 0, {"electric kettle", "tea kettle", "kettle"},
       {"temperature control", "gooseneck spout", "keep warm", "1.7 litre", "boil dry protection", "glass body", "rapid boil", "cordless base"},
       {"green tea", "pour over coffee", "instant noodles", "herbal tea"}},
      {"sunglasses", 7, {"sunglasses", "shades", "aviators"},
       {"polarized lenses", "uv400 protection", "scratch resistant", "acetate frame", "spring hinges", "mirrored lenses", "case included", "anti glare"},
       {"driving", "the beach", "summer", "fishing"}},
      {"phone cases", 3, {"phone case", "phone cover", "protective case"},
       {"drop protection", "raised edges", "magsafe compatible", "slim fit", "card holder", "shock absorbing corners", "clear back", "wireless charging"},
       {"everyday carry", "iphone", "android phones", "outdoor use"}},
  };
  return c;
}

/// A generated product.
struct product {
  std::string title;        ///< "Corvo Pro Espresso Machine X-204"
  std::string description;  ///< two to four sentences
  std::size_t category;     ///< index into catalog_categories(): the hidden truth
  double price = 0.0;       ///< list price: a log-normal spread around the category's typical price (for attribute profiles)
};

/// Options of make_catalog().
struct catalog_params {
  std::size_t products = 10000;   ///< rows, spread evenly over the 25 categories
  double cross_sell = 0.35;       ///< share of descriptions that name another category's product and two of its features
  double bundle = 0.08;           ///< share of bundles: a second product of another category described at length
  double short_share = 0.15;      ///< share of products with a one-sentence description
  double model_title = 0.30;      ///< share of titles that give a model name instead of what the product is
  double typo_rate = 0.01;        ///< per word: swap two letters
  std::uint64_t seed = 1;         ///< the only source of randomness
};

namespace detail {

inline std::string_view pick(auto const& words, rng& r) { return words[r.below(std::size(words))]; }

inline std::string capitalized(std::string_view s) {
  std::string o(s);
  if (!o.empty() && o[0] >= 'a' && o[0] <= 'z') o[0] = static_cast<char>(o[0] - 'a' + 'A');
  return o;
}

/// Swaps two adjacent letters in about `rate` of the longer words.
inline std::string with_typos(const std::string& text, double rate, rng& r) {
  std::string o = text;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= o.size(); ++i) {
    if (i == o.size() || o[i] == ' ') {
      if (i - start >= 5 && r.uniform() < rate) {
        const std::size_t at = start + 1 + r.below(i - start - 3);
        std::swap(o[at], o[at + 1]);
      }
      start = i + 1;
    }
  }
  return o;
}

}  // namespace detail

/**
 * @brief Makes the catalog. Product i is in category i % 25 and is drawn from its own random stream
 * (seed, i), so the catalog does not depend on generation order and a prefix of a larger catalog
 * is a smaller one.
 */
inline std::vector<product> make_catalog(const catalog_params& p = {}) {
  static constexpr std::string_view brands[] = {"Arlo", "Brisk", "Corvo", "Dunmore", "Elkin", "Fenwick", "Galt", "Hollis",
                                                "Ivra", "Jasper", "Kestrel", "Lumen", "Morrow", "Nordal", "Oakley Row", "Pell"};
  static constexpr std::string_view model_names[] = {"Aurora", "Summit", "Nova", "Atlas", "Vela", "Orbit", "Tempo", "Zephyr", "Halo", "Drift",
                                                     "Pulse", "Cedar", "Echo", "Flux", "Ridge", "Terra"};
  static constexpr std::string_view adjectives[] = {"compact", "premium", "classic", "lightweight", "pro", "eco", "deluxe", "essential", "ultra", "smart"};
  static constexpr std::string_view generic[] = {
      "Built to last with premium materials.", "Backed by a two year warranty.", "Makes a perfect gift.", "Easy to clean and maintain.",
      "Loved by thousands of customers.", "Free returns within 30 days.", "Designed in our studio and tested for durability.",
      "A best seller this season.", "Great value for the price."};
  static constexpr std::string_view opening[] = {"This {} features {} and {}.", "Meet the {}: {} plus {}.", "Our {} combines {} with {}.",
                                                 "A {} with {} and {}."};
  static constexpr std::string_view use_line[] = {"Ideal for {}, with {}.", "Perfect for {} thanks to {}.", "Made for {} and comes with {}.",
                                                  "Great for {}; {} included."};
  const auto cats = catalog_categories();
  const auto fams = families();
  std::vector<product> out;
  out.reserve(p.products);
  for (std::size_t i = 0; i < p.products; ++i) {
    rng r(p.seed, i);
    const std::size_t c = i % cats.size();
    const auto& cw = cats[c];
    const auto& fw = fams[cw.family];
    product pr;
    pr.category = c;
    const std::string_view noun = detail::pick(cw.nouns, r);
    if (r.uniform() < p.model_title) {
      pr.title = fmt::format("{} {} {}", detail::pick(brands, r), detail::pick(model_names, r), 100 + r.below(900));
    } else {
      pr.title = fmt::format("{} {} {} {}-{}", detail::pick(brands, r), detail::capitalized(detail::pick(adjectives, r)), detail::capitalized(noun),
                             static_cast<char>('A' + r.below(26)), 100 + r.below(900));
    }
    // Two distinct features for the opening, a third for the use line.
    const std::size_t f1 = r.below(cw.features.size());
    std::size_t f2 = r.below(cw.features.size() - 1);
    if (f2 >= f1) ++f2;
    std::string d = fmt::format(fmt::runtime(detail::pick(opening, r)), noun, cw.features[f1], cw.features[f2]);
    if (r.uniform() >= p.short_share) {
      d += " " + fmt::format(fmt::runtime(detail::pick(use_line, r)), detail::pick(cw.uses, r), detail::pick(cw.features, r));
      d += fmt::format(" A favourite of {} who want {} at home.", detail::pick(fw.words, r), detail::pick(fw.words, r));
      if (r.uniform() < p.cross_sell) {
        // Cross-sell: another category, usually from the same family.
        std::size_t o = r.below(cats.size());
        if (r.uniform() < 0.6) {
          for (std::size_t t = 0; t < cats.size(); ++t) {
            const std::size_t cand = (c + 1 + t) % cats.size();
            if (cats[cand].family == cw.family) {
              o = cand;
              break;
            }
          }
        }
        if (o != c) {
          d += fmt::format(" Pairs well with our {}, with {} and {}.", detail::pick(cats[o].nouns, r), detail::pick(cats[o].features, r),
                           detail::pick(cats[o].features, r));
        }
      }
      if (r.uniform() < p.bundle) {
        // A bundle: a second product of another family described as fully as the first.
        std::size_t o = r.below(cats.size() - 1);
        if (o >= c) ++o;
        const auto& ow = cats[o];
        d += fmt::format(" Bundle includes a {} with {}, {} and {}, ideal for {}.", detail::pick(ow.nouns, r), detail::pick(ow.features, r),
                         detail::pick(ow.features, r), detail::pick(ow.features, r), detail::pick(ow.uses, r));
      }
      d += " " + std::string(detail::pick(generic, r));
    }
    pr.description = detail::with_typos(d, p.typo_rate, r);
    // The price from its own random stream, so that the text does not depend on it: a typical
    // price per category between 9 and about 900 (a fixed permutation of the categories), times
    // a log-normal factor, ending in .99.
    rng pr_rng(p.seed ^ 0x50C1CEULL, i);
    const double typical = 9.0 * std::pow(1.21, static_cast<double>((c * 7) % cats.size()));
    pr.price = std::max(1.0, std::floor(typical * std::exp(0.3 * pr_rng.normal()))) + 0.99;
    out.push_back(std::move(pr));
  }
  return out;
}

}  // namespace segkit::datasets
