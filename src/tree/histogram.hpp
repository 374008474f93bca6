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

namespace churn::tree::detail {

/// One histogram bin: the fixed-point gradient sum `g`, and in `hc` the fixed-point hessian sum
/// shifted left by `count_bits` plus the row count in the low `count_bits` bits. Each row adds
/// `(h << count_bits) | 1`; sums and differences of such values keep both parts exact as long
/// as the count stays below `2^count_bits` (the bag size bounds it) and the hessian sum below
/// `2^(62 - count_bits)` (the per-round scale ensures it). 16 bytes: one store per update.
struct HistBin {
  std::int64_t g = 0;
  std::int64_t hc = 0;
};

/// Gradient and hessian of one row, in the order of a leaf's rows.
struct GradPair {
  std::int64_t g;
  std::int64_t hc;  ///< `(h << count_bits) | 1`
};

/// Adds rows to a histogram of every feature (`out`, zeroed by the caller). `bins` is the
/// row-major matrix of global bins (histogram indices) with `n_features` columns; the rows
/// are `rows[0 .. m)`; `gh[i]` holds the gradient pair of row `rows[i]`.
template <class BinT>
void build_histogram(const BinT* bins, Index n_features, const std::int32_t* rows, Index m,
                     const GradPair* gh, HistBin* out);
/// build_histogram() of the features `f_lo .. f_hi` only (a group of a shared histogram).
template <class BinT>
void build_histogram(const BinT* bins, Index n_features, Index f_lo, Index f_hi,
                     const std::int32_t* rows, Index m, const GradPair* gh, HistBin* out);

/// Adds rows to the histogram of one feature: `col` is the feature's column of local bins (one
/// per training row), `out` its histogram (`out[b]` for local bin b; not zeroed here); the rows
/// are `rows[0 .. m)` and `gh[i]` holds the gradient pair of row `rows[i]`.
template <class ColT>
void build_column_histogram(const ColT* col, const std::int32_t* rows, Index m, const GradPair* gh,
                            HistBin* out);

/// `parent -= child` over `n` bins.
void subtract_histogram(HistBin* parent, const HistBin* child, Index n);
/// `acc += other` over `n` bins.
void add_histogram(HistBin* acc, const HistBin* other, Index n);

extern template void build_column_histogram<std::uint8_t>(const std::uint8_t*, const std::int32_t*,
                                                          Index, const GradPair*, HistBin*);
extern template void build_column_histogram<std::uint16_t>(const std::uint16_t*,
                                                           const std::int32_t*, Index,
                                                           const GradPair*, HistBin*);
extern template void build_histogram<std::uint16_t>(const std::uint16_t*, Index,
                                                    const std::int32_t*, Index, const GradPair*,
                                                    HistBin*);
extern template void build_histogram<std::uint16_t>(const std::uint16_t*, Index, Index, Index,
                                                    const std::int32_t*, Index, const GradPair*,
                                                    HistBin*);
extern template void build_histogram<std::uint32_t>(const std::uint32_t*, Index, Index, Index,
                                                    const std::int32_t*, Index, const GradPair*,
                                                    HistBin*);
extern template void build_histogram<std::uint32_t>(const std::uint32_t*, Index,
                                                    const std::int32_t*, Index, const GradPair*,
                                                    HistBin*);

}  // namespace churn::tree::detail
