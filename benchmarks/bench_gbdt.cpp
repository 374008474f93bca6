// Benchmarks of the histogram GBDT (churn::tree::GBDTClassifier and its kernels in
// churn::tree::detail): feature binning, histogram building, split finding, fit, and single-row /
// batch prediction.
//
// Data (seed 42, churn::Rng): CHURN_BENCH_ROWS rows (default 200000) x 30 features; 24 numerical
// (normal, skewed, uniform and small-integer counts; about 5% NaN in eight of them) and 6
// categorical (integer codes, 10 to 50 levels, about 2% NaN in two); labels drawn from a logistic
// model with thresholds and interactions (about 25% ones).
//
//   build-bench/benchmarks/bench_gbdt --benchmark_counters_tabular=true
//   build-bench/benchmarks/bench_gbdt --benchmark_filter=PredictRow
//   CHURN_BENCH_ROWS=1000000 build-bench/benchmarks/bench_gbdt --benchmark_filter=Histogram
//
// - BM_BinFeatures/threads:T      detail::bin_features (255 bins); items = rows.
// - BM_BuildHistogram/pct:P       detail::build_histogram over P% of the rows (100: all rows in
//                                 order; 10: a seeded sorted random subset), one thread, the
//                                 histogram zeroed each time; items = rows, "updates" = rows x
//                                 features (one 16-byte bin update each), bytes = the bins, row
//                                 indices and gradient pairs read.
// - BM_FindBestSplit/<features>   detail::find_best_split over every feature (all, numerical or
//                                 categorical) of the root histogram; items = bins scanned.
// - BM_Fit/threads:T              fit of 20 trees (31 leaves) on the first 50000 rows; items =
//                                 rows x trees.
// - BM_PredictRow/<row>           predict_raw on one 1 x 30 row with a 100-tree, 31-leaf model
//                                 fitted once on all rows: "us_per_row" is the latency in
//                                 microseconds. `same` repeats one row; `varied` cycles through
//                                 1024 different rows (no branch history to learn); `trees_only`
//                                 walks the 100 trees directly (no input check, no allocation).
//                                 `depth`: mean depth of a training row's leaf (nodes visited
//                                 per tree).
// - BM_PredictBatch/threads:T     predict_raw on 100000 rows; items = rows.
// - BM_PredictBatchPlainWalk      the same sums by the plain per-row tree walk (what predict_raw
//                                 did before src/tree/packed_trees.cpp), one thread: the
//                                 baseline to read BM_PredictBatch/threads:1 against.
// - BM_PredictBatchPackedWalk     the same sums by the packed walk of every row (predict_raw
//                                 before QuickScorer, src/tree/quick_scorer.hpp), one thread.
//
// Times are wall-clock (UseRealTime). Nothing asserts a timing.
#include <benchmark/benchmark.h>

#include "bench_common.hpp"

#include <algorithm>  // std::min, std::fill
#include <chrono>     // std::chrono::steady_clock
#include <cmath>      // std::exp, std::log1p, std::frexp, std::ldexp, std::llrint, std::abs
#include <cstdint>    // std::int32_t, std::int64_t, std::uint8_t
#include <iterator>   // std::size
#include <limits>     // std::numeric_limits
#include <numeric>    // std::iota
#include <vector>     // std::vector

#include "churn/core/random.hpp"
#include "churn/tree/gbdt.hpp"
#include "tree/binning.hpp"
#include "tree/histogram.hpp"
#include "tree/packed_trees.hpp"
#include "tree/split.hpp"

namespace {

using churn::Index;
namespace detail = churn::tree::detail;

constexpr Index kCols = 30;
constexpr Index kFitRows = 50000;
constexpr int kFitTrees = 20;
constexpr Index kBatchRows = 100000;
constexpr int kModelTrees = 100;
constexpr int kModelLeaves = 31;
constexpr Index kVariedRows = 1024;

churn::Index bench_rows() {
  return churn_bench::bench_rows(200000);
}

/// Categorical columns and their number of codes.
constexpr int kCatCols[] = {3, 8, 13, 19, 24, 29};
constexpr int kCatCodes[] = {10, 50, 12, 24, 36, 18};

double sigmoid(double z) {
  return 1.0 / (1.0 + std::exp(-z));
}

/// The bits needed to hold the count `n` (as the engine picks count_bits).
int bit_width(Index n) {
  int b = 1;
  while ((Index{1} << b) <= n) ++b;
  return b;
}

/// 2^k with `total * 2^k < 2^bits` (as the engine picks its fixed-point scales).
double fixed_scale(double total, int bits) {
  if (!(total > 0)) return 1.0;
  int e = 0;
  std::frexp(total, &e);
  return std::ldexp(1.0, bits - e);
}

/// Wall-clock seconds since construction. Google Benchmark keeps its loop timer to itself, so the
/// per-row and per-tree counters time the loop again (started just before it; the extra is the
/// loop's start and stop, negligible once spread over the iterations).
class Stopwatch {
 public:
  double seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }

