// churn::tree::detail::PackedTrees: the batch predictor shared by the GBDT and the random forest
// (see packed_trees.hpp).
#include "tree/packed_trees.hpp"

#include <algorithm>  // std::min, std::max
#include <cmath>      // std::isnan
#include <cstring>    // std::memcpy
#include <utility>    // std::pair

#include "churn/core/error.hpp"
#include "churn/core/parallel.hpp"
#include "tree/split_key.hpp"

namespace churn::tree::detail {

namespace {

constexpr std::int64_t kMaxTreeNodes = std::int64_t{1} << 27;
/// Codes with a bit of their own in a categorical feature's one-hot word.
constexpr int kOneHotCodes = 63;
/// Rows walked down a tree together.
constexpr int kGroup = 8;
/// Forests up to this many bytes of nodes count as small (their trees stay in L2).
constexpr std::int64_t kSmallForestBytes = 384 * 1024;
/// Bytes of row keys a block of a small forest should span (to stay in L1).
constexpr Index kSmallBlockBytes = 24 * 1024;
/// Words of row keys held on the stack (beyond, on the heap).
constexpr Index kStackKeys = 512;
/// Rows per block of a large forest (each tree is read once per block).
constexpr Index kLargeBlockRows = 1024;
/// Rows per block of QuickScorer (its buffers are allocated once per block).
constexpr Index kQuickBlockRows = 1024;

/// Whether the row whose key for the node's feature is `key` goes left at the categorical node
/// `nd` (as Tree::goes_left).
inline bool category_goes_left(const PackedNode& nd, const std::uint32_t* bits, std::int64_t key) {
  const bool missing_left = (nd.meta & PackedTrees::kDefaultLeft) != 0;
  if (key == kKeyMax) return missing_left;  // NaN
  double v;
  std::memcpy(&v, &key, sizeof(v));  // codes are >= 0: their key is their bits
  std::int32_t where[2];
  std::memcpy(where, &nd.key, sizeof(where));
  // Codes are validated to be integers in [0, 2^31) before prediction.
  const auto code = static_cast<std::int64_t>(v);
  if (code < 0 || code >= 32 * static_cast<std::int64_t>(where[1])) return missing_left;
  return ((bits[static_cast<std::size_t>(where[0] + code / 32)] >> (code % 32)) & 1U) != 0;
}

/// Walks the rows whose keys start at `x[0 .. kLanes)` down the tree at `tree` together;
/// `at[l]` ends at the byte offset of row l's leaf. Branch-free but for categorical splits
/// (`kCat`): a leaf sends every row to itself, so a row at its leaf stays there until every
/// row is at its own.
template <bool kCat, int kLanes>
void walk_group(const char* tree, const std::uint32_t* bits, const char* const* x,
                std::int32_t* at) {
  std::int32_t pos[kLanes];
  const char* row[kLanes];
  for (int l = 0; l < kLanes; ++l) {
    pos[l] = 0;
    row[l] = x[l];
  }
  for (std::int32_t moved = 1; moved != 0;) {
    moved = 0;
    for (int l = 0; l < kLanes; ++l) {
      const std::int32_t k = pos[l];
      const auto* nd = reinterpret_cast<const PackedNode*>(tree + k);
      const std::uint32_t meta = nd->meta;
      std::int64_t key;
      std::memcpy(&key, row[l] + (kCat ? meta & PackedTrees::kSlotMask : meta), sizeof(key));
      // Selections by masks, not branches (a compiler would branch on `left` otherwise).
      std::int32_t left = key <= nd->key;
      if (kCat) {  // a one-hot categorical split: whether the row's bit is in the node's set
        const std::int32_t in_set = (key & nd->key) != 0;
        const std::int32_t cat = -static_cast<std::int32_t>(meta & PackedTrees::kCategorical);
        left ^= (left ^ in_set) & cat;
        if ((meta & PackedTrees::kWide) != 0) left = category_goes_left(*nd, bits, key);
      }
      const std::int32_t child = nd->child;
      const std::int32_t right = k + static_cast<std::int32_t>(sizeof(PackedNode));
      const std::int32_t next = right ^ ((right ^ child) & -left);
      moved |= next ^ k;
      pos[l] = next;
    }
  }
  for (int l = 0; l < kLanes; ++l) at[l] = pos[l];
}

}  // namespace

PackedTrees::PackedTrees(const std::vector<Tree>& trees, Index n_features, int n_threads)
    : n_features_(n_features) {
  const char* who = "PackedTrees";
  CHURN_CHECK(n_features >= 1 && n_features < (Index{1} << 28), InvalidArgument,
              who << ": n_features must be in [1, 2^28), got " << n_features);
  // Where each tree's nodes and bitsets go (trees are then packed independently, in parallel).
  std::int64_t total = 0;
  std::vector<std::int64_t> bits_begin;
  bits_begin.reserve(trees.size());
  std::size_t bits = 0;
  one_hot_slot_.assign(static_cast<std::size_t>(n_features), -1);
  row_width_ = 2 * n_features + 1;
  tree_begin_.reserve(trees.size());
  for (const Tree& t : trees) {
    const std::int64_t size = t.n_internal() + t.n_leaves();
    CHURN_CHECK(size < kMaxTreeNodes, InvalidArgument,
                who << ": a tree has " << size << " nodes; prediction supports fewer than "
                    << kMaxTreeNodes);
    tree_begin_.push_back(total);
    total += size;
    bits_begin.push_back(static_cast<std::int64_t>(bits));
    bits += t.cat_bitset.size();
    CHURN_CHECK(bits < (std::size_t{1} << 31), InvalidArgument,
                who << ": the categorical bitsets exceed 2^31 words");
    for (Index i = 0; i < t.n_internal(); ++i) {
      const auto f = static_cast<std::size_t>(t.split_feature[static_cast<std::size_t>(i)]);
      if (t.cat_begin[static_cast<std::size_t>(i)] < 0 || f >= one_hot_slot_.size() ||
          one_hot_slot_[f] >= 0)
        continue;
      one_hot_slot_[f] = row_width_++;
      one_hot_features_.push_back(static_cast<Index>(f));
    }
  }
  nodes_.resize(static_cast<std::size_t>(total));
  cat_bits_.resize(bits);
  tree_has_cat_.assign(trees.size(), 0);
  // A tree is packed in microseconds: blocks of trees keep the threads' share worth a barrier.
  constexpr Index kTreesPerBlock = 8;
  parallel_for_blocks(0, static_cast<Index>(trees.size()), kTreesPerBlock, n_threads,
                      [&](Index lo, Index hi) {
                        for (Index i = lo; i < hi; ++i) {
                          const auto k = static_cast<std::size_t>(i);
                          pack(trees[k], k, bits_begin[k]);
                        }
                      });
  quick_ = QuickScorer::build(trees, n_features);
}

void PackedTrees::pack(const Tree& t, std::size_t index, std::int64_t bits_at) {
  const char* who = "PackedTrees";
  const std::int64_t root = tree_begin_[index];
  std::copy(t.cat_bitset.begin(), t.cat_bitset.end(),
            cat_bits_.begin() + static_cast<std::ptrdiff_t>(bits_at));
  const auto sentinel = static_cast<std::uint32_t>(2 * n_features_ * 8);
  bool has_cat = false;
  std::int64_t next = root;  // the slot the next node in preorder takes
  // (node id as in Tree: >= 0 internal, < 0 leaf; the slot whose left child it is, or -1)
  std::vector<std::pair<std::int32_t, std::int64_t>> stack{{t.n_internal() > 0 ? 0 : ~0, -1}};
  while (!stack.empty()) {
    const auto [id, parent] = stack.back();
    stack.pop_back();
    const auto offset = static_cast<std::int32_t>((next - root) * std::int64_t{sizeof(PackedNode)});
    if (parent >= 0) nodes_[static_cast<std::size_t>(parent)].child = offset;
    PackedNode& nd = nodes_[static_cast<std::size_t>(next)];
    if (id < 0) {
      nd = PackedNode{0, sentinel, offset};
      std::memcpy(&nd.key, &t.leaf_value[static_cast<std::size_t>(~id)], sizeof(nd.key));
      ++next;
      continue;
    }
    const auto k = static_cast<std::size_t>(id);
    const std::int32_t f = t.split_feature[k];
    CHURN_CHECK(f >= 0 && f < n_features_, InvalidArgument,
                who << ": feature index " << f << " out of range [0, " << n_features_ << ")");
    nd = PackedNode{0, static_cast<std::uint32_t>(2 * f) * 8, 0};
    if (t.cat_begin[k] >= 0) {
      has_cat = true;
      pack_categorical(t, k, bits_at, nd);
    } else {
      CHURN_CHECK(!std::isnan(t.threshold[k]), InvalidArgument, who << ": a threshold is NaN");
      nd.key = key_of(t.threshold[k]);
      if (t.default_left[k] != 0) nd.meta += 8;  // the key with NaN smallest: NaN goes left
    }
    const std::int64_t here = next++;
    stack.push_back({t.left_child[k], here});  // after the whole right subtree
    stack.push_back({t.right_child[k], -1});   // next: right after this node
  }
  tree_has_cat_[index] = has_cat ? 1 : 0;
}

void PackedTrees::pack_categorical(const Tree& t, std::size_t k, std::int64_t bits_at,
                                   PackedNode& nd) const {
  const std::int32_t f = t.split_feature[k];
  const bool dl = t.default_left[k] != 0;
  const std::int32_t begin = t.cat_begin[k];
  const std::int32_t words = t.cat_end[k] - begin;
  // Codes beyond the bitset go the missing way: as if the bitset went on with words of `dl`.
  const std::uint32_t beyond = dl ? ~std::uint32_t{0} : 0U;
  const auto word = [&](std::int32_t w) {
    return w < words ? t.cat_bitset[static_cast<std::size_t>(begin + w)] : beyond;
  };
  // The one-hot word of a code c < 63 is bit c; of any other code and of NaN, bit 63: it
  // decides exactly when every code from 63 on goes the missing way.
  bool narrow = ((word(1) >> 31) != 0) == dl;
  for (std::int32_t w = 2; w < words && narrow; ++w) narrow = word(w) == beyond;
  if (narrow) {
    constexpr std::uint64_t kTop = std::uint64_t{1} << kOneHotCodes;
    std::uint64_t mask = word(0) | (std::uint64_t{word(1)} << 32);
    mask = (mask & ~kTop) | (dl ? kTop : 0);
    std::memcpy(&nd.key, &mask, sizeof(mask));
    nd.meta =
        static_cast<std::uint32_t>(one_hot_slot_[static_cast<std::size_t>(f)] * 8) | kCategorical;
    return;
  }
  nd.meta = static_cast<std::uint32_t>(2 * f * 8) | kWide | (dl ? kDefaultLeft : 0U);
  const std::int32_t where[2] = {static_cast<std::int32_t>(bits_at + begin), words};
  static_assert(sizeof(where) == sizeof(nd.key), "two int32 in an int64");
  std::memcpy(&nd.key, where, sizeof(where));
}

Index PackedTrees::block_rows(int n_trees) const {
  const std::int64_t end = n_trees < this->n_trees()
                               ? tree_begin_[static_cast<std::size_t>(n_trees)]
                               : static_cast<std::int64_t>(nodes_.size());
  if (end * static_cast<std::int64_t>(sizeof(PackedNode)) > kSmallForestBytes)
    return kLargeBlockRows;
  const Index row_bytes = row_width_ * static_cast<Index>(sizeof(std::int64_t));
  const Index rows = kSmallBlockBytes / row_bytes / kGroup * kGroup;
  return std::min<Index>(std::max<Index>(rows, kGroup), 256);
}

void PackedTrees::fill_keys(const RowMatrixRef& X, Index lo, Index hi, std::int64_t* keys) const {
  const Index p = X.cols();
  for (Index i = lo; i < hi; ++i) {
    const double* x = X.row(i).data();
    std::int64_t* k = keys + (i - lo) * row_width_;
    for (Index j = 0; j < p; ++j) {
      const bool nan = std::isnan(x[j]);
      const std::int64_t key = key_of(nan ? 0.0 : x[j]);
      k[2 * j] = nan ? kKeyMax : key;
      k[2 * j + 1] = nan ? kKeyMin : key;
    }
    k[2 * p] = kKeyMin;
    for (const Index j : one_hot_features_) {
      // codes are validated integers in [0, 2^31) or NaN
      const double v = x[j];
      const std::uint64_t word = !std::isnan(v) && v < kOneHotCodes
                                     ? std::uint64_t{1} << static_cast<int>(v)
                                     : std::uint64_t{1} << kOneHotCodes;
      std::memcpy(&k[one_hot_slot_[static_cast<std::size_t>(j)]], &word, sizeof(word));
    }
  }
}

void PackedTrees::add_block(const RowMatrixRef& X, int n_trees, bool quick, Index lo, Index hi,
                            double* out) const {
  if (quick) lo = quick_->add_rows(X, n_trees, lo, hi, out);
  if (lo == hi) return;
  const Index width = row_width_;
  // A few rows (a one-row call) use the stack; a block of many, the heap.
  std::int64_t small[kStackKeys];
  std::vector<std::int64_t> heap;
  std::int64_t* keys = small;
  if ((hi - lo) * width > kStackKeys) {
    heap.resize(static_cast<std::size_t>((hi - lo) * width));
    keys = heap.data();
  }
  fill_keys(X, lo, hi, keys);
  const char* x[kGroup];
  std::int32_t at[kGroup];
  const std::uint32_t* bits = cat_bits_.data();
  for (int t = 0; t < n_trees; ++t) {
    const auto* tree =
        reinterpret_cast<const char*>(nodes_.data() + tree_begin_[static_cast<std::size_t>(t)]);
    const bool cat = tree_has_cat_[static_cast<std::size_t>(t)] != 0;
    // Full groups of rows together; the last few rows one by one (no work on padding).
    for (Index i0 = lo; i0 < hi;) {
      const int n = hi - i0 >= kGroup ? kGroup : 1;
      for (int l = 0; l < n; ++l)
        x[l] = reinterpret_cast<const char*>(keys + (i0 - lo + l) * width);
      if (n == kGroup)
        cat ? walk_group<true, kGroup>(tree, bits, x, at)
            : walk_group<false, kGroup>(tree, bits, x, at);
      else
        cat ? walk_group<true, 1>(tree, bits, x, at) : walk_group<false, 1>(tree, bits, x, at);
      for (int l = 0; l < n; ++l) {
        double v;
        std::memcpy(&v, tree + at[l], sizeof(v));
        out[i0 + l] += v;
      }
      i0 += n;
    }
  }
}

Vector PackedTrees::sum(const RowMatrixRef& X, int n_trees, double init, int n_threads,
                        bool quick) const {
  const int k = std::min(n_trees, this->n_trees());
  Vector out = Vector::Constant(X.rows(), init);
  if (k <= 0) return out;
  CHURN_CHECK(
      X.cols() == n_features_, InvalidArgument,
      "PackedTrees::sum(): X has " << X.cols() << " columns, the trees take " << n_features_);
  double* o = out.data();
  const bool q = quick && uses_quick_scorer(k);
  parallel_for_blocks(0, X.rows(), q ? kQuickBlockRows : block_rows(k), n_threads,
                      [&](Index lo, Index hi) { add_block(X, k, q, lo, hi, o); });
  return out;
}

}  // namespace churn::tree::detail
