#include "monitor/feature_state.hpp"

#include <algorithm>  // std::sort, std::unique, std::upper_bound, std::lower_bound, std::min
#include <cmath>      // std::nextafter, std::isfinite, std::sqrt

namespace churn::monitor::detail {

// A batch is counted on the cuts: the edges e_0 .. e_{m-1}, the double above the last
// edge e_m, and the double above each KS point, sorted and distinct. A value's cell is the number
// of cuts at or below it, so cell 0 lies below the edges, the last cell above them, each cell
// falls in one PSI bin (bin_of_cell) and "value <= KS point j" is "cell <= ks_cell[j]".
void FeatureState::prepare() {
  cuts.clear();
  if (!edges.empty()) {
    const double inf = std::numeric_limits<double>::infinity();
    cuts.push_back(edges.front());
    for (std::size_t i = 1; i + 1 < edges.size(); ++i) cuts.push_back(edges[i]);
    cuts.push_back(std::nextafter(edges.back(), inf));
    for (double g : ks) cuts.push_back(std::nextafter(g, inf));
    std::sort(cuts.begin(), cuts.end());
    cuts.erase(std::unique(cuts.begin(), cuts.end()), cuts.end());
  }
  index = CutIndex(cuts);
  counter.reset();
  if (cuts.size() >= 2 && cuts.size() <= CellCounter::kMaxCuts)
    counter = std::make_shared<const CellCounter>(cuts);
  const std::size_t nc = cuts.size() + 1;
  bin_of_cell.assign(nc, 0);
  // inner edges e_1..e_{m-1} at or below each cell's lower bound: a binary search when they
  // are sorted (always, but for a damaged file), else counted (was always counted: O(cells x
  // edges), 4.6 s per column at bins=100000)
  const auto inner_lo = edges.size() > 2 ? edges.begin() + 1 : edges.end();
  const auto inner_hi = edges.size() > 2 ? edges.end() - 1 : edges.end();
  const bool sorted = std::is_sorted(inner_lo, inner_hi);
  for (std::size_t c = 1; c < nc; ++c) {
    std::size_t b = 0;
    if (sorted) {
      b = static_cast<std::size_t>(std::upper_bound(inner_lo, inner_hi, cuts[c - 1]) - inner_lo);
    } else {
      for (auto it = inner_lo; it != inner_hi; ++it) b += *it <= cuts[c - 1] ? 1 : 0;
    }
    bin_of_cell[c] = std::min(b, n_bins() - 1);
  }
  ks_cell.clear();
  for (double g : ks) {
    const double cut = std::nextafter(g, std::numeric_limits<double>::infinity());
    ks_cell.push_back(
        static_cast<std::size_t>(std::lower_bound(cuts.begin(), cuts.end(), cut) - cuts.begin()));
  }
  cells.assign(nc, 0);
}

std::unique_ptr<FeatureState> FeatureState::empty_copy() const {
  auto s = std::make_unique<FeatureState>();
  s->name = name;
  s->dtype = dtype;
  s->kind = kind;
  s->edges = edges;
  s->ks = ks;
  s->quantiles = quantiles;
  s->cuts = cuts;
  s->index = index;
  s->counter = counter;
  s->bin_of_cell = bin_of_cell;
  s->ks_cell = ks_cell;
  s->shift = shift;
  s->cells.assign(cells.size(), 0);
  return s;
}

std::vector<std::int64_t> FeatureState::bin_counts() const {
  std::vector<std::int64_t> b(n_bins() + 1, 0);
  for (std::size_t c = 0; c < cells.size(); ++c) b[bin_of_cell[c]] += cells[c];
  b.back() = missing;
  return b;
}

void mean_std(const FeatureState& s, double& mean, double& sd) {
  using common::dd_add;
  using common::dd_div;
  using common::dd_mul;
  using DD = common::DoubleDouble;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const std::int64_t n = s.values();
  mean = sd = nan;
  if (n == 0) return;
  DD s1, s2;
  s.sum.value(s1.hi, s1.lo);
  s.sumsq.value(s2.hi, s2.lo);
  const auto dn = static_cast<double>(n);
  mean = dd_div(s1, dn).hi;
  if (n < 2) return;
  if (!std::isfinite(s1.hi) || !std::isfinite(s2.hi)) return;
  // sum (x - m)^2 = sum (x - shift)^2 - n (m - shift)^2
  const DD dm = dd_add(dd_div(s1, dn), DD{-s.shift, 0.0});
  const DD corr = dd_mul(dd_mul(dm, dm), DD{dn, 0.0});
  const DD centered = dd_add(s2, DD{-corr.hi, -corr.lo});
  const double var = dd_div(centered, dn - 1.0).hi;
  sd = std::sqrt(std::max(var, 0.0));
}

}  // namespace churn::monitor::detail
