#include "churn/core/datetime.hpp"

#include <cstdio>  // std::snprintf

#include "churn/core/types.hpp"

namespace churn {
namespace {

bool is_leap(std::int64_t y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

unsigned days_in_month(std::int64_t y, unsigned m) {
  static const unsigned kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29u : kDays[m - 1];
}

// Reads exactly `n` digits at s[pos]; advances pos.
bool read_digits(std::string_view s, std::size_t& pos, int n, std::int64_t& out) {
  if (pos + static_cast<std::size_t>(n) > s.size()) return false;
  std::int64_t v = 0;
  for (int i = 0; i < n; ++i) {
    const char c = s[pos + static_cast<std::size_t>(i)];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  pos += static_cast<std::size_t>(n);
  out = v;
  return true;
}

// Civil date from days since epoch (H. Hinnant's algorithm).
void civil_from_days(std::int64_t z, std::int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y += (m <= 2);
}

}  // namespace

std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

std::optional<std::int64_t> parse_timestamp(std::string_view s) {
  std::size_t p = 0;
  std::int64_t year = 0, month = 0, day = 0;
  if (!read_digits(s, p, 4, year) || p >= s.size() || s[p++] != '-') return std::nullopt;
  if (!read_digits(s, p, 2, month) || p >= s.size() || s[p++] != '-') return std::nullopt;
  if (!read_digits(s, p, 2, day)) return std::nullopt;
  if (month < 1 || month > 12 || day < 1 ||
      day > static_cast<std::int64_t>(days_in_month(year, static_cast<unsigned>(month))))
    return std::nullopt;
  // Years 1678..2261 always fit int64 nanoseconds (pandas' Timestamp range is 1677-09-21 ..
  // 2262-04-11); dates outside are rejected rather than overflowing.
  std::int64_t ns = 0;
  if (__builtin_mul_overflow(
          days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day)),
          kNanosPerDay, &ns))
    return std::nullopt;
  if (p == s.size()) return ns;
  if (s[p] != 'T' && s[p] != ' ') return std::nullopt;
  ++p;
  std::int64_t hh = 0, mm = 0, ss = 0;
  if (!read_digits(s, p, 2, hh) || p >= s.size() || s[p++] != ':') return std::nullopt;
  if (!read_digits(s, p, 2, mm)) return std::nullopt;
  if (p < s.size() && s[p] == ':') {
    ++p;
    if (!read_digits(s, p, 2, ss)) return std::nullopt;
    if (p < s.size() && s[p] == '.') {
      ++p;
      std::int64_t frac = 0;
      int digits = 0;
      while (p < s.size() && s[p] >= '0' && s[p] <= '9') {
        if (digits < 9) {
          frac = frac * 10 + (s[p] - '0');
          ++digits;
        }
        ++p;
      }
      if (digits == 0) return std::nullopt;
      for (int i = digits; i < 9; ++i) frac *= 10;
      if (__builtin_add_overflow(ns, frac, &ns)) return std::nullopt;
    }
  }
  if (hh > 23 || mm > 59 || ss > 60) return std::nullopt;
  if (__builtin_add_overflow(ns, ((hh * 60 + mm) * 60 + ss) * kNanosPerSecond, &ns))
    return std::nullopt;
  if (p == s.size()) return ns;
  if (s[p] == 'Z' && p + 1 == s.size()) return ns;
  if (s[p] == '+' || s[p] == '-') {
    const std::int64_t sign = s[p] == '+' ? 1 : -1;
    ++p;
    std::int64_t oh = 0, om = 0;
    if (!read_digits(s, p, 2, oh)) return std::nullopt;
    if (p < s.size() && s[p] == ':') ++p;
    if (!read_digits(s, p, 2, om) || p != s.size() || oh > 23 || om > 59) return std::nullopt;
    std::int64_t utc = 0;
    if (__builtin_sub_overflow(ns, sign * (oh * 60 + om) * 60 * kNanosPerSecond, &utc))
      return std::nullopt;
    return utc;
  }
  return std::nullopt;
}

std::string format_timestamp(std::int64_t ns) {
  if (ns == kNaT) return std::string();
  std::int64_t days = ns / kNanosPerDay;
  std::int64_t rem = ns % kNanosPerDay;
  if (rem < 0) {
    rem += kNanosPerDay;
    --days;
  }
  std::int64_t y = 0;
  unsigned m = 0, d = 0;
  civil_from_days(days, y, m, d);
  char buf[64];
  if (rem == 0) {
    std::snprintf(buf, sizeof buf, "%04lld-%02u-%02u", static_cast<long long>(y), m, d);
    return buf;
  }
  const std::int64_t secs = rem / kNanosPerSecond;
  const std::int64_t frac = rem % kNanosPerSecond;
  const int n =
      std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02lld:%02lld:%02lld",
                    static_cast<long long>(y), m, d, static_cast<long long>(secs / 3600),
                    static_cast<long long>(secs / 60 % 60), static_cast<long long>(secs % 60));
  std::string out(buf, static_cast<std::size_t>(n));
  if (frac != 0) {
    std::snprintf(buf, sizeof buf, ".%09lld", static_cast<long long>(frac));
    std::string f(buf);
    while (f.back() == '0') f.pop_back();
    out += f;
  }
  return out;
}

}  // namespace churn
