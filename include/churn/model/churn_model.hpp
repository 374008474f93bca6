#pragma once
/// @file churn_model.hpp
/// The deployable churn model: one versioned JSON file holding everything scoring needs and
/// everything an auditor asks for.
///
/// A ChurnModel holds
/// - the data contract of the raw customer table (a data::Schema: column names and types);
/// - the fitted feature pipeline (features::Pipeline, with its event join when there is one);
/// - the model: a logistic regression, a random forest or a GBDT;
/// - the calibrator of its scores (or none), the decision threshold and how it was chosen;
/// - a drift baseline (monitor::Baseline) of the raw features and of the calibrated score,
///   fitted on the training rows;
/// - the training report (candidates compared, cross-validated and hold-out metrics, the
///   chosen one and why, class balance, row counts, training period) and metadata (created
///   at, library version, a fingerprint of the training data, feature names and types,
///   category labels, classes, free-form tags).
///
/// train_churn_model() (train.hpp) builds one; save() / load() keep it in one file, which
/// C++ and Python read alike, so that a CSV scored by either gives the same bits.
///
/// @code
/// churn::model::ChurnModel model = churn::model::ChurnModel::load("churn_model.json");
/// churn::data::Table customers = churn::data::read_csv("customers.csv");
/// churn::data::Table scored = model.score(customers);  // probability, prediction, reasons
/// @endcode
#include <cstdint>            // std::int64_t
#include <map>                // std::map
#include <memory>             // std::unique_ptr
#include <nlohmann/json.hpp>  // churn::Json values (the parts hold JSON objects)
#include <optional>           // std::optional
#include <string>             // std::string
#include <vector>             // std::vector

#include "churn/core/json.hpp"
#include "churn/core/types.hpp"
#include "churn/data/schema.hpp"
#include "churn/data/table.hpp"
#include "churn/features/pipeline.hpp"
#include "churn/metrics/calibration.hpp"
#include "churn/monitor/baseline.hpp"
#include "churn/monitor/estimate.hpp"
#include "churn/monitor/multivariate.hpp"
#include "churn/monitor/report.hpp"

