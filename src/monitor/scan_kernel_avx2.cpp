// The numeric column pass kernels compiled for AVX2 (used only when the CPU has it).
#include <algorithm>    // std::min
#include <cstddef>      // std::size_t
#include <cstdint>      // std::uint32_t, std::uint64_t
#include <cstring>      // std::memcpy
#include <limits>       // std::numeric_limits
#include <type_traits>  // std::remove_reference

#include "monitor_detail.hpp"

// The kernels' 32-byte vectors only pass between helpers inlined into this file.
#pragma GCC diagnostic ignored "-Wpsabi"

#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
#pragma GCC push_options
#pragma GCC target("avx2")
namespace churn::monitor::detail {
#include "scan_kernel_impl.hpp"

void scan_hist_avx2(const BucketMap& m, const double* x, std::size_t n, std::uint32_t* hist) {
  kernel_impl::hist(m, x, n, hist);
}
std::size_t scan_hist_split_avx2(const BucketMap& m, const double* x, std::size_t n,
                                 std::uint32_t* hist, const std::uint16_t* slot, const double* rep,
                                 double* out) {
  return kernel_impl::hist_split(m, x, n, hist, slot, rep, out);
}
std::size_t scan_gather_avx2(const BucketMap& m, const double* x, std::size_t n,
                             const std::uint16_t* slot, const double* rep, double* out) {
  return kernel_impl::gather(m, x, n, slot, rep, out);
}
void scan_min_max_inf_avx2(const double* x, std::size_t n, double& mn, double& mx,
                           std::int64_t& n_inf) {
  kernel_impl::min_max_inf(x, n, mn, mx, n_inf);
}
void exact_sums_avx2(const double* x, std::size_t n, double shift, ExactSum& sum, ExactSum& sumsq) {
  kernel_impl::sums(x, n, shift, sum, sumsq);
}
}  // namespace churn::monitor::detail
#pragma GCC pop_options
#endif
