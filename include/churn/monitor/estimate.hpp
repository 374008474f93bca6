#pragma once
/// @file estimate.hpp
/// `churn::monitor::PerformanceEstimator`: the model's performance estimated from its scores
/// alone, before the labels arrive (confidence-based performance estimation, "CBPE", as
/// published by NannyML), with a label-noise band, and checked against the realised metrics
/// once the labels are known.
///
/// **The method.** A customer is targeted (predicted to churn) when its score is `>=
/// threshold`. If the scores are calibrated probabilities `p` (after an optional isotonic
/// re-calibration fitted on a labelled reference period), the expected confusion matrix of a
/// chunk is `E[TP] = sum_{targeted} p`, `E[FP] = sum_{targeted} (1 - p)`, `E[FN] = sum_{not
/// targeted} p`, `E[TN] = sum_{not targeted} (1 - p)`; precision, recall, F1 and churn rate are
/// read from it, the expected churners are `sum p` and the campaign value `sum_{targeted}
/// (success_rate * p * value_retained - offer_cost)`. The ROC-AUC is the area (trapezoids)
/// under the expected ROC curve: rows ordered by score, ties grouped, the expected TPR and FPR
/// from cumulative sums of `p` and `1 - p`. The estimates are right as long as the scores stay
/// calibrated: under covariate shift (the customers change, P(churn | features) does not) they
/// are; under concept shift they are not, and the realised check (add_realised) says so.
///
/// **The band.** `[lower, upper]` at `confidence` is the label-noise band: the spread of the
/// realised metric when each label is drawn as Bernoulli(p_i) given the chunk's scores, by the
/// delta method (first-order linearisation: `Var ~ sum_i g_i^2 p_i (1 - p_i)` with `g_i` the
/// derivative of the metric in the label `y_i` at `y = p`), `estimate -/+ z * se` with `z` the
/// normal quantile, clipped to the metric's range. It does not include the error of the
/// calibration itself.
///
/// **The reference state** is integer counts only (per uniform score bin: positives and
/// negatives, or rows when unlabelled; targeted rows by class), so fitting parts and merging
/// them gives the whole's state bit for bit, in any order.

#include <cstdint>      // std::int64_t, std::uint8_t
#include <string>       // std::string
#include <string_view>  // std::string_view
#include <vector>       // std::vector

#include "churn/core/json.hpp"
#include "churn/core/types.hpp"
#include "churn/monitor/alert.hpp"

namespace churn::monitor {

/// How the reference period re-calibrates the scores.
enum class Recalibration : std::uint8_t {
  Isotonic,  ///< isotonic regression (PAVA) over the reference bins, when the reference has labels
  None       ///< the scores are taken as calibrated probabilities
};
/// "isotonic" or "none".
const char* recalibration_name(Recalibration r);
/// The Recalibration named `name`. @throws InvalidArgument for another name.
Recalibration recalibration_from_name(const std::string& name);

/// Settings of a PerformanceEstimator.
struct EstimatorParams {
  /// Decision threshold: a row is targeted (predicted to churn) when its score is `>=
  /// threshold`; in [0, 1].
  double threshold = 0.5;
  /// Re-calibration fitted on a labelled reference (ignored when the reference has no labels).
  Recalibration calibration = Recalibration::Isotonic;
  /// Number of uniform bins of [0, 1] the reference is counted on, in [10, 100000].
  int bins = 1000;
  /// Level of the bands, in (0, 1).
  double confidence = 0.95;
  /// An estimated ROC-AUC below it is an alert; in [0, 1] or NaN (off).
  double min_roc_auc = 0.70;
  /// An estimated precision below it is an alert; in [0, 1] or NaN (off, the default).
  double min_precision = kMissing;
  /// An estimated recall below it is an alert; in [0, 1] or NaN (off, the default).
  double min_recall = kMissing;
  /// An estimated F1 below it is an alert; in [0, 1] or NaN (off, the default).
  double min_f1 = kMissing;
  /// An estimated churn rate above it is an alert; in [0, 1] or NaN (off, the default).
  double max_churn_rate = kMissing;
  /// Value of a churner the offer retains (metrics::ProfitParams); >= 0.
  double value_retained = 1.0;
  /// Cost of an offer to one customer (metrics::ProfitParams); >= 0.
  double offer_cost = 0.1;
  /// Probability that the offer retains a churner (metrics::ProfitParams); in [0, 1].
  double success_rate = 1.0;
  /// Threads: 0 = all cores. Results do not depend on it.
  int n_threads = 0;

