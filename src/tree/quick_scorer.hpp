#pragma once
/// @file quick_scorer.hpp
/// QuickScorer: batch prediction of ensembles of small trees (at most 64 leaves each) by
/// bitvectors instead of walks (private; never installed). After Lucchese et al., "QuickScorer: a
/// fast algorithm to rank documents with additive ensembles of regression trees" (SIGIR 2015)
/// and its vectorised variant (SIGIR 2016).
///
/// **Idea.** Number each tree's leaves from left to right (bit 0 = leftmost). A split node that
/// sends a row right rules out every leaf of its left subtree; the row's leaf is then the lowest
/// leaf that no such node ruled out. So each node carries a 64-bit mask with its left subtree's
/// leaves cleared, each row starts with all bits set for every tree, and the masks of the nodes
/// that send it right are ANDed in, in any order; the leaf is the lowest set bit. (The rightmost
/// leaf is in no left subtree, so some bit below n_leaves always survives.)
///
/// **Numerical splits** go right iff `key(x) > key(threshold)` (split_key.hpp; NaN takes the
/// largest key where it goes right by default and the smallest where it goes left). Per feature
/// and default direction, the nodes of all trees are sorted by threshold: the nodes that send a
/// row right are exactly a prefix of that list, so a row walks each list only while its key is
/// above the threshold. The kernel does this for kQsRows rows at once (the prefix of the row
/// with the largest key, each row's masks selected by its own compare), with vector code built
/// for the baseline and for AVX2 (common/cpu_dispatch.hpp; integer work only, so every build gives
/// the same bits).
///
/// **Categorical splits** (bitsets; codes beyond a node's bitset and NaN go the missing way, as
/// Tree::goes_left): per categorical feature, the codes 0 .. n_codes-1 (the widest bitset of the
/// feature) and one more bucket for NaN and every larger code each have one mask per tree: the
/// AND of the masks of the tree's nodes on that feature that send the bucket right (all ones if
/// none). A row ANDs its buckets' rows of masks together (dense: vector code, the same work for
/// any split), and the leaf is the lowest bit of that and of the numerical bits.
///
/// **Sums** add the leaves' values tree by tree in tree order onto the row's starting value, so
/// results are bit-identical to Tree::predict summed in tree order.
///
/// Thread safety: immutable after construction; every const member may run concurrently.

#include <cstdint>  // std::int64_t, std::uint32_t
#include <memory>   // std::shared_ptr
#include <vector>   // std::vector

#include "churn/core/types.hpp"
#include "churn/tree/tree.hpp"

namespace churn::tree::detail {

/// Rows the QuickScorer kernel scores together.
constexpr int kQsRows = 16;

/// The numerical split nodes as the kernel reads them: lists of nodes sorted by threshold, each
/// list followed by a sentinel threshold kKeyMax (which no key exceeds).
struct QsLists {
  const std::int64_t* threshold;   ///< Per node: the threshold's key.
  const std::int64_t* mask;        ///< Per node: all bits but its left subtree's leaves.
  const std::uint32_t* slot;       ///< Per node: tree * kQsRows (where its bitvectors lie).
  const std::int64_t* list_begin;  ///< Per list: its first node.
  Index n_lists;                   ///< Number of lists.
};

/// For each list g and each of kQsRows rows r (key `keys[g * kQsRows + r]`): ANDs the mask of
/// every node of g whose threshold is below the key into `bits[slot + r]`. The portable build
/// (quick_scorer.cpp) and the AVX2 one (quick_scorer_avx2.cpp); QuickScorer picks one per call.
void qs_scan_generic(const QsLists& lists, const std::int64_t* keys, std::int64_t* bits);
void qs_scan_avx2(const QsLists& lists, const std::int64_t* keys, std::int64_t* bits);
/// `out[t] = rows[0][t] & ... & rows[n_rows - 1][t]` for t < n (`n_rows` >= 1): the builds.
void qs_and_rows_generic(const std::int64_t* const* rows, int n_rows, Index n, std::int64_t* out);
void qs_and_rows_avx2(const std::int64_t* const* rows, int n_rows, Index n, std::int64_t* out);

/// The trees of an ensemble prepared for QuickScorer (see the file comment).
class QuickScorer {
 public:
  /// Leaves a tree may have.
  static constexpr Index kMaxLeaves = 64;

