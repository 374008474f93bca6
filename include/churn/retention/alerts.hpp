#pragma once
/// @file alerts.hpp
/// `churn::retention` alerts: records that tell a person something needs attention, raised from
/// three sources, thinned by a cooldown and kept in an append-only JSON-lines file.
///
/// **Sources.**
/// - risk_alerts(): a customer whose churn score crosses a risk threshold since the previous
///   scoring run (`previous < threshold <= current`; a customer with no previous score counts
///   as crossing when `current >= threshold`), kind "risk_threshold", metric "score"; or whose
///   score rose by more than `jump` (`current - previous > jump`; never for a new customer),
///   kind "risk_jump", metric "score_change".
/// - drift_alerts(): a feature (or the model score) whose PSI reached a threshold
///   (`psi >= psi_warning`: warning, `psi >= psi_critical`: critical), kind "drift", metric
///   "psi"; a feature missing from the batch, metric "missing_column" (critical).
/// - quality_alerts(): AUC, precision or recall of a window of labelled customers below a
///   minimum, kind "model_quality", metric "auc", "precision" or "recall".
///
/// **Ids** are deterministic: alert_id() of (kind, subject, metric, timestamp), so a rerun of
/// the same job at the same timestamp gives the same ids, and apply_cooldown() drops them.
///
/// **The log file** (AlertLog) holds one JSON object per line:
/// @code{.json}
/// {"id":"5b1f0c2e9a4d7e31","kind":"risk_threshold","subject":"C0001","metric":"score",
///  "value":0.72,"threshold":0.5,"severity":"warning","reason":"Customer C0001's ...",
///  "timestamp":"2024-05-01T06:00:00"}
/// @endcode
/// `value` and `threshold` are numbers, or the strings "nan", "inf", "-inf"; `timestamp` is ISO
/// 8601 in UTC with up to nanosecond precision (exact round trip). Members beyond these are
/// ignored, so later versions may add some.
///
/// Timestamps are int64 nanoseconds since 1970-01-01 UTC, as in core/datetime.hpp.

#include <cstdint>      // std::int64_t, std::uint8_t
#include <string>       // std::string
#include <string_view>  // std::string_view
#include <vector>       // std::vector

#include "churn/core/json.hpp"
#include "churn/core/types.hpp"
#include "churn/data/table.hpp"
#include "churn/monitor/report.hpp"

namespace churn::retention {

/// How urgent an alert is (ordered: info < warning < critical).
enum class Severity : std::uint8_t { Info, Warning, Critical };
/// "info", "warning" or "critical".
const char* severity_name(Severity s);
/// Inverse of severity_name. @throws InvalidArgument naming `caller` for any other name.
Severity severity_from_name(std::string_view name, std::string_view caller = "severity");

/// One alert.
struct Alert {
  /// Stable id: alert_id(kind, subject, metric, timestamp) for the alerts made here.
  std::string id;
  /// "risk_threshold", "risk_jump", "drift" or "model_quality" (any non-empty text is kept).
  std::string kind;
  /// What it is about: a customer id, a feature name, "score" (the model score's drift) or the
  /// model's name ("model").
  std::string subject;
  /// The measured quantity: "score", "score_change", "psi", "missing_column", "auc",
  /// "precision", "recall".
  std::string metric;
  /// The observed value (NaN for a missing column).
  double value = 0;
  /// The threshold it crossed (NaN for a missing column).
  double threshold = 0;
  /// How urgent.
  Severity severity = Severity::Warning;
  /// One sentence a person reads.
  std::string reason;
  /// When it was raised: nanoseconds since 1970-01-01 UTC.
  std::int64_t timestamp = 0;
};

/// The id of an alert: the first 16 hex digits of the SHA-256 of
/// `kind \x1f subject \x1f metric \x1f timestamp` (the same on every platform and run).
std::string alert_id(std::string_view kind, std::string_view subject, std::string_view metric,
                     std::int64_t timestamp);

// ---- sources -----------------------------------------------------------------------------

/// Settings of risk_alerts(). A threshold that is NaN turns its check off.
struct RiskAlertParams {
  /// Churn score at or above which a customer is at risk (finite, or NaN: no crossing alerts).
  double threshold = 0.5;
  /// A rise of the score by more than this since the previous run is an alert (> 0, or NaN: no
  /// jump alerts).
  double jump = 0.2;
  /// Severity of a threshold crossing.
  Severity threshold_severity = Severity::Warning;
  /// Severity of a jump.
  Severity jump_severity = Severity::Warning;

