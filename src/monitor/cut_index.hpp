#pragma once
// Private to src/monitor: the cell of a value among sorted cuts (cut_index.cpp), used by the
// histograms of psi.cpp and by a baseline's counting when its cuts are too many for a
// CellCounter (scan_kernel.hpp).

#include <algorithm>  // std::min
#include <cstddef>    // std::size_t
#include <cstdint>    // std::int64_t, std::uint64_t, std::uint32_t
#include <vector>     // std::vector

#include "churn/core/types.hpp"
#include "common/float_key.hpp"

namespace churn::monitor::detail {

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
      const std::uint64_t k = common::ordered_key(x);
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

}  // namespace churn::monitor::detail
