#pragma once
/// @file flat_index.hpp
/// churnlib's private hash dictionary (never installed): an open-addressing map from a key to a
/// dense code 0, 1, 2, ... in order of first insertion, for turning ids and labels into array
/// indices (the event aggregator's customer ids).
///
/// Layout: a power-of-two array of 8-byte slots (the upper 32 bits of the key's hash as a tag,
/// and the code, -1 when empty) with linear probing, plus the keys in code order. A probe compares
/// the full key only when the tags agree. The table keeps its load at most 1/2: sized up front
/// for `capacity` keys it never grows while it holds at most that many; past it, insert() doubles
/// the slots and rehashes. Codes never depend on the hash or on the growth, only on the order of
/// insertion.
///
/// Thread safety: find(), size() and keys() may run concurrently on one object; insert() needs
/// exclusive access.

#include <cstddef>      // std::size_t
#include <cstdint>      // std::int32_t, std::int64_t, std::uint32_t, std::uint64_t
#include <string_view>  // std::string_view
#include <vector>       // std::vector

#include "common/hash.hpp"

namespace churn::common {

/// The hash FlatIndex uses for a key type: hash_int for 64-bit integers, hash_bytes for byte
/// strings. Other key types (or a test's deliberately poor hash) pass their own functor.
template <class Key>
struct FlatHash;

template <>
struct FlatHash<std::int64_t> {
  std::uint64_t operator()(std::int64_t k) const { return hash_int(k); }
};

template <>
struct FlatHash<std::string_view> {
  std::uint64_t operator()(std::string_view s) const { return hash_bytes(s); }
};

/// Open-addressing map from a key to a dense code 0, 1, ... in order of insertion (see the file
/// comment). `Key` is a small value type compared with `==` (an integer, or a string_view into
/// storage the caller keeps alive as long as the index); `Hash` is a default-constructible functor
/// returning a 64-bit hash. At most 2^31 - 1 keys.
template <class Key, class Hash = FlatHash<Key>>
class FlatIndex {
 public:
  /// An empty index sized for `capacity` keys (at least 16 slots, at least 2 * capacity).
  explicit FlatIndex(std::size_t capacity = 0) {
    std::size_t n = 16;
    while (n < 2 * capacity) n *= 2;
    slots_.assign(n, Slot{0, -1});
    mask_ = n - 1;
  }

  /// The code of `k`, inserting it (with the next code) when new.
  std::int32_t insert(Key k) {
    const std::uint64_t h = Hash{}(k);
    const auto tag = static_cast<std::uint32_t>(h >> 32);
    std::size_t i = h & mask_;
    for (;; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (s.code < 0) break;
      if (s.tag == tag && keys_[static_cast<std::size_t>(s.code)] == k) return s.code;
    }
    if (2 * (keys_.size() + 1) > slots_.size()) {  // keep the load at most 1/2
      grow();
      i = empty_slot(h);
    }
    const auto code = static_cast<std::int32_t>(keys_.size());
    slots_[i] = Slot{tag, code};
    keys_.push_back(k);
    return code;
  }

  /// The code of `k`, or -1 when it was never inserted.
  std::int32_t find(Key k) const {
    const std::uint64_t h = Hash{}(k);
    const auto tag = static_cast<std::uint32_t>(h >> 32);
    for (std::size_t i = h & mask_;; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (s.code < 0) return -1;
      if (s.tag == tag && keys_[static_cast<std::size_t>(s.code)] == k) return s.code;
    }
  }

  /// Number of distinct keys inserted.
  std::size_t size() const { return keys_.size(); }
  /// The keys in code order (keys()[c] has code c).
  const std::vector<Key>& keys() const { return keys_; }

 private:
  struct Slot {
    std::uint32_t tag;
    std::int32_t code;
  };

  /// The first empty slot on the probe sequence of hash `h`.
  std::size_t empty_slot(std::uint64_t h) const {
    std::size_t i = h & mask_;
    while (slots_[i].code >= 0) i = (i + 1) & mask_;
    return i;
  }

  /// Doubles the slots and re-inserts every key in code order.
  void grow() {
    const std::size_t n = 2 * slots_.size();
    slots_.assign(n, Slot{0, -1});
    mask_ = n - 1;
    for (std::size_t c = 0; c < keys_.size(); ++c) {
      const std::uint64_t h = Hash{}(keys_[c]);
      slots_[empty_slot(h)] =
          Slot{static_cast<std::uint32_t>(h >> 32), static_cast<std::int32_t>(c)};
    }
  }

  std::vector<Slot> slots_;
  std::vector<Key> keys_;
  std::size_t mask_ = 0;
};

}  // namespace churn::common
