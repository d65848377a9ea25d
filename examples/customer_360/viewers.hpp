#pragma once
// A deterministic generator of a streaming service's users over weekly periods, for the customer
// 360 example. Each user has a hidden archetype; each week they show four modalities: the text
// metadata of the titles they watched, a thumbnail of their most watched title (a generated
// image), a support-ticket text (most users file none) and usage statistics. Over 8 weeks some
// casual viewers become binge watchers (one archetype grows, one shrinks) and, from week 4, users
// of a new archetype (anime fans) join.

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include <segkit/core/random.hpp>
#include <segkit/core/types.hpp>
#include <segkit/embed/image_ops.hpp>

namespace segkit::examples {

/// A viewer archetype: what its weeks look like.
struct archetype {
  std::string_view name;
  std::array<std::string_view, 10> title_words;  ///< genre words of the titles watched
  std::array<std::string_view, 3> tickets;       ///< typical complaints
  double ticket_rate;                            ///< share of users filing a ticket in a week
  std::array<std::uint8_t, 3> color;            ///< dominant thumbnail color
  double sessions_per_day, hours_per_session;    ///< usage means
  std::array<double, 3> devices;                 ///< share on TV, mobile, tablet
  double late_night;                             ///< share of viewing after midnight
};

inline const std::array<archetype, 6>& archetypes() {
  static const std::array<archetype, 6> a = {{
      {"binge watcher", {"drama", "thriller", "season", "finale", "detective", "crime", "mystery", "series", "cliffhanger", "episodes"},
       {"autoplay skipped the next episode", "stream stops after midnight", "subtitles out of sync"}, 0.2, {40, 40, 70}, 3.0, 2.5,
       {0.6, 0.2, 0.2}, 0.4},
      {"family viewer", {"animated", "family", "adventure", "kids", "musical", "princess", "dragons", "holiday", "puppies", "friendship"},
       {"parental controls do not save", "kids profile shows adult titles", "cannot add a fourth profile"}, 0.25, {240, 200, 60}, 1.5, 1.5,
       {0.8, 0.05, 0.15}, 0.02},
      {"documentary fan", {"documentary", "nature", "history", "planet", "wildlife", "ocean", "science", "ancient", "empire", "climate"},
       {"4k quality drops on tablet", "narration audio too quiet", "download expired offline"}, 0.15, {90, 140, 70}, 1.0, 1.2,
       {0.3, 0.1, 0.6}, 0.05},
      {"sports fan", {"football", "live", "match", "league", "highlights", "goals", "derby", "champions", "stadium", "transfer"},
       {"live stream lags behind", "match replay missing", "score shown before the replay"}, 0.3, {40, 160, 60}, 2.0, 1.8,
       {0.4, 0.5, 0.1}, 0.1},
      {"casual viewer", {"comedy", "reality", "sitcom", "show", "laughs", "dating", "cooking", "contest", "talk", "romcom"},
       {"billing charged twice", "cannot cancel subscription", "password reset email never arrives"}, 0.1, {200, 120, 140}, 0.4, 0.8,
       {0.4, 0.5, 0.1}, 0.05},
      {"anime fan", {"anime", "manga", "shonen", "fantasy", "mecha", "isekai", "dubbed", "sensei", "ninja", "spirits"},
       {"japanese audio track missing", "simulcast episode delayed", "subtitles lack honorifics"}, 0.3, {170, 60, 200}, 2.5, 2.0,
       {0.15, 0.75, 0.1}, 0.5},
  }};
  return a;
}

/// One user's week.
struct viewer_week {
  id_type user = 0;                    ///< stable across weeks
  label_type archetype = 0;            ///< hidden truth (index into archetypes())
  std::string titles;                  ///< metadata text of the titles watched
  embed::image thumbnail;              ///< of the most watched title
  std::string ticket;                  ///< empty: no ticket this week
  std::array<double, 6> usage{};       ///< sessions/day, hours/session, TV, mobile, tablet share, late-night share
};

/// Options of make_viewers().
struct viewer_params {
  std::size_t users = 2000;         ///< at week 0
  std::size_t weeks = 8;            ///< periods
  double switch_rate = 0.04;        ///< per week: share of casual viewers who become binge watchers
  std::size_t new_from_week = 4;    ///< anime fans join from this week
  std::size_t new_per_week = 150;   ///< ... this many per week
  std::uint64_t seed = 1;           ///< the only source of randomness
};

namespace detail {

inline embed::image thumbnail_of(const archetype& a, rng& r) {
  embed::image img;
  img.width = img.height = 12;
  img.rgb.resize(12 * 12 * 3);
  // The archetype's color with noise, and a patch of a random color (the title's own look).
  std::array<int, 3> patch{};
  for (auto& c : patch) c = static_cast<int>(r.below(256));
  const std::size_t px = r.below(5), py = r.below(5);
  for (std::size_t y = 0; y < 12; ++y) {
    for (std::size_t x = 0; x < 12; ++x) {
      const bool in_patch = x >= px && x < px + 7 && y >= py && y < py + 7;
      for (std::size_t c = 0; c < 3; ++c) {
        const double base = in_patch ? patch[c] : a.color[c];
        img.rgb[(y * 12 + x) * 3 + c] = static_cast<std::uint8_t>(std::clamp(base + 70.0 * r.normal(), 0.0, 255.0));
      }
    }
  }
  return img;
}

}  // namespace detail

/// The weeks, each a list of the users active that week (users[w][i]).
inline std::vector<std::vector<viewer_week>> make_viewers(const viewer_params& p = {}) {
  const auto& types = archetypes();
  static constexpr std::string_view generic[] = {"new", "original", "award", "winning", "popular", "trending", "classic", "series"};
  // Archetypes at week 0: the first five in turn.
  std::vector<label_type> who;
  for (std::size_t u = 0; u < p.users; ++u) who.push_back(static_cast<label_type>(u % 5));
  std::vector<std::vector<viewer_week>> weeks;
  for (std::size_t w = 0; w < p.weeks; ++w) {
    rng drift(p.seed ^ 0xD21F7ULL, w);
    if (w > 0) {
      for (auto& a : who) {
        if (a == 4 && drift.uniform() < p.switch_rate * 3.0) a = 0;  // casual viewers turn into binge watchers
      }
    }
    if (w >= p.new_from_week) who.insert(who.end(), p.new_per_week, static_cast<label_type>(5));
    std::vector<viewer_week> week;
    for (std::size_t u = 0; u < who.size(); ++u) {
      rng r(p.seed, w * 1000003 + u);
      const auto& a = types[static_cast<std::size_t>(who[u])];
      viewer_week v;
      v.user = u;
      v.archetype = who[u];
      // A few titles' words: the archetype's genres mixed with any other's and generic ones.
      const std::size_t words = 3 + r.below(5);
      for (std::size_t k = 0; k < words; ++k) {
        const double x = r.uniform();
        const std::string_view word = x < 0.3 ? a.title_words[r.below(10)] : x < 0.8 ? types[r.below(6)].title_words[r.below(10)] : generic[r.below(8)];
        v.titles += (v.titles.empty() ? "" : " ") + std::string(word);
      }
      v.thumbnail = detail::thumbnail_of(a, r);
      if (r.uniform() < a.ticket_rate) v.ticket = std::string(a.tickets[r.below(3)]) + (r.uniform() < 0.5 ? " again" : " on my account");
      const double tv = a.devices[0] * std::exp(0.5 * r.normal()), mobile = a.devices[1] * std::exp(0.5 * r.normal()),
                   tablet = a.devices[2] * std::exp(0.5 * r.normal()), all = tv + mobile + tablet;
      v.usage = {a.sessions_per_day * std::exp(0.45 * r.normal()), a.hours_per_session * std::exp(0.45 * r.normal()), tv / all, mobile / all, tablet / all,
                 std::clamp(a.late_night + 0.12 * r.normal(), 0.0, 1.0)};
      week.push_back(std::move(v));
    }
    weeks.push_back(std::move(week));
  }
  return weeks;
}

}  // namespace segkit::examples
