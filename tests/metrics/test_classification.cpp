#include <boost/test/unit_test.hpp>

#include <cmath>
#include <limits>
#include <typeinfo>
#include <vector>

#include "churn/core/error.hpp"
#include "churn/core/random.hpp"
#include "churn/metrics/classification.hpp"

using churn::Index;
using churn::Vector;
namespace m = churn::metrics;

namespace {

struct Data {
  Vector y, s, w;
};

// Random labels, scores rounded to `decimals` (many ties when small), weights in [0, 2).
Data make_data(Index n, std::uint64_t seed, int decimals) {
  churn::Rng rng(seed);
  Data d{Vector(n), Vector(n), Vector(n)};
  const double scale = std::pow(10.0, decimals);
  for (Index i = 0; i < n; ++i) {
    d.y[i] = rng.bernoulli(0.3) ? 1.0 : 0.0;
    const double raw = 0.35 * d.y[i] + 0.65 * rng.uniform();
    d.s[i] = std::round(raw * scale) / scale;
    d.w[i] = 2.0 * rng.uniform();
  }
  return d;
}

// AUC by counting pairs: a tied pair counts 1/2.
double auc_pairs(const Vector& y, const Vector& s, const Vector& w) {
  double num = 0, wp = 0, wn = 0;
  for (Index i = 0; i < y.size(); ++i) {
    const double wi = w.size() ? w[i] : 1.0;
    (y[i] == 1 ? wp : wn) += wi;
    if (y[i] != 1) continue;
    for (Index j = 0; j < y.size(); ++j) {
      if (y[j] != 0) continue;
      const double wj = w.size() ? w[j] : 1.0;
      num += wi * wj * (s[i] > s[j] ? 1.0 : s[i] == s[j] ? 0.5 : 0.0);
    }
  }
  return num / (wp * wn);
}

// Weighted tp/fp of the prediction s >= t.
void counts_at(const Data& d, bool weighted, double t, double& tp, double& fp) {
  tp = fp = 0;
  for (Index i = 0; i < d.y.size(); ++i) {
    if (d.s[i] < t) continue;
    const double wi = weighted ? d.w[i] : 1.0;
    (d.y[i] == 1 ? tp : fp) += wi;
  }
}

std::vector<double> distinct_desc(const Vector& s) {
  std::vector<double> v(s.data(), s.data() + s.size());
  std::sort(v.begin(), v.end(), std::greater<double>());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return v;
}

double ap_brute(const Data& d, bool weighted) {
  double P = 0, unused = 0;
  counts_at(d, weighted, -1e300, P, unused);
  double ap = 0, prev_r = 0;
  for (double t : distinct_desc(d.s)) {
    double tp, fp;
    counts_at(d, weighted, t, tp, fp);
    const double r = tp / P;
    ap += (r - prev_r) * (tp + fp > 0 ? tp / (tp + fp) : 0.0);
    prev_r = r;
  }
  return ap;
}

double ks_brute(const Data& d, bool weighted) {
  double P, N;
  counts_at(d, weighted, -1e300, P, N);
  double ks = 0;
  for (double t : distinct_desc(d.s)) {
    double tp, fp;
    counts_at(d, weighted, t, tp, fp);
    ks = std::max(ks, std::abs(tp / P - fp / N));
  }
  return ks;
}

template <class F>
void expect_invalid(F&& f, const char* needle) {
  try {
    f();
    BOOST_ERROR("no exception; expected InvalidArgument mentioning " << needle);
  } catch (const churn::Error& e) {
    BOOST_TEST((typeid(e) == typeid(churn::InvalidArgument)), e.what());
    BOOST_TEST(std::string(e.what()).find(needle) != std::string::npos, e.what());
  }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(metrics_classification)

BOOST_AUTO_TEST_CASE(roc_auc_hand_example) {
  Vector y(4), s(4);
  y << 0, 0, 1, 1;
  s << 0.1, 0.4, 0.35, 0.8;
  BOOST_TEST(m::roc_auc(y, s) == 0.75);
  // All scores tied: every pair counts 1/2.
  s.setConstant(0.3);
  BOOST_TEST(m::roc_auc(y, s) == 0.5);
  // -0.0 and 0.0 are the same score.
  Vector y2(2), s2(2);
  y2 << 0, 1;
  s2 << 0.0, -0.0;
  BOOST_TEST(m::roc_auc(y2, s2) == 0.5);
}

BOOST_AUTO_TEST_CASE(roc_auc_matches_pair_counting) {
  for (std::uint64_t seed = 1; seed <= 6; ++seed) {
    for (int decimals : {1, 2, 6}) {
      const Data d = make_data(300 + static_cast<Index>(seed) * 50, seed, decimals);
      BOOST_TEST(std::abs(m::roc_auc(d.y, d.s) - auc_pairs(d.y, d.s, Vector())) < 1e-12);
      BOOST_TEST(std::abs(m::roc_auc(d.y, d.s, d.w) - auc_pairs(d.y, d.s, d.w)) < 1e-12);
    }
  }
}

BOOST_AUTO_TEST_CASE(large_input_uses_radix_sort_and_is_thread_independent) {
  const Data d = make_data(300000, 7, 3);
  const double a1 = m::roc_auc(d.y, d.s, Vector(), 1);
  const double a0 = m::roc_auc(d.y, d.s, Vector(), 0);
  const double a2 = m::roc_auc(d.y, d.s, Vector(), 2);
  BOOST_TEST(a1 == a0);
  BOOST_TEST(a1 == a2);
  BOOST_TEST(m::roc_auc(d.y, d.s, d.w, 1) == m::roc_auc(d.y, d.s, d.w, 2));
  // Reference on a subsample would not be the same AUC; use a rank-sum formula instead.
  std::vector<std::pair<double, double>> v;
  for (Index i = 0; i < d.y.size(); ++i) v.emplace_back(d.s[i], d.y[i]);
  std::sort(v.begin(), v.end());
  double rank_sum = 0, n_pos = 0;
  for (std::size_t i = 0; i < v.size();) {
    std::size_t j = i;
    double pos = 0;
    while (j < v.size() && v[j].first == v[i].first) pos += v[j++].second;
    rank_sum += pos * (0.5 * static_cast<double>(i + 1 + j));  // average rank of the tie group
    n_pos += pos;
    i = j;
  }
  const double n_neg = static_cast<double>(v.size()) - n_pos;
  const double auc = (rank_sum - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg);
  BOOST_TEST(std::abs(a1 - auc) < 1e-12);
  BOOST_TEST(m::average_precision(d.y, d.s, Vector(), 1) ==
             m::average_precision(d.y, d.s, Vector(), 2));
}

BOOST_AUTO_TEST_CASE(average_precision_and_ks_match_brute_force) {
  for (std::uint64_t seed = 1; seed <= 4; ++seed) {
    for (int decimals : {1, 6}) {
      const Data d = make_data(400, seed, decimals);
      BOOST_TEST(std::abs(m::average_precision(d.y, d.s) - ap_brute(d, false)) < 1e-12);
      BOOST_TEST(std::abs(m::average_precision(d.y, d.s, d.w) - ap_brute(d, true)) < 1e-12);
      BOOST_TEST(std::abs(m::ks_statistic(d.y, d.s) - ks_brute(d, false)) < 1e-12);
      BOOST_TEST(std::abs(m::ks_statistic(d.y, d.s, d.w) - ks_brute(d, true)) < 1e-12);
    }
  }
  Vector y(4), s(4);
  y << 0, 0, 1, 1;
  s << 0.1, 0.4, 0.35, 0.8;
  BOOST_TEST(std::abs(m::average_precision(y, s) - 0.8333333333333333) < 1e-15);
  BOOST_TEST(m::ks_statistic(y, s) == 0.5);
}

BOOST_AUTO_TEST_CASE(probability_losses) {
  Vector y(4), p(4), w(4);
  y << 1, 0, 1, 0;
  p << 0.9, 0.2, 1.0, 0.0;
  w << 1, 2, 1, 0.5;
  const double eps = std::numeric_limits<double>::epsilon();
  const double ll = (-std::log(0.9) - std::log(0.8) - std::log(1 - eps) - std::log(1 - eps)) / 4;
  BOOST_TEST(std::abs(m::log_loss(y, p) - ll) < 1e-15);
  // A confident mistake is clipped at eps, not infinite.
  Vector y1(1), p1(1);
  y1 << 1;
  p1 << 0.0;
  BOOST_TEST(std::abs(m::log_loss(y1, p1) + std::log(eps)) < 1e-12);
  const double brier = (0.01 + 0.04 * 2 + 0 + 0) / 4.5;
  BOOST_TEST(std::abs(m::brier_score(y, p, w) - brier) < 1e-15);
}

BOOST_AUTO_TEST_CASE(thresholded_metrics) {
  Vector y(6), s(6), w(6);
  y << 1, 1, 1, 0, 0, 0;
  s << 0.9, 0.5, 0.2, 0.7, 0.1, 0.5;
  w << 1, 1, 1, 1, 1, 3;
  const auto c = m::confusion_matrix(y, s);
  BOOST_TEST(c.tp == 2);
  BOOST_TEST(c.fn == 1);
  BOOST_TEST(c.fp == 2);
  BOOST_TEST(c.tn == 1);
  BOOST_TEST(m::accuracy(y, s) == 0.5);
  BOOST_TEST(m::precision(y, s) == 0.5);
  BOOST_TEST(std::abs(m::recall(y, s) - 2.0 / 3) < 1e-15);
  BOOST_TEST(std::abs(m::f1(y, s) - 4.0 / 7) < 1e-15);
  BOOST_TEST(m::precision(y, s, 0.5, w) == 2.0 / 6);
  // Nothing predicted positive: precision and F1 are 0, as scikit-learn's zero_division.
  BOOST_TEST(m::precision(y, s, 1.0) == 0.0);
  BOOST_TEST(m::f1(y, s, 1.0) == 0.0);
  BOOST_TEST(m::accuracy(y, s, 0.0) == 0.5);
}

BOOST_AUTO_TEST_CASE(bad_input_is_invalid_argument) {
  Vector y(3), s(3), empty;
  y << 0, 1, 1;
  s << 0.1, 0.2, 0.3;
  expect_invalid([&] { m::roc_auc(empty, empty); }, "empty");
  expect_invalid([&] { m::roc_auc(y, Vector(Vector::Zero(2))); }, "different lengths");
  Vector nan_s = s;
  nan_s[1] = std::nan("");
  expect_invalid([&] { m::roc_auc(y, nan_s); }, "finite");
  expect_invalid([&] { m::average_precision(y, nan_s); }, "row 1");
  Vector inf_s = s;
  inf_s[2] = std::numeric_limits<double>::infinity();
  expect_invalid([&] { m::ks_statistic(y, inf_s); }, "finite");
  Vector y2 = y;
  y2[0] = 2;
  expect_invalid([&] { m::roc_auc(y2, s); }, "labels 0 and 1");
  Vector ynan = y;
  ynan[0] = std::nan("");
  expect_invalid([&] { m::log_loss(ynan, s); }, "labels 0 and 1");
  expect_invalid([&] { m::roc_auc(Vector(Vector::Ones(3)), s); }, "only one class");
  expect_invalid([&] { m::ks_statistic(Vector(Vector::Zero(3)), s); }, "only one class");
  expect_invalid([&] { m::average_precision(Vector(Vector::Zero(3)), s); }, "no positive");
  Vector big = s;
  big[0] = 1.5;
  expect_invalid([&] { m::log_loss(y, big); }, "[0, 1]");
  expect_invalid([&] { m::brier_score(y, big); }, "[0, 1]");
  expect_invalid([&] { m::accuracy(y, s, 1.5); }, "threshold");
  expect_invalid([&] { m::f1(y, s, -0.1); }, "threshold");
  Vector w(3);
  w << 1, -1, 1;
  expect_invalid([&] { m::roc_auc(y, s, w); }, "sample_weight");
  expect_invalid([&] { m::roc_auc(y, s, Vector(Vector::Zero(3))); }, "sums to");
  expect_invalid([&] { m::roc_auc(y, s, Vector(Vector::Ones(2))); }, "sample_weight has length");
}

BOOST_AUTO_TEST_SUITE_END()
