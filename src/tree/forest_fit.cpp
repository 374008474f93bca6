// churn::tree::RandomForestClassifier's fit: input checks, row weights, each tree's sample and
// fixed-point gradients, trees grown in parallel, and the out-of-bag predictions.
#include <algorithm>  // std::fill, std::min, std::max
#include <chrono>     // std::chrono::steady_clock
#include <climits>    // INT_MAX
#include <cmath>      // std::sqrt, std::log2, std::floor, std::llrint, std::round, NAN
#include <limits>     // std::numeric_limits
#include <memory>     // std::unique_ptr, std::make_shared
#include <mutex>      // std::mutex, std::lock_guard
#include <utility>    // std::move

#include "churn/core/error.hpp"
#include "churn/core/parallel.hpp"
#include "churn/core/random.hpp"
#include "churn/core/stop.hpp"
#include "churn/tree/forest.hpp"
#include "tree/binning.hpp"
#include "tree/fit_inputs.hpp"
#include "tree/gbdt_shared.hpp"
#include "tree/gbdt_table.hpp"
#include "tree/grower.hpp"
#include "tree/packed_trees.hpp"

namespace churn::tree {

using data::Table;
using detail::kRowBlock;
using detail::threads_for;

namespace {

// ---- parameters resolved against the data ------------------------------------------------------

/// max_features as a count for `p` features (scikit-learn's rounding).
Index resolve_max_features(const RandomForestParams& P, Index p, const char* who) {
  const auto pd = static_cast<double>(p);
  switch (P.max_features) {
    case MaxFeatures::Sqrt: return std::max<Index>(1, static_cast<Index>(std::sqrt(pd)));
    case MaxFeatures::Log2: return std::max<Index>(1, static_cast<Index>(std::log2(pd)));
    case MaxFeatures::All: return p;
    case MaxFeatures::Fraction:
      return std::max<Index>(1, static_cast<Index>(P.max_features_value * pd));
    case MaxFeatures::Count: break;
  }
  const auto k = static_cast<Index>(P.max_features_value);
  CHURN_CHECK(k <= p, InvalidArgument,
              who << ": max_features = " << k << " is more than the " << p << " features of X");
  return k;
}

/// max_samples as a count for `n` rows.
Index resolve_max_samples(const RandomForestParams& P, Index n, const char* who) {
  if (P.max_samples == MaxSamples::All) return n;
  if (P.max_samples == MaxSamples::Fraction)
    return std::max<Index>(
        1, static_cast<Index>(std::round(P.max_samples_value * static_cast<double>(n))));
  const auto k = static_cast<Index>(P.max_samples_value);
  CHURN_CHECK(k <= n, InvalidArgument,
              who << ": max_samples = " << k << " is more than the " << n << " rows of X");
  return k;
}

/// Each row's weight: its sample weight (1 without) times its class weight (None, Balanced
/// or Custom; BalancedSubsample is applied per tree).
/// @throws InvalidArgument when a class has no weight or the total overflows.
Vector row_weights(const VectorRef& y, const Vector& sample_weight, const RandomForestParams& P,
                   const char* who) {
  const Index n = y.size();
  double n1 = 0;
  for (Index i = 0; i < n; ++i) n1 += y[i] > 0.5 ? 1 : 0;
  double c0 = 1, c1 = 1;
  if (P.class_weight == ForestClassWeight::Balanced) {
    c0 = n1 < static_cast<double>(n) ? static_cast<double>(n) / (2 * (static_cast<double>(n) - n1))
                                     : 1.0;
    c1 = n1 > 0 ? static_cast<double>(n) / (2 * n1) : 1.0;
  } else if (P.class_weight == ForestClassWeight::Custom) {
    c0 = P.class_weight_0;
    c1 = P.class_weight_1;
  }
  Vector w(n);
  double s0 = 0, s1 = 0;
  for (Index i = 0; i < n; ++i) {
    const bool pos = y[i] > 0.5;
    w[i] = (sample_weight.size() ? sample_weight[i] : 1.0) * (pos ? c1 : c0);
    (pos ? s1 : s0) += w[i];
  }
  CHURN_CHECK(std::isfinite(s0 + s1), InvalidArgument,
              who << ": the weights (times class_weight) sum to " << s0 + s1 << "; rescale them");
  CHURN_CHECK(s0 > 0 && s1 > 0, InvalidArgument,
              who << ": y must hold both classes 0 and 1 (with positive weight)");
  return w;
}

/// The grower's settings for a forest's trees: no shrinkage or regularisation, the leaf and
/// depth limits, and categorical splits on the exact rate order (no smoothing, any size).
GBDTParams grower_params(const RandomForestParams& P) {
  GBDTParams g;
  g.learning_rate = 1.0;
  g.num_leaves = P.max_leaf_nodes > 0 ? P.max_leaf_nodes : INT_MAX;
  g.max_depth = P.max_depth > 0 ? P.max_depth : -1;
  g.min_child_samples = P.min_samples_leaf;
  g.min_child_weight = 0.0;
  g.min_split_gain = 0.0;  // set per tree (grow_tree)
  g.reg_lambda = 0.0;
  g.reg_alpha = 0.0;
  g.cat_smooth = std::numeric_limits<double>::min();  // orders by G / H, never 0 / 0
  g.cat_l2 = 0.0;
  g.max_cat_threshold = INT_MAX / 2;
  g.min_data_per_group = 1;
  g.max_cat_to_onehot = 1;
  return g;
}

// ---- one tree ----------------------------------------------------------------------------------

/// What every tree of one fit reads.
struct ForestData {
  const detail::BinnedMatrix& bins;
  const detail::ForestRows* rows;  ///< The rows as records, or null (too wide).
  const std::vector<FeatureBinInfo>& info;
  const VectorRef& y;
  const Vector& weight;  ///< Per row: sample weight times class weight.
  const RandomForestParams& P;
  Index n_draw;        ///< Rows each tree draws.
  Index max_features;  ///< Features per split.
  int count_bits;      ///< Low bits of the packed hessian holding the row count.
};

/// Tree `t`'s sample: `counts[i]` = times row i is drawn (bootstrap: `n_draw` draws with
/// replacement; otherwise all rows, or `n_draw` of them without replacement).
void draw_sample(const RandomForestParams& P, Index n_draw, int t,
                 std::vector<std::int32_t>& counts) {
  const auto n = static_cast<Index>(counts.size());
  Rng rng = Rng::for_stream(P.seed, 2 * static_cast<std::uint64_t>(t));
  if (P.bootstrap) {
    std::fill(counts.begin(), counts.end(), 0);
    for (Index k = 0; k < n_draw; ++k)
      ++counts[static_cast<std::size_t>(rng.uniform_int(static_cast<std::uint64_t>(n)))];
    return;
  }
  if (n_draw >= n) {
    std::fill(counts.begin(), counts.end(), 1);
    return;
  }
  Index need = n_draw;  // selection sampling (Knuth's algorithm S)
  for (Index i = 0; i < n; ++i) {
    const bool take =
        need > 0 && rng.uniform() * static_cast<double>(n - i) < static_cast<double>(need);
    counts[static_cast<std::size_t>(i)] = take ? 1 : 0;
    need -= take ? 1 : 0;
  }
}

/// A worker's buffers and grower, kept from tree to tree.
struct TreeWork {
  std::vector<std::int32_t> counts, bag;
  std::vector<detail::GradPair> gh;
  GBDTParams params;  ///< The grower reads these (min_split_gain changes per tree).
  std::unique_ptr<detail::TreeGrower> grower;
};

/// The class weights of tree `t`'s sample for BalancedSubsample (1 and 1 otherwise).
void subsample_class_weights(const ForestData& d, const std::vector<std::int32_t>& counts,
                             double& c0, double& c1) {
  c0 = c1 = 1;
  if (d.P.class_weight != ForestClassWeight::BalancedSubsample) return;
  double n0 = 0, n1 = 0;
  for (Index i = 0; i < d.y.size(); ++i)
    (d.y[i] > 0.5 ? n1 : n0) += counts[static_cast<std::size_t>(i)];
  if (n0 > 0) c0 = (n0 + n1) / (2 * n0);
  if (n1 > 0) c1 = (n0 + n1) / (2 * n1);
}

/// Grows tree `t`: its sample, the fixed-point gradients `-w y` and hessians `w` of the rows
/// drawn (w = weight times times drawn), and the tree.
Tree grow_tree(const ForestData& d, int t, TreeWork& w) {
  draw_sample(d.P, d.n_draw, t, w.counts);
  double c0 = 1, c1 = 1;
  subsample_class_weights(d, w.counts, c0, c1);
  auto row_weight = [&](std::size_t i) {
    return d.weight[static_cast<Index>(i)] * w.counts[i] *
           (d.y[static_cast<Index>(i)] > 0.5 ? c1 : c0);
  };
  // The rows drawn, without a branch per row (a row not drawn adds +0.0 to the total, which
  // leaves it as it is: weights are finite and non-negative).
  w.bag.resize(w.counts.size());
  std::size_t n_bag = 0;
  double total = 0;
  for (std::size_t i = 0; i < w.counts.size(); ++i) {
    w.bag[n_bag] = static_cast<std::int32_t>(i);
    n_bag += w.counts[i] != 0 ? 1 : 0;
    total += row_weight(i);
  }
  w.bag.resize(n_bag);
  // One scale for gradients and hessians (a pure node has g == 0 or g == -h exactly); the
  // count rides in the low bits (see detail::HistBin).
  const double scale = detail::fixed_scale(total, 61 - d.count_bits);
  for (const std::int32_t r : w.bag) {
    const auto i = static_cast<std::size_t>(r);
    const std::int64_t h = std::llrint(row_weight(i) * scale);
    w.gh[i].g = d.y[r] > 0.5 ? -h : 0;
    w.gh[i].hc = (h << d.count_bits) | 1;
  }
  // Gain is half the weighted Gini decrease. Without a minimum decrease, an impure node takes
  // its best admissible split even at zero decrease, as scikit-learn's trees do.
  w.params.min_split_gain = d.P.min_impurity_decrease > 0
                                ? d.P.min_impurity_decrease * total / 2
                                : -std::numeric_limits<double>::infinity();
  detail::ForestGrowth growth;
  growth.max_features = d.max_features;
  growth.min_samples_split = d.P.min_samples_split;
  growth.seed = Rng::for_stream(d.P.seed, 2 * static_cast<std::uint64_t>(t) + 1).next();
  growth.rows = d.rows;
  return w.grower->grow_forest(w.bag, w.gh.data(), d.count_bits, 1.0 / scale, growth);
}

/// Calls `run(lo, hi)` on consecutive ranges of trees covering [0, T), each in one parallel
/// loop, with a stop poll before each: ranges of at least `min_batch` trees and otherwise as
/// many as took about 100 ms at the rate measured so far (so that small forests pay few
/// barriers); one range without a StopScope on the thread.
template <class Run>
void polled_tree_batches(int T, int min_batch, Run&& run) {
  if (!churn::detail::stop_scope_installed()) {
    run(0, T);
    return;
  }
  using Clock = std::chrono::steady_clock;
  int batch = min_batch;
  for (int lo = 0; lo < T;) {
    poll_stop();
    const int hi = std::min(T, lo + batch);
    const auto t0 = Clock::now();
    run(lo, hi);
    const double ns = std::chrono::duration<double, std::nano>(Clock::now() - t0).count();
    const double next = ns > 0 ? (hi - lo) * 100e6 / ns : static_cast<double>(T);
    batch = static_cast<int>(std::max<double>(min_batch, std::min<double>(next, T)));
    lo = hi;
  }
}

/// Every tree, grown in parallel: trees are handed out one at a time to whichever thread is
/// free, each growing with a worker's buffers taken from a pool (one per thread); a stop is
/// polled between batches of trees (polled_tree_batches, at least a few trees per thread).
/// Tree t depends only on (seed, t): not on the thread count, on which thread grows it, or on
/// which buffers it uses.
std::vector<Tree> grow_trees(const ForestData& d, int threads) {
  const int T = d.P.n_estimators;
  const int slots = std::max(1, std::min(threads, T));
  const auto n = static_cast<std::size_t>(d.y.size());
  std::vector<TreeWork> work(static_cast<std::size_t>(slots));
  std::vector<int> idle;
  for (int k = 0; k < slots; ++k) {
    TreeWork& w = work[static_cast<std::size_t>(k)];
    w.counts.resize(n);
    w.gh.resize(n);
    w.params = grower_params(d.P);
    w.grower = std::make_unique<detail::TreeGrower>(d.bins, d.info, w.params,
                                                    std::vector<std::int8_t>(), 1);
    idle.push_back(k);
  }
  std::mutex pool;
  std::vector<Tree> trees(static_cast<std::size_t>(T));
  // A thread waits at most one tree at the end of a batch.
  polled_tree_batches(T, 4 * slots, [&](int lo, int hi) {
    parallel_for_blocks(lo, hi, 1, slots, [&](Index t0, Index) {
      int k = 0;
      {
        const std::lock_guard<std::mutex> lock(pool);
        k = idle.back();
        idle.pop_back();
      }
      trees[static_cast<std::size_t>(t0)] =
          grow_tree(d, static_cast<int>(t0), work[static_cast<std::size_t>(k)]);
      const std::lock_guard<std::mutex> lock(pool);
      idle.push_back(k);
    });
  });
  return trees;
}

// ---- out of bag --------------------------------------------------------------------------------

/// Out-of-bag P(1) of every row (NaN for rows in every sample) and their accuracy.
template <class Features>
double out_of_bag(const Features& X, const ForestData& d, const std::vector<Tree>& trees,
                  int threads, Vector& oob) {
  const Index n = X.rows(), p = X.cols();
  Vector sum = Vector::Zero(n);
  std::vector<std::int32_t> hits(static_cast<std::size_t>(n), 0),
      counts(static_cast<std::size_t>(n));
  std::vector<std::int32_t> rows;
  for (int t = 0; t < static_cast<int>(trees.size()); ++t) {
    poll_stop();
    draw_sample(d.P, d.n_draw, t, counts);
    rows.clear();
    for (Index i = 0; i < n; ++i)
      if (counts[static_cast<std::size_t>(i)] == 0) rows.push_back(static_cast<std::int32_t>(i));
    const auto m = static_cast<Index>(rows.size());
    const Tree& tree = trees[static_cast<std::size_t>(t)];
    parallel_for_blocks(0, m, kRowBlock, threads_for(m, threads), [&](Index lo, Index hi) {
      std::vector<double> buf(static_cast<std::size_t>(p));
      for (Index k = lo; k < hi; ++k) {
        const Index i = rows[static_cast<std::size_t>(k)];
        sum[i] += tree.predict(X.row(i, buf.data()));
        ++hits[static_cast<std::size_t>(i)];
      }
    });
  }
  oob.resize(n);
  Index scored = 0, right = 0;
  for (Index i = 0; i < n; ++i) {
    const std::int32_t h = hits[static_cast<std::size_t>(i)];
    oob[i] = h > 0 ? sum[i] / h : std::numeric_limits<double>::quiet_NaN();
    if (h == 0) continue;
    ++scored;
    right += (oob[i] > 0.5) == (d.y[i] > 0.5) ? 1 : 0;
  }
  return scored > 0 ? static_cast<double>(right) / static_cast<double>(scored)
                    : std::numeric_limits<double>::quiet_NaN();
}

}  // namespace

RandomForestClassifier& RandomForestClassifier::fit(const RowMatrixRef& X, const VectorRef& y,
                                                    const FitOptions& options) {
  return fit_impl(detail::RowMajorFeatures{X}, y, options, params_);
}

RandomForestClassifier& RandomForestClassifier::fit_columns(const std::vector<VectorRef>& columns,
                                                            const VectorRef& y,
                                                            const FitOptions& options) {
  const Index n = detail::column_rows(columns, "RandomForestClassifier::fit_columns()");
  return fit_impl(detail::ColumnFeatures{columns, n}, y, options, params_);
}

RandomForestClassifier& RandomForestClassifier::fit(const Table& X, const VectorRef& y,
                                                    const FitOptions& options) {
  const char* who = "RandomForestClassifier::fit(table)";
  const detail::TableFeatures features = detail::table_features(X, who);
  CHURN_CHECK(options.feature_names.empty() || options.feature_names == features.names,
              InvalidArgument,
              who << ": feature_names must be empty or equal the table's column names");
  RandomForestParams fit_params = params_;
  fit_params.categorical_features =
      detail::with_table_categoricals(params_.categorical_features, features.categorical);
  FitOptions named = options;
  named.feature_names = features.names;
  fit_impl(detail::RowMajorFeatures{features.X}, y, named, fit_params);
  category_names_ = features.labels;
  return *this;
}

template <class Features>
RandomForestClassifier& RandomForestClassifier::fit_impl(const Features& X, const VectorRef& y,
                                                         const FitOptions& options,
                                                         const RandomForestParams& P) {
  const char* who = "RandomForestClassifier::fit()";
  P.validate();
  CHURN_CHECK(!options.eval_set, InvalidArgument,
              who << ": an evaluation set is not supported (a forest has no rounds to watch)");
  const int threads = resolve_threads(P.n_threads);
  std::vector<std::uint8_t> is_cat =
      detail::check_fit_inputs(X, y, options, P.categorical_features, threads, who);
  const Index n = X.rows();
  const Index max_features = resolve_max_features(P, X.cols(), who);
  const Index n_draw = resolve_max_samples(P, n, who);
  CHURN_CHECK(!P.oob_score || P.bootstrap || n_draw < n, InvalidArgument,
              who << ": oob_score needs rows left out of the samples: bootstrap = true, or "
                     "max_samples below the number of rows");
  const Vector weight = row_weights(y, options.sample_weight, P, who);

  poll_stop();
  std::vector<FeatureBinInfo> info;
  // Small tables are binned on the calling thread: a parallel region costs more than it saves
  // there, and on a busy machine a barrier can cost a scheduler time slice.
  const int bin_threads = threads_for(n, threads);
  const detail::BinnedMatrix B =
      detail::bin_features(X, is_cat, P.max_bins, P.bin_sample_rows, P.seed, bin_threads, info);
  const bool records = B.n_features * (B.wide_cols ? 2 : 1) <= detail::kMaxForestRowBytes;
  const detail::ForestRows rows =
      records ? detail::forest_rows(B, bin_threads) : detail::ForestRows{};
  const ForestData d{
      B, records ? &rows : nullptr, info, y, weight, P, n_draw, max_features, detail::bit_width(n)};
  std::vector<Tree> trees = grow_trees(d, threads);
  Vector oob;
  const double score = P.oob_score ? out_of_bag(X, d, trees, threads, oob) : 0.0;

  auto packed = std::make_shared<const detail::PackedTrees>(trees, X.cols(), threads);
  trees_ = std::move(trees);
  packed_ = std::move(packed);
  n_features_ = X.cols();
  feature_names_ = options.feature_names;
  bin_info_ = std::move(info);
  category_names_.clear();
  is_categorical_ = std::move(is_cat);
  has_oob_ = P.oob_score;
  oob_score_ = score;
  oob_decision_ = std::move(oob);
  fitted_params_ = P;
  fitted_ = true;
  return *this;
}

}  // namespace churn::tree
