#pragma once
/// @file gbdt.hpp
/// Histogram gradient-boosted decision trees for binary churn (log-loss), grown leaf-wise.
///
/// Parameters carry the names of LightGBM's scikit-learn API (`n_estimators`, `num_leaves`,
/// `min_child_samples`, ...), with the same meaning and defaults, so that a user can switch
/// without a dictionary. The algorithm:
/// - every feature is binned once (at most `max_bins` value bins from quantiles of a sample of
///   `bin_sample_rows` rows, plus one bin for missing values); bins are stored as uint8 when
///   they fit, uint16 otherwise;
/// - each tree is grown leaf-wise (best gain first) on histograms of gradients and hessians;
///   only the smaller child of a split is histogrammed, the larger is the parent minus it;
///   histograms accumulate fixed-point integers, so sums (and the model) do not depend on the
///   thread count or the order rows are visited in;
/// - missing values: each split learns the direction of the missing bin; a split on a feature
///   with no missing values at that node sends them to the child with more rows;
/// - categorical features hold non-negative integer codes (NaN = missing); their splits are
///   many-vs-many, found by sorting the categories by gradient statistics (LightGBM's method,
///   with its `cat_smooth`, `cat_l2`, `max_cat_threshold`, `min_data_per_group` and
///   `max_cat_to_onehot`); codes unseen in training follow the missing direction.
///
/// @code
/// churn::tree::GBDTParams params;
/// params.n_estimators = 200;
/// params.categorical_features = {3};
/// churn::tree::GBDTClassifier model(params);
/// model.fit(X, y);                     // X: n x p row-major (NaN = missing), y: 0/1
/// churn::Vector p1 = model.predict_proba(X);      // P(churn) per row
/// churn::RowMatrix phi = model.predict_contrib(X);  // TreeSHAP, p + 1 columns
/// model.save("gbdt.json");
/// @endcode

#include <cstdint>      // std::int8_t
#include <functional>   // std::function
#include <memory>       // std::shared_ptr
#include <string>       // std::string
#include <string_view>  // std::string_view
#include <utility>      // std::move
#include <vector>       // std::vector

#include "churn/core/fit_options.hpp"
#include "churn/core/json.hpp"
#include "churn/core/labels.hpp"
#include "churn/core/types.hpp"
#include "churn/data/table.hpp"
#include "churn/tree/tree.hpp"

namespace churn::tree {

namespace detail {
class PackedTrees;  // src/tree/packed_trees.hpp: the trees packed for batch prediction
}  // namespace detail

/// Metric watched on the evaluation set.
enum class GBDTMetric {
  LogLoss,  ///< Binary log-loss (LightGBM's "binary_logloss"), lower is better.
  Auc,      ///< ROC-AUC ("auc"), higher is better.
};

/// Hyper-parameters of GBDTClassifier (names, meaning and defaults of LightGBM's sklearn API).
struct GBDTParams {
  /// Number of boosting rounds (trees), >= 1.
  int n_estimators = 100;
  /// Shrinkage applied to every tree, > 0.
  double learning_rate = 0.1;
  /// Maximum leaves per tree, in [2, 131072].
  int num_leaves = 31;
  /// Maximum depth of a leaf (root = 0), <= 0 for no limit.
  int max_depth = -1;
  /// Minimum number of training rows in a leaf, >= 1.
  int min_child_samples = 20;
  /// Minimum sum of hessians in a leaf, >= 0.
  double min_child_weight = 1e-3;
  /// Minimum loss reduction to make a split, >= 0.
  double min_split_gain = 0.0;
  /// L2 regularisation of leaf values, >= 0.
  double reg_lambda = 0.0;
  /// L1 regularisation of leaf values, >= 0.
  double reg_alpha = 0.0;
  /// Fraction of rows drawn (without replacement) for each bag, in (0, 1].
  double subsample = 1.0;
  /// Draw a new bag every `subsample_freq` trees; 0 disables bagging, >= 0.
  int subsample_freq = 0;
  /// Fraction of features each tree may split on, in (0, 1].
  double colsample_bytree = 1.0;
  /// Maximum number of value bins per feature (a missing bin is added), in [2, 65535].
  int max_bins = 255;
  /// Rows sampled to find the bin edges (all rows when fewer), >= 1.
  Index bin_sample_rows = 200000;
  /// Weight multiplier of positive rows, > 0.
  double scale_pos_weight = 1.0;
  /// Start from the log-odds of the weighted churn rate (LightGBM's boost_from_average).
  bool boost_from_average = true;
  /// Indices of the categorical features (codes 0, 1, ...; NaN = missing).
  std::vector<int> categorical_features;
  /// Per feature: +1 prediction non-decreasing in it, -1 non-increasing, 0 free. Empty or one
  /// entry per feature. Not allowed on categorical features.
  std::vector<int> monotone_constraints;
  /// Categorical splits: smoothing added to a category's hessian when ordering, >= 0.
  double cat_smooth = 10.0;
  /// Categorical splits: extra L2 regularisation, >= 0.
  double cat_l2 = 10.0;
  /// Categorical splits: at most this many categories on the smaller side, >= 1.
  int max_cat_threshold = 32;
  /// Categorical splits: minimum rows per category group, >= 1.
  int min_data_per_group = 100;
  /// Categorical features with at most this many bins use one-vs-rest splits, >= 1.
  int max_cat_to_onehot = 4;
  /// Stop when the evaluation metric has not improved for this many rounds; 0 = never. Needs
  /// an evaluation set.
  int early_stopping_rounds = 0;
  /// Metric for early stopping and evals_result().
  GBDTMetric eval_metric = GBDTMetric::LogLoss;
  /// Threads: 0 = all cores, > 0 that many. The model does not depend on it.
  int n_threads = 0;
  /// Seed of the bagging and feature sampling.
  std::uint64_t seed = 0;

