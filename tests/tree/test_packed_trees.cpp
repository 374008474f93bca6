// detail::PackedTrees (src/tree/packed_trees.hpp) against the plain walk: Tree::predict per row,
// summed in tree order, bit for bit.
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "churn/core/error.hpp"
#include "churn/core/types.hpp"
#include "churn/tree/tree.hpp"
#include "common/cpu_dispatch.hpp"
#include "tree/packed_trees.hpp"

using churn::Index;
using churn::RowMatrix;
using churn::Vector;
using churn::tree::Tree;
using churn::tree::detail::PackedTrees;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr int kFeatures = 5;
constexpr int kCat = 3;  ///< categorical feature: codes 0..39, one to three bitset words

/// Random trees: numerical splits on a small grid (ties with the data, -0.0 / +0.0, +-inf),
/// categorical splits with one to three words (the one-hot and the bitset paths), random default
/// directions; single leaves now and then.
struct Maker {
  std::mt19937_64 gen;
  int max_depth;
  int leaf_pct;  ///< chance in percent that a node below the root is a leaf
  Tree t;

  int uint(int a, int b) { return std::uniform_int_distribution<int>(a, b)(gen); }
  double unif() { return std::uniform_real_distribution<double>(-2, 2)(gen); }

  std::int32_t leaf(int depth) {
    t.leaf_value.push_back(unif());
    t.leaf_count.push_back(1);
    t.leaf_depth.push_back(depth);
    return ~static_cast<std::int32_t>(t.leaf_value.size() - 1);
  }
  std::int32_t grow(int depth) {
    if (depth >= max_depth || uint(0, 99) < (depth == 0 ? 10 : leaf_pct)) return leaf(depth);
    const auto id = static_cast<std::int32_t>(t.split_feature.size());
    const int f = uint(0, kFeatures - 1);
    t.split_feature.push_back(f);
    t.default_left.push_back(static_cast<std::uint8_t>(uint(0, 1)));
    const int k = uint(0, 12);
    t.threshold.push_back(k == 0 ? kInf : k == 1 ? -kInf : k == 2 ? -0.0 : -1.5 + 0.5 * k);
    if (f == kCat) {
      t.cat_begin.push_back(static_cast<std::int32_t>(t.cat_bitset.size()));
      const int words = uint(1, 3);
      for (int w = 0; w < words; ++w) t.cat_bitset.push_back(static_cast<std::uint32_t>(gen()));
      t.cat_end.push_back(static_cast<std::int32_t>(t.cat_bitset.size()));
      t.threshold.back() = 0.0;
    } else {
      t.cat_begin.push_back(-1);
      t.cat_end.push_back(-1);
    }
    for (auto* v : {&t.split_gain, &t.internal_count, &t.internal_value}) v->push_back(1.0);
    t.left_child.push_back(0);
    t.right_child.push_back(0);
    const std::int32_t l = grow(depth + 1);
    const std::int32_t r = grow(depth + 1);
    t.left_child[static_cast<std::size_t>(id)] = l;
    t.right_child[static_cast<std::size_t>(id)] = r;
    return id;
  }
  Tree make() {
    t = Tree{};
    grow(0);
    return t;
  }
};

std::vector<Tree> random_trees(std::uint64_t seed, int n, int max_depth, int leaf_pct = 30) {
  Maker m{std::mt19937_64(seed), max_depth, leaf_pct, {}};
  std::vector<Tree> trees;
  for (int i = 0; i < n; ++i) trees.push_back(m.make());
  return trees;
}

