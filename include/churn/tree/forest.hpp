#pragma once
/// @file forest.hpp
/// Random forests for binary churn (Breiman's, with scikit-learn's parameter names), grown on
/// the histogram tree engine of the GBDT.
///
/// The algorithm:
/// - every feature is binned once for all trees, as GBDTClassifier bins it (at most `max_bins`
///   value bins plus a missing bin); with at most `max_bins` distinct values a feature has one
///   bin per value, and its thresholds lie between consecutive values (as scikit-learn's);
/// - each tree grows on a bootstrap sample (`max_samples` rows drawn with replacement; a row
///   drawn k times weighs k) or, with `bootstrap = false`, on all rows or a subsample drawn
///   without replacement (`max_samples`);
/// - each split examines `max_features` features drawn for the node (and more until one is
///   not constant in the node, as in scikit-learn) and takes the split with the largest weighted
///   Gini decrease; missing values learn their direction and categorical features split
///   many-vs-many (categories ordered by their churn rate, which finds the best Gini partition), as
///   in the GBDT;
/// - a leaf holds the weighted churn rate of its rows; predict_proba() averages the trees.
///
/// Every tree draws from its own random stream (seed, tree) and every node from (seed, tree,
/// node path), so the model does not depend on the thread count; trees are grown in parallel.
///
/// @code
/// churn::tree::RandomForestParams params;
/// params.n_estimators = 300;
/// params.min_samples_leaf = 5;
/// params.oob_score = true;
/// churn::tree::RandomForestClassifier forest(params);
/// forest.fit(X, y);                                  // X: n x p (NaN = missing), y: 0/1
/// churn::Vector p1 = forest.predict_proba(X);       // P(churn) per row
/// double oob = forest.oob_score();                   // out-of-bag accuracy
/// churn::RowMatrix phi = forest.predict_contrib(X);  // TreeSHAP, rows sum to p1
/// forest.save("forest.json");
/// @endcode

#include <cstdint>      // std::uint64_t
#include <memory>       // std::shared_ptr
#include <string>       // std::string
#include <string_view>  // std::string_view
#include <vector>       // std::vector

#include "churn/core/fit_options.hpp"
#include "churn/core/json.hpp"
#include "churn/core/types.hpp"
#include "churn/data/table.hpp"
#include "churn/tree/gbdt.hpp"  // FeatureBinInfo
#include "churn/tree/tree.hpp"

namespace churn::tree {

/// How many features a split examines (scikit-learn's `max_features`).
enum class MaxFeatures {
  Sqrt,      ///< `max(1, floor(sqrt(p)))` ("sqrt").
  Log2,      ///< `max(1, floor(log2(p)))` ("log2").
  All,       ///< All p features (None).
  Fraction,  ///< `max(1, floor(max_features_value * p))`, value in (0, 1].
  Count,     ///< `max_features_value` features, an integer in [1, p].
};

/// How many rows each tree draws (scikit-learn's `max_samples`).
enum class MaxSamples {
  All,       ///< n rows (None).
  Fraction,  ///< `max(1, round(max_samples_value * n))`, value in (0, 1].
  Count,     ///< `max_samples_value` rows, an integer in [1, n].
};

/// How the classes are weighted (scikit-learn's `class_weight`).
enum class ForestClassWeight {
  None,               ///< Every class weighs 1.
  Balanced,           ///< Class c weighs n / (2 n_c) (counts of all rows).
  BalancedSubsample,  ///< As Balanced, from the counts of each tree's sample.
  Custom,             ///< `class_weight_0` and `class_weight_1`.
};

/// Hyper-parameters of RandomForestClassifier (scikit-learn's names, meanings and defaults;
/// `max_bins`, `bin_sample_rows` and `categorical_features` as in GBDTParams).
struct RandomForestParams {
  /// Number of trees, >= 1.
  int n_estimators = 100;
  /// Split criterion: only "gini".
  std::string criterion = "gini";
  /// Maximum depth of a leaf (root = 0); 0 = no limit (None).
  int max_depth = 0;
  /// Minimum rows (of a tree's sample) in a node to split it, >= 2.
  int min_samples_split = 2;
  /// Minimum rows (of a tree's sample) in a leaf, >= 1.
  int min_samples_leaf = 1;
  /// Features examined per split (see MaxFeatures).
  MaxFeatures max_features = MaxFeatures::Sqrt;
  /// The fraction or count of MaxFeatures::Fraction / Count (unused otherwise).
  double max_features_value = 0.0;
  /// Maximum leaves per tree (grown best-first); 0 = no limit (None), else >= 2.
  int max_leaf_nodes = 0;
  /// A node splits only when its weighted Gini decrease, times its weight over the sample's
  /// total weight, is at least this, >= 0 (scikit-learn's formula).
  double min_impurity_decrease = 0.0;
  /// Draw each tree's rows with replacement (else all rows, or a subsample by max_samples).
  bool bootstrap = true;
  /// Compute oob_score() and oob_decision_function() in fit (needs rows out of the samples).
  bool oob_score = false;
  /// Rows each tree draws (see MaxSamples).
  MaxSamples max_samples = MaxSamples::All;
  /// The fraction or count of MaxSamples::Fraction / Count (unused otherwise).
  double max_samples_value = 0.0;
  /// Class weighting (multiplies the sample weights).
  ForestClassWeight class_weight = ForestClassWeight::None;
  /// Weight of class 0 when `class_weight` is Custom; finite and >= 0.
  double class_weight_0 = 1.0;
  /// Weight of class 1 when `class_weight` is Custom; finite and >= 0.
  double class_weight_1 = 1.0;
  /// Maximum number of value bins per feature (a missing bin is added), in [2, 65535].
  int max_bins = 255;
  /// Rows sampled to find the bin edges (all rows when fewer), >= 1.
  Index bin_sample_rows = 200000;
  /// Indices of the categorical features (codes 0, 1, ...; NaN = missing).
  std::vector<int> categorical_features;
  /// Threads: 0 = all cores, > 0 that many. The model does not depend on it.
  int n_threads = 0;
  /// Seed of the samples and feature draws.
  std::uint64_t seed = 0;