  /// @throws InvalidArgument naming the field and its allowed range.
  void validate() const;
  /// The parameters as a JSON object.
  Json to_json() const;
  /// Parameters from to_json() output. @throws SerializationError if malformed or invalid.
  static GBDTParams from_json(const Json& j);
  /// Parameters from keyword options (a JSON object naming some fields; the others keep their
  /// defaults): how the Python binding passes them, in one dict.
  /// @throws InvalidArgument for an unknown name or an invalid value; TypeMismatch for a value
  ///         of the wrong type (`caller` starts the messages).
  static GBDTParams from_options(const Json& options, std::string_view caller = "GBDTParams");
};

/// Name of a metric ("binary_logloss", "auc").
const char* gbdt_metric_name(GBDTMetric m);
/// Metric from its name. @throws InvalidArgument naming the allowed names.
GBDTMetric gbdt_metric_from_name(const std::string& name);

/// What GBDTClassifier's iteration callback receives after each boosting round.
struct GBDTIteration {
  /// The round just finished, 1-based (its tree is built).
  int iteration = 0;
  /// Rounds the fit would run at most (GBDTParams::n_estimators).
  int n_estimators = 0;
  /// The evaluation metric after this round, one value per evaluation set (empty without
  /// one): the value that evals_result() holds for this round.
  std::vector<double> evals;
  /// 1-based round with the best metric so far (0 without an evaluation set).
  int best_iteration = 0;
};

/// Called after each boosting round with its GBDTIteration; returns true to stop training.
///
/// Stopping keeps the trees built so far (LightGBM's callback-triggered early stop): the
/// model holds `iteration` trees, or, with `early_stopping_rounds` > 0, best_iteration()
/// trees as after an early stop. An exception thrown by the callback propagates out of fit(),
/// which then leaves the model unchanged.
using GBDTCallback = std::function<bool(const GBDTIteration&)>;

/// How one feature was binned in training (kept in the model for inspection).
struct FeatureBinInfo {
  /// True for a categorical feature.
  bool categorical = false;
  /// Numerical: upper edges of the value bins (ascending, the last is +inf); a value `v` falls in
  /// the first bin with `v <= edge`.
  std::vector<double> upper_edges;
  /// Categorical: bin of each code `0 .. size()-1`; -1 for codes not seen in training.
  std::vector<std::int32_t> code_to_bin;
  /// Number of value bins (the missing bin is `n_bins`).
  std::int32_t n_bins = 0;
  /// Whether training data had missing values in this feature.
  bool has_missing = false;
};

/// Where the last fit's time went (GBDTClassifier::fit_profile()): wall seconds by phase, the
/// share that ran on one thread, and what sharing the work among threads cost. Diagnostics for
/// choosing `n_threads` (as XGBoost's per-phase timings); not saved with the model. Phases are
/// timed on the calling thread; sharing a phase's work among threads does not change results.
struct GBDTFitProfile {
  int n_threads = 0;       ///< Threads the fit ran with.
  int n_trees = 0;         ///< Trees grown (boosting rounds run).
  double total_s = 0;      ///< The whole fit: checks, binning, boosting, packing the trees.
  double binning_s = 0;    ///< Binning the features (sample, edges, binned matrices).
  double gradients_s = 0;  ///< Gradients and hessians of each round.
  double histogram_s = 0;  ///< Histograms, sibling subtraction and split finding.
  double partition_s = 0;  ///< Moving each split leaf's rows to its children.
  double score_s = 0;      ///< Adding each tree to the scores (and the evaluation set's).
  /// Wall time of the boosting rounds (gradients to scores) during which one thread worked:
  /// the rounds' time minus the wall time of the regions shared by several threads. With
  /// `n_threads` = 1 it is all of the rounds; with more, the part that no core count shortens
  /// (Amdahl's serial part; `boosting_s` - `serial_s` is what the threads shared).
  double serial_s = 0;
  double boosting_s = 0;  ///< Wall time of the boosting rounds.
  /// Parallel regions entered with more than one thread (each ends in a barrier).
  long long parallel_regions = 0;
  /// Histogram bytes set to zero before rows were added (the leaves' histograms and any
  /// per-thread partial copies).
  long long hist_bytes_zeroed = 0;
  /// Bytes of per-thread partial histograms added into a leaf's histogram.
  long long hist_bytes_reduced = 0;
};

/// Binary gradient-boosted trees (labels 0 and 1, log-loss).
///
/// Thread safety: the const members (predict*, feature_matrix, evaluate_rounds, to_json, save,
/// accessors) may run concurrently on one object from any number of threads; fit, set_params,
/// set_callback, set_classes and set_category_names need exclusive access. Distinct objects are
/// independent.
class GBDTClassifier {
 public:
  /// An unfitted model. @throws InvalidArgument if `params` is invalid.
  explicit GBDTClassifier(GBDTParams params = {});

