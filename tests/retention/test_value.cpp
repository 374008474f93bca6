#include <boost/test/unit_test.hpp>

#include <cmath>
#include <limits>
#include <string>

#include <nlohmann/json.hpp>
#include "churn/core/error.hpp"
#include "churn/retention/value.hpp"
#include "test_util.hpp"

using churn::Index;
using churn::IntVector;
using churn::Vector;
using churn::retention::ValueParams;

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

ValueParams params(int h, double d, double m) {
  ValueParams p;
  p.horizon = h;
  p.discount_rate = d;
  p.margin = m;
  return p;
}

/// sum_{t=0}^{H-1} ((1 - p) / (1 + d))^t, term by term.
double brute_force_factor(double p, double d, int h) {
  double s = 0, term = 1;
  const double q = (1 - p) / (1 + d);
  for (int t = 0; t < h; ++t) {
    s += term;
    term *= q;
  }
  return s;
}

bool close(double a, double b, double rel = 1e-12) {
  return std::abs(a - b) <= rel * std::max(1.0, std::abs(b));
}
}  // namespace

BOOST_AUTO_TEST_SUITE(retention_value)

BOOST_AUTO_TEST_CASE(hand_computed_customers) {
  Vector p(4), r(4);
  p << 0.1, 0.2, 0.0, 1.0;
  r << 100, 100, 50, 80;
  const auto v = churn::retention::customer_value(p, r, params(3, 0.0, 1.0));
  BOOST_TEST(close(v.revenue_at_risk[0], 30.0));        // 0.1 * 100 * 3
  BOOST_TEST(close(v.clv[0], 271.0));                   // 100 (1 + 0.9 + 0.81)
  BOOST_TEST(close(v.expected_loss[0], 27.1));          // 0.1 * 271
  BOOST_TEST(close(v.clv[1], 100 * (1 + 0.8 + 0.64)));  // 244
  BOOST_TEST(v.clv[2] == 150.0);                        // q = 1: m r H
  BOOST_TEST(v.expected_loss[2] == 0.0);
  BOOST_TEST(close(v.clv[3], 80.0));  // p = 1: the first payment only
  BOOST_TEST(close(v.revenue_at_risk[3], 240.0));

  // discounted, with a margin: q = 0.8 / 1.1, H = 2
  const auto w = churn::retention::customer_value(p, r, params(2, 0.1, 0.5));
  BOOST_TEST(close(w.clv[1], 0.5 * 100 * (1 + 0.8 / 1.1)));
  BOOST_TEST(close(w.clv[2], 0.5 * 50 * (1 + 1 / 1.1)));
  BOOST_TEST(close(w.revenue_at_risk[1], 0.2 * 100 * 2));  // not discounted, not margined

  BOOST_TEST((churn::retention::revenue_at_risk(p, r, params(2, 0.1, 0.5)) == w.revenue_at_risk));
  BOOST_TEST((churn::retention::customer_lifetime_value(p, r, params(2, 0.1, 0.5)) == w.clv));
  BOOST_TEST((churn::retention::expected_loss(p, r, params(2, 0.1, 0.5)) == w.expected_loss));
}

