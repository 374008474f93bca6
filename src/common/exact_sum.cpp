#include "common/exact_sum.hpp"

#include <cmath>    // std::ldexp, std::fma
#include <cstring>  // std::memcpy
#include <limits>   // std::numeric_limits
#include <utility>  // std::move

namespace churn::common {

namespace {

constexpr int kLimbs = ExactSum::kLimbs;
constexpr int kOffset = kSumOffset;  // bit offset of a mantissa unit of biased exponent e
constexpr int kBlockTerms = 1024;    // add_term calls between normalizations

inline std::uint64_t bits_of(double x) {
  std::uint64_t u;
  std::memcpy(&u, &x, sizeof u);
  return u;
}

}  // namespace

// ---- ExactSum ---------------------------------------------------------------------------------

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

void ExactSum::add_scaled(std::int64_t t, int offset) {
  if (w_.empty()) w_.assign(kLimbs, 0);
  add_word(t, offset);
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
  if (pos_inf_ != o.pos_inf_ || neg_inf_ != o.neg_inf_) return false;
  const std::vector<Int128> a = limbs(), b = o.limbs();
  for (std::size_t k = 0; k < static_cast<std::size_t>(kLimbs); ++k)
    if ((k < a.size() ? a[k] : 0) != (k < b.size() ? b[k] : 0)) return false;
  return true;
}

std::vector<Int128> ExactSum::limbs() const {
  ExactSum c = *this;
  c.normalize();
  return std::move(c.w_);
}

ExactSum ExactSum::from_state(std::vector<Int128> limbs, std::int64_t pos_inf,
                              std::int64_t neg_inf) {
  ExactSum s;
  if (!limbs.empty()) {
    limbs.resize(kLimbs, 0);
    s.w_ = std::move(limbs);
  }
  s.pos_inf_ = pos_inf;
  s.neg_inf_ = neg_inf;
  s.normalize();
  return s;
}

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
  // a negative total has all-ones upper limbs in two's complement (their doubles would
  // overflow): convert its magnitude and negate the result
  const bool negative = !c.w_.empty() && c.w_.back() < 0;
  if (negative) {
    for (auto& limb : c.w_) limb = -limb;
    c.normalize();
  }
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
  if (negative) {
    hi = -hi;
    lo = -lo;
  }
}

// ---- error-free transformations and double-double arithmetic ----------------------------------

void two_sum(double a, double b, double& s, double& err) noexcept {
  s = a + b;
  const double bb = s - a;
  err = (a - (s - bb)) + (b - bb);
}

DoubleDouble quick_two_sum(double a, double b) noexcept {
  const double s = a + b;
  return {s, b - (s - a)};
}

DoubleDouble dd_add(DoubleDouble a, DoubleDouble b) noexcept {
  double s, e;
  two_sum(a.hi, b.hi, s, e);
  return quick_two_sum(s, e + a.lo + b.lo);
}

DoubleDouble dd_mul(DoubleDouble a, DoubleDouble b) noexcept {
  const double p = a.hi * b.hi;
  const double e = std::fma(a.hi, b.hi, -p) + (a.hi * b.lo + a.lo * b.hi);
  return quick_two_sum(p, e);
}

DoubleDouble dd_div(DoubleDouble a, double d) noexcept {
  const double q1 = a.hi / d;
  const double p = q1 * d;
  const DoubleDouble r = dd_add(a, DoubleDouble{-p, -std::fma(q1, d, -p)});
  return quick_two_sum(q1, r.hi / d);
}

}  // namespace churn::common
