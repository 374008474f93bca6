// RuleSet::apply: the inputs checked, the method chosen, the totals summed exactly.
#include <cmath>  // std::isfinite, std::isnan

#include "churn/core/error.hpp"
#include "churn/core/parallel.hpp"
#include "common/checks.hpp"
#include "common/exact_sum.hpp"
#include "retention/rules_detail.hpp"

namespace churn::retention {

namespace {

/// The exact sum of `x` (blocks in parallel, merged in block order) rounded to a double.
double exact_total(const Vector& x, int n_threads) {
  const common::ExactSum s = parallel_reduce(
      Index{0}, x.size(), Index{1} << 16, common::ExactSum(),
      [&](Index lo, Index hi) {
        common::ExactSum part;
        for (Index i = lo; i < hi; ++i)
          if (x[i] != 0) part.add(x[i]);
        return part;
      },
      [](common::ExactSum a, const common::ExactSum& b) {
        a.merge(b);
        return a;
      },
      n_threads);
  double hi = 0, lo = 0;
  s.value(hi, lo);
  return hi;
}

void add_totals(const RuleSet& rules, RuleAssignment& out, int n_threads) {
  out.spent = exact_total(out.cost, n_threads);
  out.expected_value = exact_total(out.expected_net_value, n_threads);
  out.action_counts.assign(rules.actions().size(), 0);
  out.rule_counts.assign(rules.rules().size(), 0);
  for (Index i = 0; i < out.rule.size(); ++i) {
    if (out.rule[i] < 0) continue;
    ++out.rule_counts[static_cast<std::size_t>(out.rule[i])];
    ++out.action_counts[static_cast<std::size_t>(out.action[i])];
  }
}

}  // namespace

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
  out.rule = IntVector::Constant(n, -1);
  out.action = IntVector::Constant(n, -1);
  out.cost = Vector::Zero(n);
  out.expected_net_value = Vector::Zero(n);
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
  if (!with_budget && !capacities) {
    out.method = "best";
    detail::allocate_best(in, out);
  } else {
    const detail::Candidates c = detail::build_candidates(in);
    for (Index i = 0; i < n; ++i)
      out.n_candidates +=
          c.offset[static_cast<std::size_t>(i) + 1] > c.offset[static_cast<std::size_t>(i)];
    if (!capacities) {
      out.method = "budget_greedy";
      detail::allocate_budget(in, c, out);
    } else {
      out.method = with_budget ? "budget_capacity_greedy" : "capacity_greedy";
      detail::allocate_capacity(in, c, out);
    }
  }
  add_totals(*this, out, options.n_threads);
  return out;
}

}  // namespace churn::retention
