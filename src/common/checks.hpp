#pragma once
/// @file checks.hpp
/// Input checks every estimator and metric runs on its arguments (never installed): binary
/// labels, sample weights, finite values and lists of names. Each throws InvalidArgument (unless
/// told otherwise) with a message naming the caller, the argument, and the first offending row
/// and value. The scans run in parallel over fixed blocks and report the first bad row in row
/// order, whatever the thread count.

#include <string>       // std::string
#include <string_view>  // std::string_view
#include <vector>       // std::vector

#include "churn/core/error.hpp"     // InvalidArgument, CHURN_CHECK
#include "churn/core/parallel.hpp"  // parallel_reduce
#include "churn/core/types.hpp"     // Index, VectorRef, RowMatrixRef

namespace churn::common {

/// "column 3", or "column 3 ('tenure')" when `names` has an entry for column j.
std::string column_label(Index j, const std::vector<std::string>& names);

/// Checks that `y` holds only the labels 0 and 1 (and NaN, "unknown", with `allow_nan`) and
/// returns the number of ones. `y` may be empty (the caller checks lengths).
/// @throws InvalidArgument "<caller>: y[4] = 2, but labels must be 0 or 1 (...)", or with
///         `allow_nan` "<caller>: churned must be 0, 1 or NaN, got 2 at row 4".
Index check_binary_labels(const VectorRef& y, std::string_view caller, std::string_view what = "y",
                          bool allow_nan = false, int n_threads = 1);

/// Checks sample weights: `w.size() == n`, every weight finite and >= 0 (scikit-learn rejects
/// inf and NaN weights too), and a total that is finite and > 0: all-zero weights (scikit-learn's
/// LogisticRegression: "Sample weights must contain at least one non-zero number") and weights
/// whose sum overflows to inf define no weighted average. Returns the total, summed in fixed
/// blocks (the same for any thread count).
/// @throws InvalidArgument naming `caller`, `what` and the first bad row and value, or the total.
double check_sample_weight(const VectorRef& w, Index n, std::string_view caller,
                           std::string_view what = "sample_weight", int n_threads = 1);

namespace detail {

/// Rows per block of the vector scans (the block boundaries, not the thread count, fix the
/// order in which partial results combine).
inline constexpr Index kVectorBlock = Index{1} << 16;

/// The first i in [0, n) with `bad(i)`, or -1 (blocks in parallel, the first block wins).
template <class Bad>
Index first_bad_row(Index n, int n_threads, const Bad& bad) {
  return parallel_reduce(
      Index{0}, n, kVectorBlock, Index{-1},
      [&](Index lo, Index hi) {
        for (Index i = lo; i < hi; ++i)
          if (bad(i)) return i;
        return Index{-1};
      },
      [](Index a, Index b) { return a >= 0 ? a : b; }, n_threads);
}

}  // namespace detail

/// Checks `ok(x[i])` for every i.
/// @throws InvalidArgument "<caller>: <what> must <rule>, got <x[i]> at row <i>" for the first
///         i where it fails, e.g. rule = "hold probabilities in [0, 1]".
template <class Ok>
void check_each(const VectorRef& x, std::string_view caller, std::string_view what,
                std::string_view rule, const Ok& ok, int n_threads = 1) {
  const Index bad = detail::first_bad_row(x.size(), n_threads, [&](Index i) { return !ok(x[i]); });
  CHURN_CHECK(
      bad < 0, InvalidArgument,
      caller << ": " << what << " must " << rule << ", got " << x[bad] << " at row " << bad);
}

/// Checks that every value of `x` is finite (or NaN, with `allow_nan`).
/// @throws InvalidArgument "<caller>: <what> must be finite[ or NaN], got inf at row 4".
void check_finite_vector(const VectorRef& x, std::string_view caller, std::string_view what,
                         bool allow_nan = false, int n_threads = 1);

/// Checks that every value of the matrix X is finite (scikit-learn's `check_array`: no NaN, no
/// inf). A finite block sum proves a block finite in one vectorised pass; only a failing block is
/// searched, column by column, so the message names the first bad column (with its name from
/// `names`, if any) and its first bad row.
/// @throws InvalidArgument "<caller>: X column 2 ('tenure') contains NaN (first at row 7); ...".
void check_finite_matrix(const RowMatrixRef& X, const std::vector<std::string>& names,
                         std::string_view caller, int n_threads);

/// The first element of `names` equal to an earlier one, or nullptr when all are distinct.
const std::string* first_repeat(const std::vector<std::string>& names);

/// Checks that `names` (categories, labels) are distinct; empty strings are allowed.
/// @throws Error (InvalidArgument by default) "<caller>: <what> must be distinct, 'a' appears
///         twice".
template <class Error = InvalidArgument>
void check_distinct(const std::vector<std::string>& names, std::string_view caller,
                    std::string_view what) {
  const std::string* rep = first_repeat(names);
  CHURN_CHECK(rep == nullptr, Error,
              caller << ": " << what << " must be distinct, '" << *rep << "' appears twice");
}

/// Checks a list of column (or event, feature) names: not empty unless `allow_empty_list`, no
/// empty name, no name twice.
/// @throws Error (InvalidArgument by default) "<caller>: <what> must not be empty", "... must
///         not hold an empty name" or "... must be distinct, 'a' appears twice".
template <class Error = InvalidArgument>
void check_names(const std::vector<std::string>& names, std::string_view caller,
                 std::string_view what, bool allow_empty_list = false) {
  CHURN_CHECK(allow_empty_list || !names.empty(), Error,
              caller << ": " << what << " must not be empty");
  for (const auto& s : names)
    CHURN_CHECK(!s.empty(), Error, caller << ": " << what << " must not hold an empty name");
  check_distinct<Error>(names, caller, what);
}

}  // namespace churn::common
