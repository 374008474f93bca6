#include <boost/test/unit_test.hpp>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include "churn/core/error.hpp"
#include "churn/retention/kpi.hpp"
#include "test_util.hpp"

using churn::Index;
using churn::IntVector;
using churn::Vector;
using churn::data::Column;
using churn::data::Table;
using churn::retention::kpi_summary;
using churn::retention::KpiOptions;
using churn::retention::RiskBuckets;

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

bool close(double a, double b) {
  return std::abs(a - b) <= 1e-12 * std::max(1.0, std::abs(b));
}

/// The tiny data set of the hand-computed test.
struct Tiny {
  Vector p = (Vector(5) << 0.1, 0.6, 0.8, 0.3, 0.9).finished();
  Vector r = (Vector(5) << 10, 20, 30, 40, 50).finished();
  Vector y = (Vector(5) << 0, 1, kNaN, 0, 1).finished();
  Column seg = Column::from_strings("plan", {"b", "a", "b", "a", ""}, {1, 1, 1, 1, 0});
};

KpiOptions one_period() {
  KpiOptions o;
  o.value.horizon = 1;  // clv = r, revenue at risk = expected loss = p r
  return o;
}

double f64(const Table& t, const char* col, Index row) {
  return t.column(col).as_float64()[row];
}
std::int64_t i64(const Table& t, const char* col, Index row) {
  return t.column(col).as_int64()[row];
}
}  // namespace

BOOST_AUTO_TEST_SUITE(retention_kpi)

BOOST_AUTO_TEST_CASE(hand_computed_summary) {
  const Tiny d;
  const auto kpi = kpi_summary(d.p, RiskBuckets(), d.r, d.seg, d.y, one_period());
  const Table& t = kpi.table;
  BOOST_TEST(t.num_rows() == 8);  // overall, a, b, (missing), low, medium, high, critical
  const auto& group = t.column("group").strings();
  const auto& level = t.column("level").strings();
  BOOST_TEST((group == std::vector<std::string>{"all", "a", "b", "(missing)", "low", "medium",
                                                "high", "critical"}));
  BOOST_TEST(level[0] == "overall");
  BOOST_TEST(level[3] == "segment");
  BOOST_TEST(level[7] == "bucket");
  // overall
  BOOST_TEST(i64(t, "customers", 0) == 5);
  BOOST_TEST(f64(t, "share", 0) == 1.0);
  BOOST_TEST(i64(t, "labelled", 0) == 4);
  BOOST_TEST(i64(t, "observed_churners", 0) == 2);
  BOOST_TEST(f64(t, "observed_churn_rate", 0) == 0.5);
  BOOST_TEST(close(f64(t, "expected_churners", 0), 2.7));
  BOOST_TEST(close(f64(t, "expected_churn_rate", 0), 0.54));
  BOOST_TEST(i64(t, "predicted_churners", 0) == 3);
  BOOST_TEST(f64(t, "revenue", 0) == 150.0);
  BOOST_TEST(close(f64(t, "revenue_at_risk", 0), 94.0));
  BOOST_TEST(close(f64(t, "clv", 0), 150.0));
  BOOST_TEST(close(f64(t, "clv_at_risk", 0), 94.0));
  BOOST_TEST(i64(t, "n_low", 0) == 1);
  BOOST_TEST(i64(t, "n_critical", 0) == 2);
  // segment a: rows 1 and 3
  BOOST_TEST(i64(t, "customers", 1) == 2);
  BOOST_TEST(f64(t, "share", 1) == 0.4);
  BOOST_TEST(f64(t, "observed_churn_rate", 1) == 0.5);
  BOOST_TEST(close(f64(t, "revenue_at_risk", 1), 24.0));
  BOOST_TEST(i64(t, "n_medium", 1) == 1);
  BOOST_TEST(i64(t, "n_high", 1) == 1);
  BOOST_TEST(i64(t, "n_low", 1) == 0);
  // segment b: rows 0 and 2 (row 2 unlabelled)
  BOOST_TEST(i64(t, "labelled", 2) == 1);
  BOOST_TEST(f64(t, "observed_churn_rate", 2) == 0.0);
  BOOST_TEST(close(f64(t, "revenue_at_risk", 2), 25.0));
  BOOST_TEST(i64(t, "predicted_churners", 2) == 1);
  // (missing): row 4
  BOOST_TEST(i64(t, "customers", 3) == 1);
  BOOST_TEST(close(f64(t, "revenue_at_risk", 3), 45.0));
  // critical bucket: rows 2 and 4
  BOOST_TEST(i64(t, "customers", 7) == 2);
  BOOST_TEST(i64(t, "labelled", 7) == 1);
  BOOST_TEST(close(f64(t, "expected_churners", 7), 1.7));
  BOOST_TEST(close(f64(t, "revenue_at_risk", 7), 69.0));
  BOOST_TEST(i64(t, "n_critical", 7) == 2);
  BOOST_TEST(i64(t, "n_low", 7) == 0);

  const auto j = kpi.to_json();
  BOOST_TEST(j["rows"].size() == 8u);
  BOOST_TEST(j["rows"][0]["group"] == "all");
  BOOST_TEST(j["rows"][7]["n_critical"] == 2);
  BOOST_TEST(j["has_observed"] == true);
  BOOST_TEST(j["value"]["horizon"] == 1);
  BOOST_TEST(j["bucket_labels"][3] == "critical");
}

