// `segkit`: the command-line tool. Grammar in docs/cli.md (a contract: extended, never changed).

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <memory>
#include <new>
#include <set>
#include <string>
#include <vector>

#include <unistd.h>

#include <segkit/core/csv.hpp>
#include <segkit/core/error.hpp>
#include <segkit/core/npy.hpp>
#include <segkit/distance/kernels.hpp>
#include <segkit/version.hpp>

#include "cli.hpp"
#include "mpi.hpp"

// OpenBLAS threads would compete with segkit's own workers, which already call BLAS in parallel:
// an application (not the library) may set this process-wide knob. Weak, so other BLAS work too.
extern "C" void openblas_set_num_threads(int) __attribute__((weak));

namespace segkit::cli {

namespace {
#ifdef SEGKIT_CLI_MPI
std::unique_ptr<distributed::mpi_session> mpi_session_;
std::unique_ptr<distributed::communicator> mpi_world_;
#endif
}  // namespace

#ifdef SEGKIT_CLI_MPI
const distributed::communicator* mpi_world() { return mpi_world_.get(); }
int world_rank() { return mpi_world_ ? mpi_world_->rank() : 0; }

// Starts MPI when mpirun started this process; more than one rank makes the run distributed.
void start_mpi(int& argc, char**& argv) {
  if (!distributed::mpi_session::launched()) return;
  mpi_session_ = std::make_unique<distributed::mpi_session>(&argc, &argv);
  mpi_world_ = std::make_unique<distributed::communicator>();
  if (mpi_world_->size() == 1) mpi_world_.reset();
}
void stop_mpi() {
  mpi_world_.reset();
  mpi_session_.reset();
}
#else
int world_rank() { return 0; }
void start_mpi(int&, char**&) {}
void stop_mpi() {}
#endif

// Commands that split their work over mpirun's ranks; the others refuse to run on several.
bool distributed_command(const command& c) {
  static const std::set<std::vector<std::string>> names = {
      {"cluster", "kmeans"}, {"cluster", "minibatch-kmeans"}, {"index", "build"}, {"index", "query"}};
  return names.count(c.path) != 0;
}

std::vector<command>& registry() {
  static std::vector<command> commands;
  return commands;
}

std::vector<option> common_options() {
  return {{"metric", 0, true, "distance: l2, sqeuclidean, cosine, ip, manhattan"},
          {"seed", 0, true, "the only source of randomness (default: the algorithm's, 0 unless `segkit params` says otherwise)"},
          {"threads", 0, true, "worker threads, 0 = all cores (default 0); results do not depend on it"},
          {"json", 0, false, "print one JSON object on stdout"},
          {"quiet", 0, false, "print nothing but errors"},
          {"help", 'h', false, "show this help"}};
}

std::size_t args::get_size(std::string_view name, std::optional<std::size_t> fallback) const {
  if (!has(name)) {
    if (fallback) return *fallback;
    throw usage_error(fmt::format("missing required option --{}", name));
  }
  const std::string& v = get(name);
  std::size_t used = 0;
  unsigned long long x = 0;
  try {
    if (v.empty() || v[0] == '-') throw std::invalid_argument("negative");
    x = std::stoull(v, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != v.size() || v.empty()) throw usage_error(fmt::format("--{} expects a non-negative integer, got '{}'", name, v));
  return static_cast<std::size_t>(x);
}

double args::get_double(std::string_view name, double fallback) const {
  if (!has(name)) return fallback;
  const std::string& v = get(name);
  std::size_t used = 0;
  double x = 0.0;
  try {
    x = std::stod(v, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != v.size() || v.empty() || !std::isfinite(x)) throw usage_error(fmt::format("--{} expects a number, got '{}'", name, v));
  return x;
}

progress_bar::progress_bar(const args& a) : enabled_(!a.quiet() && ::isatty(STDERR_FILENO) == 1) {}

void progress_bar::finish() {
  if (drawn_) std::fprintf(stderr, "\r%-72s\r", "");
  drawn_ = false;
}

bool progress_bar::operator()(const progress_event& e) {
  if (!enabled_) return true;
  constexpr std::size_t width = 30;
  const std::size_t filled = e.total ? std::min(width, e.done * width / e.total) : 0;
  const std::string bar = std::string(filled, '#') + std::string(width - filled, '.');
  std::fprintf(stderr, "\r%-10.*s [%s] %zu/%zu   ", static_cast<int>(e.stage.size()), e.stage.data(), bar.c_str(), e.done, e.total);
  std::fflush(stderr);
  drawn_ = true;
  return true;
}

void emit(const args& a, const json_object& json, const std::string& human) {
  if (world_rank() != 0) return;  // under mpirun, rank 0 speaks for all
  if (a.json()) {
    std::printf("%s\n", json.str().c_str());
  } else if (!a.quiet() && !human.empty()) {
    std::printf("%s\n", human.c_str());
  }
}

std::vector<double> load_weights(const args& a) {
  std::vector<double> weights;
  if (a.has("weights")) {
    const auto w = load_npy_vector<double>(a.get("weights"));
    weights.assign(w.begin(), w.end());
  }
  return weights;
}

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= s.size()) {
    const std::size_t comma = s.find(',', start);
    out.push_back(s.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

std::vector<std::string> csv_documents(const std::string& path, const std::string& columns) {
  const auto t = read_csv(path);
  std::vector<std::size_t> cols;
  for (const auto& c : split_list(columns)) cols.push_back(t.column_index(c));
  std::vector<std::string> docs;
  docs.reserve(t.row_count());
  for (const auto& row : t.rows()) {
    std::string doc;
    for (const std::size_t c : cols) doc += (doc.empty() ? "" : " ") + row[c];
    docs.push_back(std::move(doc));
  }
  return docs;
}

namespace {

std::string path_string(const std::vector<std::string>& path) {
  std::string s;
  for (const auto& w : path) s += (s.empty() ? "" : " ") + w;
  return s;
}

void print_command_help(const command& c) {
  std::printf("usage: segkit %s %s\n\n%s\n\noptions:\n", path_string(c.path).c_str(), c.synopsis.c_str(), c.summary.c_str());
  auto all = c.options;
  for (auto& o : common_options()) all.push_back(o);
  for (const auto& o : all) {
    if (!o.alias_of.empty()) continue;  // older spellings are accepted, not advertised
    const std::string flag = (o.short_name ? fmt::format("-{}, ", o.short_name) : std::string("    ")) + "--" + o.name +
                             (o.takes_value ? " VALUE" : "");
    std::printf("  %-28s %s\n", flag.c_str(), o.help.c_str());
  }
}

void print_help(const std::vector<std::string>& prefix) {
  std::printf("segkit %s - embedding-based segmentation: vectors, indexes, clusters, reports\n\n"
              "usage: segkit <command> [options]   (segkit <command> --help for details)\n\ncommands:\n",
              SEGKIT_VERSION_STRING);
  for (const auto& c : registry()) {
    if (c.path.size() < prefix.size() || !std::equal(prefix.begin(), prefix.end(), c.path.begin())) continue;
    std::printf("  %-28s %s\n", path_string(c.path).c_str(), c.summary.c_str());
  }
  std::printf("\ncommon options: --metric M, --seed N, --threads N, --json, --quiet\n");
}

args parse(const command& c, int argc, char** argv, int first) {
  auto all = c.options;
  for (auto& o : common_options()) all.push_back(o);
  args a;
  std::map<std::string, std::string> spelling;  // option -> the spelling it was given with
  for (int i = first; i < argc; ++i) {
    const std::string word = argv[i];
    const option* opt = nullptr;
    if (word.size() > 2 && word.rfind("--", 0) == 0) {
      for (const auto& o : all) {
        if (o.name == word.substr(2)) opt = &o;
      }
    } else if (word.size() == 2 && word[0] == '-' && word[1] != '-') {
      for (const auto& o : all) {
        if (o.short_name == word[1]) opt = &o;
      }
    } else {
      a.positional_.push_back(word);
      continue;
    }
    if (opt == nullptr) throw usage_error(fmt::format("unknown option '{}' for 'segkit {}'", word, path_string(c.path)));
    const std::string& name = opt->alias_of.empty() ? opt->name : opt->alias_of;
    if (const auto seen = spelling.emplace(name, opt->name); seen.first->second != opt->name) {
      throw usage_error(fmt::format("give --{} once (--{} is its older spelling)", name, seen.first->second == name ? opt->name : seen.first->second));
    }
    if (opt->takes_value) {
      if (i + 1 >= argc) throw usage_error(fmt::format("option --{} needs a value", opt->name));
      a.values_[name] = argv[++i];
    } else {
      a.values_[name] = "1";
    }
  }
  return a;
}

}  // namespace
}  // namespace segkit::cli

int main(int argc, char** argv) {
  using namespace segkit::cli;
  if (openblas_set_num_threads != nullptr && std::getenv("OPENBLAS_NUM_THREADS") == nullptr) openblas_set_num_threads(1);
  std::vector<std::string> words;
  for (int i = 1; i < argc && argv[i][0] != '-'; ++i) words.emplace_back(argv[i]);
  if (argc >= 2 && (std::string(argv[1]) == "--version" || std::string(argv[1]) == "version")) {
    std::printf("segkit %s (SIMD: %s)\n", SEGKIT_VERSION_STRING, segkit::distance::simd_architecture());
    return 0;
  }
  if (argc < 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h" || std::string(argv[1]) == "help") {
    print_help({});
    return argc < 2 ? 2 : 0;
  }
  // The longest registered path that prefixes the words given.
  const command* best = nullptr;
  for (const auto& c : registry()) {
    if (c.path.size() <= words.size() && std::equal(c.path.begin(), c.path.end(), words.begin()) &&
        (best == nullptr || c.path.size() > best->path.size())) {
      best = &c;
    }
  }
  if (best == nullptr) {
    bool is_group = false;
    for (const auto& c : registry()) is_group |= !words.empty() && c.path.front() == words.front();
    if (is_group) {
      print_help({words.front()});
      return 2;
    }
    std::fprintf(stderr, "segkit: error: unknown command '%s' (see segkit --help)\n", words.empty() ? argv[1] : words.front().c_str());
    return 2;
  }
  int rc = 0;
  try {
    start_mpi(argc, argv);
    const args a = parse(*best, argc, argv, static_cast<int>(best->path.size()) + 1);
    if (a.has("help")) {
      if (world_rank() == 0) print_command_help(*best);
      stop_mpi();
      return 0;
    }
#ifdef SEGKIT_CLI_MPI
    if (mpi_world() != nullptr && !distributed_command(*best)) {
      throw usage_error(fmt::format("'segkit {}' runs in one process; under mpirun with {} ranks only cluster kmeans, cluster minibatch-kmeans, "
                                    "index build and index query are distributed",
                                    path_string(best->path), mpi_world()->size()));
    }
#endif
    rc = best->run(a);
  } catch (const usage_error& e) {
    // Every rank sees the same arguments, so rank 0 reports for all.
    if (world_rank() == 0) std::fprintf(stderr, "segkit: error: %s (see segkit %s --help)\n", e.what(), path_string(best->path).c_str());
    rc = 2;
  } catch (const std::bad_alloc&) {
    // Named, so that the user knows which step asked for the memory (a parameter such as k or
    // the dimension, or an input larger than this machine's memory).
    std::fprintf(stderr, "segkit: error: segkit %s: out of memory (the input or a parameter asks for more memory than this machine gives)\n",
                 path_string(best->path).c_str());
    rc = 1;
  } catch (const std::exception& e) {
    // Errors agreed over ranks ("rank N: ...") are reported once, by rank 0; others by their rank.
    const std::string what = e.what();
    if (world_rank() == 0 || what.rfind("rank ", 0) != 0) std::fprintf(stderr, "segkit: error: %s\n", e.what());
    rc = 1;
  }
  stop_mpi();
  return rc;
}
