// EventAggregationSpec (validation, JSON, the RFM preset) and EventAggregator's construction and
// accessors. The state layout is in aggregate_state.cpp, update() in aggregate_update.cpp, the
// features in aggregate_result.cpp (their shared state in aggregate_state.hpp).
#include "churn/features/aggregate.hpp"

#include <cstddef>  // std::size_t
#include <cstdint>  // std::int64_t
#include <memory>   // std::make_unique
#include <utility>  // std::move

#include "churn/core/error.hpp"
#include "churn/core/parallel.hpp"
#include "common/checks.hpp"
#include "common/json.hpp"
#include "common/params.hpp"
#include "features/aggregate_state.hpp"

namespace churn::features {

using common::json_get;
using common::json_get_int;

using data::Column;
using data::DType;
using data::dtype_name;
using data::Table;
using detail::sz;

namespace {

/// Longest window, in days (100 years).
constexpr Index kMaxWindowDays = 36500;

}  // namespace

// ---------------------------------------------------------------------------------------------
// Spec
// ---------------------------------------------------------------------------------------------

void EventAggregationSpec::validate() const {
  const char* w = "EventAggregationSpec: ";
  CHURN_CHECK(!id_column.empty(), InvalidArgument, w << "id_column must not be empty");
  CHURN_CHECK(!time_column.empty(), InvalidArgument, w << "time_column must not be empty");
  CHURN_CHECK(!type_column.empty(), InvalidArgument, w << "type_column must not be empty");
  CHURN_CHECK(!windows_days.empty(), InvalidArgument,
              w << "windows_days must hold at least one window");
  for (std::size_t i = 0; i < windows_days.size(); ++i) {
    const Index d = windows_days[i];
    CHURN_CHECK(d >= 1 && d <= kMaxWindowDays, InvalidArgument,
                w << "windows_days must be in [1, " << kMaxWindowDays << "] days, got " << d);
    for (std::size_t j = 0; j < i; ++j)
      CHURN_CHECK(windows_days[j] != d, InvalidArgument,
                  w << "windows_days must be distinct, " << d << " appears twice");
  }
  common::check_names(event_types, "EventAggregationSpec", "event_types", true);
  common::check_names(amount_event_types, "EventAggregationSpec", "amount_event_types", true);
  const bool any_amount_agg = amount_sum || amount_mean || amount_max;
  if (amount_column.empty()) {
    CHURN_CHECK(amount_event_types.empty(), InvalidArgument,
                w << "amount_event_types needs an amount_column");
  } else {
    CHURN_CHECK(any_amount_agg, InvalidArgument,
                w << "amount_column '" << amount_column
                  << "' is set but none of amount_sum, amount_mean, amount_max is");
    CHURN_CHECK(amount_overall || !amount_event_types.empty(), InvalidArgument,
                w << "amount_column '" << amount_column
                  << "' is set but neither amount_overall nor amount_event_types is");
  }
  const bool any_amount = !amount_column.empty();
  const bool any = type_counts || total_counts || trends || active_days || recency ||
                   type_recency || days_since_first || any_amount;
  CHURN_CHECK(any, InvalidArgument,
              w << "the spec asks for no feature (type_counts, total_counts, trends, active_days, "
                   "recency, type_recency, days_since_first and amount_column are all off)");
  check_n_threads(n_threads, "EventAggregationSpec");
}

namespace {

/// Every field of the spec, once: the one list to_json, from_json and from_options use.
template <class S, class F>
void visit_spec(S& s, F&& f) {
  f("id_column", s.id_column);
  f("time_column", s.time_column);
  f("type_column", s.type_column);
  f("amount_column", s.amount_column);
  f("windows_days", s.windows_days);
  f("event_types", s.event_types);
  f("type_counts", s.type_counts);
  f("total_counts", s.total_counts);
  f("trends", s.trends);
  f("active_days", s.active_days);
  f("recency", s.recency);
  f("type_recency", s.type_recency);
  f("days_since_first", s.days_since_first);
  f("amount_sum", s.amount_sum);
  f("amount_mean", s.amount_mean);
  f("amount_max", s.amount_max);
  f("amount_overall", s.amount_overall);
  f("amount_event_types", s.amount_event_types);
  f("n_threads", s.n_threads);
}

}  // namespace

/// visit_spec as a functor, for common::read_params / write_params.
constexpr auto kVisitSpec = [](auto& s, auto& f) { visit_spec(s, f); };

Json EventAggregationSpec::to_json() const {
  return common::write_params(*this, common::ParamSource::File, kVisitSpec);
}

EventAggregationSpec EventAggregationSpec::from_json(const Json& j) {
  // a spec may be written by hand: a missing field keeps its default, an unknown one is an error
  return common::read_params<EventAggregationSpec>(
      j, common::ParamSource::File, "EventAggregationSpec::from_json()", kVisitSpec,
      common::ReadRules{/*strict_file=*/true, /*file_defaults=*/true});
}

EventAggregationSpec EventAggregationSpec::from_options(const Json& options,
                                                        std::string_view caller) {
  return common::read_params<EventAggregationSpec>(options, common::ParamSource::Options, caller,
                                                   kVisitSpec);
}

EventAggregationSpec EventAggregationSpec::rfm(Index window_days, std::string amount_column,
                                               std::string event_type) {
  EventAggregationSpec s;
  s.windows_days = {window_days};
  s.amount_column = std::move(amount_column);
  s.trends = false;
  s.active_days = false;
  s.days_since_first = false;
  s.recency = true;
  s.amount_sum = true;
  s.amount_mean = false;
  s.amount_max = false;
  if (event_type.empty()) {
    s.type_counts = false;
    s.total_counts = true;
    s.amount_overall = true;
    s.type_recency = false;
  } else {
    s.type_counts = true;
    s.total_counts = false;
    s.amount_overall = false;
    s.event_types = {event_type};
    s.amount_event_types = {event_type};
  }
  return s;
}

// ---------------------------------------------------------------------------------------------
// EventAggregator
// ---------------------------------------------------------------------------------------------

EventAggregator::EventAggregator(EventAggregationSpec spec, const Column& customer_ids,
                                 std::int64_t as_of)
    : state_(std::make_unique<State>()) {
  spec.validate();
  const char* who = "EventAggregator(): ";
  CHURN_CHECK(as_of != kNaT, InvalidArgument, who << "as_of must not be NaT");
  state_->spec = std::move(spec);
  state_->init_ids(customer_ids, who);
  state_->as_of.assign(sz(state_->n_rows), as_of);
  state_->init_layout();
}

EventAggregator::EventAggregator(EventAggregationSpec spec, const Table& customers,
                                 const std::string& as_of_column, const std::string& id_column)
    : state_(std::make_unique<State>()) {
  spec.validate();
  const char* who = "EventAggregator(): ";
  const std::string id_name = id_column.empty() ? spec.id_column : id_column;
  CHURN_CHECK(customers.has_column(id_name), InvalidArgument,
              who << "the customer table has no id column '" << id_name << "'");
  CHURN_CHECK(customers.has_column(as_of_column), InvalidArgument,
              who << "the customer table has no as-of column '" << as_of_column << "'");
  const Column& a = customers.column(as_of_column);
  CHURN_CHECK(a.dtype() == DType::Timestamp, TypeMismatch,
              who << "the as-of column '" << as_of_column << "' must be timestamp, got "
                  << dtype_name(a.dtype()));
  CHURN_CHECK(a.null_count() == 0, InvalidArgument,
              who << "the as-of column '" << as_of_column << "' has " << a.null_count()
                  << " missing (NaT) values; every row needs an as-of");
  state_->spec = std::move(spec);
  state_->init_ids(customers.column(id_name), who);
  auto v = a.as_int64();
  state_->as_of.assign(v.data(), v.data() + v.size());
  state_->has_as_of_col = true;
  state_->as_of_col = a;
  state_->init_layout();
}

EventAggregator::~EventAggregator() = default;
EventAggregator::EventAggregator(EventAggregator&&) noexcept = default;
EventAggregator& EventAggregator::operator=(EventAggregator&&) noexcept = default;

const EventAggregationSpec& EventAggregator::spec() const {
  return state_->spec;
}
Index EventAggregator::num_rows() const {
  return state_->n_rows;
}
Index EventAggregator::n_events_seen() const {
  return state_->seen;
}
Index EventAggregator::n_events_unmatched() const {
  return state_->unmatched;
}

Table aggregate_events(const Table& events, const Column& customer_ids, std::int64_t as_of,
                       const EventAggregationSpec& spec) {
  EventAggregator agg(spec, customer_ids, as_of);
  agg.update(events);
  return agg.result();
}

Table aggregate_events(const Table& events, const Table& customers, const std::string& as_of_column,
                       const EventAggregationSpec& spec) {
  EventAggregator agg(spec, customers, as_of_column);
  agg.update(events);
  return agg.result();
}

}  // namespace churn::features
