// PcaDrift: the reconstruction error of a batch under the principal components of the
// reference, with a threshold from the reference's held-out half (see multivariate.hpp).
#include <Eigen/Eigenvalues>  // Eigen::SelfAdjointEigenSolver

#include <algorithm>  // std::min, std::max
#include <cmath>      // std::sqrt, std::isnan
#include <string>     // std::string
#include <utility>    // std::move
#include <vector>     // std::vector

#include <nlohmann/json.hpp>

#include "churn/core/error.hpp"
#include "churn/core/parallel.hpp"
#include "churn/core/random.hpp"
#include "churn/core/stop.hpp"
#include "churn/monitor/multivariate.hpp"
#include "common/json.hpp"
#include "common/normal.hpp"
#include "monitor/multivariate_detail.hpp"

namespace churn::monitor {

namespace {

using data::Column;
using data::Table;

constexpr const char* kFit = "PcaDrift::fit()";
constexpr Index kBlock = 4096;  // rows per block of the covariance and of the errors

/// The rows at `rows` of `E`.
RowMatrix take_rows(const RowMatrix& E, const std::vector<Index>& rows) {
  RowMatrix out(static_cast<Index>(rows.size()), E.cols());
  for (std::size_t i = 0; i < rows.size(); ++i) out.row(static_cast<Index>(i)) = E.row(rows[i]);
  return out;
}

/// Z^T Z / (n - 1) of standardised rows, summed in fixed blocks in block order (the same for
/// any thread count).
RowMatrix covariance(const RowMatrix& Z, int n_threads) {
  const Index p = Z.cols();
  RowMatrix sum = parallel_reduce(
      0, Z.rows(), kBlock, RowMatrix(RowMatrix::Zero(p, p)),
      [&](Index lo, Index hi) {
        RowMatrix c = RowMatrix::Zero(p, p);
        for (Index i = lo; i < hi; ++i)
          for (Index a = 0; a < p; ++a) {
            const double za = Z(i, a);
            for (Index b = 0; b <= a; ++b) c(a, b) += za * Z(i, b);
          }
        return c;
      },
      [](RowMatrix acc, const RowMatrix& c) { return RowMatrix(acc + c); }, n_threads);
  for (Index a = 0; a < p; ++a)
    for (Index b = 0; b < a; ++b) sum(b, a) = sum(a, b);
  return sum / static_cast<double>(Z.rows() - 1);
}

/// scikit-learn's choice for `PCA(n_components=variance)`: 1 + the number of cumulative
/// explained-variance shares <= variance, at most p.
int components_for(const Vector& eigenvalues, double variance) {
  const double total = eigenvalues.sum();
  if (!(total > 0)) return 1;
  double cum = 0;
  int k = 0;
  for (Index i = 0; i < eigenvalues.size(); ++i) {
    cum += eigenvalues(i) / total;
    if (cum <= variance) ++k;
  }
  return std::min(k + 1, static_cast<int>(eigenvalues.size()));
}

double mean_of(const Vector& v) {
  return v.size() > 0 ? v.sum() / static_cast<double>(v.size()) : 0;
}

}  // namespace

PcaDrift::PcaDrift(PcaDriftParams params) : params_(params) {
  params_.validate();
}

void PcaDrift::check_fitted(const char* caller) const {
  CHURN_CHECK(fitted_, NotFittedError, caller << ": this PcaDrift is not fitted yet; call fit()");
}

RowMatrix PcaDrift::encode(const Table& table, const char* caller) const {
  CHURN_CHECK(table.num_rows() > 0, InvalidArgument, caller << ": the table has no rows");
  RowMatrix E(table.num_rows(), static_cast<Index>(names_.size()));
  for (std::size_t j = 0; j < names_.size(); ++j) {
    poll_stop();
    const Column& c = detail::mv_column(table, names_[j], categorical_[j] != 0, caller);
    const auto col = static_cast<Index>(j);
    if (categorical_[j] == 0) {
      std::vector<double> buf;
      const double* x = detail::mv_numeric(c, buf, caller);
      for (Index i = 0; i < E.rows(); ++i) E(i, col) = std::isnan(x[i]) ? fill_[j] : x[i];
      continue;
    }
    detail::LabelCoder coder;
    for (const auto& label : categories_[j]) coder.code(label, true);
    const auto codes = detail::label_codes(c, coder, false);
    for (Index i = 0; i < E.rows(); ++i) {
      const std::int32_t k = codes[static_cast<std::size_t>(i)];
      E(i, col) = k >= 0 ? frequencies_[j][static_cast<std::size_t>(k)]
                         : (k == -1 ? missing_frequency_[j] : 0.0);
    }
  }
  return E;
}

namespace {

/// Per-row reconstruction errors of encoded rows `E` (see PcaDrift::errors).
Vector row_errors(const RowMatrix& E, const Vector& mean, const Vector& scale,
                  const RowMatrix& components, int n_threads) {
  Vector err(E.rows());
  parallel_for_blocks(0, E.rows(), kBlock, n_threads, [&](Index lo, Index hi) {
    Vector z(E.cols());
    for (Index i = lo; i < hi; ++i) {
      z = (E.row(i).transpose() - mean).cwiseQuotient(scale);
      const Vector proj = components * z;
      err(i) = (z - components.transpose() * proj).norm();
    }
  });
  return err;
}

}  // namespace

Vector PcaDrift::errors(const Table& table) const {
  check_fitted("PcaDrift::errors()");
  return row_errors(encode(table, "PcaDrift::errors()"), mean_, scale_, components_,
                    params_.n_threads);
}

void PcaDrift::fit_encoding(const Table& reference, const std::vector<Index>& fit_rows) {
  const auto n_fit = static_cast<double>(fit_rows.size());
  for (const auto& c : reference.columns()) {
    poll_stop();
    const bool cat = detail::mv_is_categorical(c, kFit);
    categorical_.push_back(cat ? 1 : 0);
    fill_.push_back(0.0);
    categories_.emplace_back();
    frequencies_.emplace_back();
    missing_frequency_.push_back(0.0);
    if (!cat) {
      std::vector<double> buf;
      const double* x = detail::mv_numeric(c, buf, kFit);
      double sum = 0;
      Index count = 0;
      for (Index i : fit_rows) {
        if (std::isnan(x[i])) continue;
        sum += x[i];
        ++count;
      }
      fill_.back() = count > 0 ? sum / static_cast<double>(count) : 0.0;
      continue;
    }
    detail::LabelCoder coder;
    const auto codes = detail::label_codes(c, coder, true);
    std::vector<Index> counts(coder.labels.size(), 0);
    Index missing = 0;
    for (Index i : fit_rows) {
      const std::int32_t k = codes[static_cast<std::size_t>(i)];
      if (k < 0)
        ++missing;
      else
        ++counts[static_cast<std::size_t>(k)];
    }
    for (std::size_t k = 0; k < counts.size(); ++k) {
      if (counts[k] == 0) continue;  // seen only in the held-out half: unseen, as later
      categories_.back().push_back(coder.labels[k]);
      frequencies_.back().push_back(static_cast<double>(counts[k]) / n_fit);
    }
    missing_frequency_.back() = static_cast<double>(missing) / n_fit;
  }
}

void PcaDrift::fit_components(const RowMatrix& E, const std::vector<Index>& fit_rows,
                              const std::vector<Index>& held_out) {
  const RowMatrix E_fit = take_rows(E, fit_rows);
  const auto n_fit = static_cast<double>(fit_rows.size());
  mean_ = E_fit.colwise().mean().transpose();
  const RowMatrix centred = E_fit.rowwise() - mean_.transpose();
  scale_ = (centred.colwise().squaredNorm() / n_fit).cwiseSqrt().transpose();
  for (Index j = 0; j < scale_.size(); ++j)
    if (!(scale_(j) > 0)) scale_(j) = 1.0;  // a constant column is only centred
  const RowMatrix Z = centred.array().rowwise() / scale_.transpose().array();
  poll_stop();
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(covariance(Z, params_.n_threads));
  const Index p = Z.cols();
  const Vector values = eig.eigenvalues().reverse().cwiseMax(0.0);
  const int k = components_for(values, params_.variance);
  components_.resize(k, p);
  for (int c = 0; c < k; ++c) {
    Vector v = eig.eigenvectors().col(p - 1 - c);
    Index arg = 0;
    v.cwiseAbs().maxCoeff(&arg);
    if (v(arg) < 0) v = -v;  // sign: the largest |entry| positive
    components_.row(c) = v.transpose();
  }
  explained_variance_ = values.head(k);
  const Vector err =
      row_errors(take_rows(E, held_out), mean_, scale_, components_, params_.n_threads);
  n_holdout_ = err.size();
  reference_error_ = mean_of(err);
  reference_error_std_ = n_holdout_ > 1
                             ? std::sqrt((err.array() - reference_error_).square().sum() /
                                         static_cast<double>(n_holdout_ - 1))
                             : 0.0;
}

std::vector<Index> PcaDrift::fit_half(Index n, std::uint64_t seed) {
  CHURN_CHECK(n >= 0, InvalidArgument, "PcaDrift::fit_half(): n must be >= 0, got " << n);
  return detail::sample_rows(n, (n + 1) / 2, seed);
}

PcaDrift& PcaDrift::fit(const Table& reference) {
  const Index n = reference.num_rows();
  CHURN_CHECK(reference.num_columns() > 0, InvalidArgument, kFit << ": reference has no columns");
  CHURN_CHECK(n >= 4, InvalidArgument,
              kFit << ": reference needs at least 4 rows (two halves of 2), got " << n);
  // the seeded halves: fit on `fit_rows`, measure the errors on `held_out`
  const std::vector<Index> fit_rows = fit_half(n, params_.seed);
  std::vector<Index> held_out;
  for (Index i = 0, f = 0; i < n; ++i) {
    if (f < static_cast<Index>(fit_rows.size()) && fit_rows[static_cast<std::size_t>(f)] == i)
      ++f;
    else
      held_out.push_back(i);
  }
  PcaDrift next(params_);
  next.names_ = reference.column_names();
  next.fit_encoding(reference, fit_rows);
  next.fit_components(next.encode(reference, kFit), fit_rows, held_out);
  next.fitted_ = true;
  *this = std::move(next);
  return *this;
}

PcaDriftResult PcaDrift::compare(const Table& current) const {
  check_fitted("PcaDrift::compare()");
  return compare_errors(row_errors(encode(current, "PcaDrift::compare()"), mean_, scale_,
                                   components_, params_.n_threads));
}

PcaDriftResult PcaDrift::compare_errors(const VectorRef& err) const {
  check_fitted("PcaDrift::compare_errors()");
  CHURN_CHECK(err.size() > 0, InvalidArgument, "PcaDrift::compare_errors(): no rows");
  for (Index i = 0; i < err.size(); ++i)
    CHURN_CHECK(std::isfinite(err[i]) && err[i] >= 0, InvalidArgument,
                "PcaDrift::compare_errors(): error " << i << " is " << err[i]
                                                     << ", not a finite value >= 0");
  PcaDriftResult r;
  r.n_rows = err.size();
  r.reconstruction_error = mean_of(err);
  r.reference_error = reference_error_;
  r.reference_error_std = reference_error_std_;
  r.alpha = params_.alpha;
  r.n_components = static_cast<int>(components_.rows());
  const double sd = reference_error_std_ * std::sqrt(1.0 / static_cast<double>(r.n_rows) +
                                                     1.0 / static_cast<double>(n_holdout_));
  r.threshold = reference_error_ + common::normal_quantile(1 - params_.alpha) * sd;
  if (sd > 0)
    r.p_value = common::normal_sf((r.reconstruction_error - reference_error_) / sd);
  else
    r.p_value = r.reconstruction_error > reference_error_ ? 0.0 : 1.0;
  r.drifted = r.reconstruction_error > r.threshold;
  return r;
}

const std::vector<std::string>& PcaDrift::feature_names() const {
  check_fitted("PcaDrift::feature_names()");
  return names_;
}
const RowMatrix& PcaDrift::components() const {
  check_fitted("PcaDrift::components()");
  return components_;
}
const Vector& PcaDrift::mean() const {
  check_fitted("PcaDrift::mean()");
  return mean_;
}
const Vector& PcaDrift::scale() const {
  check_fitted("PcaDrift::scale()");
  return scale_;
}
const Vector& PcaDrift::explained_variance() const {
  check_fitted("PcaDrift::explained_variance()");
  return explained_variance_;
}
double PcaDrift::reference_error() const {
  check_fitted("PcaDrift::reference_error()");
  return reference_error_;
}
double PcaDrift::reference_error_std() const {
  check_fitted("PcaDrift::reference_error_std()");
  return reference_error_std_;
}
Index PcaDrift::n_holdout() const {
  check_fitted("PcaDrift::n_holdout()");
  return n_holdout_;
}

std::vector<Alert> PcaDriftResult::alerts() const {
  if (!drifted) return {};
  return {Alert{"multivariate", "reconstruction_error", reconstruction_error, threshold,
                Severity::Significant}};
}

}  // namespace churn::monitor