 private:
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

struct Data {
  churn::RowMatrix X;
  churn::Vector y;
  std::vector<int> categorical;      ///< Indices of the categorical columns.
  std::vector<std::uint8_t> is_cat;  ///< Per column, 1 when categorical.

  explicit Data(Index n) : X(n, kCols), y(n), is_cat(static_cast<std::size_t>(kCols), 0) {
    churn::Rng rng(42);
    const double nan = std::numeric_limits<double>::quiet_NaN();
    for (std::size_t c = 0; c < std::size(kCatCols); ++c) {
      categorical.push_back(kCatCols[c]);
      is_cat[static_cast<std::size_t>(kCatCols[c])] = 1;
    }
    // A fixed effect per code of each categorical column.
    std::vector<std::vector<double>> effect(std::size(kCatCols));
    for (std::size_t c = 0; c < effect.size(); ++c)
      for (int k = 0; k < kCatCodes[c]; ++k) effect[c].push_back(0.6 * rng.normal());

    for (Index i = 0; i < n; ++i) {
      std::size_t c = 0;
      for (Index j = 0; j < kCols; ++j) {
        if (c < std::size(kCatCols) && j == kCatCols[c]) {
          // Skewed code frequencies: low codes are more common.
          const double u = rng.uniform();
          auto code = static_cast<int>(u * u * kCatCodes[c]);
          X(i, j) = (c % 3 == 1 && rng.bernoulli(0.02)) ? nan : static_cast<double>(code);
          ++c;
          continue;
        }
        double v = 0;
        switch (j % 4) {
          case 0: v = rng.normal(); break;                                    // symmetric
          case 1: v = std::exp(0.8 * rng.normal()); break;                    // skewed (charges)
          case 2: v = rng.uniform(0, 72); break;                              // uniform (tenure)
          default: v = std::floor(-4.0 * std::log1p(-rng.uniform())); break;  // small counts
        }
        X(i, j) = (j % 3 == 1 && rng.bernoulli(0.05)) ? nan : v;
      }
      const auto x = [&](Index j) {
        const double v = X(i, j);
        return v != v ? 0.0 : v;
      };
      double eta = -1.5 + 0.6 * x(0) - 0.4 * x(1) + (x(2) < 12 ? 0.9 : -0.3) + 0.15 * x(7) -
                   0.5 * x(4) * x(5) * (x(6) > 36 ? 1.0 : 0.0) + 0.3 * (X(i, 10) != X(i, 10));
      for (std::size_t k = 0; k < std::size(kCatCols); ++k) {
        const double v = X(i, kCatCols[k]);
        if (v == v) eta += effect[k][static_cast<std::size_t>(v)];
      }
      y[i] = rng.uniform() < sigmoid(eta) ? 1.0 : 0.0;
    }
  }
};

const Data& data() {
  static const Data d(bench_rows());
  return d;
}

/// The binned matrix, gradient pairs from random scores, and the row lists.
struct Binned {
  std::vector<churn::tree::FeatureBinInfo> info;
  detail::BinnedMatrix B;
  int count_bits = 0;
  double g_unscale = 1, h_unscale = 1;
  std::vector<std::int32_t> all_rows, subset_rows;
  std::vector<detail::GradPair> gh_all;     ///< gh_all[i]: row i.
  std::vector<detail::GradPair> gh_subset;  ///< gh_subset[k]: row subset_rows[k] (leaf order).

