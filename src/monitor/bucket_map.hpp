#pragma once
// Private to src/monitor: the monotone maps of doubles onto buckets that the column scans
// (scan_kernel.hpp) count through, and the cell counter of a baseline's fixed cuts built on one
// (bucket_map.cpp).

#include <cstddef>  // std::size_t
#include <cstdint>  // std::uint16_t, std::uint32_t, std::uint64_t
#include <vector>   // std::vector

namespace churn::monitor::detail {

/// A monotone map of doubles onto buckets 0 .. n_buckets - 1 (NaN: n_buckets), over the value
/// (linear) or over its order-preserving integer image (key), values outside the range in the
/// end buckets: x <= y implies bucket(x) <= bucket(y); -0.0 and +0.0 share a bucket.
struct BucketMap {
  bool linear = false;
  double lo = 0, scale = 0;  // linear: floor((x - lo) * scale)
  std::uint64_t key_lo = 0;  // key: (ordered_key_folded(x) - key_lo) >> shift
  int shift = 0;
  std::uint32_t n_buckets = 1;
  /// The bucket of one value (the kernels' map).
  std::uint32_t bucket(double x) const;
  /// The map of `n_buckets` buckets (<= 2^16) over [sorted.front(), sorted.back()], linear or
  /// key, whichever puts fewer values of `sorted` (a sorted sample, not empty) in its fullest
  /// bucket.
  static BucketMap from_sample(const std::vector<double>& sorted, std::uint32_t n_buckets);
  /// The two maps of `n_buckets` buckets over [lo, hi] (lo <= hi, not NaN): always the key
  /// map; the linear one too when the range allows it (then true).
  static bool candidates(double lo, double hi, std::uint32_t n_buckets, BucketMap& key,
                         BucketMap& lin);
};

/// Cell counting of a batch on fixed cuts (accumulate, compare) through a BucketMap laid out on
/// the cuts: a value's cell is its bucket's lowest cell plus the bucket's cuts (at most two,
/// compared exactly) at or below it. Buckets with three cuts or more are left to the caller.
struct CellCounter {
  static constexpr std::uint32_t kBuckets = std::uint32_t{1} << 14;
  static constexpr std::uint16_t kCuts = std::uint16_t{1} << 14;  // lut flag: one or two cuts
  static constexpr std::uint16_t kSlow = std::uint16_t{1} << 15;  // lut flag: three or more
  static constexpr std::uint16_t kCellMask = kCuts - 1;
  static constexpr std::size_t kMaxCuts = kCellMask - 1;  // cells and missing below kCuts
  BucketMap map;
  std::size_t n_cells = 0;         // cuts + 1
  std::vector<std::uint16_t> lut;  // per bucket + 1 (+1 padding): lowest cell | flags; NaN: n_cells
  std::vector<double> cut1, cut2;  // per bucket: its first and second cut, NaN if none
  /// The counter of `cuts` (sorted, distinct, 2 to kMaxCuts, no NaN).
  explicit CellCounter(const std::vector<double>& cuts);
};

}  // namespace churn::monitor::detail
