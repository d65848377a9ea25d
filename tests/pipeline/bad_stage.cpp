// Must not compile: k-means is not a reducer, so it cannot be a middle stage. The test
// `pipeline_names_a_bad_stage` compiles this file and expects the pipeline's static_assert message.
#include <string>

#include <segkit/cluster/kmeans.hpp>
#include <segkit/embed/lsa.hpp>
#include <segkit/pipeline/pipeline.hpp>

int main() {
  const auto p = segkit::pipeline::make_pipeline<std::string>(segkit::embed::lsa(), segkit::cluster::kmeans<float>(), segkit::cluster::kmeans<float>());
  return sizeof(p) > 0 ? 0 : 1;
}
