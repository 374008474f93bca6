#include "common/quantile.hpp"

#include <algorithm>  // std::nth_element
#include <limits>     // std::numeric_limits

namespace churn::common {

double quantile_sorted(const double* sorted, std::size_t n, double q) noexcept {
  if (n == 0) return std::numeric_limits<double>::quiet_NaN();
  std::size_t lo = 0, hi = 0;
  linear_quantile_ranks(q, n, lo, hi);
  return linear_quantile_lerp(q, n, sorted[lo], sorted[hi]);
}

std::vector<double> quantiles_sorted(const std::vector<double>& sorted,
                                     const std::vector<double>& levels) {
  std::vector<double> out;
  out.reserve(levels.size());
  for (double q : levels) out.push_back(quantile_sorted(sorted, q));
  return out;
}

std::vector<double> linspace01(std::size_t k) {
  // np.linspace: step = (stop - start) / div, y = arange(num) * step + start, y[-1] = stop
  std::vector<double> q(k + 1);
  const double step = 1.0 / static_cast<double>(k);
  for (std::size_t i = 0; i <= k; ++i) q[i] = static_cast<double>(i) * step;
  q.back() = 1.0;
  return q;
}

namespace {

/// multi_select over the ranks in [r_first, r_last), which lie in [offset, offset + (last -
/// first)).
void select_from(double* first, double* last, const std::size_t* r_first, const std::size_t* r_last,
                 std::size_t offset) {
  while (r_first != r_last) {
    const std::size_t* mid = r_first + (r_last - r_first) / 2;
    double* nth = first + (*mid - offset);
    std::nth_element(first, nth, last);
    select_from(first, nth, r_first, mid, offset);
    r_first = mid + 1;
    offset = *mid + 1;
    first = nth + 1;
  }
}

}  // namespace

void multi_select(double* first, double* last, const std::size_t* ranks_first,
                  const std::size_t* ranks_last) {
  select_from(first, last, ranks_first, ranks_last, 0);
}

}  // namespace churn::common
