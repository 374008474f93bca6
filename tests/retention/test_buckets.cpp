#include <boost/test/unit_test.hpp>

#include <cmath>
#include <cstdio>
#include <limits>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include "churn/core/error.hpp"
#include "churn/retention/buckets.hpp"
#include "test_util.hpp"

using churn::Index;
using churn::Int64Vector;
using churn::IntVector;
using churn::Vector;
using churn::retention::BucketParams;
using churn::retention::RiskBuckets;

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

Vector vec(std::initializer_list<double> v) {
  Vector x(static_cast<Index>(v.size()));
  Index i = 0;
  for (double d : v) x[i++] = d;
  return x;
}

BucketParams quantile_params(std::vector<double> q) {
  BucketParams p;
  p.cut_points.clear();
  p.quantiles = std::move(q);
  return p;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(retention_buckets)

BOOST_AUTO_TEST_CASE(fixed_default_cut_points_left_closed) {
  RiskBuckets rb;  // {0.25, 0.5, 0.75}, ready without fit
  BOOST_TEST(rb.is_fitted());
  BOOST_TEST(rb.n_buckets() == 4);
  BOOST_TEST((rb.labels() == std::vector<std::string>{"low", "medium", "high", "critical"}));
  const IntVector c = rb.assign(vec({0.0, 0.2499, 0.25, 0.3, 0.5, 0.74, 0.75, 1.0, -kInf, kInf}));
  const std::vector<int> want{0, 0, 1, 1, 2, 2, 3, 3, 0, 3};
  for (std::size_t i = 0; i < want.size(); ++i) BOOST_TEST(c[static_cast<Index>(i)] == want[i]);

  const auto t = rb.summary(vec({0.1, 0.2, 0.6, 0.9, 0.95}));
  BOOST_TEST(t.num_rows() == 4);
  const auto count = t.column("count").as_int64();
  BOOST_TEST(count[0] == 2);
  BOOST_TEST(count[1] == 0);
  BOOST_TEST(count[2] == 1);
  BOOST_TEST(count[3] == 2);
  BOOST_TEST(t.column("share").as_float64()[3] == 0.4);
  BOOST_TEST(t.column("lower").as_float64()[0] == -kInf);
  BOOST_TEST(t.column("upper").as_float64()[3] == kInf);
  BOOST_TEST(t.column("lower").as_float64()[2] == 0.5);
  BOOST_TEST(t.column("bucket").categories()[3] == "critical");
}

BOOST_AUTO_TEST_CASE(quantile_mode_uses_numpy_linear_quantiles) {
  RiskBuckets rb(quantile_params({0.5, 0.8}));
  BOOST_TEST(!rb.is_fitted());
  BOOST_CHECK_THROW(rb.assign(vec({0.1})), churn::NotFittedError);
  BOOST_CHECK_THROW(rb.edges(), churn::NotFittedError);
  BOOST_CHECK_THROW(rb.to_json(), churn::NotFittedError);
  // np.quantile([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [0.5, 0.8]) = [4.5, 7.2]
  rb.fit(vec({9, 3, 0, 5, 1, 7, 2, 8, 4, 6}));
  BOOST_TEST(rb.is_fitted());
  BOOST_TEST(rb.edges()[0] == 4.5);
  BOOST_TEST(std::abs(rb.edges()[1] - 7.2) < 1e-12);
  BOOST_TEST((rb.labels() == std::vector<std::string>{"low", "medium", "high"}));
  const Int64Vector& ref = rb.reference_counts();
  BOOST_TEST(ref.size() == 3);
  BOOST_TEST(ref[0] == 5);  // 0..4
  BOOST_TEST(ref[1] == 3);  // 5, 6, 7
  BOOST_TEST(ref[2] == 2);  // 8, 9
  const IntVector c = rb.assign(vec({4.4999, 4.5, 7.2, 100}));
  BOOST_TEST(c[0] == 0);
  BOOST_TEST(c[1] == 1);
  BOOST_TEST(c[2] == 2);
  BOOST_TEST(c[3] == 2);
}

BOOST_AUTO_TEST_CASE(tied_reference_gives_equal_edges_and_an_empty_bucket) {
  RiskBuckets rb(quantile_params({0.25, 0.5, 0.75}));
  rb.fit(vec({0.1, 0.1, 0.1, 0.1, 0.5, 0.9}));  // np.quantile: [0.1, 0.1, 0.4]
  BOOST_TEST(rb.edges()[0] == 0.1);
  BOOST_TEST(rb.edges()[1] == 0.1);
  BOOST_TEST(std::abs(rb.edges()[2] - 0.4) < 1e-15);
  BOOST_TEST(rb.reference_counts()[1] == 0);  // [0.1, 0.1) is empty
  const IntVector c = rb.assign(vec({0.1, 0.05}));
  BOOST_TEST(c[0] == 2);  // searchsorted(side="right"): past both equal edges
  BOOST_TEST(c[1] == 0);
}

BOOST_AUTO_TEST_CASE(many_buckets_and_threads_agree) {
  BucketParams p;
  p.cut_points.clear();
  for (int i = 1; i < 40; ++i) p.cut_points.push_back(i / 40.0);  // > 16 edges: binary search
  Vector s(200000);
  for (Index i = 0; i < s.size(); ++i) s[i] = std::fmod(static_cast<double>(i) * 0.6180339887, 1.0);
  p.n_threads = 1;
  const IntVector one = RiskBuckets(p).assign(s);
  p.n_threads = 3;
  const IntVector three = RiskBuckets(p).assign(s);
  BOOST_TEST((one == three));
  for (Index i = 0; i < s.size(); i += 997) {
    const auto want = static_cast<int>(
        std::upper_bound(p.cut_points.begin(), p.cut_points.end(), s[i]) - p.cut_points.begin());
    BOOST_TEST(one[i] == want);
  }
  BOOST_TEST(RiskBuckets(p).labels()[39] == "bucket_40");
}

BOOST_AUTO_TEST_CASE(json_round_trip_and_file) {
  BucketParams p = quantile_params({0.5, 0.9});
  p.labels = {"calm", "watch", "act"};
  RiskBuckets rb(p);
  rb.fit(vec({0.05, 0.2, 0.3, 0.7, 0.8, 0.95, 0.5}));
  const auto j = rb.to_json();
  BOOST_TEST(j["kind"] == "RiskBuckets");
  BOOST_TEST(j["format"] == "churnlib");
  const RiskBuckets back = RiskBuckets::from_json(j);
  BOOST_TEST((back.edges() == rb.edges()));  // bit-identical
  BOOST_TEST((back.labels() == rb.labels()));
  BOOST_TEST((back.reference_counts() == rb.reference_counts()));
  const Vector s = vec({0.1, 0.5, 0.86, 0.99});
  BOOST_TEST((back.assign(s) == rb.assign(s)));

  const std::string path = "retention_buckets_test.json";
  rb.save(path);
  const RiskBuckets loaded = RiskBuckets::load(path);
  BOOST_TEST((loaded.assign(s) == rb.assign(s)));
  std::remove(path.c_str());

  const RiskBuckets fixed = RiskBuckets::from_json(RiskBuckets().to_json());  // never fitted
  BOOST_TEST(fixed.reference_counts().size() == 0);
  BOOST_TEST(fixed.edges()[1] == 0.5);
}

BOOST_AUTO_TEST_CASE(damaged_or_newer_json_throws) {
  RiskBuckets rb;
  auto j = rb.to_json();
  auto newer = j;
  newer["version"] = "2.0";
  BOOST_CHECK_THROW(RiskBuckets::from_json(newer), churn::SerializationError);
  auto other = j;
  other["kind"] = "KMeans";
  BOOST_CHECK_THROW(RiskBuckets::from_json(other), churn::SerializationError);
  auto extra = j;
  extra["state"]["surprise"] = 1;
  BOOST_CHECK_THROW(RiskBuckets::from_json(extra), churn::SerializationError);
  auto edges = j;
  edges["state"]["edges"] = {0.1, 0.2};
  BOOST_CHECK_THROW(RiskBuckets::from_json(edges), churn::SerializationError);
  auto bad_params = j;
  bad_params["params"]["cut_points"] = {0.5, 0.2, 0.9};
  BOOST_CHECK_THROW(RiskBuckets::from_json(bad_params), churn::SerializationError);
  auto labels = j;
  labels["state"]["labels"] = {"a", "b", "c", "d"};
  BOOST_CHECK_THROW(RiskBuckets::from_json(labels), churn::SerializationError);
}

BOOST_AUTO_TEST_CASE(bad_parameters_and_scores_throw) {
  using churn_test::throws_with;
  auto make = [](BucketParams p) { return RiskBuckets(std::move(p)); };
  BucketParams p;
  p.cut_points = {0.5, 0.5};
  BOOST_TEST(
      throws_with<churn::InvalidArgument>([&] { make(p); }, {"cut_points", "strictly increasing"}));
  p.cut_points = {0.1, kNaN};
  BOOST_TEST(throws_with<churn::InvalidArgument>([&] { make(p); }, {"cut_points", "finite"}));
  p.cut_points = {0.2, 0.4};
  p.labels = {"a", "b"};
  BOOST_TEST(throws_with<churn::InvalidArgument>([&] { make(p); }, {"labels", "3"}));
  p.labels = {"a", "b", "a"};
  BOOST_TEST(throws_with<churn::InvalidArgument>([&] { make(p); }, {"labels", "distinct"}));
  p.labels = {};
  p.quantiles = {0.5};
  BOOST_TEST(throws_with<churn::InvalidArgument>([&] { make(p); }, {"exactly one"}));
  BucketParams q = quantile_params({0.5, 1.0});
  BOOST_TEST(throws_with<churn::InvalidArgument>([&] { make(q); }, {"quantiles", "(0, 1)"}));
  q = quantile_params({0.6, 0.3});
  BOOST_TEST(throws_with<churn::InvalidArgument>([&] { make(q); }, {"strictly increasing"}));

  RiskBuckets rb;
  BOOST_TEST(throws_with<churn::InvalidArgument>(
      [&] {
        rb.assign(vec({0.1, kNaN, kNaN}));
      },
      {"assign", "NaN", "row 1"}));
  RiskBuckets qb(quantile_params({0.5}));
  BOOST_TEST(throws_with<churn::InvalidArgument>(
      [&] {
        qb.fit(vec({0.1, 0.2, kNaN}));
      },
      {"fit", "reference_scores", "row 2"}));
  BOOST_TEST(!qb.is_fitted());
  BOOST_CHECK_THROW(qb.fit(Vector()), churn::InvalidArgument);
  BOOST_TEST(throws_with<churn::InvalidArgument>(
      [&] {
        qb.fit(vec({0.1, kInf, kInf}));
      },
      {"quantile at 0.5", "NaN"}));
  qb.fit(vec({-kInf, 0.0, 1.0, kInf}));  // infinite scores away from the quantile are fine
  BOOST_TEST(qb.edges()[0] == 0.5);
}

BOOST_AUTO_TEST_CASE(options_from_python_keywords) {
  churn::Json o = {{"quantiles", {0.5, 0.9}}, {"cut_points", churn::Json::array()}};
  const BucketParams p = BucketParams::from_options(o);
  BOOST_TEST(p.quantile_mode());
  BOOST_CHECK_THROW(BucketParams::from_options({{"cut_point", {0.5}}}), churn::InvalidArgument);
  BOOST_CHECK_THROW(BucketParams::from_options({{"labels", "high"}}), churn::TypeMismatch);
  const IntVector codes = (IntVector(5) << 0, 2, 2, -1, 7).finished();
  const Int64Vector c = churn::retention::count_codes(codes, 3);
  BOOST_TEST(c[0] == 1);
  BOOST_TEST(c[1] == 0);
  BOOST_TEST(c[2] == 2);
}

BOOST_AUTO_TEST_SUITE_END()
