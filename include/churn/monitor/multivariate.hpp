#pragma once
/// @file multivariate.hpp
/// Multivariate drift: changes of the joint distribution of the features that per-feature
/// statistics (PSI, KS) cannot see, e.g. a correlation that flips sign while every marginal
/// stays the same. Two detectors:
///
/// - **Domain classifier** (domain_classifier_drift()): label the reference rows 0 and the
///   current rows 1, and measure with stratified K-fold cross-validation how well churnlib's
///   GBDT tells them apart. The drift score is the ROC-AUC of the held-out rows (0.5: no
///   drift, 1: the batches are disjoint). Its p-value: under no drift, each fold's labels are a
///   random labelling of the fold's held-out scores (rows are exchangeable), so each fold's AUC
///   is a Mann-Whitney statistic with null mean 1/2 and null variance
///   `((N + 1) - sum_t (t^3 - t) / (N (N - 1))) / (12 n0 n1)` (N = n0 + n1 held-out rows, t the
///   sizes of the groups of tied scores); the mean of the K fold AUCs is compared with 1/2 by a
///   one-sided z-test (drift only raises the AUC) with variance `(2 / K^2) sum_k var_k`: twice
///   the variance of independent folds, because the fold AUCs are positively correlated (each
///   fold's model learns from the labels of the others; each pair of folds shares one term, see
///   src/monitor/domain_classifier.cpp). Without the factor the false-alarm rate at a nominal 5%
///   is about 11%.
/// - **PCA reconstruction error** (PcaDrift): standardise the reference, keep the principal
///   components explaining a share `variance` of its variance, and measure how far the rows of
///   a batch lie from that subspace (NannyML's DataReconstructionDriftCalculator). The
///   components are fitted on a seeded random half of the reference and the per-row errors
///   measured on the other half (mean mu, standard deviation s, n_h rows), so a batch of m rows
///   without drift has the held-out half's error distribution; the threshold is
///   `mu + z_(1-alpha) s sqrt(1/m + 1/n_h)` (one-sided).
///
/// Results never depend on `n_threads`.

#include <cstdint>      // std::uint64_t
#include <string>       // std::string
#include <string_view>  // std::string_view
#include <vector>       // std::vector

#include "churn/core/json.hpp"
#include "churn/core/types.hpp"
#include "churn/data/table.hpp"
#include "churn/monitor/alert.hpp"

namespace churn::monitor {

// ---- domain classifier ---------------------------------------------------------------------

/// Settings of domain_classifier_drift(): the cross-validation, the GBDT (small and fast by
/// default), the sample size and the significance level.
struct DomainClassifierParams {
  /// Number of stratified folds, in [2, 100].
  int n_splits = 5;
  /// Boosting rounds of each fold's GBDT, in [1, 10000].
  int n_estimators = 50;
  /// Shrinkage of each tree, in (0, 1].
  double learning_rate = 0.1;
  /// Maximum leaves per tree, in [2, 131072].
  int num_leaves = 15;
  /// Minimum rows in a leaf, >= 1.
  int min_child_samples = 20;
  /// Maximum value bins per numeric feature, in [2, 65535].
  int max_bins = 255;
  /// Rows used per side at most: a larger side is replaced by a seeded random sample of this
  /// many rows, >= 2.
  Index max_rows = 100000;
  /// Held-out rows per fold whose TreeSHAP values rank the features (an evenly spaced subset
  /// of the fold; all its rows when fewer), >= 1.
  Index shap_rows = 2000;
  /// Significance level: drifted when the p-value is below it, in (0, 1).
  double alpha = 0.01;
  /// Seed of the sampling, the folds and the GBDT.
  std::uint64_t seed = 0;
  /// Threads: 0 = all cores. Results do not depend on it.
  int n_threads = 0;

  /// @throws InvalidArgument naming the field and its allowed range.
  void validate() const;
  /// The parameters as a JSON object.
  Json to_json() const;
  /// Parameters from to_json() output; unknown members are rejected.
  /// @throws SerializationError if malformed or invalid.
  static DomainClassifierParams from_json(const Json& j);
  /// Parameters from a JSON object naming some of them (the others keep their defaults).
  /// @throws InvalidArgument for an unknown name or an invalid value, TypeMismatch for a
  ///         value of the wrong JSON type; both name `caller` and the field.
  static DomainClassifierParams from_options(const Json& options,
                                             std::string_view caller = "domain_classifier_drift");
};

/// How much one feature separates the two batches.
struct FeatureSeparation {
  std::string feature;    ///< column name
  double importance = 0;  ///< share of the total mean |SHAP| of the held-out rows, in [0, 1]
};

/// What domain_classifier_drift() measured.
///
/// Thread safety: a value type; its const members may run concurrently.
struct DomainClassifierResult {
  double auc = 0;                 ///< mean of the per-fold held-out AUCs
  std::vector<double> auc_folds;  ///< held-out AUC of each fold
  double pooled_auc = 0;          ///< AUC of all out-of-fold scores together
  double z = 0;                   ///< (auc - 0.5) / its null standard deviation
  double p_value = 1;             ///< one-sided p-value of `auc` under no drift
  double alpha = 0.01;            ///< the significance level used
  bool drifted = false;           ///< p_value < alpha
  /// Features by decreasing importance (share of the total mean |SHAP| of the held-out rows
  /// that were explained; ties by name).
  std::vector<FeatureSeparation> features;
  Index n_reference = 0;  ///< reference rows used (after sampling)
  Index n_current = 0;    ///< current rows used (after sampling)
  /// Out-of-fold P(current) of every row used: the reference rows first, then the current
  /// ones, each in table order (not saved by to_json()).
  Vector scores;

