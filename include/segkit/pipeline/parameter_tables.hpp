#pragma once
/// @file
/// @brief Every algorithm's parameter table, reached by name at run time: what `segkit params`
/// prints, what the docs' parameter tables are generated from (and checked against), and what a
/// configuration file's stage is read with. Includes every algorithm header: for tools, not for
/// code that uses one algorithm.

#include <algorithm>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "segkit/cluster/agglomerative.hpp"
#include "segkit/cluster/dbscan.hpp"
#include "segkit/cluster/gmm.hpp"
#include "segkit/cluster/hdbscan_model.hpp"
#include "segkit/cluster/kmeans.hpp"
#include "segkit/cluster/minibatch_kmeans.hpp"
#include "segkit/cluster/streaming_kmeans.hpp"
#include "segkit/core/error.hpp"
#include "segkit/core/json.hpp"
#include "segkit/core/params.hpp"
#include "segkit/embed/fusion.hpp"
#include "segkit/embed/item2vec.hpp"
#include "segkit/embed/lsa.hpp"
#include "segkit/embed/onnx_text.hpp"
#include "segkit/embed/tabular.hpp"
#include "segkit/graph/knn_graph.hpp"
#include "segkit/index/any_index.hpp"
#include "segkit/index/flat.hpp"
#include "segkit/index/hnsw.hpp"
#include "segkit/index/ivf.hpp"
#include "segkit/monitor/drift.hpp"
#include "segkit/monitor/segment_ids.hpp"
#include "segkit/neighbors/kdtree.hpp"
#include "segkit/pipeline/any_pipeline.hpp"
#include "segkit/pipeline/keywords.hpp"
#include "segkit/pipeline/segment.hpp"
#include "segkit/pipeline/profile.hpp"
#include "segkit/quality/internal.hpp"
#include "segkit/quality/stability.hpp"
#include "segkit/quality/sweep.hpp"
#include "segkit/quality/trustworthiness.hpp"
#include "segkit/reduce/cca.hpp"
#include "segkit/reduce/pca.hpp"
#include "segkit/reduce/truncated_svd.hpp"
#include "segkit/reduce/tsne.hpp"
#include "segkit/reduce/umap.hpp"

