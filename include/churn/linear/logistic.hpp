#pragma once
/// @file logistic.hpp
/// Binary logistic regression with scikit-learn's objective and three solvers on Eigen.
///
/// The fitted model minimises, over the coefficients `w` and the intercept `b` (never penalised),
/// @code{.unparsed}
///   C * sum_i s_i * logloss(y_i, x_i.w + b) + r(w)
///   r(w) = 0                                              penalty none
///        = 0.5 * ||w||_2^2                                penalty l2
///        = ||w||_1                                        penalty l1
///        = l1_ratio * ||w||_1 + 0.5 * (1 - l1_ratio) * ||w||_2^2   penalty elasticnet
/// @endcode
/// with `s_i = sample_weight_i * class_weight[y_i]`: the objective of
/// `sklearn.linear_model.LogisticRegression`, so the same settings give the same optimum.

#include <cstdint>      // std::int32_t
#include <optional>     // std::optional
#include <string>       // std::string
#include <string_view>  // std::string_view
#include <vector>       // std::vector

#include "churn/core/fit_options.hpp"
#include "churn/core/json.hpp"
#include "churn/core/labels.hpp"
#include "churn/core/types.hpp"
#include "churn/data/table.hpp"
#include "churn/metrics/calibration.hpp"  // metrics::Calibrator, metrics::CalibrationMethod

namespace churn::linear {

/// The penalty term `r(w)` of LogisticRegression.
enum class Penalty { None, L2, L1, ElasticNet };

/// The optimiser of LogisticRegression.
enum class LogisticSolver {
  Auto,  ///< Newton for l2/none with <= 500 features, L-BFGS above, Cd for l1/elasticnet.
  /// Newton-Raphson (IRLS) with a Cholesky solve of the (p+1)x(p+1) Hessian. Above 200,000
  /// rows the Hessian is estimated on every (n / 100,000)-th row (sub-sampled Newton); the
  /// gradient is always exact, so the optimum is the same. Ends with one extra step on the last
  /// Hessian, kept when it lowers the objective.
  Newton,
  Lbfgs,  ///< Limited-memory BFGS (10 pairs) with a backtracking Armijo line search.
  /// Proximal Newton: coordinate descent on the quadratic model (any penalty; the Hessian as
  /// for Newton).
  Cd,
};

/// How the classes are weighted.
enum class ClassWeightMode {
  None,      ///< Every class weighs 1.
  Balanced,  ///< Class c weighs sum(sample_weight) / (2 * sum of sample_weight over class c).
  Custom,    ///< `class_weight_0` and `class_weight_1`.
};

/// Name of a penalty ("none", "l2", "l1", "elasticnet").
const char* penalty_name(Penalty p);
/// Penalty from its name. @throws InvalidArgument naming the allowed names.
Penalty penalty_from_name(const std::string& name);
/// Name of a solver ("auto", "newton", "lbfgs", "cd").
const char* solver_name(LogisticSolver s);
/// Solver from its name. @throws InvalidArgument naming the allowed names.
LogisticSolver solver_from_name(const std::string& name);

/// Hyper-parameters of LogisticRegression (names and meaning as in scikit-learn).
struct LogisticRegressionParams {
  /// The penalty term (see logistic.hpp).
  Penalty penalty = Penalty::L2;
  /// Inverse regularisation strength, > 0; +infinity removes the penalty.
  double C = 1.0;  // NOLINT(readability-identifier-naming): scikit-learn's name
  /// Elastic-net mixing in [0, 1]: 1 is pure L1, 0 pure L2 (used by penalty elasticnet only).
  double l1_ratio = 0.5;
  /// Fit an (unpenalised) intercept.
  bool fit_intercept = true;
  /// Maximum number of solver iterations, >= 1 (outer iterations for Newton and Cd).
  int max_iter = 100;
  /// Stopping tolerance, > 0: the largest absolute (sub)gradient entry of the objective divided
  /// by `C * sum(s_i)` (the mean-loss scale, as scikit-learn's lbfgs `gtol`).
  double tol = 1e-4;
  /// Class weighting mode.
  ClassWeightMode class_weight = ClassWeightMode::None;
  /// Weight of class 0 when `class_weight` is Custom; finite and >= 0.
  double class_weight_0 = 1.0;
  /// Weight of class 1 when `class_weight` is Custom; finite and >= 0.
  double class_weight_1 = 1.0;
  /// Optimiser; Newton and Lbfgs need penalty none or l2.
  LogisticSolver solver = LogisticSolver::Auto;
  /// Threads: 0 = all cores, > 0 that many. Results do not depend on it.
  int n_threads = 0;