  /// Alerts: one significant alert (subject "multivariate", metric "domain_classifier_auc",
  /// value = auc, threshold = the AUC at which the p-value equals alpha) when drifted.
  std::vector<Alert> alerts() const;
  /// The result as JSON (without `scores`; NaN as the string "nan").
  Json to_json() const;
  /// A result from to_json() output. @throws SerializationError if malformed.
  static DomainClassifierResult from_json(const Json& j);
};

/// Multivariate drift of `current` against `reference` by a cross-validated domain classifier
/// (see the file comment).
///
/// Features: every column of `reference`; `current` must have them all (extra columns are
/// ignored). float64 and int64 columns are numeric (NaN = missing); categorical and string
/// columns are categorical (categories matched by label; categories unseen in the reference
/// are categories of their own). Each side is sampled down to `max_rows` rows (seeded).
/// @code
/// churn::monitor::DomainClassifierResult r =
///     churn::monitor::domain_classifier_drift(train, this_week);
/// if (r.drifted) std::cout << "AUC " << r.auc << ", top " << r.features[0].feature << "\n";
/// @endcode
/// @throws InvalidArgument for a table without rows or columns, a reference column that
///         `current` lacks (naming it), an infinite value (naming the column and row), or a
///         side with fewer rows than n_splits; TypeMismatch for a timestamp column or a column
///         whose kind (numeric vs. categorical) differs between the tables; Interrupted when a
///         StopScope asks to stop (polled between folds and by the GBDT's rounds).
DomainClassifierResult domain_classifier_drift(const data::Table& reference,
                                               const data::Table& current,
                                               const DomainClassifierParams& params = {});

/// Null variance of an AUC (the Mann-Whitney statistic U / (n0 n1)) when the labels are a
/// random labelling of `scores` with `n_positive` positives, tie-corrected:
/// `((N + 1) - sum_t (t^3 - t) / (N (N - 1))) / (12 n0 n1)`, t the sizes of the groups of
/// tied scores. The variance domain_classifier_drift() gives each fold's AUC.
/// @throws InvalidArgument if either class would be empty.
double auc_null_variance(const VectorRef& scores, Index n_positive);

// ---- PCA reconstruction error ----------------------------------------------------------------

/// Settings of PcaDrift.
struct PcaDriftParams {
  /// Share of the standardised reference's variance the kept components explain, in (0, 1]
  /// (scikit-learn's `PCA(n_components=variance)`: the fewest components whose cumulative
  /// share exceeds it).
  double variance = 0.65;
  /// Significance level of compare(), in (0, 1).
  double alpha = 0.01;
  /// Seed of the split of the reference into its fit and held-out halves.
  std::uint64_t seed = 0;
  /// Threads: 0 = all cores. Results do not depend on it.
  int n_threads = 0;

  /// @throws InvalidArgument naming the field and its allowed range.
  void validate() const;
  /// The parameters as a JSON object.
  Json to_json() const;
  /// Parameters from to_json() output. @throws SerializationError if malformed or invalid.
  static PcaDriftParams from_json(const Json& j);
  /// Parameters from a JSON object naming some of them (the others keep their defaults).
  /// @throws InvalidArgument for an unknown name or an invalid value, TypeMismatch for a
  ///         value of the wrong JSON type; both name `caller` and the field.
  static PcaDriftParams from_options(const Json& options, std::string_view caller = "PcaDrift");
};

/// What PcaDrift::compare() measured.
///
/// Thread safety: a value type; its const members may run concurrently.
struct PcaDriftResult {
  double reconstruction_error = 0;  ///< mean reconstruction error of the batch's rows
  double threshold = 0;             ///< mu + z_(1-alpha) s sqrt(1/m + 1/n_h)
  double reference_error = 0;       ///< mu: mean error of the reference's held-out half
  double reference_error_std = 0;   ///< s: standard deviation (ddof 1) of those errors
  double p_value = 1;               ///< one-sided p-value of the batch's mean error
  double alpha = 0.01;              ///< the significance level used
  bool drifted = false;             ///< reconstruction_error > threshold
  int n_components = 0;             ///< principal components kept
  Index n_rows = 0;                 ///< m: rows of the batch

