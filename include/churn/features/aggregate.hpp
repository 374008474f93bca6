#pragma once
/// @file aggregate.hpp
/// Point-in-time event aggregation: an event log (customer id, timestamp, event type, optional
/// amount) becomes one row of Float64 features per customer (and as-of date).
///
/// Definitions (`D` = one day = 86,400 s; `age` = as_of - event time, in nanoseconds):
/// - **Point in time.** Only events strictly before the row's as-of count (`age > 0`); events at
///   or after it never change any feature, including which event-type columns exist.
/// - **Window of `w` days**: the events with `0 < age <= w * D`, i.e. the half-open interval
///   `[as_of - w days, as_of)`. An event exactly `w` days before the as-of is in the window.
/// - **Active days** in a window: the number of distinct 24-hour periods counted back from the
///   as-of (`(age - 1) / D`, integer division) that hold at least one event; with a midnight
///   as-of these are the calendar days (UTC).
/// - **Recency**: `days_since_last_event` = (as_of - time of the last counted event) / D, a
///   fractional number of days; NaN when the row has no counted event. The same per event type
///   (`days_since_last_<type>`) and for the first event (`days_since_first_event`).
/// - **Trend** of a window `w`: the count in the last `w` days divided by the count in the `w`
///   days before (`w * D < age <= 2w * D`); NaN when that earlier count is 0.
/// - **Amounts**: NaN amounts are skipped (the event still counts as an event). Sums are exact
///   sums rounded once to double: amounts are accumulated in 128-bit fixed point with a
///   resolution of 2^-55 (exact for every |amount| >= 0.125, and for every multiple of 2^-55),
///   so the result does not depend on the event order, the chunking or the thread count. Amounts
///   must be finite with |amount| < 2^40 (about 1.1e12). Mean = sum / number of non-NaN
///   amounts; mean and max are NaN when the window holds no amount; sums are then 0.
/// - **Event types**: the per-type features are made for `event_types` when it is given (types
///   missing from the data give zero/NaN columns; other types only count in the overall
///   features), else for every type that occurs in at least one counted event, in sorted
///   (byte-wise) order. Give the list explicitly to get the same columns at training and at
///   scoring time. Events whose type is missing count in the overall features only. Type names
///   are used verbatim in column names (a type named `event` would collide with
///   `event_count_<w>d`: result() then throws InvalidArgument for the repeated name).
/// - **Bad or unmatched rows**: a missing event timestamp (`kNaT`) is an error (the event cannot
///   be placed in time); events whose customer id is missing or not among the customers are
///   ignored (see EventAggregator::n_events_unmatched()).
///
/// Output columns, in this order (`<w>` for each window in the order given, `<t>` for each event
/// type): the id column (and, for per-row as-of dates, the as-of column), then per window
/// `<t>_count_<w>d`, `event_count_<w>d`, `amount_sum_<w>d`, `amount_mean_<w>d`,
/// `amount_max_<w>d`, `<t>_amount_sum_<w>d`, `<t>_amount_mean_<w>d`, `<t>_amount_max_<w>d`,
/// `active_days_<w>d`; then per window `<t>_count_trend_<w>d`, `event_count_trend_<w>d`; then
/// `days_since_last_event`, `days_since_last_<t>`, `days_since_first_event`. Each group appears
/// only when the spec asks for it.

#include <cstdint>      // std::int64_t
#include <memory>       // std::unique_ptr
#include <string>       // std::string
#include <string_view>  // std::string_view
#include <vector>       // std::vector

#include "churn/core/json.hpp"
#include "churn/core/types.hpp"
#include "churn/data/table.hpp"

