#pragma once
/// @file alert.hpp
/// `churn::monitor::Alert`: the record every monitor check raises (a drifting feature, a
/// performance window, an estimated metric, a multivariate drift score) for a caller to route;
/// DriftReport::alerts() gathers them.

#include <cstdint>  // std::uint8_t
#include <string>   // std::string

namespace churn::monitor {

/// Severity of an alert.
enum class Severity : std::uint8_t { Moderate, Significant };
/// "moderate" or "significant".
const char* severity_name(Severity s);

/// One alert: what, which value crossed which threshold, and how bad.
struct Alert {
  std::string subject;   ///< a feature name, "score", or a time window's name
  std::string metric;    ///< "psi", "missing_column", "auc", "precision", "recall", "churn_rate"
  double value = 0;      ///< the observed value (NaN for a missing column)
  double threshold = 0;  ///< the threshold it crossed
  Severity severity = Severity::Moderate;  ///< moderate or significant
};

}  // namespace churn::monitor
