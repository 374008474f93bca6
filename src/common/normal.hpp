#pragma once
/// @file normal.hpp
/// The standard normal and binomial tails the monitor's tests and bands use (never installed):
/// one implementation for the performance estimator's bands, the domain classifier's and the
/// PCA drift's p-values and thresholds.

#include "churn/core/types.hpp"

namespace churn::common {

/// Standard normal CDF Phi(z).
double normal_cdf(double z);
/// Standard normal upper tail 1 - Phi(z), accurate far in the tail (erfc, no cancellation).
double normal_sf(double z);
/// The standard normal quantile Phi^-1(q): Acklam's rational approximation refined by one
/// Halley step on erfc (relative error below 1e-15); -inf at 0, +inf at 1, NaN outside [0, 1].
double normal_quantile(double q);
/// P(X >= x) for X ~ Binomial(m, a), a in (0, 1) (a sum of terms in logs); 1 for x <= 0, 0 for
/// x > m.
double binomial_upper_tail(Index x, Index m, double a);

}  // namespace churn::common
