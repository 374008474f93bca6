// Benchmarks of retention analytics (churn::retention): risk buckets, the money figures and the
// retention rules, on the data of benchmarks/compare_retention.py.
//
// Data: churn::data::make_customers (seed 0) of CHURN_BENCH_ROWS rows (default 1000000), a churn
// score per customer from the same logistic function of its columns as compare_retention.py,
// its risk bucket (quantiles 0.5 / 0.8 / 0.95 of the first 200,000 scores; int8 codes, as a
// pandas Categorical hands them over), the segment (the region column) and the CLV (horizon 12,
// 1% discount, 60% margin); the 20 rules and 8 actions of compare_retention.py's
// rule_document(); the budget 30% of what every customer's best action would cost.
//
//   build/test/benchmarks/bench_retention --benchmark_counters_tabular=true
//   CHURN_BENCH_ROWS=200000 build/test/benchmarks/bench_retention --benchmark_filter=Apply
//
// - BM_Buckets/threads:T        RiskBuckets fit (200,000 reference scores) + assign (every row).
// - BM_Value/threads:T          customer_value: revenue at risk, CLV, expected loss.
// - BM_Matches/threads:T        RuleSet::matches: every rule's condition for every row.
// - BM_Apply/best/threads:T     RuleSet::apply without a budget (method "best").
// - BM_Apply/budget/threads:T   RuleSet::apply with the budget (method "budget_greedy").
//
// items = customers. Times are wall-clock (UseRealTime). Nothing asserts a timing.
#include <benchmark/benchmark.h>

#include "bench_common.hpp"

#include <algorithm>  // std::min, std::find
#include <cmath>      // std::exp, std::isnan
#include <cstdint>    // std::int8_t
#include <limits>     // std::numeric_limits
#include <string>     // std::string
#include <vector>     // std::vector

#include <nlohmann/json.hpp>  // the parsed rule document

#include "churn/core/json.hpp"
#include "churn/data/synthetic.hpp"
#include "churn/data/table.hpp"
#include "churn/retention/buckets.hpp"
#include "churn/retention/rules.hpp"
#include "churn/retention/value.hpp"

