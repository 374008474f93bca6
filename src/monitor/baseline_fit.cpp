// Baseline::fit: the exact bin edges, summary quantiles and KS points of every column, and its
// counts on them.
//
// Edges are exact numpy quantiles (`np.quantile(x, np.linspace(0, 1, bins + 1))`, repeats
// merged), found without sorting. A numeric column of kRadixMinRows (65,536) rows or more is read
// twice (RadixFit, numeric_fit.hpp): the first pass counts its values in 16,384 buckets of a
// monotone map laid out from a sorted sample (linear in the value, or in its order-preserving
// bit pattern for heavy tails), and takes min, max and the exact sums; the counts tell which
// buckets hold the wanted ranks, and the second pass gathers only the values of those buckets
// (the ranks of the edges, the summary quantiles and the KS points), except the repeats of a
// bucket's representative value, which are just counted. The gathered values (typically well
// under 1% of the column) are grouped per bucket, and every quantile (a selection within its
// bucket) and every cell count follows exactly. Should a step not add up (it cannot on valid
// data, but the code checks), the column is copied and selected in full; the result is the
// same. Smaller columns are copied and selected, and counted by accumulate.
//
// Both passes run over (column, row block) pairs, by groups of columns, and the per-column
// steps one column per task; every result is order-free, so none depends on n_threads.
#include "churn/monitor/baseline.hpp"

#include <algorithm>  // std::unique, std::min
#include <cmath>      // std::nextafter
#include <cstdint>    // std::uint16_t, std::int64_t
#include <iterator>   // std::begin, std::end
#include <limits>     // std::numeric_limits
#include <memory>     // std::unique_ptr, std::make_unique
#include <utility>    // std::move
#include <vector>     // std::vector

#include "churn/core/error.hpp"
#include "churn/core/parallel.hpp"
#include "churn/core/stop.hpp"
#include "common/quantile.hpp"
#include "monitor/columns.hpp"
#include "monitor/feature_state.hpp"
#include "monitor/numeric_fit.hpp"
#include "monitor/select_quantiles.hpp"

namespace churn::monitor {

using data::Column;
using data::Table;
using detail::FeatureState;
using detail::kRowBlock;
using detail::kSummaryLevels;

namespace {

/// Rows a group of numeric columns fit together (their 2-byte bucket indices live between
/// the two passes): just under 32 MiB, so that glibc serves the buffer from its heap after the
/// first fit instead of mapping (and page-faulting) fresh memory on every call.
constexpr std::size_t kGroupRows = (std::size_t{1} << 24) - 4096;

/// The exact quantile levels a fit reads from every numeric column, in order: 0 and 1 (min and
/// max), kSummaryLevels, the quantile edges' (Binning::Quantile only), then the KS points'.
class FitLevels {
 public:
  explicit FitLevels(const BaselineParams& p)
      : bins_(p.bins), quantile_(p.binning == Binning::Quantile) {
    all_ = {0.0, 1.0};
    all_.insert(all_.end(), std::begin(kSummaryLevels), std::end(kSummaryLevels));
    n_fixed_ = all_.size();
    if (quantile_) {
      const std::vector<double> grid = common::linspace01(static_cast<std::size_t>(bins_));
      all_.insert(all_.end(), grid.begin(), grid.end());
    }
    n_before_ks_ = all_.size();
    for (int j = 0; j <= p.ks_points; ++j) all_.push_back(double(j) / p.ks_points);
  }

  /// Every level.
  const std::vector<double>& all() const { return all_; }
  /// Equal-width binning (whose edges are not quantiles).
  bool equal_width() const { return !quantile_; }
  /// The equal-width edges of [lo, hi].
  std::vector<double> equal_width_edges(double lo, double hi) const {
    std::vector<double> mm = {lo, hi};
    return detail::edges_of(mm, bins_, false);
  }

