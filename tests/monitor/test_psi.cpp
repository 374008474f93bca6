#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "churn/core/error.hpp"
#include "churn/data/table.hpp"
#include "churn/monitor/psi.hpp"

#include "test_util.hpp"

using churn::Index;
using churn::Vector;
using churn::data::Column;
using namespace churn::monitor;  // NOLINT

namespace {

const double kNaN = std::numeric_limits<double>::quiet_NaN();

Vector vec(const std::vector<double>& v) {
  return Eigen::Map<const Vector>(v.data(), static_cast<Index>(v.size()));
}

// ---- brute-force references (what numpy/scipy do, written out) ------------------------------

std::vector<double> sorted_non_missing(const Vector& x) {
  std::vector<double> v;
  for (Index i = 0; i < x.size(); ++i)
    if (!std::isnan(x[i])) v.push_back(x[i]);
  std::sort(v.begin(), v.end());
  return v;
}

/// np.quantile(method="linear") on sorted values.
double np_quantile(const std::vector<double>& s, double q) {
  const double pos = q * static_cast<double>(s.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(pos));
  const std::size_t hi = std::min(lo + 1, s.size() - 1);
  const double t = pos - static_cast<double>(lo);
  const double a = s[lo], b = s[hi];
  if (a == b) return a;
  const double diff = b - a;
  return t >= 0.5 ? b - diff * (1.0 - t) : a + diff * t;
}

std::vector<double> brute_edges(const Vector& x, int bins, bool quantile) {
  const auto s = sorted_non_missing(x);
  std::vector<double> e;
  if (s.empty()) return e;
  // np.linspace(0, 1, bins + 1) and np.histogram's np.linspace(min, max, bins + 1)
  const double step = 1.0 / bins, width = (s.back() - s.front()) / bins;
  for (int i = 0; i <= bins; ++i) {
    const double t = i == bins ? 1.0 : double(i) * step;
    e.push_back(quantile ? np_quantile(s, t) : double(i) * width + s.front());
  }
  if (!quantile) e.back() = s.back();
  e.erase(std::unique(e.begin(), e.end()), e.end());
  return e;
}

/// Counts per bin (np.histogram's rule, end values clipped into the end bins) + missing.
std::vector<std::int64_t> brute_counts(const Vector& x, const std::vector<double>& e) {
  const std::size_t nb = e.size() > 1 ? e.size() - 1 : 1;
  std::vector<std::int64_t> c(nb + 1, 0);
  for (Index i = 0; i < x.size(); ++i) {
    if (std::isnan(x[i])) {
      ++c[nb];
      continue;
    }
    std::size_t b = 0;
    for (std::size_t k = 1; k + 1 < e.size(); ++k)
      if (x[i] >= e[k]) b = k;
    c[b] += 1;
  }
  return c;
}

double brute_psi(const std::vector<std::int64_t>& r, const std::vector<std::int64_t>& c,
                 double eps) {
  double nr = 0, nc = 0;
  for (auto v : r) nr += double(v);
  for (auto v : c) nc += double(v);
  double s = 0;
  for (std::size_t i = 0; i < r.size(); ++i) {
    double p = r[i] / nr, q = c[i] / nc;
    if (p == 0) p = eps;
    if (q == 0) q = eps;
    s += (q - p) * std::log(q / p);
  }
  return s;
}

double brute_js(const std::vector<std::int64_t>& r, const std::vector<std::int64_t>& c) {
  double nr = 0, nc = 0;
  for (auto v : r) nr += double(v);
  for (auto v : c) nc += double(v);
  double d = 0;
  for (std::size_t i = 0; i < r.size(); ++i) {
    const double p = r[i] / nr, q = c[i] / nc, m = (p + q) / 2;
    if (p > 0) d += p * std::log(p / m) / 2;
    if (q > 0) d += q * std::log(q / m) / 2;
  }
  return std::sqrt(d);
}

/// O(n^2) two-sample KS: the largest ECDF gap over every observed value.
double brute_ks(const Vector& a, const Vector& b) {
  const auto sa = sorted_non_missing(a), sb = sorted_non_missing(b);
  double d = 0;
  auto cdf = [](const std::vector<double>& s, double t) {
    double k = 0;
    for (double v : s) k += v <= t ? 1 : 0;
    return k / s.size();
  };
  for (const auto* s : {&sa, &sb})
    for (double t : *s) d = std::max(d, std::abs(cdf(sa, t) - cdf(sb, t)));
  return d;
}

Vector random_vector(Index n, std::uint64_t seed, double shift, double missing, bool ties) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> g(shift, 1.0);
  std::uniform_real_distribution<double> u(0, 1);
  Vector x(n);
  for (Index i = 0; i < n; ++i) {
    double v = g(rng);
    if (ties) v = std::round(v * 2) / 2;
    x[i] = u(rng) < missing ? kNaN : v;
  }
  return x;
}

