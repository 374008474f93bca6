// churn::model::ChurnModel and train_churn_model(): training report, scoring, reasons, the
// bundle file (round trip, damaged and newer files), the contract, and no leak across folds.
#include <boost/test/unit_test.hpp>

#include <cmath>              // std::isnan
#include <limits>             // std::numeric_limits
#include <nlohmann/json.hpp>  // nlohmann::json
#include <string>             // std::string

#include "churn/core/error.hpp"
#include "churn/data/synthetic.hpp"
#include "churn/metrics/classification.hpp"
#include "churn/model/churn_model.hpp"
#include "churn/model/train.hpp"
#include "model/engine.hpp"
#include "model/train_data.hpp"
#include "model/train_models.hpp"
#include "test_util.hpp"

namespace cm = churn::model;
using churn::Index;
using churn::Vector;
using churn::data::Table;

namespace {

Table customers(Index n, std::uint64_t seed) {
  churn::data::CustomerOptions o;
  o.n_customers = n;
  o.seed = seed;
  return churn::data::make_customers(o);
}

cm::TrainOptions quick_options(std::vector<std::string> candidates) {
  cm::TrainOptions o;
  o.target = "churned";
  o.candidates = std::move(candidates);
  o.cv = 3;
  return o;
}

/// One model shared by the tests (training takes a second or two).
const cm::ChurnModel& trained() {
  static const cm::ChurnModel model =
      cm::train_churn_model(customers(3000, 7), quick_options({"logistic", "gbdt"}));
  return model;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(model_churn_model)

BOOST_AUTO_TEST_CASE(report_compares_candidates_and_chooses_the_best_mean) {
  const cm::ChurnModel& m = trained();
  const auto& r = m.report();
  BOOST_REQUIRE_EQUAL(r["candidates"].size(), 2u);
  const double a = r["candidates"][0]["mean"].get<double>();
  const double b = r["candidates"][1]["mean"].get<double>();
  const std::string expected = a >= b ? "logistic" : "gbdt";
  BOOST_TEST(r["chosen"].get<std::string>() == expected);
  BOOST_TEST(cm::model_kind_name(m.kind()) == expected);
  BOOST_TEST(r["candidates"][0]["scores"].size() == 3u);
  BOOST_TEST(r["rows"]["holdout"].get<Index>() + r["rows"]["train"].get<Index>() == 3000);
  BOOST_TEST(r["holdout"]["roc_auc"].get<double>() > 0.7);
  BOOST_TEST(m.metadata()["data_fingerprint"].get<std::string>().size() == 16u);
  BOOST_TEST(m.id_column() == "customer_id");
  const Table t = cm::comparison_table(m);
  BOOST_TEST(t.num_rows() == 2);
  BOOST_TEST(t.column("roc_auc_mean").as_float64()[0] == a);
}

BOOST_AUTO_TEST_CASE(score_gives_probability_prediction_and_reasons) {
  const cm::ChurnModel& m = trained();
  const Table c = customers(500, 99);
  const Table s = m.score(c);
  BOOST_TEST(s.column(0).name() == "customer_id");
  const Vector p = m.predict_proba(c);
  const auto prob = s.column("probability").as_float64();
  BOOST_TEST((prob.array() == p.array()).all());
  const auto pred = s.column("prediction").as_int64();
  for (Index i = 0; i < c.num_rows(); ++i) {
    BOOST_TEST(pred[i] == (p[i] >= m.threshold() ? 1 : 0));
    const auto v1 = s.column("reason_1_contribution").as_float64()[i];
    const auto v2 = s.column("reason_2_contribution").as_float64()[i];
    if (!std::isnan(v2)) BOOST_TEST((v1 >= v2 && v2 > 0));
    if (std::isnan(v1)) BOOST_TEST(s.column("reason_1").is_missing(i));
  }
}

BOOST_AUTO_TEST_CASE(contributions_by_source_keep_the_raw_score) {
  // Contributions summed onto the raw columns (plus the bias) still add up to the raw score,
  // and every source is a raw column of the contract.
  namespace d = churn::model::detail;
  const cm::ChurnModel& m = trained();
  const Table batch = customers(200, 5);
  Table cast;
  const Table f = m.pipeline().transform(d::conform(batch, m.contract(), cast));
  d::Engine e;
  e.parts.pipeline = m.pipeline();
  e.model = d::model_from_json(m.model_json(), "test");
  d::map_sources(e);
  for (const auto& s : e.sources) BOOST_TEST(m.contract().has_column(s));
  const churn::RowMatrix by = d::sum_by_source(e, d::contributions_of(e.model, f, {}));
  BOOST_REQUIRE_EQUAL(by.cols(), static_cast<Index>(e.sources.size()) + 1);
  const Vector raw = m.raw_score(f);
  for (Index i = 0; i < raw.size(); ++i)
    BOOST_TEST(by.row(i).sum() == raw[i], boost::test_tools::tolerance(1e-9));
}

BOOST_AUTO_TEST_CASE(bundle_round_trip_scores_bit_identically) {
  const cm::ChurnModel& m = trained();
  const Table c = customers(400, 3);
  const cm::ChurnModel back = cm::ChurnModel::from_json(m.to_json());
  const Vector a = m.predict_proba(c);
  const Vector b = back.predict_proba(c);
  BOOST_TEST((a.array() == b.array()).all());
  BOOST_TEST(back.to_json() == m.to_json());
  BOOST_TEST(back.threshold() == m.threshold());
}

BOOST_AUTO_TEST_CASE(drift_is_weighted_by_the_mean_absolute_contributions) {
  const cm::ChurnModel& m = trained();
  const auto& importance = m.feature_importance();
  BOOST_TEST(!importance.empty());
  // an independent sum: score()'s reasons are the contributions by source, so for each row the
  // positive reason contributions are a subset of the terms averaged here
  double total = 0.0;
  for (const auto& [name, v] : importance) {
    BOOST_TEST((std::isfinite(v) && v >= 0.0), name);
    total += v;
  }
  BOOST_TEST(total > 0.0);
  const Table c = customers(600, 11);
  const auto report = m.drift(c);
  BOOST_TEST(report.weighted());
  double share_sum = 0.0;
  double last_impact = std::numeric_limits<double>::infinity();
  for (const auto& f : report.features()) {
    if (f.status == churn::monitor::DriftStatus::MissingColumn) continue;
    share_sum += f.importance;
    BOOST_TEST(f.impact <= last_impact);  // ordered by impact
    last_impact = f.impact;
  }
  BOOST_TEST(share_sum == 1.0, boost::test_tools::tolerance(1e-12));
  // the importance travels with the bundle; a format-1.0 bundle without it loads unweighted
  churn::Json doc = m.to_json();
  BOOST_TEST(cm::ChurnModel::from_json(doc).feature_importance() == importance);
  doc["state"].erase("feature_importance");
  doc["state"]["bundle_version"] = "1.0";
  const cm::ChurnModel old = cm::ChurnModel::from_json(doc);
  BOOST_TEST(old.feature_importance().empty());
  BOOST_TEST(!old.drift(c).weighted());
  doc["state"]["feature_importance"] = churn::Json{{"tenure", -1.0}};
  BOOST_CHECK_THROW(cm::ChurnModel::from_json(doc), churn::SerializationError);
}

BOOST_AUTO_TEST_CASE(drift_estimates_performance_and_reconstruction_error) {
  const cm::ChurnModel& m = trained();
  BOOST_REQUIRE(m.performance_reference() != nullptr);
  BOOST_REQUIRE(m.reconstruction() != nullptr);
  BOOST_TEST(m.performance_reference()->has_labels());
  BOOST_TEST(m.performance_reference()->params().threshold == m.threshold());
  {  // the campaign's value in the estimates is the training's profit model
    cm::TrainOptions o = quick_options({"logistic"});
    o.cv = 2;
    o.value_retained = 5.0;
    o.offer_cost = 0.5;
    o.success_rate = 0.4;
    const cm::ChurnModel small = cm::train_churn_model(customers(800, 8), o);
    const auto& ep = small.performance_reference()->params();
    BOOST_TEST((ep.value_retained == 5.0 && ep.offer_cost == 0.5 && ep.success_rate == 0.4));
  }
  const Table c = customers(2000, 12);
  const auto report = m.drift(c);
  BOOST_REQUIRE(report.estimated_performance().has_value());
  const auto& chunk = report.estimated_performance()->chunks().at(0);
  BOOST_TEST(chunk.n == 2000);
  // same generator, same mechanism: the realised AUC of the new customers is in the band (it
  // covers the labels' noise, not the calibrator's error) and near the estimate
  const Vector p = m.predict_proba(c);
  const Vector y = c.column("churned").as_int64().cast<double>();
  const double auc = churn::metrics::roc_auc(y, p);
  BOOST_TEST(std::abs(chunk.roc_auc.estimated - auc) < 0.03);
  BOOST_TEST(chunk.roc_auc.lower <= auc);
  BOOST_TEST(auc <= chunk.roc_auc.upper);
  BOOST_TEST(chunk.roc_auc.lower < chunk.roc_auc.estimated);
  BOOST_TEST(chunk.roc_auc.estimated < chunk.roc_auc.upper);
  BOOST_TEST(chunk.expected_churners.estimated == p.sum(), boost::test_tools::tolerance(0.05));
  BOOST_REQUIRE(report.reconstruction().has_value());
  BOOST_TEST(!report.reconstruction()->drifted);
  const churn::Json j = report.to_json();
  BOOST_TEST(j["estimated_performance"].is_object());
  BOOST_TEST(j["reconstruction"].is_object());
  BOOST_TEST(j["domain_classifier"].is_null());
  // both travel with the bundle; a format-1.0 bundle without them drifts without them
  churn::Json doc = m.to_json();
  BOOST_TEST(cm::ChurnModel::from_json(doc).drift(c).to_json() == j);
  doc["state"].erase("performance_reference");
  doc["state"].erase("reconstruction");
  const auto old = cm::ChurnModel::from_json(doc).drift(c);
  BOOST_TEST(!old.estimated_performance().has_value());
  BOOST_TEST(!old.reconstruction().has_value());
}

BOOST_AUTO_TEST_CASE(damaged_and_newer_bundles_are_refused) {
  const churn::Json doc = trained().to_json();
  churn::Json newer = doc;
  newer["state"]["bundle_version"] = "2.0";
  BOOST_TEST(churn_test::throws_with<churn::SerializationError>(
      [&] { cm::ChurnModel::from_json(newer); }, std::vector<std::string>{"newer", "2.0"}));
  churn::Json damaged = doc;
  damaged["state"]["model"]["state"] = 5;
  BOOST_CHECK_THROW(cm::ChurnModel::from_json(damaged), churn::SerializationError);
  churn::Json missing = doc;
  missing["state"].erase("pipeline");
  BOOST_CHECK_THROW(cm::ChurnModel::from_json(missing), churn::SerializationError);
  churn::Json other = doc;
  other["kind"] = "Baseline";
  BOOST_CHECK_THROW(cm::ChurnModel::from_json(other), churn::SerializationError);
}

BOOST_AUTO_TEST_CASE(contract_violations_are_listed_together) {
  const cm::ChurnModel& m = trained();
  const Table c = customers(50, 1).drop({"plan", "tenure_months"});
  BOOST_TEST(churn_test::throws_with<churn::SchemaError>(
      [&] { m.score(c); }, std::vector<std::string>{"plan", "tenure_months"}));
  BOOST_CHECK_THROW(m.score(c), churn::SchemaError);
  BOOST_TEST(m.validate(c).size() == 2u);
}

BOOST_AUTO_TEST_CASE(cross_validation_refits_the_pipeline_inside_each_fold) {
  // The report's fold scores equal an honest reference (pipeline fitted on each fold's training
  // rows) computed here from the same pieces, and differ from a leaky one (pipeline fitted on
  // all training rows once), so a leak would be caught.
  namespace d = churn::model::detail;
  const Table c = customers(2000, 11);
  const cm::TrainOptions o = quick_options({"logistic"});
  const cm::ChurnModel m = cm::train_churn_model(c, o);
  const d::Target t = d::encode_target(c, o);
  const d::Columns cols = d::classify_columns(c, o);
  Table cast;
  const Table conformed = d::conform(c, d::make_contract(c, cols), cast);
  const d::Split split = d::make_split(c, t.y, o);
  const Table train = conformed.take(split.train).select(cols.features());
  Vector y(static_cast<Index>(split.train.size()));
  for (std::size_t k = 0; k < split.train.size(); ++k)
    y[static_cast<Index>(k)] = t.y[split.train[k]];
  auto pick = [](const Vector& v, const std::vector<Index>& rows) {
    Vector out(static_cast<Index>(rows.size()));
    for (std::size_t k = 0; k < rows.size(); ++k) out[static_cast<Index>(k)] = v[rows[k]];
    return out;
  };
  churn::features::Pipeline leaky = d::default_pipeline("logistic", cols, train, nullptr);
  const Table leaked = leaky.fit_transform(train);
  bool differs = false;
  for (std::size_t f = 0; f < split.folds.size(); ++f) {
    const auto& fold = split.folds[f];
    churn::features::Pipeline honest = d::default_pipeline("logistic", cols, train, nullptr);
    const Table ftr = honest.fit_transform(train.take(fold.train));
    const d::AnyModel model =
        d::fit_candidate("logistic", ftr, pick(y, fold.train), o, churn::Json::object());
    const Vector p = d::probability_from_raw(
        model, d::raw_score_of(model, honest.transform(train.take(fold.test))));
    const double honest_auc = churn::metrics::roc_auc(pick(y, fold.test), p);
    BOOST_TEST(m.report()["candidates"][0]["scores"][f].get<double>() == honest_auc);
    const d::AnyModel lm = d::fit_candidate("logistic", leaked.take(fold.train),
                                            pick(y, fold.train), o, churn::Json::object());
    const Vector lp = d::probability_from_raw(lm, d::raw_score_of(lm, leaked.take(fold.test)));
    differs = differs || churn::metrics::roc_auc(pick(y, fold.test), lp) != honest_auc;
  }
  BOOST_TEST(differs);
}

BOOST_AUTO_TEST_CASE(time_budget_search_follows_the_budget_not_the_clock) {
  const Table c = customers(1000, 4);
  cm::TrainOptions o = quick_options({"gbdt"});
  o.cv = 2;
  o.time_budget = 1e-6;
  const cm::ChurnModel none = cm::train_churn_model(c, o);
  BOOST_TEST(none.report()["search"].contains("skipped"));
  o.time_budget = 0.5;
  const cm::ChurnModel a = cm::train_churn_model(c, o);
  const cm::ChurnModel b = cm::train_churn_model(c, o);
  const auto& search = a.report()["search"];
  const int rungs = search["rungs"].get<int>();
  BOOST_TEST(rungs >= 2);
  std::size_t expected = 0;  // 3^(rungs-1) + 3^(rungs-2) + ... + 1 fits
  for (int r = 0, n = 1; r < rungs; ++r, n *= 3) expected += static_cast<std::size_t>(n);
  BOOST_TEST(search["tried"].size() == expected);
  BOOST_TEST(a.model_json() == b.model_json());  // same seed, same plan, same model
  BOOST_TEST(search["tried"] == b.report()["search"]["tried"]);
  // the chosen configuration is the best of the last rung, which grows the full 200 trees
  const auto& last = search["tried"].back();
  BOOST_TEST(last["params"]["n_estimators"].get<int>() == 200);
  BOOST_TEST(a.model_json()["params"]["n_estimators"].get<int>() == 200);
}

BOOST_AUTO_TEST_CASE(forest_candidate_trains_and_round_trips) {
  const Table c = customers(1500, 8);
  const cm::ChurnModel m = cm::train_churn_model(c, quick_options({"random_forest"}));
  BOOST_TEST(std::string(cm::model_kind_name(m.kind())) == "random_forest");
  BOOST_TEST(m.report()["holdout"]["roc_auc"].get<double>() > 0.7);
  const Table batch = customers(300, 9);
  const cm::ChurnModel back = cm::ChurnModel::from_json(m.to_json());
  BOOST_TEST((m.predict_proba(batch).array() == back.predict_proba(batch).array()).all());
  const Table s = m.score(batch);
  BOOST_TEST(s.column("reason_1").size() == 300);
}

BOOST_AUTO_TEST_CASE(bad_options_and_targets_are_clear_errors) {
  const Table c = customers(300, 2);
  cm::TrainOptions o = quick_options({"logistic"});
  o.target = "nope";
  BOOST_TEST(churn_test::throws_with<churn::InvalidArgument>([&] { cm::train_churn_model(c, o); },
                                                             "nope"));
  o = quick_options({"svm"});
  BOOST_TEST(
      churn_test::throws_with<churn::InvalidArgument>([&] { cm::train_churn_model(c, o); }, "svm"));
  o = quick_options({"logistic"});
  o.target = "region";  // five labels
  BOOST_TEST(churn_test::throws_with<churn::InvalidArgument>([&] { cm::train_churn_model(c, o); },
                                                             "binary"));
  o = quick_options({"logistic"});
  o.cv = 1;
  BOOST_CHECK_THROW(cm::train_churn_model(c, o), churn::InvalidArgument);
  BOOST_CHECK_THROW(cm::ChurnModel().score(c), churn::NotFittedError);
}

BOOST_AUTO_TEST_CASE(options_round_trip_and_reject_unknown_names) {
  cm::TrainOptions o = quick_options({"gbdt"});
  o.metric = "average_precision";
  const cm::TrainOptions back = cm::TrainOptions::from_options(o.to_options());
  BOOST_TEST(back.to_options() == o.to_options());
  churn::Json bad = o.to_options();
  bad["n_estimator"] = 3;
  BOOST_CHECK_THROW(cm::TrainOptions::from_options(bad), churn::InvalidArgument);
}

BOOST_AUTO_TEST_SUITE_END()
