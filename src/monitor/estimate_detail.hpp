#pragma once
/// @file estimate_detail.hpp
/// Private kernels of the performance estimator (never installed): the normal quantile, the
/// binomial tail, the score bins, the isotonic map (PAVA) and the per-chunk metrics with their
/// delta-method standard errors.

#include <cstdint>  // std::int64_t
#include <vector>   // std::vector

#include "churn/core/types.hpp"
#include "churn/monitor/estimate.hpp"

namespace churn::monitor::detail {

/// The bin of a score in [0, 1] among `bins` uniform bins: min(floor(s * bins), bins - 1).
inline Index score_bin(double s, int bins) {
  const auto b = static_cast<Index>(s * bins);
  return b < bins ? b : bins - 1;
}

/// Whether `s` is a valid score: finite and in [0, 1] (NaN is not).
inline bool valid_score(double s) {
  return s >= 0.0 && s <= 1.0;
}

/// The isotonic map of labelled bin counts (see PerformanceEstimator::calibration_map): PAVA
/// over the non-empty bins' positive rates weighted by their rows (pooled rates as integer
/// ratios), empty bins interpolated between neighbouring bins' centres, clipped at the ends.
/// All bins empty: every value NaN.
std::vector<double> isotonic_map(const std::vector<std::int64_t>& pos,
                                 const std::vector<std::int64_t>& neg);

/// `map[score_bin(score[i])]` for every row (blocks in parallel). Scores must be valid.
Vector apply_map(const std::vector<double>& map, const VectorRef& score, int bins, int n_threads);

/// A row of a chunk: its score and its probability (or label).
struct ScoredMass {
  double s;  ///< score
  double p;  ///< probability (estimates) or label (realised values)
};

/// Working space of chunk_metrics (reused across the chunks of one thread).
struct ChunkScratch {
  std::vector<ScoredMass> rows;    ///< the rows sorted by score
  std::vector<ScoredMass> buffer;  ///< the radix sort's buffer
};

/// The metrics of a chunk with probabilities `p` (estimates) or labels `p` in {0, 1}
/// (realised values), and optionally their delta-method standard errors.
/// @param s the scores (ordering and targeting), `p` the probabilities or labels, `n` rows.
/// @param scratch working space.
/// @param se when not null, filled with the standard errors (churners and campaign value in
///        their units).
PerformanceMetrics chunk_metrics(const double* s, const double* p, Index n,
                                 const EstimatorParams& params, ChunkScratch& scratch,
                                 PerformanceMetrics* se);

/// A band `estimate -/+ z * se` clipped to [lo, hi] (NaN estimate or se: NaN ends).
MetricBand make_band(double estimate, double se, double z, double lo, double hi);

}  // namespace churn::monitor::detail
