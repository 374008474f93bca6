// Benchmarks of K-means (churn::segment::KMeans) and the silhouette score.
//
// Data (seed 42, churn::Rng): CHURN_BENCH_ROWS rows (default 1000000) x 20 features drawn around
// 24 Gaussian centres (sd 3 apart, noise sd 1.5), the shape of the comparison with
// scikit-learn. Initial centres: k rows of a fixed seeded choice, the same for both algorithms.
//
//   build-bench/benchmarks/bench_kmeans --benchmark_counters_tabular=true
//   CHURN_BENCH_ROWS=200000 build-bench/benchmarks/bench_kmeans --benchmark_filter=Fit
//
// - BM_Fit/<algorithm>/k:K/threads:T  a full fit from the given centres (n_init 1, tol 1e-4,
//                                     max_iter 300); items = rows x iterations; counters:
//                                     iterations, ms_per_iter, inertia.
// - BM_KMeansPlusPlus/k:K             the k-means++ start alone (max_iter 1); items = rows.
// - BM_Predict/k:K                    predict on all rows; items = rows.
// - BM_Silhouette/n:N                 exact silhouette score of N rows, k = 8; items = N^2 pairs.
//
// Times are wall-clock (UseRealTime). Nothing asserts a timing.
#include <benchmark/benchmark.h>

#include "bench_common.hpp"

#include <chrono>   // std::chrono::steady_clock
#include <cstdint>  // std::uint64_t
#include <vector>   // std::vector

#include "churn/core/random.hpp"
#include "churn/segment/kmeans.hpp"
#include "churn/segment/silhouette.hpp"

namespace {

using churn::Index;
using churn::RowMatrix;
using churn::segment::KMeans;
using churn::segment::KMeansAlgorithm;
using churn::segment::KMeansInit;
using churn::segment::KMeansParams;

constexpr Index kCols = 20;

const RowMatrix& data() {
  static const RowMatrix X = [] {
    const Index n = churn_bench::bench_rows(1000000);
    churn::Rng rng(42);
    RowMatrix mu(24, kCols);
    for (Index c = 0; c < 24; ++c)
      for (Index j = 0; j < kCols; ++j) mu(c, j) = rng.normal(0.0, 3.0);
    RowMatrix x(n, kCols);
    for (Index i = 0; i < n; ++i) {
      const auto c = static_cast<Index>(rng.uniform_int(24));
      for (Index j = 0; j < kCols; ++j) x(i, j) = mu(c, j) + rng.normal(0.0, 1.5);
    }
    return x;
  }();
  return X;
}

RowMatrix start(int k) {
  const RowMatrix& X = data();
  churn::Rng rng(7);
  RowMatrix C(k, kCols);
  for (int c = 0; c < k; ++c) {
    C.row(c) = X.row(static_cast<Index>(rng.uniform_int(static_cast<std::uint64_t>(X.rows()))));
  }
  return C;
}

void BM_Fit(benchmark::State& state) {
  const auto alg = state.range(0) == 0 ? KMeansAlgorithm::Lloyd : KMeansAlgorithm::Hamerly;
  const int k = static_cast<int>(state.range(1));
  const RowMatrix& X = data();
  KMeansParams p;
  p.n_clusters = k;
  p.init = KMeansInit::Given;
  p.init_centers = start(k);
  p.algorithm = alg;
  p.n_threads = static_cast<int>(state.range(2));
  KMeans km(p);
  double iters = 0;
  double seconds = 0;
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    km.fit(X);
    seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    iters += km.n_iter();
    benchmark::DoNotOptimize(km.inertia());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(iters) * X.rows());
  state.counters["iterations"] = km.n_iter();
  state.counters["ms_per_iter"] =
      benchmark::Counter(iters * 1e-3, benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.counters["inertia"] = km.inertia();
  state.SetLabel(alg == KMeansAlgorithm::Lloyd ? "lloyd" : "hamerly");
}
BENCHMARK(BM_Fit)
    ->ArgNames({"alg", "k", "threads"})
    ->ArgsProduct({{0, 1}, {8, 32}, {1, 2}})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(1);

void BM_KMeansPlusPlus(benchmark::State& state) {
  const RowMatrix& X = data();
  KMeansParams p;
  p.n_clusters = static_cast<int>(state.range(0));
  p.max_iter = 1;
  p.seed = 1;
  KMeans km(p);
  for (auto _ : state) {
    km.fit(X);
    benchmark::DoNotOptimize(km.inertia());
  }
  state.SetItemsProcessed(state.iterations() * X.rows());
}
BENCHMARK(BM_KMeansPlusPlus)
    ->ArgName("k")
    ->Arg(8)
    ->Arg(32)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

void BM_Predict(benchmark::State& state) {
  const RowMatrix& X = data();
  const int k = static_cast<int>(state.range(0));
  KMeansParams p;
  p.n_clusters = k;
  p.init = KMeansInit::Given;
  p.init_centers = start(k);
  p.max_iter = 1;
  KMeans km(p);
  km.fit(X);
  for (auto _ : state) benchmark::DoNotOptimize(km.predict(X).data());
  state.SetItemsProcessed(state.iterations() * X.rows());
}
BENCHMARK(BM_Predict)->ArgName("k")->Arg(8)->Arg(32)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_Silhouette(benchmark::State& state) {
  const Index n = state.range(0);
  const RowMatrix X = data().topRows(n);
  KMeansParams p;
  p.n_clusters = 8;
  p.seed = 1;
  p.max_iter = 20;
  KMeans km(p);
  km.fit(X);
  for (auto _ : state) {
    benchmark::DoNotOptimize(churn::segment::silhouette_score(X, km.labels()));
  }
  state.SetItemsProcessed(state.iterations() * n * n);
}
BENCHMARK(BM_Silhouette)->ArgName("n")->Arg(10000)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
