#include <boost/test/unit_test.hpp>

#include <cmath>
#include <typeinfo>

#include "churn/core/error.hpp"
#include "churn/core/json.hpp"
#include "churn/core/random.hpp"
#include "churn/metrics/calibration.hpp"

using churn::Index;
using churn::Vector;
namespace m = churn::metrics;

namespace {

void make(Index n, std::uint64_t seed, Vector& s, Vector& y, Vector& w) {
  churn::Rng rng(seed);
  s.resize(n);
  y.resize(n);
  w.resize(n);
  for (Index i = 0; i < n; ++i) {
    s[i] = rng.normal(0, 2);
    y[i] = rng.bernoulli(1 / (1 + std::exp(-(0.7 * s[i] - 0.4))));
    w[i] = rng.uniform(0.2, 2);
  }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(metrics_calibration)

BOOST_AUTO_TEST_CASE(platt_solves_the_smoothed_likelihood) {
  Vector s, y, w;
  make(2000, 5, s, y, w);
  for (bool weighted : {false, true}) {
    const Vector ww = weighted ? w : Vector();
    m::PlattCalibrator cal;
    cal.fit(s, y, ww);
    // Gradient of the smoothed log-loss at the solution is zero.
    double p0 = 0, p1 = 0;
    for (Index i = 0; i < s.size(); ++i) (y[i] > 0 ? p1 : p0) += weighted ? w[i] : 1.0;
    double ga = 0, gb = 0;
    const Vector p = cal.transform(s);
    for (Index i = 0; i < s.size(); ++i) {
      const double t = y[i] > 0 ? (p1 + 1) / (p1 + 2) : 1 / (p0 + 2);
      const double r = (weighted ? w[i] : 1.0) * (t - p[i]);
      ga += r * s[i];
      gb += r;
    }
    BOOST_TEST(std::abs(ga) < 1e-8);
    BOOST_TEST(std::abs(gb) < 1e-8);
    BOOST_TEST(cal.a() < 0);  // higher score, higher probability
    BOOST_TEST(std::abs(cal.a() + 0.7) < 0.15);
    // Round trip: bit-identical predictions.
    const auto back = m::PlattCalibrator::from_json(churn::parse_json(cal.to_json().dump()));
    BOOST_TEST((back.transform(s) == p));
  }
}

BOOST_AUTO_TEST_CASE(isotonic_pava_hand_example) {
  Vector s(6), y(6);
  s << 1, 2, 3, 4, 5, 5;
  y << 1, 0, 1, 1, 0, 1;
  m::IsotonicCalibrator iso;
  const Vector p = iso.fit(s, y).transform(s);
  // Pooled: x=1,2 -> 0.5; x=3, x=4 -> 1, x=5 (pooled tie 0.5) violates -> pool 3..5:
  // (1 + 1 + 2 * 0.5) / 4 = 0.75.
  Vector want(6);
  want << 0.5, 0.5, 0.75, 0.75, 0.75, 0.75;
  BOOST_TEST((p - want).cwiseAbs().maxCoeff() < 1e-15);
  // Interpolation between points and clipping outside the range.
  Vector t(3);
  t << 0.0, 2.5, 100.0;
  const Vector q = iso.transform(t);
  BOOST_TEST(q[0] == 0.5);
  BOOST_TEST(std::abs(q[1] - 0.625) < 1e-15);
  BOOST_TEST(q[2] == 0.75);
}

BOOST_AUTO_TEST_CASE(isotonic_is_monotone_and_round_trips) {
  Vector s, y, w;
  make(1500, 9, s, y, w);
  m::IsotonicCalibrator iso;
  iso.fit(s, y, w);
  const auto& xs = iso.x_thresholds();
  const auto& ys = iso.y_thresholds();
  for (std::size_t k = 1; k < xs.size(); ++k) {
    BOOST_TEST(xs[k] > xs[k - 1]);
    BOOST_TEST(ys[k] >= ys[k - 1]);
  }
  const auto back = m::IsotonicCalibrator::from_json(churn::parse_json(iso.to_json().dump()));
  BOOST_TEST((back.transform(s) == iso.transform(s)));
  // Zero weights are ignored.
  Vector w0 = w;
  w0[0] = 0;
  BOOST_CHECK_NO_THROW(m::IsotonicCalibrator().fit(s, y, w0));
}

BOOST_AUTO_TEST_CASE(errors) {
  Vector s(2);
  s << 0.1, 0.2;
  BOOST_CHECK_THROW(m::PlattCalibrator().transform(s), churn::NotFittedError);
  BOOST_CHECK_THROW(m::IsotonicCalibrator().transform(s), churn::NotFittedError);
  BOOST_CHECK_THROW(m::PlattCalibrator().to_json(), churn::NotFittedError);
  Vector y(2);
  y << 0, 3;
  BOOST_CHECK_THROW(m::PlattCalibrator().fit(s, y), churn::InvalidArgument);
  Vector nan_s = s;
  nan_s[0] = std::nan("");
  y << 0, 1;
  BOOST_CHECK_THROW(m::IsotonicCalibrator().fit(nan_s, y), churn::InvalidArgument);
  const auto cal = m::PlattCalibrator().fit(s, y);
  BOOST_CHECK_THROW(cal.transform(nan_s), churn::InvalidArgument);
  // Another kind's document is rejected.
  BOOST_CHECK_THROW(m::IsotonicCalibrator::from_json(cal.to_json()), churn::SerializationError);
  churn::Json broken = m::IsotonicCalibrator().fit(s, y).to_json();
  broken["state"]["x"] = churn::Json::array({2.0, 1.0});
  broken["state"]["y"] = churn::Json::array({0.0, 1.0});
  BOOST_CHECK_THROW(m::IsotonicCalibrator::from_json(broken), churn::SerializationError);
}

BOOST_AUTO_TEST_SUITE_END()
