#pragma once
/// @file
/// @brief Reading and writing NumPy `.npy` files (format versions 1, 2 and 3; C order;
/// float32, float64, int32, int64; little-endian).

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <fmt/format.h>
#include <xtensor/xarray.hpp>
#include <xtensor/xtensor.hpp>

#include "segkit/core/error.hpp"
#include "segkit/core/file.hpp"
#include "segkit/core/matrix_view.hpp"

namespace segkit {

/// Element types segkit reads and writes in .npy files.
enum class npy_dtype { float32, float64, int32, int64 };

/// What a .npy header says.
struct npy_header {
  npy_dtype dtype = npy_dtype::float32;  ///< element type
  std::vector<std::size_t> shape;        ///< dimensions, outermost first
  std::size_t data_offset = 0;           ///< byte offset of the first element
  int version = 1;                       ///< format major version (1, 2 or 3)

  /// Number of elements (product of the shape).
  [[nodiscard]] std::size_t count() const noexcept {
    std::size_t n = 1;
    for (auto s : shape) n *= s;
    return n;
  }
  /// Bytes per element.
  [[nodiscard]] std::size_t item_size() const noexcept {
    return (dtype == npy_dtype::float32 || dtype == npy_dtype::int32) ? 4 : 8;
  }
};

/// The NumPy name of a dtype ("float32", ...).
inline std::string_view npy_dtype_name(npy_dtype t) noexcept {
  switch (t) {
    case npy_dtype::float32: return "float32";
    case npy_dtype::float64: return "float64";
    case npy_dtype::int32: return "int32";
    case npy_dtype::int64: return "int64";
  }
  return "?";
}

namespace detail {

template <class T>
constexpr npy_dtype npy_dtype_of() {
  if constexpr (std::is_same_v<T, float>) return npy_dtype::float32;
  else if constexpr (std::is_same_v<T, double>) return npy_dtype::float64;
  else if constexpr (std::is_same_v<T, std::int32_t>) return npy_dtype::int32;
  else if constexpr (std::is_same_v<T, std::int64_t>) return npy_dtype::int64;
  else static_assert(sizeof(T) == 0, "segkit::npy supports float, double, int32_t and int64_t");
}

inline std::string_view npy_descr(npy_dtype t) noexcept {
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

/**
 * @brief Parses the header at the start of `bytes` (which must hold at least the whole header).
 * @param bytes   the file's first bytes.
 * @param source  name used in error messages (usually the file path).
 * @throws segkit::format_error for a bad magic string, unknown version, truncated or malformed
 * header, Fortran order, big-endian or unsupported dtypes.
 */
inline npy_header parse_npy_header(std::span<const char> bytes, std::string_view source) {
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

namespace detail {

struct npy_file {
  npy_header header;
  std::ifstream in;
};

inline npy_file open_npy(const std::filesystem::path& path) {
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

template <class Src, class T>
void read_converted(std::ifstream& in, T* out, std::size_t n, const std::string& source) {
  std::vector<Src> buffer(std::min<std::size_t>(n, std::size_t{1} << 16));
  for (std::size_t done = 0; done < n;) {
    const std::size_t m = std::min(buffer.size(), n - done);
    in.read(reinterpret_cast<char*>(buffer.data()), static_cast<std::streamsize>(m * sizeof(Src)));
    if (!in) throw_io("segkit::npy", fmt::format("cannot read '{}'", source));
    for (std::size_t i = 0; i < m; ++i) {
      if constexpr (std::is_integral_v<T> && sizeof(T) < sizeof(Src)) {
        if (buffer[i] < std::numeric_limits<T>::min() || buffer[i] > std::numeric_limits<T>::max()) {
          throw_invalid("segkit::npy", fmt::format("'{}': value {} at element {} does not fit in {} bits", source,
                                                   static_cast<long long>(buffer[i]), done + i, 8 * sizeof(T)));
        }
      }
      out[done + i] = static_cast<T>(buffer[i]);
    }
    done += m;
  }
}

// Reads `n` elements from the stream's position (all of them by default).
template <class T>
void read_npy_data(npy_file& f, T* out, const std::string& source, std::size_t n = static_cast<std::size_t>(-1)) {
  if (n == static_cast<std::size_t>(-1)) n = f.header.count();
  const npy_dtype want = npy_dtype_of<T>();
  const npy_dtype have = f.header.dtype;
  const bool want_float = want == npy_dtype::float32 || want == npy_dtype::float64;
  const bool have_float = have == npy_dtype::float32 || have == npy_dtype::float64;
  if (want_float != have_float) {
    throw_invalid("segkit::npy", fmt::format("'{}' holds {} but {} values were expected", source, npy_dtype_name(have),
                                             want_float ? "floating-point (float32 or float64)" : "integer (int32 or int64)"));
  }
  if (have == want) {
    f.in.read(reinterpret_cast<char*>(out), static_cast<std::streamsize>(n * sizeof(T)));
    if (!f.in) throw_io("segkit::npy", fmt::format("cannot read '{}'", source));
    return;
  }
  switch (have) {
    case npy_dtype::float32: read_converted<float>(f.in, out, n, source); break;
    case npy_dtype::float64: read_converted<double>(f.in, out, n, source); break;
    case npy_dtype::int32: read_converted<std::int32_t>(f.in, out, n, source); break;
    case npy_dtype::int64: read_converted<std::int64_t>(f.in, out, n, source); break;
  }
}

inline std::string shape_string(const std::vector<std::size_t>& shape) {
  return fmt::format("({})", fmt::join(shape, ", "));
}

}  // namespace detail

/// Reads only the header of a .npy file (e.g. to compute the offset of a slice of rows).
inline npy_header read_npy_header(const std::filesystem::path& path) { return detail::open_npy(path).header; }

/**
 * @brief Loads a 2-D .npy file as an owned matrix of T.
 *
 * float32 and float64 files load into float or double (converted if needed); int32 and int64
 * files load into int32_t or int64_t (narrowing is range-checked).
 * @throws segkit::io_error if the file cannot be read; segkit::format_error if it is malformed,
 * truncated, Fortran-ordered or of an unsupported dtype; segkit::invalid_argument if it is not
 * 2-D or holds the wrong kind of numbers.
 */
template <class T>
matrix<T> load_npy_matrix(const std::filesystem::path& path) {
  auto f = detail::open_npy(path);
  if (f.header.shape.size() != 2) {
    detail::throw_invalid("segkit::npy", fmt::format("'{}' has shape {}; a 2-D matrix was expected", path.string(),
                                                     detail::shape_string(f.header.shape)));
  }
  matrix<T> m = matrix<T>::from_shape({f.header.shape[0], f.header.shape[1]});
  detail::read_npy_data(f, m.data(), path.string());
  return m;
}

/**
 * @brief Loads rows [begin, begin + count) of a 2-D .npy file, reading only those bytes (each
 * process of a distributed run reads its own slice of a shared file this way).
 *
 * Same dtype rules as load_npy_matrix; the whole file's size is still checked against its header.
 * @throws segkit::invalid_argument if the file is not 2-D or the rows run past its end; as
 * load_npy_matrix otherwise.
 */
template <class T>
matrix<T> load_npy_rows(const std::filesystem::path& path, std::size_t begin, std::size_t count) {
  auto f = detail::open_npy(path);
  const auto& s = f.header.shape;
  if (s.size() != 2) {
    detail::throw_invalid("segkit::npy", fmt::format("'{}' has shape {}; a 2-D matrix was expected", path.string(), detail::shape_string(s)));
  }
  if (begin > s[0] || count > s[0] - begin) {
    detail::throw_invalid("segkit::npy", fmt::format("'{}': rows [{}, {}) asked for, the file has {} rows", path.string(), begin,
                                                     begin + count, s[0]));
  }
  matrix<T> m = matrix<T>::from_shape({count, s[1]});
  f.in.seekg(static_cast<std::streamoff>(f.header.data_offset + begin * s[1] * f.header.item_size()));
  detail::read_npy_data(f, m.data(), path.string(), count * s[1]);
  return m;
}

/// Loads a 1-D .npy file (a 2-D file with one column is accepted too). Same rules as load_npy_matrix.
template <class T>
xt::xtensor<T, 1> load_npy_vector(const std::filesystem::path& path) {
  auto f = detail::open_npy(path);
  const auto& s = f.header.shape;
  if (!(s.size() == 1 || (s.size() == 2 && s[1] == 1))) {
    detail::throw_invalid("segkit::npy", fmt::format("'{}' has shape {}; a 1-D array was expected", path.string(),
                                                     detail::shape_string(s)));
  }
  xt::xtensor<T, 1> v = xt::xtensor<T, 1>::from_shape({s[0]});
  detail::read_npy_data(f, v.data(), path.string());
  return v;
}

/// Loads a .npy file of any rank (0-D included) as an xarray. Same rules as load_npy_matrix.
template <class T>
xt::xarray<T> load_npy_array(const std::filesystem::path& path) {
  auto f = detail::open_npy(path);
  xt::xarray<T> a = xt::xarray<T>::from_shape(f.header.shape);
  detail::read_npy_data(f, a.data(), path.string());
  return a;
}

/**
 * @brief Writes `data` (shape given, C order) as a .npy file, atomically (temporary file, fsync,
 * rename). Version 1 header padded so the data start at a multiple of 64 bytes.
 */
template <class T>
void save_npy(const std::filesystem::path& path, const T* data, const std::vector<std::size_t>& shape) {
  std::string dims;
  for (auto s : shape) dims += fmt::format("{}, ", s);
  if (shape.size() > 1) dims.resize(dims.size() - 2);  // (3,) for 1-D, (3, 4) for 2-D
  std::string header = fmt::format("{{'descr': '{}', 'fortran_order': False, 'shape': ({}), }}",
                                   detail::npy_descr(detail::npy_dtype_of<T>()), dims);
  const std::size_t unpadded = 10 + header.size() + 1;
  header.append((64 - unpadded % 64) % 64, ' ');
  header.push_back('\n');
  if (header.size() > 65535) detail::throw_invalid("segkit::npy", "header too long for format version 1");
  std::string pre("\x93NUMPY\x01\x00", 8);
  pre.push_back(static_cast<char>(header.size() & 0xFF));
  pre.push_back(static_cast<char>(header.size() >> 8));
  std::size_t count = 1;
  for (auto s : shape) count *= s;
  atomic_file_writer w(path);
  w.write(pre.data(), pre.size());
  w.write(header.data(), header.size());
  w.write(data, count * sizeof(T));
  w.commit();
}

/// Writes a matrix view (any row stride) as a 2-D .npy file.
template <class T>
void save_npy(const std::filesystem::path& path, const matrix_view<T>& m) {
  if (m.stride() == m.cols() || m.rows() <= 1) {
    save_npy(path, m.data(), {m.rows(), m.cols()});
    return;
  }
  std::vector<T> packed(m.rows() * m.cols());
  for (std::size_t i = 0; i < m.rows(); ++i) std::copy_n(m.row(i), m.cols(), packed.data() + i * m.cols());
  save_npy(path, packed.data(), {m.rows(), m.cols()});
}

/// Writes an xtensor container (1-D or 2-D, row-major) as a .npy file.
template <class T, std::size_t N>
void save_npy(const std::filesystem::path& path, const xt::xtensor<T, N>& a) {
  static_assert(N == 1 || N == 2, "segkit::save_npy writes 1-D or 2-D arrays");
  save_npy(path, a.data(), std::vector<std::size_t>(a.shape().begin(), a.shape().end()));
}

}  // namespace segkit
