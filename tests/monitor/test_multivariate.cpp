#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "churn/core/error.hpp"
#include "churn/core/json.hpp"
#include "churn/core/stop.hpp"
#include "churn/data/table.hpp"
#include "churn/monitor/multivariate.hpp"

#include "test_util.hpp"

using churn::Index;
using churn::Json;
using churn::Vector;
using churn::data::Column;
using churn::data::Table;
using namespace churn::monitor;  // NOLINT
using churn_test::throws_with;

namespace {

const double kInf = std::numeric_limits<double>::infinity();

/// n rows of three Gaussian features (x, y correlated with `rho`, z free) and a categorical
/// column; `shift` moves x.
Table gaussian_table(Index n, std::uint64_t seed, double rho = 0.0, double shift = 0.0,
                     bool unseen = false) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> g(0.0, 1.0);
  std::vector<double> x(n), y(n), z(n);
  std::vector<std::string> c(n);
  const char* labels[] = {"a", "b", "c", "d"};
  for (Index i = 0; i < n; ++i) {
    x[i] = g(rng);
    y[i] = rho * x[i] + std::sqrt(1 - rho * rho) * g(rng);
    z[i] = g(rng);
    x[i] += shift;
    c[i] = labels[rng() % (unseen ? 4 : 3)];
  }
  return Table({Column::from_float64("x", x), Column::from_float64("y", y),
                Column::from_float64("z", z), Column::from_strings_categorical("c", c)});
}

