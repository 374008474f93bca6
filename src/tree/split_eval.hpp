#pragma once
/// @file split_eval.hpp
/// Pieces of split finding shared by the dense scans (split.cpp) and the forest's scans over a
/// node's non-empty bins (split_compact.cpp), so that both compute gains with the same
/// expressions (private to churnlib).

#include <algorithm>  // std::find
#include <limits>     // std::numeric_limits
#include <vector>     // std::vector

#include "tree/split.hpp"

namespace churn::tree::detail::split_eval {

/// Evaluates a candidate with left sums `L` (right = parent - L); returns its gain over the
/// parent, or -inf when it breaks a constraint.
struct Evaluator {
  const LeafInfo& leaf;
  const SplitContext& ctx;
  double l1, l2;
  int monotone;
  double parent_gain;
  double G, H;

  Evaluator(const LeafInfo& lf, const SplitContext& c, double extra_l2, int mono)
      : leaf(lf),
        ctx(c),
        l1(c.params->reg_alpha),
        l2(c.params->reg_lambda + extra_l2),
        monotone(mono) {
    G = static_cast<double>(leaf.sums.g) * ctx.g_unscale;
    H = static_cast<double>(leaf.sums.h) * ctx.h_unscale;
    // The parent's gain always uses the plain l2 (as LightGBM's gain_shift).
    const double base_l2 = c.params->reg_lambda;
    parent_gain = leaf_gain(G, H, l1, base_l2, leaf.output);
  }

  /// Checks the child constraints; returns false when the candidate is not allowed.
  bool admissible(const Sums& L, const Sums& R) const {
    const GBDTParams& p = *ctx.params;
    if (L.c < p.min_child_samples || R.c < p.min_child_samples) return false;
    if (static_cast<double>(L.h) * ctx.h_unscale < p.min_child_weight) return false;
    if (static_cast<double>(R.h) * ctx.h_unscale < p.min_child_weight) return false;
    return true;
  }

  /// Gain over the parent and the two outputs; -inf when a monotone constraint is violated.
  double gain(const Sums& L, double& wl, double& wr) const {
    const double gl = static_cast<double>(L.g) * ctx.g_unscale;
    const double hl = static_cast<double>(L.h) * ctx.h_unscale;
    const double gr = G - gl, hr = H - hl;
    if (!ctx.constrained) {
      // No bounds anywhere: the closed-form gain; the outputs are only needed by the winner
      // (outputs()), so the common path has two divisions, not four.
      const double sl = threshold_l1(gl, l1), sr = threshold_l1(gr, l1);
      const double dl = hl + l2, dr = hr + l2;
      return (dl > 0 ? sl * sl / dl : 0.0) + (dr > 0 ? sr * sr / dr : 0.0) - parent_gain;
    }
    wl = leaf_output(gl, hl, l1, l2, leaf.lo, leaf.hi);
    wr = leaf_output(gr, hr, l1, l2, leaf.lo, leaf.hi);
    if ((monotone > 0 && wl > wr) || (monotone < 0 && wl < wr))
      return -std::numeric_limits<double>::infinity();
    return leaf_gain(gl, hl, l1, l2, wl) + leaf_gain(gr, hr, l1, l2, wr) - parent_gain;
  }

  /// The children's outputs for left sums `L` (clamped to the leaf's bounds).
  void outputs(const Sums& L, double& wl, double& wr) const {
    const double gl = static_cast<double>(L.g) * ctx.g_unscale;
    const double hl = static_cast<double>(L.h) * ctx.h_unscale;
    wl = leaf_output(gl, hl, l1, l2, leaf.lo, leaf.hi);
    wr = leaf_output(G - gl, H - hl, l1, l2, leaf.lo, leaf.hi);
  }
};

inline Sums minus(const Sums& a, const Sums& b) {
  return {a.g - b.g, a.h - b.h, a.c - b.c};
}
inline void add(Sums& a, const Sums& b) {
  a.g += b.g;
  a.h += b.h;
  a.c += b.c;
}

/// Makes `best` the categorical split of `feature` (`n_bins` bins, the last the missing bin)
/// sending the bins `left_bins` left, with left sums `L`, gain `g` and outputs `wl`, `wr`.
inline void record_categorical(double g, const std::vector<std::int32_t>& left_bins,
                               std::int32_t n_bins, std::int32_t feature, const Sums& L, double wl,
                               double wr, SplitInfo& best) {
  const auto words = static_cast<std::size_t>((n_bins + 31) / 32);
  best.gain = g;
  best.feature = feature;
  best.categorical = true;
  best.threshold_bin = -1;
  best.cat_bins.assign(words, 0U);
  for (const std::int32_t b : left_bins)
    best.cat_bins[static_cast<std::size_t>(b) / 32] |= 1U << (static_cast<unsigned>(b) % 32);
  best.default_left = std::find(left_bins.begin(), left_bins.end(), n_bins - 1) != left_bins.end();
  best.left = L;
  best.left_output = wl;
  best.right_output = wr;
}

}  // namespace churn::tree::detail::split_eval
