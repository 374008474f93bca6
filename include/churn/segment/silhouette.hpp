#pragma once
/// @file silhouette.hpp
/// The silhouette coefficient (Euclidean), as `sklearn.metrics.silhouette_samples` and
/// `silhouette_score`.
///
/// For row i of cluster A: `a(i)` is the mean distance to the other rows of A, `b(i)` the
/// smallest mean distance to the rows of another cluster, and `s(i) = (b - a) / max(a, b)`
/// (0 when both are 0, and 0 for a row alone in its cluster). The exact computation takes all
/// n^2 distances (parallel row blocks, each row's sums in a fixed order, so the result does not
/// depend on the thread count); for large n use `sample_size`.

#include <cstdint>  // std::uint64_t

#include "churn/core/types.hpp"

namespace churn::segment {

/// Silhouette coefficient of each row.
/// @param X          n x p, finite.
/// @param labels     n cluster labels >= 0 with 2 to n - 1 distinct values.
/// @param n_threads  0 = all cores.
/// @throws InvalidArgument naming the argument for NaN/inf in X, mismatched lengths, a negative
///         label or a number of distinct labels outside [2, n - 1].
Vector silhouette_samples(const RowMatrixRef& X, const IntVector& labels, int n_threads = 0);

/// Mean silhouette coefficient.
/// @param sample_size  0 (or >= n): all rows, exactly; otherwise the score of a seeded sample of
///                     that many rows drawn without replacement (distances within the sample
///                     only, as scikit-learn's `sample_size`).
/// @param seed         seed of the sample.
/// @throws as silhouette_samples (for the sampled rows), InvalidArgument if sample_size < 0.
double silhouette_score(const RowMatrixRef& X, const IntVector& labels, Index sample_size = 0,
                        std::uint64_t seed = 0, int n_threads = 0);

}  // namespace churn::segment
