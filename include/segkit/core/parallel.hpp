#pragma once
/// @file
/// @brief A small thread pool and parallel loops whose results do not depend on the thread count.

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

namespace segkit {

/// Number of threads to use for a `threads` parameter: 0 means all hardware threads.
inline std::size_t resolve_threads(std::size_t threads) noexcept {
  if (threads != 0) return threads;
  const unsigned hw = std::thread::hardware_concurrency();
  return hw == 0 ? 1 : hw;
}

/**
 * @brief A fixed set of worker threads that runs numbered chunks of work.
 *
 * The calling thread takes part, so `executor(1)` starts no thread at all. Work is given as a
 * number of chunks; which thread runs a chunk varies, so callers make every chunk's result depend
 * only on the chunk index (see parallel_for / parallel_reduce), and results are then identical for
 * any thread count. An exception thrown by a chunk skips the chunks after it and is rethrown by
 * run(); chunks before it still run, so the exception reported is always the one of the lowest
 * failing chunk, whatever the threads did.
 * @par Thread safety  run() may be called by one thread at a time; a run() from inside a chunk
 * executes its chunks inline on the calling worker.
 */
class executor {
 public:
  /// Starts resolve_threads(threads) - 1 workers.
  explicit executor(std::size_t threads = 0) : threads_(resolve_threads(threads)) {
    workers_.reserve(threads_ - 1);
    for (std::size_t i = 1; i < threads_; ++i) workers_.emplace_back([this] { worker_loop(); });
  }
  executor(const executor&) = delete;
  executor& operator=(const executor&) = delete;
  ~executor() {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    wake_.notify_all();
    for (auto& w : workers_) w.join();
  }

  /// Threads that run chunks, the caller included.
  [[nodiscard]] std::size_t threads() const noexcept { return threads_; }

  /// Calls `fn(chunk)` once for every chunk in [0, n_chunks), spread over the threads.
  void run(std::size_t n_chunks, const std::function<void(std::size_t)>& fn) {
    if (n_chunks == 0) return;
    bool expected = false;
    if (workers_.empty() || n_chunks == 1 || !busy_.compare_exchange_strong(expected, true)) {
      for (std::size_t c = 0; c < n_chunks; ++c) fn(c);  // serial, or nested inside a chunk
      return;
    }
    job j;
    j.fn = &fn;
    j.n_chunks = n_chunks;
    {
      std::lock_guard lock(mutex_);
      job_ = &j;
      ++generation_;
    }
    wake_.notify_all();
    work_on(j);
    {
      std::unique_lock lock(mutex_);
      finished_.wait(lock, [&] { return j.done == j.n_chunks && active_ == 0; });
      job_ = nullptr;
    }
    busy_.store(false);
    if (j.error) std::rethrow_exception(j.error);
  }

 private:
  struct job {
    const std::function<void(std::size_t)>* fn = nullptr;
    std::size_t n_chunks = 0;
    std::atomic<std::size_t> next{0};
    std::size_t done = 0;  // guarded by the executor's mutex
    std::exception_ptr error;  // guarded by the executor's mutex
    std::atomic<std::size_t> error_chunk{static_cast<std::size_t>(-1)};
  };

  void work_on(job& j) {
    std::size_t finished = 0;
    for (;;) {
      const std::size_t c = j.next.fetch_add(1);
      if (c >= j.n_chunks) break;
      // Chunks after a failed one are skipped; earlier ones still run, so the error reported is
      // always that of the lowest failing chunk.
      if (c < j.error_chunk.load()) {
        try {
          (*j.fn)(c);
        } catch (...) {
          std::lock_guard lock(mutex_);
          if (c < j.error_chunk.load()) {
            j.error_chunk.store(c);
            j.error = std::current_exception();
          }
        }
      }
      ++finished;
    }
    std::lock_guard lock(mutex_);
    j.done += finished;
  }

  void worker_loop() {
    std::uint64_t seen = 0;
    for (;;) {
      job* j = nullptr;
      {
        std::unique_lock lock(mutex_);
        wake_.wait(lock, [&] { return stop_ || (job_ != nullptr && generation_ != seen); });
        if (stop_) return;
        seen = generation_;
        j = job_;
        ++active_;
      }
      work_on(*j);
      {
        std::lock_guard lock(mutex_);
        --active_;
      }
      finished_.notify_all();
    }
  }

  std::size_t threads_;
  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable finished_;
  job* job_ = nullptr;
  std::uint64_t generation_ = 0;
  std::size_t active_ = 0;
  bool stop_ = false;
  std::atomic<bool> busy_{false};
};

/// Number of chunks of at most `grain` items that cover n items (grain 0 is treated as 1).
inline std::size_t chunk_count(std::size_t n, std::size_t grain) noexcept {
  grain = std::max<std::size_t>(grain, 1);
  return (n + grain - 1) / grain;
}

/**
 * @brief Calls `fn(begin, end, chunk)` for consecutive ranges of at most `grain` items covering
 * [0, n). The ranges depend on n and grain only, never on the thread count.
 */
template <class F>
void parallel_for(executor& ex, std::size_t n, std::size_t grain, F&& fn) {
  grain = std::max<std::size_t>(grain, 1);
  const std::function<void(std::size_t)> body = [&](std::size_t c) {
    const std::size_t b = c * grain;
    fn(b, std::min(n, b + grain), c);
  };
  ex.run(chunk_count(n, grain), body);
}

/**
 * @brief Maps each range (as in parallel_for) to a partial value with `map(begin, end, chunk)`,
 * then folds the partials in range order with `combine(acc, partial)`: the same bits for any
 * thread count.
 */
template <class T, class Map, class Combine>
T parallel_reduce(executor& ex, std::size_t n, std::size_t grain, T init, Map&& map, Combine&& combine) {
  std::vector<T> partial(chunk_count(n, grain), init);
  parallel_for(ex, n, grain, [&](std::size_t b, std::size_t e, std::size_t c) { partial[c] = map(b, e, c); });
  T acc = std::move(init);
  for (auto& p : partial) acc = combine(std::move(acc), std::move(p));
  return acc;
}

}  // namespace segkit
