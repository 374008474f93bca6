// churn::tree::GBDTClassifier's fit: input checks, the starting score, and the boosting rounds
// (fixed-point gradients, bagging, feature sampling, growth, evaluation, early stopping).
#include "churn/tree/gbdt.hpp"

#include <algorithm>  // std::sort, std::unique, std::fill, std::max, std::min, std::swap
#include <cmath>      // std::isfinite, std::ldexp, std::frexp, std::llrint, std::llround
#include <memory>     // std::make_shared
#include <utility>    // std::move

#include "churn/core/error.hpp"
#include "churn/core/parallel.hpp"
#include "churn/core/random.hpp"
#include "churn/core/stop.hpp"
#include "common/checks.hpp"
#include "common/logistic.hpp"
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

// ---- inputs -----------------------------------------------------------------------------------

/// Checks the training set of a fit with parameters `P`.
/// @return per feature, 1 when it is categorical.
template <class Features>
std::vector<std::uint8_t> check_training_set(const Features& X, const VectorRef& y,
                                             const FitOptions& options, const GBDTParams& P,
                                             const char* who) {
  std::vector<std::uint8_t> is_cat =
      detail::check_fit_inputs(X, y, options, P.categorical_features, P.n_threads, who);
  CHURN_CHECK(P.monotone_constraints.empty() ||
                  static_cast<Index>(P.monotone_constraints.size()) == X.cols(),
              InvalidArgument,
              who << ": monotone_constraints has " << P.monotone_constraints.size()
                  << " entries for " << X.cols() << " columns");
  return is_cat;
}

/// Checks the evaluation set against the training set's `p` columns, categorical features
/// `is_cat` and the metric.
void check_eval_set(const EvalSet& eval, Index p, const std::vector<std::uint8_t>& is_cat,
                    const std::vector<std::string>& feature_names, GBDTMetric metric,
                    const char* who) {
  const Index n_eval = eval.X.rows();
  CHURN_CHECK(eval.X.cols() == p, InvalidArgument,
              who << ": the evaluation set has " << eval.X.cols() << " columns, X has " << p);
  CHURN_CHECK(n_eval > 0, InvalidArgument, who << ": the evaluation set is empty");
  CHURN_CHECK(eval.y.size() == n_eval, InvalidArgument,
              who << ": y_eval has " << eval.y.size() << " entries for " << n_eval << " rows");
  common::check_binary_labels(eval.y, who, "y_eval");
  if (eval.sample_weight.size() != 0)
    common::check_sample_weight(eval.sample_weight, n_eval, who, "eval_weight");
  detail::check_codes(detail::RowMajorFeatures{eval.X}, is_cat, feature_names, who, "X_eval");
  if (metric == GBDTMetric::Auc)
    CHURN_CHECK(detail::has_both_classes(eval.y, eval.sample_weight), InvalidArgument,
                who << ": eval_metric 'auc' needs both classes in y_eval (with positive weight)");
}

/// Per feature, the monotone constraint as -1, 0 or +1 (all 0 without constraints).
std::vector<std::int8_t> monotone_signs(const std::vector<int>& constraints, Index p) {
  std::vector<std::int8_t> monotone(static_cast<std::size_t>(p), 0);
  for (std::size_t j = 0; j < constraints.size(); ++j)
    monotone[j] = static_cast<std::int8_t>(constraints[j]);
  return monotone;
}

// ---- weights and the starting score -----------------------------------------------------------

/// The weight of row `i`: its sample weight (1 without) times scale_pos_weight if positive.
struct RowWeights {
  const Vector& sample_weight;
  const VectorRef& y;
  double spw;

  double operator()(Index i) const {
    return (sample_weight.size() ? sample_weight[i] : 1.0) * (y[i] > 0.5 ? spw : 1.0);
  }
};

/// The total weight of the rows and the raw score every row starts from.
struct Start {
  double weight_sum = 0;
  double init = 0;
};

