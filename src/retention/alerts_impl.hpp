#pragma once
/// @file alerts_impl.hpp
/// Helpers the alert sources, records and log share (private, never installed).

#include <cstdint>      // std::int64_t
#include <string>       // std::string
#include <string_view>  // std::string_view

#include "churn/retention/alerts.hpp"

namespace churn::retention::detail {

/// A number for a sentence: 4 significant digits ("0.7213", "1e-05", "inf", "nan").
std::string format_number(double v);

/// An alert with its id (alert_id of kind, subject, metric and timestamp).
Alert make_alert(std::string kind, const std::string& subject, std::string metric, double value,
                 double threshold, Severity severity, std::string reason, std::int64_t timestamp);

/// @throws InvalidArgument "<caller>: timestamp must not be NaT" for kNaT.
void check_timestamp(std::int64_t timestamp, std::string_view caller);

/// An alert as one line of the log: compact JSON and a newline (invalid UTF-8 replaced).
std::string alert_line(const Alert& a);

/// The alerts of a log file's text: every complete line that parses; complete lines that do
/// not are counted in `skipped_lines`, the bytes after the last newline in `trailing_bytes`.
AlertLogContents parse_alert_lines(std::string_view text);

}  // namespace churn::retention::detail
