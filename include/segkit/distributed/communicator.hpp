#pragma once
/// @file
/// @brief MPI underneath segkit's distributed algorithms: start-up and shut-down (mpi_session), a
/// communicator whose collectives throw segkit errors, reductions in a fixed order (the same bits
/// on every rank and in every run), and errors that every rank agrees on (no rank left waiting).
///
/// Needs MPI (link segkit::mpi). Every function here is collective unless it says otherwise: all
/// ranks of the communicator call it, in the same order.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <limits>
#include <numeric>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <mpi.h>

#include <fmt/format.h>

#include "segkit/core/error.hpp"

namespace segkit::distributed {

namespace detail {

inline constexpr const char* component = "segkit::distributed";

// Throws segkit::error naming the MPI call when `code` is not MPI_SUCCESS.
inline void check_mpi(int code, const char* call) {
  if (code == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int len = 0;
  MPI_Error_string(code, text, &len);
  throw segkit::error(segkit::detail::compose(component, fmt::format("{} failed: {}", call, std::string_view(text, static_cast<std::size_t>(len)))));
}

// MPI counts are int: larger messages are refused with a clear error, never truncated.
inline int mpi_count(std::size_t bytes, const char* what) {
  if (bytes > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
    throw segkit::invalid_argument(segkit::detail::compose(component, fmt::format("{}: {} bytes exceed MPI's 2 GiB message limit", what, bytes)));
  }
  return static_cast<int>(bytes);
}

}  // namespace detail

/**
 * @brief Starts MPI if nothing has yet and finishes it at the end of its scope (only if it
 * started it). Asks for MPI_THREAD_FUNNELED: segkit's threads compute, only the calling thread
 * talks to MPI.
 *
 * One per program, in main(), before any communicator is made.
 * @throws segkit::error if MPI cannot start.
 */
class mpi_session {
 public:
  mpi_session() : mpi_session(nullptr, nullptr) {}
  /// With main()'s arguments (MPI may read its own from them).
  mpi_session(int* argc, char*** argv) {
    int initialized = 0;
    MPI_Initialized(&initialized);
    if (initialized != 0) return;
    int provided = 0;
    detail::check_mpi(MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
    owner_ = true;
  }
  mpi_session(const mpi_session&) = delete;
  mpi_session& operator=(const mpi_session&) = delete;
  ~mpi_session() {
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (owner_ && finalized == 0) MPI_Finalize();
  }

  /// True when this process was started by mpirun/mpiexec (OpenMPI, MPICH or a PMIx launcher),
  /// read from the environment without starting MPI.
  [[nodiscard]] static bool launched() noexcept {
    for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK", "MPI_LOCALNRANKS"}) {
      if (std::getenv(v) != nullptr) return true;
    }
    return false;
  }

 private:
  bool owner_ = false;
};

/// Rows [begin, begin + count) of `total` held by one rank.
struct row_slice {
  std::size_t begin = 0;  ///< first global row of this rank
  std::size_t count = 0;  ///< rows on this rank
  std::size_t total = 0;  ///< rows on all ranks
};

/// The balanced contiguous slice of `total` rows for `rank` of `size`: the first total % size
/// ranks get one row more. Not collective.
[[nodiscard]] inline row_slice balanced_slice(std::size_t total, int rank, int size) {
  const auto r = static_cast<std::size_t>(rank), p = static_cast<std::size_t>(size);
  const std::size_t base = total / p, extra = total % p;
  return {r * base + std::min(r, extra), base + (r < extra ? 1 : 0), total};
}

/**
 * @brief An MPI communicator (MPI_COMM_WORLD by default) with the collectives segkit needs.
 *
 * Errors of MPI calls become segkit::error naming the call (the communicator's error handler is
 * set to MPI_ERRORS_RETURN). Sums go through ordered_sum(), whose fixed order gives the same bits
 * on every rank and in every run with the same number of ranks.
 * @par Thread safety  Use a communicator from one thread at a time (MPI_THREAD_FUNNELED).
 */
class communicator {
 public:
  /// Wraps `comm` (not owned). @throws segkit::error if MPI has not been started.
  explicit communicator(MPI_Comm comm = MPI_COMM_WORLD) : comm_(comm) {
    int initialized = 0;
    MPI_Initialized(&initialized);
    if (initialized == 0) throw segkit::error(segkit::detail::compose(detail::component, "MPI is not initialized: create a segkit::distributed::mpi_session first"));
    detail::check_mpi(MPI_Comm_set_errhandler(comm_, MPI_ERRORS_RETURN), "MPI_Comm_set_errhandler");
    detail::check_mpi(MPI_Comm_rank(comm_, &rank_), "MPI_Comm_rank");
    detail::check_mpi(MPI_Comm_size(comm_, &size_), "MPI_Comm_size");
  }