DomainClassifierParams fast(int n_threads = 1) {
  DomainClassifierParams p;
  p.n_splits = 3;
  p.n_estimators = 30;
  p.n_threads = n_threads;
  return p;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(monitor_multivariate)

BOOST_AUTO_TEST_CASE(domain_classifier_flags_a_clear_shift_and_names_the_feature) {
  const auto r =
      domain_classifier_drift(gaussian_table(600, 1), gaussian_table(600, 2, 0, 3.0), fast());
  BOOST_TEST(r.auc > 0.95);
  BOOST_TEST(r.pooled_auc > 0.95);
  BOOST_TEST(r.auc_folds.size() == 3u);
  BOOST_TEST(r.drifted);
  BOOST_TEST(r.p_value < 1e-10);
  BOOST_TEST(r.features.front().feature == "x");
  BOOST_TEST(r.features.front().importance > 0.8);
  double total = 0;
  for (const auto& f : r.features) total += f.importance;
  BOOST_TEST(std::abs(total - 1.0) < 1e-12);
  BOOST_TEST(r.scores.size() == 1200);
  const auto alerts = r.alerts();
  BOOST_TEST_REQUIRE(alerts.size() == 1u);
  BOOST_TEST(alerts[0].subject == "multivariate");
  BOOST_TEST(alerts[0].metric == "domain_classifier_auc");
  BOOST_TEST(alerts[0].value == r.auc);
  BOOST_TEST((alerts[0].severity == Severity::Significant));
  BOOST_TEST(alerts[0].threshold > 0.5);
  BOOST_TEST(alerts[0].threshold < r.auc);
}

BOOST_AUTO_TEST_CASE(domain_classifier_sees_a_correlation_flip) {
  const auto r =
      domain_classifier_drift(gaussian_table(1000, 3, 0.8), gaussian_table(1000, 4, -0.8), fast());
  BOOST_TEST(r.drifted);
  BOOST_TEST(r.auc > 0.7);
  const std::string a = r.features[0].feature, b = r.features[1].feature;
  BOOST_TEST(((a == "x" && b == "y") || (a == "y" && b == "x")));
}

BOOST_AUTO_TEST_CASE(domain_classifier_no_drift_on_the_same_distribution) {
  const auto r = domain_classifier_drift(gaussian_table(600, 5), gaussian_table(600, 6), fast());
  BOOST_TEST(!r.drifted);
  BOOST_TEST(r.p_value > 0.01);
  BOOST_TEST(std::abs(r.auc - 0.5) < 0.1);
  BOOST_TEST(r.alerts().empty());
}

BOOST_AUTO_TEST_CASE(domain_classifier_does_not_depend_on_the_thread_count) {
  const Table a = gaussian_table(700, 7, 0.5), b = gaussian_table(500, 8, 0.2, 0.3, true);
  const auto r1 = domain_classifier_drift(a, b, fast(1));
  const auto r3 = domain_classifier_drift(a, b, fast(3));
  BOOST_TEST(r1.auc_folds == r3.auc_folds);
  BOOST_TEST(r1.pooled_auc == r3.pooled_auc);
  BOOST_TEST(r1.p_value == r3.p_value);
  BOOST_TEST((r1.scores == r3.scores));
  BOOST_TEST(r1.to_json().dump() == r3.to_json().dump());
}

BOOST_AUTO_TEST_CASE(domain_classifier_samples_max_rows_and_handles_unseen_categories) {
  DomainClassifierParams p = fast();
  p.max_rows = 300;
  const auto r =
      domain_classifier_drift(gaussian_table(1000, 9), gaussian_table(400, 10, 0, 0, true), p);
  BOOST_TEST(r.n_reference == 300);
  BOOST_TEST(r.n_current == 300);
  BOOST_TEST(r.scores.size() == 600);
}

BOOST_AUTO_TEST_CASE(domain_classifier_result_round_trips_json) {
  const auto r =
      domain_classifier_drift(gaussian_table(300, 11), gaussian_table(300, 12, 0, 1), fast());
  const Json j = r.to_json();
  const auto back = DomainClassifierResult::from_json(churn::parse_json(j.dump()));
  BOOST_TEST(back.to_json().dump() == j.dump());
  BOOST_TEST(back.auc == r.auc);
  BOOST_TEST(back.features.size() == r.features.size());
  BOOST_CHECK_THROW(DomainClassifierResult::from_json(Json{{"auc", 1}}), churn::SerializationError);
  Json extra = j;
  extra["bogus"] = 1;
  BOOST_CHECK_THROW(DomainClassifierResult::from_json(extra), churn::SerializationError);
}

BOOST_AUTO_TEST_CASE(domain_classifier_params_validate_and_round_trip) {
  DomainClassifierParams p;
  p.n_splits = 7;
  p.seed = 99;
  const auto back = DomainClassifierParams::from_json(p.to_json());
  BOOST_TEST(back.to_json().dump() == p.to_json().dump());
  BOOST_TEST(throws_with<churn::InvalidArgument>(
      [] {
        DomainClassifierParams::from_options(Json{{"n_splits", 1}}, "f()");
      },
      "n_splits"));
  BOOST_TEST(throws_with<churn::InvalidArgument>(
      [] {
        DomainClassifierParams::from_options(Json{{"alpha", 1.5}}, "f()");
      },
      "alpha"));
  BOOST_TEST(throws_with<churn::InvalidArgument>(
      [] {
        DomainClassifierParams::from_options(Json{{"bogus", 1}}, "f()");
      },
      "bogus"));
  BOOST_TEST(throws_with<churn::TypeMismatch>(
      [] {
        DomainClassifierParams::from_options(Json{{"n_estimators", "x"}}, "f()");
      },
      "n_estimators"));
  BOOST_TEST(throws_with<churn::InvalidArgument>(
      [] {
        PcaDriftParams::from_options(Json{{"variance", 0.0}}, "PcaDrift");
      },
      "variance"));
}

BOOST_AUTO_TEST_CASE(domain_classifier_errors_name_the_caller_and_column) {
  const Table a = gaussian_table(50, 13), b = gaussian_table(50, 14);
  BOOST_TEST(throws_with<churn::InvalidArgument>(
      [&] { domain_classifier_drift(a, a.slice(0, 0), fast()); },
      std::vector<std::string>{"domain_classifier_drift()", "rows"}));
  BOOST_TEST(throws_with<churn::InvalidArgument>(
      [&] { domain_classifier_drift(Table(), b, fast()); }, "no columns"));
  BOOST_TEST(throws_with<churn::InvalidArgument>(
      [&] { domain_classifier_drift(a, b.drop({"y"}), fast()); },
      std::vector<std::string>{"domain_classifier_drift()", "'y'"}));
  Table changed = b;
  changed.set_column(Column::from_strings_categorical("x", std::vector<std::string>(50, "q")));
  BOOST_TEST(throws_with<churn::TypeMismatch>([&] { domain_classifier_drift(a, changed, fast()); },
                                              std::vector<std::string>{"'x'", "numeric"}));
  Table stamped = a;
  stamped.add_column(Column::from_timestamp("t", std::vector<std::int64_t>(50, 0)));
  BOOST_TEST(throws_with<churn::TypeMismatch>([&] { domain_classifier_drift(stamped, b, fast()); },
                                              std::vector<std::string>{"'t'", "timestamp"}));
  std::vector<double> v(50, 1.0);
  v[17] = kInf;
  Table inf = b;
  inf.set_column(Column::from_float64("z", v));
  BOOST_TEST(throws_with<churn::InvalidArgument>([&] { domain_classifier_drift(a, inf, fast()); },
                                                 std::vector<std::string>{"'z'", "17"}));
  BOOST_TEST(throws_with<churn::InvalidArgument>(
      [&] { domain_classifier_drift(a, b.slice(0, 2), fast()); }, "n_splits"));
  DomainClassifierParams bad = fast();
  bad.num_leaves = 1;
  BOOST_TEST(throws_with<churn::InvalidArgument>([&] { domain_classifier_drift(a, b, bad); },
                                                 "num_leaves"));
}

BOOST_AUTO_TEST_CASE(domain_classifier_missing_values_are_allowed) {
  Table a = gaussian_table(200, 15), b = gaussian_table(200, 16);
  std::vector<double> v(200, std::nan(""));
  b.set_column(Column::from_float64("z", v));  // all missing in current: a clear difference
  const auto r = domain_classifier_drift(a, b, fast());
  BOOST_TEST(r.drifted);
  BOOST_TEST(r.features.front().feature == "z");
}

BOOST_AUTO_TEST_CASE(domain_classifier_polls_the_stop_scope) {
  const Table a = gaussian_table(300, 17), b = gaussian_table(300, 18);
  churn::StopScope scope([] { return true; }, std::chrono::milliseconds(0));
  BOOST_CHECK_THROW(domain_classifier_drift(a, b, fast()), churn::Interrupted);
}

// ---- PCA ---------------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(pca_rank_one_data_closed_form) {
  // y = 2 x + 1 exactly: standardised, both columns are equal, so one component (1, 1)/sqrt(2)
  // explains everything, points on the line reconstruct exactly, and a point (a, b) lies
  // |(a - m0)/s0 - (b - m1)/s1| / sqrt(2) from it.
  std::vector<double> x, y;
  for (int i = 0; i < 40; ++i) {
    x.push_back(0.25 * i - 3);
    y.push_back(2 * x.back() + 1);
  }
  PcaDrift pca;
  pca.fit(Table({Column::from_float64("x", x), Column::from_float64("y", y)}));
  BOOST_TEST(pca.components().rows() == 1);
  BOOST_TEST(std::abs(pca.components()(0, 0) - std::sqrt(0.5)) < 1e-12);
  BOOST_TEST(std::abs(pca.components()(0, 1) - std::sqrt(0.5)) < 1e-12);
  BOOST_TEST(pca.reference_error() < 1e-12);
  BOOST_TEST(pca.n_holdout() == 20);
  const Table batch(
      {Column::from_float64("x", {0.0, 7.0, 1.0}), Column::from_float64("y", {1.0, 15.0, 5.0})});
  const Vector e = pca.errors(batch);
  BOOST_TEST(e(0) < 1e-12);
  BOOST_TEST(e(1) < 1e-12);
  const double m0 = pca.mean()(0), m1 = pca.mean()(1), s0 = pca.scale()(0), s1 = pca.scale()(1);
  const double want = std::abs((1.0 - m0) / s0 - (5.0 - m1) / s1) / std::sqrt(2.0);
  BOOST_TEST(std::abs(e(2) - want) < 1e-12);
  BOOST_TEST(std::abs(s1 - 2 * s0) < 1e-12);  // scale of y = 2 x + 1
  BOOST_TEST(std::abs(m1 - (2 * m0 + 1)) < 1e-12);
}