  /// @throws InvalidArgument naming the field and its allowed range.
  void validate() const;
  /// The parameters as a JSON object (NaN as a number: the keyword form).
  Json to_json() const;
  /// Parameters from a JSON object naming some of them (the others keep their defaults), as
  /// the Python binding passes its keyword arguments.
  /// @throws InvalidArgument for an unknown name or an invalid value, TypeMismatch for a value
  ///         of the wrong JSON type; both name `caller` and the field.
  static RiskAlertParams from_options(const Json& options,
                                      std::string_view caller = "risk_alerts()");
};

/// Risk alerts of one scoring run (see the file comment for the rules).
///
/// @param ids customer ids, one per score, distinct.
/// @param scores the churn scores of this run (finite).
/// @param previous_ids, previous_scores the previous run's scores, matched to `ids` by id (any
///        order; ids absent from this run are ignored, customers absent from it are new). Both
///        empty: no previous run, every customer is new.
/// @param timestamp when the alerts are raised (not kNaT).
/// @return the alerts in the order of `ids`; a customer may get both kinds (crossing first).
/// @throws InvalidArgument for mismatched lengths, a repeated or empty id, a non-finite score,
///         a NaT timestamp or invalid `params`; the message names the argument and the row.
/// @code
/// auto alerts = churn::retention::risk_alerts(ids, scores, last_ids, last_scores, now);
/// @endcode
std::vector<Alert> risk_alerts(const std::vector<std::string>& ids, const VectorRef& scores,
                               const std::vector<std::string>& previous_ids,
                               const VectorRef& previous_scores, std::int64_t timestamp,
                               const RiskAlertParams& params = {});

/// risk_alerts() without a previous run: crossing alerts for every score >= threshold.
std::vector<Alert> risk_alerts(const std::vector<std::string>& ids, const VectorRef& scores,
                               std::int64_t timestamp, const RiskAlertParams& params = {});

/// risk_alerts() with the ids in table columns (string, categorical or int64, the last written
/// in decimal). @throws InvalidArgument also for a missing id; TypeMismatch for a float64 or
/// timestamp id column.
std::vector<Alert> risk_alerts(const data::Column& ids, const VectorRef& scores,
                               const data::Column& previous_ids, const VectorRef& previous_scores,
                               std::int64_t timestamp, const RiskAlertParams& params = {});

/// A column of ids as text (string, categorical or int64 columns; an empty column of any type).
/// @throws InvalidArgument naming `caller` and the row for a missing id; TypeMismatch for
///         another column type.
std::vector<std::string> id_strings(const data::Column& ids, std::string_view caller);

/// Settings of drift_alerts().
struct DriftAlertParams {
  /// PSI at or above which a feature raises a warning (>= 0).
  double psi_warning = 0.1;
  /// PSI at or above which the alert is critical (>= psi_warning; inf: never critical).
  double psi_critical = 0.25;
  /// Whether the model score's drift (a report's score row, subject "score") raises alerts.
  bool include_score = true;

  /// @throws InvalidArgument naming the field and its allowed range.
  void validate() const;
  /// The parameters as a JSON object (the keyword form).
  Json to_json() const;
  /// Parameters from keyword options (see RiskAlertParams::from_options).
  static DriftAlertParams from_options(const Json& options,
                                       std::string_view caller = "drift_alerts()");
};

/// Drift alerts of a drift report: one per feature whose PSI reached `psi_warning` (threshold =
/// the one it reached), one per missing column (critical, value and threshold NaN), and the
/// score's row with `include_score`. Ordered as the report's rows, the score last.
/// @throws InvalidArgument for a NaT timestamp or invalid `params`.
std::vector<Alert> drift_alerts(const monitor::DriftReport& report, std::int64_t timestamp,
                                const DriftAlertParams& params = {});

/// Drift alerts from per-feature PSI values (a NaN PSI raises nothing: not computed).
/// @throws InvalidArgument for mismatched lengths, an empty or repeated feature name, a
///         negative PSI, a NaT timestamp or invalid `params`.
std::vector<Alert> drift_alerts(const std::vector<std::string>& features, const VectorRef& psi,
                                std::int64_t timestamp, const DriftAlertParams& params = {});

/// Settings of quality_alerts(). A minimum that is NaN turns its check off.
struct QualityAlertParams {
  /// An AUC below this is an alert (in [0, 1], or NaN: off).
  double min_auc = 0.70;
  /// A precision below this is an alert (in [0, 1], or NaN: off; the default).
  double min_precision = kMissing;
  /// A recall below this is an alert (in [0, 1], or NaN: off; the default).
  double min_recall = kMissing;
  /// Decision threshold of precision and recall (`score >= threshold`), in [0, 1].
  double threshold = 0.5;
  /// The alerts' subject: the model's name.
  std::string subject = "model";
  /// Severity of a low AUC.
  Severity auc_severity = Severity::Critical;
  /// Severity of a low precision.
  Severity precision_severity = Severity::Warning;
  /// Severity of a low recall.
  Severity recall_severity = Severity::Warning;

