#pragma once
/// @file packed_trees.hpp
/// The one batch predictor of the tree ensembles (GBDTClassifier, RandomForestClassifier):
/// every tree of a `std::vector<Tree>` packed into one array of 16-byte nodes, walked by
/// several rows at once (private; never installed).
///
/// **Layout.** Each tree is stored in preorder, leaves included, starting at its root: the left
/// child of the node at slot `k` is at `k + 1`, the right child at `child` (relative to the
/// tree's first slot). A node holds its threshold (a leaf: its value; a categorical split: where
/// its bitset lies) and one 32-bit word of feature index and flags, so a step down a tree reads
/// 16 bytes and one value of the row. A left child sits next to its parent in memory.
///
/// **Decisions** are exactly Tree::goes_left's: NaN takes the default direction; numerical
/// splits go left iff `v <= threshold`; categorical splits go left iff the code's bit is set,
/// and codes beyond the bitset go the missing way (codes are validated to be integers in
/// [0, 2^31) before prediction).
///
/// **Small trees** (at most 64 leaves, as a GBDT's) are scored by QuickScorer
/// (quick_scorer.hpp) in groups of 16 rows instead; the rows left over walk.
///
/// **Walking.** Rows are handled in blocks; within a block the trees are taken one after the
/// other (a tree stays in cache for the whole block), and within a tree groups of rows walk
/// down together, branch-free: a row that reached its leaf stays there while the others go on
/// (their memory reads overlap). The block size follows the forest's size: small forests (all
/// trees fit in L2) take small blocks so that the rows stay in L1; large forests take blocks of
/// thousands of rows so that each tree is read once per block. Each row's sum adds the trees in
/// tree order, so results are bit-identical to Tree::predict summed tree by tree, for any block
/// size and any thread count.
///
/// Thread safety: immutable after construction; every const member may run concurrently.

#include <cstdint>  // std::int32_t, std::uint32_t, std::int64_t
#include <memory>   // std::shared_ptr
#include <vector>   // std::vector

#include "churn/core/types.hpp"
#include "churn/tree/tree.hpp"
#include "tree/quick_scorer.hpp"

namespace churn::tree::detail {

/// One packed node (16 bytes).
struct PackedNode {
  /// Numerical split: the threshold's key (rows whose key is <= go left). Leaf: the bits of its
  /// value. Categorical split: two int32 copied in (first word of its bitset in PackedTrees'
  /// bitset array, number of words).
  std::int64_t key;
  /// Byte offset of the node's key in a row's keys (see PackedTrees) | flags (low 3 bits).
  std::uint32_t meta;
  /// Byte offset, from the tree's root, of the left child; a leaf: its own offset.
  std::int32_t child;
};

/// Every tree of an ensemble packed for prediction (see the file comment).
///
/// A row is walked through its keys: for each feature f, word 2f holds the order-preserving
/// integer key of `x[f]` with NaN as the largest key, word 2f+1 the same with NaN as the
/// smallest, and word 2p (p features) the smallest key. A numerical split reads the word that
/// sends NaN its default way, and compares integers; a leaf reads word 2p, whose key is <= any
/// key, so that it sends every row to its left child, itself.
class PackedTrees {
 public:
  static constexpr std::uint32_t kCategorical = 1;  ///< meta flag: a one-hot categorical split
  static constexpr std::uint32_t kWide = 2;         ///< meta flag: a bitset categorical split
  static constexpr std::uint32_t kDefaultLeft = 4;  ///< meta flag (kWide): NaN goes left
  static constexpr std::uint32_t kSlotMask = ~std::uint32_t{7};

  /// An empty ensemble (no trees).
  PackedTrees() = default;
  /// Packs `trees` (valid trees, as from fit or Tree::from_json) for rows of `n_features`,
  /// trees in parallel with `n_threads` threads (0 = all cores; the result does not depend on
  /// it).
  /// @throws InvalidArgument if a tree is too large to pack (2^27 nodes), a feature index is
  ///         out of range, `n_features` is 2^28 or more, or a threshold is NaN.
  PackedTrees(const std::vector<Tree>& trees, Index n_features, int n_threads = 1);

  /// Number of trees.
  int n_trees() const { return static_cast<int>(tree_begin_.size()); }

  /// Whether sum() of the first `n_trees` trees goes through QuickScorer (quick_scorer.hpp):
  /// when every tree has at most 64 leaves (and its categorical splits fit) and `n_trees` is at
  /// least half the trees (QuickScorer scores them all). Rows in groups of kQsRows; the few
  /// rows left (a one-row call) walk.
  bool uses_quick_scorer(int n_trees) const {
    return quick_ != nullptr && 2 * static_cast<std::int64_t>(n_trees) >= this->n_trees();
  }

  /// The raw sums: `init + tree_0(x) + ... + tree_{k-1}(x)` of each row `x` of `X`, added in
  /// tree order (k = `n_trees`, at most n_trees()). `X` must have been checked (n_features
  /// columns, categorical codes). Parallel over blocks of rows with `n_threads` threads (0 = all
  /// cores); the result does not depend on it. `quick = false` walks every row (benchmarks and
  /// tests: the same bits as QuickScorer).
  Vector sum(const RowMatrixRef& X, int n_trees, double init, int n_threads,
             bool quick = true) const;

 private:
  /// Adds the first `n_trees` trees' values of rows [lo, hi) of `X` to `out` (trees in order).
  /// With `quick`, groups of rows go through QuickScorer (uses_quick_scorer()).
  void add_block(const RowMatrixRef& X, int n_trees, bool quick, Index lo, Index hi,
                 double* out) const;
  /// The rows per block for the first `n_trees` trees (see the file comment).
  Index block_rows(int n_trees) const;
  /// Writes `tree`, the `index`-th, in preorder at its slots (tree_begin_[index]) and its
  /// bitset at `bits_at` in cat_bits_ (both sized by the constructor).
  void pack(const Tree& tree, std::size_t index, std::int64_t bits_at);
  /// Fills `nd` for the categorical split `k` of `t` (its bitset starts at `bits_at`).
  void pack_categorical(const Tree& t, std::size_t k, std::int64_t bits_at, PackedNode& nd) const;
  /// Writes the keys of rows [lo, hi) of `X`, row_width_ words a row.
  void fill_keys(const RowMatrixRef& X, Index lo, Index hi, std::int64_t* keys) const;

  Index n_features_ = 0;
  Index row_width_ = 1;                       ///< Words of keys per row.
  std::vector<Index> one_hot_slot_;           ///< Per feature: its one-hot word, or -1.
  std::vector<Index> one_hot_features_;       ///< Features with a one-hot word.
  std::vector<PackedNode> nodes_;             ///< Every tree's nodes, tree after tree.
  std::vector<std::int64_t> tree_begin_;      ///< Where each tree's root lies in nodes_.
  std::vector<std::uint8_t> tree_has_cat_;    ///< Whether a tree has a categorical split.
  std::vector<std::uint32_t> cat_bits_;       ///< Every tree's categorical bitsets.
  std::shared_ptr<const QuickScorer> quick_;  ///< The trees for QuickScorer, or null.
};

}  // namespace churn::tree::detail
