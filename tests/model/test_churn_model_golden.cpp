// The golden bundles of tests/testdata, written by Python (make_churn_model_fixtures.py): C++
// loads each, reads the same raw CSV through the Table API and reproduces Python's scores bit
// for bit. These files must load forever (the bundle format's compatibility promise).
#include <boost/test/unit_test.hpp>

#include <cstdlib>  // std::strtod
#include <fstream>  // std::ifstream
#include <sstream>  // std::stringstream
#include <string>   // std::string
#include <vector>   // std::vector

#include "churn/data/csv.hpp"
#include "churn/model/churn_model.hpp"

namespace cm = churn::model;
using churn::Index;

namespace {

std::string data_path(const std::string& name) {
  return std::string(CHURN_TEST_DATA_DIR) + "/" + name;
}

std::vector<std::vector<std::string>> read_rows(const std::string& path) {
  std::ifstream in(path);
  BOOST_REQUIRE(in.good());
  std::vector<std::vector<std::string>> rows;
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::vector<std::string> cells;
    std::stringstream ss(line);
    std::string cell;
    while (std::getline(ss, cell, ',')) cells.push_back(cell);
    if (!line.empty() && line.back() == ',') cells.emplace_back();
    rows.push_back(cells);
  }
  return rows;
}

void check_kind(const std::string& kind) {
  const cm::ChurnModel model = cm::ChurnModel::load(data_path("churn_model_" + kind + ".json"));
  BOOST_TEST(cm::model_kind_name(model.kind()) == kind);
  const churn::data::Table customers =
      churn::data::read_csv(data_path("churn_model_customers.csv"));
  cm::ScoreOptions o;
  o.n_reasons = 2;
  const churn::data::Table s = model.score(customers, o);
  const auto expected = read_rows(data_path("churn_model_" + kind + "_scores.csv"));
  BOOST_REQUIRE_EQUAL(static_cast<Index>(expected.size()), s.num_rows());
  const auto p = s.column("probability").as_float64();
  for (Index i = 0; i < s.num_rows(); ++i) {
    const auto& row = expected[static_cast<std::size_t>(i)];
    BOOST_TEST(s.column("customer_id").value_string(i) == row[0]);
    BOOST_TEST(p[i] == std::strtod(row[1].c_str(), nullptr), "row " << i << " of " << kind);
    BOOST_TEST(s.column("prediction").value_string(i) == row[2]);
    const auto& r1 = s.column("reason_1");
    BOOST_TEST((r1.is_missing(i) ? std::string() : r1.value_string(i)) == row[3]);
    const auto& r2 = s.column("reason_2");
    BOOST_TEST((r2.is_missing(i) ? std::string() : r2.value_string(i)) ==
               (row.size() > 4 ? row[4] : ""));
  }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(model_churn_model_golden)

BOOST_AUTO_TEST_CASE(logistic_bundle_scores_as_python_did) {
  check_kind("logistic");
}
BOOST_AUTO_TEST_CASE(random_forest_bundle_scores_as_python_did) {
  check_kind("random_forest");
}
BOOST_AUTO_TEST_CASE(gbdt_bundle_scores_as_python_did) {
  check_kind("gbdt");
}

BOOST_AUTO_TEST_SUITE_END()
