// Silhouette coefficient: exact all-pairs distances in parallel row blocks, or on a sample.
#include "churn/segment/silhouette.hpp"

#include <algorithm>  // std::max, std::min, std::sort
#include <cmath>      // std::sqrt
#include <limits>     // std::numeric_limits
#include <vector>     // std::vector

#include "churn/core/error.hpp"
#include "churn/core/parallel.hpp"
#include "churn/core/random.hpp"
#include "common/checks.hpp"
#include "segment/kmeans_detail.hpp"

namespace churn::segment {

namespace {

/// Columns (rows of X) per tile of the distance kernel; a multiple of detail::kLanes.
constexpr int kTile = 256;

std::size_t sz(Index i) {
  return static_cast<std::size_t>(i);
}

Vector silhouette_impl(const RowMatrixRef& X, const IntVector& labels, int n_threads,
                       const char* caller) {
  const Index n = X.rows();
  const Index d = X.cols();
  CHURN_CHECK(labels.size() == n, InvalidArgument,
              caller << ": labels has " << labels.size() << " values but X has " << n << " rows");
  CHURN_CHECK(d >= 1, InvalidArgument, caller << ": X has no columns");
  common::check_finite_matrix(X, {}, caller, n_threads);
  int n_labels = 0;
  for (Index i = 0; i < n; ++i) {
    CHURN_CHECK(labels[i] >= 0, InvalidArgument,
                caller << ": labels must be >= 0, got " << labels[i] << " at row " << i);
    n_labels = std::max(n_labels, labels[i] + 1);
  }
  std::vector<Index> count(sz(n_labels), 0);
  for (Index i = 0; i < n; ++i) ++count[sz(labels[i])];
  Index distinct = 0;
  for (Index c : count) distinct += c > 0 ? 1 : 0;
  CHURN_CHECK(distinct >= 2 && distinct <= n - 1, InvalidArgument,
              caller << ": the number of distinct labels is " << distinct
                     << "; it must be in [2, n_samples - 1] = [2, " << n - 1 << "]");

  // X's rows transposed tile by tile: tile t holds rows [t*kTile, ...) as d x kTile "centres"
  const Index n_tiles = (n + kTile - 1) / kTile;
  std::vector<double> tiles(sz(n_tiles * d * kTile), 0.0);
  parallel_for(0, n_tiles, n_threads, [&](Index t) {
    double* out = tiles.data() + t * d * kTile;
    const Index lo = t * kTile;
    const Index hi = std::min(n, lo + kTile);
    for (Index i = lo; i < hi; ++i)
      for (Index j = 0; j < d; ++j) out[j * kTile + (i - lo)] = X(i, j);
  });

  Vector s(n);
  parallel_for_blocks(0, n, detail::kChunk, n_threads, [&](Index lo, Index hi) {
    const int m = static_cast<int>(hi - lo);
    const double* rows[detail::kChunk];
    for (int r = 0; r < m; ++r) rows[r] = X.row(lo + r).data();
    std::vector<double> dist(sz(static_cast<Index>(detail::kChunk) * kTile));
    std::vector<double> sums(sz(static_cast<Index>(m) * n_labels), 0.0);
    for (Index t = 0; t < n_tiles; ++t) {
      detail::sqdist_rows(rows, m, d, tiles.data() + t * d * kTile, kTile, dist.data());
      const Index c0 = t * kTile;
      const Index c1 = std::min(n, c0 + kTile);
      for (int r = 0; r < m; ++r) {
        double* srow = sums.data() + static_cast<Index>(r) * n_labels;
        const double* drow = dist.data() + static_cast<Index>(r) * kTile;
        for (Index j = c0; j < c1; ++j) {
          if (j == lo + r) continue;  // the row itself
          srow[labels[j]] += std::sqrt(drow[j - c0]);
        }
      }
    }
    for (int r = 0; r < m; ++r) {
      const Index i = lo + r;
      const int own = labels[i];
      const double* srow = sums.data() + static_cast<Index>(r) * n_labels;
      if (count[sz(own)] <= 1) {
        s[i] = 0.0;
        continue;
      }
      const double a = srow[own] / static_cast<double>(count[sz(own)] - 1);
      double b = std::numeric_limits<double>::infinity();
      for (int c = 0; c < n_labels; ++c) {
        if (c != own && count[sz(c)] > 0)
          b = std::min(b, srow[c] / static_cast<double>(count[sz(c)]));
      }
      const double den = std::max(a, b);
      s[i] = den > 0 ? (b - a) / den : 0.0;
    }
  });
  return s;
}

}  // namespace

Vector silhouette_samples(const RowMatrixRef& X, const IntVector& labels, int n_threads) {
  return silhouette_impl(X, labels, n_threads, "silhouette_samples()");
}

double silhouette_score(const RowMatrixRef& X, const IntVector& labels, Index sample_size,
                        std::uint64_t seed, int n_threads) {
  const char* who = "silhouette_score()";
  CHURN_CHECK(sample_size >= 0, InvalidArgument,
              who << ": sample_size must be >= 0 (0 = all rows), got " << sample_size);
  const Index n = X.rows();
  CHURN_CHECK(labels.size() == n, InvalidArgument,
              who << ": labels has " << labels.size() << " values but X has " << n << " rows");
  Vector s;
  if (sample_size == 0 || sample_size >= n) {
    s = silhouette_impl(X, labels, n_threads, who);
  } else {
    // partial Fisher-Yates shuffle with the seeded generator, then rows in order
    Rng rng(seed);
    std::vector<Index> idx(sz(n));
    for (Index i = 0; i < n; ++i) idx[sz(i)] = i;
    for (Index i = 0; i < sample_size; ++i) {
      const Index j = i + static_cast<Index>(rng.uniform_int(static_cast<std::uint64_t>(n - i)));
      std::swap(idx[sz(i)], idx[sz(j)]);
    }
    idx.resize(sz(sample_size));
    std::sort(idx.begin(), idx.end());
    RowMatrix Xs(sample_size, X.cols());
    IntVector ls(sample_size);
    for (Index r = 0; r < sample_size; ++r) {
      Xs.row(r) = X.row(idx[sz(r)]);
      ls[r] = labels[idx[sz(r)]];
    }
    s = silhouette_impl(Xs, ls, n_threads, who);
  }
  double total = 0.0;
  for (Index i = 0; i < s.size(); ++i) total += s[i];
  return total / static_cast<double>(s.size());
}

}  // namespace churn::segment
