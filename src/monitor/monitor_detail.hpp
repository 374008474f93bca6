#pragma once
// Private kernels shared by psi.cpp, baseline.cpp and report.cpp: value extraction, the cut
// lookup of the histograms, exact selection of quantiles, exact (order-free) sums.

#include <algorithm>  // std::min
#include <cstddef>    // std::size_t
#include <cstdint>    // std::int64_t, std::uint64_t, std::uint32_t
#include <cstring>    // std::memcpy
#include <limits>     // std::numeric_limits
#include <string>     // std::string
#include <vector>     // std::vector

#include "churn/core/json.hpp"
#include "churn/core/types.hpp"
#include "churn/data/table.hpp"

namespace churn::monitor::detail {

__extension__ typedef __int128 Int128;            // exact sums (GCC/Clang)
__extension__ typedef unsigned __int128 UInt128;  // its bit pattern

/// True for Float64, Int64 and Timestamp columns (binned as numbers).
bool is_numeric(DType t);
/// True for Categorical and String columns (binned by category name).
bool is_categorical(DType t);

/// Rows [lo, hi) of a numeric column as doubles in `out` (NaN = missing).
/// @throws TypeMismatch naming `caller` for other column types.
void column_values(const Column& c, Index lo, Index hi, double* out, const char* caller);

/// Finds, for a value, the number of cuts <= it (the cell index), with a bucket table over
/// the order-preserving integer image of the cuts and a binary search as fallback.
class CutIndex {
 public:
  CutIndex() = default;
  /// `cuts` must be strictly increasing and not NaN (infinite allowed).
  explicit CutIndex(const std::vector<double>& cuts);
  /// Number of cells: cuts + 1.
  std::size_t n_cells() const { return n_ + 1; }
  /// Size of the scratch counters count() uses: four interleaved counters per cell and for
  /// missing values (breaks the store-to-load chain of repeated cells).
  std::size_t scratch_size() const { return 4 * (n_cells() + 1); }
  /// Counts the values of x[0, n) into `scratch` (scratch_size() entries, zeroed first).
  void count(const double* x, Index n, std::int64_t* scratch) const;
  /// Adds `scratch` to `cells` (n_cells() entries) and `missing`, and zeroes it.
  void flush(std::int64_t* scratch, std::int64_t* cells, std::int64_t& missing) const;
  /// count() and flush() of one range, with its own scratch.
  void count(const double* x, Index n, std::int64_t* cells, std::int64_t& missing) const;
  /// The cell of a non-NaN value.
  inline std::size_t find(double x) const;

 private:
  std::vector<double> cuts_;  // n_ cuts, then four +inf sentinels
  std::size_t n_ = 0;
  std::vector<std::uint32_t> first_;  // first_[b]: cuts in buckets before b
  // bucket table: over the value (linear) or over its order-preserving integer image (key),
  // whichever puts fewer cuts into its fullest bucket
  std::uint64_t key_lo_ = 0;
  std::uint64_t key_hi_ = 0;
  int shift_ = 0;
  double lo_ = 0, hi_ = 0, scale_ = 0;
  std::size_t last_bucket_ = 0;
  enum class Table : unsigned char { None, Key, Linear } table_ = Table::None;
};

/// Order-preserving image of a non-NaN double (+0.0 and -0.0 folded by the caller).
inline std::uint64_t key_of(double x) {
  std::uint64_t u;
  std::memcpy(&u, &x, sizeof u);
  return (u >> 63) ? ~u : (u | (std::uint64_t{1} << 63));
}

inline std::size_t CutIndex::find(double x) const {
  const std::size_t n = n_;
  const double* c = cuts_.data();
  x = x + 0.0;
  std::size_t lo = 0, hi = n;
  if (table_ != Table::None) {
    std::size_t b = 0;
    if (table_ == Table::Linear) {
      if (x < lo_) return 0;
      if (x >= hi_) return n;
      b = std::min(static_cast<std::size_t>((x - lo_) * scale_), last_bucket_);
    } else {
      const std::uint64_t k = key_of(x);
      if (k < key_lo_) return 0;
      if (k >= key_hi_) return n;
      b = static_cast<std::size_t>((k - key_lo_) >> shift_);
    }
    lo = first_[b];
    hi = first_[b + 1];
    if (hi - lo <= 4) {
      // cuts past the bucket are > x, and the sentinels keep c[lo + 3] readable
      return lo + (c[lo] <= x ? 1 : 0) + (c[lo + 1] <= x ? 1 : 0) + (c[lo + 2] <= x ? 1 : 0) +
             (c[lo + 3] <= x ? 1 : 0);
    }
  }
  // branch-free binary search over [lo, hi): number of cuts <= x
  const double* base = c + lo;
  std::size_t len = hi - lo;
  if (len == 0) return lo;
  while (len > 1) {
    const std::size_t half = len / 2;
    base = (base[half] <= x) ? base + half : base;
    len -= half;
  }
  return static_cast<std::size_t>(base - c) + (*base <= x ? 1 : 0);
}

/// An exact sum of doubles whose result does not depend on the order of the additions or on
/// how they were split and merged: a two's-complement fixed-point integer with 64-bit limbs
/// at scale 2^-1088 (every double is a whole multiple of it), kept in canonical form (each
/// limb but the top one in [0, 2^64)). The final double is a deterministic function of it.
class ExactSum {
 public:
  ExactSum() = default;
  /// Adds `x` (infinities are counted apart; NaN must not be passed).
  void add(double x);
  /// Adds the terms of x[0, n), skipping NaN: `x[i]` itself, or `(x[i] - shift)^2` (as
  /// rounded in double) when `square`. Fast: mantissas go into int64 buckets per exponent,
  /// folded into the limbs every 1024 terms.
  void add_block(const double* x, std::size_t n, double shift, bool square);
  /// add_block(x, n, 0, false) on this sum and add_block(x, n, shift, true) on `squares` in
  /// one pass over x (the same exact states as the two calls).
  void add_block_pair(const double* x, std::size_t n, double shift, ExactSum& squares);
  /// Adds the state of `other`.
  void merge(const ExactSum& other);
  /// The sum as a double-double (hi, lo); infinities give +-inf or NaN in hi.
  void value(double& hi, double& lo) const;
  /// Canonical state as JSON: {"limbs": [[index, high64, low64], ...], "pos_inf", "neg_inf"}.
  Json to_json() const;
  /// Inverse of to_json. @throws SerializationError naming `where`.
  static ExactSum from_json(const Json& j, const std::string& where);
  bool operator==(const ExactSum& o) const;

