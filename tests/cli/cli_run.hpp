#pragma once
// Running the `segkit` executable from the tool's tests: its exit status and output, and one
// scratch directory per test case.
#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>
#include <functional>
#include <string>

#include <sys/wait.h>

#include <fmt/format.h>

namespace segkit_cli_test {
struct run_result {
  int status;
  std::string out;
};

// Runs a shell command line, capturing stdout and stderr.
inline run_result run_shell(const std::string& line) {
  const std::string cmd = line + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  REQUIRE(p != nullptr);
  std::string out;
  char buf[4096];
  while (std::fgets(buf, sizeof buf, p) != nullptr) out += buf;
  const int status = pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

inline run_result run(const std::string& args) { return run_shell(std::string(SEGKIT_CLI) + " " + args); }

// One directory per test case: ctest runs the cases as separate processes in parallel, so cases
// must not share file names.
inline std::filesystem::path dir() {
  const std::string name = Catch::getResultCapture().getCurrentTestName();
  const auto d = std::filesystem::temp_directory_path() / "segkit_test_cli" / fmt::format("{:016x}", std::hash<std::string>{}(name));
  std::filesystem::create_directories(d);
  return d;
}
inline std::string q(const std::filesystem::path& p) { return "'" + p.string() + "'"; }

// The number after "key": in a JSON line.
inline double json_number(const std::string& out, const std::string& key) {
  const auto at = out.find("\"" + key + "\": ");
  REQUIRE(at != std::string::npos);
  return std::stod(out.substr(at + key.size() + 4));
}
}  // namespace segkit_cli_test
