#pragma once
/// @file parallel.hpp
/// The one parallel loop every churnlib kernel goes through.
///
/// - `n_threads`: 0 means all cores (OpenMP's default team size), a positive value that many
///   threads (more than the cores is allowed: results do not depend on it), up to kMaxThreads;
///   anything else is an InvalidArgument naming `n_threads`.
/// - In a process forked (fork() without exec) from one that loaded churnlib, every loop runs
///   on the calling thread: OpenMP's thread pool does not survive fork() (a forked child's
///   first parallel region would wait for the parent's threads forever). Results are the same;
///   use the "spawn" or "forkserver" start methods of Python's multiprocessing for parallel
///   workers.
/// - Exceptions thrown inside the loop body are caught per thread; the first one is rethrown on
///   the calling thread after the region ends (OpenMP itself would terminate the process).
/// - `parallel_reduce` splits the range into blocks whose boundaries depend only on the range
///   and the block size, and combines the per-block results in block order, so the result is
///   bit-identical for any thread count.

#include <algorithm>    // std::min
#include <atomic>       // std::atomic<bool>
#include <exception>    // std::exception_ptr
#include <mutex>        // std::mutex
#include <string_view>  // std::string_view
#include <utility>      // std::move
#include <vector>       // std::vector

#include "churn/core/error.hpp"
#include "churn/core/types.hpp"

#if defined(CHURN_USE_OPENMP)
#include <omp.h>
#endif

namespace churn {

/// The most threads any call may ask for (`n_threads`). Far above any machine churnlib runs
/// on; larger values are refused rather than handed to OpenMP, which aborts the process (or
/// allocates per-thread buffers until memory runs out) when it cannot start that many.
inline constexpr int kMaxThreads = 1024;

/// Checks an `n_threads` parameter: 0 (all cores) to kMaxThreads.
/// @throws InvalidArgument naming `who` and the value otherwise.
inline void check_n_threads(long long n_threads, std::string_view who) {
  CHURN_CHECK(n_threads >= 0 && n_threads <= kMaxThreads, InvalidArgument,
              who << (who.empty() ? "" : ": ") << "n_threads must be between 0 (all cores) and "
                  << kMaxThreads << ", got " << n_threads);
}

namespace detail {
/// True in a process forked (without exec) from one that had loaded churnlib: parallel loops
/// then run on one thread (OpenMP's pool is not fork-safe). Set by a pthread_atfork handler.
bool in_forked_child() noexcept;
}  // namespace detail

/// Number of threads a call with `n_threads` uses: 0 = all cores, >0 as given; 1 in a forked
/// child (see above).
/// @throws InvalidArgument if `n_threads` < 0 or > kMaxThreads.
inline int resolve_threads(int n_threads) {
  check_n_threads(n_threads, "");
  if (detail::in_forked_child()) return 1;
#if defined(CHURN_USE_OPENMP)
  return n_threads == 0 ? std::min(omp_get_max_threads(), kMaxThreads) : n_threads;
#else
  return n_threads == 0 ? 1 : n_threads;
#endif
}

/// True when churnlib was built with OpenMP.
inline bool has_openmp() {
#if defined(CHURN_USE_OPENMP)
  return true;
#else
  return false;
#endif
}

namespace detail {

/// Holds the first exception thrown by any thread of a parallel region.
///
/// Thread safety: run() may be called by every thread of the region at once; rethrow() after
/// the region, by one thread.
class ExceptionCarrier {
 public:
  template <class F>
  void run(F&& f) noexcept {
    if (failed_.load(std::memory_order_relaxed)) return;
    try {
      f();
    } catch (...) {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!error_) error_ = std::current_exception();
      failed_.store(true, std::memory_order_relaxed);
    }
  }
  bool failed() const { return failed_.load(std::memory_order_relaxed); }
  void rethrow() const {
    if (error_) std::rethrow_exception(error_);
  }

 private:
  std::atomic<bool> failed_{false};
  std::mutex mutex_;
  std::exception_ptr error_;
};

}  // namespace detail

/// Calls `body(lo, hi)` on consecutive blocks `[lo, hi)` of at most `block` indices covering
/// `[begin, end)`, in parallel. Blocks are handed out dynamically; each index is visited once.
/// @throws InvalidArgument if `block` < 1 or `n_threads` < 0; rethrows the first exception of
///         `body`.
template <class Body>
void parallel_for_blocks(Index begin, Index end, Index block, int n_threads, Body&& body) {
  CHURN_CHECK(block >= 1, InvalidArgument,
              "parallel_for_blocks(): block must be >= 1, got " << block);
  const int threads = resolve_threads(n_threads);
  if (end <= begin) return;
  const Index n_blocks = (end - begin + block - 1) / block;
  if (threads <= 1 || n_blocks <= 1) {
    for (Index b = 0; b < n_blocks; ++b) {
      const Index lo = begin + b * block;
      body(lo, std::min(end, lo + block));
    }
    return;
  }
  detail::ExceptionCarrier carrier;
#if defined(CHURN_USE_OPENMP)
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1)
#endif
  for (Index b = 0; b < n_blocks; ++b) {
    carrier.run([&] {
      const Index lo = begin + b * block;
      body(lo, std::min(end, lo + block));
    });
  }
  carrier.rethrow();
}

/// Calls `body(i)` for every `i` in `[begin, end)`, in parallel, in static contiguous chunks.
/// @throws InvalidArgument if `n_threads` < 0; rethrows the first exception of `body`.
template <class Body>
void parallel_for(Index begin, Index end, int n_threads, Body&& body) {
  const int threads = resolve_threads(n_threads);
  if (end <= begin) return;
  if (threads <= 1 || end - begin == 1) {
    for (Index i = begin; i < end; ++i) body(i);
    return;
  }
  detail::ExceptionCarrier carrier;
#if defined(CHURN_USE_OPENMP)
#pragma omp parallel for num_threads(threads) schedule(static)
#endif
  for (Index i = begin; i < end; ++i) {
    carrier.run([&] { body(i); });
  }
  carrier.rethrow();
}

/// Deterministic parallel reduction.
///
/// Splits `[begin, end)` into blocks of `block` indices (the last may be shorter), computes
/// `map(lo, hi) -> T` for each block in parallel, then folds the block results left to right:
/// `combine(combine(combine(init, r0), r1), ...)`. Because the block boundaries and the fold
/// order do not depend on the thread count, neither does the result.
/// @code
/// double s = churn::parallel_reduce(0, n, 4096, 0.0,
///     [&](Index lo, Index hi) { double a = 0; for (Index i = lo; i < hi; ++i) a += x[i]; return a;
///     },
///     [](double a, double b) { return a + b; }, n_threads);
/// @endcode
template <class T, class Map, class Combine>
T parallel_reduce(Index begin, Index end, Index block, T init, Map&& map, Combine&& combine,
                  int n_threads) {
  CHURN_CHECK(block >= 1, InvalidArgument, "parallel_reduce(): block must be >= 1, got " << block);
  if (end <= begin) {
    resolve_threads(n_threads);
    return init;
  }
  const Index n_blocks = (end - begin + block - 1) / block;
  std::vector<T> partial(static_cast<std::size_t>(n_blocks), init);
  parallel_for(0, n_blocks, n_threads, [&](Index b) {
    const Index lo = begin + b * block;
    partial[static_cast<std::size_t>(b)] = map(lo, std::min(end, lo + block));
  });
  T acc = std::move(init);
  for (auto& p : partial) acc = combine(std::move(acc), std::move(p));
  return acc;
}

}  // namespace churn
