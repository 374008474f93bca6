// A random forest's tree on the histogram grower: per-node feature draws, one feature's
// histogram at a time from the node's rows, best-first growth with a heap of split gains.
#include <algorithm>  // std::min, std::max, std::swap
#include <queue>      // std::priority_queue
#include <utility>    // std::move, std::pair

#include "churn/core/random.hpp"
#include "tree/grower.hpp"

namespace churn::tree::detail {

namespace {

/// Features histogrammed in one pass over a node's rows (at most).
constexpr Index kMaxBatch = 16;

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

void TreeGrower::feature_histograms(const Leaf& leaf, Index j0, Index j1) {
  const std::int32_t* rows = index_.data() + leaf.begin;
  const GradPair* gh = gh_.data() + leaf.begin;
  for (Index j = j0; j < j1; ++j) {
    const Index f = perm_[static_cast<std::size_t>(j)];
    const Index at = (j - j0) * fhist_stride_;
    n_present_[static_cast<std::size_t>(j - j0)] =
        bins_.wide_cols ? histogram_of(bins_.cols16.data() + f * bins_.n_rows, rows, gh, leaf.count,
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
  // The non-empty bins in ascending order: sorted when few, else found by a scan.
  if (k <= 16 && k * 4 <= nb) {
    sort_small(present, k);
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

bool TreeGrower::split_slot(Leaf& leaf, Index s, Index f) {
  const std::int32_t k = compact_histogram(s, f);
  if (k < 2) return false;  // constant in the node
  const auto fs = static_cast<std::size_t>(f);
  SplitInfo cand;
  find_best_split_compact(CompactHist{present_.data() + s * fhist_stride_, csums_.data(), k},
                          bins_.n_bins[fs], static_cast<std::int32_t>(f), info_[fs], leaf.info,
                          ctx_, cand);
  if (better(cand, leaf.best)) leaf.best = std::move(cand);
  return true;
}

void TreeGrower::find_split_forest(Leaf& leaf) {
  leaf.best = SplitInfo{};
  if (!can_split(leaf)) return;
  const auto p = static_cast<Index>(used_features_.size());
  const Index want = forest_.max_features > 0 ? std::min(forest_.max_features, p) : p;
  perm_.assign(used_features_.begin(), used_features_.end());
  Rng rng = Rng::for_stream(forest_.seed, leaf.key);
  // A partial Fisher-Yates shuffle, one draw per feature examined: `want` features, and more
  // until one is not constant in the node (scikit-learn's rule). The first `want` are always
  // examined: their histograms are built together, kMaxBatch at a time.
  auto draw = [&](Index j) {
    if (want >= p) return;
    const auto r = j + static_cast<Index>(rng.uniform_int(static_cast<std::uint64_t>(p - j)));
    std::swap(perm_[static_cast<std::size_t>(j)], perm_[static_cast<std::size_t>(r)]);
  };
  bool varying = false;
  for (Index j0 = 0; j0 < want; j0 += kMaxBatch) {
    const Index j1 = std::min(want, j0 + kMaxBatch);
    for (Index j = j0; j < j1; ++j) draw(j);
    feature_histograms(leaf, j0, j1);
    for (Index j = j0; j < j1; ++j)
      varying = split_slot(leaf, j - j0, perm_[static_cast<std::size_t>(j)]) || varying;
  }
  for (Index j = want; j < p && !varying; ++j) {
    draw(j);
    feature_histograms(leaf, j, j + 1);
    varying = split_slot(leaf, 0, perm_[static_cast<std::size_t>(j)]);
  }
}

void TreeGrower::add_forest_root(Index n_root) {
  Leaf root;
  root.begin = 0;
  root.count = n_root;
  root.key = 1;
  for (Index i = 0; i < n_root; ++i) {
    const Sums s =
        unpack(HistBin{gh_[static_cast<std::size_t>(i)].g, gh_[static_cast<std::size_t>(i)].hc},
               ctx_.count_bits);
    root.info.sums.g += s.g;
    root.info.sums.h += s.h;
    root.info.sums.c += s.c;
  }
  root.info.output = leaf_output(static_cast<double>(root.info.sums.g) * ctx_.g_unscale,
                                 static_cast<double>(root.info.sums.h) * ctx_.h_unscale,
                                 params_.reg_alpha, params_.reg_lambda, root.info.lo, root.info.hi);
  find_split_forest(root);
  leaves_.push_back(std::move(root));
}

Tree TreeGrower::grow_forest(const std::vector<std::int32_t>& bag, const GradPair* gh,
                             int count_bits, double unscale, const ForestGrowth& growth) {
  const std::vector<std::uint8_t> all(static_cast<std::size_t>(bins_.n_features), 1);
  start_tree(count_bits, unscale, unscale, all);
  forest_ = growth;
  forest_mode_ = true;
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
  }
  leaves_.clear();
  add_forest_root(gather_root(&bag, gh));
  // Best-first: the largest gain, ties to the lowest leaf index (as grow()).
  std::priority_queue<std::pair<double, std::int64_t>> open;
  if (leaves_[0].best.valid()) open.emplace(leaves_[0].best.gain, 0);
  Tree tree;
  const auto max_leaves = static_cast<std::size_t>(params_.num_leaves);
  while (!open.empty() && leaves_.size() < max_leaves) {
    const auto li = static_cast<std::size_t>(-open.top().second);
    open.pop();
    const SplitInfo s = std::move(leaves_[li].best);
    leaves_[li].best = SplitInfo{};
    const std::uint64_t key = leaves_[li].key;
    const std::int32_t node = add_node(tree, li, s);
    split_leaf(li, s, node);  // leaf li becomes the left child, the right one is appended
    const std::size_t ri = leaves_.size() - 1;
    leaves_[li].key = child_key(key, false);
    leaves_[ri].key = child_key(key, true);
    for (const std::size_t c : {li, ri}) {
      find_split_forest(leaves_[c]);
      if (leaves_[c].best.valid())
        open.emplace(leaves_[c].best.gain, -static_cast<std::int64_t>(c));
    }
  }
  forest_mode_ = false;
  write_leaves(tree);
  return tree;
}

}  // namespace churn::tree::detail