namespace churn::model {

/// Major version of the bundle format this build writes; a bundle of a newer major is refused.
inline constexpr int kBundleMajor = 1;
/// Minor version of the bundle format this build writes.
inline constexpr int kBundleMinor = 1;

/// The engines a ChurnModel may hold.
enum class ModelKind {
  Logistic,      ///< linear::LogisticRegression ("logistic")
  RandomForest,  ///< tree::RandomForestClassifier ("random_forest")
  GBDT,          ///< tree::GBDTClassifier ("gbdt")
};

/// The name of a kind: "logistic", "random_forest" or "gbdt".
const char* model_kind_name(ModelKind kind);

/// The kind of a name. @throws InvalidArgument naming the known names.
ModelKind model_kind_from_name(const std::string& name);

/// What ChurnModel::score() returns besides the probability.
struct ScoreOptions {
  /// Reasons per customer (the raw columns that raise the score most), in [0, 50].
  int n_reasons = 3;
  /// Check the customers against the contract first (a SchemaError lists every violation).
  bool validate = true;
  /// @throws InvalidArgument for an out-of-range field.
  void validate_options() const;
};

namespace detail {
struct Engine;
}  // namespace detail

/// The parts of a ChurnModel, as train_churn_model() assembles them (or a user who trained the
/// pieces by hand). ChurnModel::assemble() checks that they fit together.
struct ChurnModelParts {
  /// The raw customer columns scoring requires (not the target).
  data::Schema contract;
  /// The fitted pipeline from raw customers (and events) to the model's columns.
  features::Pipeline pipeline;
  /// The fitted model, as its churnlib JSON envelope (LogisticRegression, GBDTClassifier or
  /// RandomForestClassifier).
  Json model;
  /// Maps the model's raw score (see ChurnModel::raw_score()) to a calibrated probability; none
  /// leaves the model's probability as it is.
  std::optional<metrics::Calibrator> calibrator;
  /// Customers with a calibrated probability >= threshold are predicted to churn.
  double threshold = 0.5;
  /// How the threshold was chosen ("f1", "profit", "fixed") and what it reached.
  Json threshold_info;
  /// Baseline of the raw features and of the calibrated score (may be unfitted).
  monitor::Baseline baseline;
  /// The performance estimator's reference (calibrated probabilities and labels of the hold-out
  /// rows, the decision threshold; no re-calibration: the probabilities are the calibrator's,
  /// fitted on every training row's out-of-fold score): drift() estimates the batch's ROC-AUC,
  /// precision, recall, F1, churn rate and expected churners before its labels arrive (CBPE). None:
  /// no estimate.
  std::optional<monitor::PerformanceEstimator> performance_reference;
  /// PCA reconstruction error of the raw feature columns (fitted on the training rows, timestamp
  /// columns left out): drift() adds the batch's multivariate drift. None: not measured.
  std::optional<monitor::PcaDrift> reconstruction;
  /// The mean absolute contribution of each raw customer column to the score (TreeSHAP values
  /// or coef * (x - mean), summed onto the raw columns as score()'s reasons) over the hold-out
  /// rows; drift() weights its report by it ("drift that matters"). Empty: not weighted.
  std::map<std::string, double> feature_importance;
  /// Means of the model's columns (the pipeline's output) over the training rows: where the
  /// logistic regression's contributions coef * (x - mean) start from. Empty: zeros.
  std::vector<double> feature_means;
  /// Column copied from the customers into score()'s output (empty: none).
  std::string id_column;
  /// The training report (free-form JSON object).
  Json report;
  /// Metadata (free-form JSON object; created_at and library_version are filled in when absent).
  Json metadata;
  /// Free-form tags (a JSON object).
  Json tags;
};

/// A fitted, self-contained churn model (see the file comment).
///
/// Thread safety: const members (score, predict_proba, drift, to_json, save, accessors) may run
/// concurrently from many threads; set_tags and assignment need exclusive access.
class ChurnModel {
 public:
  /// An empty model (is_fitted() is false).
  ChurnModel();
  ~ChurnModel();
  ChurnModel(const ChurnModel& other);
  ChurnModel& operator=(const ChurnModel& other);
  ChurnModel(ChurnModel&&) noexcept;
  ChurnModel& operator=(ChurnModel&&) noexcept;

  /// A model from its parts.
  /// @throws InvalidArgument if the pipeline is not fitted, the model document is not a fitted
  ///         churnlib classifier, its features are not the pipeline's output, the threshold is
  ///         NaN, or a JSON field is not an object; SerializationError for a damaged
  ///         model document.
  static ChurnModel assemble(ChurnModelParts parts);

  /// Scores raw customers: a table with the id column (when the model has one), `probability`
  /// (calibrated P(churn)), `prediction` (the class label at the threshold: classes()[1] where
  /// probability >= threshold()) and, for each k <= options.n_reasons, `reason_k` (the raw
  /// column with the k-th largest positive contribution to the score; missing when fewer
  /// columns raise it) and `reason_k_contribution`. Contributions are TreeSHAP values of the
  /// trees (log-odds for the GBDT, probability for the forest) or the logistic regression's
  /// coef * (x - training mean), summed onto the raw columns they were computed from (see
  /// features::Pipeline::contributions_by_source).
  /// @throws NotFittedError for an empty model; SchemaError listing every contract violation;
  ///         InvalidArgument when the model joins events (use the overload with events).
  data::Table score(const data::Table& customers, const ScoreOptions& options = {}) const;

  /// score() with the event log joined point-in-time at `as_of` (nullopt: the pipeline's
  /// as-of column). @throws as score(); InvalidArgument when the model joins no events.
  data::Table score(const data::Table& customers, const data::Table& events,
                    std::optional<std::int64_t> as_of, const ScoreOptions& options = {}) const;

  /// The calibrated P(churn) of each customer (score() without the other columns).
  Vector predict_proba(const data::Table& customers, bool validate = true) const;
  /// predict_proba() with the event log (see score()).
  Vector predict_proba(const data::Table& customers, const data::Table& events,
                       std::optional<std::int64_t> as_of, bool validate = true) const;

  /// The model's uncalibrated score of the pipeline's output: the GBDT's raw score (log-odds),
  /// the logistic regression's decision function, the forest's probability. The calibrator
  /// takes it as input.
  Vector raw_score(const data::Table& features) const;

