// End-to-end tests of the `segkit` executable: exit codes, JSON output, files written.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <xtensor/xmath.hpp>

#include "cli/cli_run.hpp"
#include "support/data.hpp"

#include <segkit/core/csv.hpp>
#include <segkit/core/npy.hpp>
#include <segkit/cluster/agglomerative.hpp>
#include <segkit/cluster/dbscan.hpp>
#include <segkit/cluster/gmm.hpp>
#include <segkit/cluster/hdbscan_predict.hpp>
#include <segkit/cluster/kmeans.hpp>
#include <segkit/cluster/minibatch_kmeans.hpp>
#include <segkit/embed/item2vec.hpp>
#if SEGKIT_TEST_IMAGES
#include <segkit/embed/image.hpp>
#include <segkit/embed/onnx_image.hpp>
#endif
#include <segkit/embed/lsa.hpp>
#include <segkit/embed/onnx_text.hpp>
#include <segkit/embed/model_folder.hpp>
#include <segkit/core/sha256.hpp>
#include <segkit/pipeline/segmentation_model.hpp>
#include <segkit/embed/fusion.hpp>
#include <segkit/embed/tabular.hpp>
#include <segkit/core/parse.hpp>
#include <segkit/index/flat.hpp>
#include <segkit/pipeline/any_pipeline.hpp>
#include <segkit/pipeline/segment.hpp>
#include <segkit/reduce/pca.hpp>
#include <segkit/reduce/tsne.hpp>
#include <segkit/reduce/umap.hpp>
#include <segkit/quality/external.hpp>
#include <segkit/quality/internal.hpp>
#include <segkit/quality/trustworthiness.hpp>

#include <segkit/core/cpu.hpp>
#include <segkit/datasets/product_catalog.hpp>

namespace fs = std::filesystem;

// OpenBLAS's own threads may change the last bits of a matrix product; the tool runs it on one
// thread, so tests that compare the tool's output bit for bit do the same (weak: other BLAS
// libraries have no such function).
extern "C" void openblas_set_num_threads(int) __attribute__((weak));

using namespace segkit_cli_test;

TEST_CASE("cli: index build and query agree with the library and report recall", "[cli]") {
  const auto base = segkit::test::blobs(2000, 16, 10, 1);
  const auto queries = segkit::test::blobs(50, 16, 10, 2);
  segkit::save_npy(dir() / "base.npy", base);
  segkit::save_npy(dir() / "q.npy", queries);

  const auto built = run("index build flat -i " + q(dir() / "base.npy") + " -o " + q(dir() / "i.seg") + " --metric cosine --json");
  REQUIRE(built.status == 0);
  CHECK(built.out.find("\"build_seconds\": ") != std::string::npos);
  CHECK(built.out.find("\"seconds\": ") != std::string::npos);
  CHECK(built.out.find("\"metric\": \"cosine\"") != std::string::npos);

  // Truth from the library itself, to compare the tool's output with.
  segkit::index::flat<segkit::distance::cosine_metric> idx(16);
  std::vector<segkit::id_type> ids(2000);
  for (std::size_t i = 0; i < ids.size(); ++i) ids[i] = i;
  idx.add(ids, base);
  const auto want = idx.search(queries, 10);
  xt::xtensor<std::int64_t, 2> truth = xt::cast<std::int64_t>(want.ids);
  segkit::save_npy(dir() / "truth.npy", truth);

  const auto queried = run("index query --index " + q(dir() / "i.seg") + " -q " + q(dir() / "q.npy") + " -k 10 -o " +
                           q(dir() / "ids.npy") + " --distances-out " + q(dir() / "d.npy") + " --truth " +
                           q(dir() / "truth.npy") + " --json --threads 2");
  REQUIRE(queried.status == 0);
  CHECK(queried.out.find("\"recall\": 1") != std::string::npos);
  CHECK(queried.out.find("\"qps\": ") != std::string::npos);
  CHECK((segkit::load_npy_matrix<std::int64_t>(dir() / "ids.npy") == truth));
  const auto d = segkit::load_npy_matrix<float>(dir() / "d.npy");
  CHECK((d == want.distances));

  // Recall below 1 is measured, not assumed: shift the truth by one id.
  xt::xtensor<std::int64_t, 2> wrong = truth + 1;
  segkit::save_npy(dir() / "wrong.npy", wrong);
  const auto low = run("index query --index " + q(dir() / "i.seg") + " -q " + q(dir() / "q.npy") + " -k 10 -o " +
                       q(dir() / "ids2.npy") + " --truth " + q(dir() / "wrong.npy") + " --json");
  REQUIRE(low.status == 0);
  CHECK(low.out.find("\"recall\": 1,") == std::string::npos);
}

TEST_CASE("cli: index build hnsw and query with --ef report recall against the truth", "[cli]") {
  const auto base = segkit::test::blobs(3000, 12, 10, 21);
  const auto queries = segkit::test::blobs(100, 12, 10, 22);
  segkit::save_npy(dir() / "hb.npy", base);
  segkit::save_npy(dir() / "hq.npy", queries);
  segkit::index::flat<> exact(12);
  std::vector<segkit::id_type> ids(3000);
  for (std::size_t i = 0; i < ids.size(); ++i) ids[i] = i;
  exact.add(ids, base);
  xt::xtensor<std::int64_t, 2> truth = xt::cast<std::int64_t>(exact.search(queries, 10).ids);
  segkit::save_npy(dir() / "ht.npy", truth);
  const auto built = run("index build hnsw -i " + q(dir() / "hb.npy") + " -o " + q(dir() / "h.seg") + " --m 12 --ef-construction 100 --json");
  REQUIRE(built.status == 0);
  CHECK(built.out.find("\"type\": \"hnsw\"") != std::string::npos);
  // --mmap answers as a loaded index does.
  REQUIRE(run("index query --index " + q(dir() / "h.seg") + " -q " + q(dir() / "hq.npy") + " -k 10 --ef 40 --mmap -o " + q(dir() / "hm.npy")).status == 0);
  REQUIRE(run("index query --index " + q(dir() / "h.seg") + " -q " + q(dir() / "hq.npy") + " -k 10 --ef 40 -o " + q(dir() / "hl.npy")).status == 0);
  CHECK((segkit::load_npy_matrix<std::int64_t>(dir() / "hm.npy") == segkit::load_npy_matrix<std::int64_t>(dir() / "hl.npy")));
  // Compressed storage: the walk reads int8 codes, the answers are re-ranked exactly.
  REQUIRE(run("index build hnsw -i " + q(dir() / "hb.npy") + " -o " + q(dir() / "h8.seg") + " --m 12 --ef-construction 100 --storage int8 --quiet").status == 0);
  const auto coded = run("index query --index " + q(dir() / "h8.seg") + " -q " + q(dir() / "hq.npy") + " -k 10 -o " + q(dir() / "h8.npy") +
                         " --truth " + q(dir() / "ht.npy") + " --ef 200 --mmap --json");
  REQUIRE(coded.status == 0);
  CHECK(std::stod(coded.out.substr(coded.out.find("\"recall\": ") + 10)) >= 0.98);
  const auto bad_storage = run("index build hnsw -i " + q(dir() / "hb.npy") + " -o " + q(dir() / "hx.seg") + " --storage int4");
  CHECK(bad_storage.status == 2);
  CHECK(bad_storage.out.find("--storage must be float32, float16 or int8 (got 'int4')") != std::string::npos);
  const auto low = run("index query --index " + q(dir() / "h.seg") + " -q " + q(dir() / "hq.npy") + " -k 10 -o " + q(dir() / "hi.npy") +
                       " --truth " + q(dir() / "ht.npy") + " --ef 10 --json");
  const auto high = run("index query --index " + q(dir() / "h.seg") + " -q " + q(dir() / "hq.npy") + " -k 10 -o " + q(dir() / "hi.npy") +
                        " --truth " + q(dir() / "ht.npy") + " --ef 200 --json");
  REQUIRE(low.status == 0);
  REQUIRE(high.status == 0);
  const auto recall_of = [](const std::string& out) { return std::stod(out.substr(out.find("\"recall\": ") + 10)); };
  CHECK(recall_of(high.out) >= 0.98);
  CHECK(recall_of(low.out) <= recall_of(high.out));
  // Attributes and a filter: every returned row passes it, and bad expressions are refused.
  std::string csv = "id,region\n";
  for (std::size_t i = 0; i < 3000; ++i) csv += std::to_string(i) + (i % 3 == 0 ? ",EU\n" : ",US\n");
  {
    std::ofstream f(dir() / "attrs.csv");
    f << csv;
  }
  REQUIRE(run("index build hnsw -i " + q(dir() / "hb.npy") + " -o " + q(dir() / "ha.seg") + " --attributes " + q(dir() / "attrs.csv") + " --quiet").status == 0);
  const auto eu = run("index query --index " + q(dir() / "ha.seg") + " -q " + q(dir() / "hq.npy") + " -k 5 -o " + q(dir() / "he.npy") +
                      " --filter \"region == 'EU'\" --json");
  REQUIRE(eu.status == 0);
  const auto eu_ids = segkit::load_npy_matrix<std::int64_t>(dir() / "he.npy");
  for (const auto id : eu_ids) CHECK(id % 3 == 0);
  const auto typo = run("index query --index " + q(dir() / "ha.seg") + " -q " + q(dir() / "hq.npy") + " -k 5 -o " + q(dir() / "he.npy") +
                        " --filter \"regoin == 'EU'\"");
  CHECK(typo.status == 1);
  CHECK(typo.out.find("unknown attribute 'regoin'") != std::string::npos);
  const auto none = run("index query --index " + q(dir() / "h.seg") + " -q " + q(dir() / "hq.npy") + " -k 5 -o " + q(dir() / "he.npy") +
                        " --filter \"region == 'EU'\"");
  CHECK(none.status == 2);
  CHECK(none.out.find("--filter needs attributes") != std::string::npos);
  // IVF-PQ: more lists probed, better recall.
  REQUIRE(run("index build ivf -i " + q(dir() / "hb.npy") + " -o " + q(dir() / "iv.seg") + " --nlist 32 --quantizer pq --pq-m 6 --quiet").status == 0);
  const auto ivf_low = run("index query --index " + q(dir() / "iv.seg") + " -q " + q(dir() / "hq.npy") + " -k 10 -o " + q(dir() / "hi.npy") +
                           " --truth " + q(dir() / "ht.npy") + " --nprobe 1 --json");
  const auto ivf_high = run("index query --index " + q(dir() / "iv.seg") + " -q " + q(dir() / "hq.npy") + " -k 10 -o " + q(dir() / "hi.npy") +
                            " --truth " + q(dir() / "ht.npy") + " --nprobe 32 --json");
  REQUIRE(ivf_low.status == 0);
  REQUIRE(ivf_high.status == 0);
  CHECK(recall_of(ivf_high.out) >= 0.9);
  CHECK(recall_of(ivf_low.out) < recall_of(ivf_high.out));
  const auto bad_q = run("index build ivf -i " + q(dir() / "hb.npy") + " -o " + q(dir() / "iv.seg") + " --quantizer opq");
  CHECK(bad_q.status == 2);
  CHECK(bad_q.out.find("--codec must be flat, sq8 or pq (got 'opq')") != std::string::npos);
  const auto flat_m = run("index build flat -i " + q(dir() / "hb.npy") + " -o " + q(dir() / "f.seg") + " --m 8");
  CHECK(flat_m.status == 2);
  CHECK(flat_m.out.find("--m does not apply to a flat index") != std::string::npos);
}

