// The distance kernel, included by kmeans_kernel.cpp (portable) and kmeans_kernel_avx2.cpp
// (compiled for AVX2/FMA). GCC/Clang vector extensions make the lanes (centres) the vector
// dimension, whatever the target: the features are summed in order 0..d-1 for every lane. Plain
// code only: no library calls whose inline bodies could be shared between the two builds.
// NOLINTBEGIN
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpsabi"  // 32-byte vectors passed between inlined helpers only
namespace {

static_assert(kLanes == 8, "the kernel handles centres in groups of 8 (two 4-lane vectors)");

typedef double V4 __attribute__((vector_size(32)));
typedef double V4u __attribute__((vector_size(32), aligned(8), may_alias));

inline V4 load4(const double* p) {
  return *reinterpret_cast<const V4u*>(p);
}
inline void store4(double* p, V4 v) {
  *reinterpret_cast<V4u*>(p) = v;
}
inline V4 splat(double x) {
  return V4{x, x, x, x};
}

/// One row against all centres.
inline void kernel_one(const double* x, Index d, const double* ct, int kpad, double* out) {
  for (int cb = 0; cb < kpad; cb += kLanes) {
    V4 lo = splat(0.0), hi = splat(0.0);
    const double* col = ct + cb;
    for (Index j = 0; j < d; ++j) {
      const V4 b = splat(x[j]);
      const double* r = col + j * kpad;
      const V4 t0 = b - load4(r);
      const V4 t1 = b - load4(r + 4);
      lo += t0 * t0;
      hi += t1 * t1;
    }
    store4(out + cb, lo);
    store4(out + cb + 4, hi);
  }
}

/// Four rows at once (the centre loads are shared); the same arithmetic as kernel_one per row.
inline void kernel_four(const double* const* x, Index d, const double* ct, int kpad, double* out) {
  const double* x0 = x[0];
  const double* x1 = x[1];
  const double* x2 = x[2];
  const double* x3 = x[3];
  for (int cb = 0; cb < kpad; cb += kLanes) {
    V4 a0 = splat(0.0), a1 = splat(0.0), a2 = splat(0.0), a3 = splat(0.0);
    V4 b0 = splat(0.0), b1 = splat(0.0), b2 = splat(0.0), b3 = splat(0.0);
    const double* col = ct + cb;
    for (Index j = 0; j < d; ++j) {
      const double* r = col + j * kpad;
      const V4 cl = load4(r);
      const V4 ch = load4(r + 4);
      V4 s = splat(x0[j]);
      V4 t = s - cl;
      V4 u = s - ch;
      a0 += t * t;
      b0 += u * u;
      s = splat(x1[j]);
      t = s - cl;
      u = s - ch;
      a1 += t * t;
      b1 += u * u;
      s = splat(x2[j]);
      t = s - cl;
      u = s - ch;
      a2 += t * t;
      b2 += u * u;
      s = splat(x3[j]);
      t = s - cl;
      u = s - ch;
      a3 += t * t;
      b3 += u * u;
    }
    store4(out + cb, a0);
    store4(out + cb + 4, b0);
    store4(out + kpad + cb, a1);
    store4(out + kpad + cb + 4, b1);
    store4(out + 2 * kpad + cb, a2);
    store4(out + 2 * kpad + cb + 4, b2);
    store4(out + 3 * kpad + cb, a3);
    store4(out + 3 * kpad + cb + 4, b3);
  }
}

inline void kernel_rows(const double* const* rows, int m, Index d, const double* ct, int kpad,
                        double* out) {
  int i = 0;
  for (; i + 3 < m; i += 4) kernel_four(rows + i, d, ct, kpad, out + static_cast<Index>(i) * kpad);
  for (; i < m; ++i) kernel_one(rows[i], d, ct, kpad, out + static_cast<Index>(i) * kpad);
}

/// Smallest of a row's kpad distances (padding lanes are +inf), lowest index on ties, and the
/// second smallest (equal to the smallest on a tie) when `second` is not null. Minima are
/// exact, so the vector order does not matter.
inline void argmin_rows_impl(double* dist, int m, int kpad, std::int32_t* arg, double* best,
                             double* second) {
  for (int t = 0; t < m; ++t) {
    double* dr = dist + static_cast<Index>(t) * kpad;
    V4 mn = load4(dr);
    V4 mn2 = load4(dr + 4);
    for (int c = 8; c < kpad; c += 8) {
      const V4 a = load4(dr + c);
      const V4 b = load4(dr + c + 4);
      mn = a < mn ? a : mn;
      mn2 = b < mn2 ? b : mn2;
    }
    mn = mn2 < mn ? mn2 : mn;
    double b0 = mn[0] < mn[1] ? mn[0] : mn[1];
    const double b1 = mn[2] < mn[3] ? mn[2] : mn[3];
    b0 = b1 < b0 ? b1 : b0;
    // lowest index holding the minimum: per lane the first matching index, then the smallest
    const V4 target = splat(b0);
    const V4 none = splat(__builtin_inf());
    V4 idx = V4{0, 1, 2, 3};
    V4 first = none;
    for (int c = 0; c < kpad; c += 4) {
      const V4 v = load4(dr + c);
      const V4 cand = v == target ? idx : none;
      first = cand < first ? cand : first;
      idx += splat(4.0);
    }
    double f0 = first[0] < first[1] ? first[0] : first[1];
    const double f1 = first[2] < first[3] ? first[2] : first[3];
    f0 = f1 < f0 ? f1 : f0;
    const int a = static_cast<int>(f0);
    arg[t] = a;
    best[t] = b0;
    if (second != nullptr) {
      dr[a] = __builtin_inf();
      V4 s = load4(dr);
      V4 s2 = load4(dr + 4);
      for (int c = 8; c < kpad; c += 8) {
        const V4 x = load4(dr + c);
        const V4 y = load4(dr + c + 4);
        s = x < s ? x : s;
        s2 = y < s2 ? y : s2;
      }
      s = s2 < s ? s2 : s;
      double c0 = s[0] < s[1] ? s[0] : s[1];
      const double c1 = s[2] < s[3] ? s[2] : s[3];
      c0 = c1 < c0 ? c1 : c0;
      second[t] = c0;
      dr[a] = b0;
    }
  }
}

}  // namespace
#pragma GCC diagnostic pop
// NOLINTEND
