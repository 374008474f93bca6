// LogisticRegression on values that used to pass silently (issue 19, findings 8 and 10): a
// loaded file with unknown state members or a negative n_iter, a class whose rows all weigh 0.
#include <boost/test/unit_test.hpp>

#include <random>
#include <string>

#include "churn/core/error.hpp"
#include "churn/core/json.hpp"
#include "churn/linear/logistic.hpp"
#include "test_util.hpp"

using churn::Index;
using churn::Json;
using churn::RowMatrix;
using churn::Vector;
using churn::linear::ClassWeightMode;
using churn::linear::LogisticRegression;
using churn::linear::LogisticRegressionParams;

namespace {

struct Data {
  RowMatrix X;
  Vector y;
};

Data make_data(Index n, unsigned seed) {
  std::mt19937_64 gen(seed);
  std::normal_distribution<double> normal;
  Data d{RowMatrix(n, 3), Vector(n)};
  for (Index i = 0; i < n; ++i) {
    for (Index j = 0; j < 3; ++j) d.X(i, j) = normal(gen);
    d.y[i] = d.X(i, 0) + 0.5 * normal(gen) > 0 ? 1.0 : 0.0;
  }
  return d;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(linear_logistic_values)

BOOST_AUTO_TEST_CASE(loader_refuses_unknown_state_members_and_a_negative_n_iter) {
  const Data d = make_data(200, 1);
  LogisticRegression m;
  m.fit(d.X, d.y);
  const Json doc = m.to_json();
  BOOST_CHECK_NO_THROW((void)LogisticRegression::from_json(doc));
  Json extra = doc;
  extra["state"]["coefficients_v2"] = Json::array({1.0});
  BOOST_TEST(churn_test::throws_with<churn::SerializationError>(
      [&] { (void)LogisticRegression::from_json(extra); }, "'coefficients_v2'"));
  for (const int bad : {-5, -1}) {
    Json neg = doc;
    neg["state"]["n_iter"] = bad;
    BOOST_TEST(churn_test::throws_with<churn::SerializationError>(
        [&] { (void)LogisticRegression::from_json(neg); },
        {"n_iter", std::to_string(bad)}));
  }
  Json not_object = doc;
  not_object["state"] = Json::array();
  BOOST_TEST(churn_test::throws_with<churn::SerializationError>(
      [&] { (void)LogisticRegression::from_json(not_object); }, "state"));
}

BOOST_AUTO_TEST_CASE(a_class_of_zero_total_weight_is_refused_as_by_the_trees) {
  const Data d = make_data(200, 2);
  for (const double zero_class : {0.0, 1.0}) {
    Vector w(d.y.size());
    for (Index i = 0; i < w.size(); ++i) w[i] = d.y[i] == zero_class ? 0.0 : 1.0;
    LogisticRegression m;
    BOOST_TEST(churn_test::throws_with<churn::InvalidArgument>(
        [&] { m.fit(d.X, d.y, churn_test::weighted(w)); },
        "y must hold both classes 0 and 1 (with positive weight)"));
    BOOST_TEST(!m.is_fitted());
    LogisticRegressionParams P;
    P.class_weight = ClassWeightMode::Custom;
    (zero_class == 0.0 ? P.class_weight_0 : P.class_weight_1) = 0.0;
    LogisticRegression c(P);
    BOOST_TEST(churn_test::throws_with<churn::InvalidArgument>([&] { c.fit(d.X, d.y); },
                                                               "both classes 0 and 1"));
  }
}

BOOST_AUTO_TEST_SUITE_END()
