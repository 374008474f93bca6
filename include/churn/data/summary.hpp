#pragma once
/// @file summary.hpp
/// Per-column summary statistics of a table (what `pandas.DataFrame.describe(include="all")`
/// plus missing counts gives).

#include <string>  // std::string

#include "churn/data/table.hpp"

namespace churn {

/// One row per column of `table`, with columns:
/// `column` (string), `dtype` (category), `count` (non-missing, float64), `missing`,
/// `missing_rate`, `mean`, `std` (sample, ddof = 1), `min`, `p25`, `p50`, `p75`, `max`
/// (float64; NaN where not defined: text columns, or no values; quantiles linear as numpy's
/// default; timestamps in ns), `n_unique` (distinct non-missing values), `top` (most frequent
/// value as text for categorical/string columns, ties broken by first appearance; "" otherwise).
Table describe(const Table& table, int n_threads = 0);

/// `describe(table)` formatted as an aligned text table for a terminal.
std::string describe_string(const Table& table, int n_threads = 0);

}  // namespace churn
