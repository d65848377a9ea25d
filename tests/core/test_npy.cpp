// Fixtures in tests/data/npy were written by NumPy: see tests/data/make_npy_fixtures.py.
#include <catch2/catch.hpp>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

#include <segkit/core/npy.hpp>

namespace fs = std::filesystem;

namespace {
fs::path fixture(const std::string& name) { return fs::path(SEGKIT_TEST_DATA) / "npy" / name; }

fs::path temp_path(const std::string& name) {
  const auto dir = fs::temp_directory_path() / "segkit_test_npy";
  fs::create_directories(dir);
  return dir / name;
}

template <class T>
void check_fixture_values(const segkit::matrix<T>& m, double offset) {
  REQUIRE(m.shape(0) == 3);
  REQUIRE(m.shape(1) == 4);
  for (std::size_t i = 0; i < 3; ++i) {
    for (std::size_t j = 0; j < 4; ++j) CHECK(static_cast<double>(m(i, j)) == static_cast<double>(i * 10 + j) + offset);
  }
}

void write_bytes(const fs::path& p, const std::string& bytes) {
  std::ofstream f(p, std::ios::binary);
  f << bytes;
}

std::string read_bytes(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}
}  // namespace

TEST_CASE("npy: reads NumPy's files of every supported dtype and version", "[core][npy]") {
  check_fixture_values(segkit::load_npy_matrix<float>(fixture("m_f4.npy")), 0.5);
  check_fixture_values(segkit::load_npy_matrix<double>(fixture("m_f8.npy")), 0.5);
  check_fixture_values(segkit::load_npy_matrix<float>(fixture("m_f8.npy")), 0.5);   // converted
  check_fixture_values(segkit::load_npy_matrix<double>(fixture("m_f4.npy")), 0.5);  // converted
  check_fixture_values(segkit::load_npy_matrix<std::int32_t>(fixture("m_i4.npy")), 0.0);
  check_fixture_values(segkit::load_npy_matrix<std::int64_t>(fixture("m_i8.npy")), 0.0);
  check_fixture_values(segkit::load_npy_matrix<std::int32_t>(fixture("m_i8.npy")), 0.0);
  check_fixture_values(segkit::load_npy_matrix<float>(fixture("m_f4_v2.npy")), 0.5);
  check_fixture_values(segkit::load_npy_matrix<float>(fixture("m_f4_v3.npy")), 0.5);
  CHECK(segkit::read_npy_header(fixture("m_f4_v2.npy")).version == 2);

  const auto v = segkit::load_npy_vector<std::int64_t>(fixture("v_i8.npy"));
  REQUIRE(v.size() == 3);
  CHECK(v(0) == 5);
  CHECK(v(1) == -1);
  CHECK(v(2) == 7);

  const auto empty = segkit::load_npy_matrix<float>(fixture("empty.npy"));
  CHECK(empty.shape(0) == 0);
  CHECK(empty.shape(1) == 4);
}

TEST_CASE("npy: refuses what it cannot read, saying why", "[core][npy]") {
  CHECK_THROWS_WITH(segkit::load_npy_matrix<float>(fixture("fortran.npy")), Catch::Contains("Fortran-order"));
  CHECK_THROWS_AS(segkit::load_npy_matrix<float>(fixture("fortran.npy")), segkit::format_error);
  CHECK_THROWS_WITH(segkit::load_npy_matrix<float>(fixture("big_endian.npy")), Catch::Contains("big-endian dtype '>f4'"));
  CHECK_THROWS_WITH(segkit::load_npy_matrix<float>(fixture("complex.npy")), Catch::Contains("unsupported dtype '<c8'"));
  CHECK_THROWS_WITH(segkit::load_npy_matrix<float>(fixture("rank3.npy")), Catch::Contains("shape (2, 2, 2); a 2-D matrix was expected"));
  CHECK_THROWS_AS(segkit::load_npy_matrix<float>(fixture("rank3.npy")), segkit::invalid_argument);
  CHECK_THROWS_WITH(segkit::load_npy_vector<float>(fixture("m_f4.npy")), Catch::Contains("a 1-D array was expected"));
  CHECK_THROWS_WITH(segkit::load_npy_matrix<std::int64_t>(fixture("m_f4.npy")), Catch::Contains("holds float32 but integer"));
  CHECK_THROWS_WITH(segkit::load_npy_matrix<float>(fixture("m_i8.npy")), Catch::Contains("holds int64 but floating-point"));
  CHECK_THROWS_AS(segkit::load_npy_matrix<float>(fixture("does_not_exist.npy")), segkit::io_error);
}

