#pragma once
/// @file value_kernel.hpp
/// The per-customer money kernel shared by value.cpp and kpi.cpp (never installed): the
/// formulas of churn/retention/value.hpp for one row, and the input checks that name the first
/// bad row.

#include <limits>  // std::numeric_limits

#include "churn/core/types.hpp"
#include "churn/retention/value.hpp"

namespace churn::retention::detail {

/// Rows per block of the retention passes: the block bounds, not the thread count, fix the
/// order in which partial sums combine.
inline constexpr Index kRowBlock = Index{1} << 14;

/// ValueParams turned into the constants of the per-row formulas.
struct ValueKernel {
  double horizon = 12;
  double margin = 1;
  double one_plus_d = 1;
  int periods = 12;  ///< H as an integer (its bits drive clv_factor)
  int top_bit = 3;   ///< the highest set bit of H (-1 for H = 0)

  explicit ValueKernel(const ValueParams& p)
      : horizon(static_cast<double>(p.horizon)),
        margin(p.margin),
        one_plus_d(1.0 + p.discount_rate),
        periods(p.horizon) {
    top_bit = -1;
    for (int b = 0; b < 31; ++b)
      if ((periods >> b) & 1) top_bit = b;
  }

  /// sum_{t=0}^{H-1} q^t, q = (1 - p) / (1 + d), by doubling over the bits of H (most
  /// significant first): with S(k) = sum_{t<k} q^t, S(2k) = S(k) (1 + q^k) and
  /// S(k + 1) = 1 + q S(k). Every term is >= 0 (q in [0, 1]), so nothing cancels near q = 1,
  /// and the sum costs about 2 log2(H) multiplications (no log or exp per customer).
  double clv_factor(double p) const {
    const double q = (1.0 - p) / one_plus_d;
    double s = 0.0, qk = 1.0;  // S(k) and q^k, k = 0
    for (int b = top_bit; b >= 0; --b) {
      s *= 1.0 + qk;  // k -> 2k
      qk *= qk;
      if ((periods >> b) & 1) {  // k -> k + 1
        s = 1.0 + q * s;
        qk *= q;
      }
    }
    return s;
  }

  /// Whether a row's inputs are valid: p in [0, 1], r finite and >= 0 (NaN fails both).
  static bool valid(double p, double r) {
    return p >= 0.0 && p <= 1.0 && r >= 0.0 && r <= std::numeric_limits<double>::max();
  }
};

/// Throws InvalidArgument naming `caller`, the argument and the first bad row of
/// `probability` (NaN or outside [0, 1]), else of `revenue` (NaN, infinite or negative); call
/// it when a pass found a row that fails ValueKernel::valid.
[[noreturn]] void throw_bad_value_input(const VectorRef& probability, const VectorRef& revenue,
                                        const char* caller, const char* probability_name,
                                        int n_threads);

/// Revenue at risk, CLV and expected loss of each customer in one parallel pass (the figures
/// whose `want_*` flag is false are left empty); `caller` names the errors.
/// @throws InvalidArgument as customer_value().
CustomerValue compute_customer_value(const VectorRef& probability, const VectorRef& revenue,
                                     const ValueParams& params, int n_threads, const char* caller,
                                     bool want_at_risk = true, bool want_clv = true,
                                     bool want_loss = true);

/// Checks that `what` has `n` values. @throws InvalidArgument naming caller and `what`.
void check_length(Index len, Index n, const char* caller, const char* what);

}  // namespace churn::retention::detail
