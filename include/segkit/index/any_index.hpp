#pragma once
/// @file
/// @brief A type-erased index configured at run time (by name, or from a file), for tools and
/// services; generic code should use the typed indexes directly.

#include <cstddef>
#include <filesystem>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

#include <fmt/format.h>

#include "segkit/core/binary_format.hpp"
#include "segkit/core/concepts.hpp"
#include "segkit/core/params.hpp"
#include "segkit/index/flat.hpp"
#include "segkit/index/hnsw.hpp"
#include "segkit/index/ivf.hpp"

namespace segkit::index {

/**
 * @brief Holds any segkit::neighbor_index of float vectors behind one interface.
 *
 * Uses nothing of the wrapped type beyond the neighbor_index concept (the archetype test proves
 * it). Run-time search knobs go in any_index::search_params and are passed on to the wrapped
 * index's own parameters when it has them.
 * @par Thread safety  As the wrapped index.
 */
class any_index {
 public:
  using value_type = float;

  /// Search parameters understood by every index type (unused ones are ignored).
  struct search_params {
    std::size_t threads = 0;  ///< worker threads (0 = all)
    std::size_t ef = 0;       ///< graph indexes: candidate list size
    std::size_t nprobe = 0;   ///< inverted-list indexes: lists visited

    /// The parameter table (segkit/core/params.hpp): names, docs and valid values.
    static constexpr auto table() {
      using p = search_params;
      namespace sp = segkit::params;
      return std::tuple{sp::field("threads", &p::threads, "worker threads, 0 = all cores; results do not depend on it"),
                        sp::field("ef", &p::ef, "hnsw: candidates kept during the walk; 0 = the index's default (max(k, 64))"),
                        sp::field("nprobe", &p::nprobe, "ivf: lists scanned; 0 = the index's default (max(1, nlist / 16))")};
    }
  };

  /// Wraps an index (moved in).
  template <class I>
    requires(segkit::neighbor_index<I> && std::is_same_v<typename I::value_type, float> &&
             !std::is_same_v<std::decay_t<I>, any_index>)
  explicit any_index(I index, std::string type_name = "custom", std::string metric_name = "custom")
      : impl_(std::make_unique<model<I>>(std::move(index))), type_(std::move(type_name)), metric_(std::move(metric_name)) {}

  /// Build options of the index types that have them (each type reads its own).
  struct build_options {
    hnsw_params hnsw{};                 ///< hnsw: the graph's build parameters
    ivf_params ivf{};                   ///< ivf: the lists' build parameters
    trainer_function<float> trainer{};  ///< ivf: trains the lists (e.g. segkit::cluster::kmeans_trainer{}); empty: adding to an untrained ivf throws
  };

  /**
   * @brief A new empty index: `type` "flat" or "hnsw", `metric` by name ("l2", "sqeuclidean",
   * "cosine", "ip", "manhattan").
   * @throws segkit::invalid_argument for an unknown type or metric, dim 0, or bad options.
   */
  static any_index make(std::string_view type, std::string_view metric, std::size_t dim) { return make(type, metric, dim, build_options{}); }

  /// make() with build options.
  static any_index make(std::string_view type, std::string_view metric, std::size_t dim, const build_options& options) {
    if (type == "flat") {
      return distance::visit_metric(metric, [&](auto m) { return any_index(flat<decltype(m)>(dim, m), "flat", std::string(decltype(m)::name)); });
    }
    if (type == "hnsw") {
      return distance::visit_metric(metric, [&](auto m) {
        return any_index(hnsw<decltype(m)>(dim, options.hnsw, m), "hnsw", std::string(decltype(m)::name));
      });
    }
    if (type == "ivf") {
      const auto make_ivf = [&](auto m) {
        using I = ivf<decltype(m)>;
        return any_index(options.trainer ? I(dim, options.ivf, options.trainer, m) : I(dim, options.ivf, m), "ivf", std::string(decltype(m)::name));
      };
      if (metric == "l2" || metric == "euclidean") return make_ivf(distance::l2_metric{});
      if (metric == "sqeuclidean") return make_ivf(distance::squared_l2_metric{});
      if (metric == "cosine") return make_ivf(distance::cosine_metric{});
      segkit::detail::throw_invalid("segkit::index::any_index", fmt::format("an ivf index supports l2, sqeuclidean and cosine, not '{}'", metric));
    }
    segkit::detail::throw_invalid("segkit::index::any_index", fmt::format("unknown index type '{}' (available: flat, hnsw, ivf)", type));
  }

  /// Loads any index file written by segkit, whatever its type and metric.
  static any_index load(const std::filesystem::path& path) { return open(container_reader(path, "segkit.index."), false); }

  /**
   * @brief Opens any saved index read-only with its bulk memory-mapped (flat::open_mapped,
   * hnsw::open_mapped, ivf::open_mapped): no copy, pages shared between processes; mutations throw.
   * @throws as load().
   */
  static any_index open_mapped(const std::filesystem::path& path) { return open(container_reader::map(path, "segkit.index."), true); }

  /// Index type name ("flat", "hnsw", "ivf", or the name given to the constructor).
  [[nodiscard]] const std::string& type() const noexcept { return type_; }
  /// Metric name.
  [[nodiscard]] const std::string& metric() const noexcept { return metric_; }

  void add(std::span<const id_type> ids, matrix_view<float> rows) { impl_->add(ids, rows); }
  bool remove(id_type id) { return impl_->remove(id); }
  [[nodiscard]] std::size_t size() const { return impl_->size(); }
  [[nodiscard]] std::size_t dim() const { return impl_->dim(); }
  void save(const std::filesystem::path& path) const { impl_->save(path); }

