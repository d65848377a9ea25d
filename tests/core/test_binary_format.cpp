#include <catch2/catch.hpp>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <sys/stat.h>
#include <unistd.h>

#include <segkit/core/binary_format.hpp>
#include <segkit/core/checksum.hpp>
#include <segkit/core/npy.hpp>
#include <segkit/core/sha256.hpp>
#include <segkit/core/sha256.hpp>

#include <fmt/format.h>
#include <unistd.h>

namespace fs = std::filesystem;

namespace {
fs::path temp_path(const std::string& name) {
  const auto dir = fs::temp_directory_path() / "segkit_test_container";
  fs::create_directories(dir);
  return dir / name;
}
std::string read_bytes(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}
void write_bytes(const fs::path& p, const std::string& b) {
  std::ofstream f(p, std::ios::binary | std::ios::trunc);
  f << b;
}
}  // namespace

TEST_CASE("crc32c matches the standard check value", "[core][checksum]") {
  CHECK(segkit::crc32c(0, "123456789", 9) == 0xE3069283U);
  CHECK(segkit::crc32c(0, "", 0) == 0U);
  // Incremental use equals one pass, across the 8-byte fast path boundary.
  const std::string s = "The quick brown fox jumps over the lazy dog";
  const auto whole = segkit::crc32c(0, s.data(), s.size());
  const auto split = segkit::crc32c(segkit::crc32c(0, s.data(), 13), s.data() + 13, s.size() - 13);
  CHECK(whole == split);
  CHECK(whole == 0x22620404U);
}

TEST_CASE("container: sections round-trip and are 64-byte aligned", "[core][container]") {
  const auto p = temp_path("ok.seg");
  std::vector<double> values = {1.5, -2.0, 3.25};
  segkit::byte_writer meta;
  meta.put(std::uint32_t{7}).put_string("cosine");
  segkit::container_writer w("segkit.test.thing");
  w.add("meta", meta.bytes());
  w.add_array<double>("values", values);
  w.commit(p);

  const segkit::container_reader r(p, "segkit.test.");
  CHECK(r.kind() == "segkit.test.thing");
  CHECK(r.has("values"));
  CHECK_FALSE(r.has("other"));
  CHECK(r.array<double>("values", 3) == values);
  segkit::byte_reader m(r.section("meta"), r);
  CHECK(m.get<std::uint32_t>() == 7);
  CHECK(m.get_string() == "cosine");
  CHECK_THROWS_WITH(m.get<std::uint64_t>(), Catch::Contains("metadata section is shorter"));
  CHECK_THROWS_WITH(r.section("other"), Catch::Contains("missing section 'other'"));
  CHECK_THROWS_WITH(r.array<double>("values", 4), Catch::Contains("section 'values' has 24 bytes, expected 32"));
  const std::string bytes = read_bytes(p);
  CHECK(bytes.size() % 64 == 24);  // last section (24 bytes) starts on a 64-byte boundary
  CHECK_THROWS_WITH(segkit::container_reader(p, "segkit.index."), Catch::Contains("holds 'segkit.test.thing', expected 'segkit.index.'"));
}

TEST_CASE("container: every flipped byte and every truncation is detected", "[core][container]") {
  const auto p = temp_path("flip.seg");
  std::vector<float> values(40);
  for (std::size_t i = 0; i < values.size(); ++i) values[i] = static_cast<float>(i) * 0.5f;
  segkit::container_writer w("segkit.test.flip");
  w.add_array<float>("a", values);
  w.add_array<float>("b", std::span<const float>(values).first(3));
  w.commit(p);
  const std::string good = read_bytes(p);
  const auto bad = temp_path("flip_bad.seg");
  for (std::size_t i = 0; i < good.size(); ++i) {
    std::string b = good;
    b[i] = static_cast<char>(b[i] ^ 0x20);
    write_bytes(bad, b);
    INFO("flipped byte " << i);
    CHECK_THROWS_AS(segkit::container_reader(bad, "segkit.test."), segkit::format_error);
  }
  for (std::size_t n = 0; n < good.size(); n += 7) {
    write_bytes(bad, good.substr(0, n));
    INFO("truncated to " << n);
    CHECK_THROWS_AS(segkit::container_reader(bad, "segkit.test."), segkit::format_error);
  }
  write_bytes(bad, good + std::string(64, '\0'));
  CHECK_THROWS_WITH(segkit::container_reader(bad, "segkit.test."), Catch::Contains("truncated or extended"));
}

