#pragma once
/// @file histogram.hpp
/// Gradient/hessian histograms of the histogram GBDT (private to churnlib).
///
/// Gradients and hessians are accumulated as fixed-point integers (`value * scale`, rounded,
/// with `scale` a power of two chosen per boosting round so that no sum can overflow). Integer
/// sums are exact and associative: a histogram does not depend on the order rows are visited in
/// or on the thread count, and the subtraction trick (sibling = parent - child) is exact.

#include <cstdint>  // std::int64_t, std::int32_t

#include "churn/core/types.hpp"

namespace churn::detail {

/// One histogram bin: fixed-point sums of gradients and hessians, and the row count.
struct HistBin {
  std::int64_t g = 0;
  std::int64_t h = 0;
  std::int64_t c = 0;
};

/// Adds rows to the histogram `out` of one feature (bins `0 .. n_bins-1`, zeroed by the caller).
/// `col` is the feature's bin column over all rows; `rows` lists the rows (or is null for rows
/// `0 .. m-1`); `g` and `h` are the fixed-point gradients in the order of `rows` (entry `i` for
/// row `rows[i]`).
template <class BinT>
void build_histogram(const BinT* col, const std::int32_t* rows, Index m, const std::int64_t* g,
                     const std::int64_t* h, HistBin* out);

/// `parent -= child` over `n` bins.
void subtract_histogram(HistBin* parent, const HistBin* child, Index n);

extern template void build_histogram<std::uint8_t>(const std::uint8_t*, const std::int32_t*,
                                                   Index, const std::int64_t*,
                                                   const std::int64_t*, HistBin*);
extern template void build_histogram<std::uint16_t>(const std::uint16_t*, const std::int32_t*,
                                                    Index, const std::int64_t*,
                                                    const std::int64_t*, HistBin*);

}  // namespace churn::detail
