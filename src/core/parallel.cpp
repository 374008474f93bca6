// Fork detection for parallel.hpp: a forked child runs every parallel loop on one thread.

#include "churn/core/parallel.hpp"

#include <atomic>  // std::atomic<bool>

#if defined(__unix__) || defined(__APPLE__)
#include <pthread.h>  // pthread_atfork
#endif

namespace churn::detail {

namespace {

std::atomic<bool> g_forked_child{false};

#if defined(__unix__) || defined(__APPLE__)
// Runs in the child right after fork(): only an atomic store (async-signal-safe).
void on_fork_child() {
  g_forked_child.store(true, std::memory_order_relaxed);
}

// Registered when the library is loaded, so a fork at any later time is seen. (resolve_threads
// calls in_forked_child(), so this file is linked into every program that runs a loop.)
[[maybe_unused]] const bool g_registered = ::pthread_atfork(nullptr, nullptr, &on_fork_child) == 0;
#endif

}  // namespace

bool in_forked_child() noexcept {
  return g_forked_child.load(std::memory_order_relaxed);
}

}  // namespace churn::detail
