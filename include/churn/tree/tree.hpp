#pragma once
/// @file tree.hpp
/// One fitted regression tree of a gradient-boosted model, stored as arrays (structure of
/// arrays), and its prediction and TreeSHAP routines.
///
/// Node numbering follows LightGBM: internal nodes are 0 .. n_internal()-1 (node 0 is the root);
/// a child index `c >= 0` is an internal node, `c < 0` is the leaf `~c` (so leaf 0 is `-1`).
/// A tree with a single leaf has no internal node and predicts `leaf_value[0]`.
///
/// Decision rule of internal node `i` on a row `x`, with `v = x[split_feature[i]]`:
/// - `v` is NaN: go left iff `default_left[i]`.
/// - numerical split (`cat_begin[i] < 0`): go left iff `v <= threshold[i]`.
/// - categorical split: `v` holds a category code; the codes `0 .. n_codes-1`, with
///   `n_codes = 32 * (cat_end[i] - cat_begin[i])`, go left iff their bit is set in
///   `cat_bitset[cat_begin[i] .. cat_end[i])`; any other code (unseen in training) goes the
///   missing way (`default_left[i]`). Codes seen in training but absent from the node's data and
///   codes never seen also follow the missing way.

#include <cmath>    // std::isnan
#include <cstdint>  // std::int32_t, std::uint32_t, std::uint8_t
#include <vector>   // std::vector

#include "churn/core/json.hpp"
#include "churn/core/types.hpp"

namespace churn::tree {

/// A regression tree (see tree.hpp for the node layout and decision rule).
///
/// Thread safety: a value type; its const members (predict, add_shap, to_json) may run
/// concurrently.
struct Tree {
  // ---- internal nodes (n_internal() entries each) ----
  /// Feature index tested by the node.
  std::vector<std::int32_t> split_feature;
  /// Numerical split: rows with `x <= threshold` go left (unused by categorical splits).
  std::vector<double> threshold;
  /// 1 when missing values (and unseen categories) go left.
  std::vector<std::uint8_t> default_left;
  /// Categorical split: the range `[cat_begin, cat_end)` of 32-bit words in `cat_bitset`;
  /// `cat_begin = cat_end = -1` for a numerical split.
  std::vector<std::int32_t> cat_begin;
  std::vector<std::int32_t> cat_end;  ///< See `cat_begin`.
  /// Left and right child: `>= 0` internal node, `< 0` leaf `~child`.
  std::vector<std::int32_t> left_child;
  std::vector<std::int32_t> right_child;
  /// Loss reduction of the split (LightGBM's scale: twice XGBoost's gain).
  std::vector<double> split_gain;
  /// Training rows (of the bag) that reached the node: the cover used by TreeSHAP.
  std::vector<double> internal_count;
  /// Raw output the node would have as a leaf (shrinkage applied); informational.
  std::vector<double> internal_value;
  // ---- categorical bitsets ----
  /// 32-bit words of every categorical split's left set, concatenated.
  std::vector<std::uint32_t> cat_bitset;
  // ---- leaves (n_leaves() entries each) ----
  /// Raw score added by the leaf (shrinkage applied).
  std::vector<double> leaf_value;
  /// Training rows (of the bag) that reached the leaf.
  std::vector<double> leaf_count;
  /// Depth of the leaf (root = 0).
  std::vector<std::int32_t> leaf_depth;

  /// Number of internal nodes.
  Index n_internal() const { return static_cast<Index>(split_feature.size()); }
  /// Number of leaves (`n_internal() + 1`).
  Index n_leaves() const { return static_cast<Index>(leaf_value.size()); }

  /// Whether node `i` goes left for the value `v` (NaN = missing).
  bool goes_left(Index i, double v) const {
    const auto k = static_cast<std::size_t>(i);
    if (std::isnan(v)) return default_left[k] != 0;
    const std::int32_t b = cat_begin[k];
    if (b < 0) return v <= threshold[k];
    // Codes are validated to be integers in [0, 2^31) before prediction.
    const auto code = static_cast<std::int64_t>(v);
    const std::int64_t n_codes = 32 * static_cast<std::int64_t>(cat_end[k] - b);
    if (code < 0 || code >= n_codes) return default_left[k] != 0;
    return ((cat_bitset[static_cast<std::size_t>(b + code / 32)] >> (code % 32)) & 1U) != 0;
  }

  /// The leaf (0 .. n_leaves()-1) that row `x` (n_features values) falls into.
  Index leaf_index(const double* x) const {
    if (split_feature.empty()) return 0;
    std::int32_t node = 0;
    while (node >= 0) {
      const auto k = static_cast<std::size_t>(node);
      node = goes_left(node, x[split_feature[k]]) ? left_child[k] : right_child[k];
    }
    return ~node;
  }

  /// The raw score of row `x`.
  double predict(const double* x) const {
    return leaf_value[static_cast<std::size_t>(leaf_index(x))];
  }

  /// Depth of the deepest leaf (0 for a single leaf), found by walking the children (it does
  /// not trust `leaf_depth`).
  int max_depth() const;

  /// Adds the exact TreeSHAP contributions of this tree for row `x` to `phi`
  /// (`n_features + 1` entries; the last one is the expected value, i.e. the bias).
  /// Uses the path-dependent algorithm of Lundberg et al. (2018) with `internal_count` /
  /// `leaf_count` as covers, so that `sum(phi)` grows by exactly `predict(x)` (up to rounding).
  /// The values are the exact Shapley values of v(S) = the output when the features in S are
  /// fixed to `x` and the others are integrated out by the covers (cover-weighted mean of the
  /// two children); the bias is v({}), the cover-weighted mean of the leaf values. A node with
  /// zero cover weighs its children 1/2 each. Requires `split_feature` in `[0, n_features)`
  /// (as from_json checks). Thread-safe; allocates one path buffer of O(depth^2) per call.
  void add_shap(const double* x, double* phi, Index n_features) const;

  /// The tree as a JSON object of arrays. `threshold` values that are infinite are written as
  /// the strings "inf" / "-inf".
  Json to_json() const;
  /// A tree from to_json() output, checked: exactly the 14 members (an unknown one is an
  /// error), integers where integers belong and in range, array lengths agree, children form a
  /// tree rooted at 0 (each node and leaf reached exactly once, so no cycle), `leaf_depth`
  /// matches the structure, features are in `[0, n_features)`, categorical ranges lie inside
  /// `cat_bitset` (numerical splits have `cat_begin = cat_end = -1`), `default_left` is 0 or 1,
  /// values are finite (thresholds may be "inf" / "-inf") and counts are >= 0.
  /// @throws SerializationError naming the field that is wrong.
  static Tree from_json(const Json& j, Index n_features);
};

}  // namespace churn::tree
