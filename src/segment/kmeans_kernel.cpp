// The portable K-means distance kernel and the one-time CPU dispatch.
#include <limits>  // std::numeric_limits

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

namespace {
using KernelFn = void (*)(const double* const*, int, Index, const double*, int, double*);

KernelFn pick_kernel() {
#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return &sqdist_rows_avx2;
#endif
  return &sqdist_rows_generic;
}

KernelFn kernel() {
  static const KernelFn fn = pick_kernel();
  return fn;
}
}  // namespace

void argmin_rows(double* dist, int m, int kpad, std::int32_t* arg, double* best, double* second) {
  if (kernel_uses_avx2()) {
    argmin_rows_avx2(dist, m, kpad, arg, best, second);
  } else {
    argmin_rows_generic(dist, m, kpad, arg, best, second);
  }
}

bool kernel_uses_avx2() {
  return kernel() != &sqdist_rows_generic;
}

void sqdist_rows(const double* const* rows, int m, Index d, const double* ct, int kpad,
                 double* out) {
  kernel()(rows, m, d, ct, kpad, out);
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