BOOST_AUTO_TEST_CASE(money_sums_match_the_per_customer_figures) {
  const Index n = 50000;
  Vector p(n), r(n);
  std::vector<std::int32_t> codes(static_cast<std::size_t>(n));
  for (Index i = 0; i < n; ++i) {
    p[i] = std::fmod(static_cast<double>(i) * 0.61803398875, 1.0);
    r[i] = 20.0 + static_cast<double>(i % 37);
    codes[static_cast<std::size_t>(i)] = static_cast<std::int32_t>(i % 3);
  }
  const Column seg = Column::from_codes("seg", codes, {"x", "y", "z"});
  KpiOptions o;
  o.value.horizon = 24;
  o.value.discount_rate = 0.01;
  o.value.margin = 0.6;
  o.threshold = 0.4;
  o.n_threads = 1;
  const RiskBuckets rb;
  const auto one = kpi_summary(p, rb, r, seg, Vector(), o);
  o.n_threads = 3;
  const auto three = kpi_summary(p, rb, r, seg, Vector(), o);
  for (const char* col : {"revenue_at_risk", "clv", "clv_at_risk", "expected_churners"})
    BOOST_TEST((one.table.column(col).as_float64() == three.table.column(col).as_float64()));

  const auto v = churn::retention::customer_value(p, r, o.value);
  const IntVector g = Eigen::Map<const IntVector>(codes.data(), n);
  const Vector clv_by_seg = churn::retention::sum_by_group(v.clv, g, 3);
  const Vector loss_by_bucket = churn::retention::sum_by_group(v.expected_loss, rb.assign(p), 4);
  const Table& t = one.table;
  BOOST_TEST(t.num_rows() == 1 + 3 + 4);
  BOOST_TEST(std::isnan(f64(t, "observed_churn_rate", 0)));
  for (Index s = 0; s < 3; ++s)
    BOOST_TEST(std::abs(f64(t, "clv", 1 + s) - clv_by_seg[s]) < 1e-9 * clv_by_seg[s]);
  for (Index b = 0; b < 4; ++b)
    BOOST_TEST(std::abs(f64(t, "clv_at_risk", 4 + b) - loss_by_bucket[b]) <
               1e-9 * loss_by_bucket[b]);
  BOOST_TEST(std::abs(f64(t, "revenue_at_risk", 0) - v.revenue_at_risk.sum()) <
             1e-9 * v.revenue_at_risk.sum());
  Index predicted = 0;
  for (Index i = 0; i < n; ++i) predicted += p[i] >= 0.4 ? 1 : 0;
  BOOST_TEST(i64(t, "predicted_churners", 0) == predicted);
  BOOST_TEST(one.to_json()["rows"][0]["observed_churn_rate"] == "nan");
}

BOOST_AUTO_TEST_CASE(segment_types) {
  const Tiny d;
  const Column ints = Column::from_int64("s", {10, 2, 10, 2, 7}, {1, 1, 1, 1, 1});
  const auto t = kpi_summary(d.p, RiskBuckets(), d.r, ints, Vector(), one_period()).table;
  const auto& group = t.column("group").strings();
  BOOST_TEST(group[1] == "2");  // sorted numerically
  BOOST_TEST(group[2] == "7");
  BOOST_TEST(group[3] == "10");
  BOOST_TEST(group[4] == "low");  // no (missing) row
  const auto none = kpi_summary(d.p, RiskBuckets(), d.r, Column(), Vector(), one_period()).table;
  BOOST_TEST(none.num_rows() == 5);
  BOOST_CHECK_THROW(
      kpi_summary(d.p, RiskBuckets(), d.r, Column::from_float64("s", {1, 2, 3, 4, 5})),
      churn::TypeMismatch);
}