BOOST_AUTO_TEST_CASE(pca_flags_a_correlation_flip_and_not_the_same_distribution) {
  PcaDrift pca;
  pca.fit(gaussian_table(2000, 21, 0.8).drop({"c"}));
  const auto same = pca.compare(gaussian_table(1000, 22, 0.8).drop({"c"}));
  BOOST_TEST(!same.drifted);
  BOOST_TEST(same.p_value > 0.01);
  BOOST_TEST(same.alerts().empty());
  const auto flip = pca.compare(gaussian_table(1000, 23, -0.8).drop({"c"}));
  BOOST_TEST(flip.drifted);
  BOOST_TEST(flip.reconstruction_error > flip.threshold);
  BOOST_TEST(flip.p_value < 1e-6);
  BOOST_TEST(flip.n_rows == 1000);
  BOOST_TEST_REQUIRE(flip.alerts().size() == 1u);
  BOOST_TEST(flip.alerts()[0].metric == "reconstruction_error");
  // the threshold shrinks with the batch size
  BOOST_TEST(pca.compare(gaussian_table(100, 24, 0.8).drop({"c"})).threshold > same.threshold);
}

BOOST_AUTO_TEST_CASE(pca_compare_of_chunk_errors_equals_compare_of_the_whole) {
  PcaDrift pca;
  pca.fit(gaussian_table(2000, 31, 0.8).drop({"c"}));
  const Table batch = gaussian_table(900, 32, -0.5).drop({"c"});
  std::vector<Index> first(400), rest(500);
  for (Index i = 0; i < 400; ++i) first[static_cast<std::size_t>(i)] = i;
  for (Index i = 0; i < 500; ++i) rest[static_cast<std::size_t>(i)] = 400 + i;
  const churn::Vector a = pca.errors(batch.take(first));
  const churn::Vector b = pca.errors(batch.take(rest));
  churn::Vector both(900);
  both << a, b;
  BOOST_TEST(pca.compare_errors(both).to_json() == pca.compare(batch).to_json());
  BOOST_CHECK_THROW(pca.compare_errors(churn::Vector()), churn::InvalidArgument);
  churn::Vector bad = both;
  bad[3] = -1.0;
  BOOST_CHECK_THROW(pca.compare_errors(bad), churn::InvalidArgument);
  bad[3] = std::numeric_limits<double>::quiet_NaN();
  BOOST_CHECK_THROW(pca.compare_errors(bad), churn::InvalidArgument);
  BOOST_CHECK_THROW(PcaDrift().compare_errors(both), churn::NotFittedError);
}

