#include "common/radix_sort.hpp"

namespace churn::common {

void sort_doubles(std::vector<double>& v, std::size_t small_n) {
  if (v.size() < small_n) {
    std::sort(v.begin(), v.end());
    return;
  }
  // the values themselves, keyed on the fly (no key array): 8-bit digits were the fastest for
  // the monitor's samples of up to 2^15 values
  std::vector<double> scratch;
  radix_sort<8>(
      v, scratch, [](double x) { return ordered_key(x); }, 0);
}

}  // namespace churn::common
