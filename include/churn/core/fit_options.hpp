#pragma once
/// @file fit_options.hpp
/// The optional inputs of an estimator's fit(): sample weights, feature names, an evaluation set.
/// One struct for every estimator, so that a call names what it passes instead of filling
/// positional defaults.

#include <optional>  // std::optional
#include <string>    // std::string
#include <vector>    // std::vector

#include "churn/core/types.hpp"

namespace churn {

/// A labelled evaluation set: rows scored after each boosting round (GBDT) to record a learning
/// curve and stop early.
struct EvalSet {
  /// m x p features, coded as the training features (categorical columns hold the codes).
  RowMatrix X;
  /// m labels, each 0 or 1.
  Vector y;
  /// m finite weights >= 0, or empty (all 1).
  Vector sample_weight;
};

/// Optional inputs of fit(). Every field is empty by default, which means "not given".
/// @code
/// churn::FitOptions options;
/// options.feature_names = {"tenure_months", "monthly_charges"};
/// options.eval_set = churn::EvalSet{X_val, y_val, {}};
/// model.fit(X, y, options);
/// // C++20: model.fit(X, y, {.feature_names = names, .eval_set = churn::EvalSet{X_val, y_val}});
/// @endcode
struct FitOptions {
  /// n finite weights >= 0 with a positive sum, or empty (every row weighs 1).
  Vector sample_weight;
  /// Names of the p features (used in messages and saved with the model), or empty. A fit on
  /// a data::Table takes the table's column names; a non-empty value must then equal them.
  std::vector<std::string> feature_names;
  /// An evaluation set (GBDT only: the other estimators reject one).
  std::optional<EvalSet> eval_set;
};

}  // namespace churn