  /// Fits the model.
  /// @param X        n x p features; NaN = missing, +-inf allowed for numerical features;
  ///                 categorical columns hold integer codes in [0, 2^31) or NaN.
  /// @param y        n labels, each exactly 0 or 1 (finite).
  /// @param options  sample_weight (n finite weights >= 0 with a positive sum, or empty),
  ///                 feature_names (empty, or p names saved with the model), eval_set (p
  ///                 columns): evals_result() records the metric on it after each round; with
  ///                 `early_stopping_rounds` > 0, training stops once it has not improved for
  ///                 that many rounds and the model keeps best_iteration() trees.
  /// @return `*this`.
  /// @throws InvalidArgument for invalid inputs (the message names the column, row or value);
  ///         Interrupted when a StopScope asks to stop (polled once per round); whatever the
  ///         callback() throws. In each case the model is left unchanged.
  GBDTClassifier& fit(const RowMatrixRef& X, const VectorRef& y, const FitOptions& options = {});

  /// Fits on the columns of a table, found by name (feature_names() = the column names, in the
  /// table's order): float64 and int64 columns are numerical features; categorical and string
  /// columns are categorical features whose labels are stored (category_names(): the categories
  /// a categorical column's rows use, in its dictionary's order, so unused ones are dropped; a
  /// string column's values in order of first appearance), so that
  /// predict_proba(table) maps the labels of any later table the same way. The features listed
  /// in params().categorical_features stay categorical too.
  /// @param options  as fit(X, y, options); a non-empty feature_names must equal the column
  ///                 names; an eval_set holds the features coded as feature_matrix() codes them.
  /// @throws TypeMismatch for a timestamp column; otherwise as fit(X, y, options).
  GBDTClassifier& fit(const data::Table& X, const VectorRef& y, const FitOptions& options = {});
  /// fit(X, y, options) with an evaluation set given as a table: its columns are found by name
  /// and coded with the training table's labels (unseen labels: missing), as feature_matrix()
  /// codes a table. @throws InvalidArgument also when options.eval_set is given too.
  GBDTClassifier& fit(const data::Table& X, const VectorRef& y, const data::Table& X_eval,
                      const VectorRef& y_eval, const FitOptions& options = {});

