// Kernels and solvers of churn::linear::LogisticRegression (see logistic_solvers.hpp).
#include "linear/logistic_solvers.hpp"

#include <Eigen/Cholesky>  // Eigen::LLT, Eigen::LDLT

#include <algorithm>  // std::max, std::min
#include <cmath>      // std::abs, std::sqrt, std::isfinite
#include <deque>      // std::deque
#include <limits>     // std::numeric_limits
#include <sstream>    // std::ostringstream
#include <utility>    // std::move

#include "churn/core/parallel.hpp"
#include "churn/core/stop.hpp"
#include "churn/linear/logistic.hpp"
#include "common/logistic.hpp"

namespace churn::linear {
namespace detail {

namespace {

constexpr double kArmijo = 1e-4;
constexpr double kEps = std::numeric_limits<double>::epsilon();

Index n_rows(const LogisticProblem& prob) {
  return prob.X.rows();
}
Index n_cols(const LogisticProblem& prob) {
  return prob.X.cols();
}

struct LossGrad {
  double loss = 0.0;
  Vector grad;
};

/// sum_i sn_i logloss(y_i, eta_i + t xd_i) (xd may be empty when t == 0).
double loss_along(const LogisticProblem& prob, const Vector& eta, const Vector& xd, double t) {
  const bool move = t != 0.0;
  return parallel_reduce(
      Index{0}, n_rows(prob), kLogisticRowBlock, 0.0,
      [&](Index lo, Index hi) {
        double acc = 0.0;
        for (Index i = lo; i < hi; ++i) {
          const double z = move ? eta[i] + t * xd[i] : eta[i];
          acc += prob.sn[i] * common::logistic_loss(prob.y[i], z);
        }
        return acc;
      },
      [](double a, double b) { return a + b; }, prob.n_threads);
}

/// Penalty value l2/2 ||w||^2 + l1 ||w||_1 at w = theta.head(p).
double penalty_value(const LogisticProblem& prob, const Vector& theta) {
  const auto w = theta.head(n_cols(prob));
  double v = 0.0;
  if (prob.l2 > 0) v += 0.5 * prob.l2 * w.squaredNorm();
  if (prob.l1 > 0) v += prob.l1 * w.lpNorm<1>();
  return v;
}

/// Rows of the Hessian sample: below 2 * kHessianRows rows every row is used (exact Newton);
/// above, every stride-th row, stride = n / kHessianRows (sub-sampled Newton).
constexpr Index kHessianRows = 100000;

Index hessian_stride(Index n) {
  return std::max<Index>(1, n / kHessianRows);
}

/// Hessian of the loss part (without the penalty): X~' diag(hw) X~ with X~ = [X 1], summed over
/// rows 0, stride, 2 stride, ... and scaled by sum(hw) / sum(hw over those rows). With stride 1
/// it is exact; with a larger stride it is an estimate from an evenly spaced, fixed subset of
/// rows, so Newton steps stay cheap for large n while the exact gradient still decides
/// convergence (the optimum is unchanged; only the path to it differs).
RowMatrix loss_hessian(const LogisticProblem& prob, const Vector& hw, Index stride) {
  const Index n = n_rows(prob);
  const Index p = n_cols(prob);
  const Index q = p + 1;
  const Index m = (n + stride - 1) / stride;  // sampled rows: k * stride for k in [0, m)
  // At most ~32 partial matrices whatever m; the block size depends on n only.
  constexpr Index kChunk = 1024;
  Index block = std::max<Index>(4096, (m + 31) / 32);
  block = (block + kChunk - 1) / kChunk * kChunk;
  using ColMatrix = Eigen::MatrixXd;
  struct Partial {
    ColMatrix H;
    double weight = 0.0;
  };
  Partial total = parallel_reduce(
      Index{0}, m, block, Partial{},
      [&](Index lo, Index hi) {
        Partial acc{ColMatrix::Zero(q, q), 0.0};
        RowMatrix Z(kChunk, q);
        for (Index c = lo; c < hi; c += kChunk) {
          const Index len = std::min(kChunk, hi - c);
          if (len != Z.rows()) Z.resize(len, q);
          for (Index k = 0; k < len; ++k) {
            const Index i = (c + k) * stride;
            acc.weight += hw[i];
            const double h = std::sqrt(hw[i]);
            Z.row(k).head(p) = h * prob.X.row(i);
            Z(k, p) = h;
          }
          acc.H.selfadjointView<Eigen::Lower>().rankUpdate(Z.transpose());
        }
        return acc;
      },
      [](Partial a, Partial b) {
        if (a.H.size() == 0) return b;
        a.H.triangularView<Eigen::Lower>() += b.H;
        a.weight += b.weight;
        return a;
      },
      prob.n_threads);
  RowMatrix out = total.H.selfadjointView<Eigen::Lower>();
  if (stride > 1 && total.weight > 0) {
    double all = 0.0;
    for (Index i = 0; i < n; ++i) all += hw[i];
    out *= all / total.weight;
  }
  return out;
}

/// Hessian of the smooth part of F with the l2 term and the intercept handling.
RowMatrix full_hessian(const LogisticProblem& prob, const Vector& hw) {
  const Index p = n_cols(prob);
  RowMatrix H = loss_hessian(prob, hw, hessian_stride(n_rows(prob)));
  if (prob.l2 > 0) H.diagonal().head(p).array() += prob.l2;
  if (!prob.fit_intercept) {
    H.row(p).setZero();
    H.col(p).setZero();
    H(p, p) = 1.0;
  }
  return H;
}

/// Solves H d = -g; falls back to LDLT and then to a small ridge when H is (near) singular.
Vector newton_direction(RowMatrix H, const Vector& g) {
  Eigen::LLT<Eigen::MatrixXd> llt(H);
  if (llt.info() == Eigen::Success) {
    Vector d = -llt.solve(g);
    if (d.allFinite()) return d;
  }
  const double scale = std::max(H.diagonal().cwiseAbs().maxCoeff(), 1e-300);
  for (double ridge = 1e-12; ridge < 1e3; ridge *= 100) {
    RowMatrix Hr = H;
    Hr.diagonal().array() += ridge * scale;
    Eigen::LDLT<Eigen::MatrixXd> ldlt(Hr);
    if (ldlt.info() == Eigen::Success && ldlt.isPositive()) {
      Vector d = -ldlt.solve(g);
      if (d.allFinite()) return d;
    }
  }
  return -g;
}

/// Backtracking Armijo search on F along d (xd = X d_w + d_b). `decrease` is the predicted
/// first-order change (negative). Returns the step, or 0 when no step decreases F.
double line_search(const LogisticProblem& prob, const Vector& theta, const Vector& eta,
                   const Vector& d, const Vector& xd, double f0, double decrease, double t0,
                   double& f_new) {
  double t = t0;
  // Slack for rounding in the sum of n terms, so that steps at the precision limit are taken.
  const double slack = 16 * kEps * std::abs(f0);
  for (int k = 0; k < 60; ++k) {
    const Vector trial = theta + t * d;
    f_new = loss_along(prob, eta, xd, t) + penalty_value(prob, trial);
    if (std::isfinite(f_new) && f_new <= f0 + kArmijo * t * decrease + slack) return t;
    t *= 0.5;
  }
  f_new = f0;
  return 0.0;
}

/// The start of every solver: w = 0 and, with an intercept, b = the weighted log-odds of y
/// (the optimum of the intercept-only model); `eta` is set to match.
Vector initial_theta(const LogisticProblem& prob, Vector& eta) {
  const Index p = n_cols(prob);
  Vector theta = Vector::Zero(p + 1);
  if (prob.fit_intercept) {
    const double ybar = prob.sn.dot(prob.y);  // sn sums to 1
    if (ybar > 0 && ybar < 1) theta[p] = common::logit(ybar);
  }
  eta = Vector::Constant(n_rows(prob), theta[p]);
  return theta;
}

double max_abs(const Vector& v) {
  return v.size() == 0 ? 0.0 : v.cwiseAbs().maxCoeff();
}

std::string no_progress_message(const char* solver, double violation, double tol) {
  std::ostringstream os;
  os << solver << ": the line search found no decrease (precision limit) with gradient "
     << violation << " > tol " << tol;
  return os.str();
}

std::string max_iter_message(const char* solver, int max_iter, double violation, double tol) {
  std::ostringstream os;
  os << solver << ": did not converge in max_iter=" << max_iter << " iterations (gradient "
     << violation << " > tol " << tol << "); increase max_iter, or scale the features";
  return os.str();
}

}  // namespace

void linear_predictor(const RowMatrixRef& X, const Vector& theta, int n_threads, Vector& out) {
  const Index n = X.rows();
  const Index p = X.cols();
  out.resize(n);
  parallel_for_blocks(Index{0}, n, kLogisticRowBlock, n_threads, [&](Index lo, Index hi) {
    auto seg = out.segment(lo, hi - lo);
    seg.noalias() = X.middleRows(lo, hi - lo) * theta.head(p);
    seg.array() += theta[p];
  });
}

void row_scores(const RowMatrixRef& X, const Vector& theta, int n_threads, Vector& out) {
  const Index n = X.rows();
  const Index p = X.cols();
  out.resize(n);
  const double* w = theta.data();
  parallel_for_blocks(Index{0}, n, kLogisticRowBlock, n_threads, [&](Index lo, Index hi) {
    for (Index i = lo; i < hi; ++i) {
      const double* x = X.row(i).data();
      double s[4] = {0.0, 0.0, 0.0, 0.0};
      Index j = 0;
      for (; j + 4 <= p; j += 4)
        for (int k = 0; k < 4; ++k) s[k] += x[j + k] * w[j + k];
      for (int k = 0; j < p; ++j, ++k) s[k] += x[j] * w[j];
      out[i] = ((s[0] + s[1]) + (s[2] + s[3])) + theta[p];
    }
  });
}

double smooth_loss_grad(const LogisticProblem& prob, const Vector& theta, const Vector& eta,
                        Vector& grad, Vector* hess_weights, bool with_loss) {
  if (hess_weights != nullptr) hess_weights->resize(n_rows(prob));
  const Index n = n_rows(prob);
  const Index p = n_cols(prob);
  LossGrad lg = parallel_reduce(
      Index{0}, n, kLogisticRowBlock, LossGrad{0.0, Vector()},
      [&](Index lo, Index hi) {
        const Index len = hi - lo;
        Vector r(len);
        double loss = 0.0;
        for (Index i = 0; i < len; ++i) {
          const double z = eta[lo + i];
          const double s = prob.sn[lo + i];
          const double yi = prob.y[lo + i];
          if (with_loss) loss += s * common::logistic_loss(yi, z);
          const double pr = common::sigmoid(z);
          r[i] = s * (pr - yi);
          if (hess_weights != nullptr) (*hess_weights)[lo + i] = s * pr * (1.0 - pr);
        }
        LossGrad out;
        out.loss = loss;
        out.grad.resize(p + 1);
        out.grad.head(p).noalias() = prob.X.middleRows(lo, len).transpose() * r;
        out.grad[p] = r.sum();
        return out;
      },
      [](LossGrad a, LossGrad b) {
        if (a.grad.size() == 0) return b;
        a.loss += b.loss;
        a.grad += b.grad;
        return a;
      },
      prob.n_threads);
  grad = std::move(lg.grad);
  if (grad.size() == 0) grad = Vector::Zero(p + 1);
  double f = lg.loss;
  if (prob.l2 > 0) {
    f += 0.5 * prob.l2 * theta.head(p).squaredNorm();
    grad.head(p) += prob.l2 * theta.head(p);
  }
  if (!prob.fit_intercept) grad[p] = 0.0;
  return f;
}

SolverResult solve_newton(const LogisticProblem& prob, int max_iter, double tol) {
  SolverResult res;
  Vector eta;
  res.theta = initial_theta(prob, eta);
  Vector g, xd, hw;
  RowMatrix H;
  double f = smooth_loss_grad(prob, res.theta, eta, g, &hw);
  for (int it = 0;; ++it) {
    const double viol = max_abs(g);
    if (viol <= tol) {
      res.converged = true;
      // Polish: one more step with the previous Hessian (a chord step: no new X'WX, which is
      // the expensive part), kept only if it lowers F. Near the optimum it roughly squares the
      // remaining error, so a loose tol still gives an objective at or below scikit-learn's.
      if (H.size() != 0) {
        const Vector d = newton_direction(H, g);
        linear_predictor(prob.X, d, prob.n_threads, xd);
        const double f_new = loss_along(prob, eta, xd, 1.0) + penalty_value(prob, res.theta + d);
        if (f_new < f) res.theta += d;
      }
      break;
    }
    if (it >= max_iter) {
      res.message = max_iter_message("newton", max_iter, viol, tol);
      break;
    }
    poll_stop();
    H = full_hessian(prob, hw);
    const Vector d = newton_direction(H, g);
    linear_predictor(prob.X, d, prob.n_threads, xd);
    double f_new = f;
    const double t = line_search(prob, res.theta, eta, d, xd, f, g.dot(d), 1.0, f_new);
    res.n_iter = it + 1;
    if (t == 0.0) {
      res.message = no_progress_message("newton", viol, tol);
      break;
    }
    res.theta += t * d;
    eta += t * xd;
    // The line search already evaluated F here: the pass needs the gradient only.
    smooth_loss_grad(prob, res.theta, eta, g, &hw, /*with_loss=*/false);
    f = f_new;
  }
  return res;
}

SolverResult solve_lbfgs(const LogisticProblem& prob, int max_iter, double tol) {
  const Index p = n_cols(prob);
  constexpr std::size_t kMemory = 10;
  SolverResult res;
  Vector eta;
  res.theta = initial_theta(prob, eta);
  Vector g, g_new, xd;
  double f = smooth_loss_grad(prob, res.theta, eta, g);
  std::deque<Vector> S, Y;
  std::deque<double> rho;
  for (int it = 0;; ++it) {
    const double viol = max_abs(g);
    if (viol <= tol) {
      res.converged = true;
      break;
    }
    if (it >= max_iter) {
      res.message = max_iter_message("lbfgs", max_iter, viol, tol);
      break;
    }
    poll_stop();
    // Two-loop recursion.
    Vector d = -g;
    std::vector<double> alpha(S.size());
    for (std::size_t k = S.size(); k-- > 0;) {
      alpha[k] = rho[k] * S[k].dot(d);
      d -= alpha[k] * Y[k];
    }
    if (!S.empty()) d *= S.back().dot(Y.back()) / Y.back().squaredNorm();
    for (std::size_t k = 0; k < S.size(); ++k) {
      const double beta = rho[k] * Y[k].dot(d);
      d += (alpha[k] - beta) * S[k];
    }
    if (!prob.fit_intercept) d[p] = 0.0;
    double gd = g.dot(d);
    if (!(gd < 0)) {
      S.clear();
      Y.clear();
      rho.clear();
      d = -g;
      gd = g.dot(d);
    }
    const double t0 = S.empty() ? std::min(1.0, 1.0 / std::max(max_abs(g), 1e-300)) : 1.0;
    linear_predictor(prob.X, d, prob.n_threads, xd);
    double f_new = f;
    const double t = line_search(prob, res.theta, eta, d, xd, f, gd, t0, f_new);
    res.n_iter = it + 1;
    if (t == 0.0) {
      if (!S.empty()) {  // retry once from steepest descent
        S.clear();
        Y.clear();
        rho.clear();
        continue;
      }
      res.message = no_progress_message("lbfgs", viol, tol);
      break;
    }
    Vector step = t * d;
    res.theta += step;
    eta += t * xd;
    smooth_loss_grad(prob, res.theta, eta, g_new, nullptr, /*with_loss=*/false);
    f = f_new;
    Vector yv = g_new - g;
    const double sy = step.dot(yv);
    if (sy > 1e-12 * step.norm() * yv.norm() && sy > 0) {
      if (S.size() == kMemory) {
        S.pop_front();
        Y.pop_front();
        rho.pop_front();
      }
      S.push_back(std::move(step));
      Y.push_back(std::move(yv));
      rho.push_back(1.0 / sy);
    }
    g.swap(g_new);
  }
  return res;
}

namespace {

/// Largest entry of the minimum-norm subgradient of F (the optimality violation).
double subgradient_violation(const LogisticProblem& prob, const Vector& theta, const Vector& g) {
  const Index p = n_cols(prob);
  double v = std::abs(g[p]);
  for (Index j = 0; j < p; ++j) {
    double e;
    if (theta[j] > 0) {
      e = std::abs(g[j] + prob.l1);
    } else if (theta[j] < 0) {
      e = std::abs(g[j] - prob.l1);
    } else {
      e = std::max(std::abs(g[j]) - prob.l1, 0.0);
    }
    v = std::max(v, e);
  }
  return v;
}

/// l1 ||w||_1 (the non-smooth part of F).
double l1_value(const LogisticProblem& prob, const Vector& theta) {
  return prob.l1 > 0 ? prob.l1 * theta.head(n_cols(prob)).lpNorm<1>() : 0.0;
}

double soft_threshold(double z, double a) {
  if (z > a) return z - a;
  if (z < -a) return z + a;
  return 0.0;
}

}  // namespace

SolverResult solve_cd(const LogisticProblem& prob, int max_iter, double tol) {
  const Index p = n_cols(prob);
  const Index q = p + 1;
  SolverResult res;
  Vector eta;
  res.theta = initial_theta(prob, eta);
  Vector g, xd, hw;
  double f = smooth_loss_grad(prob, res.theta, eta, g, &hw) + l1_value(prob, res.theta);
  for (int it = 0;; ++it) {
    const double viol = subgradient_violation(prob, res.theta, g);
    if (viol <= tol) {
      res.converged = true;
      break;
    }
    if (it >= max_iter) {
      res.message = max_iter_message("cd", max_iter, viol, tol);
      break;
    }
    poll_stop();
    const RowMatrix H = full_hessian(prob, hw);
    // Coordinate descent on g.d + 0.5 d'Hd + l1 ||w + d||_1.
    Vector z = res.theta;  // the model's minimiser, built coordinate by coordinate
    Vector Hd = Vector::Zero(q);
    const double inner_tol = std::max(0.01 * viol, 0.1 * tol);
    const int max_cycles = 1000;
    for (int cycle = 0; cycle < max_cycles; ++cycle) {
      poll_stop();  // a cycle costs O(q^2): a clock read is nothing
      double max_change = 0.0;
      for (Index j = 0; j < q; ++j) {
        if (j == p && !prob.fit_intercept) continue;
        const double a = H(j, j);
        if (!(a > 0)) continue;
        const double gj = g[j] + Hd[j];
        const double zj = j == p ? z[j] - gj / a : soft_threshold(z[j] - gj / a, prob.l1 / a);
        const double delta = zj - z[j];
        if (delta != 0.0) {
          z[j] = zj;
          Hd += delta * H.col(j);
          max_change = std::max(max_change, std::abs(delta) * a);
        }
      }
      if (max_change <= inner_tol) break;
    }
    const Vector d = z - res.theta;
    // Predicted first-order change (Tseng and Yun), term by term so that the differences of
    // the L1 norms do not drown in rounding near the optimum.
    double decrease = 0.0;
    for (Index j = 0; j < q; ++j) {
      decrease += g[j] * d[j];
      if (j < p) decrease += prob.l1 * (std::abs(z[j]) - std::abs(res.theta[j]));
    }
    res.n_iter = it + 1;
    if (!(decrease < 0)) {
      res.message = no_progress_message("cd", viol, tol);
      break;
    }
    linear_predictor(prob.X, d, prob.n_threads, xd);
    double f_new = f;
    const double t = line_search(prob, res.theta, eta, d, xd, f, decrease, 1.0, f_new);
    if (t == 0.0) {
      res.message = no_progress_message("cd", viol, tol);
      break;
    }
    if (t == 1.0) {
      res.theta = z;  // exact zeros from the soft-thresholding stay exact
    } else {
      res.theta += t * d;
    }
    eta += t * xd;
    f = smooth_loss_grad(prob, res.theta, eta, g, &hw) + l1_value(prob, res.theta);
  }
  return res;
}

}  // namespace detail
}  // namespace churn::linear
