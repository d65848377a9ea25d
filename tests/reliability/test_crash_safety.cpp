// A process killed (SIGKILL) in the middle of saving never leaves a damaged file behind: the
// destination holds the old complete index or the new complete one, and both load.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "support/data.hpp"
#include "support/knn.hpp"

#include <segkit/index/flat.hpp>

namespace fs = std::filesystem;

TEST_CASE("SIGKILL during save leaves the previous or the new index, never a broken one", "[reliability]") {
  const auto dir = fs::temp_directory_path() / "segkit_crash_safety";
  fs::remove_all(dir);
  fs::create_directories(dir);
  const auto path = dir / "index.seg";
  // Version A: 1,000 vectors. Version B: 300,000 vectors (about 77 MB: a save takes a while).
  segkit::index::flat<> a(64);
  a.add(segkit::test::iota_ids(1000), segkit::test::normal_matrix(1000, 64, 1));
  a.save(path);
  segkit::index::flat<> b(64);
  b.add(segkit::test::iota_ids(300000), segkit::test::normal_matrix(300000, 64, 2));

  std::size_t saw_old = 0, saw_new = 0;
  for (int round = 0; round < 12; ++round) {
    // Temporary files (random names) left by earlier rounds' killed writers.
    const auto temporaries_now = [&] {
      std::set<std::string> names;
      for (const auto& entry : fs::directory_iterator(dir)) {
        if (entry.path().filename().string().rfind("index.seg.tmp.", 0) == 0) names.insert(entry.path().filename().string());
      }
      return names;
    };
    const auto before = temporaries_now();
    const pid_t child = fork();
    REQUIRE(child >= 0);
    if (child == 0) {  // keep saving B until killed
      for (;;) b.save(path);
    }
    // Wait until the child is writing (a new temporary file exists; slow under sanitizers), then
    // kill it at varied points of the save.
    const auto writing = [&] { return temporaries_now().size() > before.size(); };
    for (int wait = 0; wait < 6000 && !writing(); ++wait) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    std::this_thread::sleep_for(std::chrono::milliseconds(3 * round));
    REQUIRE(kill(child, SIGKILL) == 0);
    int status = 0;
    REQUIRE(waitpid(child, &status, 0) == child);
    REQUIRE(WIFSIGNALED(status));
    const auto back = segkit::index::flat<>::load(path);  // throws if damaged
    INFO("round " << round);
    CHECK((back.size() == 1000 || back.size() == 300000));
    (back.size() == 1000 ? saw_old : saw_new) += 1;
    // Leftover temporary files of the killed writer do not disturb the next save or load.
    a.save(path);
    CHECK(segkit::index::flat<>::load(path).size() == 1000);
  }
  CHECK(saw_old + saw_new == 12);
  // Temporaries of killed writers remain (named <file>.tmp.<16 hex digits>); nothing else does. Their
  // presence shows that kills did land in the middle of saves (the child does nothing else).
  std::size_t temporaries = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const auto name = entry.path().filename().string();
    CHECK((name == "index.seg" || name.rfind("index.seg.tmp.", 0) == 0));
    temporaries += name != "index.seg" ? 1 : 0;
  }
  CHECK(temporaries >= 1);
  INFO("old " << saw_old << ", new " << saw_new);
  fs::remove_all(dir);
}