/// The total weight and, with `from_average`, the log-odds of the weighted churn rate.
/// @throws InvalidArgument when the weights overflow or a class has no weight.
Start starting_score(const RowWeights& weight, const VectorRef& y, bool from_average,
                     const char* who) {
  double sw = 0, swy = 0;
  for (Index i = 0; i < y.size(); ++i) {
    const double wi = weight(i);
    sw += wi;
    swy += wi * y[i];
  }
  CHURN_CHECK(std::isfinite(sw), InvalidArgument,
              who << ": the weights (times scale_pos_weight) sum to " << sw << "; rescale them");
  CHURN_CHECK(swy > 0 && swy < sw, InvalidArgument,
              who << ": y must hold both classes 0 and 1 (with positive weight)");
  const double base = swy / sw;
  return {sw, from_average ? common::logit(base) : 0.0};
}

// ---- fixed-point gradients --------------------------------------------------------------------

/// How a fit's gradient pairs are written in fixed point (see detail::HistBin): gradients
/// times `gs`, hessians times `hs` above `count_bits` bits of row count.
struct FixedPoint {
  int count_bits = 0;
  double gs = 1;
  double hs = 1;
};

/// The scales for `n` rows of total weight `sw`. They come from bounds that hold in every
/// round, |g_i| <= w_i and h_i <= w_i / 4, so one pass computes and quantises the gradients
/// and no sum can overflow.
FixedPoint fixed_point(Index n, double sw) {
  const int count_bits = detail::bit_width(n);
  return {count_bits, detail::fixed_scale(sw, 61), detail::fixed_scale(sw / 4, 61 - count_bits)};
}

/// Gradients and hessians of the log-loss at `score` in fixed point, in one pass: `gh[i]` for
/// row i.
void compute_gradients(const Vector& score, const VectorRef& y, const RowWeights& weight,
                       const FixedPoint& fx, int threads, detail::GradPair* gh) {
  const Index n = score.size();
  const double gs = fx.gs, hs = fx.hs;
  const int count_bits = fx.count_bits;
  parallel_for_blocks(0, n, kRowBlock, threads_for(n, threads), [&](Index lo, Index hi) {
    for (Index i = lo; i < hi; ++i) {
      const auto k = static_cast<std::size_t>(i);
      const double pr = common::sigmoid(score[i]), wi = weight(i);
      // llrint: one instruction (round to nearest even), unlike llround's library call.
      gh[k].g = std::llrint(wi * (pr - y[i]) * gs);
      gh[k].hc = (std::llrint(wi * pr * (1 - pr) * hs) << count_bits) | 1;
    }
  });
}

// ---- row and feature sampling -----------------------------------------------------------------

/// Round `it`'s bag: each of the `n` rows joins with probability `subsample`, the others are
/// out of bag; a bag is never empty.
void draw_bag(Index n, double subsample, std::uint64_t seed, int it, std::vector<std::int32_t>& bag,
              std::vector<std::int32_t>& oob) {
  bag.clear();
  oob.clear();
  Rng rng = Rng::for_stream(seed, 2 * static_cast<std::uint64_t>(it) + 2);
  for (Index i = 0; i < n; ++i)
    (rng.uniform() < subsample ? bag : oob).push_back(static_cast<std::int32_t>(i));
  if (bag.empty()) {  // a tiny subsample of tiny data: keep one row
    bag.push_back(oob.front());
    oob.erase(oob.begin());
  }
}

/// Round `it`'s features: round(colsample * p) of them (at least one), by a partial
/// Fisher-Yates shuffle; `feature_used[j]` = 1 for those drawn, 0 for the others.
void sample_features(double colsample, std::uint64_t seed, int it,
                     std::vector<std::uint8_t>& feature_used) {
  const auto p = static_cast<Index>(feature_used.size());
  const auto k =
      std::max<Index>(1, static_cast<Index>(std::llround(colsample * static_cast<double>(p))));
  std::vector<Index> perm(static_cast<std::size_t>(p));
  for (Index j = 0; j < p; ++j) perm[static_cast<std::size_t>(j)] = j;
  Rng rng = Rng::for_stream(seed, 2 * static_cast<std::uint64_t>(it) + 1);
  std::fill(feature_used.begin(), feature_used.end(), 0);
  for (Index j = 0; j < k; ++j) {
    const auto r = j + static_cast<Index>(rng.uniform_int(static_cast<std::uint64_t>(p - j)));
    std::swap(perm[static_cast<std::size_t>(j)], perm[static_cast<std::size_t>(r)]);
    feature_used[static_cast<std::size_t>(perm[static_cast<std::size_t>(j)])] = 1;
  }
}

