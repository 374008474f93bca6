#include "churn/monitor/baseline.hpp"

#include <algorithm>  // std::sort, std::unique, std::lower_bound, std::min, std::max
#include <cmath>      // std::isnan, std::isfinite, std::nextafter, std::sqrt
#include <iterator>   // std::begin, std::end, std::size
#include <limits>     // std::numeric_limits
#include <mutex>      // std::mutex, std::lock_guard
#include <utility>    // std::move

#include "churn/core/error.hpp"
#include "churn/core/parallel.hpp"
#include "churn/core/stop.hpp"
#include "common/exact_sum.hpp"
#include "common/json.hpp"
#include "common/quantile.hpp"
#include "monitor/columns.hpp"
#include "monitor/cut_index.hpp"
#include "monitor/divergence.hpp"
#include "monitor/numeric_fit.hpp"
#include "monitor/scan_kernel.hpp"
#include "monitor/select_quantiles.hpp"
#include "monitor/state_json.hpp"

namespace churn::monitor {

using common::json_check_members;
using common::json_from_double;
using common::json_from_doubles;
using common::json_get;
using common::json_get_doubles;
using common::json_get_int;
using common::json_to_double;
using common::make_envelope;
using common::open_envelope;

using data::Column;
using data::DType;
using data::dtype_from_name;
using data::dtype_name;
using data::Table;

namespace detail {

/// The state of one feature (or of the score) in a baseline.
struct FeatureState {
  std::string name;
  DType dtype = DType::Float64;
  FeatureKind kind = FeatureKind::Numeric;
  bool present = true;       // false: the column was absent from the accumulated chunk
  std::int64_t n_rows = 0;   // rows counted
  std::int64_t missing = 0;  // missing rows (numeric; categorical keeps its own)

  // numeric: fixed by fit
  std::vector<double> edges;      // PSI bin edges e_0 < ... < e_m (empty: no reference value)
  std::vector<double> ks;         // KS points: sample quantiles at j / ks_points (empty with edges)
  std::vector<double> quantiles;  // exact quantiles at kSummaryLevels (empty with edges)
  // derived from edges and KS points
  std::vector<double> cuts;
  CutIndex index;
  std::shared_ptr<const CellCounter> counter;  // with 2 cuts or more
  std::vector<std::size_t> bin_of_cell;
  std::vector<std::size_t> ks_cell;  // values <= ks[j] are the cells 0..ks_cell[j]
  // numeric: accumulated
  std::vector<std::int64_t> cells;
  double min = std::numeric_limits<double>::infinity();
  double max = -std::numeric_limits<double>::infinity();
  double shift = 0;  // fixed at fit (the median): sumsq sums (x - shift)^2
  ExactSum sum, sumsq;

  // categorical: accumulated
  CategoryCounts cats;

  std::size_t n_bins() const { return edges.size() > 1 ? edges.size() - 1 : 1; }

  void prepare() {
    cuts.clear();
    if (!edges.empty()) {
      const double inf = std::numeric_limits<double>::infinity();
      cuts.push_back(edges.front());
      for (std::size_t i = 1; i + 1 < edges.size(); ++i) cuts.push_back(edges[i]);
      cuts.push_back(std::nextafter(edges.back(), inf));
      for (double g : ks) cuts.push_back(std::nextafter(g, inf));
      std::sort(cuts.begin(), cuts.end());
      cuts.erase(std::unique(cuts.begin(), cuts.end()), cuts.end());
    }
    index = CutIndex(cuts);
    counter.reset();
    if (cuts.size() >= 2 && cuts.size() <= CellCounter::kMaxCuts)
      counter = std::make_shared<const CellCounter>(cuts);
    const std::size_t nc = cuts.size() + 1;
    bin_of_cell.assign(nc, 0);
    // inner edges e_1..e_{m-1} at or below each cell's lower bound: a binary search when they
    // are sorted (always, but for a damaged file), else counted (was always counted: O(cells x
    // edges), 4.6 s per column at bins=100000)
    const auto inner_lo = edges.size() > 2 ? edges.begin() + 1 : edges.end();
    const auto inner_hi = edges.size() > 2 ? edges.end() - 1 : edges.end();
    const bool sorted = std::is_sorted(inner_lo, inner_hi);
    for (std::size_t c = 1; c < nc; ++c) {
      std::size_t b = 0;
      if (sorted) {
        b = static_cast<std::size_t>(std::upper_bound(inner_lo, inner_hi, cuts[c - 1]) - inner_lo);
      } else {
        for (auto it = inner_lo; it != inner_hi; ++it) b += *it <= cuts[c - 1] ? 1 : 0;
      }
      bin_of_cell[c] = std::min(b, n_bins() - 1);
    }
    ks_cell.clear();
    for (double g : ks) {
      const double cut = std::nextafter(g, std::numeric_limits<double>::infinity());
      ks_cell.push_back(
          static_cast<std::size_t>(std::lower_bound(cuts.begin(), cuts.end(), cut) - cuts.begin()));
    }
    cells.assign(nc, 0);
  }

  /// Same bins, nothing counted.
  std::unique_ptr<FeatureState> empty_copy() const {
    auto s = std::make_unique<FeatureState>();
    s->name = name;
    s->dtype = dtype;
    s->kind = kind;
    s->edges = edges;
    s->ks = ks;
    s->quantiles = quantiles;
    s->cuts = cuts;
    s->index = index;
    s->counter = counter;
    s->bin_of_cell = bin_of_cell;
    s->ks_cell = ks_cell;
    s->shift = shift;
    s->cells.assign(cells.size(), 0);
    return s;
  }

  std::vector<std::int64_t> bin_counts() const {
    std::vector<std::int64_t> b(n_bins() + 1, 0);
    for (std::size_t c = 0; c < cells.size(); ++c) b[bin_of_cell[c]] += cells[c];
    b.back() = missing;
    return b;
  }

  std::int64_t values() const { return n_rows - missing; }

