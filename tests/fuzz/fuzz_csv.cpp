// Fuzz target: the CSV reader, and typed attribute tables built from what it reads.
#include <segkit/core/csv.hpp>
#include <segkit/index/attributes.hpp>

#include "fuzz.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  SEGKIT_FUZZ_REFUSED({
    const auto table = segkit::parse_csv(segkit::fuzz::text(data, size), {}, "<fuzz>");
    (void)segkit::index::attribute_table::from_csv(table);
  })
  return 0;
}
