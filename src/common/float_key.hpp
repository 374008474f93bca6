#pragma once
/// @file float_key.hpp
/// The order-preserving unsigned image of a double (never installed): x < y implies
/// key(x) < key(y), so doubles can be radix-sorted, bucketed and compared as integers. One map,
/// in two forms: the raw key keeps -0.0 below +0.0; the folded key maps both to the key of +0.0
/// (they compare equal as doubles). NaN is not accepted: its key lands above +inf or below -inf
/// according to its sign bit.
///
/// Branch-free, so the monitor's per-ISA scan kernels vectorise it; the kernels include this
/// header (through scan_kernel.hpp) before they switch the target, so these functions are
/// compiled for the baseline ISA in every translation unit and inlined into the kernels.

#include <cstdint>  // std::uint64_t
#include <cstring>  // std::memcpy

namespace churn::common {

/// The raw key: the sign bit flipped for non-negative doubles, all bits flipped for negative
/// ones (-0.0 sorts just below +0.0).
inline std::uint64_t ordered_key(double x) noexcept {
  std::uint64_t u;
  std::memcpy(&u, &x, sizeof u);
  return u ^ ((std::uint64_t{0} - (u >> 63)) | (std::uint64_t{1} << 63));
}

/// The folded key: ordered_key(x + 0.0), so -0.0 and +0.0 share the key of +0.0.
inline std::uint64_t ordered_key_folded(double x) noexcept {
  return ordered_key(x + 0.0);
}

/// The double of a raw or folded key: from_ordered_key(ordered_key(x)) has the bits of x.
inline double from_ordered_key(std::uint64_t k) noexcept {
  const std::uint64_t u = k ^ (((k >> 63) - 1) | (std::uint64_t{1} << 63));
  double x;
  std::memcpy(&x, &u, sizeof x);
  return x;
}

}  // namespace churn::common