  /// @throws InvalidArgument naming the field and its allowed range.
  void validate() const;
  /// The parameters as a JSON object (max_features: "sqrt", "log2", null, a fraction or a
  /// count; max_depth, max_leaf_nodes and max_samples null when unlimited; class_weight null,
  /// "balanced", "balanced_subsample" or {"0": w0, "1": w1}).
  Json to_json() const;
  /// Parameters from to_json() output. @throws SerializationError if malformed or invalid.
  static RandomForestParams from_json(const Json& j);
  /// Parameters from keyword options (to_json()'s form, naming some fields; the others keep
  /// their defaults), as the Python binding passes them in one dict.
  /// @throws InvalidArgument for an unknown name or an invalid value; TypeMismatch for a value
  ///         of the wrong type (`caller` starts the messages).
  static RandomForestParams from_options(const Json& options,
                                         std::string_view caller = "RandomForestParams");
};

/// A random forest of binary classification trees (labels 0 and 1).
///
/// Thread safety: the const members (predict*, feature_matrix, feature_importances, to_json,
/// save, accessors) may run concurrently on one object; fit, set_params, set_classes and
/// set_category_names need exclusive access. Distinct objects are independent.
///
/// @code
/// churn::tree::RandomForestClassifier forest({});   // 100 trees, max_features "sqrt"
/// forest.fit(table, y);                              // categorical columns split natively
/// churn::Vector p1 = forest.predict_proba(table);
/// churn::Vector imp = forest.feature_importances();  // mean decrease in impurity, sums to 1
/// @endcode
class RandomForestClassifier {
 public:
  /// An unfitted forest. @throws InvalidArgument if `params` is invalid.
  explicit RandomForestClassifier(RandomForestParams params = {});

  /// Fits the forest.
  /// @param X        n x p features; NaN = missing; categorical columns hold integer codes in
  ///                 [0, 2^31) or NaN.
  /// @param y        n labels, each exactly 0 or 1, both present.
  /// @param options  sample_weight (n finite weights >= 0 with a positive sum, or empty),
  ///                 feature_names (empty, or p names); an eval_set is rejected.
  /// @return `*this`.
  /// @throws InvalidArgument for invalid inputs (naming the column, row or value), a
  ///         max_features or max_samples count above p or n, or oob_score without rows out
  ///         of the samples; Interrupted when a StopScope asks to stop (polled between
  ///         trees). In each case the model is left unchanged.
  RandomForestClassifier& fit(const RowMatrixRef& X, const VectorRef& y,
                              const FitOptions& options = {});
  /// Fits on the columns of a table, as GBDTClassifier::fit(table) does (float64 and int64
  /// columns numerical, categorical and string columns categorical with their labels stored).
  /// @throws TypeMismatch for a timestamp column; otherwise as fit(X, y, options).
  RandomForestClassifier& fit(const data::Table& X, const VectorRef& y,
                              const FitOptions& options = {});
  /// Fits on features given column by column; the same data gives the same model as fit().
  /// @throws InvalidArgument also for no columns or columns of different lengths.
  RandomForestClassifier& fit_columns(const std::vector<VectorRef>& columns, const VectorRef& y,
                                      const FitOptions& options = {});