BOOST_AUTO_TEST_CASE(clv_closed_form_equals_brute_force_sum) {
  for (int h : {1, 2, 12, 60, 240}) {
    for (double d : {0.0, 1e-9, 0.004, 0.01, 0.5}) {
      for (double p : {0.0, 1e-12, 1e-6, 0.01, 0.05, 0.3, 0.5, 0.99, 1.0}) {
        const ValueParams vp = params(h, d, 1.0);
        const double got = churn::retention::clv_factor(p, vp);
        const double brute = brute_force_factor(p, d, h);
        BOOST_TEST(close(got, brute, 1e-12),
                   "p=" << p << " d=" << d << " H=" << h << ": " << got << " vs " << brute);
        const double q = (1 - p) / (1 + d);
        if (std::abs(1 - q) > 1e-3) {  // the textbook closed form, where it does not cancel
          const double textbook = (1 - std::pow(q, h)) / (1 - q);
          BOOST_TEST(close(got, textbook, 1e-12));
        }
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(sum_by_group_is_thread_independent) {
  const Index n = 100000;
  Vector x(n);
  IntVector g(n);
  for (Index i = 0; i < n; ++i) {
    x[i] = 1.0 / static_cast<double>(i + 1);
    g[i] = static_cast<std::int32_t>(i % 7) - 1;  // -1 = missing, skipped
  }
  const Vector one = churn::retention::sum_by_group(x, g, 6, 1);
  const Vector four = churn::retention::sum_by_group(x, g, 6, 4);
  BOOST_TEST((one == four));  // bit-identical
  double want = 0;
  for (Index i = 0; i < n; ++i)
    if (g[i] == 2) want += x[i];
  BOOST_TEST(close(one[2], want));
  Vector small(3);
  small << 1, 2, 4;
  const IntVector sg = (IntVector(3) << 1, 1, 0).finished();
  const Vector s = churn::retention::sum_by_group(small, sg, 3);
  BOOST_TEST(s[0] == 4.0);
  BOOST_TEST(s[1] == 3.0);
  BOOST_TEST(s[2] == 0.0);
  BOOST_TEST(churn_test::throws_with<churn::InvalidArgument>(
      [&] { churn::retention::sum_by_group(small, (IntVector(3) << 0, 3, 0).finished(), 3); },
      {"groups", "row 1"}));
  BOOST_CHECK_THROW(churn::retention::sum_by_group(small, IntVector(2), 3), churn::InvalidArgument);
}

BOOST_AUTO_TEST_CASE(large_input_is_thread_independent) {
  const Index n = 70000;
  Vector p(n), r(n);
  for (Index i = 0; i < n; ++i) {
    p[i] = std::fmod(static_cast<double>(i) * 0.37, 1.0);
    r[i] = 10.0 + static_cast<double>(i % 100);
  }
  const auto a = churn::retention::customer_value(p, r, params(24, 0.01, 0.7), 1);
  const auto b = churn::retention::customer_value(p, r, params(24, 0.01, 0.7), 3);
  BOOST_TEST((a.clv == b.clv));
  BOOST_TEST((a.expected_loss == b.expected_loss));
}

BOOST_AUTO_TEST_CASE(bad_input_throws_naming_the_row) {
  using churn_test::throws_with;
  Vector p(3), r(3);
  p << 0.1, 0.2, 0.3;
  r << 1, 2, 3;
  Vector bad_p = p;
  bad_p[1] = kNaN;
  BOOST_TEST(
      throws_with<churn::InvalidArgument>([&] { churn::retention::customer_value(bad_p, r); },
                                          {"customer_value()", "probability", "row 1"}));
  bad_p[1] = 1.5;
  BOOST_TEST(throws_with<churn::InvalidArgument>(
      [&] { churn::retention::revenue_at_risk(bad_p, r); }, {"[0, 1]", "1.5", "row 1"}));
  Vector bad_r = r;
  bad_r[2] = -1;
  BOOST_TEST(throws_with<churn::InvalidArgument>(
      [&] { churn::retention::customer_lifetime_value(p, bad_r); }, {"revenue", "row 2"}));
  bad_r[2] = kInf;
  BOOST_TEST(throws_with<churn::InvalidArgument>([&] { churn::retention::expected_loss(p, bad_r); },
                                                 {"revenue", "inf", "row 2"}));
  BOOST_TEST(throws_with<churn::InvalidArgument>(
      [&] { churn::retention::customer_value(p, Vector(2)); }, {"revenue", "2 values"}));
  BOOST_TEST(throws_with<churn::InvalidArgument>(
      [&] { churn::retention::customer_value(p, r, params(0, 0, 1)); }, {"horizon"}));
  BOOST_CHECK_THROW(churn::retention::customer_value(p, r, params(12, -0.1, 1)),
                    churn::InvalidArgument);
  BOOST_CHECK_THROW(churn::retention::customer_value(p, r, params(12, 0, 1.5)),
                    churn::InvalidArgument);
  BOOST_CHECK_THROW(churn::retention::customer_value(p, r, params(12, kNaN, 1)),
                    churn::InvalidArgument);
  const auto e = churn::retention::customer_value(Vector(), Vector());
  BOOST_TEST(e.clv.size() == 0);
}

BOOST_AUTO_TEST_CASE(params_from_options) {
  const ValueParams p = ValueParams::from_options({{"horizon", 24}, {"margin", 0.3}});
  BOOST_TEST(p.horizon == 24);
  BOOST_TEST(p.margin == 0.3);
  BOOST_TEST(p.discount_rate == 0.0);
  BOOST_TEST(p.to_json()["horizon"] == 24);
  BOOST_CHECK_THROW(ValueParams::from_options({{"horizon", 0}}), churn::InvalidArgument);
  BOOST_CHECK_THROW(ValueParams::from_options({{"horizon", "12"}}), churn::TypeMismatch);
  BOOST_CHECK_THROW(ValueParams::from_options({{"horizn", 12}}), churn::InvalidArgument);
}

BOOST_AUTO_TEST_SUITE_END()