BOOST_AUTO_TEST_CASE(bad_input_throws) {
  using churn_test::throws_with;
  const Tiny d;
  const std::vector<std::string> labels{"lo", "hi"};
  const IntVector codes = (IntVector(5) << 0, 1, 1, 0, 1).finished();
  IntVector bad_codes = codes;
  bad_codes[3] = 2;
  BOOST_TEST(throws_with<churn::InvalidArgument>([&] { kpi_summary(d.p, bad_codes, labels, d.r); },
                                                 {"bucket_codes", "row 3"}));
  BOOST_TEST(throws_with<churn::InvalidArgument>(
      [&] {
        kpi_summary(d.p, codes, {"lo", "lo"}, d.r);
      },
      {"bucket_labels", "distinct"}));
  Vector y = d.y;
  y[1] = 2;
  BOOST_TEST(throws_with<churn::InvalidArgument>(
      [&] { kpi_summary(d.p, codes, labels, d.r, Column(), y); }, {"observed", "row 1"}));
  Vector p = d.p;
  p[4] = kNaN;
  BOOST_TEST(throws_with<churn::InvalidArgument>([&] { kpi_summary(p, codes, labels, d.r); },
                                                 {"kpi_summary()", "probability", "row 4"}));
  BOOST_TEST(throws_with<churn::InvalidArgument>(
      [&] { kpi_summary(d.p, codes, labels, Vector(4)); }, {"revenue", "4 values"}));
  BOOST_TEST(throws_with<churn::InvalidArgument>(
      [&] { kpi_summary(Vector(), IntVector(), labels, Vector()); }, {"empty"}));
  KpiOptions o;
  o.threshold = kNaN;
  BOOST_CHECK_THROW(kpi_summary(d.p, codes, labels, d.r, Column(), Vector(), o),
                    churn::InvalidArgument);
  churn::retention::BucketParams qp;
  qp.cut_points.clear();
  qp.quantiles = {0.5};
  BOOST_CHECK_THROW(kpi_summary(d.p, RiskBuckets(qp), d.r), churn::NotFittedError);
}

BOOST_AUTO_TEST_CASE(customer_export_columns) {
  const Tiny d;
  const RiskBuckets rb;
  const IntVector codes = rb.assign(d.p);
  const Column action = Column::from_strings("best", {"none", "call", "discount", "none", "call"});
  const Vector env = (Vector(5) << kNaN, 3.5, 10.0, kNaN, 7.25).finished();
  const Column ids = Column::from_strings("customer", {"c1", "c2", "c3", "c4", "c5"});
  const Table t = churn::retention::customer_export(ids, d.p, codes, rb.labels(), d.r, d.seg,
                                                    action, env, one_period());
  BOOST_TEST((t.column_names() ==
              std::vector<std::string>{"id", "score", "bucket", "segment", "revenue_at_risk", "clv",
                                       "expected_loss", "action", "expected_net_value"}));
  BOOST_TEST(t.column("id").strings()[2] == "c3");
  BOOST_TEST(
      t.column("bucket").categories()[static_cast<std::size_t>(t.column("bucket").codes()[2])] ==
      "critical");
  BOOST_TEST(close(t.column("revenue_at_risk").as_float64()[4], 45.0));
  BOOST_TEST(t.column("clv").as_float64()[4] == 50.0);
  BOOST_TEST(t.column("action").strings()[1] == "call");
  BOOST_TEST(t.column("expected_net_value").as_float64()[4] == 7.25);

  const Table plain = churn::retention::customer_export(Column(), d.p, codes, rb.labels(), d.r);
  BOOST_TEST(
      (plain.column_names() == std::vector<std::string>{"id", "score", "bucket", "revenue_at_risk",
                                                        "clv", "expected_loss"}));
  BOOST_TEST(plain.column("id").as_int64()[4] == 4);
  BOOST_CHECK_THROW(
      churn::retention::customer_export(Column(), d.p, codes, rb.labels(), d.r, Column(),
                                        Column::from_float64("a", {1, 2, 3, 4, 5})),
      churn::TypeMismatch);
  BOOST_CHECK_THROW(churn::retention::customer_export(Column::from_int64("id", {1, 2}), d.p, codes,
                                                      rb.labels(), d.r),
                    churn::InvalidArgument);
}

BOOST_AUTO_TEST_SUITE_END()
