#include <boost/test/unit_test.hpp>

#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include "churn/core/error.hpp"
#include "churn/core/json.hpp"
#include "churn/data/table.hpp"
#include "churn/metrics/classification.hpp"
#include "churn/monitor/baseline.hpp"
#include "churn/monitor/report.hpp"

using churn::Index;
using churn::Json;
using churn::Vector;
using churn::data::Column;
using churn::data::Table;
using namespace churn::monitor;  // NOLINT

namespace {

const double kNaN = std::numeric_limits<double>::quiet_NaN();

FeatureDrift row(const std::string& name, double psi, DriftStatus status) {
  FeatureDrift d;
  d.feature = name;
  d.psi = psi;
  d.status = status;
  return d;
}

Vector vec(std::initializer_list<double> v) {
  Vector x(static_cast<Index>(v.size()));
  Index i = 0;
  for (double a : v) x[i++] = a;
  return x;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(monitor_report)

BOOST_AUTO_TEST_CASE(weighting_by_importance_leads_with_the_drift_that_can_move_the_score) {
  std::vector<FeatureDrift> rows = {
      row("a", 0.30, DriftStatus::Significant), row("b", 0.12, DriftStatus::Moderate),
      row("c", 0.02, DriftStatus::Stable), row("d", 0.05, DriftStatus::Stable),
      row("m", kNaN, DriftStatus::MissingColumn)};
  DriftReport r(rows, std::nullopt, ReportThresholds{}, 100, 50);
  BOOST_TEST(!r.weighted());
  BOOST_TEST(std::isnan(r.features()[0].importance));
  const auto alerts_before = r.alerts().size();
  // shares: a 0.1, b 0.9, c and d 0 (d not named); impacts 0.03, 0.108, 0, 0
  r.weight_by_importance({{"a", 1.0}, {"b", 9.0}, {"c", 0.0}});
  BOOST_TEST(r.weighted());
  std::vector<std::string> order;
  for (const auto& f : r.features()) order.push_back(f.feature);
  // missing first, then impact; c and d tie at 0: severity equal, d's PSI is larger
  BOOST_TEST((order == std::vector<std::string>{"m", "b", "a", "d", "c"}));
  BOOST_TEST(r.feature("a").importance == 0.1, boost::test_tools::tolerance(1e-15));
  BOOST_TEST(r.feature("b").impact == 0.12 * 0.9, boost::test_tools::tolerance(1e-15));
  BOOST_TEST(r.feature("d").importance == 0.0);
  BOOST_TEST(std::isnan(r.feature("m").impact));
  BOOST_TEST(r.alerts().size() == alerts_before);
  const Json j = r.to_json();
  BOOST_TEST(j["weighted_by_importance"].get<bool>());
  BOOST_TEST(j["features"][1]["feature"].get<std::string>() == "b");
  BOOST_TEST(j["features"][1]["impact"].get<double>() == 0.108,
             boost::test_tools::tolerance(1e-12));

  DriftReport bad(rows, std::nullopt, ReportThresholds{}, 100, 50);
  BOOST_CHECK_THROW(bad.weight_by_importance({{"zzz", 1.0}}), churn::InvalidArgument);
  BOOST_CHECK_THROW(bad.weight_by_importance({{"a", -1.0}}), churn::InvalidArgument);
  BOOST_CHECK_THROW(bad.weight_by_importance({{"a", kNaN}}), churn::InvalidArgument);
  BOOST_CHECK_THROW(bad.weight_by_importance({{"a", 0.0}}), churn::InvalidArgument);
  BOOST_CHECK_THROW(bad.weight_by_importance({}), churn::InvalidArgument);
  BOOST_TEST(!bad.weighted());
}

BOOST_AUTO_TEST_CASE(status_thresholds) {
  BOOST_TEST((status_of(0.0999, 0.1, 0.25) == DriftStatus::Stable));
  BOOST_TEST((status_of(0.1, 0.1, 0.25) == DriftStatus::Moderate));
  BOOST_TEST((status_of(0.2499, 0.1, 0.25) == DriftStatus::Moderate));
  BOOST_TEST((status_of(0.25, 0.1, 0.25) == DriftStatus::Significant));
  BOOST_TEST((status_of(kNaN, 0.1, 0.25) == DriftStatus::Stable));
  BOOST_TEST(std::string(drift_status_name(DriftStatus::MissingColumn)) == "missing_column");
  BOOST_TEST(std::string(feature_kind_name(FeatureKind::Categorical)) == "categorical");
  BOOST_TEST(std::string(severity_name(Severity::Significant)) == "significant");
}

BOOST_AUTO_TEST_CASE(sorted_by_severity_share_and_alerts) {
  std::vector<FeatureDrift> rows = {
      row("a", 0.05, DriftStatus::Stable),     row("b", 0.3, DriftStatus::Significant),
      row("c", 0.12, DriftStatus::Moderate),   row("d", kNaN, DriftStatus::MissingColumn),
      row("e", 0.9, DriftStatus::Significant), row("f", 0.01, DriftStatus::Stable),
      row("g", 0.12, DriftStatus::Moderate)};
  FeatureDrift score = row("score", 0.21, DriftStatus::Moderate);
  const DriftReport r(rows, score, ReportThresholds{}, 1000, 200);
  std::vector<std::string> order;
  for (const auto& f : r.features()) order.push_back(f.feature);
  BOOST_TEST(order == (std::vector<std::string>{"d", "e", "b", "c", "g", "a", "f"}),
             boost::test_tools::per_element());
  BOOST_TEST(r.share_drifting() == 4.0 / 6.0, boost::test_tools::tolerance(1e-15));
  BOOST_TEST(r.n_missing_columns() == 1);
  const auto alerts = r.alerts();
  BOOST_TEST_REQUIRE(alerts.size() == 6u);
  BOOST_TEST(alerts[0].subject == "d");
  BOOST_TEST(alerts[0].metric == "missing_column");
  BOOST_TEST((alerts[0].severity == Severity::Significant));
  BOOST_TEST(alerts[1].subject == "e");
  BOOST_TEST(alerts[1].threshold == 0.25);
  BOOST_TEST(alerts[3].subject == "c");
  BOOST_TEST(alerts[3].threshold == 0.1);
  BOOST_TEST((alerts[3].severity == Severity::Moderate));
  // the score's PSI above 0.2 is an alert by default
  BOOST_TEST(alerts[5].subject == "score");
  BOOST_TEST(alerts[5].value == 0.21);
  BOOST_TEST(alerts[5].threshold == 0.2);
  BOOST_TEST((alerts[5].severity == Severity::Significant));
  ReportThresholds strict;
  strict.score_alert = 0.5;
  BOOST_TEST(DriftReport(rows, score, strict, 1, 1).alerts().size() == 5u);

  const Json j = r.to_json();
  BOOST_TEST(j["features"].size() == 7u);
  BOOST_TEST(j["features"][0]["status"] == "missing_column");
  BOOST_TEST(j["features"][0]["psi"] == "nan");
  BOOST_TEST(j["score"]["psi"] == 0.21);
  BOOST_TEST(j["alerts"].size() == 6u);
  BOOST_TEST(j["n_rows_current"] == 200);
  BOOST_TEST(j["share_drifting"].get<double>() == 4.0 / 6.0);
  BOOST_TEST(r.feature("c").psi == 0.12);
  BOOST_CHECK_THROW(r.feature("zz"), churn::InvalidArgument);
  BOOST_TEST(std::isnan(DriftReport({row("x", kNaN, DriftStatus::MissingColumn)}, std::nullopt,
                                    ReportThresholds{}, 1, 1)
                            .share_drifting()));
}

BOOST_AUTO_TEST_CASE(performance_per_window) {
  // window 0: AUC 0.75 (the metrics example), window 1: perfect, window 2: one class only
  const std::vector<Vector> y = {vec({0, 0, 1, 1}), vec({0, 1, 0, 1}), vec({0, 0, 0})};
  const std::vector<Vector> s = {vec({0.1, 0.4, 0.35, 0.8}), vec({0.2, 0.9, 0.1, 0.7}),
                                 vec({0.1, 0.6, 0.2})};
  const auto w = performance_by_window(y, s, {"2024-01", "2024-02", "2024-03"});
  BOOST_TEST_REQUIRE(w.size() == 3u);
  BOOST_TEST(w[0].window == "2024-01");
  BOOST_TEST(w[0].n == 4);
  BOOST_TEST(w[0].auc == 0.75);
  BOOST_TEST(w[0].churn_rate == 0.5);
  // threshold 0.5: window 0 predicts only row 3 (a churner): precision 1, recall 1/2
  BOOST_TEST(w[0].precision == 1.0);
  BOOST_TEST(w[0].recall == 0.5);
  BOOST_TEST(w[0].precision == churn::metrics::precision(y[0], s[0]));
  BOOST_TEST(w[0].recall == churn::metrics::recall(y[0], s[0]));
  BOOST_TEST(w[1].auc == 1.0);
  BOOST_TEST(std::isnan(w[2].auc));
  BOOST_TEST(std::isnan(w[2].recall));
  BOOST_TEST(w[2].precision == 0.0);
  BOOST_TEST(w[2].churn_rate == 0.0);
  BOOST_TEST(performance_by_window(y, s)[1].window == "1");

  DriftReport r({row("a", 0.0, DriftStatus::Stable)}, std::nullopt, ReportThresholds{}, 10, 10);
  PerformanceThresholds t;  // AUC < 0.70 by default
  t.min_recall = 0.6;
  t.max_churn_rate = 0.4;
  r.add_performance(w, t);
  const auto alerts = r.alerts();
  // 2024-01: recall 0.5 < 0.6, churn 0.5 > 0.4; 2024-02: churn 0.5; 2024-03: nothing (no AUC)
  BOOST_TEST_REQUIRE(alerts.size() == 3u);
  BOOST_TEST(alerts[0].metric == "recall");
  BOOST_TEST(alerts[1].metric == "churn_rate");
  BOOST_TEST(alerts[2].subject == "2024-02");
  PerformanceThresholds high;
  high.min_auc = 0.8;
  r.add_performance(w, high);
  BOOST_TEST_REQUIRE(r.alerts().size() == 1u);
  BOOST_TEST(r.alerts()[0].subject == "2024-01");
  BOOST_TEST(r.alerts()[0].metric == "auc");
  BOOST_TEST(r.alerts()[0].value == 0.75);
  BOOST_TEST((r.alerts()[0].severity == Severity::Significant));
  BOOST_TEST(r.to_json()["performance"].size() == 3u);
  BOOST_TEST(r.to_json()["performance"][2]["auc"] == "nan");

  BOOST_CHECK_THROW(performance_by_window(y, {s[0]}), churn::InvalidArgument);
  BOOST_CHECK_THROW(performance_by_window({vec({0, 2})}, {vec({0.1, 0.2})}),
                    churn::InvalidArgument);
  BOOST_CHECK_THROW(performance_by_window({vec({0, 1})}, {vec({0.1, kNaN})}),
                    churn::InvalidArgument);
  BOOST_CHECK_THROW(performance_by_window({Vector()}, {Vector()}), churn::InvalidArgument);
  PerformanceThresholds bad;
  bad.min_auc = 1.5;
  BOOST_CHECK_THROW(r.add_performance(w, bad), churn::InvalidArgument);
}

BOOST_AUTO_TEST_CASE(end_to_end_drifted_batch) {
  // a shifted numeric feature and a new category are flagged; the stable ones are not
  std::mt19937_64 rng(3);
  std::normal_distribution<double> g(0, 1);
  auto batch = [&](Index n, double shift, bool new_plan) {
    std::vector<double> usage(n), noise(n);
    std::vector<std::string> plan(n);
    for (Index i = 0; i < n; ++i) {
      usage[i] = 10 + 2 * g(rng) + shift;
      noise[i] = g(rng);
      plan[i] = (i % 3 == 0) ? "basic" : (new_plan && i % 5 == 0 ? "ultra" : "pro");
    }
    return Table({Column::from_float64("usage", usage), Column::from_float64("noise", noise),
                  Column::from_strings_categorical("plan", plan)});
  };
  const Table ref = batch(20000, 0, false);
  Vector rs(20000), cs(5000);
  for (Index i = 0; i < rs.size(); ++i) rs[i] = 1 / (1 + std::exp(-g(rng)));
  for (Index i = 0; i < cs.size(); ++i) cs[i] = 1 / (1 + std::exp(-g(rng) - 1.5));
  Baseline b;
  b.fit(ref, rs);
  const DriftReport r = b.compare(batch(5000, 3.0, true), cs);
  BOOST_TEST(r.features()[0].feature == "usage");
  BOOST_TEST((r.feature("usage").status == DriftStatus::Significant));
  BOOST_TEST((r.feature("plan").status != DriftStatus::Stable));
  BOOST_TEST(r.feature("plan").unseen_categories == std::vector<std::string>{"ultra"},
             boost::test_tools::per_element());
  BOOST_TEST((r.feature("noise").status == DriftStatus::Stable));
  BOOST_TEST(r.feature("noise").psi < 0.02);
  BOOST_TEST(r.share_drifting() == 2.0 / 3.0, boost::test_tools::tolerance(1e-15));
  BOOST_TEST_REQUIRE(r.score().has_value());
  BOOST_TEST(r.score()->psi > 0.2);
  bool score_alert = false;
  for (const auto& a : r.alerts()) score_alert |= (a.subject == "score" && a.metric == "psi");
  BOOST_TEST(score_alert);
  const Json j = r.to_json();
  BOOST_TEST(j["features"][0]["feature"] == "usage");
  BOOST_TEST(j["thresholds"]["min_auc"] == 0.7);
}

BOOST_AUTO_TEST_SUITE_END()
