#include <boost/test/unit_test.hpp>

#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "churn/core/error.hpp"
#include "churn/segment/silhouette.hpp"

using churn::Index;
using churn::IntVector;
using churn::RowMatrix;
using churn::Vector;
using churn::segment::silhouette_samples;
using churn::segment::silhouette_score;

namespace {

/// s(i) by definition, with every distance computed on its own.
Vector brute_force(const RowMatrix& X, const IntVector& lab) {
  const Index n = X.rows();
  const int k = lab.maxCoeff() + 1;
  Vector s(n);
  for (Index i = 0; i < n; ++i) {
    std::vector<double> sum(static_cast<std::size_t>(k), 0.0),
        cnt(static_cast<std::size_t>(k), 0.0);
    for (Index j = 0; j < n; ++j) {
      if (j == i) continue;
      sum[static_cast<std::size_t>(lab[j])] += (X.row(i) - X.row(j)).norm();
      cnt[static_cast<std::size_t>(lab[j])] += 1;
    }
    const auto own = static_cast<std::size_t>(lab[i]);
    if (cnt[own] == 0) {
      s[i] = 0;
      continue;
    }
    const double a = sum[own] / cnt[own];
    double b = std::numeric_limits<double>::infinity();
    for (std::size_t c = 0; c < sum.size(); ++c)
      if (c != own && cnt[c] > 0) b = std::min(b, sum[c] / cnt[c]);
    s[i] = std::max(a, b) > 0 ? (b - a) / std::max(a, b) : 0.0;
  }
  return s;
}

void labelled_data(Index n, Index p, int k, unsigned seed, RowMatrix& X, IntVector& lab) {
  std::mt19937_64 gen(seed);
  std::normal_distribution<double> normal;
  X.resize(n, p);
  lab.resize(n);
  for (Index i = 0; i < n; ++i) {
    lab[i] = static_cast<int>(gen() % static_cast<unsigned>(k));
    for (Index j = 0; j < p; ++j) X(i, j) = normal(gen) + 2.0 * lab[i] * (j == 0 ? 1 : 0);
  }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(segment_silhouette)

BOOST_AUTO_TEST_CASE(hand_checked_line) {
  RowMatrix X(5, 1);
  X << 0, 1, 10, 11, 30;
  IntVector lab(5);
  lab << 0, 0, 1, 1, 2;
  const Vector s = silhouette_samples(X, lab, 1);
  BOOST_TEST(std::abs(s[0] - (10.5 - 1) / 10.5) < 1e-15);
  BOOST_TEST(std::abs(s[1] - (9.5 - 1) / 9.5) < 1e-15);
  BOOST_TEST(std::abs(s[2] - (9.5 - 1) / 9.5) < 1e-15);  // b: to {0, 1} = 9.5, to {30} = 20
  BOOST_TEST(s[4] == 0.0);                               // alone in its cluster
  BOOST_TEST(std::abs(silhouette_score(X, lab) - s.mean()) < 1e-15);
}

BOOST_AUTO_TEST_CASE(equals_brute_force) {
  for (unsigned seed : {1u, 2u}) {
    RowMatrix X;
    IntVector lab;
    labelled_data(700, 5, 4, seed, X, lab);  // several tiles and row blocks
    const Vector ref = brute_force(X, lab);
    const Vector s = silhouette_samples(X, lab, 2);
    BOOST_TEST((s - ref).cwiseAbs().maxCoeff() < 1e-12);
  }
  // labels with a gap (no cluster 1)
  RowMatrix X;
  IntVector lab;
  labelled_data(100, 3, 3, 7, X, lab);
  for (Index i = 0; i < lab.size(); ++i)
    if (lab[i] == 1) lab[i] = 4;
  BOOST_TEST((silhouette_samples(X, lab) - brute_force(X, lab)).cwiseAbs().maxCoeff() < 1e-12);
}

BOOST_AUTO_TEST_CASE(thread_count_does_not_change_the_result) {
  RowMatrix X;
  IntVector lab;
  labelled_data(1500, 4, 5, 3, X, lab);
  const Vector a = silhouette_samples(X, lab, 1);
  const Vector b = silhouette_samples(X, lab, 2);
  BOOST_TEST((a == b));
  BOOST_TEST(silhouette_score(X, lab, 0, 0, 1) == silhouette_score(X, lab, 0, 0, 2));
  BOOST_TEST(silhouette_score(X, lab, 500, 3, 1) == silhouette_score(X, lab, 500, 3, 2));
}

BOOST_AUTO_TEST_CASE(sampled_score_is_seeded_and_close) {
  RowMatrix X;
  IntVector lab;
  labelled_data(4000, 3, 3, 9, X, lab);
  const double exact = silhouette_score(X, lab);
  const double s1 = silhouette_score(X, lab, 1000, 42);
  BOOST_TEST(s1 == silhouette_score(X, lab, 1000, 42));
  BOOST_TEST(s1 != silhouette_score(X, lab, 1000, 43));
  BOOST_TEST(std::abs(s1 - exact) < 0.03);
  BOOST_TEST(silhouette_score(X, lab, 4000, 1) == exact);  // sample_size >= n: all rows
}

BOOST_AUTO_TEST_CASE(bad_input) {
  RowMatrix X(4, 1);
  X << 0, 1, 2, 3;
  IntVector one = IntVector::Zero(4);
  BOOST_CHECK_THROW(silhouette_samples(X, one), churn::InvalidArgument);
  IntVector all(4);
  all << 0, 1, 2, 3;
  BOOST_CHECK_THROW(silhouette_samples(X, all), churn::InvalidArgument);
  IntVector neg(4);
  neg << 0, 1, -1, 1;
  BOOST_CHECK_THROW(silhouette_samples(X, neg), churn::InvalidArgument);
  IntVector ok(4);
  ok << 0, 0, 1, 1;
  BOOST_CHECK_THROW(silhouette_samples(X, IntVector::Zero(3)), churn::InvalidArgument);
  BOOST_CHECK_THROW(silhouette_score(X, ok, -1), churn::InvalidArgument);
  RowMatrix Xn = X;
  Xn(2, 0) = std::numeric_limits<double>::quiet_NaN();
  try {
    silhouette_score(Xn, ok);
    BOOST_ERROR("no exception");
  } catch (const churn::InvalidArgument& e) {
    BOOST_TEST(std::string(e.what()).find("silhouette_score(): X column 0 contains NaN") == 0u);
  }
}

BOOST_AUTO_TEST_SUITE_END()
