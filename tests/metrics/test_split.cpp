#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <typeinfo>

#include "churn/core/error.hpp"
#include "churn/core/random.hpp"
#include "churn/metrics/split.hpp"

using churn::Index;
using churn::Int64Vector;
using churn::Vector;
namespace m = churn::metrics;

BOOST_AUTO_TEST_SUITE(metrics_split)

BOOST_AUTO_TEST_CASE(stratified_kfold_balances_classes) {
  churn::Rng rng(2);
  const Index n = 103;
  Vector y(n);
  for (Index i = 0; i < n; ++i) y[i] = rng.bernoulli(0.27);
  for (bool shuffle : {false, true}) {
    const auto folds = m::stratified_kfold(y, 5, shuffle, 7);
    BOOST_TEST(folds.size() == 5u);
    std::vector<int> seen(n, 0);
    Index min_pos = n, max_pos = 0, min_all = n, max_all = 0;
    for (const auto& f : folds) {
      BOOST_TEST(std::is_sorted(f.test.begin(), f.test.end()));
      BOOST_TEST(std::is_sorted(f.train.begin(), f.train.end()));
      BOOST_TEST(f.train.size() + f.test.size() == static_cast<std::size_t>(n));
      Index pos = 0;
      for (Index r : f.test) {
        ++seen[static_cast<std::size_t>(r)];
        pos += y[r] == 1 ? 1 : 0;
      }
      for (Index r : f.train) BOOST_TEST(!std::binary_search(f.test.begin(), f.test.end(), r));
      const auto all = static_cast<Index>(f.test.size());
      min_pos = std::min(min_pos, pos);
      max_pos = std::max(max_pos, pos);
      min_all = std::min(min_all, all);
      max_all = std::max(max_all, all);
    }
    BOOST_TEST(std::all_of(seen.begin(), seen.end(), [](int c) { return c == 1; }));
    BOOST_TEST(max_pos - min_pos <= 1);
    BOOST_TEST(max_all - min_all <= 1);
  }
  // Same seed, same folds; another seed, other folds.
  BOOST_TEST(
      (m::stratified_kfold(y, 5, true, 7)[0].test == m::stratified_kfold(y, 5, true, 7)[0].test));
  BOOST_TEST(
      (m::stratified_kfold(y, 5, true, 7)[0].test != m::stratified_kfold(y, 5, true, 8)[0].test));
  BOOST_CHECK_THROW(m::stratified_kfold(y, 1), churn::InvalidArgument);
  Vector few(6);
  few << 0, 0, 0, 0, 1, 1;
  BOOST_CHECK_THROW(m::stratified_kfold(few, 3), churn::InvalidArgument);
  few[0] = 0.5;
  BOOST_CHECK_THROW(m::stratified_kfold(few, 2), churn::InvalidArgument);
}

BOOST_AUTO_TEST_CASE(time_split_past_and_future) {
  Int64Vector t(5);
  t << 30, 10, 20, 20, 40;
  const auto f = m::time_split(t, 20);
  BOOST_TEST((f.train == std::vector<Index>{1}));
  BOOST_TEST((f.test == std::vector<Index>{0, 2, 3, 4}));
  BOOST_CHECK_THROW(m::time_split(t, 5), churn::InvalidArgument);
  BOOST_CHECK_THROW(m::time_split(t, 41), churn::InvalidArgument);
  Int64Vector nat = t;
  nat[2] = churn::kNaT;
  BOOST_CHECK_THROW(m::time_split(nat, 20), churn::InvalidArgument);
}

BOOST_AUTO_TEST_CASE(time_series_split_never_splits_equal_times) {
  Int64Vector t(9);
  t << 5, 1, 1, 2, 3, 3, 3, 4, 5;
  const auto folds = m::time_series_split(t, 2);
  BOOST_TEST(folds.size() == 2u);
  for (const auto& f : folds) {
    std::int64_t max_train = 0, min_test = 100;
    for (Index r : f.train) max_train = std::max(max_train, t[r]);
    for (Index r : f.test) min_test = std::min(min_test, t[r]);
    BOOST_TEST(max_train < min_test);
  }
  // Later folds train on more.
  BOOST_TEST(folds[1].train.size() > folds[0].train.size());
  Int64Vector same(4);
  same << 1, 1, 1, 1;
  BOOST_CHECK_THROW(m::time_series_split(same, 2), churn::InvalidArgument);
}

BOOST_AUTO_TEST_SUITE_END()
