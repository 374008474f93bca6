#include "monitor_detail.hpp"

#include <algorithm>  // std::sort, std::nth_element, std::min, std::max, std::unique
#include <cmath>      // std::isnan, std::isinf, std::isfinite, std::fma, std::ldexp, std::log
#include <cstring>    // std::memcpy
#include <limits>     // std::numeric_limits
#include <utility>    // std::move

#include "churn/core/error.hpp"
#include "churn/core/parallel.hpp"

namespace churn::monitor::detail {

bool is_numeric(DType t) {
  return t == DType::Float64 || t == DType::Int64 || t == DType::Timestamp;
}

bool is_categorical(DType t) {
  return t == DType::Categorical || t == DType::String;
}

void column_values(const Column& c, Index lo, Index hi, double* out, const char* caller) {
  switch (c.dtype()) {
    case DType::Float64: {
      const double* x = c.as_float64().data();
      std::memcpy(out, x + lo, static_cast<std::size_t>(hi - lo) * sizeof(double));
      return;
    }
    case DType::Int64: {
      const std::int64_t* x = c.as_int64().data();
      const auto& valid = c.validity();
      if (valid.empty()) {
        for (Index i = lo; i < hi; ++i) out[i - lo] = static_cast<double>(x[i]);
      } else {
        for (Index i = lo; i < hi; ++i)
          out[i - lo] = valid[static_cast<std::size_t>(i)] ? static_cast<double>(x[i]) : kMissing;
      }
      return;
    }
    case DType::Timestamp: {
      const std::int64_t* x = c.as_int64().data();
      for (Index i = lo; i < hi; ++i)
        out[i - lo] = x[i] == kNaT ? kMissing : static_cast<double>(x[i]);
      return;
    }
    default: break;
  }
  CHURN_THROW(TypeMismatch, caller << ": column '" << c.name() << "' has type "
                                   << dtype_name(c.dtype())
                                   << "; expected float64, int64 or timestamp");
}

// ---- CutIndex ---------------------------------------------------------------------------------

namespace {

constexpr int kTableBits = 12;  // 4096 buckets

}  // namespace

CutIndex::CutIndex(const std::vector<double>& cuts) : cuts_(cuts), n_(cuts.size()) {
  for (auto& c : cuts_) c = c + 0.0;  // -0.0 -> +0.0
  struct Pad {                        // appends the sentinels on every return path
    std::vector<double>& v;
    ~Pad() { v.resize(v.size() + 4, std::numeric_limits<double>::infinity()); }
  } pad{cuts_};
  if (cuts_.size() < 2) return;
  constexpr std::size_t kBuckets = std::size_t{1} << kTableBits;
  auto fill = [&](auto bucket_of, std::size_t n_buckets, std::vector<std::uint32_t>& first) {
    first.assign(n_buckets + 1, 0);
    for (double c : cuts_) ++first[bucket_of(c) + 1];
    std::uint32_t fullest = 0;
    for (std::size_t b = 1; b <= n_buckets; ++b) fullest = std::max(fullest, first[b]);
    for (std::size_t b = 1; b <= n_buckets; ++b) first[b] += first[b - 1];
    return fullest;
  };
  // key table
  key_lo_ = key_of(cuts_.front());
  key_hi_ = key_of(cuts_.back());
  const std::uint64_t range = key_hi_ - key_lo_;
  shift_ = 0;
  while ((range >> shift_) >= kBuckets) ++shift_;
  const std::uint32_t key_fullest =
      fill([&](double c) { return static_cast<std::size_t>((key_of(c) - key_lo_) >> shift_); },
           static_cast<std::size_t>(range >> shift_) + 1, first_);
  table_ = Table::Key;
  // linear table, when the range is finite
  lo_ = cuts_.front();
  hi_ = cuts_.back();
  const double width = hi_ - lo_;
  // (a scale that overflows, for a range of a few subnormals, would make the cast undefined)
  if (std::isfinite(width) && width > 0 && std::isfinite(static_cast<double>(kBuckets) / width)) {
    scale_ = static_cast<double>(kBuckets) / width;
    last_bucket_ = kBuckets - 1;
    std::vector<std::uint32_t> lin;
    const std::uint32_t lin_fullest = fill(
        [&](double c) {
          return std::min(static_cast<std::size_t>((c - lo_) * scale_), last_bucket_);
        },
        kBuckets, lin);
    if (lin_fullest <= key_fullest) {
      first_ = std::move(lin);
      table_ = Table::Linear;
    }
  }
}

void CutIndex::count(const double* x, Index n, std::int64_t* s) const {
  const std::size_t nc = n_cells();
  if (nc == 1) {
    for (Index i = 0; i < n; ++i) ++s[(std::isnan(x[i]) ? 4 : 0) + static_cast<std::size_t>(i & 3)];
    return;
  }
  for (Index i = 0; i < n; ++i) {
    const double v = x[i];
    const std::size_t slot = std::isnan(v) ? 4 * nc : 4 * find(v);
    ++s[slot + static_cast<std::size_t>(i & 3)];
  }
}

void CutIndex::flush(std::int64_t* s, std::int64_t* cells, std::int64_t& missing) const {
  const std::size_t nc = n_cells();
  for (std::size_t k = 0; k < nc; ++k) {
    cells[k] += s[4 * k] + s[4 * k + 1] + s[4 * k + 2] + s[4 * k + 3];
    s[4 * k] = s[4 * k + 1] = s[4 * k + 2] = s[4 * k + 3] = 0;
  }
  missing += s[4 * nc] + s[4 * nc + 1] + s[4 * nc + 2] + s[4 * nc + 3];
  s[4 * nc] = s[4 * nc + 1] = s[4 * nc + 2] = s[4 * nc + 3] = 0;
}

void CutIndex::count(const double* x, Index n, std::int64_t* cells, std::int64_t& missing) const {
  std::vector<std::int64_t> s(scratch_size(), 0);
  count(x, n, s.data());
  flush(s.data(), cells, missing);
}

// ---- ExactSum ---------------------------------------------------------------------------------

namespace {

constexpr int kLimbs = 36;         // 2304 bits: 2^-1088 .. 2^1215
constexpr int kOffset = 13;        // bit offset of a mantissa unit of biased exponent e: e + 13
constexpr int kBlockTerms = 1024;  // terms per bucket round (256 per interleaved copy)

inline std::uint64_t bits_of(double x) {
  std::uint64_t u;
  std::memcpy(&u, &x, sizeof u);
  return u;
}

}  // namespace

void ExactSum::add_term(std::uint64_t u) {
  auto e = static_cast<int>((u >> 52) & 0x7ff);
  if (e == 0x7ff) {
    (u >> 63 ? neg_inf_ : pos_inf_) += 1;
    return;
  }
  std::uint64_t m = u & ((std::uint64_t{1} << 52) - 1);
  if (e == 0) {
    if (m == 0) return;
    e = 1;  // subnormals share the scale of exponent 1
  } else {
    m |= std::uint64_t{1} << 52;
  }
  if (w_.empty()) w_.assign(kLimbs, 0);
  const int o = e + kOffset;
  const Int128 v = static_cast<Int128>(static_cast<UInt128>(m) << (o & 63));  // < 2^116
  w_[static_cast<std::size_t>(o >> 6)] += (u >> 63) ? -v : v;
  if (++pending_ >= kBlockTerms) normalize();
}

void ExactSum::normalize() {
  pending_ = 0;
  if (w_.empty()) return;
  for (std::size_t k = 0; k + 1 < w_.size(); ++k) {
    const Int128 carry = w_[k] >> 64;  // floor division (arithmetic shift)
    w_[k] = static_cast<Int128>(static_cast<std::uint64_t>(static_cast<UInt128>(w_[k])));
    w_[k + 1] += carry;
  }
}

void ExactSum::add(double x) {
  add_term(bits_of(x));
}

void ExactSum::add_word(std::int64_t t, int offset) {
  // t * 2^offset as a signed 128-bit value split into a low word in [0, 2^64) and a signed
  // high word, so each limb grows by less than 2^64 per call
  const Int128 v = static_cast<Int128>(t) * (static_cast<Int128>(1) << (offset & 63));
  const auto k = static_cast<std::size_t>(offset >> 6);
  w_[k] += static_cast<Int128>(static_cast<std::uint64_t>(static_cast<UInt128>(v)));
  w_[k + 1] += v >> 64;
}

void ExactSum::add_block(const double* x, std::size_t n, double shift, bool square) {
  // mantissas are added into int64 buckets per exponent (4 interleaved copies break the
  // store-to-load chain of equal exponents); a block of 1024 terms cannot overflow them
  // (256 adds of < 2^53 per copy), and the touched buckets are folded into the limbs
  thread_local std::vector<std::int64_t> buckets(4 * 2048, 0);
  std::int64_t* b = buckets.data();
  if (w_.empty()) w_.assign(kLimbs, 0);
  for (std::size_t a = 0; a < n; a += kBlockTerms) {
    const std::size_t len = std::min<std::size_t>(kBlockTerms, n - a);
    std::uint64_t emin = 2047, emax = 0;
    for (std::size_t i = 0; i < len; ++i) {
      const double v = x[a + i];
      const double d = square ? (v - shift) * (v - shift) : v;
      const std::uint64_t u = bits_of(d);
      std::uint64_t e = (u >> 52) & 0x7ff;
      if (e == 0x7ff) {
        if (!std::isnan(d)) (u >> 63 ? neg_inf_ : pos_inf_) += 1;
        continue;
      }
      const std::uint64_t m = (u & ((std::uint64_t{1} << 52) - 1)) | (std::uint64_t{e != 0} << 52);
      e += e == 0;  // subnormals share the scale of exponent 1
      const std::uint64_t neg = u >> 63;
      const auto sm = static_cast<std::int64_t>((m ^ (0 - neg)) + neg);  // +-m
      b[((i & 3) << 11) + e] += sm;
      emin = e < emin ? e : emin;
      emax = e > emax ? e : emax;
    }
    for (std::uint64_t e = emin; e <= emax; ++e) {
      const std::int64_t t = b[e] + b[2048 + e] + b[4096 + e] + b[6144 + e];
      b[e] = b[2048 + e] = b[4096 + e] = b[6144 + e] = 0;
      if (t != 0) add_word(t, static_cast<int>(e) + kOffset);
    }
  }
  normalize();
}

namespace {

/// One term of add_block: its mantissa into the bucket of its exponent (copy `lane`), an
/// infinity into its counter, NaN skipped.
inline void bucket_term(double d, std::int64_t* b, std::size_t lane, std::uint64_t& emin,
                        std::uint64_t& emax, std::int64_t& pos_inf, std::int64_t& neg_inf) {
  std::uint64_t u;
  std::memcpy(&u, &d, sizeof u);
  std::uint64_t e = (u >> 52) & 0x7ff;
  if (e == 0x7ff) {
    if (!std::isnan(d)) (u >> 63 ? neg_inf : pos_inf) += 1;
    return;
  }
  const std::uint64_t m = (u & ((std::uint64_t{1} << 52) - 1)) | (std::uint64_t{e != 0} << 52);
  e += e == 0;  // subnormals share the scale of exponent 1
  const std::uint64_t neg = u >> 63;
  b[(lane << 11) + e] += static_cast<std::int64_t>((m ^ (0 - neg)) + neg);  // +-m
  emin = e < emin ? e : emin;
  emax = e > emax ? e : emax;
}

}  // namespace

void ExactSum::add_block_pair(const double* x, std::size_t n, double shift, ExactSum& squares) {
  // as add_block, with both bucket sets filled in the same loop
  thread_local std::vector<std::int64_t> buckets(2 * 4 * 2048, 0);
  std::int64_t* b1 = buckets.data();
  std::int64_t* b2 = b1 + 4 * 2048;
  if (w_.empty()) w_.assign(kLimbs, 0);
  if (squares.w_.empty()) squares.w_.assign(kLimbs, 0);
  for (std::size_t a = 0; a < n; a += kBlockTerms) {
    const std::size_t len = std::min<std::size_t>(kBlockTerms, n - a);
    std::uint64_t emin1 = 2047, emax1 = 0, emin2 = 2047, emax2 = 0;
    std::int64_t pi1 = 0, ni1 = 0, pi2 = 0, ni2 = 0;  // locals: b1 / b2 cannot alias them
    for (std::size_t i = 0; i < len; ++i) {
      const double v = x[a + i];
      const double d = (v - shift) * (v - shift);
      bucket_term(v, b1, i & 3, emin1, emax1, pi1, ni1);
      bucket_term(d, b2, i & 3, emin2, emax2, pi2, ni2);
    }
    pos_inf_ += pi1;
    neg_inf_ += ni1;
    squares.pos_inf_ += pi2;
    squares.neg_inf_ += ni2;
    for (std::uint64_t e = emin1; e <= emax1; ++e) {
      const std::int64_t t = b1[e] + b1[2048 + e] + b1[4096 + e] + b1[6144 + e];
      b1[e] = b1[2048 + e] = b1[4096 + e] = b1[6144 + e] = 0;
      if (t != 0) add_word(t, static_cast<int>(e) + kOffset);
    }
    for (std::uint64_t e = emin2; e <= emax2; ++e) {
      const std::int64_t t = b2[e] + b2[2048 + e] + b2[4096 + e] + b2[6144 + e];
      b2[e] = b2[2048 + e] = b2[4096 + e] = b2[6144 + e] = 0;
      if (t != 0) squares.add_word(t, static_cast<int>(e) + kOffset);
    }
  }
  normalize();
  squares.normalize();
}

void ExactSum::merge(const ExactSum& other) {
  pos_inf_ += other.pos_inf_;
  neg_inf_ += other.neg_inf_;
  if (other.w_.empty()) return;
  ExactSum o = other;
  o.normalize();
  normalize();
  if (w_.empty()) w_.assign(kLimbs, 0);
  for (std::size_t k = 0; k < w_.size(); ++k) w_[k] += o.w_[k];
  normalize();
}

bool ExactSum::operator==(const ExactSum& o) const {
  return to_json() == o.to_json();
}

namespace {
inline void two_sum(double a, double b, double& s, double& err) {
  s = a + b;
  const double bb = s - a;
  err = (a - (s - bb)) + (b - bb);
}
}  // namespace

void ExactSum::value(double& hi, double& lo) const {
  const double inf = std::numeric_limits<double>::infinity();
  if (pos_inf_ && neg_inf_) {
    hi = std::numeric_limits<double>::quiet_NaN();
    lo = 0;
    return;
  }
  if (pos_inf_ || neg_inf_) {
    hi = pos_inf_ ? inf : -inf;
    lo = 0;
    return;
  }
  ExactSum c = *this;
  c.normalize();
  // deterministic compensated sum from the top limb down (the state is canonical, so the
  // result depends only on the exact total)
  double s = 0, comp = 0;
  for (std::size_t k = c.w_.size(); k-- > 0;) {
    const Int128 v = c.w_[k];
    if (v == 0) continue;
    const auto h = static_cast<double>(v);
    const auto l = static_cast<double>(v - static_cast<Int128>(h));
    const int scale = static_cast<int>(64 * k) - 1088;
    const double parts[2] = {std::ldexp(h, scale), std::ldexp(l, scale)};
    for (double p : parts) {
      double t, err;
      two_sum(s, p, t, err);
      s = t;
      comp += err;
    }
  }
  two_sum(s, comp, hi, lo);
}

Json ExactSum::to_json() const {
  ExactSum c = *this;
  c.normalize();
  Json limbs = Json::array();
  for (std::size_t k = 0; k < c.w_.size(); ++k) {
    const Int128 v = c.w_[k];
    if (v == 0) continue;
    const auto high = static_cast<std::int64_t>(v >> 64);
    const auto low = static_cast<std::uint64_t>(static_cast<UInt128>(v));
    limbs.push_back(Json::array({static_cast<std::int64_t>(k), high, low}));
  }
  return Json{{"limbs", limbs}, {"pos_inf", pos_inf_}, {"neg_inf", neg_inf_}};
}

ExactSum ExactSum::from_json(const Json& j, const std::string& where) {
  json_check_members(j, {"limbs", "pos_inf", "neg_inf"}, where);
  ExactSum s;
  s.pos_inf_ = json_get_int<std::int64_t>(j, "pos_inf", where);
  s.neg_inf_ = json_get_int<std::int64_t>(j, "neg_inf", where);
  CHURN_CHECK(s.pos_inf_ >= 0 && s.neg_inf_ >= 0 && s.pos_inf_ < (std::int64_t{1} << 62) &&
                  s.neg_inf_ < (std::int64_t{1} << 62),
              SerializationError, where << ": infinity counts must be in [0, 2^62)");
  const Json limbs = json_get<Json>(j, "limbs", where);
  CHURN_CHECK(limbs.is_array(), SerializationError, where << ": 'limbs' must be a list");
  std::int64_t prev = -1;
  for (const auto& p : limbs) {
    std::int64_t k = 0, high = 0;
    std::uint64_t low = 0;
    CHURN_CHECK(p.is_array() && p.size() == 3 && json_int_value(p[0], k) &&
                    json_int_value(p[1], high) && json_int_value(p[2], low),
                SerializationError, where << ": each limb must be [index, high, low] integers");
    CHURN_CHECK(k > prev && k < kLimbs, SerializationError,
                where << ": limb indices must increase within 0.." << kLimbs - 1 << ", got " << k);
    // canonical limbs have high 0 (or -1 at the top); the bound keeps merges of damaged
    // documents from overflowing
    CHURN_CHECK(high > -(std::int64_t{1} << 40) && high < (std::int64_t{1} << 40),
                SerializationError, where << ": limb " << k << " is out of range");
    prev = k;
    if (s.w_.empty()) s.w_.assign(kLimbs, 0);
    s.w_[static_cast<std::size_t>(k)] =
        static_cast<Int128>((static_cast<UInt128>(static_cast<std::uint64_t>(high)) << 64) | low);
  }
  s.normalize();
  return s;
}

// ---- quantiles --------------------------------------------------------------------------------

namespace {

void multi_select(double* first, double* last, const std::size_t* r_first,
                  const std::size_t* r_last, std::size_t offset) {
  while (r_first != r_last) {
    const std::size_t* mid = r_first + (r_last - r_first) / 2;
    double* nth = first + (*mid - offset);
    std::nth_element(first, nth, last);
    multi_select(first, nth, r_first, mid, offset);
    r_first = mid + 1;
    offset = *mid + 1;
    first = nth + 1;
  }
}

}  // namespace

namespace {

/// Ranks (positions in sorted order) numpy's linear quantile at `q` reads.
inline void ranks_of(double q, std::size_t n, std::size_t& lo, std::size_t& hi) {
  const double pos = q * static_cast<double>(n - 1);
  lo = std::min(static_cast<std::size_t>(std::max(0.0, std::floor(pos))), n - 1);
  hi = std::min(lo + 1, n - 1);
}

/// numpy's _lerp between the values at the two ranks.
inline double lerp_at(double q, std::size_t n, double a, double b) {
  const double pos = q * static_cast<double>(n - 1);
  const double t = pos - std::min(std::max(0.0, std::floor(pos)), static_cast<double>(n - 1));
  if (a == b) return a;
  const double diff = b - a;
  return t >= 0.5 ? b - diff * (1.0 - t) : a + diff * t;
}

constexpr std::size_t kSampleSize = std::size_t{1} << 17;
constexpr std::size_t kBracketMin = std::size_t{1} << 20;  // columns smaller: plain selection

/// The values at `ranks` (sorted, distinct) among the non-NaN values of x[0, n), by brackets
/// from the sorted sample: one pass counts the values below each bracket and gathers those
/// inside, then each bracket is selected alone. Returns false when a rank falls outside its
/// bracket (the sample did not represent the data). With `fused`, the same pass also counts
/// the values outside the brackets on fused->extra_cuts and sums them (see OnePass).
bool bracket_select(const double* x, std::size_t n_rows, std::size_t n,
                    const std::vector<double>& sample, const std::vector<std::size_t>& ranks,
                    std::vector<double>& out, OnePass* fused) {
  const std::size_t s = sample.size();
  if (s < 2) return false;
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<double> lows, highs;
  std::vector<std::size_t> interval_of(ranks.size());
  for (std::size_t k = 0; k < ranks.size(); ++k) {
    const double p = (static_cast<double>(ranks[k]) + 0.5) / static_cast<double>(n);
    const double pos = p * static_cast<double>(s);
    // about 4.5 standard deviations of the sample rank on either side
    const double sd = std::sqrt(static_cast<double>(s) * p * (1.0 - p));
    const auto delta = static_cast<std::size_t>(4.5 * sd) + 8;
    const auto c = static_cast<std::size_t>(pos);
    const double lo = c < delta ? -inf : sample[c - delta];
    const double hi = c + delta >= s ? inf : sample[c + delta];
    if (!lows.empty() && lo <= std::nextafter(highs.back(), inf)) {
      highs.back() = std::max(highs.back(), hi);
    } else {
      lows.push_back(lo);
      highs.push_back(hi);
    }
    interval_of[k] = lows.size() - 1;
  }
  const std::size_t m = lows.size();
  // cuts: the bracket bounds lows[j], next(highs[j]) (infinite ones left out, so the bucket
  // table spans finite cuts) and, fused, the extra cuts
  std::vector<double> cuts;
  for (std::size_t j = 0; j < m; ++j) {
    if (lows[j] > -inf) cuts.push_back(lows[j]);
    if (highs[j] < inf) cuts.push_back(std::nextafter(highs[j], inf));
  }
  if (fused) {
    cuts.insert(cuts.end(), fused->extra_cuts.begin(), fused->extra_cuts.end());
    std::sort(cuts.begin(), cuts.end());
    cuts.erase(std::unique(cuts.begin(), cuts.end()), cuts.end());
  }
  // the bracket of every cell (-1: none); cell t >= 1 starts at cuts[t - 1]
  const std::size_t n_cells = cuts.size() + 1;
  std::vector<std::ptrdiff_t> bracket_of(n_cells, -1);
  {
    std::size_t j = 0;
    for (std::size_t t = 0; t < n_cells; ++t) {
      const double start = t == 0 ? -inf : cuts[t - 1];
      while (j < m && highs[j] < inf && std::nextafter(highs[j], inf) <= start) ++j;
      if (j < m && lows[j] <= start) bracket_of[t] = static_cast<std::ptrdiff_t>(j);
    }
  }
  const CutIndex index(cuts);
  // one pass: every value is counted in its cell (four interleaved counters per cell, the
  // last cell for NaN) and written with its cell to `gathered` / `gathered_cell`, whose end
  // advances only for values inside a bracket (no branch on the data)
  std::vector<std::uint8_t> take(n_cells + 1, 0);  // NaN slot last: never taken
  for (std::size_t t = 0; t < n_cells; ++t) take[t] = bracket_of[t] >= 0 ? 1 : 0;
  std::vector<std::int64_t> lanes(4 * (n_cells + 1), 0);
  std::vector<double> gathered;
  std::vector<std::uint32_t> gathered_cell;
  std::size_t w = 0;
  constexpr std::size_t kSub = 4096;
  for (std::size_t a = 0; a < n_rows; a += kSub) {
    const std::size_t b = std::min(n_rows, a + kSub);
    if (gathered.size() < w + kSub) {
      gathered.resize(std::max(2 * gathered.size(), w + kSub));
      gathered_cell.resize(gathered.size());
    }
    double* g = gathered.data();
    std::uint32_t* gc = gathered_cell.data();
    std::int64_t* cnt = lanes.data();
    const std::uint8_t* tk = take.data();
    for (std::size_t i = a; i < b; ++i) {
      const double v = x[i];
      const bool nan = v != v;
      const std::size_t f = index.find(nan ? 0.0 : v);
      const std::size_t t = nan ? n_cells : f;
      ++cnt[4 * t + (i & 3)];
      g[w] = v;
      gc[w] = static_cast<std::uint32_t>(t);
      w += tk[t];
    }
    if (fused) {
      double mn = fused->min, mx = fused->max;
      for (std::size_t i = a; i < b; ++i) {
        const double v = x[i];  // NaN never compares less
        mn = v < mn ? v : mn;
        mx = v > mx ? v : mx;
      }
      fused->min = mn;
      fused->max = mx;
      fused->sum.add_block_pair(x + a, b - a, fused->shift, fused->sumsq);
    }
  }
  std::vector<std::int64_t> cells(n_cells, 0);
  for (std::size_t t = 0; t < n_cells; ++t)
    cells[t] = lanes[4 * t] + lanes[4 * t + 1] + lanes[4 * t + 2] + lanes[4 * t + 3];
  // per bracket: values below it, values inside it, and where its values start once the
  // gathered values are grouped by bracket
  std::vector<std::int64_t> below(m, -1), size(m, 0), start(m, 0);
  std::int64_t acc = 0;
  for (std::size_t t = 0; t < n_cells; ++t) {
    const std::ptrdiff_t j = bracket_of[t];
    if (j >= 0) {
      if (below[static_cast<std::size_t>(j)] < 0) below[static_cast<std::size_t>(j)] = acc;
      size[static_cast<std::size_t>(j)] += cells[t];
    }
    acc += cells[t];
  }
  for (std::size_t j = 1; j < m; ++j) start[j] = start[j - 1] + size[j - 1];
  std::vector<std::size_t> local(ranks.size());
  for (std::size_t k = 0; k < ranks.size(); ++k) {
    const std::size_t j = interval_of[k];
    const auto r = static_cast<std::int64_t>(ranks[k]) - below[j];
    if (below[j] < 0 || r < 0 || r >= size[j]) return false;
    local[k] = static_cast<std::size_t>(start[j] + r);  // increasing with k
  }
  // group by bracket (the brackets are disjoint value ranges), then select in each
  std::vector<double> grouped(w);
  {
    std::vector<std::size_t> next(m);
    for (std::size_t j = 0; j < m; ++j) next[j] = static_cast<std::size_t>(start[j]);
    for (std::size_t i = 0; i < w; ++i)
      grouped[next[static_cast<std::size_t>(bracket_of[gathered_cell[i]])]++] = gathered[i];
  }
  std::vector<double>().swap(gathered);
  std::vector<std::uint32_t>().swap(gathered_cell);
  for (std::size_t k = 0; k < ranks.size();) {
    const std::size_t j = interval_of[k];
    std::size_t e = k;
    while (e < ranks.size() && interval_of[e] == j) ++e;
    const auto lo = static_cast<std::size_t>(start[j]);
    multi_select(grouped.data() + lo, grouped.data() + lo + static_cast<std::size_t>(size[j]),
                 local.data() + k, local.data() + e, lo);
    k = e;
  }
  out.assign(ranks.size(), 0.0);
  for (std::size_t k = 0; k < ranks.size(); ++k) out[k] = grouped[local[k]];
  if (fused) {
    fused->missing = static_cast<std::int64_t>(n_rows - n);
    for (std::size_t t = 0; t < n_cells; ++t) {
      if (bracket_of[t] >= 0 || cells[t] == 0) continue;
      if (t == 0 || t + 1 == n_cells) return false;  // the end cells lie in brackets
      fused->lower.push_back(cuts[t - 1]);
      fused->upper.push_back(std::nextafter(cuts[t], -inf));
      fused->counts.push_back(cells[t]);
    }
    fused->gathered = std::move(grouped);
  }
  return true;
}

}  // namespace

std::vector<double> sorted_sample(const double* x, std::size_t n_rows) {
  const std::size_t stride = n_rows > kSampleSize ? (n_rows + kSampleSize - 1) / kSampleSize : 1;
  std::vector<double> s;
  s.reserve(n_rows / stride + 1);
  for (std::size_t i = 0; i < n_rows; i += stride)
    if (!std::isnan(x[i])) s.push_back(x[i]);
  std::sort(s.begin(), s.end());
  return s;
}

std::vector<double> quantiles_sorted(const std::vector<double>& s,
                                     const std::vector<double>& levels) {
  std::vector<double> out;
  for (double q : levels) {
    std::size_t lo = 0, hi = 0;
    ranks_of(q, s.size(), lo, hi);
    out.push_back(lerp_at(q, s.size(), s[lo], s[hi]));
  }
  return out;
}

std::vector<double> select_quantiles(const double* x, std::size_t n_rows, std::size_t n,
                                     const std::vector<double>& levels,
                                     const std::vector<double>& sample, OnePass* fused,
                                     bool* fused_ok) {
  if (fused_ok) *fused_ok = false;
  std::vector<std::size_t> ranks;
  ranks.reserve(2 * levels.size());
  for (double q : levels) {
    std::size_t lo = 0, hi = 0;
    ranks_of(q, n, lo, hi);
    ranks.push_back(lo);
    ranks.push_back(hi);
  }
  std::sort(ranks.begin(), ranks.end());
  ranks.erase(std::unique(ranks.begin(), ranks.end()), ranks.end());
  std::vector<double> at;
  bool done = false;
  if (n >= kBracketMin && ranks.size() <= 64) {
    done = bracket_select(x, n_rows, n, sample, ranks, at, fused);
    if (fused_ok) *fused_ok = done;
  }
  if (!done) {
    std::vector<double> v;
    v.reserve(n);
    for (std::size_t i = 0; i < n_rows; ++i)
      if (!std::isnan(x[i])) v.push_back(x[i]);
    multi_select(v.data(), v.data() + n, ranks.data(), ranks.data() + ranks.size(), 0);
    at.clear();
    for (std::size_t r : ranks) at.push_back(v[r]);
  }
  auto value = [&](std::size_t r) {
    return at[static_cast<std::size_t>(std::lower_bound(ranks.begin(), ranks.end(), r) -
                                       ranks.begin())];
  };
  std::vector<double> out;
  out.reserve(levels.size());
  for (double q : levels) {
    std::size_t lo = 0, hi = 0;
    ranks_of(q, n, lo, hi);
    out.push_back(lerp_at(q, n, value(lo), value(hi)));
  }
  return out;
}

std::vector<double> select_quantiles(const std::vector<double>& v,
                                     const std::vector<double>& levels) {
  return select_quantiles(v.data(), v.size(), v.size(), levels, sorted_sample(v.data(), v.size()));
}

std::vector<double> edges_of(std::vector<double>& v, int bins, bool quantile) {
  std::vector<double> e;
  if (v.empty()) return e;
  if (quantile) {
    std::vector<double> levels(static_cast<std::size_t>(bins) + 1);
    // np.linspace(0, 1, bins + 1): i * (1 / bins), the last one exactly 1 (i / bins can
    // differ in the last bit, e.g. 3 / 10 vs 3 * 0.1, and move an edge by an ulp)
    const double step = 1.0 / bins;
    for (int i = 0; i <= bins; ++i) levels[static_cast<std::size_t>(i)] = double(i) * step;
    levels.back() = 1.0;
    e = select_quantiles(v, levels);
  } else {
    const auto mm = std::minmax_element(v.begin(), v.end());
    const double lo = *mm.first, hi = *mm.second;
    e.push_back(lo);
    // np.linspace(lo, hi, bins + 1), as np.histogram: i * ((hi - lo) / bins) + lo
    const double step = (hi - lo) / bins;
    for (int i = 1; i < bins; ++i) e.push_back(double(i) * step + lo);
    e.push_back(hi);
    for (auto& x : e) x = std::min(std::max(x, lo), hi);
  }
  for (auto& x : e) x = x + 0.0;  // -0.0 -> +0.0
  std::sort(e.begin(), e.end());
  e.erase(std::unique(e.begin(), e.end()), e.end());
  return e;
}

const double* numeric_data(const Column& c, std::vector<double>& buffer, const char* caller) {
  if (c.dtype() == DType::Float64) return c.as_float64().data();
  buffer.resize(static_cast<std::size_t>(c.size()));
  column_values(c, 0, c.size(), buffer.data(), caller);
  return buffer.data();
}

std::size_t check_finite(const Column& c, const double* x, const char* caller) {
  std::size_t missing = 0, not_finite = 0;
  for (Index i = 0; i < c.size(); ++i) {
    const double v = x[i];
    missing += v != v ? 1 : 0;
    not_finite += std::fabs(v) <= std::numeric_limits<double>::max() ? 0 : 1;
  }
  if (not_finite > missing)
    for (Index i = 0; i < c.size(); ++i)
      CHURN_CHECK(!std::isinf(x[i]), InvalidArgument,
                  caller << ": column '" << c.name() << "' holds an infinite value at row " << i
                         << "; reference values must be finite (or NaN for missing)");
  return static_cast<std::size_t>(c.size()) - missing;
}

// ---- PSI / JS ---------------------------------------------------------------------------------

double psi_counts(const std::vector<std::int64_t>& r, const std::vector<std::int64_t>& c,
                  double epsilon) {
  double nr = 0, nc = 0;
  for (auto v : r) nr += static_cast<double>(v);
  for (auto v : c) nc += static_cast<double>(v);
  double s = 0;
  for (std::size_t i = 0; i < r.size(); ++i) {
    if (r[i] == 0 && c[i] == 0) continue;
    const double p = r[i] ? static_cast<double>(r[i]) / nr : epsilon;
    const double q = c[i] ? static_cast<double>(c[i]) / nc : epsilon;
    s += (q - p) * std::log(q / p);
  }
  return s;
}

double js_counts(const std::vector<std::int64_t>& r, const std::vector<std::int64_t>& c) {
  double nr = 0, nc = 0;
  for (auto v : r) nr += static_cast<double>(v);
  for (auto v : c) nc += static_cast<double>(v);
  double d = 0;
  for (std::size_t i = 0; i < r.size(); ++i) {
    const double p = static_cast<double>(r[i]) / nr;
    const double q = static_cast<double>(c[i]) / nc;
    const double m = 0.5 * (p + q);
    if (p > 0) d += 0.5 * p * std::log(p / m);
    if (q > 0) d += 0.5 * q * std::log(q / m);
  }
  return std::sqrt(std::max(d, 0.0));
}

// ---- JSON -------------------------------------------------------------------------------------

std::vector<std::int64_t> json_to_counts(const Json& obj, const char* key,
                                         const std::string& where) {
  const Json a = json_get<Json>(obj, key, where);
  CHURN_CHECK(a.is_array(), SerializationError, where << ": field '" << key << "' must be a list");
  std::vector<std::int64_t> out;
  out.reserve(a.size());
  for (const auto& v : a) {
    std::int64_t x = 0;
    CHURN_CHECK(json_int_value(v, x) && x >= 0, SerializationError,
                where << ": field '" << key << "' must hold integer counts >= 0");
    out.push_back(x);
  }
  return out;
}

}  // namespace churn::monitor::detail
