// Helpers shared by the steps of churn::features::Pipeline (see pipeline_steps.hpp).

#include <algorithm>      // std::sort, std::max
#include <charconv>       // std::to_chars
#include <cmath>          // std::isnan
#include <unordered_set>  // std::unordered_set

#include "churn/core/error.hpp"
#include "common/checks.hpp"
#include "common/json.hpp"
#include "features/pipeline_steps.hpp"

namespace churn::features::detail {

using common::json_get;

using data::Column;
using data::DType;
using data::dtype_name;
using data::Table;

Column empty_column(const std::string& name, DType t) {
  switch (t) {
    case DType::Float64: return Column::from_float64(name, {});
    case DType::Int64: return Column::from_int64(name, {});
    case DType::Categorical: return Column::from_codes(name, {}, {});
    case DType::Timestamp: return Column::from_timestamp(name, {});
    case DType::String: return Column::from_strings(name, {});
  }
  return Column::from_float64(name, {});
}

const Column& find_column(const Table& t, const std::string& name, const std::string& label) {
  CHURN_CHECK(t.has_column(name), InvalidArgument,
              label << ": column '" << name << "' is missing from the input table");
  return t.column(name);
}

const Column& numeric_column(const Table& t, const std::string& name, const std::string& label) {
  const Column& c = find_column(t, name, label);
  CHURN_CHECK(c.dtype() == DType::Float64 || c.dtype() == DType::Int64, TypeMismatch,
              label << ": column '" << name << "' is " << dtype_name(c.dtype())
                    << ", expected a numeric column (float64 or int64)");
  return c;
}

const Column& categorical_column(const Table& t, const std::string& name,
                                 const std::string& label) {
  const Column& c = find_column(t, name, label);
  CHURN_CHECK(c.dtype() == DType::Categorical || c.dtype() == DType::String, TypeMismatch,
              label << ": column '" << name << "' is " << dtype_name(c.dtype())
                    << ", expected a categorical or string column");
  return c;
}

NumericValues::NumericValues(const Column& c) : n_(c.size()) {
  if (c.dtype() == DType::Float64) {
    data_ = c.as_float64().data();
    return;
  }
  const auto v = c.as_int64();
  const auto& valid = c.validity();
  buffer_.resize(static_cast<std::size_t>(n_));
  for (Index i = 0; i < n_; ++i) {
    const bool missing = !valid.empty() && valid[static_cast<std::size_t>(i)] == 0;
    buffer_[static_cast<std::size_t>(i)] = missing ? kMissing : static_cast<double>(v[i]);
  }
  data_ = buffer_.data();
}

F64Buffer::F64Buffer(Index n_rows)
    : ptr(new double[static_cast<std::size_t>(std::max<Index>(n_rows, 1))]), n(n_rows) {}

Column F64Buffer::column(std::string name) const {
  return Column::from_float64_view(std::move(name), ptr.get(), n, ptr);
}

std::vector<double> sorted_values(const double* x, Index n, int n_threads) {
  (void)n_threads;
  std::vector<double> v;
  v.reserve(static_cast<std::size_t>(n));
  for (Index i = 0; i < n; ++i)
    if (!std::isnan(x[i])) v.push_back(x[i]);
  std::sort(v.begin(), v.end());
  return v;
}

std::vector<std::string> json_to_names(const Json& obj, const char* key, const std::string& where,
                                       bool allow_empty_list) {
  auto names = json_get<std::vector<std::string>>(obj, key, where);
  CHURN_CHECK(allow_empty_list || !names.empty(), SerializationError,
              where << ": field '" << key << "' must not be empty");
  // empty names can be real: a table column or an event type named ""
  common::check_distinct<SerializationError>(names, where, std::string("field '") + key + "'");
  return names;
}

CategoryIndex::CategoryIndex(std::vector<std::string> names)
    : names_(std::move(names)), by_value_(names_) {
  index_.reserve(names_.size());
  for (std::size_t i = 0; i < names_.size(); ++i)
    index_.emplace(std::string_view(names_[i]), static_cast<std::int32_t>(i));
}

CategoryMapper::CategoryMapper(const Column& c, const CategoryIndex& idx) : idx_(&idx) {
  if (c.dtype() == DType::Categorical) {
    codes_ = c.codes().data();
    const auto& cats = c.categories();
    lut_.resize(cats.size());
    for (std::size_t k = 0; k < cats.size(); ++k) lut_[k] = idx.find(cats[k]);
    return;
  }
  strings_ = c.strings().data();
  if (!c.validity().empty()) valid_ = c.validity().data();
}

std::vector<std::pair<std::string, Index>> category_counts(const Column& c) {
  std::vector<std::pair<std::string, Index>> out;
  if (c.dtype() == DType::Categorical) {
    const auto codes = c.codes();
    const auto& cats = c.categories();
    std::vector<Index> count(cats.size(), 0);
    for (Index i = 0; i < codes.size(); ++i)
      if (codes[i] >= 0) ++count[static_cast<std::size_t>(codes[i])];
    for (std::size_t k = 0; k < cats.size(); ++k)
      if (count[k] > 0) out.emplace_back(cats[k], count[k]);
    return out;
  }
  const auto& s = c.strings();
  const auto& valid = c.validity();
  std::unordered_map<std::string_view, Index> count;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (!valid.empty() && valid[i] == 0) continue;
    ++count[s[i]];
  }
  out.reserve(count.size());
  for (const auto& [k, v] : count) out.emplace_back(std::string(k), v);
  return out;
}

Table rebuild_table(const Table& t,
                    std::vector<std::pair<std::string, std::vector<Column>>> replace,
                    std::vector<Column> append) {
  std::unordered_map<std::string, std::size_t> pos;
  for (std::size_t k = 0; k < replace.size(); ++k) pos.emplace(replace[k].first, k);
  std::vector<Column> cols;
  cols.reserve(static_cast<std::size_t>(t.num_columns()) + append.size());
  for (const auto& c : t.columns()) {
    auto it = pos.find(c.name());
    if (it == pos.end()) {
      cols.push_back(c);
    } else {
      for (auto& r : replace[it->second].second) cols.push_back(std::move(r));
    }
  }
  for (auto& c : append) cols.push_back(std::move(c));
  return Table(std::move(cols));
}

void check_new_name(const Table& t, const std::string& name, const std::string& label) {
  CHURN_CHECK(!t.has_column(name), InvalidArgument,
              label << ": output column '" << name
                    << "' already exists in the input table; rename or drop it first");
}

std::string format_double(double v) {
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof(buf), v);
  return std::string(buf, r.ptr);
}

}  // namespace churn::features::detail
