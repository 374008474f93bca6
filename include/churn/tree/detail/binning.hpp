#pragma once
/// @file binning.hpp
/// Feature binning for the histogram GBDT (private to churnlib).
///
/// Every feature gets `n_bins` value bins plus one missing bin (index `n_bins`). The binned
/// matrix is stored column by column (feature-major) in the narrowest unsigned type that holds
/// every feature's bins: uint8 when every feature has at most 256 bins including the missing
/// one, uint16 otherwise.

#include <cstdint>  // std::uint8_t, std::uint16_t
#include <vector>   // std::vector

#include "churn/core/types.hpp"
#include "churn/tree/gbdt.hpp"  // FeatureBinInfo

namespace churn::detail {

/// Upper bin edges of a numerical feature from its sorted non-missing sample `sorted`:
/// one bin per distinct value when there are at most `max_bins`, otherwise bins of about equal
/// count (a value frequent enough gets a bin of its own). Edges lie between consecutive
/// distinct values; the last edge is +inf. An empty sample gives a single bin.
std::vector<double> numeric_bin_edges(const std::vector<double>& sorted, int max_bins);

/// The bin of value `v` for a numerical feature (`n_bins` for NaN).
inline std::int32_t numeric_bin(const FeatureBinInfo& info, double v) {
  if (v != v) return info.n_bins;
  // First edge >= v (the last edge is +inf, so it always exists).
  const auto& e = info.upper_edges;
  std::size_t lo = 0, hi = e.size() - 1;
  while (lo < hi) {
    const std::size_t mid = (lo + hi) / 2;
    if (e[mid] < v) lo = mid + 1; else hi = mid;
  }
  return static_cast<std::int32_t>(lo);
}

/// The feature-major binned training matrix.
struct BinnedMatrix {
  Index n_rows = 0;
  Index n_features = 0;
  bool wide = false;                ///< uint16 storage (else uint8).
  std::vector<std::uint8_t> data8;  ///< n_features x n_rows, feature-major, when !wide.
  std::vector<std::uint16_t> data16;  ///< the same when wide.
  std::vector<std::int32_t> n_bins;   ///< Total bins of each feature (value bins + missing).
  std::vector<Index> hist_offset;     ///< Offset of each feature in a histogram (prefix sums).
  Index hist_size = 0;                ///< Total bins of all features.

  const std::uint8_t* col8(Index f) const { return data8.data() + f * n_rows; }
  const std::uint16_t* col16(Index f) const { return data16.data() + f * n_rows; }
  /// Bin of row `i` in feature `f`.
  std::int32_t bin(Index f, Index i) const { return wide ? col16(f)[i] : col8(f)[i]; }
};

/// Learns how to bin each feature of `X` and bins it.
/// @param X             n x p training matrix (NaN = missing).
/// @param categorical   per feature, 1 when categorical (codes already validated).
/// @param max_bins      maximum value bins per feature.
/// @param sample_rows   rows sampled for the numerical edges.
/// @param seed          seed of the row sample.
/// @param info          receives the per-feature binning.
/// @return the binned matrix.
BinnedMatrix bin_features(const RowMatrixRef& X, const std::vector<std::uint8_t>& categorical,
                          int max_bins, Index sample_rows, std::uint64_t seed, int n_threads,
                          std::vector<FeatureBinInfo>& info);

}  // namespace churn::detail
