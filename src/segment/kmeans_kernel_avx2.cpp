// The K-means distance kernel compiled for AVX2 + FMA (used only when the CPU has both).
#include "segment/kmeans_detail.hpp"

#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
// clang ignores GCC's target pragmas: the same target as an attribute of every function
#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx2,fma")
#endif
namespace churn::segment::detail {
#include "segment/kmeans_kernel_impl.hpp"

void sqdist_rows_avx2(const double* const* rows, int m, Index d, const double* ct, int kpad,
                      double* out) {
  kernel_rows(rows, m, d, ct, kpad, out);
}
void argmin_rows_avx2(double* dist, int m, int kpad, std::int32_t* arg, double* best,
                      double* second) {
  argmin_rows_impl(dist, m, kpad, arg, best, second);
}
}  // namespace churn::segment::detail
#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif
#else
namespace churn::segment::detail {
void sqdist_rows_avx2(const double* const* rows, int m, Index d, const double* ct, int kpad,
                      double* out) {
  sqdist_rows_generic(rows, m, d, ct, kpad, out);
}
void argmin_rows_avx2(double* dist, int m, int kpad, std::int32_t* arg, double* best,
                      double* second) {
  argmin_rows_generic(dist, m, kpad, arg, best, second);
}
}  // namespace churn::segment::detail
#endif
