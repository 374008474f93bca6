// The distance kernel, included by kmeans_kernel.cpp (portable) and kmeans_kernel_avx2.cpp
// (compiled for AVX2/FMA). Plain loops only: no library calls whose inline bodies could be
// shared between the two builds.
// NOLINTBEGIN
namespace {

/// One row against kLanes centres per group; the lanes vectorise, the features run in order.
inline void kernel_one(const double* x, Index d, const double* ct, int kpad, double* out) {
  for (int cb = 0; cb < kpad; cb += kLanes) {
    double acc[kLanes] = {0, 0, 0, 0, 0, 0, 0, 0};
    const double* col = ct + cb;
    for (Index j = 0; j < d; ++j) {
      const double xj = x[j];
      const double* r = col + j * kpad;
      for (int l = 0; l < kLanes; ++l) {
        const double t = xj - r[l];
        acc[l] += t * t;
      }
    }
    for (int l = 0; l < kLanes; ++l) out[cb + l] = acc[l];
  }
}

/// Two rows at once (the centre loads are shared); the same arithmetic as kernel_one per row.
inline void kernel_two(const double* x0, const double* x1, Index d, const double* ct, int kpad,
                       double* out0, double* out1) {
  for (int cb = 0; cb < kpad; cb += kLanes) {
    double a0[kLanes] = {0, 0, 0, 0, 0, 0, 0, 0};
    double a1[kLanes] = {0, 0, 0, 0, 0, 0, 0, 0};
    const double* col = ct + cb;
    for (Index j = 0; j < d; ++j) {
      const double y0 = x0[j];
      const double y1 = x1[j];
      const double* r = col + j * kpad;
      for (int l = 0; l < kLanes; ++l) {
        const double t0 = y0 - r[l];
        const double t1 = y1 - r[l];
        a0[l] += t0 * t0;
        a1[l] += t1 * t1;
      }
    }
    for (int l = 0; l < kLanes; ++l) {
      out0[cb + l] = a0[l];
      out1[cb + l] = a1[l];
    }
  }
}

inline void kernel_rows(const double* const* rows, int m, Index d, const double* ct, int kpad,
                        double* out) {
  int i = 0;
  for (; i + 1 < m; i += 2) {
    kernel_two(rows[i], rows[i + 1], d, ct, kpad, out + static_cast<Index>(i) * kpad,
               out + static_cast<Index>(i + 1) * kpad);
  }
  if (i < m) kernel_one(rows[i], d, ct, kpad, out + static_cast<Index>(i) * kpad);
}

}  // namespace
// NOLINTEND
