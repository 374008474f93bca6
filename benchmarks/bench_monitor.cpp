// Benchmarks of drift monitoring (churn::monitor::Baseline).
//
// Data (seed 6, churn::Rng): two tables (reference and a drifted current batch) of
// CHURN_BENCH_ROWS rows (default 5000000) with four float64 columns of different shapes (a
// normal, a log-normal with 5% missing values, Poisson-like counts with heavy ties, whole
// months with heavy ties) and four categorical columns (8, 20, 35 and 50 categories, 2%
// missing), plus a score in (0, 1).
//
//   build-bench/benchmarks/bench_monitor --benchmark_counters_tabular=true
//   CHURN_BENCH_ROWS=1000000 build-bench/benchmarks/bench_monitor --benchmark_filter=Numeric
//
// - BM_Fit/<numeric|categorical>/threads:T      Baseline::fit of the four columns (+ score
//                                               for numeric); items = values read.
// - BM_Compare/<numeric|categorical>/threads:T  Baseline::compare of the current batch.
//
// Times are wall-clock (UseRealTime). Nothing asserts a timing.
#include <benchmark/benchmark.h>

#include "bench_common.hpp"

#include <cmath>    // std::exp, std::floor, std::log
#include <cstdint>  // std::int32_t
#include <string>   // std::string
#include <vector>   // std::vector

#include "churn/core/random.hpp"
#include "churn/data/table.hpp"
#include "churn/monitor/baseline.hpp"

namespace {

using churn::Index;
using churn::Vector;
using churn::data::Column;
using churn::data::Table;
using churn::monitor::Baseline;
using churn::monitor::BaselineParams;

struct Data {
  Table numeric, categorical;
  Vector score;
};

Data make(std::uint64_t seed, double drift) {
  const Index n = churn_bench::bench_rows(5000000);
  churn::Rng rng(seed);
  std::vector<double> a(n), b(n), c(n), d(n);
  Vector score(n);
  for (Index i = 0; i < n; ++i) {
    a[i] = rng.normal(50.0 + 4.0 * drift, 10.0);
    b[i] = rng.uniform() < 0.05 ? std::nan("") : std::exp(rng.normal(3.0 + 0.3 * drift, 1.0));
    c[i] = std::floor(-std::log(1.0 - rng.uniform()) * (3.0 + drift));
    d[i] = static_cast<double>(rng.uniform_int(72));
    score[i] = 1.0 / (1.0 + std::exp(-(0.04 * (a[i] - 50.0) + rng.normal(-1.5, 1.0))));
  }
  std::vector<Column> num = {
      Column::from_float64("normal", std::move(a)), Column::from_float64("lognormal", std::move(b)),
      Column::from_float64("counts", std::move(c)), Column::from_float64("months", std::move(d))};
  std::vector<Column> cat;
  for (int k : {8, 20, 35, 50}) {
    std::vector<std::string> names;
    for (int j = 0; j < k; ++j) names.push_back("c" + std::to_string(j));
    std::vector<std::int32_t> codes(n);
    for (Index i = 0; i < n; ++i) {
      const double u = rng.uniform();
      // skewed: a geometric-like draw, re-weighted by the drift
      const auto j = static_cast<std::int32_t>(std::floor(k * u * u * (1.0 - 0.3 * drift)));
      codes[i] = rng.uniform() < 0.02 ? -1 : j;
    }
    cat.push_back(Column::from_codes("cat" + std::to_string(k), std::move(codes), names));
  }
  return {Table(std::move(num)), Table(std::move(cat)), std::move(score)};
}

const Data& reference() {
  static const Data d = make(6, 0.0);
  return d;
}

const Data& current() {
  static const Data d = make(7, 1.0);
  return d;
}

BaselineParams params(int threads) {
  BaselineParams p;
  p.n_threads = threads;
  return p;
}

void BM_Fit(benchmark::State& state, bool numeric) {
  const Data& r = reference();
  const Table& t = numeric ? r.numeric : r.categorical;
  const Vector empty;
  for (auto _ : state) {
    Baseline b(params(static_cast<int>(state.range(0))));
    b.fit(t, numeric ? r.score : empty);
    benchmark::DoNotOptimize(b.n_rows());
  }
  const Index values = t.num_rows() * (t.num_columns() + (numeric ? 1 : 0));
  state.SetItemsProcessed(state.iterations() * values);
  state.counters["ns_per_value"] = benchmark::Counter(
      static_cast<double>(values) * 1e-9,
      benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

void BM_Compare(benchmark::State& state, bool numeric) {
  const Data& r = reference();
  const Data& c = current();
  const Vector empty;
  Baseline b(params(static_cast<int>(state.range(0))));
  b.fit(numeric ? r.numeric : r.categorical, numeric ? r.score : empty);
  const Table& t = numeric ? c.numeric : c.categorical;
  for (auto _ : state) {
    auto report = b.compare(t, numeric ? c.score : empty);
    benchmark::DoNotOptimize(report.features().size());
  }
  const Index values = t.num_rows() * (t.num_columns() + (numeric ? 1 : 0));
  state.SetItemsProcessed(state.iterations() * values);
  state.counters["ns_per_value"] = benchmark::Counter(
      static_cast<double>(values) * 1e-9,
      benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

BENCHMARK_CAPTURE(BM_Fit, numeric, true)
    ->ArgName("threads")
    ->Arg(1)
    ->Arg(0)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Fit, categorical, false)
    ->ArgName("threads")
    ->Arg(1)
    ->Arg(0)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Compare, numeric, true)
    ->ArgName("threads")
    ->Arg(1)
    ->Arg(0)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Compare, categorical, false)
    ->ArgName("threads")
    ->Arg(1)
    ->Arg(0)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
