#include "monitor/numeric_fit.hpp"

#include <algorithm>  // std::nth_element, std::count_if, std::upper_bound, std::max
#include <cmath>      // std::isfinite
#include <limits>     // std::numeric_limits

#include "common/quantile.hpp"

namespace churn::monitor::detail {

// ---- BucketMap --------------------------------------------------------------------------------

bool BucketMap::candidates(double lo, double hi, std::uint32_t n_buckets, BucketMap& key,
                           BucketMap& lin) {
  lo = lo + 0.0;
  hi = hi + 0.0;
  key = BucketMap();
  key.n_buckets = n_buckets;
  key.linear = false;
  key.key_lo = common::ordered_key(lo);
  const std::uint64_t range = common::ordered_key(hi) - key.key_lo;
  while ((range >> key.shift) >= n_buckets) ++key.shift;
  const double width = hi - lo;
  if (!(std::isfinite(width) && width > 0 && std::isfinite(static_cast<double>(n_buckets) / width)))
    return false;
  lin = BucketMap();
  lin.n_buckets = n_buckets;
  lin.linear = true;
  lin.lo = lo;
  lin.scale = static_cast<double>(n_buckets) / width;
  return true;
}

BucketMap BucketMap::from_sample(const std::vector<double>& sorted, std::uint32_t n_buckets) {
  BucketMap key, lin;
  if (!candidates(sorted.front(), sorted.back(), n_buckets, key, lin)) return key;
  auto fullest = [&](const BucketMap& m) {
    std::vector<std::uint32_t> h(2 * (n_buckets + 1), 0);
    std::vector<std::uint16_t> idx(sorted.size());
    scan_hist(m, sorted.data(), sorted.size(), h.data(), idx.data());
    std::uint32_t top = 0;
    for (std::uint32_t b = 0; b <= n_buckets; ++b) top = std::max(top, h[b] + h[n_buckets + 1 + b]);
    return top;
  };
  return fullest(lin) <= fullest(key) ? lin : key;
}

// ---- CellCounter ------------------------------------------------------------------------------

namespace {

/// The map for a CellCounter: the key map over the cuts' range, or a linear map over it or over
/// all but up to two cuts at either end (a heavy tail's far minimum and maximum, which then
/// share the end buckets), whichever is cheapest for the data: values in a bucket with one or
/// two cuts cost comparisons, in a bucket with more a binary search. The data is pictured from
/// the cuts themselves (mostly quantiles: about as much data between any two neighbours) as
/// evenly spread points between neighbouring cuts.
BucketMap cell_map(const std::vector<double>& cuts, std::uint32_t n_buckets) {
  constexpr int kPerGap = 32;
  constexpr std::size_t kSearchCost = 8;  // a value of a bucket with 3+ cuts, vs 1 with 1 or 2
  auto cost = [&](const BucketMap& m) {
    std::vector<std::uint8_t> n_cuts(n_buckets + 1, 0);
    for (double c : cuts) {
      std::uint8_t& k = n_cuts[m.bucket(c)];
      k = static_cast<std::uint8_t>(std::min(k + 1, 3));
    }
    std::size_t total = 0;
    for (std::size_t j = 0; j + 1 < cuts.size(); ++j) {
      const double gap = cuts[j + 1] - cuts[j];
      if (!std::isfinite(gap)) continue;
      for (int k = 0; k < kPerGap; ++k) {
        const std::uint8_t c = n_cuts[m.bucket(cuts[j] + (k + 0.5) / kPerGap * gap)];
        total += c == 0 ? 0 : c < 3 ? 1 : kSearchCost;
      }
    }
    return total;
  };
  BucketMap best, lin;  // best: the key map over all the cuts to start with
  if (!BucketMap::candidates(cuts.front(), cuts.back(), n_buckets, best, lin)) return best;
  std::size_t best_cost = cost(best);
  const std::size_t m = cuts.size();
  for (std::size_t lo = 0; lo <= 2; ++lo)  // cuts left out at the low end
    for (std::size_t hi = 0; hi <= 2; ++hi) {
      BucketMap unused_key;
      if (lo + hi + 2 > m ||
          !BucketMap::candidates(cuts[lo], cuts[m - 1 - hi], n_buckets, unused_key, lin))
        continue;
      const std::size_t c = cost(lin);
      if (c < best_cost) {
        best = lin;
        best_cost = c;
      }
    }
  return best;
}

}  // namespace

CellCounter::CellCounter(const std::vector<double>& cuts)
    : map(cell_map(cuts, kBuckets)),
      n_cells(cuts.size() + 1),
      lut(kBuckets + 2, 0),
      cut1(kBuckets, std::numeric_limits<double>::quiet_NaN()),
      cut2(kBuckets, std::numeric_limits<double>::quiet_NaN()) {
  std::size_t j = 0;  // cuts in buckets before b
  for (std::uint32_t b = 0; b < kBuckets; ++b) {
    lut[b] = static_cast<std::uint16_t>(j);
    std::size_t k = 0;  // cuts in b
    for (; j < cuts.size() && map.bucket(cuts[j]) == b; ++j, ++k) {
      if (k == 0) cut1[b] = cuts[j];
      if (k == 1) cut2[b] = cuts[j];
    }
    if (k > 0) lut[b] = static_cast<std::uint16_t>(lut[b] | (k <= 2 ? kCuts : kSlow));
  }
  lut[kBuckets] = static_cast<std::uint16_t>(n_cells);  // NaN: the missing slot
}

// ---- RadixFit ---------------------------------------------------------------------------------

RadixFit::RadixFit(const double* x, std::size_t n_rows, const std::vector<double>& sample,
                   double shift)
    : x_(x),
      n_rows_(n_rows),
      sample_(sample),
      shift_(shift),
      map_(BucketMap::from_sample(sample, kBuckets)),
      hist_(kBuckets + 1, 0),
      min_(std::numeric_limits<double>::infinity()),
      max_(-std::numeric_limits<double>::infinity()) {}

void RadixFit::begin(std::uint16_t* idx) {
  if (idx) {
    idx_ = idx;
  } else {
    own_idx_.resize(n_rows_);
    idx_ = own_idx_.data();
  }
}

void RadixFit::pass1(std::size_t lo, std::size_t hi) {
  constexpr std::size_t kSub = 4096;
  thread_local std::vector<std::uint32_t> h;
  h.assign(2 * (kBuckets + 1), 0);
  double mn = std::numeric_limits<double>::infinity(), mx = -mn;
  std::int64_t n_inf = 0;
  ExactSum s, sq;
  for (std::size_t a = lo; a < hi; a += kSub) {
    const std::size_t len = std::min(kSub, hi - a);
    scan_hist(map_, x_ + a, len, h.data(), idx_ + a);
    scan_stats(x_ + a, len, shift_, mn, mx, n_inf, s, sq);
  }
  std::lock_guard<std::mutex> g(mu_);
  for (std::size_t b = 0; b <= kBuckets; ++b) hist_[b] += h[b] + h[kBuckets + 1 + b];
  min_ = std::min(min_, mn);
  max_ = std::max(max_, mx);
  n_inf_ += n_inf;
  sum_.merge(s);
  sumsq_.merge(sq);
}

std::uint32_t RadixFit::bucket_of_rank(std::size_t rank) const {
  // the last bucket b with prefix_[b] <= rank
  const auto r = static_cast<std::int64_t>(rank);
  const auto it = std::upper_bound(prefix_.begin(), prefix_.begin() + kBuckets, r);
  return static_cast<std::uint32_t>(it - prefix_.begin() - 1);
}

bool RadixFit::plan(const std::vector<std::size_t>& ranks, const std::vector<double>& cuts) {
  prefix_.assign(kBuckets + 1, 0);
  for (std::uint32_t b = 0; b < kBuckets; ++b) prefix_[b + 1] = prefix_[b] + hist_[b];
  std::vector<char> target(kBuckets, 0);
  for (std::size_t r : ranks) target[bucket_of_rank(r)] = 1;
  for (double c : cuts) target[map_.bucket(c)] = 1;
  slot_.assign(kBuckets + 1, 0);
  rep_.assign(1, 0.0);
  slot_bucket_.assign(1, 0);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (std::uint32_t b = 0; b < kBuckets; ++b) {
    if (!target[b] || hist_[b] == 0) continue;
    if (rep_.size() > 65535) return false;
    slot_[b] = static_cast<std::uint16_t>(rep_.size());
    slot_bucket_.push_back(b);
    // the representative: the middle sample value in the bucket (the sample is sorted and
    // the map monotone), NaN when the sample has none
    const auto first = std::partition_point(sample_.begin(), sample_.end(),
                                            [&](double v) { return map_.bucket(v) < b; });
    const auto last =
        std::partition_point(first, sample_.end(), [&](double v) { return map_.bucket(v) <= b; });
    rep_.push_back(first == last ? nan : *(first + (last - first) / 2));
  }
  return true;
}

void RadixFit::pass2(std::size_t lo, std::size_t hi) {
  thread_local std::vector<double> out;
  if (out.size() < hi - lo) out.resize(hi - lo);
  const std::size_t w =
      scan_gather(x_ + lo, idx_ + lo, hi - lo, slot_.data(), rep_.data(), out.data());
  std::lock_guard<std::mutex> g(mu_);
  gathered_.insert(gathered_.end(), out.begin(), out.begin() + static_cast<std::ptrdiff_t>(w));
}

bool RadixFit::finish() {
  std::vector<std::uint16_t>().swap(own_idx_);
  idx_ = nullptr;
  const std::size_t n_slots = rep_.size();
  begin_.assign(n_slots + 1, 0);
  std::vector<std::uint16_t> s_of(gathered_.size());
  for (std::size_t i = 0; i < gathered_.size(); ++i) {
    s_of[i] = slot_[map_.bucket(gathered_[i])];
    ++begin_[s_of[i] + 1u];
  }
  for (std::size_t s = 1; s <= n_slots; ++s) begin_[s] += begin_[s - 1];
  // grouped by slot (not sorted: value_at and count_lt select and count within a slot); -0.0
  // as +0.0, so that the result does not depend on the order the threads gathered in
  std::vector<double> grouped(gathered_.size());
  {
    std::vector<std::size_t> next(begin_.begin(), begin_.end() - 1);
    for (std::size_t i = 0; i < gathered_.size(); ++i)
      grouped[next[s_of[i]]++] = gathered_[i] + 0.0;
  }
  gathered_.swap(grouped);
  eq_.assign(n_slots, 0);
  for (std::size_t s = 1; s < n_slots; ++s) {
    eq_[s] = hist_[slot_bucket_[s]] - static_cast<std::int64_t>(begin_[s + 1] - begin_[s]);
    if (eq_[s] < 0 || (eq_[s] > 0 && rep_[s] != rep_[s])) return false;
  }
  return begin_[1] == 0;  // nothing outside the targets was gathered
}

double RadixFit::value_at(std::size_t rank, bool& ok) {
  const std::uint32_t b = bucket_of_rank(rank);
  const std::size_t s = slot_[b];
  if (s == 0) {
    ok = false;
    return 0.0;
  }
  const auto first = gathered_.begin() + static_cast<std::ptrdiff_t>(begin_[s]);
  const auto last = gathered_.begin() + static_cast<std::ptrdiff_t>(begin_[s + 1]);
  auto within = static_cast<std::int64_t>(rank) - prefix_[b];
  // the slot's values in order: the gathered ones below the representative, eq_ copies of it,
  // the gathered ones above (none is equal to it)
  if (eq_[s] > 0) {
    const double r = rep_[s];
    const std::int64_t less = std::count_if(first, last, [r](double v) { return v < r; });
    if (within >= less && within < less + eq_[s]) return r;
    if (within >= less) within -= eq_[s];
  }
  const auto nth = first + static_cast<std::ptrdiff_t>(within);
  std::nth_element(first, nth, last);
  return *nth;
}

std::vector<std::size_t> RadixFit::ranks_of_levels(const std::vector<double>& levels,
                                                   std::size_t n) {
  std::vector<std::size_t> ranks;
  ranks.reserve(2 * levels.size());
  for (double q : levels) {
    std::size_t a = 0, b = 0;
    common::linear_quantile_ranks(q, n, a, b);
    ranks.push_back(a);
    ranks.push_back(b);
  }
  return ranks;
}

std::vector<double> RadixFit::quantiles(const std::vector<double>& levels, bool& ok) {
  const std::size_t n = n_values();
  std::vector<double> q;
  q.reserve(levels.size());
  for (double level : levels) {
    std::size_t a = 0, b = 0;
    common::linear_quantile_ranks(level, n, a, b);
    q.push_back(common::linear_quantile_lerp(level, n, value_at(a, ok), value_at(b, ok)));
  }
  return q;
}

bool RadixFit::count_le_in(double c, std::uint32_t b, bool strict, std::int64_t& out) const {
  const std::size_t s = slot_[b];
  out = prefix_[b];
  if (s == 0) return hist_[b] == 0;
  const auto first = gathered_.begin() + static_cast<std::ptrdiff_t>(begin_[s]);
  const auto last = gathered_.begin() + static_cast<std::ptrdiff_t>(begin_[s + 1]);
  out += std::count_if(first, last, [=](double v) { return v < c || (!strict && v == c); });
  if (strict ? rep_[s] < c : rep_[s] <= c) out += eq_[s];
  return true;
}

bool RadixFit::count_lt(double c, std::int64_t& out) const {
  if (count_le_in(c, map_.bucket(c), true, out)) return true;
  // values < c are the values <= the double below c, whose bucket may be a target (a cut just
  // above a planned value, e.g. a KS point)
  const double below = std::nextafter(c, -std::numeric_limits<double>::infinity());
  return count_le_in(below, map_.bucket(below), false, out);
}

}  // namespace churn::monitor::detail
