#pragma once
// Private to src/features: the names of the settings enums of the pipeline steps, as written to
// JSON and accepted by the public *_from_name functions (see common/enum_names.hpp).

#include "churn/features/transformers.hpp"  // ImputeStrategy, UnknownCategory, BinStrategy, ...
#include "common/enum_names.hpp"            // EnumName

namespace churn::features::detail {

/// impute: the strategy names of sklearn.impute.SimpleImputer.
inline constexpr common::EnumName<ImputeStrategy> kImputeStrategyNames[] = {
    {ImputeStrategy::Median, "median"},
    {ImputeStrategy::Mean, "mean"},
    {ImputeStrategy::Constant, "constant"},
    {ImputeStrategy::MostFrequent, "most_frequent"}};

/// combine: the operator of `output = a <op> b`.
inline constexpr common::EnumName<CombineOp> kCombineOpNames[] = {{CombineOp::Add, "add"},
                                                                  {CombineOp::Subtract, "subtract"},
                                                                  {CombineOp::Multiply, "multiply"},
                                                                  {CombineOp::Divide, "divide"}};

/// one_hot / ordinal: what to do with a category unseen in fit.
inline constexpr common::EnumName<UnknownCategory> kUnknownCategoryNames[] = {
    {UnknownCategory::Ignore, "ignore"},
    {UnknownCategory::Other, "other"},
    {UnknownCategory::Error, "error"}};

/// bin: where the edges come from.
inline constexpr common::EnumName<BinStrategy> kBinStrategyNames[] = {
    {BinStrategy::Quantile, "quantile"}, {BinStrategy::Fixed, "fixed"}};

/// bin: what the binned column holds.
inline constexpr common::EnumName<BinOutput> kBinOutputNames[] = {
    {BinOutput::Index, "index"}, {BinOutput::Categorical, "categorical"}};

}  // namespace churn::features::detail
