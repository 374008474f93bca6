// The helpers the multivariate detectors share (see multivariate_detail.hpp).
#include "monitor/multivariate_detail.hpp"

#include <algorithm>  // std::sort, std::min
#include <cmath>      // std::erfc, std::sqrt, std::log
#include <numeric>    // std::iota

#include "churn/core/error.hpp"
#include "churn/core/random.hpp"
#include "monitor/columns.hpp"

namespace churn::monitor::detail {

using data::Column;
using data::DType;

bool mv_is_categorical(const Column& c, const char* caller) {
  CHURN_CHECK(c.dtype() != DType::Timestamp, TypeMismatch,
              caller << ": column '" << c.name()
                     << "' is a timestamp; the multivariate detectors take numeric "
                        "(float64, int64), categorical and string columns only");
  return c.dtype() == DType::Categorical || c.dtype() == DType::String;
}

const Column& mv_column(const data::Table& table, const std::string& name, bool categorical,
                        const char* caller) {
  const Column* c = table.get(name);
  CHURN_CHECK(c != nullptr, InvalidArgument,
              caller << ": current lacks the reference column '" << name << "'");
  CHURN_CHECK(mv_is_categorical(*c, caller) == categorical, TypeMismatch,
              caller << ": column '" << name << "' is " << (categorical ? "categorical" : "numeric")
                     << " in the reference but " << data::dtype_name(c->dtype()) << " in current");
  return *c;
}

const double* mv_numeric(const Column& c, std::vector<double>& buffer, const char* caller) {
  const double* x = numeric_data(c, buffer, caller);
  check_finite(c, x, caller);
  return x;
}

std::int32_t LabelCoder::code(const std::string& label, bool add) {
  const auto it = index.find(label);
  if (it != index.end()) return it->second;
  if (!add) return -2;
  const auto k = static_cast<std::int32_t>(labels.size());
  index.emplace(label, k);
  labels.push_back(label);
  return k;
}

std::vector<std::int32_t> label_codes(const Column& c, LabelCoder& coder, bool add) {
  std::vector<std::int32_t> out(static_cast<std::size_t>(c.size()), -1);
  if (c.dtype() == DType::Categorical) {
    const auto& dict = c.categories();
    std::vector<std::int32_t> map(dict.size(), -3);  // -3: not looked up yet
    for (Index i = 0; i < c.size(); ++i) {
      const std::int32_t k = c.code_at(i);
      if (k < 0) continue;
      auto& m = map[static_cast<std::size_t>(k)];
      if (m == -3) m = coder.code(dict[static_cast<std::size_t>(k)], add);
      out[static_cast<std::size_t>(i)] = m;
    }
    return out;
  }
  const auto& values = c.strings();
  const auto& valid = c.validity();
  for (Index i = 0; i < c.size(); ++i) {
    const auto u = static_cast<std::size_t>(i);
    if (!valid.empty() && valid[u] == 0) continue;
    out[u] = coder.code(values[u], add);
  }
  return out;
}

std::vector<Index> sample_rows(Index n, Index k, std::uint64_t seed) {
  std::vector<Index> rows(static_cast<std::size_t>(n));
  std::iota(rows.begin(), rows.end(), Index{0});
  if (k >= n) return rows;
  Rng rng(seed);
  for (Index i = 0; i < k; ++i) {  // partial Fisher-Yates
    const auto j = i + static_cast<Index>(rng.uniform_int(static_cast<std::uint64_t>(n - i)));
    std::swap(rows[static_cast<std::size_t>(i)], rows[static_cast<std::size_t>(j)]);
  }
  rows.resize(static_cast<std::size_t>(k));
  std::sort(rows.begin(), rows.end());
  return rows;
}

double auc_null_variance(const VectorRef& scores, Index n1) {
  const Index n = scores.size(), n0 = n - n1;
  CHURN_CHECK(n1 >= 1 && n0 >= 1, InvalidArgument,
              "auc_null_variance(): both classes need rows, got " << n0 << " and " << n1);
  std::vector<double> s(scores.data(), scores.data() + n);
  std::sort(s.begin(), s.end());
  double ties = 0;
  for (std::size_t i = 0; i < s.size();) {
    std::size_t j = i + 1;
    while (j < s.size() && s[j] == s[i]) ++j;
    const auto t = static_cast<double>(j - i);
    ties += t * t * t - t;
    i = j;
  }
  const auto nn = static_cast<double>(n);
  const double correction = n > 1 ? ties / (nn * (nn - 1)) : 0.0;
  return ((nn + 1) - correction) / (12.0 * static_cast<double>(n0) * static_cast<double>(n1));
}

}  // namespace churn::monitor::detail
