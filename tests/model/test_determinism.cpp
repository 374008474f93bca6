// Determinism at oversubscription: every engine fitted with 1, 2, 7 and 16 threads (more
// threads than the cores of any CI machine) saves byte-identical files. The only member
// allowed to differ is the `n_threads` setting itself (saved with the parameters), and the
// bundle's clock readings (`created_at`, the report's `fit_seconds`); they are removed before
// the comparison. Small data, but large
// enough that the parallel loops split their work into several blocks. Also built into the
// ThreadSanitizer stage (scripts/ci_sanitize.sh), where the fits run the parallel code.
#include <boost/test/unit_test.hpp>

#include <cstdint>     // std::int64_t
#include <functional>  // std::function
#include <string>      // std::string
#include <vector>      // std::vector

#include <nlohmann/json.hpp>  // nlohmann::json

#include "churn/core/json.hpp"
#include "churn/data/synthetic.hpp"
#include "churn/features/pipeline.hpp"
#include "churn/linear/logistic.hpp"
#include "churn/model/train.hpp"
#include "churn/monitor/baseline.hpp"
#include "churn/segment/kmeans.hpp"
#include "churn/tree/forest.hpp"
#include "churn/tree/gbdt.hpp"
#include "tree/grower.hpp"  // detail::TuningScope

using churn::Json;
using churn::data::Table;

