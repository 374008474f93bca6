#pragma once
// Private to src/segment: the K-means engine shared by KMeans, sweep_k and the silhouette.

#include <cstdint>           // std::int32_t, std::uint64_t
#include <initializer_list>  // std::initializer_list
#include <string>            // std::string
#include <vector>            // std::vector

#include "churn/core/json.hpp"
#include "churn/core/types.hpp"
#include "churn/segment/kmeans.hpp"

namespace churn::segment::detail {

/// Centres are processed in groups of this many lanes by the distance kernel.
constexpr int kLanes = 8;
/// Rows per kernel call (the distance buffer is kChunk x kpad doubles).
constexpr int kChunk = 64;

/// n_clusters rounded up to a multiple of kLanes.
inline int padded_k(int k) {
  return (k + kLanes - 1) / kLanes * kLanes;
}

/// Squared Euclidean distances of `m` rows to the centres stored transposed in `ct`
/// (d x kpad, feature-major, kpad a multiple of kLanes); `out` is m x kpad. Each distance is
/// summed over the features in order 0..d-1, so a row's distances do not depend on `m` or on the
/// other rows. Runs the AVX2/FMA build of the kernel when common::cpu_level() allows it (same
/// bits: see common/cpu_dispatch.hpp).
void sqdist_rows(const double* const* rows, int m, Index d, const double* ct, int kpad,
                 double* out);
/// The portable and AVX2/FMA builds of sqdist_rows (the latter only on x86-64 with GCC/Clang).
void sqdist_rows_generic(const double* const* rows, int m, Index d, const double* ct, int kpad,
                         double* out);
void sqdist_rows_avx2(const double* const* rows, int m, Index d, const double* ct, int kpad,
                      double* out);
/// For each of `m` rows of `dist` (m x kpad, from sqdist_rows; padding lanes +inf): the index of
/// the smallest distance (lowest index on ties) into `arg`, the smallest into `best` and, when
/// `second` is not null, the second smallest (equal to the smallest on a tie) into `second`.
void argmin_rows(double* dist, int m, int kpad, std::int32_t* arg, double* best, double* second);
void argmin_rows_generic(double* dist, int m, int kpad, std::int32_t* arg, double* best,
                         double* second);
void argmin_rows_avx2(double* dist, int m, int kpad, std::int32_t* arg, double* best,
                      double* second);
/// Whether sqdist_rows uses the AVX2/FMA build (at the current common::cpu_level()).
bool kernel_uses_avx2();

/// The centres `C` (k x d) transposed and zero-padded to d x kpad.
std::vector<double> pack_centres(const RowMatrix& C, int kpad);

/// A validated training problem (views, no copies).
struct Problem {
  const double* X = nullptr;  ///< row i starts at X + i * stride
  Index n = 0;
  Index d = 0;
  Index stride = 0;
  const double* w = nullptr;  ///< n weights (a vector of ones when none were given)
  int n_threads = 0;
  int max_iter = 300;
  double tol_abs = 0.0;  ///< tol * mean feature variance
  double scale = 0.0;    ///< largest row norm (for the bounds' absolute safety margin)
  const double* row(Index i) const { return X + i * stride; }
};

/// One run's result.
struct RunResult {
  RowMatrix centres;
  std::vector<std::int32_t> labels;
  double inertia = 0.0;
  int n_iter = 0;
};

/// Row-block size for a problem of n rows and k x d accumulators (depends only on the shape).
Index block_rows(Index n, int k, Index d);

/// Runs Lloyd or Hamerly iterations from `init` (k x d).
RunResult run_kmeans(const Problem& p, const RowMatrix& init, KMeansAlgorithm algorithm);

/// Greedy k-means++ (2 + floor(ln k) local trials) with the generator of `seed`, `stream`.
RowMatrix init_kmeanspp(const Problem& p, int k, std::uint64_t seed, std::uint64_t stream);
/// k rows drawn without replacement, probability proportional to the weight.
RowMatrix init_random(const Problem& p, int k, std::uint64_t seed, std::uint64_t stream);

/// Nearest centre of each row of `X` (ties to the lowest index) into `labels`, its squared
/// distance into `min_sq`, all squared distances into `all_sq` (n x k); null outputs are skipped.
/// Uses sqdist_rows, so it agrees with the labels of run_kmeans.
void assign_all(const RowMatrixRef& X, const RowMatrix& C, int n_threads, IntVector* labels,
                Vector* min_sq, RowMatrix* all_sq);

/// Number of distinct rows among those of positive weight, counting at most `limit`.
Index count_distinct_rows(const Problem& p, Index limit);

}  // namespace churn::segment::detail
