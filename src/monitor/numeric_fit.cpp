#include "monitor/numeric_fit.hpp"

#include <algorithm>  // std::nth_element, std::count_if, std::upper_bound, std::max
#include <cmath>      // std::isfinite
#include <limits>     // std::numeric_limits

#include "common/quantile.hpp"

namespace churn::monitor::detail {

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
