// Leaf-wise tree growth: histograms with the subtraction trick, split finding, stable data
// partition, monotone output bounds.
#include "tree/grower.hpp"

#include <algorithm>  // std::fill, std::copy, std::min, std::max
#include <utility>    // std::move

#include "churn/core/error.hpp"
#include "churn/core/parallel.hpp"

namespace churn::tree::detail {

namespace {

/// Work units per row of a partition (decision, scatter) and per bin of split finding; a
/// unit is about a nanosecond of one core (one histogram update).
constexpr Index kPartitionCost = 4;
constexpr Index kSplitCost = 4;
/// Rows per block of the partition and the gathers.
constexpr Index kBlock = 16384;

/// How many threads share a piece of work: one per grain (2^14 units) of it, at most
/// `n_threads`. So a thread joins a region only for some 15-30 microseconds of work or more: a
/// region ends in a barrier, which costs microseconds on an idle machine and can cost a
/// scheduler time slice on a busy one. (2^16 left a fifth of a 255-leaf fit's rounds on one
/// thread; 2^14 was as fast or faster on 2 idle cores at 31 and 255 leaves.) The work decides,
/// not the thread count alone: 16 threads split a large leaf 16 ways and a small one 3 ways
/// (results never depend on it: histogram sums are integers).
int threads_for_work(Index work, int n_threads) {
  if (n_threads <= 1) return 1;
  const Index grain = std::max<Index>(1, grower_tuning().grain.load(std::memory_order_relaxed));
  return static_cast<int>(std::min<Index>(n_threads, std::max<Index>(1, work / grain)));
}

}  // namespace

GrowerTuning& grower_tuning() {
  static GrowerTuning tuning;
  return tuning;
}

TreeGrower::TreeGrower(const BinnedMatrix& bins, const std::vector<FeatureBinInfo>& info,
                       const GBDTParams& params, std::vector<std::int8_t> monotone, int n_threads)
    : bins_(bins),
      info_(info),
      params_(params),
      monotone_(std::move(monotone)),
      n_threads_(n_threads),
      pending_(new std::atomic<Index>[static_cast<std::size_t>(bins.n_features)]) {
  for (const auto m : monotone_) constrained_ = constrained_ || m != 0;
  const auto n = static_cast<std::size_t>(bins_.n_rows);
  index_.resize(n);
  tmp_.resize(n);
  gh_.resize(n);
  gh_tmp_.resize(n);
  dec_.resize(n);
}

int TreeGrower::acquire_slot() {
  if (!free_slots_.empty()) {
    const int s = free_slots_.back();
    free_slots_.pop_back();
    return s;
  }
  slots_.emplace_back(static_cast<std::size_t>(bins_.hist_size));
  return static_cast<int>(slots_.size()) - 1;
}

bool TreeGrower::can_split(const Leaf& leaf) const {
  if (leaf.count < 2 * static_cast<Index>(params_.min_child_samples)) return false;
  if (params_.max_depth > 0 && leaf.depth >= params_.max_depth) return false;
  if (static_cast<double>(leaf.info.sums.h) * ctx_.h_unscale < 2 * params_.min_child_weight)
    return false;
  if (forest_mode_) {  // a forest's node: enough rows, and both classes present
    if (leaf.count < forest_.min_samples_split) return false;
    if (leaf.info.sums.g == 0 || leaf.info.sums.g == -leaf.info.sums.h) return false;
  }
  return true;
}

namespace {

/// How a shared histogram is cut into tasks: `chunks` ranges of the leaf's rows times `groups`
/// ranges of the features; task (c, g) adds its rows' bins of its features into chunk c's
/// histogram (chunk 0: the leaf's own, others a scratch one), only the group's bins of which it
/// zeroes. Then the chunks are added up and the work that follows each feature (the tail:
/// subtraction, split finding) runs, either by the last task of each group in the same region
/// (`fused`), or in a second region over the features.
struct HistogramPlan {
  Index chunks = 1;
  Index groups = 1;
  bool fused = true;
};

/// Work units (about a nanosecond of one core; one histogram update is one) of: a second group
/// re-reading a row (measured: two groups of 12 features took ~40% longer than one of 24 on 2
/// threads, ~10 updates per row), adding one bin of a partial histogram from another core's
/// cache, and a barrier.
constexpr double kRowReadCost = 10;
constexpr double kReduceCost = 2;
constexpr double kBarrierCost = 10000;

/// The plan of least estimated time for `m` rows, `F` features (`nf` used), `H` bins and
/// `tail` work units after the histogram, on `threads` threads, with chunks of at least
/// `min_rows` rows. One group of `threads` chunks is the classic row-wise build with a copy
/// per thread; more groups trade re-reading rows for fewer copies to zero and add up.
HistogramPlan plan_histogram(Index m, Index F, Index nf, Index H, Index tail, int threads,
                             Index min_rows) {
  HistogramPlan best;
  double best_cost = -1;
  const Index max_chunks = std::max<Index>(1, std::min<Index>(threads, m / min_rows));
  const Index max_groups = std::max<Index>(1, std::min<Index>(threads, F));
  const auto spread = static_cast<double>(std::max<Index>(1, std::min<Index>(threads, nf)));
  for (Index c = 1; c <= max_chunks; ++c)
    for (Index g = 1; g <= max_groups && c * g <= 2 * threads; ++g) {
      const auto busy = static_cast<double>(std::min<Index>(threads, c * g));
      const double build = (static_cast<double>(m * F) + kRowReadCost * static_cast<double>(g * m) +
                            static_cast<double>(c * H)) /
                           busy;
      const double after =
          kReduceCost * static_cast<double>((c - 1) * H) + static_cast<double>(tail);
      const double fused = build + after / static_cast<double>(g);
      const double apart = build + after / spread + kBarrierCost;
      const double cost = std::min(fused, apart);
      if (best_cost < 0 || cost < best_cost) {
        best_cost = cost;
        best = {c, g, fused <= apart};
      }
    }
  return best;
}

}  // namespace

template <class Done>
void TreeGrower::build_leaf_histogram(const Leaf& leaf, HistBin* hist, Index extra_work,
                                      Done&& done) {
  const Index m = leaf.count;
  const std::int32_t* rows = rows_of(leaf);
  const GradPair* gh = gh_of(leaf);
  const Index F = bins_.n_features;
  const Index H = bins_.hist_size;
  const auto nf = static_cast<Index>(used_features_.size());
  const int threads = threads_for_work(m * nf + extra_work, n_threads_);
  const Index min_rows =
      std::max<Index>(1, grower_tuning().min_chunk_rows.load(std::memory_order_relaxed));
  const HistogramPlan plan =
      threads <= 1 ? HistogramPlan{} : plan_histogram(m, F, nf, H, extra_work, threads, min_rows);
  const Index R = plan.chunks, G = plan.groups;
  while (static_cast<Index>(scratch_.size()) < R - 1)
    scratch_.emplace_back(static_cast<std::size_t>(H));
  constexpr auto kBinBytes = static_cast<long long>(sizeof(HistBin));
  prof_.profile.hist_bytes_zeroed += kBinBytes * H * R;
  // Group g: features [g * F / G, (g + 1) * F / G), their bins contiguous in a histogram.
  auto first_feature = [&](Index g) { return g * F / G; };
  auto first_bin = [&](Index f) {
    return f < F ? bins_.hist_offset[static_cast<std::size_t>(f)] : H;
  };
  auto add_chunks = [&](Index b_lo, Index b_hi) {
    for (Index k = 1; k < R; ++k)
      add_histogram(hist + b_lo, scratch_[static_cast<std::size_t>(k - 1)].data() + b_lo,
                    b_hi - b_lo);
  };
  auto task = [&](Index t) {
    const Index c = t % R, g = t / R;
    const Index f_lo = first_feature(g), f_hi = first_feature(g + 1);
    const Index b_lo = first_bin(f_lo), b_hi = first_bin(f_hi);
    HistBin* out = c == 0 ? hist : scratch_[static_cast<std::size_t>(c - 1)].data();
    std::fill(out + b_lo, out + b_hi, HistBin{});
    const Index lo = c * m / R, hi = (c + 1) * m / R;
    if (bins_.wide_rows)
      build_histogram(bins_.rows32.data(), F, f_lo, f_hi, rows + lo, hi - lo, gh + lo, out);
    else
      build_histogram(bins_.rows16.data(), F, f_lo, f_hi, rows + lo, hi - lo, gh + lo, out);
    if (!plan.fused) return;
    // The task that finishes a group's last chunk adds the chunks up (integer sums: the order
    // does not matter) and goes on with the group's features.
    if (R > 1 && pending_[static_cast<std::size_t>(g)].fetch_sub(1, std::memory_order_acq_rel) != 1)
      return;
    add_chunks(b_lo, b_hi);
    const auto q_lo = std::lower_bound(used_features_.begin(), used_features_.end(), f_lo);
    const auto q_hi = std::lower_bound(q_lo, used_features_.end(), f_hi);
    for (auto q = q_lo; q != q_hi; ++q) done(static_cast<Index>(q - used_features_.begin()));
  };
  if (R * G == 1) {  // one task, on this thread (fused: it calls done)
    task(0);
  } else {
    for (Index g = 0; g < G; ++g)
      pending_[static_cast<std::size_t>(g)].store(R, std::memory_order_relaxed);
    const int build_threads = static_cast<int>(std::min<Index>(threads, R * G));
    prof_.region(build_threads, [&] {
      parallel_for_blocks(0, R * G, 1, build_threads, [&](Index t, Index) { task(t); });
    });
  }
  if (plan.fused) {
    prof_.profile.hist_bytes_reduced += kBinBytes * H * (R - 1);
    return;
  }
  // Apart: each used feature's chunks added up and its tail, in parallel over the features.
  prof_.profile.hist_bytes_reduced += kBinBytes * used_bins_ * (R - 1);
  const int tail_threads = static_cast<int>(std::min<Index>(threads, nf));
  prof_.region(tail_threads, [&] {
    parallel_for_blocks(0, nf, 1, tail_threads, [&](Index q, Index) {
      const auto f = static_cast<std::size_t>(used_features_[static_cast<std::size_t>(q)]);
      add_chunks(bins_.hist_offset[f], bins_.hist_offset[f] + bins_.n_bins[f]);
      done(q);
    });
  });
}

void TreeGrower::pick_split(Leaf& leaf, std::vector<SplitInfo>& found) {
  // Features in index order, strictly better only: ties go to the lowest feature.
  leaf.best = SplitInfo{};
  for (auto& s : found)
    if (s.valid() && s.gain > leaf.best.gain) leaf.best = std::move(s);
}

void TreeGrower::find_split(Leaf& leaf, const HistBin* hist) {
  leaf.best = SplitInfo{};
  if (!can_split(leaf)) return;
  const auto nf = static_cast<Index>(used_features_.size());
  found_.assign(static_cast<std::size_t>(nf), SplitInfo{});
  const int threads = threads_for_work(used_bins_ * kSplitCost, n_threads_);
  prof_.region(threads, [&] {
    parallel_for_blocks(0, nf, 1, threads, [&](Index q, Index) {
      const auto f = static_cast<std::size_t>(used_features_[static_cast<std::size_t>(q)]);
      find_best_split(hist + bins_.hist_offset[f], bins_.n_bins[f], static_cast<std::int32_t>(f),
                      info_[f], monotone_.empty() ? 0 : monotone_[f], leaf.info, ctx_,
                      found_[static_cast<std::size_t>(q)]);
    });
  });
  pick_split(leaf, found_);
}

namespace {

/// `out[i] = 1` when row `rows[i]` goes left (branch-free); returns how many go left.
template <class BinT>
Index decide(const BinT* col, const std::int32_t* rows, Index m, const SplitInfo& s,
             std::int32_t miss, std::uint8_t* out) {
  Index n_left = 0;
  if (!s.categorical) {
    const std::int32_t t = s.threshold_bin;
    const std::uint8_t dl = s.default_left ? 1 : 0;
    for (Index i = 0; i < m; ++i) {
      const std::int32_t b = col[rows[i]];
      const auto d = static_cast<std::uint8_t>(static_cast<std::uint8_t>(b <= t) |
                                               (static_cast<std::uint8_t>(b == miss) & dl));
      out[i] = d;
      n_left += d;
    }
  } else {
    const std::uint32_t* w = s.cat_bins.data();
    for (Index i = 0; i < m; ++i) {
      const auto b = static_cast<std::uint32_t>(col[rows[i]]);
      const auto d = static_cast<std::uint8_t>((w[b >> 5] >> (b & 31U)) & 1U);
      out[i] = d;
      n_left += d;
    }
  }
  return n_left;
}

/// Writes rows [lo, hi) of a leaf to their sides, the left ones from `l`, the right ones from
/// `r` (branch-free: the cursor of the row's side moves).
void scatter(const std::int32_t* rows, const GradPair* gh, const std::uint8_t* dec, Index lo,
             Index hi, Index l, Index r, std::int32_t* rows_out, GradPair* gh_out) {
  for (Index i = lo; i < hi; ++i) {
    const Index d = dec[i];
    const Index at = d ? l : r;  // a conditional move, not a branch
    l += d;
    r += 1 - d;
    rows_out[at] = rows[i];
    gh_out[at] = gh[i];
  }
}

}  // namespace

Index TreeGrower::partition(const Leaf& leaf, const SplitInfo& s) {
  const auto f = static_cast<Index>(s.feature);
  const std::int32_t miss = bins_.n_bins[static_cast<std::size_t>(f)] - 1;
  const std::int32_t* rows = rows_of(leaf);
  const GradPair* gh = gh_of(leaf);
  std::int32_t* rows_out = (leaf.buf != 0 ? index_ : tmp_).data() + leaf.begin;
  GradPair* gh_out = (leaf.buf != 0 ? gh_ : gh_tmp_).data() + leaf.begin;
  std::uint8_t* dec = dec_.data() + leaf.begin;
  const Index m = leaf.count;
  const int threads = threads_for_work(m * kPartitionCost, n_threads_);
  auto decide_block = [&](Index lo, Index hi) {
    return bins_.wide_cols ? decide(bins_.cols16.data() + f * bins_.n_rows, rows + lo, hi - lo, s,
                                    miss, dec + lo)
                           : decide(bins_.cols8.data() + f * bins_.n_rows, rows + lo, hi - lo, s,
                                    miss, dec + lo);
  };
  if (threads == 1) {
    const Index n_left = decide_block(0, m);
    scatter(rows, gh, dec, 0, m, 0, n_left, rows_out, gh_out);
    return n_left;
  }
  // 1. Decisions and each block's left count; 2. every block scatters from its offsets.
  const Index n_blocks = (m + kBlock - 1) / kBlock;
  std::vector<Index> n_left(static_cast<std::size_t>(n_blocks));
  prof_.region(threads, [&] {
    parallel_for_blocks(0, n_blocks, 1, threads, [&](Index b, Index) {
      n_left[static_cast<std::size_t>(b)] = decide_block(b * kBlock, std::min(m, (b + 1) * kBlock));
    });
  });
  std::vector<Index> left_at(static_cast<std::size_t>(n_blocks)),
      right_at(static_cast<std::size_t>(n_blocks));
  Index total_left = 0;
  for (Index b = 0; b < n_blocks; ++b) {
    left_at[static_cast<std::size_t>(b)] = total_left;
    total_left += n_left[static_cast<std::size_t>(b)];
  }
  for (Index b = 0, acc = total_left; b < n_blocks; ++b) {
    right_at[static_cast<std::size_t>(b)] = acc;
    acc += std::min(m, (b + 1) * kBlock) - b * kBlock - n_left[static_cast<std::size_t>(b)];
  }
  prof_.region(threads, [&] {
    parallel_for_blocks(0, n_blocks, 1, threads, [&](Index b, Index) {
      scatter(rows, gh, dec, b * kBlock, std::min(m, (b + 1) * kBlock),
              left_at[static_cast<std::size_t>(b)], right_at[static_cast<std::size_t>(b)], rows_out,
              gh_out);
    });
  });
  return total_left;
}

void TreeGrower::start_tree(int count_bits, double g_unscale, double h_unscale,
                            const std::vector<std::uint8_t>& feature_used) {
  ctx_.params = &params_;
  ctx_.count_bits = count_bits;
  ctx_.g_unscale = g_unscale;
  ctx_.h_unscale = h_unscale;
  ctx_.constrained = constrained_;
  used_features_.clear();
  for (Index f = 0; f < bins_.n_features; ++f)
    if (feature_used[static_cast<std::size_t>(f)]) used_features_.push_back(f);
  used_bins_ = 0;
  for (const Index f : used_features_) used_bins_ += bins_.n_bins[static_cast<std::size_t>(f)];
  CHURN_CHECK(!used_features_.empty(), InvalidArgument, "TreeGrower::grow(): no feature to use");
}

Index TreeGrower::gather_root(const std::vector<std::int32_t>* bag, const GradPair* gh) {
  const Index n_root = bag != nullptr ? static_cast<Index>(bag->size()) : bins_.n_rows;
  const int threads = threads_for_work(n_root, n_threads_);
  prof_.region(threads, [&] {
    parallel_for_blocks(0, n_root, kBlock, threads, [&](Index lo, Index hi) {
      for (Index i = lo; i < hi; ++i) {
        const auto k = static_cast<std::size_t>(i);
        const std::int32_t r = bag != nullptr ? (*bag)[k] : static_cast<std::int32_t>(i);
        index_[k] = r;
        if (gh != gh_.data()) gh_[k] = gh[r];  // else already in place (no bag)
      }
    });
  });
  return n_root;
}

void TreeGrower::reset_leaves() {
  leaves_.clear();
  leaves_.reserve(static_cast<std::size_t>(params_.num_leaves));
  free_slots_.clear();
  for (int s = static_cast<int>(slots_.size()) - 1; s >= 0; --s) free_slots_.push_back(s);
}

void TreeGrower::add_root(Index n_root) {
  Leaf root;
  root.begin = 0;
  root.count = n_root;
  root.slot = acquire_slot();
  HistBin* hist = slots_[static_cast<std::size_t>(root.slot)].data();
  build_leaf_histogram(root, hist, 0, [](Index) {});
  // Every row falls in exactly one bin of any feature: the root sums from one histogram.
  const auto f0 = static_cast<std::size_t>(used_features_[0]);
  for (std::int32_t b = 0; b < bins_.n_bins[f0]; ++b) {
    const Sums sb = unpack(hist[bins_.hist_offset[f0] + b], ctx_.count_bits);
    root.info.sums.g += sb.g;
    root.info.sums.h += sb.h;
    root.info.sums.c += sb.c;
  }
  root.info.output = leaf_output(static_cast<double>(root.info.sums.g) * ctx_.g_unscale,
                                 static_cast<double>(root.info.sums.h) * ctx_.h_unscale,
                                 params_.reg_alpha, params_.reg_lambda, root.info.lo, root.info.hi);
  find_split(root, hist);
  leaves_.push_back(std::move(root));
}

std::size_t TreeGrower::best_leaf() const {
  std::size_t li = leaves_.size();
  for (std::size_t i = 0; i < leaves_.size(); ++i)
    if (leaves_[i].best.valid() &&
        (li == leaves_.size() || leaves_[i].best.gain > leaves_[li].best.gain))
      li = i;
  return li;
}

std::int32_t TreeGrower::add_node(Tree& tree, std::size_t li, const SplitInfo& s) const {
  const Leaf& parent = leaves_[li];
  const auto node = static_cast<std::int32_t>(tree.split_feature.size());
  const auto new_leaf = static_cast<std::int32_t>(leaves_.size());
  const FeatureBinInfo& fi = info_[static_cast<std::size_t>(s.feature)];
  tree.split_feature.push_back(s.feature);
  tree.default_left.push_back(s.default_left ? 1 : 0);
  if (s.categorical) {
    const auto begin = static_cast<std::int32_t>(tree.cat_bitset.size());
    add_code_bitset(tree, s, fi);
    tree.threshold.push_back(0.0);
    tree.cat_begin.push_back(begin);
    tree.cat_end.push_back(static_cast<std::int32_t>(tree.cat_bitset.size()));
  } else {
    tree.threshold.push_back(fi.upper_edges[static_cast<std::size_t>(s.threshold_bin)]);
    tree.cat_begin.push_back(-1);
    tree.cat_end.push_back(-1);
  }
  tree.left_child.push_back(~static_cast<std::int32_t>(li));
  tree.right_child.push_back(~new_leaf);
  tree.split_gain.push_back(s.gain);
  tree.internal_count.push_back(static_cast<double>(parent.count));
  tree.internal_value.push_back(parent.info.output * params_.learning_rate);
  if (parent.parent >= 0) {
    auto& link = parent.is_left ? tree.left_child : tree.right_child;
    link[static_cast<std::size_t>(parent.parent)] = node;
  }
  return node;
}

/// Bins to codes: a code goes the way of its bin; codes unseen in training go the missing way.
void TreeGrower::add_code_bitset(Tree& tree, const SplitInfo& s, const FeatureBinInfo& fi) const {
  const std::int32_t miss = bins_.n_bins[static_cast<std::size_t>(s.feature)] - 1;
  const auto n_codes = fi.code_to_bin.size();
  const auto begin = static_cast<std::int32_t>(tree.cat_bitset.size());
  tree.cat_bitset.resize(tree.cat_bitset.size() + (n_codes + 31) / 32, 0U);
  for (std::size_t c = 0; c < n_codes; ++c) {
    const std::int32_t b = fi.code_to_bin[c];
    const bool goes_left = b < 0 ? s.default_left : s.goes_left(b, miss);
    if (goes_left) tree.cat_bitset[static_cast<std::size_t>(begin) + c / 32] |= 1U << (c % 32);
  }
}

namespace {

/// Monotone constraints: the children of a split on an increasing (`mono` > 0) feature keep
/// their outputs below (left) and above (right) the midpoint `mid` of their outputs, and the
/// other way round for a decreasing one; the bounds pass down to their descendants.
void bound_outputs(int mono, double mid, LeafInfo& left, LeafInfo& right) {
  if (mono > 0) {
    left.hi = std::min(left.hi, mid);
    right.lo = std::max(right.lo, mid);
  } else {
    left.lo = std::max(left.lo, mid);
    right.hi = std::min(right.hi, mid);
  }
}

}  // namespace

void TreeGrower::split_leaf(std::size_t li, const SplitInfo& s, std::int32_t node) {
  // A forest's records are partitioned once the children are known (see below); each row
  // counts 1 in the sums, so the left child's rows are its count.
  const bool records = forest_mode_ && record_stride_ > 0;
  const Index begin = leaves_[li].begin, count = leaves_[li].count;
  const int depth = leaves_[li].depth;
  const FitProfiler::Clock::time_point t0 = FitProfiler::Clock::now();
  const Index n_left = records ? static_cast<Index>(s.left.c) : partition(leaves_[li], s);
  prof_.profile.partition_s += FitProfiler::since(t0);
  Leaf right;
  Leaf& left = leaves_[li];
  if (!records) left.buf = 1 - left.buf;  // partition() moved the rows to the other buffers
  right.buf = left.buf;
  right.begin = left.begin + n_left;
  right.count = left.count - n_left;
  right.depth = left.depth + 1;
  right.parent = node;
  right.is_left = false;
  right.info.lo = left.info.lo;
  right.info.hi = left.info.hi;
  right.info.sums = {left.info.sums.g - s.left.g, left.info.sums.h - s.left.h,
                     left.info.sums.c - s.left.c};
  right.info.output = s.right_output;
  left.count = n_left;
  left.depth += 1;
  left.parent = node;
  left.is_left = true;
  left.info.sums = s.left;
  left.info.output = s.left_output;
  const int mono = monotone_.empty() ? 0 : monotone_[static_cast<std::size_t>(s.feature)];
  if (mono != 0) bound_outputs(mono, (s.left_output + s.right_output) / 2, left.info, right.info);
  leaves_.push_back(std::move(right));
  // Only the rows of a child that may split are read again.
  if (records)
    partition_records(begin, count, depth, s, can_split(leaves_[li]), can_split(leaves_.back()));
}

void TreeGrower::release(Leaf& leaf) {
  if (leaf.slot >= 0) free_slots_.push_back(leaf.slot);
  leaf.slot = -1;
}

void TreeGrower::histogram_children(Leaf& L, Leaf& R) {
  // Histogram the smaller child; the larger one is the parent's histogram minus it.
  Leaf& small = L.count <= R.count ? L : R;
  Leaf& large = L.count <= R.count ? R : L;
  large.slot = L.slot;  // the parent's slot (L still holds it)
  small.slot = acquire_slot();
  HistBin* hs = slots_[static_cast<std::size_t>(small.slot)].data();
  HistBin* hl = slots_[static_cast<std::size_t>(large.slot)].data();
  // Per feature, once its bins of the small child are complete: the large child's bins, then
  // both children's best splits on it (in the histogram's parallel region when shared).
  const bool split_small = can_split(small), split_large = can_split(large);
  const auto nf = used_features_.size();
  found_.assign(nf, SplitInfo{});
  found_other_.assign(nf, SplitInfo{});
  const Index split_work = used_bins_ * (1 + kSplitCost * (split_small + split_large));
  build_leaf_histogram(small, hs, split_work, [&](Index q) {
    const auto f = static_cast<std::size_t>(used_features_[static_cast<std::size_t>(q)]);
    const Index off = bins_.hist_offset[f];
    const std::int32_t nb = bins_.n_bins[f];
    const int mono = monotone_.empty() ? 0 : monotone_[f];
    subtract_histogram(hl + off, hs + off, nb);
    const auto k = static_cast<std::size_t>(q);
    const auto feature = static_cast<std::int32_t>(f);
    if (split_small)
      find_best_split(hs + off, nb, feature, info_[f], mono, small.info, ctx_, found_[k]);
    if (split_large)
      find_best_split(hl + off, nb, feature, info_[f], mono, large.info, ctx_, found_other_[k]);
  });
  pick_split(small, found_);
  pick_split(large, found_other_);
  if (!L.best.valid()) release(L);
  if (!R.best.valid()) release(R);
}

void TreeGrower::write_leaves(Tree& tree) const {
  const double lr = params_.learning_rate;
  tree.leaf_value.resize(leaves_.size());
  tree.leaf_count.resize(leaves_.size());
  tree.leaf_depth.resize(leaves_.size());
  for (std::size_t i = 0; i < leaves_.size(); ++i) {
    tree.leaf_value[i] = leaves_[i].info.output * lr;
    tree.leaf_count[i] = static_cast<double>(leaves_[i].count);
    tree.leaf_depth[i] = leaves_[i].depth;
  }
}

Tree TreeGrower::grow(const std::vector<std::int32_t>* bag, const GradPair* gh, int count_bits,
                      double g_unscale, double h_unscale,
                      const std::vector<std::uint8_t>& feature_used) {
  start_tree(count_bits, g_unscale, h_unscale, feature_used);
  // The root's rows (the bag, or all rows) and their gradients in the same order.
  FitProfiler::Clock::time_point t0 = FitProfiler::Clock::now();
  const Index n_root = gather_root(bag, gh);
  prof_.profile.partition_s += FitProfiler::since(t0);
  reset_leaves();
  t0 = FitProfiler::Clock::now();
  add_root(n_root);
  prof_.profile.histogram_s += FitProfiler::since(t0);

  Tree tree;
  const auto max_leaves = static_cast<std::size_t>(params_.num_leaves);
  while (leaves_.size() < max_leaves) {
    // The leaf with the largest gain (ties: the lowest leaf index).
    const std::size_t li = best_leaf();
    if (li == leaves_.size()) break;
    const SplitInfo s = std::move(leaves_[li].best);
    leaves_[li].best = SplitInfo{};
    const std::int32_t node = add_node(tree, li, s);
    split_leaf(li, s, node);  // leaf li becomes the left child, the right one is appended
    Leaf& L = leaves_[li];
    Leaf& R = leaves_.back();
    const bool more = leaves_.size() < max_leaves;
    if (!more || (!can_split(L) && !can_split(R))) {
      release(L);
      continue;
    }
    t0 = FitProfiler::Clock::now();
    histogram_children(L, R);
    prof_.profile.histogram_s += FitProfiler::since(t0);
  }
  write_leaves(tree);
  return tree;
}

void TreeGrower::add_leaf_values(const Tree& tree, double* score) {
  Index n_rows = 0;
  for (const Leaf& leaf : leaves_) n_rows += leaf.count;
  const int threads = threads_for_work(n_rows, n_threads_);
  prof_.region(threads, [&] {
    parallel_for_blocks(0, static_cast<Index>(leaves_.size()), 1, threads, [&](Index l, Index) {
      const Leaf& leaf = leaves_[static_cast<std::size_t>(l)];
      const double v = tree.leaf_value[static_cast<std::size_t>(l)];
      const std::int32_t* rows = rows_of(leaf);
      for (Index i = 0; i < leaf.count; ++i) score[rows[i]] += v;
    });
  });
}

}  // namespace churn::tree::detail
