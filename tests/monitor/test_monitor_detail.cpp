// Internal kernels of churn::monitor (src/monitor/scan_kernel.hpp, numeric_fit.hpp...): the
// vectorised exact sums against term-by-term ExactSum::add, the two-pass bucket selection
// against a full sort, the cell counter against a binary search, the radix sort against
// std::sort, and every kernel build (portable, AVX2, AVX-512, as far as the CPU has them)
// giving the same baseline bit for bit.
#include <boost/test/data/monomorphic.hpp>
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include "churn/data/table.hpp"
#include "churn/monitor/baseline.hpp"
#include "common/cpu_dispatch.hpp"
#include "monitor/numeric_fit.hpp"
#include "monitor/scan_kernel.hpp"
#include "monitor/select_quantiles.hpp"
#include "monitor/state_json.hpp"

using churn::Index;
using churn::data::Column;
using churn::data::Table;
namespace detail = churn::monitor::detail;

namespace {

const double kNaN = std::numeric_limits<double>::quiet_NaN();
const double kInf = std::numeric_limits<double>::infinity();

/// Caps the kernel level (0 portable, 1 AVX2, 2 AVX-512) for a scope (common/cpu_dispatch.hpp).
struct KernelLevel {
  explicit KernelLevel(int level) : use(static_cast<churn::common::CpuLevel>(level)) {}
  churn::common::ScopedCpuLevel use;
};

/// Values that exercise every path of the exact sums: ordinary values, values far below the
/// chunk's largest (the slow path), subnormals, signed zeros, powers of two, infinities, NaN.
std::vector<double> awkward(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0, 1);
  std::normal_distribution<double> g(0, 1);
  std::vector<double> x(n);
  for (auto& v : x) {
    const double r = u(rng);
    if (r < 0.50)
      v = g(rng) * 100;
    else if (r < 0.55)
      v = std::ldexp(g(rng), static_cast<int>(rng() % 2000) - 1000);
    else if (r < 0.60)
      v = std::ldexp(1.0, static_cast<int>(rng() % 2000) - 1000);
    else if (r < 0.63)
      v = (rng() % 2 ? 1 : -1) * std::ldexp(static_cast<double>(rng() % 1000), -1074);
    else if (r < 0.66)
      v = rng() % 2 ? 0.0 : -0.0;
    else if (r < 0.68)
      v = kNaN;
    else if (r < 0.69)
      v = rng() % 2 ? kInf : -kInf;
    else if (r < 0.72)
      v = (rng() % 2 ? 1 : -1) * 1e300 * u(rng);
    else
      v = std::round(g(rng) * 1000) / 100;  // cents
  }
  return x;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(monitor_monitor_detail)

BOOST_AUTO_TEST_CASE(exact_sums_equal_term_by_term_adds) {
  for (std::size_t n : {0u, 1u, 3u, 7u, 8u, 9u, 31u, 1000u, 1023u, 1024u, 1025u, 5003u}) {
    for (std::uint64_t seed = 1; seed <= 3; ++seed) {
      const std::vector<double> x = awkward(n, seed * 977 + n);
      const double shift = 12.5;
      detail::ExactSum want, want_sq;
      for (double v : x) {
        if (std::isnan(v)) continue;
        want.add(v);
        const double d = (v - shift) * (v - shift);
        if (!std::isnan(d)) want_sq.add(d);
      }
      for (int level : {0, 1, 2}) {
        KernelLevel use(level);
        detail::ExactSum s, sq;
        detail::exact_sums(x.data(), x.size(), shift, s, sq);
        BOOST_TEST(detail::exact_sum_to_json(s).dump() == detail::exact_sum_to_json(want).dump(),
                   "n " << n << " level " << level);
        BOOST_TEST(
            detail::exact_sum_to_json(sq).dump() == detail::exact_sum_to_json(want_sq).dump(),
            "n " << n << " level " << level);
        // split at a seeded point and merged: the same state
        if (n > 2) {
          const std::size_t cut = (seed * 7919) % n;
          detail::ExactSum a, asq, b, bsq;
          detail::exact_sums(x.data(), cut, shift, a, asq);
          detail::exact_sums(x.data() + cut, n - cut, shift, b, bsq);
          a.merge(b);
          asq.merge(bsq);
          BOOST_TEST(detail::exact_sum_to_json(a).dump() == detail::exact_sum_to_json(want).dump());
          BOOST_TEST(detail::exact_sum_to_json(asq).dump() ==
                     detail::exact_sum_to_json(want_sq).dump());
        }
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(negative_totals_convert_to_their_value) {
  // a negative total is held in two's complement with all-ones upper limbs; value() must
  // give the sum, not an overflow (a negative column once had a NaN mean)
  for (const std::vector<double>& x :
       {std::vector<double>{-1415.7343095054994}, std::vector<double>{-2.5, 1.0, -1e-300},
        std::vector<double>{1e300, -3e300, 5.0}, std::vector<double>{-0.1, -0.1, -0.1}}) {
    detail::ExactSum s, sq;
    detail::exact_sums(x.data(), x.size(), 0.0, s, sq);
    double hi = 0, lo = 0;
    s.value(hi, lo);
    long double want = 0;
    for (double v : x) want += v;
    BOOST_TEST(std::isfinite(hi));
    BOOST_TEST(hi == static_cast<double>(want), boost::test_tools::tolerance(1e-15));
    detail::ExactSum pos;
    for (double v : x) pos.add(-v);
    double phi = 0, plo = 0;
    pos.value(phi, plo);
    BOOST_TEST(hi == -phi);  // symmetric
    BOOST_TEST(lo == -plo);
  }
}

BOOST_AUTO_TEST_CASE(radix_fit_matches_a_full_sort) {
  // shapes: a normal with missing values, a heavy tail over a huge range (the key map), heavy
  // ties, a near-constant column, a sorted column, signed zeros and subnormals, all negative
  const std::size_t n = 150001;
  std::mt19937_64 rng(5);
  std::normal_distribution<double> g(0, 1);
  std::student_t_distribution<double> t3(3);
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<std::vector<double>> shapes(7, std::vector<double>(n));
  for (std::size_t i = 0; i < n; ++i) {
    shapes[0][i] = u(rng) < 0.1 ? kNaN : 50 + 10 * g(rng);
    shapes[1][i] = t3(rng) * 1e6 * std::pow(10.0, 20 * u(rng) - 10);
    shapes[2][i] = static_cast<double>(rng() % 9);
    shapes[3][i] = u(rng) < 0.001 ? g(rng) * 1e9 : 3.25;
    shapes[4][i] = static_cast<double>(i) * 0.5 - 1000;
    shapes[5][i] = u(rng) < 0.3 ? (rng() % 2 ? 0.0 : -0.0)
                                : std::ldexp(g(rng), static_cast<int>(rng() % 60) - 1060);
    shapes[6][i] = -std::exp(4 * g(rng));
  }
  for (std::size_t k = 0; k < shapes.size(); ++k) {
    const std::vector<double>& x = shapes[k];
    std::vector<double> sorted;
    for (double v : x)
      if (!std::isnan(v)) sorted.push_back(v);
    std::sort(sorted.begin(), sorted.end());
    const std::size_t m = sorted.size();
    const std::vector<double> sample = detail::sorted_sample(x.data(), n, std::size_t{1} << 15);
    detail::RadixFit r(x.data(), n, sample, 0.0);
    // pass 1 in three uneven parts
    r.begin();
    r.pass1(0, 1000);
    r.pass1(100000, n);
    r.pass1(1000, 100000);
    BOOST_TEST(r.n_values() == m);
    BOOST_TEST(r.min() == sorted.front());
    BOOST_TEST(r.max() == sorted.back());
    std::vector<std::size_t> ranks = {0, m - 1, m / 2, m / 100, m - 1 - m / 100};
    for (int j = 0; j < 40; ++j) ranks.push_back(rng() % m);
    std::vector<double> cuts;
    for (int j = 0; j < 30; ++j) {
      const double v = sorted[rng() % m];
      cuts.push_back(v);
      cuts.push_back(std::nextafter(v, kInf));
    }
    BOOST_TEST_REQUIRE(r.plan(ranks, cuts));
    r.pass2(50000, n);
    r.pass2(0, 50000);
    BOOST_TEST_REQUIRE(r.finish(), "shape " << k);
    for (std::size_t rank : ranks) {
      bool ok = true;
      const double v = r.value_at(rank, ok);
      BOOST_TEST(ok);
      BOOST_TEST(v == sorted[rank], "shape " << k << " rank " << rank);
    }
    for (double c : cuts) {
      std::int64_t below = -1;
      BOOST_TEST(r.count_lt(c, below));
      const auto want = std::lower_bound(sorted.begin(), sorted.end(), c) - sorted.begin();
      BOOST_TEST(below == want, "shape " << k << " cut " << c);
    }
  }
}

BOOST_DATA_TEST_CASE(cell_counter_matches_a_binary_search, boost::unit_test::data::make({0, 1}),
                     far_ends) {
  // cuts alone in their bucket, in pairs (an edge and the double above it) and in runs of
  // three or more (left to the caller); values on, just below and just above every cut,
  // outside the range, infinite and missing. With far ends (a heavy tail's min and max) the
  // map leaves the end cuts out of its range (they share the end buckets).
  std::mt19937_64 rng(11);
  std::normal_distribution<double> g(0, 1);
  std::vector<double> cuts;
  for (int j = 0; j < 60; ++j) {
    double v = std::round(40 * g(rng) * 1000) / 1000;
    cuts.push_back(v);
    if (j % 3 >= 1) cuts.push_back(std::nextafter(v, kInf));
    if (j % 3 == 2) {
      cuts.push_back(std::nextafter(cuts.back(), kInf));
      cuts.push_back(v + 1e-9);
    }
  }
  if (far_ends) {
    cuts.push_back(-1e7);
    cuts.push_back(1e7);
  }
  std::sort(cuts.begin(), cuts.end());
  cuts.erase(std::unique(cuts.begin(), cuts.end()), cuts.end());
  std::vector<double> x;
  for (double c : cuts)
    for (double v : {c, std::nextafter(c, -kInf), std::nextafter(c, kInf)}) x.push_back(v);
  for (int i = 0; i < 20000; ++i) x.push_back(50 * g(rng));
  for (double v : {kNaN, kInf, -kInf, 1e300, -1e300, 0.0, -0.0}) x.push_back(v);
  std::shuffle(x.begin(), x.end(), rng);
  const detail::CellCounter counter(cuts);
  if (far_ends) BOOST_TEST((counter.map.linear && counter.map.lo > cuts.front()));
  const std::size_t nc = counter.n_cells, stride = nc + 2;
  // the reference: the number of cuts <= v, missing last
  std::vector<std::int64_t> want(nc + 1, 0);
  for (double v : x) {
    if (std::isnan(v)) {
      ++want[nc];
    } else {
      ++want[static_cast<std::size_t>(std::upper_bound(cuts.begin(), cuts.end(), v) -
                                      cuts.begin())];
    }
  }
  for (int level : {0, 1, 2}) {
    KernelLevel use(level);
    std::vector<std::uint32_t> scratch(4 * stride, 0);
    std::vector<double> slow(x.size());
    std::vector<std::int64_t> got(nc + 1, 0);
    std::size_t n_slow = 0;
    for (std::size_t a = 0; a < x.size(); a += 3001) {  // uneven chunks
      const std::size_t len = std::min<std::size_t>(3001, x.size() - a);
      const std::size_t w =
          detail::scan_cells(counter, x.data() + a, len, scratch.data(), slow.data());
      for (std::size_t i = 0; i < w; ++i)
        ++got[static_cast<std::size_t>(std::upper_bound(cuts.begin(), cuts.end(), slow[i]) -
                                       cuts.begin())];
      n_slow += w;
    }
    for (std::size_t k = 0; k <= nc; ++k)
      got[k] += std::int64_t{scratch[k]} + scratch[stride + k] + scratch[2 * stride + k] +
                scratch[3 * stride + k];
    BOOST_TEST(got == want, boost::test_tools::per_element());
    BOOST_TEST(n_slow > 0u);            // the runs of cuts took the caller's path
    BOOST_TEST(n_slow < x.size() / 5);  // most values take the comparisons
  }
}

BOOST_AUTO_TEST_CASE(more_cuts_than_the_cell_counter_takes_use_the_cut_index) {
  // 20000 bins: more cuts than CellCounter::kMaxCuts, so accumulate counts through CutIndex;
  // fit (two-pass counts) and accumulate of the same data must agree
  const Index n = 120000;
  std::mt19937_64 rng(13);
  std::normal_distribution<double> g(0, 1);
  std::vector<double> a(n);
  for (auto& v : a) v = g(rng);
  const Table ref({Column::from_float64("a", a)});
  churn::monitor::BaselineParams p;
  p.bins = 20000;
  churn::monitor::Baseline base(p);
  base.fit(ref);
  BOOST_TEST(base.to_json()["state"]["features"][0]["edges"].size() >
             detail::CellCounter::kMaxCuts + 1);
  BOOST_TEST(base.accumulate(ref).to_json().dump() == base.to_json().dump());
}

BOOST_AUTO_TEST_CASE(every_kernel_build_gives_the_same_baseline) {
  const Index n = 100000;
  std::mt19937_64 rng(9);
  std::normal_distribution<double> g(0, 1);
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<double> a(n), b(n), c(n);
  for (Index i = 0; i < n; ++i) {
    a[i] = u(rng) < 0.05 ? kNaN : std::exp(2 * g(rng));
    b[i] = std::floor(u(rng) * 12);
    c[i] = u(rng) < 0.01 ? std::ldexp(g(rng), -1040) : g(rng) * 1e200;
  }
  const Table ref(
      {Column::from_float64("a", a), Column::from_float64("b", b), Column::from_float64("c", c)});
  for (auto& v : a) v = std::isnan(v) ? v : v * 1.3;
  for (auto& v : b) v = v + (u(rng) < 0.2 ? 1 : 0);
  const Table cur(
      {Column::from_float64("a", a), Column::from_float64("b", b), Column::from_float64("c", c)});
  std::string fitted, accumulated, report;
  for (int level : {0, 1, 2}) {
    KernelLevel use(level);
    churn::monitor::Baseline base;
    base.fit(ref);
    const std::string f = base.to_json().dump();
    const std::string acc = base.accumulate(cur).to_json().dump();
    const std::string rep = base.compare(cur).to_json().dump();
    if (level == 0) {
      fitted = f;
      accumulated = acc;
      report = rep;
      // fit's two-pass counts equal a plain accumulate of the same data on the fitted bins
      BOOST_TEST(base.accumulate(ref).to_json().dump() == f);
    } else {
      BOOST_TEST(f == fitted, "level " << level);
      BOOST_TEST(acc == accumulated, "level " << level);
      BOOST_TEST(rep == report, "level " << level);
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
