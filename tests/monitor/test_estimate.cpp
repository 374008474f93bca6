#include <boost/test/unit_test.hpp>

#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include "churn/core/error.hpp"
#include "churn/core/json.hpp"
#include "churn/core/stop.hpp"
#include "churn/monitor/estimate.hpp"
#include "common/normal.hpp"
#include "monitor/estimate_detail.hpp"

using churn::Index;
using churn::Json;
using churn::Vector;
using namespace churn::monitor;  // NOLINT

namespace {

const double kNaN = std::numeric_limits<double>::quiet_NaN();

Vector vec(std::initializer_list<double> v) {
  Vector x(static_cast<Index>(v.size()));
  Index i = 0;
  for (double a : v) x[i++] = a;
  return x;
}

EstimatorParams uncalibrated() {
  EstimatorParams p;
  p.calibration = Recalibration::None;
  p.bins = 10;
  return p;
}

/// n scores and labels drawn from the scores (a calibrated model).
void draw(Index n, unsigned seed, Vector& s, Vector& y, double flip = 0) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0, 1);
  s.resize(n);
  y.resize(n);
  for (Index i = 0; i < n; ++i) {
    s[i] = std::round(u(rng) * 1000) / 1000;  // ties
    const double p = flip > 0 ? (1 - flip) * s[i] + flip * (1 - s[i]) : s[i];
    y[i] = u(rng) < p ? 1.0 : 0.0;
  }
}

