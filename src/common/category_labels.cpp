// Category labels matched by text, then by numeric value (see category_labels.hpp).
#include "common/category_labels.hpp"

#include <charconv>  // std::from_chars
#include <cmath>     // std::isnan
#include <cstring>   // std::memcpy
#include <limits>    // std::numeric_limits

namespace churn::common {

namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

bool equals_lower(std::string_view s, std::string_view lower) {
  if (s.size() != lower.size()) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = (s[i] >= 'A' && s[i] <= 'Z') ? static_cast<char>(s[i] - 'A' + 'a') : s[i];
    if (c != lower[i]) return false;
  }
  return true;
}

std::uint64_t bits_of(double v) {
  v += 0.0;  // -0.0 -> +0.0
  std::uint64_t u;
  std::memcpy(&u, &v, sizeof u);
  return u;
}

}  // namespace

std::optional<double> label_number(std::string_view text) {
  std::string_view s = text;
  bool negative = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  if (equals_lower(s, "inf") || equals_lower(s, "infinity")) {
    const double inf = std::numeric_limits<double>::infinity();
    return negative ? -inf : inf;
  }
  // integer part: "0" or a non-zero digit then digits
  std::size_t i = 0;
  while (i < s.size() && is_digit(s[i])) ++i;
  const std::size_t int_digits = i;
  if (int_digits == 0 || (int_digits > 1 && s[0] == '0')) return std::nullopt;
  bool plain_integer = true;
  if (i < s.size() && s[i] == '.') {
    plain_integer = false;
    ++i;
    while (i < s.size() && is_digit(s[i])) ++i;
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    plain_integer = false;
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    const std::size_t exp_begin = i;
    while (i < s.size() && is_digit(s[i])) ++i;
    if (i == exp_begin) return std::nullopt;
  }
  if (i != s.size()) return std::nullopt;
  if (plain_integer && int_digits > 15) return std::nullopt;  // beyond a double's exact integers
  double v = 0;
  const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  // out of range (1e999) reads as no number rather than as inf
  if (r.ec != std::errc() || r.ptr != s.data() + s.size() || std::isnan(v)) return std::nullopt;
  return negative ? -v : v;
}

NumericLabels::NumericLabels(const std::vector<std::string>& labels) {
  std::unordered_map<std::uint64_t, std::size_t> first;  // value -> first label's position
  for (std::size_t k = 0; k < labels.size(); ++k) {
    const auto v = label_number(labels[k]);
    if (!v) continue;
    const std::uint64_t key = bits_of(*v);
    const auto [it, added] = first.emplace(key, k);
    if (added) {
      by_value_.emplace(key, static_cast<std::int32_t>(k));
    } else if (labels[it->second] != labels[k]) {
      by_value_[key] = -1;  // ambiguous: "1" and "1.0" both in training
    }
  }
}

std::int32_t NumericLabels::find(std::string_view text) const {
  if (by_value_.empty()) return -1;
  const auto v = label_number(text);
  if (!v) return -1;
  const auto it = by_value_.find(bits_of(*v));
  return it == by_value_.end() ? -1 : it->second;
}

}  // namespace churn::common
