// Benchmarks of the deployable churn model bundle (churn::model::ChurnModel): per-request
// scoring latency of one raw customer and batch scoring, plus a breakdown of one row's time into
// the stages score() runs (contract check, pipeline, model).
//
// Model: churn::model::train_churn_model on churn::data::make_customers (seed 42,
// CHURN_BENCH_ROWS rows, default 20000; 25% churners) with candidates {"gbdt"}, cv 2, seed 0,
// default calibration ("auto") and threshold: the bundle as train_churn_model ships it, a
// 200-tree, 15-leaf GBDT (`trees:200`). The latency target names a 100-tree GBDT, so a
// second bundle (`trees:100`) is assembled from the same parts (contract, fitted pipeline,
// calibrator, threshold, baseline) with a GBDT of 100 trees (15 leaves, learning rate 0.05,
// min_child_samples 20, as the candidate) refitted on the pipeline's output of the same rows.
// The calibrator then belongs to the 200-tree model; it is the same work per row, which is all
// that is measured here.
//
// Request rows: 256 customers of a second table (seed 43), stored as plain C++ values (id text,
// signup date, 5 category labels as text or missing, 11 doubles with NaN): every iteration
// builds a ONE-row data::Table from the next stored row (what a host application does per
// request: 18 raw columns, the 17 of the contract plus signup_date, which the contract allows
// as an extra column) and scores it. Categorical columns are built from text
// (Column::from_strings_categorical), so the pipeline maps each label to the training codes.
//
//   build/cc/benchmarks/bench_model --benchmark_counters_tabular=true
//   build/cc/benchmarks/bench_model --benchmark_filter=Row
//   CHURN_BENCH_ROWS=100000 build/cc/benchmarks/bench_model
//
// - BM_BuildRow                     building the one-row table alone.
// - BM_PredictProbaRow/trees:T/validate:V/build:B
//                                   build (B = 1; B = 0: prebuilt one-row tables) +
//                                   ChurnModel::predict_proba(row, validate).
// - BM_ScoreRow/trees:T/reasons:R   build + ChurnModel::score(row) with n_reasons R (validate).
// - BM_Stage/trees:100/stage:S      one stage on a prebuilt one-row table: 0 = ChurnModel::validate
//                                   (conform + contract check), 1 = Pipeline::transform,
//                                   2 = ChurnModel::raw_score of the pipeline's output (GBDT:
//                                   table -> feature matrix -> trees), 3 = the trees alone
//                                   (GBDTClassifier::predict_raw on the 1 x p matrix), 4 =
//                                   Schema::validate alone (no conform).
// - BM_PredictProbaBatch/trees:T, BM_ScoreBatch/trees:T/reasons:R
//                                   the same calls on a prebuilt 1000-row table; items = rows,
//                                   "us_per_row" = microseconds per row.
//
// Latency: every iteration of the row benchmarks is timed with steady_clock; the counters
// "p50_us" and "p99_us" are the median and 99th percentile of the per-call latency within a
// run, and each benchmark runs 3 repetitions of which only the aggregates (mean, median,
// stddev, cv) are reported: read the `_median` rows. Batch benchmarks use one thread
// (ChurnModel's engines take n_threads from the training options; n_threads = 1 is set here).
// Threads: the bundle is trained with n_threads = 1, so its pipeline and model score on one
// thread; the contract check (data::Schema::validate) runs one task per column on all cores
// (OpenMP) whatever the table's size, so on a busy machine a one-row validated call can wait
// milliseconds for a second core. OMP_NUM_THREADS=1 takes that out:
//   OMP_NUM_THREADS=1 build/cc/benchmarks/bench_model --benchmark_counters_tabular=true
// Nothing asserts a timing.
#include <benchmark/benchmark.h>

#include "bench_common.hpp"

