#pragma once
// Private to src/monitor: PSI and Jensen-Shannon distance of two count vectors (divergence.cpp),
// shared by the histograms (psi.cpp) and the baselines (baseline.cpp).

#include <cstdint>  // std::int64_t
#include <vector>   // std::vector

namespace churn::monitor::detail {

/// PSI / JS over count vectors (validated by the caller).
double psi_counts(const std::vector<std::int64_t>& r, const std::vector<std::int64_t>& c,
                  double epsilon);
double js_counts(const std::vector<std::int64_t>& r, const std::vector<std::int64_t>& c);

}  // namespace churn::monitor::detail
