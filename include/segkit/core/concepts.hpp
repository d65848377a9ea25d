#pragma once
/// @file
/// @brief The concepts users compose segkit through (docs/design.md): metric, neighbor_index,
/// centroid_trainer, clustering_model, clusterer, weighted_clusterer, inductive_clusterer, reducer,
/// inductive_reducer, embedder.

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string_view>
#include <type_traits>

#include "segkit/core/matrix_view.hpp"
#include "segkit/core/types.hpp"

namespace segkit {

/**
 * @brief A distance (or similarity) between two rows of `dim` values of type T.
 *
 * `m(a, b, dim)` returns the value; the static traits say what the value means:
 * - `true_metric`: the triangle inequality holds (allows pruning);
 * - `squared`: the value is a squared distance;
 * - `higher_is_closer`: larger values mean closer (similarities such as inner product);
 * - `name`: the name used in files and on the command line.
 */
template <class M, class T = float>
concept metric = std::copy_constructible<M> && requires(const M m, const T* a, const T* b, std::size_t dim) {
  { m(a, b, dim) } -> std::convertible_to<T>;
  { M::true_metric } -> std::convertible_to<bool>;
  { M::squared } -> std::convertible_to<bool>;
  { M::higher_is_closer } -> std::convertible_to<bool>;
  { M::name } -> std::convertible_to<std::string_view>;
};

/**
 * @brief A searchable, mutable collection of vectors with ids.
 *
 * `add(ids, rows)`, `remove(id)`, `search(queries, k, params[, filter])` returning a
 * knn_result, `size()`, `dim()`, `save(path)` and the static `load(path)`.
 */
template <class I>
concept neighbor_index = requires(I& index, const I& cindex, std::span<const id_type> ids,
                                  matrix_view<typename I::value_type> rows, id_type id, std::size_t k,
                                  const typename I::search_params& params, const std::filesystem::path& path) {
  typename I::value_type;
  typename I::search_params;
  index.add(ids, rows);
  { index.remove(id) } -> std::same_as<bool>;
  { cindex.search(rows, k, params) } -> std::same_as<knn_result<typename I::value_type>>;
  { cindex.search(rows, k, params, accept_all{}) } -> std::same_as<knn_result<typename I::value_type>>;
  { cindex.size() } -> std::convertible_to<std::size_t>;
  { cindex.dim() } -> std::convertible_to<std::size_t>;
  cindex.save(path);
  { I::load(path) } -> std::same_as<I>;
};

/// A fitted clustering: `labels()` (one label_type per training row, -1 for noise) and
/// `n_clusters()`; every clustering model derives from segkit::clustering.
template <class M>
concept clustering_model = requires(const M& m) {
  { m.labels() } -> std::convertible_to<const label_vector&>;
  { m.n_clusters() } -> std::convertible_to<std::size_t>;
};

/**
 * @brief Groups rows into segments: `fit(rows)` returns a clustering_model (labels(),
 * n_clusters()).
 */
template <class C, class T = float>
concept clusterer = requires(const C& c, matrix_view<T> rows) {
  { c.fit(rows) } -> clustering_model;
};

/// A clusterer that takes a non-negative weight per row: `fit(rows, weights)`.
template <class C, class T = float>
concept weighted_clusterer = clusterer<C, T> && requires(const C& c, matrix_view<T> rows, std::span<const double> weights) {
  { c.fit(rows, weights) } -> clustering_model;
};

/// A clusterer whose fitted model assigns new rows: `c.fit(rows).predict(rows)` returns labels.
template <class C, class T = float>
concept inductive_clusterer = clusterer<C, T> && requires(const C& c, matrix_view<T> rows) {
  { c.fit(rows).predict(rows) } -> std::convertible_to<label_vector>;
};

/// Maps rows to fewer dimensions: `fit_transform(rows)` returns an owned matrix.
template <class R, class T = float>
concept reducer = requires(const R& r, matrix_view<T> rows) {
  { r.fit_transform(rows) } -> std::convertible_to<matrix<T>>;
};

/// A reducer whose fitted model maps new rows: `r.fit(rows).transform(rows)` returns a matrix.
template <class R, class T = float>
concept inductive_reducer = reducer<R, T> && requires(const R& r, matrix_view<T> rows) {
  { r.fit(rows).transform(rows) } -> std::convertible_to<matrix<T>>;
};

/**
 * @brief Trains the centers of a vector quantizer: `t(rows, k, seed, threads)` returns k x d
 * centers for the rows (n x d, n >= k). Inverted-list indexes take one for their coarse lists and
 * product-quantizer codebooks, so the index area needs no clustering code of its own
 * (segkit::cluster::kmeans_trainer is k-means).
 */
template <class Q, class T = float>
concept centroid_trainer = std::copy_constructible<Q> && requires(const Q& q, matrix_view<T> rows, std::size_t k, std::uint64_t seed, std::size_t threads) {
  { q(rows, k, seed, threads) } -> std::convertible_to<matrix<T>>;
};

/// Turns records into float vectors of a fixed dimension: `embed(span<const Record>)`, `dim()`.
template <class E, class Record>
concept embedder = requires(const E& e, std::span<const Record> records) {
  { e.embed(records) } -> std::convertible_to<matrix<float>>;
  { e.dim() } -> std::convertible_to<std::size_t>;
};

}  // namespace segkit