namespace {

using churn::Index;
using churn::Vector;
using churn::data::Column;
using churn::data::Table;
namespace ret = churn::retention;

/// compare_retention.py's rule_document(), as JSON.
constexpr const char* kRules = R"({"rules": [
{"name":"vip_call","when":{"all":[{"feature":"bucket","op":"in","values":["high","critical"]},{"feature":"monthly_charges","op":">=","value":90}]},"action":{"name":"call","cost":15.0,"success_rate":0.3,"channel":"phone","priority":1}},
{"name":"m2m_discount","when":{"all":[{"feature":"contract","op":"==","value":"Month-to-month"},{"feature":"score","op":">=","value":0.4}]},"action":{"name":"discount_10","cost":25.0,"success_rate":0.35,"channel":"email","priority":2}},
{"name":"m2m_big_discount","when":{"all":[{"feature":"contract","op":"==","value":"Month-to-month"},{"feature":"bucket","op":"==","value":"critical"},{"feature":"tenure_months","op":"between","min":12,"max":60}]},"action":{"name":"discount_20","cost":50.0,"success_rate":0.5,"channel":"email","priority":2}},
{"name":"basic_upgrade","when":{"all":[{"feature":"plan","op":"==","value":"Basic"},{"feature":"score","op":"between","min":0.3,"max":0.7}]},"action":{"name":"upgrade_offer","cost":30.0,"success_rate":0.25,"channel":"app","priority":3}},
{"name":"no_autopay","when":{"all":[{"feature":"autopay","op":"==","value":"No"},{"feature":"payment_failures","op":">=","value":1}]},"action":{"name":"autopay_nudge","cost":2.0,"success_rate":0.1,"channel":"sms","priority":4}},
{"name":"tickets","when":{"all":[{"feature":"support_tickets","op":">=","value":3}]},"action":{"name":"support_followup","cost":8.0,"success_rate":0.2,"channel":"phone","priority":2}},
{"name":"silent_detractor","when":{"all":[{"feature":"nps_score","op":"missing"},{"feature":"bucket","op":"!=","value":"low"}]},"action":{"name":"loyalty_points","cost":5.0,"success_rate":0.08,"channel":"app","priority":5}},
{"name":"echeck","when":{"all":[{"feature":"payment_method","op":"==","value":"Electronic check"},{"feature":"score","op":">","value":0.5}]},"action":{"name":"autopay_nudge","cost":2.0,"success_rate":0.1,"channel":"sms","priority":4}},
{"name":"new_customers","when":{"all":[{"feature":"tenure_months","op":"<","value":6},{"feature":"bucket","op":"in","values":["medium","high","critical"]}]},"action":{"name":"call","cost":15.0,"success_rate":0.3,"channel":"phone","priority":1}},
{"name":"long_tenure_risk","when":{"all":[{"feature":"tenure_months","op":">=","value":48},{"feature":"score","op":">=","value":0.35}]},"action":{"name":"loyalty_points","cost":5.0,"success_rate":0.08,"channel":"app","priority":5}},
{"name":"east_critical","when":{"all":[{"feature":"segment","op":"==","value":"East"},{"feature":"bucket","op":"==","value":"critical"}]},"action":{"name":"win_back_visit","cost":80.0,"success_rate":0.45,"channel":"field","priority":1}},
{"name":"west_high","when":{"all":[{"feature":"segment","op":"==","value":"West"},{"feature":"bucket","op":"==","value":"high"}]},"action":{"name":"discount_10","cost":25.0,"success_rate":0.35,"channel":"email","priority":2}},
{"name":"premium_risk","when":{"all":[{"feature":"plan","op":"==","value":"Premium"},{"feature":"score","op":">=","value":0.3}]},"action":{"name":"call","cost":15.0,"success_rate":0.3,"channel":"phone","priority":1}},
{"name":"inactive","when":{"all":[{"feature":"days_since_last_login","op":">","value":30}]},"action":{"name":"support_followup","cost":8.0,"success_rate":0.2,"channel":"phone","priority":2}},
{"name":"low_usage","when":{"any":[{"feature":"sessions_per_week","op":"<","value":1},{"feature":"avg_session_minutes","op":"<","value":5}]},"action":{"name":"upgrade_offer","cost":30.0,"success_rate":0.25,"channel":"app","priority":3}},
{"name":"discounted_already","when":{"all":[{"feature":"discount_pct","op":"not_missing"},{"feature":"score","op":">=","value":0.6}]},"action":{"name":"discount_20","cost":50.0,"success_rate":0.5,"channel":"email","priority":2}},
{"name":"one_year_renewal","when":{"all":[{"feature":"contract","op":"==","value":"One year"},{"feature":"bucket","op":"in","values":["high","critical"]}]},"action":{"name":"discount_10","cost":25.0,"success_rate":0.35,"channel":"email","priority":2}},
{"name":"many_devices","when":{"all":[{"feature":"num_devices","op":">=","value":3},{"feature":"score","op":">=","value":0.25}]},"action":{"name":"loyalty_points","cost":5.0,"success_rate":0.08,"channel":"app","priority":5}},
{"name":"payment_trouble","when":{"any":[{"feature":"payment_failures","op":">=","value":2},{"feature":"payment_method","op":"in","values":["Mailed check","Electronic check"]}]},"action":{"name":"support_followup","cost":8.0,"success_rate":0.2,"channel":"phone","priority":2}},
{"name":"critical_any","when":{"all":[{"feature":"bucket","op":"==","value":"critical"}]},"action":{"name":"win_back_visit","cost":80.0,"success_rate":0.45,"channel":"field","priority":1}}
]})";

ret::BucketParams bucket_params(int threads) {
  ret::BucketParams p;
  p.cut_points.clear();
  p.quantiles = {0.5, 0.8, 0.95};
  p.n_threads = threads;
  return p;
}

ret::ValueParams value_params() {
  ret::ValueParams v;
  v.horizon = 12;
  v.discount_rate = 0.01;
  v.margin = 0.6;
  return v;
}

struct Data {
  Table customers;  ///< make_customers' columns + score, bucket, segment
  Vector score, revenue, clv;
  Index n_reference = 0;
  std::vector<std::vector<std::int8_t>> codes;  ///< one-byte codes the table borrows
  ret::RuleSet rules;
  double budget = 0.0;
};

