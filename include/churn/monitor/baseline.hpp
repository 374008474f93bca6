#pragma once
/// @file baseline.hpp
/// `churn::monitor::Baseline`: a saved snapshot of the reference distribution of every feature
/// (and of the model score), compared with later batches without the reference data.
///
/// A baseline holds, per numeric feature, exact quantile bin edges (numpy's
/// `np.quantile(x, np.linspace(0, 1, bins + 1))`, repeats merged), exact summary quantiles and
/// KS points, the counts on them, min, max, mean and std; per categorical feature, the count of
/// every category. Why a baseline rather than the reference data: it is small, it is saved as
/// JSON, and it merges exactly: edges, quantiles and KS points are fixed by fit, the rest are
/// exact order-free accumulators, so `b.accumulate(part1).merge(b.accumulate(part2))` equals
/// `b.accumulate(whole)` bit for bit (a reference too large for one machine, or a batch arriving
/// in a stream). KS on a baseline is read at the `ks_points + 1` reference quantiles: never above
/// the exact two-sample statistic, below it by at most about `1 / ks_points` for a reference
/// without heavy ties. Results never depend on `n_threads` nor on the CPU's vector instructions.
/// (How: src/monitor/baseline_fit.cpp, baseline_accumulate.cpp, feature_state.hpp.)

#include <cstdint>      // std::int64_t
#include <memory>       // std::unique_ptr
#include <string>       // std::string
#include <string_view>  // std::string_view
#include <vector>       // std::vector

#include "churn/core/json.hpp"
#include "churn/core/types.hpp"
#include "churn/data/table.hpp"
#include "churn/monitor/psi.hpp"
#include "churn/monitor/report.hpp"

namespace churn::monitor {

namespace detail {
struct FeatureState;
}  // namespace detail

/// Settings of a Baseline.
struct BaselineParams {
  /// Number of PSI bins of a numeric feature (>= 1; quantile edges that repeat are merged).
  int bins = 10;
  /// How the bin edges are chosen.
  Binning binning = Binning::Quantile;
  /// Share given to an empty bin in PSI, in (0, 1).
  double epsilon = kDefaultEpsilon;
  /// PSI at which a feature becomes `moderate`, >= 0.
  double moderate = 0.1;
  /// PSI at which a feature becomes `significant`, >= moderate.
  double significant = 0.25;
  /// PSI of the score above which the report raises an alert, >= 0.
  double score_alert = 0.2;
  /// Number of steps of the KS grid (points at the sample quantiles j / ks_points), in
  /// [1, 10000].
  int ks_points = 100;
  /// Threads: 0 = all cores. Results do not depend on it.
  int n_threads = 0;

  /// @throws InvalidArgument naming the field and its allowed range.
  void validate() const;
  /// The parameters as a JSON object (the `params` of a saved baseline; also the keyword form).
  Json to_json() const;
  /// Parameters from to_json() output; unknown members are rejected.
  /// @throws SerializationError if malformed or invalid.
  static BaselineParams from_json(const Json& j);
  /// Parameters from a JSON object naming some of them (the others keep their defaults), as
  /// the Python binding passes its keyword arguments.
  /// @throws InvalidArgument for an unknown name or an invalid value, TypeMismatch for a
  ///         value of the wrong JSON type; both name `caller` and the field.
  static BaselineParams from_options(const Json& options, std::string_view caller = "Baseline");
};

/// Summary statistics of one numeric feature of a baseline.
struct NumericSummary {
  std::int64_t count = 0;    ///< non-missing values
  std::int64_t missing = 0;  ///< missing values
  double missing_rate = 0;   ///< missing / rows
  double mean = 0;           ///< mean (NaN without values)
  double std = 0;            ///< sample std, ddof = 1 (NaN with < 2 values or overflowing squares)
  double min = 0;            ///< minimum (NaN without values)
  double max = 0;            ///< maximum (NaN without values)
  std::vector<double> levels;     ///< 0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99
  std::vector<double> quantiles;  ///< exact quantiles of the data fit saw (NaN without values)
};

/// The reference distribution of a table's columns and of a model score (see baseline.hpp).
///
/// @code
/// using namespace churn::monitor;
/// BaselineParams p;
/// p.bins = 10;
/// Baseline base(p);
/// base.fit(train.drop({"customer_id"}), train_scores);
/// base.save("baseline.json");
/// // later, elsewhere
/// DriftReport r = Baseline::load("baseline.json").compare(this_week, this_week_scores);
/// @endcode
///
/// Thread safety: the const members (accumulate, compare, to_json, save, accessors) may run
/// concurrently on one object from any number of threads; fit, merge and assignment need exclusive
/// access. Distinct objects are independent.
class Baseline {
 public:
  /// An unfitted baseline. @throws InvalidArgument if `params` is invalid.
  explicit Baseline(BaselineParams params = {});
  ~Baseline();
  Baseline(const Baseline& other);
  Baseline& operator=(const Baseline& other);
  Baseline(Baseline&&) noexcept;
  Baseline& operator=(Baseline&&) noexcept;

