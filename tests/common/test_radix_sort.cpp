// common/radix_sort.hpp: the LSD radix sort against std::stable_sort (order of equal keys
// included) and sort_doubles against std::sort, on either side of their small-size fallbacks.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "common/float_key.hpp"
#include "common/radix_sort.hpp"

namespace c = churn::common;

namespace {

struct Item {
  std::uint64_t key;
  std::size_t index;  // position before the sort: shows stability
};

std::vector<Item> items(std::size_t n, int shape, std::uint64_t seed) {
  std::mt19937_64 gen(seed);
  std::vector<Item> v(n);
  for (std::size_t i = 0; i < n; ++i) {
    std::uint64_t k = gen();
    if (shape == 1) k %= 17;                        // heavy ties, only the low digit moves
    if (shape == 2) k = (k % 1000) << 40 | 0xABCD;  // equal low digits: skipped passes
    v[i] = {k, i};
  }
  return v;
}

/// Doubles of every kind but NaN: zeros of both signs, ties, subnormals, infinities, wide range.
std::vector<double> awkward_doubles(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 gen(seed);
  std::normal_distribution<double> g(0, 1);
  const double inf = std::numeric_limits<double>::infinity();
  const double special[] = {0.0, -0.0, inf, -inf, 4.9e-324, -4.9e-324, 1e308, -1e308, 2.0, 2.0};
  std::vector<double> v(n);
  for (auto& x : v) {
    const auto r = gen() % 4;
    x = r == 0   ? special[gen() % 10]
        : r == 1 ? std::ldexp(g(gen), static_cast<int>(gen() % 200) - 100)
                 : std::round(g(gen) * 3);
  }
  return v;
}

bool same_bits(const std::vector<double>& a, const std::vector<double>& b) {
  return a.size() == b.size() &&
         (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(common_radix_sort)

BOOST_AUTO_TEST_CASE(radix_sort_is_a_stable_sort_by_key) {
  const auto by_key = [](const Item& a, const Item& b) { return a.key < b.key; };
  for (std::size_t n : {0u, 1u, 100u, 511u, 512u, 5000u, 70000u})
    for (int shape = 0; shape < 3; ++shape) {
      std::vector<Item> want = items(n, shape, 7 * n + shape);
      std::vector<Item> a = want, b = want, buf;
      std::stable_sort(want.begin(), want.end(), by_key);
      c::radix_sort(a, buf, [](const Item& e) { return e.key; });  // 11-bit digits
      c::radix_sort<8>(
          b, buf, [](const Item& e) { return e.key; }, 0);  // always radix
      bool same_a = true, same_b = true;
      for (std::size_t i = 0; i < n; ++i) {
        same_a = same_a && a[i].key == want[i].key && a[i].index == want[i].index;
        same_b = same_b && b[i].key == want[i].key && b[i].index == want[i].index;
      }
      BOOST_TEST(same_a, "n " << n << " shape " << shape);
      BOOST_TEST(same_b, "n " << n << " shape " << shape << " (8-bit)");
    }
}

BOOST_AUTO_TEST_CASE(sort_doubles_equals_std_sort) {
  for (std::size_t n : {0u, 10u, 4095u, 4096u, 5000u, 70000u}) {
    std::vector<double> x = awkward_doubles(n, n + 1);
    std::vector<double> want = x;
    std::sort(want.begin(), want.end());
    std::vector<double> small = x;
    c::sort_doubles(x);
    BOOST_TEST(x == want, boost::test_tools::per_element());  // equal values (-0.0 == 0.0)
    if (n >= 4096) {
      // the radix sort orders by the raw key: -0.0 before +0.0, so the bits are those of a
      // stable sort by key
      std::vector<std::uint64_t> keys(n);
      for (std::size_t i = 0; i < n; ++i) keys[i] = c::ordered_key(want[i]);
      std::sort(keys.begin(), keys.end());
      std::vector<double> by_key(n);
      for (std::size_t i = 0; i < n; ++i) by_key[i] = c::from_ordered_key(keys[i]);
      BOOST_TEST(same_bits(x, by_key));
    } else {
      std::sort(small.begin(), small.end());  // below small_n: std::sort itself
      BOOST_TEST(same_bits(x, small));
    }
  }
  std::vector<double> z(5000, 0.0);
  for (std::size_t i = 0; i < z.size(); i += 3) z[i] = -0.0;
  c::sort_doubles(z);
  BOOST_TEST(std::signbit(z[0]));
  BOOST_TEST(std::signbit(z[1666]));
  BOOST_TEST(!std::signbit(z[1667]));
  BOOST_TEST(!std::signbit(z.back()));
}

BOOST_AUTO_TEST_SUITE_END()
