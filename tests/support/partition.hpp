#pragma once
// Comparing clusterings label by label.

#include <cstddef>
#include <map>

namespace segkit::test {

// True when a and b group the rows the same way up to renaming, with noise (-1) kept as noise
// in both (a value < 0 must face a value < 0).
template <class A, class B>
bool same_partition(const A& a, const B& b) {
  if (a.size() != b.size()) return false;
  std::map<long, long> ab, ba;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const long x = static_cast<long>(a(i)), y = static_cast<long>(b(i));
    if ((x < 0) != (y < 0)) return false;
    if (x < 0) continue;
    if (ab.emplace(x, y).first->second != y || ba.emplace(y, x).first->second != x) return false;
  }
  return true;
}

}  // namespace segkit::test
