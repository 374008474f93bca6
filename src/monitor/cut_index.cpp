#include "monitor/cut_index.hpp"

#include <cmath>    // std::isnan, std::isfinite
#include <limits>   // std::numeric_limits
#include <utility>  // std::move

namespace churn::monitor::detail {

namespace {

constexpr int kTableBits = 12;  // 4096 buckets

}  // namespace

CutIndex::CutIndex(const std::vector<double>& cuts) : cuts_(cuts), n_(cuts.size()) {
  for (auto& c : cuts_) c = c + 0.0;  // -0.0 -> +0.0
  struct Pad {                        // appends the sentinels on every return path
    std::vector<double>& v;
    ~Pad() { v.resize(v.size() + 4, std::numeric_limits<double>::infinity()); }
  } pad{cuts_};
  if (cuts_.size() < 2) return;
  constexpr std::size_t kBuckets = std::size_t{1} << kTableBits;
  auto fill = [&](auto bucket_of, std::size_t n_buckets, std::vector<std::uint32_t>& first) {
    first.assign(n_buckets + 1, 0);
    for (double c : cuts_) ++first[bucket_of(c) + 1];
    std::uint32_t fullest = 0;
    for (std::size_t b = 1; b <= n_buckets; ++b) fullest = std::max(fullest, first[b]);
    for (std::size_t b = 1; b <= n_buckets; ++b) first[b] += first[b - 1];
    return fullest;
  };
  // key table
  key_lo_ = common::ordered_key(cuts_.front());
  key_hi_ = common::ordered_key(cuts_.back());
  const std::uint64_t range = key_hi_ - key_lo_;
  shift_ = 0;
  while ((range >> shift_) >= kBuckets) ++shift_;
  const std::uint32_t key_fullest = fill(
      [&](double c) {
        return static_cast<std::size_t>((common::ordered_key(c) - key_lo_) >> shift_);
      },
      static_cast<std::size_t>(range >> shift_) + 1, first_);
  table_ = Table::Key;
  // linear table, when the range is finite
  lo_ = cuts_.front();
  hi_ = cuts_.back();
  const double width = hi_ - lo_;
  // (a scale that overflows, for a range of a few subnormals, would make the cast undefined)
  if (std::isfinite(width) && width > 0 && std::isfinite(static_cast<double>(kBuckets) / width)) {
    scale_ = static_cast<double>(kBuckets) / width;
    last_bucket_ = kBuckets - 1;
    std::vector<std::uint32_t> lin;
    const std::uint32_t lin_fullest = fill(
        [&](double c) {
          return std::min(static_cast<std::size_t>((c - lo_) * scale_), last_bucket_);
        },
        kBuckets, lin);
    if (lin_fullest <= key_fullest) {
      first_ = std::move(lin);
      table_ = Table::Linear;
    }
  }
}

void CutIndex::count(const double* x, Index n, std::int64_t* s) const {
  const std::size_t nc = n_cells();
  if (nc == 1) {
    for (Index i = 0; i < n; ++i) ++s[(std::isnan(x[i]) ? 4 : 0) + static_cast<std::size_t>(i & 3)];
    return;
  }
  for (Index i = 0; i < n; ++i) {
    const double v = x[i];
    const std::size_t slot = std::isnan(v) ? 4 * nc : 4 * find(v);
    ++s[slot + static_cast<std::size_t>(i & 3)];
  }
}

void CutIndex::flush(std::int64_t* s, std::int64_t* cells, std::int64_t& missing) const {
  const std::size_t nc = n_cells();
  for (std::size_t k = 0; k < nc; ++k) {
    cells[k] += s[4 * k] + s[4 * k + 1] + s[4 * k + 2] + s[4 * k + 3];
    s[4 * k] = s[4 * k + 1] = s[4 * k + 2] = s[4 * k + 3] = 0;
  }
  missing += s[4 * nc] + s[4 * nc + 1] + s[4 * nc + 2] + s[4 * nc + 3];
  s[4 * nc] = s[4 * nc + 1] = s[4 * nc + 2] = s[4 * nc + 3] = 0;
}

void CutIndex::count(const double* x, Index n, std::int64_t* cells, std::int64_t& missing) const {
  std::vector<std::int64_t> s(scratch_size(), 0);
  count(x, n, s.data());
  flush(s.data(), cells, missing);
}

}  // namespace churn::monitor::detail