using churn_test::throws_with;

}  // namespace

BOOST_AUTO_TEST_SUITE(monitor_psi)

BOOST_AUTO_TEST_CASE(ties_hand_computed) {
  // quantiles of {1, 2, 2, 2, 3} at 0, .25, .5, .75, 1 are {1, 2, 2, 2, 3}: merged to {1, 2, 3}
  const Vector ref = vec({1, 2, 2, 2, 3, kNaN});
  const auto e = bin_edges(ref, 4);
  BOOST_TEST(e == (std::vector<double>{1, 2, 3}), boost::test_tools::per_element());
  Histogram r(e), c(e);
  r.add(ref);
  c.add(vec({0, 2, 5, kNaN, kNaN}));  // 0 below the range, 5 above it
  BOOST_TEST(r.counts() == (std::vector<std::int64_t>{1, 4}), boost::test_tools::per_element());
  BOOST_TEST(r.missing() == 1);
  BOOST_TEST(r.out_of_range() == 0);
  BOOST_TEST(c.counts() == (std::vector<std::int64_t>{1, 2}), boost::test_tools::per_element());
  BOOST_TEST(c.missing() == 2);
  BOOST_TEST(c.out_of_range() == 2);
  // shares: reference {1/6, 4/6, 1/6}, current {1/5, 2/5, 2/5}
  const double want = (0.2 - 1.0 / 6) * std::log(0.2 / (1.0 / 6)) +
                      (0.4 - 4.0 / 6) * std::log(0.4 / (4.0 / 6)) +
                      (0.4 - 1.0 / 6) * std::log(0.4 / (1.0 / 6));
  const double got = psi(ref, vec({0, 2, 5, kNaN, kNaN}), 4);
  BOOST_TEST(got == want, boost::test_tools::tolerance(1e-14));
  BOOST_TEST(share_out_of_range(ref, vec({0, 2, 5, kNaN, kNaN})) == 2.0 / 3.0,
             boost::test_tools::tolerance(1e-15));
  BOOST_TEST(missing_rate(vec({0, 2, 5, kNaN, kNaN})) == 0.4);
}

BOOST_AUTO_TEST_CASE(constant_column_hand_computed) {
  const Vector ref = vec({5, 5, 5, kNaN});
  const auto e = bin_edges(ref, 10);
  BOOST_TEST(e == (std::vector<double>{5}), boost::test_tools::per_element());
  Histogram c(e);
  c.add(vec({5, 6, kNaN, kNaN}));
  BOOST_TEST(c.n_bins() == 1);
  BOOST_TEST(c.counts()[0] == 2);
  BOOST_TEST(c.out_of_range() == 1);
  const double want = (0.5 - 0.75) * std::log(0.5 / 0.75) + (0.5 - 0.25) * std::log(0.5 / 0.25);
  BOOST_TEST(psi(ref, vec({5, 6, kNaN, kNaN})) == want, boost::test_tools::tolerance(1e-14));
  BOOST_TEST(psi(ref, ref) == 0.0);
  BOOST_TEST(bin_edges(ref, 3, Binning::EqualWidth) == (std::vector<double>{5}),
             boost::test_tools::per_element());
  BOOST_TEST(ks_statistic(ref, vec({5, 6, kNaN, kNaN})) == 0.5);
}

