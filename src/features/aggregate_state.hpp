#pragma once
// Private to src/features: the state of churn::features::EventAggregator, shared by its sources:
// aggregate.cpp (the spec, construction, accessors), aggregate_state.cpp (the accumulator layout
// and the customer ids), aggregate_update.cpp (update: counting the events) and
// aggregate_result.cpp (the feature plan and result).

#include <cstddef>        // std::size_t
#include <cstdint>        // std::int32_t, std::int64_t, std::uint32_t, std::uint64_t
#include <string>         // std::string
#include <string_view>    // std::string_view
#include <unordered_map>  // std::unordered_map
#include <vector>         // std::vector

#include "churn/core/types.hpp"
#include "churn/data/table.hpp"
#include "churn/features/aggregate.hpp"
#include "common/flat_index.hpp"

namespace churn::features::detail {

__extension__ typedef __int128 Int128;  // exact fixed-point amount sums (GCC/Clang)

/// Fixed-point scale of amounts: a sum is stored as an integer number of 2^-kAmountShift.
inline constexpr int kAmountShift = 55;
/// 2^kAmountShift.
inline constexpr double kAmountScale = 36028797018963968.0;
/// Amounts must satisfy |x| < 2^kAmountMaxLog2, so that 2^32 of them fit an Int128 sum.
inline constexpr int kAmountMaxLog2 = 40;

inline std::size_t sz(Index i) {
  return static_cast<std::size_t>(i);
}

/// Per event type: counts per (row, count bucket) and the last event time per row.
struct TypeAcc {
  std::string name;
  bool tracked = false;   // gets per-type features
  bool counted = false;   // at least one counted event (for types found in the data)
  int amount_group = -1;  // index into the amount groups, or -1
  std::vector<std::uint32_t> counts;
  std::vector<std::int64_t> last;
};

/// Amount aggregates of one group (all events, or one type) per (row, amount bucket).
struct AmountAcc {
  std::string prefix;  // "amount" or "<type>_amount"
  std::vector<Int128> sum;
  std::vector<std::uint32_t> n;
  std::vector<double> max;
};

enum class Kind {
  TypeCount,
  TotalCount,
  AmountSum,
  AmountMean,
  AmountMax,
  ActiveDays,
  TypeTrend,
  TotalTrend,
  SinceLast,
  SinceLastType,
  SinceFirst
};

/// One output column of result().
struct FeatureDef {
  Kind kind;
  std::size_t window = 0;  // index into windows_days
  int index = -1;          // type or amount group
  std::string name;
  int b1 = -1;  // bucket of the window (count or amount buckets)
  int b2 = -1;  // count bucket of twice the window (trends)
};

// The intermediates of one update() (defined in aggregate_update.cpp).
struct EventColumns;
struct TypeLookup;
struct PackedEvents;

}  // namespace churn::features::detail

namespace churn::features {

struct EventAggregator::State {
  using TypeAcc = detail::TypeAcc;
  using AmountAcc = detail::AmountAcc;
  using FeatureDef = detail::FeatureDef;

  EventAggregationSpec spec;
  Index n_rows = 0;
  data::Column id_col;
  bool has_as_of_col = false;
  data::Column as_of_col;
  std::vector<std::int64_t> as_of;  // per row

  // Customer ids -> dense codes; rows of each code in CSR form.
  bool int_ids = false;
  common::FlatIndex<std::string_view> text_code;  // views into id_col's strings or categories
  common::FlatIndex<std::int64_t> int_code;
  Index n_codes = 0;
  std::vector<Index> code_start;  // n_codes + 1
  std::vector<Index> code_rows;

  // Buckets (sorted distinct bounds in days and ns).
  bool need_counts = false;
  std::vector<Index> count_bounds;
  std::vector<std::uint64_t> count_bounds_ns;
  std::vector<Index> amount_bounds;
  std::vector<std::uint64_t> amount_bounds_ns;
  Index active_max_days = 0;
  Index active_words = 0;

  // Event types.
  bool discover_types = false;
  std::vector<TypeAcc> types;
  std::unordered_map<std::string, std::int32_t> type_index;

  // Accumulators per row.
  std::vector<AmountAcc> amounts;
  int overall_amount_group = -1;
  std::vector<std::uint32_t> total;
  std::vector<std::int64_t> first, last;
  std::vector<std::uint64_t> active_bits;

  Index seen = 0;
  Index unmatched = 0;
  /// Set while update() changes the state: still set after an update that threw midway
  /// (interrupted), whose partial counts make the aggregator unusable.
  bool broken = false;
  void check_usable(const char* who) const;

  std::size_t nb() const { return count_bounds.size(); }
  std::size_t na() const { return amount_bounds.size(); }

  // ---- layout and ids (aggregate_state.cpp)
  void init_layout();
  void init_ids(const data::Column& ids, const char* who);
  std::int32_t add_type(const std::string& name, bool tracked);
  std::vector<std::int32_t> map_ids(const data::Column& c) const;

  // ---- update's phases (aggregate_update.cpp)
  detail::EventColumns event_columns(const data::Table& events) const;
  std::int32_t resolve_type(const std::string& name);
  detail::TypeLookup resolve_types(const data::Column& ty, Index n);
  std::vector<Index> code_blocks(const std::vector<Index>& ev_start) const;
  void accumulate(const detail::PackedEvents& ev, bool any_amount, int threads);
  void accumulate_block(const detail::PackedEvents& ev, Index c_lo, Index c_hi, bool any_amount,
                        std::vector<char>& counted);

  // ---- features (aggregate_result.cpp)
  /// Types with per-type features, in output order.
  std::vector<int> output_types() const;
  std::vector<FeatureDef> plan() const;
  double feature(const FeatureDef& f, Index r) const;
};

}  // namespace churn::features