  /// Sets the KS points, summary quantiles and edges of `s` from its quantiles `q` at all().
  void set_edges(FeatureState& s, std::vector<double> q) const {
    s.ks.assign(q.begin() + static_cast<std::ptrdiff_t>(n_before_ks_), q.end());
    q.resize(n_before_ks_);
    s.quantiles.assign(q.begin() + 2, q.begin() + static_cast<std::ptrdiff_t>(n_fixed_));
    if (quantile_) {
      s.edges.assign(q.begin() + static_cast<std::ptrdiff_t>(n_fixed_), q.end());
      for (auto& e : s.edges) e = e + 0.0;
      s.edges.erase(std::unique(s.edges.begin(), s.edges.end()), s.edges.end());
    } else {
      s.edges = equal_width_edges(q[0], q[1]);
    }
  }

 private:
  int bins_;
  bool quantile_;
  std::vector<double> all_;
  std::size_t n_fixed_ = 0;      // 0, 1 and the summary levels
  std::size_t n_before_ks_ = 0;  // ... and the edges'
};

/// The fit of a table's columns (and of the score, as a last float64 column): their states with
/// bins and quantiles and, for the columns the two-pass fit finished (`counted`), their counts.
class ColumnFits {
 public:
  ColumnFits(std::vector<Column> cols, const BaselineParams& p, const char* caller)
      : cols_(std::move(cols)),
        params_(p),
        caller_(caller),
        levels_(p),
        states_(cols_.size()),
        counted_(cols_.size(), 0),
        work_(cols_.size()) {}

  /// Steps 1 to 5.
  void run() {
    for_columns([&](Index lo, Index hi) {
      for (Index k = lo; k < hi; ++k) start(static_cast<std::size_t>(k));
    });
    for (std::size_t first = 0; first < cols_.size();) run_group(next_group(first));
    for_columns([&](Index lo, Index hi) {
      for (Index k = lo; k < hi; ++k) finish(static_cast<std::size_t>(k));
    });
  }

  /// The states (taken), in column order.
  std::vector<std::unique_ptr<FeatureState>>& states() { return states_; }
  /// Per column: whether its counts are in its state.
  const std::vector<char>& counted() const { return counted_; }

 private:
  /// Per column: its values as doubles, a sorted sample and, for large columns, the two-pass fit.
  struct Work {
    const double* x = nullptr;
    std::size_t n_rows = 0;
    std::vector<double> buffer;  // non-float64 columns converted
    std::vector<double> sample;
    std::unique_ptr<detail::RadixFit> radix;
  };
  struct Task {
    std::size_t col;
    std::size_t lo, hi;
  };

  template <class Body>
  void for_columns(Body&& body);
  void start(std::size_t k);
  std::vector<std::size_t> next_group(std::size_t& first);
  void run_group(const std::vector<std::size_t>& group);
  void run_tasks(const std::vector<std::size_t>& group, bool second);
  void plan(std::size_t k);
  void finish(std::size_t k);
  bool finish_radix(std::size_t k);
  void fit_plain(std::size_t k);

