// churn::tree::RandomForestClassifier: construction, accessors, prediction (probabilities,
// TreeSHAP, tables) and feature importances. Fit lives in forest_fit.cpp, the parameters in
// forest_params.cpp, JSON in forest_json.cpp.
#include "churn/tree/forest.hpp"

#include <algorithm>  // std::min
#include <cmath>      // std::isnan
#include <cstring>    // std::memcpy
#include <utility>    // std::move

#include "churn/core/error.hpp"
#include "churn/core/parallel.hpp"
#include "tree/binning.hpp"
#include "tree/gbdt_shared.hpp"
#include "tree/gbdt_table.hpp"

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

void RandomForestClassifier::pack_trees() {
  nodes_.clear();
  tree_begin_.clear();
  cat_bits_.clear();
  for (const Tree& t : trees_) {
    tree_begin_.push_back(nodes_.size());
    const auto bits_at = static_cast<std::int32_t>(cat_bits_.size());
    cat_bits_.insert(cat_bits_.end(), t.cat_bitset.begin(), t.cat_bitset.end());
    for (Index i = 0; i < t.n_internal(); ++i) {
      const auto k = static_cast<std::size_t>(i);
      const bool cat = t.cat_begin[k] >= 0;
      PackedNode nd{t.threshold[k],   t.split_feature[k], t.left_child[k],
                    t.right_child[k], t.default_left[k],  static_cast<std::uint8_t>(cat ? 1 : 0)};
      if (cat) {
        const std::int32_t where[2] = {bits_at + t.cat_begin[k], t.cat_end[k] - t.cat_begin[k]};
        static_assert(sizeof(where) == sizeof(nd.threshold), "two int32 in a double");
        std::memcpy(&nd.threshold, where, sizeof(where));
      }
      nodes_.push_back(nd);
    }
  }
}

namespace {

/// Whether value `v` goes left at a categorical packed node (as Tree::goes_left): missing and
/// unseen codes go the missing way.
inline bool category_goes_left(double threshold, bool default_left, const std::uint32_t* bits,
                               double v) {
  if (std::isnan(v)) return default_left;
  std::int32_t where[2];
  std::memcpy(where, &threshold, sizeof(where));
  // Codes are validated to be integers in [0, 2^31) before prediction.
  const auto code = static_cast<std::int64_t>(v);
  if (code < 0 || code >= 32 * static_cast<std::int64_t>(where[1])) return default_left;
  return ((bits[static_cast<std::size_t>(where[0] + code / 32)] >> (code % 32)) & 1U) != 0;
}

}  // namespace

void RandomForestClassifier::add_tree(std::size_t t, const RowMatrixRef& X, Index lo, Index hi,
                                      double* out) const {
  const Tree& tree = trees_[t];
  if (tree.split_feature.empty()) {
    for (Index i = lo; i < hi; ++i) out[i] += tree.leaf_value[0];
    return;
  }
  const PackedNode* nodes = nodes_.data() + tree_begin_[t];
  constexpr Index kLanes = 16;  // rows walked together
  for (Index i0 = lo; i0 < hi; i0 += kLanes) {
    const Index n = std::min(kLanes, hi - i0);
    std::int32_t at[kLanes];
    for (Index l = 0; l < n; ++l) at[l] = 0;
    for (bool active = true; active;) {
      active = false;
      for (Index l = 0; l < n; ++l) {
        const std::int32_t k = at[l];
        if (k < 0) continue;
        const PackedNode& nd = nodes[k];
        const double v = X(i0 + l, nd.feature);
        bool left;
        if (nd.categorical)
          left = category_goes_left(nd.threshold, nd.default_left != 0, cat_bits_.data(), v);
        else
          left = std::isnan(v) ? nd.default_left != 0 : v <= nd.threshold;
        at[l] = left ? nd.left : nd.right;
        active = active || at[l] >= 0;
      }
    }
    for (Index l = 0; l < n; ++l) out[i0 + l] += tree.leaf_value[static_cast<std::size_t>(~at[l])];
  }
}

Vector RandomForestClassifier::predict_proba(const RowMatrixRef& X) const {
  check_predict_input(X, "RandomForestClassifier::predict_proba()");
  const Index n = X.rows();
  Vector out = Vector::Zero(n);
  const double scale = 1.0 / static_cast<double>(trees_.size());
  // Blocks of rows, tree by tree (each row's sum in tree order): the top of a tree stays in
  // cache for the whole block.
  constexpr Index kPredictBlock = 256;
  parallel_for_blocks(0, n, kPredictBlock, params_.n_threads, [&](Index lo, Index hi) {
    for (std::size_t t = 0; t < trees_.size(); ++t) add_tree(t, X, lo, hi, out.data());
    for (Index i = lo; i < hi; ++i) out[i] *= scale;
  });
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