  /// @throws InvalidArgument naming the field and its allowed range.
  void validate() const;
  /// The parameters as a JSON object (NaN as a number: the keyword form).
  Json to_json() const;
  /// Parameters from keyword options (see RiskAlertParams::from_options).
  static QualityAlertParams from_options(const Json& options,
                                         std::string_view caller = "quality_alerts()");
};

/// Model-quality alerts over a window of labelled customers: AUC (metrics::roc_auc), precision
/// and recall (metrics::precision / recall at `threshold`) below their minimums, in that order.
/// A metric that is undefined in the window raises nothing: the AUC when the window holds one
/// class only, the recall when it holds no churner. Precision with nobody predicted positive is
/// 0, as scikit-learn's.
/// @param y_true labels 0/1 (1 = churned); @param y_score the scores the model gave them.
/// @throws InvalidArgument for empty or mismatched input, labels other than 0/1, non-finite
///         scores, a NaT timestamp or invalid `params`.
std::vector<Alert> quality_alerts(const VectorRef& y_true, const VectorRef& y_score,
                                  std::int64_t timestamp, const QualityAlertParams& params = {});

// ---- cooldown ----------------------------------------------------------------------------

/// The alerts that survive a cooldown, in their order. An alert is dropped when its id is
/// already in `history` (a rerun), or when an alert of the same (kind, subject) and at least
/// its severity was raised in the `cooldown` nanoseconds up to its timestamp
/// (`0 <= t - t_earlier < cooldown`), in `history` or among the alerts kept before it (taken
/// in timestamp order). A more severe alert passes: an escalation is news.
/// @throws InvalidArgument for a negative cooldown.
/// @code
/// auto fresh = churn::retention::apply_cooldown(alerts, log.read().alerts, churn::kNanosPerDay);
/// log.append(fresh);
/// @endcode
std::vector<Alert> apply_cooldown(const std::vector<Alert>& alerts,
                                  const std::vector<Alert>& history, std::int64_t cooldown);

// ---- records, tables and the log file ----------------------------------------------------

/// An alert as a JSON object (the line format of the file comment).
Json alert_to_json(const Alert& a);
/// The inverse of alert_to_json (extra members ignored).
/// @throws SerializationError naming `where` and the field that is missing or malformed.
Alert alert_from_json(const Json& j, std::string_view where = "alert");

/// The alerts as a table: columns id, kind, subject, metric (strings), value, threshold
/// (float64), severity (categorical: info, warning, critical), reason (string) and timestamp
/// (timestamp).
data::Table alerts_to_table(const std::vector<Alert>& alerts);
/// The inverse of alerts_to_table: text columns may be strings or categoricals, value and
/// threshold float64 or int64, timestamp a timestamp or int64 (nanoseconds) column; other
/// columns are ignored.
/// @throws InvalidArgument naming a missing column, a missing value or an unknown severity;
///         TypeMismatch for a column of another type.
std::vector<Alert> alerts_from_table(const data::Table& table);

/// What AlertLog::read() found.
struct AlertLogContents {
  /// The alerts of every complete line that parses, in file order.
  std::vector<Alert> alerts;
  /// Complete (newline-terminated) lines that are not alerts: a fragment a killed writer left,
  /// closed by the next append, or a damaged line. Empty lines are not counted.
  Index skipped_lines = 0;
  /// Bytes after the last newline: a line being written, or torn by a writer that died.
  Index trailing_bytes = 0;
};

/// An append-only JSON-lines file of alerts, safe for several processes appending at once and
/// for writers killed mid-write.
///
/// append() takes an exclusive `flock` on the file, closes a torn last line (a file that does
/// not end in a newline gets one first, so a fragment left by a killed writer becomes a line of
/// its own that readers skip), then writes all records in one `write(2)` on a descriptor
/// opened with `O_APPEND` (looping on a partial write), and optionally `fsync`s. read() takes
/// no lock: it returns the records of every complete line that parses and ignores the bytes
/// after the last newline, so a reader never sees half a record, whatever the writers do.
/// `flock` is advisory and local: the file should be on a local file system.
///
/// @code
/// churn::retention::AlertLog log("alerts.jsonl");
/// auto fresh = churn::retention::apply_cooldown(alerts, log.read().alerts, churn::kNanosPerDay);
/// log.append(fresh);
/// churn::data::Table t = log.read_table();
/// @endcode
///
/// Thread safety: every member may run concurrently, from many threads and processes on the
/// same file (appenders serialise on the lock; readers never block).
class AlertLog {
 public:
  /// A log at `path` (created by the first append). With `fsync`, each append is flushed to
  /// the device before it returns (survives a machine crash, at a cost per append).
  explicit AlertLog(std::string path, bool fsync = false);

  /// Appends the alerts, one line each, in one write (nothing for an empty list).
  /// @throws InvalidArgument for an alert with an empty id or kind or a NaT timestamp (before
  ///         anything is written); IOError naming the path if it cannot be opened, locked or
  ///         written (a partial write then leaves a torn line that readers skip).
  void append(const std::vector<Alert>& alerts) const;

  /// The alerts of the file (an empty result when the file does not exist).
  /// @throws IOError if it exists but cannot be read.
  AlertLogContents read() const;
  /// read()'s alerts as a table (alerts_to_table).
  data::Table read_table() const;

  /// The file's path.
  const std::string& path() const { return path_; }
  /// Whether appends fsync.
  bool fsync() const { return fsync_; }

 private:
  std::string path_;
  bool fsync_ = false;
};

}  // namespace churn::retention
