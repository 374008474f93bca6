// The QuickScorer scan kernel compiled for AVX2 (used only when the CPU has it; see
// quick_scorer_impl.hpp).
#include "tree/quick_scorer.hpp"

#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
// The kernel's 32-byte vectors only pass between helpers inlined into this file.
#pragma GCC diagnostic ignored "-Wpsabi"
// clang ignores GCC's target pragmas: the same target as an attribute of every function
#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx2")
#endif
namespace churn::tree::detail {
#include "tree/quick_scorer_impl.hpp"

void qs_scan_avx2(const QsLists& lists, const std::int64_t* keys, std::int64_t* bits) {
  scan_lists(lists, keys, bits);
}
void qs_and_rows_avx2(const std::int64_t* const* rows, int n_rows, Index n, std::int64_t* out) {
  and_rows(rows, n_rows, n, out);
}
}  // namespace churn::tree::detail
#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif
#else
namespace churn::tree::detail {
void qs_scan_avx2(const QsLists& lists, const std::int64_t* keys, std::int64_t* bits) {
  qs_scan_generic(lists, keys, bits);
}
void qs_and_rows_avx2(const std::int64_t* const* rows, int n_rows, Index n, std::int64_t* out) {
  qs_and_rows_generic(rows, n_rows, n, out);
}
}  // namespace churn::tree::detail
#endif
