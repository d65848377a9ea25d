#pragma once
/// @file
/// @brief segkit's versioned, checksummed, sectioned binary container (indexes, fitted models).
///
/// Layout (all integers little-endian):
/// ```
/// offset 0   header, 64 bytes:
///            magic "SEGKITF\0" (8) | u32 container version | u32 section count
///            kind, NUL-padded (32)  | u64 file size | u32 table CRC-32C | u32 header CRC-32C (bytes 0..59)
/// offset 64  section table: per section 32 bytes: tag, NUL-padded (8) | u64 offset | u64 size | u32 CRC-32C | u32 0
/// then       sections, each starting at a multiple of 64 bytes (mmap-friendly)
/// ```
/// A reader checks the magic, version, kind, size, every checksum and every bound before
/// trusting a byte; any mismatch is a segkit::format_error saying what is wrong.

#include <algorithm>
#include <bit>
#include <cmath>
#include <concepts>
#include <utility>
#include <cstddef>
#include <deque>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <fmt/format.h>

#include "segkit/core/checksum.hpp"
#include "segkit/core/error.hpp"
#include "segkit/core/file.hpp"
#include "segkit/core/compiled.hpp"

namespace segkit {

static_assert(std::endian::native == std::endian::little,
              "segkit's file formats are little-endian; big-endian hosts are not supported yet");

/// Version of the container layout written by this segkit.
inline constexpr std::uint32_t container_version = 1;

namespace detail {
inline constexpr char container_magic[8] = {'S', 'E', 'G', 'K', 'I', 'T', 'F', '\0'};
inline constexpr std::size_t container_header_size = 64;
inline constexpr std::size_t container_entry_size = 32;
inline constexpr std::size_t container_alignment = 64;

template <class T>
void put(std::vector<char>& out, const T& v) {
  static_assert(std::is_trivially_copyable_v<T>);
  const auto* p = reinterpret_cast<const char*>(&v);
  out.insert(out.end(), p, p + sizeof(T));
}
}  // namespace detail

/**
 * @brief Accumulates named sections and writes them atomically (see atomic_file_writer).
 * Sections reference the caller's bytes until commit(): keep them alive until then.
 */
class container_writer {
 public:
  /// `kind` names what the file holds (at most 31 bytes), e.g. "segkit.index.flat".
  SEGKIT_FUNC explicit container_writer(std::string kind);

  /// Adds a section; `tag` is at most 8 bytes and unique in the file.
  SEGKIT_FUNC void add(std::string tag, std::span<const char> bytes);
  template <class T>
  void add_array(std::string tag, std::span<const T> values) {
    static_assert(std::is_trivially_copyable_v<T>);
    add(std::move(tag), {reinterpret_cast<const char*>(values.data()), values.size_bytes()});
  }
  /// add() that keeps its own copy of the bytes (for data that does not outlive commit()).
  SEGKIT_FUNC void add_copy(std::string tag, std::span<const char> bytes);
  /// add_array() that keeps its own copy of the values.
  template <class T>
  void add_array_copy(std::string tag, std::span<const T> values) {
    static_assert(std::is_trivially_copyable_v<T>);
    add_copy(std::move(tag), {reinterpret_cast<const char*>(values.data()), values.size_bytes()});
  }

  /// Writes the file: temporary file, fsync, rename.
  SEGKIT_FUNC void commit(const std::filesystem::path& path) const;

  /// The file's bytes in memory (to nest a container in another: see add_nested()).
  [[nodiscard]] SEGKIT_FUNC std::vector<char> to_bytes() const;

 private:
  // The 64-byte header and the section table, each section's offset rounded up to the alignment.
  [[nodiscard]] SEGKIT_FUNC std::vector<char> header_and_table() const;

  struct section {
    std::string tag;
    std::span<const char> bytes;
  };
  std::string kind_;
  std::vector<section> sections_;
  std::deque<std::vector<char>> owned_;  // bytes of add_copy(); a deque keeps them in place as it grows
};

/**
 * @brief A container file read into memory and fully verified.
 * @throws segkit::io_error if the file cannot be read; segkit::format_error if it is not a segkit
 * container, is truncated or corrupted, of another container version, or of another kind.
 */
class container_reader {
 public:
  container_reader(const std::filesystem::path& path, std::string_view expected_kind_prefix)
      : container_reader(std::make_shared<const std::vector<char>>(read_file_bytes(path, "segkit::container")), path.string(), expected_kind_prefix) {}

