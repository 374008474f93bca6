// Feature binning of the histogram GBDT: numerical edges from a row sample, categorical bins by
// frequency, and the feature-major binned matrix.
#include "tree/binning.hpp"

#include <algorithm>  // std::stable_sort, std::min
#include <cmath>      // std::isnan
#include <limits>     // std::numeric_limits
#include <numeric>    // std::iota

#include "churn/core/error.hpp"
#include "churn/core/parallel.hpp"
#include "churn/core/random.hpp"
#include "common/radix_sort.hpp"

namespace churn::tree::detail {

namespace {

/// A boundary between distinct values a < b: a value v goes left iff v <= edge, so any edge in
/// [a, b) separates them; the midpoint generalises best to unseen values.
double edge_between(double a, double b) {
  const double m = a / 2 + b / 2;
  return (m >= a && m < b) ? m : a;
}

/// Sorted row indices of a uniform sample of `k` of `n` rows (Knuth's selection sampling).
std::vector<Index> sample_rows_sorted(Index n, Index k, std::uint64_t seed) {
  std::vector<Index> rows;
  if (k >= n) {
    rows.resize(static_cast<std::size_t>(n));
    std::iota(rows.begin(), rows.end(), Index{0});
    return rows;
  }
  rows.reserve(static_cast<std::size_t>(k));
  Rng rng = Rng::for_stream(seed, 0xB1A5);
  Index needed = k;
  for (Index i = 0; i < n && needed > 0; ++i) {
    if (static_cast<Index>(rng.uniform_int(static_cast<std::uint64_t>(n - i))) < needed) {
      rows.push_back(i);
      --needed;
    }
  }
  return rows;
}

constexpr Index kRowBlock = 2048;

/// A feature's values as a pointer and a stride (no Features call, no reload, per value).
struct FeatureColumn {
  const double* x;
  Index stride;
  double operator[](Index i) const { return x[i * stride]; }
};
FeatureColumn feature_column(const RowMajorFeatures& X, Index f) {
  return {X.X.data() + f, X.X.outerStride()};
}
FeatureColumn feature_column(const ColumnFeatures& X, Index f) {
  return {X.columns[static_cast<std::size_t>(f)].data(), 1};
}

}  // namespace

std::vector<double> numeric_bin_edges(const std::vector<double>& sorted, int max_bins) {
  std::vector<double> values;
  std::vector<Index> counts;
  for (std::size_t i = 0; i < sorted.size();) {
    std::size_t j = i + 1;
    while (j < sorted.size() && sorted[j] == sorted[i]) ++j;
    values.push_back(sorted[i]);
    counts.push_back(static_cast<Index>(j - i));
    i = j;
  }
  std::vector<double> edges;
  const std::size_t k = values.size();
  if (k <= static_cast<std::size_t>(max_bins)) {
    for (std::size_t i = 0; i + 1 < k; ++i) edges.push_back(edge_between(values[i], values[i + 1]));
  } else {
    // Greedy equal-count bins: the target size is recomputed from what is left, and a value
    // whose own count reaches the target starts a bin of its own.
    double remaining = static_cast<double>(sorted.size());
    int bins_left = max_bins;
    double cur = 0;
    for (std::size_t i = 0; i + 1 < k && bins_left > 1; ++i) {
      cur += static_cast<double>(counts[i]);
      const double target = remaining / bins_left;
      if (cur >= target || static_cast<double>(counts[i + 1]) >= target) {
        edges.push_back(edge_between(values[i], values[i + 1]));
        remaining -= cur;
        cur = 0;
        --bins_left;
      }
    }
  }
  edges.push_back(std::numeric_limits<double>::infinity());
  return edges;
}

namespace {

/// The edges of the numerical features of `X` from a sample of `sample_rows` rows (all rows
/// when fewer), gathered feature-major block by block; each numerical feature's sorted
/// non-missing sample gives its edges.
template <class Features>
void numeric_edges(const Features& X, const std::vector<std::uint8_t>& categorical, int max_bins,
                   Index sample_rows, std::uint64_t seed, int n_threads,
                   std::vector<FeatureBinInfo>& info) {
  const Index n = X.rows(), p = X.cols();
  const std::vector<Index> rows = sample_rows_sorted(n, sample_rows, seed);
  const auto k = static_cast<Index>(rows.size());
  std::vector<Index> numeric;
  for (Index f = 0; f < p; ++f)
    if (!categorical[static_cast<std::size_t>(f)]) numeric.push_back(f);
  std::vector<double> sample(static_cast<std::size_t>(numeric.size()) *
                             static_cast<std::size_t>(k));
  parallel_for_blocks(0, k, kRowBlock, n_threads, [&](Index lo, Index hi) {
    for (std::size_t q = 0; q < numeric.size(); ++q) {
      double* dst = sample.data() + q * static_cast<std::size_t>(k);
      for (Index r = lo; r < hi; ++r) dst[r] = X(rows[static_cast<std::size_t>(r)], numeric[q]);
    }
  });
  parallel_for(0, static_cast<Index>(numeric.size()), n_threads, [&](Index q) {
    const auto qs = static_cast<std::size_t>(q);
    const double* src = sample.data() + qs * static_cast<std::size_t>(k);
    std::vector<double> vals;
    vals.reserve(static_cast<std::size_t>(k));
    for (Index r = 0; r < k; ++r)
      if (!std::isnan(src[r])) vals.push_back(src[r]);
    common::sort_doubles(vals);  // -0.0 and +0.0 in either order: the same edges
    FeatureBinInfo& fi = info[static_cast<std::size_t>(numeric[qs])];
    fi.categorical = false;
    fi.upper_edges = numeric_bin_edges(vals, max_bins);
    fi.n_bins = static_cast<std::int32_t>(fi.upper_edges.size());
  });
}

/// Rows of each code of categorical feature `f` over all rows (codes 0 .. the largest).
/// @throws InvalidArgument when the largest code is not below max(4 n, 1024) (codes must be
///         dense).
template <class Features>
std::vector<Index> code_counts(const Features& X, Index f) {
  const Index n = X.rows();
  const FeatureColumn x = feature_column(X, f);
  double max_code = -1;
  for (Index i = 0; i < n; ++i) {
    const double v = x[i];
    if (!std::isnan(v) && v > max_code) max_code = v;
  }
  const Index limit = std::max<Index>(4 * n, 1024);
  CHURN_CHECK(max_code < static_cast<double>(limit), InvalidArgument,
              "GBDTClassifier::fit(): categorical column "
                  << f << " has code " << static_cast<Index>(max_code) << " for " << n
                  << " rows; codes must be dense (re-code the categories as 0, 1, ...)");
  std::vector<Index> counts(static_cast<std::size_t>(max_code + 1), 0);
  Index* count = counts.data();
  for (Index i = 0; i < n; ++i) {
    const double v = x[i];
    if (!std::isnan(v)) ++count[static_cast<std::size_t>(v)];
  }
  return counts;
}

/// A categorical feature's bins from its code counts: the most frequent codes first (ties by
/// code), at most `max_bins`; rarer codes share the missing bin, unseen codes map to -1.
void category_bins(const std::vector<Index>& counts, int max_bins, FeatureBinInfo& fi) {
  fi.categorical = true;
  const std::size_t n_codes = counts.size();
  std::vector<std::int32_t> order;
  for (std::size_t c = 0; c < n_codes; ++c)
    if (counts[c] > 0) order.push_back(static_cast<std::int32_t>(c));
  std::stable_sort(order.begin(), order.end(), [&](std::int32_t a, std::int32_t b) {
    return counts[static_cast<std::size_t>(a)] > counts[static_cast<std::size_t>(b)];
  });
  const auto kept = static_cast<std::int32_t>(
      std::min<std::size_t>(order.size(), static_cast<std::size_t>(max_bins)));
  fi.n_bins = std::max<std::int32_t>(kept, 1);
  fi.code_to_bin.assign(n_codes, -1);
  for (std::size_t r = 0; r < order.size(); ++r)
    fi.code_to_bin[static_cast<std::size_t>(order[r])] =
        r < static_cast<std::size_t>(kept) ? static_cast<std::int32_t>(r) : fi.n_bins;
}

/// An empty binned matrix of `n` rows for the features binned as `info`: bin counts,
/// histogram offsets, the storage widths, and the arrays allocated.
/// @throws InvalidArgument when the histogram would have 2^31 bins or more.
BinnedMatrix binned_layout(const std::vector<FeatureBinInfo>& info, Index n) {
  const auto p = static_cast<Index>(info.size());
  BinnedMatrix B;
  B.n_rows = n;
  B.n_features = p;
  B.n_bins.resize(static_cast<std::size_t>(p));
  B.hist_offset.resize(static_cast<std::size_t>(p));
  std::int32_t widest = 0;
  for (Index f = 0; f < p; ++f) {
    const auto fs = static_cast<std::size_t>(f);
    B.n_bins[fs] = info[fs].n_bins + 1;
    B.hist_offset[fs] = B.hist_size;
    B.hist_size += B.n_bins[fs];
    widest = std::max(widest, B.n_bins[fs]);
  }
  CHURN_CHECK(B.hist_size < (Index{1} << 31), InvalidArgument,
              "GBDTClassifier::fit(): " << B.hist_size
                                        << " histogram bins in total is too many; lower max_bins");
  B.wide_cols = widest > 256;
  B.wide_rows = B.hist_size > 65536;
  const auto total = static_cast<std::size_t>(n) * static_cast<std::size_t>(p);
  if (B.wide_cols)
    B.cols16.resize(total);
  else
    B.cols8.resize(total);
  if (B.wide_rows)
    B.rows32.resize(total);
  else
    B.rows16.resize(total);
  return B;
}

/// Writes the bins of rows [lo, hi) of feature column `x` (binned as `fi`) to its column
/// `col` (col[i]) and its row-major slots `row` (row[i * p], as global histogram bins from
/// `off`); returns whether a value was missing. Locals only in the loop: the byte-sized
/// stores could alias any field read through a reference.
template <class ColT, class RowT>
bool fill_feature(FeatureColumn x, Index lo, Index hi, const FeatureBinInfo& fi, std::uint32_t off,
                  Index p, ColT* col, RowT* row) {
  const std::int32_t miss = fi.n_bins;
  bool missing = false;
  auto put = [&](Index i, std::int32_t b) {
    col[i] = static_cast<ColT>(b);
    row[i * p] = static_cast<RowT>(off + static_cast<std::uint32_t>(b));
  };
  if (fi.categorical) {
    const std::int32_t* to_bin = fi.code_to_bin.data();
    for (Index i = lo; i < hi; ++i) {
      const double v = x[i];
      const bool nan = std::isnan(v);
      missing |= nan;
      put(i, nan ? miss : to_bin[static_cast<std::size_t>(v)]);
    }
    return missing;
  }
  const double* edges = fi.upper_edges.data();
  const std::size_t n_edges = fi.upper_edges.size();
  for (Index i = lo; i < hi; ++i) {
    const double v = x[i];
    if (std::isnan(v)) {
      missing = true;
      put(i, miss);
      continue;
    }
    put(i, first_edge_at_or_above(edges, n_edges, v));  // as numeric_bin()
  }
  return missing;
}

/// fill_feature() for the storage widths of `B`.
bool fill_feature(FeatureColumn x, Index lo, Index hi, const FeatureBinInfo& fi, Index f,
                  BinnedMatrix& B) {
  const Index n = B.n_rows, p = B.n_features;
  const auto off = static_cast<std::uint32_t>(B.hist_offset[static_cast<std::size_t>(f)]);
  const auto col_at = static_cast<std::size_t>(f) * static_cast<std::size_t>(n);
  const auto row_at = static_cast<std::size_t>(f);
  if (B.wide_cols) {
    return B.wide_rows ? fill_feature(x, lo, hi, fi, off, p, B.cols16.data() + col_at,
                                      B.rows32.data() + row_at)
                       : fill_feature(x, lo, hi, fi, off, p, B.cols16.data() + col_at,
                                      B.rows16.data() + row_at);
  }
  return B.wide_rows ? fill_feature(x, lo, hi, fi, off, p, B.cols8.data() + col_at,
                                    B.rows32.data() + row_at)
                     : fill_feature(x, lo, hi, fi, off, p, B.cols8.data() + col_at,
                                    B.rows16.data() + row_at);
}

/// Fills `B` (see binned_layout) with the bins of every value of `X`, block of rows by block
/// of rows, and sets `has_missing` of the features with a missing value.
template <class Features>
void fill_bins(const Features& X, int n_threads, std::vector<FeatureBinInfo>& info,
               BinnedMatrix& B) {
  const Index n = X.rows(), p = X.cols();
  std::vector<std::uint8_t> has_missing_block(
      static_cast<std::size_t>((n + kRowBlock - 1) / kRowBlock) * static_cast<std::size_t>(p), 0);
  parallel_for_blocks(0, n, kRowBlock, n_threads, [&](Index lo, Index hi) {
    const auto blk = static_cast<std::size_t>(lo / kRowBlock);
    for (Index f = 0; f < p; ++f)
      if (fill_feature(feature_column(X, f), lo, hi, info[static_cast<std::size_t>(f)], f, B))
        has_missing_block[blk * static_cast<std::size_t>(p) + static_cast<std::size_t>(f)] = 1;
  });
  for (std::size_t b = 0; b * static_cast<std::size_t>(p) < has_missing_block.size(); ++b)
    for (Index f = 0; f < p; ++f)
      if (has_missing_block[b * static_cast<std::size_t>(p) + static_cast<std::size_t>(f)])
        info[static_cast<std::size_t>(f)].has_missing = true;
}

}  // namespace

template <class Features>
BinnedMatrix bin_features(const Features& X, const std::vector<std::uint8_t>& categorical,
                          int max_bins, Index sample_rows, std::uint64_t seed, int n_threads,
                          std::vector<FeatureBinInfo>& info) {
  const Index p = X.cols();
  info.assign(static_cast<std::size_t>(p), FeatureBinInfo{});
  // Numerical edges from a row sample; categorical bins by frequency over all rows.
  numeric_edges(X, categorical, max_bins, sample_rows, seed, n_threads, info);
  for (Index f = 0; f < p; ++f)
    if (categorical[static_cast<std::size_t>(f)])
      category_bins(code_counts(X, f), max_bins, info[static_cast<std::size_t>(f)]);
  BinnedMatrix B = binned_layout(info, X.rows());
  fill_bins(X, n_threads, info, B);
  return B;
}

template BinnedMatrix bin_features<RowMajorFeatures>(const RowMajorFeatures&,
                                                     const std::vector<std::uint8_t>&, int, Index,
                                                     std::uint64_t, int,
                                                     std::vector<FeatureBinInfo>&);
template BinnedMatrix bin_features<ColumnFeatures>(const ColumnFeatures&,
                                                   const std::vector<std::uint8_t>&, int, Index,
                                                   std::uint64_t, int,
                                                   std::vector<FeatureBinInfo>&);

}  // namespace churn::tree::detail
