// Fuzz target: segkit's container format and every loader built on it (models and indexes), on
// the bytes as given and again with their checksums repaired.
#include <cstring>
#include <string>
#include <vector>

#include <segkit/cluster/agglomerative.hpp>
#include <segkit/cluster/dbscan.hpp>
#include <segkit/cluster/gmm.hpp>
#include <segkit/cluster/hdbscan.hpp>
#include <segkit/cluster/kmeans.hpp>
#include <segkit/core/binary_format.hpp>
#include <segkit/core/checksum.hpp>
#include <segkit/embed/item2vec.hpp>
#include <segkit/embed/lsa.hpp>
#include <segkit/index/flat.hpp>
#include <segkit/index/hnsw.hpp>
#include <segkit/index/ivf.hpp>
#include <segkit/pipeline/any_pipeline.hpp>
#include <segkit/pipeline/segmentation_model.hpp>
#include <segkit/reduce/pca.hpp>
#include <segkit/reduce/umap.hpp>

#include "fuzz.hpp"

namespace {

template <class T>
T get(const std::vector<char>& b, std::size_t at) {
  T v;
  std::memcpy(&v, b.data() + at, sizeof(T));
  return v;
}
template <class T>
void put(std::vector<char>& b, std::size_t at, T v) {
  std::memcpy(b.data() + at, &v, sizeof(T));
}

// The same bytes with every checksum and the file size made right, so that mutations reach the
// loaders' own checks instead of stopping at a CRC (layout: core/binary_format.hpp).
std::vector<char> with_valid_checksums(std::vector<char> b) {
  if (b.size() < 64) return b;
  put<std::uint64_t>(b, 48, b.size());
  const auto count = get<std::uint32_t>(b, 12);
  const std::uint64_t table_end = 64 + std::uint64_t{count} * 32;
  if (table_end > b.size()) return b;
  for (std::uint32_t i = 0; i < count; ++i) {
    const std::size_t e = 64 + std::size_t{i} * 32;
    const auto offset = get<std::uint64_t>(b, e + 8), size = get<std::uint64_t>(b, e + 16);
    if (offset <= b.size() && size <= b.size() - offset) put<std::uint32_t>(b, e + 24, segkit::crc32c(0, b.data() + offset, size));
  }
  put<std::uint32_t>(b, 56, segkit::crc32c(0, b.data() + 64, table_end - 64));
  put<std::uint32_t>(b, 60, segkit::crc32c(0, b.data(), 60));
  return b;
}

void load_any(const std::vector<char>& bytes) {
  SEGKIT_FUZZ_REFUSED({
    const segkit::container_reader file(bytes, "<fuzz>", "segkit.");
    const std::string& kind = file.kind();
    if (kind == "segkit.model.kmeans") (void)segkit::cluster::kmeans_model<float>::read_from(file);
    if (kind == "segkit.model.gmm") (void)segkit::cluster::gmm_model::read_from(file);
    if (kind == "segkit.model.dbscan") (void)segkit::cluster::dbscan_model<>::read_from(file);
    if (kind == "segkit.model.hdbscan") (void)segkit::cluster::hdbscan_model<>::read_from(file).predict(segkit::matrix<float>::from_shape({1, 3}));
    if (kind == "segkit.model.agglomerative") (void)segkit::cluster::agglomerative_model<>::read_from(file).predict(segkit::matrix<float>::from_shape({1, 4}));
    if (kind == "segkit.model.pca") (void)segkit::reduce::pca_model<float>::read_from(file);
    if (kind == "segkit.model.umap") (void)segkit::reduce::umap_model<>::read_from(file);
    if (kind == "segkit.model.lsa") (void)segkit::embed::lsa_model::read_from(file);
    if (kind == "segkit.model.item2vec") (void)segkit::embed::item2vec_model::read_from(file);
    if (kind == "segkit.model.onnx_text") (void)segkit::embed::onnx_text_reference::read_from(file);
    if (kind == "segkit.model.segmentation" || kind == "segkit.model.segment" || kind == "segkit.model.any_pipeline" || kind == "segkit.model.pipeline") {
      (void)segkit::pipeline::segmentation_model::read_from(file);
    }
    if (kind == "segkit.index.flat") (void)segkit::index::flat<>::load(file);
    if (kind == "segkit.index.hnsw") (void)segkit::index::hnsw<>::load(file);
    if (kind == "segkit.index.ivf") (void)segkit::index::ivf<>::load(file);
  })
  SEGKIT_FUZZ_REFUSED({  // the read-only opens use the sections in place
    const segkit::container_reader file(bytes, "<fuzz>", "segkit.index.");
    const std::string& kind = file.kind();
    if (kind == "segkit.index.flat") (void)segkit::index::flat<>::open_mapped(file);
    if (kind == "segkit.index.hnsw") (void)segkit::index::hnsw<>::open_mapped(file);
    if (kind == "segkit.index.ivf") (void)segkit::index::ivf<>::open_mapped(file);
  })
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::vector<char> bytes(data, data + size);
  load_any(bytes);
  load_any(with_valid_checksums(bytes));
  return 0;
}
