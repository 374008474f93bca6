#pragma once
// Private to src/monitor: what the multivariate detectors (domain_classifier.cpp, pca_drift.cpp)
// share: column kinds, category labels, row sampling, the normal distribution and the null
// variance of an AUC (multivariate_detail.cpp).

#include <cstdint>        // std::int32_t, std::uint64_t
#include <string>         // std::string
#include <unordered_map>  // std::unordered_map
#include <vector>         // std::vector

#include "churn/core/types.hpp"
#include "churn/data/table.hpp"

namespace churn::monitor::detail {

/// Whether a column is categorical for the multivariate detectors: false for float64 and int64,
/// true for categorical and string.
/// @throws TypeMismatch naming `caller` and the column for a timestamp column.
bool mv_is_categorical(const data::Column& c, const char* caller);

/// The column of `table` named `name` whose kind (numeric or categorical) is `categorical`.
/// @throws InvalidArgument naming `caller` and the column if `table` lacks it; TypeMismatch if
///         its kind differs (or it is a timestamp column).
const data::Column& mv_column(const data::Table& table, const std::string& name, bool categorical,
                              const char* caller);

/// The values of a numeric column (NaN = missing), checked finite: the column's memory for
/// float64, else converted into `buffer`.
/// @throws InvalidArgument naming `caller`, the column and the row of an infinite value.
const double* mv_numeric(const data::Column& c, std::vector<double>& buffer, const char* caller);

/// A dictionary of category labels: label -> code in order of insertion.
struct LabelCoder {
  std::unordered_map<std::string, std::int32_t> index;  ///< label -> code
  std::vector<std::string> labels;                      ///< code -> label
  /// The code of `label`; a new label gets the next code when `add`, else -2.
  std::int32_t code(const std::string& label, bool add);
};

/// Per row of a categorical or string column: the code of its label in `coder` (-1 missing,
/// -2 a label `coder` lacks when not `add`).
std::vector<std::int32_t> label_codes(const data::Column& c, LabelCoder& coder, bool add);

/// `k` distinct rows of [0, n) drawn with `seed`, increasing (all of them when k >= n).
std::vector<Index> sample_rows(Index n, Index k, std::uint64_t seed);

/// Null variance of the AUC (Mann-Whitney U / (n0 n1)) of a random labelling of `scores` with
/// `n1` positives and the rest negatives, tie-corrected:
/// ((N + 1) - sum_t (t^3 - t) / (N (N - 1))) / (12 n0 n1).
/// @throws InvalidArgument if either class is empty.
double auc_null_variance(const VectorRef& scores, Index n1);

}  // namespace churn::monitor::detail
