#pragma once
/// @file report.hpp
/// `churn::monitor::DriftReport`: per-feature drift statistics and statuses, the score's drift,
/// model performance per time window, and the alert records a caller routes.
///
/// A report comes from Baseline::compare() (drift) and DriftReport::add_performance()
/// (performance decay once labels arrive). Statuses follow the PSI thresholds:
/// `stable` < moderate (0.1) <= `moderate` < significant (0.25) <= `significant`; a feature of
/// the baseline that the current batch lacks has status `missing_column`.
///
/// Rows are sorted by severity: missing columns first, then significant, moderate and stable,
/// each by decreasing PSI, ties by name. A report weighted by the model's feature importance
/// (DriftReport::weight_by_importance) leads instead with the shifts that can move the score:
/// missing columns first, then by decreasing impact (PSI x importance share), ties by severity,
/// PSI and name.

#include <cstdint>   // std::uint8_t
#include <map>       // std::map
#include <optional>  // std::optional
#include <string>    // std::string
#include <vector>    // std::vector

#include "churn/core/json.hpp"
#include "churn/core/types.hpp"
#include "churn/monitor/alert.hpp"
#include "churn/monitor/estimate.hpp"
#include "churn/monitor/multivariate.hpp"

namespace churn::monitor {

/// How a feature is binned.
enum class FeatureKind : std::uint8_t {
  Numeric,     ///< float64, int64 or timestamp: bins over reference edges
  Categorical  ///< categorical or string: one bin per reference category + unseen + missing
};
/// "numeric" or "categorical".
const char* feature_kind_name(FeatureKind k);

/// Drift status of a feature (or of the score).
enum class DriftStatus : std::uint8_t { Stable, Moderate, Significant, MissingColumn };
/// "stable", "moderate", "significant" or "missing_column".
const char* drift_status_name(DriftStatus s);

/// The status of a PSI value under the thresholds (NaN counts as stable).
DriftStatus status_of(double psi, double moderate, double significant);

/// Drift statistics of one feature (see psi.hpp for their definitions). Statistics that do
/// not apply are NaN: KS and share_out_of_range for categorical features, everything for a
/// missing column.
struct FeatureDrift {
  std::string feature;                         ///< column name ("score" for the score row)
  FeatureKind kind = FeatureKind::Numeric;     ///< numeric or categorical
  double psi = 0;                              ///< population stability index
  double ks = 0;                               ///< KS statistic (numeric; on the KS points)
  double js = 0;                               ///< Jensen-Shannon distance
  double missing_rate_reference = 0;           ///< share of missing rows in the reference
  double missing_rate_current = 0;             ///< share of missing rows in the current batch
  double share_out_of_range = 0;               ///< share of current values outside [min, max]
  double share_unseen = 0;                     ///< share of current values in unseen categories
  std::vector<std::string> unseen_categories;  ///< current categories absent from the reference
  DriftStatus status = DriftStatus::Stable;    ///< from psi and the thresholds
  /// The feature's share of the model's importance (mean |SHAP| over the reference rows,
  /// normalised to sum to 1 over the features weighted); NaN until weight_by_importance().
  double importance = kMissing;
  /// psi x importance: the drift that can move the score; NaN until weight_by_importance().
  double impact = kMissing;
};

/// Model performance in one time window (labels that arrived later vs. the scores).
struct WindowPerformance {
  std::string window;     ///< the window's name
  Index n = 0;            ///< rows
  double churn_rate = 0;  ///< share of label 1
  double auc = 0;         ///< ROC-AUC (NaN when the window has one class only)
  double precision = 0;   ///< at the decision threshold
  double recall = 0;      ///< at the decision threshold (NaN without positives)
};

/// Thresholds of the performance checks; a check whose threshold is NaN is off.
struct PerformanceThresholds {
  /// An AUC below this is a significant alert (default 0.70).
  double min_auc = 0.70;
  /// A precision below this is a moderate alert (default off).
  double min_precision = kMissing;
  /// A recall below this is a moderate alert (default off).
  double min_recall = kMissing;
  /// A churn rate above this is a moderate alert (default off).
  double max_churn_rate = kMissing;
  /// @throws InvalidArgument naming a field outside [0, 1].
  void validate() const;
};

/// AUC, precision, recall and churn rate per time window.
/// @param labels one vector of 0/1 labels per window.
/// @param scores one vector of scores per window (same lengths as `labels`).
/// @param names window names (empty: "0", "1", ...).
/// @param threshold decision threshold of precision and recall, in [0, 1].
/// @param n_threads 0 = all cores.
/// @throws InvalidArgument for mismatched sizes, an empty window, labels other than 0/1,
///         non-finite scores or a threshold outside [0, 1]; the message names the window.
std::vector<WindowPerformance> performance_by_window(const std::vector<Vector>& labels,
                                                     const std::vector<Vector>& scores,
                                                     const std::vector<std::string>& names = {},
                                                     double threshold = 0.5, int n_threads = 0);

/// Thresholds a report was built with.
struct ReportThresholds {
  double moderate = 0.1;      ///< PSI at which a feature becomes `moderate`
  double significant = 0.25;  ///< PSI at which a feature becomes `significant`
  double score_alert = 0.2;   ///< PSI of the score above which an alert is raised
};

/// Drift of a batch against a baseline, plus optional performance per window.
/// @code
/// churn::monitor::DriftReport r = baseline.compare(last_week, last_week_scores);
/// for (const auto& a : r.alerts()) route(a.subject, a.metric, a.value, a.severity);
/// std::string text = r.to_json().dump(2);
/// @endcode
///
/// Thread safety: a value type; its const members may run concurrently.
class DriftReport {
 public:
  DriftReport() = default;
  /// A report from its rows (sorted here by severity).
  DriftReport(std::vector<FeatureDrift> features, std::optional<FeatureDrift> score,
              ReportThresholds thresholds, Index n_rows_reference, Index n_rows_current);

