#pragma once
/// @file choose_k.hpp
/// Choosing the number of clusters: inertia ("elbow") and silhouette for a range of k.

#include <cstdint>  // std::uint64_t
#include <vector>   // std::vector

#include "churn/core/json.hpp"
#include "churn/core/types.hpp"
#include "churn/segment/kmeans.hpp"

namespace churn::segment {

/// Options of sweep_k.
struct KSweepOptions {
  /// Compute the silhouette score of each fit.
  bool silhouette = true;
  /// Rows of the silhouette sample (0 = all rows, exact but O(n^2)); above it a seeded sample.
  Index silhouette_sample_size = 10000;
  /// Seed of the silhouette sample (the same rows for every k).
  std::uint64_t silhouette_seed = 0;
};

/// One fit per k.
struct KSweep {
  std::vector<int> n_clusters;     ///< the k tried, in the order given
  std::vector<double> inertia;     ///< inertia of each fit
  std::vector<int> n_iter;         ///< iterations of each fit
  std::vector<double> silhouette;  ///< silhouette score of each fit (NaN for k = 1 or when off)
  /// `{"n_clusters": [...], "inertia": [...], "n_iter": [...], "silhouette": [...]}` (NaN as
  /// the string "nan").
  Json to_json() const;
};

/// Fits KMeans with `base` (n_clusters replaced) for each k of `ks` and reports inertia and
/// silhouette.
/// @code
/// churn::segment::KMeansParams base;
/// base.seed = 1;
/// auto sweep = churn::segment::sweep_k(X, {2, 3, 4, 5, 6, 8}, base);
/// @endcode
/// @throws InvalidArgument for an empty `ks`, a k < 1, `base.init` Given (centres are per k), or
///         any error of KMeans::fit (the message names the k).
KSweep sweep_k(const RowMatrixRef& X, const std::vector<int>& ks, const KMeansParams& base,
               const VectorRef& sample_weight = Vector(), const KSweepOptions& options = {});

}  // namespace churn::segment
