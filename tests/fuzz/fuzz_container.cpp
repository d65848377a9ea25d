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
  load_any(segkit::fuzz::with_valid_checksums(bytes));
  return 0;
}