  /// @throws InvalidArgument naming the field and its allowed range.
  void validate() const;
  /// The parameters as a JSON object (NaN as "nan").
  Json to_json() const;
  /// Parameters from to_json() output; unknown or missing members are rejected.
  /// @throws SerializationError if malformed or invalid.
  static EstimatorParams from_json(const Json& j);
  /// Parameters from a JSON object naming some of them (the others keep their defaults).
  /// @throws InvalidArgument / TypeMismatch naming `caller` and the field.
  static EstimatorParams from_options(const Json& options,
                                      std::string_view caller = "PerformanceEstimator");
};

/// The seven metrics of a chunk (or of the reference).
struct PerformanceMetrics {
  double roc_auc = kMissing;         ///< ROC-AUC (NaN with one class only)
  double precision = kMissing;       ///< at the threshold (NaN when nobody is targeted)
  double recall = kMissing;          ///< at the threshold (NaN without churners)
  double f1 = kMissing;              ///< at the threshold (NaN when undefined)
  double churn_rate = kMissing;      ///< share of churners
  double churners = kMissing;        ///< number of churners
  double campaign_value = kMissing;  ///< value of targeting the rows with score >= threshold
};

/// One metric of a chunk: the estimate, its band and, once labels arrived, the realised value.
struct MetricBand {
  double estimated = kMissing;  ///< the CBPE estimate
  double lower = kMissing;      ///< lower end of the band at `confidence`
  double upper = kMissing;      ///< upper end of the band
  double realised = kMissing;   ///< the realised value (NaN before add_realised)
};

/// The estimated (and realised) performance of one chunk.
struct ChunkEstimate {
  std::string chunk;             ///< the chunk's name
  Index n = 0;                   ///< rows
  Index n_targeted = 0;          ///< rows with score >= threshold
  MetricBand roc_auc;            ///< ROC-AUC
  MetricBand precision;          ///< precision at the threshold
  MetricBand recall;             ///< recall at the threshold
  MetricBand f1;                 ///< F1 at the threshold
  MetricBand churn_rate;         ///< share of churners
  MetricBand expected_churners;  ///< number of churners
  MetricBand campaign_value;     ///< value of the campaign targeting score >= threshold
  bool has_realised = false;     ///< whether add_realised() filled the realised values
  bool outside_band = false;     ///< realised ROC-AUC outside its band (false without it)
};

/// The verdict on the estimates once labels arrived (see EstimatedPerformance::reliability()).
struct ReliabilityCheck {
  Index n_chunks = 0;        ///< chunks with a realised ROC-AUC
  Index n_outside = 0;       ///< of them, realised ROC-AUC outside the band
  double expected_rate = 0;  ///< nominal share outside: 1 - confidence
  double p_value = 1;        ///< P(X >= n_outside), X ~ Binomial(n_chunks, expected_rate)
  double mean_abs_gap = 0;   ///< mean |realised - estimated| ROC-AUC (NaN without chunks)
  double gap_tolerance = 0;  ///< the tolerance of the few-chunks rule
  bool reliable = true;      ///< the verdict
};

/// Estimates per chunk, with their bands, realised values and alerts.
/// @code
/// EstimatedPerformance r = estimator.estimate(scores, {0, 5000, 10000}, {"w1", "w2"});
/// for (const auto& c : r.chunks()) log(c.chunk, c.roc_auc.estimated, c.roc_auc.lower);
/// r.add_realised(scores, labels);  // weeks later
/// if (!r.reliable()) warn("the estimates no longer hold: concept shift?");
/// @endcode
///
/// Thread safety: a value type; its const members may run concurrently.
class EstimatedPerformance {
 public:
  EstimatedPerformance() = default;
  /// A result from its rows (as estimate() builds it).
  EstimatedPerformance(EstimatorParams params, std::vector<ChunkEstimate> chunks);

  /// The chunks, in the order given to estimate().
  const std::vector<ChunkEstimate>& chunks() const { return chunks_; }
  /// The parameters of the estimator that made it.
  const EstimatorParams& params() const { return params_; }
  /// Total rows.
  Index n_rows() const;
  /// Whether add_realised() was called.
  bool has_realised() const;

