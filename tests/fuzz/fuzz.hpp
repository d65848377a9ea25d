#pragma once
// Shared by the fuzz targets: the entry point's signature and what counts as a clean refusal.
// A target passes when the input is either accepted or refused with a segkit exception that
// names the problem (segkit::error and its io_error / format_error, segkit::invalid_argument);
// any other exception, a crash, a leak or undefined behavior is a finding.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <segkit/core/checksum.hpp>
#include <segkit/core/error.hpp>

#define SEGKIT_FUZZ_REFUSED(...)              \
  try {                                       \
    __VA_ARGS__                               \
  } catch (const segkit::error&) {            \
  } catch (const segkit::invalid_argument&) { \
  }

namespace segkit::fuzz {
template <class T>
T get(const std::vector<char>& b, std::size_t at) {
  T v;
  std::memcpy(&v, b.data() + at, sizeof(T));
  return v;
}
template <class T>
void put(std::vector<char>& b, std::size_t at, T v) {
  std::memcpy(b.data() + at, &v, sizeof(T));
}

// The same bytes with every checksum and the file size made right, so that mutations reach the
// loaders' own checks instead of stopping at a CRC (layout: core/binary_format.hpp).
inline std::vector<char> with_valid_checksums(std::vector<char> b) {
  if (b.size() < 64) return b;
  put<std::uint64_t>(b, 48, b.size());
  const auto count = get<std::uint32_t>(b, 12);
  const std::uint64_t table_end = 64 + std::uint64_t{count} * 32;
  if (table_end > b.size()) return b;
  for (std::uint32_t i = 0; i < count; ++i) {
    const std::size_t e = 64 + std::size_t{i} * 32;
    const auto offset = get<std::uint64_t>(b, e + 8), size = get<std::uint64_t>(b, e + 16);
    if (offset <= b.size() && size <= b.size() - offset) put<std::uint32_t>(b, e + 24, segkit::crc32c(0, b.data() + offset, size));
  }
  put<std::uint32_t>(b, 56, segkit::crc32c(0, b.data() + 64, table_end - 64));
  put<std::uint32_t>(b, 60, segkit::crc32c(0, b.data(), 60));
  return b;
}

// The bytes of the section with this tag (offset and size from the table), or {npos, 0}.
inline std::pair<std::size_t, std::size_t> find_section(const std::vector<char>& b, std::string_view tag) {
  if (b.size() < 64) return {std::string::npos, 0};
  const auto count = get<std::uint32_t>(b, 12);
  for (std::uint32_t i = 0; i < count && 64 + std::size_t{i + 1} * 32 <= b.size(); ++i) {
    const std::size_t e = 64 + std::size_t{i} * 32;
    const std::string_view name(b.data() + e, ::strnlen(b.data() + e, 8));
    if (name == tag) return {get<std::uint64_t>(b, e + 8), get<std::uint64_t>(b, e + 16)};
  }
  return {std::string::npos, 0};
}

inline std::string_view text(const std::uint8_t* data, std::size_t size) { return {reinterpret_cast<const char*>(data), size}; }
}  // namespace segkit::fuzz
