#pragma once
/// @file kmeans.hpp
/// K-means clustering (`churn::segment::KMeans`) with scikit-learn's objective and stopping rule.
///
/// The fitted model minimises the inertia `sum_i w_i * ||x_i - c_{label_i}||^2` by Lloyd
/// iterations from one of three starts (greedy k-means++, random rows, given centres). Two exact
/// algorithms give the same labels and centres iteration by iteration:
/// - `Lloyd`: every point's distance to every centre, every iteration.
/// - `Hamerly`: one upper and one lower distance bound per point skip most distance computations
///   once the centres settle (much faster at k = 8..64 on low-dimensional data). The bounds are
///   tested with a safety margin, so a point near a tie is always recomputed: the labels are those
///   of `Lloyd` bit for bit.
///
/// Stopping rule (scikit-learn's): an iteration assigns every point to its nearest centre
/// (ties to the lowest index) and moves each centre to the weighted mean of its points. The fit
/// stops after `max_iter` iterations, when no label changed ("strict convergence"), or when the
/// squared centre shift summed over clusters is <= `tol * mean_j var(X[:, j])` (unweighted
/// population variances). Unless it converged strictly, one more assignment makes the labels
/// consistent with the final centres. A cluster left without weight is re-seeded with the point
/// (of positive weight) farthest from its centre, farthest first, ties to the lower row.
///
/// Determinism: the data are processed in row blocks whose bounds depend only on the data shape,
/// and per-block results are combined in block order, so centres, labels and inertia are
/// bit-identical for any `n_threads`. The per-cluster sums of `w * x` are recomputed from all rows
/// every 16 iterations and in between updated by the rows that changed cluster (in row order);
/// Lloyd and Hamerly follow the same schedule, so their centres are bit-identical too. The
/// distance kernel is a separate AVX2/FMA build picked at run time on CPUs that have it, so
/// results may differ in the last bits between machines.

#include <cstdint>      // std::int32_t, std::uint64_t
#include <string>       // std::string
#include <string_view>  // std::string_view

#include "churn/core/fit_options.hpp"
#include "churn/core/json.hpp"
#include "churn/core/types.hpp"
#include "churn/data/table.hpp"

namespace churn::segment {

/// How the initial centres are chosen.
enum class KMeansInit {
  /// Greedy k-means++ (as scikit-learn): each new centre is the best of `2 + floor(ln k)`
  /// candidates drawn with probability proportional to `w_i * D(x_i)^2`.
  KMeansPlusPlus,
  /// `n_clusters` distinct rows drawn without replacement with probability proportional to the
  /// sample weight.
  Random,
  /// The rows of KMeansParams::init_centers (`n_init` is then ignored: one run).
  Given,
};

/// The assignment algorithm (both exact, same result).
enum class KMeansAlgorithm {
  Lloyd,    ///< All point-centre distances every iteration.
  Hamerly,  ///< Hamerly's bounds (one upper, one lower per point) skip most distances.
};

/// Name of an init ("k-means++", "random", "given").
const char* kmeans_init_name(KMeansInit init);
/// Init from its name. @throws InvalidArgument naming the allowed names.
KMeansInit kmeans_init_from_name(const std::string& name);
/// Name of an algorithm ("lloyd", "hamerly").
const char* kmeans_algorithm_name(KMeansAlgorithm algorithm);
/// Algorithm from its name ("elkan" and "auto" are accepted as "hamerly").
/// @throws InvalidArgument naming the allowed names.
KMeansAlgorithm kmeans_algorithm_from_name(const std::string& name);

/// Hyper-parameters of KMeans (names and meaning as in scikit-learn).
struct KMeansParams {
  /// Number of clusters, >= 1.
  int n_clusters = 8;
  /// How the initial centres are chosen.
  KMeansInit init = KMeansInit::KMeansPlusPlus;
  /// Initial centres (n_clusters x n_features) when `init` is Given; empty otherwise.
  RowMatrix init_centers;
  /// Number of runs from different seeded starts, >= 1; the run of lowest inertia is kept
  /// (the first on ties). Ignored (one run) when `init` is Given.
  int n_init = 1;
  /// Maximum number of iterations per run, >= 1.
  int max_iter = 300;
  /// Relative tolerance, finite and >= 0: a run stops when the squared centre shift summed over
  /// clusters is <= `tol * mean_j var(X[:, j])` (scikit-learn's meaning). 0 stops only at strict
  /// convergence or `max_iter`.
  double tol = 1e-4;
  /// The assignment algorithm (same result; Hamerly is faster).
  KMeansAlgorithm algorithm = KMeansAlgorithm::Hamerly;
  /// Threads: 0 = all cores, > 0 that many. Results do not depend on it.
  int n_threads = 0;
  /// Seed of the initialisation (run r draws from stream r of this seed).
  std::uint64_t seed = 0;