  /// This process's rank, 0..size()-1. Not collective.
  [[nodiscard]] int rank() const noexcept { return rank_; }
  /// Number of ranks. Not collective.
  [[nodiscard]] int size() const noexcept { return size_; }
  /// True on rank 0, which writes the results of the tools. Not collective.
  [[nodiscard]] bool is_root() const noexcept { return rank_ == 0; }
  /// The MPI handle. Not collective.
  [[nodiscard]] MPI_Comm native() const noexcept { return comm_; }

  /// Waits for every rank.
  void barrier() const { detail::check_mpi(MPI_Barrier(comm_), "MPI_Barrier"); }

  /// One value from every rank, in rank order, on every rank (V trivially copyable).
  template <class V>
  [[nodiscard]] std::vector<V> all_gather(const V& value) const {
    static_assert(std::is_trivially_copyable_v<V>);
    std::vector<V> out(static_cast<std::size_t>(size_));
    detail::check_mpi(MPI_Allgather(&value, static_cast<int>(sizeof(V)), MPI_BYTE, out.data(), static_cast<int>(sizeof(V)), MPI_BYTE, comm_),
                      "MPI_Allgather");
    return out;
  }

  /// Every rank's values concatenated in rank order, on every rank (lengths may differ).
  template <class V>
  [[nodiscard]] std::vector<V> all_gather_v(std::span<const V> values) const {
    static_assert(std::is_trivially_copyable_v<V>);
    const auto l = layout(values.size(), sizeof(V), "all_gather_v");
    std::vector<V> out(l.total);
    detail::check_mpi(MPI_Allgatherv(values.data(), l.bytes[static_cast<std::size_t>(rank_)], MPI_BYTE, out.data(), l.bytes.data(),
                                     l.offsets.data(), MPI_BYTE, comm_),
                      "MPI_Allgatherv");
    return out;
  }

  /// Every rank's values concatenated in rank order on `root` (empty elsewhere).
  template <class V>
  [[nodiscard]] std::vector<V> gather_v(std::span<const V> values, int root = 0) const {
    static_assert(std::is_trivially_copyable_v<V>);
    const auto l = layout(values.size(), sizeof(V), "gather_v");
    std::vector<V> out(rank_ == root ? l.total : 0);
    detail::check_mpi(MPI_Gatherv(values.data(), l.bytes[static_cast<std::size_t>(rank_)], MPI_BYTE, out.data(), l.bytes.data(),
                                  l.offsets.data(), MPI_BYTE, root, comm_),
                      "MPI_Gatherv");
    return out;
  }

  /// Copies `root`'s values into every rank's `values` (same length everywhere).
  template <class V>
  void broadcast(std::span<V> values, int root = 0) const {
    static_assert(std::is_trivially_copyable_v<V>);
    detail::check_mpi(MPI_Bcast(values.data(), detail::mpi_count(values.size() * sizeof(V), "broadcast"), MPI_BYTE, root, comm_), "MPI_Bcast");
  }

  /// `root`'s value of a trivially copyable object, on every rank.
  template <class V>
    requires std::is_trivially_copyable_v<V>
  [[nodiscard]] V broadcast_value(V value, int root = 0) const {
    broadcast(std::span<V>(&value, 1), root);
    return value;
  }