  std::int64_t out_of_range() const {
    if (edges.empty()) return values();
    return cells.front() + cells.back();
  }
};

}  // namespace detail

using detail::FeatureState;

namespace {

constexpr Index kRowBlock = 1 << 18;
/// Tasks (column, row block) per thread in accumulate's first batch between two stop polls (a
/// task takes ~1 ms at a few ns per value, ~80 ms with 100,000 bins); later batches are
/// sized to take about 100 ms.
constexpr Index kTasksPerThread = 4;
/// Levels of the exact summary quantiles.
constexpr double kSummaryLevels[] = {0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99};
constexpr Index kSubBlock = 4096;
/// Rows a group of numeric columns fit together (their 2-byte bucket indices live between
/// the two passes): just under 32 MiB, so that glibc serves the buffer from its heap after the
/// first fit instead of mapping (and page-faulting) fresh memory on every call.
constexpr std::size_t kGroupRows = (std::size_t{1} << 24) - 4096;

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

/// Mean and sample std (ddof 1) from the exact sums, in double-double arithmetic.
void mean_std(const FeatureState& s, double& mean, double& sd) {
  using common::dd_add;
  using common::dd_div;
  using common::dd_mul;
  using DD = common::DoubleDouble;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const std::int64_t n = s.values();
  mean = sd = nan;
  if (n == 0) return;
  DD s1, s2;
  s.sum.value(s1.hi, s1.lo);
  s.sumsq.value(s2.hi, s2.lo);
  const auto dn = static_cast<double>(n);
  mean = dd_div(s1, dn).hi;
  if (n < 2) return;
  if (!std::isfinite(s1.hi) || !std::isfinite(s2.hi)) return;
  // sum (x - m)^2 = sum (x - shift)^2 - n (m - shift)^2
  const DD dm = dd_add(dd_div(s1, dn), DD{-s.shift, 0.0});
  const DD corr = dd_mul(dd_mul(dm, dm), DD{dn, 0.0});
  const DD centered = dd_add(s2, DD{-corr.hi, -corr.lo});
  const double var = dd_div(centered, dn - 1.0).hi;
  sd = std::sqrt(std::max(var, 0.0));
}

double ks_on_points(const FeatureState& r, const FeatureState& c) {
  const std::int64_t nr = r.values(), nc = c.values();
  if (nr == 0 || nc == 0 || r.ks.empty()) return std::numeric_limits<double>::quiet_NaN();
  std::vector<std::int64_t> pr(r.cells.size()), pc(c.cells.size());
  std::int64_t ar = 0, ac = 0;
  for (std::size_t k = 0; k < r.cells.size(); ++k) {
    pr[k] = (ar += r.cells[k]);
    pc[k] = (ac += c.cells[k]);
  }
  double d = 0;
  for (std::size_t k : r.ks_cell) {
    const double fr = static_cast<double>(pr[k]) / static_cast<double>(nr);
    const double fc = static_cast<double>(pc[k]) / static_cast<double>(nc);
    d = std::max(d, std::abs(fr - fc));
  }
  return d;
}

double ratio(std::int64_t a, std::int64_t b) {
  return b > 0 ? static_cast<double>(a) / static_cast<double>(b)
               : std::numeric_limits<double>::quiet_NaN();
}

bool same_bins(const FeatureState& a, const FeatureState& b) {
  return a.name == b.name && a.kind == b.kind && a.edges == b.edges && a.ks == b.ks &&
         a.quantiles == b.quantiles;
}

}  // namespace

// ---- params -----------------------------------------------------------------------------------

void BaselineParams::validate() const {
  CHURN_CHECK(bins >= 1 && bins <= 100000, InvalidArgument,
              "BaselineParams: bins must be in [1, 100000], got " << bins);
  CHURN_CHECK(epsilon > 0.0 && epsilon < 1.0, InvalidArgument,
              "BaselineParams: epsilon must be in (0, 1), got " << epsilon);
  CHURN_CHECK(moderate >= 0.0 && std::isfinite(moderate), InvalidArgument,
              "BaselineParams: moderate must be >= 0, got " << moderate);
  CHURN_CHECK(
      significant >= moderate && std::isfinite(significant), InvalidArgument,
      "BaselineParams: significant must be >= moderate (" << moderate << "), got " << significant);
  CHURN_CHECK(score_alert >= 0.0 && std::isfinite(score_alert), InvalidArgument,
              "BaselineParams: score_alert must be >= 0, got " << score_alert);
  CHURN_CHECK(ks_points >= 1 && ks_points <= 10000, InvalidArgument,
              "BaselineParams: ks_points must be in [1, 10000], got " << ks_points);
  CHURN_CHECK(n_threads >= 0, InvalidArgument,
              "BaselineParams: n_threads must be >= 0 (0 = all cores), got " << n_threads);
}

// ---- special members --------------------------------------------------------------------------

Baseline::Baseline(BaselineParams params) : params_(params) {
  params_.validate();
}
Baseline::~Baseline() = default;
Baseline::Baseline(Baseline&&) noexcept = default;
Baseline& Baseline::operator=(Baseline&&) noexcept = default;

Baseline::Baseline(const Baseline& other)
    : params_(other.params_),
      fitted_(other.fitted_),
      has_score_(other.has_score_),
      n_rows_(other.n_rows_) {
  for (const auto& f : other.features_) features_.push_back(std::make_unique<FeatureState>(*f));
  if (other.score_) score_ = std::make_unique<FeatureState>(*other.score_);
}

Baseline& Baseline::operator=(const Baseline& other) {
  if (this != &other) {
    Baseline copy(other);
    *this = std::move(copy);
  }
  return *this;
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

// ---- fit --------------------------------------------------------------------------------------

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
  std::vector<std::unique_ptr<FeatureState>> states(cols.size());
  std::vector<char> counted(cols.size(), 0);  // counted by the one-pass fit
  // exact levels: min, max, the summary quantiles, the quantile edges
  std::vector<double> levels = {0.0, 1.0};
  levels.insert(levels.end(), std::begin(kSummaryLevels), std::end(kSummaryLevels));
  const std::size_t n_fixed = levels.size();
  const bool quantile = params_.binning == Binning::Quantile;
  if (quantile) {
    const std::vector<double> grid = common::linspace01(static_cast<std::size_t>(params_.bins));
    levels.insert(levels.end(), grid.begin(), grid.end());
  }
  std::vector<double> ks_levels;
  for (int j = 0; j <= params_.ks_points; ++j) ks_levels.push_back(double(j) / params_.ks_points);

  const double inf = std::numeric_limits<double>::infinity();
  // per column: its values as doubles, a sorted sample and, for large columns, the two-pass fit
  struct Work {
    const double* x = nullptr;
    std::size_t n_rows = 0;
    std::vector<double> buffer;  // non-float64 columns converted
    std::vector<double> sample;
    std::unique_ptr<detail::RadixFit> radix;
  };
  std::vector<Work> work(cols.size());
  // every exact level: the fixed ones, the edges', then the KS points'
  std::vector<double> all_levels = levels;
  all_levels.insert(all_levels.end(), ks_levels.begin(), ks_levels.end());
  auto set_edges = [&](FeatureState& s, std::vector<double> q) {
    s.ks.assign(q.begin() + static_cast<std::ptrdiff_t>(levels.size()), q.end());
    q.resize(levels.size());
    s.quantiles.assign(q.begin() + 2, q.begin() + static_cast<std::ptrdiff_t>(n_fixed));
    if (quantile) {
      s.edges.assign(q.begin() + static_cast<std::ptrdiff_t>(n_fixed), q.end());
      for (auto& e : s.edges) e = e + 0.0;
      s.edges.erase(std::unique(s.edges.begin(), s.edges.end()), s.edges.end());
    } else {
      std::vector<double> mm = {q[0], q[1]};
      s.edges = detail::edges_of(mm, params_.bins, false);
    }
  };
  // the whole-column path: copy and select (small columns, and any column the two-pass fit
  // cannot finish); its counts are taken by accumulate_impl below
  auto fit_plain = [&](std::size_t k) {
    FeatureState& s = *states[k];
    Work& w = work[k];
    const std::size_t n_values = detail::check_finite(cols[k], w.x, caller);
    if (n_values > 0) {
      // (no sample: large columns come here only when the two-pass fit failed, so copy)
      set_edges(s, detail::select_quantiles(w.x, w.n_rows, n_values, all_levels, {}));
      s.shift = s.quantiles[3];  // the median
    }
    s.prepare();
  };

  // per-column loops go in batches of about 100 ms with a stop poll between them (one batch
  // without a StopScope)
  const Index first_batch = 4 * static_cast<Index>(resolve_threads(params_.n_threads));
  auto for_columns = [&](auto&& body) {
    churn::detail::run_polled_batches(
        0, static_cast<Index>(cols.size()), first_batch,
        [&](Index b0, Index b1) { parallel_for_blocks(b0, b1, 1, params_.n_threads, body); });
  };
  // 1. kinds, samples and bucket maps (one column per task)
  for_columns([&](Index lo, Index hi) {
    for (Index k = lo; k < hi; ++k) {
      const Column& c = cols[static_cast<std::size_t>(k)];
      auto s = std::make_unique<FeatureState>();
      s->name = c.name();
      s->dtype = c.dtype();
      Work& w = work[static_cast<std::size_t>(k)];
      if (detail::is_categorical(c.dtype())) {
        s->kind = FeatureKind::Categorical;
        s->prepare();
      } else {
        s->kind = FeatureKind::Numeric;
        w.x = detail::numeric_data(c, w.buffer, caller);
        w.n_rows = static_cast<std::size_t>(c.size());
        if (w.n_rows >= detail::kRadixMinRows) {
          w.sample = detail::sorted_sample(w.x, w.n_rows, detail::kMapSample);
          if (w.sample.size() >= 2) {
            s->shift = common::quantile_sorted(w.sample, 0.5);  // ~ the median
            w.radix = std::make_unique<detail::RadixFit>(w.x, w.n_rows, w.sample, s->shift);
          }
        }
      }
      states[static_cast<std::size_t>(k)] = std::move(s);
    }
  });
  struct Task {
    std::size_t col;
    std::size_t lo, hi;
  };
  // 2-4 by groups of columns (each row holds a 2-byte bucket index between the passes; a group
  // holds at most kGroupRows of them, and at least one column)
  auto run_tasks = [&](const std::vector<std::size_t>& group, bool second) {
    std::vector<Task> tasks;
    for (std::size_t k : group)
      if (work[k].radix)
        for (std::size_t a = 0; a < work[k].n_rows; a += kRowBlock)
          tasks.push_back(
              {k, a, std::min(work[k].n_rows, a + static_cast<std::size_t>(kRowBlock))});
    parallel_for_blocks(0, static_cast<Index>(tasks.size()), 1, params_.n_threads,
                        [&](Index lo, Index hi) {
                          for (Index t = lo; t < hi; ++t) {
                            const Task& task = tasks[static_cast<std::size_t>(t)];
                            detail::RadixFit& r = *work[task.col].radix;
                            if (second) {
                              r.pass2(task.lo, task.hi);
                            } else {
                              r.pass1(task.lo, task.hi);
                            }
                          }
                        });
  };
  std::vector<std::uint16_t> idx_pool;  // the groups' bucket indices (one allocation per fit)
  for (std::size_t first = 0; first < cols.size();) {
    std::vector<std::size_t> group;
    std::size_t rows = 0;
    for (; first < cols.size() && (group.empty() || rows + work[first].n_rows <= kGroupRows);
         ++first) {
      if (!work[first].radix) continue;
      group.push_back(first);
      rows += work[first].n_rows;
    }
    if (idx_pool.size() < rows) idx_pool.resize(rows);
    rows = 0;
    for (std::size_t k : group) {
      work[k].radix->begin(idx_pool.data() + rows);
      rows += work[k].n_rows;
    }
    // 2. pass 1 over (column, row block) pairs
    poll_stop();
    run_tasks(group, false);
    // 3. the ranks and cuts to resolve
    for (std::size_t k : group) {
      Work& w = work[k];
      detail::RadixFit& r = *w.radix;
      if (r.n_inf() > 0) detail::check_finite(cols[k], w.x, caller);  // throws naming the row
      const std::vector<std::size_t> ranks =
          detail::RadixFit::ranks_of_levels(all_levels, r.n_values());
      std::vector<double> cuts;
      if (!quantile) {
        std::vector<double> mm = {r.min(), r.max()};
        for (double e : detail::edges_of(mm, params_.bins, false)) {
          cuts.push_back(e);
          cuts.push_back(std::nextafter(e, inf));
        }
      }
      if (!r.plan(ranks, cuts)) w.radix.reset();
    }
    // 4. pass 2 gathers the values of the target buckets; they are sorted per bucket
    poll_stop();
    run_tasks(group, true);
    parallel_for_blocks(0, static_cast<Index>(group.size()), 1, params_.n_threads,
                        [&](Index lo, Index hi) {
                          for (Index g = lo; g < hi; ++g) {
                            const std::size_t k = group[static_cast<std::size_t>(g)];
                            if (work[k].radix && !work[k].radix->finish()) work[k].radix.reset();
                          }
                        });
  }
  // 5. quantiles, edges and counts from a finished two-pass fit; false when it cannot give
  // them (the caller then takes the plain path)
  auto finish_radix = [&](std::size_t k) {
    FeatureState& s = *states[k];
    detail::RadixFit& r = *work[k].radix;
    bool ok = true;
    set_edges(s, r.quantiles(all_levels, ok));
    if (!ok) return false;
    s.prepare();
    std::vector<std::int64_t> below(s.cuts.size());
    for (std::size_t j = 0; j < s.cuts.size(); ++j)
      if (!r.count_lt(s.cuts[j], below[j])) return false;
    below.push_back(static_cast<std::int64_t>(r.n_values()));  // the last cell's upper end
    for (std::size_t j = 0; j < s.cells.size(); ++j)
      s.cells[j] = below[j] - (j > 0 ? below[j - 1] : 0);
    s.n_rows = static_cast<std::int64_t>(work[k].n_rows);
    s.missing = r.missing();
    s.min = r.min();
    s.max = r.max();
    s.sum = std::move(r.sum());
    s.sumsq = std::move(r.sumsq());
    return true;
  };
  for_columns([&](Index lo, Index hi) {
    for (Index kk = lo; kk < hi; ++kk) {
      const auto k = static_cast<std::size_t>(kk);
      FeatureState& s = *states[k];
      if (s.kind != FeatureKind::Numeric) continue;
      if (work[k].radix && finish_radix(k)) {
        counted[k] = 1;
      } else {
        s.edges.clear();
        s.quantiles.clear();
        s.ks.clear();
        fit_plain(k);
      }
      work[k].radix.reset();
    }
  });
  Baseline edges_only(params_);
  edges_only.fitted_ = true;
  edges_only.has_score_ = with_score;
  if (with_score) {
    edges_only.score_ = std::move(states.back());
    states.pop_back();
  }
  edges_only.features_ = std::move(states);
  *this = edges_only.accumulate_impl(reference, score, true, caller, &counted);
  return *this;
}

// ---- accumulate -------------------------------------------------------------------------------

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