  /// Fits every column of `reference` (pass only the feature columns) and, when `score` is
  /// not empty, the score. Bin edges and quantiles are exact.
  /// @return `*this`.
  /// @throws InvalidArgument for a table without rows or columns, a score of another length,
  ///         or an infinite value (naming the column and row); Interrupted when a StopScope
  ///         asks to stop (polled per group of columns and of row blocks). The baseline is
  ///         then unchanged.
  Baseline& fit(const data::Table& reference, const VectorRef& score = Vector());

  /// A baseline of `chunk` on this baseline's bins and quantiles (the part of a merge).
  /// Columns of this baseline absent from `chunk` are marked missing (compare reports them
  /// as `missing_column`); extra columns are ignored. A chunk may have no rows.
  /// @throws NotFittedError before fit; TypeMismatch naming a column whose type changed;
  ///         InvalidArgument for a score of the wrong length or a score without a fitted one;
  ///         Interrupted when a StopScope asks to stop.
  Baseline accumulate(const data::Table& chunk, const VectorRef& score = Vector()) const;

  /// Adds the counts and sums of `other`, a baseline on the same bins (from accumulate() of
  /// this baseline, or of the baseline this one came from). Exact: merging parts in any order
  /// gives bit-identical results. @return `*this`.
  /// @throws NotFittedError if either is unfitted; InvalidArgument if the features, bins,
  ///         quantiles or missing columns differ (naming the feature).
  Baseline& merge(const Baseline& other);

  /// Drift of `current` against this baseline (see report.hpp). A baseline column missing
  /// from `current` gets status `missing_column`; extra columns are ignored. The score row is
  /// present when both the baseline and the call have scores.
  /// @throws NotFittedError before fit; InvalidArgument for a batch without rows, or a score
  ///         of the wrong length or without a fitted one; TypeMismatch naming a column whose
  ///         type changed (numeric vs. categorical vs. timestamp); Interrupted when a
  ///         StopScope asks to stop.
  DriftReport compare(const data::Table& current, const VectorRef& score = Vector()) const;
  /// Drift of a batch already accumulated (and merged) on this baseline's bins; equal to
  /// compare() of the whole batch.
  /// @throws NotFittedError; InvalidArgument if `current` is on other bins or has no rows.
  DriftReport compare(const Baseline& current) const;

  /// Whether fit (or load) has been called.
  bool is_fitted() const { return fitted_; }
  /// The settings.
  const BaselineParams& params() const { return params_; }
  /// Rows seen. @throws NotFittedError before fit.
  Index n_rows() const;
  /// Feature names in table order. @throws NotFittedError before fit.
  std::vector<std::string> feature_names() const;
  /// Whether a score distribution is stored.
  bool has_score() const { return has_score_; }
  /// The kind of a feature. @throws NotFittedError; InvalidArgument for an unknown name.
  FeatureKind kind(const std::string& feature) const;
  /// The PSI bin edges of a numeric feature (of the score when `feature` is empty).
  /// @throws NotFittedError; InvalidArgument for an unknown or categorical feature.
  const std::vector<double>& edges(const std::string& feature) const;
  /// The PSI-bin counts of a numeric feature (of the score when `feature` is empty).
  Histogram histogram(const std::string& feature) const;
  /// Summary statistics of a numeric feature (of the score when `feature` is empty).
  NumericSummary summary(const std::string& feature) const;
  /// Category counts of a categorical feature.
  /// @throws NotFittedError; InvalidArgument for an unknown or numeric feature.
  const CategoryCounts& category_counts(const std::string& feature) const;

  /// The baseline as a JSON envelope of kind "DriftBaseline".
  /// @throws NotFittedError before fit.
  Json to_json() const;
  /// A baseline from to_json() output; it compares bit-identically to the saved one.
  /// @throws SerializationError for a damaged document (naming what is wrong), another kind,
  ///         a newer major version or an unknown member.
  static Baseline from_json(const Json& doc);
  /// Writes to_json() to `path` atomically. @throws NotFittedError, IOError.
  void save(const std::string& path) const;
  /// Reads a baseline written by save(). @throws IOError, SerializationError.
  static Baseline load(const std::string& path);

 private:
  void check_fitted(const char* caller) const;
  const detail::FeatureState& state(const std::string& feature, const char* caller) const;
  Baseline accumulate_impl(const data::Table& chunk, const VectorRef& score, bool with_sums,
                           const char* caller, const std::vector<char>* counted = nullptr) const;

  BaselineParams params_;
  bool fitted_ = false;
  bool has_score_ = false;
  Index n_rows_ = 0;
  std::vector<std::unique_ptr<detail::FeatureState>> features_;
  std::unique_ptr<detail::FeatureState> score_;
};

}  // namespace churn::monitor
