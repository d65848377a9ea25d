#pragma once
// The definitions of segkit/core/npy.hpp's non-template functions
// (declared SEGKIT_FUNC there): included at that header's end in header-only mode; in compiled
// mode compiled once into segkit::segkit_compiled, after the header (cmake/segkit-compiled.cmake).
// Not for including on its own.

namespace segkit {

SEGKIT_FUNC std::string_view npy_dtype_name(npy_dtype t) noexcept {
  switch (t) {
    case npy_dtype::float32: return "float32";
    case npy_dtype::float64: return "float64";
    case npy_dtype::int32: return "int32";
    case npy_dtype::int64: return "int64";
  }
  return "?";
}

}  // namespace segkit

namespace segkit {
namespace detail {

SEGKIT_FUNC std::string_view npy_descr(npy_dtype t) noexcept {
  switch (t) {
    case npy_dtype::float32: return "<f4";
    case npy_dtype::float64: return "<f8";
    case npy_dtype::int32: return "<i4";
    case npy_dtype::int64: return "<i8";
  }
  return "";
}

// Minimal reader of the Python dict literal in a .npy header.
class npy_dict_parser {
 public:
  npy_dict_parser(std::string_view text, std::string_view source) : text_(text), source_(source) {}

  std::string_view string_value(std::string_view key) {
    seek(key);
    const char q = peek();
    if (q != '\'' && q != '"') fail(fmt::format("value of '{}' is not a string", key));
    const std::size_t start = ++pos_;
    while (pos_ < text_.size() && text_[pos_] != q) ++pos_;
    if (pos_ >= text_.size()) fail(fmt::format("unterminated string for '{}'", key));
    return text_.substr(start, pos_++ - start);
  }

  bool bool_value(std::string_view key) {
    seek(key);
    if (text_.substr(pos_, 4) == "True") return true;
    if (text_.substr(pos_, 5) == "False") return false;
    fail(fmt::format("value of '{}' is neither True nor False", key));
  }

  std::vector<std::size_t> tuple_value(std::string_view key) {
    seek(key);
    if (peek() != '(') fail(fmt::format("value of '{}' is not a tuple", key));
    ++pos_;
    std::vector<std::size_t> out;
    for (;;) {
      const char c = peek();
      if (c == ')') break;
      if (c < '0' || c > '9') fail(fmt::format("bad dimension in '{}'", key));
      std::size_t v = 0;
      while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') {
        const auto digit = static_cast<std::size_t>(text_[pos_++] - '0');
        if (v > (std::numeric_limits<std::size_t>::max() - digit) / 10) fail("dimension overflows");
        v = v * 10 + digit;
      }
      out.push_back(v);
      if (peek() == ',') ++pos_;
      if (out.size() > 32) fail("more than 32 dimensions");
    }
    return out;
  }

 private:
  char peek() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t')) ++pos_;
    return pos_ < text_.size() ? text_[pos_] : '\0';
  }
  void seek(std::string_view key) {
    for (const char q : {'\'', '"'}) {
      const std::string quoted = std::string(1, q) + std::string(key) + std::string(1, q);
      const auto at = text_.find(quoted);
      if (at != std::string_view::npos) {
        pos_ = at + quoted.size();
        if (peek() != ':') fail(fmt::format("missing ':' after '{}'", key));
        ++pos_;
        peek();
        return;
      }
    }
    fail(fmt::format("header has no '{}' entry", key));
  }
  [[noreturn]] void fail(std::string_view what) const {
    throw_format("segkit::npy", fmt::format("'{}': malformed header: {}", source_, what));
  }
  std::string_view text_;
  std::string_view source_;
  std::size_t pos_ = 0;
};

}  // namespace detail
}  // namespace segkit