  // (state, column) pairs to count
  std::vector<FeatureState*> targets;
  std::vector<Column> cols;
  for (std::size_t fi = 0; fi < features_.size(); ++fi) {
    const auto& f = features_[fi];
    if (counted && (*counted)[fi]) {  // counted during fit already
      out.features_.push_back(std::make_unique<FeatureState>(*f));
      continue;
    }
    out.features_.push_back(f->empty_copy());
    FeatureState* s = out.features_.back().get();
    if (!chunk.has_column(f->name)) {
      s->present = false;
      continue;
    }
    const Column& c = chunk.column(f->name);
    CHURN_CHECK(dtype_group(c.dtype()) == dtype_group(f->dtype), TypeMismatch,
                caller << ": column '" << f->name << "' has type " << dtype_name(c.dtype())
                       << " but the baseline has it as " << dtype_name(f->dtype) << " ("
                       << feature_kind_name(f->kind) << ")");
    s->n_rows = n;
    targets.push_back(s);
    cols.push_back(c);
  }
  if (has_score_ && counted && counted->back()) {
    out.score_ = std::make_unique<FeatureState>(*score_);
  } else if (has_score_) {
    out.score_ = score_->empty_copy();
    if (out.has_score_) {
      out.score_->n_rows = n;
      targets.push_back(out.score_.get());
      cols.push_back(Column::from_float64_view("score", score.data(), score.size(), nullptr));
    } else {
      out.score_->present = false;
    }
  }

