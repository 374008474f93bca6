// churn::tree::GBDTClassifier's prediction: raw scores, probabilities, leaves, TreeSHAP, tables,
// learning curves and feature importances.
#include "churn/tree/gbdt.hpp"

#include <algorithm>  // std::min

#include "churn/core/error.hpp"
#include "churn/core/parallel.hpp"
#include "common/checks.hpp"
#include "common/logistic.hpp"
#include "tree/binning.hpp"
#include "tree/gbdt_shared.hpp"
#include "tree/gbdt_table.hpp"
#include "tree/packed_trees.hpp"

namespace churn::tree {

using data::Table;
using detail::threads_for;

void GBDTClassifier::check_predict_input(const RowMatrixRef& X, const char* caller) const {
  check_fitted(caller);
  CHURN_CHECK(
      X.cols() == n_features_, InvalidArgument,
      caller << ": X has " << X.cols() << " columns, the model was fitted on " << n_features_);
  detail::check_codes(detail::RowMajorFeatures{X}, is_categorical_, feature_names_, caller, "X");
}

int GBDTClassifier::resolve_n_trees(int n_trees, const char* caller) const {
  CHURN_CHECK(n_trees >= 0, InvalidArgument,
              caller << ": n_trees must be >= 0 (0 = all), got " << n_trees);
  return n_trees == 0 ? static_cast<int>(trees_.size())
                      : std::min(n_trees, static_cast<int>(trees_.size()));
}

Vector GBDTClassifier::predict_raw(const RowMatrixRef& X, int n_trees) const {
  const char* who = "GBDTClassifier::predict_raw()";
  check_predict_input(X, who);
  const int k = resolve_n_trees(n_trees, who);
  // init_score_ + the first k trees, in tree order (see packed_trees.hpp)
  return packed_->sum(X, k, init_score_, params_.n_threads);
}

Vector GBDTClassifier::predict_proba(const RowMatrixRef& X, int n_trees) const {
  Vector raw = predict_raw(X, n_trees);
  for (Index i = 0; i < raw.size(); ++i) raw[i] = common::sigmoid(raw[i]);
  return raw;
}

IntVector GBDTClassifier::predict(const RowMatrixRef& X, int n_trees) const {
  const Vector raw = predict_raw(X, n_trees);
  IntVector out(raw.size());
  for (Index i = 0; i < raw.size(); ++i) out[i] = raw[i] > 0 ? 1 : 0;
  return out;
}

Eigen::Matrix<std::int32_t, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>
GBDTClassifier::predict_leaf(const RowMatrixRef& X, int n_trees) const {
  const char* who = "GBDTClassifier::predict_leaf()";
  check_predict_input(X, who);
  const int k = resolve_n_trees(n_trees, who);
  Eigen::Matrix<std::int32_t, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> out(X.rows(), k);
  parallel_for_blocks(0, X.rows(), 256, params_.n_threads, [&](Index lo, Index hi) {
    for (Index i = lo; i < hi; ++i)
      for (int t = 0; t < k; ++t)
        out(i, t) = static_cast<std::int32_t>(
            trees_[static_cast<std::size_t>(t)].leaf_index(X.row(i).data()));
  });
  return out;
}

RowMatrix GBDTClassifier::predict_contrib(const RowMatrixRef& X, int n_trees) const {
  const char* who = "GBDTClassifier::predict_contrib()";
  check_predict_input(X, who);
  const int k = resolve_n_trees(n_trees, who);
  const Index p = n_features_;
  RowMatrix out = RowMatrix::Zero(X.rows(), p + 1);
  parallel_for_blocks(0, X.rows(), 64, params_.n_threads, [&](Index lo, Index hi) {
    for (Index i = lo; i < hi; ++i) {
      double* phi = out.row(i).data();
      for (int t = 0; t < k; ++t)
        trees_[static_cast<std::size_t>(t)].add_shap(X.row(i).data(), phi, p);
      phi[p] += init_score_;
    }
  });
  return out;
}

RowMatrix GBDTClassifier::feature_matrix(const Table& table) const {
  const char* who = "GBDTClassifier::feature_matrix()";
  check_fitted(who);
  CHURN_CHECK(static_cast<Index>(feature_names_.size()) == n_features_, InvalidArgument,
              who << ": the model has no feature names (fit it with feature_names, or from a "
                     "DataFrame in Python) to find its columns in a table");
  return detail::encode_table(table, feature_names_, is_categorical_, category_names_, who);
}

Vector GBDTClassifier::predict_raw(const Table& table, int n_trees) const {
  return predict_raw(feature_matrix(table), n_trees);
}

Vector GBDTClassifier::predict_proba(const Table& table, int n_trees) const {
  return predict_proba(feature_matrix(table), n_trees);
}

std::vector<double> GBDTClassifier::evaluate_rounds(const RowMatrixRef& X, const VectorRef& y,
                                                    const VectorRef& sample_weight,
                                                    GBDTMetric metric) const {
  const char* who = "GBDTClassifier::evaluate_rounds()";
  check_predict_input(X, who);
  const Index n = X.rows();
  CHURN_CHECK(n > 0, InvalidArgument, who << ": X has no rows");
  CHURN_CHECK(y.size() == n, InvalidArgument,
              who << ": y has " << y.size() << " entries for " << n << " rows of X");
  const int threads = resolve_threads(params_.n_threads);
  common::check_binary_labels(y, who, "y", false, threads_for(n, threads));
  if (sample_weight.size() != 0)
    common::check_sample_weight(sample_weight, n, who, "sample_weight", threads_for(n, threads));
  if (metric == GBDTMetric::Auc)
    CHURN_CHECK(detail::has_both_classes(y, sample_weight), InvalidArgument,
                who << ": metric 'auc' needs both classes in y (with positive weight)");
  Vector score = Vector::Constant(n, init_score_);
  std::vector<double> out;
  out.reserve(trees_.size());
  for (const Tree& tree : trees_)  // the same sums, in the same order, as fit's evaluation
    out.push_back(detail::add_tree_and_evaluate(tree, X, y, sample_weight, metric, threads, score));
  return out;
}

Vector GBDTClassifier::feature_importances(const std::string& type) const {
  check_fitted("GBDTClassifier::feature_importances()");
  CHURN_CHECK(type == "split" || type == "gain", InvalidArgument,
              "GBDTClassifier::feature_importances(): type must be 'split' or 'gain', got '"
                  << type << "'");
  Vector imp = Vector::Zero(n_features_);
  for (const Tree& t : trees_)
    for (Index i = 0; i < t.n_internal(); ++i)
      imp[t.split_feature[static_cast<std::size_t>(i)]] +=
          type == "split" ? 1.0 : t.split_gain[static_cast<std::size_t>(i)];
  return imp;
}
}  // namespace churn::tree
