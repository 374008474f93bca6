// The inner loops of a numeric column pass, written so the compiler vectorises them. Included
// inside namespace churn::monitor::detail by scan_kernel.cpp (portable build),
// scan_kernel_avx2.cpp (compiled for AVX2) and scan_kernel_avx512.cpp (AVX-512); all give
// bit-identical results (integer counts, exact sums; the determinism rule of
// common/cpu_dispatch.hpp).
//
// Needs: <type_traits>, <algorithm>, <cstddef>, <cstdint>, <cstring>, "scan_kernel.hpp"
// (BucketMap, CellCounter, ExactSum, kSumOffset, and common::ordered_key_folded, which it
// includes before the includer switches the target, so that function is compiled for the
// baseline ISA everywhere and only inlined here); with CHURN_SCAN_AVX512 defined (the
// includer's target), <immintrin.h> for the gather-based cell lookup.

namespace {  // internal linkage: each includer compiles its own copy for its target
namespace kernel_impl {

constexpr std::size_t kChunk = 1024;  // values per inner chunk (stack buffers)

inline std::uint64_t bits_u64(double x) {
  std::uint64_t u;
  std::memcpy(&u, &x, sizeof u);
  return u;
}

/// Buckets of x[0, n) into idx (NaN -> m.nan_bucket), branch-free; T: std::uint32_t, or
/// std::uint16_t when n_buckets < 2^16.
template <class T>
inline void buckets(const BucketMap& m, const double* x, std::size_t n, T* idx) {
  const std::uint32_t nan_b = m.n_buckets;
  if (m.linear) {
    const double lo = m.lo, scale = m.scale, top = static_cast<double>(m.n_buckets - 1);
    for (std::size_t i = 0; i < n; ++i) {
      const double v = x[i];
      double t = (v - lo) * scale;
      t = t > 0.0 ? t : 0.0;  // NaN -> 0
      t = t < top ? t : top;
      const auto b = static_cast<std::uint32_t>(static_cast<std::int32_t>(t));
      idx[i] = static_cast<T>(v == v ? b : nan_b);
    }
  } else {
    const std::uint64_t klo = m.key_lo, top = m.n_buckets - 1;
    const int shift = m.shift;
    for (std::size_t i = 0; i < n; ++i) {
      const double v = x[i];
      const std::uint64_t k = common::ordered_key_folded(v);  // -0.0 -> +0.0
      std::uint64_t d = k > klo ? k - klo : 0;
      d >>= shift;
      d = d < top ? d : top;
      idx[i] = static_cast<T>(v == v ? static_cast<std::uint32_t>(d) : nan_b);
    }
  }
}

/// Adds the bucket counts of x[0, n) to hist (n_buckets + 1 entries, NaN last; n < 2^32) and
/// writes each value's bucket to idx (n entries; n_buckets < 2^16). Odd rows count into a
/// second histogram at h2 (summed by the caller), so runs of equal values do not chain every
/// increment on the one before.
inline void hist(const BucketMap& m, const double* x, std::size_t n, std::uint32_t* h,
                 std::uint16_t* idx_out) {
  std::uint32_t* h2 = h + m.n_buckets + 1;
  buckets(m, x, n, idx_out);
  std::size_t i = 0;
  for (; i + 2 <= n; i += 2) {
    ++h[idx_out[i]];
    ++h2[idx_out[i + 1]];
  }
  for (; i < n; ++i) ++h[idx_out[i]];
}

/// Writes the values of x[0, n) whose bucket (idx, from hist()) has a slot (slot[b] != 0) and
/// that differ from the slot's representative to out (room for n values), in row order;
/// returns how many.
inline std::size_t gather(const double* x, const std::uint16_t* idx, std::size_t n,
                          const std::uint16_t* slot, const double* rep, double* out) {
  // Eight rows at a time: their slots ORed, so that the (usually many) groups without a target
  // row cost eight table reads and a predictable branch; the values are read only for the
  // other groups, and prefetched a little ahead so that those reads do not wait on memory.
  constexpr std::size_t kAhead = 512;  // values
  std::size_t w = 0, i = 0;
  auto one = [&](std::size_t j) {
    const double v = x[j];
    const std::uint16_t s = slot[idx[j]];
    out[w] = v;
    w += (s != 0) & (v != rep[s]);
  };
  for (; i + 8 <= n; i += 8) {
    if (i + kAhead < n) __builtin_prefetch(x + i + kAhead);
    std::uint64_t a, b;
    std::memcpy(&a, idx + i, sizeof a);
    std::memcpy(&b, idx + i + 4, sizeof b);
    const unsigned any = slot[a & 0xffff] | slot[(a >> 16) & 0xffff] | slot[(a >> 32) & 0xffff] |
                         slot[a >> 48] | slot[b & 0xffff] | slot[(b >> 16) & 0xffff] |
                         slot[(b >> 32) & 0xffff] | slot[b >> 48];
    if (any == 0) continue;
    for (std::size_t j = i; j < i + 8; ++j) one(j);
  }
  for (; i < n; ++i) one(i);
  return w;
}

/// Counts the values of x[0, n) into the cells of `c` (see CellCounter): into `scratch`, four
/// interleaved histograms of c.n_cells + 2 entries (cells, missing, a discard slot) to be summed
/// by the caller; the values of buckets with three cuts or more are written to out (room for n
/// values) instead, for the caller to place; returns how many.
inline std::size_t cells(const CellCounter& c, const double* x, std::size_t n,
                         std::uint32_t* scratch, double* out) {
  std::uint32_t idx[kChunk];
  const std::uint16_t* lut = c.lut.data();
  const double* cut1 = c.cut1.data();
  const double* cut2 = c.cut2.data();
  const auto stride = static_cast<std::uint32_t>(c.n_cells + 2);
  const auto discard = static_cast<std::uint32_t>(c.n_cells + 1);
  std::size_t w = 0;
  for (std::size_t a = 0; a < n; a += kChunk) {
    const std::size_t len = std::min(kChunk, n - a);
    const double* v = x + a;
    buckets(c.map, v, len, idx);
    // idx[i] becomes the value's cell
    std::size_t i = 0;
#if defined(CHURN_SCAN_AVX512)
    // 16 values at a time: their buckets' entries by one gather; the cut comparisons and slow
    // values only for blocks that need them
    const __m512i flags =
        _mm512_set1_epi32(static_cast<int>(CellCounter::kCuts | CellCounter::kSlow));
    const __m512i slow_bit = _mm512_set1_epi32(static_cast<int>(CellCounter::kSlow));
    const __m512i cell_mask = _mm512_set1_epi32(static_cast<int>(CellCounter::kCellMask));
    const __m512i one = _mm512_set1_epi32(1);
    const __m512i low16 = _mm512_set1_epi32(0xffff);
    const __m512i drop = _mm512_set1_epi32(static_cast<int>(discard));
    const __m512d none = _mm512_set1_pd(std::numeric_limits<double>::quiet_NaN());
    for (; i + 16 <= len; i += 16) {
      const __m512i b = _mm512_loadu_si512(idx + i);
      // two 16-bit entries read as one 32-bit word (hence the lut's padding), the high one masked
      const __m512i e = _mm512_and_si512(_mm512_i32gather_epi32(b, lut, 2), low16);
      __m512i cell = _mm512_and_si512(e, cell_mask);
      const __mmask16 split = _mm512_test_epi32_mask(e, flags);
      if (split != 0) {
        const __mmask16 slow = _mm512_test_epi32_mask(e, slow_bit);
        const auto cut = static_cast<__mmask16>(split & ~slow);
        for (int h = 0; h < 2; ++h) {
          const auto m = static_cast<__mmask8>(cut >> (8 * h));
          const auto ms = static_cast<__mmask8>(slow >> (8 * h));
          if ((m | ms) == 0) continue;
          const __m256i b8 = h ? _mm512_extracti64x4_epi64(b, 1) : _mm512_castsi512_si256(b);
          const __m512d val = _mm512_loadu_pd(v + i + 8 * h);
          const __m512d c1 = _mm512_mask_i32gather_pd(none, m, b8, cut1, 8);
          const __m512d c2 = _mm512_mask_i32gather_pd(none, m, b8, cut2, 8);
          const auto g1 = static_cast<__mmask16>(
              static_cast<unsigned>(_mm512_cmp_pd_mask(val, c1, _CMP_GE_OQ)) << (8 * h));
          const auto g2 = static_cast<__mmask16>(
              static_cast<unsigned>(_mm512_cmp_pd_mask(val, c2, _CMP_GE_OQ)) << (8 * h));
          cell = _mm512_mask_add_epi32(cell, g1, cell, one);
          cell = _mm512_mask_add_epi32(cell, g2, cell, one);
          if (ms != 0) {
            _mm512_storeu_pd(out + w, _mm512_maskz_compress_pd(ms, val));
            w += static_cast<std::size_t>(__builtin_popcount(ms));
          }
        }
        cell = _mm512_mask_mov_epi32(cell, slow, drop);
      }
      _mm512_storeu_si512(idx + i, cell);
    }
#endif
    for (; i < len; ++i) {
      const std::uint32_t b = idx[i];
      const std::uint32_t e = lut[b];  // widened
      std::uint32_t cell = e & CellCounter::kCellMask;
      if (e & CellCounter::kSlow) {
        out[w++] = v[i];
        cell = discard;
      } else if (e & CellCounter::kCuts) {
        cell += static_cast<std::uint32_t>(v[i] >= cut1[b]) +
                static_cast<std::uint32_t>(v[i] >= cut2[b]);
      }
      idx[i] = cell;
    }
    i = 0;
    for (; i + 4 <= len; i += 4) {
      ++scratch[idx[i]];
      ++scratch[stride + idx[i + 1]];
      ++scratch[2 * stride + idx[i + 2]];
      ++scratch[3 * stride + idx[i + 3]];
    }
    for (; i < len; ++i) ++scratch[idx[i]];
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

inline std::int64_t biased_exponent(double x) {
  return static_cast<std::int64_t>((bits_u64(x) >> 52) & 0x7ff);
}

/// The exact sum of a chunk's terms, all below 2^p in magnitude, by error-free splitting in
/// floating point: a term t with 2^(p-83) <= |t| (or t = 0) is split exactly into
/// h1 + h2 + r, h1 a multiple of 2^(p-45) (t rounded by adding and subtracting 1.5 * 2^(p+7)),
/// h2 of 2^(p-90) (the same on the rest) and r of 2^(p-135) (t's last bit or above), each
/// summed per lane in a double without rounding: at most 256 terms per lane keep every partial
/// sum within 53 bits of its unit. Smaller non-zero terms are flagged in `slow` for the
/// one-by-one path. Needs -ffp-contract=off (a fused multiply-add would round differently).
struct SplitSum {
  static_assert(kChunk / CHURN_SCAN_LANES <= 256, "at most 256 terms per lane");
  static constexpr int kMinExponent = 140;   // biased: below, the chunk goes one by one
  static constexpr int kMaxExponent = 2038;  // biased: above, 1.5 * 2^(p+7) overflows
  int p;                                     // terms < 2^p
  F64x4 c1, c2, thr;
  F64x4 a1, a2, a3;
  I64x4 slow;
  /// For terms whose largest has biased exponent e in [kMinExponent, kMaxExponent].
  explicit SplitSum(std::int64_t e)
      : p(static_cast<int>(e) - 1022),
        c1(splat<F64x4>(std::ldexp(1.5, p + 7))),
        c2(splat<F64x4>(std::ldexp(1.5, p - 38))),
        thr(splat<F64x4>(std::ldexp(1.0, p - 83))),
        a1(splat<F64x4>(0.0)),
        a2(a1),
        a3(a1),
        slow(splat<I64x4>(0)) {}
  /// Adds the lanes of t where `take` is set (-1).
  void add(F64x4 t, I64x4 take) {
    const auto abs_t =
        reinterpret_cast<F64x4>(reinterpret_cast<U64x4>(t) & ~(std::uint64_t{1} << 63));
    const I64x4 small = (abs_t < thr) & (t != 0.0);
    slow |= small & take;
    t = reinterpret_cast<F64x4>(reinterpret_cast<I64x4>(t) & (take & ~small));
    const F64x4 h1 = (t + c1) - c1;
    const F64x4 r1 = t - h1;
    const F64x4 h2 = (r1 + c2) - c2;
    a1 += h1;
    a2 += h2;
    a3 += r1 - h2;
  }
  /// Adds the three sums to `s`.
  void fold(ExactSum& s) const {
    const int units[3] = {p - 45, p - 90, p - 135};
    const F64x4* acc[3] = {&a1, &a2, &a3};
    for (int k = 0; k < 3; ++k) {
      const double scale = std::ldexp(1.0, -units[k]);  // exact: the lanes are multiples
      std::int64_t total = 0;
      for (std::size_t j = 0; j < kLanes; ++j)
        total += static_cast<std::int64_t>((*acc[k])[j] * scale);
      // t units of 2^u are t mantissa units of biased exponent u + 1075
      if (total != 0) s.add_scaled(total, units[k] + 1075 + kSumOffset);
    }
  }
  bool any_slow() const {
    std::int64_t any = 0;
    for (std::size_t j = 0; j < kLanes; ++j) any |= slow[j];
    return any != 0;
  }
  /// Whether a term goes one by one: not NaN, not 0, below 2^(p-83).
  bool is_slow(double t) const { return t != 0.0 && std::abs(t) < thr[0]; }
};

/// min, max (NaN ignored) and infinities of x[0, n), and the exact sums of x and of the rounded
/// squares (x - shift)^2, NaN skipped. Per chunk the scales of the splits come from the chunk's
/// min and max (the largest |x| and the largest square), so x is read twice from cache and the
/// squares never stored; a chunk with an infinite value or square, or with a largest term out
/// of SplitSum's range, is added term by term.
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
    // terms of rows [from, to) one by one: x where take_x(x), its square where take_q(square)
    auto one_by_one = [&](std::size_t from, std::size_t to, auto take_x, auto take_q) {
      for (std::size_t i = from; i < to; ++i) {
        const double d = (c[i] - shift) * (c[i] - shift);
        if (c[i] == c[i] && take_x(c[i])) sum.add(c[i]);
        if (d == d && take_q(d)) sumsq.add(d);
      }
    };
    const auto all = [](double) { return true; };
    const double big_sq =
        std::max((cmin - shift) * (cmin - shift), (cmax - shift) * (cmax - shift));
    const std::int64_t ex = biased_exponent(std::max(-cmin, cmax));
    const std::int64_t eq = biased_exponent(big_sq);
    auto in_range = [](std::int64_t e) {
      return e >= SplitSum::kMinExponent && e <= SplitSum::kMaxExponent;
    };
    if (cinf > 0 || !(big_sq <= std::numeric_limits<double>::max()) || !in_range(ex) ||
        !in_range(eq)) {
      // infinite values or squares, or extreme magnitudes (rare; fit rejects infinities)
      one_by_one(0, len, all, all);
      continue;
    }
    SplitSum sx(ex), sq(eq);
    const F64x4 sh = splat<F64x4>(shift);
    const std::size_t n4 = len - len % kLanes;
    for (std::size_t i = 0; i < n4; i += kLanes) {
      const F64x4 v = load4(c + i);
      const F64x4 d = (v - sh) * (v - sh);
      const I64x4 take = v == v;
      sx.add(v, take);
      sq.add(d, take);
    }
    sx.fold(sum);
    sq.fold(sumsq);
    // the chunk's slow terms, and the tail, one by one
    const bool slow_x = sx.any_slow(), slow_q = sq.any_slow();
    if (slow_x || slow_q)
      one_by_one(
          0, n4, [&](double t) { return slow_x && sx.is_slow(t); },
          [&](double t) { return slow_q && sq.is_slow(t); });
    one_by_one(n4, len, all, all);
  }
  sum.normalize();
  sumsq.normalize();
}

}  // namespace kernel_impl
}  // namespace