  /// P(class 1) of each row: the mean of the trees' leaf values (weighted churn rates).
  /// @throws NotFittedError before fit; InvalidArgument for a wrong column count or a
  ///         categorical value that is not an integer code in [0, 2^31).
  Vector predict_proba(const RowMatrixRef& X) const;
  /// Class labels: 1 where predict_proba() > 0.5. @throws as predict_proba.
  IntVector predict(const RowMatrixRef& X) const;
  /// TreeSHAP contributions on the probability scale: n x (p + 1), the last column the bias
  /// (the trees' mean expected value); each row sums to predict_proba().
  /// @throws as predict_proba.
  RowMatrix predict_contrib(const RowMatrixRef& X) const;
  /// The model's input matrix from a table (see GBDTClassifier::feature_matrix()).
  /// @throws NotFittedError before fit; InvalidArgument if the model has no feature names or
  ///         the table lacks one; TypeMismatch for a column of the wrong type.
  RowMatrix feature_matrix(const data::Table& table) const;
  /// P(class 1) for the rows of `table` (see feature_matrix()). @throws as feature_matrix().
  Vector predict_proba(const data::Table& table) const;
  /// Class labels for the rows of `table`. @throws as feature_matrix().
  IntVector predict(const data::Table& table) const;

  /// Impurity-based importances (mean decrease in Gini impurity): each tree's decreases by
  /// feature normalised to sum 1, averaged over the trees that split, normalised to sum 1
  /// (scikit-learn's feature_importances_; all 0 when no tree splits).
  /// @throws NotFittedError before fit.
  Vector feature_importances() const;
  /// Out-of-bag accuracy: the share of training rows with out-of-bag predictions whose
  /// predicted class (P(1) > 0.5) is their label.
  /// @throws NotFittedError before fit; InvalidArgument unless fitted with oob_score.
  double oob_score() const;
  /// Out-of-bag P(class 1) of each training row: the mean over the trees whose sample left it
  /// out; NaN for a row in every sample. @throws as oob_score().
  const Vector& oob_decision_function() const;

  /// True once fit or load succeeded.
  bool is_fitted() const { return fitted_; }
  /// The hyper-parameters.
  const RandomForestParams& params() const { return params_; }
  /// Replaces the hyper-parameters for the next fit (to_json() keeps the fitted ones).
  /// @throws InvalidArgument if invalid.
  void set_params(const RandomForestParams& params);
  /// The trees; leaf values are P(class 1). @throws NotFittedError before fit.
  const std::vector<Tree>& trees() const;
  /// Number of trees.
  int n_trees() const { return static_cast<int>(trees_.size()); }
  /// Number of features seen in fit. @throws NotFittedError before fit.
  Index n_features() const;
  /// Feature names given to fit (may be empty).
  const std::vector<std::string>& feature_names() const { return feature_names_; }
  /// Per feature, how it was binned.
  const std::vector<FeatureBinInfo>& bin_info() const { return bin_info_; }
  /// Category labels per feature (see GBDTClassifier::category_names()).
  const std::vector<std::vector<std::string>>& category_names() const { return category_names_; }
  /// Sets category_names() (one entry per feature, or empty).
  /// @throws NotFittedError before fit; InvalidArgument for a wrong length, or when a
  ///         categorical feature's labels repeat or are fewer than the codes the model uses
  ///         (from_json refuses such a file with SerializationError).
  void set_category_names(std::vector<std::vector<std::string>> names);
  /// What the targets 0 and 1 stand for (see labels.hpp); `[0, 1]` unless set.
  Json classes() const;
  /// Sets classes() (before or after fit; fit keeps them); saved with the model.
  /// @throws InvalidArgument unless two distinct labels of one kind.
  void set_classes(Json labels);

  /// The model in the churnlib JSON envelope (kind "RandomForestClassifier").
  /// @throws NotFittedError before fit.
  Json to_json() const;
  /// A model from to_json() output. @throws SerializationError for a damaged or foreign
  /// document.
  static RandomForestClassifier from_json(const Json& doc);
  /// Writes to_json() to `path` atomically. @throws IOError.
  void save(const std::string& path) const;
  /// Reads a model written by save(). @throws IOError, SerializationError.
  static RandomForestClassifier load(const std::string& path);

 private:
  template <class Features>
  RandomForestClassifier& fit_impl(const Features& X, const VectorRef& y, const FitOptions& options,
                                   const RandomForestParams& params);
  void check_fitted(const char* caller) const;
  void check_predict_input(const RowMatrixRef& X, const char* caller) const;
  RandomForestParams params_;
  RandomForestParams fitted_params_;  ///< params_ as of the last fit (what to_json() writes).
  std::vector<Tree> trees_;
  Index n_features_ = 0;
  std::vector<std::string> feature_names_;
  std::vector<FeatureBinInfo> bin_info_;
  std::vector<std::vector<std::string>> category_names_;
  std::vector<std::uint8_t> is_categorical_;
  /// trees_ packed for prediction (built after fit and load; immutable, so copies share it).
  std::shared_ptr<const detail::PackedTrees> packed_;
  bool has_oob_ = false;
  double oob_score_ = 0.0;
  Vector oob_decision_;
  std::string classes_json_ = "[0,1]";  ///< classes(), serialized
  bool fitted_ = false;
};

}  // namespace churn::tree