  const std::vector<Column> cols_;
  const BaselineParams& params_;
  const char* caller_;
  const FitLevels levels_;
  std::vector<std::unique_ptr<FeatureState>> states_;
  std::vector<char> counted_;  // counted by the two-pass fit
  std::vector<Work> work_;
  std::vector<std::uint16_t> idx_pool_;  // the groups' bucket indices (one allocation per fit)
};

/// Per-column loops go in batches of about 100 ms with a stop poll between them (one batch
/// without a StopScope).
template <class Body>
void ColumnFits::for_columns(Body&& body) {
  const Index first_batch = 4 * static_cast<Index>(resolve_threads(params_.n_threads));
  churn::detail::run_polled_batches(
      0, static_cast<Index>(cols_.size()), first_batch,
      [&](Index b0, Index b1) { parallel_for_blocks(b0, b1, 1, params_.n_threads, body); });
}

/// 1. The kind of column k, and for a large numeric column its sample and bucket map.
void ColumnFits::start(std::size_t k) {
  const Column& c = cols_[k];
  auto s = std::make_unique<FeatureState>();
  s->name = c.name();
  s->dtype = c.dtype();
  Work& w = work_[k];
  if (detail::is_categorical(c.dtype())) {
    s->kind = FeatureKind::Categorical;
    s->prepare();
  } else {
    s->kind = FeatureKind::Numeric;
    w.x = detail::numeric_data(c, w.buffer, caller_);
    w.n_rows = static_cast<std::size_t>(c.size());
    if (w.n_rows >= detail::kRadixMinRows) {
      w.sample = detail::sorted_sample(w.x, w.n_rows, detail::kMapSample);
      if (w.sample.size() >= 2) {
        s->shift = common::quantile_sorted(w.sample, 0.5);  // ~ the median
        w.radix = std::make_unique<detail::RadixFit>(w.x, w.n_rows, w.sample, s->shift);
      }
    }
  }
  states_[k] = std::move(s);
}

/// The next group of two-pass columns from `first` on (each row holds a 2-byte bucket index
/// between the passes; a group holds at most kGroupRows of them, and at least one column).
std::vector<std::size_t> ColumnFits::next_group(std::size_t& first) {
  std::vector<std::size_t> group;
  std::size_t rows = 0;
  for (; first < cols_.size() && (group.empty() || rows + work_[first].n_rows <= kGroupRows);
       ++first) {
    if (!work_[first].radix) continue;
    group.push_back(first);
    rows += work_[first].n_rows;
  }
  return group;
}

/// 2-4 for one group of columns.
void ColumnFits::run_group(const std::vector<std::size_t>& group) {
  std::size_t rows = 0;
  for (std::size_t k : group) rows += work_[k].n_rows;
  if (idx_pool_.size() < rows) idx_pool_.resize(rows);
  rows = 0;
  for (std::size_t k : group) {
    work_[k].radix->begin(idx_pool_.data() + rows);
    rows += work_[k].n_rows;
  }
  // 2. pass 1 over (column, row block) pairs
  poll_stop();
  run_tasks(group, false);
  // 3. the ranks and cuts to resolve
  for (std::size_t k : group) plan(k);
  // 4. pass 2 gathers the values of the target buckets; they are sorted per bucket
  poll_stop();
  run_tasks(group, true);
  parallel_for_blocks(0, static_cast<Index>(group.size()), 1, params_.n_threads,
                      [&](Index lo, Index hi) {
                        for (Index g = lo; g < hi; ++g) {
                          const std::size_t k = group[static_cast<std::size_t>(g)];
                          if (work_[k].radix && !work_[k].radix->finish()) work_[k].radix.reset();
                        }
                      });
}

/// Pass 1 or 2 of a group's two-pass columns, over (column, row block) pairs.
void ColumnFits::run_tasks(const std::vector<std::size_t>& group, bool second) {
  std::vector<Task> tasks;
  for (std::size_t k : group)
    if (work_[k].radix)
      for (std::size_t a = 0; a < work_[k].n_rows; a += kRowBlock)
        tasks.push_back({k, a, std::min(work_[k].n_rows, a + static_cast<std::size_t>(kRowBlock))});
  parallel_for_blocks(0, static_cast<Index>(tasks.size()), 1, params_.n_threads,
                      [&](Index lo, Index hi) {
                        for (Index t = lo; t < hi; ++t) {
                          const Task& task = tasks[static_cast<std::size_t>(t)];
                          detail::RadixFit& r = *work_[task.col].radix;
                          if (second) {
                            r.pass2(task.lo, task.hi);
                          } else {
                            r.pass1(task.lo, task.hi);
                          }
                        }
                      });
}

/// 3. The ranks of every level of column k and, for equal-width edges, the cuts around each
/// edge; the column leaves the two-pass fit when there are too many.
void ColumnFits::plan(std::size_t k) {
  Work& w = work_[k];
  detail::RadixFit& r = *w.radix;
  if (r.n_inf() > 0) detail::check_finite(cols_[k], w.x, caller_);  // throws naming the row
  const std::vector<std::size_t> ranks =
      detail::RadixFit::ranks_of_levels(levels_.all(), r.n_values());
  std::vector<double> cuts;
  if (levels_.equal_width()) {
    const double inf = std::numeric_limits<double>::infinity();
    for (double e : levels_.equal_width_edges(r.min(), r.max())) {
      cuts.push_back(e);
      cuts.push_back(std::nextafter(e, inf));
    }
  }
  if (!r.plan(ranks, cuts)) w.radix.reset();
}

/// 5. The bins of numeric column k (and its counts when the two-pass fit finished).
void ColumnFits::finish(std::size_t k) {
  FeatureState& s = *states_[k];
  if (s.kind != FeatureKind::Numeric) return;
  if (work_[k].radix && finish_radix(k)) {
    counted_[k] = 1;
  } else {
    s.edges.clear();
    s.quantiles.clear();
    s.ks.clear();
    fit_plain(k);
  }
  work_[k].radix.reset();
}

/// Quantiles, edges and counts from a finished two-pass fit; false when it cannot give them
/// (the caller then takes the plain path).
bool ColumnFits::finish_radix(std::size_t k) {
  FeatureState& s = *states_[k];
  detail::RadixFit& r = *work_[k].radix;
  bool ok = true;
  levels_.set_edges(s, r.quantiles(levels_.all(), ok));
  if (!ok) return false;
  s.prepare();
  std::vector<std::int64_t> below(s.cuts.size());
  for (std::size_t j = 0; j < s.cuts.size(); ++j)
    if (!r.count_lt(s.cuts[j], below[j])) return false;
  below.push_back(static_cast<std::int64_t>(r.n_values()));  // the last cell's upper end
  for (std::size_t j = 0; j < s.cells.size(); ++j)
    s.cells[j] = below[j] - (j > 0 ? below[j - 1] : 0);
  s.n_rows = static_cast<std::int64_t>(work_[k].n_rows);
  s.missing = r.missing();
  s.min = r.min();
  s.max = r.max();
  s.sum = std::move(r.sum());
  s.sumsq = std::move(r.sumsq());
  return true;
}

/// The whole-column path: copy and select (small columns, and any column the two-pass fit
/// cannot finish); its counts are taken by accumulate.
void ColumnFits::fit_plain(std::size_t k) {
  FeatureState& s = *states_[k];
  Work& w = work_[k];
  const std::size_t n_values = detail::check_finite(cols_[k], w.x, caller_);
  if (n_values > 0) {
    // (no sample: large columns come here only when the two-pass fit failed, so copy)
    levels_.set_edges(s, detail::select_quantiles(w.x, w.n_rows, n_values, levels_.all(), {}));
    s.shift = s.quantiles[3];  // the median
  }
  s.prepare();
}

}  // namespace

Baseline& Baseline::fit(const Table& reference, const VectorRef& score) {
  const char* caller = "Baseline::fit()";
  CHURN_CHECK(reference.num_rows() > 0, InvalidArgument,
              caller << ": reference has no rows (an empty table)");
  CHURN_CHECK(reference.num_columns() > 0, InvalidArgument, caller << ": reference has no columns");
  CHURN_CHECK(score.size() == 0 || score.size() == reference.num_rows(), InvalidArgument,
              caller << ": score has " << score.size() << " values for " << reference.num_rows()
                     << " rows");
  // the columns whose edges are needed: numeric columns and the score
  std::vector<Column> cols = reference.columns();
  const bool with_score = score.size() > 0;
  if (with_score)
    cols.push_back(Column::from_float64_view("score", score.data(), score.size(), nullptr));
  ColumnFits fits(std::move(cols), params_, caller);
  fits.run();
  // the bins of every column, then the counts of those the two-pass fit did not count
  Baseline edges_only(params_);
  edges_only.fitted_ = true;
  edges_only.has_score_ = with_score;
  std::vector<std::unique_ptr<FeatureState>>& states = fits.states();
  if (with_score) {
    edges_only.score_ = std::move(states.back());
    states.pop_back();
  }
  edges_only.features_ = std::move(states);
  *this = edges_only.accumulate_impl(reference, score, true, caller, &fits.counted());
  return *this;
}

}  // namespace churn::monitor
