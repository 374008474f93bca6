// churn::linear::LogisticRegression: parameters, input checks, solver dispatch, prediction, JSON.
#include "churn/linear/logistic.hpp"

#include <cmath>    // std::isfinite, std::isnan, std::isinf
#include <cstdint>  // std::int64_t, std::uint64_t
#include <limits>   // std::numeric_limits
#include <utility>  // std::move

#include "churn/core/error.hpp"
#include "churn/core/parallel.hpp"
#include "common/checks.hpp"
#include "common/enum_names.hpp"
#include "common/json.hpp"
#include "common/logistic.hpp"
#include "common/params.hpp"
#include "linear/logistic_solvers.hpp"

namespace churn::linear {

using common::json_check_members;
using common::json_get;
using common::json_get_int;
using common::make_envelope;
using common::open_envelope;

namespace {

constexpr const char* kKind = "LogisticRegression";
constexpr Index kFeatureLimitNewton = 500;

}  // namespace

namespace {

/// The penalty names of scikit-learn's LogisticRegression ("none" for its None).
constexpr common::EnumName<Penalty> kPenaltyNames[] = {{Penalty::None, "none"},
                                                       {Penalty::L2, "l2"},
                                                       {Penalty::L1, "l1"},
                                                       {Penalty::ElasticNet, "elasticnet"}};

constexpr common::EnumName<LogisticSolver> kSolverNames[] = {{LogisticSolver::Auto, "auto"},
                                                             {LogisticSolver::Newton, "newton"},
                                                             {LogisticSolver::Lbfgs, "lbfgs"},
                                                             {LogisticSolver::Cd, "cd"}};

/// The class_weight modes written as a string. The others are not names: None is JSON null
/// and Custom a {"0": w0, "1": w1} object.
constexpr common::EnumName<ClassWeightMode> kClassWeightNames[] = {
    {ClassWeightMode::Balanced, "balanced"}};

}  // namespace

const char* penalty_name(Penalty p) {
  return common::enum_name(kPenaltyNames, p);
}

Penalty penalty_from_name(const std::string& name) {
  return common::enum_from_name(kPenaltyNames, name, "LogisticRegressionParams", "penalty");
}

const char* solver_name(LogisticSolver s) {
  return common::enum_name(kSolverNames, s);
}

LogisticSolver solver_from_name(const std::string& name) {
  return common::enum_from_name(kSolverNames, name, "LogisticRegressionParams", "solver");
}

// ---- parameters -------------------------------------------------------------------------------

void LogisticRegressionParams::validate() const {
  const char* who = "LogisticRegressionParams";
  CHURN_CHECK(C > 0, InvalidArgument, who << ": C must be > 0 (or +inf), got " << C);
  CHURN_CHECK(l1_ratio >= 0 && l1_ratio <= 1, InvalidArgument,
              who << ": l1_ratio must be in [0, 1], got " << l1_ratio);
  CHURN_CHECK(max_iter >= 1, InvalidArgument, who << ": max_iter must be >= 1, got " << max_iter);
  CHURN_CHECK(tol > 0 && std::isfinite(tol), InvalidArgument,
              who << ": tol must be finite and > 0, got " << tol);
  CHURN_CHECK(std::isfinite(class_weight_0) && class_weight_0 >= 0, InvalidArgument,
              who << ": class_weight_0 must be finite and >= 0, got " << class_weight_0);
  CHURN_CHECK(std::isfinite(class_weight_1) && class_weight_1 >= 0, InvalidArgument,
              who << ": class_weight_1 must be finite and >= 0, got " << class_weight_1);
  check_n_threads(n_threads, who);
  const bool has_l1 = penalty == Penalty::L1 || penalty == Penalty::ElasticNet;
  CHURN_CHECK(!(has_l1 && (solver == LogisticSolver::Newton || solver == LogisticSolver::Lbfgs)),
              InvalidArgument,
              who << ": solver '" << solver_name(solver) << "' supports penalty 'none' and 'l2' "
                  << "only, got penalty '" << penalty_name(penalty) << "'; use 'cd' or 'auto'");
}

namespace {

/// class_weight's three JSON forms: null (None), "balanced", or {"0": w0, "1": w1} (Custom;
/// both weights required). It spans three fields, so the codec reads and writes the struct.
struct ClassWeightCodec {
  static constexpr bool optional = false;
  Json write(const LogisticRegressionParams& p, common::ParamSource /*target*/) const {
    switch (p.class_weight) {
      case ClassWeightMode::None: return nullptr;
      case ClassWeightMode::Balanced: return common::enum_name(kClassWeightNames, p.class_weight);
      case ClassWeightMode::Custom: return Json{{"0", p.class_weight_0}, {"1", p.class_weight_1}};
    }
    return nullptr;
  }
  void read(const Json& v, LogisticRegressionParams& p, common::ParamSource /*source*/) const {
    const char* forms = "must be null, \"balanced\" or an object {\"0\": w0, \"1\": w1}";
    if (v.is_null()) {
      p.class_weight = ClassWeightMode::None;
    } else if (v.is_string()) {
      const auto* mode = common::enum_find(kClassWeightNames, v.get<std::string>());
      CHURN_CHECK(mode, InvalidArgument, forms << ", got " << v.dump());
      p.class_weight = *mode;
    } else {
      CHURN_CHECK(v.is_object(), TypeMismatch, forms << ", got " << v.dump());
      for (auto it = v.begin(); it != v.end(); ++it)
        CHURN_CHECK(it.key() == "0" || it.key() == "1", InvalidArgument,
                    "keys must be the classes 0 and 1, got '" << it.key() << "'");
      for (const char* key : {"0", "1"}) {
        const auto it = v.find(key);
        CHURN_CHECK(it != v.end(), InvalidArgument, "needs the weight of class " << key);
        CHURN_CHECK(it->is_number(), TypeMismatch,
                    "weights must be numbers, got " << it->dump() << " for class " << key);
      }
      p.class_weight = ClassWeightMode::Custom;
      p.class_weight_0 = v["0"].get<double>();
      p.class_weight_1 = v["1"].get<double>();
    }
  }
};

/// Every parameter, once: the one list to_json, from_json, to_options and from_options use.
template <class P, class F>
void visit_params(P& p, F&& f) {
  f("penalty", p.penalty, penalty_name, penalty_from_name);
  f("C", p.C, common::DoubleCodec{});
  f("l1_ratio", p.l1_ratio);
  f("fit_intercept", p.fit_intercept);
  f("max_iter", p.max_iter);
  f("tol", p.tol);
  f("class_weight", p, ClassWeightCodec{});
  f("solver", p.solver, solver_name, solver_from_name);
  f("n_threads", p.n_threads);
}

/// visit_params as a functor, for common::read_params / write_params.
constexpr auto kVisit = [](auto& p, auto& f) { visit_params(p, f); };

}  // namespace

Json LogisticRegressionParams::to_json() const {
  return common::write_params(*this, common::ParamSource::File, kVisit);
}

Json LogisticRegressionParams::to_options() const {
  return common::write_params(*this, common::ParamSource::Options, kVisit);
}

LogisticRegressionParams LogisticRegressionParams::from_json(const Json& j) {
  return common::read_params<LogisticRegressionParams>(j, common::ParamSource::File,
                                                       "load(LogisticRegression) params", kVisit);
}

LogisticRegressionParams LogisticRegressionParams::from_options(const Json& options,
                                                                std::string_view caller) {
  return common::read_params<LogisticRegressionParams>(options, common::ParamSource::Options,
                                                       caller, kVisit);
}

// ---- model ------------------------------------------------------------------------------------

LogisticRegression::LogisticRegression(LogisticRegressionParams params)
    : params_(std::move(params)) {
  params_.validate();
}

void LogisticRegression::set_params(const LogisticRegressionParams& params) {
  params.validate();
  params_ = params;
}

void LogisticRegression::check_fitted(const char* caller) const {
  CHURN_CHECK(fitted_, NotFittedError,
              caller << ": this LogisticRegression is not fitted yet; call fit() first");
}

const Vector& LogisticRegression::coef() const {
  check_fitted("LogisticRegression::coef()");
  return coef_;
}

double LogisticRegression::intercept() const {
  check_fitted("LogisticRegression::intercept()");
  return intercept_;
}

Index LogisticRegression::n_features() const {
  check_fitted("LogisticRegression::n_features()");
  return coef_.size();
}

namespace {

/// Checks y and the weights and returns s_i = sample_weight_i * class_weight[y_i].
Vector final_weights(const LogisticRegressionParams& params, const RowMatrixRef& X,
                     const VectorRef& y, const VectorRef& sample_weight, const char* caller) {
  const Index n = X.rows();
  CHURN_CHECK(n >= 1, InvalidArgument, caller << ": X has no rows");
  CHURN_CHECK(X.cols() >= 1, InvalidArgument, caller << ": X has no columns");
  CHURN_CHECK(y.size() == n, InvalidArgument,
              caller << ": y has " << y.size() << " entries but X has " << n << " rows");
  // A single class in y is an error, and so is a class whose rows all weigh 0 (the trees'
  // rule: a fit that cannot see one class would predict the other everywhere).
  const Index n1 = common::check_binary_labels(y, caller, "y", false, params.n_threads);
  CHURN_CHECK(
      n1 > 0 && n1 < n, InvalidArgument,
      caller << ": y holds a single class (" << (n1 > 0 ? 1 : 0) << "); both 0 and 1 are needed");
  Vector s = Vector::Ones(n);
  if (sample_weight.size() != 0) {
    common::check_sample_weight(sample_weight, n, caller, "sample_weight", params.n_threads);
    s = sample_weight;
  }
  double cw0 = 1.0, cw1 = 1.0;
  if (params.class_weight == ClassWeightMode::Balanced) {
    double sum0 = 0.0, sum1 = 0.0;
    for (Index i = 0; i < n; ++i) (y[i] == 1.0 ? sum1 : sum0) += s[i];
    CHURN_CHECK(sum0 > 0 && sum1 > 0, InvalidArgument,
                caller << ": class_weight 'balanced' needs a positive total weight in each class");
    cw0 = (sum0 + sum1) / (2.0 * sum0);
    cw1 = (sum0 + sum1) / (2.0 * sum1);
  } else if (params.class_weight == ClassWeightMode::Custom) {
    cw0 = params.class_weight_0;
    cw1 = params.class_weight_1;
  }
  if (cw0 != 1.0 || cw1 != 1.0) {
    for (Index i = 0; i < n; ++i) s[i] *= y[i] == 1.0 ? cw1 : cw0;
  }
  const double total = s.sum();
  CHURN_CHECK(total > 0 && std::isfinite(total), InvalidArgument,
              caller << ": the weights sum to " << total << "; a positive finite sum is needed");
  double w0 = 0.0, w1 = 0.0;
  for (Index i = 0; i < n; ++i) (y[i] == 1.0 ? w1 : w0) += s[i];
  CHURN_CHECK(w0 > 0 && w1 > 0, InvalidArgument,
              caller << ": y must hold both classes 0 and 1 (with positive weight)");
  return s;
}

/// l1 and l2 strengths of the scaled objective.
void penalty_strengths(const LogisticRegressionParams& params, double total, double& l1,
                       double& l2) {
  l1 = l2 = 0.0;
  if (std::isinf(params.C)) return;
  const double scale = 1.0 / (params.C * total);
  switch (params.penalty) {
    case Penalty::None: break;
    case Penalty::L2: l2 = scale; break;
    case Penalty::L1: l1 = scale; break;
    case Penalty::ElasticNet:
      l1 = params.l1_ratio * scale;
      l2 = (1.0 - params.l1_ratio) * scale;
      break;
  }
}

}  // namespace

LogisticRegression& LogisticRegression::fit(const data::Table& X, const VectorRef& y,
                                            const FitOptions& options) {
  const char* caller = "LogisticRegression::fit(table)";
  const std::vector<std::string> names = X.column_names();
  CHURN_CHECK(options.feature_names.empty() || options.feature_names == names, InvalidArgument,
              caller << ": feature_names must be empty or equal the table's column names");
  FitOptions named = options;
  named.feature_names = names;
  return fit(X.numeric_matrix(names, caller, params_.n_threads), y, named);
}

LogisticRegression& LogisticRegression::fit(const RowMatrixRef& X, const VectorRef& y,
                                            const FitOptions& options) {
  const char* caller = "LogisticRegression::fit()";
  const Vector& sample_weight = options.sample_weight;
  const std::vector<std::string>& feature_names = options.feature_names;
  CHURN_CHECK(!options.eval_set, InvalidArgument,
              caller << ": logistic regression takes no evaluation set");
  params_.validate();
  CHURN_CHECK(feature_names.empty() || static_cast<Index>(feature_names.size()) == X.cols(),
              InvalidArgument,
              caller << ": feature_names has " << feature_names.size() << " names but X has "
                     << X.cols() << " columns");
  const Vector s = final_weights(params_, X, y, sample_weight, caller);
  common::check_finite_matrix(X, feature_names, caller, params_.n_threads);

  const double total = s.sum();
  const Vector sn = s / total;
  const Vector yv = y;
  detail::LogisticProblem prob{X, yv, sn};
  penalty_strengths(params_, total, prob.l1, prob.l2);
  prob.fit_intercept = params_.fit_intercept;
  prob.n_threads = params_.n_threads;

  LogisticSolver solver = params_.solver;
  if (solver == LogisticSolver::Auto) {
    if (prob.l1 > 0) {
      solver = LogisticSolver::Cd;
    } else {
      solver = X.cols() <= kFeatureLimitNewton ? LogisticSolver::Newton : LogisticSolver::Lbfgs;
    }
  }
  detail::SolverResult res;
  switch (solver) {
    case LogisticSolver::Newton:
      res = detail::solve_newton(prob, params_.max_iter, params_.tol);
      break;
    case LogisticSolver::Lbfgs:
      res = detail::solve_lbfgs(prob, params_.max_iter, params_.tol);
      break;
    default: res = detail::solve_cd(prob, params_.max_iter, params_.tol); break;
  }
  const Index p = X.cols();
  coef_ = res.theta.head(p);
  intercept_ = params_.fit_intercept ? res.theta[p] : 0.0;
  feature_names_ = feature_names;
  n_iter_ = res.n_iter;
  converged_ = res.converged;
  warning_ = res.converged ? std::string() : "LogisticRegression: " + res.message;
  solver_used_ = solver;
  fitted_ = true;
  calibrator_.reset();  // it calibrated the previous coefficients
  return *this;
}

void LogisticRegression::check_predict_input(const RowMatrixRef& X, const char* caller) const {
  check_fitted(caller);
  CHURN_CHECK(X.cols() == coef_.size(), InvalidArgument,
              caller << ": X has " << X.cols() << " columns but the model was fitted with "
                     << coef_.size());
}

Vector LogisticRegression::decision_function(const RowMatrixRef& X) const {
  const char* caller = "LogisticRegression::decision_function()";
  check_predict_input(X, caller);
  const Index p = coef_.size();
  Vector theta(p + 1);
  theta.head(p) = coef_;
  theta[p] = intercept_;
  Vector eta;
  detail::row_scores(X, theta, params_.n_threads, eta);
  // NaN in X gives NaN here (0 * NaN = NaN), infinities give +-inf or NaN: find the column.
  if (!eta.allFinite()) common::check_finite_matrix(X, feature_names_, caller, params_.n_threads);
  return eta;
}

LogisticRegression& LogisticRegression::calibrate(const RowMatrixRef& X_holdout,
                                                  const VectorRef& y_holdout,
                                                  metrics::CalibrationMethod method,
                                                  const VectorRef& sample_weight) {
  const char* caller = "LogisticRegression::calibrate()";
  check_predict_input(X_holdout, caller);
  CHURN_CHECK(y_holdout.size() == X_holdout.rows(), InvalidArgument,
              caller << ": y_holdout has " << y_holdout.size() << " entries but X_holdout has "
                     << X_holdout.rows() << " rows");
  CHURN_CHECK(sample_weight.size() == 0 || sample_weight.size() == X_holdout.rows(),
              InvalidArgument,
              caller << ": sample_weight has " << sample_weight.size()
                     << " entries but X_holdout has " << X_holdout.rows() << " rows");
  const Vector scores = decision_function(X_holdout);
  calibrator_ = metrics::Calibrator::fit(method, scores, y_holdout, sample_weight);
  return *this;
}

const metrics::Calibrator& LogisticRegression::calibrator() const {
  CHURN_CHECK(calibrator_.has_value(), NotFittedError,
              "LogisticRegression::calibrator(): the model is not calibrated; call calibrate()");
  return *calibrator_;
}

RowMatrix LogisticRegression::table_matrix(const data::Table& table, const char* caller) const {
  check_fitted(caller);
  CHURN_CHECK(static_cast<Index>(feature_names_.size()) == coef_.size(), InvalidArgument,
              caller << ": the model has no feature names (fit it with feature_names, or on a "
                        "table) to find its columns in a table");
  return table.numeric_matrix(feature_names_, caller, params_.n_threads);
}

Vector LogisticRegression::decision_function(const data::Table& table) const {
  return decision_function(table_matrix(table, "LogisticRegression::decision_function(table)"));
}

Vector LogisticRegression::predict_proba(const data::Table& table) const {
  // the same input step as decision_function(table), named so in errors
  return predict_proba(table_matrix(table, "LogisticRegression::decision_function(table)"));
}

Vector LogisticRegression::predict_proba(const RowMatrixRef& X) const {
  if (calibrator_) return calibrator_->transform(decision_function(X));
  return predict_proba_uncalibrated(X);
}

Vector LogisticRegression::predict_proba_uncalibrated(const RowMatrixRef& X) const {
  Vector eta = decision_function(X);
  for (Index i = 0; i < eta.size(); ++i) eta[i] = common::sigmoid(eta[i]);
  return eta;
}

IntVector LogisticRegression::predict(const RowMatrixRef& X) const {
  const Vector p = predict_proba(X);
  IntVector out(p.size());
  for (Index i = 0; i < p.size(); ++i) out[i] = p[i] > 0.5 ? 1 : 0;
  return out;
}

double LogisticRegression::objective(const RowMatrixRef& X, const VectorRef& y,
                                     const VectorRef& sample_weight, const VectorRef& coef,
                                     double intercept) const {
  const char* caller = "LogisticRegression::objective()";
  CHURN_CHECK(
      coef.size() == X.cols(), InvalidArgument,
      caller << ": coef has " << coef.size() << " entries but X has " << X.cols() << " columns");
  const Vector s = final_weights(params_, X, y, sample_weight, caller);
  const Index p = X.cols();
  Vector theta(p + 1);
  theta.head(p) = coef;
  theta[p] = params_.fit_intercept ? intercept : 0.0;
  Vector eta;
  detail::linear_predictor(X, theta, params_.n_threads, eta);
  double loss = 0.0;
  for (Index i = 0; i < eta.size(); ++i) {
    loss += s[i] * common::logistic_loss(y[i], eta[i]);
  }
  if (std::isinf(params_.C)) return loss;  // no penalty; the scale C is then meaningless
  double pen = 0.0;
  const double l2 = coef.squaredNorm(), l1 = coef.lpNorm<1>();
  switch (params_.penalty) {
    case Penalty::None: break;
    case Penalty::L2: pen = 0.5 * l2; break;
    case Penalty::L1: pen = l1; break;
    case Penalty::ElasticNet:
      pen = params_.l1_ratio * l1 + 0.5 * (1.0 - params_.l1_ratio) * l2;
      break;
  }
  return params_.C * loss + pen;
}

double detail::logistic_loss_grad(const RowMatrixRef& X, const VectorRef& y, const VectorRef& s,
                                  const VectorRef& theta, double l2, bool fit_intercept,
                                  int n_threads, Vector& grad) {
  const Vector yv = y;
  const Vector sn = s / s.sum();
  LogisticProblem prob{X, yv, sn};
  prob.l2 = l2;
  prob.fit_intercept = fit_intercept;
  prob.n_threads = n_threads;
  const Vector th = theta;
  Vector eta;
  linear_predictor(X, th, n_threads, eta);
  return smooth_loss_grad(prob, th, eta, grad);
}

// ---- JSON -------------------------------------------------------------------------------------

Json LogisticRegression::to_json() const {
  check_fitted("LogisticRegression::to_json()");
  Json state = Json::object();
  state["n_features"] = coef_.size();
  state["coef"] = std::vector<double>(coef_.data(), coef_.data() + coef_.size());
  state["intercept"] = intercept_;
  state["feature_names"] = feature_names_;
  state["n_iter"] = n_iter_;
  state["converged"] = converged_;
  state["solver_used"] = solver_name(solver_used_);
  if (calibrator_) state["calibrator"] = calibrator_->to_json();
  state["classes"] = classes();
  return make_envelope(kKind, params_.to_json(), std::move(state));
}

LogisticRegression LogisticRegression::from_json(const Json& doc) {
  const Json& env = open_envelope(doc, kKind);
  const char* where = "load(LogisticRegression) state";
  LogisticRegression m(LogisticRegressionParams::from_json(
      json_get<Json>(env, "params", "load(LogisticRegression)")));
  const Json state = json_get<Json>(env, "state", "load(LogisticRegression)");
  // a member this version does not know: a newer churnlib's file, or a damaged one
  json_check_members(state,
                     {"n_features", "coef", "intercept", "feature_names", "n_iter", "converged",
                      "solver_used", "calibrator", "classes"},
                     where);
  const auto n_features = json_get_int<Index>(state, "n_features", where);
  const auto coef = json_get<std::vector<double>>(state, "coef", where);
  CHURN_CHECK(n_features >= 1 && static_cast<Index>(coef.size()) == n_features, SerializationError,
              where << ": coef has " << coef.size() << " entries but n_features is " << n_features);
  const auto intercept = json_get<double>(state, "intercept", where);
  for (double c : coef) {
    CHURN_CHECK(std::isfinite(c), SerializationError, where << ": coef holds a non-finite value");
  }
  CHURN_CHECK(std::isfinite(intercept), SerializationError, where << ": intercept is not finite");
  auto names = json_get<std::vector<std::string>>(state, "feature_names", where);
  CHURN_CHECK(names.empty() || static_cast<Index>(names.size()) == n_features, SerializationError,
              where << ": feature_names has " << names.size() << " names for " << n_features
                    << " features");
  m.coef_ = Eigen::Map<const Vector>(coef.data(), n_features);
  m.intercept_ = intercept;
  m.feature_names_ = std::move(names);
  m.n_iter_ = json_get_int<int>(state, "n_iter", where);
  CHURN_CHECK(m.n_iter_ >= 0, SerializationError,
              where << ": n_iter must be >= 0, got " << m.n_iter_);
  m.converged_ = json_get<bool>(state, "converged", where);
  m.solver_used_ = common::enum_from_json(kSolverNames, state, "solver_used", where);
  if (state.contains("calibrator")) {  // absent in uncalibrated models and older files
    try {
      m.calibrator_ = metrics::Calibrator::from_json(state["calibrator"]);
    } catch (const SerializationError& e) {
      CHURN_THROW(SerializationError, where << ": calibrator: " << e.what());
    }
  }
  m.classes_json_ = class_labels_from_json(state, "classes", where).dump();
  m.fitted_ = true;
  return m;
}

void LogisticRegression::set_classes(Json labels) {
  check_class_labels(labels, "LogisticRegression::set_classes()");
  classes_json_ = labels.dump();
}

void LogisticRegression::save(const std::string& path) const {
  save_json_file(to_json(), path);
}

LogisticRegression LogisticRegression::load(const std::string& path) {
  return from_json(load_json_file(path));
}

Json LogisticRegression::classes() const {
  return Json::parse(classes_json_);
}

}  // namespace churn::linear
