// The kernels of the performance estimator: normal quantile, binomial tail, isotonic map, and
// the per-chunk metrics (CBPE estimates, realised values, delta-method standard errors).
#include <algorithm>  // std::sort, std::min, std::max
#include <cmath>      // std::sqrt, std::log, std::exp, std::erfc, std::lgamma
#include <limits>     // std::numeric_limits

#include "churn/core/parallel.hpp"  // parallel_for_blocks
#include "common/float_key.hpp"     // ordered_key_folded
#include "common/radix_sort.hpp"    // radix_sort
#include "monitor/estimate_detail.hpp"

namespace churn::monitor::detail {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

/// U, the Mann-Whitney count (ties half) of the masses p (positive) and 1 - p (negative) in
/// score order, over the tie groups of `rows` (sorted by score). Also P and N.
struct RankSums {
  double u = 0, pos = 0, neg = 0;
};

RankSums rank_sums(const std::vector<ScoredMass>& rows) {
  RankSums r;
  const auto n = static_cast<Index>(rows.size());
  for (Index i = 0; i < n;) {
    Index j = i;
    double pg = 0, ng = 0;
    for (; j < n && rows[j].s == rows[i].s; ++j) {
      pg += rows[j].p;
      ng += 1.0 - rows[j].p;
    }
    r.u += pg * (r.neg + 0.5 * ng);
    r.pos += pg;
    r.neg += ng;
    i = j;
  }
  return r;
}

/// The delta-method standard error of AUC = U / (P N) in the labels at y = p.
double auc_se(const std::vector<ScoredMass>& rows, const RankSums& r) {
  const auto n = static_cast<Index>(rows.size());
  double diag = 0;
  for (const auto& row : rows) diag += row.p * (1.0 - row.p);
  const double pn = r.pos * r.neg;
  const double a0 = (r.u - 0.5 * diag) / pn;  // U without the pairs of a row with itself
  double var = 0, neg_below = 0, pos_below = 0;
  for (Index i = 0; i < n;) {
    Index j = i;
    double pg = 0, ng = 0;
    for (; j < n && rows[j].s == rows[i].s; ++j) {
      pg += rows[j].p;
      ng += 1.0 - rows[j].p;
    }
    const double pos_above = r.pos - pos_below - pg;
    for (Index k = i; k < j; ++k) {
      const double pk = rows[k].p;
      const double du =
          neg_below + 0.5 * (ng - (1.0 - pk)) - pos_above - 0.5 * (pg - pk);  // dU/dy_k
      const double g = (du - a0 * (r.neg - r.pos)) / pn;
      var += g * g * pk * (1.0 - pk);
    }
    neg_below += ng;
    pos_below += pg;
    i = j;
  }
  return std::sqrt(std::max(var, 0.0));
}

double ratio(double a, double b) {
  return b > 0 ? a / b : kNaN;
}

}  // namespace

std::vector<double> isotonic_map(const std::vector<std::int64_t>& pos,
                                 const std::vector<std::int64_t>& neg) {
  const auto bins = static_cast<Index>(pos.size());
  struct Block {
    std::int64_t p, n;  // positives, rows
    Index first, last;  // bins
    double rate() const { return static_cast<double>(p) / static_cast<double>(n); }
  };
  std::vector<Block> blocks;
  for (Index b = 0; b < bins; ++b) {
    const std::int64_t n = pos[b] + neg[b];
    if (n == 0) continue;
    blocks.push_back({pos[b], n, b, b});
    while (blocks.size() > 1 && blocks[blocks.size() - 2].rate() >= blocks.back().rate()) {
      Block top = blocks.back();
      blocks.pop_back();
      blocks.back().p += top.p;
      blocks.back().n += top.n;
      blocks.back().last = top.last;
    }
  }
  std::vector<double> out(static_cast<std::size_t>(bins), kNaN);
  // the value of every non-empty bin, then linear interpolation between their centres
  std::vector<Index> filled;
  for (const Block& k : blocks)
    for (Index b = k.first; b <= k.last; ++b)
      if (pos[b] + neg[b] > 0) {
        out[b] = k.rate();
        filled.push_back(b);
      }
  if (filled.empty()) return out;
  for (Index b = 0; b < filled.front(); ++b) out[b] = out[filled.front()];
  for (Index b = filled.back() + 1; b < bins; ++b) out[b] = out[filled.back()];
  for (std::size_t k = 0; k + 1 < filled.size(); ++k) {
    const Index lo = filled[k], hi = filled[k + 1];
    for (Index b = lo + 1; b < hi; ++b) {
      const double w = static_cast<double>(b - lo) / static_cast<double>(hi - lo);
      out[b] = out[lo] + w * (out[hi] - out[lo]);
    }
  }
  return out;
}

