// Benchmarks of the random forest's fit (churn::tree::RandomForestClassifier): the setting of
// benchmarks/compare_forest.py (100 fully grown trees, max_features "sqrt", bootstrap) on
// churn::data::make_customers tables (native categorical columns).
//
//   build/benchmarks/bench_forest --benchmark_counters_tabular=true
//   build/benchmarks/bench_forest --benchmark_filter=ForestFit/rows:7043
//   CHURN_BENCH_ROWS=50000 build/benchmarks/bench_forest --benchmark_filter=rows:0
//
// - BM_ForestFit/rows:R/threads:T   fit on R generated customers (seed 0; 0 = CHURN_BENCH_ROWS,
//                                   default 200000) with T threads. R = 7043 is a telco-sized
//                                   table, where the fixed costs per tree and per node weigh
//                                   most. Items = rows x trees; "nodes" = tree nodes of the
//                                   forest; "us_per_tree" = microseconds per tree.
// - BM_ForestFitTelco/threads:T    fit on tests/testdata/telco_churn.csv (7,043 customers, 19
//                                   features, 16 of them categorical, read as inferred by
//                                   read_csv; customerID dropped, Churn == "Yes" the label):
//                                   the data set of compare_forest.py --data telco.
// - BM_ForestBinning/rows:R         what fit spends before the trees: a 1-tree, depth-1 fit
//                                   (input checks, binning, the row records, one root split).
//
// Times are wall-clock (UseRealTime). Nothing asserts a timing.
#include <benchmark/benchmark.h>

#include "bench_common.hpp"

#include <cstddef>  // std::size_t
#include <cstdint>  // std::int32_t
#include <map>      // std::map
#include <string>   // std::string
#include <utility>  // std::pair

#include "churn/data/csv.hpp"
#include "churn/data/synthetic.hpp"
#include "churn/data/table.hpp"
#include "churn/tree/forest.hpp"

namespace {

using churn::Index;

constexpr int kTrees = 100;

/// The features and labels of `rows` generated customers (the id, the signup date and the label
/// dropped from the features), generated once per size.
struct Customers {
  churn::data::Table X;
  churn::Vector y;
};

const Customers& customers(Index rows) {
  static std::map<Index, Customers> cache;
  auto it = cache.find(rows);
  if (it != cache.end()) return it->second;
  churn::data::CustomerOptions options;
  options.n_customers = rows;
  options.seed = 0;
  const churn::data::Table table = churn::data::make_customers(options);
  Customers c;
  const auto labels = table.column("churned").as_int64();
  c.y.resize(rows);
  for (Index i = 0; i < rows; ++i) c.y[i] = static_cast<double>(labels[i]);
  c.X = table.drop({"customer_id", "signup_date", "churned"});
  return cache.emplace(rows, std::move(c)).first->second;
}

/// tests/testdata/telco_churn.csv as features and labels, read once.
const Customers& telco() {
  static const Customers data = [] {
    const churn::data::Table table =
        churn::data::read_csv(std::string(CHURN_SOURCE_DIR) + "/tests/testdata/telco_churn.csv");
    Customers c;
    const churn::data::Column& churn = table.column("Churn");
    c.y.resize(table.num_rows());
    const auto& levels = churn.categories();
    for (Index i = 0; i < table.num_rows(); ++i) {
      const std::int32_t code = churn.code_at(i);
      c.y[i] = code >= 0 && levels[static_cast<std::size_t>(code)] == "Yes" ? 1.0 : 0.0;
    }
    c.X = table.drop({"customerID", "Churn"});
    return c;
  }();
  return data;
}

Index rows_arg(const benchmark::State& state) {
  return state.range(0) > 0 ? state.range(0) : churn_bench::bench_rows(200000);
}

void BM_ForestFit(benchmark::State& state) {
  const Customers& data = customers(rows_arg(state));
  churn::tree::RandomForestParams params;
  params.n_estimators = kTrees;
  params.n_threads = static_cast<int>(state.range(1));
  params.seed = 0;
  std::size_t nodes = 0;
  for (auto _ : state) {
    churn::tree::RandomForestClassifier forest(params);
    forest.fit(data.X, data.y);
    nodes = 0;
    for (const churn::tree::Tree& tree : forest.trees()) nodes += 2 * tree.split_feature.size() + 1;
    benchmark::DoNotOptimize(nodes);
  }
  state.SetItemsProcessed(state.iterations() * data.X.num_rows() * kTrees);
  state.counters["nodes"] = static_cast<double>(nodes);
  state.counters["us_per_tree"] = benchmark::Counter(
      static_cast<double>(kTrees) * 1e-6,
      benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

void BM_ForestFitTelco(benchmark::State& state) {
  const Customers& data = telco();
  churn::tree::RandomForestParams params;
  params.n_estimators = kTrees;
  params.n_threads = static_cast<int>(state.range(0));
  params.seed = 0;
  for (auto _ : state) {
    churn::tree::RandomForestClassifier forest(params);
    forest.fit(data.X, data.y);
    benchmark::DoNotOptimize(forest.n_trees());
  }
  state.SetItemsProcessed(state.iterations() * data.X.num_rows() * kTrees);
}

void BM_ForestBinning(benchmark::State& state) {
  const Customers& data = customers(rows_arg(state));
  churn::tree::RandomForestParams params;
  params.n_estimators = 1;
  params.max_depth = 1;
  params.n_threads = 2;
  params.seed = 0;
  for (auto _ : state) {
    churn::tree::RandomForestClassifier forest(params);
    forest.fit(data.X, data.y);
    benchmark::DoNotOptimize(forest.n_trees());
  }
  state.SetItemsProcessed(state.iterations() * data.X.num_rows());
}

}  // namespace

BENCHMARK(BM_ForestFit)
    ->ArgNames({"rows", "threads"})
    ->Args({7043, 1})
    ->Args({7043, 2})
    ->Args({0, 2})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_ForestFitTelco)
    ->ArgName("threads")
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_ForestBinning)
    ->ArgName("rows")
    ->Arg(7043)
    ->Arg(0)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

BENCHMARK_MAIN();
