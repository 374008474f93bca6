// The portable build of the numeric column pass kernels and the one-time CPU dispatch.
#include <algorithm>    // std::min
#include <atomic>       // std::atomic
#include <cstddef>      // std::size_t
#include <cstdint>      // std::uint32_t, std::uint64_t
#include <cstring>      // std::memcpy
#include <limits>       // std::numeric_limits
#include <type_traits>  // std::remove_reference

#include "monitor_detail.hpp"

// The kernels' 32-byte vectors only pass between helpers inlined into this file.
#pragma GCC diagnostic ignored "-Wpsabi"

namespace churn::monitor::detail {
#include "scan_kernel_impl.hpp"

namespace {

struct Kernels {
  void (*hist)(const BucketMap&, const double*, std::size_t, std::uint32_t*);
  std::size_t (*hist_split)(const BucketMap&, const double*, std::size_t, std::uint32_t*,
                            const std::uint16_t*, const double*, double*);
  std::size_t (*gather)(const BucketMap&, const double*, std::size_t, const std::uint16_t*,
                        const double*, double*);
  void (*min_max_inf)(const double*, std::size_t, double&, double&, std::int64_t&);
  void (*sums)(const double*, std::size_t, double, ExactSum&, ExactSum&);
};

int detect_level() {
#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
      __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512bw"))
    return 2;
  if (__builtin_cpu_supports("avx2")) return 1;
#endif
  return 0;
}

std::atomic<int> forced_level{-1};

const Kernels& kernels() {
  static const Kernels portable{&kernel_impl::hist, &kernel_impl::hist_split, &kernel_impl::gather,
                                &kernel_impl::min_max_inf, &kernel_impl::sums};
#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
  static const Kernels avx2{&scan_hist_avx2, &scan_hist_split_avx2, &scan_gather_avx2,
                            &scan_min_max_inf_avx2, &exact_sums_avx2};
  static const Kernels avx512{&scan_hist_avx512, &scan_hist_split_avx512, &scan_gather_avx512,
                              &scan_min_max_inf_avx512, &exact_sums_avx512};
  static const int best = detect_level();
  const int forced = forced_level.load(std::memory_order_relaxed);
  const int level = forced < 0 ? best : std::min(forced, best);
  if (level == 2) return avx512;
  if (level == 1) return avx2;
#endif
  return portable;
}

}  // namespace

int scan_kernel_level() {
#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
  static const int best = detect_level();
  const int forced = forced_level.load(std::memory_order_relaxed);
  return forced < 0 ? best : std::min(forced, best);
#else
  return 0;
#endif
}

void force_scan_kernel_level(int level) {
  forced_level.store(level, std::memory_order_relaxed);
}

std::uint32_t BucketMap::bucket(double x) const {
  std::uint32_t b = 0;
  kernel_impl::buckets(*this, &x, 1, &b);
  return b;
}

void scan_hist(const BucketMap& m, const double* x, std::size_t n, std::uint32_t* hist) {
  kernels().hist(m, x, n, hist);
}

std::size_t scan_hist_split(const BucketMap& m, const double* x, std::size_t n, std::uint32_t* hist,
                            const std::uint16_t* slot, const double* rep, double* out) {
  return kernels().hist_split(m, x, n, hist, slot, rep, out);
}

std::size_t scan_gather(const BucketMap& m, const double* x, std::size_t n,
                        const std::uint16_t* slot, const double* rep, double* out) {
  return kernels().gather(m, x, n, slot, rep, out);
}

void scan_min_max_inf(const double* x, std::size_t n, double& mn, double& mx, std::int64_t& n_inf) {
  kernels().min_max_inf(x, n, mn, mx, n_inf);
}

void exact_sums(const double* x, std::size_t n, double shift, ExactSum& sum, ExactSum& sumsq) {
  kernels().sums(x, n, shift, sum, sumsq);
}

}  // namespace churn::monitor::detail