  /// `root`'s vector (any length), on every rank.
  template <class V>
  [[nodiscard]] std::vector<V> broadcast_vector(std::vector<V> values, int root = 0) const {
    const auto n = broadcast_value(static_cast<std::uint64_t>(values.size()), root);
    values.resize(static_cast<std::size_t>(n));
    broadcast(std::span<V>(values), root);
    return values;
  }

  /// `root`'s string, on every rank.
  [[nodiscard]] std::string broadcast_string(const std::string& s, int root = 0) const {
    const auto v = broadcast_vector(std::vector<char>(s.begin(), s.end()), root);
    return {v.begin(), v.end()};
  }

  /**
   * @brief Element-wise sum over ranks, in place, with the same bits on every rank.
   *
   * The order is fixed: a binomial tree pairs rank r with r + 2^s at step s (so with 4 ranks the
   * sum is (v0 + v1) + (v2 + v3)), then rank 0 broadcasts. MPI_Allreduce does not promise one order
   * (nor one result on all ranks), which would break segkit's same-seed-same-result rule.
   * @par Cost  ceil(log2 P) messages of the vector's size up the tree, then one broadcast.
   */
  void ordered_sum(std::span<double> values) const {
    const int count = detail::mpi_count(values.size() * sizeof(double), "ordered_sum") / static_cast<int>(sizeof(double));
    std::vector<double> incoming(values.size());
    for (int step = 1; step < size_; step <<= 1) {
      if ((rank_ & step) != 0) {  // send to the partner below and leave the tree
        detail::check_mpi(MPI_Send(values.data(), count, MPI_DOUBLE, rank_ - step, tag_sum, comm_), "MPI_Send");
        break;
      }
      if (rank_ + step < size_) {
        detail::check_mpi(MPI_Recv(incoming.data(), count, MPI_DOUBLE, rank_ + step, tag_sum, comm_, MPI_STATUS_IGNORE), "MPI_Recv");
        for (std::size_t i = 0; i < values.size(); ++i) values[i] += incoming[i];
      }
    }
    detail::check_mpi(MPI_Bcast(values.data(), count, MPI_DOUBLE, 0, comm_), "MPI_Bcast");
  }

  /// ordered_sum() of one value.
  [[nodiscard]] double sum(double value) const {
    ordered_sum(std::span<double>(&value, 1));
    return value;
  }

  /// Sum of an unsigned count over ranks (exact).
  [[nodiscard]] std::uint64_t sum(std::uint64_t value) const {
    std::uint64_t out = 0;
    detail::check_mpi(MPI_Allreduce(&value, &out, 1, MPI_UINT64_T, MPI_SUM, comm_), "MPI_Allreduce");
    return out;
  }

  /// Element-wise sum of unsigned integers over ranks, in place (exact, so any order will do).
  void sum_exact(std::span<std::uint64_t> values) const {
    detail::check_mpi(MPI_Allreduce(MPI_IN_PLACE, values.data(), detail::mpi_count(values.size() * 8, "sum_exact") / 8, MPI_UINT64_T, MPI_SUM, comm_),
                      "MPI_Allreduce");
  }

  /// Element-wise sum, in place, where at most one rank holds a non-zero value per element (a
  /// value sent from its owner to every rank): exact whatever the order.
  void sum_owned(std::span<double> values) const {
    detail::check_mpi(MPI_Allreduce(MPI_IN_PLACE, values.data(), detail::mpi_count(values.size() * 8, "sum_owned") / 8, MPI_DOUBLE, MPI_SUM, comm_),
                      "MPI_Allreduce");
  }

  /// Largest value over ranks (exact, so any order gives the same result).
  [[nodiscard]] double max(double value) const {
    double out = 0.0;
    detail::check_mpi(MPI_Allreduce(&value, &out, 1, MPI_DOUBLE, MPI_MAX, comm_), "MPI_Allreduce");
    return out;
  }