/// Rows with NaN, +-0.0, +-inf, values on the thresholds' grid; categorical codes seen, unseen
/// (beyond a node's bitset, 63, 64, large) and NaN.
RowMatrix random_rows(std::uint64_t seed, Index n) {
  std::mt19937_64 gen(seed);
  const auto pick = [&](int a, int b) { return std::uniform_int_distribution<int>(a, b)(gen); };
  RowMatrix X(n, kFeatures);
  for (Index i = 0; i < n; ++i) {
    for (Index j = 0; j < kFeatures; ++j) {
      const int k = pick(0, 19);
      double v = k == 0   ? kNaN
                 : k == 1 ? -0.0
                 : k == 2 ? 0.0
                 : k == 3 ? kInf
                 : k == 4 ? -kInf
                 : k < 12 ? -1.5 + 0.5 * pick(0, 12)
                          : std::uniform_real_distribution<double>(-3, 3)(gen);
      if (j == kCat) {
        const int c = pick(0, 19);
        v = c == 0   ? kNaN
            : c == 1 ? 63
            : c == 2 ? 64
            : c == 3 ? 2147483647.0
            : c == 4 ? 95
                     : pick(0, 40);
      }
      X(i, j) = v;
    }
  }
  return X;
}

/// The plain walk: init + the first k trees, in tree order.
Vector reference(const std::vector<Tree>& trees, const churn::RowMatrixRef& X, int k, double init) {
  Vector out(X.rows());
  for (Index i = 0; i < X.rows(); ++i) {
    double s = init;
    for (int t = 0; t < k && t < static_cast<int>(trees.size()); ++t)
      s += trees[static_cast<std::size_t>(t)].predict(X.row(i).data());
    out[i] = s;
  }
  return out;
}

void expect_same_bits(const Vector& got, const Vector& want, const std::string& what) {
  BOOST_TEST_REQUIRE(got.size() == want.size());
  Index differ = 0;
  for (Index i = 0; i < got.size(); ++i)
    differ += std::memcmp(&got[i], &want[i], sizeof(double)) != 0 ? 1 : 0;
  BOOST_TEST(differ == 0, what << ": " << differ << " rows differ");
}

/// A tree that is one leaf of value `v`.
Tree single_leaf(double v) {
  Tree leaf;
  leaf.leaf_value = {v};
  leaf.leaf_count = {1};
  leaf.leaf_depth = {0};
  return leaf;
}

/// A chain of `n_leaves` leaves: each split has a leaf on one side (left when `left_leaves`)
/// and the rest of the chain on the other; features and thresholds cycle over the grid.
Tree chain_tree(int n_leaves, bool left_leaves, std::uint64_t seed) {
  std::mt19937_64 gen(seed);
  Tree t;
  const int n = n_leaves - 1;
  for (int i = 0; i < n; ++i) {
    const int f = static_cast<int>(gen() % 3);  // numerical features 0..2
    t.split_feature.push_back(f);
    t.threshold.push_back(-1.5 + 0.5 * static_cast<double>(gen() % 7));
    t.default_left.push_back(static_cast<std::uint8_t>(gen() % 2));
    t.cat_begin.push_back(-1);
    t.cat_end.push_back(-1);
    for (auto* v : {&t.split_gain, &t.internal_count, &t.internal_value}) v->push_back(1.0);
    const std::int32_t leaf = ~i;
    const std::int32_t rest = i + 1 < n ? i + 1 : ~n;
    t.left_child.push_back(left_leaves ? leaf : rest);
    t.right_child.push_back(left_leaves ? rest : leaf);
  }
  for (int i = 0; i < n_leaves; ++i) {
    t.leaf_value.push_back(0.001 * (i + 1) + static_cast<double>(seed % 5));
    t.leaf_count.push_back(1);
    t.leaf_depth.push_back(i < n ? i + 1 : n);
  }
  return t;
}

/// Trees of exactly `leaves` leaves from the random maker (full trees of depth 6 for 64).
std::vector<Tree> trees_with_leaves(std::uint64_t seed, int n, Index leaves, int depth) {
  Maker m{std::mt19937_64(seed), depth, 0, {}};
  std::vector<Tree> trees;
  while (static_cast<int>(trees.size()) < n) {
    Tree t = m.make();
    if (t.n_leaves() == leaves) trees.push_back(std::move(t));
  }
  return trees;
}