/// Adds `tree`'s predictions to the scores of the out-of-bag rows `oob` (the grower adds
/// its leaf values to the rows it grew on).
template <class Features>
void add_out_of_bag(const Tree& tree, const Features& X, const std::vector<std::int32_t>& oob,
                    int threads, Vector& score) {
  const auto m = static_cast<Index>(oob.size());
  const Index p = X.cols();
  parallel_for_blocks(0, m, kRowBlock, threads_for(m, threads), [&](Index lo, Index hi) {
    std::vector<double> buf(static_cast<std::size_t>(p));
    for (Index k = lo; k < hi; ++k) {
      const Index i = oob[static_cast<std::size_t>(k)];
      score[i] += tree.predict(X.row(i, buf.data()));
    }
  });
}

// ---- evaluation and the callback --------------------------------------------------------------

/// The evaluation set's raw scores and its metric after each round, with the best round.
class EvalRecord {
 public:
  /// `eval` may be null (no evaluation set: add_round is never called).
  EvalRecord(const EvalSet* eval, double init, GBDTMetric metric)
      : eval_(eval),
        metric_(metric),
        score_(Vector::Constant(eval != nullptr ? eval->X.rows() : 0, init)) {}

  bool active() const { return eval_ != nullptr; }
  /// Adds round `it`'s tree and records the metric.
  void add_round(const Tree& tree, int it, int threads) {
    const double metric = detail::add_tree_and_evaluate(
        tree, eval_->X, eval_->y, eval_->sample_weight, metric_, threads, score_);
    evals_.push_back(metric);
    const bool higher_better = metric_ == GBDTMetric::Auc;
    if (best_round_ < 0 || (higher_better ? metric > best_metric_ : metric < best_metric_)) {
      best_metric_ = metric;
      best_round_ = it;
    }
  }
  /// 0-based round with the best metric so far; -1 before the first.
  int best_round() const { return best_round_; }
  /// The metric after each round so far.
  const std::vector<double>& evals() const { return evals_; }
  std::vector<double> take_evals() { return std::move(evals_); }

 private:
  const EvalSet* eval_;
  GBDTMetric metric_;
  Vector score_;
  std::vector<double> evals_;
  double best_metric_ = 0;
  int best_round_ = -1;
};

/// Tells `callback` that round `it` is done; true when it asks to stop.
bool report_round(const GBDTCallback& callback, int it, int n_estimators, const EvalRecord& eval) {
  GBDTIteration info;
  info.iteration = it + 1;
  info.n_estimators = n_estimators;
  if (eval.active()) info.evals.push_back(eval.evals().back());
  info.best_iteration = eval.active() ? eval.best_round() + 1 : 0;
  return callback(info);
}

// ---- the boosting rounds ----------------------------------------------------------------------

/// What every round of one fit reads.
struct FitData {
  const VectorRef& y;
  RowWeights weight;
  const EvalSet* eval;  ///< null without an evaluation set
  const GBDTParams& params;
  int threads;
};

/// The trees a fit keeps and its evaluation record.
struct Boosted {
  std::vector<Tree> trees;
  std::vector<double> evals;
  int best_iteration = 0;
};