  struct Task {
    std::size_t target;
    Index lo, hi;
  };
  std::vector<Task> tasks;
  for (std::size_t t = 0; t < targets.size(); ++t)
    for (Index lo = 0; lo < n; lo += kRowBlock)
      tasks.push_back({t, lo, std::min(n, lo + kRowBlock)});
  std::vector<std::mutex> locks(targets.size());
  // per categorical target: counts per dictionary code, merged at the end
  std::vector<std::vector<std::int64_t>> per_code(targets.size());
  std::vector<std::int64_t> code_missing(targets.size(), 0);
  for (std::size_t t = 0; t < targets.size(); ++t)
    if (cols[t].dtype() == DType::Categorical) per_code[t].assign(cols[t].categories().size(), 0);

  const auto count_tasks = [&](Index lo, Index hi) {
    for (Index ti = lo; ti < hi; ++ti) {
      const Task& task = tasks[static_cast<std::size_t>(ti)];
      FeatureState& s = *targets[task.target];
      const Column& c = cols[task.target];
      if (c.dtype() == DType::Categorical) {
        const std::size_t k = per_code[task.target].size();
        std::vector<std::int64_t> counts(8 * (k + 1), 0);
        const auto first = static_cast<std::size_t>(task.lo);
        const auto last = static_cast<std::size_t>(task.hi);
        c.visit_codes([&](const auto* codes) {  // the stored codes, not widened
          count_codes(codes, first, last, k, counts.data());
        });
        std::lock_guard<std::mutex> g(locks[task.target]);
        for (std::size_t j = 0; j < k; ++j) per_code[task.target][j] += counts[j + 1];
        code_missing[task.target] += counts[0];
      } else if (c.dtype() == DType::String) {
        CategoryCounts part;
        part.add(task.lo == 0 && task.hi == c.size()
                     ? c
                     : Table({c}).slice(task.lo, task.hi - task.lo).column(0));
        std::lock_guard<std::mutex> g(locks[task.target]);
        s.cats.merge(part);
      } else {
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
          if (!base) detail::column_values(c, a, b, buf.data(), caller);
          if (counter) {
            const std::size_t w = detail::scan_cells(*counter, x, static_cast<std::size_t>(b - a),
                                                     cell_scratch.data(), slow_values.data());
            for (std::size_t i = 0; i < w; ++i) ++cells[s.index.find(slow_values[i])];
          } else {
            s.index.count(x, b - a, scratch.data());
          }
          if (with_sums) {
            const auto len = static_cast<std::size_t>(b - a);
            std::int64_t n_inf = 0;  // counted apart by the sums
            detail::scan_stats(x, len, s.shift, mn, mx, n_inf, sum, sumsq);
          }
        }
        s.index.flush(scratch.data(), cells.data(), miss);
        if (counter) {
          // the four histograms: cells, then missing values (the discard slot
          // unused)
          auto total = [&](std::size_t k) {
            return std::int64_t{cell_scratch[k]} + cell_scratch[stride + k] +
                   cell_scratch[2 * stride + k] + cell_scratch[3 * stride + k];
          };
          for (std::size_t k = 0; k < cells.size(); ++k) cells[k] += total(k);
          miss += total(cells.size());
        }
        std::lock_guard<std::mutex> g(locks[task.target]);
        for (std::size_t k = 0; k < cells.size(); ++k) s.cells[k] += cells[k];
        s.missing += miss;
        if (with_sums) {
          s.min = std::min(s.min, mn);
          s.max = std::max(s.max, mx);
          s.sum.merge(sum);
          s.sumsq.merge(sumsq);
        }
      }
    }
  };
  // the tasks in batches of about 100 ms with a stop poll between them (one batch without a
  // StopScope)
  const auto n_tasks = static_cast<Index>(tasks.size());
  churn::detail::run_polled_batches(
      0, n_tasks, kTasksPerThread * static_cast<Index>(resolve_threads(params_.n_threads)),
      [&](Index b0, Index b1) { parallel_for_blocks(b0, b1, 1, params_.n_threads, count_tasks); });
  for (std::size_t t = 0; t < targets.size(); ++t) {
    FeatureState& s = *targets[t];
    if (cols[t].dtype() == DType::Categorical) {
      s.cats = detail::counts_by_name(cols[t].categories(), per_code[t], code_missing[t]);
    }
    if (s.kind == FeatureKind::Categorical) s.missing = s.cats.missing();
  }
  return out;
}

