#pragma once
// Private to src/linear: the kernels and solvers behind churn::linear::LogisticRegression.
//
// All solvers work on the scaled objective
//   F(theta) = sum_i sn_i * logloss(y_i, eta_i) + l2/2 ||w||^2 + l1 ||w||_1,
// theta = [w; b], eta = X w + b, sn = s / sum(s), l2 and l1 divided by C * sum(s): the same
// optimum as scikit-learn's C * sum_i s_i logloss_i + r(w), with gradients of order one.
// Every pass over X goes through fixed row blocks (independent of the thread count) whose results
// are combined in block order, so the fitted coefficients are bit-identical for any n_threads.

#include <string>  // std::string

#include "churn/core/types.hpp"

namespace churn::linear::detail {

/// One fitting problem (the references must outlive it).
struct LogisticProblem {
  const RowMatrixRef& X;  ///< n x p features
  const Vector& y;        ///< n labels 0/1
  const Vector& sn;       ///< n weights summing to 1
  double l1 = 0.0;        ///< L1 strength of the scaled objective
  double l2 = 0.0;        ///< L2 strength of the scaled objective
  bool fit_intercept = true;
  int n_threads = 0;
};

/// What a solver returns.
struct SolverResult {
  Vector theta;  ///< [w; b]
  int n_iter = 0;
  bool converged = false;
  std::string message;  ///< why it did not converge
};

/// Rows per block of the O(n p) passes.
inline constexpr Index kLogisticRowBlock = 4096;

/// out = X theta.head(p) + theta(p), in fixed row blocks.
void linear_predictor(const RowMatrixRef& X, const Vector& theta, int n_threads, Vector& out);
/// The same scores for prediction, each row's sum in one fixed order (four partial sums over
/// the columns j mod 4, added pairwise, then the intercept): a row's score does not depend on
/// the other rows of X (a matrix-vector kernel's order does: one row alone and the same row in
/// a batch could differ in the last bit), on the thread count or on where the row lies.
void row_scores(const RowMatrixRef& X, const Vector& theta, int n_threads, Vector& out);

/// Newton-Raphson with a Cholesky solve (penalty none or l2).
SolverResult solve_newton(const LogisticProblem& prob, int max_iter, double tol);
/// L-BFGS with a backtracking line search (penalty none or l2).
SolverResult solve_lbfgs(const LogisticProblem& prob, int max_iter, double tol);
/// Proximal Newton with coordinate descent on the quadratic model (any penalty).
SolverResult solve_cd(const LogisticProblem& prob, int max_iter, double tol);

/// Smooth part of F (loss + l2 term) and its gradient at theta, given eta = X w + b; with
/// `hess_weights`, also the n weights sn_i p_i (1 - p_i) of the loss Hessian X~' diag(.) X~.
/// Without `with_loss` the returned value holds the l2 term only (the caller knows the loss).
double smooth_loss_grad(const LogisticProblem& prob, const Vector& theta, const Vector& eta,
                        Vector& grad, Vector* hess_weights = nullptr, bool with_loss = true);

}  // namespace churn::linear::detail
