#pragma once
/// @file
/// @brief Optional progress reporting and cancellation for long computations.

#include <concepts>
#include <cstddef>
#include <string>
#include <string_view>
#include <type_traits>

#include <fmt/format.h>

#include "segkit/core/error.hpp"

namespace segkit {

/// What a long computation reports: its current stage and how far it is.
struct progress_event {
  std::string_view stage;  ///< e.g. "search", "build"
  std::size_t done = 0;    ///< units finished
  std::size_t total = 0;   ///< units in all (0 if unknown)
};

/// A progress callback: called with each event; returning false cancels the computation,
/// which then throws segkit::cancelled. Called from the calling thread only.
template <class P>
concept progress_callback = std::invocable<P&, const progress_event&> &&
                            std::convertible_to<std::invoke_result_t<P&, const progress_event&>, bool>;

/// The default callback: reports nowhere, never cancels, compiles away.
struct no_progress {
  constexpr bool operator()(const progress_event&) const noexcept { return true; }
};

/// Calls `p` and throws segkit::cancelled if it returns false.
template <progress_callback P>
void report_progress(P& p, std::string_view stage, std::size_t done, std::size_t total) {
  if constexpr (!std::is_same_v<std::remove_cvref_t<P>, no_progress>) {
    if (!p(progress_event{stage, done, total})) {
      throw segkit::cancelled(fmt::format("segkit: '{}' cancelled by the progress callback at {}/{}", stage, done, total));
    }
  }
}

}  // namespace segkit
