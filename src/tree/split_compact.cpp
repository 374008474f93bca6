// A random forest's split finding over the non-empty bins of a node's histogram: the scans of
// split.cpp (find_numeric, find_one_vs_rest, find_many_vs_many) with the empty bins left out.
// Those scans skip empty bins (or, for categories, leave them out of the order), so visiting
// only the non-empty ones gives the same candidates, gains and split.
#include <algorithm>  // std::stable_sort, std::min
#include <vector>     // std::vector

#include "tree/split.hpp"
#include "tree/split_eval.hpp"

namespace churn::tree::detail {

namespace {

using split_eval::add;
using split_eval::Evaluator;
using split_eval::minus;
using split_eval::record_categorical;

/// Makes `best` the numerical split of `feature` at bin `t` (find_numeric's record).
void record_numeric(double g, std::int32_t feature, std::int32_t t, bool default_left,
                    const Sums& L, double wl, double wr, SplitInfo& best) {
  best.gain = g;
  best.feature = feature;
  best.categorical = false;
  best.threshold_bin = t;
  best.default_left = default_left;
  best.cat_bins.clear();
  best.left = L;
  best.left_output = wl;
  best.right_output = wr;
}

/// The Evaluator of a split without regularisation, constraints or minimum child weight (a
/// random forest's): the same gains, bit for bit, without the terms that do nothing there.
/// With l1 = 0, threshold_l1(g, 0)^2 == g * g, and with l2 = 0, `h + l2 > 0` iff `h > 0` and
/// the quotient is the same; hessian sums are never negative, so a minimum child weight <= 0
/// admits every candidate.
struct PlainEvaluator {
  const Evaluator& ev;

