#pragma once
/// @file quantile.hpp
/// numpy's default ("linear") quantile, its level grid and exact selection (never installed):
/// the one implementation behind data::describe, metrics::calibration_curve, the features
/// Clip and Bin steps and the monitor's edges and summaries. The arithmetic is numpy's, bit for
/// bit: virtual index (n - 1) q, then numpy's `_lerp`, which computes from the upper end when
/// the fraction is >= 0.5. There is no shortcut for equal neighbours, so infinite neighbours give
/// NaN as in `np.quantile` (`[inf, inf]` at 0.5 is NaN, `[-0.0, -0.0]` at 0.25 is +0.0).

#include <algorithm>  // std::min, std::max
#include <cmath>      // std::floor
#include <cstddef>    // std::size_t
#include <vector>     // std::vector

namespace churn::common {

/// The two ranks (positions in ascending order of `n` values, n >= 1) that numpy's linear
/// quantile at level `q` in [0, 1] reads: floor((n - 1) q) and the next one, both clamped to
/// [0, n - 1]. Kept apart from linear_quantile_lerp for selection without a full sort.
inline void linear_quantile_ranks(double q, std::size_t n, std::size_t& lo,
                                  std::size_t& hi) noexcept {
  const double pos = q * static_cast<double>(n - 1);
  lo = std::min(static_cast<std::size_t>(std::max(0.0, std::floor(pos))), n - 1);
  hi = std::min(lo + 1, n - 1);
}

/// numpy's linear quantile at level `q` of `n` values from `a` and `b`, the values at the ranks
/// linear_quantile_ranks gives: numpy's `_lerp(a, b, t)` with t the fraction of (n - 1) q.
/// NaN when a neighbour is infinite and the other one's weight is 0 or the neighbours are
/// opposite infinities, as numpy.
inline double linear_quantile_lerp(double q, std::size_t n, double a, double b) noexcept {
  const double pos = q * static_cast<double>(n - 1);
  const double t = pos - std::min(std::max(0.0, std::floor(pos)), static_cast<double>(n - 1));
  const double diff = b - a;
  return t >= 0.5 ? b - diff * (1.0 - t) : a + diff * t;
}

/// `np.quantile(x, q)` (method "linear") of `sorted` (ascending, no NaN) of `n` values; NaN when
/// n == 0.
double quantile_sorted(const double* sorted, std::size_t n, double q) noexcept;

/// quantile_sorted of a vector.
inline double quantile_sorted(const std::vector<double>& sorted, double q) noexcept {
  return quantile_sorted(sorted.data(), sorted.size(), q);
}

/// quantile_sorted at each of `levels` (sorted must not be empty).
std::vector<double> quantiles_sorted(const std::vector<double>& sorted,
                                     const std::vector<double>& levels);

/// `np.median` of `sorted` (ascending, no NaN, n >= 1): the middle value, or the mean
/// (a + b) / 2 of the two middle ones. Not the linear quantile at 0.5, which interpolates with
/// `_lerp` and may differ in the last bit.
inline double median_sorted(const double* sorted, std::size_t n) noexcept {
  const std::size_t h = n / 2;
  return n % 2 == 1 ? sorted[h] : (sorted[h - 1] + sorted[h]) / 2.0;
}

/// `np.linspace(0, 1, k + 1)` bit for bit (k >= 1): i * (1 / k), the last one exactly 1. Not
/// i / k, which differs in the last bit for some i (3 / 10 vs 3 * 0.1).
std::vector<double> linspace01(std::size_t k);

/// Partially sorts [first, last) so that the value of every rank in [ranks_first, ranks_last)
/// (ascending, distinct, each < last - first) is at its place, as a full sort would put it:
/// recursive std::nth_element, splitting the ranks in half each time.
void multi_select(double* first, double* last, const std::size_t* ranks_first,
                  const std::size_t* ranks_last);

}  // namespace churn::common