#include <algorithm>  // std::sort, std::min
#include <chrono>     // std::chrono::steady_clock
#include <cmath>      // std::nan
#include <cstdint>    // std::int64_t, std::uint8_t
#include <optional>   // std::optional
#include <string>     // std::string
#include <utility>    // std::move
#include <vector>     // std::vector

#include "churn/data/synthetic.hpp"
#include "churn/data/table.hpp"
#include "churn/model/churn_model.hpp"
#include "churn/model/train.hpp"
#include "churn/tree/gbdt.hpp"

namespace {

using churn::Index;
namespace data = churn::data;
namespace model = churn::model;

constexpr Index kRequestRows = 256;
constexpr Index kBatchRows = 1000;
constexpr int kRepetitions = 3;

const char* const kCategorical[] = {"region", "plan", "contract", "payment_method", "autopay"};
const char* const kNumeric[] = {"tenure_months",         "monthly_charges",   "total_charges",
                                "num_devices",           "sessions_per_week", "avg_session_minutes",
                                "support_tickets",       "payment_failures",  "discount_pct",
                                "days_since_last_login", "nps_score"};
constexpr int kNumCat = 5;
constexpr int kNumNum = 11;

/// One raw customer as a host application holds it before scoring.
struct RawRow {
  std::string id;
  std::int64_t signup_ns = 0;
  std::string cat[kNumCat];
  bool cat_valid[kNumCat] = {};
  double num[kNumNum] = {};
};

/// A one-row table of the request's 18 raw columns.
data::Table build_row(const RawRow& r) {
  std::vector<data::Column> cols;
  cols.reserve(2 + kNumCat + kNumNum);
  cols.push_back(data::Column::from_strings("customer_id", {r.id}));
  cols.push_back(data::Column::from_timestamp("signup_date", {r.signup_ns}));
  for (int k = 0; k < kNumCat; ++k)
    cols.push_back(data::Column::from_strings_categorical(
        kCategorical[k], {r.cat_valid[k] ? r.cat[k] : std::string()},
        {static_cast<std::uint8_t>(r.cat_valid[k] ? 1 : 0)}));
  for (int k = 0; k < kNumNum; ++k)
    cols.push_back(data::Column::from_float64(kNumeric[k], {r.num[k]}));
  return data::Table(std::move(cols));
}

struct Fixture {
  model::ChurnModel model200;
  model::ChurnModel model100;
  std::vector<RawRow> rows;
  data::Table batch;  // kBatchRows raw customers (without the label)
  churn::tree::GBDTClassifier gbdt100;

