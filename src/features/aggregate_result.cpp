// EventAggregator's output: the plan of feature columns (names and buckets), each feature's value
// from the accumulators, and result().
#include <algorithm>  // std::sort, std::find
#include <cmath>      // std::isnan
#include <cstddef>    // std::size_t
#include <cstdint>    // std::int32_t, std::int64_t, std::uint64_t
#include <string>     // std::string, std::to_string
#include <utility>    // std::move

#include "churn/core/datetime.hpp"
#include "churn/core/error.hpp"
#include "churn/core/parallel.hpp"
#include "churn/core/stop.hpp"
#include "features/aggregate_state.hpp"

namespace churn::features {

using data::Column;
using data::Table;
using detail::AmountAcc;
using detail::FeatureDef;
using detail::Int128;
using detail::kAmountScale;
using detail::Kind;
using detail::sz;

namespace {

std::string days_suffix(Index w) {
  return "_" + std::to_string(w) + "d";
}

/// Sorted distinct bounds in days -> index of each requested bound.
int bucket_of(const std::vector<Index>& bounds, Index days) {
  return static_cast<int>(std::find(bounds.begin(), bounds.end(), days) - bounds.begin());
}

}  // namespace

std::vector<int> EventAggregator::State::output_types() const {
  std::vector<int> out_types;
  if (discover_types) {
    for (std::size_t k = 0; k < types.size(); ++k)
      if (types[k].tracked && types[k].counted) out_types.push_back(static_cast<int>(k));
    std::sort(out_types.begin(), out_types.end(),
              [&](int a, int b) { return types[sz(a)].name < types[sz(b)].name; });
  } else {
    for (const auto& t : spec.event_types) out_types.push_back(type_index.at(t));
  }
  return out_types;
}

std::vector<FeatureDef> EventAggregator::State::plan() const {
  const auto& s = spec;
  // Types with per-type features, in output order.
  const std::vector<int> out_types = output_types();
  std::vector<FeatureDef> defs;
  auto add = [&](Kind k, std::size_t w, int idx, std::string name) {
    FeatureDef f{k, w, idx, std::move(name), -1, -1};
    const Index days = s.windows_days[w];
    if (k == Kind::AmountSum || k == Kind::AmountMean || k == Kind::AmountMax) {
      f.b1 = bucket_of(amount_bounds, days);
    } else if (k == Kind::TypeCount || k == Kind::TotalCount) {
      f.b1 = bucket_of(count_bounds, days);
    } else if (k == Kind::TypeTrend || k == Kind::TotalTrend) {
      f.b1 = bucket_of(count_bounds, days);
      f.b2 = bucket_of(count_bounds, 2 * days);
    }
    defs.push_back(std::move(f));
  };
  for (std::size_t w = 0; w < s.windows_days.size(); ++w) {
    const std::string suf = days_suffix(s.windows_days[w]);
    if (s.type_counts)
      for (int t : out_types) add(Kind::TypeCount, w, t, types[sz(t)].name + "_count" + suf);
    if (s.total_counts) add(Kind::TotalCount, w, -1, "event_count" + suf);
    for (std::size_t g = 0; g < amounts.size(); ++g) {
      const int gi = static_cast<int>(g);
      if (s.amount_sum) add(Kind::AmountSum, w, gi, amounts[g].prefix + "_sum" + suf);
      if (s.amount_mean) add(Kind::AmountMean, w, gi, amounts[g].prefix + "_mean" + suf);
      if (s.amount_max) add(Kind::AmountMax, w, gi, amounts[g].prefix + "_max" + suf);
    }
    if (s.active_days) add(Kind::ActiveDays, w, -1, "active_days" + suf);
  }
  if (s.trends) {
    for (std::size_t w = 0; w < s.windows_days.size(); ++w) {
      const std::string suf = days_suffix(s.windows_days[w]);
      for (int t : out_types) add(Kind::TypeTrend, w, t, types[sz(t)].name + "_count_trend" + suf);
      if (s.total_counts) add(Kind::TotalTrend, w, -1, "event_count_trend" + suf);
    }
  }
  if (s.recency) add(Kind::SinceLast, 0, -1, "days_since_last_event");
  if (s.type_recency)
    for (int t : out_types) add(Kind::SinceLastType, 0, t, "days_since_last_" + types[sz(t)].name);
  if (s.days_since_first) add(Kind::SinceFirst, 0, -1, "days_since_first_event");
  return defs;
}

double EventAggregator::State::feature(const FeatureDef& f, Index r) const {
  const Index wd = f.window < spec.windows_days.size() ? spec.windows_days[f.window] : 0;
  auto cum = [&](const std::vector<std::uint32_t>& v, int b) {
    const std::uint32_t* p = v.data() + sz(r) * nb();
    std::uint64_t s = 0;
    for (int i = 0; i <= b; ++i) s += p[i];
    return s;
  };
  auto trend = [&](const std::vector<std::uint32_t>& v) {
    const std::uint64_t now = cum(v, f.b1);
    const std::uint64_t before = cum(v, f.b2) - now;
    return before == 0 ? kMissing : static_cast<double>(now) / static_cast<double>(before);
  };
  auto since = [&](std::int64_t t) {
    if (t == kNaT) return kMissing;
    const std::uint64_t age =
        static_cast<std::uint64_t>(as_of[sz(r)]) - static_cast<std::uint64_t>(t);
    return static_cast<double>(age) / static_cast<double>(kNanosPerDay);
  };
  switch (f.kind) {
    case Kind::TypeCount: return static_cast<double>(cum(types[sz(f.index)].counts, f.b1));
    case Kind::TotalCount: return static_cast<double>(cum(total, f.b1));
    case Kind::TypeTrend: return trend(types[sz(f.index)].counts);
    case Kind::TotalTrend: return trend(total);
    case Kind::AmountSum:
    case Kind::AmountMean:
    case Kind::AmountMax: {
      const AmountAcc& a = amounts[sz(f.index)];
      const int b = f.b1;
      const std::size_t base = sz(r) * na();
      if (f.kind == Kind::AmountMax) {
        double m = kMissing;
        for (int i = 0; i <= b; ++i) {
          const double x = a.max[base + sz(i)];
          if (!std::isnan(x) && !(m >= x)) m = x;
        }
        return m;
      }
      Int128 s = 0;
      for (int i = 0; i <= b; ++i) s += a.sum[base + sz(i)];
      const double sum = static_cast<double>(s) * (1.0 / kAmountScale);  // exact scaling
      if (f.kind == Kind::AmountSum) return sum;
      std::uint64_t n = 0;
      for (int i = 0; i <= b; ++i) n += a.n[base + sz(i)];
      return n == 0 ? kMissing : sum / static_cast<double>(n);
    }
    case Kind::ActiveDays: {
      const std::uint64_t* p = active_bits.data() + sz(r) * sz(active_words);
      Index full = wd / 64;
      std::uint64_t c = 0;
      for (Index i = 0; i < full; ++i) c += static_cast<std::uint64_t>(__builtin_popcountll(p[i]));
      const Index rest = wd % 64;
      if (rest) {
        const std::uint64_t mask = (std::uint64_t{1} << rest) - 1;
        c += static_cast<std::uint64_t>(__builtin_popcountll(p[full] & mask));
      }
      return static_cast<double>(c);
    }
    case Kind::SinceLast: return since(last[sz(r)]);
    case Kind::SinceLastType: return since(types[sz(f.index)].last[sz(r)]);
    case Kind::SinceFirst: return since(first[sz(r)]);
  }
  return kMissing;
}

std::vector<std::string> EventAggregator::feature_names() const {
  std::vector<std::string> out;
  for (auto& f : state_->plan()) out.push_back(f.name);
  return out;
}

std::vector<std::string> EventAggregator::event_types() const {
  std::vector<std::string> out;
  for (int k : state_->output_types()) out.push_back(state_->types[sz(k)].name);
  return out;
}

Table EventAggregator::result() const {
  const State& st = *state_;
  st.check_usable("EventAggregator::result(): ");
  std::vector<Column> cols;
  cols.push_back(st.id_col);
  if (st.has_as_of_col) cols.push_back(st.as_of_col);
  const std::vector<FeatureDef> defs = st.plan();
  // Row blocks in parallel, every feature of a row at once (its accumulators are then read
  // while in cache); the columns are allocated (and their pages touched) in parallel too.
  std::vector<std::vector<double>> values(defs.size());
  parallel_for(0, static_cast<Index>(defs.size()), st.spec.n_threads,
               [&](Index f) { values[sz(f)].resize(sz(st.n_rows)); });
  // (in batches of about 100 ms with a stop poll between them; one batch without a StopScope)
  churn::detail::run_polled_batches(0, st.n_rows, Index{1} << 18, [&](Index b0, Index b1) {
    parallel_for_blocks(b0, b1, 1 << 12, st.spec.n_threads, [&](Index lo, Index hi) {
      for (std::size_t f = 0; f < defs.size(); ++f) {
        double* out = values[f].data();
        for (Index r = lo; r < hi; ++r) out[r] = st.feature(defs[f], r);
      }
    });
  });
  for (std::size_t f = 0; f < defs.size(); ++f)
    cols.push_back(Column::from_float64(defs[f].name, std::move(values[f])));
  return Table(std::move(cols));
}

}  // namespace churn::features