namespace churn::features {

/// What to compute from an event log: the column names and the features (see aggregate.hpp for
/// the definitions and the output column names).
struct EventAggregationSpec {
  /// Customer-id column of the event table (String, Categorical or Int64).
  std::string id_column = "customer_id";
  /// Event-time column of the event table (Timestamp; `kNaT` is rejected).
  std::string time_column = "timestamp";
  /// Event-type column of the event table (Categorical or String; missing = no type).
  std::string type_column = "event_type";
  /// Amount column of the event table (Float64, NaN = no amount), or "" for none.
  std::string amount_column;
  /// Windows in whole days, each in [1, 36500], distinct; at least one.
  std::vector<Index> windows_days = {7, 30, 90};
  /// The event types that get per-type features; empty = the types found in the data (sorted).
  /// Names must be distinct and non-empty.
  std::vector<std::string> event_types;
  /// `<t>_count_<w>d`: events of each type per window.
  bool type_counts = true;
  /// `event_count_<w>d`: events of any type per window.
  bool total_counts = false;
  /// `<t>_count_trend_<w>d` (and `event_count_trend_<w>d` when total_counts): count in the last
  /// window over the count in the window before it.
  bool trends = true;
  /// `active_days_<w>d`: distinct active days per window.
  bool active_days = true;
  /// `days_since_last_event`.
  bool recency = true;
  /// `days_since_last_<t>` for each event type.
  bool type_recency = true;
  /// `days_since_first_event`.
  bool days_since_first = true;
  /// `amount_sum_<w>d` (needs amount_column).
  bool amount_sum = true;
  /// `amount_mean_<w>d` (needs amount_column).
  bool amount_mean = true;
  /// `amount_max_<w>d` (needs amount_column).
  bool amount_max = true;
  /// Amount aggregates over the events of every type (`amount_*`).
  bool amount_overall = true;
  /// Event types that also get their own amount aggregates (`<t>_amount_*`), e.g. {"purchase"};
  /// distinct and non-empty. Independent of `event_types`.
  std::vector<std::string> amount_event_types;
  /// Threads: 0 = all cores, > 0 that many. Results do not depend on it.
  int n_threads = 0;

  /// @throws InvalidArgument naming the field and its allowed range: an empty column name, no
  ///         window, a window out of range or repeated, a repeated or empty event type, amount
  ///         aggregates or amount types without an amount column, a spec that asks for no
  ///         feature, n_threads < 0.
  void validate() const;
  /// The spec as a JSON object (every field, by its name).
  Json to_json() const;
  /// A spec from to_json() output; missing fields keep their defaults.
  /// @throws SerializationError for an unknown field, a field of the wrong type or an invalid
  ///         spec.
  static EventAggregationSpec from_json(const Json& j);
  /// A spec from a JSON object naming some fields (the others keep their defaults), as the
  /// Python binding passes its keyword arguments.
  /// @throws InvalidArgument for an unknown name or an invalid spec, TypeMismatch for a value
  ///         of the wrong JSON type; both name `caller` and the field.
  static EventAggregationSpec from_options(const Json& options,
                                           std::string_view caller = "EventAggregationSpec");

  /// The RFM preset over one window: recency `days_since_last_event`, frequency
  /// `event_count_<w>d`, monetary `amount_sum_<w>d`. With `event_type` (e.g. "purchase"),
  /// frequency and monetary use that type only (`purchase_count_<w>d`,
  /// `purchase_amount_sum_<w>d`) and `days_since_last_purchase` is added. Nothing else is on.
  static EventAggregationSpec rfm(Index window_days = 90, std::string amount_column = "amount",
                                  std::string event_type = "");
};

/// Streaming, point-in-time event aggregation.
///
/// The rows of the output (customers, or customer snapshots) are fixed at construction; event
/// tables are then fed with update() in any number of chunks, and result() gives the features.
/// Every accumulator is order-free (integer counts and fixed-point sums, min/max, bit sets), so
/// the result is bit-identical for any chunking, any chunk or event order and any thread count.
/// The state is proportional to the number of rows (not events): about
/// `rows * (types * buckets * 4 + 8 * types + amount groups * windows * 28 + 16 + active bits)`
/// bytes, where buckets = distinct windows and doubled trend windows. update() sorts the
/// chunk's matched events by customer (a counting sort into 24 bytes per event, plus one
/// 8-byte counter per customer and thread) and then accumulates customer blocks in parallel;
/// feed a file larger than memory in chunks. Counts are 32-bit: at most 2^32 - 1 events per
/// row and window bucket.
///
/// @code
/// churn::features::EventAggregationSpec spec;
/// spec.amount_column = "amount";
/// spec.amount_event_types = {"purchase"};
/// churn::features::EventAggregator agg(spec, customers.column("customer_id"), as_of);
/// for (const churn::data::Table& chunk : chunks) agg.update(chunk);
/// churn::data::Table features = agg.result();   // keyed by customer_id, in the customers' order
/// @endcode
///
/// Thread safety: the const members (result, accessors) may run concurrently on one object from any
/// number of threads; update needs exclusive access. Distinct objects are independent.
class EventAggregator {
 public:
  /// One as-of for every customer.
  /// @param spec          what to compute (validated).
  /// @param customer_ids  the ids, one output row each, in this order (String, Categorical or
  ///                      Int64; no missing id; repeated ids give repeated rows).
  /// @param as_of         the as-of time (ns since 1970 UTC), not `kNaT`.
  /// @throws InvalidArgument for an invalid spec, a missing id or a NaT as-of; TypeMismatch for
  ///         an id column of another type.
  EventAggregator(EventAggregationSpec spec, const data::Column& customer_ids, std::int64_t as_of);

