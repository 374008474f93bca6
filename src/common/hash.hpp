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

/// Hash of a byte string, eight bytes per multiply.
inline std::uint64_t hash_bytes(std::string_view s) {
  std::uint64_t h = 0x9E3779B97F4A7C15ULL ^ s.size();
  std::size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    std::uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    h = (h ^ w) * 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 31;
  }
  if (i < s.size()) {
    std::uint64_t w = 0;
    std::memcpy(&w, s.data() + i, s.size() - i);
    h = (h ^ w) * 0xbf58476d1ce4e5b9ULL;
  }
  return mix64(h);
}

}  // namespace churn::common
