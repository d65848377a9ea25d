#pragma once
// Brute-force k-NN in double precision: the oracle for exact search.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <string_view>
#include <utility>
#include <vector>

#include <segkit/core/matrix_view.hpp>
#include <segkit/core/types.hpp>

namespace segkit::test {

inline double oracle_distance(std::string_view metric, const float* a, const float* b, std::size_t d) {
  double dot = 0, na = 0, nb = 0, l2 = 0, l1 = 0;
  for (std::size_t i = 0; i < d; ++i) {
    const double x = a[i], y = b[i];
    dot += x * y;
    na += x * x;
    nb += y * y;
    l2 += (x - y) * (x - y);
    l1 += std::abs(x - y);
  }
  if (metric == "l2") return std::sqrt(l2);
  if (metric == "sqeuclidean") return l2;
  if (metric == "ip") return dot;
  if (metric == "manhattan") return l1;
  return (na == 0 || nb == 0) ? 1.0 : 1.0 - dot / std::sqrt(na * nb);  // cosine
}

// ids[q] = the k best ids (base row numbers) by (score, id); score = value, or -value for ip.
inline std::vector<std::vector<std::pair<double, id_type>>> oracle_knn(std::string_view metric, const matrix<float>& base,
                                                                         const matrix<float>& queries, std::size_t k) {
  const std::size_t d = base.shape(1);
  std::vector<std::vector<std::pair<double, id_type>>> out(queries.shape(0));
  for (std::size_t q = 0; q < queries.shape(0); ++q) {
    std::vector<std::pair<double, id_type>> all;
    for (std::size_t i = 0; i < base.shape(0); ++i) {
      const double v = oracle_distance(metric, &queries(q, 0), &base(i, 0), d);
      all.emplace_back(metric == "ip" ? -v : v, i);
    }
    std::sort(all.begin(), all.end());
    all.resize(std::min(k, all.size()));
    out[q] = std::move(all);
  }
  return out;
}

}  // namespace segkit::test
