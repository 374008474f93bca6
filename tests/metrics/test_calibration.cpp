#include <boost/test/unit_test.hpp>

#include <cmath>
#include <string>
#include <typeinfo>

#include <nlohmann/json.hpp>
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

/// Checks that `f` throws exactly `Exc` (not a subclass or sibling).
template <class Exc, class F>
void expect_exact(F&& f) {
  try {
    f();
    BOOST_ERROR("no exception; expected " << typeid(Exc).name());
  } catch (const churn::Error& e) {
    BOOST_TEST((typeid(e) == typeid(Exc)), "wrong type " << typeid(e).name() << ": " << e.what());
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

BOOST_AUTO_TEST_CASE(calibrator_holds_either_method_bit_identically) {
  Vector s, y, w;
  make(800, 21, s, y, w);
  Vector t(5);
  t << -9.0, -0.3, 0.0, 1.7, 12.0;
  for (bool weighted : {false, true}) {
    const Vector ww = weighted ? w : Vector();
    const auto sig = m::Calibrator::fit(m::CalibrationMethod::Sigmoid, s, y, ww);
    const auto iso = m::Calibrator::fit(m::CalibrationMethod::Isotonic, s, y, ww);
    BOOST_TEST((sig.method() == m::CalibrationMethod::Sigmoid));
    BOOST_TEST((iso.method() == m::CalibrationMethod::Isotonic));
    BOOST_TEST((sig.platt() != nullptr && sig.isotonic() == nullptr));
    BOOST_TEST((iso.isotonic() != nullptr && iso.platt() == nullptr));
    m::PlattCalibrator platt;
    platt.fit(s, y, ww);
    m::IsotonicCalibrator isotonic;
    isotonic.fit(s, y, ww);
    BOOST_TEST((sig.transform(t) == platt.transform(t)));
    BOOST_TEST((iso.transform(t) == isotonic.transform(t)));
    BOOST_TEST((sig.to_json() == platt.to_json()));  // the calibrator's own envelope
    BOOST_TEST((iso.to_json() == isotonic.to_json()));
    for (const auto* c : {&sig, &iso}) {
      const auto back = m::Calibrator::from_json(churn::parse_json(c->to_json().dump()));
      BOOST_TEST((back.method() == c->method()));
      BOOST_TEST((back.transform(t) == c->transform(t)));
      BOOST_TEST((back.transform(s) == c->transform(s)));
    }
  }
  BOOST_TEST(m::calibration_method_name(m::CalibrationMethod::Isotonic) == std::string("isotonic"));
  BOOST_TEST((m::calibration_method_from_name("sigmoid") == m::CalibrationMethod::Sigmoid));
  expect_exact<churn::InvalidArgument>([] { m::calibration_method_from_name("platt"); });
}

BOOST_AUTO_TEST_CASE(calibrator_errors_have_exact_types) {
  expect_exact<churn::NotFittedError>([] { m::Calibrator c{m::PlattCalibrator()}; });
  expect_exact<churn::NotFittedError>([] { m::Calibrator c{m::IsotonicCalibrator()}; });
  Vector s(3), y(3);
  s << 0.1, 0.2, 0.3;
  y << 0, 2, 1;
  expect_exact<churn::InvalidArgument>(
      [&] { m::Calibrator::fit(m::CalibrationMethod::Isotonic, s, y); });
  y << 0, 1, 1;
  const churn::Json good = m::Calibrator::fit(m::CalibrationMethod::Sigmoid, s, y).to_json();
  using churn::Json;
  auto bad = [](const Json& doc) {
    expect_exact<churn::SerializationError>([&] { m::Calibrator::from_json(doc); });
  };
  bad(Json(3));
  bad(Json::object());
  Json j = good;
  j["kind"] = "GBDT";
  bad(j);
  j = good;
  j["kind"] = 7;
  bad(j);
  j = good;
  j["state"]["a"] = "x";
  bad(j);
  j = good;
  j["state"].erase("b");
  bad(j);
  j = good;
  j["version"] = "2.0";
  bad(j);
}

BOOST_AUTO_TEST_SUITE_END()
