// Writes the seed corpus of the fuzz targets: a few small, valid inputs per target in
// tests/fuzz/corpus/<target>/ (small models fitted on a few synthetic customers, so that a
// fuzzer's mutations stay fast). Built with CHURN_BUILD_FUZZERS as churn_fuzz_corpus; the
// files are committed, so this only runs again when a saved format changes:
//   build/fuzz/tests/fuzz/churn_fuzz_corpus tests/fuzz/corpus
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "churn/core/json.hpp"
#include "churn/data/schema.hpp"
#include "churn/data/synthetic.hpp"
#include "churn/features/pipeline.hpp"
#include "churn/linear/logistic.hpp"
#include "churn/model/train.hpp"
#include "churn/monitor/baseline.hpp"
#include "churn/retention/buckets.hpp"
#include "churn/segment/kmeans.hpp"
#include "churn/tree/forest.hpp"
#include "churn/tree/gbdt.hpp"
#include "fuzz/rules_fuzz.hpp"

namespace fs = std::filesystem;
using churn::Json;
using churn::data::Table;

namespace {

fs::path root;

void write(const std::string& target, const std::string& name, const std::string& bytes) {
  const fs::path dir = root / target;
  fs::create_directories(dir);
  std::ofstream(dir / name, std::ios::binary) << bytes;
}
void write(const std::string& target, const std::string& name, const Json& doc) {
  write(target, name, doc.dump());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: churn_fuzz_corpus <corpus folder>\n";
    return 2;
  }
  root = argv[1];
  churn::data::CustomerOptions co;
  co.n_customers = 120;
  co.seed = 11;
  co.n_threads = 1;
  const Table customers = churn::data::make_customers(co);
  churn::data::EventOptions eo;
  eo.n_customers = 120;
  eo.events_per_customer = 15;
  eo.seed = 11;
  eo.n_threads = 1;
  const Table events = churn::data::make_events(eo);
  const churn::Vector y = customers.column("churned").as_int64().cast<double>();
  const Table mixed = customers.select(
      {"tenure_months", "monthly_charges", "contract", "nps_score", "support_tickets"});
  const Table numeric = customers.select({"tenure_months", "monthly_charges", "support_tickets"});
  const churn::RowMatrix X = numeric.to_matrix({}, 1);

  // csv: the first byte holds the reader's options (see checks.cpp)
  write("csv", "header",
        std::string("\x00", 1) + "id,x,name\n1,2.5,\"a,b\"\n2,,c\n3,-1e3,\"\"\"q\"\n");
  write("csv", "no_header_semicolon", std::string("\x09", 1) + "1;2;3\n4;;6\r\n7;8;x\n");
  write("csv", "int64_crlf", std::string("\x04", 1) + "a,b\r\n1,9223372036854775807\r\n-2,NA\r\n");
  write("csv", "blocks", std::string("\x60", 1) + "k,v\n\"multi\nline\",1\nz,2\n");

  // rules: an odd first byte is JSON text; an even one seeds mutations of a valid document
  write("rules", "valid", "\x01" + churn_fuzz::valid_rule_document().dump());
  write("rules", "mutated_a",
        std::string("\x02"
                    "abc",
                    4));
  write("rules", "mutated_b",
        std::string("\x0e"
                    "xyz",
                    4));

  write("schema", "customers", churn::data::Schema::infer(customers).to_json());

  churn::tree::GBDTParams gp;
  gp.n_estimators = 4;
  gp.num_leaves = 6;
  gp.min_child_samples = 5;
  gp.n_threads = 1;
  write("gbdt", "mixed", churn::tree::GBDTClassifier(gp).fit(mixed, y).to_json());
  write("gbdt", "numeric", churn::tree::GBDTClassifier(gp).fit(X, y).to_json());

  churn::tree::RandomForestParams fp;
  fp.n_estimators = 3;
  fp.max_depth = 3;
  fp.n_threads = 1;
  write("forest", "mixed", churn::tree::RandomForestClassifier(fp).fit(mixed, y).to_json());
  write("forest", "numeric", churn::tree::RandomForestClassifier(fp).fit(X, y).to_json());

  churn::linear::LogisticRegressionParams lp;
  lp.n_threads = 1;
  churn::linear::LogisticRegression lr(lp);
  lr.fit(X, y);
  write("logistic", "plain", lr.to_json());

  churn::segment::KMeansParams kp;
  kp.n_clusters = 3;
  kp.n_threads = 1;
  write("kmeans", "three", churn::segment::KMeans(kp).fit(X).to_json());

  churn::monitor::BaselineParams bp;
  bp.n_threads = 1;
  const churn::Vector score = churn::Vector::LinSpaced(customers.num_rows(), 0.0, 1.0);
  write("baseline", "mixed_with_score", churn::monitor::Baseline(bp).fit(mixed, score).to_json());
  write("baseline", "numeric", churn::monitor::Baseline(bp).fit(numeric).to_json());

  churn::features::PipelineParams pp;
  pp.n_threads = 1;
  churn::features::Pipeline pipe(pp);
  pipe.impute({"nps_score", "total_charges"})
      .scale({"tenure_months", "monthly_charges"})
      .one_hot({"contract", "plan"})
      .ratio("charges_per_month", "total_charges", "tenure_months")
      .select({"tenure_months", "monthly_charges", "nps_score", "charges_per_month",
               "contract_Month-to-month", "plan_Basic"});
  pipe.fit(customers);
  write("pipeline", "steps", pipe.to_json());
  churn::features::EventAggregationSpec spec;
  spec.windows_days = {30};
  churn::features::Pipeline joined(pp);
  churn::features::EventJoinParams jp;
  jp.prefix = "ev_";
  joined.join_events(spec, jp).drop({"customer_id", "signup_date", "churned"});
  joined.fit(customers, events, co.as_of);
  write("pipeline", "events", joined.to_json());

  churn::model::TrainOptions to;
  to.target = "churned";
  to.candidates = {"logistic"};
  to.cv = 2;
  to.n_threads = 1;
  const Table small = customers.select(
      {"customer_id", "tenure_months", "monthly_charges", "contract", "nps_score", "churned"});
  write("churn_model", "logistic", churn::model::train_churn_model(small, to).to_json());
  // (no bundle with events: train_churn_model's inferred pipeline refuses an event feature
  // without values in a fold, e.g. the 7-day trend of a rare event type, on data this small)

  write("buckets", "fixed", churn::retention::RiskBuckets().to_json());
  churn::retention::BucketParams qp;
  qp.cut_points.clear();
  qp.quantiles = {0.5, 0.8, 0.95};
  qp.n_threads = 1;
  write("buckets", "quantile", churn::retention::RiskBuckets(qp).fit(score).to_json());
  std::cout << "corpus written to " << root << "\n";
  return 0;
}
