#pragma once
// What every example program shares: `--name value` options over defaults, and a main that turns
// an exception into a one-line message and exit status 1.

#include <cstdio>
#include <exception>
#include <map>
#include <string>

namespace segkit::examples {

/// Option values by name (without the leading "--").
using options = std::map<std::string, std::string>;

/// `--name value` pairs of the command line over `defaults`.
inline options parse_options(int argc, char** argv, options defaults) {
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    defaults[flag.rfind("--", 0) == 0 ? flag.substr(2) : flag] = argv[i + 1];
  }
  return defaults;
}

/// Runs `body` (returning the exit status); an exception prints "name: message" and gives 1.
template <class Body>
int guarded_main(const char* name, Body&& body) {
  try {
    return body();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: %s\n", name, e.what());
    return 1;
  }
}

}  // namespace segkit::examples