  const model::ChurnModel& model(int trees) const { return trees == 100 ? model100 : model200; }
};

const Fixture& fixture() {
  static const Fixture f = [] {
    Fixture fx;
    data::CustomerOptions co;
    co.n_customers = churn_bench::bench_rows(20000);
    co.seed = 42;
    const data::Table train = data::make_customers(co);

    model::TrainOptions opt;
    opt.target = "churned";
    opt.candidates = {"gbdt"};
    opt.cv = 2;
    opt.seed = 0;
    opt.n_threads = 1;
    fx.model200 = model::train_churn_model(train, opt);

    // The same bundle with a 100-tree GBDT (see the file comment).
    const model::ChurnModel& m = fx.model200;
    const data::Table features = m.pipeline().transform(train);
    const auto y_col = train.column("churned").as_int64();
    churn::Vector y(y_col.size());
    for (Index i = 0; i < y.size(); ++i) y[i] = static_cast<double>(y_col[i]);
    churn::tree::GBDTParams p;
    p.n_estimators = 100;
    p.learning_rate = 0.05;
    p.num_leaves = 15;
    p.min_child_samples = 20;
    p.seed = 0;
    p.n_threads = 1;
    churn::tree::GBDTClassifier g(p);
    g.fit(features.select(m.feature_names()), y);
    g.set_classes(m.classes());
    model::ChurnModelParts parts;
    parts.contract = m.contract();
    parts.pipeline = m.pipeline();
    parts.model = g.to_json();
    if (m.calibrator() != nullptr) parts.calibrator = *m.calibrator();
    parts.threshold = m.threshold();
    parts.threshold_info = m.threshold_info();
    parts.baseline = m.baseline();
    parts.id_column = m.id_column();
    fx.model100 = model::ChurnModel::assemble(std::move(parts));
    fx.gbdt100 = std::move(g);

    data::CustomerOptions ro;
    ro.n_customers = kBatchRows;
    ro.seed = 43;
    fx.batch = data::make_customers(ro).drop({"churned"});
    const data::Table& t = fx.batch;
    for (Index i = 0; i < kRequestRows; ++i) {
      RawRow r;
      r.id = t.column("customer_id").value_string(i);
      r.signup_ns = t.column("signup_date").as_int64()[i];
      for (int k = 0; k < kNumCat; ++k) {
        const data::Column& c = t.column(kCategorical[k]);
        r.cat_valid[k] = !c.is_missing(i);
        if (r.cat_valid[k]) r.cat[k] = c.value_string(i);
      }
      for (int k = 0; k < kNumNum; ++k) r.num[k] = t.column(kNumeric[k]).as_float64()[i];
      fx.rows.push_back(std::move(r));
    }
    return fx;
  }();
  return f;
}

/// Times `call(i)` once per iteration (i cycles through the request rows) and sets the
/// per-call latency percentiles.
template <class F>
void latency_loop(benchmark::State& state, F&& call) {
  std::vector<double> us;
  us.reserve(1 << 16);
  Index i = 0;
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    call(i);
    const auto t1 = std::chrono::steady_clock::now();
    us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
    i = (i + 1) % kRequestRows;
  }
  std::sort(us.begin(), us.end());
  const auto at = [&us](double q) {
    return us.empty() ? 0.0 : us[std::min(us.size() - 1, static_cast<std::size_t>(q * us.size()))];
  };
  state.counters["p50_us"] = at(0.50);
  state.counters["p99_us"] = at(0.99);
}

void BM_BuildRow(benchmark::State& state) {
  const Fixture& f = fixture();
  latency_loop(state, [&f](Index i) {
    data::Table t = build_row(f.rows[static_cast<std::size_t>(i)]);
    benchmark::DoNotOptimize(t);
  });
}

void BM_PredictProbaRow(benchmark::State& state) {
  const Fixture& f = fixture();
  const model::ChurnModel& m = f.model(static_cast<int>(state.range(0)));
  const bool validate = state.range(1) != 0;
  if (state.range(2) == 0) {  // prebuilt one-row tables: the scoring call alone
    std::vector<data::Table> rows;
    for (Index i = 0; i < kRequestRows; ++i)
      rows.push_back(build_row(f.rows[static_cast<std::size_t>(i)]));
    latency_loop(state, [&](Index i) {
      const churn::Vector p = m.predict_proba(rows[static_cast<std::size_t>(i)], validate);
      benchmark::DoNotOptimize(p.data());
    });
    return;
  }
  latency_loop(state, [&](Index i) {
    const churn::Vector p =
        m.predict_proba(build_row(f.rows[static_cast<std::size_t>(i)]), validate);
    benchmark::DoNotOptimize(p.data());
  });
}

void BM_ScoreRow(benchmark::State& state) {
  const Fixture& f = fixture();
  const model::ChurnModel& m = f.model(static_cast<int>(state.range(0)));
  model::ScoreOptions so;
  so.n_reasons = static_cast<int>(state.range(1));
  latency_loop(state, [&](Index i) {
    const data::Table out = m.score(build_row(f.rows[static_cast<std::size_t>(i)]), so);
    benchmark::DoNotOptimize(out);
  });
}

