#pragma once
/// @file model_json.hpp
/// JSON pieces that the tree models (GBDTClassifier, RandomForestClassifier) share in their
/// saved state (private to churnlib): the per-feature binning and the checks of loaded trees.

#include <cstdint>      // std::uint8_t
#include <string>       // std::string
#include <string_view>  // std::string_view
#include <vector>       // std::vector

#include "churn/core/json.hpp"
#include "churn/tree/gbdt.hpp"  // FeatureBinInfo
#include "churn/tree/tree.hpp"

namespace churn::tree::detail {

/// The features' binning as a JSON array (one object per feature).
Json bin_info_to_json(const std::vector<FeatureBinInfo>& info);

/// The state's `bin_info`: one entry per feature (`is_cat.size()`), each categorical exactly
/// when `is_cat` says so. @throws SerializationError naming what is wrong.
std::vector<FeatureBinInfo> bin_info_from_json(const Json& state,
                                               const std::vector<std::uint8_t>& is_cat,
                                               const char* where);

/// A categorical split reads its value as an integer code: only categorical columns (whose
/// codes predict() checks) may carry one. @throws SerializationError otherwise.
void check_categorical_splits(const Tree& t, const std::vector<std::uint8_t>& is_cat,
                              const char* where);

/// What is wrong with `names` (a model's category_names) for its trees, or "" when nothing
/// is: each categorical feature with labels needs distinct labels, at least one per code its
/// binning knows and per code its trees' categorical splits send left (a label k is code k; a
/// shorter list would silently send those codes the missing way). Numerical features may carry
/// labels (a category column used as its codes); they are not checked.
std::string category_names_problem(const std::vector<std::vector<std::string>>& names,
                                   const std::vector<Tree>& trees,
                                   const std::vector<FeatureBinInfo>& bins,
                                   const std::vector<std::uint8_t>& is_cat);

/// Per feature of `p`, 1 when `categorical_features` lists it.
/// @throws SerializationError for an index out of range.
std::vector<std::uint8_t> categorical_flags(const std::vector<int>& categorical_features, Index p,
                                            const char* where);

/// Rejects a member of `state` that `members` does not list (a newer churnlib's file, or a
/// damaged one). @throws SerializationError naming it.
void check_state_members(const Json& state, std::initializer_list<const char*> members,
                         const char* where);

}  // namespace churn::tree::detail
