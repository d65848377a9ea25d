// Fuzz target: the JSON and YAML readers, and pipeline configurations read from either.
#include <segkit/core/json.hpp>
#include <segkit/core/yaml.hpp>
#include <segkit/pipeline/any_pipeline.hpp>

#include "fuzz.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto t = segkit::fuzz::text(data, size);
  SEGKIT_FUZZ_REFUSED((void)segkit::pipeline::pipeline_config::from_value(segkit::parse_json(t, "<fuzz>"), "<fuzz>");)
  SEGKIT_FUZZ_REFUSED((void)segkit::pipeline::pipeline_config::from_value(segkit::parse_yaml(t, "<fuzz>"), "<fuzz>");)
  return 0;
}
