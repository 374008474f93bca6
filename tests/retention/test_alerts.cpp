#include <unistd.h>  // getpid

#include <boost/test/unit_test.hpp>

#include <algorithm>   // std::sort, std::adjacent_find, std::count
#include <cmath>       // std::isnan
#include <cstdint>     // std::int64_t
#include <filesystem>  // std::filesystem
#include <fstream>     // std::ofstream
#include <limits>      // std::numeric_limits
#include <random>      // std::mt19937_64
#include <string>      // std::string
#include <thread>      // std::thread
#include <vector>      // std::vector

#include <nlohmann/json.hpp>
#include "churn/core/datetime.hpp"
#include "churn/core/error.hpp"
#include "churn/core/fileio.hpp"
#include "churn/data/table.hpp"
#include "churn/monitor/report.hpp"
#include "churn/retention/alerts.hpp"
#include "retention/alerts_impl.hpp"
#include "test_util.hpp"

using churn::Index;
using churn::InvalidArgument;
using churn::Json;
using churn::kNanosPerDay;
using churn::Vector;
using churn::retention::Alert;
using churn::retention::AlertLog;
using churn::retention::Severity;
using churn_test::throws_with;
namespace ret = churn::retention;
namespace fs = std::filesystem;

namespace {

const double kNaN = std::numeric_limits<double>::quiet_NaN();
/// 2024-05-01T06:00:00 UTC.
const std::int64_t kT0 = churn::days_from_civil(2024, 5, 1) * kNanosPerDay + 6 * 3600 * churn::kNanosPerSecond;

Vector vec(std::initializer_list<double> v) {
  Vector x(static_cast<Index>(v.size()));
  Index i = 0;
  for (double a : v) x[i++] = a;
  return x;
}

/// A fresh file path in a folder of this process.
std::string scratch(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("churn_test_alerts_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const fs::path p = dir / name;
  fs::remove(p);
  return p.string();
}

Alert alert(const std::string& kind, const std::string& subject, std::int64_t t,
            Severity s = Severity::Warning) {
  Alert a;
  a.kind = kind;
  a.subject = subject;
  a.metric = "score";
  a.value = 0.7;
  a.threshold = 0.5;
  a.severity = s;
  a.reason = "test";
  a.timestamp = t;
  a.id = ret::alert_id(kind, subject, a.metric, t);
  return a;
}

churn::monitor::FeatureDrift drift_row(const std::string& name, double psi,
                                       churn::monitor::DriftStatus status) {
  churn::monitor::FeatureDrift d;
  d.feature = name;
  d.psi = psi;
  d.status = status;
  return d;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(retention_alerts)

// ---- sources --------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(risk_alerts_cross_and_jump_by_id) {
  // a: stays high (no crossing), b: crosses, c: jumps below the threshold, d: new and high,
  // e: new and low, f: crosses and jumps
  const std::vector<std::string> ids = {"a", "b", "c", "d", "e", "f"};
  const Vector now = vec({0.9, 0.55, 0.45, 0.8, 0.1, 0.95});
  const std::vector<std::string> prev_ids = {"f", "c", "b", "a", "gone"};
  const Vector prev = vec({0.3, 0.1, 0.49, 0.8, 0.9});
  const auto alerts = ret::risk_alerts(ids, now, prev_ids, prev, kT0);
  BOOST_REQUIRE_EQUAL(alerts.size(), 5u);
  BOOST_TEST(alerts[0].subject == "b");
  BOOST_TEST(alerts[0].kind == "risk_threshold");
  BOOST_TEST(alerts[0].metric == "score");
  BOOST_TEST(alerts[0].value == 0.55);
  BOOST_TEST(alerts[0].threshold == 0.5);
  BOOST_TEST(alerts[0].reason.find("previous score 0.49") != std::string::npos);
  BOOST_TEST(alerts[1].subject == "c");
  BOOST_TEST(alerts[1].kind == "risk_jump");
  BOOST_TEST(alerts[1].metric == "score_change");
  BOOST_TEST(alerts[1].value == 0.45 - 0.1);
  BOOST_TEST(alerts[1].threshold == 0.2);
  BOOST_TEST(alerts[2].subject == "d");
  BOOST_TEST(alerts[2].reason.find("no previous score") != std::string::npos);
  BOOST_TEST((alerts[3].subject == "f" && alerts[3].kind == "risk_threshold"));
  BOOST_TEST((alerts[4].subject == "f" && alerts[4].kind == "risk_jump"));
  for (const auto& a : alerts) {
    BOOST_TEST(a.timestamp == kT0);
    BOOST_TEST(a.id == ret::alert_id(a.kind, a.subject, a.metric, kT0));
    BOOST_TEST(a.id.size() == 16u);
  }
  // without a previous run every high score crosses, nobody jumps
  const auto first = ret::risk_alerts(ids, now, kT0);
  BOOST_TEST(first.size() == 4u);  // a, b, d, f
  for (const auto& a : first) BOOST_TEST(a.kind == "risk_threshold");
}

BOOST_AUTO_TEST_CASE(risk_alerts_parameters_and_columns) {
  ret::RiskAlertParams p;
  p.threshold = kNaN;  // jumps only
  p.jump = 0.3;
  p.jump_severity = Severity::Critical;
  const auto alerts = ret::risk_alerts({"x", "y"}, vec({0.9, 0.5}), {"x", "y"}, vec({0.5, 0.1}),
                                       kT0, p);
  BOOST_REQUIRE_EQUAL(alerts.size(), 2u);  // 0.4 > 0.3 for both
  BOOST_TEST(ret::severity_name(alerts[0].severity) == std::string("critical"));
  // the jump is strict: exactly the jump is no alert
  p.jump = 0.5;
  BOOST_TEST(ret::risk_alerts({"x"}, vec({1.0}), {"x"}, vec({0.5}), kT0, p).empty());
  // integer and categorical id columns give the ids' text
  using churn::data::Column;
  const auto by_column = ret::risk_alerts(
      Column::from_int64("id", {7, 8}), vec({0.9, 0.2}),
      Column::from_strings_categorical("id", {"8", "7"}), vec({0.1, 0.1}), kT0);
  BOOST_REQUIRE_EQUAL(by_column.size(), 2u);
  BOOST_TEST(by_column[0].subject == "7");
  BOOST_TEST(by_column[1].kind == "risk_jump");
  const Json opts = Json{{"jump", 0.1}, {"threshold_severity", "info"}};
  const auto q = ret::RiskAlertParams::from_options(opts);
  BOOST_TEST(q.jump == 0.1);
  BOOST_TEST((q.threshold_severity == Severity::Info));
  BOOST_TEST(ret::RiskAlertParams().to_json()["threshold"].get<double>() == 0.5);
}

BOOST_AUTO_TEST_CASE(drift_alerts_from_a_report_and_from_values) {
  using churn::monitor::DriftReport;
  using churn::monitor::DriftStatus;
  std::vector<churn::monitor::FeatureDrift> rows = {
      drift_row("tenure", 0.4, DriftStatus::Significant),
      drift_row("charges", 0.12, DriftStatus::Moderate),
      drift_row("region", 0.01, DriftStatus::Stable),
      drift_row("plan", kNaN, DriftStatus::MissingColumn)};
  const DriftReport report(rows, drift_row("score", 0.3, DriftStatus::Significant), {}, 100, 50);
  const auto alerts = ret::drift_alerts(report, kT0);
  // the report sorts its rows: missing columns first, then by decreasing PSI
  BOOST_REQUIRE_EQUAL(alerts.size(), 4u);
  BOOST_TEST(alerts[0].subject == "plan");
  BOOST_TEST(alerts[0].metric == "missing_column");
  BOOST_TEST((alerts[0].severity == Severity::Critical));
  BOOST_TEST(std::isnan(alerts[0].value));
  BOOST_TEST(alerts[1].subject == "tenure");
  BOOST_TEST((alerts[1].severity == Severity::Critical));
  BOOST_TEST(alerts[1].threshold == 0.25);
  BOOST_TEST(alerts[2].subject == "charges");
  BOOST_TEST((alerts[2].severity == Severity::Warning));
  BOOST_TEST(alerts[2].threshold == 0.1);
  BOOST_TEST(alerts[3].subject == "score");
  BOOST_TEST(alerts[3].reason.find("model score") != std::string::npos);
  ret::DriftAlertParams p;
  p.include_score = false;
  p.psi_warning = 0.3;
  p.psi_critical = 0.5;
  BOOST_TEST(ret::drift_alerts(report, kT0, p).size() == 2u);  // plan, tenure
  const auto from_values =
      ret::drift_alerts({"a", "b", "c"}, vec({0.1, kNaN, 0.25}), kT0);  // a warning at 0.1 itself
  BOOST_REQUIRE_EQUAL(from_values.size(), 2u);
  BOOST_TEST((from_values[1].severity == Severity::Critical));
}

BOOST_AUTO_TEST_CASE(quality_alerts_from_the_metrics) {
  const Vector y = vec({0, 0, 1, 1, 0, 1});
  const Vector s = vec({0.1, 0.6, 0.35, 0.8, 0.7, 0.2});
  ret::QualityAlertParams p;
  p.min_auc = 0.9;
  p.min_precision = 0.9;
  p.min_recall = 0.9;
  p.subject = "churn-v3";
  const auto alerts = ret::quality_alerts(y, s, kT0, p);
  BOOST_REQUIRE_EQUAL(alerts.size(), 3u);
  // AUC: positives 0.35, 0.8, 0.2 against negatives 0.1, 0.6, 0.7: 5 of 9 pairs
  BOOST_TEST(alerts[0].metric == "auc");
  BOOST_TEST(alerts[0].value == 5.0 / 9.0, boost::test_tools::tolerance(1e-12));
  BOOST_TEST((alerts[0].severity == Severity::Critical));
  BOOST_TEST(alerts[0].subject == "churn-v3");
  BOOST_TEST(alerts[1].metric == "precision");
  BOOST_TEST(alerts[1].value == 1.0 / 3.0, boost::test_tools::tolerance(1e-12));  // 0.6 0.8 0.7
  BOOST_TEST(alerts[2].metric == "recall");
  BOOST_TEST(alerts[2].value == 1.0 / 3.0, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(ret::quality_alerts(y, s, kT0).size() == 1u);  // the default: AUC >= 0.70 only
  // one class only: AUC and recall are undefined, no alert for them
  BOOST_TEST(ret::quality_alerts(vec({0, 0}), vec({0.9, 0.1}), kT0, p).size() == 1u);
}

// ---- cooldown -------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(cooldown_drops_repeats_of_kind_and_subject) {
  const std::int64_t h = 3600 * churn::kNanosPerSecond;
  const std::vector<Alert> history = {alert("risk_threshold", "a", kT0),
                                      alert("drift", "tenure", kT0 - 30 * h)};
  const std::vector<Alert> fresh = {
      alert("risk_threshold", "a", kT0 + 23 * h),                      // within a day: dropped
      alert("risk_jump", "a", kT0 + 1 * h),                            // another kind: kept
      alert("drift", "tenure", kT0 + 1 * h),                           // 31 h later: kept
      alert("drift", "tenure", kT0 + 2 * h),                           // after the one kept
      alert("risk_threshold", "a", kT0 + 2 * h, Severity::Critical),   // escalation: kept
      alert("risk_threshold", "b", kT0 + 24 * h),                      // another subject
      history[0]};                                                     // a rerun: dropped
  const auto kept = ret::apply_cooldown(fresh, history, kNanosPerDay);
  BOOST_REQUIRE_EQUAL(kept.size(), 4u);
  BOOST_TEST(kept[0].kind == "risk_jump");
  BOOST_TEST(kept[1].timestamp == kT0 + 1 * h);
  BOOST_TEST((kept[2].severity == Severity::Critical));
  BOOST_TEST(kept[3].subject == "b");
  // exactly the cooldown later is allowed again; a zero cooldown only removes reruns
  BOOST_TEST(ret::apply_cooldown({alert("risk_threshold", "a", kT0 + kNanosPerDay)}, history,
                                 kNanosPerDay)
                 .size() == 1u);
  BOOST_TEST(ret::apply_cooldown(fresh, history, 0).size() == 6u);
  BOOST_TEST(throws_with<InvalidArgument>([&] { ret::apply_cooldown(fresh, history, -1); },
                                          "cooldown must be >= 0"));
}

// ---- records and the log --------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(json_and_table_round_trips) {
  Alert a = alert("drift", "plan \"x\"\nline", kT0 + 123456789);
  a.value = kNaN;
  a.threshold = std::numeric_limits<double>::infinity();
  a.reason = "caf\xc3\xa9";
  const Alert b = ret::alert_from_json(ret::alert_to_json(a));
  BOOST_TEST(b.id == a.id);
  BOOST_TEST(b.subject == a.subject);
  BOOST_TEST(std::isnan(b.value));
  BOOST_TEST(b.threshold == a.threshold);
  BOOST_TEST(b.reason == a.reason);
  BOOST_TEST(b.timestamp == a.timestamp);
  const std::string line = ret::detail::alert_line(a);
  BOOST_TEST(line.find('\n') == line.size() - 1);  // one line, whatever the text holds
  const auto table = ret::alerts_to_table({a, alert("risk_jump", "c", kT0, Severity::Info)});
  BOOST_TEST(table.num_rows() == 2);
  BOOST_TEST((table.column("timestamp").dtype() == churn::data::DType::Timestamp));
  BOOST_TEST(table.column("severity").value_string(1) == "info");
  const auto back = ret::alerts_from_table(table);
  BOOST_REQUIRE_EQUAL(back.size(), 2u);
  BOOST_TEST(back[0].subject == a.subject);
  BOOST_TEST((back[1].severity == Severity::Info));
  BOOST_TEST(back[1].timestamp == kT0);
  BOOST_TEST(throws_with<churn::SerializationError>(
      [] { ret::alert_from_json(Json{{"id", "x"}}); }, "missing field 'kind'"));
}

BOOST_AUTO_TEST_CASE(log_appends_and_reads_back) {
  const std::string path = scratch("log.jsonl");
  const AlertLog log(path);
  BOOST_TEST(log.read().alerts.empty());  // no file yet
  log.append({});
  BOOST_TEST(!fs::exists(path));
  log.append({alert("risk_threshold", "a", kT0), alert("risk_jump", "a", kT0)});
  AlertLog(path, /*fsync=*/true).append({alert("drift", "tenure", kT0 + 1)});
  const auto got = log.read();
  BOOST_REQUIRE_EQUAL(got.alerts.size(), 3u);
  BOOST_TEST(got.alerts[2].subject == "tenure");
  BOOST_TEST(got.skipped_lines == 0);
  BOOST_TEST(got.trailing_bytes == 0);
  const auto t = log.read_table();
  BOOST_TEST(t.num_rows() == 3);
  BOOST_TEST(t.column("kind").value_string(1) == "risk_jump");
}

BOOST_AUTO_TEST_CASE(a_torn_tail_is_skipped_and_closed_by_the_next_append) {
  const std::string path = scratch("torn.jsonl");
  const AlertLog log(path);
  log.append({alert("risk_threshold", "a", kT0)});
  const std::string whole = ret::detail::alert_line(alert("risk_threshold", "b", kT0));
  {
    std::ofstream out(path, std::ios::app | std::ios::binary);
    out << whole.substr(0, whole.size() / 2);  // a writer killed mid-record
  }
  auto got = log.read();
  BOOST_TEST(got.alerts.size() == 1u);
  BOOST_TEST(got.skipped_lines == 0);
  BOOST_TEST(got.trailing_bytes == static_cast<Index>(whole.size() / 2));
  log.append({alert("risk_threshold", "c", kT0)});
  got = log.read();
  BOOST_REQUIRE_EQUAL(got.alerts.size(), 2u);  // a and c, whole
  BOOST_TEST(got.alerts[1].subject == "c");
  BOOST_TEST(got.skipped_lines == 1);  // the fragment, now a line of its own
  BOOST_TEST(got.trailing_bytes == 0);
  // junk lines, blank lines and CRLF endings
  const auto parsed = ret::detail::parse_alert_lines("\n  \nnot json\n[1]\n{\"id\":\"x\"}\n" +
                                                     whole.substr(0, whole.size() - 1) + "\r\n");
  BOOST_TEST(parsed.alerts.size() == 1u);
  BOOST_TEST(parsed.skipped_lines == 3);
}

BOOST_AUTO_TEST_CASE(the_reader_survives_any_damage) {
  // every cut and random byte damage of a valid log: no crash, no exception, whole records only
  std::string text;
  std::vector<Alert> written;
  for (int i = 0; i < 6; ++i) {
    written.push_back(alert(i % 2 ? "drift" : "risk_jump", "s" + std::to_string(i), kT0 + i));
    text += ret::detail::alert_line(written.back());
  }
  std::mt19937_64 rng(11);
  const char junk[] = {'\0', '\n', '"', '{', '}', '\\', ',', ':', '\xff', 'x', '9'};
  for (int round = 0; round < 2000; ++round) {
    std::string damaged = text.substr(0, rng() % (text.size() + 1));
    const int flips = static_cast<int>(rng() % 4);
    for (int f = 0; f < flips && !damaged.empty(); ++f)
      damaged[rng() % damaged.size()] = junk[rng() % sizeof junk];
    ret::AlertLogContents got;
    BOOST_REQUIRE_NO_THROW(got = ret::detail::parse_alert_lines(damaged));
    const auto lines = std::count(damaged.begin(), damaged.end(), '\n');
    BOOST_TEST(static_cast<Index>(got.alerts.size()) + got.skipped_lines <= lines);
    BOOST_TEST(got.trailing_bytes <= static_cast<Index>(damaged.size()));
    if (flips == 0) {  // only cut: the whole lines before the cut, exactly
      BOOST_TEST(got.alerts.size() == static_cast<std::size_t>(lines));
      for (std::size_t k = 0; k < got.alerts.size(); ++k)
        BOOST_TEST(got.alerts[k].id == written[k].id);
    }
  }
}

BOOST_AUTO_TEST_CASE(threads_appending_at_once_lose_nothing) {
  const std::string path = scratch("threads.jsonl");
  constexpr int kThreads = 4;
  constexpr int kBatches = 50;
  std::vector<std::thread> pool;
  for (int w = 0; w < kThreads; ++w)
    pool.emplace_back([&, w] {
      const AlertLog log(path);  // each its own object: the lock still excludes
      for (int b = 0; b < kBatches; ++b)
        log.append({alert("risk_threshold", std::to_string(w), kT0 + b),
                    alert("risk_jump", std::to_string(w), kT0 + b)});
    });
  for (auto& t : pool) t.join();
  const auto got = AlertLog(path).read();
  BOOST_TEST(got.alerts.size() == static_cast<std::size_t>(kThreads * kBatches * 2));
  BOOST_TEST(got.skipped_lines == 0);
  std::vector<std::string> ids;
  for (const auto& a : got.alerts) ids.push_back(a.id);
  std::sort(ids.begin(), ids.end());
  BOOST_TEST((std::adjacent_find(ids.begin(), ids.end()) == ids.end()));
}

// ---- bad input ------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(bad_input_throws_naming_the_argument) {
  BOOST_TEST(throws_with<InvalidArgument>(
      [] { ret::risk_alerts({"a", "b"}, vec({0.1}), kT0); }, "2 ids for 1 scores"));
  BOOST_TEST(throws_with<InvalidArgument>(
      [] { ret::risk_alerts({"a", "b"}, vec({0.1, kNaN}), kT0); }, {"scores", "row 1"}));
  BOOST_TEST(throws_with<InvalidArgument>([] { ret::risk_alerts({"a", "a"}, vec({0.1, 0.2}), kT0); },
                                          "'a' appears at rows 0 and 1"));
  BOOST_TEST(throws_with<InvalidArgument>(
      [] { ret::risk_alerts({"a"}, vec({0.1}), {"b", "b"}, vec({0.1, 0.2}), kT0); },
      "previous_ids must be distinct"));
  BOOST_TEST(throws_with<InvalidArgument>(
      [] { ret::risk_alerts({"a"}, vec({0.1}), churn::kNaT); }, "timestamp must not be NaT"));
  ret::RiskAlertParams r;
  r.jump = -0.1;
  BOOST_TEST(throws_with<InvalidArgument>([&] { ret::risk_alerts({"a"}, vec({0.1}), kT0, r); },
                                          "jump must be > 0"));
  r = {};
  r.threshold = std::numeric_limits<double>::infinity();
  BOOST_TEST(throws_with<InvalidArgument>([&] { r.validate(); }, "threshold must be finite"));
  ret::DriftAlertParams d;
  d.psi_critical = 0.05;
  BOOST_TEST(throws_with<InvalidArgument>([&] { d.validate(); }, "psi_critical must be >="));
  BOOST_TEST(throws_with<InvalidArgument>(
      [] { ret::drift_alerts({"a"}, vec({-1.0}), kT0); }, "psi must be >= 0"));
  ret::QualityAlertParams q;
  q.min_auc = 1.5;
  BOOST_TEST(throws_with<InvalidArgument>([&] { q.validate(); }, "min_auc must be in [0, 1]"));
  BOOST_TEST(throws_with<InvalidArgument>(
      [] { ret::quality_alerts(vec({0, 2}), vec({0.1, 0.2}), kT0); }, "y_true"));
  BOOST_TEST(throws_with<InvalidArgument>(
      [] { ret::quality_alerts(vec({0, 1}), vec({0.1}), kT0); }, "y_score 1"));
  BOOST_TEST(throws_with<InvalidArgument>(
      [] { ret::RiskAlertParams::from_options(Json{{"jump_severity", "urgent"}}); }, "urgent"));
  BOOST_TEST(throws_with<InvalidArgument>(
      [] { ret::RiskAlertParams::from_options(Json{{"jumps", 0.1}}); }, "jumps"));
  Alert no_id = alert("drift", "x", kT0);
  no_id.id.clear();
  BOOST_TEST(throws_with<InvalidArgument>(
      [&] { AlertLog(scratch("bad.jsonl")).append({no_id}); }, "empty id"));
  BOOST_TEST(throws_with<churn::IOError>(
      [] { AlertLog("/nonexistent-folder/x/alerts.jsonl").append({alert("drift", "x", kT0)}); },
      "/nonexistent-folder/x/alerts.jsonl"));
}

BOOST_AUTO_TEST_SUITE_END()
