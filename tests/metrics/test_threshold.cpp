#include <boost/test/unit_test.hpp>

#include <cmath>
#include <limits>
#include <typeinfo>

#include "churn/core/error.hpp"
#include "churn/core/random.hpp"
#include "churn/metrics/classification.hpp"
#include "churn/metrics/threshold.hpp"

using churn::Index;
using churn::Vector;
namespace m = churn::metrics;

BOOST_AUTO_TEST_SUITE(metrics_threshold)

BOOST_AUTO_TEST_CASE(best_f1_matches_brute_force) {
  churn::Rng rng(11);
  const Index n = 300;
  Vector y(n), s(n), w(n);
  for (Index i = 0; i < n; ++i) {
    y[i] = rng.bernoulli(0.3);
    s[i] = std::round((0.3 * y[i] + 0.7 * rng.uniform()) * 20) / 20;
    w[i] = rng.uniform(0.5, 1.5);
  }
  for (bool weighted : {false, true}) {
    const Vector ww = weighted ? w : Vector();
    double best = -1, best_t = 0;
    std::vector<double> ts(s.data(), s.data() + n);
    std::sort(ts.begin(), ts.end(), std::greater<double>());
    ts.erase(std::unique(ts.begin(), ts.end()), ts.end());
    for (double t : ts) {
      const double f = m::f1(y, s, t, ww);
      if (f > best + 1e-15) {
        best = f;
        best_t = t;
      }
    }
    const auto c = m::best_f1_threshold(y, s, ww);
    BOOST_TEST(c.threshold == best_t);
    BOOST_TEST(std::abs(c.value - best) < 1e-12);
  }
}

BOOST_AUTO_TEST_CASE(best_profit_hand_example) {
  // value 100, cost 10, success 0.5: a targeted churner is worth +40, a non-churner -10.
  Vector y(5), s(5);
  y << 1, 0, 1, 0, 0;
  s << 0.9, 0.8, 0.7, 0.3, 0.1;
  m::ProfitParams p{100, 10, 0.5};
  const auto c = m::best_profit_threshold(y, s, p);
  BOOST_TEST(c.threshold == 0.7);  // 40 - 10 + 40 = 70
  BOOST_TEST(c.value == 70);
  BOOST_TEST(c.n_targeted == 3);
  // An offer that never pays: target nobody.
  const auto none = m::best_profit_threshold(y, s, m::ProfitParams{1, 10, 0.5});
  BOOST_TEST(std::isinf(none.threshold));
  BOOST_TEST(none.value == 0);
  for (const m::ProfitParams bad :
       {m::ProfitParams{-1, 1, 0.5}, m::ProfitParams{1, -1, 0.5}, m::ProfitParams{1, 1, 1.5}}) {
    try {
      m::best_profit_threshold(y, s, bad);
      BOOST_ERROR("accepted invalid ProfitParams");
    } catch (const churn::Error& e) {
      BOOST_TEST((typeid(e) == typeid(churn::InvalidArgument)), e.what());
    }
  }
  BOOST_CHECK_THROW(m::best_f1_threshold(Vector(Vector::Zero(5)), s), churn::InvalidArgument);
}

BOOST_AUTO_TEST_SUITE_END()