TEST_CASE("cli: errors are one line on stderr with a non-zero exit", "[cli]") {
  const auto missing = run("index build flat -i /nonexistent.npy -o x.seg");
  CHECK(missing.status == 1);
  CHECK(missing.out.find("segkit: error: segkit::npy: cannot open '/nonexistent.npy'") != std::string::npos);

  const auto unknown = run("index build flat --bogus 3");
  CHECK(unknown.status == 2);
  CHECK(unknown.out.find("unknown option '--bogus'") != std::string::npos);

  const auto annoy = run("index build annoy -i a.npy -o b.seg");
  CHECK(annoy.status == 2);
  CHECK(annoy.out.find("unknown index type 'annoy' (flat, hnsw or ivf)") != std::string::npos);

  segkit::save_npy(dir() / "q3.npy", segkit::test::normal_matrix(3, 5, 1));
  segkit::save_npy(dir() / "b.npy", segkit::test::normal_matrix(30, 4, 1));
  REQUIRE(run("index build flat -i " + q(dir() / "b.npy") + " -o " + q(dir() / "b.seg") + " --quiet").status == 0);
  const auto dims = run("index query --index " + q(dir() / "b.seg") + " -q " + q(dir() / "q3.npy") + " -k 2 -o " + q(dir() / "o.npy"));
  CHECK(dims.status == 1);
  CHECK(dims.out.find("queries have 5 columns, the index has dimension 4") != std::string::npos);
  const auto bad_k = run("index query --index " + q(dir() / "b.seg") + " -q " + q(dir() / "q3.npy") + " -k x -o o.npy");
  CHECK(bad_k.status == 2);
  CHECK(bad_k.out.find("-k expects a non-negative integer, got 'x'") != std::string::npos);
  CHECK(run("frobnicate").status == 2);
  CHECK(run("--version").out.find("segkit 0.1.0") != std::string::npos);
#if defined(__x86_64__)
  // The tool is built for baseline x86-64 (it runs on any such CPU): kept to the baseline
  // kernels it reports SSE2, and on a CPU with AVX2 + FMA it chooses them at run time.
  CHECK(run_shell("SEGKIT_SIMD=baseline " + std::string(SEGKIT_CLI) + " --version").out.find("(SIMD: sse2)") != std::string::npos);
  CHECK((run("--version").out.find("(SIMD: avx2 (chosen at run time))") != std::string::npos) == segkit::cpu::runtime_avx2());
#endif
  CHECK(run("index build --help").out.find("usage: segkit index build") != std::string::npos);
}