BOOST_AUTO_TEST_CASE(pca_encodes_categories_by_frequency_and_missing_values_by_the_mean) {
  Table ref = gaussian_table(400, 25);
  PcaDrift pca;
  pca.fit(ref);
  Table cur = gaussian_table(100, 26, 0, 0, true);  // unseen category "d"
  std::vector<double> x(100, std::nan(""));
  cur.set_column(Column::from_float64("x", x));
  const auto r = pca.compare(cur);
  BOOST_TEST(std::isfinite(r.reconstruction_error));
  BOOST_TEST(pca.feature_names().size() == 4u);
}

BOOST_AUTO_TEST_CASE(pca_does_not_depend_on_the_thread_count_and_round_trips) {
  const Table ref = gaussian_table(9000, 27, 0.6), cur = gaussian_table(500, 28, 0.3, 0.2, true);
  PcaDriftParams p1, p3;
  p1.n_threads = 1;
  p3.n_threads = 3;
  PcaDrift a(p1), b(p3);
  a.fit(ref);
  b.fit(ref);
  BOOST_TEST(a.compare(cur).to_json().dump() == b.compare(cur).to_json().dump());
  BOOST_TEST((a.components() == b.components()));
  const auto path = std::filesystem::temp_directory_path() / "churn_test_pca_drift.json";
  a.save(path.string());
  const PcaDrift loaded = PcaDrift::load(path.string());
  std::filesystem::remove(path);
  BOOST_TEST(loaded.to_json().dump() == a.to_json().dump());
  BOOST_TEST((loaded.errors(cur) == a.errors(cur)));
  const auto r = a.compare(cur);
  BOOST_TEST(PcaDriftResult::from_json(r.to_json()).to_json().dump() == r.to_json().dump());
  Json doc = a.to_json();
  doc["kind"] = "Baseline";
  BOOST_CHECK_THROW(PcaDrift::from_json(doc), churn::SerializationError);
  doc = a.to_json();
  doc["state"]["mean"] = Json::array({1.0});
  BOOST_CHECK_THROW(PcaDrift::from_json(doc), churn::SerializationError);
}

BOOST_AUTO_TEST_CASE(pca_errors_name_the_caller_and_column) {
  PcaDrift pca;
  BOOST_TEST(throws_with<churn::NotFittedError>([&] { pca.compare(gaussian_table(10, 1)); },
                                                "PcaDrift::compare()"));
  BOOST_CHECK_THROW(pca.to_json(), churn::NotFittedError);
  BOOST_TEST(throws_with<churn::InvalidArgument>([&] { pca.fit(gaussian_table(3, 1)); },
                                                 std::vector<std::string>{"PcaDrift::fit()", "4"}));
  BOOST_TEST(throws_with<churn::InvalidArgument>([&] { pca.fit(Table()); }, "no columns"));
  const Table ref = gaussian_table(100, 2);
  std::vector<double> v(100, 0.5);
  v[42] = -kInf;
  Table inf = ref;
  inf.set_column(Column::from_float64("y", v));
  BOOST_TEST(throws_with<churn::InvalidArgument>([&] { pca.fit(inf); },
                                                 std::vector<std::string>{"'y'", "42"}));
  BOOST_TEST(!pca.is_fitted());
  pca.fit(ref);
  BOOST_TEST(throws_with<churn::InvalidArgument>([&] { pca.compare(ref.drop({"z"})); }, "'z'"));
  BOOST_TEST(throws_with<churn::InvalidArgument>([&] { pca.compare(ref.slice(0, 0)); }, "rows"));
  Table changed = ref;
  changed.set_column(Column::from_float64("c", std::vector<double>(100, 1.0)));
  BOOST_TEST(throws_with<churn::TypeMismatch>([&] { pca.compare(changed); },
                                              std::vector<std::string>{"'c'", "categorical"}));
  BOOST_TEST(throws_with<churn::InvalidArgument>(
      [] {
        PcaDriftParams p;
        p.alpha = 0;
        PcaDrift d(p);
      },
      "alpha"));
}

BOOST_AUTO_TEST_SUITE_END()
