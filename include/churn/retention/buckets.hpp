#pragma once
/// @file buckets.hpp
/// Risk buckets (`churn::retention::RiskBuckets`): churn scores cut into a few ordered groups
/// (low / medium / high / critical by default) by fixed cut points or by quantiles of a
/// reference score distribution.
///
/// Edges and sides. With inner edges `e_0 <= e_1 <= ... <= e_{k-2}` (k buckets), bucket `i`
/// holds the scores `s` with `e_{i-1} <= s < e_i`, where `e_{-1} = -inf` and `e_{k-1} = +inf`:
/// every bucket is closed on the left and open on the right, so a score equal to an edge goes to
/// the higher bucket (as `s >= threshold` flags a churner). The bucket of `s` is the number of
/// edges `<= s`: `numpy.searchsorted(edges, s, side="right")`, or
/// `pandas.cut(s, [-inf, *edges, inf], right=False)`.
///
/// Modes.
/// - Fixed (the default): the edges are `BucketParams::cut_points` (default 0.25, 0.5, 0.75),
///   known at construction: the object is ready without fit().
/// - Quantile: `BucketParams::quantiles` holds levels in (0, 1); fit() sets the edges to those
///   quantiles of the reference scores, numpy's default ("linear") definition,
///   `numpy.quantile(reference, quantiles)` bit for bit. Tied reference scores may give equal
///   edges, and then an empty bucket between them.
///
/// Scores may be any numbers (probabilities, log-odds); NaN is rejected with its row.

#include <cstdint>  // std::int32_t
#include <string>   // std::string
#include <vector>   // std::vector

#include "churn/core/json.hpp"
#include "churn/core/types.hpp"
#include "churn/data/table.hpp"

namespace churn::retention {

/// Read-only view of int32 codes (bucket or segment codes; a C-ordered numpy int32 array maps
/// without a copy).
using IntVectorRef = Eigen::Ref<const IntVector>;

/// Hyper-parameters of RiskBuckets: fixed cut points, or quantile levels (exactly one of the
/// two is non-empty), and the bucket labels.
struct BucketParams {
  /// Fixed mode: the inner edges, finite and strictly increasing (any scale, not only [0, 1]).
  /// Default {0.25, 0.5, 0.75}: four buckets [-inf, 0.25), [0.25, 0.5), [0.5, 0.75),
  /// [0.75, inf). Must be empty in quantile mode.
  std::vector<double> cut_points{0.25, 0.5, 0.75};
  /// Quantile mode: levels strictly increasing in (0, 1); the edges are these quantiles of the
  /// reference scores given to fit(). Empty in fixed mode.
  std::vector<double> quantiles;
  /// One distinct, non-empty label per bucket (number of cut points or levels + 1), lowest risk
  /// first; empty for the defaults: "low", "medium", "high", "critical" for 4 buckets, "low",
  /// "medium", "high" for 3, "low", "high" for 2, "all" for 1, "bucket_1" ... "bucket_k" for 5
  /// or more.
  std::vector<std::string> labels;
  /// Threads for fit and assign: 0 = all cores, > 0 that many. Results do not depend on it.
  int n_threads = 0;

  /// Number of buckets: cut points (or levels) + 1.
  int n_buckets() const;
  /// True when the edges come from quantiles of a reference (quantile mode).
  bool quantile_mode() const { return !quantiles.empty(); }
  /// The labels to use: `labels`, or the defaults for n_buckets().
  std::vector<std::string> resolved_labels() const;

