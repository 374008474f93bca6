#pragma once
/// @file fit_inputs.hpp
/// The training-set checks and the table-column bookkeeping that the tree models' fits share
/// (private to churnlib).

#include <algorithm>  // std::sort, std::unique
#include <cstdint>    // std::uint8_t
#include <string>     // std::string
#include <vector>     // std::vector

#include "churn/core/error.hpp"
#include "churn/core/fit_options.hpp"
#include "churn/core/types.hpp"
#include "common/checks.hpp"
#include "tree/gbdt_shared.hpp"

namespace churn::tree::detail {

/// Checks a training set: X not empty and not too tall, y and feature_names of matching
/// lengths, categorical_features in range, labels 0/1, sample weights, categorical codes.
/// @return per feature, 1 when it is categorical.
/// @throws InvalidArgument naming `who` and what is wrong.
template <class Features>
std::vector<std::uint8_t> check_fit_inputs(const Features& X, const VectorRef& y,
                                           const FitOptions& options,
                                           const std::vector<int>& categorical_features,
                                           int n_threads, const char* who) {
  const Index n = X.rows(), p = X.cols();
  CHURN_CHECK(n > 0 && p > 0, InvalidArgument, who << ": X is empty (" << n << " x " << p << ")");
  CHURN_CHECK(n < (Index{1} << 31) - 1, InvalidArgument,
              who << ": at most 2^31 - 2 rows are supported, got " << n);
  CHURN_CHECK(y.size() == n, InvalidArgument,
              who << ": y has " << y.size() << " entries for " << n << " rows of X");
  const std::vector<std::string>& names = options.feature_names;
  CHURN_CHECK(names.empty() || static_cast<Index>(names.size()) == p, InvalidArgument,
              who << ": feature_names has " << names.size() << " entries for " << p << " columns");
  std::vector<std::uint8_t> is_cat(static_cast<std::size_t>(p), 0);
  for (const int f : categorical_features) {
    CHURN_CHECK(
        f < p, InvalidArgument,
        who << ": categorical_features lists column " << f << " but X has " << p << " columns");
    is_cat[static_cast<std::size_t>(f)] = 1;
  }
  common::check_binary_labels(y, who, "y", false, threads_for(n, n_threads));
  if (options.sample_weight.size() != 0)
    common::check_sample_weight(options.sample_weight, n, who, "sample_weight",
                                threads_for(n, n_threads));
  check_codes(X, is_cat, names, who, "X");
  return is_cat;
}

/// `listed` (the parameters' categorical_features) with the table's categorical columns
/// added, sorted and without repeats.
inline std::vector<int> with_table_categoricals(std::vector<int> listed,
                                                const std::vector<bool>& categorical) {
  for (std::size_t j = 0; j < categorical.size(); ++j)
    if (categorical[j]) listed.push_back(static_cast<int>(j));
  std::sort(listed.begin(), listed.end());
  listed.erase(std::unique(listed.begin(), listed.end()), listed.end());
  return listed;
}

/// Per column of `p`, 1 when `features` lists it (out-of-range entries are left to fit's
/// check).
inline std::vector<std::uint8_t> categorical_mask(const std::vector<int>& features, std::size_t p) {
  std::vector<std::uint8_t> is_cat(p, 0);
  for (const int f : features)
    if (f >= 0 && static_cast<std::size_t>(f) < p) is_cat[static_cast<std::size_t>(f)] = 1;
  return is_cat;
}

/// Checks that each of `columns` (fit_columns' features) has the rows of the first; returns
/// that count. @throws InvalidArgument for no columns or different lengths.
inline Index column_rows(const std::vector<VectorRef>& columns, const char* who) {
  CHURN_CHECK(!columns.empty(), InvalidArgument, who << ": no columns");
  const Index n = columns[0].size();
  for (std::size_t j = 0; j < columns.size(); ++j)
    CHURN_CHECK(
        columns[j].size() == n, InvalidArgument,
        who << ": column " << j << " has " << columns[j].size() << " rows, column 0 has " << n);
  return n;
}

}  // namespace churn::tree::detail