namespace segkit::pipeline {

/// One parameter struct's table, by name.
struct parameter_table {
  std::string name;       ///< what `segkit params NAME` takes: "kmeans", "hnsw", "umap", ...
  std::string type;       ///< the C++ struct: "segkit::cluster::kmeans_params"
  std::string summary;    ///< what the parameters configure
  std::function<std::vector<params::field_info>()> describe;  ///< its fields (params::describe)
  std::function<std::string()> markdown;                      ///< the docs' table (params::markdown_table)
  std::function<std::string()> defaults_json;                 ///< the defaults as a JSON object (params::to_json)
  std::function<void(const json_value&, std::string_view)> check;  ///< reads a JSON object and validates it (params::from_json)
};

namespace detail {

template <params::tabled P>
parameter_table table_of(std::string name, std::string type, std::string summary) {
  return {std::move(name),
          std::move(type),
          std::move(summary),
          [] { return params::describe<P>(); },
          [] { return params::markdown_table<P>(); },
          [] { return params::to_json(P{}); },
          [](const json_value& v, std::string_view where) { (void)params::from_json<P>(v, where); }};
}

}  // namespace detail

/// Every parameter table of the library, in the order of the areas.
[[nodiscard]] inline const std::vector<parameter_table>& parameter_tables() {
  using detail::table_of;
  static const std::vector<parameter_table> tables = {
      table_of<index::flat_search_params>("flat-search", "segkit::index::flat_search_params", "a search of the exact index"),
      table_of<index::hnsw_params>("hnsw", "segkit::index::hnsw_params", "building an HNSW graph index"),
      table_of<index::hnsw_search_params>("hnsw-search", "segkit::index::hnsw_search_params", "a search of an HNSW graph"),
      table_of<index::ivf_params>("ivf", "segkit::index::ivf_params", "building an inverted-file index"),
      table_of<index::ivf_search_params>("ivf-search", "segkit::index::ivf_search_params", "a search of an inverted-file index"),
      table_of<index::any_index::search_params>("index-search", "segkit::index::any_index::search_params", "a search of any index (the tool's)"),
      table_of<neighbors::kd_tree_params>("kd-tree", "segkit::neighbors::kd_tree_params", "a k-d tree"),
      table_of<graph::knn_graph_params>("knn-graph", "segkit::graph::knn_graph_params", "a k-nearest-neighbor graph"),
      table_of<distance::pairwise_params>("pairwise", "segkit::distance::pairwise_params", "a blocked distance matrix"),
      table_of<cluster::kmeans_params>("kmeans", "segkit::cluster::kmeans_params", "k-means"),
      table_of<cluster::minibatch_kmeans_params>("minibatch-kmeans", "segkit::cluster::minibatch_kmeans_params", "mini-batch k-means"),
      table_of<cluster::streaming_kmeans_params>("streaming-kmeans", "segkit::cluster::streaming_kmeans_params", "online k-means over batches"),
      table_of<cluster::gmm_params>("gmm", "segkit::cluster::gmm_params", "a Gaussian mixture"),
      table_of<cluster::dbscan_params>("dbscan", "segkit::cluster::dbscan_params", "DBSCAN"),
      table_of<cluster::hdbscan_params>("hdbscan", "segkit::cluster::hdbscan_params", "HDBSCAN"),
      table_of<cluster::agglomerative_params>("agglomerative", "segkit::cluster::agglomerative_params", "agglomerative clustering"),
      table_of<reduce::pca_params>("pca", "segkit::reduce::pca_params", "PCA"),
      table_of<reduce::incremental_pca_params>("incremental-pca", "segkit::reduce::incremental_pca_params", "PCA over batches"),
      table_of<reduce::truncated_svd_params>("truncated-svd", "segkit::reduce::truncated_svd_params", "a truncated SVD of sparse rows"),
      table_of<reduce::cca_params>("cca", "segkit::reduce::cca_params", "canonical correlation analysis"),
      table_of<reduce::umap_params>("umap", "segkit::reduce::umap_params", "UMAP"),
      table_of<reduce::tsne_params>("tsne", "segkit::reduce::tsne_params", "t-SNE"),
      table_of<quality::silhouette_params>("silhouette", "segkit::quality::silhouette_params", "silhouette scores"),
      table_of<quality::silhouette_estimate_params>("silhouette-estimate", "segkit::quality::silhouette_estimate_params", "a sampled silhouette with its interval"),
      table_of<quality::stability_params>("stability", "segkit::quality::stability_params", "resampling stability"),
      table_of<quality::sweep_params>("sweep", "segkit::quality::sweep_params", "a sweep over k"),
      table_of<quality::trustworthiness_params>("trustworthiness", "segkit::quality::trustworthiness_params", "trustworthiness of a layout"),
      table_of<monitor::drift_params>("drift", "segkit::monitor::drift_params", "drift tests between periods"),
      table_of<monitor::segment_match_params>("segment-match", "segkit::monitor::segment_match_params", "stable segment ids across refits"),
      table_of<embed::text_analysis>("text-analysis", "segkit::embed::text_analysis", "how text becomes terms"),
      table_of<embed::tfidf_params>("tfidf", "segkit::embed::tfidf_params", "TF-IDF"),
      table_of<embed::lsa_params>("lsa", "segkit::embed::lsa_params", "TF-IDF then a truncated SVD (LSA)"),
      table_of<embed::item2vec_params>("item2vec", "segkit::embed::item2vec_params", "item2vec"),
      table_of<embed::session_params>("session", "segkit::embed::session_params", "a session's vector from its items'"),
      table_of<embed::scaler_params>("scaler", "segkit::embed::scaler_params", "scaling numeric columns"),
      table_of<embed::one_hot_params>("one-hot", "segkit::embed::one_hot_params", "one-hot encoding of categories"),
      table_of<embed::rfm_params>("rfm", "segkit::embed::rfm_params", "recency, frequency and monetary value"),
      table_of<embed::fusion_params>("fusion", "segkit::embed::fusion_params", "fusing modalities"),
      table_of<embed::onnx_text_params>("onnx-text", "segkit::embed::onnx_text_params", "an ONNX text model"),
      table_of<segkit::pipeline::segment_params>("segment", "segkit::pipeline::segment_params", "the default segmentation (segment_texts, segment_vectors)"),
      table_of<segkit::pipeline::pipeline_config>("pipeline", "segkit::pipeline::pipeline_config", "a pipeline file (segkit segment --config)"),
      table_of<segkit::pipeline::keyword_params>("keywords", "segkit::pipeline::keyword_params", "segment keywords and names"),
      table_of<segkit::pipeline::profile_params>("profile", "segkit::pipeline::profile_params", "segment profiles"),
  };
  return tables;
}

/**
 * @brief The table called `name`.
 * @throws segkit::invalid_argument listing the known names.
 */
[[nodiscard]] inline const parameter_table& parameter_table_named(std::string_view name) {
  const auto& all = parameter_tables();
  const auto it = std::find_if(all.begin(), all.end(), [&](const parameter_table& t) { return t.name == name; });
  if (it != all.end()) return *it;
  std::string known;
  for (const auto& t : all) known += (known.empty() ? "" : ", ") + t.name;
  segkit::detail::throw_invalid("segkit::pipeline::parameter_table_named", fmt::format("no parameter table '{}' (known: {})", name, known));
}

}  // namespace segkit::pipeline
