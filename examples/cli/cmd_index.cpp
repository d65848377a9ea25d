// `segkit index build|query`: build an index from a .npy matrix, query it, measure recall.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <segkit/core/csv.hpp>
#include <segkit/core/npy.hpp>
#include <segkit/index/any_index.hpp>

#include "cli.hpp"

namespace segkit::cli {
namespace {

int index_build(const args& a) {
  if (a.positional().size() != 1) throw usage_error("expected one index type: flat, hnsw or ivf");
  const std::string& type = a.positional()[0];
  if (type != "flat" && type != "hnsw" && type != "ivf") throw usage_error(fmt::format("unknown index type '{}' (flat, hnsw or ivf)", type));
  if (type != "ivf") {
    for (const char* o : {"nlist", "quantizer", "pq-m", "no-vectors"}) {
      if (a.has(o)) throw usage_error(fmt::format("--{} applies to ivf indexes only", o));
    }
  }
  if (type != "hnsw") {
    for (const char* o : {"m", "ef-construction"}) {
      if (a.has(o)) throw usage_error(fmt::format("--{} does not apply to a {} index", o, type));
    }
  }
  index::any_index::build_options options;
  options.m = a.get_size("m", options.m);
  options.ef_construction = a.get_size("ef-construction", options.ef_construction);
  options.seed = a.get_size("seed", options.seed);
  options.threads = a.threads();
  options.nlist = a.get_size("nlist", 0);
  options.pq_m = a.get_size("pq-m", 0);
  options.keep_vectors = !a.has("no-vectors");
  const std::string quantizer = a.get_or("quantizer", "flat");
  if (quantizer == "sq8") options.codec = index::ivf_codec::sq8;
  else if (quantizer == "pq") options.codec = index::ivf_codec::pq;
  else if (quantizer != "flat") throw usage_error(fmt::format("unknown --quantizer '{}' (flat, sq8 or pq)", quantizer));
  const std::string metric = a.get_or("metric", "l2");
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

int index_query(const args& a) {
  auto index = index::any_index::load(a.get("index"));
  if (a.has("metric") && a.get("metric") != index.metric()) {
    throw usage_error(fmt::format("--metric {} differs from the index's metric '{}'", a.get("metric"), index.metric()));
  }
  const auto queries = load_npy_matrix<float>(a.get("queries"));
  const std::size_t k = a.get_size("k");
  index::any_index::search_params p;
  p.threads = a.threads();
  p.ef = a.get_size("ef", 0);
  p.nprobe = a.get_size("nprobe", 0);
  stopwatch watch;
  watch.start();
  std::optional<index::attribute_filter> filter;
  if (a.has("filter")) {
    if (!index.attributes()) throw usage_error("--filter needs attributes: build the index with --attributes attrs.csv");
    filter = index::attribute_filter::parse(a.get("filter"), index.attributes());
  }
  const auto result = filter ? index.search(as_rows<float>(queries).view(), k, p, *filter) : index.search(as_rows<float>(queries).view(), k, p);
  watch.stop();
  const std::size_t nq = queries.shape(0);
  xt::xtensor<std::int64_t, 2> ids = xt::xtensor<std::int64_t, 2>::from_shape({nq, k});
  for (std::size_t i = 0; i < nq; ++i) {
    for (std::size_t j = 0; j < k; ++j) {
      ids(i, j) = result.ids(i, j) == no_id ? -1 : static_cast<std::int64_t>(result.ids(i, j));
    }
  }
  save_npy(a.get("output"), ids);
  if (a.has("distances-out")) save_npy(a.get("distances-out"), result.distances);
  json_object j;
  const double qps = watch.seconds() > 0 ? static_cast<double>(nq) / watch.seconds() : 0.0;
  j.add("seconds", watch.seconds()).add("qps", qps).add("nq", nq).add("k", k);
  std::string human = fmt::format("{} queries, k = {}, in {:.3f} s ({:.0f} queries/s)", nq, k, watch.seconds(), qps);
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

const registrar index_commands({
    {{"index", "build"},
     "flat|hnsw|ivf -i base.npy -o index.seg --metric l2|ip|cosine [--attributes attrs.csv] [--m M --ef-construction E | --nlist L [--quantizer flat|sq8|pq] [--pq-m M] [--no-vectors]]",
     "Build an index over the rows of a .npy matrix (row i gets id i).",
     {{"input", 'i', true, "base vectors, .npy float32/float64 (n x d)"},
      {"output", 'o', true, "index file to write"},
      {"attributes", 0, true, "CSV of attributes: column id = row of base.npy, other columns int/double/string/timestamp (header name:type, or inferred); stored in the index"},
      {"m", 0, true, "hnsw: links per node on upper levels, 2m on the lowest (default 16)"},
      {"ef-construction", 0, true, "hnsw: candidates examined per insertion (default 200)"},
      {"nlist", 0, true, "ivf: number of inverted lists (default about 4 sqrt(n))"},
      {"quantizer", 0, true, "ivf: what the lists store: flat (default), sq8 or pq"},
      {"pq-m", 0, true, "ivf pq: sub-quantizers, a divisor of the dimension (default d / 4)"},
      {"no-vectors", 0, false, "ivf sq8/pq: store only the codes (no exact re-ranking; smallest index)"}},
     index_build},
    {{"index", "query"},
     "--index index.seg -q Q.npy -k K -o ids.npy [--distances-out D.npy] [--ef E | --nprobe P] [--filter EXPR] [--truth T.npy]",
     "Find the k nearest indexed rows of each query row; with --truth, report recall@k.",
     {{"index", 0, true, "index file written by segkit index build"},
      {"queries", 'q', true, "query vectors, .npy (nq x d)"},
      {"k", 'k', true, "neighbours per query"},
      {"output", 'o', true, "neighbour row numbers, int64 .npy (nq x k); -1 where none"},
      {"distances-out", 0, true, "distances, float32 .npy (nq x k)"},
      {"ef", 0, true, "hnsw: search candidate list size, at least k (default max(k, 64))"},
      {"nprobe", 0, true, "ivf: lists to visit (default nlist / 16)"},
      {"filter", 0, true, "attribute filter, e.g. \"region == 'EU' and last_purchase >= now - 30 days\" (see docs/index_attributes.md)"},
      {"truth", 0, true, "true neighbours, int64 .npy (nq x >= k), to report recall"}},
     index_query},
});

}  // namespace
}  // namespace segkit::cli
