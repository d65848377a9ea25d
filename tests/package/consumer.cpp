// A consumer program: exact search through the installed / fetched segkit.
#include <segkit/segkit.hpp>

#include <cstdio>
#include <vector>

int main() {
  segkit::matrix<float> base = {{0.f, 0.f}, {1.f, 0.f}, {5.f, 5.f}};
  segkit::index::flat<> index(2);
  const std::vector<segkit::id_type> ids = {10, 11, 12};
  index.add(ids, base);
  segkit::matrix<float> q = {{4.f, 4.f}};
  const auto r = index.search(q, 1);
  std::printf("nearest id %llu (segkit %s)\n", static_cast<unsigned long long>(r.ids(0, 0)), SEGKIT_VERSION_STRING);
  return r.ids(0, 0) == 12 ? 0 : 1;
}