  /// Feature rows sorted by severity (see the file comment).
  const std::vector<FeatureDrift>& features() const { return features_; }
  /// The row of a feature. @throws InvalidArgument naming it if absent.
  const FeatureDrift& feature(const std::string& name) const;
  /// The score's row, when the baseline and the batch had scores.
  const std::optional<FeatureDrift>& score() const { return score_; }
  /// Share of compared features (missing columns excluded) whose status is moderate or
  /// significant; NaN when no feature was compared.
  double share_drifting() const;
  /// Number of baseline features missing from the batch.
  Index n_missing_columns() const;
  /// Rows in the reference and in the current batch.
  Index n_rows_reference() const { return n_rows_reference_; }
  Index n_rows_current() const { return n_rows_current_; }
  /// The thresholds.
  const ReportThresholds& thresholds() const { return thresholds_; }

  /// Weights each feature's drift by its importance to the model ("drift that matters"): sets
  /// FeatureDrift::importance to the feature's share of the total of `importance` (a feature
  /// not named gets 0) and FeatureDrift::impact to psi x share, and re-sorts the rows by impact
  /// (see the file comment). Statuses and alerts are unchanged. @return `*this`.
  /// @code
  /// report.weight_by_importance({{"tenure", 0.41}, {"monthly_charges", 0.22}});
  /// @endcode
  /// @throws InvalidArgument for a name that is not a feature of the report, a value that is
  ///         negative or not finite, or values that sum to 0 (naming the feature).
  DriftReport& weight_by_importance(const std::map<std::string, double>& importance);
  /// Whether weight_by_importance() was applied.
  bool weighted() const { return weighted_; }

  /// Adds performance per window, checked against `thresholds`. @return `*this`.
  /// @throws InvalidArgument if `thresholds` is invalid.
  DriftReport& add_performance(std::vector<WindowPerformance> windows,
                               PerformanceThresholds thresholds = {});
  /// The performance windows added.
  const std::vector<WindowPerformance>& performance() const { return performance_; }

  /// Adds the performance estimated before the labels (PerformanceEstimator::estimate()): its
  /// alerts join alerts(), its JSON the report's ("estimated_performance"). @return `*this`.
  DriftReport& set_estimated_performance(EstimatedPerformance estimate);
  /// The estimated performance, when set.
  const std::optional<EstimatedPerformance>& estimated_performance() const { return estimated_; }
  /// Adds the domain classifier's multivariate drift (domain_classifier_drift()); its alert
  /// joins alerts(), its JSON the report's ("domain_classifier"). @return `*this`.
  DriftReport& set_domain_classifier(DomainClassifierResult result);
  /// The domain classifier's result, when set.
  const std::optional<DomainClassifierResult>& domain_classifier() const {
    return domain_classifier_;
  }
  /// Adds the PCA reconstruction-error drift (PcaDrift::compare()); its alert joins alerts(),
  /// its JSON the report's ("reconstruction"). @return `*this`.
  DriftReport& set_reconstruction(PcaDriftResult result);
  /// The PCA reconstruction-error result, when set.
  const std::optional<PcaDriftResult>& reconstruction() const { return reconstruction_; }

  /// Alerts: a moderate or significant feature (threshold = the one it crossed), a missing
  /// column (significant), the score's PSI above `score_alert` (significant), the
  /// performance checks, then the alerts of the estimated performance, the domain classifier
  /// and the reconstruction error. Ordered: features (report order), score, windows,
  /// estimates, multivariate.
  std::vector<Alert> alerts() const;

  /// The whole report as JSON (NaN and infinities as the strings "nan", "inf", "-inf").
  Json to_json() const;

 private:
  std::vector<FeatureDrift> features_;
  std::optional<FeatureDrift> score_;
  ReportThresholds thresholds_;
  Index n_rows_reference_ = 0;
  Index n_rows_current_ = 0;
  bool weighted_ = false;
  std::vector<WindowPerformance> performance_;
  PerformanceThresholds performance_thresholds_;
  std::optional<EstimatedPerformance> estimated_;
  std::optional<DomainClassifierResult> domain_classifier_;
  std::optional<PcaDriftResult> reconstruction_;
};

}  // namespace churn::monitor
