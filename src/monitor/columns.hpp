#pragma once
// Private to src/monitor: reading a table's columns as numbers (NaN = missing) or as category
// counts, and the checks of their values (columns.cpp).

#include <cstddef>  // std::size_t
#include <cstdint>  // std::int64_t
#include <string>   // std::string
#include <vector>   // std::vector

#include "churn/core/types.hpp"
#include "churn/data/table.hpp"
#include "churn/monitor/psi.hpp"  // CategoryCounts

namespace churn::monitor::detail {

/// True for Float64, Int64 and Timestamp columns (binned as numbers).
bool is_numeric(data::DType t);
/// True for Categorical and String columns (binned by category name).
bool is_categorical(data::DType t);

/// The counts of a categorical column as CategoryCounts holds them: the entries of its
/// dictionary `dict` counted at least once (`per_code[k] > 0`), sorted by name, with their
/// counts, and `missing` rows with code -1.
CategoryCounts counts_by_name(const std::vector<std::string>& dict,
                              const std::vector<std::int64_t>& per_code, std::int64_t missing);

/// Rows [lo, hi) of a numeric column as doubles in `out` (NaN = missing).
/// @throws TypeMismatch naming `caller` for other column types.
void column_values(const data::Column& c, Index lo, Index hi, double* out, const char* caller);

/// The values of a numeric column as doubles (NaN = missing): the column's own memory for
/// float64, else converted into `buffer`.
const double* numeric_data(const data::Column& c, std::vector<double>& buffer, const char* caller);
/// Number of non-NaN values of x[0, c.size()).
/// @throws InvalidArgument naming `caller`, the column and the first row of an infinite value.
std::size_t check_finite(const data::Column& c, const double* x, const char* caller);

}  // namespace churn::monitor::detail
