// Benchmarks of churn::linear::LogisticRegression: fit with each solver, and predict_proba.
//
// Dense standard-normal features (CHURN_BENCH_ROWS rows, default 200000; 50 columns; seed 42),
// labels drawn from a logistic model. Items are rows; times are wall-clock (multi-threaded).
// The argument of each benchmark is n_threads (0 = all cores).
//
//   build/benchmarks/bench_logistic --benchmark_counters_tabular=true
//   CHURN_BENCH_ROWS=1000000 build/benchmarks/bench_logistic --benchmark_filter=newton
#include <benchmark/benchmark.h>

#include "bench_common.hpp"

#include <cmath>   // std::exp
#include <random>  // std::mt19937_64, std::normal_distribution

#include "churn/linear/logistic.hpp"

namespace {

constexpr churn::Index kCols = 50;

churn::Index bench_rows() {
  return churn_bench::bench_rows(200000);
}

struct Data {
  churn::RowMatrix X;
  churn::Vector y;
  Data() : X(bench_rows(), kCols), y(bench_rows()) {
    std::mt19937_64 gen(42);
    std::normal_distribution<double> normal;
    std::uniform_real_distribution<double> unif;
    churn::Vector beta(kCols);
    for (churn::Index j = 0; j < kCols; ++j) beta[j] = normal(gen) / std::sqrt(double(kCols));
    for (churn::Index i = 0; i < X.rows(); ++i) {
      for (churn::Index j = 0; j < kCols; ++j) X(i, j) = normal(gen);
      const double eta = X.row(i).dot(beta) - 0.8;
      y[i] = unif(gen) < 1.0 / (1.0 + std::exp(-eta)) ? 1.0 : 0.0;
    }
  }
};

const Data& data() {
  static const Data d;
  return d;
}

void run_fit(benchmark::State& state, churn::linear::Penalty penalty,
             churn::linear::LogisticSolver solver) {
  const Data& d = data();
  churn::linear::LogisticRegressionParams p;
  p.penalty = penalty;
  p.C = penalty == churn::linear::Penalty::L1 ? 0.01 : 1.0;
  p.solver = solver;
  p.n_threads = static_cast<int>(state.range(0));
  int iters = 0;
  for (auto _ : state) {
    churn::linear::LogisticRegression m(p);
    m.fit(d.X, d.y);
    iters = m.n_iter();
    benchmark::DoNotOptimize(m.coef().data());
  }
  state.counters["solver_iter"] = iters;
  state.SetItemsProcessed(state.iterations() * d.X.rows());
}

void BM_fit_newton(benchmark::State& s) {
  run_fit(s, churn::linear::Penalty::L2, churn::linear::LogisticSolver::Newton);
}
void BM_fit_lbfgs(benchmark::State& s) {
  run_fit(s, churn::linear::Penalty::L2, churn::linear::LogisticSolver::Lbfgs);
}
void BM_fit_cd_l1(benchmark::State& s) {
  run_fit(s, churn::linear::Penalty::L1, churn::linear::LogisticSolver::Cd);
}

void BM_predict_proba(benchmark::State& state) {
  const Data& d = data();
  churn::linear::LogisticRegressionParams p;
  p.n_threads = static_cast<int>(state.range(0));
  churn::linear::LogisticRegression m(p);
  m.fit(d.X, d.y);
  for (auto _ : state) {
    churn::Vector proba = m.predict_proba(d.X);
    benchmark::DoNotOptimize(proba.data());
  }
  state.SetItemsProcessed(state.iterations() * d.X.rows());
}

}  // namespace

BENCHMARK(BM_fit_newton)->Arg(1)->Arg(0)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_fit_lbfgs)->Arg(1)->Arg(0)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_fit_cd_l1)->Arg(1)->Arg(0)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_predict_proba)->Arg(1)->Arg(0)->Unit(benchmark::kMillisecond)->UseRealTime();

BENCHMARK_MAIN();