/// sum() against the plain walk for several row counts (groups of 8, tails, several blocks),
/// tree counts and threads.
void check_sums(const std::vector<Tree>& trees, const std::vector<int>& ks,
                const std::string& what) {
  const PackedTrees packed(trees, kFeatures);
  // (QuickScorer takes groups of kQsRows = 16 rows in blocks of 1024; the rest walk)
  for (const Index n : {Index{1}, Index{15}, Index{16}, Index{17}, Index{40}, Index{2053}}) {
    const RowMatrix X = random_rows(static_cast<std::uint64_t>(n) + 100, n);
    for (const int k : ks) {
      const Vector want = reference(trees, X, k, -0.5);
      for (const int threads : {1, 2, 4})
        expect_same_bits(packed.sum(X, k, -0.5, threads), want,
                         what + " n " + std::to_string(n) + " k " + std::to_string(k) +
                             " threads " + std::to_string(threads));
      expect_same_bits(packed.sum(X, k, -0.5, 1, false), want,  // the walk of every row
                       what + " walk n " + std::to_string(n) + " k " + std::to_string(k));
    }
  }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(tree_packed_trees)

BOOST_AUTO_TEST_CASE(quick_scorer_takes_small_trees_and_matches_bit_for_bit) {
  const std::vector<Tree> trees = random_trees(21, 40, 6);  // at most 64 leaves
  const PackedTrees packed(trees, kFeatures);
  BOOST_TEST(packed.uses_quick_scorer(40));
  BOOST_TEST(packed.uses_quick_scorer(20));   // half the trees: every tree is scored anyway
  BOOST_TEST(!packed.uses_quick_scorer(19));  // fewer: the walk
  check_sums(trees, {0, 1, 19, 20, 39, 40, 1000}, "random");
}

BOOST_AUTO_TEST_CASE(quick_scorer_at_64_leaves_and_the_walk_beyond) {
  std::vector<Tree> trees = trees_with_leaves(3, 6, 64, 6);
  // chains: leaf masks at both ends of the 64 bits, left subtrees of 1 and of 63 leaves
  trees.push_back(chain_tree(64, true, 1));
  trees.push_back(chain_tree(64, false, 2));
  trees.push_back(chain_tree(2, false, 3));
  const Tree leaf = single_leaf(0.125);
  trees.insert(trees.begin() + 1, leaf);
  trees.push_back(leaf);
  BOOST_TEST(PackedTrees(trees, kFeatures).uses_quick_scorer(11));
  check_sums(trees, {11}, "64 leaves");
  trees.push_back(chain_tree(65, true, 4));  // one tree beyond 64 leaves: all trees walk
  BOOST_TEST(!PackedTrees(trees, kFeatures).uses_quick_scorer(12));
  check_sums(trees, {12}, "65 leaves");
}

BOOST_AUTO_TEST_CASE(quick_scorer_categorical_widths) {
  std::vector<Tree> trees = random_trees(8, 20, 5);
  // a bitset of 32 words (codes 0..1023) still fits; codes from 1024 on go the missing way
  Tree& t = trees[3];
  std::size_t cat = 0;
  while (cat < t.cat_begin.size() && t.cat_begin[cat] < 0) ++cat;
  BOOST_TEST_REQUIRE(cat < t.cat_begin.size());
  t.cat_begin[cat] = static_cast<std::int32_t>(t.cat_bitset.size());
  for (int w = 0; w < 32; ++w) t.cat_bitset.push_back(0x9249249U * static_cast<std::uint32_t>(w));
  t.cat_end[cat] = static_cast<std::int32_t>(t.cat_bitset.size());
  BOOST_TEST(PackedTrees(trees, kFeatures).uses_quick_scorer(20));
  check_sums(trees, {20}, "1024 codes");
  t.cat_bitset.push_back(~0U);  // 33 words: beyond QuickScorer's categorical lists
  t.cat_end[cat] += 1;
  BOOST_TEST(!PackedTrees(trees, kFeatures).uses_quick_scorer(20));
  check_sums(trees, {20}, "1056 codes");
}

BOOST_AUTO_TEST_CASE(quick_scorer_same_bits_at_every_cpu_level) {
  using churn::common::CpuLevel;
  const std::vector<Tree> trees = random_trees(33, 50, 6);
  const PackedTrees packed(trees, kFeatures);
  const RowMatrix X = random_rows(5, 999);
  const Vector want = reference(trees, X, 50, 1.0);
  for (const CpuLevel level : {CpuLevel::Portable, CpuLevel::Avx2, CpuLevel::Avx512}) {
    const churn::common::ScopedCpuLevel use(level);
    expect_same_bits(packed.sum(X, 50, 1.0, 2), want, churn::common::cpu_level_name(level));
  }
}

BOOST_AUTO_TEST_CASE(small_forest_matches_the_plain_walk_bit_for_bit) {
  const std::vector<Tree> trees = random_trees(7, 60, 6);  // small: blocks of few rows
  for (const int pack_threads : {1, 4}) {  // trees packed one after the other, or in parallel
    const PackedTrees packed(trees, kFeatures, pack_threads);
    BOOST_TEST(packed.n_trees() == 60);
    for (const Index n : {Index{1}, Index{7}, Index{8}, Index{9}, Index{1000}}) {
      const RowMatrix X = random_rows(static_cast<std::uint64_t>(n), n);
      for (const int k : {0, 1, 17, 60, 1000}) {
        const Vector want = reference(trees, X, k, 0.25);
        for (const int threads : {1, 2, 4})
          expect_same_bits(packed.sum(X, k, 0.25, threads), want,
                           "pack threads " + std::to_string(pack_threads) + " n " +
                               std::to_string(n) + " k " + std::to_string(k) + " threads " +
                               std::to_string(threads));
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(large_forest_matches_the_plain_walk_bit_for_bit) {
  const std::vector<Tree> trees = random_trees(11, 12, 14, 8);  // deep: large blocks
  Index nodes = 0;
  for (const Tree& t : trees) nodes += t.n_internal() + t.n_leaves();
  BOOST_TEST(nodes * 16 > 384 * 1024);  // above the small-forest size (packed_trees.cpp)
  const RowMatrix X = random_rows(3, 5000);
  const Vector want = reference(trees, X, 12, 0.0);
  for (const int pack_threads : {1, 3}) {
    const PackedTrees packed(trees, kFeatures, pack_threads);
    for (const int threads : {1, 2, 4})
      expect_same_bits(packed.sum(X, 12, 0.0, threads), want,
                       "pack threads " + std::to_string(pack_threads) + " threads " +
                           std::to_string(threads));
  }
}

BOOST_AUTO_TEST_CASE(single_leaf_trees_and_strided_rows) {
  std::vector<Tree> trees = random_trees(5, 4, 3);
  const Tree leaf = single_leaf(0.125);
  trees.insert(trees.begin() + 2, leaf);
  trees.push_back(leaf);
  const PackedTrees packed(trees, kFeatures);
  // A view of every other row of a wider matrix: rows do not follow each other in memory.
  const RowMatrix wide = random_rows(9, 300);
  RowMatrix big(300, kFeatures + 3);
  big.setConstant(kNaN);
  big.leftCols(kFeatures) = wide;
  const churn::RowMatrixRef X = big.leftCols(kFeatures);
  BOOST_TEST(X.outerStride() == kFeatures + 3);
  for (const int threads : {1, 2})
    expect_same_bits(packed.sum(X, 100, -1.0, threads), reference(trees, wide, 100, -1.0),
                     "strided");
}

BOOST_AUTO_TEST_CASE(no_trees_and_bad_input) {
  const PackedTrees empty(std::vector<Tree>{}, 3);
  const RowMatrix X = RowMatrix::Zero(4, 3);
  BOOST_TEST(empty.sum(X, 10, 0.5, 1) == Vector::Constant(4, 0.5));
  const std::vector<Tree> trees = random_trees(1, 3, 4);
  BOOST_CHECK_THROW(PackedTrees(trees, 2), churn::InvalidArgument);  // features out of range
  BOOST_CHECK_THROW(PackedTrees(trees, 0), churn::InvalidArgument);
  const PackedTrees packed(trees, kFeatures);
  BOOST_CHECK_THROW(packed.sum(X, 3, 0.0, 1), churn::InvalidArgument);  // 3 columns, not 5
}

BOOST_AUTO_TEST_SUITE_END()