  /// @throws InvalidArgument naming the field and its allowed range.
  void validate() const;
  /// The parameters as a JSON object (C = +infinity is written as "inf"; class_weight is
  /// null, "balanced" or {"0": w0, "1": w1}).
  Json to_json() const;
  /// Parameters from to_json() output. @throws SerializationError if malformed or invalid.
  static LogisticRegressionParams from_json(const Json& j);
  /// The parameters as keyword options: to_json()'s form with C as a number.
  Json to_options() const;
  /// Parameters from a JSON object naming some of them by field name (the others keep their
  /// defaults), as the Python binding passes its keyword arguments; C may be +infinity.
  /// @throws InvalidArgument for an unknown name or an invalid value, TypeMismatch for a
  ///         value of the wrong JSON type; both name `caller` and the field.
  static LogisticRegressionParams from_options(
      const Json& options, std::string_view caller = "LogisticRegressionParams");
};

/// Binary logistic regression (labels 0 and 1).
///
/// @code
/// churn::linear::LogisticRegressionParams params;
/// params.C = 0.5;
/// churn::linear::LogisticRegression model(params);
/// model.fit(X, y);                        // X: n x p row-major, y: 0/1
/// churn::Vector p1 = model.predict_proba(X);  // P(y = 1) per row
/// model.calibrate(X_val, y_val, churn::metrics::CalibrationMethod::Isotonic);  // optional
/// model.save("model.json");                   // saved with its calibrator
/// @endcode
///
/// Thread safety: the const members (predict*, decision_function, objective, to_json, save,
/// accessors) may run concurrently on one object from any number of threads; fit, calibrate,
/// set_params and set_classes need exclusive access. Distinct objects are independent.
class LogisticRegression {
 public:
  /// An unfitted model. @throws InvalidArgument if `params` is invalid.
  explicit LogisticRegression(LogisticRegressionParams params = {});

  /// Fits the model.
  /// @param X        n x p features; NaN or infinite values are rejected.
  /// @param y        n labels, each exactly 0 or 1, both present with a positive total weight
  ///                 (sample_weight times class_weight).
  /// @param options  sample_weight (n finite weights >= 0 with a positive sum, or empty: all 1)
  ///                 and feature_names (empty, or p names used in messages and saved with the
  ///                 model); an eval_set is rejected.
  /// @return `*this`. Non-convergence is not an error: see converged() and warning().
  ///         A successful fit removes any calibrator (see calibrate()).
  /// @throws InvalidArgument for invalid inputs (the message names the column, row or value);
  ///         Interrupted when a StopScope asks to stop (polled per solver iteration). The
  ///         model is then left unchanged.
  LogisticRegression& fit(const RowMatrixRef& X, const VectorRef& y,
                          const FitOptions& options = {});
  /// Fits on every column of a table (feature_names() = the column names, in order; each
  /// float64 or int64, missing values rejected as NaN). Encode categories first (a
  /// features::Pipeline with one-hot steps). A non-empty options.feature_names must equal the
  /// column names. @throws TypeMismatch naming a column of another type; otherwise as fit().
  LogisticRegression& fit(const data::Table& X, const VectorRef& y, const FitOptions& options = {});

  /// Calibrates the probabilities on held-out data: fits a metrics::Calibrator of `method` on
  /// decision_function(X_holdout) and `y_holdout`. From then on predict_proba() and predict()
  /// use it, and to_json()/save() store it. Calling it again replaces the calibrator; fit()
  /// removes it. The rows must not be those the model was fitted on.
  /// @param X_holdout      held-out rows, n_features() columns, finite.
  /// @param y_holdout      their labels, each 0 or 1.
  /// @param method         Sigmoid (Platt) or Isotonic.
  /// @param sample_weight  n finite weights >= 0, or empty (all 1).
  /// @return `*this`.
  /// @throws NotFittedError before fit; InvalidArgument for invalid inputs, as predict_proba
  ///         and the calibrators' fit (the model is then left unchanged).
  LogisticRegression& calibrate(const RowMatrixRef& X_holdout, const VectorRef& y_holdout,
                                metrics::CalibrationMethod method,
                                const VectorRef& sample_weight = Vector());
  /// Whether calibrate() was called since the last fit (or a calibrated model was loaded).
  bool is_calibrated() const { return calibrator_.has_value(); }
  /// The calibrator. @throws NotFittedError when the model is not calibrated.
  const metrics::Calibrator& calibrator() const;

