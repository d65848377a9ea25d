// Fuzz target: the .npy reader (header parser, then a whole file through every loader).
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <span>

#include <unistd.h>

#include <segkit/core/npy.hpp>

#include "fuzz.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto bytes = segkit::fuzz::text(data, size);
  SEGKIT_FUZZ_REFUSED((void)segkit::parse_npy_header(std::span<const char>(bytes.data(), bytes.size()), "<fuzz>");)
  static const auto path = std::filesystem::temp_directory_path() / ("segkit_fuzz_" + std::to_string(::getpid()) + ".npy");
  std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  SEGKIT_FUZZ_REFUSED((void)segkit::load_npy_array<float>(path);)
  SEGKIT_FUZZ_REFUSED((void)segkit::load_npy_matrix<double>(path);)
  SEGKIT_FUZZ_REFUSED((void)segkit::load_npy_vector<std::int32_t>(path);)
  return 0;
}