  /// A container held in memory (a section of another: see read_nested()); `name` stands for the
  /// file in error messages.
  container_reader(std::vector<char> bytes, std::string name, std::string_view expected_kind_prefix)
      : container_reader(std::make_shared<const std::vector<char>>(std::move(bytes)), std::move(name), expected_kind_prefix) {}

  /**
   * @brief A container file mapped read-only (see segkit::mapped_file) instead of read: opening
   * costs no copy, and section views (view()) point into the page cache. Verified like a read
   * file — every checksum, so every page is read once — unless `verify_sections` is false, which
   * checks the header, the section table and every bound but not the sections' checksums (for
   * instant opens of large trusted files; a damaged section then goes unnoticed).
   */
  [[nodiscard]] SEGKIT_FUNC static container_reader map(const std::filesystem::path& path, std::string_view expected_kind_prefix, bool verify_sections = true);

  /// What keeps the bytes alive (the vector read, or the mapping): hold it as long as a view() is used.
  [[nodiscard]] const std::shared_ptr<const void>& storage() const noexcept { return hold_; }

  /// A section as `count` values of T, in place (no copy; valid while storage() lives).
  /// @throws segkit::format_error on a size mismatch.
  template <class T>
  [[nodiscard]] std::span<const T> view(std::string_view tag, std::size_t count) const {
    static_assert(std::is_trivially_copyable_v<T> && alignof(T) <= detail::container_alignment);
    const auto s = section(tag);
    if (count > s.size() / sizeof(T) || s.size() != count * sizeof(T)) {
      fail(fmt::format("section '{}' has {} bytes, expected {} ({} values of {} bytes)", tag, s.size(), count * sizeof(T), count, sizeof(T)));
    }
    if (reinterpret_cast<std::uintptr_t>(s.data()) % alignof(T) != 0) fail(fmt::format("section '{}' is not aligned for its values", tag));
    return {reinterpret_cast<const T*>(s.data()), count};
  }

  /// A section as an owned copy (array()) or, if `in_place`, as a view() into storage().
  template <class T>
  [[nodiscard]] detail::owned_or_viewed<T> array_or_view(std::string_view tag, std::size_t count, bool in_place) const {
    if (in_place) return detail::owned_or_viewed<T>::viewing(view<T>(tag, count));
    return array<T>(tag, count);
  }

  /// The file's path (or the name given to an in-memory container).
  [[nodiscard]] const std::string& name() const noexcept { return path_; }

 private:
  container_reader(std::shared_ptr<const std::vector<char>> bytes, std::string name, std::string_view expected_kind_prefix)
      : container_reader(std::shared_ptr<const void>(bytes), std::span<const char>(*bytes), std::move(name), expected_kind_prefix, true) {}

  SEGKIT_FUNC container_reader(std::shared_ptr<const void> hold, std::span<const char> bytes, std::string name, std::string_view expected_kind_prefix, bool verify_sections);

  SEGKIT_FUNC void verify(std::string_view expected_kind_prefix, bool verify_sections);

 public:

  /// The kind string stored in the file.
  [[nodiscard]] const std::string& kind() const noexcept { return kind_; }

  /// True if the file has a section with this tag.
  [[nodiscard]] SEGKIT_FUNC bool has(std::string_view tag) const noexcept;

  /// Bytes of a section. @throws segkit::format_error if it is missing.
  [[nodiscard]] SEGKIT_FUNC std::span<const char> section(std::string_view tag) const;

  /// Section copied into `count` values of T. @throws segkit::format_error on a size mismatch.
  template <class T>
  [[nodiscard]] std::vector<T> array(std::string_view tag, std::size_t count) const {
    static_assert(std::is_trivially_copyable_v<T>);
    const auto s = section(tag);
    if (count > s.size() / sizeof(T) || s.size() != count * sizeof(T)) {
      fail(fmt::format("section '{}' has {} bytes, expected {} ({} values of {} bytes)", tag, s.size(), count * sizeof(T), count, sizeof(T)));
    }
    std::vector<T> out(count);
    if (count != 0) std::memcpy(out.data(), s.data(), s.size());
    return out;
  }

