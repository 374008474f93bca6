#pragma once
/// @file hash.hpp
/// The hashes churnlib's private hash tables use (never installed): 64-bit integer keys and
/// byte strings (customer ids, category labels). Not cryptographic; results never depend on the
/// hash values, only the speed of the tables.

#include <cstddef>      // std::size_t
#include <cstdint>      // std::int64_t, std::uint64_t
#include <cstring>      // std::memcpy
#include <string_view>  // std::string_view

namespace churn::common {

/// The finaliser of splitmix64 (Stafford's mix 13): spreads every input bit over the output.
inline std::uint64_t mix64(std::uint64_t h) {
  h ^= h >> 31;
  h *= 0x94d049bb133111ebULL;
  h ^= h >> 29;
  return h;
}

/// Hash of an integer key.
inline std::uint64_t hash_int(std::int64_t k) {
  return mix64(static_cast<std::uint64_t>(k) * 0x9E3779B97F4A7C15ULL);
}

/// Hash of a byte string, eight bytes per step (a MurmurHash3-style block mix and its 64-bit
/// finaliser). Every byte reaches the low bits the tables index by: keys that differ only in
/// their last byte, such as the customer ids "C0000001", "C0000002", ..., spread over all
/// slots (a plain multiply would leave the low bits to the first bytes).
inline std::uint64_t hash_bytes(std::string_view s) {
  constexpr std::uint64_t kMul1 = 0x87C37B91114253D5ULL;
  constexpr std::uint64_t kMul2 = 0x4CF5AD432745937FULL;
  const char* p = s.data();
  std::size_t n = s.size();
  std::uint64_t h = 0x9E3779B97F4A7C15ULL ^ (static_cast<std::uint64_t>(n) * kMul2);
  auto mix = [&h](std::uint64_t k) {
    h ^= k * kMul1;
    h = ((h << 31) | (h >> 33)) * kMul2;
  };
  for (; n >= 8; p += 8, n -= 8) {
    std::uint64_t k;
    std::memcpy(&k, p, 8);
    mix(k);
  }
  std::uint64_t k = 0;
  if (n > 0) std::memcpy(&k, p, n);
  mix(k);
  h ^= h >> 33;
  h *= 0xFF51AFD7ED558CCDULL;
  h ^= h >> 33;
  h *= 0xC4CEB9FE1A85EC53ULL;
  h ^= h >> 33;
  return h;
}

}  // namespace churn::common
