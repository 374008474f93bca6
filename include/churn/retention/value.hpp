#pragma once
/// @file value.hpp
/// Money per customer: revenue at risk, customer lifetime value (CLV) and expected loss, and
/// their sums by group.
///
/// For a customer with churn probability `p` per period (in [0, 1]) and periodic revenue `r`
/// (finite, >= 0), with ValueParams horizon `H` (periods), discount rate `d` (per period) and
/// margin `m` (fraction of revenue kept):
///
/// - **revenue at risk** `= p * r * H`: the revenue of the horizon lost if the customer churns
///   now, weighted by the probability that they do.
/// - **customer lifetime value** (a subscription, payments at the start of each period while the
///   customer stays; period 0 is paid, a customer who has not churned after t periods is there
///   with probability `(1 - p)^t`, each payment discounted by `(1 + d)^t`):
///   @code
///   clv = m * r * sum_{t=0}^{H-1} q^t,   q = (1 - p) / (1 + d)
///       = m * r * (1 - q^H) / (1 - q)    (q < 1),   m * r * H   (q = 1: p = 0 and d = 0)
///   @endcode
///   computed by doubling over the bits of H (`S(2k) = S(k) (1 + q^k)`, `S(k + 1) = 1 + q S(k)`
///   with `S(k) = sum_{t<k} q^t`): positive terms only, so nothing cancels near q = 1, and about
///   2 log2(H) multiplications per customer. At p = 1 the sum is its first term, `clv = m * r`.
/// - **expected loss** `= p * clv`: the lifetime value at stake times the probability that it
///   is lost ("CLV at risk"; a ranking of what a churn would cost, not a cash forecast).
///
/// Sums (of groups, of the KPI summary) add rows in fixed blocks in row order and fold the
/// blocks in order, so they do not depend on the thread count.

#include <string>  // std::string

#include "churn/core/json.hpp"
#include "churn/core/types.hpp"

namespace churn::retention {

/// The economics of the money figures (see the file comment for the formulas).
struct ValueParams {
  /// Horizon in periods (months, say: the unit of the revenue and of the churn probability),
  /// >= 1.
  int horizon = 12;
  /// Discount rate per period, finite and >= 0 (0 = no discounting).
  double discount_rate = 0.0;
  /// Fraction of revenue kept as margin, in [0, 1] (1 = CLV in revenue terms).
  double margin = 1.0;

  /// @throws InvalidArgument naming the field and its allowed range.
  void validate() const;
  /// The parameters as a JSON object (as saved and as keyword options).
  Json to_json() const;
  /// Parameters from a JSON object naming some fields (the others keep their defaults), as
  /// the Python binding passes its keyword arguments.
  /// @throws InvalidArgument for an unknown name or an invalid value, TypeMismatch for a value
  ///         of the wrong JSON type; both name `caller`.
  static ValueParams from_options(const Json& options, const std::string& caller = "ValueParams");
};

/// The three money figures of each customer.
struct CustomerValue {
  Vector revenue_at_risk;  ///< p * r * H
  Vector clv;              ///< m * r * sum_{t<H} ((1 - p) / (1 + d))^t
  Vector expected_loss;    ///< p * clv
};

/// Revenue at risk, CLV and expected loss of each customer, in one pass.
/// @param probability  n churn probabilities per period, each in [0, 1].
/// @param revenue      n periodic revenues, each finite and >= 0.
/// @code
/// churn::retention::ValueParams vp;
/// vp.horizon = 24;
/// vp.discount_rate = 0.01;
/// vp.margin = 0.6;
/// auto v = churn::retention::customer_value(p, monthly_charges, vp);
/// double total_at_risk = v.revenue_at_risk.sum();
/// @endcode
/// @throws InvalidArgument naming the argument and the first bad row: lengths differ, a
///         probability NaN or outside [0, 1], a revenue NaN, infinite or negative; or invalid
///         `params`.
CustomerValue customer_value(const VectorRef& probability, const VectorRef& revenue,
                             const ValueParams& params = {}, int n_threads = 0);

/// `p * r * H` per customer. @throws as customer_value().
Vector revenue_at_risk(const VectorRef& probability, const VectorRef& revenue,
                       const ValueParams& params = {}, int n_threads = 0);
/// The CLV per customer (the file comment's formula). @throws as customer_value().
Vector customer_lifetime_value(const VectorRef& probability, const VectorRef& revenue,
                               const ValueParams& params = {}, int n_threads = 0);
/// `p * clv` per customer. @throws as customer_value().
Vector expected_loss(const VectorRef& probability, const VectorRef& revenue,
                     const ValueParams& params = {}, int n_threads = 0);

/// The CLV factor `sum_{t=0}^{H-1} ((1 - p) / (1 + d))^t` of one probability (the CLV of a
/// revenue of 1 at margin 1), by the file comment's cancellation-free doubling.
/// Preconditions (not checked): p in [0, 1], params valid.
double clv_factor(double p, const ValueParams& params);

/// Sums of `values` by group: entry g is the sum of `values[i]` over the rows with
/// `groups[i] == g`, for g in [0, n_groups); rows with group -1 (missing) are skipped. Rows are
/// added in fixed blocks in row order and the blocks folded in order (the same for any thread
/// count). NaN values propagate into their group's sum.
/// @throws InvalidArgument if the lengths differ, n_groups < 0, or a group is < -1 or
///         >= n_groups (naming the row).
Vector sum_by_group(const VectorRef& values, const Eigen::Ref<const IntVector>& groups,
                    int n_groups, int n_threads = 0);

}  // namespace churn::retention