  /// Alerts: one significant alert (subject "multivariate", metric "reconstruction_error",
  /// value = reconstruction_error, threshold = threshold) when drifted.
  std::vector<Alert> alerts() const;
  /// The result as JSON.
  Json to_json() const;
  /// A result from to_json() output. @throws SerializationError if malformed.
  static PcaDriftResult from_json(const Json& j);
};

/// Drift as the PCA reconstruction error of a batch (see the file comment).
///
/// Encoding, fitted on the fit half: numeric columns (float64, int64) have their missing values
/// replaced by the mean of the fit half; categorical and string columns are frequency-encoded
/// as NannyML does (a category becomes its share of the fit half's rows; missing counts as a
/// category of its own; a category unseen there becomes 0). Then every column is standardised
/// (mean and population standard deviation of the fit half; a constant column is only
/// centred) and the principal components come from Eigen's SelfAdjointEigenSolver on the
/// covariance. A row's error is the Euclidean distance between it (standardised) and its
/// projection on the kept components.
/// @code
/// churn::monitor::PcaDrift pca;
/// pca.fit(train);
/// churn::monitor::PcaDriftResult r = pca.compare(this_week);
/// if (r.drifted) std::cout << r.reconstruction_error << " > " << r.threshold << "\n";
/// pca.save("pca_drift.json");
/// @endcode
///
/// Thread safety: the const members (compare, errors, to_json, save, accessors) may run
/// concurrently; fit and assignment need exclusive access.
class PcaDrift {
 public:
  /// An unfitted detector. @throws InvalidArgument if `params` is invalid.
  explicit PcaDrift(PcaDriftParams params = {});

  /// Fits on every column of `reference` (pass only the feature columns). @return `*this`.
  /// @throws InvalidArgument for fewer than 4 rows, no columns or an infinite value (naming
  ///         the column and row); TypeMismatch for a timestamp column; Interrupted when a
  ///         StopScope asks to stop. The detector is then unchanged.
  PcaDrift& fit(const data::Table& reference);
  /// The reconstruction error of `current` against the threshold for its number of rows.
  /// Extra columns are ignored.
  /// @throws NotFittedError before fit; InvalidArgument for no rows, a missing column or an
  ///         infinite value (naming them); TypeMismatch for a column whose kind changed.
  PcaDriftResult compare(const data::Table& current) const;
  /// The reconstruction error of each row of `table`. @throws as compare().
  Vector errors(const data::Table& table) const;
  /// compare() from the rows' errors (errors() of the batch's parts, concatenated: a batch
  /// read in chunks gives the result of compare() on the whole).
  /// @throws NotFittedError; InvalidArgument for no rows or an error that is not finite and >= 0.
  PcaDriftResult compare_errors(const VectorRef& errors) const;

  /// Whether fit (or load) has been called.
  bool is_fitted() const { return fitted_; }
  /// The settings.
  const PcaDriftParams& params() const { return params_; }
  /// Feature names in the reference's order. @throws NotFittedError before fit.
  const std::vector<std::string>& feature_names() const;
  /// Kept components, one per row (k x p, unit rows, sign: largest |entry| positive).
  /// @throws NotFittedError before fit.
  const RowMatrix& components() const;
  /// Per feature: the mean and scale of the standardisation. @throws NotFittedError.
  const Vector& mean() const;
  const Vector& scale() const;
  /// Variance explained by each kept component (eigenvalues, ddof 1). @throws NotFittedError.
  const Vector& explained_variance() const;
  /// The rows of an `n`-row reference that fit() fits on with `seed`: a seeded random
  /// ceil(n / 2) of them, increasing; the others are the held-out half.
  static std::vector<Index> fit_half(Index n, std::uint64_t seed);
  /// mu, s and n_h of the held-out half (see the file comment). @throws NotFittedError.
  double reference_error() const;
  double reference_error_std() const;
  Index n_holdout() const;

  /// The detector as a JSON envelope of kind "PcaDrift". @throws NotFittedError before fit.
  Json to_json() const;
  /// A detector from to_json() output; it compares bit-identically to the saved one.
  /// @throws SerializationError for a damaged document, another kind or a newer version.
  static PcaDrift from_json(const Json& doc);
  /// Writes to_json() to `path` atomically. @throws NotFittedError, IOError.
  void save(const std::string& path) const;
  /// Reads a detector written by save(). @throws IOError, SerializationError.
  static PcaDrift load(const std::string& path);

 private:
  void check_fitted(const char* caller) const;
  RowMatrix encode(const data::Table& table, const char* caller) const;
  void fit_encoding(const data::Table& reference, const std::vector<Index>& fit_rows);
  void fit_components(const RowMatrix& E, const std::vector<Index>& fit_rows,
                      const std::vector<Index>& held_out);

  PcaDriftParams params_;
  bool fitted_ = false;
  std::vector<std::string> names_;
  std::vector<std::uint8_t> categorical_;             ///< per feature
  std::vector<double> fill_;                          ///< numeric: the imputed mean
  std::vector<std::vector<std::string>> categories_;  ///< categorical: labels of the fit half
  std::vector<std::vector<double>> frequencies_;      ///< categorical: share of each label
  std::vector<double> missing_frequency_;             ///< categorical: share of missing rows
  Vector mean_;
  Vector scale_;
  RowMatrix components_;
  Vector explained_variance_;
  double reference_error_ = 0;
  double reference_error_std_ = 0;
  Index n_holdout_ = 0;
};

}  // namespace churn::monitor
