// Split finding of the histogram GBDT: numerical thresholds with a learned missing direction,
// categorical one-vs-rest and many-vs-many splits (LightGBM's gradient-ordered scan).
#include "tree/split.hpp"

#include <algorithm>  // std::stable_sort, std::min, std::max

#include "tree/split_eval.hpp"

namespace churn::tree::detail {

namespace {

using split_eval::add;
using split_eval::Evaluator;
using split_eval::minus;
using split_eval::record_categorical;

void find_numeric(const Sums* hist, std::int32_t n_bins, std::int32_t feature, int monotone,
                  const LeafInfo& leaf, const SplitContext& ctx, SplitInfo& best) {
  const std::int32_t miss = n_bins - 1;  // the missing bin
  const Sums& m = hist[miss];
  const Evaluator ev(leaf, ctx, 0.0, monotone);
  const double min_gain = ctx.params->min_split_gain;
  // Pass 0: missing values go right; pass 1 (only when there are some): they go left.
  for (int pass = 0; pass < (m.c > 0 ? 2 : 1); ++pass) {
    const bool miss_left = pass == 1;
    Sums L;
    if (miss_left) add(L, m);
    for (std::int32_t t = 0; t < miss; ++t) {
      add(L, hist[t]);
      // With every value bin on the left, only "missing alone on the right" is a split.
      if (t == miss - 1 && (miss_left || m.c == 0)) break;
      if (hist[t].c == 0 && t > 0) continue;  // same partition as the previous threshold
      const Sums R = minus(leaf.sums, L);
      if (R.c < ctx.params->min_child_samples) break;  // R only shrinks from here
      if (!ev.admissible(L, R)) continue;
      double wl = 0, wr = 0;
      const double g = ev.gain(L, wl, wr);
      if (!(g > min_gain) || !(g > best.gain)) continue;
      if (!ctx.constrained) ev.outputs(L, wl, wr);
      best.gain = g;
      best.feature = feature;
      best.categorical = false;
      best.threshold_bin = t;
      best.default_left = m.c > 0 ? miss_left : L.c >= R.c;
      best.cat_bins.clear();
      best.left = L;
      best.left_output = wl;
      best.right_output = wr;
    }
  }
}

/// One category (or the missing bin) against the rest, for features with few bins.
void find_one_vs_rest(const Sums* hist, std::int32_t n_bins, std::int32_t feature,
                      const LeafInfo& leaf, const SplitContext& ctx, SplitInfo& best) {
  const double min_gain = ctx.params->min_split_gain;
  const Evaluator ev(leaf, ctx, 0.0, 0);
  for (std::int32_t b = 0; b < n_bins; ++b) {
    if (hist[b].c == 0) continue;
    Sums L;
    add(L, hist[b]);
    const Sums R = minus(leaf.sums, L);
    if (!ev.admissible(L, R)) continue;
    double wl = 0, wr = 0;
    const double g = ev.gain(L, wl, wr);
    if (!(g > min_gain) || !(g > best.gain)) continue;
    if (!ctx.constrained) ev.outputs(L, wl, wr);
    record_categorical(g, {b}, n_bins, feature, L, wl, wr, best);
  }
}

/// The bins of categories with enough rows (at least cat_smooth, and one), ordered by
/// G / (H + cat_smooth) (stable: ties keep bin order).
std::vector<std::int32_t> ordered_categories(const Sums* hist, std::int32_t n_bins,
                                             const SplitContext& ctx) {
  const GBDTParams& p = *ctx.params;
  std::vector<std::int32_t> order;
  for (std::int32_t b = 0; b < n_bins; ++b)
    if (static_cast<double>(hist[b].c) >= p.cat_smooth && hist[b].c > 0) order.push_back(b);
  if (order.size() < 2) return order;
  auto ctr = [&](std::int32_t b) {
    return static_cast<double>(hist[b].g) * ctx.g_unscale /
           (static_cast<double>(hist[b].h) * ctx.h_unscale + p.cat_smooth);
  };
  std::stable_sort(order.begin(), order.end(),
                   [&](std::int32_t a, std::int32_t b) { return ctr(a) < ctr(b); });
  return order;
}

/// Many-vs-many (LightGBM's gradient-ordered scan): categories with enough rows, ordered by
/// G / (H + cat_smooth); the left set is a prefix of that order, scanned from either end.
void find_many_vs_many(const Sums* hist, std::int32_t n_bins, std::int32_t feature,
                       const LeafInfo& leaf, const SplitContext& ctx, SplitInfo& best) {
  const GBDTParams& p = *ctx.params;
  const double min_gain = p.min_split_gain;
  const std::vector<std::int32_t> order = ordered_categories(hist, n_bins, ctx);
  if (order.size() < 2) return;
  const auto used = static_cast<int>(order.size());
  const int max_num_cat = std::min(p.max_cat_threshold, (used + 1) / 2);
  const Evaluator ev(leaf, ctx, p.cat_l2, 0);
  for (int dir = 0; dir < 2; ++dir) {
    Sums L;
    Index group = 0;
    std::vector<std::int32_t> left_bins;
    for (int i = 0; i < used && i < max_num_cat; ++i) {
      const std::int32_t b = order[static_cast<std::size_t>(dir == 0 ? i : used - 1 - i)];
      add(L, hist[b]);
      left_bins.push_back(b);
      group += hist[b].c;
      const Sums R = minus(leaf.sums, L);
      if (L.c < p.min_child_samples ||
          static_cast<double>(L.h) * ctx.h_unscale < p.min_child_weight)
        continue;
      if (R.c < p.min_child_samples ||
          static_cast<double>(R.h) * ctx.h_unscale < p.min_child_weight)
        break;
      if (group < p.min_data_per_group) continue;
      group = 0;
      double wl = 0, wr = 0;
      const double g = ev.gain(L, wl, wr);
      if (!(g > min_gain) || !(g > best.gain)) continue;
      // The outputs kept for the children use the plain l2 (cat_l2 only shapes the search).
      const double gl = static_cast<double>(L.g) * ctx.g_unscale;
      const double hl = static_cast<double>(L.h) * ctx.h_unscale;
      const double G = static_cast<double>(leaf.sums.g) * ctx.g_unscale;
      const double H = static_cast<double>(leaf.sums.h) * ctx.h_unscale;
      wl = leaf_output(gl, hl, p.reg_alpha, p.reg_lambda, leaf.lo, leaf.hi);
      wr = leaf_output(G - gl, H - hl, p.reg_alpha, p.reg_lambda, leaf.lo, leaf.hi);
      record_categorical(g, left_bins, n_bins, feature, L, wl, wr, best);
    }
  }
}

/// Out of line on purpose: inlined into find_best_split (as GCC does once the steps above are
/// separate functions) it slows the numerical scan there by about 10% (BM_FindBestSplit).
[[gnu::noinline]] void find_categorical(const Sums* hist, std::int32_t n_bins, std::int32_t feature,
                                        const FeatureBinInfo& info, const LeafInfo& leaf,
                                        const SplitContext& ctx, SplitInfo& best) {
  if (info.n_bins <= ctx.params->max_cat_to_onehot)
    find_one_vs_rest(hist, n_bins, feature, leaf, ctx, best);
  else
    find_many_vs_many(hist, n_bins, feature, leaf, ctx, best);
}

}  // namespace

void find_best_split(const HistBin* hist, std::int32_t n_bins, std::int32_t feature,
                     const FeatureBinInfo& info, int monotone, const LeafInfo& leaf,
                     const SplitContext& ctx, SplitInfo& best) {
  // Unpack the hessian and count of each bin once.
  thread_local std::vector<Sums> sums;
  sums.resize(static_cast<std::size_t>(n_bins));
  for (std::int32_t b = 0; b < n_bins; ++b)
    sums[static_cast<std::size_t>(b)] = unpack(hist[b], ctx.count_bits);
  if (info.categorical)
    find_categorical(sums.data(), n_bins, feature, info, leaf, ctx, best);
  else
    find_numeric(sums.data(), n_bins, feature, monotone, leaf, ctx, best);
}

}  // namespace churn::tree::detail
