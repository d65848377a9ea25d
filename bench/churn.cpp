// Churn at scale: an index of N vectors goes through R rounds of removing half of its live ids
// and adding as many new vectors. After each round: nodes held, resident memory and recall@10
// against an exact search over the live vectors. Not a timing benchmark (bench_index has those):
// it shows that memory and recall stay bounded under deletes, as issue #3 asks at 100k vectors.
//
//   bench_churn [N=100000] [rounds=20] [dim=32] [threads=2]     (prints a Markdown table)

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <unordered_set>
#include <vector>

#include <segkit/core/random.hpp>
#include <segkit/index/flat.hpp>
#include <segkit/index/hnsw.hpp>
#include <segkit/index/ivf.hpp>
#include <segkit/cluster/kmeans.hpp>

namespace {

// Resident set size of this process in MiB (Linux /proc/self/statm).
double rss_mib() {
  std::ifstream statm("/proc/self/statm");
  std::size_t pages = 0, resident = 0;
  statm >> pages >> resident;
  return static_cast<double>(resident) * 4096.0 / (1024.0 * 1024.0);
}

// Rows around 64 overlapping centers, one RNG stream per row id (so a re-added id gets a new vector).
segkit::matrix<float> rows_for(const std::vector<segkit::id_type>& ids, std::size_t dim) {
  segkit::matrix<float> out = segkit::matrix<float>::from_shape({ids.size(), dim});
  for (std::size_t i = 0; i < ids.size(); ++i) {
    segkit::rng center(7, ids[i] % 64), noise(8, ids[i]);
    for (std::size_t j = 0; j < dim; ++j) out(i, j) = static_cast<float>(1.5 * center.normal() + noise.normal());
  }
  return out;
}

double recall(const segkit::knn_result<float>& got, const segkit::knn_result<float>& truth) {
  std::size_t hits = 0;
  for (std::size_t i = 0; i < got.ids.shape(0); ++i) {
    std::unordered_set<segkit::id_type> t(truth.ids.begin() + static_cast<std::ptrdiff_t>(i * truth.ids.shape(1)),
                                          truth.ids.begin() + static_cast<std::ptrdiff_t>((i + 1) * truth.ids.shape(1)));
    for (std::size_t j = 0; j < got.ids.shape(1); ++j) hits += t.count(got.ids(i, j));
  }
  return static_cast<double>(hits) / static_cast<double>(got.ids.size());
}

template <class Index, class Params, class Nodes>
void churn(const char* name, Index index, const Params& params, Nodes nodes, std::size_t n, int rounds, std::size_t dim) {
  std::vector<segkit::id_type> live(n);
  for (std::size_t i = 0; i < n; ++i) live[i] = i;
  index.add(live, segkit::matrix_view<float>(rows_for(live, dim).data(), n, dim));
  std::vector<segkit::id_type> qids(200);
  for (std::size_t i = 0; i < qids.size(); ++i) qids[i] = (std::size_t{1} << 40) + i;
  const auto queries = rows_for(qids, dim);
  const segkit::matrix_view<float> qv(queries.data(), qids.size(), dim);
  segkit::id_type next = n;
  std::printf("\n%s, %zu vectors of %zu dimensions, %d rounds of removing and adding 50 %%\n\n", name, n, dim, rounds);
  std::printf("| round | live | nodes held | RSS (MiB) | recall@10 | round (s) |\n|---:|---:|---:|---:|---:|---:|\n");
  const double rss0 = rss_mib();
  for (int round = 0; round <= rounds; ++round) {
    const auto t0 = std::chrono::steady_clock::now();
    if (round > 0) {
      std::vector<segkit::id_type> keep, add;
      for (std::size_t i = 0; i < live.size(); ++i) {
        if ((i + static_cast<std::size_t>(round)) % 2 == 0) index.remove(live[i]);
        else keep.push_back(live[i]);
      }
      for (std::size_t i = 0; i < live.size() - keep.size(); ++i) add.push_back(next++);
      const auto rows = rows_for(add, dim);
      index.add(add, segkit::matrix_view<float>(rows.data(), add.size(), dim));
      keep.insert(keep.end(), add.begin(), add.end());
      live = std::move(keep);
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (round % 4 != 0 && round != rounds) continue;
    segkit::index::flat<> exact(dim);
    exact.add(live, segkit::matrix_view<float>(rows_for(live, dim).data(), live.size(), dim));
    const double r = recall(index.search(qv, 10, params), exact.search(qv, 10, {}));
    std::printf("| %d | %zu | %zu | %.0f (+%.0f) | %.3f | %.1f |\n", round, live.size(), nodes(index), rss_mib(), rss_mib() - rss0, r, seconds);
    std::fflush(stdout);
  }
}

}  // namespace

int main(int argc, char** argv) {
  const std::size_t n = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 100000;
  const int rounds = argc > 2 ? std::atoi(argv[2]) : 20;
  const std::size_t dim = argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 32;
  const std::size_t threads = argc > 4 ? std::strtoull(argv[4], nullptr, 10) : 2;
  using H = segkit::index::hnsw<>;
  churn("HNSW (m 16, ef_construction 100, ef 64)", H(dim, H::build_params{.m = 16, .ef_construction = 100, .seed = 1, .threads = threads}),
        H::search_params{.ef = 64, .threads = threads}, [](const H& h) { return h.capacity_used(); }, n, rounds, dim);
  using I = segkit::index::ivf<>;
  churn("IVF-Flat (nlist 256, nprobe 16)", I(dim, I::build_params{.nlist = 256, .seed = 1, .threads = threads}, segkit::cluster::kmeans_trainer{}),
        I::search_params{.nprobe = 16, .threads = threads}, [](const I& i) { return i.size(); }, n, rounds, dim);
  return 0;
}
