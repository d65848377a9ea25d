#pragma once
// Shared machinery of the `segkit` tool: command registry, argument parsing, options generated from
// the library's parameter tables, output, timing.

#include <chrono>
#include <cstddef>
#include <algorithm>
#include <functional>
#include <initializer_list>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <segkit/core/json.hpp>
#include <segkit/core/matrix_view.hpp>
#include <segkit/core/params.hpp>
#include <segkit/core/progress.hpp>
#include <segkit/core/types.hpp>

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
  std::string alias_of{};  // an older spelling: its value is stored under this option (not listed in help)
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

/// The one JSON object a command prints with --json (the library's writer).
using segkit::json_object;

/// True if the field `name` (a dotted path) is in `skip`, itself or through a "group.*" entry.
inline bool skipped(std::string_view name, std::initializer_list<std::string_view> skip) {
  for (const auto entry : skip) {
    if (entry == name) return true;
    if (entry.ends_with(".*") && name.starts_with(entry.substr(0, entry.size() - 1))) return true;
  }
  return false;
}

/// The command-line options of parameter table P: one per field a tool may set, nested groups
/// flattened (params::describe_flat: named as the field, '_' as '-'); a boolean is a flag, with
/// --no-NAME when it defaults to true; the field's older spellings are aliases; help from the
/// field's doc, default and valid values. seed and threads are left to the common options; `skip`
/// names fields (dotted paths; "group.*" a whole group) the command handles itself. `defaults`
/// are the values the command starts from (the help shows them): the library's unless the tool
/// documents its own (e.g. eval trustworthiness's 10 neighbors).
template <params::tabled P>
std::vector<option> param_options(std::initializer_list<std::string_view> skip = {}, const P& defaults = P{}) {
  std::vector<option> out;
  for (const auto& f : params::describe_flat<P>(defaults)) {
    const std::string_view last = std::string_view(f.name).substr(f.name.rfind('.') == std::string::npos ? 0 : f.name.rfind('.') + 1);
    if (!f.option_offered || last == "seed" || last == "threads" || skipped(f.name, skip)) continue;
    const bool flag = f.kind == params::value_kind::boolean;
    std::string help = f.doc;
    if (!flag) help += fmt::format(" (default {}{}{})", f.default_value, f.range.empty() ? "" : "; ", f.range);
    std::string also;
    for (const auto& alias : f.aliases) {
      std::string o = alias;
      for (char& c : o) c = c == '_' ? '-' : c;
      if (o != f.option) also += fmt::format("{}--{}", also.empty() ? "" : ", ", o);
    }
    if (!also.empty()) help += fmt::format("; also {}", also);
    out.push_back({f.option, 0, !flag, help});
    if (flag && f.default_value == "true") out.push_back({"no-" + f.option, 0, false, fmt::format("turn --{} off", f.option)});
    for (const auto& alias : f.aliases) {
      std::string o = alias;
      for (char& c : o) c = c == '_' ? '-' : c;
      if (o != f.option) out.push_back({o, 0, !flag, "", f.option});
    }
  }
  return out;
}

/// A command's own options (files, switches) followed by those of parameter table P.
template <params::tabled P>
std::vector<option> with_params(std::vector<option> own, std::initializer_list<std::string_view> skip = {}, const P& defaults = P{}) {
  for (auto& o : param_options<P>(skip, defaults)) own.push_back(std::move(o));
  return own;
}

/// Sets the fields of p from the options given (as param_options<P>(skip) offered them).
/// @throws usage_error naming the option for a value that does not parse.
template <params::tabled P>
void apply_params(const args& a, P& p, std::initializer_list<std::string_view> skip = {}) {
  for (const auto& f : params::describe_flat<P>()) {
    if (!f.option_offered || skipped(f.name, skip)) continue;
    try {
      // The messages name the option: "--storage must be float32, float16 or int8 (got 'int4')".
      if (f.kind == params::value_kind::boolean) {
        if (a.has(f.option)) params::set_path(p, f.name, "true", "--" + f.option, "--" + f.option);
        if (a.has("no-" + f.option)) params::set_path(p, f.name, "false", "--no-" + f.option, "--no-" + f.option);
      } else if (a.has(f.option)) {
        params::set_path(p, f.name, a.get(f.option), "--" + f.option, "--" + f.option);
      }
    } catch (const segkit::invalid_argument& e) {
      throw usage_error(e.what());
    }
  }
}

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

/// Sessions from a text file: one per line (an empty line is an empty session; a final newline
/// ends the last line), item ids (unsigned integers) separated by spaces, tabs or commas.
/// `command` names the command in errors. @throws segkit::format_error naming the line.
std::vector<std::vector<id_type>> read_sessions(const std::string& path, std::string_view command);

}  // namespace segkit::cli
