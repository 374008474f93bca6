#include <boost/test/unit_test.hpp>

#include <cmath>
#include <vector>

#include "churn/core/random.hpp"

BOOST_AUTO_TEST_SUITE(core_random)

BOOST_AUTO_TEST_CASE(same_seed_same_stream_other_seed_other_stream) {
  churn::Rng a(123), b(123), c(124);
  int differ = 0;
  for (int i = 0; i < 100; ++i) {
    const auto x = a.next();
    BOOST_TEST(x == b.next());
    differ += x != c.next();
  }
  BOOST_TEST(differ == 100);
}

BOOST_AUTO_TEST_CASE(uniform_moments_and_range) {
  churn::Rng rng(1);
  const int n = 200000;
  double s = 0, s2 = 0;
  for (int i = 0; i < n; ++i) {
    const double u = rng.uniform();
    BOOST_REQUIRE(u >= 0.0);
    BOOST_REQUIRE(u < 1.0);
    s += u;
    s2 += u * u;
  }
  BOOST_TEST(std::abs(s / n - 0.5) < 0.005);
  BOOST_TEST(std::abs(s2 / n - 1.0 / 3.0) < 0.005);
}

BOOST_AUTO_TEST_CASE(uniform_int_is_unbiased_chi_square) {
  churn::Rng rng(2);
  const int k = 7, n = 70000;
  std::vector<int> counts(k, 0);
  for (int i = 0; i < n; ++i) counts[rng.uniform_int(k)]++;
  double chi2 = 0;
  for (int c : counts) chi2 += (c - n / double(k)) * (c - n / double(k)) / (n / double(k));
  BOOST_TEST(chi2 < 22.46);  // 99.9% quantile of chi-square with 6 degrees of freedom
  BOOST_CHECK_THROW(rng.uniform_int(0), churn::InvalidArgument);
}

BOOST_AUTO_TEST_CASE(normal_moments) {
  churn::Rng rng(3);
  const int n = 200000;
  double s = 0, s2 = 0;
  for (int i = 0; i < n; ++i) {
    const double z = rng.normal();
    s += z;
    s2 += z * z;
  }
  BOOST_TEST(std::abs(s / n) < 0.01);
  BOOST_TEST(std::abs(s2 / n - 1.0) < 0.01);
}

BOOST_AUTO_TEST_CASE(streams_are_reproducible_and_distinct) {
  auto a = churn::Rng::for_stream(9, 0), b = churn::Rng::for_stream(9, 0),
       c = churn::Rng::for_stream(9, 1);
  const auto x = a.next();
  BOOST_TEST(x == b.next());
  BOOST_TEST(x != c.next());
}

BOOST_AUTO_TEST_SUITE_END()