// ---- merge ------------------------------------------------------------------------------------

Baseline& Baseline::merge(const Baseline& other) {
  check_fitted("Baseline::merge()");
  CHURN_CHECK(other.fitted_, NotFittedError, "Baseline::merge(): other is not fitted");
  CHURN_CHECK(other.features_.size() == features_.size(), InvalidArgument,
              "Baseline::merge(): other has " << other.features_.size() << " features, this "
                                              << features_.size());
  CHURN_CHECK(other.has_score_ == has_score_, InvalidArgument,
              "Baseline::merge(): one part has a score and the other not");
  for (std::size_t f = 0; f < features_.size(); ++f) {
    const FeatureState& a = *features_[f];
    const FeatureState& b = *other.features_[f];
    CHURN_CHECK(same_bins(a, b), InvalidArgument,
                "Baseline::merge(): feature '" << b.name << "' differs from '" << a.name
                                               << "' or is on other bins (accumulate both parts "
                                                  "from the same baseline)");
    CHURN_CHECK(
        a.present == b.present, InvalidArgument,
        "Baseline::merge(): column '" << a.name << "' is missing from one part but not the other");
  }
  CHURN_CHECK(!has_score_ || same_bins(*score_, *other.score_), InvalidArgument,
              "Baseline::merge(): the score is on other bins");
  auto add = [](FeatureState& a, const FeatureState& b) {
    a.n_rows += b.n_rows;
    a.missing += b.missing;
    for (std::size_t k = 0; k < a.cells.size(); ++k) a.cells[k] += b.cells[k];
    a.min = std::min(a.min, b.min);
    a.max = std::max(a.max, b.max);
    a.sum.merge(b.sum);
    a.sumsq.merge(b.sumsq);
    a.cats.merge(b.cats);
  };
  for (std::size_t f = 0; f < features_.size(); ++f) add(*features_[f], *other.features_[f]);
  if (has_score_) add(*score_, *other.score_);
  n_rows_ += other.n_rows_;
  return *this;
}

// ---- compare ----------------------------------------------------------------------------------

DriftReport Baseline::compare(const Table& current, const VectorRef& score) const {
  const char* caller = "Baseline::compare()";
  check_fitted(caller);
  CHURN_CHECK(current.num_rows() > 0, InvalidArgument,
              caller << ": current has no rows (an empty batch)");
  return compare(accumulate_impl(current, score, false, caller));
}