  /// P(class 1) for each row of `X`: the calibrated probability when the model is calibrated
  /// (the calibrator applied to decision_function(X)), otherwise predict_proba_uncalibrated().
  /// @throws NotFittedError before fit; InvalidArgument for a wrong column count or NaN/infinite
  ///         values (naming the column).
  Vector predict_proba(const RowMatrixRef& X) const;
  /// The model's own P(class 1), `1 / (1 + exp(-decision_function(X)))`, ignoring any
  /// calibrator. @throws as predict_proba.
  Vector predict_proba_uncalibrated(const RowMatrixRef& X) const;
  /// The linear predictor `X w + b` (log-odds) for each row.
  /// @throws as predict_proba.
  Vector decision_function(const RowMatrixRef& X) const;
  /// Class labels (0 or 1): 1 where predict_proba() (calibrated when calibrated) > 0.5.
  /// @throws as predict_proba.
  IntVector predict(const RowMatrixRef& X) const;
  /// decision_function() of the rows of a table: the columns named feature_names(), in the
  /// model's order, as data::Table::numeric_matrix() reads them (other columns are ignored).
  /// @throws NotFittedError before fit; InvalidArgument if the model has no feature names or
  ///         the table lacks one; TypeMismatch for a column that is not float64 or int64.
  Vector decision_function(const data::Table& table) const;
  /// predict_proba() of the rows of a table (see decision_function(table)).
  Vector predict_proba(const data::Table& table) const;

  /// The objective above (scikit-learn's scale) at the given coefficients and intercept.
  /// @throws InvalidArgument for invalid inputs, as fit.
  double objective(const RowMatrixRef& X, const VectorRef& y, const VectorRef& sample_weight,
                   const VectorRef& coef, double intercept) const;

  /// True once fit or load succeeded.
  bool is_fitted() const { return fitted_; }
  /// The hyper-parameters.
  const LogisticRegressionParams& params() const { return params_; }
  /// Replaces the hyper-parameters (the fitted state is kept until the next fit).
  /// @throws InvalidArgument if invalid.
  void set_params(const LogisticRegressionParams& params);

  /// Coefficients (p). @throws NotFittedError before fit.
  const Vector& coef() const;
  /// Intercept (0 without fit_intercept). @throws NotFittedError before fit.
  double intercept() const;
  /// Number of features seen in fit. @throws NotFittedError before fit.
  Index n_features() const;
  /// Feature names given to fit (may be empty).
  const std::vector<std::string>& feature_names() const { return feature_names_; }
  /// Solver iterations used by the last fit.
  int n_iter() const { return n_iter_; }
  /// Whether the last fit met `tol` within `max_iter`.
  bool converged() const { return converged_; }
  /// Why the last fit did not converge (empty when it did).
  const std::string& warning() const { return warning_; }
  /// The solver the last fit used (Auto resolved).
  LogisticSolver solver_used() const { return solver_used_; }
  /// What the targets 0 and 1 stand for (see labels.hpp): `[0, 1]` unless set_classes() was
  /// called; `classes()[1]` is the class predict_proba() gives the probability of.
  Json classes() const;
  /// Sets classes() (before or after fit; fit keeps them); saved with the model.
  /// @throws InvalidArgument unless two distinct labels of one kind (check_class_labels()).
  void set_classes(Json labels);

  /// The model in the churnlib JSON envelope (kind "LogisticRegression"); a calibrated model's
  /// state has a "calibrator" member holding metrics::Calibrator::to_json().
  Json to_json() const;
  /// A model from to_json() output; a state without "calibrator" gives an uncalibrated model.
  /// @throws SerializationError for a damaged or foreign document (including the calibrator).
  static LogisticRegression from_json(const Json& doc);
  /// Writes to_json() to `path` atomically. @throws IOError.
  void save(const std::string& path) const;
  /// Reads a model written by save(). @throws IOError, SerializationError.
  static LogisticRegression load(const std::string& path);

 private:
  void check_fitted(const char* caller) const;
  RowMatrix table_matrix(const data::Table& table, const char* caller) const;
  void check_predict_input(const RowMatrixRef& X, const char* caller) const;

  LogisticRegressionParams params_;
  Vector coef_;
  double intercept_ = 0.0;
  std::vector<std::string> feature_names_;
  int n_iter_ = 0;
  bool converged_ = false;
  bool fitted_ = false;
  std::string warning_;
  LogisticSolver solver_used_ = LogisticSolver::Auto;
  std::optional<metrics::Calibrator> calibrator_;
  std::string classes_json_ = "[0,1]";  ///< classes(), serialized (Json is only declared here)
};

namespace detail {

/// The smooth part of the scaled objective F = (1/S) sum_i s_i logloss_i + l2/2 ||w||^2 and its
/// gradient with respect to theta = [w; b] (exposed for tests). `s` are the final weights.
double logistic_loss_grad(const RowMatrixRef& X, const VectorRef& y, const VectorRef& s,
                          const VectorRef& theta, double l2, bool fit_intercept, int n_threads,
                          Vector& grad);

}  // namespace detail

}  // namespace churn::linear
