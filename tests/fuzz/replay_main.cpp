// The fuzz targets as an ordinary program, for every test run (ctest: fuzz_replay_<target>):
//   fuzz_replay <target> <file or directory>...    runs the target on each file (directories: every file in them)
//   fuzz_replay make-container-corpus <directory>  writes small valid model and index files, the container target's seeds
// Each target defines LLVMFuzzerTestOneInput, renamed segkit_fuzz_<target> in this build.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include <segkit/cluster/agglomerative.hpp>
#include <segkit/cluster/dbscan.hpp>
#include <segkit/cluster/gmm.hpp>
#include <segkit/cluster/hdbscan.hpp>
#include <segkit/cluster/kmeans.hpp>
#include <segkit/embed/item2vec.hpp>
#include <segkit/embed/lsa.hpp>
#include <segkit/index/flat.hpp>
#include <segkit/index/hnsw.hpp>
#include <segkit/index/ivf.hpp>
#include <segkit/pipeline/any_pipeline.hpp>
#include <segkit/reduce/pca.hpp>
#include <segkit/reduce/umap.hpp>

#include "support/data.hpp"

#define SEGKIT_FUZZ_DECLARE(name) extern "C" int segkit_fuzz_##name(const std::uint8_t*, std::size_t);
SEGKIT_FUZZ_DECLARE(npy)
SEGKIT_FUZZ_DECLARE(csv)
SEGKIT_FUZZ_DECLARE(config)
SEGKIT_FUZZ_DECLARE(filter)
SEGKIT_FUZZ_DECLARE(tokenizers)
SEGKIT_FUZZ_DECLARE(container)
SEGKIT_FUZZ_DECLARE(index_search)
SEGKIT_FUZZ_DECLARE(service)

namespace fs = std::filesystem;

namespace {

void make_container_corpus(const fs::path& dir) {
  fs::create_directories(dir);
  const auto x = segkit::test::blobs(40, 4, 3, 1);
  segkit::cluster::kmeans<float>({.k = 3, .seed = 1}).fit(x).save(dir / "kmeans.seg");
  segkit::cluster::gaussian_mixture<float>({.k = 2, .seed = 1}).fit(x).save(dir / "gmm.seg");
  segkit::cluster::dbscan<>({.eps = 1.5, .min_samples = 3}).fit(x).save(dir / "dbscan.seg");
  segkit::cluster::agglomerative<>({.k = 3}).fit(x).save(dir / "agglomerative.seg");
  const auto x3 = segkit::test::blobs(30, 3, 2, 2);
  segkit::cluster::hdbscan<>({.min_cluster_size = 4}).fit(x3).save(dir / "hdbscan.seg");
  segkit::reduce::pca<float>({.n_components = 2}).fit(x).save(dir / "pca.seg");
  segkit::reduce::umap<>({.n_neighbors = 5, .n_epochs = 10, .seed = 1}).fit(x).save(dir / "umap.seg");
  const std::vector<std::string> texts = {"red apple pie", "green apple tart", "red car fast", "blue car slow", "apple car"};
  const auto lsa = segkit::embed::lsa({.dims = 2}).fit(texts);
  lsa.save(dir / "lsa.seg");
  const std::vector<std::vector<segkit::id_type>> sessions = {{1, 2, 3}, {2, 3, 4}, {1, 4}, {5, 6, 1}};
  segkit::embed::item2vec({.dim = 3, .epochs = 1, .seed = 1}).fit(sessions).save(dir / "item2vec.seg");
  const auto cfg = segkit::pipeline::pipeline_config::parse(R"({"embed": {"dims": 2}, "reduce": [{"kind": "pca", "n_components": 2}], "cluster": {"kind": "kmeans", "k": 2}})");
  segkit::pipeline::any_pipeline(cfg).fit(texts, {.layout = false, .score_rows = 0}).model.save(dir / "any_pipeline.seg");
  std::vector<segkit::id_type> ids(40);
  for (std::size_t i = 0; i < ids.size(); ++i) ids[i] = i;
  segkit::index::flat<> flat(4);
  flat.add(ids, x);
  flat.save(dir / "flat.seg");
  segkit::index::hnsw<> hnsw(4, {.m = 4, .seed = 1});
  hnsw.add(ids, x);
  hnsw.save(dir / "hnsw.seg");
  segkit::index::ivf<> ivf(4, {.nlist = 2, .seed = 1}, segkit::cluster::kmeans_trainer{});
  ivf.train(x);
  ivf.add(ids, x);
  ivf.save(dir / "ivf.seg");
}

std::vector<char> read_all(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

int main(int argc, char** argv) {
  const std::map<std::string, int (*)(const std::uint8_t*, std::size_t)> targets = {
      {"npy", segkit_fuzz_npy},         {"csv", segkit_fuzz_csv},           {"config", segkit_fuzz_config}, {"filter", segkit_fuzz_filter},
      {"tokenizers", segkit_fuzz_tokenizers}, {"container", segkit_fuzz_container}, {"index_search", segkit_fuzz_index_search}, {"service", segkit_fuzz_service}};
  if (argc == 3 && std::string(argv[1]) == "make-container-corpus") {
    make_container_corpus(argv[2]);
    return 0;
  }
  if (argc < 3 || !targets.count(argv[1])) {
    std::fprintf(stderr, "usage: fuzz_replay <target> <file or directory>... | make-container-corpus <directory>\n");
    return 2;
  }
  const auto run = targets.at(argv[1]);
  std::size_t count = 0;
  for (int a = 2; a < argc; ++a) {
    std::vector<fs::path> files;
    if (fs::is_directory(argv[a])) {
      for (const auto& e : fs::recursive_directory_iterator(argv[a])) {
        if (e.is_regular_file()) files.push_back(e.path());
      }
      std::sort(files.begin(), files.end());
    } else {
      files.emplace_back(argv[a]);
    }
    for (const auto& f : files) {
      const auto bytes = read_all(f);
      run(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
      ++count;
    }
  }
  std::printf("fuzz_replay %s: %zu inputs, no finding\n", argv[1], count);
  return count > 0 ? 0 : 1;
}
