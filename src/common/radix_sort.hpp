#pragma once
/// @file radix_sort.hpp
/// Stable LSD radix sort by a 64-bit unsigned key (never installed), and the sort of doubles
/// built on it: metrics' ranking orders scores with it, the monitor its sorted samples.

#include <algorithm>  // std::stable_sort, std::sort
#include <array>      // std::array
#include <cstddef>    // std::size_t
#include <cstdint>    // std::uint64_t
#include <vector>     // std::vector

#include "common/float_key.hpp"  // ordered_key

namespace churn::common {

/// Sorts `a` ascending by `key(a[i])` (a std::uint64_t), stably: an LSD radix sort of `Bits`-bit
/// digits (ceil(64 / Bits) passes, one histogram pass first) that skips the digits on which all
/// keys agree; fewer than `small_n` elements go to std::stable_sort by key. `scratch` is working
/// space (resized to a.size()). Bits = 11 suits general keys (six passes); 8 (eight passes, small
/// histograms) suits keys that share their high bytes, such as doubles of one range.
template <int Bits = 11, class T, class KeyOf>
void radix_sort(std::vector<T>& a, std::vector<T>& scratch, KeyOf key, std::size_t small_n = 512) {
  static_assert(Bits >= 1 && Bits <= 16, "radix_sort: digits of 1 to 16 bits");
  const std::size_t n = a.size();
  if (n < 2) return;
  if (n < small_n) {
    std::stable_sort(a.begin(), a.end(), [&](const T& l, const T& r) { return key(l) < key(r); });
    return;
  }
  constexpr int kPasses = (64 + Bits - 1) / Bits;
  constexpr std::size_t kBuckets = std::size_t{1} << Bits;
  constexpr std::uint64_t kMask = kBuckets - 1;
  std::vector<std::array<std::size_t, kBuckets>> hist(kPasses);
  for (auto& h : hist) h.fill(0);
  for (const T& e : a) {
    const std::uint64_t k = key(e);
    for (int p = 0; p < kPasses; ++p) ++hist[p][(k >> (p * Bits)) & kMask];
  }
  scratch.resize(n);
  for (int p = 0; p < kPasses; ++p) {
    auto& h = hist[p];
    const int shift = p * Bits;
    if (h[(key(a[0]) >> shift) & kMask] == n) continue;  // one digit value: nothing moves
    std::size_t sum = 0;
    for (std::size_t b = 0; b < kBuckets; ++b) {
      const std::size_t c = h[b];
      h[b] = sum;
      sum += c;
    }
    T* out = scratch.data();
    for (const T& e : a) out[h[(key(e) >> shift) & kMask]++] = e;
    a.swap(scratch);
  }
}

/// Sorts doubles (not NaN) ascending: from `small_n` values a radix sort of their raw
/// ordered_key (8-bit digits), which puts -0.0 before +0.0; below it std::sort, which leaves
/// the order of -0.0 and +0.0 to its pivots (as before the sorts were merged: the monitor's
/// sorted samples, and the medians taken from them, keep their bits).
void sort_doubles(std::vector<double>& v, std::size_t small_n = 4096);

}  // namespace churn::common
