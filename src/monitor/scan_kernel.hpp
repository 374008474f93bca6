#pragma once
// Private to src/monitor: the inner loops of a numeric column pass (bucket histograms, cell
// counting, gathering, exact sums), built once per instruction set from scan_kernel_impl.hpp
// (scan_kernel.cpp: portable, and the dispatch through common/cpu_dispatch.hpp;
// scan_kernel_avx2.cpp, scan_kernel_avx512.cpp). Every build gives the same bits (the
// determinism rule of cpu_dispatch.hpp).
//
// The kernel files include this header before they switch the target, so that everything it
// pulls in (common::ordered_key_folded, ExactSum) is compiled for the baseline ISA and only
// inlined into the kernels.

#include <cstddef>  // std::size_t
#include <cstdint>  // std::int64_t, std::uint16_t, std::uint32_t

#include "common/exact_sum.hpp"
#include "common/float_key.hpp"
#include "monitor/bucket_map.hpp"

namespace churn::monitor::detail {

// The exact sums of the baseline statistics (common/exact_sum.hpp).
using common::ExactSum;
using common::kSumOffset;

/// Adds the bucket counts of x[0, n) to `hist` (2 (n_buckets + 1) entries: two histograms of
/// n_buckets + 1, NaN last, to be summed; n < 2^32) and writes each value's bucket to `idx`
/// (n entries).
void scan_hist(const BucketMap& m, const double* x, std::size_t n, std::uint32_t* hist,
               std::uint16_t* idx);
/// Writes to `out` (room for n values) the values of x[0, n) whose bucket (idx, from
/// scan_hist) has a slot (slot[b] != 0; slot[n_buckets] = 0) and that differ from
/// rep[slot[b]], in row order; returns how many.
std::size_t scan_gather(const double* x, const std::uint16_t* idx, std::size_t n,
                        const std::uint16_t* slot, const double* rep, double* out);
/// Folds x[0, n) into min `mn`, max `mx` (NaN ignored), counts its infinities in `n_inf`, and
/// adds the exact sums of x and of the rounded squares (x - shift)^2 (NaN skipped) to `sum`
/// and `sumsq`: the same states as ExactSum::add of every term (vectorised: per chunk of 1024
/// values, the terms within 2^43 of the chunk's largest one go into three 32-bit fixed-point
/// slices per lane, the others one by one).
void scan_stats(const double* x, std::size_t n, double shift, double& mn, double& mx,
                std::int64_t& n_inf, ExactSum& sum, ExactSum& sumsq);
/// scan_stats() without min, max and infinities.
void exact_sums(const double* x, std::size_t n, double shift, ExactSum& sum, ExactSum& sumsq);

/// Counts the values of x[0, n) into the cells of `c`: into `scratch`, four interleaved
/// histograms of c.n_cells + 2 entries (the cells, missing values, a discard slot) to be summed
/// by the caller (n < 2^32); the values of buckets with three cuts or more are written to `out`
/// (room for n values) for the caller to place; returns how many.
std::size_t scan_cells(const CellCounter& c, const double* x, std::size_t n, std::uint32_t* scratch,
                       double* out);

/// The kernels of one build (scan_kernel.cpp: portable; scan_kernel_avx2.cpp,
/// scan_kernel_avx512.cpp); the functions above pick one per call by common::cpu_level().
struct ScanKernels {
  void (*hist)(const BucketMap&, const double*, std::size_t, std::uint32_t*, std::uint16_t*);
  std::size_t (*cells)(const CellCounter&, const double*, std::size_t, std::uint32_t*, double*);
  std::size_t (*gather)(const double*, const std::uint16_t*, std::size_t, const std::uint16_t*,
                        const double*, double*);
  void (*stats)(const double*, std::size_t, double, double&, double&, std::int64_t&, ExactSum&,
                ExactSum&);
};
ScanKernels scan_kernels_avx2();
ScanKernels scan_kernels_avx512();

}  // namespace churn::monitor::detail
