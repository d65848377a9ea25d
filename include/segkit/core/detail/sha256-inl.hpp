#pragma once
// The definitions of segkit/core/sha256.hpp's non-template functions
// (declared SEGKIT_FUNC there): included at that header's end in header-only mode; in compiled
// mode compiled once into segkit::segkit_compiled, after the header (cmake/segkit-compiled.cmake).
// Not for including on its own.

namespace segkit {

SEGKIT_FUNC sha256& sha256::update(std::span<const unsigned char> bytes) {
  length_ += bytes.size();
  std::size_t i = 0;
  if (used_ > 0) {
    const std::size_t take = std::min(bytes.size(), block_.size() - used_);
    std::memcpy(block_.data() + used_, bytes.data(), take);
    used_ += take;
    i = take;
    if (used_ < block_.size()) return *this;
    compress(block_.data());
    used_ = 0;
  }
  for (; i + 64 <= bytes.size(); i += 64) compress(bytes.data() + i);
  std::memcpy(block_.data(), bytes.data() + i, bytes.size() - i);
  used_ = bytes.size() - i;
  return *this;
}

SEGKIT_FUNC std::array<unsigned char, 32> sha256::digest() {
  const std::uint64_t bits = length_ * 8;
  block_[used_++] = 0x80;  // the padding: one bit, zeros, then the length in bits, big-endian
  if (used_ > 56) {
    std::memset(block_.data() + used_, 0, block_.size() - used_);
    compress(block_.data());
    used_ = 0;
  }
  std::memset(block_.data() + used_, 0, 56 - used_);
  for (int b = 0; b < 8; ++b) block_[56 + static_cast<std::size_t>(b)] = static_cast<unsigned char>(bits >> (56 - 8 * b));
  compress(block_.data());
  std::array<unsigned char, 32> out{};
  for (std::size_t w = 0; w < 8; ++w) {
    for (std::size_t b = 0; b < 4; ++b) out[4 * w + b] = static_cast<unsigned char>(state_[w] >> (24 - 8 * b));
  }
  return out;
}

SEGKIT_FUNC std::string sha256::hex() {
  std::string s;
  for (const unsigned char c : digest()) s += fmt::format("{:02x}", c);
  return s;
}

SEGKIT_FUNC void sha256::compress(const unsigned char* p) {
  std::array<std::uint32_t, 64> w{};
  for (std::size_t t = 0; t < 16; ++t) {
    w[t] = std::uint32_t{p[4 * t]} << 24 | std::uint32_t{p[4 * t + 1]} << 16 | std::uint32_t{p[4 * t + 2]} << 8 | std::uint32_t{p[4 * t + 3]};
  }
  for (std::size_t t = 16; t < 64; ++t) {
    const std::uint32_t s0 = std::rotr(w[t - 15], 7) ^ std::rotr(w[t - 15], 18) ^ (w[t - 15] >> 3);
    const std::uint32_t s1 = std::rotr(w[t - 2], 17) ^ std::rotr(w[t - 2], 19) ^ (w[t - 2] >> 10);
    w[t] = w[t - 16] + s0 + w[t - 7] + s1;
  }
  auto v = state_;  // a..h
  for (std::size_t t = 0; t < 64; ++t) {
    const std::uint32_t big1 = std::rotr(v[4], 6) ^ std::rotr(v[4], 11) ^ std::rotr(v[4], 25);
    const std::uint32_t ch = (v[4] & v[5]) ^ (~v[4] & v[6]);
    const std::uint32_t t1 = v[7] + big1 + ch + k_[t] + w[t];
    const std::uint32_t big0 = std::rotr(v[0], 2) ^ std::rotr(v[0], 13) ^ std::rotr(v[0], 22);
    const std::uint32_t maj = (v[0] & v[1]) ^ (v[0] & v[2]) ^ (v[1] & v[2]);
    for (std::size_t j = 7; j > 0; --j) v[j] = v[j - 1];
    v[4] += t1;
    v[0] = t1 + big0 + maj;
  }
  for (std::size_t j = 0; j < 8; ++j) state_[j] += v[j];
}

SEGKIT_FUNC std::string sha256_file(const std::filesystem::path& path) {
  detail::require_regular_file(path, "segkit::sha256_file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw segkit::io_error(fmt::format("segkit::sha256_file: cannot open '{}': {}", path.string(), std::strerror(errno)));
  sha256 h;
  std::string buffer(std::size_t{1} << 20, '\0');
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    h.update(std::string_view(buffer.data(), static_cast<std::size_t>(in.gcount())));
  }
  if (in.bad()) throw segkit::io_error(fmt::format("segkit::sha256_file: cannot read '{}'", path.string()));
  return h.hex();
}

}  // namespace segkit