TEST_CASE("container: a failed write leaves the previous file intact", "[core][container]") {
  const auto p = temp_path("keep.seg");
  std::vector<float> v1 = {1, 2, 3};
  segkit::container_writer w1("segkit.test.keep");
  w1.add_array<float>("v", v1);
  w1.commit(p);
  {
    segkit::atomic_file_writer aborted(p);  // destroyed without commit, as if the process stopped
    aborted.write("garbage", 7);
  }
  const segkit::container_reader r(p, "segkit.test.");
  CHECK(r.array<float>("v", 3) == v1);
  // No temporary file is left behind.
  std::size_t files = 0;
  for (const auto& e : fs::directory_iterator(p.parent_path())) files += e.path().filename().string().rfind("keep.seg", 0) == 0;
  CHECK(files == 1);
  CHECK_THROWS_AS(segkit::atomic_file_writer("/nonexistent-dir/x.seg"), segkit::io_error);
  CHECK_THROWS_WITH(segkit::container_writer("a-kind-name-that-is-far-too-long-for-it"), Catch::Contains("longer than 31 bytes"));
}

TEST_CASE("atomic writes: unpredictable temporary names, never through a link, the replaced file's mode", "[core][container]") {
  const auto dir = temp_path("atomic-dir");
  fs::remove_all(dir);
  fs::create_directories(dir);
  const auto target = dir / "model.seg";
  // Links planted where the old predictable names (".tmp.<pid>.<n>") would go, pointing at a
  // file the write must not touch: the writer ignores them and the victim is unchanged.
  const auto victim = dir / "victim";
  write_bytes(victim, "precious");
  for (int n = 0; n < 4; ++n) fs::create_symlink(victim, fs::path(target.string() + fmt::format(".tmp.{}.{}", ::getpid(), n)));
  const auto save = [&](std::string_view text) {
    segkit::atomic_file_writer w(target);
    w.write(text.data(), text.size());
    w.commit();
  };
  save("one");
  CHECK(read_bytes(victim) == "precious");
  CHECK(read_bytes(target) == "one");
  // A file the owner alone may read stays so when it is replaced (it became 0644 before).
  fs::permissions(target, fs::perms::owner_read | fs::perms::owner_write, fs::perm_options::replace);
  save("two");
  CHECK(read_bytes(target) == "two");
  CHECK((fs::status(target).permissions() & fs::perms::all) == (fs::perms::owner_read | fs::perms::owner_write));
  fs::permissions(target, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read, fs::perm_options::replace);
  save("three");
  CHECK((fs::status(target).permissions() & fs::perms::all) == (fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read));
  // Two writers of one target never share a temporary file.
  segkit::atomic_file_writer a(target), b(target);
  a.write("a", 1);
  b.write("b", 1);
  a.commit();
  b.commit();
  CHECK(read_bytes(target) == "b");
  std::size_t left = 0;
  for (const auto& e : fs::directory_iterator(dir)) left += e.path().filename().string().find(".tmp.") != std::string::npos && !fs::is_symlink(e.symlink_status());
  CHECK(left == 0);
  fs::remove_all(dir);
}

TEST_CASE("readers refuse a FIFO, a directory or a device at once instead of waiting on it", "[core][container]") {
  const auto fifo = temp_path("input.fifo");
  fs::remove(fifo);
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  // Opening a FIFO for reading waits for a writer: before the check, these calls never returned.
  CHECK_THROWS_WITH(segkit::read_file_bytes(fifo, "test"), Catch::Contains("is not a regular file (a FIFO)"));
  CHECK_THROWS_WITH(segkit::container_reader(fifo, "segkit."), Catch::Contains("is not a regular file (a FIFO)"));
  CHECK_THROWS_WITH(segkit::load_npy_matrix<float>(fifo), Catch::Contains("is not a regular file (a FIFO)"));
  CHECK_THROWS_WITH(segkit::sha256_file(fifo), Catch::Contains("is not a regular file (a FIFO)"));
  CHECK_THROWS_WITH(segkit::read_file_lines(fifo.parent_path(), "test"), Catch::Contains("is not a regular file (a directory)"));
  CHECK_THROWS_WITH(segkit::read_file_bytes("/dev/zero", "test"), Catch::Contains("is not a regular file (a character device)"));
  CHECK_THROWS_WITH(segkit::read_file_bytes(fifo.string() + ".missing", "test"), Catch::Contains("cannot open"));
  fs::remove(fifo);
}

