#pragma once
/// @file split.hpp
/// Split finding on histograms (private to churnlib).
///
/// Gains are on LightGBM's scale. For a leaf with gradient sum G and hessian sum H, regularised
/// by `l1` and `l2`, and an output `w`:
/// @code{.unparsed}
///   T(G)        = sign(G) * max(|G| - l1, 0)
///   w*(G, H)    = -T(G) / (H + l2), clamped to the leaf's output bounds [lo, hi]
///   gain(G,H,w) = -(2 T(G) w + (H + l2) w^2)      (= T(G)^2 / (H + l2) at w = w*)
/// @endcode
/// A split's gain is `gain(left) + gain(right) - gain(parent)`; it must exceed `min_split_gain`.

#include <cstdint>  // std::int64_t, std::uint32_t
#include <limits>   // std::numeric_limits
#include <vector>   // std::vector

#include "churn/tree/gbdt.hpp"
#include "tree/histogram.hpp"

namespace churn::tree::detail {

/// Fixed-point sums of a set of rows (hessian and count unpacked).
struct Sums {
  std::int64_t g = 0;
  std::int64_t h = 0;
  std::int64_t c = 0;
};

/// The sums of a histogram bin (see HistBin for the packing).
inline Sums unpack(const HistBin& b, int count_bits) {
  return {b.g, b.hc >> count_bits, b.hc & ((std::int64_t{1} << count_bits) - 1)};
}

/// The best split found for a leaf.
struct SplitInfo {
  double gain = -std::numeric_limits<double>::infinity();  ///< Loss reduction; -inf = none.
  std::int32_t feature = -1;
  bool categorical = false;
  /// Numerical: rows with bin <= threshold_bin go left.
  std::int32_t threshold_bin = -1;
  /// Missing values (the missing bin) go left.
  bool default_left = false;
  /// Categorical: bitset over the feature's bins (including the missing bin) going left.
  std::vector<std::uint32_t> cat_bins;
  Sums left;               ///< Sums of the left child (the right one is parent - left).
  double left_output = 0;  ///< Outputs of the children (unshrunk, clamped to the bounds).
  double right_output = 0;

  bool valid() const { return feature >= 0; }
  /// Whether a row with bin `b` goes left (`missing_bin` = the feature's missing bin).
  bool goes_left(std::int32_t b, std::int32_t missing_bin) const {
    if (categorical)
      return ((cat_bins[static_cast<std::size_t>(b) / 32] >> (static_cast<unsigned>(b) % 32)) &
              1U) != 0;
    if (b == missing_bin) return default_left;
    return b <= threshold_bin;
  }
};

/// What split finding needs to know about a leaf.
struct LeafInfo {
  Sums sums;
  double lo = -std::numeric_limits<double>::infinity();  ///< Output bounds (monotone
  double hi = std::numeric_limits<double>::infinity();   ///< constraints).
  double output = 0;  ///< The leaf's own output w*(G, H) clamped (unshrunk).
};

/// Constant inputs of split finding for one boosting round.
struct SplitContext {
  const GBDTParams* params = nullptr;
  double g_unscale = 1;  ///< Multiply a fixed-point gradient sum by this to get the value.
  double h_unscale = 1;
  bool constrained = false;  ///< Any monotone constraint is active (use clamped outputs).
  int count_bits = 0;        ///< Low bits of HistBin::hc holding the row count.
};

/// `sign(g) * max(|g| - l1, 0)`.
inline double threshold_l1(double g, double l1) {
  const double a = (g < 0 ? -g : g) - l1;
  if (a <= 0) return 0;
  return g < 0 ? -a : a;
}

/// The optimal leaf output clamped to [lo, hi] (0 when `h + l2 <= 0`).
inline double leaf_output(double g, double h, double l1, double l2, double lo, double hi) {
  const double d = h + l2;
  double w = d > 0 ? -threshold_l1(g, l1) / d : 0.0;
  if (w < lo) w = lo;
  if (w > hi) w = hi;
  return w;
}

/// The gain of a leaf with output `w`.
inline double leaf_gain(double g, double h, double l1, double l2, double w) {
  const double sg = threshold_l1(g, l1);
  return -(2 * sg * w + (h + l2) * w * w);
}

/// Updates `best` with the best split of `feature` (histogram `hist` of `n_bins` bins, the last
/// being the missing bin) when it is strictly better.
/// @param monotone  +1, -1 or 0 for the feature.
void find_best_split(const HistBin* hist, std::int32_t n_bins, std::int32_t feature,
                     const FeatureBinInfo& info, int monotone, const LeafInfo& leaf,
                     const SplitContext& ctx, SplitInfo& best);

/// A random forest's node histogram of one feature restricted to its non-empty bins: `bins[j]`
/// (ascending) holds the sums `sums[j]`, j < `k`.
struct CompactHist {
  const std::int32_t* bins = nullptr;
  const Sums* sums = nullptr;
  std::int32_t k = 0;
};

/// find_best_split() for a feature whose histogram is given by its non-empty bins only (the
/// small nodes of a random forest's tree, where most of the feature's bins are empty): the same
/// candidates in the same order and the same gains, so the same split, at a cost in the
/// number of non-empty bins instead of `n_bins`. Without monotone constraints.
void find_best_split_compact(const CompactHist& hist, std::int32_t n_bins, std::int32_t feature,
                             const FeatureBinInfo& info, const LeafInfo& leaf,
                             const SplitContext& ctx, SplitInfo& best);

}  // namespace churn::tree::detail