TEST_CASE("cli: demo segments the generated catalog, scores it against the categories and writes a report", "[cli]") {
  const auto r = run("demo --out " + q(dir() / "demo") + " --products 2000 --json");
  REQUIRE(r.status == 0);
  CHECK(json_number(r.out, "nmi") > 0.85);
  CHECK(json_number(r.out, "hdbscan_nmi") > 0.75);
  CHECK(json_number(r.out, "n_segments") >= 20);
  CHECK(json_number(r.out, "silhouette") > 0.05);
  std::ifstream in(dir() / "demo" / "report.html");
  const std::string html((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(html.find("segkit demo: segmenting a product catalog") != std::string::npos);
  CHECK(html.find("Most similar to") != std::string::npos);
  CHECK(html.find("<script") == std::string::npos);
  CHECK(run("demo --products 5").status == 2);
  // With a sentence-transformers folder (tests/data/minilm_tiny: real tokenizer, small seeded encoder,
  // so no score is asked of it): the demo embeds with it and still writes its report.
  const auto m = run("demo --out " + q(dir() / "demo_model") + " --products 600 --model " + q(std::string(SEGKIT_TEST_DATA) + "/minilm_tiny") + " --json");
  REQUIRE(m.status == 0);
  CHECK(json_number(m.out, "n_segments") >= 2);
  CHECK(std::filesystem::exists(dir() / "demo_model" / "report.html"));
}

TEST_CASE("cli: segment runs the default pipeline on a CSV, equal to the library's, with a report", "[cli]") {
  if (openblas_set_num_threads != nullptr) openblas_set_num_threads(1);
  std::vector<std::string> texts;
  {
    std::ofstream csv(dir() / "catalog.csv");
    csv << "sku,title,description,price,category\n";
    std::size_t i = 0;
    const auto cats = segkit::datasets::catalog_categories();
    for (const auto& p : segkit::datasets::make_catalog({.products = 800, .seed = 6})) {
      std::string quoted;
      for (const char ch : p.description) quoted += ch == '"' ? std::string("\"\"") : std::string(1, ch);
      csv << i++ << "," << p.title << ",\"" << quoted << "\"," << p.price << "," << cats[p.category].name << "\n";
      texts.push_back(p.title + " " + p.description);
    }
  }
  const auto r = run("segment -i " + q(dir() / "catalog.csv") + " --text-columns title,description -o " + q(dir() / "seg.npy") +
                     " --k-min 20 --k-max 26 --seed 4 --report " + q(dir() / "seg.html") + " --json");
  REQUIRE(r.status == 0);
  const auto want = segkit::pipeline::segment_texts(texts, {.k_min = 20, .k_max = 26, .seed = 4});
  const auto got = segkit::load_npy_vector<std::int32_t>(dir() / "seg.npy");
  REQUIRE(got.size() == 800);
  for (std::size_t i = 0; i < 800; ++i) CHECK(got(i) == want.labels(i));
  CHECK(json_number(r.out, "n_segments") == static_cast<double>(want.n_segments));
  CHECK(json_number(r.out, "k") == static_cast<double>(want.n_segments));
  CHECK(json_number(r.out, "silhouette") == Approx(want.silhouette).margin(1e-9));
  CHECK(r.out.find("\"names\": [\"" + want.names.at(0) + "\"") != std::string::npos);
  CHECK(fs::file_size(dir() / "seg.html") > 10000);
  // Attribute profiles in the report: price is numeric (mean and lift), category categorical.
  REQUIRE(run("segment -i " + q(dir() / "catalog.csv") + " --text-columns title,description -o " + q(dir() / "seg.npy") +
              " --k 12 --report " + q(dir() / "prof.html") + " --profile-columns price,category").status == 0);
  {
    std::ifstream in(dir() / "prof.html");
    const std::string html((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    CHECK(html.find("Segment profiles") != std::string::npos);
    CHECK(html.find("price: ") != std::string::npos);
    CHECK(html.find("category = ") != std::string::npos);
  }
  CHECK(run("segment -i " + q(dir() / "catalog.csv") + " --text-columns title -o " + q(dir() / "seg.npy") + " --profile-columns price").status == 2);
  CHECK(run("segment -i " + q(dir() / "catalog.csv") + " --text-columns title -o " + q(dir() / "seg.npy") + " --report " + q(dir() / "p.html") +
            " --profile-columns nope").out.find("no column 'nope'") != std::string::npos);
  // A saved model assigns the same records to the same segments.
  REQUIRE(run("segment -i " + q(dir() / "catalog.csv") + " --text-columns title,description -o " + q(dir() / "seg.npy") +
              " --k 9 --seed 4 --model-out " + q(dir() / "seg.segmodel")).status == 0);
  const auto as = run("assign --model " + q(dir() / "seg.segmodel") + " -i " + q(dir() / "catalog.csv") + " --text-columns title,description -o " +
                      q(dir() / "as.npy") + " --json");
  REQUIRE(as.status == 0);
  CHECK((segkit::load_npy_vector<std::int32_t>(dir() / "as.npy") == segkit::load_npy_vector<std::int32_t>(dir() / "seg.npy")));
  CHECK(json_number(as.out, "unassigned") == 0.0);
  CHECK(run("assign --model " + q(dir() / "seg.html") + " -i " + q(dir() / "catalog.csv") + " --text-columns title -o " + q(dir() / "as.npy")).status == 1);
  // Every segmentation saves its model: UMAP + HDBSCAN assigns through approximate_predict.
  REQUIRE(run("segment -i " + q(dir() / "catalog.csv") + " --text-columns title -o " + q(dir() / "hseg.npy") + " --algorithm hdbscan --seed 3 --model-out " +
              q(dir() / "x.segmodel")).status == 0);
  const auto hs = run("assign --model " + q(dir() / "x.segmodel") + " -i " + q(dir() / "catalog.csv") + " --text-columns title -o " + q(dir() / "hs.npy") + " --json");
  REQUIRE(hs.status == 0);
  {
    const auto fitted = segkit::load_npy_vector<std::int32_t>(dir() / "hseg.npy"), assigned = segkit::load_npy_vector<std::int32_t>(dir() / "hs.npy");
    std::size_t clustered = 0, same = 0;
    for (std::size_t i = 0; i < fitted.size(); ++i) {
      if (fitted(i) < 0) continue;
      ++clustered;
      same += assigned(i) == fitted(i) ? 1 : 0;
    }
    REQUIRE(clustered > 0);
    CHECK(static_cast<double>(same) >= 0.9 * static_cast<double>(clustered));
  }
  // A pipeline from a JSON file, equal to the library's any_pipeline; a bad file is named.
  std::ofstream(dir() / "p.json") << R"({"embed": {"dims": 30}, "reduce": [{"kind": "pca", "n_components": 8}], "cluster": {"kind": "kmeans", "k": 12}})";
  const auto cj = run("segment -i " + q(dir() / "catalog.csv") + " --text-columns title,description -o " + q(dir() / "cj.npy") + " --config " +
                      q(dir() / "p.json") + " --seed 2 --json");
  REQUIRE(cj.status == 0);
  auto config = segkit::pipeline::pipeline_config::load(dir() / "p.json");
  config.seed = 2;
  const auto want_cj = segkit::pipeline::any_pipeline(config).fit(texts, {.layout = false, .seed = 2});
  CHECK((segkit::load_npy_vector<std::int32_t>(dir() / "cj.npy") == want_cj.result.labels));
  CHECK(json_number(cj.out, "n_segments") == 12.0);
  // Its fitted model, saved by --model-out, assigns records as the library's model does.
  REQUIRE(run("segment -i " + q(dir() / "catalog.csv") + " --text-columns title,description -o " + q(dir() / "cj.npy") + " --config " +
              q(dir() / "p.json") + " --seed 2 --model-out " + q(dir() / "cj.segmodel")).status == 0);
  const auto ca = run("assign --model " + q(dir() / "cj.segmodel") + " -i " + q(dir() / "catalog.csv") + " --text-columns title -o " + q(dir() / "ca.npy") +
                      " --json");
  REQUIRE(ca.status == 0);
  std::vector<std::string> titles;
  const auto table = segkit::read_csv(dir() / "catalog.csv");
  for (const auto& row : table.rows()) titles.push_back(row[table.column_index("title")]);
  CHECK((segkit::load_npy_vector<std::int32_t>(dir() / "ca.npy") == want_cj.model.assign(titles)));
  // A segmentation of fused records (texts and given vectors here) is refused, its modalities named.
  {
    namespace pl = segkit::pipeline;
    const auto lsa = segkit::embed::lsa({.dims = 4, .seed = 1}).fit(titles);
    const std::vector<segkit::matrix<float>> blocks{lsa.embed(titles), segkit::test::blobs(titles.size(), 3, 2, 1)};
    pl::fused_model fm;
    fm.names = {"title", "usage"};
    fm.parts = {lsa, std::monostate{}};
    fm.fusion = segkit::embed::fusion().fit(blocks);
    pl::segmentation_model m;
    m.embedder = fm;
    m.clusterer = segkit::cluster::kmeans<float>({.k = 2, .seed = 1}).fit(fm.fusion.transform(blocks));
    m.names = {"a", "b"};
    m.save(dir() / "fused.segmodel");
    const auto fa = run("assign --model " + q(dir() / "fused.segmodel") + " -i " + q(dir() / "catalog.csv") + " --text-columns title -o " + q(dir() / "fa.npy"));
    CHECK(fa.status == 2);
    CHECK(fa.out.find("segments records of 2 fused modalities (title, usage), not texts: assign with the library") != std::string::npos);
  }
  std::ofstream(dir() / "h.json") << R"({"cluster": {"kind": "hdbscan"}})";
  const auto hm = run("segment -i " + q(dir() / "catalog.csv") + " --text-columns title -o " + q(dir() / "cj.npy") + " --config " + q(dir() / "h.json") +
                      " --model-out " + q(dir() / "h.segmodel"));
  CHECK(hm.status == 0);
  CHECK(segkit::pipeline::segmentation_model::load(dir() / "h.segmodel").clusterer_kind() == "hdbscan");
  std::ofstream(dir() / "bad.json") << "{\"cluster\": {\"kind\": \"kmeans\", \"k\": }}";
  const auto bj = run("segment -i " + q(dir() / "catalog.csv") + " --text-columns title -o " + q(dir() / "cj.npy") + " --config " + q(dir() / "bad.json"));
  CHECK(bj.status == 1);
  CHECK(bj.out.find("bad.json: line 1, column 37: unexpected character '}'") != std::string::npos);
  // A given k, HDBSCAN, and errors.
  const auto k = run("segment -i " + q(dir() / "catalog.csv") + " --text-columns title -o " + q(dir() / "seg.npy") + " --k 7 --json");
  REQUIRE(k.status == 0);
  CHECK(json_number(k.out, "n_segments") == 7.0);
  const auto h = run("segment -i " + q(dir() / "catalog.csv") + " --text-columns title,description -o " + q(dir() / "seg.npy") +
                     " --algorithm hdbscan --min-cluster-size 15 --json");
  REQUIRE(h.status == 0);
  CHECK(json_number(h.out, "n_segments") >= 10);
  const std::string base = "segment -i " + q(dir() / "catalog.csv") + " -o " + q(dir() / "seg.npy");
  CHECK(run(base + " --text-columns nope").out.find("no column 'nope'") != std::string::npos);
  const auto spectral = run(base + " --text-columns title --algorithm spectral");
  CHECK(spectral.status == 2);
  CHECK(spectral.out.find("--algorithm must be kmeans or hdbscan (got 'spectral')") != std::string::npos);
  // The options come from segment_params' table: help with the struct's defaults, and each one
  // reaches the library (keywords.name_terms: names of 2 keywords).
  const auto help = run("segment --help");
  CHECK(help.out.find("--cluster-dims") != std::string::npos);
  CHECK(help.out.find("first k of the sweep (default 2; >= 2)") != std::string::npos);
  const auto two = run(base + " --text-columns title --k 5 --name-terms 2 --dims 20 --json");
  REQUIRE(two.status == 0);
  const auto want_two = segkit::pipeline::segment_texts(titles, {.k = 5, .coordinates = false, .lsa = {.dims = 20}, .keywords = {.name_terms = 2}});
  CHECK((segkit::load_npy_vector<std::int32_t>(dir() / "seg.npy") == want_two.labels));
  CHECK(two.out.find(want_two.names.at(0)) != std::string::npos);
  CHECK(std::count(want_two.names.at(0).begin(), want_two.names.at(0).end(), '-') <= 1);
  CHECK(run(base + " --text-columns title --k 1").status == 2);
  CHECK(run(base + " --text-columns title --k 3 --algorithm hdbscan").status == 2);
  CHECK(run(base + " --text-columns title --k 800").out.find("k (800) must be below the number of records (800)") != std::string::npos);
  std::ofstream(dir() / "bad.csv") << "title,description\n\"unterminated,x\n";
  CHECK(run("segment -i " + q(dir() / "bad.csv") + " --text-columns title -o " + q(dir() / "seg.npy")).status == 1);
}

TEST_CASE("cli: assign reads given vectors, numeric rows and item sequences for models of those embedders", "[cli]") {
  namespace pl = segkit::pipeline;
  const auto kmeans2 = [](const segkit::matrix<float>& v) { return segkit::cluster::kmeans<float>({.k = 2, .seed = 1}).fit(v); };
  const auto assign = [&](const std::string& model, const std::string& input, const std::string& extra = "") {
    return run("assign --model " + q(dir() / model) + " -i " + q(dir() / input) + " -o " + q(dir() / "al.npy") + extra + " --json");
  };
  const auto labels = [&] { return segkit::load_npy_vector<std::int32_t>(dir() / "al.npy"); };
  // Given vectors: the model has no embedder; -i is the vectors.
  const auto x = segkit::test::blobs(60, 3, 2, 4);
  pl::segmentation_model vm;
  vm.clusterer = kmeans2(x);
  vm.names = {"a", "b"};
  vm.save(dir() / "vectors.segmodel");
  const auto x_new = segkit::test::blobs(25, 3, 2, 9);
  segkit::save_npy(dir() / "x_new.npy", x_new);
  const auto rv = assign("vectors.segmodel", "x_new.npy");
  REQUIRE(rv.status == 0);
  CHECK((labels() == vm.assign_vectors(x_new)));
  CHECK(json_number(rv.out, "n") == 25.0);
  // Numeric rows through a scaler.
  segkit::matrix<double> rows = segkit::matrix<double>::from_shape({60, 3});
  for (std::size_t i = 0; i < 60; ++i) {
    for (std::size_t j = 0; j < 3; ++j) rows(i, j) = 100.0 * static_cast<double>(j + 1) * static_cast<double>(x(i, j));
  }
  const auto sc = segkit::embed::scaler().fit(rows);
  pl::segmentation_model sm;
  sm.embedder = sc;
  const auto rows_fit = kmeans2(sc.embed(rows));
  sm.clusterer = rows_fit;
  sm.names = {"a", "b"};
  sm.save(dir() / "rows.segmodel");
  segkit::save_npy(dir() / "rows.npy", rows);
  REQUIRE(assign("rows.segmodel", "rows.npy").status == 0);
  CHECK((labels() == sm.assign(rows)));
  CHECK((labels() == rows_fit.labels()));
  // Item sequences through item2vec (a session of unknown items only is -1).
  std::ofstream(dir() / "as_train.txt") << "1 2 3\n2 3 1\n3 1 2\n7 8 9\n8 9 7\n9 7 8\n1 2 3 1\n7 8 9 7\n";
  std::ofstream(dir() / "as_new.txt") << "1 2\n8 9\n42\n";
  const std::vector<std::vector<segkit::id_type>> train{{1, 2, 3}, {2, 3, 1}, {3, 1, 2}, {7, 8, 9}, {8, 9, 7}, {9, 7, 8}, {1, 2, 3, 1}, {7, 8, 9, 7}};
  const std::vector<std::vector<segkit::id_type>> fresh{{1, 2}, {8, 9}, {42}};
  const auto i2v = segkit::embed::item2vec({.dim = 4, .sample = 0.0, .epochs = 5, .seed = 2}).fit(train);
  pl::segmentation_model im;
  im.embedder = i2v;
  im.clusterer = kmeans2(i2v.embed(train));
  im.names = {"a", "b"};
  im.save(dir() / "items.segmodel");
  REQUIRE(assign("items.segmodel", "as_new.txt").status == 0);
  const auto il = labels();
  CHECK((il == im.assign(fresh)));
  CHECK(il(2) == -1);
  // Mismatched inputs are named: --text-columns for a model of vectors, texts without it, a bad line.
  const auto tc = assign("vectors.segmodel", "x_new.npy", " --text-columns title");
  CHECK(tc.status == 2);
  CHECK(tc.out.find("segments given vectors (embedder 'none'), not texts: leave out --text-columns") != std::string::npos);
  const std::vector<std::string> texts{"red apple pie", "green apple tart", "apple crumble", "steel bolt", "steel nut", "iron bolt"};
  const auto lsa = segkit::embed::lsa({.dims = 2, .seed = 1}).fit(texts);
  pl::segmentation_model tm;
  tm.embedder = lsa;
  tm.clusterer = kmeans2(lsa.embed(texts));
  tm.names = {"a", "b"};
  tm.save(dir() / "texts.segmodel");
  const auto no_columns = assign("texts.segmodel", "x_new.npy");
  CHECK(no_columns.status == 2);
  CHECK(no_columns.out.find("segments texts: --text-columns names the CSV columns to join") != std::string::npos);
  segkit::save_npy(dir() / "x_narrow.npy", segkit::test::blobs(5, 2, 1, 3));
  const auto wrong_width = assign("rows.segmodel", "x_narrow.npy");
  CHECK(wrong_width.status == 1);
  CHECK(wrong_width.out.find("rows have 2 columns, the scaler 3") != std::string::npos);
  std::ofstream(dir() / "as_bad.txt") << "1 2\nx\n";
  const auto bad = assign("items.segmodel", "as_bad.txt");
  CHECK(bad.status == 1);
  CHECK(bad.out.find("line 2") != std::string::npos);
}

TEST_CASE("cli: cluster kmeans writes labels and centers equal to the library's", "[cli]") {
  const auto x = segkit::test::blobs(3000, 8, 5, 3);
  segkit::save_npy(dir() / "x.npy", x);
  const auto r = run("cluster kmeans -i " + q(dir() / "x.npy") + " -o " + q(dir() / "labels.npy") + " --k 5 --seed 4 --n-init 2 --centroids-out " +
                     q(dir() / "c.npy") + " --json");
  REQUIRE(r.status == 0);
  CHECK(r.out.find("\"inertia\": ") != std::string::npos);
  CHECK(r.out.find("\"n_iter\": ") != std::string::npos);
  CHECK(r.out.find("\"converged\": true") != std::string::npos);
  const auto model = segkit::cluster::kmeans<float>({.k = 5, .n_init = 2, .seed = 4}).fit(x);
  CHECK((segkit::load_npy_vector<std::int32_t>(dir() / "labels.npy") == model.labels()));
  CHECK((segkit::load_npy_matrix<float>(dir() / "c.npy") == model.centers));

  const auto ham = run("cluster kmeans -i " + q(dir() / "x.npy") + " -o " + q(dir() / "lh.npy") + " --k 5 --seed 4 --n-init 2 --algorithm hamerly --quiet");
  REQUIRE(ham.status == 0);
  CHECK((segkit::load_npy_vector<std::int32_t>(dir() / "lh.npy") == model.labels()));
  const auto mb = run("cluster minibatch-kmeans -i " + q(dir() / "x.npy") + " -o " + q(dir() / "lmb.npy") + " --k 5 --batch-size 256 --seed 4 --json");
  REQUIRE(mb.status == 0);
  CHECK(mb.out.find("\"inertia\": ") != std::string::npos);
  const auto mb_model = segkit::cluster::minibatch_kmeans<float>({.k = 5, .batch_size = 256, .seed = 4}).fit(x);
  CHECK((segkit::load_npy_vector<std::int32_t>(dir() / "lmb.npy") == mb_model.labels()));
  const auto cos = run("cluster kmeans -i " + q(dir() / "x.npy") + " -o " + q(dir() / "l2.npy") + " --k 5 --metric cosine --quiet");
  CHECK(cos.status == 0);
  const auto elkan = run("cluster kmeans -i " + q(dir() / "x.npy") + " -o " + q(dir() / "l3.npy") + " --k 5 --seed 4 --n-init 2 --algorithm elkan --quiet");
  REQUIRE(elkan.status == 0);
  CHECK((segkit::load_npy_vector<std::int32_t>(dir() / "l3.npy") == model.labels()));
  const auto par = run("cluster kmeans -i " + q(dir() / "x.npy") + " -o " + q(dir() / "lp.npy") + " --k 5 --seed 4 --init 'kmeans||' --quiet");
  REQUIRE(par.status == 0);
  const auto par_model = segkit::cluster::kmeans<float>({.k = 5, .init = segkit::cluster::kmeans_init::kmeans_parallel, .seed = 4}).fit(x);
  CHECK((segkit::load_npy_vector<std::int32_t>(dir() / "lp.npy") == par_model.labels()));
  const auto bogus = run("cluster kmeans -i " + q(dir() / "x.npy") + " -o " + q(dir() / "l3.npy") + " --k 5 --algorithm fast");
  CHECK(bogus.status == 2);
  CHECK(bogus.out.find("--algorithm must be lloyd, hamerly or elkan (got 'fast')") != std::string::npos);
  const auto too_many = run("cluster kmeans -i " + q(dir() / "x.npy") + " -o " + q(dir() / "l4.npy") + " --k 4000");
  CHECK(too_many.status == 1);
  CHECK(too_many.out.find("k (4000) exceeds the number of samples (3000)") != std::string::npos);
  const auto bad_tol = run("cluster kmeans -i " + q(dir() / "x.npy") + " -o " + q(dir() / "l5.npy") + " --k 4 --tol abc");
  CHECK(bad_tol.status == 2);
  CHECK(bad_tol.out.find("--tol must be a number (got 'abc')") != std::string::npos);
}

TEST_CASE("cli: cluster gmm matches the library; --k auto picks k by BIC (gmm) and the knee (kmeans)", "[cli]") {
  const auto x = segkit::test::blobs(2000, 5, 4, 7);  // true centers at least 12 apart
  segkit::save_npy(dir() / "g.npy", x);
  const auto r = run("cluster gmm -i " + q(dir() / "g.npy") + " -o " + q(dir() / "gl.npy") + " --k 4 --covariance diag --seed 2 --means-out " +
                     q(dir() / "gm.npy") + " --proba-out " + q(dir() / "gp.npy") + " --model-out " + q(dir() / "g.seg") + " --json");
  REQUIRE(r.status == 0);
  const auto model = segkit::cluster::gaussian_mixture<float>({.k = 4, .covariance = segkit::cluster::covariance_type::diag, .seed = 2}).fit(x);
  CHECK(json_number(r.out, "log_likelihood") == Approx(model.log_likelihood).epsilon(1e-12));
  CHECK(json_number(r.out, "bic") == Approx(model.bic(x)).epsilon(1e-12));
  CHECK(r.out.find(fmt::format("\"n_iter\": {}", model.n_iter)) != std::string::npos);
  CHECK(r.out.find("\"degenerate\": []") != std::string::npos);
  CHECK((segkit::load_npy_vector<std::int32_t>(dir() / "gl.npy") == model.labels()));
  CHECK((segkit::load_npy_matrix<double>(dir() / "gm.npy") == model.means));
  CHECK(segkit::load_npy_matrix<double>(dir() / "gp.npy").shape(1) == 4);
  CHECK((segkit::cluster::gmm_model::load(dir() / "g.seg").labels() == model.labels()));

  const auto g_auto = run("cluster gmm -i " + q(dir() / "g.npy") + " -o " + q(dir() / "ga.npy") + " --k auto --k-max 6 --covariance spherical --json");
  REQUIRE(g_auto.status == 0);
  CHECK(g_auto.out.find("\"n_clusters\": 4") != std::string::npos);
  CHECK(g_auto.out.find("\"bic_sweep\": [{\"k\": 1") != std::string::npos);
  const auto k_auto = run("cluster kmeans -i " + q(dir() / "g.npy") + " -o " + q(dir() / "ka.npy") + " --k auto --json");
  REQUIRE(k_auto.status == 0);
  CHECK(k_auto.out.find("\"n_clusters\": 4") != std::string::npos);
  CHECK(k_auto.out.find("\"k_sweep\": [{\"k\": 1") != std::string::npos);

  const auto bad = run("cluster gmm -i " + q(dir() / "g.npy") + " -o " + q(dir() / "gb.npy") + " --k 3 --covariance diagonal");
  CHECK(bad.status == 2);
  CHECK(bad.out.find("--covariance must be full, tied, diag or spherical (got 'diagonal')") != std::string::npos);
  const auto bad_init = run("cluster gmm -i " + q(dir() / "g.npy") + " -o " + q(dir() / "gb.npy") + " --k 3 --init random");
  CHECK(bad_init.status == 2);
  CHECK(bad_init.out.find("--init must be kmeans or kmeans++ (got 'random')") != std::string::npos);
}

TEST_CASE("cli: cluster streaming-kmeans replays a file as a stream and reports spawned segments", "[cli]") {
  // 6 batches of 300 rows from 3 blobs, then 6 batches where a fourth blob joins.
  segkit::matrix<float> x = segkit::matrix<float>::from_shape({3600, 2});
  segkit::rng r(3);
  const float cx[4] = {0, 30, 0, -30}, cy[4] = {0, 0, 30, -30};
  for (std::size_t i = 0; i < 3600; ++i) {
    const std::size_t c = i < 1800 ? i % 3 : i % 4;
    x(i, 0) = cx[c] + static_cast<float>(r.normal());
    x(i, 1) = cy[c] + static_cast<float>(r.normal());
  }
  segkit::save_npy(dir() / "s.npy", x);
  const auto res = run("cluster streaming-kmeans -i " + q(dir() / "s.npy") + " -o " + q(dir() / "sl.npy") + " --k 3 --batch-size 300 --json");
  REQUIRE(res.status == 0);
  CHECK(res.out.find("\"n_batches\": 12") != std::string::npos);
  CHECK(res.out.find("\"ids\": [0, 1, 2, 3]") != std::string::npos);
  CHECK(res.out.find("\"events\": [{\"batch\": 6, \"spawned\": [3], \"retired\": []}]") != std::string::npos);
  const auto labels = segkit::load_npy_vector<std::int32_t>(dir() / "sl.npy");
  for (std::size_t i = 1800; i < 3600; i += 4) CHECK(labels(i + 3) == 3);
  const auto bad = run("cluster streaming-kmeans -i " + q(dir() / "s.npy") + " -o " + q(dir() / "sl.npy") + " --k 3 --decay 2");
  CHECK(bad.status == 1);
  CHECK(bad.out.find("decay must be in (0, 1]") != std::string::npos);
}

TEST_CASE("cli: cluster dbscan, hdbscan and agglomerative match the library", "[cli]") {
  const auto x = segkit::test::blobs(1500, 3, 4, 9);
  segkit::save_npy(dir() / "d.npy", x);
  const auto db = run("cluster dbscan -i " + q(dir() / "d.npy") + " -o " + q(dir() / "dl.npy") + " --eps 0.9 --min-samples 8 --json");
  REQUIRE(db.status == 0);
  const auto want_db = segkit::cluster::dbscan<>({.eps = 0.9, .min_samples = 8}).fit(x);
  CHECK((segkit::load_npy_vector<std::int32_t>(dir() / "dl.npy") == want_db.labels()));
  CHECK(db.out.find(fmt::format("\"n_clusters\": {}", want_db.n_clusters())) != std::string::npos);
  CHECK(db.out.find("\"noise_fraction\": ") != std::string::npos);

  const auto hd = run("cluster hdbscan -i " + q(dir() / "d.npy") + " -o " + q(dir() / "hl.npy") +
                      " --min-cluster-size 20 --min-samples 10 --selection leaf --outlier-scores-out " + q(dir() / "hs.npy") + " --json");
  REQUIRE(hd.status == 0);
  const auto want_hd =
      segkit::cluster::hdbscan<>({.min_cluster_size = 20, .min_samples = 10, .selection = segkit::cluster::cluster_selection::leaf}).fit(x);
  CHECK((segkit::load_npy_vector<std::int32_t>(dir() / "hl.npy") == want_hd.labels()));
  const auto scores = segkit::load_npy_vector<double>(dir() / "hs.npy");
  CHECK(std::equal(scores.begin(), scores.end(), want_hd.outlier_scores.begin()));
  CHECK(hd.out.find(fmt::format("\"n_clusters\": {}", want_hd.n_clusters())) != std::string::npos);
  const auto shed = run("cluster hdbscan -i " + q(dir() / "d.npy") + " -o " + q(dir() / "hl.npy") +
                        " --min-cluster-size 20 --min-samples 10 --fragments shed --outlier-scores-out " + q(dir() / "hs.npy"));
  REQUIRE(shed.status == 0);
  const auto want_shed = segkit::cluster::hdbscan<>({.min_cluster_size = 20, .min_samples = 10, .fragments = segkit::cluster::fragment_rule::shed}).fit(x);
  const auto shed_scores = segkit::load_npy_vector<double>(dir() / "hs.npy");
  CHECK(std::equal(shed_scores.begin(), shed_scores.end(), want_shed.outlier_scores.begin()));
  CHECK(run("cluster hdbscan -i " + q(dir() / "d.npy") + " -o " + q(dir() / "hl.npy") + " --fragments keep").out.find("--fragments must be drop or shed (got 'keep')") !=
        std::string::npos);

  const auto ag = run("cluster agglomerative -i " + q(dir() / "d.npy") + " -o " + q(dir() / "al.npy") +
                      " --k 4 --linkage average --metric cosine --linkage-out " + q(dir() / "az.npy") + " --json");
  REQUIRE(ag.status == 0);
  const auto want_ag = segkit::cluster::agglomerative<segkit::distance::cosine_metric>({.k = 4, .linkage = segkit::cluster::linkage_method::average}).fit(x);
  CHECK((segkit::load_npy_vector<std::int32_t>(dir() / "al.npy") == want_ag.labels()));
  CHECK((segkit::load_npy_matrix<double>(dir() / "az.npy") == want_ag.tree.linkage));
  CHECK(ag.out.find("\"n_clusters\": 4") != std::string::npos);

  const auto con = run("cluster agglomerative -i " + q(dir() / "d.npy") + " -o " + q(dir() / "cl.npy") + " --k 4 --connectivity 6 --linkage-out " +
                       q(dir() / "cz.npy") + " --json");
  REQUIRE(con.status == 0);
  const auto want_con = segkit::cluster::agglomerative<>({.k = 4, .connectivity_neighbors = 6}).fit(x);
  CHECK((segkit::load_npy_vector<std::int32_t>(dir() / "cl.npy") == want_con.labels()));
  CHECK((segkit::load_npy_matrix<double>(dir() / "cz.npy") == want_con.tree.linkage));
  CHECK(con.out.find(fmt::format("\"connected_components\": {}", want_con.connected_components)) != std::string::npos);
  const auto zero = run("cluster agglomerative -i " + q(dir() / "d.npy") + " -o " + q(dir() / "cl.npy") + " --k 4 --connectivity 0");
  CHECK(zero.status == 2);
  CHECK(zero.out.find("--connectivity must be at least 1") != std::string::npos);

  const auto both = run("cluster agglomerative -i " + q(dir() / "d.npy") + " -o " + q(dir() / "al.npy") + " --k 4 --distance-threshold 2");
  CHECK(both.status == 2);
  CHECK(both.out.find("exactly one of --k and --distance-threshold") != std::string::npos);
  const auto ward = run("cluster agglomerative -i " + q(dir() / "d.npy") + " -o " + q(dir() / "al.npy") + " --k 4 --metric manhattan");
  CHECK(ward.status == 2);
  CHECK(ward.out.find("--linkage ward needs --metric l2") != std::string::npos);
  const auto ip = run("cluster dbscan -i " + q(dir() / "d.npy") + " -o " + q(dir() / "dl.npy") + " --eps 1 --metric ip");
  CHECK(ip.status == 1);
  CHECK(ip.out.find("is a similarity") != std::string::npos);
  const auto no_eps = run("cluster dbscan -i " + q(dir() / "d.npy") + " -o " + q(dir() / "dl.npy"));
  CHECK(no_eps.status == 2);
  CHECK(no_eps.out.find("--eps is required") != std::string::npos);
  const auto sel = run("cluster hdbscan -i " + q(dir() / "d.npy") + " -o " + q(dir() / "hl.npy") + " --selection best");
  CHECK(sel.status == 2);
  CHECK(sel.out.find("--selection must be eom or leaf (got 'best')") != std::string::npos);
}

TEST_CASE("cli: hdbscan predicts new points and writes membership vectors as the library", "[cli]") {
  const auto x = segkit::test::blobs(1500, 3, 4, 51);
  const segkit::matrix<float> points = segkit::test::normal_matrix(400, 3, 52) * 5.0f;
  segkit::save_npy(dir() / "hp.npy", x);
  segkit::save_npy(dir() / "hq.npy", points);
  const auto out = [&](const char* f) { return q(dir() / f); };
  const auto r = run("cluster hdbscan -i " + out("hp.npy") + " -o " + out("hpl.npy") + " --min-cluster-size 20 --membership-out " +
                     out("hpm.npy") + " --predict " + out("hq.npy") + " --predict-out " + out("hql.npy") + " --predict-probabilities-out " +
                     out("hqp.npy") + " --predict-outlier-scores-out " + out("hqs.npy") + " --predict-membership-out " + out("hqm.npy") +
                     " --json");
  REQUIRE(r.status == 0);
  const segkit::cluster::hdbscan<> algo({.min_cluster_size = 20});
  const auto fit = algo.fit(x);
  const segkit::cluster::hdbscan_predictor<> pred(fit);
  const auto want = pred.approximate_predict(points);
  CHECK((segkit::load_npy_vector<std::int32_t>(dir() / "hql.npy") == want.labels));
  const auto prob = segkit::load_npy_vector<double>(dir() / "hqp.npy");
  CHECK(std::equal(prob.begin(), prob.end(), want.probabilities.begin()));
  const auto scores = segkit::load_npy_vector<double>(dir() / "hqs.npy");
  CHECK(std::equal(scores.begin(), scores.end(), want.outlier_scores.begin()));
  CHECK((segkit::load_npy_matrix<double>(dir() / "hqm.npy") == pred.membership_vectors(points)));
  CHECK((segkit::load_npy_matrix<double>(dir() / "hpm.npy") == pred.all_points_membership_vectors()));
  CHECK(json_number(r.out, "predicted") == 400);
  CHECK(json_number(r.out, "predict_seconds") >= 0.0);
  const double noise = static_cast<double>(std::count(want.labels.begin(), want.labels.end(), -1)) / 400.0;
  CHECK(json_number(r.out, "predicted_noise_fraction") == Approx(noise));

  const auto no_out = run("cluster hdbscan -i " + out("hp.npy") + " -o " + out("hpl.npy") + " --predict " + out("hq.npy"));
  CHECK(no_out.status == 2);
  CHECK(no_out.out.find("--predict needs --predict-out") != std::string::npos);
  segkit::save_npy(dir() / "hq2.npy", segkit::test::normal_matrix(10, 2, 1));
  const auto wrong = run("cluster hdbscan -i " + out("hp.npy") + " -o " + out("hpl.npy") + " --predict " + out("hq2.npy") + " --predict-out " +
                         out("hql.npy"));
  CHECK(wrong.status == 1);
  CHECK(wrong.out.find("2 columns, the clustering was fitted on 3") != std::string::npos);
}

TEST_CASE("cli: eval scores equal the library's", "[cli]") {
  namespace qu = segkit::quality;
  const auto x = segkit::test::blobs(1200, 6, 4, 31);
  std::vector<segkit::label_type> labels(1200), other(1200);
  for (std::size_t i = 0; i < 1200; ++i) {
    labels[i] = static_cast<segkit::label_type>(i % 4);
    other[i] = static_cast<segkit::label_type>(i % 7 == 0 ? -1 : static_cast<int>(i % 4));
  }
  segkit::save_npy(dir() / "q.npy", x);
  segkit::save_npy(dir() / "ql.npy", labels.data(), {labels.size()});
  segkit::save_npy(dir() / "qo.npy", other.data(), {other.size()});
  const std::string in = " -i " + q(dir() / "q.npy") + " -l " + q(dir() / "ql.npy");
  const auto sil = run("eval silhouette" + in + " --metric cosine --samples-out " + q(dir() / "qs.npy") + " --json");
  REQUIRE(sil.status == 0);
  const auto want = qu::silhouette_samples<segkit::distance::cosine_metric>(x, labels);
  CHECK(json_number(sil.out, "value") == Approx(qu::silhouette_score<segkit::distance::cosine_metric>(x, labels)).epsilon(1e-8));
  CHECK((segkit::load_npy_vector<double>(dir() / "qs.npy") == want));
  const auto est = run("eval silhouette" + in + " --sample-size 300 --seed 3 --json");
  REQUIRE(est.status == 0);
  CHECK(json_number(est.out, "low") < json_number(est.out, "value"));
  CHECK(json_number(est.out, "sample_size") == 300);
  const auto dbi = run("eval davies-bouldin" + in + " --json");
  CHECK(json_number(dbi.out, "value") == Approx(qu::davies_bouldin(x, labels)).epsilon(1e-8));
  const auto chi = run("eval calinski-harabasz -i " + q(dir() / "q.npy") + " -l " + q(dir() / "qo.npy") + " --noise exclude --json");
  CHECK(json_number(chi.out, "value") == Approx(qu::calinski_harabasz(x, other, qu::noise_handling::exclude)).epsilon(1e-8));
  const std::string ext = " --labels " + q(dir() / "qo.npy") + " --truth " + q(dir() / "ql.npy") + " --json";
  CHECK(json_number(run("eval ari" + ext).out, "value") == Approx(qu::adjusted_rand_index(labels, other)).epsilon(1e-8));
  CHECK(json_number(run("eval nmi" + ext + " --average max").out, "value") ==
        Approx(qu::normalized_mutual_information(labels, other, qu::average_method::max)).epsilon(1e-8));
  CHECK(json_number(run("eval ami" + ext).out, "value") == Approx(qu::adjusted_mutual_information(labels, other)).epsilon(1e-8));
  const auto v = run("eval v-measure" + ext);
  CHECK(json_number(v.out, "homogeneity") == Approx(qu::homogeneity_completeness_v_measure(labels, other).homogeneity).epsilon(1e-8));
  CHECK(json_number(run("eval purity" + ext).out, "value") == Approx(qu::purity(labels, other)).epsilon(1e-8));
  const auto y = segkit::test::normal_matrix(1200, 2, 5);
  segkit::save_npy(dir() / "qy.npy", y);
  const auto tw = run("eval trustworthiness -i " + q(dir() / "q.npy") + " -e " + q(dir() / "qy.npy") + " --json");
  CHECK(json_number(tw.out, "value") == Approx(qu::trustworthiness(x, y, {.neighbors = 10})).epsilon(1e-8));
  // The tool's own default (10 neighbors) is what its help shows; the table's older spelling works.
  CHECK(run("eval trustworthiness --help").out.find("(default 10; >= 1)") != std::string::npos);
  const auto tw7 = run("eval trustworthiness -i " + q(dir() / "q.npy") + " -e " + q(dir() / "qy.npy") + " --n-neighbors 7 --json");
  CHECK(json_number(tw7.out, "value") == Approx(qu::trustworthiness(x, y, {.neighbors = 7})).epsilon(1e-8));

  std::vector<segkit::label_type> one(1200, 2);
  segkit::save_npy(dir() / "q1.npy", one.data(), {one.size()});
  const auto bad = run("eval silhouette -i " + q(dir() / "q.npy") + " -l " + q(dir() / "q1.npy"));
  CHECK(bad.status == 1);
  CHECK(bad.out.find("1 distinct label(s)") != std::string::npos);
  const auto noise = run("eval silhouette" + in + " --noise drop");
  CHECK(noise.status == 2);
  CHECK(noise.out.find("--noise must be label or exclude") != std::string::npos);
  const auto metric = run("eval davies-bouldin" + in + " --metric cosine");
  CHECK(metric.status == 2);
  CHECK(metric.out.find("Euclidean metric only") != std::string::npos);
  const auto short_labels = run("eval ari --labels " + q(dir() / "ql.npy") + " --truth " + q(dir() / "qs.npy"));
  CHECK(short_labels.status == 1);
  CHECK(short_labels.out.find("integer") != std::string::npos);
}

TEST_CASE("cli: drift reports a moved feature and a share change, and stays quiet otherwise", "[cli]") {
  // Rows 0..1999 are the reference, rows 2000..3999 a fresh sample around the same centers.
  const auto all = segkit::test::blobs(4000, 4, 3, 41);
  segkit::matrix<float> ref = segkit::matrix<float>::from_shape({2000, 4}), same = ref;
  std::copy_n(all.data(), 8000, ref.data());
  std::copy_n(all.data() + 8000, 8000, same.data());
  auto moved = same;
  for (std::size_t i = 0; i < moved.shape(0); ++i) moved(i, 2) += 2.0f;
  std::vector<segkit::label_type> labels(2000), same_labels(2000), skewed(2000);
  for (std::size_t i = 0; i < 2000; ++i) {
    labels[i] = static_cast<segkit::label_type>(i % 3);
    same_labels[i] = static_cast<segkit::label_type>((i + 2000) % 3);
    skewed[i] = static_cast<segkit::label_type>(i % 10 < 6 ? 0 : i % 3);
  }
  segkit::save_npy(dir() / "dr.npy", ref);
  segkit::save_npy(dir() / "ds.npy", same);
  segkit::save_npy(dir() / "dm.npy", moved);
  segkit::save_npy(dir() / "dl.npy", labels.data(), {labels.size()});
  segkit::save_npy(dir() / "dk.npy", skewed.data(), {skewed.size()});
  segkit::save_npy(dir() / "dsl.npy", same_labels.data(), {same_labels.size()});
  const std::string base = "drift -r " + q(dir() / "dr.npy") + " --reference-labels " + q(dir() / "dl.npy") + " --permutations 150 --max-samples 400 --json -c ";
  const auto quiet = run(base + q(dir() / "ds.npy") + " -l " + q(dir() / "dsl.npy"));
  REQUIRE(quiet.status == 0);
  CHECK(quiet.out.find("\"drifted\": false") != std::string::npos);
  CHECK(quiet.out.find("\"n_alerts\": 0") != std::string::npos);
  const auto loud = run(base + q(dir() / "dm.npy") + " -l " + q(dir() / "dk.npy"));
  REQUIRE(loud.status == 0);
  CHECK(loud.out.find("\"drifted\": true") != std::string::npos);
  CHECK(loud.out.find("\"drifted_features\": [2]") != std::string::npos);
  CHECK(json_number(loud.out, "total_variation") > 0.2);
  CHECK(loud.out.find("segment shares moved") != std::string::npos);
  std::string cat_a = "plan,region\n", cat_b = cat_a;
  for (int i = 0; i < 2000; ++i) {
    cat_a += fmt::format("{},{}\n", i % 2 ? "basic" : "premium", i % 3 ? "EU" : "US");
    cat_b += fmt::format("{},{}\n", i % 5 ? "basic" : "premium", i % 3 == 1 ? "US" : "EU");
  }
  std::ofstream(dir() / "ca.csv") << cat_a;
  std::ofstream(dir() / "cb.csv") << cat_b;
  const auto cats = run("drift -r " + q(dir() / "dr.npy") + " -c " + q(dir() / "ds.npy") + " --permutations 150 --reference-categories " +
                        q(dir() / "ca.csv") + " --categories " + q(dir() / "cb.csv") + " --json");
  REQUIRE(cats.status == 0);
  CHECK(cats.out.find("\"drifted_attributes\": [\"plan\"]") != std::string::npos);  // region keeps its shares
  const auto half = run("drift -r " + q(dir() / "dr.npy") + " -c " + q(dir() / "ds.npy") + " --labels " + q(dir() / "dl.npy"));
  CHECK(half.status == 2);
  CHECK(half.out.find("give both --reference-labels and --labels") != std::string::npos);
  // The options come from drift_params' table, under their documented names.
  const auto help = run("drift --help");
  for (const char* o : {"--p-value", "--psi ", "--share-change", "--permutations", "--max-samples", "--bins", "--ks"}) {
    INFO(o);
    CHECK(help.out.find(o) != std::string::npos);
  }
  const auto bad_psi = run("drift -r " + q(dir() / "dr.npy") + " -c " + q(dir() / "ds.npy") + " --psi high");
  CHECK(bad_psi.status == 2);
  CHECK(bad_psi.out.find("--psi must be a number (got 'high')") != std::string::npos);
}

TEST_CASE("cli: eval sweep recommends the number of blobs; eval stability reports per-cluster Jaccard", "[cli]") {
  const auto x = segkit::test::blobs(900, 5, 3, 51);  // 3 blobs, centers spread 5
  segkit::save_npy(dir() / "sw.npy", x);
  const auto sw = run("eval sweep -i " + q(dir() / "sw.npy") + " --k-min 2 --k-max 6 --gap-references 4 --stability-runs 4 --json");
  REQUIRE(sw.status == 0);
  CHECK(json_number(sw.out, "recommended_k") == 3);
  CHECK(sw.out.find("\"reason\": \"k = 3: chosen by silhouette") != std::string::npos);
  CHECK(sw.out.find("\"k\": 6") != std::string::npos);
  const auto st = run("eval stability -i " + q(dir() / "sw.npy") + " --k 3 --runs 6 --json");
  REQUIRE(st.status == 0);
  CHECK(json_number(st.out, "mean_jaccard") > 0.95);
  CHECK(st.out.find("\"clusters\": [0, 1, 2]") != std::string::npos);
  const auto nok = run("eval stability -i " + q(dir() / "sw.npy") + " --runs 6");
  CHECK(nok.status == 2);
  CHECK(nok.out.find("--algorithm kmeans needs --k") != std::string::npos);
  const auto bad = run("eval sweep -i " + q(dir() / "sw.npy") + " --algorithm dbscan");
  CHECK(bad.status == 2);
  // Options from the parameter table: --scheme bootstrap is what --bootstrap (kept) means, and a
  // bad value names the option.
  const auto boot_old = run("eval stability -i " + q(dir() / "sw.npy") + " --k 3 --runs 4 --bootstrap --json");
  const auto boot_new = run("eval stability -i " + q(dir() / "sw.npy") + " --k 3 --runs 4 --scheme bootstrap --json");
  REQUIRE(boot_old.status == 0);
  REQUIRE(boot_new.status == 0);
  CHECK(json_number(boot_old.out, "mean_jaccard") == json_number(boot_new.out, "mean_jaccard"));
  const auto bad_runs = run("eval stability -i " + q(dir() / "sw.npy") + " --k 3 --runs many");
  CHECK(bad_runs.status == 2);
  CHECK(bad_runs.out.find("--runs must be a whole number (got 'many')") != std::string::npos);
  const auto help = run("eval sweep --help");
  CHECK(help.out.find("--stability-fraction") != std::string::npos);
  CHECK(help.out.find("kmeans restarts (default 1)") != std::string::npos);
}

TEST_CASE("cli: eval profile names segments from features, categories and text", "[cli]") {
  const std::size_t n = 600;
  auto x = segkit::test::normal_matrix(n, 3, 61);
  std::vector<segkit::label_type> labels(n);
  std::string cats = "plan\n", text = "id,title\n";
  for (std::size_t i = 0; i < n; ++i) {
    labels[i] = static_cast<segkit::label_type>(i % 2);
    if (i % 2 == 1) x(i, 1) += 3.0f;
    cats += (i % 2 == 1 && i % 10 != 1) ? "premium\n" : "basic\n";
    text += fmt::format("{},{}\n", i, i % 2 ? "\"trail running shoes\"" : "\"espresso coffee beans\"");
  }
  segkit::save_npy(dir() / "px.npy", x);
  segkit::save_npy(dir() / "pl.npy", labels.data(), {labels.size()});
  std::ofstream(dir() / "pc.csv") << cats;
  std::ofstream(dir() / "pt.csv") << text;
  const std::string base = "eval profile -i " + q(dir() / "px.npy") + " -l " + q(dir() / "pl.npy");
  const auto r = run(base + " --feature-names age,spend,visits --categories " + q(dir() / "pc.csv") + " --json");
  REQUIRE(r.status == 0);
  CHECK(json_number(r.out, "n_segments") == 2);
  CHECK(r.out.find("\"name\": \"high-spend\"") != std::string::npos);
  CHECK(r.out.find("\"value\": \"premium\"") != std::string::npos);
  const auto t = run(base + " --text " + q(dir() / "pt.csv") + " --text-columns title --json");
  REQUIRE(t.status == 0);
  CHECK(t.out.find("\"name\": \"beans-coffee-espresso\"") != std::string::npos);  // equal weights: alphabetical
  CHECK(t.out.find("\"keywords\": [\"running\", \"shoes\", \"trail\"]") != std::string::npos);
  const auto bad = run(base + " --text " + q(dir() / "pt.csv"));
  CHECK(bad.status == 2);
  const auto col = run(base + " --text " + q(dir() / "pt.csv") + " --text-columns body");
  CHECK(col.status == 1);
  CHECK(col.out.find("no column 'body'") != std::string::npos);
}

TEST_CASE("cli: reduce pca matches the library", "[cli]") {
  const auto x = segkit::test::blobs(500, 8, 3, 71);
  segkit::save_npy(dir() / "rp.npy", x);
  const auto r = run("reduce pca -i " + q(dir() / "rp.npy") + " -o " + q(dir() / "ry.npy") + " --dims 3 --components-out " + q(dir() / "rc.npy") + " --json");
  REQUIRE(r.status == 0);
  const auto model = segkit::reduce::pca<float>({.n_components = 3}).fit(x);
  // The tool runs OpenBLAS on one thread, this process on several: the same up to rounding.
  const auto y = segkit::load_npy_matrix<float>(dir() / "ry.npy");
  const auto want_y = model.transform(x);
  const auto comps = segkit::load_npy_matrix<double>(dir() / "rc.npy");
  for (std::size_t i = 0; i < 500; ++i) {
    for (std::size_t c = 0; c < 3; ++c) REQUIRE(y(i, c) == Approx(want_y(i, c)).margin(1e-4));
  }
  for (std::size_t c = 0; c < 3; ++c) {
    for (std::size_t j = 0; j < 8; ++j) REQUIRE(comps(c, j) == Approx(model.components(c, j)).margin(1e-9));
  }
  CHECK(json_number(r.out, "n_components") == 3);
  const auto v = run("reduce pca -i " + q(dir() / "rp.npy") + " -o " + q(dir() / "ry.npy") + " --variance 0.95 --json");
  REQUIRE(v.status == 0);
  CHECK(json_number(v.out, "explained_variance_ratio") > 0.95);
  const auto both = run("reduce pca -i " + q(dir() / "rp.npy") + " -o " + q(dir() / "ry.npy") + " --dims 2 --variance 0.9");
  CHECK(both.status == 2);
  const auto big = run("reduce pca -i " + q(dir() / "rp.npy") + " -o " + q(dir() / "ry.npy") + " --dims 9");
  CHECK(big.status == 1);
  CHECK(big.out.find("n_components (9) exceeds min(n, d) = 8") != std::string::npos);
}

TEST_CASE("cli: reduce umap matches the library and transforms new rows", "[cli]") {
  if (openblas_set_num_threads != nullptr) openblas_set_num_threads(1);
  const auto x = segkit::test::blobs(600, 6, 3, 81);
  segkit::save_npy(dir() / "ux.npy", x);
  const auto r = run("reduce umap -i " + q(dir() / "ux.npy") + " -o " + q(dir() / "uy.npy") + " --epochs 60 --seed 4 --transform " +
                     q(dir() / "ux.npy") + " --transform-out " + q(dir() / "uq.npy") + " --json");
  REQUIRE(r.status == 0);
  const auto model = segkit::reduce::umap<>({.n_epochs = 60, .seed = 4}).fit(x);
  CHECK((segkit::load_npy_matrix<float>(dir() / "uy.npy") == model.embedding));
  CHECK((segkit::load_npy_matrix<float>(dir() / "uq.npy") == model.transform(x)));
  CHECK(json_number(r.out, "n_epochs") == 60);
  CHECK(json_number(r.out, "transform_ms_per_row") > 0.0);
  const auto bad = run("reduce umap -i " + q(dir() / "ux.npy") + " -o " + q(dir() / "uy.npy") + " --init best");
  CHECK(bad.status == 2);
  const auto nn = run("reduce umap -i " + q(dir() / "ux.npy") + " -o " + q(dir() / "uy.npy") + " --neighbors 1");
  CHECK(nn.status == 1);
  CHECK(nn.out.find("n_neighbors must be >= 2 (got 1)") != std::string::npos);
  const auto h = run("reduce umap -i " + q(dir() / "ux.npy") + " -o " + q(dir() / "uy.npy") + " --epochs 60 --seed 4 --knn hnsw --json");
  REQUIRE(h.status == 0);
  CHECK(h.out.find("\"knn\": \"hnsw\"") != std::string::npos);
  CHECK((segkit::load_npy_matrix<float>(dir() / "uy.npy") ==
         segkit::reduce::umap<>({.n_epochs = 60, .knn = segkit::reduce::knn_method::hnsw, .seed = 4}).fit(x).embedding));
  CHECK(run("reduce umap -i " + q(dir() / "ux.npy") + " -o " + q(dir() / "uy.npy") + " --knn annoy").status == 2);
}

TEST_CASE("cli: reduce tsne matches the library", "[cli]") {
  if (openblas_set_num_threads != nullptr) openblas_set_num_threads(1);
  const auto x = segkit::test::blobs(300, 5, 3, 91);
  segkit::save_npy(dir() / "tx.npy", x);
  const auto r = run("reduce tsne -i " + q(dir() / "tx.npy") + " -o " + q(dir() / "ty.npy") + " --perplexity 20 --iterations 300 --seed 2 --json");
  REQUIRE(r.status == 0);
  const auto model = segkit::reduce::tsne<>({.perplexity = 20, .max_iter = 300, .seed = 2}).fit(x);
  CHECK((segkit::load_npy_matrix<float>(dir() / "ty.npy") == model.embedding));
  CHECK(json_number(r.out, "kl_divergence") == Approx(model.kl_divergence).epsilon(1e-6));
  const auto bad = run("reduce tsne -i " + q(dir() / "tx.npy") + " -o " + q(dir() / "ty.npy") + " --perplexity 200");
  CHECK(bad.status == 1);
  CHECK(bad.out.find("perplexity (200)") != std::string::npos);
  const auto m = run("reduce tsne -i " + q(dir() / "tx.npy") + " -o " + q(dir() / "ty.npy") + " --method fast");
  CHECK(m.status == 2);
  const auto f = run("reduce tsne -i " + q(dir() / "tx.npy") + " -o " + q(dir() / "ty.npy") +
                     " --perplexity 20 --iterations 300 --seed 2 --method fft --fft-points 4 --json");
  REQUIRE(f.status == 0);
  const auto fm = segkit::reduce::tsne<>({.perplexity = 20, .max_iter = 300, .method = segkit::reduce::tsne_method::fft, .fft_points = 4, .seed = 2}).fit(x);
  CHECK((segkit::load_npy_matrix<float>(dir() / "ty.npy") == fm.embedding));
  CHECK(json_number(f.out, "fft_iterations") == 300.0);
}

TEST_CASE("cli: embed text matches the library's TF-IDF + LSA on CSV columns", "[cli]") {
  std::ofstream(dir() / "products.csv") << "id,title,notes\n"
                                             "1,\"Red apple, fresh\",fruit from the orchard\n"
                                             "2,Green apple,sour fruit\n"
                                             "3,Red sports car,fast vehicle\n"
                                             "4,Blue family car,\"vehicle, seven seats\"\n"
                                             "5,Apple pie,sweet baked fruit\n"
                                             "6,Car wax,for a shiny vehicle\n";
  const auto r = run("embed text -i " + q(dir() / "products.csv") + " --columns title,notes -o " + q(dir() / "pe.npy") + " --dims 3 --seed 4 " +
                     "--vocabulary-out " + q(dir() / "pv.txt") + " --json");
  REQUIRE(r.status == 0);
  const std::vector<std::string> docs{"Red apple, fresh fruit from the orchard", "Green apple sour fruit", "Red sports car fast vehicle",
                                      "Blue family car vehicle, seven seats",    "Apple pie sweet baked fruit", "Car wax for a shiny vehicle"};
  const auto [model, e] = segkit::embed::lsa({.dims = 3, .seed = 4}).fit_transform(docs);
  CHECK((segkit::load_npy_matrix<float>(dir() / "pe.npy") == e));
  CHECK(json_number(r.out, "vocabulary") == static_cast<double>(model.tfidf.dim()));
  CHECK(json_number(r.out, "dims") == 3.0);
  std::ifstream vocab(dir() / "pv.txt");
  std::string first;
  std::getline(vocab, first);
  CHECK(first == model.tfidf.vocabulary.front());
  CHECK(run("embed text -i " + q(dir() / "products.csv") + " --columns nope -o " + q(dir() / "pe.npy")).out.find("no column 'nope'") !=
        std::string::npos);
  CHECK(run("embed text -i " + q(dir() / "products.csv") + " --columns title -o " + q(dir() / "pe.npy") + " --analyzer bytes").status == 2);
  CHECK(run("embed text -i " + q(dir() / "products.csv") + " --columns title -o " + q(dir() / "pe.npy") + " --model m.onnx").status == 2);  // no --vocab
  // With an ONNX model (tests/data/onnx, made by make_onnx_fixture.py): the library's numbers.
  const std::string onnx = std::string(SEGKIT_TEST_DATA) + "/onnx/";
  const auto m = run("embed text -i " + q(dir() / "products.csv") + " --columns title -o " + q(dir() / "pm.npy") + " --model " + q(onnx + "bert.onnx") +
                     " --vocab " + q(onnx + "vocab.txt") + " --json");
  REQUIRE(m.status == 0);
  CHECK(json_number(m.out, "dims") == 6.0);
  segkit::embed::onnx_text_params op;
  op.model = onnx + "bert.onnx";
  op.vocab = onnx + "vocab.txt";
  const std::vector<std::string> titles{"Red apple, fresh", "Green apple", "Red sports car", "Blue family car", "Apple pie", "Car wax"};
  const auto want = segkit::embed::onnx_text_embedder(op).embed(titles);
  const auto got = segkit::load_npy_matrix<float>(dir() / "pm.npy");
  for (std::size_t i = 0; i < 6; ++i) CHECK(got(i, 0) == Approx(want(i, 0)).margin(1e-6));
  const auto bad_rt = run("embed text -i " + q(dir() / "products.csv") + " --columns title -o " + q(dir() / "pm.npy") + " --model " +
                          q(onnx + "bert.onnx") + " --vocab " + q(onnx + "vocab.txt") + " --runtime /nonexistent/lib.so");
  CHECK(bad_rt.status == 1);
  CHECK(bad_rt.out.find("cannot load ONNX Runtime") != std::string::npos);
  // A segmentation made with the model keeps it by reference: assign embeds with the same files
  // and refuses one that changed since.
  std::filesystem::copy_file(onnx + "bert.onnx", dir() / "bert.onnx", std::filesystem::copy_options::overwrite_existing);
  std::filesystem::copy_file(onnx + "vocab.txt", dir() / "vocab.txt", std::filesystem::copy_options::overwrite_existing);
  REQUIRE(run("segment -i " + q(dir() / "products.csv") + " --text-columns title -o " + q(dir() / "ms.npy") + " --k 2 --model " + q(dir() / "bert.onnx") +
              " --vocab " + q(dir() / "vocab.txt") + " --model-out " + q(dir() / "m.segmodel")).status == 0);
  const auto onnx_model = segkit::pipeline::segmentation_model::load(dir() / "m.segmodel");
  CHECK(onnx_model.embedder_kind() == "onnx_text");
  CHECK(std::get<segkit::embed::onnx_text_reference>(onnx_model.embedder).sha256[0] == segkit::sha256_file(dir() / "bert.onnx"));
  REQUIRE(run("assign --model " + q(dir() / "m.segmodel") + " -i " + q(dir() / "products.csv") + " --text-columns title -o " + q(dir() / "ma.npy")).status == 0);
  CHECK((segkit::load_npy_vector<std::int32_t>(dir() / "ma.npy") == segkit::load_npy_vector<std::int32_t>(dir() / "ms.npy")));
  std::ofstream(dir() / "vocab.txt", std::ios::app) << "extra\n";
  const auto changed = run("assign --model " + q(dir() / "m.segmodel") + " -i " + q(dir() / "products.csv") + " --text-columns title -o " + q(dir() / "ma.npy"));
  CHECK(changed.status == 1);
  CHECK(changed.out.find("vocab.txt' changed since the segmentation was saved") != std::string::npos);
  // CLIP's text tower with its BPE files.
  const auto c = run("embed text -i " + q(dir() / "products.csv") + " --columns title -o " + q(dir() / "pc.npy") + " --model " +
                     q(onnx + "clip_text.onnx") + " --clip-vocab " + q(onnx + "clip_vocab.json") + " --clip-merges " + q(onnx + "clip_merges.txt") + " --json");
  REQUIRE(c.status == 0);
  segkit::embed::onnx_text_params cp;
  cp.model = onnx + "clip_text.onnx";
  const auto want_clip = segkit::embed::clip_text_embedder(cp, onnx + "clip_vocab.json", onnx + "clip_merges.txt").embed(titles);
  CHECK((segkit::load_npy_matrix<float>(dir() / "pc.npy") == want_clip));
  CHECK(run("embed text -i " + q(dir() / "products.csv") + " --columns title -o " + q(dir() / "pc.npy") + " --model " + q(onnx + "clip_text.onnx") +
            " --clip-vocab " + q(onnx + "clip_vocab.json")).status == 2);
}

TEST_CASE("cli: embed text --model DIR and embed tokenize read real model folders and tokenizer files", "[cli]") {
  std::string long_text;
  for (int i = 0; i < 400; ++i) long_text += "word" + std::to_string(i % 7) + " ";
  std::ofstream(dir() / "texts.csv") << "id,title\n1,\"Unbelievable, CAFÉ 中文!\"\n2,Green apple [MASK] pie\n3,\"" << long_text
                                     << "\"\n4,\n5,Red sports car\n";
  const std::vector<std::string> titles{"Unbelievable, CAFÉ 中文!", "Green apple [MASK] pie", long_text, "", "Red sports car"};
  const std::string data = std::string(SEGKIT_TEST_DATA) + "/";
  const auto folder = segkit::embed::read_text_model_folder(data + "minilm_tiny");
  const auto lines = [&](const std::string& name) {
    std::ifstream in(dir() / name);
    std::vector<std::string> out;
    for (std::string l; std::getline(in, l);) out.push_back(l);
    return out;
  };
  const auto json_ids = [](const std::vector<std::int64_t>& ids) { return fmt::format("[{}]", fmt::join(ids, ",")); };
  // A model folder: its tokenizer.json with its max_seq_length (256).
  const auto t = run("embed tokenize --tokenizer " + q(data + "minilm_tiny") + " -i " + q(dir() / "texts.csv") + " --columns title -o " +
                     q(dir() / "ids.jsonl") + " --json");
  REQUIRE(t.status == 0);
  const auto tok = segkit::embed::text_tokenizer_of(folder.params);
  CHECK(tok.max_length() == 256);
  const auto got = lines("ids.jsonl");
  REQUIRE(got.size() == titles.size());
  std::size_t tokens = 0;
  for (std::size_t i = 0; i < titles.size(); ++i) {
    CHECK(got[i] == json_ids(tok.encode(titles[i])));
    tokens += tok.encode(titles[i]).size();
  }
  CHECK(got[3] == "[101,102]");
  CHECK(json_number(t.out, "rows") == 5.0);
  CHECK(json_number(t.out, "tokens") == static_cast<double>(tokens));
  CHECK(json_number(t.out, "longest") == 256.0);
  // tokenizer.json and vocab.txt directly, with --max-length.
  REQUIRE(run("embed tokenize --tokenizer " + q(data + "minilm_tiny/tokenizer.json") + " -i " + q(dir() / "texts.csv") + " --columns title -o " +
              q(dir() / "ids4.jsonl") + " --max-length 4").status == 0);
  REQUIRE(run("embed tokenize --tokenizer " + q(data + "minilm_tiny/vocab.txt") + " -i " + q(dir() / "texts.csv") + " --columns title -o " +
              q(dir() / "idsv.jsonl") + " --max-length 4").status == 0);
  CHECK(lines("ids4.jsonl") == lines("idsv.jsonl"));
  CHECK(lines("ids4.jsonl")[0] == json_ids(segkit::embed::hf_tokenizer::from_file(data + "minilm_tiny/tokenizer.json", 4).encode(titles[0])));
  CHECK(lines("ids4.jsonl")[0].ends_with(",102]"));
  // CLIP's vocab.json + merges.txt.
  REQUIRE(run("embed tokenize --tokenizer " + q(data + "onnx/clip_vocab.json") + " --clip-merges " + q(data + "onnx/clip_merges.txt") + " -i " +
              q(dir() / "texts.csv") + " --columns title -o " + q(dir() / "idsc.jsonl")).status == 0);
  const segkit::embed::clip_bpe_tokenizer clip(data + "onnx/clip_vocab.json", data + "onnx/clip_merges.txt");
  CHECK(lines("idsc.jsonl")[4] == json_ids(clip.encode(titles[4])));
  // A SentencePiece model: spm_encode's ids (tests/data/make_unigram_fixture.py).
  REQUIRE(run("embed tokenize --tokenizer " + q(data + "tokenizers/unigram.model") + " -i " + q(dir() / "texts.csv") + " --columns title -o " +
              q(dir() / "idsu.jsonl")).status == 0);
  CHECK(lines("idsu.jsonl")[4] == json_ids(segkit::embed::hf_tokenizer::from_sentencepiece(data + "tokenizers/unigram.model").encode(titles[4])));
  const auto bad = run("embed tokenize --tokenizer " + q(dir() / "m.bin") + " -i " + q(dir() / "texts.csv") + " --columns title -o " + q(dir() / "x.jsonl"));
  CHECK(bad.status == 2);
  CHECK(bad.out.find("expected a model folder, a tokenizer.json") != std::string::npos);
  // embed text with the folder: the library's vectors, embedding time and throughput reported.
  const auto e = run("embed text -i " + q(dir() / "texts.csv") + " --columns title -o " + q(dir() / "te.npy") + " --model " + q(data + "minilm_tiny") + " --json");
  REQUIRE(e.status == 0);
  CHECK(json_number(e.out, "dims") == 24.0);
  CHECK(json_number(e.out, "rows") == 5.0);
  CHECK(json_number(e.out, "texts_per_s") > 0.0);
  CHECK(json_number(e.out, "seconds") > 0.0);
  CHECK((segkit::load_npy_matrix<float>(dir() / "te.npy") == segkit::embed::onnx_text_embedder(folder.params).embed(titles)));
  // Flags override the folder's settings.
  REQUIRE(run("embed text -i " + q(dir() / "texts.csv") + " --columns title -o " + q(dir() / "tc.npy") + " --model " + q(data + "minilm_tiny") +
              " --pooling cls --max-length 8").status == 0);
  auto cls = folder.params;
  cls.pooling = segkit::embed::pooling::cls;
  cls.tokenizer.max_length = 8;
  CHECK((segkit::load_npy_matrix<float>(dir() / "tc.npy") == segkit::embed::onnx_text_embedder(cls).embed(titles)));
  // --model m.onnx with --vocab tokenizer.json.
  REQUIRE(run("embed text -i " + q(dir() / "texts.csv") + " --columns title -o " + q(dir() / "tj.npy") + " --model " +
              q(data + "minilm_tiny/onnx/model.onnx") + " --vocab " + q(data + "minilm_tiny/tokenizer.json") + " --max-length 256").status == 0);
  CHECK((segkit::load_npy_matrix<float>(dir() / "tj.npy") == segkit::load_npy_matrix<float>(dir() / "te.npy")));
  // A folder without a model is named.
  std::filesystem::create_directories(dir() / "empty_model");
  const auto none = run("embed text -i " + q(dir() / "texts.csv") + " --columns title -o " + q(dir() / "tn.npy") + " --model " + q(dir() / "empty_model"));
  CHECK(none.status == 1);
  CHECK(none.out.find("has no onnx/model.onnx or model.onnx") != std::string::npos);
  // segment with the folder keeps the model by reference (tokenizer.json included); assign agrees.
  REQUIRE(run("segment -i " + q(dir() / "texts.csv") + " --text-columns title -o " + q(dir() / "fs.npy") + " --k 2 --model " + q(data + "minilm_tiny") +
              " --model-out " + q(dir() / "f.segmodel")).status == 0);
  const auto saved = segkit::pipeline::segmentation_model::load(dir() / "f.segmodel");
  CHECK(std::get<segkit::embed::onnx_text_reference>(saved.embedder).files()[1] == std::filesystem::absolute(data + "minilm_tiny/tokenizer.json"));
  REQUIRE(run("assign --model " + q(dir() / "f.segmodel") + " -i " + q(dir() / "texts.csv") + " --text-columns title -o " + q(dir() / "fa.npy")).status == 0);
  CHECK((segkit::load_npy_vector<std::int32_t>(dir() / "fa.npy") == segkit::load_npy_vector<std::int32_t>(dir() / "fs.npy")));
}

TEST_CASE("cli: embed sequences matches the library's item2vec; session vectors; bad lines", "[cli]") {
  std::ofstream(dir() / "sessions.txt") << "1 2 3 4\n2,3,4\t5\n\n5 6 1 2 3\n7 1 2\n3 4 5 6 7\n";
  const auto r = run("embed sequences -i " + q(dir() / "sessions.txt") + " -o " + q(dir() / "iv.npy") + " --items-out " + q(dir() / "ii.npy") +
                     " --dim 8 --epochs 3 --sample 0 --seed 5 --sessions-out " + q(dir() / "is.npy") + " --last 2 --json");
  REQUIRE(r.status == 0);
  const std::vector<std::vector<segkit::id_type>> sessions{{1, 2, 3, 4}, {2, 3, 4, 5}, {}, {5, 6, 1, 2, 3}, {7, 1, 2}, {3, 4, 5, 6, 7}};
  auto m = segkit::embed::item2vec({.dim = 8, .sample = 0.0, .epochs = 3, .seed = 5}).fit(sessions);
  CHECK((segkit::load_npy_matrix<float>(dir() / "iv.npy") == m.vectors));
  const auto ids = segkit::load_npy_vector<std::int64_t>(dir() / "ii.npy");
  REQUIRE(ids.size() == m.size());
  for (std::size_t i = 0; i < ids.size(); ++i) CHECK(static_cast<segkit::id_type>(ids(i)) == m.items[i]);
  m.session_rule = {.last = 2};
  CHECK((segkit::load_npy_matrix<float>(dir() / "is.npy") == m.embed(sessions)));
  CHECK(json_number(r.out, "sessions") == 6.0);
  std::ofstream(dir() / "bad_sessions.txt") << "1 2\n3 x 4\n";
  const auto bad = run("embed sequences -i " + q(dir() / "bad_sessions.txt") + " -o " + q(dir() / "iv.npy") + " --items-out " + q(dir() / "ii.npy"));
  CHECK(bad.status == 1);
  CHECK(bad.out.find("line 2") != std::string::npos);
}

TEST_CASE("cli: embed table and embed rfm match the library", "[cli]") {
  std::ofstream(dir() / "tx.csv") << "cust,when,amt,shop\n7,2026-01-01,10,north\n7,2026-01-11,30,south\n3,2026-01-05,100,north\n"
                                     "9,2026-01-20T10:00,5,east\n9,2026-01-21,7.5,north\n";
  const auto r = run("embed rfm -i " + q(dir() / "tx.csv") + " --customer cust --time when --amount amt -o " + q(dir() / "rfm.npy") +
                     " --ids-out " + q(dir() / "rfm_ids.npy") + " --scores-out " + q(dir() / "rfm_s.npy") + " --as-of 2026-01-31 --json");
  REQUIRE(r.status == 0);
  const auto t = [](const char* s) { return *segkit::parse_timestamp(s); };
  const std::vector<segkit::embed::transaction> tx{{7, t("2026-01-01"), 10}, {7, t("2026-01-11"), 30}, {3, t("2026-01-05"), 100},
                                                   {9, t("2026-01-20T10:00"), 5}, {9, t("2026-01-21"), 7.5}};
  const auto want = segkit::embed::rfm(tx, {.as_of = t("2026-01-31")});
  CHECK((segkit::load_npy_matrix<double>(dir() / "rfm.npy") == want.values));
  CHECK((segkit::load_npy_matrix<std::int32_t>(dir() / "rfm_s.npy") == want.scores));
  CHECK(segkit::load_npy_vector<std::int64_t>(dir() / "rfm_ids.npy")(2) == 9);
  CHECK(json_number(r.out, "customers") == 3.0);
  const auto tb = run("embed table -i " + q(dir() / "tx.csv") + " --numeric amt --categorical shop --scaling robust -o " + q(dir() / "tab.npy") +
                      " --columns-out " + q(dir() / "tab_cols.txt") + " --json");
  REQUIRE(tb.status == 0);
  const auto y = segkit::load_npy_matrix<float>(dir() / "tab.npy");
  REQUIRE(y.shape(1) == 4);  // amt + east, north, south
  const segkit::matrix<double> amt = {{10}, {30}, {100}, {5}, {7.5}};
  CHECK(y(2, 0) == segkit::embed::scaler({.method = segkit::embed::scaling::robust}).fit(amt).transform(amt)(2, 0));
  CHECK(y(0, 2) == 1.0f);  // north
  std::ifstream cols(dir() / "tab_cols.txt");
  std::string first, second;
  std::getline(cols, first);
  std::getline(cols, second);
  CHECK(first == "amt");
  CHECK(second == "shop=east");
  std::ofstream(dir() / "tx_bad.csv") << "cust,when,amt\n7,yesterday,10\n";
  const auto bad = run("embed rfm -i " + q(dir() / "tx_bad.csv") + " --customer cust --time when --amount amt -o " + q(dir() / "rfm.npy") +
                       " --ids-out " + q(dir() / "rfm_ids.npy"));
  CHECK(bad.status == 1);
  CHECK(bad.out.find("time 'yesterday'") != std::string::npos);
  CHECK(run("embed table -i " + q(dir() / "tx.csv") + " -o " + q(dir() / "tab.npy")).status == 2);
}

#if SEGKIT_TEST_IMAGES
namespace {
/// A 24-bit uncompressed BMP of one color (bottom-up rows padded to 4 bytes).
void write_bmp(const std::filesystem::path& path, int w, int h, unsigned char r, unsigned char g, unsigned char b) {
  const int row = (w * 3 + 3) / 4 * 4, size = 54 + row * h;
  std::string bytes(static_cast<std::size_t>(size), '\0');
  const auto put = [&](int at, std::uint32_t v, int n) {
    for (int i = 0; i < n; ++i) bytes[static_cast<std::size_t>(at + i)] = static_cast<char>((v >> (8 * i)) & 0xFFu);
  };
  bytes[0] = 'B';
  bytes[1] = 'M';
  put(2, static_cast<std::uint32_t>(size), 4);
  put(10, 54, 4);
  put(14, 40, 4);
  put(18, static_cast<std::uint32_t>(w), 4);
  put(22, static_cast<std::uint32_t>(h), 4);
  put(26, 1, 2);
  put(28, 24, 2);
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      const auto at = static_cast<std::size_t>(54 + y * row + x * 3);
      bytes[at] = static_cast<char>(b);
      bytes[at + 1] = static_cast<char>(g);
      bytes[at + 2] = static_cast<char>(r);
    }
  }
  std::ofstream(path, std::ios::binary) << bytes;
}
}  // namespace

TEST_CASE("cli: embed images matches the library on a list of BMP files", "[cli]") {
  write_bmp(dir() / "i1.bmp", 9, 7, 250, 140, 20);
  write_bmp(dir() / "i2.bmp", 4, 6, 20, 160, 160);
  std::ofstream(dir() / "images.txt") << (dir() / "i1.bmp").string() << "\n" << (dir() / "i2.bmp").string() << "\n";
  const auto r = run("embed images -i " + q(dir() / "images.txt") + " -o " + q(dir() / "ie.npy") + " --thumbnail 2 --json");
  REQUIRE(r.status == 0);
  const segkit::embed::image_features f({.thumbnail = 2});
  const std::vector<segkit::embed::image> imgs{segkit::embed::load_image(dir() / "i1.bmp"), segkit::embed::load_image(dir() / "i2.bmp")};
  CHECK(imgs[0].pixel(3, 2)[0] == 250);
  CHECK((segkit::load_npy_matrix<float>(dir() / "ie.npy") == f.embed(imgs)));
  CHECK(json_number(r.out, "images") == 2.0);
  std::ofstream(dir() / "bad_images.txt") << (dir() / "images.txt").string() << "\n";
  const auto bad = run("embed images -i " + q(dir() / "bad_images.txt") + " -o " + q(dir() / "ie.npy"));
  CHECK(bad.status == 1);
  CHECK(bad.out.find("cannot decode the image") != std::string::npos);
  // With an ONNX image model: CLIP preprocessing and the model's output, as the library gives them.
  const std::string model = std::string(SEGKIT_TEST_DATA) + "/onnx/image.onnx";
  const auto m = run("embed images -i " + q(dir() / "images.txt") + " -o " + q(dir() / "iem.npy") + " --model " + q(model) + " --json");
  REQUIRE(m.status == 0);
  segkit::embed::onnx_image_params mp;
  mp.model = model;
  CHECK((segkit::load_npy_matrix<float>(dir() / "iem.npy") == segkit::embed::onnx_image_embedder(mp).embed(imgs)));
  // A CLIP folder (tests/data/clip_tiny): its vision tower and preprocessor_config.json; texts in
  // the same space through its text tower.
  const std::string clip = std::string(SEGKIT_TEST_DATA) + "/clip_tiny";
  REQUIRE(run("embed images -i " + q(dir() / "images.txt") + " -o " + q(dir() / "iec.npy") + " --model " + q(clip)).status == 0);
  const auto folder = segkit::embed::read_clip_model_folder(clip);
  CHECK((segkit::load_npy_matrix<float>(dir() / "iec.npy") == segkit::embed::onnx_image_embedder(folder.image).embed(imgs)));
  std::ofstream(dir() / "captions.csv") << "caption\na red square\na teal square\n";
  const auto t = run("embed text -i " + q(dir() / "captions.csv") + " --columns caption -o " + q(dir() / "tec.npy") + " --model " + q(clip) + " --json");
  REQUIRE(t.status == 0);
  CHECK(json_number(t.out, "dims") == 16.0);
  const std::vector<std::string> captions{"a red square", "a teal square"};
  CHECK((segkit::load_npy_matrix<float>(dir() / "tec.npy") == segkit::embed::onnx_text_embedder(folder.text).embed(captions)));
}
#endif

#ifdef SEGKIT_MPIEXEC
// The tool under mpirun: the distributed commands give the one-process answers; the others refuse.
TEST_CASE("cli: under mpirun, cluster kmeans/minibatch-kmeans and index build/query match one process", "[cli][mpi]") {
  const auto mpi = [](int ranks, const std::string& args) {
    return run_shell(fmt::format("OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 {} --oversubscribe -np {} {} {}",
                           SEGKIT_MPIEXEC, ranks, SEGKIT_CLI, args));
  };
  const auto x = segkit::test::blobs(5003, 6, 4, 13);
  const auto d = dir() / "mpi";
  fs::create_directories(d);
  segkit::save_npy(d / "x.npy", x);
  const auto queries = segkit::test::normal_matrix(40, 6, 14);
  segkit::save_npy(d / "q.npy", queries);

  const auto one = run("cluster kmeans -i " + q(d / "x.npy") + " -o " + q(d / "l1.npy") + " --k 4 --seed 2 --init 'kmeans||' --centroids-out " + q(d / "c1.npy"));
  REQUIRE(one.status == 0);
  const auto two = mpi(2, "cluster kmeans -i " + q(d / "x.npy") + " -o " + q(d / "l2.npy") + " --k 4 --seed 2 --init 'kmeans||' --centroids-out " +
                              q(d / "c2.npy") + " --json");
  REQUIRE(two.status == 0);
  CHECK(two.out.find("\"ranks\": 2") != std::string::npos);
  CHECK(std::count(two.out.begin(), two.out.end(), '{') == 1);  // one JSON object: rank 0 speaks for all
  CHECK((segkit::load_npy_vector<std::int32_t>(d / "l2.npy") == segkit::load_npy_vector<std::int32_t>(d / "l1.npy")));
  CHECK(xt::allclose(segkit::load_npy_matrix<float>(d / "c2.npy"), segkit::load_npy_matrix<float>(d / "c1.npy"), 1e-5, 1e-5));

  REQUIRE(run("cluster minibatch-kmeans -i " + q(d / "x.npy") + " -o " + q(d / "m1.npy") + " --k 4 --batch-size 300 --seed 5").status == 0);
  REQUIRE(mpi(3, "cluster minibatch-kmeans -i " + q(d / "x.npy") + " -o " + q(d / "m3.npy") + " --k 4 --batch-size 300 --seed 5").status == 0);
  CHECK((segkit::load_npy_vector<std::int32_t>(d / "m3.npy") == segkit::load_npy_vector<std::int32_t>(d / "m1.npy")));

  // A flat index as 2 shards: the same neighbors as one flat index, with or without mpirun.
  REQUIRE(run("index build flat -i " + q(d / "x.npy") + " -o " + q(d / "one.seg")).status == 0);
  REQUIRE(run("index query --index " + q(d / "one.seg") + " -q " + q(d / "q.npy") + " -k 7 -o " + q(d / "ids1.npy")).status == 0);
  const auto built = mpi(2, "index build flat -i " + q(d / "x.npy") + " -o " + q(d / "sharded.seg") + " --json");
  REQUIRE(built.status == 0);
  CHECK(built.out.find("\"shards\": 2") != std::string::npos);
  CHECK(fs::exists(d / "sharded.seg.shard-1-of-2"));
  REQUIRE(mpi(2, "index query --index " + q(d / "sharded.seg") + " -q " + q(d / "q.npy") + " -k 7 -o " + q(d / "ids2.npy")).status == 0);
  const auto ids1 = segkit::load_npy_matrix<std::int64_t>(d / "ids1.npy");
  CHECK((segkit::load_npy_matrix<std::int64_t>(d / "ids2.npy") == ids1));
  REQUIRE(run("index query --index " + q(d / "sharded.seg") + " -q " + q(d / "q.npy") + " -k 7 -o " + q(d / "ids3.npy")).status == 0);
  CHECK((segkit::load_npy_matrix<std::int64_t>(d / "ids3.npy") == ids1));
  // Memory-mapped shards (and a mapped plain index) answer the same.
  REQUIRE(mpi(2, "index query --index " + q(d / "sharded.seg") + " -q " + q(d / "q.npy") + " -k 7 --mmap -o " + q(d / "ids6.npy")).status == 0);
  CHECK((segkit::load_npy_matrix<std::int64_t>(d / "ids6.npy") == ids1));
  REQUIRE(run("index query --index " + q(d / "one.seg") + " -q " + q(d / "q.npy") + " -k 7 --mmap -o " + q(d / "ids7.npy")).status == 0);
  CHECK((segkit::load_npy_matrix<std::int64_t>(d / "ids7.npy") == ids1));
  // One plain index under mpirun: each rank answers a slice of the queries.
  REQUIRE(mpi(3, "index query --index " + q(d / "one.seg") + " -q " + q(d / "q.npy") + " -k 7 -o " + q(d / "ids4.npy")).status == 0);
  CHECK((segkit::load_npy_matrix<std::int64_t>(d / "ids4.npy") == ids1));

  const auto wrong_ranks = mpi(3, "index query --index " + q(d / "sharded.seg") + " -q " + q(d / "q.npy") + " -k 7 -o " + q(d / "ids5.npy"));
  CHECK(wrong_ranks.status != 0);
  CHECK(wrong_ranks.out.find("the index has 2 shards: run it with mpirun -np 2") != std::string::npos);
  const auto gmm = mpi(2, "cluster gmm -i " + q(d / "x.npy") + " -o " + q(d / "g.npy") + " --k 3");
  CHECK(gmm.status != 0);
  CHECK(gmm.out.find("'segkit cluster gmm' runs in one process") != std::string::npos);
  const auto missing = mpi(2, "cluster kmeans -i " + q(d / "none.npy") + " -o " + q(d / "l.npy") + " --k 3");
  CHECK(missing.status != 0);
  CHECK(missing.out.find("rank 0: segkit::npy: cannot open") != std::string::npos);
}
#endif
