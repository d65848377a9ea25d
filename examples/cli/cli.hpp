#pragma once
// Shared machinery of the `segkit` tool: command registry, argument parsing, JSON output, timing.

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <segkit/core/matrix_view.hpp>
#include <segkit/core/progress.hpp>

#include <fmt/format.h>

namespace segkit::cli {

/// A command-line mistake: printed with the usage hint, exit code 2.
struct usage_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// One option a command accepts.
struct option {
  std::string name;       // long name without dashes, e.g. "index"
  char short_name = 0;    // e.g. 'i', or 0
  bool takes_value = true;
  std::string help;
};

/// Parsed arguments of one command.
class args {
 public:
  [[nodiscard]] bool has(std::string_view name) const { return values_.count(std::string(name)) != 0; }
  [[nodiscard]] const std::string& get(std::string_view name) const {
    const auto it = values_.find(std::string(name));
    if (it == values_.end()) throw usage_error(fmt::format("missing required option --{}", name));
    return it->second;
  }
  [[nodiscard]] std::string get_or(std::string_view name, std::string fallback) const {
    return has(name) ? get(name) : std::move(fallback);
  }
  [[nodiscard]] std::size_t get_size(std::string_view name, std::optional<std::size_t> fallback = std::nullopt) const;
  [[nodiscard]] double get_double(std::string_view name, double fallback) const;
  [[nodiscard]] const std::vector<std::string>& positional() const { return positional_; }
  [[nodiscard]] bool json() const { return has("json"); }
  [[nodiscard]] bool quiet() const { return has("quiet"); }
  [[nodiscard]] std::size_t threads() const { return get_size("threads", 0); }
  [[nodiscard]] std::uint64_t seed() const { return get_size("seed", 0); }

  std::map<std::string, std::string> values_;
  std::vector<std::string> positional_;
};

/// One command, e.g. {"index", "build"}.
struct command {
  std::vector<std::string> path;  // words after `segkit`, e.g. {"index", "build"}
  std::string synopsis;           // usage line after the path
  std::string summary;            // one sentence
  std::vector<option> options;    // command-specific options (common ones are added)
  std::function<int(const args&)> run;
};

/// The registry every cmd_*.cpp adds its commands to (static registration).
std::vector<command>& registry();

/// Registers commands at static-initialization time: `static registrar r({...});`.
struct registrar {
  explicit registrar(std::vector<command> commands) {
    for (auto& c : commands) registry().push_back(std::move(c));
  }
};

/// Options every command accepts.
std::vector<option> common_options();

/// Builds the one JSON object a command prints with --json.
class json_object {
 public:
  json_object& add(std::string_view key, double value);
  json_object& add(std::string_view key, std::size_t value);
  json_object& add(std::string_view key, std::string_view value);
  json_object& add_raw(std::string_view key, std::string raw_json);
  [[nodiscard]] std::string str() const;
  static std::string quote(std::string_view s);

 private:
  std::vector<std::pair<std::string, std::string>> fields_;
};

/// Measures in-process compute time (file I/O excluded by the caller's placement of start/stop).
class stopwatch {
 public:
  void start() { t0_ = std::chrono::steady_clock::now(); }
  void stop() { total_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count(); }
  [[nodiscard]] double seconds() const { return total_; }

 private:
  std::chrono::steady_clock::time_point t0_{};
  double total_ = 0.0;
};

/// A progress callback that draws "stage [#####.....] done/total" on stderr, redrawn in place,
/// when stderr is a terminal and --quiet is not given; the line is cleared when it goes away.
class progress_bar {
 public:
  explicit progress_bar(const args& a);
  progress_bar(const progress_bar&) = delete;
  progress_bar& operator=(const progress_bar&) = delete;
  ~progress_bar() { finish(); }
  bool operator()(const progress_event& e);
  /// Clears the line (before printing results).
  void finish();

 private:
  bool enabled_ = false;
  bool drawn_ = false;
};

/// Prints a JSON object (with --json) or human-readable lines (unless --quiet).
void emit(const args& a, const json_object& json, const std::string& human);

/// The per-sample weights of --weights W.npy (n values), or none.
std::vector<double> load_weights(const args& a);

/// The comma-separated items of an option value ("a,b,,c" gives four, one empty).
std::vector<std::string> split_list(const std::string& s);

/// One text per row of a CSV file: the named columns (comma-separated) joined by spaces.
std::vector<std::string> csv_documents(const std::string& path, const std::string& columns);

/// Embeddings of texts by the ONNX text model the options describe (--model with --vocab, or
/// --clip-vocab and --clip-merges; --pooling, --max-length, --batch-size, --cased, --runtime).
matrix<float> embed_texts_with_model(const args& a, const std::vector<std::string>& texts);

}  // namespace segkit::cli
