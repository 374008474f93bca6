// The alert sources (risk, drift, model quality), their parameters and the alert ids.
#include "churn/retention/alerts.hpp"

#include <cmath>    // std::isnan, std::isinf, std::isfinite
#include <cstdio>   // std::snprintf
#include <sstream>  // std::ostringstream
#include <string>   // std::string, std::to_string
#include <utility>  // std::move

#include "churn/core/error.hpp"
#include "churn/core/types.hpp"
#include "churn/metrics/classification.hpp"
#include "common/checks.hpp"
#include "common/enum_names.hpp"
#include "common/flat_index.hpp"
#include "common/params.hpp"
#include "common/sha256.hpp"
#include "retention/alerts_impl.hpp"

namespace churn::retention {

namespace {

constexpr common::EnumName<Severity> kSeverityNames[] = {
    {Severity::Info, "info"}, {Severity::Warning, "warning"}, {Severity::Critical, "critical"}};

/// Severity fields read and written by name in visit_params.
Severity parse_severity(const std::string& name) {
  return severity_from_name(name, "");
}

/// Every parameter of each struct, once: the list to_json and from_options use.
template <class P, class F>
void visit_risk(P& p, F&& f) {
  f("threshold", p.threshold);
  f("jump", p.jump);
  f("threshold_severity", p.threshold_severity, severity_name, parse_severity);
  f("jump_severity", p.jump_severity, severity_name, parse_severity);
}
template <class P, class F>
void visit_drift(P& p, F&& f) {
  f("psi_warning", p.psi_warning);
  f("psi_critical", p.psi_critical);
  f("include_score", p.include_score);
}
template <class P, class F>
void visit_quality(P& p, F&& f) {
  f("min_auc", p.min_auc);
  f("min_precision", p.min_precision);
  f("min_recall", p.min_recall);
  f("threshold", p.threshold);
  f("subject", p.subject);
  f("auc_severity", p.auc_severity, severity_name, parse_severity);
  f("precision_severity", p.precision_severity, severity_name, parse_severity);
  f("recall_severity", p.recall_severity, severity_name, parse_severity);
}
constexpr auto kVisitRisk = [](auto& p, auto& f) { visit_risk(p, f); };
constexpr auto kVisitDrift = [](auto& p, auto& f) { visit_drift(p, f); };
constexpr auto kVisitQuality = [](auto& p, auto& f) { visit_quality(p, f); };

/// A minimum that is NaN (off) or in [0, 1].
void check_unit_or_off(double v, const char* field) {
  CHURN_CHECK(std::isnan(v) || (v >= 0 && v <= 1), InvalidArgument,
              "QualityAlertParams: " << field << " must be in [0, 1] or NaN (off), got " << v);
}

/// Checks `ids`: one per score, none empty, none repeated.
void check_ids(const std::vector<std::string>& ids, Index n, const char* what) {
  CHURN_CHECK(static_cast<Index>(ids.size()) == n, InvalidArgument,
              "risk_alerts(): " << what << " has " << ids.size() << " ids for " << n << " scores");
  for (std::size_t i = 0; i < ids.size(); ++i)
    CHURN_CHECK(!ids[i].empty(), InvalidArgument,
                "risk_alerts(): " << what << " holds an empty id at row " << i);
}

/// The rows of `ids` by id (an open-addressing index: ids are many, std::unordered_map's node
/// per id would dominate the run time). @throws InvalidArgument naming `what` for a repeated id.
common::FlatIndex<std::string_view> index_ids(const std::vector<std::string>& ids,
                                              const char* what) {
  common::FlatIndex<std::string_view> index(ids.size());
  for (std::size_t i = 0; i < ids.size(); ++i) {
    const std::int32_t row = index.insert(ids[i]);
    CHURN_CHECK(static_cast<std::size_t>(row) == i, InvalidArgument,
                "risk_alerts(): " << what << " must be distinct, '" << ids[i]
                                  << "' appears at rows " << row << " and " << i);
  }
  return index;
}

/// The crossing alert of one customer (`previous` NaN: a new customer). The reasons of the
/// per-customer alerts are built by concatenation: there may be a million of them.
Alert crossing_alert(const std::string& id, double current, double previous,
                     const RiskAlertParams& p, std::int64_t timestamp) {
  using detail::format_number;
  std::string why = "Customer " + id + "'s churn score " + format_number(current) +
                    " reached the risk threshold " + format_number(p.threshold);
  why += std::isnan(previous) ? std::string(" (no previous score).")
                              : " (previous score " + format_number(previous) + ").";
  return detail::make_alert("risk_threshold", id, "score", current, p.threshold,
                            p.threshold_severity, std::move(why), timestamp);
}

/// The jump alert of one customer.
Alert jump_alert(const std::string& id, double current, double previous, const RiskAlertParams& p,
                 std::int64_t timestamp) {
  using detail::format_number;
  const double change = current - previous;
  std::string why = "Customer " + id + "'s churn score rose by " + format_number(change) +
                    " since the previous run (" + format_number(previous) + " -> " +
                    format_number(current) + "), more than " + format_number(p.jump) + ".";
  return detail::make_alert("risk_jump", id, "score_change", change, p.jump, p.jump_severity,
                            std::move(why), timestamp);
}

/// The drift alert of one feature (or the score, `is_score`) with a finite or infinite PSI.
void add_psi_alert(std::vector<Alert>& out, const std::string& name, double psi, bool is_score,
                   const DriftAlertParams& p, std::int64_t timestamp) {
  if (std::isnan(psi) || psi < p.psi_warning) return;
  const bool critical = psi >= p.psi_critical;
  const double threshold = critical ? p.psi_critical : p.psi_warning;
  std::ostringstream why;
  if (is_score)
    why << "The model score's distribution drifted: PSI ";
  else
    why << "Feature '" << name << "' drifted: PSI ";
  why << detail::format_number(psi) << " >= " << detail::format_number(threshold)
      << (critical ? " (critical)." : " (warning).");
  out.push_back(detail::make_alert("drift", name, "psi", psi, threshold,
                                   critical ? Severity::Critical : Severity::Warning, why.str(),
                                   timestamp));
}

/// A quality alert when `value` (not NaN) is below `minimum` (not NaN).
void add_quality_alert(std::vector<Alert>& out, const char* metric, const char* label, double value,
                       double minimum, Severity severity, Index n, const QualityAlertParams& p,
                       std::int64_t timestamp) {
  if (std::isnan(minimum) || std::isnan(value) || !(value < minimum)) return;
  std::ostringstream why;
  why << "Model '" << p.subject << "' " << label << " " << detail::format_number(value)
      << " is below the minimum " << detail::format_number(minimum) << " over " << n
      << " labelled customers";
  if (metric != std::string_view("auc"))
    why << " (decision threshold " << detail::format_number(p.threshold) << ")";
  why << ".";
  out.push_back(detail::make_alert("model_quality", p.subject, metric, value, minimum, severity,
                                   why.str(), timestamp));
}

}  // namespace

// ---- names, ids, helpers -------------------------------------------------------------------

const char* severity_name(Severity s) {
  return common::enum_name(kSeverityNames, s);
}

Severity severity_from_name(std::string_view name, std::string_view caller) {
  return common::enum_from_name(kSeverityNames, name, caller, "severity");
}

std::string alert_id(std::string_view kind, std::string_view subject, std::string_view metric,
                     std::int64_t timestamp) {
  std::string key;
  key.reserve(kind.size() + subject.size() + metric.size() + 24);
  key.append(kind).append(1, '\x1f').append(subject).append(1, '\x1f').append(metric);
  key.append(1, '\x1f').append(std::to_string(timestamp));
  return common::sha256_hex(key).substr(0, 16);
}

namespace detail {

std::string format_number(double v) {
  char buf[32];
  const int n = std::snprintf(buf, sizeof buf, "%.4g", v);  // as an ostream of precision 4
  return std::string(buf, static_cast<std::size_t>(n));
}

Alert make_alert(std::string kind, const std::string& subject, std::string metric, double value,
                 double threshold, Severity severity, std::string reason, std::int64_t timestamp) {
  Alert a;
  a.id = alert_id(kind, subject, metric, timestamp);
  a.kind = std::move(kind);
  a.subject = subject;
  a.metric = std::move(metric);
  a.value = value;
  a.threshold = threshold;
  a.severity = severity;
  a.reason = std::move(reason);
  a.timestamp = timestamp;
  return a;
}

void check_timestamp(std::int64_t timestamp, std::string_view caller) {
  CHURN_CHECK(timestamp != kNaT, InvalidArgument, caller << ": timestamp must not be NaT");
}

}  // namespace detail

// ---- parameters ----------------------------------------------------------------------------

void RiskAlertParams::validate() const {
  CHURN_CHECK(!std::isinf(threshold), InvalidArgument,
              "RiskAlertParams: threshold must be finite or NaN (off), got " << threshold);
  CHURN_CHECK(std::isnan(jump) || (std::isfinite(jump) && jump > 0), InvalidArgument,
              "RiskAlertParams: jump must be > 0 and finite, or NaN (off), got " << jump);
}
Json RiskAlertParams::to_json() const {
  return common::write_params(*this, common::ParamSource::Options, kVisitRisk);
}
RiskAlertParams RiskAlertParams::from_options(const Json& options, std::string_view caller) {
  return common::read_params<RiskAlertParams>(options, common::ParamSource::Options, caller,
                                              kVisitRisk);
}

void DriftAlertParams::validate() const {
  CHURN_CHECK(std::isfinite(psi_warning) && psi_warning >= 0, InvalidArgument,
              "DriftAlertParams: psi_warning must be finite and >= 0, got " << psi_warning);
  CHURN_CHECK(!std::isnan(psi_critical) && psi_critical >= psi_warning, InvalidArgument,
              "DriftAlertParams: psi_critical must be >= psi_warning (" << psi_warning << "), got "
                                                                        << psi_critical);
}
Json DriftAlertParams::to_json() const {
  return common::write_params(*this, common::ParamSource::Options, kVisitDrift);
}
DriftAlertParams DriftAlertParams::from_options(const Json& options, std::string_view caller) {
  return common::read_params<DriftAlertParams>(options, common::ParamSource::Options, caller,
                                               kVisitDrift);
}

void QualityAlertParams::validate() const {
  check_unit_or_off(min_auc, "min_auc");
  check_unit_or_off(min_precision, "min_precision");
  check_unit_or_off(min_recall, "min_recall");
  CHURN_CHECK(threshold >= 0 && threshold <= 1, InvalidArgument,
              "QualityAlertParams: threshold must be in [0, 1], got " << threshold);
  CHURN_CHECK(!subject.empty(), InvalidArgument, "QualityAlertParams: subject must not be empty");
}
Json QualityAlertParams::to_json() const {
  return common::write_params(*this, common::ParamSource::Options, kVisitQuality);
}
QualityAlertParams QualityAlertParams::from_options(const Json& options, std::string_view caller) {
  return common::read_params<QualityAlertParams>(options, common::ParamSource::Options, caller,
                                                 kVisitQuality);
}

// ---- sources -------------------------------------------------------------------------------

std::vector<Alert> risk_alerts(const std::vector<std::string>& ids, const VectorRef& scores,
                               const std::vector<std::string>& previous_ids,
                               const VectorRef& previous_scores, std::int64_t timestamp,
                               const RiskAlertParams& params) {
  constexpr const char* kCaller = "risk_alerts()";
  params.validate();
  detail::check_timestamp(timestamp, kCaller);
  check_ids(ids, scores.size(), "ids");
  check_ids(previous_ids, previous_scores.size(), "previous_ids");
  common::check_finite_vector(scores, kCaller, "scores");
  common::check_finite_vector(previous_scores, kCaller, "previous_scores");
  const auto previous = index_ids(previous_ids, "previous_ids");
  index_ids(ids, "ids");
  std::vector<Alert> out;
  for (Index i = 0; i < scores.size(); ++i) {
    const std::string& id = ids[static_cast<std::size_t>(i)];
    const std::int32_t row = previous_ids.empty() ? -1 : previous.find(id);
    const double prev = row < 0 ? kMissing : previous_scores[row];
    const double cur = scores[i];
    if (!std::isnan(params.threshold) && cur >= params.threshold &&
        (std::isnan(prev) || prev < params.threshold))
      out.push_back(crossing_alert(id, cur, prev, params, timestamp));
    if (!std::isnan(params.jump) && !std::isnan(prev) && cur - prev > params.jump)
      out.push_back(jump_alert(id, cur, prev, params, timestamp));
  }
  return out;
}

std::vector<Alert> risk_alerts(const std::vector<std::string>& ids, const VectorRef& scores,
                               std::int64_t timestamp, const RiskAlertParams& params) {
  return risk_alerts(ids, scores, {}, Vector(), timestamp, params);
}

std::vector<Alert> risk_alerts(const data::Column& ids, const VectorRef& scores,
                               const data::Column& previous_ids, const VectorRef& previous_scores,
                               std::int64_t timestamp, const RiskAlertParams& params) {
  // a string column without missing values is used in place; other columns are converted
  const auto as_text = [](const data::Column& c, std::vector<std::string>& storage,
                          std::string_view what) -> const std::vector<std::string>& {
    if (c.dtype() == data::DType::String && c.validity().empty()) return c.strings();
    storage = id_strings(c, what);
    return storage;
  };
  std::vector<std::string> id_storage, previous_storage;
  return risk_alerts(as_text(ids, id_storage, "risk_alerts(): ids"), scores,
                     as_text(previous_ids, previous_storage, "risk_alerts(): previous_ids"),
                     previous_scores, timestamp, params);
}

std::vector<std::string> id_strings(const data::Column& ids, std::string_view caller) {
  using data::DType;
  if (ids.size() == 0) return {};  // an empty list has no type worth checking
  CHURN_CHECK(ids.dtype() == DType::String || ids.dtype() == DType::Categorical ||
                  ids.dtype() == DType::Int64,
              TypeMismatch,
              caller << ": ids must be text, categorical or integer, got "
                     << data::dtype_name(ids.dtype()) << " column '" << ids.name() << "'");
  std::vector<std::string> out;
  out.reserve(static_cast<std::size_t>(ids.size()));
  for (Index i = 0; i < ids.size(); ++i) {
    CHURN_CHECK(!ids.is_missing(i), InvalidArgument, caller << ": missing id at row " << i);
    out.push_back(ids.value_string(i));
  }
  return out;
}

std::vector<Alert> drift_alerts(const monitor::DriftReport& report, std::int64_t timestamp,
                                const DriftAlertParams& params) {
  params.validate();
  detail::check_timestamp(timestamp, "drift_alerts()");
  std::vector<Alert> out;
  for (const auto& f : report.features()) {
    if (f.status == monitor::DriftStatus::MissingColumn) {
      out.push_back(detail::make_alert(
          "drift", f.feature, "missing_column", kMissing, kMissing, Severity::Critical,
          "Feature '" + f.feature + "' is missing from the current batch.", timestamp));
      continue;
    }
    add_psi_alert(out, f.feature, f.psi, false, params, timestamp);
  }
  if (params.include_score && report.score())
    add_psi_alert(out, report.score()->feature, report.score()->psi, true, params, timestamp);
  return out;
}

std::vector<Alert> drift_alerts(const std::vector<std::string>& features, const VectorRef& psi,
                                std::int64_t timestamp, const DriftAlertParams& params) {
  constexpr const char* kCaller = "drift_alerts()";
  params.validate();
  detail::check_timestamp(timestamp, kCaller);
  CHURN_CHECK(
      static_cast<Index>(features.size()) == psi.size(), InvalidArgument,
      kCaller << ": " << features.size() << " features for " << psi.size() << " PSI values");
  common::check_names(features, kCaller, "features", /*allow_empty_list=*/true);
  common::check_each(psi, kCaller, "psi", "be >= 0 or NaN",
                     [](double v) { return std::isnan(v) || v >= 0; });
  std::vector<Alert> out;
  for (std::size_t j = 0; j < features.size(); ++j)
    add_psi_alert(out, features[j], psi[static_cast<Index>(j)], false, params, timestamp);
  return out;
}

std::vector<Alert> quality_alerts(const VectorRef& y_true, const VectorRef& y_score,
                                  std::int64_t timestamp, const QualityAlertParams& params) {
  constexpr const char* kCaller = "quality_alerts()";
  params.validate();
  detail::check_timestamp(timestamp, kCaller);
  const Index n = y_true.size();
  CHURN_CHECK(n > 0, InvalidArgument, kCaller << ": the window is empty");
  CHURN_CHECK(y_score.size() == n, InvalidArgument,
              kCaller << ": y_true has " << n << " rows, y_score " << y_score.size());
  const Index positives = common::check_binary_labels(y_true, kCaller, "y_true");
  common::check_finite_vector(y_score, kCaller, "y_score");
  const bool both = positives > 0 && positives < n;
  const double auc =
      both && !std::isnan(params.min_auc) ? metrics::roc_auc(y_true, y_score) : kMissing;
  const double prec = metrics::precision(y_true, y_score, params.threshold);
  const double rec = positives > 0 ? metrics::recall(y_true, y_score, params.threshold) : kMissing;
  std::vector<Alert> out;
  add_quality_alert(out, "auc", "AUC", auc, params.min_auc, params.auc_severity, n, params,
                    timestamp);
  add_quality_alert(out, "precision", "precision", prec, params.min_precision,
                    params.precision_severity, n, params, timestamp);
  add_quality_alert(out, "recall", "recall", rec, params.min_recall, params.recall_severity, n,
                    params, timestamp);
  return out;
}

}  // namespace churn::retention