namespace {
// A minimal storable model, to test the protocol itself.
struct tiny_model {
  std::vector<double> w;
  static constexpr std::string_view container_kind = "segkit.test.tiny";
  void write_to(segkit::container_writer& out) const { out.add_array<double>("w", std::span<const double>(w)); }
  static tiny_model read_from(const segkit::container_reader& r) {
    const auto s = r.section("w");
    return {r.array<double>("w", s.size() / sizeof(double))};
  }
};
static_assert(segkit::storable_model<tiny_model>);
}  // namespace

TEST_CASE("container: to_bytes() is the committed file; in-memory readers and nested models", "[core][container]") {
  const auto p = temp_path("mem.seg");
  std::vector<double> values = {1.0, 2.0, 3.0};
  segkit::container_writer w("segkit.test.mem");
  w.add_array<double>("v", values);
  w.add_copy("s", std::span<const char>("abc", 3));
  w.commit(p);
  const auto image = w.to_bytes();
  CHECK(std::string(image.begin(), image.end()) == read_bytes(p));
  const segkit::container_reader r(image, "<memory>", "segkit.test.mem");
  CHECK(r.name() == "<memory>");
  CHECK(r.array<double>("v", 3) == values);

  // Two models nested in one file, each read back by its tag; a wrong tag or damage is named.
  const tiny_model a{{0.5, 1.5}}, b{{-4.0}};
  segkit::container_writer outer("segkit.test.outer");
  segkit::add_nested(outer, "first", a);
  segkit::add_nested(outer, "second", b);
  outer.commit(p);
  const segkit::container_reader file(p, "segkit.test.outer");
  CHECK(segkit::read_nested<tiny_model>(file, "first").w == a.w);
  CHECK(segkit::read_nested<tiny_model>(file, "second").w == b.w);
  CHECK_THROWS_WITH(segkit::read_nested<tiny_model>(file, "third"), Catch::Contains("missing section 'third'"));
  segkit::save_model(a, p);
  CHECK(segkit::load_model<tiny_model>(p).w == a.w);
  CHECK_THROWS_WITH(segkit::container_reader(image, "<memory>", "segkit.test.tiny"), Catch::Contains("'<memory>': holds 'segkit.test.mem'"));
  auto broken = image;
  broken.resize(broken.size() - 1);
  CHECK_THROWS_WITH(segkit::container_reader(broken, "<memory>", "segkit.test."), Catch::Contains("truncated"));
}

TEST_CASE("sha256: the FIPS 180-4 examples, pieces of any size, files as sha256sum prints them", "[core][sha256]") {
  // Known answers from FIPS 180-4's examples (NIST CSRC "SHA256.pdf") and the empty message.
  CHECK(segkit::sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(segkit::sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(segkit::sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  // One million 'a', fed in pieces of 7 bytes (crossing block boundaries everywhere).
  segkit::sha256 h;
  const std::string a(1000000, 'a');
  for (std::size_t i = 0; i < a.size(); i += 7) h.update(std::string_view(a).substr(i, 7));
  CHECK(h.hex() == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  // Lengths around the padding boundary (55, 56, 63, 64 bytes) agree whole and in pieces.
  for (const std::size_t n : {55, 56, 63, 64, 65, 119, 120}) {
    const std::string m(n, 'x');
    segkit::sha256 parts;
    parts.update(std::string_view(m).substr(0, n / 3)).update(std::string_view(m).substr(n / 3));
    CHECK(parts.hex() == segkit::sha256_hex(m));
  }
  const auto path = std::filesystem::temp_directory_path() / fmt::format("segkit_sha_{}", ::getpid());
  std::ofstream(path, std::ios::binary) << "abc";
  CHECK(segkit::sha256_file(path) == segkit::sha256_hex("abc"));
  std::filesystem::remove(path);
  CHECK_THROWS_WITH(segkit::sha256_file(path), Catch::Contains("cannot open"));
}
