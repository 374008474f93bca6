// EventAggregator's state: the accumulator layout of the spec, the customer ids (dense codes and
// their rows) and the mapping of event ids onto them.
#include <algorithm>  // std::sort, std::unique, std::max_element
#include <cstddef>    // std::size_t
#include <cstdint>    // std::int32_t, std::int64_t, std::uint64_t
#include <limits>     // std::numeric_limits
#include <utility>    // std::move

#include "churn/core/datetime.hpp"
#include "churn/core/error.hpp"
#include "churn/core/parallel.hpp"
#include "features/aggregate_state.hpp"

namespace churn::features {

using data::Column;
using data::DType;
using data::dtype_name;
using detail::AmountAcc;
using detail::sz;
using detail::TypeAcc;

void EventAggregator::State::init_layout() {
  const auto& s = spec;
  need_counts = s.type_counts || s.total_counts || s.trends;
  if (need_counts) {
    for (Index w : s.windows_days) {
      count_bounds.push_back(w);
      if (s.trends) count_bounds.push_back(2 * w);
    }
    std::sort(count_bounds.begin(), count_bounds.end());
    count_bounds.erase(std::unique(count_bounds.begin(), count_bounds.end()), count_bounds.end());
    for (Index d : count_bounds)
      count_bounds_ns.push_back(static_cast<std::uint64_t>(d * kNanosPerDay));
  }
  if (!s.amount_column.empty()) {
    amount_bounds = s.windows_days;
    std::sort(amount_bounds.begin(), amount_bounds.end());
    for (Index d : amount_bounds)
      amount_bounds_ns.push_back(static_cast<std::uint64_t>(d * kNanosPerDay));
    auto make_group = [&](std::string prefix) {
      AmountAcc a;
      a.prefix = std::move(prefix);
      const std::size_t m = sz(n_rows) * na();
      if (s.amount_sum || s.amount_mean) a.sum.assign(m, 0);
      if (s.amount_mean) a.n.assign(m, 0);
      if (s.amount_max) a.max.assign(m, kMissing);
      amounts.push_back(std::move(a));
      return static_cast<int>(amounts.size() - 1);
    };
    if (s.amount_overall) overall_amount_group = make_group("amount");
    for (const auto& t : s.amount_event_types) {
      const std::int32_t k = add_type(t, false);
      types[sz(k)].amount_group = make_group(t + "_amount");
    }
  }
  if (s.active_days) {
    active_max_days = *std::max_element(s.windows_days.begin(), s.windows_days.end());
    active_words = (active_max_days + 63) / 64;
    active_bits.assign(sz(n_rows) * sz(active_words), 0);
  }
  if (s.total_counts) total.assign(sz(n_rows) * nb(), 0);
  if (s.recency) last.assign(sz(n_rows), kNaT);
  if (s.days_since_first) first.assign(sz(n_rows), kNaT);
  discover_types = s.event_types.empty();
  for (const auto& t : s.event_types) add_type(t, true);
}

void EventAggregator::State::check_usable(const char* who) const {
  CHURN_CHECK(!broken, NotFittedError,
              who << "an earlier update() was interrupted (or failed) while counting, so the "
                     "aggregator holds partial counts; start again with a new EventAggregator");
}

std::int32_t EventAggregator::State::add_type(const std::string& name, bool tracked) {
  auto it = type_index.find(name);
  std::int32_t k;
  if (it == type_index.end()) {
    k = static_cast<std::int32_t>(types.size());
    TypeAcc t;
    t.name = name;
    types.push_back(std::move(t));
    type_index.emplace(name, k);
  } else {
    k = it->second;
  }
  TypeAcc& t = types[sz(k)];
  if (tracked && !t.tracked) {
    t.tracked = true;
    if (spec.type_counts || spec.trends) t.counts.assign(sz(n_rows) * nb(), 0);
    if (spec.type_recency) t.last.assign(sz(n_rows), kNaT);
  }
  return k;
}

void EventAggregator::State::init_ids(const Column& ids, const char* who) {
  const DType t = ids.dtype();
  CHURN_CHECK(t == DType::String || t == DType::Categorical || t == DType::Int64, TypeMismatch,
              who << "the customer id column '" << ids.name()
                  << "' must be string, category or int64, got " << dtype_name(t));
  n_rows = ids.size();
  CHURN_CHECK(ids.null_count() == 0, InvalidArgument,
              who << "the customer id column '" << ids.name() << "' has " << ids.null_count()
                  << " missing values; every row needs an id");
  id_col = ids;
  int_ids = t == DType::Int64;
  std::vector<std::int32_t> row_code(sz(n_rows));
  CHURN_CHECK(n_rows < std::numeric_limits<std::int32_t>::max(), InvalidArgument,
              who << "too many customer rows: " << n_rows);
  // id_col shares the id buffers, so the string views stay valid as long as this state.
  if (t == DType::Int64) {
    auto v = id_col.as_int64();
    int_code = common::FlatIndex<std::int64_t>(sz(n_rows));
    for (Index i = 0; i < n_rows; ++i) row_code[sz(i)] = int_code.insert(v[i]);
    n_codes = static_cast<Index>(int_code.size());
  } else if (t == DType::String) {
    const auto& v = id_col.strings();
    text_code = common::FlatIndex<std::string_view>(sz(n_rows));
    for (Index i = 0; i < n_rows; ++i) row_code[sz(i)] = text_code.insert(v[sz(i)]);
    n_codes = static_cast<Index>(text_code.size());
  } else {
    auto codes = id_col.codes();
    const auto& cats = id_col.categories();
    text_code = common::FlatIndex<std::string_view>(cats.size());
    std::vector<std::int32_t> cat_code(cats.size(), -1);
    for (Index i = 0; i < n_rows; ++i) {
      std::int32_t& c = cat_code[sz(codes[i])];
      if (c < 0) c = text_code.insert(cats[sz(codes[i])]);
      row_code[sz(i)] = c;
    }
    n_codes = static_cast<Index>(text_code.size());
  }
  code_start.assign(sz(n_codes) + 1, 0);
  for (auto c : row_code) ++code_start[sz(c) + 1];
  for (Index c = 0; c < n_codes; ++c) code_start[sz(c) + 1] += code_start[sz(c)];
  code_rows.resize(sz(n_rows));
  std::vector<Index> pos(code_start.begin(), code_start.end() - 1);
  for (Index i = 0; i < n_rows; ++i) code_rows[sz(pos[sz(row_code[sz(i)])]++)] = i;
}

std::vector<std::int32_t> EventAggregator::State::map_ids(const Column& c) const {
  const Index n = c.size();
  std::vector<std::int32_t> out(sz(n), -1);
  const int threads = spec.n_threads;
  if (c.dtype() == DType::Categorical) {
    const auto& cats = c.categories();
    std::vector<std::int32_t> cat_code(cats.size(), -1);
    for (std::size_t k = 0; k < cats.size(); ++k) {
      cat_code[k] = text_code.find(cats[k]);
    }
    auto codes = c.codes();
    parallel_for_blocks(0, n, 1 << 16, threads, [&](Index lo, Index hi) {
      for (Index i = lo; i < hi; ++i) {
        const std::int32_t k = codes[i];
        out[sz(i)] = k < 0 ? -1 : cat_code[sz(k)];
      }
    });
  } else if (c.dtype() == DType::String) {
    const auto& v = c.strings();
    const auto& valid = c.validity();
    parallel_for_blocks(0, n, 1 << 14, threads, [&](Index lo, Index hi) {
      for (Index i = lo; i < hi; ++i) {
        if (!valid.empty() && !valid[sz(i)]) continue;
        out[sz(i)] = text_code.find(v[sz(i)]);
      }
    });
  } else {
    auto v = c.as_int64();
    const auto& valid = c.validity();
    parallel_for_blocks(0, n, 1 << 14, threads, [&](Index lo, Index hi) {
      for (Index i = lo; i < hi; ++i) {
        if (!valid.empty() && !valid[sz(i)]) continue;
        out[sz(i)] = int_code.find(v[i]);
      }
    });
  }
  return out;
}

}  // namespace churn::features
