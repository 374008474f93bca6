#include "monitor/bucket_map.hpp"

#include <algorithm>  // std::min, std::max
#include <cmath>      // std::isfinite
#include <limits>     // std::numeric_limits

#include "common/float_key.hpp"
#include "monitor/scan_kernel.hpp"

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

}  // namespace churn::monitor::detail