  /// array() of floating-point values that must all be finite. @throws segkit::format_error naming the section otherwise.
  template <class T>
  [[nodiscard]] std::vector<T> finite_array(std::string_view tag, std::size_t count) const {
    static_assert(std::is_floating_point_v<T>);
    auto out = array<T>(tag, count);
    for (std::size_t i = 0; i < out.size(); ++i) {
      if (!std::isfinite(out[i])) fail(fmt::format("section '{}' holds a non-finite value at {}", tag, i));
    }
    return out;
  }

  /// Reports a problem with this file as a segkit::format_error.
  [[noreturn]] SEGKIT_FUNC void fail(std::string_view what) const;

 private:
  template <class T>
  T get(std::size_t offset) const {
    T v;
    std::memcpy(&v, bytes_.data() + offset, sizeof(T));
    return v;
  }
  struct entry {
    std::string tag;
    std::uint64_t offset = 0;
    std::uint64_t size = 0;
  };
  std::string path_;
  std::shared_ptr<const void> hold_;  // owns the bytes: a std::vector<char> read, or a mapped_file
  std::span<const char> bytes_;
  std::string kind_;
  std::vector<entry> entries_;
};

/// Builds small metadata sections: fixed-size values and length-prefixed strings.
class byte_writer {
 public:
  template <class T>
  byte_writer& put(const T& v) {
    detail::put(bytes_, v);
    return *this;
  }
  SEGKIT_FUNC byte_writer& put_string(std::string_view s);
  [[nodiscard]] std::span<const char> bytes() const noexcept { return bytes_; }

 private:
  std::vector<char> bytes_;
};

/// Reads what byte_writer wrote, with a bounds check on every read.
class byte_reader {
 public:
  byte_reader(std::span<const char> bytes, const container_reader& file) : bytes_(bytes), file_(file) {}
  template <class T>
  T get() {
    static_assert(std::is_trivially_copyable_v<T>);
    need(sizeof(T));
    T v;
    std::memcpy(&v, bytes_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }
  SEGKIT_FUNC std::string get_string();

 private:
  SEGKIT_FUNC void need(std::uint64_t n) const;
  std::span<const char> bytes_;
  const container_reader& file_;
  std::size_t pos_ = 0;
};

/**
 * @brief A fitted model that can be written into a container and read back: the protocol every
 * saved model follows, so that a pipeline can keep its stages in one file.
 *
 * `M::container_kind` names the container kind ("segkit.model.kmeans"); `m.write_to(w)` adds the
 * model's sections to a writer of that kind (keeping its own copies of temporary bytes:
 * container_writer::add_copy); `M::read_from(r)` checks and rebuilds the model from them.
 */
template <class M>
concept storable_model = requires(const M& m, container_writer& w, const container_reader& r) {
  { M::container_kind } -> std::convertible_to<std::string_view>;
  m.write_to(w);
  { M::read_from(r) } -> std::same_as<M>;
};

/// Writes a storable model to its own file (atomic, checksummed).
template <storable_model M>
void save_model(const M& m, const std::filesystem::path& path) {
  container_writer w{std::string(M::container_kind)};
  m.write_to(w);
  w.commit(path);
}

/// Reads a model written by save_model(). @throws segkit::io_error / segkit::format_error.
template <storable_model M>
[[nodiscard]] M load_model(const std::filesystem::path& path) {
  return M::read_from(container_reader(path, M::container_kind));
}

/// Adds `m` as one section of `outer`: a complete container of the model's kind, nested.
template <storable_model M>
void add_nested(container_writer& outer, std::string tag, const M& m) {
  container_writer inner{std::string(M::container_kind)};
  m.write_to(inner);
  const auto bytes = inner.to_bytes();
  outer.add_copy(std::move(tag), bytes);
}

/// Reads a model nested by add_nested(). @throws segkit::format_error if the section is missing, or
/// is not a valid container of M's kind (the message names the outer file and the tag).
template <storable_model M>
[[nodiscard]] M read_nested(const container_reader& outer, std::string_view tag) {
  const auto s = outer.section(tag);
  return M::read_from(container_reader(std::vector<char>(s.begin(), s.end()), fmt::format("{} [{}]", outer.name(), tag), M::container_kind));
}

}  // namespace segkit

#if !defined(SEGKIT_COMPILED)
#include "segkit/core/detail/binary_format-inl.hpp"
#endif
