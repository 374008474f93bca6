// churn::tree::detail::QuickScorer: bitvector batch prediction of small trees (see
// quick_scorer.hpp), and the portable build of its scan kernel.
#include "tree/quick_scorer.hpp"

#include <algorithm>  // std::stable_sort, std::fill, std::max, std::copy
#include <cmath>      // std::isnan
#include <limits>     // std::numeric_limits
#include <utility>    // std::pair

#include "common/cpu_dispatch.hpp"
#include "tree/split_key.hpp"

// The kernel's 32-byte vectors only pass between helpers inlined into this file.
#pragma GCC diagnostic ignored "-Wpsabi"

namespace churn::tree::detail {

#include "tree/quick_scorer_impl.hpp"

void qs_scan_generic(const QsLists& lists, const std::int64_t* keys, std::int64_t* bits) {
  scan_lists(lists, keys, bits);
}

void qs_and_rows_generic(const std::int64_t* const* rows, int n_rows, Index n, std::int64_t* out) {
  and_rows(rows, n_rows, n, out);
}

namespace {

/// Widest categorical split (codes) QuickScorer takes: 32 bitset words.
constexpr Index kMaxCodes = 1024;
/// Most categorical masks (buckets x trees, 8 bytes each) QuickScorer builds: 16 MB.
constexpr std::int64_t kMaxCatMasks = std::int64_t{1} << 21;
/// Most trees (their slots, tree * kQsRows, must fit 32 bits).
constexpr std::size_t kMaxTrees = std::size_t{1} << 26;

/// The lowest set bit of `bits` (not 0).
inline int lowest_bit(std::int64_t bits) {
  const auto u = static_cast<std::uint64_t>(bits);
#if defined(__GNUC__)
  return __builtin_ctzll(u);
#else
  int b = 0;
  while (((u >> b) & 1U) == 0) ++b;
  return b;
#endif
}

/// Asks for the kQsRows rows of `X` from `i0` to be brought into cache (the rows of the next
/// group, read while this one is scored).
inline void prefetch_rows(const RowMatrixRef& X, Index i0) {
#if defined(__GNUC__)
  const Index stride = X.outerStride();
  const Index bytes = X.cols() * static_cast<Index>(sizeof(double));
  for (int r = 0; r < kQsRows; ++r) {
    const char* row = reinterpret_cast<const char*>(X.data() + (i0 + r) * stride);
    for (Index b = 0; b < bytes; b += 64) __builtin_prefetch(row + b);
    __builtin_prefetch(row + bytes - 1);
  }
#else
  (void)X;
  (void)i0;
#endif
}

}  // namespace

std::shared_ptr<const QuickScorer> QuickScorer::build(const std::vector<Tree>& trees,
                                                      Index n_features) {
  if (trees.size() >= kMaxTrees) return nullptr;
  for (const Tree& t : trees)
    if (t.n_leaves() > kMaxLeaves) return nullptr;
  std::shared_ptr<QuickScorer> qs(new QuickScorer());
  qs->num_list_of_.assign(static_cast<std::size_t>(n_features), -1);
  qs->pending_cat_.resize(static_cast<std::size_t>(n_features));
  for (std::size_t t = 0; t < trees.size(); ++t) qs->add_tree(trees[t], static_cast<int>(t));
  qs->n_trees_ = static_cast<int>(trees.size());
  qs->finish_numerical();
  if (!qs->finish_categorical(trees)) return nullptr;
  return qs;
}

void QuickScorer::add_tree(const Tree& t, int index) {
  leaf_begin_.push_back(static_cast<std::int64_t>(leaf_value_.size()));
  const auto n = static_cast<std::size_t>(t.n_internal());
  if (n == 0) {
    leaf_value_.push_back(t.leaf_value[0]);
    return;
  }
  // Preorder meets the leaves from left to right; a node's left subtree holds the leaves
  // numbered from when its left child is met to when its right child is.
  std::vector<std::int32_t> first(n), past(n);
  std::vector<std::pair<std::int32_t, std::int32_t>> stack{{0, -1}};  // (node, parent * 2 + side)
  std::int32_t pos = 0;
  while (!stack.empty()) {
    const auto [id, from] = stack.back();
    stack.pop_back();
    if (from >= 0) ((from & 1) != 0 ? past : first)[static_cast<std::size_t>(from >> 1)] = pos;
    if (id < 0) {
      leaf_value_.push_back(t.leaf_value[static_cast<std::size_t>(~id)]);
      ++pos;
      continue;
    }
    const auto k = static_cast<std::size_t>(id);
    stack.push_back({t.right_child[k], 2 * id + 1});
    stack.push_back({t.left_child[k], 2 * id});
  }
  const auto slot = static_cast<std::uint32_t>(index) * std::uint32_t{kQsRows};
  for (std::size_t k = 0; k < n; ++k) {
    const int width = past[k] - first[k];  // 1 .. 63: the right subtree has a leaf
    const std::uint64_t left = ((std::uint64_t{1} << width) - 1) << first[k];
    const auto mask = static_cast<std::int64_t>(~left);
    const auto f = static_cast<std::size_t>(t.split_feature[k]);
    if (t.cat_begin[k] >= 0) {
      pending_cat_[f].push_back({static_cast<std::int64_t>(k), 0, mask, slot, index});
      continue;
    }
    if (num_list_of_[f] < 0) {
      num_list_of_[f] = static_cast<Index>(num_feature_.size());
      num_feature_.push_back(static_cast<Index>(f));
    }
    const std::int64_t list = 2 * num_list_of_[f] + (t.default_left[k] != 0 ? 1 : 0);
    pending_num_.push_back({list, key_of(t.threshold[k]), mask, slot, index});
  }
}

void QuickScorer::finish_numerical() {
  std::stable_sort(
      pending_num_.begin(), pending_num_.end(), [](const Pending& a, const Pending& b) {
        return a.list_or_node != b.list_or_node ? a.list_or_node < b.list_or_node : a.key < b.key;
      });
  const auto n_lists = static_cast<std::int64_t>(2 * num_feature_.size());
  const std::size_t size = pending_num_.size() + static_cast<std::size_t>(n_lists);
  threshold_.reserve(size);
  mask_.reserve(size);
  slot_.reserve(size);
  list_begin_.reserve(static_cast<std::size_t>(n_lists));
  std::size_t at = 0;
  for (std::int64_t g = 0; g < n_lists; ++g) {
    list_begin_.push_back(static_cast<std::int64_t>(threshold_.size()));
    for (; at < pending_num_.size() && pending_num_[at].list_or_node == g; ++at) {
      threshold_.push_back(pending_num_[at].key);
      mask_.push_back(pending_num_[at].mask);
      slot_.push_back(pending_num_[at].slot);
    }
    threshold_.push_back(kKeyMax);  // the sentinel: no key exceeds it
    mask_.push_back(-1);
    slot_.push_back(0);
  }
  pending_num_ = {};
}

bool QuickScorer::finish_categorical(const std::vector<Tree>& trees) {
  std::int64_t buckets = 0;
  for (std::size_t f = 0; f < pending_cat_.size(); ++f) {
    if (pending_cat_[f].empty()) continue;
    Index codes = 0;
    for (const Pending& p : pending_cat_[f]) {
      const Tree& t = trees[static_cast<std::size_t>(p.tree)];
      const auto k = static_cast<std::size_t>(p.list_or_node);
      codes = std::max<Index>(codes, 32 * Index{t.cat_end[k] - t.cat_begin[k]});
    }
    if (codes > kMaxCodes) return false;
    buckets += codes + 1;
    if (buckets * n_trees_ > kMaxCatMasks) return false;
    cat_feature_.push_back(static_cast<Index>(f));
    cat_codes_.push_back(codes);
  }
  cat_mask_.assign(static_cast<std::size_t>(buckets * n_trees_), -1);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  std::int64_t bucket = 0;
  for (std::size_t c = 0; c < cat_feature_.size(); ++c) {
    cat_bucket_.push_back(bucket);
    const auto& nodes = pending_cat_[static_cast<std::size_t>(cat_feature_[c])];
    // bucket b < codes: the code b; bucket `codes`: NaN and every larger code (the missing way)
    for (Index b = 0; b <= cat_codes_[c]; ++b, ++bucket) {
      const double v = b < cat_codes_[c] ? static_cast<double>(b) : nan;
      std::int64_t* masks = cat_mask_.data() + bucket * n_trees_;
      for (const Pending& p : nodes)
        if (!trees[static_cast<std::size_t>(p.tree)].goes_left(p.list_or_node, v))
          masks[p.tree] &= p.mask;
    }
  }
  pending_cat_ = {};
  return true;
}

void QuickScorer::fill_keys(const RowMatrixRef& X, Index i0, std::int64_t* keys) const {
  const Index stride = X.outerStride();
  const double* x0 = X.data() + i0 * stride;
  for (std::size_t u = 0; u < num_feature_.size(); ++u) {
    const double* x = x0 + num_feature_[u];
    std::int64_t* hi = keys + 2 * static_cast<Index>(u) * kQsRows;  // NaN largest
    std::int64_t* lo = hi + kQsRows;                                // NaN smallest
    for (int r = 0; r < kQsRows; ++r) {
      const double v = x[r * stride];
      const bool nan = std::isnan(v);
      const std::int64_t key = key_of(nan ? 0.0 : v);
      hi[r] = nan ? kKeyMax : key;
      lo[r] = nan ? kKeyMin : key;
    }
  }
}

void QuickScorer::categorical_bits(const RowMatrixRef& X, Index i0, const std::int64_t** rows,
                                   decltype(&qs_and_rows_generic) and_rows,
                                   std::int64_t* bits) const {
  const Index stride = X.outerStride();
  const Index n = n_trees_;
  for (int r = 0; r < kQsRows; ++r) {
    const double* x = X.data() + (i0 + r) * stride;
    for (std::size_t c = 0; c < cat_feature_.size(); ++c) {
      // codes are validated integers in [0, 2^31) or NaN
      const double v = x[cat_feature_[c]];
      const Index codes = cat_codes_[c];
      const Index b =
          !std::isnan(v) && v < static_cast<double>(codes) ? static_cast<Index>(v) : codes;
      rows[c] = cat_mask_.data() + (cat_bucket_[c] + b) * n;
    }
    and_rows(rows, static_cast<int>(cat_feature_.size()), n, bits + r * n);
  }
}

template <bool kCat>
void QuickScorer::add_leaves(const std::int64_t* bits, const std::int64_t* cat_bits, int n_trees,
                             double* out) const {
  double sum[kQsRows];
  for (int r = 0; r < kQsRows; ++r) sum[r] = out[r];
  const double* values = leaf_value_.data();
  for (int t = 0; t < n_trees; ++t) {
    const double* leaf = values + leaf_begin_[static_cast<std::size_t>(t)];
    const std::int64_t* b = bits + static_cast<Index>(t) * kQsRows;
    for (int r = 0; r < kQsRows; ++r) {
      const std::int64_t both = kCat ? b[r] & cat_bits[r * Index{n_trees_} + t] : b[r];
      sum[r] += leaf[lowest_bit(both)];
    }
  }
  for (int r = 0; r < kQsRows; ++r) out[r] = sum[r];
}

Index QuickScorer::add_rows(const RowMatrixRef& X, int n_trees, Index lo, Index hi,
                            double* out) const {
  const Index full = lo + (hi - lo) / kQsRows * kQsRows;
  if (full == lo) return lo;
  const std::size_t n = static_cast<std::size_t>(n_trees_) * kQsRows;
  std::vector<std::int64_t> bits(n);
  std::vector<std::int64_t> cat_bits(cat_feature_.empty() ? 0 : n);
  std::vector<std::int64_t> keys(std::max<std::size_t>(2 * num_feature_.size() * kQsRows, 1));
  const QsLists lists{threshold_.data(), mask_.data(), slot_.data(), list_begin_.data(),
                      static_cast<Index>(list_begin_.size())};
  std::vector<const std::int64_t*> rows(cat_feature_.size());
  const bool avx2 = common::cpu_level() >= common::CpuLevel::Avx2;
  const auto scan = avx2 ? qs_scan_avx2 : qs_scan_generic;
  const auto and_rows = avx2 ? qs_and_rows_avx2 : qs_and_rows_generic;
  for (Index i0 = lo; i0 < full; i0 += kQsRows) {
    if (i0 + kQsRows < full) prefetch_rows(X, i0 + kQsRows);
    std::fill(bits.begin(), bits.end(), -1);
    fill_keys(X, i0, keys.data());
    scan(lists, keys.data(), bits.data());
    if (cat_bits.empty()) {
      add_leaves<false>(bits.data(), nullptr, n_trees, out + i0);
    } else {
      categorical_bits(X, i0, rows.data(), and_rows, cat_bits.data());
      add_leaves<true>(bits.data(), cat_bits.data(), n_trees, out + i0);
    }
  }
  return full;
}

}  // namespace churn::tree::detail
