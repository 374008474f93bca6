// The inner loops of a numeric column pass, written so the compiler vectorises them. Included
// inside namespace churn::monitor::detail by scan_kernel.cpp (portable build) and
// scan_kernel_avx2.cpp (compiled for AVX2); both give bit-identical results (integer counts,
// exact sums).
//
// Needs: <type_traits>, <algorithm>, <cstddef>, <cstdint>, <cstring>, "monitor_detail.hpp"
// (BucketMap, ExactSum, kSumOffset).

namespace {  // internal linkage: each includer compiles its own copy for its target
namespace kernel_impl {

constexpr std::size_t kChunk = 1024;  // values per inner chunk (stack buffers)

inline std::uint64_t bits_u64(double x) {
  std::uint64_t u;
  std::memcpy(&u, &x, sizeof u);
  return u;
}

/// Buckets of x[0, n) into idx (NaN -> m.nan_bucket), branch-free.
inline void buckets(const BucketMap& m, const double* x, std::size_t n, std::uint32_t* idx) {
  const std::uint32_t nan_b = m.n_buckets;
  if (m.linear) {
    const double lo = m.lo, scale = m.scale, top = static_cast<double>(m.n_buckets - 1);
    for (std::size_t i = 0; i < n; ++i) {
      const double v = x[i];
      double t = (v - lo) * scale;
      t = t > 0.0 ? t : 0.0;  // NaN -> 0
      t = t < top ? t : top;
      const auto b = static_cast<std::uint32_t>(static_cast<std::int32_t>(t));
      idx[i] = v == v ? b : nan_b;
    }
  } else {
    const std::uint64_t klo = m.key_lo, top = m.n_buckets - 1;
    const int shift = m.shift;
    for (std::size_t i = 0; i < n; ++i) {
      const double v = x[i];
      const std::uint64_t u = bits_u64(v + 0.0);  // -0.0 -> +0.0
      const std::uint64_t k = u ^ ((0 - (u >> 63)) | (std::uint64_t{1} << 63));
      std::uint64_t d = k > klo ? k - klo : 0;
      d >>= shift;
      d = d < top ? d : top;
      idx[i] = v == v ? static_cast<std::uint32_t>(d) : nan_b;
    }
  }
}

/// Adds the bucket counts of x[0, n) to hist (n_buckets + 1 entries, NaN last; n < 2^32) and
/// writes each value's bucket to idx (n entries; n_buckets < 2^16). Odd rows count into a
/// second histogram at h2 (summed by the caller), so runs of equal values do not chain every
/// increment on the one before.
inline void hist(const BucketMap& m, const double* x, std::size_t n, std::uint32_t* h,
                 std::uint16_t* idx_out) {
  std::uint32_t idx[kChunk];
  std::uint32_t* h2 = h + m.n_buckets + 1;
  for (std::size_t a = 0; a < n; a += kChunk) {
    const std::size_t len = std::min(kChunk, n - a);
    buckets(m, x + a, len, idx);
    std::size_t i = 0;
    for (; i + 2 <= len; i += 2) {
      ++h[idx[i]];
      ++h2[idx[i + 1]];
      idx_out[a + i] = static_cast<std::uint16_t>(idx[i]);
      idx_out[a + i + 1] = static_cast<std::uint16_t>(idx[i + 1]);
    }
    for (; i < len; ++i) {
      ++h[idx[i]];
      idx_out[a + i] = static_cast<std::uint16_t>(idx[i]);
    }
  }
}

/// hist() that also writes to out (room for n values) the values of the buckets with a slot
/// (slot[b] != 0; slot[n_buckets] = 0) that differ from the slot's representative; returns
/// how many.
inline std::size_t hist_split(const BucketMap& m, const double* x, std::size_t n, std::uint32_t* h,
                              const std::uint16_t* slot, const double* rep, double* out) {
  std::uint32_t idx[kChunk];
  std::uint32_t* h2 = h + m.n_buckets + 1;  // odd rows (see hist)
  std::size_t w = 0;
  for (std::size_t a = 0; a < n; a += kChunk) {
    const std::size_t len = std::min(kChunk, n - a);
    buckets(m, x + a, len, idx);
    for (std::size_t i = 0; i < len; ++i) {
      const std::uint32_t b = idx[i];
      const double v = x[a + i];
      const std::uint16_t s = slot[b];
      ++((i & 1) ? h2 : h)[b];
      out[w] = v;
      w += (s != 0) & (v != rep[s]);
    }
  }
  return w;
}

/// Writes the values of x[0, n) whose bucket (idx, from hist()) has a slot (slot[b] != 0) and
/// that differ from the slot's representative to out (room for n values); returns how many.
inline std::size_t gather(const double* x, const std::uint16_t* idx, std::size_t n,
                          const std::uint16_t* slot, const double* rep, double* out) {
  std::size_t w = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double v = x[i];
    const std::uint16_t s = slot[idx[i]];
    out[w] = v;
    w += (s != 0) & (v != rep[s]);
  }
  return w;
}

// CHURN_SCAN_LANES doubles per vector (the includer may set 8 for AVX-512; default 4: one AVX2
// register, two SSE2 ones)
#ifndef CHURN_SCAN_LANES
#define CHURN_SCAN_LANES 4
#endif
constexpr std::size_t kLanes = CHURN_SCAN_LANES;
typedef std::uint64_t U64x4 __attribute__((vector_size(8 * CHURN_SCAN_LANES)));
typedef std::int64_t I64x4 __attribute__((vector_size(8 * CHURN_SCAN_LANES)));
typedef double F64x4 __attribute__((vector_size(8 * CHURN_SCAN_LANES)));

inline F64x4 load4(const double* p) {
  F64x4 v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

template <class V>
inline V splat(typename std::remove_reference<decltype(V{}[0])>::type x) {
  V v;
  for (std::size_t j = 0; j < kLanes; ++j) v[j] = x;
  return v;
}

/// min and max of x[0, n) (NaN ignored) and the number of infinite values.
inline void min_max_inf(const double* x, std::size_t n, double& mn, double& mx,
                        std::int64_t& n_inf) {
  const double big = std::numeric_limits<double>::max();
  F64x4 a = splat<F64x4>(mn), b = splat<F64x4>(mx);
  I64x4 k = splat<I64x4>(0);
  std::size_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    const F64x4 v = load4(x + i);  // NaN never compares less or greater
    a = v < a ? v : a;
    b = v > b ? v : b;
    k -= (v > big) | (v < -big);  // masks are -1
  }
  double a1 = mn, b1 = mx;
  std::int64_t k1 = 0;
  for (std::size_t j = 0; j < kLanes; ++j) {
    a1 = a[j] < a1 ? a[j] : a1;
    b1 = b[j] > b1 ? b[j] : b1;
    k1 += k[j];
  }
  for (; i < n; ++i) {
    const double v = x[i];
    a1 = v < a1 ? v : a1;
    b1 = v > b1 ? v : b1;
    k1 += (v > big) | (v < -big);
  }
  mn = a1;
  mx = b1;
  n_inf += k1;
}

/// One term's share of the fixed-point slices, for chunks without infinities (the terms within
/// 2^43 of the chunk's largest one, shifted into a fixed-point integer):
/// the signed mantissa shifted into place is a 128-bit integer H * 2^64 + L (L unsigned); L
/// goes into two 32-bit slices, H into the third. `slow` flags the non-zero terms below the
/// window, left to the one-by-one path.
inline void slice_term(U64x4 u, std::int64_t low, U64x4& a0, U64x4& a1, U64x4& a2, I64x4& slow) {
  constexpr std::uint64_t kM52 = (std::uint64_t{1} << 52) - 1;
  const U64x4 hidden = splat<U64x4>(std::uint64_t{1} << 52);
  const auto e = reinterpret_cast<I64x4>((u >> 52) & 0x7ff);
  const I64x4 ee = e - (e == 0);  // subnormals share the scale of exponent 1
  const I64x4 ok = (ee >= low) & (e != 0x7ff);
  const auto m = reinterpret_cast<I64x4>(((u & kM52) | (hidden & reinterpret_cast<U64x4>(e != 0))) &
                                         reinterpret_cast<U64x4>(ok));
  const I64x4 sh = (ee - low) & ok;
  slow |= ~ok & (e != 0x7ff) & reinterpret_cast<I64x4>((u << 1) != 0);
  const auto sg = reinterpret_cast<I64x4>(0 - (u >> 63));
  const I64x4 sm = (m ^ sg) - sg;
  const U64x4 lo = reinterpret_cast<U64x4>(sm) << reinterpret_cast<U64x4>(sh);
  const I64x4 hi = (sm >> 1) >> (63 - sh);
  a0 += lo & 0xffffffffu;
  a1 += lo >> 32;
  a2 += reinterpret_cast<U64x4>(hi);
}

inline std::int64_t biased_exponent(double x) {
  return static_cast<std::int64_t>((bits_u64(x) >> 52) & 0x7ff);
}

/// Folds the lanes of three slices at window `low` into `sum`.
inline void fold_slices(const U64x4& a0, const U64x4& a1, const U64x4& a2, std::int64_t low,
                        ExactSum& sum) {
  std::uint64_t b0 = 0, b1 = 0, b2 = 0;
  for (std::size_t j = 0; j < kLanes; ++j) {
    b0 += a0[j];
    b1 += a1[j];
    b2 += a2[j];
  }
  const int base = static_cast<int>(low) + kSumOffset;
  if (b0 != 0) sum.add_scaled(static_cast<std::int64_t>(b0), base);
  if (b1 != 0) sum.add_scaled(static_cast<std::int64_t>(b1), base + 32);
  if (b2 != 0) sum.add_scaled(static_cast<std::int64_t>(b2), base + 64);
}

/// min, max (NaN ignored) and infinities of x[0, n), and the exact sums of x and of the rounded
/// squares (x - shift)^2, NaN skipped. Per chunk the windows of the slices come from the
/// chunk's min and max (the largest |x| and the largest square), so x is read twice from
/// cache and the squares never stored; a chunk with an infinite value or square is added term
/// by term.
inline void stats(const double* x, std::size_t n, double shift, double& mn, double& mx,
                  std::int64_t& n_inf, ExactSum& sum, ExactSum& sumsq) {
  for (std::size_t a = 0; a < n; a += kChunk) {
    const std::size_t len = std::min(kChunk, n - a);
    const double* c = x + a;
    const double inf = std::numeric_limits<double>::infinity();
    double cmin = inf, cmax = -inf;
    std::int64_t cinf = 0;
    min_max_inf(c, len, cmin, cmax, cinf);
    mn = cmin < mn ? cmin : mn;
    mx = cmax > mx ? cmax : mx;
    n_inf += cinf;
    if (!(cmin <= cmax)) continue;  // every value NaN
    const double big_sq =
        std::max((cmin - shift) * (cmin - shift), (cmax - shift) * (cmax - shift));
    if (cinf > 0 || !(big_sq <= std::numeric_limits<double>::max())) {
      // infinite values or squares (rare; fit rejects infinities): term by term
      for (std::size_t i = 0; i < len; ++i) {
        const double d = (c[i] - shift) * (c[i] - shift);
        if (c[i] == c[i]) sum.add(c[i]);
        if (d == d) sumsq.add(d);
      }
      continue;
    }
    const std::int64_t ex = biased_exponent(std::max(-cmin, cmax));
    const std::int64_t eq = biased_exponent(big_sq);
    const std::int64_t low_x = ex > 44 ? ex - 43 : 1, low_q = eq > 44 ? eq - 43 : 1;
    U64x4 x0 = splat<U64x4>(0), x1 = x0, x2 = x0, q0 = x0, q1 = x0, q2 = x0;
    I64x4 slow4 = splat<I64x4>(0);
    const F64x4 sh = splat<F64x4>(shift);
    const std::size_t n4 = len - len % kLanes;
    for (std::size_t i = 0; i < n4; i += kLanes) {
      const F64x4 v = load4(c + i);
      const F64x4 d = (v - sh) * (v - sh);
      slice_term(reinterpret_cast<U64x4>(v), low_x, x0, x1, x2, slow4);
      slice_term(reinterpret_cast<U64x4>(d), low_q, q0, q1, q2, slow4);
    }
    fold_slices(x0, x1, x2, low_x, sum);
    fold_slices(q0, q1, q2, low_q, sumsq);
    std::uint64_t slow = 0;
    for (std::size_t j = 0; j < kLanes; ++j) slow |= static_cast<std::uint64_t>(slow4[j]);
    // the tail, and the chunk's slow terms, one by one
    auto one = [&](double t, std::int64_t low, ExactSum& s, bool all) {
      const std::uint64_t u = bits_u64(t);
      const std::int64_t e = biased_exponent(t);
      if (e == 0x7ff) return;  // NaN (no infinities in this chunk)
      if (all || (e + (e == 0) < low && (u << 1) != 0)) s.add(t);
    };
    if (slow != 0)
      for (std::size_t i = 0; i < n4; ++i) {
        const double d = (c[i] - shift) * (c[i] - shift);
        one(c[i], low_x, sum, false);
        one(d, low_q, sumsq, false);
      }
    for (std::size_t i = n4; i < len; ++i) {
      const double d = (c[i] - shift) * (c[i] - shift);
      one(c[i], low_x, sum, true);
      one(d, low_q, sumsq, true);
    }
  }
  sum.normalize();
  sumsq.normalize();
}

}  // namespace kernel_impl
}  // namespace
