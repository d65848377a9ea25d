// `segkit params [NAME]`: the library's parameter tables — every algorithm's parameters with their
// defaults, valid values and meaning, as text, Markdown (the docs' tables are generated from it)
// or JSON; with --check, a parameter file (JSON or YAML) read and validated against a table.

#include <string>
#include <vector>

#include <segkit/core/file.hpp>
#include <segkit/core/json.hpp>
#include <segkit/core/yaml.hpp>
#include <segkit/pipeline/parameter_tables.hpp>

#include "cli.hpp"
#include "mpi.hpp"

namespace segkit::cli {
namespace {

int params_command(const args& a) {
  const auto& tables = pipeline::parameter_tables();
  if (a.positional().empty()) {
    std::string human = "parameter tables (segkit params NAME for one):\n", list;
    for (const auto& t : tables) {
      human += fmt::format("  {:<22} {}\n", t.name, t.summary);
      json_object o;
      o.add("name", t.name).add("type", t.type).add("summary", t.summary);
      list += (list.empty() ? "" : ", ") + o.str();
    }
    json_object j;
    j.add("seconds", 0.0).add_raw("tables", "[" + list + "]");
    emit(a, j, human);
    return 0;
  }
  if (a.positional().size() != 1) throw usage_error("expected one table name (segkit params lists them)");
  const pipeline::parameter_table* table = nullptr;
  try {
    table = &pipeline::parameter_table_named(a.positional()[0]);
  } catch (const segkit::invalid_argument& e) {
    throw usage_error(e.what());
  }
  if (a.has("check")) {  // a parameter file against the table
    const std::string path = a.get("check");
    const auto bytes = read_file_bytes(path, "segkit params --check");
    const std::string_view text(bytes.data(), bytes.size());
    const bool yaml = path.ends_with(".yaml") || path.ends_with(".yml");
    table->check(yaml ? parse_yaml(text, path) : parse_json(text, path), path);
    json_object j;
    j.add("seconds", 0.0).add("table", table->name).add("valid", true);
    emit(a, j, fmt::format("{}: valid {} parameters", path, table->name));
    return 0;
  }
  if (a.has("markdown")) {
    if (world_rank() == 0) std::printf("%s", table->markdown().c_str());
    return 0;
  }
  std::string human = fmt::format("{} ({}): parameters of {}\n", table->name, table->type, table->summary), fields;
  for (const auto& f : table->describe()) {
    std::string valid = f.range;
    if (f.kind == params::value_kind::group) valid = "group";
    if (f.kind == params::value_kind::groups) valid = "list of groups";
    if (f.kind == params::value_kind::data) valid = "set in code";
    human += fmt::format("  {:<26} {:<12} {:<28} {}\n", f.name, f.default_value, valid, f.doc);
    json_object o;
    o.add("name", f.name).add("option", f.option).add("type", f.type).add("default", f.default_value).add("valid", valid).add("doc", f.doc);
    std::string aliases;
    for (const auto& x : f.aliases) aliases += (aliases.empty() ? "" : ", ") + json_quote(x);
    o.add_raw("aliases", "[" + aliases + "]");
    fields += (fields.empty() ? "" : ", ") + o.str();
  }
  json_object j;
  j.add("seconds", 0.0).add("name", table->name).add("type", table->type).add_raw("fields", "[" + fields + "]").add_raw("defaults", table->defaults_json());
  emit(a, j, human);
  return 0;
}

const registrar params_commands({
    {{"params"},
     "[NAME [--markdown | --check FILE]]",
     "The library's parameter tables: without NAME, their names; with it, every parameter's default, valid values and meaning "
     "(--markdown: the docs' table; --json: fields and defaults). --check reads a JSON or YAML parameter file and validates it.",
     {{"markdown", 0, false, "print the table as Markdown (the docs' parameter tables are generated from this)"},
      {"check", 0, true, "a parameter file, JSON or YAML (by extension), to validate against the table"}},
     params_command},
});

}  // namespace
}  // namespace segkit::cli
