#pragma once
/// @file datetime.hpp
/// Timestamps: int64 nanoseconds since 1970-01-01 00:00:00 UTC, `kNaT` for missing.

#include <cstdint>      // std::int64_t
#include <optional>     // std::optional
#include <string>       // std::string
#include <string_view>  // std::string_view

namespace churn {

/// Nanoseconds per day.
inline constexpr std::int64_t kNanosPerDay = 86400LL * 1000000000LL;
/// Nanoseconds per second.
inline constexpr std::int64_t kNanosPerSecond = 1000000000LL;

/// Days since 1970-01-01 of a proleptic Gregorian date (month 1..12, day 1..31).
std::int64_t days_from_civil(std::int64_t year, unsigned month, unsigned day);

/// Parses an ISO 8601 date or date-time: `YYYY-MM-DD`, optionally followed by `T` or a space and
/// `HH:MM[:SS[.fraction]]`, optionally followed by `Z` or `+HH:MM`/`-HH:MM` (converted to UTC).
/// Returns nullopt when the text is not such a date or the date is invalid (2023-02-30).
std::optional<std::int64_t> parse_timestamp(std::string_view text);

/// Formats as `YYYY-MM-DD` when the time is midnight, else `YYYY-MM-DDTHH:MM:SS[.fffffffff]`;
/// "" for `kNaT`.
std::string format_timestamp(std::int64_t ns);

}  // namespace churn
