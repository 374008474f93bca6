// common/quantile.hpp: numpy's linear quantile, np.median, np.linspace(0, 1, k + 1) and
// multi_select, against numpy 2.4 values written as literals and a full sort.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "common/quantile.hpp"

namespace c = churn::common;

namespace {
const double kInf = std::numeric_limits<double>::infinity();

bool same_bits(double a, double b) {
  return std::memcmp(&a, &b, sizeof a) == 0;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(common_quantile)

BOOST_AUTO_TEST_CASE(matches_np_quantile_on_finite_values) {
  // repr(float(np.quantile(sorted([0.1, 0.7, 2.5, 3.3, 10.0, 11.0, -4.2]), q)))
  const std::vector<double> s = {-4.2, 0.1, 0.7, 2.5, 3.3, 10.0, 11.0};
  const double q[] = {0, 0.1, 0.25, 0.3, 0.5, 0.7, 0.75, 0.9, 0.999, 1};
  const double want[] = {-4.2,
                         -1.6199999999999994,
                         0.39999999999999997,
                         0.5799999999999998,
                         2.5,
                         4.639999999999995,
                         6.65,
                         10.4,
                         10.994,
                         11.0};
  for (std::size_t i = 0; i < std::size(q); ++i)
    BOOST_TEST(c::quantile_sorted(s, q[i]) == want[i], "q = " << q[i]);
  const std::vector<double> levels(std::begin(q), std::end(q));
  BOOST_TEST(
      c::quantiles_sorted(s, levels) == std::vector<double>(std::begin(want), std::end(want)),
      boost::test_tools::per_element());
  BOOST_TEST(std::isnan(c::quantile_sorted(std::vector<double>{}, 0.5)));
  BOOST_TEST(c::quantile_sorted(std::vector<double>{7.5}, 0.3) == 7.5);
}

BOOST_AUTO_TEST_CASE(infinite_and_signed_zero_neighbours_as_numpy) {
  // np.quantile: [inf, inf] @ 0.5 -> nan; [1, inf] @ 0 -> nan, @ 0.25 -> inf, @ 0.75 -> nan,
  // @ 1 -> nan; [-inf, 1] @ 0.75 -> -inf; [-inf, -inf, 1, 2] @ 0.25 -> nan
  BOOST_TEST(std::isnan(c::quantile_sorted(std::vector<double>{kInf, kInf}, 0.5)));
  const std::vector<double> one_inf = {1, kInf};
  BOOST_TEST(std::isnan(c::quantile_sorted(one_inf, 0.0)));
  BOOST_TEST(c::quantile_sorted(one_inf, 0.25) == kInf);
  BOOST_TEST(std::isnan(c::quantile_sorted(one_inf, 0.75)));
  BOOST_TEST(std::isnan(c::quantile_sorted(one_inf, 1.0)));
  BOOST_TEST(c::quantile_sorted(std::vector<double>{-kInf, 1}, 0.75) == -kInf);
  BOOST_TEST(std::isnan(c::quantile_sorted(std::vector<double>{-kInf, -kInf, 1, 2}, 0.25)));
  // [-0.0, -0.0]: @ 0 -> 0.0, @ 0.25 -> 0.0, @ 0.5 -> -0.0, @ 1 -> 0.0
  const std::vector<double> zeros = {-0.0, -0.0};
  BOOST_TEST(same_bits(c::quantile_sorted(zeros, 0.0), 0.0));
  BOOST_TEST(same_bits(c::quantile_sorted(zeros, 0.25), 0.0));
  BOOST_TEST(same_bits(c::quantile_sorted(zeros, 0.5), -0.0));
  BOOST_TEST(same_bits(c::quantile_sorted(zeros, 1.0), 0.0));
}

BOOST_AUTO_TEST_CASE(ranks_and_lerp_compose_to_the_quantile) {
  std::mt19937_64 gen(3);
  std::normal_distribution<double> norm(0, 100);
  for (std::size_t n : {1, 2, 3, 10, 101}) {
    std::vector<double> s(n);
    for (auto& v : s) v = norm(gen);
    std::sort(s.begin(), s.end());
    for (double q : {0.0, 0.01, 0.25, 0.5, 0.9, 1.0}) {
      std::size_t lo = 0, hi = 0;
      c::linear_quantile_ranks(q, n, lo, hi);
      // floor((n - 1) q) and the next one, clamped
      BOOST_TEST(lo == static_cast<std::size_t>(std::floor(q * static_cast<double>(n - 1))));
      BOOST_TEST(hi == std::min(lo + 1, n - 1));
      BOOST_TEST(same_bits(c::linear_quantile_lerp(q, n, s[lo], s[hi]), c::quantile_sorted(s, q)));
    }
  }
}

BOOST_AUTO_TEST_CASE(median_is_np_median_not_the_lerp) {
  // np.median([1, 2, 4, 8]) = 3.0; [-98.26996785221726, 9.548302746945433]: np.median
  // -44.36083255263591, np.quantile(.., 0.5) -44.36083255263592
  const double four[] = {1, 2, 4, 8};
  BOOST_TEST(c::median_sorted(four, 4) == 3.0);
  BOOST_TEST(c::median_sorted(four, 3) == 2.0);
  const std::vector<double> two = {-98.26996785221726, 9.548302746945433};
  BOOST_TEST(c::median_sorted(two.data(), 2) == -44.36083255263591);
  BOOST_TEST(c::quantile_sorted(two, 0.5) == -44.36083255263592);
}

BOOST_AUTO_TEST_CASE(linspace01_is_np_linspace) {
  // np.linspace(0, 1, 11): 0.30000000000000004 (not 3 / 10), 0.6000000000000001,
  // 0.7000000000000001; np.linspace(0, 1, 8)[5] = 0.7142857142857142
  const std::vector<double> want = {
      0.0, 0.1, 0.2, 0.30000000000000004, 0.4, 0.5, 0.6000000000000001, 0.7000000000000001,
      0.8, 0.9, 1.0};
  BOOST_TEST(c::linspace01(10) == want, boost::test_tools::per_element());
  const std::vector<double> seven = c::linspace01(7);
  BOOST_TEST(seven.size() == 8u);
  BOOST_TEST(seven[5] == 0.7142857142857142);
  BOOST_TEST(seven.back() == 1.0);
  BOOST_TEST((c::linspace01(1) == std::vector<double>{0.0, 1.0}));
}

BOOST_AUTO_TEST_CASE(multi_select_places_every_rank_as_a_sort) {
  std::mt19937_64 gen(11);
  std::uniform_int_distribution<int> small(0, 20);  // many ties
  for (std::size_t n : {1, 2, 7, 100, 1000}) {
    std::vector<double> v(n);
    for (auto& x : v) x = small(gen) * 0.5;
    std::vector<double> sorted = v;
    std::sort(sorted.begin(), sorted.end());
    std::vector<std::size_t> ranks;
    for (std::size_t r = 0; r < n; r += 1 + n / 7) ranks.push_back(r);
    ranks.push_back(n - 1);
    std::sort(ranks.begin(), ranks.end());
    ranks.erase(std::unique(ranks.begin(), ranks.end()), ranks.end());
    c::multi_select(v.data(), v.data() + n, ranks.data(), ranks.data() + ranks.size());
    for (std::size_t r : ranks) BOOST_TEST(v[r] == sorted[r], "n " << n << " rank " << r);
    std::sort(v.begin(), v.end());
    BOOST_TEST(v == sorted, boost::test_tools::per_element());  // a permutation
  }
}

BOOST_AUTO_TEST_SUITE_END()
