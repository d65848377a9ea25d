#include <segkit/pipeline/pipeline.hpp>
#include <segkit/embed/lsa.hpp>
#include <segkit/cluster/kmeans.hpp>
#include <segkit/core/csv.hpp>
#include <segkit/core/npy.hpp>
int main() {
  using namespace segkit;
  const auto t = read_csv("records.csv");
  std::vector<std::string> texts;
  for (const auto& r : t.rows()) texts.push_back(r[0] + " " + r[1]);
  auto p = pipeline::make_pipeline<std::string>(embed::lsa({.dims = 6, .seed = 3}), reduce::pca<float>({.n_components = 3}), cluster::kmeans<float>({.k = 4, .seed = 3}));
  auto f = p.fit(texts, {.layout = false});
  f.model.save("pipeline_v1.segpipe");
  auto l = f.model.assign(texts); std::vector<std::int32_t> v(l.begin(), l.end()); save_npy("pipeline_v1.npy", v.data(), {v.size()});
}