namespace segkit {

SEGKIT_FUNC npy_header parse_npy_header(std::span<const char> bytes, std::string_view source) {
  const auto fail = [&](std::string_view what) { detail::throw_format("segkit::npy", fmt::format("'{}': {}", source, what)); };
  if (bytes.size() < 10 || std::memcmp(bytes.data(), "\x93NUMPY", 6) != 0) fail("not a .npy file (bad magic string)");
  npy_header h;
  h.version = static_cast<unsigned char>(bytes[6]);
  std::size_t len = 0;
  std::size_t pre = 0;
  if (h.version == 1) {
    len = static_cast<unsigned char>(bytes[8]) | (std::size_t{static_cast<unsigned char>(bytes[9])} << 8);
    pre = 10;
  } else if (h.version == 2 || h.version == 3) {
    if (bytes.size() < 12) fail("truncated header");
    for (int i = 0; i < 4; ++i) len |= std::size_t{static_cast<unsigned char>(bytes[8 + i])} << (8 * i);
    pre = 12;
  } else {
    fail(fmt::format("format version {} is not supported (1, 2 or 3 are)", h.version));
  }
  if (len > bytes.size() - pre) fail(fmt::format("truncated header: {} bytes announced, {} present", len, bytes.size() - pre));
  h.data_offset = pre + len;
  detail::npy_dict_parser dict(std::string_view(bytes.data() + pre, len), source);
  const auto descr = dict.string_value("descr");
  if (descr == "<f4") h.dtype = npy_dtype::float32;
  else if (descr == "<f8") h.dtype = npy_dtype::float64;
  else if (descr == "<i4") h.dtype = npy_dtype::int32;
  else if (descr == "<i8") h.dtype = npy_dtype::int64;
  else if (!descr.empty() && descr[0] == '>') fail(fmt::format("big-endian dtype '{}' is not supported", descr));
  else fail(fmt::format("unsupported dtype '{}' (segkit reads float32, float64, int32 and int64)", descr));
  if (dict.bool_value("fortran_order")) fail("Fortran-order arrays are not supported; save with np.ascontiguousarray");
  h.shape = dict.tuple_value("shape");
  // Every dimension counts, zeros aside: an empty array's strides are still products of the
  // others (found by tests/fuzz/fuzz_npy: shape (0, 2e14, 2e9) overflowed xtensor's strides).
  std::size_t n = 1;
  for (auto s : h.shape) {
    if (s != 0 && n > static_cast<std::size_t>(std::numeric_limits<std::ptrdiff_t>::max()) / 8 / s) fail("shape too large");
    if (s != 0) n *= s;
  }
  return h;
}

}  // namespace segkit

namespace segkit {
namespace detail {

SEGKIT_FUNC npy_file open_npy(const std::filesystem::path& path) {
  require_regular_file(path, "segkit::npy");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw_io("segkit::npy", fmt::format("cannot open '{}'", path.string()));
  std::error_code ec;
  const auto file_size = std::filesystem::file_size(path, ec);
  if (ec) throw_io("segkit::npy", fmt::format("cannot stat '{}': {}", path.string(), ec.message()));
  std::vector<char> head(static_cast<std::size_t>(std::min<std::uintmax_t>(file_size, 12)));
  in.read(head.data(), static_cast<std::streamsize>(head.size()));
  std::size_t header_end = head.size();
  if (head.size() >= 10 && std::memcmp(head.data(), "\x93NUMPY", 6) == 0) {
    const int version = static_cast<unsigned char>(head[6]);
    std::size_t len = 0;
    if (version == 1) len = static_cast<unsigned char>(head[8]) | (std::size_t{static_cast<unsigned char>(head[9])} << 8);
    else if (head.size() >= 12) for (int i = 0; i < 4; ++i) len |= std::size_t{static_cast<unsigned char>(head[8 + i])} << (8 * i);
    header_end = std::min<std::uintmax_t>(file_size, (version == 1 ? 10 : 12) + len);
  }
  head.resize(header_end);
  in.seekg(0);
  in.read(head.data(), static_cast<std::streamsize>(head.size()));
  npy_file f{parse_npy_header(head, path.string()), std::move(in)};
  const std::uintmax_t need = f.header.data_offset + f.header.count() * f.header.item_size();
  if (file_size < need) {
    throw_format("segkit::npy", fmt::format("'{}': data truncated: header promises {} bytes of data, file has {}", path.string(),
                                            need - f.header.data_offset, file_size - f.header.data_offset));
  }
  if (file_size > need) {
    throw_format("segkit::npy", fmt::format("'{}': {} unexpected bytes after the data", path.string(), file_size - need));
  }
  f.in.seekg(static_cast<std::streamoff>(f.header.data_offset));
  return f;
}

SEGKIT_FUNC std::string shape_string(const std::vector<std::size_t>& shape) {
  return fmt::format("({})", fmt::join(shape, ", "));
}

}  // namespace detail
}  // namespace segkit
