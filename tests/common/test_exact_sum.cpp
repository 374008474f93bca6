// common/exact_sum.hpp: ExactSum against exact rational sums (Python fractions, written as
// literals), its order and merge independence, and the error-free double-double helpers.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "common/exact_sum.hpp"

namespace c = churn::common;

namespace {

c::ExactSum sum_of(const std::vector<double>& x) {
  c::ExactSum s;
  for (double v : x) s.add(v);
  return s;
}

std::vector<double> wide(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 gen(seed);
  std::normal_distribution<double> g(0, 1);
  std::vector<double> x(n);
  for (auto& v : x) v = std::ldexp(g(gen), static_cast<int>(gen() % 400) - 200);
  x.push_back(4.9e-324);  // a subnormal
  x.push_back(-0.0);
  return x;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(common_exact_sum)

BOOST_AUTO_TEST_CASE(value_is_the_exact_total) {
  // sum(Fraction(x) for x in xs) as hi = float(s), lo = float(s - Fraction(hi))
  const std::vector<double> xs = {1e300, -1e300, 3.5, -2.25e-300, 0.1, 0.7, -1e-5, 123456789.123};
  double hi = 0, lo = 0;
  sum_of(xs).value(hi, lo);
  BOOST_TEST(hi == 123456793.42299);
  BOOST_TEST(lo == 1.6593932716882511e-09);
  // ten times 0.1 is exactly 1 + 2^-54
  sum_of(std::vector<double>(10, 0.1)).value(hi, lo);
  BOOST_TEST(hi == 1.0);
  BOOST_TEST(lo == std::ldexp(1.0, -54));
  // nothing, or terms that cancel exactly, is zero
  c::ExactSum().value(hi, lo);
  BOOST_TEST((hi == 0.0 && lo == 0.0));
  sum_of({1e-300, 5.0, -5.0, -1e-300}).value(hi, lo);
  BOOST_TEST((hi == 0.0 && lo == 0.0));
  sum_of({-2.5, 1.0}).value(hi, lo);  // a negative total (two's complement limbs)
  BOOST_TEST((hi == -1.5 && lo == 0.0));
}

BOOST_AUTO_TEST_CASE(infinities_are_counted_apart) {
  const double inf = std::numeric_limits<double>::infinity();
  double hi = 0, lo = 0;
  const c::ExactSum pos = sum_of({1.0, inf, 2.0, inf});
  BOOST_TEST(pos.pos_inf() == 2);
  pos.value(hi, lo);
  BOOST_TEST(hi == inf);
  sum_of({-inf, 1.0}).value(hi, lo);
  BOOST_TEST(hi == -inf);
  sum_of({-inf, inf}).value(hi, lo);
  BOOST_TEST(std::isnan(hi));
}

BOOST_AUTO_TEST_CASE(order_and_merges_do_not_matter) {
  std::vector<double> x = wide(5000, 3);
  const c::ExactSum want = sum_of(x);
  std::mt19937_64 gen(9);
  for (int r = 0; r < 3; ++r) {
    std::shuffle(x.begin(), x.end(), gen);
    BOOST_TEST((sum_of(x) == want));
    const std::size_t cut = gen() % x.size();
    c::ExactSum a = sum_of(std::vector<double>(x.begin(), x.begin() + cut));
    a.merge(sum_of(std::vector<double>(x.begin() + cut, x.end())));
    BOOST_TEST((a == want));
  }
  BOOST_TEST(!(sum_of({1.0}) == sum_of({1.0, 1e-300})));
  BOOST_TEST((c::ExactSum() == sum_of({1e-300, -1e-300})));  // no limbs vs zero limbs
}

BOOST_AUTO_TEST_CASE(add_scaled_adds_mantissa_units) {
  // t units of biased exponent e are t * 2^(e - 1075): 3 units of exponent 1075 are 3.0, and -5
  // units of exponent 1023 are -5 * 2^-52
  c::ExactSum s;
  s.add_scaled(3, 1075 + c::kSumOffset);
  s.add_scaled(-5, 1023 + c::kSumOffset);
  s.normalize();
  BOOST_TEST((s == sum_of({3.0, -5 * std::ldexp(1.0, -52)})));
}

BOOST_AUTO_TEST_CASE(state_round_trips) {
  const c::ExactSum s = sum_of(wide(300, 5));
  const std::vector<c::Int128> limbs = s.limbs();
  BOOST_TEST(limbs.size() == static_cast<std::size_t>(c::ExactSum::kLimbs));
  BOOST_TEST((c::ExactSum::from_state(limbs, s.pos_inf(), s.neg_inf()) == s));
  BOOST_TEST(c::ExactSum().limbs().empty());
  BOOST_TEST(!(c::ExactSum::from_state(limbs, 1, 0) == s));
}

BOOST_AUTO_TEST_CASE(error_free_transformations) {
  double s = 0, e = 0;
  c::two_sum(1e16, 1.0, s, e);  // 1e16 + 1 rounds to 1e16 (ties to even), error 1
  BOOST_TEST((s == 1e16 && e == 1.0));
  c::two_sum(0.1, 0.2, s, e);  // Fraction(0.1) + Fraction(0.2) - Fraction(0.30000000000000004)
  BOOST_TEST((s == 0.30000000000000004 && e == -2.7755575615628914e-17));
  // Fraction(1, 3) and Fraction(0.1) / 7 split into hi + lo
  const c::DoubleDouble third = c::dd_div(c::DoubleDouble{1.0, 0.0}, 3.0);
  BOOST_TEST((third.hi == 0.3333333333333333 && third.lo == 1.850371707708594e-17));
  const c::DoubleDouble q = c::dd_div(c::DoubleDouble{0.1, 0.0}, 7.0);
  BOOST_TEST((q.hi == 0.014285714285714287 && q.lo == -4.956352788505163e-19));
  // (1 + 2^-30)^2 = 1 + 2^-29 + 2^-60 exactly
  const double a = 1.0 + std::ldexp(1.0, -30);
  const c::DoubleDouble sq = c::dd_mul(c::DoubleDouble{a, 0.0}, c::DoubleDouble{a, 0.0});
  BOOST_TEST((sq.hi == 1.0 + std::ldexp(1.0, -29) && sq.lo == std::ldexp(1.0, -60)));
  const c::DoubleDouble sum = c::dd_add(c::DoubleDouble{1.0, 1e-20}, c::DoubleDouble{2e-16, 0.0});
  BOOST_TEST(sum.hi == 1.0000000000000002);  // 1 + 2e-16 rounds up to the next double
  BOOST_TEST(std::abs((sum.hi - 1.0) + sum.lo - (2e-16 + 1e-20)) < 1e-31);
  const c::DoubleDouble qs = c::quick_two_sum(1.0, 1e-17);
  BOOST_TEST((qs.hi == 1.0 && qs.lo == 1e-17));
}

BOOST_AUTO_TEST_SUITE_END()
