#pragma once
/// @file enum_names.hpp
/// Enum <-> name tables (never installed): one `EnumName<E>` row per accepted name, the first
/// row of each value its canonical name (the one written to JSON and shown to users), later rows
/// of the same value aliases that are read but never written. Every settings enum of churnlib
/// (metrics, solvers, strategies, dtypes, ...) goes through these four functions, so the names,
/// the aliases and the wording of the error for an unknown name live in one place per enum.
///
/// @code
/// constexpr common::EnumName<Binning> kBinningNames[] = {
///     {Binning::Quantile, "quantile"}, {Binning::EqualWidth, "equal_width"},
///     {Binning::EqualWidth, "uniform"}};  // alias
/// common::enum_name(kBinningNames, Binning::EqualWidth);              // "equal_width"
/// common::enum_from_name(kBinningNames, "uniform", "psi()", "binning");  // EqualWidth
/// @endcode

#include <cstddef>      // std::size_t
#include <string>       // std::string
#include <string_view>  // std::string_view
#include <utility>      // std::pair
#include <vector>       // std::vector

#include "common/json.hpp"  // Json, json_get

namespace churn::common {

/// One accepted name of an enum value.
template <class E>
struct EnumName {
  E value;           ///< the value this name stands for
  const char* name;  ///< the name (canonical if it is the first row of `value`, else an alias)
};

namespace detail {

/// (name, canonical name of its value) for every row, in table order.
using NameRows = std::vector<std::pair<std::string_view, std::string_view>>;

/// Throws InvalidArgument (or SerializationError when `serialization`) with
/// "<caller>: <what> must be one of 'a', 'b' ('c' means 'b'), got '<text>'" (no "<caller>: "
/// when `caller` is empty).
[[noreturn]] void throw_unknown_name(const NameRows& rows, std::string_view text,
                                     std::string_view caller, std::string_view what,
                                     bool serialization);

template <class E, std::size_t N>
NameRows name_rows(const EnumName<E> (&table)[N]) {
  NameRows rows;
  rows.reserve(N);
  for (std::size_t r = 0; r < N; ++r) {
    std::size_t first = 0;
    while (table[first].value != table[r].value) ++first;
    rows.emplace_back(table[r].name, table[first].name);
  }
  return rows;
}

}  // namespace detail

/// The canonical name of `v`: the name of the first row holding `v`. "?" for a value with no
/// row (only an out-of-range cast can make one; every valid value has a row).
template <class E, std::size_t N>
const char* enum_name(const EnumName<E> (&table)[N], E v) noexcept {
  for (const auto& row : table)
    if (row.value == v) return row.name;
  return "?";
}

/// The value named `text` (canonical name or alias, compared exactly: case matters), or
/// nullptr when no row has that name.
template <class E, std::size_t N>
const E* enum_find(const EnumName<E> (&table)[N], std::string_view text) noexcept {
  for (const auto& row : table)
    if (text == row.name) return &row.value;
  return nullptr;
}

/// The value named `text` (canonical name or alias).
/// @throws InvalidArgument "<caller>: <what> must be one of 'a', 'b' ('c' means 'b'), got
///         '<text>'", listing every accepted name (no "<caller>: " when `caller` is empty).
template <class E, std::size_t N>
E enum_from_name(const EnumName<E> (&table)[N], std::string_view text, std::string_view caller,
                 std::string_view what) {
  if (const E* v = enum_find(table, text)) return *v;
  detail::throw_unknown_name(detail::name_rows(table), text, caller, what, false);
}

/// The value named by the string member `key` of the JSON object `j` (a saved object).
/// @throws SerializationError "<where>: field '<key>' must be one of 'a', 'b', got '<text>'"
///         when the name is unknown, and as json_get when the member is missing or no string.
template <class E, std::size_t N>
E enum_from_json(const EnumName<E> (&table)[N], const Json& j, const char* key,
                 std::string_view where) {
  const auto text = json_get<std::string>(j, key, where);
  if (const E* v = enum_find(table, text)) return *v;
  detail::throw_unknown_name(detail::name_rows(table), text, where,
                             std::string("field '") + key + "'", true);
}

}  // namespace churn::common