  /// True on every rank if `flag` is true on any rank.
  [[nodiscard]] bool any(bool flag) const {
    int in = flag ? 1 : 0, out = 0;
    detail::check_mpi(MPI_Allreduce(&in, &out, 1, MPI_INT, MPI_LOR, comm_), "MPI_Allreduce");
    return out != 0;
  }

  /// This rank's slice of rows when every rank holds `local_rows` (exclusive prefix of the counts).
  [[nodiscard]] row_slice slice_of(std::size_t local_rows) const {
    const auto counts = all_gather(static_cast<std::uint64_t>(local_rows));
    row_slice s;
    s.count = local_rows;
    for (std::size_t r = 0; r < counts.size(); ++r) {
      if (static_cast<int>(r) < rank_) s.begin += counts[r];
      s.total += counts[r];
    }
    return s;
  }

  /**
   * @brief Runs `fn` on every rank and agrees on its outcome: if it threw on any rank, every rank
   * throws the exception of the lowest failing rank (same type family, message prefixed with that
   * rank), so no rank goes on to a collective the others never reach.
   *
   * `fn` itself must not call collectives (a failing rank would skip them).
   * @return fn's result on every rank when no rank failed.
   */
  template <class Fn>
  decltype(auto) agree(Fn&& fn) const {
    int kind = 0;  // 0 ok, 1 invalid_argument, 2 format_error, 3 io_error, 4 any other
    std::string message;
    using R = std::invoke_result_t<Fn&>;
    if constexpr (std::is_void_v<R>) {
      try {
        fn();
      } catch (...) {
        kind = classify(std::current_exception(), message);
      }
      settle(kind, message);
    } else {
      std::optional<R> result;
      try {
        result.emplace(fn());
      } catch (...) {
        kind = classify(std::current_exception(), message);
      }
      settle(kind, message);
      return R(std::move(*result));
    }
  }

 private:
  static constexpr int tag_sum = 7301;

  // Byte counts and offsets of every rank's part of a gather of `count` items of `item` bytes
  // here (collective: learns the other ranks' counts), and the total item count.
  struct gather_layout {
    std::vector<int> bytes, offsets;
    std::size_t total = 0;
  };
  [[nodiscard]] gather_layout layout(std::size_t count, std::size_t item, const char* what) const {
    const auto counts = all_gather(static_cast<std::uint64_t>(count));
    gather_layout l{std::vector<int>(counts.size()), std::vector<int>(counts.size()), 0};
    for (std::size_t r = 0; r < counts.size(); ++r) {
      l.offsets[r] = detail::mpi_count(l.total * item, what);
      l.bytes[r] = detail::mpi_count(counts[r] * item, what);
      l.total += counts[r];
    }
    (void)detail::mpi_count(l.total * item, what);
    return l;
  }

  static int classify(const std::exception_ptr& e, std::string& message) {
    try {
      std::rethrow_exception(e);
    } catch (const segkit::invalid_argument& x) {
      message = x.what();
      return 1;
    } catch (const segkit::format_error& x) {
      message = x.what();
      return 2;
    } catch (const segkit::io_error& x) {
      message = x.what();
      return 3;
    } catch (const std::exception& x) {
      message = x.what();
      return 4;
    } catch (...) {
      message = "unknown exception";
      return 4;
    }
  }

  // Every rank learns the lowest failing rank and throws its error.
  void settle(int kind, const std::string& message) const {
    const auto kinds = all_gather(kind);
    const auto first = std::find_if(kinds.begin(), kinds.end(), [](int k) { return k != 0; });
    if (first == kinds.end()) return;
    const int root = static_cast<int>(first - kinds.begin());
    const std::string text = fmt::format("rank {}: {}", root, broadcast_string(message, root));
    switch (*first) {
      case 1: throw segkit::invalid_argument(text);
      case 2: throw segkit::format_error(text);
      case 3: throw segkit::io_error(text);
      default: throw segkit::error(text);
    }
  }

  MPI_Comm comm_;
  int rank_ = 0;
  int size_ = 1;
};

}  // namespace segkit::distributed