  /// Fits on features given column by column: `columns[j]` holds feature j for every row (the
  /// columns of a pandas frame, say, used without copying them into one matrix). Otherwise
  /// exactly as fit(); the same data gives the same model.
  /// @throws InvalidArgument also for no columns or columns of different lengths.
  GBDTClassifier& fit_columns(const std::vector<VectorRef>& columns, const VectorRef& y,
                              const FitOptions& options = {});

  /// Raw scores (log-odds) of each row, using the first `n_trees` trees (<= 0: all).
  /// @throws NotFittedError before fit; InvalidArgument for a wrong column count or a
  ///         categorical value that is not an integer code in [0, 2^31).
  Vector predict_raw(const RowMatrixRef& X, int n_trees = 0) const;
  /// P(class 1) for each row: the logistic of predict_raw(). @throws as predict_raw.
  Vector predict_proba(const RowMatrixRef& X, int n_trees = 0) const;
  /// Class labels: 1 where predict_proba() > 0.5. @throws as predict_raw.
  IntVector predict(const RowMatrixRef& X, int n_trees = 0) const;
  /// Leaf index of each row in each tree (n x n_trees). @throws as predict_raw.
  Eigen::Matrix<std::int32_t, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> predict_leaf(
      const RowMatrixRef& X, int n_trees = 0) const;
  /// TreeSHAP contributions: n x (p + 1), the last column the bias (expected value); each row
  /// sums to predict_raw(). @throws as predict_raw.
  RowMatrix predict_contrib(const RowMatrixRef& X, int n_trees = 0) const;

  /// The model's input matrix from a table: the columns named feature_names(), in the model's
  /// order (other columns are ignored). A categorical feature's labels (a categorical or string
  /// column) are mapped to the training codes through category_names(), so a table read from CSV
  /// scores as the frame the model was trained on. A label finds the stored label of the same
  /// text, else the one of the same numeric value ("1.0" finds "1", "2e0" finds "2"; "01" and
  /// " 1" are not numbers, only text); labels unseen in training and missing values
  /// become NaN (the missing direction), as in Python. Numeric features take float64 or int64
  /// columns (missing = NaN); a categorical feature without stored labels takes its integer
  /// codes as a numeric column.
  /// @throws NotFittedError before fit; InvalidArgument if the model has no feature names or
  ///         the table lacks one (naming it); TypeMismatch for a column of the wrong type.
  RowMatrix feature_matrix(const data::Table& table) const;
  /// Raw scores of the rows of `table` (see feature_matrix()). @throws as feature_matrix().
  Vector predict_raw(const data::Table& table, int n_trees = 0) const;
  /// P(class 1) for the rows of `table` (see feature_matrix()). @throws as feature_matrix().
  Vector predict_proba(const data::Table& table, int n_trees = 0) const;

  /// `metric` on (X, y) after each round: entry k uses the first k + 1 trees (a learning
  /// curve; for the evaluation set given to fit it equals evals_result() up to the trees kept).
  /// @param y              n labels, each 0 or 1.
  /// @param sample_weight  n finite weights >= 0, or empty (all 1).
  /// @throws NotFittedError before fit; InvalidArgument for invalid inputs (as predict_raw and
  ///         fit's evaluation set).
  std::vector<double> evaluate_rounds(const RowMatrixRef& X, const VectorRef& y,
                                      const VectorRef& sample_weight = Vector(),
                                      GBDTMetric metric = GBDTMetric::LogLoss) const;

  /// Feature importance: `"split"` (times a feature is split on) or `"gain"` (total gain of
  /// its splits). @throws NotFittedError before fit; InvalidArgument for another type.
  Vector feature_importances(const std::string& type = "split") const;

  /// True once fit or load succeeded.
  bool is_fitted() const { return fitted_; }
  /// The hyper-parameters.
  const GBDTParams& params() const { return params_; }
  /// Sets the callback that fit() and fit_columns() call after each round (see GBDTCallback);
  /// an empty function removes it. Not saved with the model.
  /// @code
  /// model.set_callback([](const churn::tree::GBDTIteration& it) {
  ///   std::cout << "round " << it.iteration << ": " << (it.evals.empty() ? 0 : it.evals[0]) <<
  ///   "\n"; return it.iteration >= 50;  // stop after 50 rounds
  /// });
  /// @endcode
  void set_callback(GBDTCallback callback) { callback_ = std::move(callback); }
  /// The callback set by set_callback() (empty if none).
  const GBDTCallback& callback() const { return callback_; }
  /// Replaces the hyper-parameters for the next fit; the fitted model and what to_json()
  /// writes keep the parameters it was fitted with. @throws InvalidArgument if invalid.
  void set_params(const GBDTParams& params);