 private:
  void add_term(std::uint64_t bits);
  void add_word(std::int64_t t, int offset);
  void normalize();
  std::vector<Int128> w_;  // kLimbs limbs when non-zero, else empty
  int pending_ = 0;        // adds since the last normalize
  std::int64_t pos_inf_ = 0;
  std::int64_t neg_inf_ = 0;
};

/// What the bracket pass of select_quantiles can count and sum at the same time, so that a
/// baseline's fit reads a large column once: values outside the brackets are counted on
/// `extra_cuts` (sorted, distinct), values inside are kept, and the sums are taken.
struct OnePass {
  std::vector<double> extra_cuts;    ///< input: cuts the counts must resolve
  double shift = 0;                  ///< input: sumsq sums (x - shift)^2
  std::vector<double> lower, upper;  ///< output: value ranges [lower, upper] outside brackets
  std::vector<std::int64_t> counts;  ///< their counts (only non-zero ones)
  std::vector<double> gathered;      ///< the values inside the brackets
  std::int64_t missing = 0;          ///< NaN rows
  double min = std::numeric_limits<double>::infinity();
  double max = -std::numeric_limits<double>::infinity();
  ExactSum sum, sumsq;
};

/// Exact quantiles (numpy linear) at `levels` in [0, 1] of the `n` non-NaN values (all finite,
/// n >= 1) among x[0, n_rows). Columns of 2^20 values or more are selected within brackets
/// read off `sample` (sorted_sample of the same data); otherwise, or when a rank falls outside
/// its bracket, the values are copied and selected in full. With `fused`, `*fused_ok` tells
/// whether the bracket pass ran and filled it.
std::vector<double> select_quantiles(const double* x, std::size_t n_rows, std::size_t n,
                                     const std::vector<double>& levels,
                                     const std::vector<double>& sample, OnePass* fused = nullptr,
                                     bool* fused_ok = nullptr);
/// The same for a vector of finite values (not empty).
std::vector<double> select_quantiles(const std::vector<double>& v,
                                     const std::vector<double>& levels);

/// A deterministic sample: the non-NaN values among rows 0, k, 2k, ... of x[0, n_rows),
/// k = ceil(n_rows / 2^17) (all of them for up to 131,072 rows), sorted.
std::vector<double> sorted_sample(const double* x, std::size_t n_rows);

/// numpy's linear quantiles of sorted values (not empty).
std::vector<double> quantiles_sorted(const std::vector<double>& s,
                                     const std::vector<double>& levels);

/// Edges from the values in `v` (finite, non-NaN); empty for empty `v`.
std::vector<double> edges_of(std::vector<double>& v, int bins, bool quantile);

/// The values of a numeric column as doubles (NaN = missing): the column's own memory for
/// float64, else converted into `buffer`.
const double* numeric_data(const Column& c, std::vector<double>& buffer, const char* caller);
/// Number of non-NaN values of x[0, c.size()).
/// @throws InvalidArgument naming `caller`, the column and the first row of an infinite value.
std::size_t check_finite(const Column& c, const double* x, const char* caller);

/// PSI / JS over count vectors (validated by the caller).
double psi_counts(const std::vector<std::int64_t>& r, const std::vector<std::int64_t>& c,
                  double epsilon);
double js_counts(const std::vector<std::int64_t>& r, const std::vector<std::int64_t>& c);

/// A required list of int64 counts >= 0. @throws SerializationError naming `where` and `key`.
std::vector<std::int64_t> json_to_counts(const Json& obj, const char* key,
                                         const std::string& where);

}  // namespace churn::monitor::detail