BOOST_AUTO_TEST_CASE(all_missing_hand_computed) {
  const Vector ref = vec({kNaN, kNaN});
  BOOST_TEST(bin_edges(ref).empty());
  Histogram c(bin_edges(ref));
  c.add(vec({1, kNaN}));
  BOOST_TEST(c.counts()[0] == 1);
  BOOST_TEST(c.missing() == 1);
  BOOST_TEST(c.out_of_range() == 1);
  // reference shares {0 -> eps, 1}, current {1/2, 1/2}
  const double eps = kDefaultEpsilon;
  const double want = (0.5 - eps) * std::log(0.5 / eps) + (0.5 - 1.0) * std::log(0.5 / 1.0);
  BOOST_TEST(psi(ref, vec({1, kNaN})) == want, boost::test_tools::tolerance(1e-14));
  BOOST_TEST(psi(ref, vec({kNaN, kNaN, kNaN})) == 0.0);
  BOOST_TEST(std::isnan(ks_statistic(ref, vec({1, kNaN}))));
  BOOST_TEST(share_out_of_range(ref, vec({1, kNaN})) == 1.0);
  BOOST_TEST(std::isnan(share_out_of_range(vec({1.0}), vec({kNaN}))));
  BOOST_TEST(missing_rate(ref) == 1.0);
}

BOOST_AUTO_TEST_CASE(equal_width_and_epsilon) {
  const Vector ref = vec({0, 1, 2, 3, 4, 10});
  const auto e = bin_edges(ref, 2, Binning::EqualWidth);
  BOOST_TEST(e == (std::vector<double>{0, 5, 10}), boost::test_tools::per_element());
  Histogram h(e);
  h.add(ref);
  BOOST_TEST(h.counts() == (std::vector<std::int64_t>{5, 1}), boost::test_tools::per_element());
  // an empty bin uses epsilon: current all in the first bin
  const Vector cur = vec({1, 1});
  const double r0 = 5.0 / 6, r1 = 1.0 / 6, eps = 0.01;
  const double want = (1.0 - r0) * std::log(1.0 / r0) + (eps - r1) * std::log(eps / r1);
  BOOST_TEST(psi(ref, cur, 2, Binning::EqualWidth, eps) == want,
             boost::test_tools::tolerance(1e-14));
  const auto s = h.shares(eps);
  BOOST_TEST(s.size() == 3u);
  BOOST_TEST(s[2] == eps);  // the empty missing bin
  BOOST_TEST((binning_from_name("equal_width") == Binning::EqualWidth));
  BOOST_TEST(std::string(binning_name(Binning::Quantile)) == "quantile");
}

BOOST_AUTO_TEST_CASE(ks_hand_computed) {
  BOOST_TEST(ks_statistic(vec({1, 2, 3}), vec({2, 3, 4})) == 1.0 / 3,
             boost::test_tools::tolerance(1e-15));
  BOOST_TEST(ks_statistic(vec({1, 1, 2}), vec({1, 2, 2, kNaN})) == 1.0 / 3,
             boost::test_tools::tolerance(1e-15));
  BOOST_TEST(ks_statistic(vec({1, 2}), vec({3, 4})) == 1.0);
  BOOST_TEST(ks_statistic(vec({1, 2}), vec({2, 1})) == 0.0);
}

BOOST_AUTO_TEST_CASE(categorical_hand_computed) {
  const Column ref = Column::from_strings_categorical("c", {"a", "a", "b", ""}, {1, 1, 1, 0});
  const Column cur = Column::from_strings("c", {"a", "c", "c", "x"}, {1, 1, 1, 0});
  // bins a, b, unseen, missing: reference {2, 1, 0, 1}, current {1, 0, 2, 1}
  CategoryCounts r, c;
  r.add(ref);
  c.add(cur);
  BOOST_TEST(categorical_bin_counts(r, c) == (std::vector<std::int64_t>{1, 0, 2, 1}),
             boost::test_tools::per_element());
  const double eps = kDefaultEpsilon;
  const double want = (0.25 - 0.5) * std::log(0.25 / 0.5) + (eps - 0.25) * std::log(eps / 0.25) +
                      (0.5 - eps) * std::log(0.5 / eps) + 0.0;
  BOOST_TEST(categorical_psi(ref, cur) == want, boost::test_tools::tolerance(1e-14));
  BOOST_TEST(categorical_js_distance(ref, cur) == brute_js({2, 1, 0, 1}, {1, 0, 2, 1}),
             boost::test_tools::tolerance(1e-14));
  BOOST_TEST(unseen_categories(ref, cur) == (std::vector<std::string>{"c"}),
             boost::test_tools::per_element());
  BOOST_TEST(categorical_psi(ref, ref) == 0.0);
  // dictionaries in another order and with unused entries match by name
  const Column ref2 = Column::from_codes("c", {2, 2, 0, -1}, {"b", "zz", "a"});
  BOOST_TEST(categorical_psi(ref2, cur) == want, boost::test_tools::tolerance(1e-14));
  BOOST_TEST(r.count("a") == 2);
  BOOST_TEST(r.count("zz") == 0);
}

