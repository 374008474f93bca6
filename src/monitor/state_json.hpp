#pragma once
// Private to src/monitor: the JSON forms of a baseline file's parts (state_json.cpp): exact
// sums, count lists, and the names of the monitor's enums.

#include <cstdint>  // std::int64_t
#include <string>   // std::string
#include <vector>   // std::vector

#include "churn/core/json.hpp"
#include "churn/monitor/psi.hpp"     // Binning
#include "churn/monitor/report.hpp"  // FeatureKind
#include "common/enum_names.hpp"     // EnumName
#include "common/exact_sum.hpp"

namespace churn::monitor::detail {

/// The canonical state of `s` as JSON (part of baseline files):
/// {"limbs": [[index, high64, low64], ...], "pos_inf", "neg_inf"}, only the non-zero limbs.
Json exact_sum_to_json(const common::ExactSum& s);
/// Inverse of exact_sum_to_json. @throws SerializationError naming `where`.
common::ExactSum exact_sum_from_json(const Json& j, const std::string& where);

/// A required list of int64 counts >= 0. @throws SerializationError naming `where` and `key`.
std::vector<std::int64_t> json_to_counts(const Json& obj, const char* key,
                                         const std::string& where);

/// The binning names ("uniform" is numpy's and scikit-learn's word for equal width).
inline constexpr common::EnumName<Binning> kBinningNames[] = {{Binning::Quantile, "quantile"},
                                                              {Binning::EqualWidth, "equal_width"},
                                                              {Binning::EqualWidth, "uniform"}};

/// The feature kinds, as a baseline file writes them.
inline constexpr common::EnumName<FeatureKind> kFeatureKindNames[] = {
    {FeatureKind::Numeric, "numeric"}, {FeatureKind::Categorical, "categorical"}};

}  // namespace churn::monitor::detail
