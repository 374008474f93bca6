// common/float_key.hpp: the order-preserving key of a double against the comparison of the
// doubles themselves, and its inverse.
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "common/float_key.hpp"

namespace c = churn::common;

namespace {

std::uint64_t bits(double x) {
  std::uint64_t u;
  std::memcpy(&u, &x, sizeof u);
  return u;
}

/// Doubles of every kind: zeros of both signs, subnormals, normals, the extremes, infinities.
std::vector<double> specimens() {
  using L = std::numeric_limits<double>;
  std::vector<double> v = {0.0,
                           -0.0,
                           L::denorm_min(),
                           -L::denorm_min(),
                           L::min(),
                           -L::min(),
                           1.0,
                           -1.0,
                           0.1,
                           -0.1,
                           L::max(),
                           -L::max(),
                           L::infinity(),
                           -L::infinity(),
                           std::nextafter(1.0, 2.0),
                           std::nextafter(-1.0, -2.0),
                           1e-310,
                           -1e-310,
                           3.5e300,
                           -3.5e300};
  std::mt19937_64 gen(5);
  for (int i = 0; i < 2000; ++i) {
    std::uint64_t u = gen();
    double x;
    std::memcpy(&x, &u, sizeof x);
    if (!std::isnan(x)) v.push_back(x);  // random bit patterns: every exponent
  }
  return v;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(common_float_key)

BOOST_AUTO_TEST_CASE(raw_key_orders_as_the_doubles_with_minus_zero_first) {
  const auto v = specimens();
  for (double a : v)
    for (std::size_t j = 0; j < v.size(); j += 7) {
      const double b = v[j];
      const bool a_first = a < b || (a == b && std::signbit(a) && !std::signbit(b));
      BOOST_TEST((c::ordered_key(a) < c::ordered_key(b)) == a_first, a << " vs " << b);
    }
  BOOST_TEST(c::ordered_key(-0.0) + 1 == c::ordered_key(0.0));
}

BOOST_AUTO_TEST_CASE(folded_key_merges_the_zeros) {
  const auto v = specimens();
  BOOST_TEST(c::ordered_key_folded(-0.0) == c::ordered_key_folded(0.0));
  BOOST_TEST(c::ordered_key_folded(0.0) == c::ordered_key(0.0));
  for (double a : v)
    for (std::size_t j = 0; j < v.size(); j += 7) {
      const double b = v[j];
      BOOST_TEST((c::ordered_key_folded(a) < c::ordered_key_folded(b)) == (a < b));
      BOOST_TEST((c::ordered_key_folded(a) == c::ordered_key_folded(b)) == (a == b));
    }
}

BOOST_AUTO_TEST_CASE(keys_are_the_sign_flip_map_and_invert_bit_for_bit) {
  for (double x : specimens()) {
    // the textbook form: negative -> all bits flipped, else the sign bit set
    const std::uint64_t u = bits(x);
    const std::uint64_t want = (u >> 63) ? ~u : (u | (std::uint64_t{1} << 63));
    BOOST_TEST(c::ordered_key(x) == want);
    BOOST_TEST(bits(c::from_ordered_key(c::ordered_key(x))) == u);
    BOOST_TEST(bits(c::from_ordered_key(c::ordered_key_folded(x))) == bits(x + 0.0));
  }
}

BOOST_AUTO_TEST_SUITE_END()
