// common/normal.hpp: the normal CDF, tail and quantile, and the binomial upper tail, against
// closed forms and values from scipy.stats (norm.ppf, norm.sf, binom.sf).
#include <boost/test/unit_test.hpp>

#include <cmath>   // std::isnan, std::isinf
#include <limits>  // std::numeric_limits

#include "common/normal.hpp"

using namespace churn::common;  // NOLINT

BOOST_AUTO_TEST_SUITE(common_normal)

BOOST_AUTO_TEST_CASE(normal_quantile_cdf_and_tail) {
  const auto tol = boost::test_tools::tolerance(1e-14);
  BOOST_TEST(normal_quantile(0.975) == 1.959963984540054, tol);
  BOOST_TEST(normal_quantile(0.5) == 0.0, boost::test_tools::tolerance(1e-15));
  BOOST_TEST(normal_quantile(1e-10) == -6.361340902404056, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(normal_quantile(0.99) == 2.3263478740408408, tol);
  BOOST_TEST(std::isinf(normal_quantile(0.0)));
  BOOST_TEST(std::isinf(normal_quantile(1.0)));
  BOOST_TEST(std::isnan(normal_quantile(1.5)));
  BOOST_TEST(std::isnan(normal_quantile(std::numeric_limits<double>::quiet_NaN())));
  for (double q : {1e-12, 0.01, 0.3, 0.77, 0.999999})
    BOOST_TEST(normal_cdf(normal_quantile(q)) == q, boost::test_tools::tolerance(1e-13));
  BOOST_TEST(normal_sf(1.959963984540054) == 0.025, tol);
  BOOST_TEST(normal_sf(10.0) == 7.619853024160527e-24, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(normal_cdf(0.0) == 0.5);
}

BOOST_AUTO_TEST_CASE(binomial_upper_tail_by_hand) {
  BOOST_TEST(binomial_upper_tail(1, 2, 0.5) == 0.75, boost::test_tools::tolerance(1e-14));
  BOOST_TEST(binomial_upper_tail(0, 5, 0.1) == 1.0);
  BOOST_TEST(binomial_upper_tail(6, 5, 0.1) == 0.0);
  // P(X >= 3), X ~ Binomial(5, 0.1) = 10 * 0.001 * 0.81 + 5 * 1e-4 * 0.9 + 1e-5
  BOOST_TEST(binomial_upper_tail(3, 5, 0.1) == 0.00856, boost::test_tools::tolerance(1e-12));
}

BOOST_AUTO_TEST_SUITE_END()
