#include "monitor/divergence.hpp"

#include <algorithm>  // std::max
#include <cmath>      // std::log, std::sqrt

namespace churn::monitor::detail {

double psi_counts(const std::vector<std::int64_t>& r, const std::vector<std::int64_t>& c,
                  double epsilon) {
  double nr = 0, nc = 0;
  for (auto v : r) nr += static_cast<double>(v);
  for (auto v : c) nc += static_cast<double>(v);
  double s = 0;
  for (std::size_t i = 0; i < r.size(); ++i) {
    if (r[i] == 0 && c[i] == 0) continue;
    const double p = r[i] ? static_cast<double>(r[i]) / nr : epsilon;
    const double q = c[i] ? static_cast<double>(c[i]) / nc : epsilon;
    s += (q - p) * std::log(q / p);
  }
  return s;
}

double js_counts(const std::vector<std::int64_t>& r, const std::vector<std::int64_t>& c) {
  double nr = 0, nc = 0;
  for (auto v : r) nr += static_cast<double>(v);
  for (auto v : c) nc += static_cast<double>(v);
  double d = 0;
  for (std::size_t i = 0; i < r.size(); ++i) {
    const double p = static_cast<double>(r[i]) / nr;
    const double q = static_cast<double>(c[i]) / nc;
    const double m = 0.5 * (p + q);
    if (p > 0) d += 0.5 * p * std::log(p / m);
    if (q > 0) d += 0.5 * q * std::log(q / m);
  }
  return std::sqrt(std::max(d, 0.0));
}

}  // namespace churn::monitor::detail
