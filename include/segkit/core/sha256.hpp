#pragma once
/// @file
/// @brief SHA-256 of bytes and of files, as hexadecimal text: how a saved segmentation recognizes
/// the exact model files it was made with (segkit::embed::onnx_text_reference).
///
/// The algorithm is the one of FIPS 180-4 (Secure Hash Standard, 2015), section 6.2; the round
/// constants are the first 32 bits of the fractional parts of the cube roots of the first 64
/// primes, the initial state those of the square roots of the first 8 (section 5.3.3).

#include <algorithm>
#include <array>
#include <bit>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <span>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "segkit/core/error.hpp"
#include "segkit/core/compiled.hpp"
#include "segkit/core/file.hpp"

namespace segkit {

/**
 * @brief An incremental SHA-256: update() with the bytes in order, then hex() or digest().
 * @code
 * segkit::sha256 h;
 * h.update("abc");
 * h.hex();  // "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
 * @endcode
 */
class sha256 {
 public:
  sha256() = default;

  /// Adds bytes to the message.
  SEGKIT_FUNC sha256& update(std::span<const unsigned char> bytes);
  /// Adds the characters of `text` to the message.
  sha256& update(std::string_view text) { return update(std::span(reinterpret_cast<const unsigned char*>(text.data()), text.size())); }

  /// The 32-byte digest of everything added; the object may not be updated afterwards.
  [[nodiscard]] SEGKIT_FUNC std::array<unsigned char, 32> digest();

  /// digest() as 64 lower-case hexadecimal digits (as `sha256sum` prints it).
  [[nodiscard]] SEGKIT_FUNC std::string hex();

 private:
  static constexpr std::array<std::uint32_t, 64> k_ = {
      0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be,
      0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa,
      0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85,
      0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3,
      0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f,
      0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

  SEGKIT_FUNC void compress(const unsigned char* p);

  std::array<std::uint32_t, 8> state_ = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  std::array<unsigned char, 64> block_{};
  std::size_t used_ = 0;
  std::uint64_t length_ = 0;
};

/// SHA-256 of `text` as 64 hexadecimal digits.
[[nodiscard]] inline std::string sha256_hex(std::string_view text) { return sha256().update(text).hex(); }

/**
 * @brief SHA-256 of a file's bytes as 64 hexadecimal digits, read in 1 MiB pieces.
 * @throws segkit::io_error naming the file if it cannot be opened or read.
 */
[[nodiscard]] SEGKIT_FUNC std::string sha256_file(const std::filesystem::path& path);

}  // namespace segkit

#if !defined(SEGKIT_COMPILED)
#include "segkit/core/detail/sha256-inl.hpp"
#endif
