// k-means iterations alone (given starting centers: rows 0, 7, 14, ...; no k-means++), for
// comparing builds of segkit (portable against -march=native, before against after a change)
// run alternately on one machine. Prints the fastest of 7 fits, the inertia and a hash of the labels.
//
//   g++ -std=gnu++20 -O3 -DNDEBUG -Iinclude bench/compare/kmeans_iterations.cpp -o kmi -lopenblas -lfmt -pthread
//   ./kmi N D K ALGORITHM        (ALGORITHM 0 = lloyd, 1 = hamerly, 2 = elkan; blobs of seed 1, 2 threads)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>

#include <segkit/cluster/kmeans.hpp>

#include "../blobs.hpp"

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: %s N D K ALGORITHM(0 lloyd, 1 hamerly, 2 elkan)\n", argv[0]);
    return 2;
  }
  const std::size_t n = std::stoul(argv[1]), d = std::stoul(argv[2]), k = std::stoul(argv[3]);
  const auto algorithm = static_cast<segkit::cluster::kmeans_algorithm>(std::stoi(argv[4]));
  const auto x = segkit_bench::blobs(n, d, k);
  segkit::matrix<double> start = segkit::matrix<double>::from_shape({k, d});
  for (std::size_t c = 0; c < k; ++c) {
    for (std::size_t j = 0; j < d; ++j) start(c, j) = x(c * 7, j);
  }
  const segkit::cluster::kmeans<float> km({.k = k, .max_iter = 30, .tol = 0.0, .algorithm = algorithm, .initial_centers = start, .seed = 3, .threads = 2});
  double best = 1e300;
  segkit::cluster::kmeans_model<float> m;
  for (int rep = 0; rep < 7; ++rep) {
    const auto t0 = std::chrono::steady_clock::now();
    m = km.fit(x);
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  unsigned long long h = 0;
  for (std::size_t i = 0; i < n; ++i) h = h * 31 + static_cast<unsigned long long>(m.labels()(i));
  std::printf("algorithm %d: %.4f s, inertia %.6f, labels hash %llu\n", static_cast<int>(algorithm), best, m.inertia, h);
  return 0;
}
