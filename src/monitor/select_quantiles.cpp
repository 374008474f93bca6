#include "monitor/select_quantiles.hpp"

#include <algorithm>  // std::sort, std::min, std::max, std::unique, std::minmax_element
#include <cmath>      // std::isnan

#include "common/quantile.hpp"
#include "common/radix_sort.hpp"
#include "monitor/numeric_fit.hpp"

namespace churn::monitor::detail {

std::vector<double> sorted_sample(const double* x, std::size_t n_rows, std::size_t max_size) {
  const std::size_t stride = n_rows > max_size ? (n_rows + max_size - 1) / max_size : 1;
  std::vector<double> s;
  s.reserve(n_rows / stride + 1);
  for (std::size_t i = 0; i < n_rows; i += stride)
    if (!std::isnan(x[i])) s.push_back(x[i]);
  common::sort_doubles(s);
  return s;
}

std::vector<double> select_quantiles(const double* x, std::size_t n_rows, std::size_t n,
                                     const std::vector<double>& levels,
                                     const std::vector<double>& sample) {
  std::vector<std::size_t> ranks = RadixFit::ranks_of_levels(levels, n);
  if (n_rows >= kRadixMinRows && sample.size() >= 2) {
    // two passes over buckets (numeric_fit.hpp)
    RadixFit r(x, n_rows, sample, 0.0);
    r.begin();
    r.pass1(0, n_rows);
    if (r.plan(ranks, {})) {
      r.pass2(0, n_rows);
      bool ok = r.finish();
      std::vector<double> out = ok ? r.quantiles(levels, ok) : std::vector<double>();
      if (ok) return out;
    }
  }
  std::sort(ranks.begin(), ranks.end());
  ranks.erase(std::unique(ranks.begin(), ranks.end()), ranks.end());
  std::vector<double> v;
  v.reserve(n);
  for (std::size_t i = 0; i < n_rows; ++i)
    if (!std::isnan(x[i])) v.push_back(x[i]);
  common::multi_select(v.data(), v.data() + n, ranks.data(), ranks.data() + ranks.size());
  std::vector<double> out;
  out.reserve(levels.size());
  for (double q : levels) {
    std::size_t lo = 0, hi = 0;
    common::linear_quantile_ranks(q, n, lo, hi);
    out.push_back(common::linear_quantile_lerp(q, n, v[lo], v[hi]));
  }
  return out;
}

std::vector<double> select_quantiles(const std::vector<double>& v,
                                     const std::vector<double>& levels) {
  return select_quantiles(v.data(), v.size(), v.size(), levels,
                          sorted_sample(v.data(), v.size(), kMapSample));
}

std::vector<double> edges_of(std::vector<double>& v, int bins, bool quantile) {
  std::vector<double> e;
  if (v.empty()) return e;
  if (quantile) {
    e = select_quantiles(v, common::linspace01(static_cast<std::size_t>(bins)));
  } else {
    const auto mm = std::minmax_element(v.begin(), v.end());
    const double lo = *mm.first, hi = *mm.second;
    e.push_back(lo);
    // np.linspace(lo, hi, bins + 1), as np.histogram: i * ((hi - lo) / bins) + lo
    const double step = (hi - lo) / bins;
    for (int i = 1; i < bins; ++i) e.push_back(double(i) * step + lo);
    e.push_back(hi);
    for (auto& x : e) x = std::min(std::max(x, lo), hi);
  }
  for (auto& x : e) x = x + 0.0;  // -0.0 -> +0.0
  std::sort(e.begin(), e.end());
  e.erase(std::unique(e.begin(), e.end()), e.end());
  return e;
}

}  // namespace churn::monitor::detail
