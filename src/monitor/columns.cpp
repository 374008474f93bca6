#include "monitor/columns.hpp"

#include <algorithm>  // std::sort
#include <cmath>      // std::isinf, std::fabs
#include <cstring>    // std::memcpy
#include <limits>     // std::numeric_limits
#include <utility>    // std::move

#include "churn/core/error.hpp"
#include "common/checks.hpp"

namespace churn::monitor::detail {

using data::Column;
using data::DType;
using data::dtype_name;

bool is_numeric(DType t) {
  return t == DType::Float64 || t == DType::Int64 || t == DType::Timestamp;
}

bool is_categorical(DType t) {
  return t == DType::Categorical || t == DType::String;
}

CategoryCounts counts_by_name(const std::vector<std::string>& dict,
                              const std::vector<std::int64_t>& per_code, std::int64_t missing) {
  std::vector<std::size_t> order;
  for (std::size_t k = 0; k < dict.size(); ++k)
    if (per_code[k] > 0) order.push_back(k);
  std::sort(order.begin(), order.end(),
            [&](std::size_t a, std::size_t b) { return dict[a] < dict[b]; });
  std::vector<std::string> names;
  std::vector<std::int64_t> counts;
  names.reserve(order.size());
  counts.reserve(order.size());
  for (auto k : order) {
    names.push_back(dict[k]);
    counts.push_back(per_code[k]);
  }
  return CategoryCounts::from_parts(std::move(names), std::move(counts), missing);
}

void column_values(const Column& c, Index lo, Index hi, double* out, const char* caller) {
  switch (c.dtype()) {
    case DType::Float64: {
      const double* x = c.as_float64().data();
      std::memcpy(out, x + lo, static_cast<std::size_t>(hi - lo) * sizeof(double));
      return;
    }
    case DType::Int64: {
      const std::int64_t* x = c.as_int64().data();
      const auto& valid = c.validity();
      if (valid.empty()) {
        for (Index i = lo; i < hi; ++i) out[i - lo] = static_cast<double>(x[i]);
      } else {
        for (Index i = lo; i < hi; ++i)
          out[i - lo] = valid[static_cast<std::size_t>(i)] ? static_cast<double>(x[i]) : kMissing;
      }
      return;
    }
    case DType::Timestamp: {
      const std::int64_t* x = c.as_int64().data();
      for (Index i = lo; i < hi; ++i)
        out[i - lo] = x[i] == kNaT ? kMissing : static_cast<double>(x[i]);
      return;
    }
    default: break;
  }
  CHURN_THROW(TypeMismatch, caller << ": column '" << c.name() << "' has type "
                                   << dtype_name(c.dtype())
                                   << "; expected float64, int64 or timestamp");
}

const double* numeric_data(const Column& c, std::vector<double>& buffer, const char* caller) {
  if (c.dtype() == DType::Float64) return c.as_float64().data();
  buffer.resize(static_cast<std::size_t>(c.size()));
  column_values(c, 0, c.size(), buffer.data(), caller);
  return buffer.data();
}

std::size_t check_finite(const Column& c, const double* x, const char* caller) {
  std::size_t missing = 0, not_finite = 0;
  for (Index i = 0; i < c.size(); ++i) {
    const double v = x[i];
    missing += v != v ? 1 : 0;
    not_finite += std::fabs(v) <= std::numeric_limits<double>::max() ? 0 : 1;
  }
  if (not_finite > missing)  // an infinity: find its row
    common::check_each(Eigen::Map<const Vector>(x, c.size()), caller, "column '" + c.name() + "'",
                       "hold no infinite value (NaN for missing)",
                       [](double v) { return !std::isinf(v); });
  return static_cast<std::size_t>(c.size()) - missing;
}

}  // namespace churn::monitor::detail
