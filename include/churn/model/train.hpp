#pragma once
/// @file train.hpp
/// train_churn_model(): the whole training workflow a churn team runs by hand, in one call.
///
/// 1. The customers are split into training rows and a hold-out (`test_size`, stratified by
///    the target, or the latest rows by `time_column` with split "time").
/// 2. Each candidate ("logistic", "random_forest", "gbdt") gets a feature pipeline inferred
///    from the column types (the user's pipeline when one is given): the logistic regression
///    imputes missing numbers with the median (plus a missing indicator where the training rows
///    have gaps), standardises them and one-hot encodes categories; the trees take numbers and
///    categories as they are (native missing values and categorical splits). Identifier
///    columns (a text column with a distinct value per row) and timestamps are not features.
/// 3. Each candidate is cross-validated on the training rows (`cv` folds, stratified, or
///    expanding time folds with split "time"); the pipeline is refitted inside every fold, so
///    nothing of a fold's test rows reaches its fit. The best mean of `metric` wins.
/// 4. The winner is refitted on all training rows; its out-of-fold scores fit the calibrator
///    ("auto": none, sigmoid or isotonic, whichever gives the lowest Brier score in a 2-fold
///    cross-fit on the out-of-fold scores) and choose the threshold ("f1" or "profit").
/// 5. The hold-out gives the report's hold-out metrics (of exactly the model shipped); the
///    training rows give the drift baseline of the raw features and of the calibrated score.
///
/// @code
/// churn::model::TrainOptions opt;
/// opt.target = "Churn";
/// churn::model::ChurnModel model = churn::model::train_churn_model(customers, opt);
/// std::cout << model.report()["holdout"]["roc_auc"] << "\n";
/// @endcode
#include <cstdint>      // std::uint64_t, std::int64_t
#include <functional>   // std::function
#include <optional>     // std::optional
#include <string>       // std::string
#include <string_view>  // std::string_view
#include <vector>       // std::vector

#include "churn/core/json.hpp"
#include "churn/data/table.hpp"
#include "churn/features/pipeline.hpp"
#include "churn/model/churn_model.hpp"

namespace churn::model {

/// Settings of train_churn_model().
struct TrainOptions {
  /// The target column of the customers table (0/1, or two labels of any type), required.
  std::string target;
  /// The label that means churn (as text: "Yes", "1", "true"); empty: the larger of the two
  /// sorted labels (scikit-learn's convention: 1, "Yes", true).
  std::string pos_label;
  /// A column copied into score()'s output and not used as a feature; empty: the first text
  /// column with a distinct value per row, if any.
  std::string id_column;
  /// Candidates compared, a subset of "logistic", "random_forest", "gbdt", in order.
  std::vector<std::string> candidates = {"logistic", "random_forest", "gbdt"};
  /// "stratified" (random, by target) or "time" (hold-out and folds by `time_column`).
  std::string split = "stratified";
  /// The time column (timestamp or number) of split "time"; not a feature.
  std::string time_column;
  /// Share of rows held out for the final evaluation, in (0, 0.5].
  double test_size = 0.2;
  /// Cross-validation folds, in [2, 20].
  int cv = 5;
  /// The selection metric: "roc_auc", "average_precision", "log_loss" or "profit" (profit
  /// per customer at the best threshold of each fold, with the profit settings below).
  std::string metric = "roc_auc";
  /// How the threshold is chosen: "f1" (best F1) or "profit" (best total profit).
  std::string threshold = "f1";
  /// Profit: value kept by retaining a churner, > 0.
  double value_retained = 1.0;
  /// Profit: cost of an offer to one customer, >= 0.
  double offer_cost = 0.1;
  /// Profit: share of targeted churners the offer retains, in (0, 1].
  double success_rate = 1.0;
  /// "auto", "isotonic", "sigmoid" or "none".
  std::string calibration = "auto";
  /// Seconds for a successive-halving search of the GBDT's main parameters (0: none). The
  /// search plan (configurations and rungs) follows from the budget through a fixed cost model
  /// of rows x features x trees, never from the clock, so a seed gives the same model anywhere.
  double time_budget = 0;
  /// Seed of the split, the folds, the forest and the search.
  std::uint64_t seed = 0;
  /// Threads for every engine: 0 = all cores.
  int n_threads = 0;
  /// @throws InvalidArgument naming the field and its allowed values.
  void validate() const;
  /// The options as keyword options (JSON object).
  Json to_options() const;
  /// Options from keyword options (a JSON object naming some fields).
  /// @throws InvalidArgument for an unknown name or value; TypeMismatch for a wrong type.
  static TrainOptions from_options(const Json& options,
                                   std::string_view caller = "train_churn_model");
};

/// What train_churn_model() reports after each step (for progress bars and logs).
struct TrainProgress {
  /// "split", "cv", "refit", "calibrate", "holdout", "baseline", "search" or "done".
  std::string stage;
  /// The candidate concerned (empty when none).
  std::string candidate;
  /// The fold just finished, 1-based (0 when not a fold).
  int fold = 0;
  /// Folds per candidate.
  int n_folds = 0;
  /// A one-line description.
  std::string message;
};

/// Called after each step; return true to stop (train_churn_model then throws Interrupted).
using TrainCallback = std::function<bool(const TrainProgress&)>;

/// Trains, compares, calibrates and packs a churn model (see the file comment).
/// @param customers  one row per customer: the target, the features, optionally an id and a
///                   time column.
/// @param options    see TrainOptions.
/// @param events     an event log joined point-in-time on `customer_id` (nullptr: none); needs
///                   `as_of`. Its default aggregation (churn::features::EventAggregationSpec,
///                   with `amount` when the log has that numeric column) adds features named
///                   `ev_<feature>` (ev_login_count_30d, ev_days_since_last_event, ...).
/// @param as_of      the snapshot time of the event join (ns since epoch).
/// @param pipeline   an unfitted pipeline used for every candidate instead of the inferred
///                   ones (nullptr: inferred).
/// @param callback   progress (may be empty).
/// @return the bundle; its report() holds the comparison ("candidates"), the hold-out metrics,
///         the calibration and threshold choices.
/// @throws InvalidArgument for invalid options, an unknown target, a target that is not binary,
///         too few rows of a class for the folds; Interrupted when the callback or a StopScope
///         asks to stop.
ChurnModel train_churn_model(const data::Table& customers, const TrainOptions& options,
                             const data::Table* events = nullptr,
                             std::optional<std::int64_t> as_of = std::nullopt,
                             const features::Pipeline* pipeline = nullptr,
                             const TrainCallback& callback = {});

/// The comparison table of a trained model's report: one row per candidate with `candidate`,
/// `<metric>_mean`, `<metric>_std`, `fit_seconds` and `chosen` (1 for the winner).
/// @throws InvalidArgument if the report holds no comparison.
data::Table comparison_table(const ChurnModel& model);

}  // namespace churn::model