  /// The contract's verdict on `customers` (every violation, none thrown). Before any check,
  /// int64 columns the contract declares float64 become float64, and text columns become
  /// categorical (or string) as declared, since those casts lose nothing; score() does the same.
  data::ValidationReport validate(const data::Table& customers) const;

  /// Drift of `customers` (and of their calibrated scores) against the training baseline,
  /// weighted by feature_importance() when the model has one (DriftReport::weight_by_importance),
  /// with the performance estimated before the labels (one chunk, "current") when the model has
  /// a performance reference, and the PCA reconstruction error when it has one.
  /// @throws NotFittedError if the model holds no fitted baseline; as score() otherwise.
  monitor::DriftReport drift(const data::Table& customers) const;
  /// drift() with the event log (see score()).
  monitor::DriftReport drift(const data::Table& customers, const data::Table& events,
                             std::optional<std::int64_t> as_of) const;

  /// True once assembled or loaded.
  bool is_fitted() const { return engine_ != nullptr; }
  /// Which engine the model is. @throws NotFittedError for an empty model.
  ModelKind kind() const;
  /// The raw input contract. @throws NotFittedError for an empty model.
  const data::Schema& contract() const;
  /// The fitted feature pipeline. @throws NotFittedError for an empty model.
  const features::Pipeline& pipeline() const;
  /// The model's JSON envelope. @throws NotFittedError for an empty model.
  Json model_json() const;
  /// The calibrator, or nullptr. @throws NotFittedError for an empty model.
  const metrics::Calibrator* calibrator() const;
  /// The decision threshold on the calibrated probability.
  double threshold() const;
  /// How the threshold was chosen.
  const Json& threshold_info() const;
  /// The drift baseline (unfitted when the model has none).
  const monitor::Baseline& baseline() const;
  /// The performance estimator's reference, or nullptr.
  const monitor::PerformanceEstimator* performance_reference() const;
  /// The PCA reconstruction-error detector, or nullptr.
  const monitor::PcaDrift* reconstruction() const;
  /// The mean absolute contribution of each raw column (see ChurnModelParts::feature_importance).
  const std::map<std::string, double>& feature_importance() const;
  /// The id column copied into score()'s output (empty: none).
  const std::string& id_column() const;
  /// The training report.
  const Json& report() const;
  /// The metadata.
  const Json& metadata() const;
  /// The tags (a JSON object).
  const Json& tags() const;
  /// Replaces the tags. @throws InvalidArgument unless a JSON object.
  void set_tags(Json tags);
  /// The model's input columns (the pipeline's output), in order.
  const std::vector<std::string>& feature_names() const;
  /// What the targets 0 and 1 stand for (see labels.hpp).
  Json classes() const;

  /// The bundle as one churnlib JSON envelope (kind "ChurnModel"; its state carries
  /// `bundle_version` "major.minor").
  Json to_json() const;
  /// A model from to_json() output.
  /// @throws SerializationError for a damaged document, another kind, or a bundle of a newer
  ///         major version (naming both versions).
  static ChurnModel from_json(const Json& doc);
  /// Writes to_json() to `path` atomically (churn::AtomicFile). @throws IOError.
  void save(const std::string& path) const;
  /// Reads a model written by save(). @throws IOError, SerializationError.
  static ChurnModel load(const std::string& path);

 private:
  explicit ChurnModel(std::unique_ptr<detail::Engine> engine);
  const detail::Engine& engine(const char* caller) const;
  /// `customers` itself when the contract casts nothing, else the cast copy put in `storage`.
  const data::Table& conformed(const data::Table& customers, data::Table& storage,
                               const char* caller) const;
  data::Table features_of(const data::Table& customers, const data::Table* events,
                          std::optional<std::int64_t> as_of, bool validate,
                          const char* caller) const;
  data::Table score_features(const data::Table& customers, const data::Table& features,
                             const ScoreOptions& options) const;
  /// `report` weighted by the importance of the features it holds, with the estimated
  /// performance of `p` and the reconstruction error of `customers` when the model has them.
  monitor::DriftReport completed(monitor::DriftReport report, const data::Table& customers,
                                 const Vector& p) const;

  std::unique_ptr<detail::Engine> engine_;
};

}  // namespace churn::model
