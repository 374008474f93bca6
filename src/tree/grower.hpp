#pragma once
/// @file grower.hpp
/// Leaf-wise growth of one tree on histograms (private to churnlib).

#include <atomic>   // std::atomic
#include <chrono>   // std::chrono::steady_clock
#include <cstddef>  // std::size_t
#include <cstdint>  // std::int32_t, std::int64_t, std::int8_t
#include <memory>   // std::unique_ptr
#include <vector>   // std::vector

#include "churn/tree/gbdt.hpp"
#include "churn/tree/tree.hpp"
#include "tree/binning.hpp"
#include "tree/histogram.hpp"
#include "tree/split.hpp"

namespace churn::tree::detail {

/// When the grower shares work among threads (see threads_for_work in grower.cpp): a region
/// gets one thread per `grain` units of work (about nanoseconds), and a histogram task at least
/// `min_chunk_rows` rows. Process-wide; tests lower both to run every parallel path on small
/// data (TuningScope). Results never depend on them.
struct GrowerTuning {
  std::atomic<Index> grain{Index{1} << 14};
  std::atomic<Index> min_chunk_rows{4096};
};
GrowerTuning& grower_tuning();

/// Sets grower_tuning() for its lifetime (tests; not while a fit runs in another thread).
class TuningScope {
 public:
  TuningScope(Index grain, Index min_chunk_rows)
      : grain_(grower_tuning().grain.exchange(grain)),
        rows_(grower_tuning().min_chunk_rows.exchange(min_chunk_rows)) {}
  ~TuningScope() {
    grower_tuning().grain = grain_;
    grower_tuning().min_chunk_rows = rows_;
  }
  TuningScope(const TuningScope&) = delete;
  TuningScope& operator=(const TuningScope&) = delete;

 private:
  Index grain_, rows_;
};

/// Times a fit's phases and the regions it shares among threads (GBDTFitProfile).
class FitProfiler {
 public:
  using Clock = std::chrono::steady_clock;
  /// Seconds since `t0`.
  static double since(Clock::time_point t0) {
    return std::chrono::duration<double>(Clock::now() - t0).count();
  }
  /// Runs `f`, a region shared by `threads` threads (counted and timed when more than one).
  template <class F>
  void region(int threads, F&& f) {
    if (threads <= 1) {
      f();
      return;
    }
    const Clock::time_point t0 = Clock::now();
    f();
    shared_s += since(t0);
    ++profile.parallel_regions;
  }
  GBDTFitProfile profile;
  double shared_s = 0;  ///< Wall time of the shared regions.
};

/// The training rows of a random forest as fixed-size records, built once per fit: row `i`'s
/// local bins of every feature (uint8, or uint16 when the matrix has wide columns) at
/// `bins.data() + i * row_bytes`. A tree copies the records of its sample next to their
/// gradients, and every split moves them with its rows, so a node's histograms read its rows'
/// bins sequentially instead of one random read per row and feature.
struct ForestRows {
  std::vector<std::uint8_t> bins;
  Index row_bytes = 0;  ///< Features x bin width.
  int bin_width = 1;    ///< Bytes per bin.
};

/// Rows of at most this many bytes of bins are copied into records (ForestRows); wider rows
/// would cost more to move at every split than the random reads they save.
constexpr Index kMaxForestRowBytes = 112;

/// `bins` as a forest's row records (row-major local bins).
ForestRows forest_rows(const BinnedMatrix& bins, int n_threads);

/// How a random forest's tree grows (TreeGrower::grow_forest).
struct ForestGrowth {
  /// Features drawn per split, and more until one is not constant in the node (as
  /// scikit-learn); 0 or at least the number of features: all, in index order.
  Index max_features = 0;
  /// Minimum rows (of the bag) in a node to split it, >= 2.
  Index min_samples_split = 2;
  /// Seed of this tree's per-node feature draws: node `k`'s features come from the stream
  /// (seed, key of k), where a key depends only on the node's path from the root, so the tree
  /// does not depend on the order nodes are split in or on the thread count.
  std::uint64_t seed = 0;
  /// Every row's bins as a record (see ForestRows), or null: the tree then reads the bins from
  /// the columns of the binned matrix through the node's row indices.
  const ForestRows* rows = nullptr;
};

/// Grows trees leaf-wise; keeps its buffers between trees.
///
/// Rows of each leaf are a contiguous segment of one index array (LightGBM's data partition);
/// a split partitions its leaf's segment stably, so the order of rows never depends on the
/// thread count.
class TreeGrower {
 public:
  /// @param monotone  per feature -1, 0 or +1.
  TreeGrower(const BinnedMatrix& bins, const std::vector<FeatureBinInfo>& info,
             const GBDTParams& params, std::vector<std::int8_t> monotone, int n_threads);

