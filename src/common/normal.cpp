#include "common/normal.hpp"

#include <algorithm>  // std::min
#include <cmath>      // std::erfc, std::exp, std::lgamma, std::log, std::log1p, std::sqrt
#include <limits>     // std::numeric_limits

namespace churn::common {

namespace {

constexpr double kPi = 3.14159265358979323846;

/// Acklam's approximation of the normal quantile (relative error about 1e-9).
double acklam(double q) {
  static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,  -2.759285104469687e+02,
                             1.383577518672690e+02,  -3.066479806614716e+01, 2.506628277459239e+00};
  static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                             6.680131188771972e+01, -1.328068155288572e+01};
  static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                             -2.549732539343734e+00, 4.374664141464968e+00,  2.938163982698783e+00};
  static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                             3.754408661907416e+00};
  const double lo = 0.02425;
  if (q < lo || q > 1 - lo) {
    const double r = std::sqrt(-2 * std::log(q < lo ? q : 1 - q));
    const double x = (((((c[0] * r + c[1]) * r + c[2]) * r + c[3]) * r + c[4]) * r + c[5]) /
                     ((((d[0] * r + d[1]) * r + d[2]) * r + d[3]) * r + 1);
    return q < lo ? x : -x;
  }
  const double u = q - 0.5, r = u * u;
  return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * u /
         (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

}  // namespace

double normal_cdf(double z) {
  return 0.5 * std::erfc(-z / std::sqrt(2.0));
}

double normal_sf(double z) {
  return 0.5 * std::erfc(z / std::sqrt(2.0));
}

double normal_quantile(double q) {
  const double inf = std::numeric_limits<double>::infinity();
  if (!(q > 0.0 && q < 1.0))
    return q == 0.0 ? -inf : (q == 1.0 ? inf : std::numeric_limits<double>::quiet_NaN());
  double x = acklam(q);
  // one Halley step on Phi(x) - q
  const double e = normal_cdf(x) - q;
  const double u = e * std::sqrt(2 * kPi) * std::exp(x * x / 2);
  return x - u / (1 + x * u / 2);
}

double binomial_upper_tail(Index x, Index m, double a) {
  if (x <= 0) return 1.0;
  if (x > m) return 0.0;
  const double lm = std::lgamma(static_cast<double>(m) + 1);
  double total = 0;
  for (Index k = x; k <= m; ++k) {
    const auto kd = static_cast<double>(k), md = static_cast<double>(m);
    total += std::exp(lm - std::lgamma(kd + 1) - std::lgamma(md - kd + 1) + kd * std::log(a) +
                      (md - kd) * std::log1p(-a));
  }
  return std::min(total, 1.0);
}

}  // namespace churn::common