  /// @throws InvalidArgument naming the field: both or neither of cut_points and quantiles
  ///         set, a non-finite or non-increasing cut point, a level outside (0, 1) or not
  ///         increasing, a label count other than n_buckets(), an empty or repeated label,
  ///         n_threads < 0.
  void validate() const;
  /// The parameters as a JSON object.
  Json to_json() const;
  /// Parameters from to_json() output; unknown members are rejected.
  /// @throws SerializationError if malformed or invalid.
  static BucketParams from_json(const Json& j);
  /// Parameters from a JSON object naming some fields (the others keep their defaults), as the
  /// Python binding passes its keyword arguments.
  /// @throws InvalidArgument for an unknown name or an invalid value, TypeMismatch for a value
  ///         of the wrong JSON type; both name `caller`.
  static BucketParams from_options(const Json& options, const std::string& caller = "RiskBuckets");
  /// The parameters as keyword options.
  Json to_options() const;
};

/// Counts of codes in [0, n_buckets): entry b is the number of `codes == b` (codes outside the
/// range, -1 included, are not counted). Summed in fixed blocks, the same for any thread count.
/// @throws InvalidArgument if n_buckets < 0 or n_threads < 0.
Int64Vector count_codes(const IntVectorRef& codes, int n_buckets, int n_threads = 0);

/// Risk buckets of churn scores.
///
/// @code
/// churn::retention::BucketParams p;
/// p.cut_points.clear();
/// p.quantiles = {0.5, 0.8, 0.95};           // top 5% critical, next 15% high, ...
/// churn::retention::RiskBuckets rb(p);
/// rb.fit(reference_scores);                 // edges = np.quantile(reference, [.5, .8, .95])
/// churn::IntVector code = rb.assign(scores);  // 0 = low ... 3 = critical
/// churn::data::Table t = rb.summary(scores);  // bucket, lower, upper, count, share
/// rb.save("buckets.json");
/// @endcode
///
/// Thread safety: the const members (assign, summary, accessors, to_json, save) may run
/// concurrently on one object; fit needs exclusive access.
class RiskBuckets {
 public:
  /// Buckets with these parameters: in fixed mode ready to use, in quantile mode unfitted.
  /// @throws InvalidArgument if `params` is invalid.
  explicit RiskBuckets(BucketParams params = {});

  /// Quantile mode: sets the edges to the quantiles of `reference_scores`; both modes record
  /// the reference's count per bucket (reference_counts()).
  /// @param reference_scores  n >= 1 scores, none NaN (infinities allowed).
  /// @return `*this`.
  /// @throws InvalidArgument for no scores or a NaN (naming its row); the object is then left
  ///         as it was.
  RiskBuckets& fit(const VectorRef& reference_scores);

  /// The bucket of each score, 0 (lowest risk) ... n_buckets() - 1.
  /// @throws NotFittedError in quantile mode before fit; InvalidArgument for a NaN score
  ///         (naming the first such row).
  IntVector assign(const VectorRef& scores) const;

  /// One row per bucket: `bucket` (categorical of the labels), `lower` and `upper` (the
  /// bucket's edges, -inf and inf at the ends), `count` (int64) and `share` (count / n; NaN
  /// when there are no scores).
  /// @throws as assign().
  data::Table summary(const VectorRef& scores) const;

  /// True when the edges are known: always in fixed mode, after fit or load in quantile mode.
  bool is_fitted() const { return fitted_; }
  /// The hyper-parameters.
  const BucketParams& params() const { return params_; }
  /// Number of buckets.
  int n_buckets() const { return params_.n_buckets(); }
  /// The inner edges (n_buckets() - 1, non-decreasing). @throws NotFittedError before fit.
  const std::vector<double>& edges() const;
  /// The bucket labels, lowest risk first.
  const std::vector<std::string>& labels() const { return labels_; }
  /// The reference's count per bucket at fit (empty when fit() was never called).
  const Int64Vector& reference_counts() const { return reference_counts_; }

  /// The buckets in the churnlib JSON envelope (kind "RiskBuckets"): params, and the state
  /// `{edges, labels, reference_counts}` (reference_counts empty when never fitted).
  /// @throws NotFittedError in quantile mode before fit.
  Json to_json() const;
  /// Buckets from to_json() output; unknown members are rejected.
  /// @throws SerializationError for a damaged, foreign or newer-major document.
  static RiskBuckets from_json(const Json& doc);
  /// Writes to_json() to `path` atomically. @throws IOError; NotFittedError as to_json().
  void save(const std::string& path) const;
  /// Reads buckets written by save(). @throws IOError, SerializationError.
  static RiskBuckets load(const std::string& path);

 private:
  void check_fitted(const char* caller) const;

  BucketParams params_;
  std::vector<std::string> labels_;
  std::vector<double> edges_;
  Int64Vector reference_counts_;
  bool fitted_ = false;
};

}  // namespace churn::retention
