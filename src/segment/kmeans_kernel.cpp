// The portable K-means distance kernel, and its CPU dispatch (common/cpu_dispatch.hpp: resolved
// once per kernel call, a block of rows; every level gives the same bits).
#include <limits>  // std::numeric_limits

#include "common/cpu_dispatch.hpp"
#include "segment/kmeans_detail.hpp"

// The kernel's 32-byte vectors only pass between helpers inlined into this file.
#pragma GCC diagnostic ignored "-Wpsabi"

namespace churn::segment::detail {
#include "segment/kmeans_kernel_impl.hpp"

void sqdist_rows_generic(const double* const* rows, int m, Index d, const double* ct, int kpad,
                         double* out) {
  kernel_rows(rows, m, d, ct, kpad, out);
}

void argmin_rows_generic(double* dist, int m, int kpad, std::int32_t* arg, double* best,
                         double* second) {
  argmin_rows_impl(dist, m, kpad, arg, best, second);
}

bool kernel_uses_avx2() {
  // (the AVX2 build stands in for an AVX-512 CPU too)
  return common::cpu_level() >= common::CpuLevel::Avx2;
}

void argmin_rows(double* dist, int m, int kpad, std::int32_t* arg, double* best, double* second) {
  if (kernel_uses_avx2()) {
    argmin_rows_avx2(dist, m, kpad, arg, best, second);
  } else {
    argmin_rows_generic(dist, m, kpad, arg, best, second);
  }
}

void sqdist_rows(const double* const* rows, int m, Index d, const double* ct, int kpad,
                 double* out) {
  if (kernel_uses_avx2()) {
    sqdist_rows_avx2(rows, m, d, ct, kpad, out);
  } else {
    sqdist_rows_generic(rows, m, d, ct, kpad, out);
  }
}

std::vector<double> pack_centres(const RowMatrix& C, int kpad) {
  const Index k = C.rows();
  const Index d = C.cols();
  // padding lanes are +inf: their distances are +inf and never the minimum
  std::vector<double> ct(static_cast<std::size_t>(d * kpad),
                         std::numeric_limits<double>::infinity());
  for (Index c = 0; c < k; ++c) {
    for (Index j = 0; j < d; ++j) ct[static_cast<std::size_t>(j * kpad + c)] = C(c, j);
  }
  return ct;
}

}  // namespace churn::segment::detail