const Data& data() {
  static const Data built = [] {
    Data d;
    churn::data::CustomerOptions opt;
    opt.n_customers = churn_bench::bench_rows(1000000);
    opt.seed = 0;
    d.customers = churn::data::make_customers(opt);
    const Index n = d.customers.num_rows();
    // categorical columns with one-byte codes, as pandas hands them over
    const auto int8_column = [&](const std::string& name, const churn::IntVector& codes,
                                 std::vector<std::string> categories) {
      d.codes.emplace_back(codes.data(), codes.data() + n);
      return Column::from_codes_view(name, d.codes.back().data(), 1, n, std::move(categories),
                                     nullptr);
    };
    for (const std::string name : {"region", "plan", "contract", "payment_method", "autopay"}) {
      const Column& c = d.customers.column(name);
      d.customers.set_column(int8_column(name, c.codes(), c.categories()));
    }
    const auto col = [&](const char* name, double fill) {
      Vector v = d.customers.column(name).as_float64();
      for (Index i = 0; i < n; ++i)
        if (std::isnan(v[i])) v[i] = fill;
      return v;
    };
    const Vector tenure = col("tenure_months", 24), tickets = col("support_tickets", 0);
    const Vector failures = col("payment_failures", 0), charges = col("monthly_charges", 60);
    const Column& contract = d.customers.column("contract");
    const auto& contracts = contract.categories();
    const auto m2m = static_cast<std::int32_t>(
        std::find(contracts.begin(), contracts.end(), "Month-to-month") - contracts.begin());
    d.score.resize(n);
    for (Index i = 0; i < n; ++i) {
      const double z = -1.2 + 1.1 * (contract.code_at(i) == m2m) - 0.03 * tenure[i] +
                       0.25 * tickets[i] + 0.4 * failures[i] + 0.01 * (charges[i] - 60);
      d.score[i] = 1.0 / (1.0 + std::exp(-z));
    }
    d.revenue = col("monthly_charges", 0);
    d.n_reference = std::min<Index>(n, 200000);
    ret::RiskBuckets rb(bucket_params(0));
    rb.fit(d.score.head(d.n_reference));
    const churn::IntVector codes = rb.assign(d.score);
    d.clv = ret::customer_value(d.score, d.revenue, value_params()).clv;
    d.customers.set_column(Column::from_float64("score", {d.score.data(), d.score.data() + n}));
    d.customers.set_column(int8_column("bucket", codes, rb.labels()));
    d.customers.set_column(d.customers.column("region").renamed("segment"));
    d.rules = ret::RuleSet::from_json(churn::parse_json(kRules));
    const auto full = d.rules.apply(d.customers, d.score, d.clv);
    d.budget = 0.3 * full.spent;
    return d;
  }();
  return built;
}

void set_items(benchmark::State& state, Index n) {
  state.SetItemsProcessed(state.iterations() * n);
  state.counters["ns_per_row"] = benchmark::Counter(
      static_cast<double>(n) * 1e-9,
      benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

void BM_Buckets(benchmark::State& state) {
  const Data& d = data();
  for (auto _ : state) {
    ret::RiskBuckets rb(bucket_params(static_cast<int>(state.range(0))));
    rb.fit(d.score.head(d.n_reference));
    benchmark::DoNotOptimize(rb.assign(d.score).data());
  }
  set_items(state, d.score.size());
}

void BM_Value(benchmark::State& state) {
  const Data& d = data();
  for (auto _ : state) {
    auto v =
        ret::customer_value(d.score, d.revenue, value_params(), static_cast<int>(state.range(0)));
    benchmark::DoNotOptimize(v.clv.data());
  }
  set_items(state, d.score.size());
}

void BM_Matches(benchmark::State& state) {
  const Data& d = data();
  for (auto _ : state) {
    auto m = d.rules.matches(d.customers, static_cast<int>(state.range(0)));
    benchmark::DoNotOptimize(m.data());
  }
  set_items(state, d.score.size());
}

void BM_Apply(benchmark::State& state, bool with_budget) {
  const Data& d = data();
  ret::ApplyOptions o;
  o.budget = with_budget ? d.budget : std::numeric_limits<double>::infinity();
  o.n_threads = static_cast<int>(state.range(0));
  double value = 0;
  for (auto _ : state) {
    const auto r = d.rules.apply(d.customers, d.score, d.clv, o);
    value = r.expected_value;
    benchmark::DoNotOptimize(r.action.data());
  }
  state.counters["expected_value"] = value;
  set_items(state, d.score.size());
}

BENCHMARK(BM_Buckets)
    ->ArgName("threads")
    ->Arg(1)
    ->Arg(0)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Value)->ArgName("threads")->Arg(1)->Arg(0)->UseRealTime()->Unit(
    benchmark::kMillisecond);
BENCHMARK(BM_Matches)
    ->ArgName("threads")
    ->Arg(1)
    ->Arg(0)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Apply, best, false)
    ->ArgName("threads")
    ->Arg(1)
    ->Arg(0)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Apply, budget, true)
    ->ArgName("threads")
    ->Arg(1)
    ->Arg(0)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