namespace {

FeatureDrift drift_of(const FeatureState& r, const FeatureState& c, const BaselineParams& p) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  FeatureDrift d;
  d.feature = r.name;
  d.kind = r.kind;
  if (!c.present) {
    d.psi = d.ks = d.js = nan;
    d.missing_rate_reference = ratio(r.missing, r.n_rows);
    d.missing_rate_current = d.share_out_of_range = d.share_unseen = nan;
    d.status = DriftStatus::MissingColumn;
    return d;
  }
  d.missing_rate_reference = ratio(r.missing, r.n_rows);
  d.missing_rate_current = ratio(c.missing, c.n_rows);
  std::vector<std::int64_t> rb, cb;
  if (r.kind == FeatureKind::Numeric) {
    rb = r.bin_counts();
    cb = c.bin_counts();
    d.ks = ks_on_points(r, c);
    d.share_out_of_range = ratio(c.out_of_range(), c.values());
    d.share_unseen = nan;
  } else {
    rb = categorical_bin_counts(r.cats, r.cats);
    cb = categorical_bin_counts(r.cats, c.cats);
    d.ks = nan;
    d.share_out_of_range = nan;
    d.share_unseen = ratio(cb[cb.size() - 2], c.cats.total() - c.cats.missing());
    for (const auto& cat : c.cats.categories())
      if (r.cats.count(cat) == 0) d.unseen_categories.push_back(cat);
  }
  if (r.n_rows > 0 && c.n_rows > 0) {
    d.psi = detail::psi_counts(rb, cb, p.epsilon);
    d.js = detail::js_counts(rb, cb);
  } else {
    d.psi = d.js = nan;
  }
  d.status = status_of(d.psi, p.moderate, p.significant);
  return d;
}

}  // namespace

DriftReport Baseline::compare(const Baseline& current) const {
  const char* caller = "Baseline::compare()";
  check_fitted(caller);
  CHURN_CHECK(current.fitted_, NotFittedError, caller << ": current is not fitted");
  CHURN_CHECK(current.n_rows_ > 0, InvalidArgument,
              caller << ": current has no rows (an empty batch)");
  CHURN_CHECK(current.features_.size() == features_.size(), InvalidArgument,
              caller << ": current has " << current.features_.size() << " features, the baseline "
                     << features_.size() << " (accumulate the batch on this baseline)");
  for (std::size_t f = 0; f < features_.size(); ++f)
    CHURN_CHECK(same_bins(*features_[f], *current.features_[f]), InvalidArgument,
                caller << ": feature '" << current.features_[f]->name
                       << "' is on other bins (accumulate the batch on this baseline)");
  std::vector<FeatureDrift> rows;
  for (std::size_t f = 0; f < features_.size(); ++f)
    rows.push_back(drift_of(*features_[f], *current.features_[f], params_));
  std::optional<FeatureDrift> score_row;
  if (has_score_ && current.has_score_) {
    CHURN_CHECK(same_bins(*score_, *current.score_), InvalidArgument,
                caller << ": the score is on other bins");
    score_row = drift_of(*score_, *current.score_, params_);
  }
  ReportThresholds th;
  th.moderate = params_.moderate;
  th.significant = params_.significant;
  th.score_alert = params_.score_alert;
  return DriftReport(std::move(rows), std::move(score_row), th, n_rows_, current.n_rows_);
}

// ---- accessors --------------------------------------------------------------------------------

void Baseline::check_fitted(const char* caller) const {
  CHURN_CHECK(fitted_, NotFittedError, caller << ": the baseline is not fitted; call fit() first");
}

Index Baseline::n_rows() const {
  check_fitted("Baseline::n_rows()");
  return n_rows_;
}

std::vector<std::string> Baseline::feature_names() const {
  check_fitted("Baseline::feature_names()");
  std::vector<std::string> names;
  for (const auto& f : features_) names.push_back(f->name);
  return names;
}

const FeatureState& Baseline::state(const std::string& feature, const char* caller) const {
  check_fitted(caller);
  if (feature.empty()) {
    CHURN_CHECK(has_score_, InvalidArgument, caller << ": the baseline has no score");
    return *score_;
  }
  for (const auto& f : features_)
    if (f->name == feature) return *f;
  CHURN_THROW(InvalidArgument, caller << ": unknown feature '" << feature << "'");
}

FeatureKind Baseline::kind(const std::string& feature) const {
  return state(feature, "Baseline::kind()").kind;
}

const std::vector<double>& Baseline::edges(const std::string& feature) const {
  const FeatureState& s = state(feature, "Baseline::edges()");
  CHURN_CHECK(s.kind == FeatureKind::Numeric, InvalidArgument,
              "Baseline::edges(): feature '" << feature << "' is categorical");
  return s.edges;
}

Histogram Baseline::histogram(const std::string& feature) const {
  const FeatureState& s = state(feature, "Baseline::histogram()");
  CHURN_CHECK(s.kind == FeatureKind::Numeric, InvalidArgument,
              "Baseline::histogram(): feature '" << feature << "' is categorical");
  std::vector<std::int64_t> b = s.bin_counts();
  b.pop_back();
  return Histogram::from_parts(s.edges, std::move(b), s.missing, s.out_of_range());
}

NumericSummary Baseline::summary(const std::string& feature) const {
  const FeatureState& s = state(feature, "Baseline::summary()");
  CHURN_CHECK(s.kind == FeatureKind::Numeric, InvalidArgument,
              "Baseline::summary(): feature '" << feature << "' is categorical");
  NumericSummary out;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  out.count = s.values();
  out.missing = s.missing;
  out.missing_rate = ratio(s.missing, s.n_rows);
  mean_std(s, out.mean, out.std);
  out.min = out.count > 0 ? s.min : nan;
  out.max = out.count > 0 ? s.max : nan;
  out.levels.assign(std::begin(kSummaryLevels), std::end(kSummaryLevels));
  out.quantiles = s.quantiles;
  if (out.quantiles.empty()) out.quantiles.assign(out.levels.size(), nan);
  return out;
}