namespace {

const int kThreads[] = {1, 2, 7, 16};

const Table& customers() {
  static const Table t = [] {
    churn::data::CustomerOptions o;
    o.n_customers = 3000;
    o.seed = 23;
    return churn::data::make_customers(o);
  }();
  return t;
}

const Table& events() {
  static const Table t = [] {
    churn::data::EventOptions o;
    o.n_customers = 3000;
    o.events_per_customer = 6;
    o.seed = 23;
    return churn::data::make_events(o);
  }();
  return t;
}

churn::Vector target() {
  return customers().column("churned").as_int64().cast<double>();
}

Table mixed() {
  return customers().select({"tenure_months", "monthly_charges", "total_charges", "contract",
                             "payment_method", "nps_score", "days_since_last_login"});
}

churn::RowMatrix numeric() {
  // columns make_customers never leaves missing
  return customers()
      .select({"tenure_months", "monthly_charges", "support_tickets", "payment_failures"})
      .to_matrix();
}

/// The saved document without its thread settings and clock readings.
void strip(Json& j) {
  if (j.is_object()) {
    j.erase("n_threads");
    j.erase("created_at");
    j.erase("fit_seconds");
  }
  if (j.is_object() || j.is_array())
    for (auto& v : j) strip(v);
}

/// The JSON pointer of the first member where `a` and `b` differ ("" when equal).
std::string first_difference(const Json& a, const Json& b, const std::string& path = "") {
  if (a.type() != b.type() || a.size() != b.size() || (!a.is_structured() && a != b))
    return path.empty() ? "/" : path;
  if (a.is_object()) {
    for (auto it = a.begin(); it != a.end(); ++it) {
      if (!b.contains(it.key())) return path + "/" + it.key();
      const std::string d = first_difference(it.value(), b[it.key()], path + "/" + it.key());
      if (!d.empty()) return d;
    }
  } else if (a.is_array()) {
    for (std::size_t i = 0; i < a.size(); ++i) {
      const std::string d = first_difference(a[i], b[i], path + "/" + std::to_string(i));
      if (!d.empty()) return d;
    }
  }
  return "";
}

/// Fits with each thread count; the documents must equal the one of 1 thread, byte for byte.
void check(const std::string& engine, const std::function<Json(int)>& fit_and_save) {
  Json first = fit_and_save(kThreads[0]);
  strip(first);
  const std::string expected = first.dump();
  for (int t : kThreads) {
    if (t == kThreads[0]) continue;
    Json doc = fit_and_save(t);
    strip(doc);
    BOOST_TEST(doc.dump() == expected, engine << ": the file saved after a fit with " << t
                                              << " threads differs from the 1-thread one at "
                                              << first_difference(first, doc));
  }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(model_determinism)

BOOST_AUTO_TEST_CASE(gbdt_saves_the_same_file_for_any_thread_count) {
  const Table X = mixed();
  const churn::Vector y = target();
  check("GBDTClassifier", [&](int t) {
    churn::tree::GBDTParams p;
    p.n_estimators = 8;
    p.subsample = 0.8;
    p.subsample_freq = 1;
    p.colsample_bytree = 0.8;
    p.n_threads = t;
    return churn::tree::GBDTClassifier(p).fit(X, y).to_json();
  });
}

BOOST_AUTO_TEST_CASE(gbdt_on_every_parallel_path_saves_the_same_file) {
  // The grower's sharing thresholds at their minimum: every histogram is built as (feature,
  // row chunk) tasks whose partial histograms the last task of a feature adds up (atomic
  // counters) before it subtracts and finds the feature's splits; every partition is shared.
  // Under ThreadSanitizer this is the check that those hand-offs are race-free.
  const Table X = mixed();
  const churn::Vector y = target();
  const churn::tree::detail::TuningScope everywhere(1, 1);
  check("GBDTClassifier (every parallel path)", [&](int t) {
    churn::tree::GBDTParams p;
    p.n_estimators = 4;
    p.subsample = 0.8;
    p.subsample_freq = 1;
    p.n_threads = t;
    return churn::tree::GBDTClassifier(p).fit(X, y).to_json();
  });
}

BOOST_AUTO_TEST_CASE(random_forest_saves_the_same_file_for_any_thread_count) {
  const Table X = mixed();
  const churn::Vector y = target();
  check("RandomForestClassifier", [&](int t) {
    churn::tree::RandomForestParams p;
    p.n_estimators = 8;
    p.max_depth = 6;
    p.oob_score = true;
    p.n_threads = t;
    return churn::tree::RandomForestClassifier(p).fit(X, y).to_json();
  });
}

BOOST_AUTO_TEST_CASE(logistic_regression_saves_the_same_file_for_any_thread_count) {
  const churn::RowMatrix X = numeric();
  const churn::Vector y = target();
  check("LogisticRegression", [&](int t) {
    churn::linear::LogisticRegressionParams p;
    p.n_threads = t;
    churn::linear::LogisticRegression m(p);
    m.fit(X, y);
    return m.to_json();
  });
}

BOOST_AUTO_TEST_CASE(kmeans_saves_the_same_file_for_any_thread_count) {
  const churn::RowMatrix X = numeric();
  check("KMeans", [&](int t) {
    churn::segment::KMeansParams p;
    p.n_clusters = 4;
    p.n_threads = t;
    return churn::segment::KMeans(p).fit(X).to_json();
  });
}

BOOST_AUTO_TEST_CASE(baseline_saves_the_same_file_for_any_thread_count) {
  const Table X = mixed();
  const churn::Vector score = churn::Vector::LinSpaced(X.num_rows(), 0.0, 1.0).array().sqrt();
  check("Baseline", [&](int t) {
    churn::monitor::BaselineParams p;
    p.n_threads = t;
    return churn::monitor::Baseline(p).fit(X, score).to_json();
  });
}

BOOST_AUTO_TEST_CASE(pipeline_saves_the_same_file_for_any_thread_count) {
  check("FeaturePipeline", [&](int t) {
    churn::features::PipelineParams p;
    p.n_threads = t;
    churn::features::Pipeline pipe(p);
    pipe.impute({"nps_score", "total_charges"})
        .clip({"monthly_charges"})
        .scale({"tenure_months", "monthly_charges"})
        .one_hot({"contract", "plan"})
        .ratio("charges_per_month", "total_charges", "tenure_months")
        .drop({"customer_id", "signup_date"});
    pipe.fit(customers());
    return pipe.to_json();
  });
}

BOOST_AUTO_TEST_CASE(event_aggregation_saves_the_same_file_for_any_thread_count) {
  const std::int64_t as_of = churn::data::CustomerOptions().as_of;
  check("FeaturePipeline with join_events", [&](int t) {
    churn::features::PipelineParams p;
    p.n_threads = t;
    churn::features::EventAggregationSpec spec;
    spec.n_threads = t;
    churn::features::EventJoinParams jp;
    jp.prefix = "ev_";
    churn::features::Pipeline pipe(p);
    pipe.join_events(spec, jp).impute({"nps_score"}).drop({"customer_id", "signup_date"});
    pipe.fit(customers(), events(), as_of);
    Json doc = pipe.to_json();
    // the transformed table too: the aggregated features themselves
    const churn::RowMatrix X = pipe.transform_matrix(customers(), events(), as_of);
    doc["transformed_sum_check"] = X.sum();
    doc["transformed_first_row"] = std::vector<double>(X.row(0).data(), X.row(0).data() + X.cols());
    return doc;
  });
}

BOOST_AUTO_TEST_CASE(churn_model_bundle_saves_the_same_file_for_any_thread_count) {
  const Table small = customers().slice(0, 800);
  check("ChurnModel", [&](int t) {
    churn::model::TrainOptions o;
    o.target = "churned";
    o.candidates = {"logistic", "random_forest", "gbdt"};
    o.cv = 2;
    o.seed = 3;
    o.n_threads = t;
    return churn::model::train_churn_model(small, o).to_json();
  });
}

BOOST_AUTO_TEST_SUITE_END()
