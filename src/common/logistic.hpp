#pragma once
/// @file logistic.hpp
/// The logistic function and its relatives (never installed): the link of logistic regression,
/// gradient boosting's log-loss, Platt calibration and the synthetic churn labels. Inline: they
/// sit in the models' per-row loops.

#include <cmath>  // std::exp, std::log, std::log1p

namespace churn::common {

/// 1 / (1 + exp(-z)) in the stable form: exp of a non-positive number only, so no overflow and
/// full relative precision in both tails (down to the subnormal exp(z) below z = -709.78).
inline double sigmoid(double z) noexcept {
  if (z >= 0) return 1.0 / (1.0 + std::exp(-z));
  const double e = std::exp(z);
  return e / (1.0 + e);
}

/// scipy.special.expit, bit for bit: the textbook 1 / (1 + exp(-z)). Never NaN (exp overflows to
/// inf and the result to 0), but 0 below z = -709.78 and up to an ulp from sigmoid() for z < 0.
/// For results that must equal scipy's or scikit-learn's (Platt scaling) and for data whose
/// values are pinned (the synthetic generators); sigmoid() everywhere else.
inline double expit(double z) noexcept {
  return 1.0 / (1.0 + std::exp(-z));
}

/// log(1 + exp(z)) (log1pexp) without overflow: z + log1p(exp(-z)) for z > 0.
inline double softplus(double z) noexcept {
  return z > 0 ? z + std::log1p(std::exp(-z)) : std::log1p(std::exp(z));
}

/// The log-loss of a 0/1 label `y` (y > 0.5 is class 1) at the raw score (log-odds) `z`:
/// -log sigmoid(z) = softplus(-z) for class 1, -log(1 - sigmoid(z)) = softplus(z) for class 0.
/// Unlike softplus(z) - y z, it keeps the tiny losses of confident right answers.
inline double logistic_loss(double y, double z) noexcept {
  return softplus(y > 0.5 ? -z : z);
}

/// The log-odds log(p / (1 - p)) of a probability p in (0, 1) (±inf at 0 and 1).
inline double logit(double p) noexcept {
  return std::log(p / (1.0 - p));
}

}  // namespace churn::common
