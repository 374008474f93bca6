#pragma once
/// @file split_key.hpp
/// The signed order-preserving key of a split value (private; never installed): the tree
/// predictors (packed_trees.cpp, quick_scorer.cpp) compare rows with thresholds as int64 keys,
/// so that NaN can take a key of its own (the largest or the smallest) and go its default way
/// with the same compare.

#include <cstdint>  // std::int64_t
#include <cstring>  // std::memcpy
#include <limits>   // std::numeric_limits

namespace churn::tree::detail {

/// Larger than the key of any double: the key of NaN that goes right (as +inf would, and beyond).
constexpr std::int64_t kKeyMax = std::numeric_limits<std::int64_t>::max();
/// Smaller than the key of any double: the key of NaN that goes left.
constexpr std::int64_t kKeyMin = std::numeric_limits<std::int64_t>::min();

/// The key of a value that is not NaN: `a <= b` iff `key_of(a) <= key_of(b)` (-0.0 and +0.0
/// share a key; -inf and +inf lie strictly inside (kKeyMin, kKeyMax)).
inline std::int64_t key_of(double v) {
  v += 0.0;  // -0.0 -> +0.0
  std::int64_t b;
  std::memcpy(&b, &v, sizeof(b));
  return b ^ ((b >> 63) & kKeyMax);
}

}  // namespace churn::tree::detail
