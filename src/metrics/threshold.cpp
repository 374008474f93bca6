// Threshold tuning: best F1 and best expected profit (see threshold.hpp).
#include "churn/metrics/threshold.hpp"

#include <limits>  // std::numeric_limits

#include "common/float_key.hpp"
#include "metrics/ranking.hpp"

namespace churn::metrics {

void ProfitParams::validate() const {
  CHURN_CHECK(std::isfinite(value_retained) && value_retained >= 0, InvalidArgument,
              "ProfitParams: value_retained must be finite and >= 0, got " << value_retained);
  CHURN_CHECK(std::isfinite(offer_cost) && offer_cost >= 0, InvalidArgument,
              "ProfitParams: offer_cost must be finite and >= 0, got " << offer_cost);
  CHURN_CHECK(success_rate >= 0 && success_rate <= 1, InvalidArgument,
              "ProfitParams: success_rate must be in [0, 1], got " << success_rate);
}

ThresholdChoice best_f1_threshold(const VectorRef& y, const VectorRef& score,
                                  const VectorRef& sample_weight, int n_threads) {
  const char* caller = "best_f1_threshold()";
  detail::check_inputs(caller, y, score, sample_weight, false, n_threads);
  const auto s = detail::sort_by_class(y, score, sample_weight, n_threads);
  CHURN_CHECK(s.total_pos > 0, InvalidArgument,
              caller << ": y holds no positive (label 1), F1 is 0 at every threshold");
  ThresholdChoice best;
  best.value = -1;
  double tp = 0;
  double fp = 0;
  detail::for_each_threshold_desc(s, [&](std::uint64_t key, double dtp, double dfp) {
    tp += dtp;
    fp += dfp;
    const double den = 2 * tp + fp + (s.total_pos - tp);
    const double f = den != 0 ? 2 * tp / den : 0.0;
    if (f > best.value) best = {common::from_ordered_key(key), f, tp + fp};
  });
  return best;
}

ThresholdChoice best_profit_threshold(const VectorRef& y, const VectorRef& score,
                                      const ProfitParams& params, const VectorRef& sample_weight,
                                      int n_threads) {
  params.validate();
  detail::check_inputs("best_profit_threshold()", y, score, sample_weight, false, n_threads);
  const auto s = detail::sort_by_class(y, score, sample_weight, n_threads);
  ThresholdChoice best{std::numeric_limits<double>::infinity(), 0.0, 0.0};
  const double gain = params.success_rate * params.value_retained;
  double tp = 0;
  double fp = 0;
  detail::for_each_threshold_desc(s, [&](std::uint64_t key, double dtp, double dfp) {
    tp += dtp;
    fp += dfp;
    const double profit = gain * tp - params.offer_cost * (tp + fp);
    if (profit > best.value) best = {common::from_ordered_key(key), profit, tp + fp};
  });
  return best;
}

}  // namespace churn::metrics
