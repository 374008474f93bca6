// churn::tree::Tree: depth, exact path-dependent TreeSHAP, and the checked JSON form.
#include "churn/tree/tree.hpp"

#include <algorithm>  // std::max, std::min, std::copy
#include <cmath>      // std::isfinite, std::isinf, std::isnan
#include <cstddef>    // std::size_t
#include <cstdint>    // std::int32_t, std::int64_t, std::uint32_t, std::uint64_t
#include <limits>     // std::numeric_limits
#include <string>     // std::string
#include <utility>    // std::pair

#include "churn/core/error.hpp"
#include "common/json.hpp"

namespace churn::tree {

using common::json_from_double;
using common::json_int_value;
using common::json_to_double;

namespace {

constexpr const char* kWhere = "Tree::from_json()";

// ---------------------------------------------------------------------------------------------
// TreeSHAP (Lundberg, Erion & Lee 2018, Algorithm 2)
// ---------------------------------------------------------------------------------------------

/// One feature on the current root-to-node path, with the fractions of the path-dependent
/// game: `zero` = share of the training cover that follows the path when the feature is
/// unknown (product of the child/parent cover ratios of its nodes on the path), `one` = 1 when
/// the row itself follows the path at every node of the feature, else 0; `weight` = the
/// permutation weight of subsets of the path's features of each size (EXTEND's polynomial).
struct PathElement {
  std::int32_t feature;  ///< -1 for the root's placeholder element.
  double zero;
  double one;
  double weight;
};

/// EXTEND: appends a feature with fractions (`zero`, `one`) to a path of `len` elements
/// (the buffer must hold `len + 1`) and updates the subset-size weights.
void extend_path(PathElement* path, int len, double zero, double one, std::int32_t feature) {
  path[len] = PathElement{feature, zero, one, len == 0 ? 1.0 : 0.0};
  const double n = static_cast<double>(len + 1);
  for (int i = len - 1; i >= 0; --i) {
    path[i + 1].weight += one * path[i].weight * static_cast<double>(i + 1) / n;
    path[i].weight = zero * path[i].weight * static_cast<double>(len - i) / n;
  }
}

/// UNWIND: removes element `k` of a path of `len` elements (undoing its EXTEND); the path then
/// has `len - 1` elements. Requires `one != 0 || zero != 0` for element `k`.
void unwind_path(PathElement* path, int len, int k) {
  const double one = path[k].one;
  const double zero = path[k].zero;
  const double n = static_cast<double>(len);
  double next = path[len - 1].weight;
  for (int j = len - 2; j >= 0; --j) {
    if (one != 0.0) {
      const double w = path[j].weight;
      path[j].weight = next * n / (static_cast<double>(j + 1) * one);
      next = w - path[j].weight * zero * static_cast<double>(len - 1 - j) / n;
    } else {
      path[j].weight = path[j].weight * n / (zero * static_cast<double>(len - 1 - j));
    }
  }
  for (int j = k; j < len - 1; ++j) {
    path[j].feature = path[j + 1].feature;
    path[j].zero = path[j + 1].zero;
    path[j].one = path[j + 1].one;
  }
}

/// Sum of the weights the path would have after UNWIND of element `k`, without changing it.
double unwound_weight_sum(const PathElement* path, int len, int k) {
  const double one = path[k].one;
  const double zero = path[k].zero;
  const double n = static_cast<double>(len);
  double next = path[len - 1].weight;
  double total = 0.0;
  for (int j = len - 2; j >= 0; --j) {
    if (one != 0.0) {
      const double w = next * n / (static_cast<double>(j + 1) * one);
      total += w;
      next = path[j].weight - w * zero * static_cast<double>(len - 1 - j) / n;
    } else {
      total += path[j].weight * n / (zero * static_cast<double>(len - 1 - j));
    }
  }
  return total;
}

/// A pending visit of the iterative TreeSHAP traversal (one "RECURSE" call of the paper).
struct ShapFrame {
  std::int32_t node;      ///< Node to visit (>= 0 internal, < 0 leaf).
  std::int32_t feature;   ///< Feature of the split that led here (-1 at the root).
  int parent_len;         ///< Length of the parent's path.
  std::size_t parent_at;  ///< Offset of the parent's path in the buffer.
  double zero;            ///< Zero fraction of the element to append.
  double one;             ///< One fraction of the element to append.
  double cover;           ///< Product of cover ratios root -> node (weight in the bias).
};

// ---------------------------------------------------------------------------------------------
// JSON reading helpers (all errors are SerializationError naming the field)
// ---------------------------------------------------------------------------------------------

/// The names of the members of a tree object, in the struct's order.
constexpr const char* kFields[] = {"split_feature",  "threshold",      "default_left", "cat_begin",
                                   "cat_end",        "left_child",     "right_child",  "split_gain",
                                   "internal_count", "internal_value", "cat_bitset",   "leaf_value",
                                   "leaf_count",     "leaf_depth"};

/// Member `key` of `j`, required to be an array of `expected` entries (any length if
/// `expected < 0`). `what` explains the expected length in the error message.
const Json& array_member(const Json& j, const char* key, Index expected, const char* what) {
  const auto it = j.find(key);
  CHURN_CHECK(it != j.end(), SerializationError, kWhere << ": missing field '" << key << "'");
  CHURN_CHECK(it->is_array(), SerializationError,
              kWhere << ": field '" << key << "' must be an array, found " << it->type_name());
  const auto n = static_cast<Index>(it->size());
  CHURN_CHECK(expected < 0 || n == expected, SerializationError,
              kWhere << ": field '" << key << "' has " << n << " entries, expected " << expected
                     << " (" << what << ")");
  return *it;
}

/// An integer entry of type T (floats, booleans and out-of-range values are rejected).
template <class T>
T int_entry(const Json& e, const char* key, std::size_t i) {
  CHURN_CHECK(
      e.is_number_integer(), SerializationError,
      kWhere << ": field '" << key << "'[" << i << "] must be an integer, found " << e.type_name());
  T v{};
  CHURN_CHECK(json_int_value(e, v), SerializationError,
              kWhere << ": field '" << key << "'[" << i << "] = " << e.dump()
                     << " is out of range [" << +std::numeric_limits<T>::min() << ", "
                     << +std::numeric_limits<T>::max() << "]");
  return v;
}

/// An integer array of type T.
template <class T>
std::vector<T> int_array(const Json& j, const char* key, Index expected, const char* what) {
  const Json& a = array_member(j, key, expected, what);
  std::vector<T> out(a.size());
  for (std::size_t i = 0; i < a.size(); ++i) out[i] = int_entry<T>(a[i], key, i);
  return out;
}

/// A finite double entry (JSON integers are accepted as doubles).
double finite_entry(const Json& e, const char* key, std::size_t i) {
  CHURN_CHECK(
      e.is_number(), SerializationError,
      kWhere << ": field '" << key << "'[" << i << "] must be a number, found " << e.type_name());
  const auto v = e.get<double>();
  CHURN_CHECK(std::isfinite(v), SerializationError,
              kWhere << ": field '" << key << "'[" << i << "] is not finite");
  return v;
}

/// An array of finite doubles; with `non_negative`, negative values are rejected too.
std::vector<double> finite_array(const Json& j, const char* key, Index expected, const char* what,
                                 bool non_negative) {
  const Json& a = array_member(j, key, expected, what);
  std::vector<double> out(a.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    out[i] = finite_entry(a[i], key, i);
    CHURN_CHECK(!non_negative || out[i] >= 0.0, SerializationError,
                kWhere << ": field '" << key << "'[" << i << "] = " << out[i]
                       << " is negative (a count must be >= 0)");
  }
  return out;
}

/// The threshold array: numbers (not NaN) or the strings "inf" / "-inf".
std::vector<double> threshold_array(const Json& j, Index expected, const char* what) {
  const Json& a = array_member(j, "threshold", expected, what);
  std::vector<double> out(a.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    out[i] = a[i].is_number() ? a[i].get<double>()
                              : json_to_double(a[i], std::string(kWhere) + ": field 'threshold'[" +
                                                         std::to_string(i) + "]");
    CHURN_CHECK(!std::isnan(out[i]), SerializationError,
                kWhere << ": field 'threshold'[" << i << "] is NaN");
  }
  return out;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Depth
// ---------------------------------------------------------------------------------------------

/// Walks the children (not `leaf_depth`), so the value is right for any well-formed tree even
/// when `leaf_depth` was not filled in; iterative, so a deep chain cannot overflow the stack.
int Tree::max_depth() const {
  if (split_feature.empty()) return 0;
  int deepest = 0;
  std::vector<std::pair<std::int32_t, int>> stack;  // (internal node, its depth)
  stack.emplace_back(0, 0);
  while (!stack.empty()) {
    const auto [node, depth] = stack.back();
    stack.pop_back();
    const auto k = static_cast<std::size_t>(node);
    for (const std::int32_t child : {left_child[k], right_child[k]}) {
      if (child >= 0) {
        stack.emplace_back(child, depth + 1);
      } else {
        deepest = std::max(deepest, depth + 1);
      }
    }
  }
  return deepest;
}

// ---------------------------------------------------------------------------------------------
// TreeSHAP
// ---------------------------------------------------------------------------------------------

/// Path-dependent TreeSHAP, written after Algorithm 2 of Lundberg, Erion & Lee (2018),
/// "Consistent individualized feature attribution for tree ensembles", as an iterative
/// depth-first walk (an explicit stack of pending visits instead of recursion).
///
/// The game it explains: for a feature set S, v(S) is the tree's output when the features in S
/// are fixed to `x` and the others are integrated out with the covers, i.e. at a node on a
/// feature outside S the result is the cover-weighted mean of the two children,
/// `(count(left) * v_left + count(right) * v_right) / count(node)`. The values added to `phi`
/// are the exact Shapley values of this game, and the bias is v({}) (the cover-weighted mean of
/// the leaf values), so `sum(phi)` grows by v(all features) = predict(x) whether or not the
/// counts of the children add up to the parent's. A node with a zero (or negative) cover gives
/// each child the weight 1/2.
///
/// Memory: the paths of all the nodes on the current root-to-node walk live in one buffer
/// allocated once per call. The path at depth d holds at most min(d, n_features) features plus
/// the root's placeholder, and each visit's path starts right after its parent's, so the buffer
/// needs sum over d = 0..max_depth of min(d + 1, n_features + 1) elements. A feature met again
/// on the path is first unwound from it and re-added with the combined fractions (the
/// product of its cover ratios, and 1 only if `x` followed every one of its splits).
///
/// Thread safety: const, with call-local buffers only.
void Tree::add_shap(const double* x, double* phi, Index n_features) const {
  const auto bias_at = static_cast<std::size_t>(n_features);
  if (split_feature.empty()) {
    phi[bias_at] += leaf_value[0];
    return;
  }
  const int depth = max_depth();
  std::size_t buffer_size = 0;
  const Index max_path = std::max<Index>(n_features, 0) + 1;  // distinct features + placeholder
  for (int d = 0; d <= depth; ++d) {
    buffer_size += static_cast<std::size_t>(std::min<Index>(d + 1, max_path));
  }
  std::vector<PathElement> buffer(buffer_size);
  std::vector<ShapFrame> stack;
  stack.reserve(static_cast<std::size_t>(depth) + 2);

  // Cover of a child: internal_count of an internal node, leaf_count of a leaf.
  const auto cover_of = [this](std::int32_t c) {
    return c >= 0 ? internal_count[static_cast<std::size_t>(c)]
                  : leaf_count[static_cast<std::size_t>(~c)];
  };

  stack.push_back(ShapFrame{0, -1, 0, 0, 1.0, 1.0, 1.0});
  while (!stack.empty()) {
    const ShapFrame f = stack.back();
    stack.pop_back();
    // This visit's path: a copy of the parent's, extended by the split that led here.
    const std::size_t at = f.parent_at + static_cast<std::size_t>(f.parent_len);
    PathElement* path = buffer.data() + at;
    std::copy(buffer.data() + f.parent_at, path, path);
    int len = f.parent_len;
    extend_path(path, len, f.zero, f.one, f.feature);
    ++len;

    if (f.node < 0) {  // leaf: every feature on the path gets its share of the leaf value
      const double value = leaf_value[static_cast<std::size_t>(~f.node)];
      for (int i = 1; i < len; ++i) {
        const double w = unwound_weight_sum(path, len, i);
        phi[static_cast<std::size_t>(path[i].feature)] += w * (path[i].one - path[i].zero) * value;
      }
      phi[bias_at] += f.cover * value;
      continue;
    }

    const auto k = static_cast<std::size_t>(f.node);
    const std::int32_t feature = split_feature[k];
    const bool left = goes_left(f.node, x[feature]);
    const std::int32_t hot = left ? left_child[k] : right_child[k];
    const std::int32_t cold = left ? right_child[k] : left_child[k];
    const double cover = internal_count[k];
    const double hot_ratio = cover > 0.0 ? cover_of(hot) / cover : 0.5;
    const double cold_ratio = cover > 0.0 ? cover_of(cold) / cover : 0.5;

    // A feature already on the path: take it off and carry its fractions into the children.
    double incoming_zero = 1.0;
    double incoming_one = 1.0;
    for (int i = 1; i < len; ++i) {
      if (path[i].feature == feature) {
        incoming_zero = path[i].zero;
        incoming_one = path[i].one;
        unwind_path(path, len, i);
        --len;
        break;
      }
    }

    // A child with zero and one fractions both 0 adds nothing (its every v(S) is 0) and could
    // not be unwound later, so it is skipped. Push cold first: hot is visited first (either
    // order gives the same sums up to rounding; this one is fixed, so results are repeatable).
    const double cold_zero = incoming_zero * cold_ratio;
    if (cold_zero != 0.0) {
      stack.push_back(ShapFrame{cold, feature, len, at, cold_zero, 0.0, f.cover * cold_ratio});
    }
    const double hot_zero = incoming_zero * hot_ratio;
    if (hot_zero != 0.0 || incoming_one != 0.0) {
      stack.push_back(
          ShapFrame{hot, feature, len, at, hot_zero, incoming_one, f.cover * hot_ratio});
    }
  }
}

// ---------------------------------------------------------------------------------------------
// JSON
// ---------------------------------------------------------------------------------------------

Json Tree::to_json() const {
  Json j = Json::object();
  j["split_feature"] = split_feature;
  Json thr = Json::array();
  for (const double t : threshold) thr.push_back(json_from_double(t));
  j["threshold"] = std::move(thr);
  Json dl = Json::array();
  for (const std::uint8_t d : default_left) dl.push_back(d != 0 ? 1 : 0);
  j["default_left"] = std::move(dl);
  j["cat_begin"] = cat_begin;
  j["cat_end"] = cat_end;
  j["left_child"] = left_child;
  j["right_child"] = right_child;
  j["split_gain"] = split_gain;
  j["internal_count"] = internal_count;
  j["internal_value"] = internal_value;
  j["cat_bitset"] = cat_bitset;
  j["leaf_value"] = leaf_value;
  j["leaf_count"] = leaf_count;
  j["leaf_depth"] = leaf_depth;
  return j;
}

namespace {

/// @throws SerializationError unless `j` is an object whose members are all tree fields.
void check_tree_object(const Json& j) {
  CHURN_CHECK(j.is_object(), SerializationError,
              kWhere << ": a tree must be a JSON object, found " << j.type_name());
  for (const auto& item : j.items()) {
    bool known = false;
    for (const char* name : kFields) known = known || item.key() == name;
    CHURN_CHECK(known, SerializationError, kWhere << ": unknown field '" << item.key() << "'");
  }
}

/// Every array of the tree, each checked for its length and entry type (default_left is
/// returned in `dl`, as read, and checked per node).
Tree read_tree_arrays(const Json& j, std::vector<std::int64_t>& dl) {
  Tree t;
  t.split_feature = int_array<std::int32_t>(j, "split_feature", -1, "");
  const Index n_internal = t.n_internal();
  // Child indices are int32 and leaves are ~child, so n_internal + 1 leaves must fit.
  CHURN_CHECK(n_internal < std::numeric_limits<std::int32_t>::max(), SerializationError,
              kWhere << ": field 'split_feature' has too many entries (" << n_internal << ")");
  const Index n_leaves = n_internal + 1;
  const char* per_node = "one per internal node, as split_feature";
  const char* per_leaf = "one per leaf, i.e. split_feature's length + 1";

  t.threshold = threshold_array(j, n_internal, per_node);
  dl = int_array<std::int64_t>(j, "default_left", n_internal, per_node);
  t.cat_begin = int_array<std::int32_t>(j, "cat_begin", n_internal, per_node);
  t.cat_end = int_array<std::int32_t>(j, "cat_end", n_internal, per_node);
  t.left_child = int_array<std::int32_t>(j, "left_child", n_internal, per_node);
  t.right_child = int_array<std::int32_t>(j, "right_child", n_internal, per_node);
  t.split_gain = finite_array(j, "split_gain", n_internal, per_node, false);
  t.internal_count = finite_array(j, "internal_count", n_internal, per_node, true);
  t.internal_value = finite_array(j, "internal_value", n_internal, per_node, false);
  t.cat_bitset = int_array<std::uint32_t>(j, "cat_bitset", -1, "");
  t.leaf_value = finite_array(j, "leaf_value", n_leaves, per_leaf, false);
  t.leaf_count = finite_array(j, "leaf_count", n_leaves, per_leaf, true);
  t.leaf_depth = int_array<std::int32_t>(j, "leaf_depth", n_leaves, per_leaf);
  return t;
}

/// Checks internal node `i` on its own: its feature, its categorical range and the range of
/// its children's indices.
void check_node(const Tree& t, std::size_t i, Index n_features) {
  const Index n_internal = t.n_internal();
  const Index n_leaves = n_internal + 1;
  const auto n_words = static_cast<std::int64_t>(t.cat_bitset.size());
  const std::int32_t f = t.split_feature[i];
  CHURN_CHECK(f >= 0 && f < n_features, SerializationError,
              kWhere << ": field 'split_feature'[" << i << "] = " << f << " is outside [0, "
                     << n_features << ") (n_features)");
  const std::int32_t b = t.cat_begin[i];
  const std::int32_t e = t.cat_end[i];
  if (b < 0) {
    CHURN_CHECK(b == -1 && e == -1, SerializationError,
                kWhere << ": node " << i << " has cat_begin = " << b << ", cat_end = " << e
                       << "; a numerical split has cat_begin = cat_end = -1 and a categorical "
                          "one 0 <= cat_begin <= cat_end");
  } else {
    CHURN_CHECK(e >= b && e <= n_words, SerializationError,
                kWhere << ": node " << i << " has the categorical range [cat_begin = " << b
                       << ", cat_end = " << e << ") outside cat_bitset (" << n_words
                       << " words) or reversed");
  }
  for (const auto* side : {&t.left_child, &t.right_child}) {
    const std::int32_t c = (*side)[i];
    const char* name = side == &t.left_child ? "left_child" : "right_child";
    CHURN_CHECK(c >= 0 ? c < n_internal : ~static_cast<Index>(c) < n_leaves, SerializationError,
                kWhere << ": field '" << name << "'[" << i << "] = " << c
                       << " is out of range (internal nodes 0.." << n_internal - 1
                       << ", leaves -1..-" << n_leaves << ")");
  }
}

/// The children must form one tree rooted at node 0: walks from the root, refusing to reach
/// any node twice (a cycle, a shared child or a child pointing at the root), checking each
/// leaf's depth, then requires that every node and leaf was reached. Each internal node is
/// pushed at most once, so the walk ends after at most n_internal steps whatever the file says.
void check_tree_shape(const Tree& t) {
  const Index n_internal = t.n_internal();
  std::vector<std::uint8_t> seen_node(static_cast<std::size_t>(n_internal), 0);
  std::vector<std::uint8_t> seen_leaf(static_cast<std::size_t>(n_internal + 1), 0);
  if (n_internal == 0) {
    seen_leaf[0] = 1;
    CHURN_CHECK(t.leaf_depth[0] == 0, SerializationError,
                kWhere << ": field 'leaf_depth'[0] = " << t.leaf_depth[0]
                       << ", but the tree's only leaf is the root (depth 0)");
  } else {
    std::vector<std::pair<std::int32_t, std::int32_t>> stack;  // (internal node, its depth)
    seen_node[0] = 1;
    stack.emplace_back(0, 0);
    while (!stack.empty()) {
      const auto [node, depth] = stack.back();
      stack.pop_back();
      const auto k = static_cast<std::size_t>(node);
      for (const std::int32_t c : {t.left_child[k], t.right_child[k]}) {
        if (c >= 0) {
          const auto ck = static_cast<std::size_t>(c);
          CHURN_CHECK(seen_node[ck] == 0, SerializationError,
                      kWhere << ": field 'left_child'/'right_child': node " << c
                             << " is reached a second time (as a child of node " << node
                             << "); the children must form a tree rooted at node 0 (no cycle, no "
                                "shared child)");
          seen_node[ck] = 1;
          stack.emplace_back(c, depth + 1);
        } else {
          const auto leaf = static_cast<std::size_t>(~c);
          CHURN_CHECK(seen_leaf[leaf] == 0, SerializationError,
                      kWhere << ": field 'left_child'/'right_child': leaf " << leaf << " (child "
                             << c << ") is reached a second time (as a child of node " << node
                             << ")");
          seen_leaf[leaf] = 1;
          CHURN_CHECK(t.leaf_depth[leaf] == depth + 1, SerializationError,
                      kWhere << ": field 'leaf_depth'[" << leaf << "] = " << t.leaf_depth[leaf]
                             << ", but the leaf is at depth " << depth + 1);
        }
      }
    }
  }
  for (std::size_t i = 0; i < seen_node.size(); ++i) {
    CHURN_CHECK(seen_node[i] != 0, SerializationError,
                kWhere << ": field 'left_child'/'right_child': node " << i
                       << " cannot be reached from the root (node 0)");
  }
  for (std::size_t i = 0; i < seen_leaf.size(); ++i) {
    CHURN_CHECK(seen_leaf[i] != 0, SerializationError,
                kWhere << ": field 'left_child'/'right_child': leaf " << i << " (child "
                       << ~static_cast<Index>(i) << ") cannot be reached from the root (node 0)");
  }
}

/// Each internal node's count must be its children's counts added (within a relative 1e-9:
/// the counts are row counts, or sums of weights in files of other writers). TreeSHAP's
/// contributions sum to the prediction only then: a file with a changed count would load and
/// explain wrongly (found by fuzz_gbdt: internal_count 41 -> 2^31).
void check_tree_counts(const Tree& t) {
  const auto cover = [&t](std::int32_t c) {
    return c >= 0 ? t.internal_count[static_cast<std::size_t>(c)]
                  : t.leaf_count[static_cast<std::size_t>(~c)];
  };
  for (std::size_t k = 0; k < t.internal_count.size(); ++k) {
    const double parent = t.internal_count[k];
    const double children = cover(t.left_child[k]) + cover(t.right_child[k]);
    CHURN_CHECK(std::abs(parent - children) <= 1e-9 * std::max(1.0, std::abs(parent)),
                SerializationError,
                kWhere << ": field 'internal_count'[" << k << "] = " << parent
                       << ", but its children's counts add up to " << children);
  }
}

}  // namespace

Tree Tree::from_json(const Json& j, Index n_features) {
  check_tree_object(j);
  std::vector<std::int64_t> dl;
  Tree t = read_tree_arrays(j, dl);
  t.default_left.resize(dl.size());
  for (std::size_t i = 0; i < dl.size(); ++i) {
    CHURN_CHECK(dl[i] == 0 || dl[i] == 1, SerializationError,
                kWhere << ": field 'default_left'[" << i << "] = " << dl[i] << " must be 0 or 1");
    t.default_left[i] = static_cast<std::uint8_t>(dl[i]);
    check_node(t, i, n_features);
  }
  check_tree_shape(t);
  check_tree_counts(t);
  return t;
}

}  // namespace churn::tree
