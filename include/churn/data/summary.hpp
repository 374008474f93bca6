#pragma once
/// @file summary.hpp
/// Per-column summary statistics of a table (what `pandas.DataFrame.describe(include="all")`
/// plus missing counts gives).

#include <string>  // std::string

#include "churn/data/table.hpp"

namespace churn::data {

/// Summary statistics, one row per column of `table` (in table order), with columns:
/// - `column` (string): the column name;
/// - `dtype` (category): its dtype_name();
/// - `count`, `missing` (float64): non-missing and missing values; `missing_rate` = missing / rows
///   (NaN for a table without rows);
/// - `mean`, `std` (sample, ddof = 1), `min`, `p25`, `p50`, `p75`, `max` (float64): for float64,
///   int64 and timestamp columns (timestamps in ns since 1970); NaN for categorical and string
///   columns, when there are no values, and `std` with fewer than two values. Quantiles are
///   numpy's default (linear interpolation at position (n - 1) q of the sorted values);
/// - `n_unique` (float64): distinct non-missing values (for categorical columns, the categories
///   that occur, not the dictionary size);
/// - `top` (string): the most frequent value of a categorical or string column, ties broken by
///   first appearance; "" for other types or without values.
///
/// Columns are summarised in parallel; the result does not depend on `n_threads`.
/// @param table the table to describe.
/// @param n_threads 0 = all cores.
/// @throws InvalidArgument if `n_threads` < 0.
/// @code
/// churn::data::Table d = churn::describe(customers);
/// double tenure_median = d.column("p50").as_float64()[customers.column_index("tenure")];
/// @endcode
Table describe(const Table& table, int n_threads = 0);

/// `describe(table)` as an aligned text table for a terminal: a title line with the table's
/// shape, a header, then one line per column. Numbers have 4 significant digits (counts in
/// full, missing as count and percentage); timestamp statistics are shown as dates (with the
/// time of day when the column spans less than two days) and their `std` as a duration ("3.2d",
/// "5h", "12min", "40s"); long names and values are shortened with "...".
/// @throws InvalidArgument if `n_threads` < 0.
std::string describe_string(const Table& table, int n_threads = 0);

}  // namespace churn::data
