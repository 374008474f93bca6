// RuleSet::apply: the inputs checked, the method chosen (which also sums the totals, exactly).
#include <cmath>  // std::isfinite, std::isnan

#include "churn/core/error.hpp"
#include "churn/core/parallel.hpp"
#include "common/checks.hpp"
#include "retention/rules_detail.hpp"

namespace churn::retention {

void ApplyOptions::validate() const {
  if (budget)
    CHURN_CHECK(!std::isnan(*budget) && *budget >= 0, InvalidArgument,
                "RuleSet::apply(): budget must be >= 0 (+inf = none), got " << *budget);
  check_n_threads(n_threads, "RuleSet::apply()");
}

RuleAssignment RuleSet::apply(const data::Table& customers, const VectorRef& probability,
                              const VectorRef& value_kept, const ApplyOptions& options) const {
  constexpr const char* kCaller = "RuleSet::apply()";
  options.validate();
  const Index n = customers.num_rows();
  CHURN_CHECK(
      probability.size() == n, InvalidArgument,
      kCaller << ": probability has " << probability.size() << " values for " << n << " customers");
  CHURN_CHECK(
      value_kept.size() == n, InvalidArgument,
      kCaller << ": value_kept has " << value_kept.size() << " values for " << n << " customers");
  common::check_each(
      probability, kCaller, "probability", "be in [0, 1]",
      [](double p) { return p >= 0 && p <= 1; }, options.n_threads);
  common::check_each(
      value_kept, kCaller, "value_kept", "be finite and >= 0",
      [](double v) { return v >= 0 && std::isfinite(v); }, options.n_threads);
  const detail::CompiledRules compiled(rules_, customers, kCaller);

  RuleAssignment out;
  out.budget = options.budget ? *options.budget : budget_;
  // every row is written by the method
  out.rule.resize(n);
  out.action.resize(n);
  out.cost.resize(n);
  out.expected_net_value.resize(n);
  bool capacities = false;
  for (const auto& a : actions_) capacities = capacities || a.capacity >= 0;
  const bool with_budget = std::isfinite(out.budget);

  detail::AllocationInput in;
  in.rules = this;
  in.compiled = &compiled;
  in.probability = &probability;
  in.value_kept = &value_kept;
  in.n = n;
  in.budget = out.budget;
  in.n_threads = options.n_threads;
  if (!capacities) {
    out.method = with_budget ? "budget_greedy" : "best";
    if (with_budget)
      detail::allocate_budget(in, out);
    else
      detail::allocate_best(in, out);
    return out;
  }
  out.rule.setConstant(-1);
  out.action.setConstant(-1);
  out.cost.setZero();
  out.expected_net_value.setZero();
  const detail::Candidates c = detail::build_candidates(in);
  for (Index i = 0; i < n; ++i)
    out.n_candidates +=
        c.offset[static_cast<std::size_t>(i) + 1] > c.offset[static_cast<std::size_t>(i)];
  out.method = with_budget ? "budget_capacity_greedy" : "capacity_greedy";
  detail::allocate_capacity(in, c, out);
  detail::add_totals(in, out);
  return out;
}

}  // namespace churn::retention