/// Boosting from the starting score until n_estimators rounds, the callback's stop or early
/// stopping (which keeps the trees up to the best round).
template <class Features>
Boosted boost(const Features& X, const FitData& d, const Start& start, detail::TreeGrower& grower,
              const GBDTCallback& callback) {
  const GBDTParams& P = d.params;
  const Index n = X.rows();
  Boosted out;
  // Bounded: early stopping or a callback may end a fit of n_estimators = 2^31 - 1 rounds after
  // a few dozen (the vector grows past the bound as trees come).
  out.trees.reserve(static_cast<std::size_t>(std::min(P.n_estimators, 1024)));
  Vector score = Vector::Constant(n, start.init);
  EvalRecord eval(d.eval, start.init, P.eval_metric);
  // Counts ride in the low bits of the packed hessian (see detail::HistBin).
  const FixedPoint fx = fixed_point(n, start.weight_sum);
  const bool bagging = P.subsample < 1.0 && P.subsample_freq > 0;
  // Fixed-point gradients by row: without bagging they go straight into the grower's buffer
  // (the root holds every row in order), with bagging into a per-row array the root gathers.
  std::vector<detail::GradPair> gh_rows(bagging ? static_cast<std::size_t>(n) : 0);
  detail::GradPair* gh = bagging ? gh_rows.data() : grower.gradient_buffer();
  std::vector<std::int32_t> bag, oob;
  std::vector<std::uint8_t> feature_used(static_cast<std::size_t>(X.cols()), 1);

  detail::FitProfiler& prof = grower.profiler();
  using Clock = detail::FitProfiler::Clock;
  for (int it = 0; it < P.n_estimators; ++it) {
    poll_stop();
    Clock::time_point t0 = Clock::now();
    prof.region(threads_for(n, d.threads),
                [&] { compute_gradients(score, d.y, d.weight, fx, d.threads, gh); });
    prof.profile.gradients_s += detail::FitProfiler::since(t0);
    if (bagging && it % P.subsample_freq == 0) draw_bag(n, P.subsample, P.seed, it, bag, oob);
    if (P.colsample_bytree < 1.0) sample_features(P.colsample_bytree, P.seed, it, feature_used);

    Tree tree = grower.grow(bagging ? &bag : nullptr, gh, fx.count_bits, 1.0 / fx.gs, 1.0 / fx.hs,
                            feature_used);
    t0 = Clock::now();
    grower.add_leaf_values(tree, score.data());
    if (bagging && !oob.empty())
      prof.region(threads_for(static_cast<Index>(oob.size()), d.threads),
                  [&] { add_out_of_bag(tree, X, oob, d.threads, score); });
    if (eval.active())
      prof.region(threads_for(d.eval->X.rows(), d.threads),
                  [&] { eval.add_round(tree, it, d.threads); });
    prof.profile.score_s += detail::FitProfiler::since(t0);
    ++prof.profile.n_trees;
    out.trees.push_back(std::move(tree));
    if (callback && report_round(callback, it, P.n_estimators, eval)) break;
    if (P.early_stopping_rounds > 0 && it - eval.best_round() >= P.early_stopping_rounds) break;
  }
  if (P.early_stopping_rounds > 0)
    out.trees.resize(static_cast<std::size_t>(eval.best_round() + 1));
  out.best_iteration = eval.active() ? eval.best_round() + 1 : 0;
  out.evals = eval.take_evals();
  return out;
}

}  // namespace

GBDTClassifier& GBDTClassifier::fit(const RowMatrixRef& X, const VectorRef& y,
                                    const FitOptions& options) {
  return fit_impl(detail::RowMajorFeatures{X}, y, options, params_);
}

GBDTClassifier& GBDTClassifier::fit_columns(const std::vector<VectorRef>& columns,
                                            const VectorRef& y, const FitOptions& options) {
  const Index n = detail::column_rows(columns, "GBDTClassifier::fit_columns()");
  return fit_impl(detail::ColumnFeatures{columns, n}, y, options, params_);
}

GBDTClassifier& GBDTClassifier::fit(const Table& X, const VectorRef& y, const FitOptions& options) {
  return fit_table(X, y, nullptr, Vector(), options);
}

GBDTClassifier& GBDTClassifier::fit(const Table& X, const VectorRef& y, const Table& X_eval,
                                    const VectorRef& y_eval, const FitOptions& options) {
  CHURN_CHECK(!options.eval_set, InvalidArgument,
              "GBDTClassifier::fit(table): give the evaluation set once (as tables or as "
              "options.eval_set)");
  return fit_table(X, y, &X_eval, y_eval, options);
}

