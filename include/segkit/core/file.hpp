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
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include "segkit/core/error.hpp"

namespace segkit {

/**
 * @brief Writes a file so that a crash at any moment leaves either the old file or the new one.
 *
 * Data go to a temporary file beside the target; commit() flushes it to disk (fsync), renames it
 * over the target, and syncs the directory. If commit() is never reached (an exception, a crash),
 * the target is untouched and the destructor removes the temporary file.
 * @par Thread safety  One writer per target at a time.
 */
class atomic_file_writer {
 public:
  explicit atomic_file_writer(std::filesystem::path target) : target_(std::move(target)) {
    static std::atomic<unsigned> counter{0};  // distinct temp names for writers in one process
    temp_ = target_;
    temp_ += fmt::format(".tmp.{}.{}", ::getpid(), counter.fetch_add(1));
    fd_ = ::open(temp_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd_ < 0) fail("cannot create", temp_);
  }
  atomic_file_writer(const atomic_file_writer&) = delete;
  atomic_file_writer& operator=(const atomic_file_writer&) = delete;
  ~atomic_file_writer() {
    if (fd_ >= 0) ::close(fd_);
    if (!committed_) ::unlink(temp_.c_str());
  }

  /// Appends `size` bytes.
  void write(const void* data, std::size_t size) {
    const auto* p = static_cast<const char*>(data);
    while (size > 0) {
      const ::ssize_t n = ::write(fd_, p, size);
      if (n < 0) {
        if (errno == EINTR) continue;
        fail("cannot write", temp_);
      }
      p += n;
      size -= static_cast<std::size_t>(n);
      written_ += static_cast<std::uint64_t>(n);
    }
  }

  /// Appends zero bytes until the file size is a multiple of `alignment`.
  void pad_to(std::size_t alignment) {
    static constexpr char zeros[64] = {};
    while (written_ % alignment != 0) write(zeros, std::min<std::size_t>(alignment - written_ % alignment, 64));
  }

  /// Bytes written so far.
  [[nodiscard]] std::uint64_t size() const noexcept { return written_; }

  /// Syncs the data, renames the temporary file over the target and syncs the directory.
  void commit() {
    if (::fsync(fd_) != 0) fail("cannot sync", temp_);
    if (::close(fd_) != 0) {
      fd_ = -1;
      fail("cannot close", temp_);
    }
    fd_ = -1;
    if (::rename(temp_.c_str(), target_.c_str()) != 0) fail("cannot rename to", target_);
    committed_ = true;
    auto dir = target_.parent_path();
    if (dir.empty()) dir = ".";
    const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
      ::fsync(dfd);  // best effort: some file systems refuse directory sync
      ::close(dfd);
    }
  }

 private:
  [[noreturn]] static void fail(std::string_view what, const std::filesystem::path& p) {
    detail::throw_io("segkit::atomic_file_writer", fmt::format("{} '{}': {}", what, p.string(), std::strerror(errno)));
  }

  std::filesystem::path target_;
  std::filesystem::path temp_;
  int fd_ = -1;
  std::uint64_t written_ = 0;
  bool committed_ = false;
};

namespace detail {

// Opens a regular file for reading: its descriptor and size. @throws segkit::io_error.
inline std::pair<int, std::size_t> open_regular_file(const std::filesystem::path& path, std::string_view component) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw_io(component, fmt::format("cannot open '{}': {}", path.string(), std::strerror(errno)));
  struct ::stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    throw_io(component, fmt::format("'{}' is not a regular file", path.string()));
  }
  return {fd, static_cast<std::size_t>(st.st_size)};
}

}  // namespace detail

/// Reads a whole file into memory. @throws segkit::io_error naming the file and the reason.
inline std::vector<char> read_file_bytes(const std::filesystem::path& path, std::string_view component) {
  const auto [fd, size] = detail::open_regular_file(path, component);
  std::vector<char> bytes(size);
  std::size_t got = 0;
  while (got < bytes.size()) {
    const ::ssize_t n = ::read(fd, bytes.data() + got, bytes.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int e = errno;
      ::close(fd);
      detail::throw_io(component, fmt::format("cannot read '{}': {}", path.string(), n == 0 ? "file shrank" : std::strerror(e)));
    }
    got += static_cast<std::size_t>(n);
  }
  ::close(fd);
  return bytes;
}

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
  mapped_file(const std::filesystem::path& path, std::string_view component) {
    const auto [fd, size] = detail::open_regular_file(path, component);
    size_ = size;
    if (size_ != 0) {
      void* p = ::mmap(nullptr, size_, PROT_READ, MAP_SHARED, fd, 0);
      if (p == MAP_FAILED) {
        const int e = errno;
        ::close(fd);
        detail::throw_io(component, fmt::format("cannot map '{}': {}", path.string(), std::strerror(e)));
      }
      data_ = static_cast<const char*>(p);
    }
    ::close(fd);  // the mapping stays valid
  }
  mapped_file(const mapped_file&) = delete;
  mapped_file& operator=(const mapped_file&) = delete;
  ~mapped_file() {
    if (data_ != nullptr) ::munmap(const_cast<char*>(data_), size_);
  }
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
inline std::vector<std::string> read_file_lines(const std::filesystem::path& path, std::string_view component) {
  const auto bytes = read_file_bytes(path, component);
  std::vector<std::string> lines;
  std::string line;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (bytes[i] != '\n') {
      line.push_back(bytes[i]);
      continue;
    }
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(std::move(line));
    line.clear();
  }
  if (!line.empty()) {
    if (line.back() == '\r') line.pop_back();
    lines.push_back(std::move(line));
  }
  return lines;
}

}  // namespace segkit
