// A table's columns as GBDT features: learning the category labels in fit, mapping a later
// table's labels through them when scoring; one helper per column type serves both.
#include "tree/gbdt_table.hpp"

#include <algorithm>      // std::find
#include <cmath>          // std::isnan
#include <cstdint>        // std::int32_t, std::uint8_t
#include <optional>       // std::optional
#include <string_view>    // std::string_view
#include <unordered_map>  // std::unordered_map

#include "churn/core/error.hpp"
#include "common/category_labels.hpp"

namespace churn::tree::detail {

using data::Column;
using data::DType;
using data::dtype_name;
using data::Table;

namespace {

/// Column `j` of `X` from a float64 or int64 column (missing: NaN).
void put_numbers(const Column& c, Index j, RowMatrix& X) {
  for (Index i = 0; i < X.rows(); ++i) X(i, j) = c.value_double(i);
}

/// Column `j` of `X` from a categorical column: dictionary code k becomes `to_code[k]`,
/// missing NaN.
void put_category_codes(const Column& c, const std::vector<double>& to_code, Index j,
                        RowMatrix& X) {
  for (Index i = 0; i < X.rows(); ++i) {
    const std::int32_t k = c.code_at(i);
    X(i, j) = k < 0 ? kMissing : to_code[static_cast<std::size_t>(k)];
  }
}

/// Column `j` of `X` from a string column: `code_of(value)` for each value in row order,
/// missing NaN.
template <class CodeOf>
void put_string_codes(const Column& c, CodeOf&& code_of, Index j, RowMatrix& X) {
  const auto& values = c.strings();
  for (Index i = 0; i < X.rows(); ++i)
    X(i, j) = c.is_missing(i) ? kMissing : code_of(values[static_cast<std::size_t>(i)]);
}

/// Fit: a string column coded by its values in order of first appearance, which `labels`
/// receives.
void put_learned_string_codes(const Column& c, Index j, RowMatrix& X,
                              std::vector<std::string>& labels) {
  std::unordered_map<std::string_view, double> code;
  put_string_codes(
      c,
      [&](const std::string& v) {
        const auto [it, added] = code.emplace(v, static_cast<double>(code.size()));
        if (added) labels.push_back(v);
        return it->second;
      },
      j, X);
}

/// Fit: a categorical column coded by the categories its rows use, in dictionary order, which
/// `labels` receives: unused categories (a filtered table's) are dropped, so that the codes stay
/// dense and the model is the one of the table without them. A column of missing values only
/// keeps its whole dictionary (no code refers to it).
void put_own_category_codes(const Column& c, Index j, RowMatrix& X,
                            std::vector<std::string>& labels) {
  const auto& cats = c.categories();
  std::vector<std::uint8_t> used(cats.size(), 0);
  for (Index i = 0; i < c.size(); ++i) {
    const std::int32_t k = c.code_at(i);
    if (k >= 0) used[static_cast<std::size_t>(k)] = 1;
  }
  std::vector<double> to_code(cats.size(), kMissing);
  labels.clear();
  for (std::size_t k = 0; k < cats.size(); ++k) {
    if (used[k] == 0) continue;
    to_code[k] = static_cast<double>(labels.size());
    labels.push_back(cats[k]);
  }
  if (labels.empty()) {
    labels = cats;
    for (std::size_t k = 0; k < cats.size(); ++k) to_code[k] = static_cast<double>(k);
  }
  put_category_codes(c, to_code, j, X);
}

/// Scoring: a categorical or string column whose labels map through `labels` (label k of
/// training is code k; unseen labels take the missing direction, NaN). A label is found by its
/// text, else by its numeric value (common::NumericLabels: "1.0" finds a training "1").
void put_label_codes(const Column& c, const std::vector<std::string>& labels, Index j,
                     RowMatrix& X) {
  // Few lookups (a one-row request: one category per column) search the labels directly; more
  // build a hash map once.
  const std::size_t lookups =
      c.dtype() == DType::Categorical ? c.categories().size() : static_cast<std::size_t>(c.size());
  const bool use_map = lookups * labels.size() > 256;
  std::unordered_map<std::string_view, double> code;
  if (use_map) {
    code.reserve(labels.size());
    for (std::size_t k = 0; k < labels.size(); ++k) code.emplace(labels[k], static_cast<double>(k));
  }
  std::optional<common::NumericLabels> by_value;  // built at the first label not found as text
  const auto by_text = [&](std::string_view label) {
    if (!use_map) {
      const auto it = std::find(labels.begin(), labels.end(), label);
      return it == labels.end() ? kMissing : static_cast<double>(it - labels.begin());
    }
    const auto it = code.find(label);
    return it == code.end() ? kMissing : it->second;
  };
  const auto lookup = [&](std::string_view label) {  // unseen: the missing direction (NaN)
    const double k = by_text(label);
    if (!std::isnan(k)) return k;
    if (!by_value) by_value.emplace(labels);
    const std::int32_t v = by_value->find(label);
    return v < 0 ? kMissing : static_cast<double>(v);
  };
  if (c.dtype() == DType::Categorical) {
    const auto& cats = c.categories();
    std::vector<double> to_code(cats.size());
    for (std::size_t k = 0; k < cats.size(); ++k) to_code[k] = lookup(cats[k]);
    put_category_codes(c, to_code, j, X);
  } else {
    put_string_codes(c, lookup, j, X);
  }
}

}  // namespace

TableFeatures table_features(const Table& table, const char* who) {
  const Index n = table.num_rows(), p = table.num_columns();
  TableFeatures out;
  out.X.resize(n, p);
  out.names = table.column_names();
  out.labels.resize(static_cast<std::size_t>(p));
  out.categorical.assign(static_cast<std::size_t>(p), false);
  for (Index j = 0; j < p; ++j) {
    const auto jj = static_cast<std::size_t>(j);
    const Column& c = table.column(out.names[jj]);
    switch (c.dtype()) {
      case DType::Float64:
      case DType::Int64: put_numbers(c, j, out.X); break;
      case DType::Categorical:
        out.categorical[jj] = true;
        put_own_category_codes(c, j, out.X, out.labels[jj]);
        break;
      case DType::String:
        out.categorical[jj] = true;
        put_learned_string_codes(c, j, out.X, out.labels[jj]);
        break;
      default:
        CHURN_THROW(TypeMismatch, who << ": column '" << out.names[jj] << "' has type "
                                      << dtype_name(c.dtype())
                                      << "; features are float64, int64, category or string");
    }
  }
  return out;
}

RowMatrix encode_table(const Table& table, const std::vector<std::string>& names,
                       const std::vector<std::uint8_t>& is_categorical,
                       const std::vector<std::vector<std::string>>& labels_of, const char* who) {
  const auto n_features = static_cast<Index>(names.size());
  RowMatrix X(table.num_rows(), n_features);
  for (Index j = 0; j < n_features; ++j) {
    const auto jj = static_cast<std::size_t>(j);
    const std::string& name = names[jj];
    const Column& c = table.column(name);
    const bool categorical = is_categorical[jj] != 0;
    const std::vector<std::string>* labels =
        labels_of.empty() || labels_of[jj].empty() ? nullptr : &labels_of[jj];
    if (c.dtype() == DType::Categorical || c.dtype() == DType::String) {
      CHURN_CHECK(categorical && labels != nullptr, TypeMismatch,
                  who << ": column '" << name << "' holds "
                      << (c.dtype() == DType::String ? "text" : "categories") << " but feature "
                      << j
                      << (categorical ? " has no stored category labels (pass its integer codes)"
                                      : " was numeric in training"));
      put_label_codes(c, *labels, j, X);
      continue;
    }
    CHURN_CHECK(labels == nullptr, TypeMismatch,
                who << ": column '" << name << "' has type " << dtype_name(c.dtype())
                    << " but feature " << j
                    << " is categorical with stored labels: read it as a category column (e.g. "
                       "read_csv's column types)");
    CHURN_CHECK(c.dtype() == DType::Float64 || c.dtype() == DType::Int64, TypeMismatch,
                who << ": column '" << name << "' has type " << dtype_name(c.dtype())
                    << "; feature " << j << " needs float64 or int64 values"
                    << (categorical ? " (its integer codes)" : ""));
    put_numbers(c, j, X);
  }
  return X;
}

}  // namespace churn::tree::detail