const CategoryCounts& Baseline::category_counts(const std::string& feature) const {
  const FeatureState& s = state(feature, "Baseline::category_counts()");
  CHURN_CHECK(s.kind == FeatureKind::Categorical, InvalidArgument,
              "Baseline::category_counts(): feature '" << feature << "' is numeric");
  return s.cats;
}

// ---- JSON -------------------------------------------------------------------------------------

namespace {

constexpr const char* kKind = "DriftBaseline";

Json feature_to_json(const FeatureState& s) {
  Json j{
      {"name", s.name},       {"dtype", dtype_name(s.dtype)}, {"kind", feature_kind_name(s.kind)},
      {"present", s.present}, {"n_rows", s.n_rows},           {"missing", s.missing}};
  if (s.kind == FeatureKind::Numeric) {
    j["edges"] = json_from_doubles(s.edges);
    j["quantiles"] = json_from_doubles(s.quantiles);
    j["ks_points"] = json_from_doubles(s.ks);
    j["counts"] = s.cells;
    j["min"] = json_from_double(s.min);
    j["max"] = json_from_double(s.max);
    j["sum"] = detail::exact_sum_to_json(s.sum);
    j["shift"] = s.shift;
    j["sumsq"] = detail::exact_sum_to_json(s.sumsq);
    double mean = 0, sd = 0;
    mean_std(s, mean, sd);
    j["mean"] = json_from_double(mean);
    j["std"] = json_from_double(sd);
  } else {
    j["categories"] = s.cats.categories();
    j["counts"] = s.cats.counts();
  }
  return j;
}

bool same_double(double a, double b) {
  return (std::isnan(a) && std::isnan(b)) || a == b;
}

std::int64_t checked_add(std::int64_t a, std::int64_t b, const std::string& where) {
  std::int64_t r = 0;
  CHURN_CHECK(!__builtin_add_overflow(a, b, &r), SerializationError, where << ": counts overflow");
  return r;
}

std::unique_ptr<FeatureState> feature_from_json(const Json& j, const BaselineParams& p,
                                                const std::string& where) {
  auto s = std::make_unique<FeatureState>();
  CHURN_CHECK(j.is_object(), SerializationError, where << ": expected a JSON object");
  s->kind = common::enum_from_json(detail::kFeatureKindNames, j, "kind", where);
  if (s->kind == FeatureKind::Numeric) {
    json_check_members(
        j,
        {"name", "dtype", "kind", "present", "n_rows", "missing", "edges", "quantiles", "ks_points",
         "counts", "min", "max", "sum", "shift", "sumsq", "mean", "std"},
        where);
  } else {
    json_check_members(
        j, {"name", "dtype", "kind", "present", "n_rows", "missing", "categories", "counts"},
        where);
  }
  s->name = json_get<std::string>(j, "name", where);
  try {
    s->dtype = dtype_from_name(json_get<std::string>(j, "dtype", where));
  } catch (const InvalidArgument& e) {
    CHURN_THROW(SerializationError, where << ": " << e.what());
  }
  CHURN_CHECK(detail::is_categorical(s->dtype) == (s->kind == FeatureKind::Categorical),
              SerializationError, where << ": dtype and kind disagree");
  s->present = json_get<bool>(j, "present", where);
  s->n_rows = json_get_int<std::int64_t>(j, "n_rows", where);
  s->missing = json_get_int<std::int64_t>(j, "missing", where);
  CHURN_CHECK(s->n_rows >= 0 && s->missing >= 0 && s->missing <= s->n_rows, SerializationError,
              where << ": n_rows and missing must satisfy 0 <= missing <= n_rows");
  CHURN_CHECK(s->present || s->n_rows == 0, SerializationError,
              where << ": a missing column has no rows");
  std::int64_t total = s->missing;
  if (s->kind == FeatureKind::Numeric) {
    s->edges = json_get_doubles(j, "edges", where);
    s->quantiles = json_get_doubles(j, "quantiles", where);
    s->ks = json_get_doubles(j, "ks_points", where);
    CHURN_CHECK(s->edges.size() <= static_cast<std::size_t>(p.bins) + 1, SerializationError,
                where << ": more edges than bins + 1");
    for (std::size_t i = 0; i < s->edges.size(); ++i)
      CHURN_CHECK(std::isfinite(s->edges[i]) && (i == 0 || s->edges[i] > s->edges[i - 1]),
                  SerializationError, where << ": edges must be finite and strictly increasing");
    if (s->edges.empty()) {
      CHURN_CHECK(s->ks.empty() && s->quantiles.empty(), SerializationError,
                  where << ": quantiles without edges");
    } else {
      CHURN_CHECK(s->ks.size() == static_cast<std::size_t>(p.ks_points) + 1, SerializationError,
                  where << ": expected ks_points + 1 KS points");
      CHURN_CHECK(s->quantiles.size() == std::size(kSummaryLevels), SerializationError,
                  where << ": expected " << std::size(kSummaryLevels) << " quantiles");
      for (const auto* q : {&s->ks, &s->quantiles})
        for (std::size_t i = 0; i < q->size(); ++i)
          CHURN_CHECK((*q)[i] >= s->edges.front() && (*q)[i] <= s->edges.back() &&
                          (i == 0 || (*q)[i] >= (*q)[i - 1]),
                      SerializationError,
                      where << ": quantiles and KS points must be non-decreasing, within the "
                               "edges");
    }
    s->prepare();
    const auto counts = detail::json_to_counts(j, "counts", where);
    CHURN_CHECK(counts.size() == s->cells.size(), SerializationError,
                where << ": expected " << s->cells.size() << " counts, got " << counts.size());
    s->cells = counts;
    for (auto c : counts) total = checked_add(total, c, where);
    s->min = json_to_double(json_get<Json>(j, "min", where), where + ".min");
    s->max = json_to_double(json_get<Json>(j, "max", where), where + ".max");
    const bool has_values = s->n_rows > s->missing;
    CHURN_CHECK(has_values ? (s->min <= s->max)
                           : (s->min == std::numeric_limits<double>::infinity() &&
                              s->max == -std::numeric_limits<double>::infinity()),
                SerializationError, where << ": min and max are inconsistent");
    s->sum = detail::exact_sum_from_json(json_get<Json>(j, "sum", where), where + ".sum");
    s->sumsq = detail::exact_sum_from_json(json_get<Json>(j, "sumsq", where), where + ".sumsq");
    s->shift = json_get<double>(j, "shift", where);
    CHURN_CHECK(std::isfinite(s->shift), SerializationError, where << ": shift must be finite");
    double mean = 0, sd = 0;
    mean_std(*s, mean, sd);
    CHURN_CHECK(same_double(mean, json_to_double(json_get<Json>(j, "mean", where), where)) &&
                    same_double(sd, json_to_double(json_get<Json>(j, "std", where), where)),
                SerializationError, where << ": mean and std disagree with the stored sums");
  } else {
    auto cats = json_get<std::vector<std::string>>(j, "categories", where);
    auto counts = detail::json_to_counts(j, "counts", where);
    for (auto c : counts) total = checked_add(total, c, where);
    try {
      s->cats = CategoryCounts::from_parts(std::move(cats), std::move(counts), s->missing);
    } catch (const InvalidArgument& e) {
      CHURN_THROW(SerializationError, where << ": " << e.what());
    }
  }
  CHURN_CHECK(total == s->n_rows, SerializationError,
              where << ": the counts sum to " << total << ", not n_rows = " << s->n_rows);
  return s;
}

}  // namespace

