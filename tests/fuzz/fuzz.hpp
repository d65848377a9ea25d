#pragma once
// Shared by the fuzz targets: the entry point's signature and what counts as a clean refusal.
// A target passes when the input is either accepted or refused with a segkit exception that
// names the problem (segkit::error and its io_error / format_error, segkit::invalid_argument);
// any other exception, a crash, a leak or undefined behavior is a finding.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <segkit/core/error.hpp>

#define SEGKIT_FUZZ_REFUSED(...)              \
  try {                                       \
    __VA_ARGS__                               \
  } catch (const segkit::error&) {            \
  } catch (const segkit::invalid_argument&) { \
  }

namespace segkit::fuzz {
inline std::string_view text(const std::uint8_t* data, std::size_t size) { return {reinterpret_cast<const char*>(data), size}; }
}  // namespace segkit::fuzz
