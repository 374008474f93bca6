// domain_classifier_drift(): reference rows labelled 0, current rows 1, stratified K-fold
// cross-validation of churnlib's GBDT, the held-out AUC and its p-value under no drift, and the
// features ranked by the mean |SHAP| of held-out rows.
#include <algorithm>  // std::sort, std::min
#include <cmath>      // std::sqrt
#include <string>     // std::string
#include <utility>    // std::move
#include <vector>     // std::vector

#include <nlohmann/json.hpp>

#include "churn/core/error.hpp"
#include "churn/core/random.hpp"
#include "churn/core/stop.hpp"
#include "churn/metrics/classification.hpp"
#include "churn/metrics/split.hpp"
#include "churn/monitor/multivariate.hpp"
#include "churn/tree/gbdt.hpp"
#include "common/json.hpp"
#include "common/normal.hpp"
#include "monitor/multivariate_detail.hpp"

namespace churn::monitor {

namespace {

using data::Column;
using data::Table;

constexpr const char* kCaller = "domain_classifier_drift()";

/// Var(mean of the K fold AUCs) / ((1 / K^2) sum_k var_k) under no drift. The fold AUCs are not
/// independent: fold k's model learns from the labels of the other folds, so to first order
/// AUC_k - 1/2 = sum_{j != k} T_kj with T_kj = T_jk (how fold k's labels agree with what fold
/// j's labels teach), and each pair term enters two folds' AUCs. With Var(AUC_k) = var_k (exact:
/// given its model, a fold's labels are a random labelling of its scores) and
/// Var(T_jk) = var_k / (K - 1), the variance of the mean is twice the independent one, for any
/// K (K = 2: both folds' AUCs are the same pair term). Measured: the independent variance gives
/// 11% false alarms at alpha = 0.05 (400 simulations, python/tests/test_multivariate.py); with
/// the factor, about 5%.
constexpr double kFoldCovariance = 2.0;

/// The rows of both tables as one matrix (reference rows first), labels and column facts.
struct DomainData {
  RowMatrix X;
  Vector y;
  std::vector<std::string> names;
  std::vector<int> categorical;  ///< indices of the categorical features
  Index n_reference = 0;
  Index n_current = 0;
};

/// Fills column j of `X` with a numeric feature of both tables (reference rows first).
void fill_numeric(const Column& a, const Column& b, const std::vector<Index>& ra,
                  const std::vector<Index>& rb, Index j, RowMatrix& X) {
  std::vector<double> buf_a, buf_b;
  const double* xa = detail::mv_numeric(a, buf_a, kCaller);
  const double* xb = detail::mv_numeric(b, buf_b, kCaller);
  const auto na = static_cast<Index>(ra.size());
  for (Index i = 0; i < na; ++i) X(i, j) = xa[ra[static_cast<std::size_t>(i)]];
  for (std::size_t i = 0; i < rb.size(); ++i) X(na + static_cast<Index>(i), j) = xb[rb[i]];
}

/// Fills column j of `X` with the codes of a categorical feature under one dictionary: the
/// reference's labels first, then the labels only current has (NaN = missing).
void fill_categorical(const Column& a, const Column& b, const std::vector<Index>& ra,
                      const std::vector<Index>& rb, Index j, RowMatrix& X) {
  detail::LabelCoder coder;
  const auto ca = detail::label_codes(a, coder, true);
  const auto cb = detail::label_codes(b, coder, true);
  auto value = [](std::int32_t c) { return c < 0 ? kMissing : static_cast<double>(c); };
  const auto na = static_cast<Index>(ra.size());
  for (Index i = 0; i < na; ++i) X(i, j) = value(ca[static_cast<std::size_t>(ra[i])]);
  for (std::size_t i = 0; i < rb.size(); ++i)
    X(na + static_cast<Index>(i), j) = value(cb[static_cast<std::size_t>(rb[i])]);
}

DomainData build_data(const Table& reference, const Table& current,
                      const DomainClassifierParams& p) {
  CHURN_CHECK(reference.num_columns() > 0, InvalidArgument,
              kCaller << ": reference has no columns");
  CHURN_CHECK(reference.num_rows() > 0 && current.num_rows() > 0, InvalidArgument,
              kCaller << ": reference and current need rows, got " << reference.num_rows()
                      << " and " << current.num_rows());
  DomainData d;
  const auto ra =
      detail::sample_rows(reference.num_rows(), p.max_rows, Rng::for_stream(p.seed, 1).next());
  const auto rb =
      detail::sample_rows(current.num_rows(), p.max_rows, Rng::for_stream(p.seed, 2).next());
  d.n_reference = static_cast<Index>(ra.size());
  d.n_current = static_cast<Index>(rb.size());
  CHURN_CHECK(d.n_reference >= p.n_splits && d.n_current >= p.n_splits, InvalidArgument,
              kCaller << ": n_splits = " << p.n_splits << " needs at least that many rows on "
                      << "each side, got " << d.n_reference << " reference and " << d.n_current
                      << " current rows");
  d.names = reference.column_names();
  // check every column before converting any
  std::vector<const Column*> cur;
  for (const auto& name : d.names) {
    const bool cat = detail::mv_is_categorical(reference.column(name), kCaller);
    cur.push_back(&detail::mv_column(current, name, cat, kCaller));
    if (cat) d.categorical.push_back(static_cast<int>(cur.size() - 1));
  }
  d.X.resize(d.n_reference + d.n_current, static_cast<Index>(d.names.size()));
  for (std::size_t j = 0; j < d.names.size(); ++j) {
    poll_stop();
    const Column& a = reference.column(static_cast<Index>(j));
    if (detail::mv_is_categorical(a, kCaller))
      fill_categorical(a, *cur[j], ra, rb, static_cast<Index>(j), d.X);
    else
      fill_numeric(a, *cur[j], ra, rb, static_cast<Index>(j), d.X);
  }
  d.y = Vector::Zero(d.n_reference + d.n_current);
  d.y.tail(d.n_current).setOnes();
  return d;
}

RowMatrix take_rows(const RowMatrix& X, const std::vector<Index>& rows) {
  RowMatrix out(static_cast<Index>(rows.size()), X.cols());
  for (std::size_t i = 0; i < rows.size(); ++i) out.row(static_cast<Index>(i)) = X.row(rows[i]);
  return out;
}

tree::GBDTParams gbdt_params(const DomainClassifierParams& p, const std::vector<int>& cats) {
  tree::GBDTParams g;
  g.n_estimators = p.n_estimators;
  g.learning_rate = p.learning_rate;
  g.num_leaves = p.num_leaves;
  g.min_child_samples = p.min_child_samples;
  g.max_bins = p.max_bins;
  g.categorical_features = cats;
  g.n_threads = p.n_threads;
  g.seed = p.seed;
  return g;
}

/// What the folds accumulate.
struct FoldSums {
  Vector oof;          ///< out-of-fold score of every row
  Vector abs_shap;     ///< per feature: sum of |SHAP| over the explained held-out rows
  double var_sum = 0;  ///< sum of the folds' null variances
};

/// Trains on one fold's training rows, scores its held-out rows; returns the fold's AUC.
double run_fold(const DomainData& d, const metrics::Fold& fold, const DomainClassifierParams& p,
                FoldSums& sums) {
  Vector y_train(static_cast<Index>(fold.train.size()));
  for (std::size_t i = 0; i < fold.train.size(); ++i)
    y_train(static_cast<Index>(i)) = d.y(fold.train[i]);
  tree::GBDTClassifier model(gbdt_params(p, d.categorical));
  model.fit(take_rows(d.X, fold.train), y_train);
  const RowMatrix X_test = take_rows(d.X, fold.test);
  const Vector score = model.predict_proba(X_test);
  Vector y_test(X_test.rows());
  Index n1 = 0;
  for (std::size_t i = 0; i < fold.test.size(); ++i) {
    y_test(static_cast<Index>(i)) = d.y(fold.test[i]);
    n1 += d.y(fold.test[i]) > 0 ? 1 : 0;
    sums.oof(fold.test[i]) = score(static_cast<Index>(i));
  }
  sums.var_sum += detail::auc_null_variance(score, n1);
  // TreeSHAP of an evenly spaced subset of the held-out rows
  const Index n_test = X_test.rows();
  const Index step = (n_test + p.shap_rows - 1) / p.shap_rows;
  std::vector<Index> explain;
  for (Index i = 0; i < n_test; i += step) explain.push_back(i);
  const RowMatrix phi = model.predict_contrib(take_rows(X_test, explain));
  sums.abs_shap += phi.leftCols(d.X.cols()).cwiseAbs().colwise().sum().transpose();
  return metrics::roc_auc(y_test, score, Vector(), p.n_threads);
}

/// Features by decreasing share of the total |SHAP| (ties by name).
std::vector<FeatureSeparation> rank_features(const std::vector<std::string>& names,
                                             const Vector& abs_shap) {
  const double total = abs_shap.sum();
  std::vector<FeatureSeparation> out;
  for (std::size_t j = 0; j < names.size(); ++j)
    out.push_back({names[j], total > 0 ? abs_shap(static_cast<Index>(j)) / total : 0.0});
  std::sort(out.begin(), out.end(), [](const FeatureSeparation& a, const FeatureSeparation& b) {
    return a.importance != b.importance ? a.importance > b.importance : a.feature < b.feature;
  });
  return out;
}

/// The AUC at which the p-value equals alpha (0.5 + z_(1-alpha) sd).
double auc_threshold(double sd, double alpha) {
  return 0.5 + common::normal_quantile(1 - alpha) * sd;
}

}  // namespace

double auc_null_variance(const VectorRef& scores, Index n_positive) {
  return detail::auc_null_variance(scores, n_positive);
}

DomainClassifierResult domain_classifier_drift(const Table& reference, const Table& current,
                                               const DomainClassifierParams& params) {
  params.validate();
  const DomainData d = build_data(reference, current, params);
  const auto folds = metrics::stratified_kfold(d.y, params.n_splits, /*shuffle=*/true,
                                               Rng::for_stream(params.seed, 3).next());
  FoldSums sums{Vector::Zero(d.y.size()), Vector::Zero(d.X.cols()), 0.0};
  DomainClassifierResult r;
  for (const auto& fold : folds) {
    poll_stop();
    r.auc_folds.push_back(run_fold(d, fold, params, sums));
  }
  const auto k = static_cast<double>(folds.size());
  double total = 0;
  for (double a : r.auc_folds) total += a;
  r.auc = total / k;
  r.pooled_auc = metrics::roc_auc(d.y, sums.oof, Vector(), params.n_threads);
  const double sd = std::sqrt(kFoldCovariance * sums.var_sum) / k;
  r.z = sd > 0 ? (r.auc - 0.5) / sd : 0.0;
  r.p_value = sd > 0 ? common::normal_sf(r.z) : 1.0;
  r.alpha = params.alpha;
  r.drifted = r.p_value < params.alpha;
  r.features = rank_features(d.names, sums.abs_shap);
  r.n_reference = d.n_reference;
  r.n_current = d.n_current;
  r.scores = std::move(sums.oof);
  return r;
}

std::vector<Alert> DomainClassifierResult::alerts() const {
  if (!drifted) return {};
  const double sd = z != 0 ? (auc - 0.5) / z : 0.0;
  return {Alert{"multivariate", "domain_classifier_auc", auc, auc_threshold(sd, alpha),
                Severity::Significant}};
}

Json DomainClassifierResult::to_json() const {
  Json feats = Json::array();
  for (const auto& f : features)
    feats.push_back(
        {{"feature", f.feature}, {"importance", common::json_from_double(f.importance)}});
  return Json{{"auc", common::json_from_double(auc)},
              {"auc_folds", common::json_from_doubles(auc_folds)},
              {"pooled_auc", common::json_from_double(pooled_auc)},
              {"z", common::json_from_double(z)},
              {"p_value", common::json_from_double(p_value)},
              {"alpha", common::json_from_double(alpha)},
              {"drifted", drifted},
              {"features", feats},
              {"n_reference", n_reference},
              {"n_current", n_current}};
}

DomainClassifierResult DomainClassifierResult::from_json(const Json& j) {
  const std::string w = "DomainClassifierResult.from_json()";
  common::json_check_members(j,
                             {"auc", "auc_folds", "pooled_auc", "z", "p_value", "alpha", "drifted",
                              "features", "n_reference", "n_current"},
                             w);
  DomainClassifierResult r;
  r.auc = common::json_to_double(common::json_get<Json>(j, "auc", w), w);
  r.auc_folds = common::json_get_doubles(j, "auc_folds", w);
  r.pooled_auc = common::json_to_double(common::json_get<Json>(j, "pooled_auc", w), w);
  r.z = common::json_to_double(common::json_get<Json>(j, "z", w), w);
  r.p_value = common::json_to_double(common::json_get<Json>(j, "p_value", w), w);
  r.alpha = common::json_to_double(common::json_get<Json>(j, "alpha", w), w);
  r.drifted = common::json_get<bool>(j, "drifted", w);
  const Json feats = common::json_get<Json>(j, "features", w);
  CHURN_CHECK(feats.is_array(), SerializationError, w << ": 'features' must be a list");
  for (const auto& f : feats) {
    common::json_check_members(f, {"feature", "importance"}, w + " features");
    r.features.push_back({common::json_get<std::string>(f, "feature", w),
                          common::json_to_double(common::json_get<Json>(f, "importance", w), w)});
  }
  r.n_reference = common::json_get_int<Index>(j, "n_reference", w);
  r.n_current = common::json_get_int<Index>(j, "n_current", w);
  return r;
}

}  // namespace churn::monitor
