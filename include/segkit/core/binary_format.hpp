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
  explicit container_writer(std::string kind) : kind_(std::move(kind)) {
    if (kind_.size() > 31) detail::throw_invalid("segkit::container_writer", fmt::format("kind '{}' longer than 31 bytes", kind_));
  }

  /// Adds a section; `tag` is at most 8 bytes and unique in the file.
  void add(std::string tag, std::span<const char> bytes) {
    if (tag.empty() || tag.size() > 8) detail::throw_invalid("segkit::container_writer", fmt::format("section tag '{}' must be 1 to 8 bytes", tag));
    for (const auto& s : sections_) {
      if (s.tag == tag) detail::throw_invalid("segkit::container_writer", fmt::format("duplicate section tag '{}'", tag));
    }
    sections_.push_back({std::move(tag), bytes});
  }
  template <class T>
  void add_array(std::string tag, std::span<const T> values) {
    static_assert(std::is_trivially_copyable_v<T>);
    add(std::move(tag), {reinterpret_cast<const char*>(values.data()), values.size_bytes()});
  }
  /// add() that keeps its own copy of the bytes (for data that does not outlive commit()).
  void add_copy(std::string tag, std::span<const char> bytes) {
    owned_.emplace_back(bytes.begin(), bytes.end());
    add(std::move(tag), owned_.back());
  }
  /// add_array() that keeps its own copy of the values.
  template <class T>
  void add_array_copy(std::string tag, std::span<const T> values) {
    static_assert(std::is_trivially_copyable_v<T>);
    add_copy(std::move(tag), {reinterpret_cast<const char*>(values.data()), values.size_bytes()});
  }

  /// Writes the file: temporary file, fsync, rename.
  void commit(const std::filesystem::path& path) const {
    const auto head = header_and_table();
    atomic_file_writer w(path);
    w.write(head.data(), head.size());
    for (const auto& s : sections_) {
      w.pad_to(detail::container_alignment);
      w.write(s.bytes.data(), s.bytes.size());
    }
    w.commit();
  }

  /// The file's bytes in memory (to nest a container in another: see add_nested()).
  [[nodiscard]] std::vector<char> to_bytes() const {
    std::vector<char> out = header_and_table();
    for (const auto& s : sections_) {
      out.resize((out.size() + detail::container_alignment - 1) / detail::container_alignment * detail::container_alignment, '\0');
      out.insert(out.end(), s.bytes.begin(), s.bytes.end());
    }
    return out;
  }

 private:
  // The 64-byte header and the section table, each section's offset rounded up to the alignment.
  [[nodiscard]] std::vector<char> header_and_table() const {
    using namespace detail;
    std::vector<std::uint64_t> offsets;
    std::uint64_t pos = container_header_size + container_entry_size * sections_.size();
    for (const auto& s : sections_) {
      pos = (pos + container_alignment - 1) / container_alignment * container_alignment;
      offsets.push_back(pos);
      pos += s.bytes.size();
    }
    const std::uint64_t file_size = pos;

    std::vector<char> table;
    for (std::size_t i = 0; i < sections_.size(); ++i) {
      char tag[8] = {};
      std::memcpy(tag, sections_[i].tag.data(), sections_[i].tag.size());
      table.insert(table.end(), tag, tag + 8);
      put(table, offsets[i]);
      put(table, static_cast<std::uint64_t>(sections_[i].bytes.size()));
      put(table, crc32c(0, sections_[i].bytes.data(), sections_[i].bytes.size()));
      put(table, std::uint32_t{0});
    }
    std::vector<char> header(container_magic, container_magic + 8);
    put(header, container_version);
    put(header, static_cast<std::uint32_t>(sections_.size()));
    char kind[32] = {};
    std::memcpy(kind, kind_.data(), kind_.size());
    header.insert(header.end(), kind, kind + 32);
    put(header, file_size);
    put(header, crc32c(0, table.data(), table.size()));
    put(header, crc32c(0, header.data(), header.size()));
    header.insert(header.end(), table.begin(), table.end());
    return header;
  }

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
  [[nodiscard]] static container_reader map(const std::filesystem::path& path, std::string_view expected_kind_prefix, bool verify_sections = true) {
    auto m = std::make_shared<const mapped_file>(path, "segkit::container");
    const auto bytes = m->bytes();
    return container_reader(std::shared_ptr<const void>(m), bytes, path.string(), expected_kind_prefix, verify_sections);
  }

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

  container_reader(std::shared_ptr<const void> hold, std::span<const char> bytes, std::string name, std::string_view expected_kind_prefix,
                   bool verify_sections)
      : path_(std::move(name)), hold_(std::move(hold)), bytes_(bytes) {
    verify(expected_kind_prefix, verify_sections);
  }

  void verify(std::string_view expected_kind_prefix, bool verify_sections) {
    using namespace detail;
    if (bytes_.size() < container_header_size) fail(fmt::format("file is {} bytes, shorter than the 64-byte header (truncated?)", bytes_.size()));
    if (std::memcmp(bytes_.data(), container_magic, 8) != 0) fail("not a segkit file (bad magic)");
    if (crc32c(0, bytes_.data(), 60) != get<std::uint32_t>(60)) fail("header checksum mismatch (corrupted)");
    const auto version = get<std::uint32_t>(8);
    if (version != container_version) fail(fmt::format("container version {} is not supported (this segkit reads version {})", version, container_version));
    const auto count = get<std::uint32_t>(12);
    kind_.assign(bytes_.data() + 16, ::strnlen(bytes_.data() + 16, 32));
    if (kind_.rfind(expected_kind_prefix, 0) != 0) fail(fmt::format("holds '{}', expected '{}'", kind_, expected_kind_prefix));
    const auto file_size = get<std::uint64_t>(48);
    if (file_size != bytes_.size()) fail(fmt::format("file is {} bytes, header says {} (truncated or extended)", bytes_.size(), file_size));
    const std::uint64_t table_end = container_header_size + std::uint64_t{count} * container_entry_size;
    if (table_end > bytes_.size()) fail("section table runs past the end of the file");
    if (crc32c(0, bytes_.data() + container_header_size, table_end - container_header_size) != get<std::uint32_t>(56)) fail("section table checksum mismatch (corrupted)");
    for (std::uint32_t i = 0; i < count; ++i) {
      const std::size_t e = container_header_size + std::size_t{i} * container_entry_size;
      entry s;
      s.tag.assign(bytes_.data() + e, ::strnlen(bytes_.data() + e, 8));
      s.offset = get<std::uint64_t>(e + 8);
      s.size = get<std::uint64_t>(e + 16);
      if (s.offset < table_end || s.offset > bytes_.size() || s.size > bytes_.size() - s.offset) {
        fail(fmt::format("section '{}' (offset {}, size {}) lies outside the file", s.tag, s.offset, s.size));
      }
      if (verify_sections && crc32c(0, bytes_.data() + s.offset, s.size) != get<std::uint32_t>(e + 24)) {
        fail(fmt::format("section '{}' checksum mismatch (corrupted)", s.tag));
      }
      entries_.push_back(std::move(s));
    }
    // Sections may not overlap, and the padding between them must be zero: every byte of the
    // file is then either checksummed or checked.
    std::vector<std::pair<std::uint64_t, std::uint64_t>> spans;
    for (const auto& s : entries_) spans.emplace_back(s.offset, s.offset + s.size);
    std::sort(spans.begin(), spans.end());
    std::uint64_t cursor = table_end;
    for (const auto& [begin, end] : spans) {
      if (begin < cursor) fail("sections overlap");
      for (std::uint64_t i = cursor; i < begin; ++i) {
        if (bytes_[static_cast<std::size_t>(i)] != 0) fail(fmt::format("non-zero padding byte at offset {} (corrupted)", i));
      }
      cursor = end;
    }
    if (cursor != bytes_.size()) fail("bytes after the last section");
  }

 public:

  /// The kind string stored in the file.
  [[nodiscard]] const std::string& kind() const noexcept { return kind_; }

  /// True if the file has a section with this tag.
  [[nodiscard]] bool has(std::string_view tag) const noexcept {
    for (const auto& s : entries_) {
      if (s.tag == tag) return true;
    }
    return false;
  }

  /// Bytes of a section. @throws segkit::format_error if it is missing.
  [[nodiscard]] std::span<const char> section(std::string_view tag) const {
    for (const auto& s : entries_) {
      if (s.tag == tag) return {bytes_.data() + s.offset, static_cast<std::size_t>(s.size)};
    }
    fail(fmt::format("missing section '{}'", tag));
  }

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
  [[noreturn]] void fail(std::string_view what) const {
    detail::throw_format("segkit::container", fmt::format("'{}': {}", path_, what));
  }

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
  byte_writer& put_string(std::string_view s) {
    put(static_cast<std::uint64_t>(s.size()));
    bytes_.insert(bytes_.end(), s.begin(), s.end());
    return *this;
  }
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
  std::string get_string() {
    const auto n = get<std::uint64_t>();
    need(n);
    std::string s(bytes_.data() + pos_, static_cast<std::size_t>(n));
    pos_ += static_cast<std::size_t>(n);
    return s;
  }

 private:
  void need(std::uint64_t n) const {
    if (n > bytes_.size() - pos_) file_.fail("metadata section is shorter than its contents require");
  }
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
