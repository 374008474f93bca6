// EventAggregator::update: one chunk of events into the per-row accumulators, in phases.
//   1. Check everything before any state changes (columns, types, times, amounts), then map the
//      event ids onto the customer codes.
//   2. Resolve the event types to accumulator indices (registers new types found in the data).
//   3. Group the matched events by customer code: a counting sort into a packed array.
//   4. Accumulate per customer in parallel: each block of codes (and so of rows) belongs to one
//      task, and every accumulator is order-free (integer counts, fixed-point sums, min/max, bit
//      sets), so neither the order of the events nor the thread count changes the result.
#include <algorithm>  // std::max, std::min
#include <cmath>      // std::isnan, std::ldexp, std::fabs
#include <cstddef>    // std::size_t
#include <cstdint>    // std::int32_t, std::int64_t, std::uint64_t
#include <string>     // std::string
#include <vector>     // std::vector

#include "churn/core/datetime.hpp"
#include "churn/core/error.hpp"
#include "churn/core/parallel.hpp"
#include "churn/core/stop.hpp"
#include "features/aggregate_state.hpp"

namespace churn::features {

using data::Column;
using data::DType;
using data::dtype_name;
using data::Table;
using detail::AmountAcc;
using detail::Int128;
using detail::kAmountMaxLog2;
using detail::kAmountScale;
using detail::sz;
using detail::TypeAcc;

namespace detail {

/// The columns of an event chunk that update() reads (amount: null without an amount column).
struct EventColumns {
  const Column* id = nullptr;
  const Column* time = nullptr;
  const Column* type = nullptr;
  const Column* amount = nullptr;
};

/// Accumulator index of each event's type (-1: a type without accumulators, or missing).
struct TypeLookup {
  const std::int32_t* codes = nullptr;  // the type column's codes when it is categorical
  std::vector<std::int32_t> of_code;    // per category (categorical type column)
  std::vector<std::int32_t> of_row;     // per row (string type column)
  std::int32_t at(Index i) const {
    if (codes) return codes[i] < 0 ? -1 : of_code[sz(codes[i])];
    return of_row[sz(i)];
  }
};

/// One matched event, as the accumulation reads it.
struct Packed {
  std::int64_t t;
  double x;
  std::int32_t type;
};

/// The matched events grouped by customer code: those of code c are
/// events[start[c]] .. events[start[c + 1] - 1].
struct PackedEvents {
  std::vector<Index> start;  // n_codes + 1
  std::vector<Packed> events;
};

}  // namespace detail

using detail::EventColumns;
using detail::Packed;
using detail::PackedEvents;
using detail::TypeLookup;

namespace {

const char* kUpdate = "EventAggregator::update(): ";

/// Index of the first bound (in ns) >= age, or bounds.size() when the age exceeds them all.
inline int find_bucket(const std::vector<std::uint64_t>& bounds_ns, std::uint64_t age) {
  int b = 0;
  const int n = static_cast<int>(bounds_ns.size());
  while (b < n && age > bounds_ns[static_cast<std::size_t>(b)]) ++b;
  return b;
}

bool is_text(DType t) {
  return t == DType::String || t == DType::Categorical;
}

/// The first row of n (in row order, for any thread count) where `bad` holds, or n.
template <class Bad>
Index first_bad(Index n, int n_threads, Bad bad) {
  return parallel_reduce(
      0, n, 1 << 16, n,
      [&](Index lo, Index hi) {
        for (Index i = lo; i < hi; ++i)
          if (bad(i)) return i;
        return n;
      },
      [](Index a, Index b) { return std::min(a, b); }, n_threads);
}

/// Rejects a missing (NaT) time and an amount that is infinite or too large (NaN = no amount).
void check_event_values(const EventColumns& c, Index n, int n_threads) {
  const Column& tc = *c.time;
  const std::int64_t* time = tc.as_int64().data();
  const Index bad_time = first_bad(n, n_threads, [&](Index i) { return time[i] == kNaT; });
  CHURN_CHECK(bad_time == n, InvalidArgument,
              kUpdate << "the time column '" << tc.name() << "' is missing (NaT) at row "
                      << bad_time << "; drop such events first");
  if (!c.amount) return;
  const double* amount = c.amount->as_float64().data();
  const double lim = std::ldexp(1.0, kAmountMaxLog2);
  const Index i = first_bad(n, n_threads, [&](Index r) {
    return !(std::isnan(amount[r]) || std::fabs(amount[r]) < lim);
  });
  CHURN_CHECK(i == n, InvalidArgument,
              kUpdate << "the amount column '" << c.amount->name() << "' has " << amount[i]
                      << " at row " << i << "; amounts must be finite with |amount| < 2^"
                      << kAmountMaxLog2 << " (NaN = no amount)");
}

/// Counting sort, pass 1: per part of the rows, the number of matched events of each code.
std::vector<std::vector<Index>> count_codes(const std::vector<std::int32_t>& code, Index n,
                                            Index n_codes, Index n_parts, int threads) {
  std::vector<std::vector<Index>> hist(sz(n_parts));
  parallel_for(0, n_parts, threads, [&](Index p) {
    std::vector<Index>& h = hist[sz(p)];
    h.assign(sz(n_codes), 0);
    const Index lo = n * p / n_parts, hi = n * (p + 1) / n_parts;
    for (Index i = lo; i < hi; ++i)
      if (code[sz(i)] >= 0) ++h[sz(code[sz(i)])];
  });
  return hist;
}

/// Counting sort, pass 2: the start of each code's events (n_codes + 1 entries); turns `hist`
/// into each part's write position for each code.
std::vector<Index> code_starts(std::vector<std::vector<Index>>& hist, Index n_codes,
                               Index n_parts) {
  std::vector<Index> ev_start(sz(n_codes) + 1, 0);
  for (Index c = 0; c < n_codes; ++c) {
    Index acc = ev_start[sz(c)];
    for (Index p = 0; p < n_parts; ++p) {
      const Index k = hist[sz(p)][sz(c)];
      hist[sz(p)][sz(c)] = acc;  // becomes this part's write position for code c
      acc += k;
    }
    ev_start[sz(c) + 1] = acc;
  }
  return ev_start;
}

/// Groups the matched events by customer code (a counting sort into a packed array; each part
/// of the rows writes its own ranges, so the order within a code is the row order).
PackedEvents pack_events(const EventColumns& c, const std::vector<std::int32_t>& code,
                         const TypeLookup& types, Index n, Index n_codes, int threads) {
  const std::int64_t* time = c.time->as_int64().data();
  const double* amount = c.amount ? c.amount->as_float64().data() : nullptr;
  const Index n_parts = std::max<Index>(1, std::min<Index>(threads, n / (1 << 16)));
  std::vector<std::vector<Index>> hist = count_codes(code, n, n_codes, n_parts, threads);
  PackedEvents out;
  out.start = code_starts(hist, n_codes, n_parts);
  const Index n_matched = out.start[sz(n_codes)];
  std::vector<Packed>& packed = out.events;
  packed.resize(sz(n_matched));
  parallel_for(0, n_parts, threads, [&](Index p) {
    std::vector<Index>& pos = hist[sz(p)];
    const Index lo = n * p / n_parts, hi = n * (p + 1) / n_parts;
    for (Index i = lo; i < hi; ++i) {
      const std::int32_t cd = code[sz(i)];
      if (cd < 0) continue;
      packed[sz(pos[sz(cd)]++)] = Packed{time[i], amount ? amount[i] : kMissing, types.at(i)};
    }
  });
  return out;
}

}  // namespace

// ---- 1. checks ------------------------------------------------------------------------------

/// The event columns the spec names, checked for presence and type against the spec and the
/// customer ids.
EventColumns EventAggregator::State::event_columns(const Table& events) const {
  const EventAggregationSpec& s = spec;
  auto need = [&](const std::string& name, const char* field) -> const Column& {
    CHURN_CHECK(events.has_column(name), InvalidArgument,
                kUpdate << "the events have no column '" << name << "' (spec." << field << ")");
    return events.column(name);
  };
  EventColumns c;
  c.id = &need(s.id_column, "id_column");
  c.time = &need(s.time_column, "time_column");
  c.type = &need(s.type_column, "type_column");
  c.amount = s.amount_column.empty() ? nullptr : &need(s.amount_column, "amount_column");
  const Column &id = *c.id, &tc = *c.time, &ty = *c.type;
  if (int_ids) {
    CHURN_CHECK(id.dtype() == DType::Int64, TypeMismatch,
                kUpdate << "the id column '" << id.name()
                        << "' must be int64 like the customer ids, got " << dtype_name(id.dtype()));
  } else {
    CHURN_CHECK(is_text(id.dtype()), TypeMismatch,
                kUpdate << "the id column '" << id.name()
                        << "' must be string or category like the customer ids, got "
                        << dtype_name(id.dtype()));
  }
  CHURN_CHECK(tc.dtype() == DType::Timestamp, TypeMismatch,
              kUpdate << "the time column '" << tc.name() << "' must be timestamp, got "
                      << dtype_name(tc.dtype()));
  CHURN_CHECK(is_text(ty.dtype()), TypeMismatch,
              kUpdate << "the event-type column '" << ty.name()
                      << "' must be category or string, got " << dtype_name(ty.dtype()));
  if (c.amount)
    CHURN_CHECK(c.amount->dtype() == DType::Float64, TypeMismatch,
                kUpdate << "the amount column '" << c.amount->name() << "' must be float64, got "
                        << dtype_name(c.amount->dtype()));
  return c;
}

// ---- 2. event types -------------------------------------------------------------------------

/// The accumulator index of an event type, or -1 for a type without accumulators.
std::int32_t EventAggregator::State::resolve_type(const std::string& name) {
  auto it = type_index.find(name);
  if (!discover_types) return it == type_index.end() ? -1 : it->second;
  // Types found in the data get per-type features (an amount-only type becomes tracked).
  if (it != type_index.end() && types[sz(it->second)].tracked) return it->second;
  return add_type(name, true);
}

/// The accumulator index of each event's type: resolved once per category of a categorical
/// type column (the categories used by the chunk only), else once per row.
TypeLookup EventAggregator::State::resolve_types(const Column& ty, Index n) {
  TypeLookup out;
  if (ty.dtype() == DType::Categorical) {
    const auto& cats = ty.categories();
    out.codes = ty.codes().data();
    std::vector<char> used(cats.size(), 0);
    for (Index i = 0; i < n; ++i)
      if (out.codes[i] >= 0) used[sz(out.codes[i])] = 1;
    out.of_code.assign(cats.size(), -1);
    for (std::size_t k = 0; k < cats.size(); ++k)
      if (used[k]) out.of_code[k] = resolve_type(cats[k]);
  } else {
    out.of_row.assign(sz(n), -1);
    const auto& v = ty.strings();
    const auto& valid = ty.validity();
    for (Index i = 0; i < n; ++i)
      if (valid.empty() || valid[sz(i)]) out.of_row[sz(i)] = resolve_type(v[sz(i)]);
  }
  return out;
}

// ---- 4. accumulation ------------------------------------------------------------------------

/// Blocks of consecutive codes (the starts, then n_codes): at most 2048 codes and about 2^20
/// (row, event) pairs each (an id with many as-of rows and events makes a long block), so that
/// the stop polls between batches of blocks come often. Block boundaries do not change the
/// result.
std::vector<Index> EventAggregator::State::code_blocks(const std::vector<Index>& ev_start) const {
  constexpr Index kCodeBlock = 2048;
  constexpr Index kBlockPairs = Index{1} << 20;
  std::vector<Index> block_start{0};
  Index pairs = 0;
  for (Index c = 0; c < n_codes; ++c) {
    const Index w =
        (code_start[sz(c) + 1] - code_start[sz(c)]) * (ev_start[sz(c) + 1] - ev_start[sz(c)]) + 1;
    if (c > block_start.back() &&
        (c - block_start.back() >= kCodeBlock || pairs + w > kBlockPairs)) {
      block_start.push_back(c);
      pairs = 0;
    }
    pairs += w;
  }
  block_start.push_back(n_codes);
  return block_start;
}

/// Every event of the codes [c_lo, c_hi) into the accumulators of each of their rows whose as-of
/// is after the event; `counted` (one flag per type) marks the types counted.
void EventAggregator::State::accumulate_block(const PackedEvents& ev, Index c_lo, Index c_hi,
                                              bool any_amount, std::vector<char>& counted) {
  const std::vector<Packed>& packed = ev.events;
  const std::vector<Index>& ev_start = ev.start;
  const std::size_t nb = this->nb();
  const std::size_t na = this->na();
  const std::uint64_t day = static_cast<std::uint64_t>(kNanosPerDay);
  const std::uint64_t active_max = static_cast<std::uint64_t>(active_max_days);
  const std::size_t aw = sz(active_words);
  counted.assign(types.size(), 0);
  for (Index c = c_lo; c < c_hi; ++c) {
    for (Index j = code_start[sz(c)]; j < code_start[sz(c) + 1]; ++j) {
      const std::size_t r = sz(code_rows[sz(j)]);
      const std::int64_t a = as_of[r];
      for (Index e = ev_start[sz(c)]; e < ev_start[sz(c) + 1]; ++e) {
        const Packed& pe = packed[sz(e)];
        const std::int64_t t = pe.t;
        if (t >= a) continue;
        const std::uint64_t age = static_cast<std::uint64_t>(a) - static_cast<std::uint64_t>(t);
        const std::int32_t k = pe.type;
        TypeAcc* ta = k >= 0 ? &types[sz(k)] : nullptr;
        if (!last.empty() && t > last[r]) last[r] = t;
        if (!first.empty() && (first[r] == kNaT || t < first[r])) first[r] = t;
        if (ta) {
          counted[sz(k)] = 1;
          if (!ta->last.empty() && t > ta->last[r]) ta->last[r] = t;
        }
        if (need_counts) {
          const int b = find_bucket(count_bounds_ns, age);
          if (sz(b) < nb) {
            if (!total.empty()) ++total[r * nb + sz(b)];
            if (ta && !ta->counts.empty()) ++ta->counts[r * nb + sz(b)];
          }
        }
        if (aw) {
          const std::uint64_t d = (age - 1) / day;
          if (d < active_max) active_bits[r * aw + d / 64] |= std::uint64_t{1} << (d % 64);
        }
        if (any_amount && !std::isnan(pe.x)) {
          const int b = find_bucket(amount_bounds_ns, age);
          if (sz(b) < na) {
            // Exact: |x| < 2^40, so x * 2^55 is an exact double below 2^95.
            const Int128 fx = static_cast<Int128>(pe.x * kAmountScale);
            const double xm = pe.x + 0.0;  // -0.0 -> +0.0: max does not depend on the order
            auto add = [&](AmountAcc& g) {
              const std::size_t q = r * na + sz(b);
              if (!g.sum.empty()) g.sum[q] += fx;
              if (!g.n.empty()) ++g.n[q];
              if (!g.max.empty() && !(g.max[q] >= xm)) g.max[q] = xm;
            };
            if (overall_amount_group >= 0) add(amounts[sz(overall_amount_group)]);
            if (ta && ta->amount_group >= 0) add(amounts[sz(ta->amount_group)]);
          }
        }
      }
    }
  }
}

/// Accumulates the code blocks in parallel, in batches of about 100 ms with a stop poll between
/// them (one batch without a StopScope), then marks the types counted by any block.
void EventAggregator::State::accumulate(const PackedEvents& ev, bool any_amount, int threads) {
  const std::vector<Index> block_start = code_blocks(ev.start);
  const auto n_blocks = static_cast<Index>(block_start.size()) - 1;
  std::vector<std::vector<char>> counted(sz(n_blocks));
  const auto accumulate_one = [&](Index blk) {
    accumulate_block(ev, block_start[sz(blk)], block_start[sz(blk) + 1], any_amount,
                     counted[sz(blk)]);
  };
  churn::detail::run_polled_batches(
      0, n_blocks, 4 * static_cast<Index>(threads),
      [&](Index b0, Index b1) { parallel_for(b0, b1, threads, accumulate_one); });
  for (const auto& v : counted)
    for (std::size_t k = 0; k < v.size(); ++k)
      if (v[k]) types[k].counted = true;
}

// ---- update ---------------------------------------------------------------------------------

EventAggregator& EventAggregator::update(const Table& events) {
  State& st = *state_;
  const Index n = events.num_rows();
  st.check_usable(kUpdate);

  // 1. Check everything before any state changes.
  const EventColumns cols = st.event_columns(events);
  check_event_values(cols, n, st.spec.n_threads);
  const std::vector<std::int32_t> code = st.map_ids(*cols.id);
  poll_stop();       // the last poll that leaves the aggregator as it was
  st.broken = true;  // until the end of this update

  // 2. Event types -> accumulator index (registers new types found in the data).
  const TypeLookup types = st.resolve_types(*cols.type, n);

  // 3. Group the matched events by customer code.
  const int threads = resolve_threads(st.spec.n_threads);
  const PackedEvents packed = pack_events(cols, code, types, n, st.n_codes, threads);
  poll_stop();

  // 4. Accumulate per block of customers.
  st.accumulate(packed, cols.amount != nullptr, threads);
  st.unmatched += n - packed.start[sz(st.n_codes)];
  st.seen += n;
  st.broken = false;
  return *this;
}

}  // namespace churn::features
