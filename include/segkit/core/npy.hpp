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
#include "segkit/core/compiled.hpp"

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
SEGKIT_FUNC std::string_view npy_dtype_name(npy_dtype t) noexcept;

namespace detail {

template <class T>
constexpr npy_dtype npy_dtype_of() {
  if constexpr (std::is_same_v<T, float>) return npy_dtype::float32;
  else if constexpr (std::is_same_v<T, double>) return npy_dtype::float64;
  else if constexpr (std::is_same_v<T, std::int32_t>) return npy_dtype::int32;
  else if constexpr (std::is_same_v<T, std::int64_t>) return npy_dtype::int64;
  else static_assert(sizeof(T) == 0, "segkit::npy supports float, double, int32_t and int64_t");
}

SEGKIT_FUNC std::string_view npy_descr(npy_dtype t) noexcept;
}  // namespace detail

/**
 * @brief Parses the header at the start of `bytes` (which must hold at least the whole header).
 * @param bytes   the file's first bytes.
 * @param source  name used in error messages (usually the file path).
 * @throws segkit::format_error for a bad magic string, unknown version, truncated or malformed
 * header, Fortran order, big-endian or unsupported dtypes.
 */
SEGKIT_FUNC npy_header parse_npy_header(std::span<const char> bytes, std::string_view source);

namespace detail {

struct npy_file {
  npy_header header;
  std::ifstream in;
};

SEGKIT_FUNC npy_file open_npy(const std::filesystem::path& path);

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

SEGKIT_FUNC std::string shape_string(const std::vector<std::size_t>& shape);

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

#if !defined(SEGKIT_COMPILED)
#include "segkit/core/detail/npy-inl.hpp"
#endif
