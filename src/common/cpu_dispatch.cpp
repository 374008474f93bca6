#include "common/cpu_dispatch.hpp"

#include <algorithm>  // std::min
#include <atomic>     // std::atomic

namespace churn::common {

namespace {

/// -1: no cap; else the highest level allowed.
std::atomic<int> max_level{-1};

CpuLevel probe() {
#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
  __builtin_cpu_init();
  const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  if (avx2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
      __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512bw"))
    return CpuLevel::Avx512;
  if (avx2) return CpuLevel::Avx2;
#endif
  return CpuLevel::Portable;
}

}  // namespace

CpuLevel detected_cpu_level() {
  static const CpuLevel best = probe();
  return best;
}

CpuLevel cpu_level() {
  const int best = static_cast<int>(detected_cpu_level());
  const int cap = max_level.load(std::memory_order_relaxed);
  return static_cast<CpuLevel>(cap < 0 ? best : std::min(cap, best));
}

void set_max_cpu_level(CpuLevel level) {
  max_level.store(static_cast<int>(level), std::memory_order_relaxed);
}

void clear_max_cpu_level() {
  max_level.store(-1, std::memory_order_relaxed);
}

const char* cpu_level_name(CpuLevel level) {
  switch (level) {
    case CpuLevel::Portable: return "portable";
    case CpuLevel::Avx2: return "avx2";
    case CpuLevel::Avx512: return "avx512";
  }
  return "unknown";
}

}  // namespace churn::common