  /// One as-of per row (training snapshots): `customers` holds the id column
  /// (`spec.id_column`, or `id_column` when given) and a Timestamp as-of column. A customer may
  /// appear in several rows with different as-of dates.
  /// @throws InvalidArgument for an invalid spec, a missing column, id or as-of (the message
  ///         names the column); TypeMismatch for columns of the wrong type.
  EventAggregator(EventAggregationSpec spec, const data::Table& customers,
                  const std::string& as_of_column, const std::string& id_column = "");

  ~EventAggregator();
  EventAggregator(EventAggregator&&) noexcept;
  EventAggregator& operator=(EventAggregator&&) noexcept;
  EventAggregator(const EventAggregator&) = delete;
  EventAggregator& operator=(const EventAggregator&) = delete;

  /// Adds a chunk of events (any order; columns named by the spec, other columns ignored).
  /// The chunk is checked completely before any state changes, so a rejected chunk leaves the
  /// aggregator as it was.
  /// @return `*this`.
  /// @throws InvalidArgument for a missing column, a NaT timestamp, an amount that is infinite or
  ///         too large (the message names the column and the row); TypeMismatch for a column of
  ///         the wrong type or an id column that does not match the customers' (Int64 against
  ///         text); Interrupted when a StopScope asks to stop (polled between chunks of
  ///         customers): stopped before counting began, the aggregator is as it was; stopped
  ///         while counting, it holds partial counts and every later update() and result()
  ///         throws NotFittedError. NotFittedError after such an interrupted update.
  EventAggregator& update(const data::Table& events);

  /// The features so far: one row per customer row, columns as described in aggregate.hpp.
  /// @throws NotFittedError after an interrupted update(); Interrupted when a StopScope asks
  ///         to stop.
  data::Table result() const;

  /// The names of the feature columns result() would give now (without the key columns).
  std::vector<std::string> feature_names() const;

  /// The event types that get per-type features in result() now: `spec().event_types` when it
  /// was given, else the types of the events counted so far (sorted). A pipeline that joins
  /// event features fixes its spec's event_types to this list at fit, so that scoring data
  /// gets the same columns.
  std::vector<std::string> event_types() const;

  /// The spec.
  const EventAggregationSpec& spec() const;
  /// Number of output rows.
  Index num_rows() const;
  /// Event rows seen by update() so far.
  Index n_events_seen() const;
  /// Event rows ignored because their id was missing or not among the customers.
  Index n_events_unmatched() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

/// One-pass convenience: `EventAggregator(spec, customer_ids, as_of).update(events).result()`.
data::Table aggregate_events(const data::Table& events, const data::Column& customer_ids,
                             std::int64_t as_of, const EventAggregationSpec& spec);

/// One-pass convenience with a per-row as-of column (see EventAggregator).
data::Table aggregate_events(const data::Table& events, const data::Table& customers,
                             const std::string& as_of_column, const EventAggregationSpec& spec);

}  // namespace churn::features
