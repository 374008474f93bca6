#include <boost/test/unit_test.hpp>

#include <cmath>
#include <limits>
#include <typeinfo>

#include "churn/core/error.hpp"
#include "churn/core/random.hpp"
#include "churn/metrics/classification.hpp"
#include "churn/metrics/curves.hpp"

using churn::Index;
using churn::Vector;
namespace m = churn::metrics;

namespace {

void check_vec(const Vector& got, std::initializer_list<double> want) {
  BOOST_TEST_REQUIRE(static_cast<std::size_t>(got.size()) == want.size());
  Index i = 0;
  for (double w : want) {
    BOOST_TEST(std::abs(got[i] - w) < 1e-12, "at " << i << ": " << got[i] << " vs " << w);
    ++i;
  }
}

template <class F>
void expect_invalid(F&& f) {
  try {
    f();
    BOOST_ERROR("no exception; expected InvalidArgument");
  } catch (const churn::Error& e) {
    BOOST_TEST((typeid(e) == typeid(churn::InvalidArgument)), e.what());
  }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(metrics_curves)

BOOST_AUTO_TEST_CASE(roc_curve_hand_example) {
  Vector y(4), s(4);
  y << 0, 0, 1, 1;
  s << 0.1, 0.4, 0.35, 0.8;
  const auto r = m::roc_curve(y, s);
  check_vec(r.fpr, {0, 0, 0.5, 0.5, 1});
  check_vec(r.tpr, {0, 0.5, 0.5, 1, 1});
  BOOST_TEST(std::isinf(r.thresholds[0]));
  BOOST_TEST(r.thresholds[1] == 0.8);
  BOOST_TEST(r.thresholds[4] == 0.1);
  // Collinear points are dropped: scores 4, 3, 2, 1 all negatives after one positive.
  Vector y2(5), s2(5);
  y2 << 1, 0, 0, 0, 0;
  s2 << 5, 4, 3, 2, 1;
  const auto d = m::roc_curve(y2, s2);
  check_vec(d.fpr, {0, 0, 1});
  check_vec(d.tpr, {0, 1, 1});
  BOOST_TEST(m::roc_curve(y2, s2, Vector(), false).fpr.size() == 6);
}

BOOST_AUTO_TEST_CASE(trapezoid_of_roc_curve_is_roc_auc) {
  churn::Rng rng(3);
  Vector y(500), s(500);
  for (Index i = 0; i < 500; ++i) {
    y[i] = rng.bernoulli(0.4);
    s[i] = std::round(rng.uniform() * 10) / 10;
  }
  const auto r = m::roc_curve(y, s);
  double area = 0;
  for (Index i = 1; i < r.fpr.size(); ++i) {
    area += (r.fpr[i] - r.fpr[i - 1]) * (r.tpr[i] + r.tpr[i - 1]) / 2;
  }
  BOOST_TEST(std::abs(area - m::roc_auc(y, s)) < 1e-12);
}

BOOST_AUTO_TEST_CASE(precision_recall_curve_hand_example) {
  Vector y(4), s(4);
  y << 0, 0, 1, 1;
  s << 0.1, 0.4, 0.35, 0.8;
  const auto c = m::precision_recall_curve(y, s);
  check_vec(c.precision, {0.5, 2.0 / 3, 0.5, 1, 1});
  check_vec(c.recall, {1, 1, 0.5, 0.5, 0});
  check_vec(c.thresholds, {0.1, 0.35, 0.4, 0.8});
  // AP is the step sum over this curve.
  double ap = 0;
  for (Index i = 0; i + 1 < c.recall.size(); ++i) {
    ap += (c.recall[i] - c.recall[i + 1]) * c.precision[i];
  }
  BOOST_TEST(std::abs(ap - m::average_precision(y, s)) < 1e-15);
  // drop_intermediate keeps the first and last point of each run of equal recall.
  Vector y2(5), s2(5);
  y2 << 1, 0, 0, 0, 1;
  s2 << 5, 4, 3, 2, 1;
  check_vec(m::precision_recall_curve(y2, s2, Vector(), true).thresholds, {1, 2, 5});
}

BOOST_AUTO_TEST_CASE(lift_table_deciles_and_ties) {
  // 10 rows, 4 churners; ties at 0.5 straddle the boundary between bins 1 and 2.
  Vector y(10), s(10);
  y << 1, 0, 1, 0, 0, 1, 0, 0, 1, 0;
  s << 0.9, 0.8, 0.5, 0.5, 0.5, 0.5, 0.3, 0.2, 0.1, 0.0;
  const auto t = m::lift_table(y, s, 5);
  // Ranked rows: 0, 1, then ties 2, 3, 4, 5 in row order, then 6, 7, 8, 9.
  BOOST_TEST(t.customers.sum() == 10);
  check_vec(t.churners, {1, 1, 1, 0, 1});
  check_vec(t.churn_rate, {0.5, 0.5, 0.5, 0, 0.5});
  check_vec(t.lift, {1.25, 1.25, 1.25, 0, 1.25});
  check_vec(t.cumulative_churners, {1, 2, 3, 3, 4});
  check_vec(t.cumulative_gain, {0.25, 0.5, 0.75, 0.75, 1});
  check_vec(t.cumulative_lift, {1.25, 1.25, 1.25, 0.75 / 0.8, 1});
  check_vec(t.max_score, {0.9, 0.5, 0.5, 0.3, 0.1});
  check_vec(t.min_score, {0.8, 0.5, 0.5, 0.2, 0.0});
  // Uneven sizes: 10 rows in 3 bins -> 3, 3, 4.
  const auto t3 = m::lift_table(y, s, 3);
  BOOST_TEST(t3.customers[0] == 3);
  BOOST_TEST(t3.customers[2] == 4);
  expect_invalid([&] { m::lift_table(y, s, 0); });
  expect_invalid([&] { m::lift_table(y, s, 11); });
  expect_invalid([&] { m::lift_table(Vector(Vector::Zero(10)), s, 2); });
}

BOOST_AUTO_TEST_CASE(calibration_curve_uniform_and_quantile) {
  Vector y(6), p(6);
  y << 0, 0, 1, 0, 1, 1;
  p << 0.1, 0.2, 0.3, 0.6, 0.8, 0.8;
  const auto c = m::calibration_curve(y, p, 2);
  check_vec(c.prob_true, {1.0 / 3, 2.0 / 3});
  check_vec(c.prob_pred, {0.2, 2.2 / 3});
  BOOST_TEST(c.count[0] == 3);
  check_vec(c.bin_edges, {0, 0.5, 1});
  // Empty bins are left out.
  const auto c5 = m::calibration_curve(y, p, 5);
  BOOST_TEST(c5.prob_true.size() == 4);
  // Quantile edges: numpy percentile of p at 0, 50, 100 -> 0.1, 0.45, 0.8.
  const auto q = m::calibration_curve(y, p, 2, m::BinStrategy::Quantile);
  check_vec(q.bin_edges, {0.1, 0.45, 0.8});
  check_vec(q.prob_true, {1.0 / 3, 2.0 / 3});
  BOOST_TEST((m::bin_strategy_from_name("quantile") == m::BinStrategy::Quantile));
  expect_invalid([] { m::bin_strategy_from_name("kmeans"); });
  expect_invalid([&] { m::calibration_curve(y, p, 0); });
  Vector bad = p;
  bad[0] = -0.1;
  expect_invalid([&] { m::calibration_curve(y, bad, 2); });
}

BOOST_AUTO_TEST_CASE(curve_errors) {
  Vector y(3), s(3);
  y << 1, 1, 1;
  s << 0.1, 0.2, 0.3;
  expect_invalid([&] { m::roc_curve(y, s); });
  expect_invalid([&] { m::precision_recall_curve(Vector(Vector::Zero(3)), s); });
}

BOOST_AUTO_TEST_SUITE_END()