  [[nodiscard]] knn_result<float> search(matrix_view<float> q, std::size_t k, const search_params& p) const {
    return impl_->search(q, k, p, {});
  }
  /// Search with an attribute filter (its selectivity estimate reaches the index's planner).
  [[nodiscard]] knn_result<float> search(matrix_view<float> q, std::size_t k, const search_params& p, const attribute_filter& f) const {
    return impl_->search_attributes(q, k, p, f);
  }
  /// Attaches per-id attributes (saved with the index). @throws segkit::invalid_argument if the index type cannot hold them.
  void set_attributes(std::shared_ptr<const attribute_table> table) { impl_->set_attributes(std::move(table)); }
  /// The attached attributes, or nullptr.
  [[nodiscard]] std::shared_ptr<const attribute_table> attributes() const { return impl_->attributes(); }

  /// Search with a filter `bool(id_type)`.
  template <class Filter>
    requires(!std::is_same_v<std::decay_t<Filter>, attribute_filter>)
  [[nodiscard]] knn_result<float> search(matrix_view<float> q, std::size_t k, const search_params& p, Filter&& f) const {
    if constexpr (std::is_same_v<std::decay_t<Filter>, accept_all>) {
      return impl_->search(q, k, p, {});
    } else {
      return impl_->search(q, k, p, std::function<bool(id_type)>(std::forward<Filter>(f)));
    }
  }

 private:
  // The metric named by an index file's meta section (every index starts it with its format
  // version and metric name). @throws segkit::format_error for an unknown name.
  // load() or open_mapped() of whichever index type and metric the file holds.
  static any_index open(const container_reader& file, bool mapped) {
    const bool is_flat = file.kind() == detail::flat_kind, is_hnsw = file.kind() == detail::hnsw_kind, is_ivf = file.kind() == detail::ivf_kind;
    if (!is_flat && !is_hnsw && !is_ivf) file.fail(fmt::format("unknown index kind '{}'", file.kind()));
    return distance::visit_metric(metric_of(file), [&](auto m) {
      using M = decltype(m);
      if (is_flat) return any_index(mapped ? flat<M>::open_mapped(file) : flat<M>::load(file), "flat", std::string(M::name));
      if (is_ivf) {
        if constexpr (requires { ivf<M>(1); }) {
          return any_index(mapped ? ivf<M>::open_mapped(file) : ivf<M>::load(file), "ivf", std::string(M::name));
        } else {
          file.fail(fmt::format("an ivf index cannot use metric '{}'", M::name));
        }
      }
      return any_index(mapped ? hnsw<M>::open_mapped(file) : hnsw<M>::load(file), "hnsw", std::string(M::name));
    });
  }

  static std::string metric_of(const container_reader& file) {
    byte_reader meta(file.section("meta"), file);
    (void)meta.get<std::uint32_t>();
    std::string metric = meta.get_string();
    bool known = false;
    for (auto name : distance::metric_names) known |= (name == metric);
    if (!known) file.fail(fmt::format("unknown metric '{}'", metric));
    return metric;
  }

  struct concept_t {
    virtual ~concept_t() = default;
    virtual void add(std::span<const id_type>, matrix_view<float>) = 0;
    virtual bool remove(id_type) = 0;
    virtual knn_result<float> search(matrix_view<float>, std::size_t, const search_params&,
                                     const std::function<bool(id_type)>&) const = 0;
    virtual knn_result<float> search_attributes(matrix_view<float>, std::size_t, const search_params&, const attribute_filter&) const = 0;
    virtual void set_attributes(std::shared_ptr<const attribute_table>) = 0;
    virtual std::shared_ptr<const attribute_table> attributes() const = 0;
    virtual std::size_t size() const = 0;
    virtual std::size_t dim() const = 0;
    virtual void save(const std::filesystem::path&) const = 0;
  };

  template <class I>
  struct model final : concept_t {
    explicit model(I i) : index(std::move(i)) {}
    void add(std::span<const id_type> ids, matrix_view<float> rows) override { index.add(ids, rows); }
    bool remove(id_type id) override { return index.remove(id); }
    typename I::search_params own_params(const search_params& p) const {
      typename I::search_params ip{};
      if constexpr (requires { ip.threads = p.threads; }) ip.threads = p.threads;
      if constexpr (requires { ip.ef = p.ef; }) {
        if (p.ef != 0) ip.ef = p.ef;
      }
      if constexpr (requires { ip.nprobe = p.nprobe; }) {
        if (p.nprobe != 0) ip.nprobe = p.nprobe;
      }
      return ip;
    }
    knn_result<float> search(matrix_view<float> q, std::size_t k, const search_params& p,
                             const std::function<bool(id_type)>& f) const override {
      if (!f) return index.search(q, k, own_params(p), accept_all{});
      return index.search(q, k, own_params(p), [&f](id_type id) { return f(id); });
    }
    knn_result<float> search_attributes(matrix_view<float> q, std::size_t k, const search_params& p, const attribute_filter& f) const override {
      return index.search(q, k, own_params(p), f);
    }
    void set_attributes(std::shared_ptr<const attribute_table> table) override {
      if constexpr (requires { index.set_attributes(table); }) {
        index.set_attributes(std::move(table));
      } else {
        segkit::detail::throw_invalid("segkit::index::any_index", "this index type cannot hold attributes");
      }
    }
    std::shared_ptr<const attribute_table> attributes() const override {
      if constexpr (requires { index.attributes(); }) {
        return index.attributes();
      } else {
        return nullptr;
      }
    }
    std::size_t size() const override { return index.size(); }
    std::size_t dim() const override { return index.dim(); }
    void save(const std::filesystem::path& path) const override { index.save(path); }
    I index;
  };

  std::unique_ptr<concept_t> impl_;
  std::string type_;
  std::string metric_;
};

}  // namespace segkit::index
