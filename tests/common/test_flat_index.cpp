// common/flat_index.hpp: the hash dictionary against std::unordered_map on random keys (integer
// and string), with growth past the initial capacity and with colliding hashes.
#include <boost/test/unit_test.hpp>

#include <cstddef>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/flat_index.hpp"

namespace c = churn::common;

namespace {

/// A poor hash: few distinct values, and equal upper halves (tags) for many keys, so probes run
/// long and compare full keys.
struct FewHashes {
  std::uint64_t operator()(std::int64_t k) const {
    return static_cast<std::uint64_t>(k % 7) * 0x100000001ULL;
  }
};

/// Inserts `keys` in order into `index` and a std::unordered_map giving codes in order of first
/// appearance; checks every code, then finds every key and the `absent` ones.
template <class Dict, class Key>
void check_against_map(Dict& index, const std::vector<Key>& keys, const std::vector<Key>& absent) {
  std::unordered_map<Key, std::int32_t> ref;
  for (const Key& k : keys) {
    auto it = ref.find(k);
    const std::int32_t want =
        it == ref.end() ? ref.emplace(k, static_cast<std::int32_t>(ref.size())).first->second
                        : it->second;
    BOOST_REQUIRE_EQUAL(index.insert(k), want);
  }
  BOOST_CHECK_EQUAL(index.size(), ref.size());
  for (const auto& [k, code] : ref) {
    BOOST_CHECK_EQUAL(index.find(k), code);
    BOOST_CHECK(index.keys()[static_cast<std::size_t>(code)] == k);
  }
  for (const Key& k : absent) {
    if (ref.count(k) == 0) BOOST_CHECK_EQUAL(index.find(k), -1);
  }
}

std::vector<std::int64_t> random_ints(std::size_t n, std::int64_t range, std::uint64_t seed) {
  std::mt19937_64 gen(seed);
  std::uniform_int_distribution<std::int64_t> dist(-range, range);
  std::vector<std::int64_t> v(n);
  for (auto& x : v) x = dist(gen);
  return v;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(common_flat_index)

BOOST_AUTO_TEST_CASE(int_keys_sized_up_front) {
  const auto keys = random_ints(20000, 5000, 1);  // many repeats
  c::FlatIndex<std::int64_t> index(keys.size());
  check_against_map(index, keys, random_ints(2000, 10000, 2));
}

BOOST_AUTO_TEST_CASE(int_keys_grow_from_empty) {
  auto keys = random_ints(50000, std::int64_t{1} << 62, 3);  // nearly all distinct
  keys.push_back(0);
  keys.push_back(-1);
  keys.push_back(std::numeric_limits<std::int64_t>::min());
  keys.push_back(std::numeric_limits<std::int64_t>::max());
  c::FlatIndex<std::int64_t> index;  // 16 slots: doubles many times
  check_against_map(index, keys, random_ints(5000, std::int64_t{1} << 62, 4));
}

BOOST_AUTO_TEST_CASE(string_keys) {
  std::mt19937_64 gen(5);
  std::vector<std::string> storage;
  for (int i = 0; i < 3000; ++i) {
    const std::size_t len = gen() % 20;  // empty strings and every tail length of hash_bytes
    std::string s;
    for (std::size_t j = 0; j < len; ++j) s.push_back(static_cast<char>('a' + gen() % 3));
    storage.push_back(s);
  }
  storage.push_back(std::string("a\0b", 3));  // embedded zero bytes are part of the key
  storage.push_back(std::string("a\0c", 3));
  const std::vector<std::string_view> keys(storage.begin(), storage.end());
  const std::vector<std::string_view> absent = {"zzz", "abcabcabcabcabcabcabcabc", "d"};
  c::FlatIndex<std::string_view> sized(keys.size());
  check_against_map(sized, keys, absent);
  c::FlatIndex<std::string_view> grown(1);
  check_against_map(grown, keys, absent);
}

BOOST_AUTO_TEST_CASE(colliding_hashes) {
  const auto keys = random_ints(3000, 400, 6);
  c::FlatIndex<std::int64_t, FewHashes> sized(keys.size());
  check_against_map(sized, keys, random_ints(500, 1000, 7));
  c::FlatIndex<std::int64_t, FewHashes> grown;
  check_against_map(grown, keys, random_ints(500, 1000, 7));
}

BOOST_AUTO_TEST_CASE(codes_do_not_depend_on_capacity) {
  const auto keys = random_ints(10000, 3000, 8);
  c::FlatIndex<std::int64_t> a(0), b(keys.size()), d(100 * keys.size());
  for (auto k : keys) {
    const std::int32_t code = a.insert(k);
    BOOST_REQUIRE_EQUAL(b.insert(k), code);
    BOOST_REQUIRE_EQUAL(d.insert(k), code);
  }
  BOOST_CHECK(a.keys() == b.keys());
  BOOST_CHECK(a.keys() == d.keys());
}

BOOST_AUTO_TEST_SUITE_END()