  /// @throws InvalidArgument naming the field and its allowed range.
  void validate() const;
  /// The parameters as a JSON object (init_centers as an array of rows, only for Given).
  Json to_json() const;
  /// Parameters from to_json() output; unknown members are rejected.
  /// @throws SerializationError if malformed or invalid.
  static KMeansParams from_json(const Json& j);
  /// The parameters as keyword options: to_json()'s form with init_centers null when unset.
  Json to_options() const;
  /// Parameters from a JSON object naming some of them by field name (the others keep their
  /// defaults), as the Python binding passes its keyword arguments.
  /// @throws InvalidArgument for an unknown name or an invalid value, TypeMismatch for a
  ///         value of the wrong JSON type; both name `caller` and the field.
  static KMeansParams from_options(const Json& options, std::string_view caller = "KMeansParams");
};

/// K-means clustering.
///
/// @code
/// churn::segment::KMeansParams params;
/// params.n_clusters = 4;
/// params.seed = 7;
/// churn::segment::KMeans km(params);
/// km.fit(X);                                   // X: n x p row-major, finite
/// churn::IntVector seg = km.predict(X_new);    // nearest centre per row
/// churn::RowMatrix dist = km.transform(X_new); // n x k Euclidean distances
/// km.save("segments.json");
/// @endcode
///
/// Thread safety: the const members (predict, transform, score, to_json, save, accessors) may run
/// concurrently on one object from any number of threads; fit, set_params and set_feature_names
/// need exclusive access. Distinct objects are independent.
class KMeans {
 public:
  /// An unfitted model. @throws InvalidArgument if `params` is invalid.
  explicit KMeans(KMeansParams params = {});

  /// Fits the model.
  /// @param X        n x p features, every value finite, n >= 1, p >= 1.
  /// @param options  sample_weight (n finite weights >= 0 with a positive sum, or empty: all 1)
  ///                 and feature_names (empty, or p names saved with the model); an eval_set is
  ///                 rejected.
  /// @return `*this`.
  /// @throws InvalidArgument for NaN/infinite values (naming the column and row), a weight vector
  ///         of the wrong length, a negative or non-finite weight, a zero total weight, fewer
  ///         distinct rows of positive weight than `n_clusters`, or given centres of the wrong
  ///         shape; Interrupted when a StopScope asks to stop (polled per iteration and per
  ///         init). The model is then left unchanged.
  KMeans& fit(const RowMatrixRef& X, const FitOptions& options = {});
  /// Fits on every column of a table (feature_names() = the column names, in order; each
  /// float64 or int64, finite). A non-empty options.feature_names must equal the column names.
  /// @throws TypeMismatch naming a column of another type; otherwise as fit().
  KMeans& fit(const data::Table& X, const FitOptions& options = {});

  /// Index of the nearest centre for each row (ties to the lowest index).
  /// @throws NotFittedError before fit; InvalidArgument for a wrong column count or NaN/inf.
  IntVector predict(const RowMatrixRef& X) const;
  /// Euclidean distance of each row to each centre (n x n_clusters).
  /// @throws as predict.
  RowMatrix transform(const RowMatrixRef& X) const;
  /// predict() of the rows of a table: the columns named feature_names(), in the model's order,
  /// as data::Table::numeric_matrix() reads them (other columns are ignored).
  /// @throws NotFittedError before fit; InvalidArgument if the model has no feature names or
  ///         the table lacks one; TypeMismatch for a column that is not float64 or int64.
  IntVector predict(const data::Table& table) const;
  /// transform() of the rows of a table (see predict(table)).
  RowMatrix transform(const data::Table& table) const;
  /// Minus the inertia of `X` under the fitted centres (scikit-learn's `score`).
  /// @throws as predict; InvalidArgument for invalid weights.
  double score(const RowMatrixRef& X, const VectorRef& sample_weight = Vector()) const;

  /// True once fit or load succeeded.
  bool is_fitted() const { return fitted_; }
  /// The hyper-parameters.
  const KMeansParams& params() const { return params_; }
  /// Replaces the hyper-parameters (the fitted state is kept until the next fit).
  /// @throws InvalidArgument if invalid.
  void set_params(const KMeansParams& params);

  /// The centres (n_clusters x n_features). @throws NotFittedError before fit.
  const RowMatrix& cluster_centers() const;
  /// The cluster of each training row. @throws NotFittedError before fit.
  const IntVector& labels() const;
  /// Weighted sum of squared distances of the training rows to their centres.
  /// @throws NotFittedError before fit.
  double inertia() const;
  /// Iterations of the kept run. @throws NotFittedError before fit.
  int n_iter() const;
  /// Number of features seen in fit. @throws NotFittedError before fit.
  Index n_features() const;
  /// Names of the features (empty unless given to fit or set by set_feature_names()).
  const std::vector<std::string>& feature_names() const { return feature_names_; }
  /// Names the features (saved with the model); fit() replaces them with its feature_names.
  /// @throws NotFittedError before fit; InvalidArgument unless n_features() names or none.
  void set_feature_names(std::vector<std::string> names);

  /// The model in the churnlib JSON envelope (kind "KMeans"); the state holds the centres, the
  /// training labels, the inertia, the iteration count and the feature names when set.
  /// @throws NotFittedError before fit.
  Json to_json() const;
  /// A model from to_json() output; unknown members are rejected.
  /// @throws SerializationError for a damaged or foreign document.
  static KMeans from_json(const Json& doc);
  /// Writes to_json() to `path` atomically. @throws IOError.
  void save(const std::string& path) const;
  /// Reads a model written by save(). @throws IOError, SerializationError.
  static KMeans load(const std::string& path);

 private:
  void check_fitted(const char* caller) const;
  RowMatrix table_matrix(const data::Table& table, const char* caller) const;
  void check_input(const RowMatrixRef& X, const char* caller) const;

  KMeansParams params_;
  RowMatrix centers_;
  IntVector labels_;
  double inertia_ = 0.0;
  int n_iter_ = 0;
  std::vector<std::string> feature_names_;
  bool fitted_ = false;
};

}  // namespace churn::segment
