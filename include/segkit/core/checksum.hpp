#pragma once
/// @file
/// @brief CRC-32C (Castagnoli), the checksum of segkit's file sections.

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace segkit {

namespace detail {
using crc32c_table_set = std::array<std::array<std::uint32_t, 256>, 8>;
// Slice-by-8 tables for the reflected Castagnoli polynomial 0x82F63B78 (RFC 3720, B.4), built at
// the first use (computing them in a constant expression cost every translation unit 0.2 s).
inline crc32c_table_set make_crc32c_tables() noexcept {
  crc32c_table_set t{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1U) ? (c >> 1) ^ 0x82F63B78U : (c >> 1);
    t[0][i] = c;
  }
  for (std::size_t s = 1; s < 8; ++s) {
    for (std::uint32_t i = 0; i < 256; ++i) t[s][i] = (t[s - 1][i] >> 8) ^ t[0][t[s - 1][i] & 0xFFU];
  }
  return t;
}
inline const crc32c_table_set& crc32c_tables() noexcept {
  static const crc32c_table_set tables = make_crc32c_tables();
  return tables;
}
}  // namespace detail

/**
 * @brief Continues a CRC-32C over `size` bytes; start with crc = 0.
 * `crc32c(0, "123456789", 9) == 0xE3069283` (the standard check value).
 */
inline std::uint32_t crc32c(std::uint32_t crc, const void* data, std::size_t size) noexcept {
  const auto* p = static_cast<const unsigned char*>(data);
  const auto& t = detail::crc32c_tables();
  crc = ~crc;
  while (size >= 8) {
    std::uint64_t w;
    std::memcpy(&w, p, 8);  // little-endian load (segkit's formats are little-endian)
    w ^= crc;
    crc = t[7][w & 0xFF] ^ t[6][(w >> 8) & 0xFF] ^ t[5][(w >> 16) & 0xFF] ^ t[4][(w >> 24) & 0xFF] ^
          t[3][(w >> 32) & 0xFF] ^ t[2][(w >> 40) & 0xFF] ^ t[1][(w >> 48) & 0xFF] ^ t[0][w >> 56];
    p += 8;
    size -= 8;
  }
  while (size-- > 0) crc = t[0][(crc ^ *p++) & 0xFFU] ^ (crc >> 8);
  return ~crc;
}

}  // namespace segkit
