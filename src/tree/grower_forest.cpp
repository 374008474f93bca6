// A random forest's tree on the histogram grower: per-node feature draws, one feature's
// histogram at a time from the node's rows; depth-first growth, or best-first with a heap of
// split gains when a leaf limit may bind.
#include <algorithm>  // std::min, std::max, std::swap, std::copy_n
#include <cstring>    // std::memcpy
#include <limits>     // std::numeric_limits
#include <queue>      // std::priority_queue
#include <utility>    // std::move, std::pair

#include "churn/core/parallel.hpp"
#include "churn/core/random.hpp"
#include "tree/grower.hpp"

namespace churn::tree::detail {

namespace {

/// Features histogrammed in one pass over a node's rows (at most).
constexpr Index kMaxBatch = 16;

/// Most bins of a feature histogrammed in kCopies copies (record_small_histograms).
constexpr std::int32_t kSmallBins = 8;
/// Copies of a small feature's histogram (consecutive rows add to different copies).
constexpr int kCopies = 4;

/// Most bins of a feature whose touched bins compact_histogram() sorts through a bitmap.
constexpr std::int32_t kBitmapBins = 256;

/// The path key of the child of the node `parent` on side `right` (splitmix64 of the parent's
/// key doubled plus the side): it depends only on the node's path from the root.
std::uint64_t child_key(std::uint64_t parent, bool right) {
  std::uint64_t z = parent * 2 + (right ? 1 : 0) + 0x9E3779B97F4A7C15ULL;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

/// Whether split `a` beats `b`: a larger gain, ties to the lower feature (as grow()).
bool better(const SplitInfo& a, const SplitInfo& b) {
  if (!a.valid()) return false;
  if (!b.valid()) return true;
  return a.gain > b.gain || (a.gain == b.gain && a.feature < b.feature);
}

/// Adds the rows to `hist` (zero where not yet touched) from the feature's column of bins
/// `col`; writes the bins in the order first touched to `present` and returns their number.
template <class BinT>
std::int32_t histogram_of(const BinT* col, const std::int32_t* rows, const GradPair* gh, Index m,
                          HistBin* hist, std::int32_t* present) {
  std::int32_t k = 0;
  for (Index i = 0; i < m; ++i) {
    const std::int32_t b = col[rows[i]];
    present[k] = b;                // kept only when new (present has one spare entry)
    k += hist[b].hc == 0 ? 1 : 0;  // every row adds at least 1 (its count) to hc
    hist[b].g += gh[i].g;
    hist[b].hc += gh[i].hc;
  }
  return k;
}

/// histogram_of() for K features at once over `m` records `stride` bytes apart from `rec` (a
/// gradient pair, then the row's bins): feature q's bin at `bin_at[q]`, its histogram at
/// `hist[q]`, its touched bins to `present[q]` and their number to `k[q]`. The K histograms
/// are independent, so their updates overlap where one histogram's would wait on the last.
template <class BinT, int K>
void record_histograms(const std::uint8_t* rec, Index stride, const Index* bin_at, Index m,
                       HistBin* const* hist, std::int32_t* const* present, std::int32_t* k) {
  std::int32_t kk[K];
  for (int q = 0; q < K; ++q) kk[q] = 0;
  for (Index i = 0; i < m; ++i, rec += stride) {
    GradPair gh;
    std::memcpy(&gh, rec, sizeof(GradPair));
    for (int q = 0; q < K; ++q) {
      BinT b;
      std::memcpy(&b, rec + bin_at[q], sizeof(BinT));
      HistBin& h = hist[q][b];
      present[q][kk[q]] = b;
      kk[q] += h.hc == 0 ? 1 : 0;
      h.g += gh.g;
      h.hc += gh.hc;
    }
  }
  for (int q = 0; q < K; ++q) k[q] = kk[q];
}

/// record_histograms() for `nf` features, up to four at a time.
template <class BinT>
void record_histograms(const std::uint8_t* rec, Index stride, const Index* bin_at, Index m,
                       Index nf, HistBin* const* hist, std::int32_t* const* present,
                       std::int32_t* k) {
  for (Index q = 0; q < nf; q += 4) {
    const Index* at = bin_at + q;
    HistBin* const* h = hist + q;
    std::int32_t* const* pr = present + q;
    switch (std::min<Index>(4, nf - q)) {
      case 1: record_histograms<BinT, 1>(rec, stride, at, m, h, pr, k + q); break;
      case 2: record_histograms<BinT, 2>(rec, stride, at, m, h, pr, k + q); break;
      case 3: record_histograms<BinT, 3>(rec, stride, at, m, h, pr, k + q); break;
      default: record_histograms<BinT, 4>(rec, stride, at, m, h, pr, k + q); break;
    }
  }
}

/// record_histograms() for K features of at most kSmallBins bins each, without the list of
/// touched bins: each feature's histogram has kCopies copies (`hist[q]`: copy c's bin b at
/// c * kSmallBins + b) and record i adds to copy i % kCopies. A feature of few bins gets the
/// same bin in consecutive rows most of the time, and a single histogram would make each
/// row's update wait on the last one's store; with the copies, updates of nearby rows are
/// independent.
template <class BinT, int K>
void record_small_histograms(const std::uint8_t* rec, Index stride, const Index* bin_at, Index m,
                             HistBin* const* hist) {
  Index i = 0;
  for (; i + kCopies <= m; i += kCopies)
    for (int c = 0; c < kCopies; ++c, rec += stride) {
      GradPair gh;
      std::memcpy(&gh, rec, sizeof(GradPair));
      for (int q = 0; q < K; ++q) {
        BinT b;
        std::memcpy(&b, rec + bin_at[q], sizeof(BinT));
        HistBin& h = hist[q][c * kSmallBins + b];
        h.g += gh.g;
        h.hc += gh.hc;
      }
    }
  for (int c = 0; i < m; ++i, ++c, rec += stride) {
    GradPair gh;
    std::memcpy(&gh, rec, sizeof(GradPair));
    for (int q = 0; q < K; ++q) {
      BinT b;
      std::memcpy(&b, rec + bin_at[q], sizeof(BinT));
      HistBin& h = hist[q][c * kSmallBins + b];
      h.g += gh.g;
      h.hc += gh.hc;
    }
  }
}

/// record_small_histograms() for `nf` features, up to four at a time.
template <class BinT>
void record_small_histograms(const std::uint8_t* rec, Index stride, const Index* bin_at, Index m,
                             Index nf, HistBin* const* hist) {
  for (Index q = 0; q < nf; q += 4) {
    switch (std::min<Index>(4, nf - q)) {
      case 1: record_small_histograms<BinT, 1>(rec, stride, bin_at + q, m, hist + q); break;
      case 2: record_small_histograms<BinT, 2>(rec, stride, bin_at + q, m, hist + q); break;
      case 3: record_small_histograms<BinT, 3>(rec, stride, bin_at + q, m, hist + q); break;
      default: record_small_histograms<BinT, 4>(rec, stride, bin_at + q, m, hist + q); break;
    }
  }
}

/// Makes `s` "no split" (its buffers kept for the next split recorded in it).
void no_split(SplitInfo& s) {
  s.gain = -std::numeric_limits<double>::infinity();
  s.feature = -1;
}

/// Reserves room for `n` internal nodes in the node arrays of `tree`.
void reserve_nodes(Tree& tree, std::size_t n) {
  tree.split_feature.reserve(n);
  tree.threshold.reserve(n);
  tree.default_left.reserve(n);
  tree.cat_begin.reserve(n);
  tree.cat_end.reserve(n);
  tree.left_child.reserve(n);
  tree.right_child.reserve(n);
  tree.split_gain.reserve(n);
  tree.internal_count.reserve(n);
  tree.internal_value.reserve(n);
}

/// Sorts the few values `v[0 .. k)` (insertion sort).
void sort_small(std::int32_t* v, std::int32_t k) {
  for (std::int32_t i = 1; i < k; ++i) {
    const std::int32_t x = v[i];
    std::int32_t j = i;
    for (; j > 0 && v[j - 1] > x; --j) v[j] = v[j - 1];
    v[j] = x;
  }
}

}  // namespace

void TreeGrower::feature_histograms(const Leaf& leaf, Index nb) {
  const bool wide = bins_.wide_cols;
  if (record_stride_ > 0) {
    // Features of few bins go to their copied histograms (small_hist_), the others to fhist_
    // with their touched bins; n_present_ is -1 for a slot of the first kind.
    Index bin_at[kMaxBatch], small_at[kMaxBatch];
    HistBin* hist[kMaxBatch];
    HistBin* small[kMaxBatch];
    std::int32_t* present[kMaxBatch];
    std::int32_t* k[kMaxBatch];
    Index n_large = 0, n_small = 0;
    for (Index s = 0; s < nb; ++s) {
      const Index f = batch_[static_cast<std::size_t>(s)];
      if (bins_.n_bins[static_cast<std::size_t>(f)] <= kSmallBins) {
        small_at[n_small] = record_bin_at(f);
        small[n_small++] = small_hist_.data() + s * kCopies * kSmallBins;
        n_present_[static_cast<std::size_t>(s)] = -1;
        continue;
      }
      bin_at[n_large] = record_bin_at(f);
      hist[n_large] = fhist_.data() + s * fhist_stride_;
      present[n_large] = present_.data() + s * fhist_stride_;
      k[n_large++] = n_present_.data() + s;
    }
    const std::uint8_t* rec = records(leaf.depth) + leaf.begin * record_stride_;
    std::int32_t n_touched[kMaxBatch];
    if (wide) {
      record_histograms<std::uint16_t>(rec, record_stride_, bin_at, leaf.count, n_large, hist,
                                       present, n_touched);
      record_small_histograms<std::uint16_t>(rec, record_stride_, small_at, leaf.count, n_small,
                                             small);
    } else {
      record_histograms<std::uint8_t>(rec, record_stride_, bin_at, leaf.count, n_large, hist,
                                      present, n_touched);
      record_small_histograms<std::uint8_t>(rec, record_stride_, small_at, leaf.count, n_small,
                                            small);
    }
    for (Index q = 0; q < n_large; ++q) *k[q] = n_touched[q];
    return;
  }
  const std::int32_t* rows = rows_of(leaf);
  const GradPair* gh = gh_of(leaf);
  for (Index s = 0; s < nb; ++s) {
    const Index f = batch_[static_cast<std::size_t>(s)];
    const Index at = s * fhist_stride_;
    n_present_[static_cast<std::size_t>(s)] =
        wide ? histogram_of(bins_.cols16.data() + f * bins_.n_rows, rows, gh, leaf.count,
                            fhist_.data() + at, present_.data() + at)
             : histogram_of(bins_.cols8.data() + f * bins_.n_rows, rows, gh, leaf.count,
                            fhist_.data() + at, present_.data() + at);
  }
}

std::int32_t TreeGrower::compact_histogram(Index s, Index f) {
  const std::int32_t nb = bins_.n_bins[static_cast<std::size_t>(f)];
  HistBin* hist = fhist_.data() + s * fhist_stride_;
  std::int32_t* present = present_.data() + s * fhist_stride_;
  std::int32_t k = n_present_[static_cast<std::size_t>(s)];
  if (k < 0) {  // a feature of few bins, its histogram in copies (record_small_histograms)
    HistBin* copies = small_hist_.data() + s * kCopies * kSmallBins;
    k = 0;
    for (std::int32_t b = 0; b < nb; ++b) {
      HistBin sum;
      for (int c = 0; c < kCopies; ++c) {
        HistBin& hb = copies[c * kSmallBins + b];
        sum.g += hb.g;
        sum.hc += hb.hc;
        hb = HistBin{};
      }
      if (sum.hc == 0) continue;
      present[k] = b;
      csums_[static_cast<std::size_t>(k++)] = unpack(sum, ctx_.count_bits);
    }
    return k;
  }
  // The non-empty bins in ascending order: sorted when few; else, for up to kBitmapBins bins,
  // read back from a bitmap of the touched bins (no pass over the empty ones); else found by a
  // scan of every bin.
  if (k <= 8) {
    sort_small(present, k);
  } else if (nb <= kBitmapBins) {
    std::uint64_t words[kBitmapBins / 64] = {};
    for (std::int32_t j = 0; j < k; ++j)
      words[present[j] >> 6] |= std::uint64_t{1} << (present[j] & 63);
    k = 0;
    for (std::int32_t w = 0; w * 64 < nb; ++w)
      for (std::uint64_t bits = words[w]; bits != 0; bits &= bits - 1)
        present[k++] = w * 64 + __builtin_ctzll(bits);
  } else {
    k = 0;
    for (std::int32_t b = 0; b < nb; ++b) {
      present[k] = b;
      k += hist[b].hc != 0 ? 1 : 0;
    }
  }
  for (std::int32_t j = 0; j < k; ++j) {
    HistBin& hb = hist[present[j]];
    csums_[static_cast<std::size_t>(j)] = unpack(hb, ctx_.count_bits);
    hb = HistBin{};
  }
  return k;
}

bool TreeGrower::split_slot(std::size_t li, Index s, Index f) {
  const std::int32_t k = compact_histogram(s, f);
  if (k < 2) {  // constant in the node, and so in all its descendants
    known_[li * known_words_ + static_cast<std::size_t>(f) / 64] |= std::uint64_t{1} << (f % 64);
    return false;
  }
  Leaf& leaf = leaves_[li];
  const auto fs = static_cast<std::size_t>(f);
  no_split(cand_);
  find_best_split_compact(CompactHist{present_.data() + s * fhist_stride_, csums_.data(), k},
                          bins_.n_bins[fs], static_cast<std::int32_t>(f), info_[fs], leaf.info,
                          ctx_, cand_);
  if (better(cand_, leaf.best)) std::swap(leaf.best, cand_);  // buffers swapped, not freed
  return true;
}

void TreeGrower::find_split_forest(std::size_t li) {
  Leaf& leaf = leaves_[li];
  no_split(leaf.best);
  if (!can_split(leaf)) return;
  const auto p = static_cast<Index>(used_features_.size());
  const Index want = forest_.max_features > 0 ? std::min(forest_.max_features, p) : p;
  perm_.assign(used_features_.begin(), used_features_.end());
  Rng rng = Rng::for_stream(forest_.seed, leaf.key);
  const std::uint64_t* known = known_.data() + li * known_words_;
  auto is_known = [&](Index f) {
    return ((known[static_cast<std::size_t>(f) / 64] >> (f % 64)) & 1U) != 0;
  };
  // A partial Fisher-Yates shuffle, one draw per feature examined: `want` features, and more
  // until one is not constant in the node (scikit-learn's rule). The first `want` are always
  // examined: their histograms are built together, kMaxBatch at a time. A feature known to
  // be constant in the node is drawn but not histogrammed (it has no split).
  auto draw = [&](Index j) {
    if (want >= p) return;
    const auto r = j + static_cast<Index>(rng.uniform_int(static_cast<std::uint64_t>(p - j)));
    std::swap(perm_[static_cast<std::size_t>(j)], perm_[static_cast<std::size_t>(r)]);
  };
  bool varying = false;
  for (Index j = 0; j < p && (j < want || !varying);) {
    const Index j1 = j < want ? want : p;  // draw the first `want` together, then one by one
    Index nb = 0;
    for (; j < j1 && nb < kMaxBatch && (nb == 0 || j < want); ++j) {
      draw(j);
      const Index f = perm_[static_cast<std::size_t>(j)];
      batch_[static_cast<std::size_t>(nb)] = f;  // kept only when not known to be constant
      nb += is_known(f) ? 0 : 1;
    }
    feature_histograms(leaves_[li], nb);
    for (Index s = 0; s < nb; ++s)
      varying = split_slot(li, s, batch_[static_cast<std::size_t>(s)]) || varying;
  }
}

void TreeGrower::add_forest_root(const std::vector<std::int32_t>& bag, const GradPair* gh) {
  Leaf root;
  root.begin = 0;
  root.count = static_cast<Index>(bag.size());
  root.key = 1;
  for (const std::int32_t r : bag) {
    const Sums s = unpack(HistBin{gh[r].g, gh[r].hc}, ctx_.count_bits);
    root.info.sums.g += s.g;
    root.info.sums.h += s.h;
    root.info.sums.c += s.c;
  }
  root.info.output = leaf_output(static_cast<double>(root.info.sums.g) * ctx_.g_unscale,
                                 static_cast<double>(root.info.sums.h) * ctx_.h_unscale,
                                 params_.reg_alpha, params_.reg_lambda, root.info.lo, root.info.hi);
  leaves_.push_back(std::move(root));
  known_.assign(known_words_, 0);
  find_split_forest(0);
}

Tree TreeGrower::grow_forest(const std::vector<std::int32_t>& bag, const GradPair* gh,
                             int count_bits, double unscale, const ForestGrowth& growth) {
  const std::vector<std::uint8_t> all(static_cast<std::size_t>(bins_.n_features), 1);
  start_tree(count_bits, unscale, unscale, all);
  forest_ = growth;
  forest_mode_ = true;
  prepare_forest_buffers();
  // The last tree's leaves give their split buffers to the new tree's leaves.
  for (Leaf& leaf : leaves_)
    if (leaf.best.cat_bins.capacity() > 0) spare_cat_bins_.push_back(std::move(leaf.best.cat_bins));
  leaves_.clear();
  if (growth.rows != nullptr)
    gather_records(bag, gh);
  else
    gather_root(&bag, gh);
  add_forest_root(bag, gh);
  // Best-first: the largest gain, ties to the lowest leaf index (as grow()).
  // When the leaf limit cannot bind (every leaf holds a row of the bag), every node that can
  // split is split whatever the order, and the nodes go depth-first (a stack: the rows of the
  // node just split are still in cache, and no heap). Otherwise best-first.
  const auto max_leaves = static_cast<std::size_t>(params_.num_leaves);
  const bool depth_first = max_leaves >= bag.size();
  std::priority_queue<std::pair<double, std::int64_t>> open;
  std::vector<std::size_t>& stack = open_stack_;
  stack.clear();
  auto push = [&](std::size_t c) {
    if (depth_first)
      stack.push_back(c);
    else
      open.emplace(leaves_[c].best.gain, -static_cast<std::int64_t>(c));
  };
  if (leaves_[0].best.valid()) push(0);
  Tree tree;
  reserve_nodes(tree, last_nodes_ + last_nodes_ / 8);  // trees of one forest are alike in size
  while (!(depth_first ? stack.empty() : open.empty()) && leaves_.size() < max_leaves) {
    std::size_t li = 0;
    if (depth_first) {
      li = stack.back();
      stack.pop_back();
    } else {
      li = static_cast<std::size_t>(-open.top().second);
      open.pop();
    }
    std::swap(split_, leaves_[li].best);  // the leaf's best is reset by find_split_forest()
    const SplitInfo& s = split_;
    const std::uint64_t key = leaves_[li].key;
    const std::int32_t node = add_node(tree, li, s);
    split_leaf(li, s, node);  // leaf li becomes the left child, the right one is appended
    const std::size_t ri = leaves_.size() - 1;
    if (!spare_cat_bins_.empty()) {  // a buffer for the new leaf's categorical splits
      std::swap(leaves_[ri].best.cat_bins, spare_cat_bins_.back());
      spare_cat_bins_.pop_back();
    }
    leaves_[li].key = child_key(key, false);
    leaves_[ri].key = child_key(key, true);
    // The right child starts with what is known of its parent (now the left child).
    known_.resize((ri + 1) * known_words_);
    std::copy_n(known_.begin() + static_cast<std::ptrdiff_t>(li * known_words_), known_words_,
                known_.begin() + static_cast<std::ptrdiff_t>(ri * known_words_));
    for (const std::size_t c : {ri, li}) {  // the left child on top of the stack
      find_split_forest(c);
      if (leaves_[c].best.valid()) push(c);
    }
  }
  forest_mode_ = false;
  last_nodes_ = tree.split_feature.size();
  write_leaves(tree);
  return tree;
}

void TreeGrower::prepare_forest_buffers() {
  Index max_bins = 0;
  for (const std::int32_t nb : bins_.n_bins) max_bins = std::max(max_bins, Index{nb});
  // One spare bin per slot: histograms_of() writes a bin to present_ before it knows whether
  // it is new.
  if (fhist_stride_ != max_bins + 1) {  // new bins are zero, as the others stay between uses
    fhist_stride_ = max_bins + 1;
    fhist_.assign(static_cast<std::size_t>(kMaxBatch * fhist_stride_), HistBin{});
    present_.resize(static_cast<std::size_t>(kMaxBatch * fhist_stride_));
    n_present_.resize(static_cast<std::size_t>(kMaxBatch));
    csums_.resize(static_cast<std::size_t>(max_bins));
    batch_.resize(static_cast<std::size_t>(kMaxBatch));
    small_hist_.assign(static_cast<std::size_t>(kMaxBatch * kCopies * kSmallBins), HistBin{});
  }
  known_words_ = static_cast<std::size_t>((bins_.n_features + 63) / 64);
  record_stride_ = 0;
  if (forest_.rows == nullptr) return;
  // A record: the gradient pair, then the row's bins, padded to a multiple of 8 bytes.
  record_stride_ = (static_cast<Index>(sizeof(GradPair)) + forest_.rows->row_bytes + 7) / 8 * 8;
  const auto bytes = static_cast<std::size_t>(record_stride_ * bins_.n_rows);
  for (auto& buffer : records_)
    if (buffer.size() < bytes) buffer.resize(bytes);
}

Index TreeGrower::gather_records(const std::vector<std::int32_t>& bag, const GradPair* gh) {
  const ForestRows& rows = *forest_.rows;
  const auto row_bytes = static_cast<std::size_t>(rows.row_bytes);
  std::uint8_t* rec = records(0);
  for (const std::int32_t r : bag) {
    std::memcpy(rec, &gh[r], sizeof(GradPair));
    std::memcpy(rec + sizeof(GradPair), rows.bins.data() + static_cast<std::size_t>(r) * row_bytes,
                row_bytes);
    rec += record_stride_;
  }
  return static_cast<Index>(bag.size());
}

namespace {

/// Partitions `m` records of `kWords` x 8 bytes from `src` into `dst` by `goes_left(bin)` of
/// the bin at `bin_at`, stably: the left rows first, then the right ones (after the `n_left`
/// left ones); only the left (right) rows when `keep` is 1 (2), each at its place. Both sides
/// must hold rows.
template <class BinT, int kWords, class GoesLeft>
void partition_by(const std::uint8_t* src, std::uint8_t* dst, Index m, Index n_left, Index bin_at,
                  int keep, GoesLeft goes_left) {
  constexpr Index kStride = 8 * kWords;
  auto left_at = [&](Index i) {
    BinT bin;
    std::memcpy(&bin, src + i * kStride + bin_at, sizeof(BinT));
    return goes_left(static_cast<std::uint32_t>(bin));
  };
  // One side: every row is copied to the next free place of that side, which moves only past
  // a row of the side. The left side fills forwards (a row of the other side lands on the first
  // right place at worst), the right side backwards (on the last left place at worst): both
  // children have rows, so no copy leaves the node.
  if (keep == 1) {
    std::uint8_t* to = dst;
    for (Index i = 0; i < m; ++i) {
      std::memcpy(to, src + i * kStride, kStride);
      to += static_cast<std::uintptr_t>(kStride) & (0 - static_cast<std::uintptr_t>(left_at(i)));
    }
    return;
  }
  if (keep == 2) {
    std::uint8_t* to = dst + (m - 1) * kStride;
    for (Index i = m - 1; i >= 0; --i) {
      std::memcpy(to, src + i * kStride, kStride);
      to -= static_cast<std::uintptr_t>(kStride) & (static_cast<std::uintptr_t>(left_at(i)) - 1);
    }
    return;
  }
  std::uint8_t* left = dst;
  std::uint8_t* right = dst + n_left * kStride;
  for (Index i = 0; i < m; ++i) {
    // One copy per row, its place chosen by a mask: a branch on the side would be mispredicted
    // for every other row.
    const std::uintptr_t l = 0 - static_cast<std::uintptr_t>(left_at(i));  // all ones: left
    const auto lp = reinterpret_cast<std::uintptr_t>(left);
    const auto rp = reinterpret_cast<std::uintptr_t>(right);
    std::memcpy(reinterpret_cast<std::uint8_t*>((lp & l) | (rp & ~l)), src + i * kStride, kStride);
    left += static_cast<std::uintptr_t>(kStride) & l;
    right += static_cast<std::uintptr_t>(kStride) & ~l;
  }
}

/// partition_by() for split `s` (the feature's missing bin `miss`).
template <class BinT, int kWords>
void partition_split(const std::uint8_t* src, std::uint8_t* dst, Index m, Index n_left,
                     Index bin_at, int keep, const SplitInfo& s, std::int32_t miss) {
  if (s.categorical) {
    const std::uint32_t* words = s.cat_bins.data();
    partition_by<BinT, kWords>(src, dst, m, n_left, bin_at, keep, [words](std::uint32_t b) {
      return ((words[b >> 5] >> (b & 31U)) & 1U) != 0;
    });
    return;
  }
  const auto t = static_cast<std::uint32_t>(s.threshold_bin);  // >= 0 for a numerical split
  const std::uint32_t miss_left = s.default_left ? static_cast<std::uint32_t>(miss) : ~0U;
  partition_by<BinT, kWords>(src, dst, m, n_left, bin_at, keep, [t, miss_left](std::uint32_t b) {
    return (b <= t) | (b == miss_left);
  });
}

/// Most 8-byte words in a record.
constexpr int kMaxRecordWords = static_cast<int>((sizeof(GradPair) + kMaxForestRowBytes + 7) / 8);

/// partition_split() for records of `words` x 8 bytes (kWords to kMaxRecordWords).
template <class BinT, int kWords = 2>
void partition_records_of(const std::uint8_t* src, std::uint8_t* dst, Index m, Index n_left,
                          Index words, Index bin_at, int keep, const SplitInfo& s,
                          std::int32_t miss) {
  if constexpr (kWords < kMaxRecordWords) {
    if (words > kWords)
      return partition_records_of<BinT, kWords + 1>(src, dst, m, n_left, words, bin_at, keep, s,
                                                    miss);
  }
  partition_split<BinT, kWords>(src, dst, m, n_left, bin_at, keep, s, miss);
}

}  // namespace

void TreeGrower::partition_records(Index begin, Index count, int depth, const SplitInfo& s,
                                   bool keep_left, bool keep_right) {
  const int keep = (keep_left ? 1 : 0) | (keep_right ? 2 : 0);
  if (keep == 0) return;
  const auto f = static_cast<Index>(s.feature);
  const std::int32_t miss = bins_.n_bins[static_cast<std::size_t>(f)] - 1;
  const std::uint8_t* src = records(depth) + begin * record_stride_;
  std::uint8_t* dst = records(depth + 1) + begin * record_stride_;
  const Index n_left = static_cast<Index>(s.left.c), words = record_stride_ / 8;
  const Index at = record_bin_at(f);
  if (bins_.wide_cols)
    partition_records_of<std::uint16_t>(src, dst, count, n_left, words, at, keep, s, miss);
  else
    partition_records_of<std::uint8_t>(src, dst, count, n_left, words, at, keep, s, miss);
}

ForestRows forest_rows(const BinnedMatrix& bins, int n_threads) {
  ForestRows rows;
  rows.bin_width = bins.wide_cols ? 2 : 1;
  rows.row_bytes = bins.n_features * rows.bin_width;
  const Index n = bins.n_rows, p = bins.n_features;
  rows.bins.resize(static_cast<std::size_t>(n * rows.row_bytes));
  parallel_for_blocks(0, n, 4096, n_threads, [&](Index lo, Index hi) {
    for (Index f = 0; f < p; ++f)
      for (Index i = lo; i < hi; ++i) {
        std::uint8_t* at = rows.bins.data() + i * rows.row_bytes + f * rows.bin_width;
        if (bins.wide_cols) {
          const std::uint16_t b = bins.cols16[static_cast<std::size_t>(f * n + i)];
          std::memcpy(at, &b, 2);
        } else {
          *at = bins.cols8[static_cast<std::size_t>(f * n + i)];
        }
      }
  });
  return rows;
}

}  // namespace churn::tree::detail
