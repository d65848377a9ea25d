// Fuzz target: the session service's request handler (POST /segment and /segment/batch bodies).
// Every body must get 200, 400, 413 or 422 and a JSON answer.
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include <unistd.h>

#include "../../examples/session_segmentation/service.hpp"
#include "fuzz.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const auto service = [] {
    const auto path = std::filesystem::temp_directory_path() / ("segkit_fuzz_service_" + std::to_string(::getpid()) + ".seg");
    const auto shop = segkit::examples::make_shop({.pages = 60, .sessions = 300, .seed = 1});
    segkit::examples::session_model::fit(shop, {.dim = 8, .epochs = 2, .k = 3, .seed = 1, .threads = 1}).save(path);
    return std::make_unique<segkit::examples::session_service>(path, segkit::examples::service_params{.max_views = 50, .max_batch = 20});
  }();
  const std::string body(reinterpret_cast<const char*>(data), size);
  for (const char* path : {"/segment", "/segment/batch"}) {
    const auto [status, answer] = service->handle(path, body);
    if (status != 200 && status != 400 && status != 413 && status != 422) std::abort();
    if (nlohmann::json::parse(answer, nullptr, false).is_discarded()) std::abort();
  }
  return 0;
}