  Binned() {
    const Data& d = data();
    const Index n = d.X.rows();
    const churn::RowMatrixRef X_ref(d.X);
    B = detail::bin_features(detail::RowMajorFeatures{X_ref}, d.is_cat, 255, 200000, 0, 0, info);
    count_bits = bit_width(n);
    churn::Rng rng(7);
    std::vector<double> g(static_cast<std::size_t>(n)), h(static_cast<std::size_t>(n));
    double tg = 0, th = 0;
    for (Index i = 0; i < n; ++i) {
      const double p = sigmoid(-1.0 + 0.7 * rng.normal());
      const auto k = static_cast<std::size_t>(i);
      g[k] = p - d.y[i];
      h[k] = p * (1 - p);
      tg += std::abs(g[k]);
      th += h[k];
    }
    const double gs = fixed_scale(tg, 61), hs = fixed_scale(th, 61 - count_bits);
    g_unscale = 1 / gs;
    h_unscale = 1 / hs;
    gh_all.resize(static_cast<std::size_t>(n));
    for (std::size_t k = 0; k < gh_all.size(); ++k) {
      gh_all[k].g = std::llrint(g[k] * gs);
      gh_all[k].hc = (static_cast<std::int64_t>(std::llrint(h[k] * hs)) << count_bits) | 1;
    }
    all_rows.resize(static_cast<std::size_t>(n));
    std::iota(all_rows.begin(), all_rows.end(), 0);
    for (Index i = 0; i < n; ++i)
      if (rng.uniform() < 0.1) subset_rows.push_back(static_cast<std::int32_t>(i));
    for (const std::int32_t r : subset_rows)
      gh_subset.push_back(gh_all[static_cast<std::size_t>(r)]);
  }

