#pragma once
// Private kernels shared by psi.cpp, baseline.cpp and report.cpp: value extraction, the cut
// lookup of the histograms, exact selection of quantiles, exact (order-free) sums.

#include <algorithm>  // std::min
#include <cstddef>    // std::size_t
#include <cstdint>    // std::int64_t, std::uint64_t, std::uint32_t
#include <limits>     // std::numeric_limits
#include <string>     // std::string
#include <vector>     // std::vector

#include "churn/core/json.hpp"
#include "churn/core/types.hpp"
#include "churn/data/table.hpp"
#include "churn/monitor/psi.hpp"     // Binning
#include "churn/monitor/report.hpp"  // FeatureKind
#include "common/enum_names.hpp"     // EnumName
#include "common/exact_sum.hpp"
#include "common/float_key.hpp"
#include "common/json.hpp"

namespace churn::monitor::detail {

/// True for Float64, Int64 and Timestamp columns (binned as numbers).
bool is_numeric(data::DType t);
/// True for Categorical and String columns (binned by category name).
bool is_categorical(data::DType t);

/// The counts of a categorical column as CategoryCounts holds them: the entries of its
/// dictionary `dict` counted at least once (`per_code[k] > 0`), sorted by name, with their
/// counts, and `missing` rows with code -1.
CategoryCounts counts_by_name(const std::vector<std::string>& dict,
                              const std::vector<std::int64_t>& per_code, std::int64_t missing);

/// Rows [lo, hi) of a numeric column as doubles in `out` (NaN = missing).
/// @throws TypeMismatch naming `caller` for other column types.
void column_values(const data::Column& c, Index lo, Index hi, double* out, const char* caller);

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

// The exact sums of the baseline statistics (common/exact_sum.hpp) and their JSON form.
using common::ExactSum;
using common::kSumOffset;

/// The canonical state of `s` as JSON (part of baseline files):
/// {"limbs": [[index, high64, low64], ...], "pos_inf", "neg_inf"}, only the non-zero limbs.
Json exact_sum_to_json(const ExactSum& s);
/// Inverse of exact_sum_to_json. @throws SerializationError naming `where`.
ExactSum exact_sum_from_json(const Json& j, const std::string& where);

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

/// Adds the bucket counts of x[0, n) to `hist` (2 (n_buckets + 1) entries: two histograms of
/// n_buckets + 1, NaN last, to be summed; n < 2^32) and writes each value's bucket to `idx`
/// (n entries).
void scan_hist(const BucketMap& m, const double* x, std::size_t n, std::uint32_t* hist,
               std::uint16_t* idx);
/// Writes to `out` (room for n values) the values of x[0, n) whose bucket (idx, from
/// scan_hist) has a slot (slot[b] != 0; slot[n_buckets] = 0) and that differ from
/// rep[slot[b]], in row order; returns how many.
std::size_t scan_gather(const double* x, const std::uint16_t* idx, std::size_t n,
                        const std::uint16_t* slot, const double* rep, double* out);
/// Folds x[0, n) into min `mn`, max `mx` (NaN ignored), counts its infinities in `n_inf`, and
/// adds the exact sums of x and of the rounded squares (x - shift)^2 (NaN skipped) to `sum`
/// and `sumsq`: the same states as ExactSum::add of every term (vectorised: per chunk of 1024
/// values, the terms within 2^43 of the chunk's largest one go into three 32-bit fixed-point
/// slices per lane, the others one by one).
void scan_stats(const double* x, std::size_t n, double shift, double& mn, double& mx,
                std::int64_t& n_inf, ExactSum& sum, ExactSum& sumsq);
/// scan_stats() without min, max and infinities.
void exact_sums(const double* x, std::size_t n, double shift, ExactSum& sum, ExactSum& sumsq);
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

/// Counts the values of x[0, n) into the cells of `c`: into `scratch`, four interleaved
/// histograms of c.n_cells + 2 entries (the cells, missing values, a discard slot) to be summed
/// by the caller (n < 2^32); the values of buckets with three cuts or more are written to `out`
/// (room for n values) for the caller to place; returns how many.
std::size_t scan_cells(const CellCounter& c, const double* x, std::size_t n, std::uint32_t* scratch,
                       double* out);

/// The kernels in use: 0 portable, 1 AVX2, 2 AVX-512 (the best the CPU has, unless forced).
int scan_kernel_level();
/// Tests: use at most `level` (-1: the best the CPU has). Results never depend on it.
void force_scan_kernel_level(int level);

/// The kernels of one build (scan_kernel.cpp: portable; scan_kernel_avx2.cpp,
/// scan_kernel_avx512.cpp), picked at run time.
struct ScanKernels {
  void (*hist)(const BucketMap&, const double*, std::size_t, std::uint32_t*, std::uint16_t*);
  std::size_t (*cells)(const CellCounter&, const double*, std::size_t, std::uint32_t*, double*);
  std::size_t (*gather)(const double*, const std::uint16_t*, std::size_t, const std::uint16_t*,
                        const double*, double*);
  void (*stats)(const double*, std::size_t, double, double&, double&, std::int64_t&, ExactSum&,
                ExactSum&);
};
ScanKernels scan_kernels_avx2();
ScanKernels scan_kernels_avx512();

/// Size of the sorted sample that lays out a column's bucket map (BucketMap::from_sample).
constexpr std::size_t kMapSample = std::size_t{1} << 15;

/// Numeric columns from this many rows are selected (and, in a baseline's fit, counted) with
/// two passes over buckets (numeric_fit.hpp) instead of a copy.
constexpr std::size_t kRadixMinRows = std::size_t{1} << 16;

/// Exact quantiles (numpy linear) at `levels` in [0, 1] of the `n` non-NaN values (all finite,
/// n >= 1) among x[0, n_rows). Columns of kRadixMinRows rows or more are selected in two
/// passes over buckets laid out from `sample` (sorted_sample of the same data); otherwise, or
/// when that fails, the values are copied and selected in full.
std::vector<double> select_quantiles(const double* x, std::size_t n_rows, std::size_t n,
                                     const std::vector<double>& levels,
                                     const std::vector<double>& sample);
/// The same for a vector of finite values (not empty).
std::vector<double> select_quantiles(const std::vector<double>& v,
                                     const std::vector<double>& levels);

/// A deterministic sample: the non-NaN values among rows 0, k, 2k, ... of x[0, n_rows),
/// k = ceil(n_rows / max_size) (all of them for up to max_size rows), sorted.
std::vector<double> sorted_sample(const double* x, std::size_t n_rows, std::size_t max_size);

/// Edges from the values in `v` (finite, non-NaN); empty for empty `v`.
std::vector<double> edges_of(std::vector<double>& v, int bins, bool quantile);

/// The values of a numeric column as doubles (NaN = missing): the column's own memory for
/// float64, else converted into `buffer`.
const double* numeric_data(const data::Column& c, std::vector<double>& buffer, const char* caller);
/// Number of non-NaN values of x[0, c.size()).
/// @throws InvalidArgument naming `caller`, the column and the first row of an infinite value.
std::size_t check_finite(const data::Column& c, const double* x, const char* caller);

/// PSI / JS over count vectors (validated by the caller).
double psi_counts(const std::vector<std::int64_t>& r, const std::vector<std::int64_t>& c,
                  double epsilon);
double js_counts(const std::vector<std::int64_t>& r, const std::vector<std::int64_t>& c);

/// A required list of int64 counts >= 0. @throws SerializationError naming `where` and `key`.
std::vector<std::int64_t> json_to_counts(const Json& obj, const char* key,
                                         const std::string& where);

/// The binning names ("uniform" is numpy's and scikit-learn's word for equal width).
inline constexpr common::EnumName<Binning> kBinningNames[] = {{Binning::Quantile, "quantile"},
                                                              {Binning::EqualWidth, "equal_width"},
                                                              {Binning::EqualWidth, "uniform"}};

/// The feature kinds, as a baseline file writes them.
inline constexpr common::EnumName<FeatureKind> kFeatureKindNames[] = {
    {FeatureKind::Numeric, "numeric"}, {FeatureKind::Categorical, "categorical"}};

}  // namespace churn::monitor::detail
