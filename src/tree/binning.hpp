#pragma once
/// @file binning.hpp
/// Feature binning for the histogram GBDT (private to churnlib).
///
/// Every feature gets `n_bins` value bins plus one missing bin (index `n_bins`); see
/// BinnedMatrix for the storage.

#include <cstdint>  // std::uint8_t, std::uint16_t
#include <vector>   // std::vector

#include "churn/core/types.hpp"
#include "churn/tree/gbdt.hpp"  // FeatureBinInfo

namespace churn::tree::detail {

/// Upper bin edges of a numerical feature from its sorted non-missing sample `sorted`:
/// one bin per distinct value when there are at most `max_bins`, otherwise bins of about equal
/// count (a value frequent enough gets a bin of its own). Edges lie between consecutive
/// distinct values; the last edge is +inf. An empty sample gives a single bin.
std::vector<double> numeric_bin_edges(const std::vector<double>& sorted, int max_bins);

/// The index of the first of the `n` sorted `edges` that is >= `v` (v not NaN; the last edge
/// is +inf, so it always exists). Branch-free lower bound: each halving step moves by a mask
/// (a `?:` on the comparison compiled to a branch, mispredicted on every other step).
inline std::int32_t first_edge_at_or_above(const double* edges, std::size_t n, double v) {
  std::size_t at = 0;
  while (n > 1) {
    const std::size_t half = n / 2;
    at += half & (std::size_t{0} - static_cast<std::size_t>(edges[at + half - 1] < v));
    n -= half;
  }
  return static_cast<std::int32_t>(at);
}

/// The bin of value `v` for a numerical feature (`n_bins` for NaN).
inline std::int32_t numeric_bin(const FeatureBinInfo& info, double v) {
  if (v != v) return info.n_bins;
  return first_edge_at_or_above(info.upper_edges.data(), info.upper_edges.size(), v);
}

/// The binned training matrix, in two layouts:
/// - column-major local bins (`0 .. n_bins[f]-1`), uint8 when every feature has at most 256
///   bins, else uint16: what a split reads to partition a leaf (a leaf's rows are sorted, so
///   one column is read almost sequentially);
/// - row-major global bins (`hist_offset[f] + bin`), uint16 when the histogram has at most
///   65536 bins, else uint32: what histogram building reads (one cache line per row, and the
///   histogram index without arithmetic).
struct BinnedMatrix {
  Index n_rows = 0;
  Index n_features = 0;
  bool wide_cols = false;             ///< Columns in uint16 (else uint8).
  bool wide_rows = false;             ///< Rows in uint32 (else uint16).
  std::vector<std::uint8_t> cols8;    ///< n_features x n_rows, when !wide_cols.
  std::vector<std::uint16_t> cols16;  ///< the same when wide_cols.
  std::vector<std::uint16_t> rows16;  ///< n_rows x n_features global bins, when !wide_rows.
  std::vector<std::uint32_t> rows32;  ///< the same when wide_rows.
  std::vector<std::int32_t> n_bins;   ///< Total bins of each feature (value bins + missing).
  std::vector<Index> hist_offset;     ///< Offset of each feature in a histogram.
  Index hist_size = 0;                ///< Total bins of all features.

  /// Bin of row `i` in feature `f`.
  std::int32_t bin(Index f, Index i) const {
    const auto at = static_cast<std::size_t>(f * n_rows + i);
    return wide_cols ? cols16[at] : cols8[at];
  }
};

/// Training features stored as a row-major matrix.
struct RowMajorFeatures {
  const RowMatrixRef& X;
  Index rows() const { return X.rows(); }
  Index cols() const { return X.cols(); }
  double operator()(Index i, Index j) const { return X(i, j); }
  /// Row `i` as contiguous values (`buf` unused: the matrix row is contiguous).
  const double* row(Index i, double* /*buf*/) const { return X.row(i).data(); }
};

/// Training features stored column by column (e.g. the columns of a pandas frame).
struct ColumnFeatures {
  const std::vector<VectorRef>& columns;
  Index n_rows;
  Index rows() const { return n_rows; }
  Index cols() const { return static_cast<Index>(columns.size()); }
  double operator()(Index i, Index j) const { return columns[static_cast<std::size_t>(j)][i]; }
  /// Row `i` gathered into `buf` (cols() values).
  const double* row(Index i, double* buf) const {
    for (std::size_t j = 0; j < columns.size(); ++j) buf[j] = columns[j][i];
    return buf;
  }
};

/// Learns how to bin each feature of `X` and bins it. `Features` is RowMajorFeatures or
/// ColumnFeatures.
/// @param X             n x p training matrix (NaN = missing).
/// @param categorical   per feature, 1 when categorical (codes already validated).
/// @param max_bins      maximum value bins per feature.
/// @param sample_rows   rows sampled for the numerical edges.
/// @param seed          seed of the row sample.
/// @param info          receives the per-feature binning.
/// @return the binned matrix.
template <class Features>
BinnedMatrix bin_features(const Features& X, const std::vector<std::uint8_t>& categorical,
                          int max_bins, Index sample_rows, std::uint64_t seed, int n_threads,
                          std::vector<FeatureBinInfo>& info);

extern template BinnedMatrix bin_features<RowMajorFeatures>(const RowMajorFeatures&,
                                                            const std::vector<std::uint8_t>&, int,
                                                            Index, std::uint64_t, int,
                                                            std::vector<FeatureBinInfo>&);
extern template BinnedMatrix bin_features<ColumnFeatures>(const ColumnFeatures&,
                                                          const std::vector<std::uint8_t>&, int,
                                                          Index, std::uint64_t, int,
                                                          std::vector<FeatureBinInfo>&);

}  // namespace churn::tree::detail
