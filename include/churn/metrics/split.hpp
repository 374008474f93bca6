#pragma once
/// @file split.hpp
/// Train/test splits for model evaluation: stratified k-fold, a time-based split (train on the
/// past, test on the future) and expanding-window time-series folds.

#include <cstdint>  // std::int64_t, std::uint64_t
#include <vector>   // std::vector

#include "churn/core/types.hpp"

namespace churn::metrics {

/// One train/test split: row indices, each list increasing.
struct Fold {
  std::vector<Index> train;  ///< rows to fit on
  std::vector<Index> test;   ///< rows to evaluate on
};

/// Stratified k-fold: every row is in exactly one test set, and each fold's test set holds
/// (up to one row) the same number of rows of each class, and (up to one row) the same total.
/// Rows of each class (in row order, or shuffled with `seed` when `shuffle`) are dealt to the
/// folds in turn, the negatives first, then the positives continuing the rotation. The folds are
/// not index-identical to scikit-learn's `StratifiedKFold`, but have the same per-class sizes.
/// @throws InvalidArgument for `n_splits` < 2, for labels other than 0/1, or when a class has
///         fewer than `n_splits` rows (some test fold would lack that class).
std::vector<Fold> stratified_kfold(const VectorRef& y, int n_splits = 5, bool shuffle = false,
                                   std::uint64_t seed = 0);

/// Time-based split: train on rows with `times < cutoff`, test on rows with `times >= cutoff`.
/// Times are int64 (e.g. nanoseconds since 1970, as churn::data::Table timestamps).
/// @throws InvalidArgument for missing times (`kNaT`) or when either side is empty.
Fold time_split(const Eigen::Ref<const Int64Vector>& times, std::int64_t cutoff);

/// Expanding-window time-series folds (scikit-learn's `TimeSeriesSplit` by time, not by row):
/// rows ordered by time are cut into `n_splits + 1` chunks of about equal size, each boundary
/// moved forward to the next change of time so that equal times never straddle it; fold `k`
/// trains on chunks `0..k` (all earlier times) and tests on chunk `k + 1`.
/// @throws InvalidArgument for `n_splits` < 1, missing times, or too few distinct times.
std::vector<Fold> time_series_split(const Eigen::Ref<const Int64Vector>& times, int n_splits = 5);

}  // namespace churn::metrics
