// Metrics by name, cross-validation helpers and model selection (see cross_validate.hpp).
#include "churn/metrics/cross_validate.hpp"

#include <cmath>  // std::sqrt

#include "churn/metrics/classification.hpp"

namespace churn::metrics {

const std::vector<std::string>& metric_names() {
  static const std::vector<std::string> names{"roc_auc",  "average_precision", "log_loss", "brier",
                                              "accuracy", "precision",         "recall",   "f1",
                                              "ks"};
  return names;
}

namespace {

void check_metric(std::string_view metric) {
  for (const auto& n : metric_names()) {
    if (n == metric) return;
  }
  std::string known;
  for (const auto& n : metric_names()) known += (known.empty() ? "" : ", ") + n;
  CHURN_THROW(InvalidArgument,
              "unknown metric '" << std::string(metric) << "' (known: " << known << ")");
}

}  // namespace

bool greater_is_better(std::string_view metric) {
  check_metric(metric);
  return !(metric == "log_loss" || metric == "brier");
}

double score(std::string_view metric, const VectorRef& y, const VectorRef& p,
             const VectorRef& sample_weight) {
  check_metric(metric);
  if (metric == "roc_auc") return roc_auc(y, p, sample_weight);
  if (metric == "average_precision") return average_precision(y, p, sample_weight);
  if (metric == "log_loss") return log_loss(y, p, sample_weight);
  if (metric == "brier") return brier_score(y, p, sample_weight);
  if (metric == "accuracy") return accuracy(y, p, 0.5, sample_weight);
  if (metric == "precision") return precision(y, p, 0.5, sample_weight);
  if (metric == "recall") return recall(y, p, 0.5, sample_weight);
  if (metric == "f1") return f1(y, p, 0.5, sample_weight);
  return ks_statistic(y, p, sample_weight);
}

double CrossValidationResult::mean_of(std::string_view metric) const {
  for (std::size_t m = 0; m < metrics.size(); ++m) {
    if (metrics[m] == metric && m < mean.size()) return mean[m];
  }
  CHURN_THROW(InvalidArgument, "CrossValidationResult::mean_of(): metric '"
                                   << std::string(metric) << "' was not computed");
}

void CrossValidationResult::summarize() {
  mean.assign(scores.size(), 0.0);
  std.assign(scores.size(), 0.0);
  for (std::size_t m = 0; m < scores.size(); ++m) {
    const auto& s = scores[m];
    if (s.empty()) continue;
    double sum = 0;
    for (double v : s) sum += v;
    const double mu = sum / static_cast<double>(s.size());
    double ss = 0;
    for (double v : s) ss += (v - mu) * (v - mu);
    mean[m] = mu;
    std[m] = std::sqrt(ss / static_cast<double>(s.size()));
  }
}

std::size_t select_best(const std::vector<CrossValidationResult>& results,
                        std::string_view metric) {
  CHURN_CHECK(!results.empty(), InvalidArgument, "select_best(): no results to choose from");
  const bool higher = greater_is_better(metric);
  std::size_t best = 0;
  double best_value = results[0].mean_of(metric);
  for (std::size_t i = 1; i < results.size(); ++i) {
    const double v = results[i].mean_of(metric);
    if (higher ? v > best_value : v < best_value) {
      best = i;
      best_value = v;
    }
  }
  return best;
}

void check_cross_validate_args(Index n, const std::vector<Fold>& folds,
                               const std::vector<std::string>& metrics) {
  CHURN_CHECK(!folds.empty(), InvalidArgument, "cross_validate(): no folds");
  CHURN_CHECK(!metrics.empty(), InvalidArgument, "cross_validate(): no metrics");
  for (const auto& m : metrics) check_metric(m);
  for (std::size_t f = 0; f < folds.size(); ++f) {
    CHURN_CHECK(!folds[f].train.empty() && !folds[f].test.empty(), InvalidArgument,
                "cross_validate(): fold " << f << " has an empty train or test set");
    for (const auto* rows : {&folds[f].train, &folds[f].test}) {
      for (Index r : *rows) {
        CHURN_CHECK(
            r >= 0 && r < n, InvalidArgument,
            "cross_validate(): fold " << f << " holds row " << r << ", outside [0, " << n << ")");
      }
    }
  }
}

RowMatrix take_rows(const RowMatrixRef& X, const std::vector<Index>& rows) {
  RowMatrix out(static_cast<Index>(rows.size()), X.cols());
  for (std::size_t i = 0; i < rows.size(); ++i) out.row(static_cast<Index>(i)) = X.row(rows[i]);
  return out;
}

Vector take_entries(const VectorRef& v, const std::vector<Index>& rows) {
  Vector out(static_cast<Index>(rows.size()));
  for (std::size_t i = 0; i < rows.size(); ++i) out[static_cast<Index>(i)] = v[rows[i]];
  return out;
}

}  // namespace churn::metrics
