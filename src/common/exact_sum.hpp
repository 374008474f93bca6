#pragma once
/// @file exact_sum.hpp
/// Exact and error-free floating-point sums (never installed): ExactSum, a sum of doubles that is
/// exact and independent of the order of the additions (the monitor's baseline statistics), and
/// the double-double arithmetic that turns such sums into a mean and a variance. The error-free
/// transformations need unfused arithmetic: exact_sum.cpp is compiled with -ffp-contract=off.

#include <cstdint>  // std::int64_t, std::uint64_t
#include <vector>   // std::vector

namespace churn::common {

__extension__ typedef __int128 Int128;            // exact fixed-point sums (GCC/Clang)
__extension__ typedef unsigned __int128 UInt128;  // its bit pattern

/// Bit offset in an ExactSum of the mantissa unit of a double of biased exponent e: e + 13.
constexpr int kSumOffset = 13;

/// An exact sum of doubles whose result does not depend on the order of the additions or on
/// how they were split and merged: a two's-complement fixed-point integer with 64-bit limbs
/// at scale 2^-1088 (every double is a whole multiple of it), kept in canonical form (each
/// limb but the top one in [0, 2^64)). The final double is a deterministic function of it.
class ExactSum {
 public:
  /// Number of limbs: 2304 bits, 2^-1088 .. 2^1215.
  static constexpr int kLimbs = 36;

  ExactSum() = default;
  /// Adds `x` (infinities are counted apart; NaN must not be passed).
  void add(double x);
  /// Adds `t * 2^(offset - kSumOffset)` units of exponent 0, i.e. `t` mantissa units of a
  /// double of biased exponent `offset - kSumOffset` (the kernels' fixed-point slices).
  /// Call normalize() within 2^60 calls.
  void add_scaled(std::int64_t t, int offset);
  /// Brings the limbs into canonical form.
  void normalize();
  /// Adds the state of `other`.
  void merge(const ExactSum& other);
  /// The sum as a double-double (hi, lo), a deterministic function of the exact total;
  /// infinities give +-inf in hi, or NaN when both signs were added.
  void value(double& hi, double& lo) const;
  /// Same exact total and the same infinity counts.
  bool operator==(const ExactSum& o) const;

  /// The limbs in canonical form (limb k holds units of 2^(64 k - 1088)): kLimbs of them, or
  /// none when no finite non-zero term was ever added.
  std::vector<Int128> limbs() const;
  /// Number of +inf terms.
  std::int64_t pos_inf() const { return pos_inf_; }
  /// Number of -inf terms.
  std::int64_t neg_inf() const { return neg_inf_; }
  /// The sum of the given state: `limbs` (kLimbs of them, or none; limb values need not be
  /// canonical but must leave room for the carries, |limb| < 2^126) and infinity counts.
  static ExactSum from_state(std::vector<Int128> limbs, std::int64_t pos_inf, std::int64_t neg_inf);

 private:
  void add_term(std::uint64_t bits);
  void add_word(std::int64_t t, int offset);
  std::vector<Int128> w_;  // kLimbs limbs when non-zero, else empty
  int pending_ = 0;        // adds since the last normalize
  std::int64_t pos_inf_ = 0;
  std::int64_t neg_inf_ = 0;
};

/// Knuth's TwoSum: s = fl(a + b) and the exact rounding error, a + b = s + err (no overflow).
void two_sum(double a, double b, double& s, double& err) noexcept;

/// A double-double: the unevaluated sum hi + lo, |lo| <= ulp(hi) / 2.
struct DoubleDouble {
  double hi = 0;
  double lo = 0;
};

/// Fast TwoSum, for |a| >= |b| (or a == 0): {fl(a + b), its exact error}.
DoubleDouble quick_two_sum(double a, double b) noexcept;
/// a + b in double-double (sloppy addition: relative error a few 2^-106 unless they cancel).
DoubleDouble dd_add(DoubleDouble a, DoubleDouble b) noexcept;
/// a * b in double-double (the product of the highs exact through std::fma).
DoubleDouble dd_mul(DoubleDouble a, DoubleDouble b) noexcept;
/// a / d in double-double (one correction step with the exact remainder through std::fma).
DoubleDouble dd_div(DoubleDouble a, double d) noexcept;

}  // namespace churn::common
