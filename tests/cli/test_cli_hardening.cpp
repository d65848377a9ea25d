// The tool against inputs an audit found it mishandled: an absurd k, a FIFO given as a file, a
// data problem reported as a usage error, memory it cannot have.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <sys/stat.h>

#include "cli/cli_run.hpp"
#include "support/data.hpp"

#include <segkit/core/npy.hpp>
#include <segkit/index/flat.hpp>

namespace fs = std::filesystem;
using namespace segkit_cli_test;

TEST_CASE("cli: index query caps k at the vectors stored (k = 2^60 and 2^63 crashed HNSW, IVF and empty indexes)", "[cli]") {
  segkit::save_npy(dir() / "b.npy", segkit::test::blobs(200, 8, 4, 1));
  segkit::save_npy(dir() / "q.npy", segkit::test::blobs(5, 8, 4, 2));
  REQUIRE(run("index build hnsw -i " + q(dir() / "b.npy") + " -o " + q(dir() / "h.seg") + " --quiet").status == 0);
  REQUIRE(run("index build ivf -i " + q(dir() / "b.npy") + " -o " + q(dir() / "i.seg") + " --nlist 4 --quiet").status == 0);
  segkit::index::flat<>(8).save(dir() / "empty.seg");
  for (const std::string k : {"1152921504606846976", "9223372036854775808"}) {
    for (const char* index : {"h.seg", "i.seg"}) {
      const auto r = run("index query --index " + q(dir() / index) + " -q " + q(dir() / "q.npy") + " -k " + k + " -o " + q(dir() / "ids.npy") + " --json");
      INFO(index << " -k " << k << ": " << r.out);
      REQUIRE(r.status == 0);
      CHECK(json_number(r.out, "k") == 200);
      const auto ids = segkit::load_npy_matrix<std::int64_t>(dir() / "ids.npy");
      CHECK(ids.shape(0) == 5);
      CHECK(ids.shape(1) == 200);
    }
    const auto none = run("index query --index " + q(dir() / "empty.seg") + " -q " + q(dir() / "q.npy") + " -k " + k + " -o " + q(dir() / "ids.npy") + " --json");
    REQUIRE(none.status == 0);
    const auto ids = segkit::load_npy_matrix<std::int64_t>(dir() / "ids.npy");
    CHECK(ids.shape(1) == 1);
    CHECK(ids(0, 0) == -1);
  }
  // k beyond 2^64 is a usage error, named.
  const auto over = run("index query --index " + q(dir() / "h.seg") + " -q " + q(dir() / "q.npy") + " -k 99999999999999999999 -o " + q(dir() / "ids.npy"));
  CHECK(over.status == 2);
  CHECK(over.out.find("-k") != std::string::npos);
}

TEST_CASE("cli: a FIFO given as an input file is refused at once, not waited on", "[cli]") {
  const auto fifo = dir() / "in.npy";
  fs::remove(fifo);
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  // `timeout` turns a hang (the old behavior: open() waited for a writer forever) into status 124.
  for (const std::string& cmd : {"index build flat -i " + q(fifo) + " -o " + q(dir() / "x.seg"), "cluster kmeans -i " + q(fifo) + " -k 2 -o " + q(dir() / "l.npy"),
                                "segment -i " + q(fifo) + " --text-columns title -o " + q(dir() / "s.npy")}) {
    const auto r = run_shell("timeout 60 " + std::string(SEGKIT_CLI) + " " + cmd);
    INFO(cmd << ": " << r.out);
    CHECK(r.status == 1);
    CHECK(r.out.find("is not a regular file (a FIFO)") != std::string::npos);
  }
  fs::remove(fifo);
}

TEST_CASE("cli: --k auto without a knee is a data problem (exit 1), not a usage error (exit 2)", "[cli]") {
  segkit::save_npy(dir() / "two.npy", segkit::test::blobs(2, 3, 1, 4));
  const auto r = run("cluster kmeans -i " + q(dir() / "two.npy") + " -k auto -o " + q(dir() / "l.npy"));
  CHECK(r.status == 1);
  CHECK(r.out.find("no knee") != std::string::npos);
}

TEST_CASE("cli: running out of memory names the command", "[cli]") {
  // A .npy header that promises 4,000,000 x 64 float32 (1 GB) over a sparse file (no disk used),
  // read under a 700 MB address-space limit: the allocation fails.
  const auto big = dir() / "big.npy";
  {
    std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (4000000, 64), }";
    while ((10 + header.size() + 1) % 64 != 0) header += ' ';
    header += '\n';
    std::ofstream f(big, std::ios::binary);
    f.write("\x93NUMPY\x01\x00", 8);
    const auto len = static_cast<std::uint16_t>(header.size());
    f.put(static_cast<char>(len & 0xFF)).put(static_cast<char>(len >> 8));
    f << header;
  }
  fs::resize_file(big, fs::file_size(big) + std::uintmax_t{4000000} * 64 * 4);
  const auto r = run_shell("ulimit -v 700000 && OPENBLAS_NUM_THREADS=1 " + std::string(SEGKIT_CLI) + " cluster kmeans -i " + q(big) + " -k 2 -o " +
                           q(dir() / "l.npy"));
  INFO(r.out);
  CHECK(r.status == 1);
  CHECK(r.out.find("segkit: error: segkit cluster kmeans: out of memory") != std::string::npos);
  fs::remove(big);
}

TEST_CASE("cli: index query --mmap maps the index and reads only its header (it read and verified the whole file first)", "[cli]") {
  if (run_shell("command -v strace").status != 0) {
    WARN("strace is not installed (cmake/install-deps.sh installs it): not checked");
    return;
  }
  segkit::save_npy(dir() / "b.npy", segkit::test::normal_matrix(20000, 64, 3));  // a 5 MB index
  segkit::save_npy(dir() / "q.npy", segkit::test::normal_matrix(2, 64, 4));
  REQUIRE(run("index build flat -i " + q(dir() / "b.npy") + " -o " + q(dir() / "f.seg") + " --quiet").status == 0);
  // Bytes that read() returned, summed over the whole process (the queries are a few hundred).
  const auto bytes_read = [&](const std::string& extra) {
    const auto trace = dir() / "trace.txt";
    const auto r = run_shell("strace -f -e trace=read,pread64 -o " + q(trace) + " " + std::string(SEGKIT_CLI) + " index query --index " +
                             q(dir() / "f.seg") + " -q " + q(dir() / "q.npy") + " -k 3 -o " + q(dir() / "ids.npy") + " " + extra);
    REQUIRE(r.status == 0);
    std::ifstream in(trace);
    std::string line;
    long long total = 0;
    while (std::getline(in, line)) {
      const auto eq = line.rfind(") = ");
      if (eq != std::string::npos && line.find("read") != std::string::npos) total += std::max(0LL, std::atoll(line.c_str() + eq + 4));
    }
    return total;
  };
  const auto file = static_cast<long long>(fs::file_size(dir() / "f.seg"));
  const auto loaded = bytes_read("");
  const auto mapped = bytes_read("--mmap");
  INFO("index file " << file << " bytes; read() returned " << loaded << " bytes loaded, " << mapped << " mapped");
  CHECK(loaded >= file);       // load: the file is read once
  CHECK(loaded < 2 * file);    // ... and only once
  CHECK(mapped < file / 10);   // --mmap: the header and the queries only
}
