// The documented thread safety of the const members: predict / predict_contrib (TreeSHAP) /
// transform / score / compare called on one fitted object from many std::threads at once give
// exactly the serial results. Each object's own parallel loops run inside each caller thread
// too (2 threads each), so OpenMP teams nest under std::threads. Built into the
// ThreadSanitizer stage (scripts/ci_sanitize.sh), which checks for data races here.
#include <boost/test/unit_test.hpp>

#include <atomic>      // std::atomic
#include <cstdint>     // std::int64_t
#include <cstring>     // std::memcmp
#include <functional>  // std::function
#include <string>      // std::string
#include <thread>      // std::thread
#include <vector>      // std::vector

#include "churn/data/synthetic.hpp"
#include "churn/features/pipeline.hpp"
#include "churn/linear/logistic.hpp"
#include "churn/model/train.hpp"
#include "churn/monitor/baseline.hpp"
#include "churn/retention/buckets.hpp"
#include "churn/segment/kmeans.hpp"
#include "churn/tree/forest.hpp"
#include "churn/tree/gbdt.hpp"

using churn::RowMatrix;
using churn::Vector;
using churn::data::Table;

namespace {

constexpr int kCallers = 8;
constexpr int kRounds = 2;

const Table& customers() {
  static const Table t = [] {
    churn::data::CustomerOptions o;
    o.n_customers = 1500;
    o.seed = 31;
    return churn::data::make_customers(o);
  }();
  return t;
}

Vector target() { return customers().column("churned").as_int64().cast<double>(); }

Table mixed() {
  return customers().select(
      {"tenure_months", "monthly_charges", "total_charges", "contract", "nps_score"});
}

RowMatrix numeric() {
  return customers().select({"tenure_months", "monthly_charges", "support_tickets"}).to_matrix();
}

/// A matrix's bytes (bit-for-bit comparisons, NaN included).
template <class M>
std::string bytes_of(const M& m) {
  return std::string(reinterpret_cast<const char*>(m.data()),
                     sizeof(typename M::Scalar) * static_cast<std::size_t>(m.size()));
}

/// Runs `work` (returning the bytes of its result) once serially, then kCallers x kRounds times
/// from kCallers threads started together; every result must equal the serial one.
void hammer(const std::string& what, const std::function<std::string()>& work) {
  const std::string serial = work();
  std::atomic<int> ready{0};
  std::atomic<int> mismatches{0};
  std::atomic<int> failures{0};
  std::vector<std::thread> callers;
  for (int c = 0; c < kCallers; ++c)
    callers.emplace_back([&] {
      ready.fetch_add(1);
      while (ready.load() < kCallers) std::this_thread::yield();
      for (int r = 0; r < kRounds; ++r) {
        try {
          if (work() != serial) mismatches.fetch_add(1);
        } catch (...) {
          failures.fetch_add(1);
        }
      }
    });
  for (auto& t : callers) t.join();
  BOOST_TEST(failures.load() == 0, what << ": " << failures.load() << " concurrent calls threw");
  BOOST_TEST(mismatches.load() == 0,
             what << ": " << mismatches.load() << " concurrent results differ from the serial one");
}

}  // namespace

BOOST_AUTO_TEST_SUITE(model_concurrency)

BOOST_AUTO_TEST_CASE(gbdt_predict_and_contrib_from_many_threads) {
  churn::tree::GBDTParams p;
  p.n_estimators = 10;
  p.num_leaves = 15;
  p.n_threads = 2;
  churn::tree::GBDTClassifier m(p);
  m.fit(mixed(), target());
  const RowMatrix X = m.feature_matrix(mixed().slice(0, 300));
  hammer("GBDT predict_proba", [&] { return bytes_of(m.predict_proba(X)); });
  hammer("GBDT predict_contrib", [&] { return bytes_of(m.predict_contrib(X)); });
}

BOOST_AUTO_TEST_CASE(random_forest_predict_and_contrib_from_many_threads) {
  churn::tree::RandomForestParams p;
  p.n_estimators = 6;
  p.max_depth = 5;
  p.n_threads = 2;
  churn::tree::RandomForestClassifier m(p);
  m.fit(mixed(), target());
  const RowMatrix X = m.feature_matrix(mixed().slice(0, 300));
  hammer("forest predict_proba", [&] { return bytes_of(m.predict_proba(X)); });
  hammer("forest predict_contrib", [&] { return bytes_of(m.predict_contrib(X)); });
}

BOOST_AUTO_TEST_CASE(logistic_and_kmeans_from_many_threads) {
  const RowMatrix X = numeric();
  churn::linear::LogisticRegressionParams lp;
  lp.n_threads = 2;
  churn::linear::LogisticRegression lr(lp);
  lr.fit(X, target());
  hammer("logistic predict_proba", [&] { return bytes_of(lr.predict_proba(X)); });
  churn::segment::KMeansParams kp;
  kp.n_clusters = 4;
  kp.n_threads = 2;
  churn::segment::KMeans km(kp);
  km.fit(X);
  hammer("KMeans predict", [&] { return bytes_of(km.predict(X)); });
  hammer("KMeans transform", [&] { return bytes_of(km.transform(X)); });
}

BOOST_AUTO_TEST_CASE(pipeline_transform_and_baseline_compare_from_many_threads) {
  churn::features::PipelineParams pp;
  pp.n_threads = 2;
  churn::features::Pipeline pipe(pp);
  pipe.impute({"nps_score", "total_charges"})
      .scale({"tenure_months", "monthly_charges"})
      .one_hot({"contract", "plan"})
      .ratio("charges_per_month", "total_charges", "tenure_months")
      .drop({"customer_id", "signup_date"});
  pipe.fit(customers());
  hammer("Pipeline transform", [&] { return bytes_of(pipe.transform_matrix(customers())); });

  churn::monitor::BaselineParams bp;
  bp.n_threads = 2;
  churn::monitor::Baseline b(bp);
  b.fit(mixed().slice(0, 700));
  hammer("Baseline compare", [&] {
    const auto r = b.compare(mixed().slice(700, 800));
    std::string out;
    for (const auto& f : r.features()) out += f.feature + ":" + std::to_string(f.psi) + ";";
    return out;
  });

  churn::retention::RiskBuckets rb;
  const Vector s = Vector::LinSpaced(5000, 0.0, 1.0);
  hammer("RiskBuckets assign", [&] { return bytes_of(rb.assign(s)); });
}

BOOST_AUTO_TEST_CASE(churn_model_score_with_reasons_from_many_threads) {
  churn::model::TrainOptions o;
  o.target = "churned";
  o.candidates = {"gbdt"};
  o.cv = 2;
  o.n_threads = 2;
  const churn::model::ChurnModel m = churn::model::train_churn_model(customers().slice(0, 600), o);
  const Table batch = customers().slice(600, 60);
  hammer("ChurnModel score (TreeSHAP reasons)", [&] {
    const Table s = m.score(batch);
    std::string out = bytes_of(Vector(s.column("probability").as_float64()));
    for (churn::Index i = 0; i < s.num_rows(); ++i) out += s.column("reason_1").value_string(i);
    return out;
  });
}

BOOST_AUTO_TEST_SUITE_END()
