#pragma once
// The fit of one large numeric column in two passes over its memory (see baseline_fit.cpp):
//
// 1. pass1: bucket counts over a monotone BucketMap of 2^14 buckets laid out from a sorted
//    sample, min, max, infinities and the exact sums;
// 2. plan: the buckets holding the wanted ranks (found from the counts) and the cut values
//    (KS points, equal-width edges) become "target" buckets, each with a representative
//    value taken from the sample;
// 3. pass2: reading the buckets pass1 stored (2 bytes a row, freed by finish), the values of
//    target buckets that differ from their bucket's representative are
//    gathered (ties of the representative are only counted: count minus gathered);
// 4. finish: the gathered values are grouped per bucket. Then the value at any planned rank
//    (selected within its bucket) and the number of values below any cut whose bucket is a
//    target (or empty, counted within its bucket) are exact.
//
// pass1 and pass2 take row ranges and may run on several threads at once (they merge under a
// lock; every result is order-free). Every step reports failure (plan, finish, count_lt
// return false) instead of guessing; the caller then selects the column in full.

#include <cstddef>  // std::size_t
#include <cstdint>  // std::int64_t, std::uint16_t, std::uint32_t
#include <mutex>    // std::mutex
#include <vector>   // std::vector

#include "monitor/scan_kernel.hpp"

namespace churn::monitor::detail {

class RadixFit {
 public:
  static constexpr std::uint32_t kBuckets = std::uint32_t{1} << 14;

  /// `sample`: a sorted, non-empty sample of the column's non-NaN values.
  RadixFit(const double* x, std::size_t n_rows, const std::vector<double>& sample, double shift);

  /// Sets up the per-row bucket indices (2 bytes a row) before pass1: in `idx` (n_rows
  /// entries, the caller's, e.g. reused across columns) or, when null, in memory of its own
  /// (freed by finish).
  void begin(std::uint16_t* idx = nullptr);
  /// Pass 1 over rows [lo, hi) (thread-safe).
  void pass1(std::size_t lo, std::size_t hi);
  std::int64_t n_inf() const { return n_inf_; }
  std::int64_t missing() const { return hist_[kBuckets]; }
  std::size_t n_values() const { return n_rows_ - static_cast<std::size_t>(missing()); }
  double min() const { return min_; }
  double max() const { return max_; }
  ExactSum& sum() { return sum_; }
  ExactSum& sumsq() { return sumsq_; }

  /// Targets the buckets of `ranks` (each < n_values()) and of `cuts` (not NaN).
  /// @return false when there are too many targets.
  bool plan(const std::vector<std::size_t>& ranks, const std::vector<double>& cuts);
  /// Pass 2 over rows [lo, hi) (thread-safe).
  void pass2(std::size_t lo, std::size_t hi);
  /// Groups the gathered values by target bucket. @return false if the counts do not add up.
  bool finish();

  /// The ranks numpy's linear quantiles at `levels` read among n values (two per level).
  static std::vector<std::size_t> ranks_of_levels(const std::vector<double>& levels, std::size_t n);
  /// The value at a planned rank (a selection within its bucket's gathered values, which it
  /// reorders); `ok` is set false when the rank was not planned.
  double value_at(std::size_t rank, bool& ok);
  /// numpy's linear quantiles at `levels` (their ranks_of_levels planned); `ok` as value_at.
  std::vector<double> quantiles(const std::vector<double>& levels, bool& ok);
  /// The number of non-NaN values < c, for a cut c whose bucket, or that of the double just
  /// below c, is a target or empty. @return false otherwise.
  bool count_lt(double c, std::int64_t& out) const;

 private:
  std::uint32_t bucket_of_rank(std::size_t rank) const;
  /// Values < c (strict) or <= c in buckets up to b, b being c's bucket; false when b is
  /// neither a target nor empty.
  bool count_le_in(double c, std::uint32_t b, bool strict, std::int64_t& out) const;

  const double* x_;
  std::size_t n_rows_;
  const std::vector<double>& sample_;
  double shift_;
  BucketMap map_;
  std::mutex mu_;
  std::vector<std::int64_t> hist_;      // kBuckets + 1 (NaN last)
  std::uint16_t* idx_ = nullptr;        // pass 1 -> pass 2: the bucket of every row
  std::vector<std::uint16_t> own_idx_;  // its memory, unless the caller lends some
  std::vector<std::int64_t> prefix_;    // kBuckets + 1: values in the buckets before b
  double min_, max_;
  std::int64_t n_inf_ = 0;
  ExactSum sum_, sumsq_;
  std::vector<std::uint16_t> slot_;         // kBuckets + 1: 0 or the bucket's target slot
  std::vector<double> rep_;                 // per slot (slot 0 unused)
  std::vector<std::uint32_t> slot_bucket_;  // per slot
  std::vector<double> gathered_;            // pass 2; grouped by slot after finish
  std::vector<std::size_t> begin_;          // per slot + 1: its range in gathered_
  std::vector<std::int64_t> eq_;            // per slot: values equal to the representative
};

}  // namespace churn::monitor::detail
