#pragma once
/// @file gbdt_table.hpp
/// A table's columns as GBDT features (private to churnlib): fit learns the category labels
/// of a table (table_features), scoring maps a later table's labels through them
/// (encode_table); both convert the column types with the same helpers.

#include <string>  // std::string
#include <vector>  // std::vector

#include "churn/core/types.hpp"
#include "churn/data/table.hpp"

namespace churn::tree::detail {

/// A table's columns as GBDT features: the matrix (categorical and string columns as codes
/// into `labels[j]`, missing as NaN), the column names, and which columns are categorical.
struct TableFeatures {
  RowMatrix X;
  std::vector<std::string> names;
  std::vector<std::vector<std::string>> labels;
  std::vector<bool> categorical;
};

/// Every column of `table` as features (fit): float64 and int64 columns as numbers; a
/// categorical column coded by the categories its rows use (in dictionary order: unused ones
/// are dropped), which become its labels; a string column coded by its values in order of
/// first appearance.
/// @throws TypeMismatch for a column of another type (`who` starts the message).
TableFeatures table_features(const data::Table& table, const char* who);

/// The model's input matrix from a table (see GBDTClassifier::feature_matrix): the columns
/// `names`, categorical labels mapped through `labels_of` (unseen and missing: NaN). A label
/// finds the stored label of the same text, else the one of the same numeric value
/// (common/category_labels.hpp: "1.0" finds "1").
/// @throws TypeMismatch for a column whose type does not fit its feature.
RowMatrix encode_table(const data::Table& table, const std::vector<std::string>& names,
                       const std::vector<std::uint8_t>& is_categorical,
                       const std::vector<std::vector<std::string>>& labels_of, const char* who);

}  // namespace churn::tree::detail