GBDTClassifier& GBDTClassifier::fit_table(const Table& X, const VectorRef& y, const Table* X_eval,
                                          const VectorRef& y_eval, const FitOptions& options) {
  const char* who = "GBDTClassifier::fit(table)";
  const detail::TableFeatures features = detail::table_features(X, who);
  CHURN_CHECK(options.feature_names.empty() || options.feature_names == features.names,
              InvalidArgument,
              who << ": feature_names must be empty or equal the table's column names");
  // The fit's parameters: the table's categorical columns added to the caller's (params_
  // keeps the caller's; to_json() writes these).
  GBDTParams fit_params = params_;
  fit_params.categorical_features =
      detail::with_table_categoricals(params_.categorical_features, features.categorical);
  FitOptions named = options;
  named.feature_names = features.names;
  if (X_eval != nullptr) {  // coded with the training labels (unseen: missing)
    const std::vector<std::uint8_t> is_cat =
        detail::categorical_mask(fit_params.categorical_features, features.names.size());
    named.eval_set = EvalSet{
        detail::encode_table(*X_eval, features.names, is_cat, features.labels, who), y_eval, {}};
  }
  fit_impl(detail::RowMajorFeatures{features.X}, y, named, fit_params);
  category_names_ = features.labels;
  return *this;
}

template <class Features>
GBDTClassifier& GBDTClassifier::fit_impl(const Features& X, const VectorRef& y,
                                         const FitOptions& options, const GBDTParams& P) {
  const char* who = "GBDTClassifier::fit()";
  using Clock = detail::FitProfiler::Clock;
  const Clock::time_point t_fit = Clock::now();
  P.validate();
  std::vector<std::uint8_t> is_cat = check_training_set(X, y, options, P, who);
  const EvalSet* eval = options.eval_set ? &*options.eval_set : nullptr;
  if (eval != nullptr)
    check_eval_set(*eval, X.cols(), is_cat, options.feature_names, P.eval_metric, who);
  CHURN_CHECK(P.early_stopping_rounds == 0 || eval != nullptr, InvalidArgument,
              who << ": early_stopping_rounds needs an evaluation set");
  const FitData d{y, RowWeights{options.sample_weight, y, P.scale_pos_weight}, eval, P,
                  resolve_threads(P.n_threads)};
  const Start start = starting_score(d.weight, y, P.boost_from_average, who);

  poll_stop();
  const Clock::time_point t_bin = Clock::now();
  std::vector<FeatureBinInfo> info;
  const detail::BinnedMatrix B =
      detail::bin_features(X, is_cat, P.max_bins, P.bin_sample_rows, P.seed, d.threads, info);
  const double binning_s = detail::FitProfiler::since(t_bin);
  detail::TreeGrower grower(B, info, P, monotone_signs(P.monotone_constraints, X.cols()),
                            d.threads);
  const Clock::time_point t_boost = Clock::now();
  Boosted boosted = boost(X, d, start, grower, callback_);
  GBDTFitProfile profile = grower.profiler().profile;
  profile.boosting_s = detail::FitProfiler::since(t_boost);
  profile.serial_s = std::max(0.0, profile.boosting_s - grower.profiler().shared_s);
  profile.binning_s = binning_s;
  profile.n_threads = d.threads;

  auto packed = std::make_shared<const detail::PackedTrees>(boosted.trees, X.cols(), d.threads);
  trees_ = std::move(boosted.trees);
  packed_ = std::move(packed);
  init_score_ = start.init;
  n_features_ = X.cols();
  feature_names_ = options.feature_names;
  bin_info_ = std::move(info);
  category_names_.clear();
  is_categorical_ = std::move(is_cat);
  best_iteration_ = boosted.best_iteration;
  evals_result_ = std::move(boosted.evals);
  fitted_params_ = P;
  profile.total_s = detail::FitProfiler::since(t_fit);
  fit_profile_ = profile;
  fitted_ = true;
  return *this;
}

}  // namespace churn::tree
