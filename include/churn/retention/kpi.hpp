#pragma once
/// @file kpi.hpp
/// KPIs for BI tools: one summary row per group (overall, each segment, each risk bucket) and
/// the one-row-per-customer export, as tables (and the summary as JSON).
///
/// Summary columns, per group (the money formulas are those of value.hpp):
/// - `level`: "overall", "segment" or "bucket";
/// - `group`: "all", the segment's name (category, text, or integer as text; "(missing)" for
///   rows without one) or the bucket's label;
/// - `customers`: rows in the group (int64); `share`: customers / all rows;
/// - `labelled`: rows with an observed label (0 or 1, not NaN); `observed_churners`: rows with
///   observed label 1; `observed_churn_rate`: observed_churners / labelled (NaN when 0);
/// - `expected_churners`: sum of p; `expected_churn_rate`: expected_churners / customers (the
///   mean probability; NaN when empty); `predicted_churners`: rows with p >= threshold (int64);
/// - `revenue`: sum of r; `revenue_at_risk`: sum of p * r * H; `clv`: sum of the CLV;
///   `clv_at_risk`: sum of the expected loss p * clv;
/// - `n_<label>`: rows of the group in each bucket (int64), one column per bucket label.
///
/// Rows: overall first, then the segments (in category order; text and integers sorted;
/// "(missing)" last when a row has no segment), then the buckets from lowest risk. Sums add the
/// rows in fixed blocks in row order and fold the blocks in order: the table does not depend on
/// the thread count.

#include <string>  // std::string
#include <vector>  // std::vector

#include "churn/core/json.hpp"
#include "churn/core/types.hpp"
#include "churn/data/table.hpp"
#include "churn/retention/buckets.hpp"
#include "churn/retention/value.hpp"

namespace churn::retention {

/// Settings of kpi_summary and customer_export.
struct KpiOptions {
  /// A customer is a predicted churner when p >= threshold; finite.
  double threshold = 0.5;
  /// Horizon, discount rate and margin of the money figures.
  ValueParams value;
  /// Threads: 0 = all cores, > 0 that many. Results do not depend on it.
  int n_threads = 0;

  /// @throws InvalidArgument naming the field (value's fields included).
  void validate() const;
};

/// The KPI summary: the table of the file comment and what it was computed with.
struct KpiSummary {
  data::Table table;                       ///< one row per group (see the file comment)
  std::vector<std::string> bucket_labels;  ///< the buckets, lowest risk first
  KpiOptions options;                      ///< threshold and value parameters used
  bool has_observed = false;               ///< observed labels were given

  /// `{"threshold", "value": {"horizon", "discount_rate", "margin"}, "bucket_labels",
  /// "has_observed", "rows": [{column: value, ...}, ...]}`, one object per table row in the
  /// table's column order; NaN and infinities as the strings "nan", "inf", "-inf" (as every
  /// churnlib JSON document).
  Json to_json() const;
};

/// The KPI summary of scored customers.
/// @param probability    n churn probabilities per period, each in [0, 1] (n >= 1).
/// @param bucket_codes   n bucket codes in [0, bucket_labels.size()) (RiskBuckets::assign).
/// @param bucket_labels  one distinct, non-empty label per bucket (at least one).
/// @param revenue        n periodic revenues, finite and >= 0.
/// @param segment        an empty column (size 0: no segments) or n values: categorical,
///                       string or int64 (missing values form the group "(missing)").
/// @param observed       empty or n observed churn labels 0, 1 or NaN (unknown).
/// @code
/// auto kpi = churn::retention::kpi_summary(p, buckets.assign(p), buckets.labels(), revenue,
///                                          customers.column("contract"), churned);
/// std::string json = kpi.to_json().dump();
/// @endcode
/// @throws InvalidArgument naming the argument (and the first bad row): lengths differ, no
///         rows, a probability or revenue as customer_value() rejects, a bucket code out of
///         range, bad labels, an observed label other than 0/1/NaN, invalid options;
///         TypeMismatch for a float64 or timestamp segment column.
KpiSummary kpi_summary(const VectorRef& probability, const IntVectorRef& bucket_codes,
                       const std::vector<std::string>& bucket_labels, const VectorRef& revenue,
                       const data::Column& segment = data::Column(),
                       const VectorRef& observed = Vector(), const KpiOptions& options = {});

/// kpi_summary() with the buckets of `buckets` (assigned here).
/// @throws NotFittedError for unfitted quantile buckets; otherwise as above.
KpiSummary kpi_summary(const VectorRef& probability, const RiskBuckets& buckets,
                       const VectorRef& revenue, const data::Column& segment = data::Column(),
                       const VectorRef& observed = Vector(), const KpiOptions& options = {});

/// One row per customer, ready for Tableau or Power BI: `id` (the column given, renamed; row
/// numbers 0..n-1 as int64 when `id` is empty), `score` (the probability), `bucket`
/// (categorical of the labels), `segment` (the column given, renamed; only when given),
/// `revenue_at_risk`, `clv`, `expected_loss`, and when given `action` (the column, renamed:
/// e.g. the retention rules' chosen action) and `expected_net_value`.
/// @param id                  empty or n customer ids (any column type).
/// @param action              empty or n actions (string or categorical column).
/// @param expected_net_value  empty or n values (NaN allowed: no action).
/// @throws InvalidArgument for lengths that differ and as kpi_summary(); TypeMismatch for an
///         action column that is not string or categorical.
data::Table customer_export(const data::Column& id, const VectorRef& probability,
                            const IntVectorRef& bucket_codes,
                            const std::vector<std::string>& bucket_labels, const VectorRef& revenue,
                            const data::Column& segment = data::Column(),
                            const data::Column& action = data::Column(),
                            const VectorRef& expected_net_value = Vector(),
                            const KpiOptions& options = {});

}  // namespace churn::retention