BOOST_AUTO_TEST_CASE(categorical_counts_are_sorted_by_name_like_the_string_path) {
  // a dictionary out of order, with unused entries and a missing row: the counts sorted by name
  // (detail::counts_by_name) must equal those of the same values as a string column
  const std::vector<std::string> dict{"zz", "b", "unused", "a", "B"};
  const Column codes = Column::from_codes("c", {3, 0, 1, -1, 3, 4, 0, 3}, dict);
  const Column strings = Column::from_strings("c", {"a", "zz", "b", "", "a", "B", "zz", "a"},
                                              {1, 1, 1, 0, 1, 1, 1, 1});
  CategoryCounts a, b;
  a.add(codes);
  b.add(strings);
  const std::vector<std::string> names{"B", "a", "b", "zz"};  // byte order, as std::sort
  BOOST_TEST(a.categories() == names, boost::test_tools::per_element());
  BOOST_TEST(b.categories() == names, boost::test_tools::per_element());
  BOOST_TEST(a.counts() == (std::vector<std::int64_t>{1, 3, 1, 2}),
             boost::test_tools::per_element());
  BOOST_TEST(b.counts() == a.counts(), boost::test_tools::per_element());
  BOOST_TEST(a.missing() == 1);
  BOOST_TEST(b.missing() == 1);
}

BOOST_AUTO_TEST_CASE(random_data_against_brute_force) {
  for (std::uint64_t seed = 1; seed <= 12; ++seed) {
    const bool ties = seed % 3 == 0;
    const Vector ref = random_vector(300 + Index(seed) * 7, seed, 0.0, 0.1, ties);
    const Vector cur =
        random_vector(250, seed + 100, 0.1 * double(seed % 4), 0.05 * (seed % 3), ties);
    for (int bins : {1, 3, 10, 25}) {
      for (bool quantile : {true, false}) {
        const Binning b = quantile ? Binning::Quantile : Binning::EqualWidth;
        const auto e = bin_edges(ref, bins, b);
        const auto be = brute_edges(ref, bins, quantile);
        BOOST_TEST_REQUIRE(e.size() == be.size());
        for (std::size_t i = 0; i < e.size(); ++i)
          BOOST_TEST(e[i] == be[i], "seed " << seed << " bins " << bins << " edge " << i);
        const auto rc = brute_counts(ref, be), cc = brute_counts(cur, be);
        Histogram h(e);
        h.add(cur);
        std::vector<std::int64_t> got = h.counts();
        got.push_back(h.missing());
        BOOST_TEST(got == cc, boost::test_tools::per_element());
        BOOST_TEST(psi(ref, cur, bins, b) == brute_psi(rc, cc, kDefaultEpsilon),
                   boost::test_tools::tolerance(1e-12));
        BOOST_TEST(js_distance(ref, cur, bins, b) == brute_js(rc, cc),
                   boost::test_tools::tolerance(1e-12));
      }
    }
    BOOST_TEST(ks_statistic(ref, cur) == brute_ks(ref, cur), boost::test_tools::tolerance(1e-15));
    // quantiles by selection equal those of a full sort
    const auto s = sorted_non_missing(ref);
    const std::vector<double> levels = {0, 0.01, 0.1, 0.333, 0.5, 0.9, 0.99, 1};
    const auto q = quantiles(ref, levels);
    for (std::size_t i = 0; i < levels.size(); ++i) BOOST_TEST(q[i] == np_quantile(s, levels[i]));
  }
}

