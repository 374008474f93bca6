#include <boost/test/unit_test.hpp>

#include <cmath>

#include "churn/core/error.hpp"
#include "churn/core/random.hpp"
#include "churn/metrics/classification.hpp"
#include "churn/metrics/cross_validate.hpp"

using churn::Index;
using churn::RowMatrix;
using churn::Vector;
namespace m = churn::metrics;

namespace {

// A tiny model: p = sigmoid(slope * (x0 - mean of x0 over the training rows)).
struct CenteredSigmoid {
  double slope = 1.0;
  double center = 0.0;
  Index fitted_rows = 0;
  CenteredSigmoid& fit(const RowMatrix& X, const Vector& y) {
    BOOST_TEST(X.rows() == y.size());
    center = X.col(0).mean();
    fitted_rows = X.rows();
    return *this;
  }
  Vector predict_proba(const RowMatrix& X) const {
    Vector p(X.rows());
    for (Index i = 0; i < X.rows(); ++i) p[i] = 1 / (1 + std::exp(-slope * (X(i, 0) - center)));
    return p;
  }
};

struct WrongLength : CenteredSigmoid {
  Vector predict_proba(const RowMatrix& X) const { return Vector::Zero(X.rows() + 1); }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(metrics_cross_validate)

BOOST_AUTO_TEST_CASE(per_fold_scores_match_manual_evaluation) {
  churn::Rng rng(4);
  const Index n = 200;
  RowMatrix X(n, 2);
  Vector y(n);
  for (Index i = 0; i < n; ++i) {
    y[i] = rng.bernoulli(0.4);
    X(i, 0) = y[i] + rng.normal();
    X(i, 1) = rng.normal();
  }
  const auto folds = m::stratified_kfold(y, 4, true, 1);
  CenteredSigmoid proto;
  proto.slope = 2.0;
  const auto r = m::cross_validate(proto, X, y, folds, {"roc_auc", "log_loss", "f1"});
  BOOST_TEST(r.scores.size() == 3u);
  BOOST_TEST(proto.fitted_rows == 0);  // the prototype itself is never fitted
  double mean_auc = 0;
  for (std::size_t f = 0; f < folds.size(); ++f) {
    CenteredSigmoid model = proto;
    model.fit(m::take_rows(X, folds[f].train), m::take_entries(y, folds[f].train));
    const Vector p = model.predict_proba(m::take_rows(X, folds[f].test));
    const Vector yt = m::take_entries(y, folds[f].test);
    BOOST_TEST(r.scores[0][f] == m::roc_auc(yt, p));
    BOOST_TEST(r.scores[1][f] == m::log_loss(yt, p));
    BOOST_TEST(r.scores[2][f] == m::f1(yt, p));
    mean_auc += m::roc_auc(yt, p) / 4;
  }
  BOOST_TEST(std::abs(r.mean_of("roc_auc") - mean_auc) < 1e-15);
  BOOST_TEST(r.std[0] >= 0);
  BOOST_CHECK_THROW(r.mean_of("ks"), churn::InvalidArgument);
  BOOST_CHECK_THROW(m::cross_validate(proto, X, y, folds, {"auc"}), churn::InvalidArgument);
  BOOST_CHECK_THROW(m::cross_validate(WrongLength(), X, y, folds, {"roc_auc"}),
                    churn::InvalidArgument);
  std::vector<m::Fold> bad = folds;
  bad[0].test.push_back(n);
  BOOST_CHECK_THROW(m::cross_validate(proto, X, y, bad, {"roc_auc"}), churn::InvalidArgument);
}

BOOST_AUTO_TEST_CASE(select_best_respects_direction) {
  m::CrossValidationResult a, b;
  a.metrics = b.metrics = {"roc_auc", "log_loss"};
  a.scores = {{0.8, 0.9}, {0.5, 0.5}};
  b.scores = {{0.7, 0.7}, {0.4, 0.4}};
  a.summarize();
  b.summarize();
  BOOST_TEST(std::abs(a.mean[0] - 0.85) < 1e-15);
  BOOST_TEST(std::abs(a.std[0] - 0.05) < 1e-15);
  BOOST_TEST(m::select_best({a, b}, "roc_auc") == 0u);
  BOOST_TEST(m::select_best({a, b}, "log_loss") == 1u);
  BOOST_TEST(m::greater_is_better("ks"));
  BOOST_TEST(!m::greater_is_better("brier"));
  BOOST_CHECK_THROW(m::select_best({}, "roc_auc"), churn::InvalidArgument);
  BOOST_CHECK_THROW(m::select_best({a}, "f1"), churn::InvalidArgument);
  Vector y(4), p(4);
  y << 0, 0, 1, 1;
  p << 0.1, 0.4, 0.35, 0.8;
  BOOST_TEST(m::score("roc_auc", y, p) == 0.75);
  BOOST_TEST(m::score("brier", y, p) == m::brier_score(y, p));
}

BOOST_AUTO_TEST_SUITE_END()
