#pragma once
/// @file stop.hpp
/// Stopping a long churnlib call from outside: a per-thread stop callback and the polls of it.
///
/// A host application (a GUI, a server with a deadline, the Python module on Ctrl-C) installs a
/// `StopScope` on the thread that makes a long call (a fit, a CSV read, an event aggregation).
/// The call's loops call `poll_stop()` at natural points (between trees, solver iterations,
/// column groups, chunks of rows); when the scope's callback answers "stop", `poll_stop()`
/// throws `Interrupted`, the call unwinds, and the object it was fitting is left as it was
/// before the call (unfitted, or with its previous fit).
///
/// - The callback runs only on the thread that installed the scope, never inside an OpenMP
///   parallel region, and at most once per `interval` (a clock read otherwise), so polling costs
///   nothing measurable.
/// - Without a scope, `poll_stop()` does nothing.
/// - Scopes nest: every scope installed on the thread is asked (innermost first).
///
/// @code
/// std::atomic<bool> cancel{false};  // set by another thread (a "Cancel" button, a signal)
/// try {
///   churn::StopScope scope([&] { return cancel.load(); });
///   model.fit(X, y);
/// } catch (const churn::Interrupted&) {
///   // model is as before the call (unfitted if it was)
/// }
/// @endcode

#include <algorithm>   // std::min, std::max
#include <chrono>      // std::chrono::milliseconds, std::chrono::steady_clock
#include <functional>  // std::function

#include "churn/core/error.hpp"
#include "churn/core/types.hpp"

namespace churn {

/// A long call was stopped by a StopScope's callback (Python: `churnlib.Interrupted`, a
/// `churnlib.Error`; a Ctrl-C in Python raises `KeyboardInterrupt` instead).
class Interrupted : public Error {
 public:
  using Error::Error;
};

/// Installs, for the calling thread and the lifetime of the object, a callback that long
/// churnlib calls poll to learn whether they should stop.
///
/// The callback returns true to stop; from then on the scope stays stopped (every later poll
/// throws without asking again). An exception thrown by the callback propagates out of the
/// polling call. Not copyable or movable; destroy scopes in reverse order of creation (as
/// automatic variables are).
/// @code
/// std::atomic<bool> cancel{false};
/// std::thread watchdog([&] {
///   std::this_thread::sleep_for(std::chrono::seconds(10));
///   cancel = true;  // give up after 10 s
/// });
/// churn::tree::GBDTClassifier model;
/// try {
///   churn::StopScope scope([&] { return cancel.load(); });
///   model.fit(X, y);
/// } catch (const churn::Interrupted&) {
///   std::cout << "stopped; fitted: " << model.is_fitted() << "\n";  // false
/// }
/// watchdog.join();
/// @endcode
///
/// Thread safety: a scope acts on the thread that created it only (each thread installs its
/// own); its callback runs on that thread and may read state other threads set (an atomic).
class StopScope {
 public:
  /// Default interval between two calls of the callback.
  static constexpr std::chrono::milliseconds kDefaultInterval{25};

  /// Installs `should_stop` for the calling thread.
  /// @param should_stop  called by poll_stop(); returns true to stop the running call.
  /// @param interval     the least time between two calls of `should_stop` (0: every poll);
  ///                     the first call comes once `interval` has passed since construction.
  /// @throws InvalidArgument if `should_stop` is empty or `interval` is negative.
  explicit StopScope(std::function<bool()> should_stop,
                     std::chrono::milliseconds interval = kDefaultInterval);
  /// Uninstalls the callback (the enclosing scope, if any, is polled again).
  ~StopScope();
  StopScope(const StopScope&) = delete;
  StopScope& operator=(const StopScope&) = delete;
  StopScope(StopScope&&) = delete;
  StopScope& operator=(StopScope&&) = delete;

  /// True once the callback has asked to stop.
  bool stop_requested() const { return stopped_; }

 private:
  friend void poll_stop();
  /// Asks the callback if the interval has passed; true when stopped.
  bool check(std::chrono::steady_clock::time_point now);

  std::function<bool()> should_stop_;
  std::chrono::steady_clock::duration interval_;
  std::chrono::steady_clock::time_point last_;
  StopScope* outer_;
  bool stopped_ = false;
};

/// Called by long loops at natural points: asks the calling thread's StopScope callbacks (at
/// most once per their interval) and throws when one asks to stop. Does nothing without a
/// scope, and inside an OpenMP parallel region.
/// @throws Interrupted when a callback returned true; whatever a callback throws.
/// @code
/// for (int it = 0; it < max_iter; ++it) {
///   churn::poll_stop();  // a clock read, unless a callback is due
///   step();
/// }
/// @endcode
void poll_stop();

namespace detail {

/// True when a StopScope is installed on the calling thread.
bool stop_scope_installed();

/// Calls `run(lo, hi)` on consecutive ranges covering `[begin, end)` with a poll_stop() before
/// each: the first range holds `first` items, each later one as many as took about 100 ms at
/// the rate measured so far. Without a StopScope on the thread: one call over everything. For
/// loops that hand each range to a parallel loop (few ranges, so few barriers) and whose result
/// does not depend on where the ranges split.
/// @throws Interrupted as poll_stop(); whatever `run` throws.
template <class Run>
void run_polled_batches(Index begin, Index end, Index first, Run&& run) {
  if (end <= begin) return;
  if (!stop_scope_installed()) {
    run(begin, end);
    return;
  }
  using Clock = std::chrono::steady_clock;
  constexpr double kTargetNs = 100e6;
  Index batch = std::max<Index>(first, 1);
  for (Index lo = begin; lo < end;) {
    poll_stop();
    const Index hi = lo + std::min(batch, end - lo);
    const auto t0 = Clock::now();
    run(lo, hi);
    const double ns = std::chrono::duration<double, std::nano>(Clock::now() - t0).count();
    const double next = ns > 0 ? static_cast<double>(hi - lo) * kTargetNs / ns : 1e18;
    batch = static_cast<Index>(std::max(1.0, std::min(next, 1e18)));
    lo = hi;
  }
}

}  // namespace detail

}  // namespace churn
