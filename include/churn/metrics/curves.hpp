#pragma once
/// @file curves.hpp
/// Curves and tables of a binary classifier: ROC, precision-recall, lift (gains) table and
/// calibration (reliability) curve. Input conventions as in classification.hpp.

#include <string_view>  // std::string_view

#include "churn/core/types.hpp"

namespace churn::metrics {

/// Points of the ROC curve, by decreasing threshold (scikit-learn's `roc_curve`).
struct RocCurve {
  Vector fpr;         ///< false positive rate at each threshold, from 0 to 1
  Vector tpr;         ///< true positive rate at each threshold, from 0 to 1
  Vector thresholds;  ///< the thresholds (predict `score >= t`); the first is +infinity
};

/// The ROC curve: one point per distinct score plus (0, 0) at threshold +infinity. With
/// `drop_intermediate` (scikit-learn's default), points collinear with their neighbours are
/// dropped exactly as scikit-learn does, giving the same arrays.
/// @throws InvalidArgument as roc_auc(), including for a single-class `y`.
RocCurve roc_curve(const VectorRef& y, const VectorRef& score,
                   const VectorRef& sample_weight = Vector(), bool drop_intermediate = true,
                   int n_threads = 0);

/// Points of the precision-recall curve (scikit-learn's `precision_recall_curve`).
struct PrecisionRecallCurve {
  Vector precision;   ///< by increasing threshold, then a final 1
  Vector recall;      ///< by increasing threshold (decreasing recall), then a final 0
  Vector thresholds;  ///< increasing distinct scores (one fewer than precision)
};

/// The precision-recall curve, same points as scikit-learn (`drop_intermediate` default false).
/// @throws InvalidArgument as average_precision(), including when `y` has no positive.
PrecisionRecallCurve precision_recall_curve(const VectorRef& y, const VectorRef& score,
                                            const VectorRef& sample_weight = Vector(),
                                            bool drop_intermediate = false, int n_threads = 0);

/// A lift (gains) table: rows ranked by descending score and cut into `n_bins` groups of
/// equal size (deciles for 10); one entry per bin, bin 0 holding the highest scores.
///
/// Ties at bin boundaries: rows are ordered by descending score and, among equal scores, by row
/// position; bin `b` holds the ranked rows `[floor(b n / n_bins), floor((b + 1) n / n_bins))`.
/// So every bin has `n / n_bins` rows (+-1), and a group of equal scores that straddles a
/// boundary is split in row order. The result is deterministic.
struct LiftTable {
  Int64Vector customers;        ///< rows in the bin
  Vector churners;              ///< rows with label 1 in the bin
  Vector churn_rate;            ///< churners / customers
  Vector lift;                  ///< churn_rate / overall churn rate
  Vector cumulative_customers;  ///< customers in this and all higher bins
  Vector cumulative_churners;   ///< churners in this and all higher bins
  Vector cumulative_gain;       ///< cumulative_churners / all churners
  Vector cumulative_lift;       ///< cumulative churn rate / overall churn rate
  Vector min_score;             ///< lowest score in the bin
  Vector max_score;             ///< highest score in the bin
};

/// The lift table of `score` (any finite score) against labels `y`.
/// @throws InvalidArgument for `n_bins` < 1 or > the number of rows, for a `y` without churners
///         (lift undefined) and for the input errors of classification.hpp.
LiftTable lift_table(const VectorRef& y, const VectorRef& score, Index n_bins = 10);

/// How calibration_curve() places its bins.
enum class BinStrategy {
  Uniform,   ///< `n_bins` equal-width bins on [0, 1]
  Quantile,  ///< edges at the quantiles of `p` (numpy's "linear" percentile), equal counts
};

/// "uniform" or "quantile". @throws InvalidArgument for any other name.
BinStrategy bin_strategy_from_name(std::string_view name);

/// The calibration (reliability) curve, over the non-empty bins only (scikit-learn's
/// `calibration_curve`).
struct CalibrationCurve {
  Vector prob_true;   ///< fraction of label 1 in each non-empty bin
  Vector prob_pred;   ///< mean predicted probability in each non-empty bin
  Int64Vector count;  ///< rows in each non-empty bin
  Vector bin_edges;   ///< all `n_bins + 1` edges (a row goes to the bin whose inner edges are
                      ///< strictly below it: numpy.searchsorted(edges[1:-1], p, "left"))
};

/// The most bins calibration_curve takes: its `n_bins + 1` edges are allocated up front, so a
/// huge `n_bins` would end in bad_alloc rather than an error naming it.
inline constexpr Index kMaxCalibrationBins = 1000000;

/// The calibration curve of probabilities `p` (in [0, 1]) against labels `y`.
/// @throws InvalidArgument for `n_bins` outside [1, kMaxCalibrationBins] and the input errors
///         of classification.hpp.
CalibrationCurve calibration_curve(const VectorRef& y, const VectorRef& p, Index n_bins = 5,
                                   BinStrategy strategy = BinStrategy::Uniform);

}  // namespace churn::metrics
