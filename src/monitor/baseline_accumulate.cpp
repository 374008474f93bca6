// Baseline::accumulate: counting a batch on a baseline's fixed bins (also the counting half of
// fit and of compare).
//
// The work is split into (column, row block) tasks run in parallel; each task counts into its
// own buffers and merges them into the column's state under the column's lock. Every
// accumulator is order-free (integer counts, exact sums, min/max, category counts), so the
// result never depends on the thread count or on the order the tasks finish in.
//
// A numeric value's cell (the number of cuts at or below it, feature_state.cpp) comes from a
// CellCounter (bucket_map.hpp): the value's bucket gives its cell, plus one for each of the
// bucket's cuts (at most two) the value is not below; the values of the rare buckets holding
// three cuts or more are placed by the CutIndex's search. With more cuts than a CellCounter
// takes, every value goes through the CutIndex.
#include "churn/monitor/baseline.hpp"

#include <algorithm>  // std::min, std::max
#include <limits>     // std::numeric_limits
#include <memory>     // std::unique_ptr, std::make_unique
#include <mutex>      // std::mutex, std::lock_guard
#include <vector>     // std::vector

#include "churn/core/error.hpp"
#include "churn/core/parallel.hpp"
#include "churn/core/stop.hpp"
#include "monitor/columns.hpp"
#include "monitor/feature_state.hpp"
#include "monitor/scan_kernel.hpp"

namespace churn::monitor {

using data::Column;
using data::DType;
using data::dtype_name;
using data::Table;
using detail::FeatureState;
using detail::kRowBlock;

namespace {

/// Tasks (column, row block) per thread in accumulate's first batch between two stop polls (a
/// task takes ~1 ms at a few ns per value, ~80 ms with 100,000 bins); later batches are
/// sized to take about 100 ms.
constexpr Index kTasksPerThread = 4;
/// Rows a numeric task converts and scans at a time.
constexpr Index kSubBlock = 4096;

/// Numeric type groups that may swap between fit and compare.
int dtype_group(DType t) {
  switch (t) {
    case DType::Float64:
    case DType::Int64: return 0;
    case DType::Timestamp: return 1;
    case DType::Categorical:
    case DType::String: return 2;
  }
  return 3;
}

/// Counts codes[lo, hi) (-1 = missing, else < k) into counts[0] (missing) and counts[1 + code],
/// through eight interleaved sets of counters (a run of one category would otherwise chain
/// every increment on the one before); `counts` has 8 (k + 1) entries, summed into the first
/// k + 1.
template <class T>
void count_codes(const T* codes, std::size_t lo, std::size_t hi, std::size_t k,
                 std::int64_t* counts) {
  const std::size_t stride = k + 1;
  std::size_t i = lo;
  for (; i + 8 <= hi; i += 8)
    for (std::size_t j = 0; j < 8; ++j)
      ++counts[j * stride + static_cast<std::size_t>(codes[i + j] + 1)];
  for (; i < hi; ++i) ++counts[static_cast<std::size_t>(codes[i] + 1)];
  for (std::size_t j = 0; j < stride; ++j)
    for (std::size_t l = 1; l < 8; ++l) counts[j] += counts[l * stride + j];
}

/// The columns of a chunk to count, each with the state (of the chunk's baseline) it counts
/// into.
struct Targets {
  std::vector<FeatureState*> states;
  std::vector<Column> cols;
};

/// The state of feature `f` in the baseline of a chunk of `n` rows: a copy of `f` when fit has
/// counted it already (`counted`), else `f`'s bins with nothing counted, marked absent when the
/// chunk lacks the column, or else added to `targets`.
/// @throws TypeMismatch naming `caller` when the column's type changed.
std::unique_ptr<FeatureState> chunk_state(const FeatureState& f, const Table& chunk, Index n,
                                          bool counted, const char* caller, Targets& targets) {
  if (counted) return std::make_unique<FeatureState>(f);
  std::unique_ptr<FeatureState> s = f.empty_copy();
  if (!chunk.has_column(f.name)) {
    s->present = false;
    return s;
  }
  const Column& c = chunk.column(f.name);
  CHURN_CHECK(dtype_group(c.dtype()) == dtype_group(f.dtype), TypeMismatch,
              caller << ": column '" << f.name << "' has type " << dtype_name(c.dtype())
                     << " but the baseline has it as " << dtype_name(f.dtype) << " ("
                     << feature_kind_name(f.kind) << ")");
  s->n_rows = n;
  targets.states.push_back(s.get());
  targets.cols.push_back(c);
  return s;
}

/// The same for the score (`scored`: the chunk's baseline has a score, `score` its values).
std::unique_ptr<FeatureState> chunk_score_state(const FeatureState& f, const VectorRef& score,
                                                bool scored, Index n, bool counted,
                                                Targets& targets) {
  if (counted) return std::make_unique<FeatureState>(f);
  std::unique_ptr<FeatureState> s = f.empty_copy();
  if (scored) {
    s->n_rows = n;
    targets.states.push_back(s.get());
    targets.cols.push_back(Column::from_float64_view("score", score.data(), score.size(), nullptr));
  } else {
    s->present = false;
  }
  return s;
}

/// Counts the targets of a chunk of `n` rows, by (column, row block) tasks.
class ChunkCounter {
 public:
  ChunkCounter(Targets& targets, Index n, bool with_sums, const char* caller)
      : states_(targets.states),
        cols_(targets.cols),
        with_sums_(with_sums),
        caller_(caller),
        locks_(states_.size()),
        per_code_(states_.size()),
        code_missing_(states_.size(), 0) {
    for (std::size_t t = 0; t < states_.size(); ++t)
      for (Index lo = 0; lo < n; lo += kRowBlock)
        tasks_.push_back({t, lo, std::min(n, lo + kRowBlock)});
    // per categorical target: counts per dictionary code, merged at the end
    for (std::size_t t = 0; t < states_.size(); ++t)
      if (cols_[t].dtype() == DType::Categorical)
        per_code_[t].assign(cols_[t].categories().size(), 0);
  }

