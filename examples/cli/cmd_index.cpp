// `segkit index build|query`: build an index from a .npy matrix, query it, measure recall.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <segkit/cluster/kmeans.hpp>
#include <segkit/core/csv.hpp>
#include <segkit/core/npy.hpp>
#include <segkit/core/binary_format.hpp>
#include <segkit/index/any_index.hpp>
#include <segkit/index/merge.hpp>

#include "cli.hpp"
#include "mpi.hpp"

#ifdef SEGKIT_CLI_MPI
#include <segkit/distributed/rows.hpp>
#include <segkit/distributed/search.hpp>
#endif

namespace segkit::cli {
namespace {

// A sharded index on disk: a small checksummed manifest at the path given to `index build -o`,
// naming one index file per shard beside it (written by `mpirun -np N segkit index build`).
constexpr std::string_view shards_kind = "segkit.index.shards";

struct shard_manifest {
  std::size_t total = 0, dim = 0;
  std::string type, metric;
  std::vector<std::string> files;  // relative to the manifest's directory
};

std::string shard_file_name(const std::filesystem::path& manifest, int rank, int ranks) {
  return fmt::format("{}.shard-{}-of-{}", manifest.filename().string(), rank, ranks);
}

void write_manifest(const std::filesystem::path& path, const shard_manifest& m) {
  byte_writer meta;
  meta.put(std::uint32_t{1}).put(static_cast<std::uint64_t>(m.files.size())).put(static_cast<std::uint64_t>(m.total));
  meta.put(static_cast<std::uint64_t>(m.dim)).put_string(m.type).put_string(m.metric);
  for (const auto& f : m.files) meta.put_string(f);
  container_writer w{std::string(shards_kind)};
  w.add_copy("meta", meta.bytes());
  w.commit(path);
}

// The manifest at `path`, or nothing if the file is a plain index.
std::optional<shard_manifest> read_manifest(const std::filesystem::path& path) {
  // Only the header is read to learn the kind (mapped, sections unverified): an index file is then
  // read (or mapped) and verified once, by the index's own open.
  if (container_reader::map(path, "segkit.index.", false).kind() != shards_kind) return std::nullopt;
  const container_reader file(path, "segkit.index.");
  byte_reader meta(file.section("meta"), file);
  if (const auto v = meta.get<std::uint32_t>(); v != 1) file.fail(fmt::format("shard manifest version {} is not supported", v));
  shard_manifest m;
  const auto shards = meta.get<std::uint64_t>();
  if (shards == 0 || shards > 65536) file.fail(fmt::format("implausible shard count {}", shards));
  m.total = meta.get<std::uint64_t>();
  m.dim = meta.get<std::uint64_t>();
  m.type = meta.get_string();
  m.metric = meta.get_string();
  for (std::uint64_t i = 0; i < shards; ++i) {
    m.files.push_back(meta.get_string());
    if (m.files.back().find('/') != std::string::npos) file.fail(fmt::format("shard file name '{}' has a directory part", m.files.back()));
  }
  return m;
}

int index_build(const args& a) {
  if (a.positional().size() != 1) throw usage_error("expected one index type: flat, hnsw or ivf");
  const std::string& type = a.positional()[0];
  if (type != "flat" && type != "hnsw" && type != "ivf") throw usage_error(fmt::format("unknown index type '{}' (flat, hnsw or ivf)", type));
  if (type != "ivf") {
    for (const char* o : {"nlist", "codec", "pq-m", "no-vectors", "no-keep-vectors", "keep-vectors", "train-size"}) {
      if (a.has(o)) throw usage_error(fmt::format("--{} applies to ivf indexes only", o));
    }
  }
  if (type != "hnsw") {
    for (const char* o : {"m", "ef-construction", "storage"}) {
      if (a.has(o)) throw usage_error(fmt::format("--{} does not apply to a {} index", o, type));
    }
  }
  index::any_index::build_options options;
  apply_params(a, options.hnsw);
  apply_params(a, options.ivf);
  if (a.has("no-vectors")) options.ivf.keep_vectors = false;
  options.trainer = cluster::kmeans_trainer{};
  const std::string metric = a.get_or("metric", "l2");
#ifdef SEGKIT_CLI_MPI
  if (const auto* comm = mpi_world()) {  // one shard per rank over its slice of the rows
    const auto local = distributed::read_npy_slice<float>(*comm, a.get("input"));
    const std::filesystem::path out = a.get("output");
    const auto shard_path = out.parent_path() / shard_file_name(out, comm->rank(), comm->size());
    stopwatch watch;
    const auto index = comm->agree([&] {
      std::shared_ptr<const index::attribute_table> attributes;
      if (a.has("attributes")) attributes = std::make_shared<const index::attribute_table>(index::attribute_table::from_csv(read_csv(a.get("attributes"))));
      watch.start();
      auto idx = index::any_index::make(type, metric, local.rows.shape(1), options);
      std::vector<id_type> ids(local.slice.count);
      for (std::size_t i = 0; i < ids.size(); ++i) ids[i] = local.slice.begin + i;
      idx.add(ids, as_rows<float>(local.rows).view());
      if (attributes) idx.set_attributes(attributes);
      watch.stop();
      idx.save(shard_path);
      return idx;
    });
    shard_manifest m{local.slice.total, local.rows.shape(1), type, index.metric(), {}};
    for (int r = 0; r < comm->size(); ++r) m.files.push_back(shard_file_name(out, r, comm->size()));
    comm->agree([&] {
      if (comm->is_root()) write_manifest(out, m);
    });
    const double seconds = comm->max(watch.seconds());
    json_object j;
    j.add("seconds", seconds).add("build_seconds", seconds).add("type", type).add("metric", index.metric());
    j.add("n", m.total).add("dim", m.dim).add("shards", m.files.size());
    emit(a, j, fmt::format("built {} index ({}, {} vectors of dimension {}) as {} shards in {:.3f} s -> {}", type, index.metric(), m.total, m.dim,
                           m.files.size(), seconds, out.string()));
    return 0;
  }
#endif
  const auto base = load_npy_matrix<float>(a.get("input"));
  std::shared_ptr<const index::attribute_table> attributes;
  if (a.has("attributes")) {  // column "id" = row of base.npy
    attributes = std::make_shared<const index::attribute_table>(index::attribute_table::from_csv(read_csv(a.get("attributes"))));
  }
  stopwatch watch;
  watch.start();
  auto index = index::any_index::make(type, metric, base.shape(1), options);
  std::vector<id_type> ids(base.shape(0));
  for (std::size_t i = 0; i < ids.size(); ++i) ids[i] = i;
  index.add(ids, as_rows<float>(base).view());
  if (attributes) index.set_attributes(attributes);
  watch.stop();
  index.save(a.get("output"));
  json_object j;
  j.add("seconds", watch.seconds()).add("build_seconds", watch.seconds()).add("type", type).add("metric", index.metric());
  j.add("n", index.size()).add("dim", index.dim());
  emit(a, j, fmt::format("built {} index ({}, {} vectors of dimension {}) in {:.3f} s -> {}", type, index.metric(),
                         index.size(), index.dim(), watch.seconds(), a.get("output")));
  return 0;
}

// An index file, or every shard of a manifest, read (or mapped) before the clock starts.
std::vector<index::any_index> open_for_query(const std::filesystem::path& path, const std::optional<shard_manifest>& manifest, bool mmap) {
  const auto open = [&](const std::filesystem::path& f) { return mmap ? index::any_index::open_mapped(f) : index::any_index::load(f); };
  std::vector<index::any_index> out;
  if (!manifest) {
    out.push_back(open(path));
    return out;
  }
  for (const auto& f : manifest->files) out.push_back(open(path.parent_path() / f));
  return out;
}

int index_query(const args& a) {
  const std::filesystem::path path = a.get("index");
  const auto manifest = read_manifest(path);
  std::size_t k = a.get_size("k");
  index::any_index::search_params p;
  apply_params(a, p);
  const std::optional<std::string> filter_text = a.has("filter") ? std::optional<std::string>(a.get("filter")) : std::nullopt;
  const auto check_metric = [&](const std::string& metric) {
    if (a.has("metric") && a.get("metric") != metric) {
      throw usage_error(fmt::format("--metric {} differs from the index's metric '{}'", a.get("metric"), metric));
    }
  };
  const auto filter_for = [&](const index::any_index& idx) {
    if (!idx.attributes()) throw usage_error("--filter needs attributes: build the index with --attributes attrs.csv");
    return index::attribute_filter::parse(*filter_text, idx.attributes());
  };
  knn_result<float> result;
  std::size_t nq = 0;
  stopwatch watch;
  double seconds = 0.0;
  bool answered = false;
#ifdef SEGKIT_CLI_MPI
  if (const auto* comm = mpi_world()) {
    if (manifest) {  // sharded: rank r searches shard r; queries from rank 0
      check_metric(manifest->metric);
      if (manifest->files.size() != static_cast<std::size_t>(comm->size())) {
        throw usage_error(fmt::format("the index has {} shards: run it with mpirun -np {} (or without mpirun)", manifest->files.size(),
                                      manifest->files.size()));
      }
      const auto shard_path = path.parent_path() / manifest->files[static_cast<std::size_t>(comm->rank())];
      auto shard = comm->agree([&] { return a.has("mmap") ? index::any_index::open_mapped(shard_path) : index::any_index::load(shard_path); });
      const auto queries = comm->agree([&] { return comm->is_root() ? load_npy_matrix<float>(a.get("queries")) : matrix<float>::from_shape({0, manifest->dim}); });
      const auto filter = filter_text ? std::optional<index::attribute_filter>(comm->agree([&] { return filter_for(shard); })) : std::nullopt;
      const distributed::sharded_index<index::any_index> sharded(*comm, std::move(shard));
      watch.start();
      result = filter ? sharded.search(as_rows<float>(queries).view(), k, p, *filter) : sharded.search(as_rows<float>(queries).view(), k, p);
      watch.stop();
      nq = result.ids.shape(0);
    } else {  // one index, loaded by every rank: each answers its slice of the queries
      auto idx = comm->agree([&] { return a.has("mmap") ? index::any_index::open_mapped(path) : index::any_index::load(path); });
      check_metric(idx.metric());
      const auto local = distributed::read_npy_slice<float>(*comm, a.get("queries"));
      const auto filter = filter_text ? std::optional<index::attribute_filter>(comm->agree([&] { return filter_for(idx); })) : std::nullopt;
      watch.start();
      const auto part = comm->agree([&] {
        return filter ? idx.search(as_rows<float>(local.rows).view(), k, p, *filter) : idx.search(as_rows<float>(local.rows).view(), k, p);
      });
      watch.stop();
      nq = local.slice.total;
      const auto ids = distributed::gather_rows(*comm, std::span<const id_type>(part.ids.data(), part.ids.size()));
      const auto dists = distributed::gather_rows(*comm, std::span<const float>(part.distances.data(), part.distances.size()));
      const std::size_t width = part.ids.shape(1);  // the same on every rank: one index
      result.ids = xt::xtensor<id_type, 2>::from_shape({comm->is_root() ? nq : 0, width});
      result.distances = xt::xtensor<float, 2>::from_shape({comm->is_root() ? nq : 0, width});
      std::copy(ids.begin(), ids.end(), result.ids.begin());
      std::copy(dists.begin(), dists.end(), result.distances.begin());
    }
    seconds = comm->max(watch.seconds());
    answered = true;
    if (!comm->is_root()) return 0;  // rank 0 writes and reports
  }
#endif
  if (!answered) {  // one index, or every shard in turn (merged): only the searches are timed
    const auto queries = load_npy_matrix<float>(a.get("queries"));
    nq = queries.shape(0);
    const auto indexes = open_for_query(path, manifest, a.has("mmap"));
    std::vector<std::optional<index::attribute_filter>> filters;
    for (const auto& idx : indexes) {
      check_metric(idx.metric());
      filters.push_back(filter_text ? std::optional<index::attribute_filter>(filter_for(idx)) : std::nullopt);
    }
    std::vector<knn_result<float>> parts;
    watch.start();
    for (std::size_t s = 0; s < indexes.size(); ++s) {
      const auto q = as_rows<float>(queries).view();
      parts.push_back(filters[s] ? indexes[s].search(q, k, p, *filters[s]) : indexes[s].search(q, k, p));
    }
    result = parts.size() == 1 ? std::move(parts[0]) : index::merge_results<float>(parts, k, index::higher_is_closer(indexes[0]));
    watch.stop();
    seconds = watch.seconds();
  }
  k = result.ids.shape(1);  // k, or the vectors stored when they are fewer (the index caps it)
  xt::xtensor<std::int64_t, 2> ids = xt::xtensor<std::int64_t, 2>::from_shape({nq, k});
  for (std::size_t i = 0; i < nq; ++i) {
    for (std::size_t j = 0; j < k; ++j) {
      ids(i, j) = result.ids(i, j) == no_id ? -1 : static_cast<std::int64_t>(result.ids(i, j));
    }
  }
  save_npy(a.get("output"), ids);
  if (a.has("distances-out")) save_npy(a.get("distances-out"), result.distances);
  json_object j;
  const double qps = seconds > 0 ? static_cast<double>(nq) / seconds : 0.0;
  j.add("seconds", seconds).add("qps", qps).add("nq", nq).add("k", k);
  std::string human = fmt::format("{} queries, k = {}, in {:.3f} s ({:.0f} queries/s)", nq, k, seconds, qps);
  if (a.has("truth")) {
    const auto truth = load_npy_matrix<std::int64_t>(a.get("truth"));
    if (truth.shape(0) != nq || truth.shape(1) < k) {
      throw usage_error(fmt::format("--truth has shape ({}, {}); expected {} rows of at least {} ids", truth.shape(0),
                                    truth.shape(1), nq, k));
    }
    std::size_t hits = 0;
    for (std::size_t i = 0; i < nq; ++i) {
      for (std::size_t c = 0; c < k; ++c) {
        for (std::size_t t = 0; t < k; ++t) hits += (ids(i, c) >= 0 && ids(i, c) == truth(i, t)) ? 1 : 0;
      }
    }
    const double recall = nq == 0 ? 1.0 : static_cast<double>(hits) / static_cast<double>(nq * k);
    j.add("recall", recall);
    human += fmt::format(", recall@{} = {:.4f}", k, recall);
  }
  emit(a, j, human);
  return 0;
}

// index build's options: its files, then the parameters of both index types that have them.
std::vector<option> build_options() {
  auto all = with_params<index::hnsw_params>({{"input", 'i', true, "base vectors, .npy float32/float64 (n x d)"},
                                              {"output", 'o', true, "index file to write"},
                                              {"attributes", 0, true, "CSV of attributes: column id = row of base.npy, other columns int/double/string/timestamp (header name:type, or inferred); stored in the index"},
                                              {"no-vectors", 0, false, "ivf sq8/pq: store only the codes (no exact re-ranking; smallest index); as --no-keep-vectors"}});
  for (auto& o : param_options<index::ivf_params>()) all.push_back(std::move(o));
  return all;
}

const registrar index_commands({
    {{"index", "build"},
     "flat|hnsw|ivf -i base.npy -o index.seg --metric l2|ip|cosine [--attributes attrs.csv] [hnsw parameters | ivf parameters]",
     "Build an index over the rows of a .npy matrix (row i gets id i). hnsw takes --m, --ef-construction, --storage; ivf --nlist, --codec (--quantizer), --pq-m, --no-vectors, --train-size.",
     build_options(),
     index_build},
    {{"index", "query"},
     "--index index.seg -q Q.npy -k K -o ids.npy [--distances-out D.npy] [--ef E | --nprobe P] [--filter EXPR] [--truth T.npy] [--mmap]",
     "Find the k nearest indexed rows of each query row; with --truth, report recall@k.",
     with_params<index::any_index::search_params>({{"index", 0, true, "index file written by segkit index build"},
      {"queries", 'q', true, "query vectors, .npy (nq x d)"},
      {"k", 'k', true, "neighbors per query (capped at the vectors stored)"},
      {"output", 'o', true, "neighbor row numbers, int64 .npy (nq x k); -1 where none"},
      {"distances-out", 0, true, "distances, float32 .npy (nq x k)"},
      {"filter", 0, true, "attribute filter, e.g. \"region == 'EU' and last_purchase >= now - 30 days\" (see docs/index_attributes.md)"},
      {"truth", 0, true, "true neighbors, int64 .npy (nq x >= k), to report recall"},
      {"mmap", 0, false, "map the index file read-only instead of reading it (no copy; pages shared between processes)"}}),
     index_query},
});

}  // namespace
}  // namespace segkit::cli