Json Baseline::to_json() const {
  check_fitted("Baseline::to_json()");
  Json params{{"bins", params_.bins},
              {"binning", binning_name(params_.binning)},
              {"epsilon", params_.epsilon},
              {"moderate", params_.moderate},
              {"significant", params_.significant},
              {"score_alert", params_.score_alert},
              {"ks_points", params_.ks_points},
              {"n_threads", params_.n_threads}};
  Json features = Json::array();
  for (const auto& f : features_) features.push_back(feature_to_json(*f));
  Json state{{"n_rows", n_rows_},
             {"features", features},
             {"score", has_score_ || score_ ? feature_to_json(*score_) : Json(nullptr)},
             {"has_score", has_score_}};
  return make_envelope(kKind, std::move(params), std::move(state));
}

Baseline Baseline::from_json(const Json& doc) {
  const Json& env = open_envelope(doc, kKind);
  const std::string where = "load(DriftBaseline)";
  try {
    const Json& pj = env["params"];
    const std::string wp = where + " params";
    json_check_members(pj,
                       {"bins", "binning", "epsilon", "moderate", "significant", "score_alert",
                        "ks_points", "n_threads"},
                       wp);
    BaselineParams p;
    p.bins = json_get_int<int>(pj, "bins", wp);
    p.binning = common::enum_from_json(detail::kBinningNames, pj, "binning", wp);
    p.epsilon = json_get<double>(pj, "epsilon", wp);
    p.moderate = json_get<double>(pj, "moderate", wp);
    p.significant = json_get<double>(pj, "significant", wp);
    p.score_alert = json_get<double>(pj, "score_alert", wp);
    p.ks_points = json_get_int<int>(pj, "ks_points", wp);
    p.n_threads = json_get_int<int>(pj, "n_threads", wp);
    try {
      p.validate();
    } catch (const InvalidArgument& e) {
      CHURN_THROW(SerializationError, wp << ": " << e.what());
    }
    Baseline b(p);
    const Json& st = env["state"];
    const std::string ws = where + " state";
    json_check_members(st, {"n_rows", "features", "score", "has_score"}, ws);
    b.n_rows_ = json_get_int<std::int64_t>(st, "n_rows", ws);
    CHURN_CHECK(b.n_rows_ >= 0, SerializationError, ws << ": n_rows must be >= 0");
    const Json features = json_get<Json>(st, "features", ws);
    CHURN_CHECK(features.is_array() && !features.empty(), SerializationError,
                ws << ": 'features' must be a non-empty list");
    std::vector<std::string> names;
    for (std::size_t i = 0; i < features.size(); ++i) {
      auto f = feature_from_json(features[i], p, ws + ".features[" + std::to_string(i) + "]");
      CHURN_CHECK(
          f->n_rows == (f->present ? b.n_rows_ : 0), SerializationError,
          ws << ": feature '" << f->name << "' has " << f->n_rows << " rows, not " << b.n_rows_);
      names.push_back(f->name);
      b.features_.push_back(std::move(f));
    }
    std::sort(names.begin(), names.end());
    CHURN_CHECK(std::adjacent_find(names.begin(), names.end()) == names.end(), SerializationError,
                ws << ": feature names repeat");
    b.has_score_ = json_get<bool>(st, "has_score", ws);
    const Json score = json_get<Json>(st, "score", ws);
    if (!score.is_null()) {
      b.score_ = feature_from_json(score, p, ws + ".score");
      CHURN_CHECK(b.score_->kind == FeatureKind::Numeric && b.score_->name == "score",
                  SerializationError, ws << ": the score must be a numeric feature named 'score'");
      CHURN_CHECK(
          b.score_->present == b.has_score_ && b.score_->n_rows == (b.has_score_ ? b.n_rows_ : 0),
          SerializationError, ws << ": the score is inconsistent with has_score");
    } else {
      CHURN_CHECK(!b.has_score_, SerializationError, ws << ": has_score without a score");
    }
    b.fitted_ = true;
    return b;
  } catch (const SerializationError&) {
    throw;
  } catch (const std::exception& e) {
    throw SerializationError(where + ": the document is inconsistent: " + e.what());
  }
}

void Baseline::save(const std::string& path) const {
  save_json_file(to_json(), path);
}

Baseline Baseline::load(const std::string& path) {
  return from_json(load_json_file(path));
}

}  // namespace churn::monitor
