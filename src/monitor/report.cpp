#include "churn/monitor/report.hpp"

#include <algorithm>  // std::stable_sort, std::any_of
#include <cmath>      // std::isnan, std::isfinite
#include <limits>     // std::numeric_limits
#include <utility>    // std::move

#include "churn/core/error.hpp"
#include "churn/metrics/classification.hpp"
#include "common/checks.hpp"
#include "common/json.hpp"
#include "monitor/state_json.hpp"  // kFeatureKindNames

namespace churn::monitor {

using common::json_from_double;

namespace {

constexpr common::EnumName<DriftStatus> kDriftStatusNames[] = {
    {DriftStatus::Stable, "stable"},
    {DriftStatus::Moderate, "moderate"},
    {DriftStatus::Significant, "significant"},
    {DriftStatus::MissingColumn, "missing_column"}};

constexpr common::EnumName<Severity> kSeverityNames[] = {{Severity::Moderate, "moderate"},
                                                         {Severity::Significant, "significant"}};

}  // namespace

const char* feature_kind_name(FeatureKind k) {
  return common::enum_name(detail::kFeatureKindNames, k);
}

const char* drift_status_name(DriftStatus s) {
  return common::enum_name(kDriftStatusNames, s);
}

const char* severity_name(Severity s) {
  return common::enum_name(kSeverityNames, s);
}

DriftStatus status_of(double psi, double moderate, double significant) {
  if (psi >= significant) return DriftStatus::Significant;
  if (psi >= moderate) return DriftStatus::Moderate;
  return DriftStatus::Stable;
}

// ---- performance ------------------------------------------------------------------------------

void PerformanceThresholds::validate() const {
  auto check = [](double v, const char* field) {
    CHURN_CHECK(std::isnan(v) || (v >= 0.0 && v <= 1.0), InvalidArgument,
                "PerformanceThresholds: " << field << " must be in [0, 1] or NaN (off), got " << v);
  };
  check(min_auc, "min_auc");
  check(min_precision, "min_precision");
  check(min_recall, "min_recall");
  check(max_churn_rate, "max_churn_rate");
}

std::vector<WindowPerformance> performance_by_window(const std::vector<Vector>& labels,
                                                     const std::vector<Vector>& scores,
                                                     const std::vector<std::string>& names,
                                                     double threshold, int n_threads) {
  const char* caller = "performance_by_window()";
  CHURN_CHECK(labels.size() == scores.size(), InvalidArgument,
              caller << ": " << labels.size() << " label windows but " << scores.size()
                     << " score windows");
  CHURN_CHECK(names.empty() || names.size() == labels.size(), InvalidArgument,
              caller << ": " << names.size() << " names for " << labels.size() << " windows");
  CHURN_CHECK(threshold >= 0.0 && threshold <= 1.0, InvalidArgument,
              caller << ": threshold must be in [0, 1], got " << threshold);
  std::vector<WindowPerformance> out;
  for (std::size_t w = 0; w < labels.size(); ++w) {
    WindowPerformance p;
    p.window = names.empty() ? std::to_string(w) : names[w];
    const Vector& y = labels[w];
    const Vector& s = scores[w];
    CHURN_CHECK(y.size() == s.size(), InvalidArgument,
                caller << ": window '" << p.window << "' has " << y.size() << " labels but "
                       << s.size() << " scores");
    CHURN_CHECK(y.size() > 0, InvalidArgument, caller << ": window '" << p.window << "' is empty");
    const std::string where = std::string(caller) + ": window '" + p.window + "'";
    const Index pos = common::check_binary_labels(y, where, "labels", false, n_threads);
    common::check_finite_vector(s, where, "scores", false, n_threads);
    p.n = y.size();
    p.churn_rate = static_cast<double>(pos) / static_cast<double>(p.n);
    const double nan = std::numeric_limits<double>::quiet_NaN();
    p.auc = (pos > 0 && pos < p.n) ? metrics::roc_auc(y, s, Vector(), n_threads) : nan;
    // precision and recall threshold the score (scores outside [0, 1] still compare). Precision
    // is metrics::precision (0 when nothing is predicted positive, as scikit-learn's
    // zero_division); recall is NaN, not metrics::recall's 0, for a window without churners:
    // there is nothing to recall, and a NaN recall raises no min_recall alert.
    const metrics::ConfusionMatrix c = metrics::confusion_matrix(y, s, threshold);
    p.precision = c.tp + c.fp > 0 ? c.tp / (c.tp + c.fp) : 0.0;
    p.recall = pos > 0 ? c.tp / (c.tp + c.fn) : nan;
    out.push_back(std::move(p));
  }
  return out;
}

// ---- DriftReport ------------------------------------------------------------------------------

namespace {

int severity_rank(DriftStatus s) {
  switch (s) {
    case DriftStatus::MissingColumn: return 0;
    case DriftStatus::Significant: return 1;
    case DriftStatus::Moderate: return 2;
    case DriftStatus::Stable: return 3;
  }
  return 4;
}

Json drift_json(const FeatureDrift& d) {
  return Json{{"feature", d.feature},
              {"kind", feature_kind_name(d.kind)},
              {"status", drift_status_name(d.status)},
              {"psi", json_from_double(d.psi)},
              {"ks", json_from_double(d.ks)},
              {"js", json_from_double(d.js)},
              {"missing_rate_reference", json_from_double(d.missing_rate_reference)},
              {"missing_rate_current", json_from_double(d.missing_rate_current)},
              {"share_out_of_range", json_from_double(d.share_out_of_range)},
              {"share_unseen", json_from_double(d.share_unseen)},
              {"unseen_categories", d.unseen_categories},
              {"importance", json_from_double(d.importance)},
              {"impact", json_from_double(d.impact)}};
}

/// Severity order (missing columns, significant, moderate, stable), then decreasing `key`
/// (NaN last), then name; `by_impact` puts impact before severity (missing columns first).
bool drift_before(const FeatureDrift& a, const FeatureDrift& b, bool by_impact) {
  const int ra = severity_rank(a.status), rb = severity_rank(b.status);
  const auto decreasing = [](double x, double y, bool& decided) {
    const bool nx = std::isnan(x), ny = std::isnan(y);
    decided = nx != ny || (!nx && x != y);
    return nx != ny ? ny : x > y;
  };
  bool decided = false;
  if (by_impact) {
    const bool ma = a.status == DriftStatus::MissingColumn;
    const bool mb = b.status == DriftStatus::MissingColumn;
    if (ma != mb) return ma;
    const bool before = decreasing(a.impact, b.impact, decided);
    if (decided) return before;
  }
  if (ra != rb) return ra < rb;
  const bool before = decreasing(a.psi, b.psi, decided);
  if (decided) return before;
  return a.feature < b.feature;
}

}  // namespace

DriftReport::DriftReport(std::vector<FeatureDrift> features, std::optional<FeatureDrift> score,
                         ReportThresholds thresholds, Index n_rows_reference, Index n_rows_current)
    : features_(std::move(features)),
      score_(std::move(score)),
      thresholds_(thresholds),
      n_rows_reference_(n_rows_reference),
      n_rows_current_(n_rows_current) {
  std::stable_sort(
      features_.begin(), features_.end(),
      [](const FeatureDrift& a, const FeatureDrift& b) { return drift_before(a, b, false); });
}

DriftReport& DriftReport::weight_by_importance(const std::map<std::string, double>& importance) {
  const char* caller = "DriftReport::weight_by_importance()";
  double total = 0.0;
  for (const auto& entry : importance) {
    const std::string& name = entry.first;  // (a structured binding: not capturable in C++17)
    const double value = entry.second;
    const bool known = std::any_of(features_.begin(), features_.end(),
                                   [&name](const FeatureDrift& f) { return f.feature == name; });
    CHURN_CHECK(known, InvalidArgument,
                caller << ": '" << name << "' is not a feature of the report");
    CHURN_CHECK(
        std::isfinite(value) && value >= 0.0, InvalidArgument,
        caller << ": the importance of '" << name << "' must be finite and >= 0, got " << value);
    total += value;
  }
  CHURN_CHECK(total > 0.0 && std::isfinite(total), InvalidArgument,
              caller << ": the importances must have a positive, finite sum, got " << total);
  for (auto& f : features_) {
    const auto it = importance.find(f.feature);
    f.importance = it == importance.end() ? 0.0 : it->second / total;
    f.impact = f.psi * f.importance;
  }
  weighted_ = true;
  std::stable_sort(
      features_.begin(), features_.end(),
      [](const FeatureDrift& a, const FeatureDrift& b) { return drift_before(a, b, true); });
  return *this;
}

const FeatureDrift& DriftReport::feature(const std::string& name) const {
  for (const auto& f : features_)
    if (f.feature == name) return f;
  CHURN_THROW(InvalidArgument, "DriftReport::feature(): no feature '" << name << "'");
}

double DriftReport::share_drifting() const {
  Index compared = 0, drifting = 0;
  for (const auto& f : features_) {
    if (f.status == DriftStatus::MissingColumn) continue;
    ++compared;
    drifting += (f.status == DriftStatus::Moderate || f.status == DriftStatus::Significant) ? 1 : 0;
  }
  return compared > 0 ? static_cast<double>(drifting) / static_cast<double>(compared)
                      : std::numeric_limits<double>::quiet_NaN();
}

Index DriftReport::n_missing_columns() const {
  Index n = 0;
  for (const auto& f : features_) n += f.status == DriftStatus::MissingColumn ? 1 : 0;
  return n;
}

DriftReport& DriftReport::add_performance(std::vector<WindowPerformance> windows,
                                          PerformanceThresholds thresholds) {
  thresholds.validate();
  performance_ = std::move(windows);
  performance_thresholds_ = thresholds;
  return *this;
}

DriftReport& DriftReport::set_estimated_performance(EstimatedPerformance estimate) {
  estimated_ = std::move(estimate);
  return *this;
}

DriftReport& DriftReport::set_domain_classifier(DomainClassifierResult result) {
  domain_classifier_ = std::move(result);
  return *this;
}

DriftReport& DriftReport::set_reconstruction(PcaDriftResult result) {
  reconstruction_ = std::move(result);
  return *this;
}

std::vector<Alert> DriftReport::alerts() const {
  std::vector<Alert> out;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (const auto& f : features_) {
    switch (f.status) {
      case DriftStatus::MissingColumn:
        out.push_back({f.feature, "missing_column", nan, nan, Severity::Significant});
        break;
      case DriftStatus::Significant:
        out.push_back({f.feature, "psi", f.psi, thresholds_.significant, Severity::Significant});
        break;
      case DriftStatus::Moderate:
        out.push_back({f.feature, "psi", f.psi, thresholds_.moderate, Severity::Moderate});
        break;
      case DriftStatus::Stable: break;
    }
  }
  if (score_ && score_->psi > thresholds_.score_alert)
    out.push_back({"score", "psi", score_->psi, thresholds_.score_alert, Severity::Significant});
  const PerformanceThresholds& t = performance_thresholds_;
  for (const auto& w : performance_) {
    if (!std::isnan(t.min_auc) && w.auc < t.min_auc)
      out.push_back({w.window, "auc", w.auc, t.min_auc, Severity::Significant});
    if (!std::isnan(t.min_precision) && w.precision < t.min_precision)
      out.push_back({w.window, "precision", w.precision, t.min_precision, Severity::Moderate});
    if (!std::isnan(t.min_recall) && w.recall < t.min_recall)
      out.push_back({w.window, "recall", w.recall, t.min_recall, Severity::Moderate});
    if (!std::isnan(t.max_churn_rate) && w.churn_rate > t.max_churn_rate)
      out.push_back({w.window, "churn_rate", w.churn_rate, t.max_churn_rate, Severity::Moderate});
  }
  const auto append = [&out](const std::vector<Alert>& more) {
    out.insert(out.end(), more.begin(), more.end());
  };
  if (estimated_) append(estimated_->alerts());
  if (domain_classifier_) append(domain_classifier_->alerts());
  if (reconstruction_) append(reconstruction_->alerts());
  return out;
}

Json DriftReport::to_json() const {
  Json features = Json::array();
  for (const auto& f : features_) features.push_back(drift_json(f));
  Json perf = Json::array();
  for (const auto& w : performance_)
    perf.push_back(Json{{"window", w.window},
                        {"n", w.n},
                        {"churn_rate", json_from_double(w.churn_rate)},
                        {"auc", json_from_double(w.auc)},
                        {"precision", json_from_double(w.precision)},
                        {"recall", json_from_double(w.recall)}});
  Json alert_list = Json::array();
  for (const auto& a : alerts())
    alert_list.push_back(Json{{"subject", a.subject},
                              {"metric", a.metric},
                              {"value", json_from_double(a.value)},
                              {"threshold", json_from_double(a.threshold)},
                              {"severity", severity_name(a.severity)}});
  const PerformanceThresholds& t = performance_thresholds_;
  return Json{
      {"n_rows_reference", n_rows_reference_},
      {"n_rows_current", n_rows_current_},
      {"share_drifting", json_from_double(share_drifting())},
      {"n_missing_columns", n_missing_columns()},
      {"weighted_by_importance", weighted_},
      {"thresholds", Json{{"moderate", thresholds_.moderate},
                          {"significant", thresholds_.significant},
                          {"score_alert", thresholds_.score_alert},
                          {"min_auc", json_from_double(t.min_auc)},
                          {"min_precision", json_from_double(t.min_precision)},
                          {"min_recall", json_from_double(t.min_recall)},
                          {"max_churn_rate", json_from_double(t.max_churn_rate)}}},
      {"features", features},
      {"score", score_ ? drift_json(*score_) : Json(nullptr)},
      {"performance", perf},
      {"estimated_performance", estimated_ ? estimated_->to_json() : Json(nullptr)},
      {"domain_classifier", domain_classifier_ ? domain_classifier_->to_json() : Json(nullptr)},
      {"reconstruction", reconstruction_ ? reconstruction_->to_json() : Json(nullptr)},
      {"alerts", alert_list}};
}

}  // namespace churn::monitor
