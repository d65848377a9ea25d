// Compiled mode computes what header-only mode computes. This program is built twice (tests/
// CMakeLists.txt): once header-only, once linked to segkit_compiled, where the fits, builds and
// searches below come from the library's one instantiation. Each prints every number it computes
// in hexadecimal floating point; ctest compares the two outputs byte for byte.
#include <cstdint>
#include <cstdio>
#include <span>
#include <vector>

#include <segkit/cluster/agglomerative.hpp>
#include <segkit/cluster/dbscan.hpp>
#include <segkit/cluster/gmm.hpp>
#include <segkit/cluster/hdbscan.hpp>
#include <segkit/cluster/kmeans.hpp>
#include <segkit/index/flat.hpp>
#include <segkit/index/hnsw.hpp>
#include <segkit/index/ivf.hpp>
#include <segkit/reduce/pca.hpp>
#include <segkit/reduce/tsne.hpp>
#include <segkit/reduce/umap.hpp>

namespace {

// Three offset groups of rows with a little deterministic jitter (a linear congruential stream).
template <class T>
segkit::matrix<T> rows(std::size_t n, std::size_t d) {
  segkit::matrix<T> x = segkit::matrix<T>::from_shape({n, d});
  std::uint64_t s = 12345;
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = 0; j < d; ++j) {
      s = s * 6364136223846793005ULL + 1442695040888963407ULL;
      const double jitter = static_cast<double>(s >> 11) / static_cast<double>(1ULL << 53);
      x(i, j) = static_cast<T>(static_cast<double>(i % 3) * 4.0 + static_cast<double>(j % 2) + jitter);
    }
  }
  return x;
}

void print(const char* what, const auto& values) {
  std::printf("%s:", what);
  for (const auto v : values) std::printf(" %a", static_cast<double>(v));
  std::printf("\n");
}

template <class T>
void run(const char* type) {
  std::printf("== %s\n", type);
  const auto x = rows<T>(90, 6);
  namespace c = segkit::cluster;
  namespace r = segkit::reduce;
  namespace ix = segkit::index;
  using cosine = segkit::distance::cosine_metric;
  const auto km = c::kmeans<T>({.k = 3, .n_init = 2, .seed = 7}).fit(x);
  print("kmeans centers", km.centers);
  print("kmeans labels", km.labels());
  const auto gm = c::gaussian_mixture<T>({.k = 3, .seed = 3}).fit(x);
  print("gmm means", gm.means);
  print("dbscan labels", c::dbscan<segkit::distance::l2_metric, T>({.eps = 1.5, .min_samples = 4}).fit(x).labels());
  const auto hd = c::hdbscan<segkit::distance::l2_metric, T>({.min_cluster_size = 5}).fit(x);
  print("hdbscan labels", hd.labels());
  print("hdbscan glosh", hd.outlier_scores);
  print("ward labels", c::agglomerative<segkit::distance::l2_metric, T>({.k = 3}).fit(x).labels());
  print("pca", r::pca<T>({.n_components = 2}).fit(x).components);
  print("umap", r::umap<segkit::distance::l2_metric, T>({.n_neighbors = 10, .n_epochs = 50, .seed = 1, .threads = 1}).fit(x).embedding);
  print("tsne", r::tsne<segkit::distance::l2_metric, T>({.perplexity = 10.0, .max_iter = 300, .seed = 1, .threads = 1}).fit(x).embedding);
  std::vector<segkit::id_type> ids(x.shape(0));
  for (std::size_t i = 0; i < ids.size(); ++i) ids[i] = 100 + i;
  const segkit::matrix_view<T> all(x.data(), x.shape(0), x.shape(1));
  const segkit::matrix_view<T> queries(x.data(), 10, x.shape(1));
  ix::flat<cosine, T> flat(x.shape(1));
  flat.add(ids, all);
  print("flat", flat.search(queries, 4).distances);
  ix::hnsw<cosine, T> hnsw(x.shape(1), {.seed = 5});
  hnsw.add(ids, all);
  print("hnsw ids", hnsw.search(queries, 4).ids);
  if constexpr (std::is_same_v<T, float>) {
    ix::ivf<segkit::distance::l2_metric, T> ivf(x.shape(1), {.nlist = 4, .seed = 2}, c::kmeans_trainer{});
    ivf.train(all);
    ivf.add(ids, all);
    print("ivf", ivf.search(queries, 4, {.nprobe = 2}).distances);
  }
}

}  // namespace

int main() {
  run<float>("float");
  run<double>("double");
#if defined(SEGKIT_COMPILED)
  std::printf("(compiled mode)\n");
#endif
}