TEST_CASE("npy: truncated, extended and garbage files are format errors", "[core][npy]") {
  const std::string good = read_bytes(fixture("m_f4.npy"));
  const auto p = temp_path("bad.npy");

  write_bytes(p, good.substr(0, good.size() - 5));
  CHECK_THROWS_WITH(segkit::load_npy_matrix<float>(p), Catch::Contains("data truncated: header promises 48 bytes of data, file has 43"));
  write_bytes(p, good + "xx");
  CHECK_THROWS_WITH(segkit::load_npy_matrix<float>(p), Catch::Contains("2 unexpected bytes after the data"));
  write_bytes(p, good.substr(0, 40));
  CHECK_THROWS_WITH(segkit::load_npy_matrix<float>(p), Catch::Contains("truncated header"));
  write_bytes(p, "hello, this is not numpy");
  CHECK_THROWS_WITH(segkit::load_npy_matrix<float>(p), Catch::Contains("bad magic string"));
  write_bytes(p, "");
  CHECK_THROWS_AS(segkit::load_npy_matrix<float>(p), segkit::format_error);
  std::string v9 = good;
  v9[6] = 9;
  write_bytes(p, v9);
  CHECK_THROWS_WITH(segkit::load_npy_matrix<float>(p), Catch::Contains("format version 9 is not supported"));
  std::string no_shape = good;
  no_shape.replace(no_shape.find("'shape'"), 7, "'shapf'");
  write_bytes(p, no_shape);
  CHECK_THROWS_WITH(segkit::load_npy_matrix<float>(p), Catch::Contains("header has no 'shape' entry"));
  // An empty array whose other dimensions multiply past the address space (found by fuzzing).
  write_bytes(p, read_bytes(fs::path(SEGKIT_TEST_DATA) / ".." / "fuzz" / "corpus" / "npy" / "regression-empty-huge-shape.npy"));
  CHECK_THROWS_WITH(segkit::load_npy_array<double>(p), Catch::Contains("shape too large"));
}

TEST_CASE("npy: narrowing int64 to int32 is range-checked", "[core][npy]") {
  const auto p = temp_path("wide.npy");
  xt::xtensor<std::int64_t, 1> v = {1, std::int64_t{1} << 40};
  segkit::save_npy(p, v);
  CHECK_THROWS_WITH(segkit::load_npy_vector<std::int32_t>(p), Catch::Contains("does not fit in 32 bits"));
}

TEST_CASE("npy: save then load round-trips values, shape and strided views", "[core][npy]") {
  segkit::matrix<float> m = {{1.25f, -2.0f, 3.5f}, {4.0f, 5.0f, -6.75f}};
  const auto p = temp_path("round.npy");
  segkit::save_npy(p, m);
  const auto h = segkit::read_npy_header(p);
  CHECK(h.data_offset % 64 == 0);
  CHECK(h.dtype == segkit::npy_dtype::float32);
  CHECK((segkit::load_npy_matrix<float>(p) == m));

  const segkit::matrix_view<float> every_other(m.data(), 2, 2, 3);  // columns 0-1, row stride 3
  segkit::save_npy(p, every_other);
  const auto back = segkit::load_npy_matrix<float>(p);
  CHECK(back(1, 0) == 4.0f);
  CHECK(back(1, 1) == 5.0f);

  xt::xtensor<std::int32_t, 1> labels = {3, -1, 0};
  segkit::save_npy(p, labels);
  CHECK((segkit::load_npy_vector<std::int32_t>(p) == labels));
  CHECK(segkit::read_npy_header(p).shape == std::vector<std::size_t>{3});
}
