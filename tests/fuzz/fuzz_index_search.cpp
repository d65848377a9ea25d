// Fuzz target: an index file loaded (and mapped), then searched, changed and searched again. The
// input is a container file whose last 16 bytes, when it has them, choose the search: k (any
// 64-bit value, 2^63 included), ef / nprobe, and which mutation runs. Checksums are repaired
// first, so that mutations of the file reach the loaders and the searches.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <segkit/cluster/kmeans.hpp>
#include <segkit/core/binary_format.hpp>
#include <segkit/index/flat.hpp>
#include <segkit/index/hnsw.hpp>
#include <segkit/index/ivf.hpp>

#include "fuzz.hpp"

namespace {

struct knobs {
  std::uint64_t k = 10;
  std::uint32_t effort = 0;  // ef or nprobe
  std::uint32_t op = 0;      // which mutation
};

template <class Index>
void exercise(Index index, const knobs& o, bool writable) {
  const std::size_t d = index.dim();
  if (d == 0 || d > 4096) return;  // a plausible query; the loaders bound d themselves
  segkit::matrix<float> q = segkit::matrix<float>::from_shape({3, d});
  for (std::size_t j = 0; j < d; ++j) {
    q(0, j) = 0.0f;
    q(1, j) = static_cast<float>(j % 7) - 3.0f;
    q(2, j) = 1e30f * (j % 2 == 0 ? 1.0f : -1.0f);  // large but finite
  }
  typename Index::search_params p{};
  if constexpr (requires { p.ef; }) p.ef = o.effort % 4096;
  if constexpr (requires { p.nprobe; }) p.nprobe = o.effort % 4096;
  const std::size_t k = o.k == 0 ? 1 : static_cast<std::size_t>(o.k);
  const auto r = index.search(q, k, p);
  if (r.ids.shape(0) != 3 || r.ids.shape(1) == 0 || r.ids.shape(1) > std::max<std::size_t>(index.size(), 1)) std::abort();
  (void)index.search(q, 1, p, [&](segkit::id_type id) { return id % 3 == o.op % 3; });
  if (!writable) return;
  // Changes to a loaded index, then a search over what they left.
  const std::vector<segkit::id_type> ids = {o.op % 64, 1000000 + o.op};
  segkit::matrix<float> rows = segkit::matrix<float>::from_shape({2, d});
  for (std::size_t j = 0; j < d; ++j) rows(0, j) = rows(1, j) = static_cast<float>(j % 5) * (o.op % 2 == 0 ? 1.0f : 1e5f);
  switch (o.op % 4) {
    case 0: (void)index.remove(ids[0]); break;
    case 1: index.upsert(ids, segkit::matrix_view<float>(rows.data(), 2, d)); break;
    case 2: index.add(std::vector<segkit::id_type>{ids[1]}, segkit::matrix_view<float>(rows.data(), 1, d)); break;
    default: break;
  }
  (void)index.search(q, k, p);
}

// The index as load() gives it (writable) and as open_mapped() does (read-only), each on its own:
// a refusal of one still lets the other run.
template <class Index>
void load_and_map(const segkit::container_reader& file, const knobs& o) {
  SEGKIT_FUZZ_REFUSED(exercise(Index::load(file), o, true);)
  SEGKIT_FUZZ_REFUSED(exercise(Index::open_mapped(file), o, false);)
}

void run(const std::vector<char>& bytes, const knobs& o) {
  SEGKIT_FUZZ_REFUSED({
    const segkit::container_reader file(bytes, "<fuzz>", "segkit.index.");
    const std::string& kind = file.kind();
    if (kind == "segkit.index.flat") load_and_map<segkit::index::flat<>>(file, o);
    if (kind == "segkit.index.hnsw") load_and_map<segkit::index::hnsw<>>(file, o);
    if (kind == "segkit.index.ivf") load_and_map<segkit::index::ivf<>>(file, o);
  })
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::vector<char> bytes(data, data + size);
  knobs o;
  // The knobs ride at the end of the input; the file is the rest (a file that is found to be
  // shorter than its header says is refused by the reader, as any truncated file).
  if (bytes.size() >= 64 + 16) {
    std::memcpy(&o.k, bytes.data() + bytes.size() - 16, 8);
    std::memcpy(&o.effort, bytes.data() + bytes.size() - 8, 4);
    std::memcpy(&o.op, bytes.data() + bytes.size() - 4, 4);
    bytes.resize(bytes.size() - 16);
  }
  run(segkit::fuzz::with_valid_checksums(bytes), o);
  return 0;
}
