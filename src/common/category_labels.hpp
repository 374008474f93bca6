#pragma once
/// @file category_labels.hpp
/// How a category label seen when scoring finds the label it had in training (never
/// installed). Labels are kept as text (a Table's categories, a model's `category_names`); two
/// labels are the same when their texts are equal, or when both texts read as the same number
/// ("1", "1.0", "1e0", "+1" are one label: a category column whose integer categories became
/// floats, as one NaN makes them in pandas, still finds its training codes). Text that is not a
/// plain decimal number ("01", " 1", "1_000", "0x1", "nan", "True") only matches itself, and so
/// do integers of more than 15 digits (a double cannot tell them apart).

#include <cstdint>        // std::int32_t, std::uint64_t
#include <optional>       // std::optional
#include <string>         // std::string
#include <string_view>    // std::string_view
#include <unordered_map>  // std::unordered_map
#include <vector>         // std::vector

namespace churn::common {

/// The number that `text` reads as, for matching labels by value: an optional sign, an integer
/// part without leading zeros ("0" alone may lead), an optional fraction and exponent ("1",
/// "-2.50", "1e+16", "1.5E-07", "7.") or "inf"/"infinity" with an optional sign; nothing else
/// (no spaces, no leading zeros, no NaN, no hexadecimal). -0 reads as 0.
std::optional<double> label_number(std::string_view text);

/// The training labels that read as numbers (label_number), by value: the fallback of a label
/// lookup whose exact text is not among the training labels.
class NumericLabels {
 public:
  NumericLabels() = default;
  /// Indexes `labels` (position k = training code k). Two labels of different text and the same
  /// value (a damaged or hand-made list) make that value match neither.
  explicit NumericLabels(const std::vector<std::string>& labels);

  /// The position of the training label whose value equals the value of `text`, or -1 (`text`
  /// is not a number, or no single training label has its value).
  std::int32_t find(std::string_view text) const;

  /// Whether no training label reads as a number (find() then always answers -1).
  bool empty() const { return by_value_.empty(); }

 private:
  std::unordered_map<std::uint64_t, std::int32_t> by_value_;  // double's bits -> position or -1
};

}  // namespace churn::common
