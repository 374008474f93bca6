// Benchmarks of the evaluation metrics on random scores with ties.
//
// Labels ~ Bernoulli(0.3); scores = clip(0.3 y + 0.7 u, 0, 1) rounded to 4 decimals (so about
// 10,000 distinct values: many ties), seed 42; CHURN_BENCH_ROWS rows (default 10,000,000).
// Items are scores; times are wall-clock (the sorts and reductions are multi-threaded).
//
//   build-bench/benchmarks/bench_metrics --benchmark_counters_tabular=true
//   CHURN_BENCH_ROWS=1000000 build-bench/benchmarks/bench_metrics --benchmark_filter=roc_auc
#include <benchmark/benchmark.h>

#include "bench_common.hpp"

#include <cmath>    // std::round
#include <cstdint>  // std::uint64_t

#include "churn/core/random.hpp"
#include "churn/metrics/classification.hpp"
#include "churn/metrics/curves.hpp"

namespace {

churn::Index bench_rows() {
  return churn_bench::bench_rows(10000000);
}

struct Data {
  churn::Vector y, p, w;
};

const Data& data() {
  static const Data d = [] {
    const churn::Index n = bench_rows();
    churn::Rng rng(42);
    Data out{churn::Vector(n), churn::Vector(n), churn::Vector(n)};
    for (churn::Index i = 0; i < n; ++i) {
      out.y[i] = rng.bernoulli(0.3) ? 1.0 : 0.0;
      out.p[i] = std::round((0.3 * out.y[i] + 0.7 * rng.uniform()) * 1e4) / 1e4;
      out.w[i] = rng.uniform(0.5, 1.5);
    }
    return out;
  }();
  return d;
}

template <class F>
void run(benchmark::State& state, F f) {
  const Data& d = data();
  const int threads = static_cast<int>(state.range(0));
  for (auto _ : state) benchmark::DoNotOptimize(f(d, threads));
  state.SetItemsProcessed(state.iterations() * d.y.size());
}

void BM_roc_auc(benchmark::State& s) {
  run(s,
      [](const Data& d, int t) { return churn::metrics::roc_auc(d.y, d.p, churn::Vector(), t); });
}
void BM_roc_auc_weighted(benchmark::State& s) {
  run(s, [](const Data& d, int t) { return churn::metrics::roc_auc(d.y, d.p, d.w, t); });
}
void BM_average_precision(benchmark::State& s) {
  run(s, [](const Data& d, int t) {
    return churn::metrics::average_precision(d.y, d.p, churn::Vector(), t);
  });
}
void BM_log_loss(benchmark::State& s) {
  run(s,
      [](const Data& d, int t) { return churn::metrics::log_loss(d.y, d.p, churn::Vector(), t); });
}
void BM_roc_curve(benchmark::State& s) {
  run(s, [](const Data& d, int t) {
    return churn::metrics::roc_curve(d.y, d.p, churn::Vector(), true, t).fpr.size();
  });
}

}  // namespace

BENCHMARK(BM_roc_auc)->Arg(1)->Arg(0)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_roc_auc_weighted)->Arg(0)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_average_precision)->Arg(0)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_log_loss)->Arg(1)->Arg(0)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_roc_curve)->Arg(0)->Unit(benchmark::kMillisecond)->UseRealTime();

BENCHMARK_MAIN();
