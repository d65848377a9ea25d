#pragma once
// The definitions of segkit/core/file.hpp's non-template functions
// (declared SEGKIT_FUNC there): included at that header's end in header-only mode; in compiled
// mode compiled once into segkit::segkit_compiled, after the header (cmake/segkit-compiled.cmake).
// Not for including on its own.

namespace segkit {

SEGKIT_FUNC atomic_file_writer::atomic_file_writer(std::filesystem::path target) : target_(std::move(target)) {
  // The replaced file's permission bits carry over (a 0600 file stays 0600); a new file gets
  // 0666 less the umask, as any other created file.
  struct ::stat old {};
  const bool replacing = ::stat(target_.c_str(), &old) == 0 && S_ISREG(old.st_mode);
  if (replacing) mode_ = static_cast<unsigned>(old.st_mode & 07777);
  // An unpredictable name, created exclusively and never through a symbolic link: a link planted
  // beside the target cannot redirect the write. Until commit() it is readable by the owner
  // alone when it replaces a file.
  for (int attempt = 0; fd_ < 0; ++attempt) {
    std::uint64_t nonce = 0;
    if (::getrandom(&nonce, sizeof nonce, 0) != static_cast<::ssize_t>(sizeof nonce)) {
      fail("cannot draw a random name (getrandom) for", target_);
    }
    temp_ = target_;
    temp_ += fmt::format(".tmp.{:016x}", nonce);
    fd_ = ::open(temp_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, replacing ? 0600 : 0666);
    if (fd_ < 0 && (errno != EEXIST || attempt == 15)) fail("cannot create", temp_);
  }
}

SEGKIT_FUNC atomic_file_writer::~atomic_file_writer() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_) ::unlink(temp_.c_str());
}

SEGKIT_FUNC void atomic_file_writer::write(const void* data, std::size_t size) {
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

SEGKIT_FUNC void atomic_file_writer::pad_to(std::size_t alignment) {
  static constexpr char zeros[64] = {};
  while (written_ % alignment != 0) write(zeros, std::min<std::size_t>(alignment - written_ % alignment, 64));
}

SEGKIT_FUNC void atomic_file_writer::commit() {
  if (mode_ != no_mode && ::fchmod(fd_, static_cast<::mode_t>(mode_)) != 0) fail("cannot set the permissions of", temp_);
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

SEGKIT_FUNC void atomic_file_writer::fail(std::string_view what, const std::filesystem::path& p) {
  detail::throw_io("segkit::atomic_file_writer", fmt::format("{} '{}': {}", what, p.string(), std::strerror(errno)));
}

}  // namespace segkit

namespace segkit {
namespace detail {

SEGKIT_FUNC void require_regular_file(const std::filesystem::path& path, std::string_view component) {
  struct ::stat st {};
  if (::stat(path.c_str(), &st) != 0) throw_io(component, fmt::format("cannot open '{}': {}", path.string(), std::strerror(errno)));
  if (!S_ISREG(st.st_mode)) throw_io(component, fmt::format("'{}' is not a regular file ({})", path.string(), file_type_name(st.st_mode)));
}

SEGKIT_FUNC std::pair<int, std::size_t> open_regular_file(const std::filesystem::path& path, std::string_view component) {
  require_regular_file(path, component);
  // O_NONBLOCK: should the path become a FIFO after the check above, opening it does not wait
  // for a writer (for a regular file the flag changes nothing).
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) throw_io(component, fmt::format("cannot open '{}': {}", path.string(), std::strerror(errno)));
  struct ::stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    throw_io(component, fmt::format("'{}' is not a regular file", path.string()));
  }
  return {fd, static_cast<std::size_t>(st.st_size)};
}

SEGKIT_FUNC const char* file_type_name(unsigned mode) noexcept {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

}  // namespace detail
}  // namespace segkit

namespace segkit {

SEGKIT_FUNC std::vector<char> read_file_bytes(const std::filesystem::path& path, std::string_view component) {
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

SEGKIT_FUNC mapped_file::mapped_file(const std::filesystem::path& path, std::string_view component) {
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

SEGKIT_FUNC mapped_file::~mapped_file() {
  if (data_ != nullptr) ::munmap(const_cast<char*>(data_), size_);
}

SEGKIT_FUNC std::vector<std::string> read_file_lines(const std::filesystem::path& path, std::string_view component) {
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
