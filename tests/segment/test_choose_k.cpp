#include <boost/test/unit_test.hpp>

#include <cmath>
#include <random>
#include <vector>

#include <nlohmann/json.hpp>
#include "churn/core/error.hpp"
#include "churn/segment/choose_k.hpp"
#include "churn/segment/kmeans.hpp"
#include "churn/segment/silhouette.hpp"

using churn::Index;
using churn::RowMatrix;
using churn::Vector;
using churn::segment::KMeans;
using churn::segment::KMeansInit;
using churn::segment::KMeansParams;
using churn::segment::KSweepOptions;
using churn::segment::sweep_k;

namespace {

RowMatrix four_blobs(Index n, unsigned seed) {
  std::mt19937_64 gen(seed);
  std::normal_distribution<double> normal;
  const double mu[4][2] = {{0, 0}, {8, 0}, {0, 8}, {8, 8}};
  RowMatrix X(n, 2);
  for (Index i = 0; i < n; ++i) {
    const auto c = static_cast<std::size_t>(i % 4);
    X(i, 0) = mu[c][0] + normal(gen);
    X(i, 1) = mu[c][1] + normal(gen);
  }
  return X;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(segment_choose_k)

BOOST_AUTO_TEST_CASE(sweep_finds_four_blobs) {
  const RowMatrix X = four_blobs(800, 1);
  KMeansParams base;
  base.seed = 3;
  base.n_init = 3;
  KSweepOptions opt;
  opt.silhouette_sample_size = 0;  // exact
  const auto sw = sweep_k(X, {1, 2, 3, 4, 5, 6}, base, Vector(), opt);
  BOOST_TEST(sw.n_clusters.size() == 6u);
  BOOST_TEST(std::isnan(sw.silhouette[0]));
  for (std::size_t i = 1; i < 6; ++i) BOOST_TEST(sw.inertia[i] < sw.inertia[i - 1]);
  std::size_t best = 1;
  for (std::size_t i = 2; i < 6; ++i)
    if (sw.silhouette[i] > sw.silhouette[best]) best = i;
  BOOST_TEST(sw.n_clusters[best] == 4);
  // each entry is what a single fit gives
  KMeansParams p = base;
  p.n_clusters = 4;
  KMeans km(p);
  km.fit(X);
  BOOST_TEST(sw.inertia[3] == km.inertia());
  BOOST_TEST(sw.n_iter[3] == km.n_iter());
  BOOST_TEST(sw.silhouette[3] == churn::segment::silhouette_score(X, km.labels()));
  const auto j = sw.to_json();
  BOOST_TEST(j["silhouette"][0] == "nan");
  BOOST_TEST(j["n_clusters"][3] == 4);
}

BOOST_AUTO_TEST_CASE(sampled_silhouette_and_no_silhouette) {
  const RowMatrix X = four_blobs(3000, 2);
  KMeansParams base;
  base.seed = 1;
  KSweepOptions opt;
  opt.silhouette_sample_size = 500;
  opt.silhouette_seed = 9;
  const auto a = sweep_k(X, {3, 4}, base, Vector(), opt);
  const auto b = sweep_k(X, {3, 4}, base, Vector(), opt);
  BOOST_TEST(a.silhouette == b.silhouette);
  BOOST_TEST(a.silhouette[1] > a.silhouette[0]);
  opt.silhouette = false;
  const auto c = sweep_k(X, {4}, base, Vector(), opt);
  BOOST_TEST(std::isnan(c.silhouette[0]));
  BOOST_TEST(c.inertia[0] == a.inertia[1]);
}

BOOST_AUTO_TEST_CASE(bad_input) {
  const RowMatrix X = four_blobs(40, 3);
  KMeansParams base;
  BOOST_CHECK_THROW(sweep_k(X, {}, base), churn::InvalidArgument);
  BOOST_CHECK_THROW(sweep_k(X, {2, 0}, base), churn::InvalidArgument);
  BOOST_CHECK_THROW(sweep_k(X, {2, 41}, base), churn::InvalidArgument);
  KMeansParams g;
  g.n_clusters = 2;
  g.init = KMeansInit::Given;
  g.init_centers = RowMatrix::Zero(2, 2);
  BOOST_CHECK_THROW(sweep_k(X, {2}, g), churn::InvalidArgument);
  KSweepOptions opt;
  opt.silhouette_sample_size = -1;
  BOOST_CHECK_THROW(sweep_k(X, {2}, base, Vector(), opt), churn::InvalidArgument);
}

BOOST_AUTO_TEST_SUITE_END()