  /// QuickScorer's form of `trees` (valid trees for rows of `n_features`, as PackedTrees
  /// checked them), or null when it does not fit: a tree with more than kMaxLeaves leaves, a
  /// categorical feature split on codes from 1024 on, or categorical masks above 16 MB.
  static std::shared_ptr<const QuickScorer> build(const std::vector<Tree>& trees, Index n_features);

  /// Number of trees (every tree is scored; sums take the first ones).
  int n_trees() const { return n_trees_; }

  /// Adds the first `n_trees` trees' values to `out[i]` for the rows `i` of [lo, hi) of `X` in
  /// whole groups of kQsRows rows, trees in order; returns the first row left (the
  /// `(hi - lo) % kQsRows` last rows). `X` must have been checked (PackedTrees::sum).
  Index add_rows(const RowMatrixRef& X, int n_trees, Index lo, Index hi, double* out) const;

 private:
  QuickScorer() = default;
  /// Adds tree `t` (index `index`): its leaves, numerical nodes and categorical nodes.
  void add_tree(const Tree& t, int index);
  /// Sorts each numerical list by threshold and lays the lists out with their sentinels.
  void finish_numerical();
  /// Builds the per-code masks of the categorical nodes; false when they are too large.
  bool finish_categorical(const std::vector<Tree>& trees);
  /// The keys of the kQsRows rows from `i0`, list by list.
  void fill_keys(const RowMatrixRef& X, Index i0, std::int64_t* keys) const;
  /// The categorical masks of the kQsRows rows from `i0`: `bits[r * n_trees() + t]`, by
  /// `and_rows` (a build of qs_and_rows); `rows`: one pointer per categorical feature.
  void categorical_bits(const RowMatrixRef& X, Index i0, const std::int64_t** rows,
                        decltype(&qs_and_rows_generic) and_rows, std::int64_t* bits) const;
  /// Adds the leaves' values of the first `n_trees` trees to `out[0 .. kQsRows)`: the lowest
  /// bit of `bits[t * kQsRows + r]` and (kCat) `cat_bits[r * n_trees() + t]`.
  template <bool kCat>
  void add_leaves(const std::int64_t* bits, const std::int64_t* cat_bits, int n_trees,
                  double* out) const;

  /// A node while building: its list, threshold key or tree node, mask and slot.
  struct Pending {
    std::int64_t list_or_node;
    std::int64_t key;
    std::int64_t mask;
    std::uint32_t slot;
    int tree;
  };

  int n_trees_ = 0;
  std::vector<double> leaf_value_;                 ///< Every tree's leaves, left to right.
  std::vector<std::int64_t> leaf_begin_;           ///< Where each tree's leaves start.
  std::vector<Index> num_feature_;                 ///< Feature of lists 2u and 2u + 1 (u = index).
  std::vector<Index> num_list_of_;                 ///< Per feature: u, or -1.
  std::vector<Pending> pending_num_;               ///< Numerical nodes while building.
  std::vector<std::vector<Pending>> pending_cat_;  ///< Per feature: its categorical nodes.
  std::vector<std::int64_t> threshold_;            ///< See QsLists.
  std::vector<std::int64_t> mask_;                 ///< See QsLists.
  std::vector<std::uint32_t> slot_;                ///< See QsLists.
  std::vector<std::int64_t> list_begin_;           ///< See QsLists.
  std::vector<Index> cat_feature_;                 ///< Features with categorical nodes.
  std::vector<Index> cat_codes_;          ///< Per such feature: its codes (NaN's bucket after).
  std::vector<std::int64_t> cat_bucket_;  ///< Per such feature: its first bucket.
  std::vector<std::int64_t> cat_mask_;    ///< Per bucket: n_trees() masks (see the file comment).
};

}  // namespace churn::tree::detail
