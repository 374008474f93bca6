// The numeric column pass kernels compiled for AVX-512 (F, DQ, VL, BW: used only when the CPU has
// them), eight lanes.
#include <algorithm>    // std::min, std::max
#include <cmath>        // std::ldexp, std::abs
#include <cstddef>      // std::size_t
#include <cstdint>      // std::uint32_t, std::uint64_t
#include <cstring>      // std::memcpy
#include <limits>       // std::numeric_limits
#include <type_traits>  // std::remove_reference

#include "monitor/scan_kernel.hpp"

// The kernels' vectors only pass between helpers inlined into this file.
#pragma GCC diagnostic ignored "-Wpsabi"
// GCC 12 flags the deliberately undefined pass-through operand inside the gather intrinsics.
#if !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
// clang ignores GCC's target pragmas: the same target as an attribute of every function
#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx512f,avx512dq,avx512vl,avx512bw"))), \
                             apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx512f,avx512dq,avx512vl,avx512bw")
#endif
#define CHURN_SCAN_LANES 8
#include <immintrin.h>  // the gather-based cell lookup
#define CHURN_SCAN_AVX512 1
namespace churn::monitor::detail {
#include "monitor/scan_kernel_impl.hpp"

ScanKernels scan_kernels_avx512() {
  return ScanKernels{&kernel_impl::hist, &kernel_impl::cells, &kernel_impl::gather,
                     &kernel_impl::stats};
}
}  // namespace churn::monitor::detail
#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif
#endif
