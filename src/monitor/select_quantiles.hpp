#pragma once
// Private to src/monitor: exact (numpy linear) quantiles and bin edges of a numeric column
// without sorting it (select_quantiles.cpp; large columns through RadixFit, numeric_fit.hpp).

#include <cstddef>  // std::size_t
#include <vector>   // std::vector

namespace churn::monitor::detail {

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

}  // namespace churn::monitor::detail
