#pragma once
/// @file threshold.hpp
/// Choosing a decision threshold: the one that maximises F1, or the one that maximises the
/// expected profit of a retention campaign. Input conventions as in classification.hpp.

#include "churn/core/types.hpp"

namespace churn::metrics {

/// A chosen threshold: target (predict churn for) the rows with `score >= threshold`.
struct ThresholdChoice {
  double threshold = 0;   ///< the chosen threshold (one of the scores, or +infinity)
  double value = 0;       ///< the F1 or the total profit reached at it
  double n_targeted = 0;  ///< rows (weight) with `score >= threshold`
};

/// The distinct score that, as a threshold, maximises F1 = 2 TP / (2 TP + FP + FN). Among equal
/// maxima the highest threshold (fewest targeted rows) wins.
/// @throws InvalidArgument when `y` has no positive, and the input errors of
///         classification.hpp.
ThresholdChoice best_f1_threshold(const VectorRef& y, const VectorRef& score,
                                  const VectorRef& sample_weight = Vector(), int n_threads = 0);

/// Economics of a retention offer.
struct ProfitParams {
  /// Value of a churner that the offer retains (e.g. margin over the remaining lifetime); >= 0.
  double value_retained = 1.0;
  /// Cost of making the offer to one customer, churner or not; >= 0.
  double offer_cost = 0.1;
  /// Probability that the offer retains a churner; in [0, 1].
  double success_rate = 1.0;
  /// @throws InvalidArgument naming the field whose value is outside its range.
  void validate() const;
};

/// The threshold that maximises the expected profit of targeting every row with
/// `score >= threshold`:
///
///     profit(t) = sum over targeted rows i of w_i * (success_rate * y_i * value_retained
///                                                    - offer_cost)
///
/// evaluated at every distinct score. Targeting nobody (threshold +infinity, profit 0) is also a
/// candidate, so the result never loses money; among equal maxima the highest threshold wins.
/// @throws InvalidArgument for invalid `params` and the input errors of classification.hpp.
ThresholdChoice best_profit_threshold(const VectorRef& y, const VectorRef& score,
                                      const ProfitParams& params = ProfitParams(),
                                      const VectorRef& sample_weight = Vector(), int n_threads = 0);

}  // namespace churn::metrics