  /// Grows one tree.
  /// @param bag          rows to grow on (sorted), or null for all rows.
  /// @param gh           fixed-point gradient pairs of every row (see HistBin).
  /// @param count_bits   low bits of GradPair::hc / HistBin::hc holding counts.
  /// @param g_unscale, h_unscale  the scales back to values.
  /// @param feature_used per feature, 1 when the tree may split on it.
  /// @return the tree, leaf values shrunk by the learning rate.
  Tree grow(const std::vector<std::int32_t>* bag, const GradPair* gh, int count_bits,
            double g_unscale, double h_unscale, const std::vector<std::uint8_t>& feature_used);

  /// Grows one tree of a random forest: every node draws its own features (see
  /// ForestGrowth) and histograms only those, one feature at a time from the node's rows, so
  /// no histogram is kept per leaf and memory does not grow with the number of leaves. Nodes
  /// split best-first up to params.num_leaves leaves (depth-first when that limit cannot bind:
  /// the same tree, its nodes numbered in another order); pure nodes (all gradient on one class:
  /// `g == 0` or `g == -h`) do not split. Gradients hold `-w_i * y_i` and hessians `w_i`
  /// in one fixed-point scale, so that the gain is half the weighted Gini decrease and a
  /// leaf's value its weighted rate of class 1.
  Tree grow_forest(const std::vector<std::int32_t>& bag, const GradPair* gh, int count_bits,
                   double unscale, const ForestGrowth& growth);

  /// The grower's own gradient buffer (one pair per row): without a bag, a caller may write the
  /// gradients of row i at position i and pass this pointer to grow() to save a copy.
  GradPair* gradient_buffer() { return gh_.data(); }

  /// Adds each leaf's value of the last grown tree to `score` for the rows it grew on.
  void add_leaf_values(const Tree& tree, double* score);

  /// The fit's phase times and parallel-work counters, accumulated over the trees grown.
  FitProfiler& profiler() { return prof_; }

 private:
  struct Leaf {
    Index begin = 0;
    Index count = 0;
    LeafInfo info;
    SplitInfo best;
    int depth = 0;
    int slot = -1;             ///< Histogram slot, -1 when none.
    std::int32_t parent = -1;  ///< Internal node pointing to this leaf (-1 for the root).
    bool is_left = false;
    std::uint64_t key = 1;  ///< Path key of a forest's node (root 1), seeds its feature draw.
    /// Which pair of row buffers holds the leaf's rows: 0 = index_ / gh_, 1 = tmp_ / gh_tmp_
    /// (a split moves its leaf's rows into the other pair).
    int buf = 0;
  };

  /// The leaf's row indices and their gradient pairs, at [begin, begin + count).
  const std::int32_t* rows_of(const Leaf& leaf) const {
    return (leaf.buf != 0 ? tmp_ : index_).data() + leaf.begin;
  }
  const GradPair* gh_of(const Leaf& leaf) const {
    return (leaf.buf != 0 ? gh_tmp_ : gh_).data() + leaf.begin;
  }