void BM_Stage(benchmark::State& state) {
  const Fixture& f = fixture();
  const model::ChurnModel& m = f.model(static_cast<int>(state.range(0)));
  const int stage = static_cast<int>(state.range(1));
  std::vector<data::Table> rows;
  std::vector<data::Table> feats;
  std::vector<churn::RowMatrix> mats;
  for (Index i = 0; i < kRequestRows; ++i) {
    rows.push_back(build_row(f.rows[static_cast<std::size_t>(i)]));
    feats.push_back(m.pipeline().transform(rows.back()));
    mats.push_back(f.gbdt100.feature_matrix(feats.back()));
  }
  latency_loop(state, [&](Index i) {
    const auto k = static_cast<std::size_t>(i);
    switch (stage) {
      case 0: {
        const auto r = m.validate(rows[k]);
        benchmark::DoNotOptimize(r);
        break;
      }
      case 1: {
        const data::Table t = m.pipeline().transform(rows[k]);
        benchmark::DoNotOptimize(t);
        break;
      }
      case 2: {
        const churn::Vector v = m.raw_score(feats[k]);
        benchmark::DoNotOptimize(v.data());
        break;
      }
      case 3: {
        const churn::Vector v = f.gbdt100.predict_raw(mats[k]);
        benchmark::DoNotOptimize(v.data());
        break;
      }
      default: {
        const auto r = m.contract().validate(rows[k]);
        benchmark::DoNotOptimize(r);
        break;
      }
    }
  });
}

void BM_PredictProbaBatch(benchmark::State& state) {
  const Fixture& f = fixture();
  const model::ChurnModel& m = f.model(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    const churn::Vector p = m.predict_proba(f.batch);
    benchmark::DoNotOptimize(p.data());
  }
  state.SetItemsProcessed(state.iterations() * kBatchRows);
  state.counters["us_per_row"] = benchmark::Counter(
      static_cast<double>(kBatchRows) * 1e-6,
      benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

void BM_ScoreBatch(benchmark::State& state) {
  const Fixture& f = fixture();
  const model::ChurnModel& m = f.model(static_cast<int>(state.range(0)));
  model::ScoreOptions so;
  so.n_reasons = static_cast<int>(state.range(1));
  for (auto _ : state) {
    const data::Table out = m.score(f.batch, so);
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(state.iterations() * kBatchRows);
  state.counters["us_per_row"] = benchmark::Counter(
      static_cast<double>(kBatchRows) * 1e-6,
      benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

}  // namespace

BENCHMARK(BM_BuildRow)->Repetitions(kRepetitions)->ReportAggregatesOnly(true);
BENCHMARK(BM_PredictProbaRow)
    ->ArgNames({"trees", "validate", "build"})
    ->Args({100, 1, 1})
    ->Args({100, 0, 1})
    ->Args({100, 1, 0})
    ->Args({200, 1, 1})
    ->Repetitions(kRepetitions)
    ->ReportAggregatesOnly(true);
BENCHMARK(BM_ScoreRow)
    ->ArgNames({"trees", "reasons"})
    ->Args({100, 0})
    ->Args({100, 3})
    ->Args({200, 3})
    ->Repetitions(kRepetitions)
    ->ReportAggregatesOnly(true);
BENCHMARK(BM_Stage)
    ->ArgNames({"trees", "stage"})
    ->Args({100, 0})
    ->Args({100, 4})
    ->Args({100, 1})
    ->Args({100, 2})
    ->Args({100, 3})
    ->Repetitions(kRepetitions)
    ->ReportAggregatesOnly(true);
BENCHMARK(BM_PredictProbaBatch)
    ->ArgNames({"trees"})
    ->Arg(100)
    ->Arg(200)
    ->Unit(benchmark::kMicrosecond)
    ->Repetitions(kRepetitions)
    ->ReportAggregatesOnly(true);
BENCHMARK(BM_ScoreBatch)
    ->ArgNames({"trees", "reasons"})
    ->Args({100, 0})
    ->Args({100, 3})
    ->Args({200, 3})
    ->Unit(benchmark::kMicrosecond)
    ->Repetitions(kRepetitions)
    ->ReportAggregatesOnly(true);

BENCHMARK_MAIN();
