// Alerts as JSON objects and as tables, and the cooldown.
#include "churn/retention/alerts.hpp"

#include <algorithm>      // std::stable_sort, std::any_of
#include <cstdint>        // std::int64_t, std::uint64_t
#include <numeric>        // std::iota
#include <string>         // std::string
#include <unordered_map>  // std::unordered_map
#include <unordered_set>  // std::unordered_set
#include <utility>        // std::pair
#include <vector>         // std::vector

#include "churn/core/datetime.hpp"
#include "churn/core/error.hpp"
#include "common/json.hpp"
#include "retention/alerts_impl.hpp"

namespace churn::retention {

namespace {

using data::Column;
using data::DType;

/// The categories of the severity column, in Severity's order.
const std::vector<std::string>& severity_categories() {
  static const std::vector<std::string> names = {severity_name(Severity::Info),
                                                 severity_name(Severity::Warning),
                                                 severity_name(Severity::Critical)};
  return names;
}

/// A required, non-empty text member.
std::string required_text(const Json& j, const char* key, std::string_view where) {
  auto s = common::json_get<std::string>(j, key, where);
  CHURN_CHECK(!s.empty(), SerializationError, where << ": field '" << key << "' is empty");
  return s;
}

/// The timestamp member: ISO 8601 text (as written) or integer nanoseconds.
std::int64_t timestamp_member(const Json& j, std::string_view where) {
  const Json v = common::json_get<Json>(j, "timestamp", where);
  std::int64_t ns = kNaT;
  if (v.is_string()) {
    const auto parsed = parse_timestamp(v.get_ref<const std::string&>());
    CHURN_CHECK(parsed.has_value(), SerializationError,
                where << ": field 'timestamp' is not an ISO 8601 date-time: " << v.dump());
    ns = *parsed;
  } else {
    CHURN_CHECK(common::json_int_value(v, ns), SerializationError,
                where << ": field 'timestamp' must be ISO 8601 text or integer nanoseconds");
  }
  CHURN_CHECK(ns != kNaT, SerializationError, where << ": field 'timestamp' is NaT");
  return ns;
}

/// A column of the table, checked to have one of the types `ok` accepts.
template <class Ok>
const Column& column_of(const data::Table& t, const char* name, const char* want, Ok ok) {
  const Column* c = t.get(name);
  CHURN_CHECK(c != nullptr, InvalidArgument,
              "alerts_from_table(): no column '" << name << "' (an alert table has id, kind, "
                                                 << "subject, metric, value, threshold, "
                                                 << "severity, reason and timestamp)");
  CHURN_CHECK(ok(c->dtype()), TypeMismatch,
              "alerts_from_table(): column '" << name << "' must be " << want << ", got "
                                              << data::dtype_name(c->dtype()));
  return *c;
}

bool is_text(DType t) {
  return t == DType::String || t == DType::Categorical || t == DType::Int64;
}
bool is_number(DType t) {
  return t == DType::Float64 || t == DType::Int64;
}

/// Row i of a text column; a missing value is an error unless `allow_missing` ("" then).
std::string text_at(const Column& c, Index i, bool allow_missing = false) {
  const bool missing = c.is_missing(i);
  CHURN_CHECK(!missing || allow_missing, InvalidArgument,
              "alerts_from_table(): column '" << c.name() << "' is missing at row " << i);
  return missing ? std::string() : c.value_string(i);
}

/// `later - earlier` is in [0, cooldown), without signed overflow.
bool within(std::int64_t earlier, std::int64_t later, std::int64_t cooldown) {
  if (later < earlier) return false;
  const std::uint64_t gap = static_cast<std::uint64_t>(later) - static_cast<std::uint64_t>(earlier);
  return gap < static_cast<std::uint64_t>(cooldown);
}

std::string cooldown_key(const Alert& a) {
  std::string key = a.kind;
  key.append(1, '\x1f').append(a.subject);
  return key;
}

}  // namespace

// ---- JSON ----------------------------------------------------------------------------------

Json alert_to_json(const Alert& a) {
  Json j = Json::object();
  j["id"] = a.id;
  j["kind"] = a.kind;
  j["subject"] = a.subject;
  j["metric"] = a.metric;
  j["value"] = common::json_from_double(a.value);
  j["threshold"] = common::json_from_double(a.threshold);
  j["severity"] = severity_name(a.severity);
  j["reason"] = a.reason;
  j["timestamp"] = format_timestamp(a.timestamp);
  return j;
}

Alert alert_from_json(const Json& j, std::string_view where) {
  CHURN_CHECK(j.is_object(), SerializationError, where << ": expected a JSON object");
  Alert a;
  a.id = required_text(j, "id", where);
  a.kind = required_text(j, "kind", where);
  a.subject = common::json_get<std::string>(j, "subject", where);
  a.metric = common::json_get<std::string>(j, "metric", where);
  a.value = common::json_to_double(common::json_get<Json>(j, "value", where), where);
  a.threshold = common::json_to_double(common::json_get<Json>(j, "threshold", where), where);
  const auto severity = common::json_get<std::string>(j, "severity", where);
  try {
    a.severity = severity_from_name(severity, where);
  } catch (const InvalidArgument& e) {
    CHURN_THROW(SerializationError, e.what());
  }
  a.reason = common::json_get<std::string>(j, "reason", where);
  a.timestamp = timestamp_member(j, where);
  return a;
}

// ---- tables --------------------------------------------------------------------------------

data::Table alerts_to_table(const std::vector<Alert>& alerts) {
  const std::size_t n = alerts.size();
  std::vector<std::string> id(n), kind(n), subject(n), metric(n), reason(n);
  std::vector<double> value(n), threshold(n);
  std::vector<std::int32_t> severity(n);
  std::vector<std::int64_t> timestamp(n);
  for (std::size_t i = 0; i < n; ++i) {
    const Alert& a = alerts[i];
    id[i] = a.id;
    kind[i] = a.kind;
    subject[i] = a.subject;
    metric[i] = a.metric;
    value[i] = a.value;
    threshold[i] = a.threshold;
    severity[i] = static_cast<std::int32_t>(a.severity);
    reason[i] = a.reason;
    timestamp[i] = a.timestamp;
  }
  return data::Table({Column::from_strings("id", std::move(id)),
                      Column::from_strings("kind", std::move(kind)),
                      Column::from_strings("subject", std::move(subject)),
                      Column::from_strings("metric", std::move(metric)),
                      Column::from_float64("value", std::move(value)),
                      Column::from_float64("threshold", std::move(threshold)),
                      Column::from_codes("severity", std::move(severity), severity_categories()),
                      Column::from_strings("reason", std::move(reason)),
                      Column::from_timestamp("timestamp", std::move(timestamp))});
}

std::vector<Alert> alerts_from_table(const data::Table& t) {
  const char* kText = "text, categorical or integer";
  const Column& id = column_of(t, "id", kText, is_text);
  const Column& kind = column_of(t, "kind", kText, is_text);
  const Column& subject = column_of(t, "subject", kText, is_text);
  const Column& metric = column_of(t, "metric", kText, is_text);
  const Column& value = column_of(t, "value", "float64 or int64", is_number);
  const Column& threshold = column_of(t, "threshold", "float64 or int64", is_number);
  const Column& severity = column_of(t, "severity", "text or categorical",
                                     [](DType d) { return d != DType::Int64 && is_text(d); });
  const Column& reason = column_of(t, "reason", kText, is_text);
  const Column& ts = column_of(t, "timestamp", "a timestamp or int64 (nanoseconds)",
                               [](DType d) { return d == DType::Timestamp || d == DType::Int64; });
  std::vector<Alert> out(static_cast<std::size_t>(t.num_rows()));
  for (Index i = 0; i < t.num_rows(); ++i) {
    Alert& a = out[static_cast<std::size_t>(i)];
    a.id = text_at(id, i);
    a.kind = text_at(kind, i);
    a.subject = text_at(subject, i);
    a.metric = text_at(metric, i);
    a.value = value.value_double(i);
    a.threshold = threshold.value_double(i);
    a.severity = severity_from_name(text_at(severity, i), "alerts_from_table(): severity");
    a.reason = text_at(reason, i, /*allow_missing=*/true);
    CHURN_CHECK(!ts.is_missing(i) && ts.as_int64()[i] != kNaT, InvalidArgument,
                "alerts_from_table(): column 'timestamp' is missing at row " << i);
    a.timestamp = ts.as_int64()[i];
  }
  return out;
}

// ---- cooldown ------------------------------------------------------------------------------

std::vector<Alert> apply_cooldown(const std::vector<Alert>& alerts,
                                  const std::vector<Alert>& history, std::int64_t cooldown) {
  CHURN_CHECK(cooldown >= 0, InvalidArgument,
              "apply_cooldown(): cooldown must be >= 0 nanoseconds, got " << cooldown);
  std::unordered_map<std::string, std::vector<std::pair<std::int64_t, Severity>>> raised;
  std::unordered_set<std::string> ids;
  for (const Alert& h : history) {
    raised[cooldown_key(h)].emplace_back(h.timestamp, h.severity);
    ids.insert(h.id);
  }
  std::vector<std::size_t> order(alerts.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t x, std::size_t y) {
    return alerts[x].timestamp < alerts[y].timestamp;
  });
  std::vector<bool> keep(alerts.size(), false);
  for (const std::size_t i : order) {
    const Alert& a = alerts[i];
    if (!a.id.empty() && ids.count(a.id) != 0) continue;  // a rerun, or the same alert twice
    auto& earlier = raised[cooldown_key(a)];
    const bool quiet = std::any_of(earlier.begin(), earlier.end(), [&](const auto& e) {
      return e.second >= a.severity && within(e.first, a.timestamp, cooldown);
    });
    if (quiet) continue;
    keep[i] = true;
    earlier.emplace_back(a.timestamp, a.severity);
    ids.insert(a.id);
  }
  std::vector<Alert> out;
  for (std::size_t i = 0; i < alerts.size(); ++i)
    if (keep[i]) out.push_back(alerts[i]);
  return out;
}

}  // namespace churn::retention
