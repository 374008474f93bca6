// Stratified k-fold, time split and time-series folds (see split.hpp).
#include "churn/metrics/split.hpp"

#include <algorithm>  // std::sort, std::stable_sort
#include <numeric>    // std::iota

#include "churn/core/error.hpp"
#include "churn/core/random.hpp"
#include "common/checks.hpp"

namespace churn::metrics {

namespace {

/// The complement of the increasing list `test` in [0, n).
std::vector<Index> complement(const std::vector<Index>& test, Index n) {
  std::vector<Index> out;
  out.reserve(static_cast<std::size_t>(n) - test.size());
  std::size_t k = 0;
  for (Index i = 0; i < n; ++i) {
    if (k < test.size() && test[k] == i) {
      ++k;
    } else {
      out.push_back(i);
    }
  }
  return out;
}

void check_times(const char* caller, const Eigen::Ref<const Int64Vector>& times) {
  CHURN_CHECK(times.size() > 0, InvalidArgument, caller << ": times is empty");
  for (Index i = 0; i < times.size(); ++i) {
    CHURN_CHECK(times[i] != kNaT, InvalidArgument,
                caller << ": times must not be missing (NaT at row " << i << ")");
  }
}

}  // namespace

std::vector<Fold> stratified_kfold(const VectorRef& y, int n_splits, bool shuffle,
                                   std::uint64_t seed) {
  const char* caller = "stratified_kfold()";
  CHURN_CHECK(n_splits >= 2, InvalidArgument,
              caller << ": n_splits must be >= 2, got " << n_splits);
  const Index n = y.size();
  common::check_binary_labels(y, caller);
  std::vector<Index> cls[2];
  for (Index i = 0; i < n; ++i) cls[y[i] == 1.0 ? 1 : 0].push_back(i);
  for (int c = 0; c < 2; ++c) {
    CHURN_CHECK(static_cast<Index>(cls[c].size()) >= n_splits, InvalidArgument,
                caller << ": class " << c << " has " << cls[c].size()
                       << " rows, fewer than n_splits = " << n_splits);
  }
  if (shuffle) {
    Rng rng(seed);
    for (auto& v : cls) {
      for (std::size_t i = v.size(); i > 1; --i) {
        std::swap(v[i - 1], v[static_cast<std::size_t>(rng.uniform_int(i))]);
      }
    }
  }
  std::vector<Fold> folds(static_cast<std::size_t>(n_splits));
  std::size_t turn = 0;
  for (const auto& v : cls) {
    for (Index row : v) {
      folds[turn].test.push_back(row);
      turn = (turn + 1) % folds.size();
    }
  }
  for (auto& f : folds) {
    std::sort(f.test.begin(), f.test.end());
    f.train = complement(f.test, n);
  }
  return folds;
}

Fold time_split(const Eigen::Ref<const Int64Vector>& times, std::int64_t cutoff) {
  const char* caller = "time_split()";
  check_times(caller, times);
  Fold f;
  for (Index i = 0; i < times.size(); ++i) (times[i] < cutoff ? f.train : f.test).push_back(i);
  CHURN_CHECK(!f.train.empty(), InvalidArgument,
              caller << ": no row is before the cutoff " << cutoff << " (empty training set)");
  CHURN_CHECK(!f.test.empty(), InvalidArgument,
              caller << ": no row is at or after the cutoff " << cutoff << " (empty test set)");
  return f;
}

std::vector<Fold> time_series_split(const Eigen::Ref<const Int64Vector>& times, int n_splits) {
  const char* caller = "time_series_split()";
  CHURN_CHECK(n_splits >= 1, InvalidArgument,
              caller << ": n_splits must be >= 1, got " << n_splits);
  check_times(caller, times);
  const Index n = times.size();
  std::vector<Index> order(static_cast<std::size_t>(n));
  std::iota(order.begin(), order.end(), Index{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](Index l, Index r) { return times[l] < times[r]; });
  const Index chunks = n_splits + 1;
  std::vector<Index> bounds{0};
  for (Index c = 1; c < chunks; ++c) {
    Index b = std::max(c * n / chunks, bounds.back());
    while (b < n && b > 0 &&
           times[order[static_cast<std::size_t>(b)]] ==
               times[order[static_cast<std::size_t>(b - 1)]]) {
      ++b;
    }
    bounds.push_back(b);
  }
  bounds.push_back(n);
  std::vector<Fold> folds;
  for (Index k = 0; k < n_splits; ++k) {
    const Index train_end = bounds[static_cast<std::size_t>(k + 1)];
    const Index test_end = bounds[static_cast<std::size_t>(k + 2)];
    CHURN_CHECK(train_end > 0 && test_end > train_end, InvalidArgument,
                caller << ": too few distinct times for " << n_splits << " folds (fold " << k
                       << " would be empty)");
    Fold f;
    f.train.assign(order.begin(), order.begin() + train_end);
    f.test.assign(order.begin() + train_end, order.begin() + test_end);
    std::sort(f.train.begin(), f.train.end());
    std::sort(f.test.begin(), f.test.end());
    folds.push_back(std::move(f));
  }
  return folds;
}

}  // namespace churn::metrics
