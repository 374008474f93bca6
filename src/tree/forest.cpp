// churn::tree::RandomForestClassifier: construction, accessors, prediction (probabilities,
// TreeSHAP, tables) and feature importances. Fit lives in forest_fit.cpp, the parameters in
// forest_params.cpp, JSON in forest_json.cpp.
#include "churn/tree/forest.hpp"

#include <string>   // std::string
#include <utility>  // std::move

#include "churn/core/error.hpp"
#include "churn/core/parallel.hpp"
#include "tree/binning.hpp"
#include "tree/gbdt_shared.hpp"
#include "tree/gbdt_table.hpp"
#include "tree/model_json.hpp"
#include "tree/packed_trees.hpp"

namespace churn::tree {

RandomForestClassifier::RandomForestClassifier(RandomForestParams params)
    : params_(std::move(params)) {
  params_.validate();
}

void RandomForestClassifier::set_params(const RandomForestParams& params) {
  params.validate();
  params_ = params;
}

void RandomForestClassifier::check_fitted(const char* caller) const {
  CHURN_CHECK(fitted_, NotFittedError,
              caller << ": this RandomForestClassifier is not fitted yet; call fit() first");
}

const std::vector<Tree>& RandomForestClassifier::trees() const {
  check_fitted("RandomForestClassifier::trees()");
  return trees_;
}

Index RandomForestClassifier::n_features() const {
  check_fitted("RandomForestClassifier::n_features()");
  return n_features_;
}

void RandomForestClassifier::set_category_names(std::vector<std::vector<std::string>> names) {
  const char* who = "RandomForestClassifier::set_category_names()";
  check_fitted(who);
  CHURN_CHECK(names.empty() || static_cast<Index>(names.size()) == n_features_, InvalidArgument,
              who << ": expected " << n_features_ << " entries, got " << names.size());
  const std::string problem =
      detail::category_names_problem(names, trees_, bin_info_, is_categorical_);
  CHURN_CHECK(problem.empty(), InvalidArgument, who << ": " << problem);
  category_names_ = std::move(names);
}

double RandomForestClassifier::oob_score() const {
  const char* who = "RandomForestClassifier::oob_score()";
  check_fitted(who);
  CHURN_CHECK(has_oob_, InvalidArgument, who << ": the forest was fitted without oob_score");
  return oob_score_;
}

const Vector& RandomForestClassifier::oob_decision_function() const {
  const char* who = "RandomForestClassifier::oob_decision_function()";
  check_fitted(who);
  CHURN_CHECK(has_oob_, InvalidArgument, who << ": the forest was fitted without oob_score");
  return oob_decision_;
}

// ---- prediction --------------------------------------------------------------------------------

void RandomForestClassifier::check_predict_input(const RowMatrixRef& X, const char* caller) const {
  check_fitted(caller);
  CHURN_CHECK(
      X.cols() == n_features_, InvalidArgument,
      caller << ": X has " << X.cols() << " columns, the model was fitted on " << n_features_);
  detail::check_codes(detail::RowMajorFeatures{X}, is_categorical_, feature_names_, caller, "X");
}

Vector RandomForestClassifier::predict_proba(const RowMatrixRef& X) const {
  check_predict_input(X, "RandomForestClassifier::predict_proba()");
  // Each row's sum in tree order (see packed_trees.hpp), then the mean.
  const double scale = 1.0 / static_cast<double>(trees_.size());
  Vector out = packed_->sum(X, n_trees(), 0.0, params_.n_threads);
  out *= scale;
  return out;
}

IntVector RandomForestClassifier::predict(const RowMatrixRef& X) const {
  const Vector p = predict_proba(X);
  IntVector out(p.size());
  for (Index i = 0; i < p.size(); ++i) out[i] = p[i] > 0.5 ? 1 : 0;
  return out;
}

RowMatrix RandomForestClassifier::predict_contrib(const RowMatrixRef& X) const {
  check_predict_input(X, "RandomForestClassifier::predict_contrib()");
  const Index p = n_features_;
  const double scale = 1.0 / static_cast<double>(trees_.size());
  RowMatrix out = RowMatrix::Zero(X.rows(), p + 1);
  parallel_for_blocks(0, X.rows(), 64, params_.n_threads, [&](Index lo, Index hi) {
    for (Index i = lo; i < hi; ++i) {
      double* phi = out.row(i).data();
      for (const Tree& tree : trees_) tree.add_shap(X.row(i).data(), phi, p);
      for (Index j = 0; j <= p; ++j) phi[j] *= scale;
    }
  });
  return out;
}

RowMatrix RandomForestClassifier::feature_matrix(const data::Table& table) const {
  const char* who = "RandomForestClassifier::feature_matrix()";
  check_fitted(who);
  CHURN_CHECK(static_cast<Index>(feature_names_.size()) == n_features_, InvalidArgument,
              who << ": the model has no feature names (fit it with feature_names, or from a "
                     "DataFrame in Python) to find its columns in a table");
  return detail::encode_table(table, feature_names_, is_categorical_, category_names_, who);
}

Vector RandomForestClassifier::predict_proba(const data::Table& table) const {
  return predict_proba(feature_matrix(table));
}

IntVector RandomForestClassifier::predict(const data::Table& table) const {
  return predict(feature_matrix(table));
}

Vector RandomForestClassifier::feature_importances() const {
  check_fitted("RandomForestClassifier::feature_importances()");
  Vector mean = Vector::Zero(n_features_);
  Index used = 0;
  for (const Tree& t : trees_) {
    Vector imp = Vector::Zero(n_features_);
    for (Index i = 0; i < t.n_internal(); ++i)
      imp[t.split_feature[static_cast<std::size_t>(i)]] +=
          t.split_gain[static_cast<std::size_t>(i)];
    const double total = imp.sum();
    if (t.n_internal() == 0) continue;  // scikit-learn averages over trees that split
    ++used;
    if (total > 0) mean += imp / total;
  }
  if (used > 0) mean /= static_cast<double>(used);
  const double total = mean.sum();
  if (total > 0) mean /= total;
  return mean;
}

}  // namespace churn::tree