  /// Runs the tasks in batches of about 100 ms with a stop poll between them (one batch
  /// without a StopScope), then sets the category counts.
  void run(int n_threads) {
    const auto count_tasks = [&](Index lo, Index hi) {
      for (Index ti = lo; ti < hi; ++ti) count(tasks_[static_cast<std::size_t>(ti)]);
    };
    const auto n_tasks = static_cast<Index>(tasks_.size());
    churn::detail::run_polled_batches(
        0, n_tasks, kTasksPerThread * static_cast<Index>(resolve_threads(n_threads)),
        [&](Index b0, Index b1) { parallel_for_blocks(b0, b1, 1, n_threads, count_tasks); });
    for (std::size_t t = 0; t < states_.size(); ++t) {
      FeatureState& s = *states_[t];
      if (cols_[t].dtype() == DType::Categorical) {
        s.cats = detail::counts_by_name(cols_[t].categories(), per_code_[t], code_missing_[t]);
      }
      if (s.kind == FeatureKind::Categorical) s.missing = s.cats.missing();
    }
  }

 private:
  struct Task {
    std::size_t target;
    Index lo, hi;
  };

  void count(const Task& task) {
    const DType t = cols_[task.target].dtype();
    if (t == DType::Categorical) {
      count_categorical(task);
    } else if (t == DType::String) {
      count_strings(task);
    } else {
      count_numeric(task);
    }
  }

  /// Dictionary codes, counted per code (named at the end).
  void count_categorical(const Task& task) {
    const Column& c = cols_[task.target];
    const std::size_t k = per_code_[task.target].size();
    std::vector<std::int64_t> counts(8 * (k + 1), 0);
    const auto first = static_cast<std::size_t>(task.lo);
    const auto last = static_cast<std::size_t>(task.hi);
    c.visit_codes([&](const auto* codes) {  // the stored codes, not widened
      count_codes(codes, first, last, k, counts.data());
    });
    std::lock_guard<std::mutex> g(locks_[task.target]);
    for (std::size_t j = 0; j < k; ++j) per_code_[task.target][j] += counts[j + 1];
    code_missing_[task.target] += counts[0];
  }

  /// Strings, counted by name.
  void count_strings(const Task& task) {
    const Column& c = cols_[task.target];
    CategoryCounts part;
    part.add(task.lo == 0 && task.hi == c.size()
                 ? c
                 : Table({c}).slice(task.lo, task.hi - task.lo).column(0));
    std::lock_guard<std::mutex> g(locks_[task.target]);
    states_[task.target]->cats.merge(part);
  }

  void count_numeric(const Task& task);