  bool can_split(const Leaf& leaf) const;
  /// The histogram of the used features over the rows of `leaf` into `hist`, then
  /// `done(q)` for each used feature q (by index into used_features_) once its bins are
  /// complete. Row by row on one thread; shared, as tasks of a chunk of the rows times a group
  /// of the features (plan_histogram in grower.cpp), each into its own chunk's histogram of
  /// which only its group's bins are zeroed, the chunks of a group added up by the group's
  /// last task, which then calls `done` for the group's features: work that follows a
  /// feature's histogram (subtraction, split finding) runs in the same parallel region.
  /// `extra_work` is that work's size (work units, see grower.cpp).
  template <class Done>
  void build_leaf_histogram(const Leaf& leaf, HistBin* hist, Index extra_work, Done&& done);
  /// The best split of `leaf` over the used features (leaf.best; none when it cannot split).
  void find_split(Leaf& leaf, const HistBin* hist);
  /// The best of the per-feature splits `found` (ties: the lowest feature) into `leaf.best`.
  static void pick_split(Leaf& leaf, std::vector<SplitInfo>& found);
  /// Moves the leaf's rows (and gradient pairs) into the other row buffers at the same
  /// positions, stably, the left child's first; returns their number.
  Index partition(const Leaf& leaf, const SplitInfo& split);
  int acquire_slot();
  /// Gives the leaf's histogram slot back (if it holds one).
  void release(Leaf& leaf);

  // ---- random forests ----
  /// The best split of leaf `li` over the features drawn for it (grow_forest).
  void find_split_forest(std::size_t li);
  /// Histograms of the features batch_[0 .. nb) over the rows of `leaf` into the slots
  /// 0 .. nb of fhist_ (fhist_stride_ bins each), and the bins each touched, in the order
  /// first touched, in present_: from the node's records when the tree has them, else from
  /// the columns of bins through the node's row indices.
  void feature_histograms(const Leaf& leaf, Index nb);
  /// Slot `s`'s histogram (feature `f`) as its non-empty bins (ascending) in present_'s slot
  /// and their sums in csums_; returns their number (1: the feature is constant in the node).
  /// Leaves the slot of fhist_ all zeros, as it was before feature_histograms().
  std::int32_t compact_histogram(Index s, Index f);
  /// Updates the best split of leaf `li` with slot `s`'s feature `f`; false when `f` is
  /// constant in the node (then recorded in known_ for the leaf and its descendants).
  bool split_slot(std::size_t li, Index s, Index f);
  /// The forest's root: every row of the bag, its sums and output, and its best split.
  void add_forest_root(const std::vector<std::int32_t>& bag, const GradPair* gh);
  /// Sizes the histogram slots (once per grower) and the record buffers; resets known_.
  void prepare_forest_buffers();
  /// Copies the records of the bag's rows with their gradient pairs into the first record
  /// buffer, in bag order (the root's rows); returns their number.
  Index gather_records(const std::vector<std::int32_t>& bag, const GradPair* gh);
  /// Partitions the `count` records from `begin` of a leaf at `depth` by `s` into the other
  /// record buffer, stably (left child first): the rows of each child only when `keep_left` /
  /// `keep_right` (a child that cannot split never reads its rows).
  void partition_records(Index begin, Index count, int depth, const SplitInfo& s, bool keep_left,
                         bool keep_right);
  /// Bytes from a record's start to feature `f`'s bin.
  Index record_bin_at(Index f) const {
    return static_cast<Index>(sizeof(GradPair)) + f * forest_.rows->bin_width;
  }
  /// The record buffer holding the rows of leaves at `depth`.
  std::uint8_t* records(int depth) { return records_[static_cast<std::size_t>(depth & 1)].data(); }

  // ---- the steps of grow(), once per tree or once per split ----
  /// Sets the round's split context and the features the tree may use.
  void start_tree(int count_bits, double g_unscale, double h_unscale,
                  const std::vector<std::uint8_t>& feature_used);
  /// Puts the root's rows (the bag, or all rows) and their gradients in index_ and gh_, in the
  /// same order; returns their number.
  Index gather_root(const std::vector<std::int32_t>* bag, const GradPair* gh);
  /// No leaves, every histogram slot free.
  void reset_leaves();
  /// The root leaf of `n_root` rows: its histogram, sums, output and best split.
  void add_root(Index n_root);
  /// The leaf with the largest gain (ties: the lowest index); leaves_.size() when none can
  /// split.
  std::size_t best_leaf() const;
  /// Appends the internal node of split `s` of leaf `li` to `tree` and links it to its
  /// parent; returns the node's index.
  std::int32_t add_node(Tree& tree, std::size_t li, const SplitInfo& s) const;
  /// Appends the codes' bitset of categorical split `s` (feature binned as `fi`) to `tree`.
  void add_code_bitset(Tree& tree, const SplitInfo& s, const FeatureBinInfo& fi) const;
  /// Partitions leaf `li` by `s` (below internal node `node`): it becomes the left child and
  /// the right child is appended, with their sums, outputs and output bounds.
  void split_leaf(std::size_t li, const SplitInfo& s, std::int32_t node);
  /// The histograms of two new siblings (the smaller one built, the larger one the parent's
  /// minus it, in the parent's slot) and their best splits; a leaf that cannot split gives
  /// its slot back.
  void histogram_children(Leaf& L, Leaf& R);
  /// The leaves' values (shrunk by the learning rate), counts and depths.
  void write_leaves(Tree& tree) const;

