// churn::StopScope and churn::poll_stop: the per-thread stop callbacks of long calls.
#include "churn/core/stop.hpp"

#include <utility>  // std::move

#if defined(CHURN_USE_OPENMP)
#include <omp.h>
#endif

namespace churn {

namespace {

/// The innermost scope installed on this thread (each links to the one it encloses).
thread_local StopScope* t_innermost = nullptr;

}  // namespace

StopScope::StopScope(std::function<bool()> should_stop, std::chrono::milliseconds interval)
    : should_stop_(std::move(should_stop)),
      interval_(interval),
      last_(std::chrono::steady_clock::now()),
      outer_(t_innermost) {
  CHURN_CHECK(static_cast<bool>(should_stop_), InvalidArgument,
              "StopScope(): should_stop must be a callable, got an empty std::function");
  CHURN_CHECK(interval.count() >= 0, InvalidArgument,
              "StopScope(): interval must be >= 0 ms, got " << interval.count() << " ms");
  t_innermost = this;
}

StopScope::~StopScope() {
  t_innermost = outer_;
}

bool StopScope::check(std::chrono::steady_clock::time_point now) {
  if (stopped_) return true;
  if (now - last_ < interval_) return false;
  last_ = now;
  stopped_ = should_stop_();
  return stopped_;
}

bool detail::stop_scope_installed() {
  return t_innermost != nullptr;
}

void poll_stop() {
  StopScope* s = t_innermost;
  if (s == nullptr) return;
#if defined(CHURN_USE_OPENMP)
  if (omp_get_level() > 0) return;  // only the calling thread, outside parallel regions
#endif
  const auto now = std::chrono::steady_clock::now();
  for (; s != nullptr; s = s->outer_)
    if (s->check(now)) throw Interrupted("interrupted: a StopScope callback asked to stop");
}

}  // namespace churn