  const std::vector<FeatureState*>& states_;
  const std::vector<Column>& cols_;
  const bool with_sums_;
  const char* caller_;
  std::vector<Task> tasks_;
  std::vector<std::mutex> locks_;
  std::vector<std::vector<std::int64_t>> per_code_;
  std::vector<std::int64_t> code_missing_;
};

/// Numbers: cells (through the CellCounter, or the CutIndex alone) and, with sums, min, max
/// and the exact sums, by sub-blocks of kSubBlock rows (converted to doubles unless float64).
void ChunkCounter::count_numeric(const Task& task) {
  FeatureState& s = *states_[task.target];
  const Column& c = cols_[task.target];
  std::vector<std::int64_t> cells(s.cells.size(), 0);
  std::vector<std::int64_t> scratch(s.index.scratch_size(), 0);
  std::int64_t miss = 0;
  double mn = std::numeric_limits<double>::infinity();
  double mx = -mn;
  detail::ExactSum sum, sumsq;
  std::vector<double> buf(static_cast<std::size_t>(kSubBlock));
  const bool direct = c.dtype() == DType::Float64;
  const double* base = direct ? c.as_float64().data() : nullptr;
  const detail::CellCounter* counter = s.counter.get();
  thread_local std::vector<std::uint32_t> cell_scratch;
  thread_local std::vector<double> slow_values;
  const std::size_t stride = counter ? counter->n_cells + 2 : 0;
  if (counter) {
    cell_scratch.assign(4 * stride, 0);
    slow_values.resize(static_cast<std::size_t>(kSubBlock));
  }
  for (Index a = task.lo; a < task.hi; a += kSubBlock) {
    const Index b = std::min(task.hi, a + kSubBlock);
    const double* x = base ? base + a : buf.data();
    if (!base) detail::column_values(c, a, b, buf.data(), caller_);
    if (counter) {
      const std::size_t w = detail::scan_cells(*counter, x, static_cast<std::size_t>(b - a),
                                               cell_scratch.data(), slow_values.data());
      for (std::size_t i = 0; i < w; ++i) ++cells[s.index.find(slow_values[i])];
    } else {
      s.index.count(x, b - a, scratch.data());
    }
    if (with_sums_) {
      const auto len = static_cast<std::size_t>(b - a);
      std::int64_t n_inf = 0;  // counted apart by the sums
      detail::scan_stats(x, len, s.shift, mn, mx, n_inf, sum, sumsq);
    }
  }
  s.index.flush(scratch.data(), cells.data(), miss);
  if (counter) {
    // the four histograms: cells, then missing values (the discard slot unused)
    auto total = [&](std::size_t k) {
      return std::int64_t{cell_scratch[k]} + cell_scratch[stride + k] +
             cell_scratch[2 * stride + k] + cell_scratch[3 * stride + k];
    };
    for (std::size_t k = 0; k < cells.size(); ++k) cells[k] += total(k);
    miss += total(cells.size());
  }
  std::lock_guard<std::mutex> g(locks_[task.target]);
  for (std::size_t k = 0; k < cells.size(); ++k) s.cells[k] += cells[k];
  s.missing += miss;
  if (with_sums_) {
    s.min = std::min(s.min, mn);
    s.max = std::max(s.max, mx);
    s.sum.merge(sum);
    s.sumsq.merge(sumsq);
  }
}

}  // namespace

Baseline Baseline::accumulate(const Table& chunk, const VectorRef& score) const {
  return accumulate_impl(chunk, score, true, "Baseline::accumulate()");
}

Baseline Baseline::accumulate_impl(const Table& chunk, const VectorRef& score, bool with_sums,
                                   const char* caller, const std::vector<char>* counted) const {
  check_fitted(caller);
  const Index n = chunk.num_rows();
  CHURN_CHECK(score.size() == 0 || has_score_, InvalidArgument,
              caller << ": a score was passed but the baseline was fitted without one");
  CHURN_CHECK(score.size() == 0 || score.size() == n, InvalidArgument,
              caller << ": score has " << score.size() << " values for " << n << " rows");
  Baseline out(params_);
  out.fitted_ = true;
  out.n_rows_ = n;
  // a chunk without rows has an empty score either way: it counts as scored
  out.has_score_ = has_score_ && (score.size() > 0 || n == 0);
  Targets targets;
  for (std::size_t fi = 0; fi < features_.size(); ++fi)
    out.features_.push_back(
        chunk_state(*features_[fi], chunk, n, counted && (*counted)[fi], caller, targets));
  if (has_score_)
    out.score_ =
        chunk_score_state(*score_, score, out.has_score_, n, counted && counted->back(), targets);
  ChunkCounter(targets, n, with_sums, caller).run(params_.n_threads);
  return out;
}

}  // namespace churn::monitor