template <class F>
void check_message(F&& f, const std::string& part) {
  try {
    f();
    BOOST_FAIL("no exception; expected one naming '" << part << "'");
  } catch (const churn::Error& e) {
    BOOST_TEST(std::string(e.what()).find(part) != std::string::npos,
               "message '" << e.what() << "' lacks '" << part << "'");
  }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(monitor_estimate)

BOOST_AUTO_TEST_CASE(expected_confusion_matrix_by_hand) {
  PerformanceEstimator est(uncalibrated());
  est.fit(vec({0.1, 0.5, 0.9}));
  const EstimatedPerformance r = est.estimate(vec({0.2, 0.4, 0.6, 0.9}), {0, 4}, {"w"});
  const ChunkEstimate& c = r.chunks().at(0);
  BOOST_TEST(c.chunk == "w");
  BOOST_TEST(c.n == 4);
  BOOST_TEST(c.n_targeted == 2);
  // targeted: 0.6 and 0.9; E[TP] = 1.5, E[FP] = 0.5, E[FN] = 0.6, E[TN] = 1.4
  BOOST_TEST(c.precision.estimated == 1.5 / 2, boost::test_tools::tolerance(1e-14));
  BOOST_TEST(c.recall.estimated == 1.5 / 2.1, boost::test_tools::tolerance(1e-14));
  BOOST_TEST(c.f1.estimated == 3.0 / 4.1, boost::test_tools::tolerance(1e-14));
  BOOST_TEST(c.churn_rate.estimated == 2.1 / 4, boost::test_tools::tolerance(1e-14));
  BOOST_TEST(c.expected_churners.estimated == 2.1, boost::test_tools::tolerance(1e-14));
  BOOST_TEST(c.campaign_value.estimated == 1.5 - 0.2, boost::test_tools::tolerance(1e-14));
  // AUC: U = 0.2*0.4 + 0.4*(0.8+0.3) + 0.6*(1.4+0.2) + 0.9*(1.8+0.05) = 3.145, P N = 2.1*1.9
  BOOST_TEST(c.roc_auc.estimated == 3.145 / 3.99, boost::test_tools::tolerance(1e-14));
  BOOST_TEST(c.roc_auc.lower <= c.roc_auc.estimated);
  BOOST_TEST(c.roc_auc.upper >= c.roc_auc.estimated);
  BOOST_TEST(c.roc_auc.upper <= 1.0);
  // precision's band: sqrt(0.6*0.4 + 0.9*0.1) / 2 * z
  const double z = churn::common::normal_quantile(0.975);
  BOOST_TEST(c.precision.upper == std::min(1.0, 0.75 + z * std::sqrt(0.33) / 2),
             boost::test_tools::tolerance(1e-14));
  BOOST_TEST(std::isnan(c.roc_auc.realised));
  BOOST_TEST(!c.has_realised);
}

BOOST_AUTO_TEST_CASE(realised_auc_of_four_rows_by_hand) {
  PerformanceEstimator est(uncalibrated());
  est.fit(vec({0.1, 0.5, 0.9}));
  EstimatedPerformance r =
      est.estimate(vec({0.2, 0.4, 0.6, 0.9, 0.3, 0.3, 0.6, 0.6}), {0, 4, 8}, {"a", "b"});
  r.add_realised(vec({0.2, 0.4, 0.6, 0.9, 0.3, 0.3, 0.6, 0.6}), vec({0, 1, 0, 1, 0, 1, 0, 1}));
  const ChunkEstimate& a = r.chunks()[0];
  const ChunkEstimate& b = r.chunks()[1];
  BOOST_TEST(a.roc_auc.realised == 0.75);  // 3 of the 4 (positive, negative) pairs ordered
  BOOST_TEST(b.roc_auc.realised == 0.5);   // ties count half: (0.5 + 0 + 1 + 0.5) / 4
  BOOST_TEST(a.precision.realised == 0.5);
  BOOST_TEST(a.recall.realised == 0.5);
  BOOST_TEST(a.expected_churners.realised == 2);
  BOOST_TEST(a.campaign_value.realised == 1 - 0.2, boost::test_tools::tolerance(1e-14));
  BOOST_TEST(a.has_realised);
}

BOOST_AUTO_TEST_CASE(isotonic_map_by_hand) {
  EstimatorParams p;
  p.bins = 10;
  PerformanceEstimator est(p);
  // bin 1: 1, 1; bin 2: 0, 0 (pooled with bin 1 and bin 5: 0.5); bin 5: 1, 0; bin 8: 1
  est.fit(vec({0.15, 0.15, 0.25, 0.25, 0.55, 0.55, 0.85}), vec({1, 1, 0, 0, 1, 0, 1}));
  const std::vector<double> m = est.calibration_map();
  const std::vector<double> want = {0.5, 0.5,           0.5,           0.5, 0.5,
                                    0.5, 0.5 + 0.5 / 3, 0.5 + 1.0 / 3, 1.0, 1.0};
  BOOST_REQUIRE(m.size() == want.size());
  for (std::size_t b = 0; b < m.size(); ++b)
    BOOST_TEST(m[b] == want[b], boost::test_tools::tolerance(1e-15));
  const Vector c = est.calibrate(vec({0.0, 0.69, 1.0}));
  BOOST_TEST(c[0] == 0.5);
  BOOST_TEST(c[1] == 0.5 + 0.5 / 3, boost::test_tools::tolerance(1e-15));
  BOOST_TEST(c[2] == 1.0);
  // realised reference metrics: exact confusion counts at 0.5 (targeted: 0.55, 0.55, 0.85)
  const ReferenceMetrics rm = est.reference_metrics();
  BOOST_TEST(rm.realised.precision == 2.0 / 3, boost::test_tools::tolerance(1e-15));
  BOOST_TEST(rm.realised.recall == 0.5);
  BOOST_TEST(rm.realised.churn_rate == 4.0 / 7, boost::test_tools::tolerance(1e-15));
  // the isotonic map keeps the mean: estimated churners on the reference = realised
  BOOST_TEST(rm.estimated.churners == 4.0, boost::test_tools::tolerance(1e-12));
  // bin AUC: positives in bins 1, 1, 5, 8; negatives in 2, 2, 5: pairs (8 > all) 3, (5 > 2) 2,
  // (5 = 5) 0.5 -> 5.5 / 12
  BOOST_TEST(rm.realised.roc_auc == 5.5 / 12, boost::test_tools::tolerance(1e-15));
  // unlabelled, or "none": no map
  BOOST_TEST(PerformanceEstimator(p).fit(vec({0.2})).calibration_map().empty());
}

BOOST_AUTO_TEST_CASE(merge_is_exact_in_any_order) {
  Vector s, y;
  draw(9000, 7, s, y);
  PerformanceEstimator est;
  const std::string whole = PerformanceEstimator().fit(s, y).to_json().dump();
  const Vector s1 = s.head(2000), s2 = s.segment(2000, 3000), s3 = s.tail(4000);
  const Vector y1 = y.head(2000), y2 = y.segment(2000, 3000), y3 = y.tail(4000);
  PerformanceEstimator a = est.accumulate(s1, y1);
  a.merge(est.accumulate(s2, y2)).merge(est.accumulate(s3, y3));
  PerformanceEstimator b = est.accumulate(s3, y3);
  b.merge(est.accumulate(s1, y1)).merge(est.accumulate(s2, y2));
  PerformanceEstimator c = PerformanceEstimator().fit(s2, y2);
  c.merge(PerformanceEstimator().fit(s3, y3).merge(PerformanceEstimator().fit(s1, y1)));
  BOOST_TEST(a.to_json().dump() == whole);
  BOOST_TEST(b.to_json().dump() == whole);
  BOOST_TEST(c.to_json().dump() == whole);
  BOOST_TEST(est.accumulate(Vector()).n_rows() == 0);  // an empty part
}

BOOST_AUTO_TEST_CASE(json_round_trip) {
  Vector s, y;
  draw(5000, 8, s, y);
  EstimatorParams p;
  p.min_precision = 0.3;
  PerformanceEstimator est(p);
  est.fit(s, y);
  const PerformanceEstimator back = PerformanceEstimator::from_json(est.to_json());
  BOOST_TEST(back.to_json().dump() == est.to_json().dump());
  BOOST_TEST(std::isnan(back.params().min_f1));
  BOOST_TEST(back.params().min_precision == 0.3);
  Vector s2, y2;
  draw(3000, 9, s2, y2);
  EstimatedPerformance r1 = est.estimate(s2, {0, 1000, 3000});
  EstimatedPerformance r2 = back.estimate(s2, {0, 1000, 3000});
  BOOST_TEST(r1.to_json().dump() == r2.to_json().dump());
  r1.add_realised(s2, y2);
  const EstimatedPerformance r3 = EstimatedPerformance::from_json(r1.to_json());
  BOOST_TEST(r3.to_json().dump() == r1.to_json().dump());
  BOOST_TEST(r3.has_realised());
  // unlabelled reference round trip
  const PerformanceEstimator u = PerformanceEstimator().fit(s);
  BOOST_TEST(PerformanceEstimator::from_json(u.to_json()).to_json().dump() == u.to_json().dump());
}

BOOST_AUTO_TEST_CASE(results_do_not_depend_on_the_thread_count) {
  Vector s, y;
  draw(20000, 10, s, y);
  std::vector<Index> bounds;
  for (Index b = 0; b <= 20000; b += 2000) bounds.push_back(b);
  std::string first;
  for (int threads : {1, 2, 4, 7}) {
    EstimatorParams p;
    p.n_threads = threads;
    PerformanceEstimator est(p);
    est.fit(s.head(5000), y.head(5000));
    EstimatedPerformance r = est.estimate(s, bounds);
    r.add_realised(s, y);
    Json j = r.to_json();
    j["params"]["n_threads"] = 0;
    if (first.empty()) first = j.dump();
    BOOST_TEST(j.dump() == first);
  }
}

BOOST_AUTO_TEST_CASE(reliability_and_alerts) {
  Vector s, y, yf;
  draw(40000, 11, s, y);
  draw(40000, 11, s, yf, 0.45);  // concept shift: labels nearly independent of the score
  std::vector<Index> bounds;
  for (Index b = 0; b <= 40000; b += 2000) bounds.push_back(b);
  EstimatorParams p;
  p.calibration = Recalibration::None;
  p.min_roc_auc = 0.9;  // above the estimate (about 0.83): an alert per chunk
  PerformanceEstimator est(p);
  est.fit(s.head(1000));
  EstimatedPerformance good = est.estimate(s, bounds);
  good.add_realised(s, y);
  BOOST_TEST(good.reliable());
  EstimatedPerformance bad = est.estimate(s, bounds);
  bad.add_realised(s, yf);
  const ReliabilityCheck rc = bad.reliability();
  BOOST_TEST(!rc.reliable);
  BOOST_TEST(rc.n_chunks == 20);
  BOOST_TEST(rc.n_outside == 20);
  BOOST_TEST(rc.p_value < 1e-20);
  Index gaps = 0, auc = 0;
  for (const Alert& a : bad.alerts()) {
    gaps += a.metric == "estimate_gap" ? 1 : 0;
    auc += a.metric == "estimated_roc_auc" ? 1 : 0;
    if (a.metric == "estimated_roc_auc") BOOST_TEST((a.severity == Severity::Significant));
  }
  BOOST_TEST(gaps == 20);
  BOOST_TEST(auc == 20);
  for (const Alert& a : good.alerts()) BOOST_TEST(a.metric != "estimate_gap");
  // before labels: reliable, no gap alerts
  BOOST_TEST(est.estimate(s, bounds).reliable());
}

BOOST_AUTO_TEST_CASE(errors_name_the_argument) {
  PerformanceEstimator est;
  check_message([&] { est.estimate(vec({0.5}), {0, 1}); }, "not fitted");
  BOOST_CHECK_THROW(est.estimate(vec({0.5}), {0, 1}), churn::NotFittedError);
  check_message([&] { est.fit(vec({0.5, kNaN})); }, "row 1");
  check_message([&] { est.fit(vec({0.5, 1.5})); }, "score must be a probability in [0, 1]");
  check_message([&] { est.fit(vec({0.5, 0.2}), vec({1, 2})); }, "labels");
  check_message([&] { est.fit(vec({0.5, 0.2}), vec({1})); }, "labels has 1 rows");
  check_message([&] { est.fit(Vector()); }, "no rows");
  BOOST_TEST(!est.is_fitted());  // a failed fit leaves it as it was
  est.fit(vec({0.2, 0.7}), vec({0, 1}));
  check_message([&] { est.estimate(vec({0.5, 0.2}), {0, 0, 2}); }, "chunk '0' is empty");
  check_message([&] { est.estimate(vec({0.5, 0.2}), {0, 1}); }, "bounds must run from 0");
  check_message([&] { est.estimate(vec({0.5, 0.2}), {0, 1, 2}, {"a"}); }, "1 names for 2");
  check_message(
      [&] {
        est.estimate(vec({0.5, 0.2, kNaN}), {0, 2, 3}, {"a", "b"});
      },
      "chunk 'b': score must be a probability in [0, 1], got nan at row 0");
  EstimatedPerformance r = est.estimate(vec({0.5, 0.2}), {0, 2});
  check_message([&] { r.add_realised(vec({0.5, 0.2}), vec({1})); }, "2 rows");
  check_message([&] { r.add_realised(vec({0.5, 0.2}), vec({1, 3})); }, "labels must be 0 or 1");
  // merge
  EstimatorParams other;
  other.threshold = 0.4;
  check_message([&] { est.merge(PerformanceEstimator(other).fit(vec({0.2}), vec({1}))); },
                "threshold");
  check_message([&] { est.merge(PerformanceEstimator().fit(vec({0.2}))); }, "labels");
  BOOST_CHECK_THROW(est.merge(PerformanceEstimator()), churn::NotFittedError);
  // params
  EstimatorParams p;
  p.bins = 5;
  check_message([&] { PerformanceEstimator{p}; }, "bins");
  p = EstimatorParams();
  p.confidence = 1;
  check_message([&] { PerformanceEstimator{p}; }, "confidence");
  p = EstimatorParams();
  p.min_f1 = 2;
  check_message([&] { PerformanceEstimator{p}; }, "min_f1");
  check_message([&] { EstimatorParams::from_options(Json{{"calibrate", "none"}}); }, "calibrate");
  check_message(
      [&] {
        EstimatorParams::from_options(Json{{"calibration", "platt"}});
      },
      "calibration");
}

BOOST_AUTO_TEST_CASE(damaged_json_is_refused) {
  PerformanceEstimator est;
  est.fit(vec({0.2, 0.7, 0.9}), vec({0, 1, 1}));
  const Json good = est.to_json();
  auto refused = [](Json doc, const std::string& part) {
    BOOST_CHECK_THROW(PerformanceEstimator::from_json(doc), churn::SerializationError);
    check_message([&] { PerformanceEstimator::from_json(doc); }, part);
  };
  Json j = good;
  j["state"]["extra"] = 1;
  refused(j, "extra");
  j = good;
  j["state"]["positives"][3] = -1;
  refused(j, "positives[3]");
  j = good;
  j["state"]["negatives"].erase(0);
  refused(j, "negatives");
  j = good;
  j["state"]["n_rows"] = 4;
  refused(j, "n_rows");
  j = good;
  j["state"]["targeted_positives"] = 5;
  refused(j, "targeted_positives");
  j = good;
  j["params"]["bins"] = 5;
  refused(j, "bins");
  j = good;
  j["params"]["colour"] = 5;
  refused(j, "colour");
  j = good;
  j["kind"] = "DriftBaseline";
  refused(j, "DriftBaseline");
  Json r = est.estimate(vec({0.5}), {0, 1}).to_json();
  r["state"]["chunks"][0]["roc_auc"]["lower"] = "x";
  BOOST_CHECK_THROW(EstimatedPerformance::from_json(r), churn::SerializationError);
}

BOOST_AUTO_TEST_CASE(a_stop_request_interrupts_estimate) {
  Vector s, y;
  draw(10000, 12, s, y);
  PerformanceEstimator est;
  est.fit(s, y);
  churn::StopScope scope([] { return true; }, std::chrono::milliseconds(0));
  BOOST_CHECK_THROW(est.estimate(s, {0, 5000, 10000}), churn::Interrupted);
}

BOOST_AUTO_TEST_SUITE_END()