BOOST_AUTO_TEST_CASE(exact_quantiles_on_large_columns) {
  // columns of 2^20+ values take the bracket path; sorted and constant-run inputs defeat the
  // strided sample's brackets and must fall back to the full selection with the same result
  const Index n = (Index{1} << 20) + 12345;
  std::mt19937_64 rng(9);
  std::normal_distribution<double> g(0, 1);
  std::vector<double> levels;
  for (int i = 0; i <= 10; ++i) levels.push_back(i / 10.0);
  for (double q : {0.01, 0.05, 0.25, 0.75, 0.95, 0.99, 0.123456}) levels.push_back(q);
  for (int kind = 0; kind < 4; ++kind) {
    Vector x(n);
    for (Index i = 0; i < n; ++i) {
      switch (kind) {
        case 0: x[i] = g(rng); break;
        case 1: x[i] = std::round(g(rng) * 3); break;                         // heavy ties
        case 2: x[i] = static_cast<double>(i); break;                         // sorted
        default: x[i] = static_cast<double>((i * 7919) % 1000) / 3.0; break;  // periodic
      }
      if (i % 97 == 0) x[i] = kNaN;
    }
    const auto s = sorted_non_missing(x);
    const auto q = quantiles(x, levels);
    for (std::size_t k = 0; k < levels.size(); ++k)
      BOOST_TEST(q[k] == np_quantile(s, levels[k]), "kind " << kind << " level " << levels[k]);
    const auto e = bin_edges(x, 10);
    const auto be = brute_edges(x, 10, true);
    BOOST_TEST(e == be, boost::test_tools::per_element());
  }
}

BOOST_AUTO_TEST_CASE(many_cuts_and_skewed_values) {
  // exercises the bucket table and its binary-search fallback: heavy tails, negatives, -0.0
  std::mt19937_64 rng(7);
  std::lognormal_distribution<double> ln(0.0, 3.0);
  std::vector<double> r(5000), c(8000);
  for (auto& v : r) v = (rng() % 2 ? 1 : -1) * ln(rng);
  for (auto& v : c) v = (rng() % 2 ? 1 : -1) * ln(rng) * 1.5;
  r[0] = 0.0;
  c[0] = -0.0;
  c[1] = 0.0;
  c[2] = std::numeric_limits<double>::infinity();
  c[3] = -std::numeric_limits<double>::infinity();
  const Vector rv = vec(r), cv = vec(c);
  for (int bins : {2, 50, 400}) {
    const auto e = bin_edges(rv, bins);
    Histogram h(e);
    h.add(cv, 2);
    std::vector<std::int64_t> got = h.counts();
    got.push_back(h.missing());
    BOOST_TEST(got == brute_counts(cv, e), boost::test_tools::per_element());
    std::int64_t out = 0;
    for (double v : c) out += (v < e.front() || v > e.back()) ? 1 : 0;
    BOOST_TEST(h.out_of_range() == out);
  }
}

BOOST_AUTO_TEST_CASE(extreme_ranges) {
  // edges a few subnormals apart, and edges spanning almost all doubles
  const double tiny = std::numeric_limits<double>::denorm_min();
  const Vector sub = vec({0, tiny, 2 * tiny, 3 * tiny, 4 * tiny, -tiny, 5 * tiny});
  Histogram h(std::vector<double>{0, 2 * tiny, 4 * tiny});
  h.add(sub);
  BOOST_TEST(h.counts() == (std::vector<std::int64_t>{3, 4}), boost::test_tools::per_element());
  BOOST_TEST(h.out_of_range() == 2);
  const double big = std::numeric_limits<double>::max();
  Histogram w(std::vector<double>{-big, 0, big});
  w.add(vec({-big, -1, 0, 1, big, std::numeric_limits<double>::infinity()}));
  BOOST_TEST(w.counts() == (std::vector<std::int64_t>{2, 4}), boost::test_tools::per_element());
  BOOST_TEST(w.out_of_range() == 1);
}