  /// Builds the histogram of `rows` (m of them) into `out` (zeroed here).
  void build(const std::int32_t* rows, Index m, const detail::GradPair* gh,
             std::vector<detail::HistBin>& out) const {
    std::fill(out.begin(), out.end(), detail::HistBin{});
    if (B.wide_rows)
      detail::build_histogram(B.rows32.data(), B.n_features, rows, m, gh, out.data());
    else
      detail::build_histogram(B.rows16.data(), B.n_features, rows, m, gh, out.data());
  }
};

const Binned& binned() {
  static const Binned b;
  return b;
}

void BM_BinFeatures(benchmark::State& state) {
  const Data& d = data();
  const int threads = static_cast<int>(state.range(0));
  for (auto _ : state) {
    std::vector<churn::tree::FeatureBinInfo> info;
    const churn::RowMatrixRef X_ref(d.X);
    detail::BinnedMatrix B = detail::bin_features(detail::RowMajorFeatures{X_ref}, d.is_cat, 255,
                                                  200000, 0, threads, info);
    benchmark::DoNotOptimize(B.hist_size);
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * d.X.rows());
}

void BM_BuildHistogram(benchmark::State& state) {
  const Binned& b = binned();
  const bool all = state.range(0) >= 100;
  const std::vector<std::int32_t>& rows = all ? b.all_rows : b.subset_rows;
  const detail::GradPair* gh = all ? b.gh_all.data() : b.gh_subset.data();
  const auto m = static_cast<Index>(rows.size());
  std::vector<detail::HistBin> hist(static_cast<std::size_t>(b.B.hist_size));
  for (auto _ : state) {
    b.build(rows.data(), m, gh, hist);
    benchmark::DoNotOptimize(hist.data());
    benchmark::ClobberMemory();
  }
  const Index p = b.B.n_features;
  const Index bin_bytes = b.B.wide_rows ? 4 : 2;
  state.SetItemsProcessed(state.iterations() * m);
  state.SetBytesProcessed(state.iterations() * m *
                          (p * bin_bytes + static_cast<Index>(sizeof(std::int32_t)) +
                           static_cast<Index>(sizeof(detail::GradPair))));
  state.counters["rows"] = static_cast<double>(m);
  state.counters["updates"] =
      benchmark::Counter(static_cast<double>(m * p), benchmark::Counter::kIsIterationInvariantRate);
}

enum class Features { All, Numerical, Categorical };

void BM_FindBestSplit(benchmark::State& state, Features which) {
  const Binned& b = binned();
  const Data& d = data();
  std::vector<detail::HistBin> hist(static_cast<std::size_t>(b.B.hist_size));
  b.build(b.all_rows.data(), static_cast<Index>(b.all_rows.size()), b.gh_all.data(), hist);

  static const churn::tree::GBDTParams params{};
  detail::SplitContext ctx;
  ctx.params = &params;
  ctx.g_unscale = b.g_unscale;
  ctx.h_unscale = b.h_unscale;
  ctx.constrained = false;
  ctx.count_bits = b.count_bits;

  // The root: the sums of feature 0's bins (every row falls in exactly one).
  detail::LeafInfo leaf;
  for (std::int32_t k = 0; k < b.B.n_bins[0]; ++k) {
    const detail::Sums s =
        detail::unpack(hist[static_cast<std::size_t>(b.B.hist_offset[0] + k)], b.count_bits);
    leaf.sums.g += s.g;
    leaf.sums.h += s.h;
    leaf.sums.c += s.c;
  }
  leaf.output = detail::leaf_output(static_cast<double>(leaf.sums.g) * ctx.g_unscale,
                                    static_cast<double>(leaf.sums.h) * ctx.h_unscale,
                                    params.reg_alpha, params.reg_lambda, leaf.lo, leaf.hi);

  std::vector<std::int32_t> features;
  Index bins = 0;
  for (Index f = 0; f < b.B.n_features; ++f) {
    const bool cat = d.is_cat[static_cast<std::size_t>(f)] != 0;
    if (which == Features::All || (which == Features::Categorical) == cat) {
      features.push_back(static_cast<std::int32_t>(f));
      bins += b.B.n_bins[static_cast<std::size_t>(f)];
    }
  }
  detail::SplitInfo best;
  for (auto _ : state) {
    best = detail::SplitInfo{};
    for (const std::int32_t f : features) {
      const auto k = static_cast<std::size_t>(f);
      detail::find_best_split(hist.data() + b.B.hist_offset[k], b.B.n_bins[k], f, b.info[k], 0,
                              leaf, ctx, best);
    }
    benchmark::DoNotOptimize(best.gain);
  }
  state.SetItemsProcessed(state.iterations() * bins);
  state.counters["features"] = static_cast<double>(features.size());
  state.counters["bins"] = static_cast<double>(bins);
  state.counters["best_feature"] = best.feature;
}

void BM_Fit(benchmark::State& state) {
  const Data& d = data();
  const Index n = std::min(kFitRows, d.X.rows());
  static const churn::RowMatrix X = d.X.topRows(n);
  static const churn::Vector y = d.y.head(n);
  churn::tree::GBDTParams p;
  p.n_estimators = kFitTrees;
  p.num_leaves = kModelLeaves;
  p.categorical_features = d.categorical;
  p.n_threads = static_cast<int>(state.range(0));
  const Stopwatch watch;
  for (auto _ : state) {
    churn::tree::GBDTClassifier m(p);
    m.fit(X, y);
    benchmark::DoNotOptimize(m.init_score());
  }
  state.SetItemsProcessed(state.iterations() * n * kFitTrees);
  state.counters["rows"] = static_cast<double>(n);
  state.counters["ms_per_tree"] =
      1e3 * watch.seconds() / (static_cast<double>(state.iterations()) * kFitTrees);
}

/// 100 trees of 31 leaves fitted once on all rows (all cores).
const churn::tree::GBDTClassifier& model() {
  static const churn::tree::GBDTClassifier m = [] {
    const Data& d = data();
    churn::tree::GBDTParams p;
    p.n_estimators = kModelTrees;
    p.num_leaves = kModelLeaves;
    p.categorical_features = d.categorical;
    churn::tree::GBDTClassifier c(p);
    c.fit(d.X, d.y);
    return c;
  }();
  return m;
}

/// Trees, mean leaves per tree and `depth`, the mean depth of a training row's leaf (the nodes a
/// row visits per tree).
void report_model(benchmark::State& state, const churn::tree::GBDTClassifier& m) {
  Index leaves = 0;
  double rows = 0, row_depth = 0;
  for (const churn::tree::Tree& t : m.trees()) {
    leaves += t.n_leaves();
    for (std::size_t l = 0; l < t.leaf_count.size(); ++l) {
      rows += t.leaf_count[l];
      row_depth += t.leaf_count[l] * static_cast<double>(t.leaf_depth[l]);
    }
  }
  state.counters["trees"] = m.n_trees();
  state.counters["leaves"] = static_cast<double>(leaves) / m.n_trees();
  state.counters["depth"] = rows > 0 ? row_depth / rows : 0.0;
}

enum class RowKind { Same, Varied, TreesOnly };

void BM_PredictRow(benchmark::State& state, RowKind kind) {
  const Data& d = data();
  const churn::tree::GBDTClassifier& m = model();
  // Rows built once; only the call is timed.
  const Index n_rows = kind == RowKind::Varied ? std::min(kVariedRows, d.X.rows()) : 1;
  std::vector<churn::RowMatrix> rows;
  for (Index i = 0; i < n_rows; ++i) rows.emplace_back(d.X.row((i * 7919) % d.X.rows()));
  std::size_t at = 0;
  double sink = 0;
  const Stopwatch watch;
  if (kind == RowKind::TreesOnly) {
    const double* x = rows[0].data();
    const std::vector<churn::tree::Tree>& trees = m.trees();
    for (auto _ : state) {
      double s = m.init_score();
      for (const churn::tree::Tree& t : trees) s += t.predict(x);
      benchmark::DoNotOptimize(s);
      sink += s;
    }
  } else {
    for (auto _ : state) {
      churn::Vector r = m.predict_raw(rows[at]);
      benchmark::DoNotOptimize(r.data());
      sink += r[0];
      if (++at == rows.size()) at = 0;
    }
  }
  benchmark::DoNotOptimize(sink);
  state.SetItemsProcessed(state.iterations());
  // The mean over the loop; with --benchmark_repetitions, the aggregates give its median.
  state.counters["us_per_row"] = 1e6 * watch.seconds() / static_cast<double>(state.iterations());
  report_model(state, m);
}

void BM_PredictBatch(benchmark::State& state) {
  const Data& d = data();
  const Index n = std::min(kBatchRows, d.X.rows());
  static const churn::RowMatrix X = d.X.topRows(n);
  churn::tree::GBDTClassifier m = model();
  churn::tree::GBDTParams p = m.params();
  p.n_threads = static_cast<int>(state.range(0));
  m.set_params(p);
  for (auto _ : state) {
    churn::Vector r = m.predict_raw(X);
    benchmark::DoNotOptimize(r.data());
  }
  state.SetItemsProcessed(state.iterations() * n);
  state.counters["rows"] = static_cast<double>(n);
  report_model(state, m);
}

/// The plain walk that predict_raw used before the packed predictor (Tree::predict per row, the
/// trees in order over blocks of 128 rows, one thread): the same sums, the baseline of
/// BM_PredictBatch in the same run.
void BM_PredictBatchPlainWalk(benchmark::State& state) {
  const Data& d = data();
  const Index n = std::min(kBatchRows, d.X.rows());
  static const churn::RowMatrix X = d.X.topRows(n);
  const churn::tree::GBDTClassifier& m = model();
  for (auto _ : state) {
    churn::Vector r = churn::Vector::Constant(n, m.init_score());
    for (Index lo = 0; lo < n; lo += 128) {
      const Index hi = std::min(n, lo + 128);
      for (const churn::tree::Tree& t : m.trees())
        for (Index i = lo; i < hi; ++i) r[i] += t.predict(X.row(i).data());
    }
    benchmark::DoNotOptimize(r.data());
  }
  state.SetItemsProcessed(state.iterations() * n);
  state.counters["rows"] = static_cast<double>(n);
  report_model(state, m);
}

/// The packed walk of every row (what predict_raw did before QuickScorer, packed_trees.cpp), one
/// thread: the same sums through detail::PackedTrees::sum(..., quick = false).
void BM_PredictBatchPackedWalk(benchmark::State& state) {
  const Data& d = data();
  const Index n = std::min(kBatchRows, d.X.rows());
  static const churn::RowMatrix X = d.X.topRows(n);
  const churn::tree::GBDTClassifier& m = model();
  const detail::PackedTrees packed(m.trees(), kCols);
  const int k = static_cast<int>(m.trees().size());
  for (auto _ : state) {
    churn::Vector r = packed.sum(X, k, m.init_score(), 1, false);
    benchmark::DoNotOptimize(r.data());
  }
  state.SetItemsProcessed(state.iterations() * n);
  state.counters["rows"] = static_cast<double>(n);
  report_model(state, m);
}

}  // namespace

BENCHMARK(BM_BinFeatures)
    ->ArgName("threads")
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_BuildHistogram)
    ->ArgName("pct")
    ->Arg(100)
    ->Arg(10)
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_FindBestSplit, all, Features::All)
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_FindBestSplit, numerical, Features::Numerical)
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_FindBestSplit, categorical, Features::Categorical)
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();
BENCHMARK(BM_Fit)->ArgName("threads")->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_PredictRow, same, RowKind::Same)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_PredictRow, varied, RowKind::Varied)
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_PredictRow, trees_only, RowKind::TreesOnly)
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();
BENCHMARK(BM_PredictBatch)
    ->ArgName("threads")
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_PredictBatchPlainWalk)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_PredictBatchPackedWalk)->Unit(benchmark::kMillisecond)->UseRealTime();

BENCHMARK_MAIN();
