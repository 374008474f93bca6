#pragma once
// Private helpers of src/metrics: input checks and the per-class sorted scores every ranking
// metric and curve walks (keys from common/float_key.hpp, sorted by common/radix_sort.hpp).

#include <algorithm>    // std::max
#include <cmath>        // std::isfinite
#include <cstdint>      // std::uint64_t
#include <type_traits>  // std::is_same_v
#include <vector>       // std::vector

#include "churn/core/error.hpp"
#include "churn/core/parallel.hpp"
#include "churn/core/types.hpp"

namespace churn::metrics::detail {

/// Block size of the metrics' parallel loops and reductions.
inline constexpr Index kBlock = Index{1} << 16;

/// Checks `y` (0/1 labels), `score` (finite; in [0, 1] with `unit_interval`) and `w` (empty or
/// finite, >= 0, positive total) for the function `caller`.
/// @throws InvalidArgument naming the caller, the argument, the row and the value.
void check_inputs(const char* caller, const VectorRef& y, const VectorRef& score,
                  const VectorRef& w, bool unit_interval, int n_threads);

/// Checks that `threshold` lies in [0, 1].
void check_threshold(const char* caller, double threshold);

/// A score key with its row weight.
struct KeyWeight {
  std::uint64_t key;
  double w;
};

/// The scores of the positives and of the negatives, each sorted ascending by key.
/// Unweighted inputs fill `pos`/`neg`; weighted ones `pos_w`/`neg_w`.
struct SortedScores {
  bool weighted = false;
  std::vector<std::uint64_t> pos, neg;
  std::vector<KeyWeight> pos_w, neg_w;
  double total_pos = 0;  ///< number (weight) of positives
  double total_neg = 0;  ///< number (weight) of negatives
};

/// Splits by class and sorts (the two classes in parallel). Inputs must be checked.
SortedScores sort_by_class(const VectorRef& y, const VectorRef& score, const VectorRef& w,
                           int n_threads);

namespace walk {
template <class T>
std::uint64_t key_of(const T& e) {
  if constexpr (std::is_same_v<T, KeyWeight>) {
    return e.key;
  } else {
    return e;
  }
}
template <class T>
double weight_of(const T& e) {
  if constexpr (std::is_same_v<T, KeyWeight>) {
    return e.w;
  } else {
    return 1.0;
  }
}
template <class T, class F>
void desc(const std::vector<T>& pos, const std::vector<T>& neg, F& f) {
  std::size_t i = pos.size();
  std::size_t j = neg.size();
  while (i > 0 || j > 0) {
    std::uint64_t k = 0;
    if (i > 0 && j > 0) {
      k = std::max(key_of(pos[i - 1]), key_of(neg[j - 1]));
    } else if (i > 0) {
      k = key_of(pos[i - 1]);
    } else {
      k = key_of(neg[j - 1]);
    }
    double dtp = 0;
    double dfp = 0;
    while (i > 0 && key_of(pos[i - 1]) == k) dtp += weight_of(pos[--i]);
    while (j > 0 && key_of(neg[j - 1]) == k) dfp += weight_of(neg[--j]);
    // A score held only by zero-weight rows is no threshold (scikit-learn drops such rows).
    if (dtp == 0 && dfp == 0) continue;
    f(k, dtp, dfp);
  }
}
}  // namespace walk

/// Calls `f(key, dtp, dfp)` for each distinct score from the highest to the lowest, with the
/// number (weight) of positives and negatives having exactly that score; scores held only by
/// zero-weight rows are skipped.
template <class F>
void for_each_threshold_desc(const SortedScores& s, F&& f) {
  if (s.weighted) {
    walk::desc(s.pos_w, s.neg_w, f);
  } else {
    walk::desc(s.pos, s.neg, f);
  }
}

/// Row indices ordered by descending score, ties in row order (stable).
std::vector<Index> order_desc(const VectorRef& score);

}  // namespace churn::metrics::detail