BOOST_AUTO_TEST_CASE(histogram_merge_equals_one_pass) {
  const Vector x = random_vector(200000, 3, 0.0, 0.05, false);
  const auto e = bin_edges(x.head(1000), 10);
  Histogram one(e);
  one.add(x, 1);
  for (int threads : {2, 3}) {
    Histogram t(e);
    t.add(x, threads);
    BOOST_TEST(t.counts() == one.counts(), boost::test_tools::per_element());
    BOOST_TEST(t.missing() == one.missing());
    BOOST_TEST(t.out_of_range() == one.out_of_range());
  }
  Histogram a(e), b(e), c(e);
  a.add(x.segment(0, 12345));
  b.add(x.segment(12345, 100000));
  c.add(x.segment(112345, x.size() - 112345));
  c.merge(a).merge(b);
  BOOST_TEST(c.counts() == one.counts(), boost::test_tools::per_element());
  BOOST_TEST(c.missing() == one.missing());
  BOOST_TEST(c.out_of_range() == one.out_of_range());
  BOOST_TEST(c.total() == x.size());
  BOOST_CHECK_THROW(c.merge(Histogram(bin_edges(x, 5))), churn::InvalidArgument);

  // categories: chunks with different dictionaries merge to the one-pass counts
  const Column all =
      Column::from_strings_categorical("c", {"x", "y", "x", "z", "", "y"}, {1, 1, 1, 1, 0, 1});
  const Column p1 = Column::from_strings_categorical("c", {"x", "y", "x"});
  const Column p2 = Column::from_strings("c", {"z", "", "y"}, {1, 0, 1});
  CategoryCounts whole, m1, m2;
  whole.add(all);
  m2.add(p2);
  m1.add(p1).merge(m2);
  BOOST_TEST(m1.categories() == whole.categories(), boost::test_tools::per_element());
  BOOST_TEST(m1.counts() == whole.counts(), boost::test_tools::per_element());
  BOOST_TEST(m1.missing() == whole.missing());
}

BOOST_AUTO_TEST_CASE(bad_input) {
  const Vector x = vec({1, 2, 3});
  BOOST_TEST(throws_with<churn::InvalidArgument>([&] { psi(x, x, 0); }, "bins"));
  BOOST_TEST(throws_with<churn::InvalidArgument>([&] { psi(x, x, 10, Binning::Quantile, 0.0); },
                                                 "epsilon"));
  BOOST_TEST(throws_with<churn::InvalidArgument>([&] { psi(x, Vector()); }, "current is empty"));
  BOOST_TEST(throws_with<churn::InvalidArgument>(
      [&] {
        psi(vec({1, std::numeric_limits<double>::infinity()}), x);
      },
      "infinite"));
  BOOST_TEST(throws_with<churn::InvalidArgument>(
      [&] {
        Histogram(std::vector<double>{2, 1});
      },
      "strictly increasing"));
  BOOST_TEST(throws_with<churn::InvalidArgument>([&] { quantiles(x, {1.5}); }, "levels"));
  BOOST_TEST(throws_with<churn::InvalidArgument>([&] { binning_from_name("kmeans"); }, "kmeans"));
  BOOST_TEST(throws_with<churn::InvalidArgument>(
      [&] {
        psi_from_counts({1, 2}, {1});
      },
      "psi_from_counts()"));
  BOOST_TEST(throws_with<churn::InvalidArgument>(
      [&] {
        psi_from_counts({0, 0}, {1, 1});
      },
      "reference counts sum to 0"));
  const Column num = Column::from_float64("n", {1, 2});
  const Column cat = Column::from_strings_categorical("c", {"a", "b"});
  BOOST_TEST(throws_with<churn::TypeMismatch>([&] { categorical_psi(num, cat); }, "'n'"));
  BOOST_TEST(throws_with<churn::TypeMismatch>([&] { Histogram().add(cat); }, "'c'"));
  BOOST_TEST(throws_with<churn::InvalidArgument>([&] { Histogram().shares(); }, "empty"));
  // int64 and timestamp columns bin as numbers
  Histogram h(std::vector<double>{0, 10});
  h.add(Column::from_int64("i", {1, 5, 20}, {1, 0, 1}));
  BOOST_TEST(h.counts()[0] == 2);
  BOOST_TEST(h.missing() == 1);
  BOOST_TEST(h.out_of_range() == 1);
}

BOOST_AUTO_TEST_SUITE_END()