Vector apply_map(const std::vector<double>& map, const VectorRef& score, int bins, int n_threads) {
  Vector p(score.size());
  parallel_for_blocks(0, score.size(), Index{1} << 16, n_threads, [&](Index lo, Index hi) {
    for (Index i = lo; i < hi; ++i) p[i] = map[static_cast<std::size_t>(score_bin(score[i], bins))];
  });
  return p;
}

PerformanceMetrics chunk_metrics(const double* s, const double* p, Index n,
                                 const EstimatorParams& params, ChunkScratch& scratch,
                                 PerformanceMetrics* se) {
  // rows by score, stably: ties keep their row order, so every run adds in the same order
  std::vector<ScoredMass>& rows = scratch.rows;
  rows.resize(static_cast<std::size_t>(n));
  for (Index i = 0; i < n; ++i) rows[static_cast<std::size_t>(i)] = {s[i], p[i]};
  common::radix_sort<8>(rows, scratch.buffer,
                        [](const ScoredMass& m) { return common::ordered_key_folded(m.s); });
  const RankSums r = rank_sums(rows);
  double k = 0, tp = 0, var_all = 0, var_t = 0;
  for (Index i = 0; i < n; ++i) {
    const double v = p[i] * (1.0 - p[i]);
    var_all += v;
    if (s[i] >= params.threshold) {
      k += 1;
      tp += p[i];
      var_t += v;
    }
  }
  const double nd = static_cast<double>(n), gain = params.success_rate * params.value_retained;
  PerformanceMetrics m;
  m.roc_auc = (r.pos > 0 && r.neg > 0) ? r.u / (r.pos * r.neg) : kNaN;
  m.precision = ratio(tp, k);
  m.recall = ratio(tp, r.pos);
  m.f1 = ratio(2 * tp, k + r.pos);
  m.churn_rate = r.pos / nd;
  m.churners = r.pos;
  m.campaign_value = gain * tp - params.offer_cost * k;
  if (se == nullptr) return m;
  se->roc_auc = std::isnan(m.roc_auc) ? kNaN : auc_se(rows, r);
  se->precision = ratio(std::sqrt(var_t), k);
  const double rc = m.recall, f = m.f1, var_u = var_all - var_t;
  se->recall = ratio(std::sqrt((1 - rc) * (1 - rc) * var_t + rc * rc * var_u), r.pos);
  se->f1 = ratio(std::sqrt((2 - f) * (2 - f) * var_t + f * f * var_u), k + r.pos);
  se->churn_rate = std::sqrt(var_all) / nd;
  se->churners = std::sqrt(var_all);
  se->campaign_value = gain * std::sqrt(var_t);
  return m;
}

MetricBand make_band(double estimate, double se, double z, double lo, double hi) {
  MetricBand b;
  b.estimated = estimate;
  if (std::isnan(estimate) || std::isnan(se)) return b;
  b.lower = std::min(std::max(estimate - z * se, lo), hi);
  b.upper = std::max(std::min(estimate + z * se, hi), lo);
  return b;
}

}  // namespace churn::monitor::detail