  const BinnedMatrix& bins_;
  const std::vector<FeatureBinInfo>& info_;
  const GBDTParams& params_;
  std::vector<std::int8_t> monotone_;
  int n_threads_;
  bool constrained_ = false;

  std::vector<std::int32_t> index_;  ///< Row indices, leaf by leaf.
  std::vector<std::int32_t> tmp_;
  std::vector<GradPair> gh_, gh_tmp_;  ///< Gradient pairs in the order of index_.
  std::vector<std::uint8_t> dec_;      ///< Partition decisions (1 = left).
  std::vector<std::vector<HistBin>> slots_;
  /// Partial histograms of row chunks 1.. of a shared histogram (see build_leaf_histogram).
  std::vector<std::vector<HistBin>> scratch_;
  /// Per used feature: chunks of a shared histogram not finished yet.
  std::unique_ptr<std::atomic<Index>[]> pending_;
  std::vector<SplitInfo> found_, found_other_;  ///< Per used feature: its best split.
  std::vector<int> free_slots_;
  std::vector<Leaf> leaves_;
  std::vector<Index> used_features_;
  Index used_bins_ = 0;  ///< Histogram bins of used_features_ (set by start_tree).

  SplitContext ctx_;  ///< Per-round inputs of split finding.
  FitProfiler prof_;  ///< Phase times and parallel-work counters (GBDTFitProfile).

  ForestGrowth forest_;                ///< Settings of the forest's tree being grown.
  bool forest_mode_ = false;           ///< grow_forest() is running (pure nodes do not split).
  std::vector<HistBin> fhist_;         ///< The drawn features' histograms, zero between uses.
  Index fhist_stride_ = 0;             ///< Bins per slot of fhist_ and present_ (the most bins).
  std::vector<std::int32_t> present_;  ///< Per slot: its touched bins, then non-empty ones.
  /// Per slot: the histogram of a feature of few bins, in copies (see feature_histograms()),
  /// zero between uses.
  std::vector<HistBin> small_hist_;
  std::vector<std::int32_t> n_present_;  ///< Per slot: bins touched.
  std::vector<Sums> csums_;              ///< Sums of one slot's non-empty bins.
  std::vector<Index> perm_;              ///< The node's feature order (grow_forest).
  std::vector<Index> batch_;             ///< Features histogrammed together, by slot.
  SplitInfo cand_;   ///< A feature's best split (its buffer reused from node to node).
  SplitInfo split_;  ///< The split being applied (its buffer reused from split to split).
  /// Categorical split buffers of the last forest tree's leaves, handed to the next tree's
  /// new leaves so that recording a split does not allocate.
  std::vector<std::vector<std::uint32_t>> spare_cat_bins_;
  std::vector<std::size_t> open_stack_;  ///< Leaves to split, depth-first (grow_forest).
  std::size_t last_nodes_ = 0;           ///< Internal nodes of the last forest tree grown.
  /// Two buffers of records (gradient pair, then the row's bins; record_stride_ bytes each):
  /// the rows of the leaves at even depths in the first, at odd depths in the second, each
  /// leaf at its [begin, begin + count).
  std::vector<std::uint8_t> records_[2];
  Index record_stride_ = 0;  ///< 0 when the tree grows without records.
  /// Per leaf, known_words_ words of bits: features known to be constant in the leaf (found
  /// constant in it or an ancestor), whose histograms are skipped.
  std::vector<std::uint64_t> known_;
  std::size_t known_words_ = 0;
};

}  // namespace churn::tree::detail
