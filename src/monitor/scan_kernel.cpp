// The portable build of the numeric column pass kernels, and their CPU dispatch
// (common/cpu_dispatch.hpp).
#include <algorithm>    // std::min, std::max
#include <cmath>        // std::ldexp, std::abs
#include <cstddef>      // std::size_t
#include <cstdint>      // std::uint32_t, std::uint64_t
#include <cstring>      // std::memcpy
#include <limits>       // std::numeric_limits
#include <type_traits>  // std::remove_reference

#include "common/cpu_dispatch.hpp"
#include "monitor/scan_kernel.hpp"

// The kernels' vectors only pass between helpers inlined into this file.
#pragma GCC diagnostic ignored "-Wpsabi"

namespace churn::monitor::detail {
#include "monitor/scan_kernel_impl.hpp"

namespace {

/// The kernels of the level common::cpu_level() gives now (resolved once per kernel call).
const ScanKernels& kernels() {
  static const ScanKernels portable{&kernel_impl::hist, &kernel_impl::cells, &kernel_impl::gather,
                                    &kernel_impl::stats};
#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
  static const ScanKernels avx2 = scan_kernels_avx2();
  static const ScanKernels avx512 = scan_kernels_avx512();
  const common::CpuLevel level = common::cpu_level();
  if (level == common::CpuLevel::Avx512) return avx512;
  if (level == common::CpuLevel::Avx2) return avx2;
#endif
  return portable;
}

}  // namespace

std::uint32_t BucketMap::bucket(double x) const {
  std::uint32_t b = 0;
  kernel_impl::buckets(*this, &x, 1, &b);
  return b;
}

void scan_hist(const BucketMap& m, const double* x, std::size_t n, std::uint32_t* hist,
               std::uint16_t* idx) {
  kernels().hist(m, x, n, hist, idx);
}

std::size_t scan_cells(const CellCounter& c, const double* x, std::size_t n, std::uint32_t* scratch,
                       double* out) {
  return kernels().cells(c, x, n, scratch, out);
}

std::size_t scan_gather(const double* x, const std::uint16_t* idx, std::size_t n,
                        const std::uint16_t* slot, const double* rep, double* out) {
  return kernels().gather(x, idx, n, slot, rep, out);
}

void scan_stats(const double* x, std::size_t n, double shift, double& mn, double& mx,
                std::int64_t& n_inf, ExactSum& sum, ExactSum& sumsq) {
  kernels().stats(x, n, shift, mn, mx, n_inf, sum, sumsq);
}

void exact_sums(const double* x, std::size_t n, double shift, ExactSum& sum, ExactSum& sumsq) {
  double mn = std::numeric_limits<double>::infinity(), mx = -mn;
  std::int64_t n_inf = 0;
  kernels().stats(x, n, shift, mn, mx, n_inf, sum, sumsq);
}

}  // namespace churn::monitor::detail
