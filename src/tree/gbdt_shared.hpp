#pragma once
/// @file gbdt_shared.hpp
/// What GBDTClassifier's fit and prediction share (private to churnlib): row blocks, the
/// categorical-code check, and one boosting round's evaluation, so that fit's evals_result()
/// and evaluate_rounds() add the same sums in the same order.

#include <algorithm>  // std::min
#include <cmath>      // std::isnan, std::floor, std::isfinite, std::frexp, std::ldexp
#include <cstdint>    // std::uint8_t
#include <string>     // std::string
#include <vector>     // std::vector

#include "churn/core/error.hpp"
#include "churn/core/types.hpp"
#include "churn/tree/gbdt.hpp"
#include "churn/tree/tree.hpp"
#include "common/checks.hpp"

namespace churn::tree::detail {

/// Rows per block of the row loops of fit and evaluation.
inline constexpr Index kRowBlock = 8192;
/// Row loops over fewer rows than this run on one thread (see grower.cpp on barriers).
inline constexpr Index kSerialRows = Index{1} << 16;

/// `threads`, or 1 when `rows` is too few to be worth a parallel region.
inline int threads_for(Index rows, int threads) {
  return rows < kSerialRows ? 1 : threads;
}

/// 2^k with `total * 2^k < 2^bits`: the fixed-point scale of values whose absolute sum is
/// `total`.
inline double fixed_scale(double total, int bits) {
  if (!(total > 0) || !std::isfinite(total)) return 1.0;
  int e = 0;
  std::frexp(total, &e);                             // total = m * 2^e, m in [0.5, 1)
  return std::ldexp(1.0, std::min(bits - e, 1023));  // stays finite for tiny totals
}

/// Bits needed to hold the count `n`.
inline int bit_width(Index n) {
  int b = 1;
  while ((Index{1} << b) <= n) ++b;
  return b;
}

/// Largest categorical code accepted (exclusive).
inline constexpr double kCodeLimit = 2147483648.0;  // 2^31

/// @throws InvalidArgument naming the first categorical value that is not NaN or an integer
///         code in [0, 2^31).
template <class Features>
void check_codes(const Features& X, const std::vector<std::uint8_t>& is_cat,
                 const std::vector<std::string>& names, const char* caller, const char* what) {
  std::vector<Index> cats;
  for (Index j = 0; j < X.cols(); ++j)
    if (is_cat[static_cast<std::size_t>(j)]) cats.push_back(j);
  if (cats.empty()) return;
  const auto is_code = [](double v) {
    return v >= 0 && v < kCodeLimit && v == static_cast<double>(static_cast<std::int64_t>(v));
  };
  // Column by column (no branch per value) first; only a bad table is searched row by row.
  bool all_codes = true;
  for (const Index j : cats)
    for (Index i = 0; i < X.rows(); ++i) {
      const double v = X(i, j);
      all_codes &= std::isnan(v) || is_code(v);
    }
  if (all_codes) return;
  // Row by row; the first bad value in row order is reported.
  for (Index i = 0; i < X.rows(); ++i) {
    for (const Index j : cats) {
      const double v = X(i, j);
      if (std::isnan(v) || is_code(v)) continue;
      CHURN_THROW(InvalidArgument,
                  caller << ": " << what << " categorical " << common::column_label(j, names)
                         << " holds " << v << " at row " << i
                         << "; categorical values must be integer codes in [0, 2^31) or NaN");
    }
  }
}

/// Whether `y` holds both classes among the rows of positive weight (`w` empty: all rows).
bool has_both_classes(const VectorRef& y, const VectorRef& w);

/// One round of evaluation: adds `tree`'s predictions to `score` (the raw scores of the rows of
/// `X`) and returns `metric` of the new scores against `y` (weights `w`, or empty).
double add_tree_and_evaluate(const Tree& tree, const RowMatrixRef& X, const VectorRef& y,
                             const VectorRef& w, GBDTMetric metric, int threads, Vector& score);

}  // namespace churn::tree::detail
