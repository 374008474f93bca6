#pragma once
// Private to src/monitor: the state of one feature (or of the score) in a Baseline, shared by
// the fit (baseline_fit.cpp), the counting of a batch (baseline_accumulate.cpp), merge and
// compare (baseline.cpp) and the file form (feature_json.cpp).
//
// What a baseline holds, per feature:
// - numeric (float64, int64, timestamp in ns): the PSI bin edges, exact quantiles at
//   kSummaryLevels (numpy's default method), the KS points (exact quantiles too), integer
//   counts of the values on the cut points the edges and KS points define, the missing count,
//   min, max, and exact sums of the values and of `(x - shift)^2` (each square rounded to
//   double; `shift` is a median (of a sample, on large columns) fixed at fit, so the variance
//   does not cancel) for mean and std;
// - categorical (categorical, string): the count of every category seen (sorted by name) and
//   the missing count.
// Edges, quantiles and KS points are fixed by fit; everything else is an order-free exact
// accumulator (integer counts, exact sums, min/max, category counts), which is what makes
// merge exact.

#include <cstddef>  // std::size_t
#include <cstdint>  // std::int64_t
#include <limits>   // std::numeric_limits
#include <memory>   // std::unique_ptr, std::shared_ptr
#include <string>   // std::string
#include <vector>   // std::vector

#include "churn/core/json.hpp"
#include "churn/core/types.hpp"
#include "churn/data/table.hpp"
#include "churn/monitor/baseline.hpp"
#include "common/exact_sum.hpp"
#include "monitor/bucket_map.hpp"  // CellCounter
#include "monitor/cut_index.hpp"

namespace churn::monitor::detail {

/// Rows of one (column, row block) task of fit's passes and of accumulate.
inline constexpr Index kRowBlock = 1 << 18;

/// Levels of the exact summary quantiles.
inline constexpr double kSummaryLevels[] = {0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99};

/// The state of one feature (or of the score) in a baseline.
struct FeatureState {
  std::string name;
  data::DType dtype = data::DType::Float64;
  FeatureKind kind = FeatureKind::Numeric;
  bool present = true;       // false: the column was absent from the accumulated chunk
  std::int64_t n_rows = 0;   // rows counted
  std::int64_t missing = 0;  // missing rows (numeric; categorical keeps its own)

  // numeric: fixed by fit
  std::vector<double> edges;      // PSI bin edges e_0 < ... < e_m (empty: no reference value)
  std::vector<double> ks;         // KS points: sample quantiles at j / ks_points (empty with edges)
  std::vector<double> quantiles;  // exact quantiles at kSummaryLevels (empty with edges)
  // derived from edges and KS points
  std::vector<double> cuts;
  CutIndex index;
  std::shared_ptr<const CellCounter> counter;  // with 2 cuts or more
  std::vector<std::size_t> bin_of_cell;
  std::vector<std::size_t> ks_cell;  // values <= ks[j] are the cells 0..ks_cell[j]
  // numeric: accumulated
  std::vector<std::int64_t> cells;
  double min = std::numeric_limits<double>::infinity();
  double max = -std::numeric_limits<double>::infinity();
  double shift = 0;  // fixed at fit (the median): sumsq sums (x - shift)^2
  common::ExactSum sum, sumsq;

  // categorical: accumulated
  CategoryCounts cats;

  std::size_t n_bins() const { return edges.size() > 1 ? edges.size() - 1 : 1; }

  /// Derives the cuts (and their index, counter, bin_of_cell, ks_cell) from the edges and KS
  /// points, and zeroes the cells (feature_state.cpp).
  void prepare();
  /// Same bins, nothing counted.
  std::unique_ptr<FeatureState> empty_copy() const;
  /// The PSI-bin counts, then the missing count.
  std::vector<std::int64_t> bin_counts() const;

  std::int64_t values() const { return n_rows - missing; }

  std::int64_t out_of_range() const {
    if (edges.empty()) return values();
    return cells.front() + cells.back();
  }
};

/// Mean and sample std (ddof 1) of a numeric feature from its exact sums, in double-double
/// arithmetic (NaN without values; the std NaN with fewer than two or overflowing sums).
void mean_std(const FeatureState& s, double& mean, double& sd);

/// A feature's entry of a baseline file (the numeric or categorical members).
Json feature_to_json(const FeatureState& s);
/// Inverse of feature_to_json, checking the entry against `p` (edges <= bins + 1, ks_points + 1
/// KS points) and itself (counts, quantiles, min/max, mean/std agree).
/// @throws SerializationError naming `where`.
std::unique_ptr<FeatureState> feature_from_json(const Json& j, const BaselineParams& p,
                                                const std::string& where);

}  // namespace churn::monitor::detail
