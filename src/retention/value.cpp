// Money per customer: revenue at risk, CLV, expected loss; sums by group.
#include "churn/retention/value.hpp"

#include <cmath>  // std::isfinite, std::isnan

#include "churn/core/error.hpp"
#include "churn/core/parallel.hpp"
#include "common/checks.hpp"
#include "common/params.hpp"
#include "retention/value_kernel.hpp"

namespace churn::retention {

namespace {

/// Every parameter, once.
template <class P, class F>
void visit_params(P& p, F&& f) {
  f("horizon", p.horizon);
  f("discount_rate", p.discount_rate);
  f("margin", p.margin);
}

constexpr auto kVisit = [](auto& p, auto& f) { visit_params(p, f); };

}  // namespace

namespace detail {

CustomerValue compute_customer_value(const VectorRef& probability, const VectorRef& revenue,
                                     const ValueParams& params, int n_threads, const char* who,
                                     bool want_at_risk, bool want_clv, bool want_loss) {
  params.validate();
  const Index n = probability.size();
  check_length(revenue.size(), n, who, "revenue");
  const ValueKernel k(params);
  CustomerValue out;
  if (want_at_risk) out.revenue_at_risk.resize(n);
  if (want_clv) out.clv.resize(n);
  if (want_loss) out.expected_loss.resize(n);
  const int bad = parallel_reduce(  // int, not bool: the partials live in a std::vector
      Index{0}, n, kRowBlock, 0,
      [&](Index lo, Index hi) {
        int b = 0;
        for (Index i = lo; i < hi; ++i) {
          const double p = probability[i];
          const double r = revenue[i];
          b |= ValueKernel::valid(p, r) ? 0 : 1;
          if (want_at_risk) out.revenue_at_risk[i] = p * r * k.horizon;
          if (want_clv || want_loss) {
            const double clv = k.margin * r * k.clv_factor(p);
            if (want_clv) out.clv[i] = clv;
            if (want_loss) out.expected_loss[i] = p * clv;
          }
        }
        return b;
      },
      [](int a, int b) { return a | b; }, n_threads);
  if (bad != 0) throw_bad_value_input(probability, revenue, who, "probability", n_threads);
  return out;
}

void throw_bad_value_input(const VectorRef& probability, const VectorRef& revenue,
                           const char* caller, const char* probability_name, int n_threads) {
  common::check_each(
      probability, caller, probability_name, "be a probability in [0, 1]",
      [](double p) { return p >= 0.0 && p <= 1.0; }, n_threads);
  common::check_each(
      revenue, caller, "revenue", "be finite and >= 0",
      [](double r) { return std::isfinite(r) && r >= 0.0; }, n_threads);
  CHURN_THROW(InvalidArgument, caller << ": invalid probability or revenue");  // not reached
}

void check_length(Index len, Index n, const char* caller, const char* what) {
  CHURN_CHECK(len == n, InvalidArgument,
              caller << ": " << what << " has " << len << " values, expected " << n
                     << " (one per customer)");
}

}  // namespace detail

void ValueParams::validate() const {
  const char* who = "ValueParams";
  CHURN_CHECK(horizon >= 1, InvalidArgument, who << ": horizon must be >= 1, got " << horizon);
  CHURN_CHECK(std::isfinite(discount_rate) && discount_rate >= 0.0, InvalidArgument,
              who << ": discount_rate must be finite and >= 0, got " << discount_rate);
  CHURN_CHECK(margin >= 0.0 && margin <= 1.0, InvalidArgument,
              who << ": margin must be in [0, 1], got " << margin);
}

Json ValueParams::to_json() const {
  return common::write_params(*this, common::ParamSource::Options, kVisit);
}

ValueParams ValueParams::from_options(const Json& options, const std::string& caller) {
  return common::read_params<ValueParams>(options, common::ParamSource::Options, caller, kVisit);
}

double clv_factor(double p, const ValueParams& params) {
  return detail::ValueKernel(params).clv_factor(p);
}

CustomerValue customer_value(const VectorRef& probability, const VectorRef& revenue,
                             const ValueParams& params, int n_threads) {
  return detail::compute_customer_value(probability, revenue, params, n_threads,
                                        "customer_value()");
}

Vector revenue_at_risk(const VectorRef& probability, const VectorRef& revenue,
                       const ValueParams& params, int n_threads) {
  return detail::compute_customer_value(probability, revenue, params, n_threads,
                                        "revenue_at_risk()", true, false, false)
      .revenue_at_risk;
}

Vector customer_lifetime_value(const VectorRef& probability, const VectorRef& revenue,
                               const ValueParams& params, int n_threads) {
  return detail::compute_customer_value(probability, revenue, params, n_threads,
                                        "customer_lifetime_value()", false, true, false)
      .clv;
}

Vector expected_loss(const VectorRef& probability, const VectorRef& revenue,
                     const ValueParams& params, int n_threads) {
  return detail::compute_customer_value(probability, revenue, params, n_threads, "expected_loss()",
                                        false, false, true)
      .expected_loss;
}

Vector sum_by_group(const VectorRef& values, const Eigen::Ref<const IntVector>& groups,
                    int n_groups, int n_threads) {
  const char* who = "sum_by_group()";
  detail::check_length(groups.size(), values.size(), who, "groups");
  CHURN_CHECK(n_groups >= 0, InvalidArgument, who << ": n_groups must be >= 0, got " << n_groups);
  struct Part {
    Vector sum;
    Index bad = -1;
  };
  const Part total = parallel_reduce(
      Index{0}, values.size(), detail::kRowBlock, Part{Vector::Zero(n_groups), -1},
      [&](Index lo, Index hi) {
        Part p{Vector::Zero(n_groups), -1};
        for (Index i = lo; i < hi; ++i) {
          const std::int32_t g = groups[i];
          if (g >= 0 && g < n_groups) {
            p.sum[g] += values[i];
          } else if (g != kMissingCode && p.bad < 0) {
            p.bad = i;
          }
        }
        return p;
      },
      [](Part a, const Part& b) {
        a.sum += b.sum;
        if (a.bad < 0) a.bad = b.bad;
        return a;
      },
      n_threads);
  CHURN_CHECK(total.bad < 0, InvalidArgument,
              who << ": groups must be in [0, " << n_groups << ") or -1 (missing), got "
                  << groups[total.bad] << " at row " << total.bad);
  return total.sum;
}

}  // namespace churn::retention
