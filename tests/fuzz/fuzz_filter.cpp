// Fuzz target: the attribute filter parser, and evaluating what it accepts.
#include <memory>

#include <segkit/core/csv.hpp>
#include <segkit/index/attributes.hpp>

#include "fuzz.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const auto table = std::make_shared<const segkit::index::attribute_table>(segkit::index::attribute_table::from_csv(segkit::parse_csv(
      "id,region,age,score,joined:timestamp\n0,EU,31,0.5,2025-01-02\n1,NA,45,1.5,2024-06-30T12:00Z\n2,,19,,\n3,APAC,60,-2,2026-11-01\n")));
  SEGKIT_FUZZ_REFUSED({
    const auto f = segkit::index::attribute_filter::parse(segkit::fuzz::text(data, size), table, 1764547200);
    for (segkit::id_type id = 0; id < 5; ++id) (void)f(id);
    (void)f.selectivity();
  })
  return 0;
}
