#pragma once
/// @file classification.hpp
/// Scalar metrics of a binary classifier: ranking (ROC-AUC, average precision, KS), probability
/// (log-loss, Brier) and thresholded (accuracy, precision, recall, F1, confusion matrix).
///
/// Conventions shared by every function here (and by curves.hpp and threshold.hpp):
/// - `y` holds labels 0.0 / 1.0 (1 = churned, the positive class); any other value is an error.
/// - `score` / `p` holds one score per row; ranking metrics accept any finite score, probability
///   metrics (log_loss, brier_score) require values in [0, 1].
/// - `sample_weight` is optional: an empty vector (the default) means every row has weight 1;
///   otherwise it has one finite, non-negative weight per row and a positive total.
/// - A thresholded prediction is `score >= threshold` (threshold in [0, 1], default 0.5).
/// - Results match scikit-learn (`sklearn.metrics`) to rounding; the tests compare to 1e-10.
/// - `n_threads`: 0 = all cores; results do not depend on it.
/// @throws InvalidArgument (every function) for empty input, mismatched lengths, NaN or infinite
///         scores, labels other than 0/1, negative/non-finite weights or a zero weight total.

#include "churn/core/types.hpp"

namespace churn::metrics {

/// Area under the ROC curve, ties handled exactly (a tied positive/negative pair counts 1/2:
/// the Mann-Whitney statistic with average ranks, equal to the trapezoid rule over distinct
/// thresholds). Sorts with a parallel LSD radix sort on the score bits: O(n).
/// @throws InvalidArgument also when `y` (with positive weight) holds only one class, where the
///         AUC is undefined.
/// @code
/// Vector y(4), s(4);
/// y << 0, 0, 1, 1;
/// s << 0.1, 0.4, 0.35, 0.8;
/// double auc = churn::metrics::roc_auc(y, s);  // 0.75
/// @endcode
double roc_auc(const VectorRef& y, const VectorRef& score,
               const VectorRef& sample_weight = Vector(), int n_threads = 0);

/// Average precision (area under the precision-recall curve as scikit-learn's step sum):
/// `AP = sum_k (R_k - R_{k-1}) P_k` over distinct thresholds in decreasing order.
/// @throws InvalidArgument also when there is no positive (AP undefined).
double average_precision(const VectorRef& y, const VectorRef& score,
                         const VectorRef& sample_weight = Vector(), int n_threads = 0);

/// The Kolmogorov-Smirnov statistic: `max_t |TPR(t) - FPR(t)|` over all thresholds, i.e. the
/// largest distance between the score distributions of churners and non-churners.
/// @throws InvalidArgument also when `y` holds only one class.
double ks_statistic(const VectorRef& y, const VectorRef& score,
                    const VectorRef& sample_weight = Vector(), int n_threads = 0);

/// Mean negative log-likelihood (natural log). As scikit-learn: probabilities are clipped to
/// `[eps, 1 - eps]` with `eps` = machine epsilon of double (2.22e-16), and a label-0 row
/// contributes `-log(clip(1 - p))`.
/// @throws InvalidArgument also for `p` outside [0, 1].
double log_loss(const VectorRef& y, const VectorRef& p, const VectorRef& sample_weight = Vector(),
                int n_threads = 0);

/// Mean squared difference between `p` and `y` (scikit-learn's `brier_score_loss`).
/// @throws InvalidArgument also for `p` outside [0, 1].
double brier_score(const VectorRef& y, const VectorRef& p,
                   const VectorRef& sample_weight = Vector(), int n_threads = 0);

/// The weighted 2x2 confusion matrix of the prediction `score >= threshold`.
struct ConfusionMatrix {
  double tn = 0;  ///< label 0, predicted 0
  double fp = 0;  ///< label 0, predicted 1
  double fn = 0;  ///< label 1, predicted 0
  double tp = 0;  ///< label 1, predicted 1
};

/// The confusion matrix at `threshold` (scikit-learn's layout: `[[tn, fp], [fn, tp]]`).
/// @throws InvalidArgument also for a threshold outside [0, 1].
ConfusionMatrix confusion_matrix(const VectorRef& y, const VectorRef& score, double threshold = 0.5,
                                 const VectorRef& sample_weight = Vector());

/// Fraction (weighted) of rows whose prediction `score >= threshold` equals the label.
double accuracy(const VectorRef& y, const VectorRef& score, double threshold = 0.5,
                const VectorRef& sample_weight = Vector());

/// `tp / (tp + fp)`; 0 when nothing is predicted positive (scikit-learn's zero_division).
double precision(const VectorRef& y, const VectorRef& score, double threshold = 0.5,
                 const VectorRef& sample_weight = Vector());

/// `tp / (tp + fn)`; 0 when there is no positive.
double recall(const VectorRef& y, const VectorRef& score, double threshold = 0.5,
              const VectorRef& sample_weight = Vector());

/// `2 tp / (2 tp + fp + fn)`; 0 when that is 0/0.
double f1(const VectorRef& y, const VectorRef& score, double threshold = 0.5,
          const VectorRef& sample_weight = Vector());

}  // namespace churn::metrics
