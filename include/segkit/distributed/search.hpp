#pragma once
/// @file
/// @brief Sharded vector search over MPI ranks: each rank holds one index (flat, HNSW, IVF or
/// any_index) over its part of the vectors, queries are broadcast, and the ranks' top-k lists are
/// merged into the global top-k.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "segkit/core/concepts.hpp"
#include "segkit/core/types.hpp"
#include "segkit/distributed/communicator.hpp"
#include "segkit/index/merge.hpp"

namespace segkit::distributed {


/**
 * @brief One shard per rank of a vector index, searched as one index.
 *
 * Ids must be unique over all shards (e.g. global row numbers: the tool gives row i of the base
 * file id i). A search sends the queries from one rank to all, each rank searches its shard with
 * its own threads, and the k best of the P x k candidates per query (ties to the lower id) are
 * the result on every rank. With exact shards (flat) the result equals one flat index over all
 * vectors; with HNSW or IVF shards recall is at least the single index's for the same parameters
 * (each shard searches fewer vectors with the same effort).
 * @par Cost per search  the queries (nq x d values) broadcast; nq x k x P (id, distance) pairs
 * gathered on every rank; the shard searches run in parallel.
 */
template <class Index>
  requires segkit::neighbor_index<Index>
class sharded_index {
 public:
  using value_type = typename Index::value_type;
  using search_params = typename Index::search_params;

  /// Collective: `shard` is this rank's part (moved in).
  sharded_index(const communicator& comm, Index shard) : comm_(&comm), shard_(std::move(shard)), higher_(index::higher_is_closer(shard_)) {}

  /// This rank's shard (add, remove and upsert go here: ids must stay unique over ranks).
  [[nodiscard]] Index& shard() noexcept { return shard_; }
  /// This rank's shard.
  [[nodiscard]] const Index& shard() const noexcept { return shard_; }

  /// Collective: vectors over all shards.
  [[nodiscard]] std::size_t size() const { return static_cast<std::size_t>(comm_->sum(static_cast<std::uint64_t>(shard_.size()))); }

  /**
   * @brief Collective: the k nearest vectors over all shards to each of `root`'s query rows (the
   * other ranks' `queries` are ignored; pass an empty view).
   * @return nq x k ids and distances, the same on every rank; rows with fewer than k matches end
   * with segkit::no_id (and an infinite distance, negative for similarities).
   * @throws segkit::invalid_argument on every rank if a shard rejects the search (k of 0, a
   * query dimension that differs, NaN/Inf).
   */
  [[nodiscard]] knn_result<value_type> search(matrix_view<value_type> queries, std::size_t k, const search_params& params = {}, int root = 0) const {
    return search(queries, k, params, accept_all{}, root);
  }

  /// search() keeping only ids for which `filter(id)` is true (each shard applies it).
  template <class Filter>
  [[nodiscard]] knn_result<value_type> search(matrix_view<value_type> queries, std::size_t k, const search_params& params, Filter&& filter,
                                              int root = 0) const {
    struct shape {
      std::uint64_t rows, cols, k;
    };
    const auto s = comm_->broadcast_value(shape{queries.rows(), queries.cols(), k}, root);
    std::vector<value_type> q(static_cast<std::size_t>(s.rows * s.cols));
    if (comm_->rank() == root) {
      for (std::size_t i = 0; i < queries.rows(); ++i) std::copy_n(queries.row(i), queries.cols(), q.data() + i * queries.cols());
    }
    comm_->broadcast(std::span<value_type>(q), root);
    const std::size_t nq = static_cast<std::size_t>(s.rows), kk = static_cast<std::size_t>(s.k);
    const auto local = comm_->agree([&] {
      return shard_.search(matrix_view<value_type>(q.data(), nq, static_cast<std::size_t>(s.cols)), kk, params, std::forward<Filter>(filter));
    });
    // Every rank's answer (ids and distances, nq x its own width: a shard answers at most as
    // many neighbors as it stores), then the merge of all of them.
    const std::uint64_t width = local.ids.shape(1);
    const auto widths = comm_->all_gather_v(std::span<const std::uint64_t>(&width, 1));
    const auto ids = comm_->all_gather_v(std::span<const id_type>(local.ids.data(), local.ids.size()));
    const auto dists = comm_->all_gather_v(std::span<const value_type>(local.distances.data(), local.distances.size()));
    std::vector<knn_result<value_type>> parts(static_cast<std::size_t>(comm_->size()));
    std::size_t at = 0;
    for (std::size_t r = 0; r < parts.size(); ++r) {
      const auto w = static_cast<std::size_t>(widths[r]);
      parts[r].ids = xt::xtensor<id_type, 2>::from_shape({nq, w});
      parts[r].distances = xt::xtensor<value_type, 2>::from_shape({nq, w});
      std::copy_n(ids.begin() + static_cast<std::ptrdiff_t>(at), nq * w, parts[r].ids.begin());
      std::copy_n(dists.begin() + static_cast<std::ptrdiff_t>(at), nq * w, parts[r].distances.begin());
      at += nq * w;
    }
    auto out = index::merge_results<value_type>(parts, kk, higher_);
    return out;
  }

 private:
  const communicator* comm_;
  Index shard_;
  bool higher_;
};

}  // namespace segkit::distributed
