#pragma once
/// @file
/// @brief Crash-safe file writing and bounds-checked reading of whole files.

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include "segkit/core/error.hpp"
#include "segkit/core/compiled.hpp"

namespace segkit {

/**
 * @brief Writes a file so that a crash at any moment leaves either the old file or the new one.
 *
 * Data go to a temporary file beside the target; commit() flushes it to disk (fsync), renames it
 * over the target, and syncs the directory. If commit() is never reached (an exception, a crash),
 * the target is untouched and the destructor removes the temporary file. The temporary file has
 * an unpredictable name and is created exclusively, never through a symbolic link (O_EXCL |
 * O_NOFOLLOW); the new file keeps the permission bits of the one it replaces (0666 less the umask
 * for a new file).
 * @par Thread safety  One writer per target at a time.
 */
class atomic_file_writer {
 public:
  SEGKIT_FUNC explicit atomic_file_writer(std::filesystem::path target);
  atomic_file_writer(const atomic_file_writer&) = delete;
  atomic_file_writer& operator=(const atomic_file_writer&) = delete;
  SEGKIT_FUNC ~atomic_file_writer();

  /// Appends `size` bytes.
  SEGKIT_FUNC void write(const void* data, std::size_t size);

  /// Appends zero bytes until the file size is a multiple of `alignment`.
  SEGKIT_FUNC void pad_to(std::size_t alignment);

  /// Bytes written so far.
  [[nodiscard]] std::uint64_t size() const noexcept { return written_; }

  /// Syncs the data, renames the temporary file over the target and syncs the directory.
  SEGKIT_FUNC void commit();

 private:
  [[noreturn]] SEGKIT_FUNC static void fail(std::string_view what, const std::filesystem::path& p);

  static constexpr unsigned no_mode = ~0u;

  std::filesystem::path target_;
  std::filesystem::path temp_;
  unsigned mode_ = no_mode;  // the replaced file's permission bits, given to the new one
  int fd_ = -1;
  std::uint64_t written_ = 0;
  bool committed_ = false;
};

namespace detail {

// Refuses (segkit::io_error) a path that is missing or not a regular file, before anything opens
// it: opening a FIFO for reading would wait for a writer forever.
SEGKIT_FUNC void require_regular_file(const std::filesystem::path& path, std::string_view component);
// "a directory", "a FIFO", ... for a stat mode that is not a regular file's.
SEGKIT_FUNC const char* file_type_name(unsigned mode) noexcept;
// Opens a regular file for reading: its descriptor and size. @throws segkit::io_error.
SEGKIT_FUNC std::pair<int, std::size_t> open_regular_file(const std::filesystem::path& path, std::string_view component);

}  // namespace detail

/// Reads a whole file into memory. @throws segkit::io_error naming the file and the reason.
SEGKIT_FUNC std::vector<char> read_file_bytes(const std::filesystem::path& path, std::string_view component);

/**
 * @brief A whole regular file mapped read-only (MAP_SHARED): its bytes live in the page cache,
 * shared with other processes that map it, and are read from disk as they are touched.
 *
 * The file must not be truncated or rewritten in place while mapped (access past a shrunk end
 * raises SIGBUS). segkit's own writers never do that: they write a temporary file and rename it
 * over the old one, which leaves an existing mapping on the old contents.
 * @throws segkit::io_error naming the file and the reason.
 */
class mapped_file {
 public:
  SEGKIT_FUNC mapped_file(const std::filesystem::path& path, std::string_view component);
  mapped_file(const mapped_file&) = delete;
  mapped_file& operator=(const mapped_file&) = delete;
  SEGKIT_FUNC ~mapped_file();
  /// The file's bytes.
  [[nodiscard]] std::span<const char> bytes() const noexcept { return {data_, size_}; }

 private:
  const char* data_ = nullptr;
  std::size_t size_ = 0;
};

namespace detail {

// An array that either owns its values or views values that live elsewhere (a section of a
// memory-mapped file, kept alive by its owner). Reads go through data() either way; writes go
// through owned(), which the owner calls only when it is not viewing (a read-only index refuses
// mutations before reaching them).
template <class T>
class owned_or_viewed {
 public:
  owned_or_viewed() = default;
  owned_or_viewed(std::vector<T> values) : own_(std::move(values)) {}  // NOLINT: implicit on purpose
  static owned_or_viewed viewing(std::span<const T> values) {
    owned_or_viewed a;
    a.view_ = values.data();
    a.view_size_ = values.size();
    a.viewing_ = true;
    return a;
  }
  [[nodiscard]] bool viewing() const noexcept { return viewing_; }
  [[nodiscard]] const T* data() const noexcept { return viewing_ ? view_ : own_.data(); }
  [[nodiscard]] std::size_t size() const noexcept { return viewing_ ? view_size_ : own_.size(); }
  [[nodiscard]] bool empty() const noexcept { return size() == 0; }
  const T& operator[](std::size_t i) const noexcept { return data()[i]; }
  [[nodiscard]] const T* begin() const noexcept { return data(); }
  [[nodiscard]] const T* end() const noexcept { return data() + size(); }
  std::vector<T>& owned() noexcept { return own_; }

 private:
  std::vector<T> own_;
  const T* view_ = nullptr;
  std::size_t view_size_ = 0;
  bool viewing_ = false;
};

}  // namespace detail

/// The lines of a text file (LF or CRLF; a final newline ends the last line, it does not start an
/// empty one; empty lines inside are kept). @throws segkit::io_error as read_file_bytes.
SEGKIT_FUNC std::vector<std::string> read_file_lines(const std::filesystem::path& path, std::string_view component);

}  // namespace segkit

#if !defined(SEGKIT_COMPILED)
#include "segkit/core/detail/file-inl.hpp"
#endif