  /// Fills every chunk's realised metrics from the labels, and its `outside_band` flag.
  /// `score` and `labels` hold the rows in the order given to estimate() (chunk after chunk).
  /// @return `*this`.
  /// @throws InvalidArgument for a length other than n_rows(), labels other than 0/1, or
  ///         scores outside [0, 1] (naming the chunk and row).
  EstimatedPerformance& add_realised(const VectorRef& score, const VectorRef& labels);

  /// The reliability check. Estimates are **unreliable** when (1) the number of chunks whose
  /// realised ROC-AUC is outside the band is improbably high: the one-sided binomial test
  /// against the nominal rate `1 - confidence` gives p < 0.01; or (2) with fewer than 10
  /// such chunks, the mean |realised - estimated| ROC-AUC exceeds `gap_tolerance` = max(0.02,
  /// the mean half-width of their bands). Reliable when no chunk has a realised ROC-AUC.
  ReliabilityCheck reliability() const;
  /// `reliability().reliable`.
  bool reliable() const { return reliability().reliable; }

  /// Alerts per chunk, in chunk order: "estimated_roc_auc", "estimated_precision",
  /// "estimated_recall", "estimated_f1" below their minimum, "estimated_churn_rate" above its
  /// maximum (moderate; significant when the whole band is beyond the threshold too); and, when
  /// the estimates are unreliable, a significant "estimate_gap" for every chunk whose realised
  /// ROC-AUC is outside its band (value: the realised ROC-AUC, threshold: the band end it
  /// crossed).
  std::vector<Alert> alerts() const;

  /// The result as JSON (parameters, chunks, reliability, alerts; NaN as "nan").
  Json to_json() const;
  /// A result from to_json() output (alerts and reliability are recomputed).
  /// @throws SerializationError naming what is wrong.
  static EstimatedPerformance from_json(const Json& doc);

 private:
  EstimatorParams params_;
  std::vector<ChunkEstimate> chunks_;
};

/// Realised and estimated metrics of a reference (see PerformanceEstimator::reference_metrics).
struct ReferenceMetrics {
  PerformanceMetrics realised;   ///< from the labels (NaN without labels)
  PerformanceMetrics estimated;  ///< CBPE on the reference itself (the calibration check)
};

/// The reference state of CBPE: counts of a reference period's scores (and labels) on uniform
/// bins, from which the calibration map and the reference metrics follow, and which estimates
/// the performance of later chunks (see estimate.hpp).
///
/// @code
/// using namespace churn::monitor;
/// PerformanceEstimator est;                  // threshold 0.5, isotonic, 1000 bins
/// est.fit(reference_scores, reference_labels);
/// est.save("cbpe.json");
/// EstimatedPerformance r = PerformanceEstimator::load("cbpe.json")
///                              .estimate(new_scores, {0, 5000, 10000, 15000});
/// @endcode
///
/// Thread safety: the const members (accumulate, estimate, calibrate, to_json, save,
/// accessors) may run concurrently on one object; fit, merge and assignment need exclusive
/// access. Distinct objects are independent.
class PerformanceEstimator {
 public:
  /// An unfitted estimator. @throws InvalidArgument if `params` is invalid.
  explicit PerformanceEstimator(EstimatorParams params = {});

  /// Counts the reference: `score` (calibrated probabilities in [0, 1]) and, optionally, the
  /// 0/1 `labels` of the same rows. @return `*this`.
  /// @throws InvalidArgument for no rows, a score NaN or outside [0, 1], a label other than 0/1
  ///         or a length mismatch (naming the row); Interrupted when a StopScope asks to stop.
  ///         The estimator is then unchanged.
  PerformanceEstimator& fit(const VectorRef& score, const VectorRef& labels = Vector());
  /// A new estimator with the same parameters fitted on `score` and `labels` (the part of a
  /// merge; it may have no rows). @throws as fit().
  PerformanceEstimator accumulate(const VectorRef& score, const VectorRef& labels = Vector()) const;
  /// Adds the counts of `other`. Exact: any order of merging gives bit-identical states.
  /// @return `*this`.
  /// @throws NotFittedError if either is unfitted; InvalidArgument naming the first parameter
  ///         that differs (n_threads excepted), or when one has labels and the other not.
  PerformanceEstimator& merge(const PerformanceEstimator& other);

