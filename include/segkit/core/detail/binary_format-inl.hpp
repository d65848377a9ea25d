#pragma once
// The definitions of segkit/core/binary_format.hpp's non-template functions
// (declared SEGKIT_FUNC there): included at that header's end in header-only mode; in compiled
// mode compiled once into segkit::segkit_compiled, after the header (cmake/segkit-compiled.cmake).
// Not for including on its own.

namespace segkit {

SEGKIT_FUNC container_writer::container_writer(std::string kind) : kind_(std::move(kind)) {
  if (kind_.size() > 31) detail::throw_invalid("segkit::container_writer", fmt::format("kind '{}' longer than 31 bytes", kind_));
}

SEGKIT_FUNC void container_writer::add(std::string tag, std::span<const char> bytes) {
  if (tag.empty() || tag.size() > 8) detail::throw_invalid("segkit::container_writer", fmt::format("section tag '{}' must be 1 to 8 bytes", tag));
  for (const auto& s : sections_) {
    if (s.tag == tag) detail::throw_invalid("segkit::container_writer", fmt::format("duplicate section tag '{}'", tag));
  }
  sections_.push_back({std::move(tag), bytes});
}

SEGKIT_FUNC void container_writer::add_copy(std::string tag, std::span<const char> bytes) {
  owned_.emplace_back(bytes.begin(), bytes.end());
  add(std::move(tag), owned_.back());
}

SEGKIT_FUNC void container_writer::commit(const std::filesystem::path& path) const {
  const auto head = header_and_table();
  atomic_file_writer w(path);
  w.write(head.data(), head.size());
  for (const auto& s : sections_) {
    w.pad_to(detail::container_alignment);
    w.write(s.bytes.data(), s.bytes.size());
  }
  w.commit();
}

SEGKIT_FUNC std::vector<char> container_writer::to_bytes() const {
  std::vector<char> out = header_and_table();
  for (const auto& s : sections_) {
    out.resize((out.size() + detail::container_alignment - 1) / detail::container_alignment * detail::container_alignment, '\0');
    out.insert(out.end(), s.bytes.begin(), s.bytes.end());
  }
  return out;
}

SEGKIT_FUNC std::vector<char> container_writer::header_and_table() const {
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

SEGKIT_FUNC container_reader container_reader::map(const std::filesystem::path& path, std::string_view expected_kind_prefix, bool verify_sections) {
  auto m = std::make_shared<const mapped_file>(path, "segkit::container");
  const auto bytes = m->bytes();
  return container_reader(std::shared_ptr<const void>(m), bytes, path.string(), expected_kind_prefix, verify_sections);
}

SEGKIT_FUNC container_reader::container_reader(std::shared_ptr<const void> hold, std::span<const char> bytes, std::string name, std::string_view expected_kind_prefix, bool verify_sections) : path_(std::move(name)), hold_(std::move(hold)), bytes_(bytes) {
  verify(expected_kind_prefix, verify_sections);
}

SEGKIT_FUNC void container_reader::verify(std::string_view expected_kind_prefix, bool verify_sections) {
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

SEGKIT_FUNC bool container_reader::has(std::string_view tag) const noexcept {
  for (const auto& s : entries_) {
    if (s.tag == tag) return true;
  }
  return false;
}

SEGKIT_FUNC std::span<const char> container_reader::section(std::string_view tag) const {
  for (const auto& s : entries_) {
    if (s.tag == tag) return {bytes_.data() + s.offset, static_cast<std::size_t>(s.size)};
  }
  fail(fmt::format("missing section '{}'", tag));
}

SEGKIT_FUNC void container_reader::fail(std::string_view what) const {
  detail::throw_format("segkit::container", fmt::format("'{}': {}", path_, what));
}

SEGKIT_FUNC byte_writer& byte_writer::put_string(std::string_view s) {
  put(static_cast<std::uint64_t>(s.size()));
  bytes_.insert(bytes_.end(), s.begin(), s.end());
  return *this;
}

SEGKIT_FUNC std::string byte_reader::get_string() {
  const auto n = get<std::uint64_t>();
  need(n);
  std::string s(bytes_.data() + pos_, static_cast<std::size_t>(n));
  pos_ += static_cast<std::size_t>(n);
  return s;
}

SEGKIT_FUNC void byte_reader::need(std::uint64_t n) const {
  if (n > bytes_.size() - pos_) file_.fail("metadata section is shorter than its contents require");
}

}  // namespace segkit