  /// The trees. @throws NotFittedError before fit.
  const std::vector<Tree>& trees() const;
  /// Number of trees.
  int n_trees() const { return static_cast<int>(trees_.size()); }
  /// Raw score every row starts from (log-odds of the weighted base rate).
  double init_score() const { return init_score_; }
  /// Number of features seen in fit. @throws NotFittedError before fit.
  Index n_features() const;
  /// Feature names given to fit (may be empty).
  const std::vector<std::string>& feature_names() const { return feature_names_; }
  /// Per feature, how it was binned.
  const std::vector<FeatureBinInfo>& bin_info() const { return bin_info_; }
  /// Category labels per feature (empty vectors when unknown): label `k` of feature j is the
  /// value fit saw as code `k`. feature_matrix() maps a table's labels through them; the Python
  /// wrapper stores them for pandas categories.
  const std::vector<std::vector<std::string>>& category_names() const { return category_names_; }
  /// Sets category_names() (one entry per feature, or empty).
  /// @throws NotFittedError before fit; InvalidArgument for a wrong length, or when a
  ///         categorical feature's labels repeat or are fewer than the codes the model uses
  ///         (from_json refuses such a file with SerializationError).
  void set_category_names(std::vector<std::vector<std::string>> names);
  /// 1-based round with the best evaluation metric (0 without an evaluation set).
  int best_iteration() const { return best_iteration_; }
  /// The evaluation metric after each round (empty without an evaluation set).
  const std::vector<double>& evals_result() const { return evals_result_; }
  /// Where the last fit's time went (all zero before the first fit and after load).
  const GBDTFitProfile& fit_profile() const { return fit_profile_; }
  /// What the targets 0 and 1 stand for (see labels.hpp): `[0, 1]` unless set_classes() was
  /// called; `classes()[1]` is the class predict_proba() gives the probability of.
  Json classes() const;
  /// Sets classes() (before or after fit; fit keeps them); saved with the model.
  /// @throws InvalidArgument unless two distinct labels of one kind (check_class_labels()).
  void set_classes(Json labels);

  /// The model in the churnlib JSON envelope (kind "GBDTClassifier").
  Json to_json() const;
  /// A model from to_json() output.
  /// @throws SerializationError for a damaged or foreign document.
  static GBDTClassifier from_json(const Json& doc);
  /// Writes to_json() to `path` atomically. @throws IOError.
  void save(const std::string& path) const;
  /// Reads a model written by save(). @throws IOError, SerializationError.
  static GBDTClassifier load(const std::string& path);

 private:
  /// The fit with parameters `params` (params_, or fit_table's with the table's categorical
  /// columns added; what to_json() then writes).
  template <class Features>
  GBDTClassifier& fit_impl(const Features& X, const VectorRef& y, const FitOptions& options,
                           const GBDTParams& params);
  GBDTClassifier& fit_table(const data::Table& X, const VectorRef& y, const data::Table* X_eval,
                            const VectorRef& y_eval, const FitOptions& options);
  void check_fitted(const char* caller) const;
  void check_predict_input(const RowMatrixRef& X, const char* caller) const;
  int resolve_n_trees(int n_trees, const char* caller) const;

  GBDTParams params_;
  GBDTParams fitted_params_;  ///< params_ as of the last fit (what to_json() writes).
  std::vector<Tree> trees_;
  /// trees_ packed for prediction (built after fit and load; immutable, so copies share it).
  std::shared_ptr<const detail::PackedTrees> packed_;
  double init_score_ = 0.0;
  Index n_features_ = 0;
  std::vector<std::string> feature_names_;
  std::vector<FeatureBinInfo> bin_info_;
  std::vector<std::vector<std::string>> category_names_;
  std::vector<std::uint8_t> is_categorical_;
  int best_iteration_ = 0;
  std::vector<double> evals_result_;
  GBDTFitProfile fit_profile_;
  std::string classes_json_ = "[0,1]";  ///< classes(), serialized (Json is only declared here)
  GBDTCallback callback_;
  bool fitted_ = false;
};

}  // namespace churn::tree