  /// Whether `ev` may be replaced by a PlainEvaluator.
  static bool applies(const Evaluator& ev) {
    return !ev.ctx.constrained && ev.l1 == 0 && ev.l2 == 0 && ev.ctx.params->min_child_weight <= 0;
  }
  bool admissible(const Sums& L, const Sums& R) const {
    const Index min_c = ev.ctx.params->min_child_samples;
    return L.c >= min_c && R.c >= min_c;
  }
  double gain(const Sums& L, double& /*wl*/, double& /*wr*/) const {
    const double gl = static_cast<double>(L.g) * ev.ctx.g_unscale;
    const double hl = static_cast<double>(L.h) * ev.ctx.h_unscale;
    const double gr = ev.G - gl, hr = ev.H - hl;
    return (hl > 0 ? gl * gl / hl : 0.0) + (hr > 0 ? gr * gr / hr : 0.0) - ev.parent_gain;
  }
  void outputs(const Sums& L, double& wl, double& wr) const { ev.outputs(L, wl, wr); }
};

/// find_numeric() without monotone constraints: threshold 0 is a candidate even when bin 0 is
/// empty (missing values alone on the left), every other candidate is a non-empty value bin.
/// `Eval` is Evaluator or PlainEvaluator.
template <class Eval>
void numeric(const CompactHist& h, std::int32_t n_bins, std::int32_t feature, const LeafInfo& leaf,
             const SplitContext& ctx, const Eval& ev, SplitInfo& best) {
  const std::int32_t miss = n_bins - 1;  // the missing bin (last when present)
  if (miss <= 0) return;
  const bool has_miss = h.k > 0 && h.bins[h.k - 1] == miss;
  const Sums m = has_miss ? h.sums[h.k - 1] : Sums{};
  const std::int32_t kv = has_miss ? h.k - 1 : h.k;  // value bins
  const std::int32_t first = kv > 0 && h.bins[0] == 0 ? 0 : -1;
  const double min_gain = ctx.params->min_split_gain;
  for (int pass = 0; pass < (m.c > 0 ? 2 : 1); ++pass) {
    const bool miss_left = pass == 1;
    Sums L;
    if (miss_left) add(L, m);
    for (std::int32_t q = first; q < kv; ++q) {
      const std::int32_t t = q < 0 ? 0 : h.bins[q];
      if (q >= 0) add(L, h.sums[q]);
      if (t == miss - 1 && (miss_left || m.c == 0)) break;
      const Sums R = minus(leaf.sums, L);
      if (R.c < ctx.params->min_child_samples) break;
      if (!ev.admissible(L, R)) continue;
      double wl = 0, wr = 0;
      const double g = ev.gain(L, wl, wr);
      if (!(g > min_gain) || !(g > best.gain)) continue;
      if (!ctx.constrained) ev.outputs(L, wl, wr);
      record_numeric(g, feature, t, m.c > 0 ? miss_left : L.c >= R.c, L, wl, wr, best);
    }
  }
}

/// numeric() for a PlainEvaluator (a random forest's trees), in blocks of candidates: first the
/// admissible candidates of a block and their left sums (the scan's prefix sums, stops and
/// skips), then their gains without a branch (the same expression as PlainEvaluator::gain(),
/// with a harmless denominator where the quotient is not used), then the first of the largest
/// gains above min_gain and the best so far: the candidate numeric() would record, with the
/// same gain. A node's gains no longer wait one by one on a branch on the last quotient.
void numeric(const CompactHist& h, std::int32_t n_bins, std::int32_t feature, const LeafInfo& leaf,
             const SplitContext& ctx, const PlainEvaluator& ev, SplitInfo& best) {
  const std::int32_t miss = n_bins - 1;  // the missing bin (last when present)
  if (miss <= 0) return;
  const bool has_miss = h.k > 0 && h.bins[h.k - 1] == miss;
  const Sums m = has_miss ? h.sums[h.k - 1] : Sums{};
  const std::int32_t kv = has_miss ? h.k - 1 : h.k;  // value bins
  const std::int32_t first = kv > 0 && h.bins[0] == 0 ? 0 : -1;
  const double min_gain = ctx.params->min_split_gain;
  const Index min_c = ctx.params->min_child_samples;
  const double gs = ctx.g_unscale, hs = ctx.h_unscale;
  const double G = ev.ev.G, H = ev.ev.H, parent_gain = ev.ev.parent_gain;
  constexpr int kBlock = 64;
  std::int64_t lg[kBlock], lh[kBlock], lc[kBlock];  // left sums (not zeroed: written first)
  std::int32_t ts[kBlock];
  double gains[kBlock];
  for (int pass = 0; pass < (m.c > 0 ? 2 : 1); ++pass) {
    const bool miss_left = pass == 1;
    Sums L;
    if (miss_left) add(L, m);
    std::int32_t q = first;
    for (bool done = false; !done;) {
      int n = 0;
      for (; q < kv && n < kBlock; ++q) {
        const std::int32_t t = q < 0 ? 0 : h.bins[q];
        if (q >= 0) add(L, h.sums[q]);
        if ((t == miss - 1 && (miss_left || m.c == 0)) || leaf.sums.c - L.c < min_c) {
          done = true;
          break;
        }
        if (L.c < min_c) continue;  // (the right side has enough rows here)
        lg[n] = L.g;
        lh[n] = L.h;
        lc[n] = L.c;
        ts[n++] = t;
      }
      done = done || q >= kv;
      for (int j = 0; j < n; ++j) {
        const double gl = static_cast<double>(lg[j]) * gs;
        const double hl = static_cast<double>(lh[j]) * hs;
        const double gr = G - gl, hr = H - hl;
        const double ql = gl * gl / (hl > 0 ? hl : 1.0), qr = gr * gr / (hr > 0 ? hr : 1.0);
        gains[j] = (hl > 0 ? ql : 0.0) + (hr > 0 ? qr : 0.0) - parent_gain;
      }
      int at = -1;
      double top = best.gain;
      for (int j = 0; j < n; ++j)
        if (gains[j] > min_gain && gains[j] > top) {
          top = gains[j];
          at = j;
        }
      if (at < 0) continue;
      const Sums LB{lg[at], lh[at], lc[at]};
      double wl = 0, wr = 0;
      ev.outputs(LB, wl, wr);
      record_numeric(top, feature, ts[at], m.c > 0 ? miss_left : LB.c >= leaf.sums.c - LB.c, LB, wl,
                     wr, best);
    }
  }
}

/// find_one_vs_rest() over the non-empty bins.
void one_vs_rest(const CompactHist& h, std::int32_t n_bins, std::int32_t feature,
                 const LeafInfo& leaf, const SplitContext& ctx, SplitInfo& best) {
  const double min_gain = ctx.params->min_split_gain;
  const Evaluator ev(leaf, ctx, 0.0, 0);
  for (std::int32_t q = 0; q < h.k; ++q) {
    Sums L;
    add(L, h.sums[q]);
    const Sums R = minus(leaf.sums, L);
    if (!ev.admissible(L, R)) continue;
    double wl = 0, wr = 0;
    const double g = ev.gain(L, wl, wr);
    if (!(g > min_gain) || !(g > best.gain)) continue;
    if (!ctx.constrained) ev.outputs(L, wl, wr);
    record_categorical(g, {h.bins[q]}, n_bins, feature, L, wl, wr, best);
  }
}

/// Sorts the positions `order[0 .. n)` by `key` ascending, ties kept in their order (the
/// result of a stable sort): insertion sort for the few bins of a small node, else
/// std::stable_sort.
void stable_sort_by(std::vector<std::int32_t>& order, const std::vector<double>& key) {
  const auto n = order.size();
  if (n > 32) {
    std::stable_sort(order.begin(), order.end(), [&](std::int32_t a, std::int32_t b) {
      return key[static_cast<std::size_t>(a)] < key[static_cast<std::size_t>(b)];
    });
    return;
  }
  for (std::size_t i = 1; i < n; ++i) {
    const std::int32_t x = order[i];
    const double kx = key[static_cast<std::size_t>(x)];
    std::size_t j = i;
    for (; j > 0 && kx < key[static_cast<std::size_t>(order[j - 1])]; --j) order[j] = order[j - 1];
    order[j] = x;
  }
}

/// Records categorical split `left_bin` vs the rest with left sums `L` and gain `g` (the
/// children's outputs as many_vs_many() computes them).
void record_one_left(double g, std::int32_t left_bin, std::int32_t n_bins, std::int32_t feature,
                     const Sums& L, const LeafInfo& leaf, const SplitContext& ctx,
                     SplitInfo& best) {
  const GBDTParams& p = *ctx.params;
  const double gl = static_cast<double>(L.g) * ctx.g_unscale;
  const double hl = static_cast<double>(L.h) * ctx.h_unscale;
  const double G = static_cast<double>(leaf.sums.g) * ctx.g_unscale;
  const double H = static_cast<double>(leaf.sums.h) * ctx.h_unscale;
  const double wl = leaf_output(gl, hl, p.reg_alpha, p.reg_lambda, leaf.lo, leaf.hi);
  const double wr = leaf_output(G - gl, H - hl, p.reg_alpha, p.reg_lambda, leaf.lo, leaf.hi);
  const auto words = static_cast<std::size_t>((n_bins + 31) / 32);
  best.gain = g;
  best.feature = feature;
  best.categorical = true;
  best.threshold_bin = -1;
  best.cat_bins.assign(words, 0U);
  best.cat_bins[static_cast<std::size_t>(left_bin) / 32] |=
      1U << (static_cast<unsigned>(left_bin) % 32);
  best.default_left = left_bin == n_bins - 1;
  best.left = L;
  best.left_output = wl;
  best.right_output = wr;
}

/// many_vs_many() for a node where the feature has two non-empty bins, both ordered (count at
/// least cat_smooth): the same two candidates (the lower-rate bin left, then the higher-rate
/// one), the same gains and the same choice, without the general scan's buffers and sort.
/// Returns false (nothing done) when the general scan must run.
template <class Eval>
bool two_vs_one(const CompactHist& h, std::int32_t n_bins, std::int32_t feature,
                const LeafInfo& leaf, const SplitContext& ctx, const Eval& ev, SplitInfo& best) {
  const GBDTParams& p = *ctx.params;
  if (h.k != 2 || static_cast<double>(h.sums[0].c) < p.cat_smooth ||
      static_cast<double>(h.sums[1].c) < p.cat_smooth)
    return false;
  if (std::min(p.max_cat_threshold, 1) < 1) return true;  // no candidate
  auto rate = [&](const Sums& b) {
    return static_cast<double>(b.g) * ctx.g_unscale /
           (static_cast<double>(b.h) * ctx.h_unscale + p.cat_smooth);
  };
  // The stable order by rate: position 1 first only when its rate is strictly lower.
  const std::int32_t first = rate(h.sums[1]) < rate(h.sums[0]) ? 1 : 0;
  double best_gain = best.gain;
  std::int32_t best_q = -1;
  for (int dir = 0; dir < 2; ++dir) {
    const std::int32_t q = dir == 0 ? first : 1 - first;
    const Sums& L = h.sums[q];
    const Sums R = minus(leaf.sums, L);
    if (L.c < p.min_child_samples || static_cast<double>(L.h) * ctx.h_unscale < p.min_child_weight)
      continue;
    if (R.c < p.min_child_samples || static_cast<double>(R.h) * ctx.h_unscale < p.min_child_weight)
      continue;
    if (L.c < p.min_data_per_group) continue;
    double wl = 0, wr = 0;
    const double g = ev.gain(L, wl, wr);
    if (!(g > p.min_split_gain) || !(g > best_gain)) continue;
    best_gain = g;
    best_q = q;
  }
  if (best_q >= 0)
    record_one_left(best_gain, h.bins[best_q], n_bins, feature, h.sums[best_q], leaf, ctx, best);
  return true;
}

/// find_many_vs_many() over the non-empty bins (positions into `h`, ordered by
/// G / (H + cat_smooth), stable). The best candidate is recorded once, after the scan.
template <class Eval>
void many_vs_many(const CompactHist& h, std::int32_t n_bins, std::int32_t feature,
                  const LeafInfo& leaf, const SplitContext& ctx, const Eval& ev, SplitInfo& best) {
  const GBDTParams& p = *ctx.params;
  if (two_vs_one(h, n_bins, feature, leaf, ctx, ev, best)) return;
  thread_local std::vector<std::int32_t> order, left_bins;
  thread_local std::vector<double> ctr;
  order.clear();
  ctr.resize(static_cast<std::size_t>(h.k));
  for (std::int32_t q = 0; q < h.k; ++q) {
    if (static_cast<double>(h.sums[q].c) < p.cat_smooth) continue;
    order.push_back(q);
    ctr[static_cast<std::size_t>(q)] =
        static_cast<double>(h.sums[q].g) * ctx.g_unscale /
        (static_cast<double>(h.sums[q].h) * ctx.h_unscale + p.cat_smooth);
  }
  if (order.size() < 2) return;
  stable_sort_by(order, ctr);
  const auto used = static_cast<int>(order.size());
  const int max_num_cat = std::min(p.max_cat_threshold, (used + 1) / 2);
  auto at = [&](int dir, int i) {
    return order[static_cast<std::size_t>(dir == 0 ? i : used - 1 - i)];
  };
  double best_gain = best.gain;
  int best_dir = -1, best_i = -1;
  Sums best_L;
  for (int dir = 0; dir < 2; ++dir) {
    Sums L;
    Index group = 0;
    for (int i = 0; i < used && i < max_num_cat; ++i) {
      const std::int32_t q = at(dir, i);
      add(L, h.sums[q]);
      group += h.sums[q].c;
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
      if (!(g > p.min_split_gain) || !(g > best_gain)) continue;
      best_gain = g;
      best_dir = dir;
      best_i = i;
      best_L = L;
    }
  }
  if (best_dir < 0) return;
  left_bins.clear();
  for (int i = 0; i <= best_i; ++i) left_bins.push_back(h.bins[at(best_dir, i)]);
  const double gl = static_cast<double>(best_L.g) * ctx.g_unscale;
  const double hl = static_cast<double>(best_L.h) * ctx.h_unscale;
  const double G = static_cast<double>(leaf.sums.g) * ctx.g_unscale;
  const double H = static_cast<double>(leaf.sums.h) * ctx.h_unscale;
  const double wl = leaf_output(gl, hl, p.reg_alpha, p.reg_lambda, leaf.lo, leaf.hi);
  const double wr = leaf_output(G - gl, H - hl, p.reg_alpha, p.reg_lambda, leaf.lo, leaf.hi);
  record_categorical(best_gain, left_bins, n_bins, feature, best_L, wl, wr, best);
}

}  // namespace

void find_best_split_compact(const CompactHist& hist, std::int32_t n_bins, std::int32_t feature,
                             const FeatureBinInfo& info, const LeafInfo& leaf,
                             const SplitContext& ctx, SplitInfo& best) {
  if (info.categorical && info.n_bins <= ctx.params->max_cat_to_onehot) {
    one_vs_rest(hist, n_bins, feature, leaf, ctx, best);
    return;
  }
  const Evaluator ev(leaf, ctx, info.categorical ? ctx.params->cat_l2 : 0.0, 0);
  auto scan = [&](const auto& e) {
    if (info.categorical)
      many_vs_many(hist, n_bins, feature, leaf, ctx, e, best);
    else
      numeric(hist, n_bins, feature, leaf, ctx, e, best);
  };
  if (PlainEvaluator::applies(ev))
    scan(PlainEvaluator{ev});
  else
    scan(ev);
}

}  // namespace churn::tree::detail