  /// Estimates each chunk of `score`: chunk `c` holds rows `[bounds[c], bounds[c + 1])`.
  /// @param score the scores of every chunk, chunk after chunk, in [0, 1].
  /// @param bounds increasing offsets, `bounds.front() == 0`, `bounds.back() == score.size()`.
  /// @param names the chunks' names (empty: "0", "1", ...).
  /// @throws NotFittedError before fit; InvalidArgument for a reference without rows, no chunk,
  ///         an empty chunk, bad bounds or names, or a score NaN or outside [0, 1] (naming
  ///         the chunk and row); Interrupted when a StopScope asks to stop.
  EstimatedPerformance estimate(const VectorRef& score, const std::vector<Index>& bounds,
                                const std::vector<std::string>& names = {}) const;

  /// The probabilities CBPE uses for `score`: the isotonic map of its bin (labelled reference,
  /// calibration "isotonic"), else the score itself.
  /// @throws NotFittedError; InvalidArgument for a score NaN or outside [0, 1].
  Vector calibrate(const VectorRef& score) const;
  /// The isotonic map: one probability per bin (PAVA over the bins' positive rates weighted
  /// by their rows, ties pooled; empty bins interpolated linearly between the neighbouring
  /// bins' centres, constant beyond the ends). Empty when the map is not used.
  /// @throws NotFittedError before fit.
  std::vector<double> calibration_map() const;
  /// Realised metrics of the reference (NaN without labels) and CBPE on it. Bin-based: the
  /// realised ROC-AUC counts the rows of one bin as tied (half a pair each), within about
  /// `1 / bins` of the exact value; precision, recall, F1, churn rate, churners and campaign
  /// value are exact. The estimates take each bin's probability at its map value (its centre
  /// without a map). @throws NotFittedError before fit.
  ReferenceMetrics reference_metrics() const;

  /// Whether fit, accumulate or load made it.
  bool is_fitted() const { return fitted_; }
  /// The settings.
  const EstimatorParams& params() const { return params_; }
  /// Whether the reference had labels. @throws NotFittedError.
  bool has_labels() const;
  /// Rows counted. @throws NotFittedError.
  Index n_rows() const;
  /// Rows per bin with label 1 / label 0 (labelled), or all rows (unlabelled; `negatives`
  /// empty). @throws NotFittedError.
  const std::vector<std::int64_t>& positives() const;
  /// See positives(). @throws NotFittedError.
  const std::vector<std::int64_t>& negatives() const;
  /// Targeted rows (score >= threshold) with label 1 / label 0 (unlabelled: all targeted rows
  /// in `targeted_positives`, 0 in the other). @throws NotFittedError.
  std::int64_t targeted_positives() const;
  /// See targeted_positives(). @throws NotFittedError.
  std::int64_t targeted_negatives() const;

  /// The state as a JSON envelope of kind "PerformanceReference". @throws NotFittedError.
  Json to_json() const;
  /// An estimator from to_json() output.
  /// @throws SerializationError naming what is wrong (unknown members, negative counts, wrong
  ///         lengths, inconsistent totals, another kind, a newer major version).
  static PerformanceEstimator from_json(const Json& doc);
  /// Writes to_json() to `path` atomically. @throws NotFittedError, IOError.
  void save(const std::string& path) const;
  /// Reads an estimator written by save(). @throws IOError, SerializationError.
  static PerformanceEstimator load(const std::string& path);

 private:
  void check_fitted(const char* caller) const;
  bool uses_map() const;
  void count(const VectorRef& score, const VectorRef& labels, const char* caller);

  EstimatorParams params_;
  bool fitted_ = false;
  bool labelled_ = false;
  Index n_ = 0;
  std::vector<std::int64_t> pos_;  // per bin: label 1 (labelled) or every row (unlabelled)
  std::vector<std::int64_t> neg_;  // per bin: label 0 (labelled); empty when unlabelled
  std::int64_t tpos_ = 0;          // targeted rows with label 1 (unlabelled: all targeted)
  std::int64_t tneg_ = 0;          // targeted rows with label 0
};

}  // namespace churn::monitor
