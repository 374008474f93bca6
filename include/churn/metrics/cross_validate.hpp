#pragma once
/// @file cross_validate.hpp
/// Cross-validation of any churnlib classifier, metrics by name, and choosing the best of
/// several models by a named metric ("train several, keep the best").
///
/// A `Model` is any copyable type with
/// @code
/// model.fit(const RowMatrix& X_train, const Vector& y_train);   // return value ignored
/// Vector p = model.predict_proba(const RowMatrix& X_test);      // P(class 1), one per row
/// @endcode
/// (the convention of every churnlib classifier; Python wraps predict_proba to (n, 2)).

#include <string>       // std::string
#include <string_view>  // std::string_view
#include <vector>       // std::vector

#include "churn/core/error.hpp"
#include "churn/core/types.hpp"
#include "churn/metrics/split.hpp"

namespace churn::metrics {

/// The metric names score() knows: "roc_auc", "average_precision", "log_loss", "brier",
/// "accuracy", "precision", "recall", "f1", "ks" (thresholded ones at 0.5).
const std::vector<std::string>& metric_names();

/// True for metrics where higher is better; false for "log_loss" and "brier".
/// @throws InvalidArgument for an unknown name.
bool greater_is_better(std::string_view metric);

/// The metric `metric` (a name of metric_names()) of probabilities `p` against labels `y`.
/// @throws InvalidArgument for an unknown name and the errors of the metric itself.
double score(std::string_view metric, const VectorRef& y, const VectorRef& p,
             const VectorRef& sample_weight = Vector());

/// Scores of a cross-validation: one row per metric, one column per fold.
struct CrossValidationResult {
  std::vector<std::string> metrics;         ///< metric names, in the order asked
  std::vector<std::vector<double>> scores;  ///< scores[m][f]: metric m on fold f
  std::vector<double> mean;                 ///< mean over folds, per metric
  std::vector<double> std;                  ///< population standard deviation (ddof 0)

  /// The mean of `metric`. @throws InvalidArgument if it was not computed.
  double mean_of(std::string_view metric) const;
  /// Fills `mean` and `std` from `scores`.
  void summarize();
};

/// Index of the best result by the mean of `metric` (highest, or lowest for log_loss/brier);
/// the first one wins ties.
/// @throws InvalidArgument for an empty list or a metric missing from a result.
std::size_t select_best(const std::vector<CrossValidationResult>& results, std::string_view metric);

/// Checks metric names and folds against `n` rows. @throws InvalidArgument.
void check_cross_validate_args(Index n, const std::vector<Fold>& folds,
                               const std::vector<std::string>& metrics);

/// Rows `rows` of `X` (a copy).
RowMatrix take_rows(const RowMatrixRef& X, const std::vector<Index>& rows);
/// Entries `rows` of `v` (a copy).
Vector take_entries(const VectorRef& v, const std::vector<Index>& rows);

/// Cross-validates a copy of `prototype` on each fold: fit on the training rows, predict_proba
/// on the test rows, score each named metric.
/// @throws InvalidArgument for empty folds, indices out of range, unknown metric names, a
///         predict_proba of the wrong length, and whatever the model or a metric throws (e.g. a
///         test fold holding one class for "roc_auc").
/// @code
/// auto folds = churn::metrics::stratified_kfold(y, 5, true, 42);
/// auto cv = churn::metrics::cross_validate(churn::linear::LogisticRegression(), X, y, folds,
///                                          {"roc_auc", "log_loss"});
/// double auc = cv.mean_of("roc_auc");
/// @endcode
template <class Model>
CrossValidationResult cross_validate(const Model& prototype, const RowMatrixRef& X,
                                     const VectorRef& y, const std::vector<Fold>& folds,
                                     const std::vector<std::string>& metrics) {
  CHURN_CHECK(X.rows() == y.size(), InvalidArgument,
              "cross_validate(): X has " << X.rows() << " rows but y has " << y.size());
  check_cross_validate_args(y.size(), folds, metrics);
  CrossValidationResult r;
  r.metrics = metrics;
  r.scores.assign(metrics.size(), std::vector<double>(folds.size(), 0.0));
  for (std::size_t f = 0; f < folds.size(); ++f) {
    Model model = prototype;
    const RowMatrix X_train = take_rows(X, folds[f].train);
    const Vector y_train = take_entries(y, folds[f].train);
    model.fit(X_train, y_train);
    const RowMatrix X_test = take_rows(X, folds[f].test);
    const Vector y_test = take_entries(y, folds[f].test);
    const Vector p = model.predict_proba(X_test);
    CHURN_CHECK(p.size() == y_test.size(), InvalidArgument,
                "cross_validate(): predict_proba returned " << p.size() << " values for "
                                                            << y_test.size() << " rows");
    for (std::size_t m = 0; m < metrics.size(); ++m) r.scores[m][f] = score(metrics[m], y_test, p);
  }
  r.summarize();
  return r;
}

}  // namespace churn::metrics
