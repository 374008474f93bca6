// ROC and precision-recall curves, lift table, calibration curve (see curves.hpp).
#include "churn/metrics/curves.hpp"

#include <algorithm>  // std::sort, std::lower_bound
#include <limits>     // std::numeric_limits
#include <string>     // std::string
#include <vector>     // std::vector

#include "common/enum_names.hpp"
#include "common/float_key.hpp"
#include "common/quantile.hpp"
#include "metrics/ranking.hpp"

namespace churn::metrics {

namespace {

/// Cumulative positives/negatives at each distinct threshold, by decreasing threshold
/// (scikit-learn's confusion_matrix_at_thresholds).
struct Cumulative {
  std::vector<double> tps, fps, thresholds;
};

Cumulative cumulative(const detail::SortedScores& s) {
  Cumulative c;
  double tp = 0;
  double fp = 0;
  detail::for_each_threshold_desc(s, [&](std::uint64_t key, double dtp, double dfp) {
    tp += dtp;
    fp += dfp;
    c.tps.push_back(tp);
    c.fps.push_back(fp);
    c.thresholds.push_back(common::from_ordered_key(key));
  });
  return c;
}

void keep(Cumulative& c, const std::vector<bool>& kept) {
  std::size_t o = 0;
  for (std::size_t i = 0; i < kept.size(); ++i) {
    if (!kept[i]) continue;
    c.tps[o] = c.tps[i];
    c.fps[o] = c.fps[i];
    c.thresholds[o] = c.thresholds[i];
    ++o;
  }
  c.tps.resize(o);
  c.fps.resize(o);
  c.thresholds.resize(o);
}

}  // namespace

RocCurve roc_curve(const VectorRef& y, const VectorRef& score, const VectorRef& sample_weight,
                   bool drop_intermediate, int n_threads) {
  const char* caller = "roc_curve()";
  detail::check_inputs(caller, y, score, sample_weight, false, n_threads);
  const auto s = detail::sort_by_class(y, score, sample_weight, n_threads);
  CHURN_CHECK(s.total_pos > 0 && s.total_neg > 0, InvalidArgument,
              caller << ": y holds only one class, the ROC curve is undefined");
  Cumulative c = cumulative(s);
  const std::size_t m = c.tps.size();
  if (drop_intermediate && m > 2) {
    // Keep the ends and every point where the second difference of fps or tps is non-zero.
    std::vector<bool> kept(m, true);
    for (std::size_t i = 1; i + 1 < m; ++i) {
      const double d2f = (c.fps[i + 1] - c.fps[i]) - (c.fps[i] - c.fps[i - 1]);
      const double d2t = (c.tps[i + 1] - c.tps[i]) - (c.tps[i] - c.tps[i - 1]);
      kept[i] = d2f != 0.0 || d2t != 0.0;
    }
    keep(c, kept);
  }
  const auto k = static_cast<Index>(c.tps.size());
  RocCurve r;
  r.fpr.resize(k + 1);
  r.tpr.resize(k + 1);
  r.thresholds.resize(k + 1);
  r.fpr[0] = 0;
  r.tpr[0] = 0;
  r.thresholds[0] = std::numeric_limits<double>::infinity();
  const double fp_total = c.fps.back();
  const double tp_total = c.tps.back();
  for (Index i = 0; i < k; ++i) {
    r.fpr[i + 1] = c.fps[static_cast<std::size_t>(i)] / fp_total;
    r.tpr[i + 1] = c.tps[static_cast<std::size_t>(i)] / tp_total;
    r.thresholds[i + 1] = c.thresholds[static_cast<std::size_t>(i)];
  }
  return r;
}

PrecisionRecallCurve precision_recall_curve(const VectorRef& y, const VectorRef& score,
                                            const VectorRef& sample_weight, bool drop_intermediate,
                                            int n_threads) {
  const char* caller = "precision_recall_curve()";
  detail::check_inputs(caller, y, score, sample_weight, false, n_threads);
  const auto s = detail::sort_by_class(y, score, sample_weight, n_threads);
  CHURN_CHECK(s.total_pos > 0, InvalidArgument,
              caller << ": y holds no positive (label 1), recall is undefined");
  Cumulative c = cumulative(s);
  const std::size_t m = c.tps.size();
  if (drop_intermediate && m > 2) {
    // Keep the ends and the first and last point of each run of equal tps.
    std::vector<bool> kept(m, true);
    for (std::size_t i = 1; i + 1 < m; ++i) {
      kept[i] = c.tps[i] != c.tps[i - 1] || c.tps[i + 1] != c.tps[i];
    }
    keep(c, kept);
  }
  const auto k = static_cast<Index>(c.tps.size());
  PrecisionRecallCurve r;
  r.precision.resize(k + 1);
  r.recall.resize(k + 1);
  r.thresholds.resize(k);
  const double tp_total = c.tps.back();
  for (Index i = 0; i < k; ++i) {
    const auto src = static_cast<std::size_t>(k - 1 - i);  // reversed: increasing threshold
    const double ps = c.tps[src] + c.fps[src];
    r.precision[i] = ps != 0 ? c.tps[src] / ps : 0.0;
    r.recall[i] = c.tps[src] / tp_total;
    r.thresholds[i] = c.thresholds[src];
  }
  r.precision[k] = 1.0;
  r.recall[k] = 0.0;
  return r;
}

LiftTable lift_table(const VectorRef& y, const VectorRef& score, Index n_bins) {
  const char* caller = "lift_table()";
  detail::check_inputs(caller, y, score, Vector(), false, 0);
  const Index n = y.size();
  CHURN_CHECK(n_bins >= 1 && n_bins <= n, InvalidArgument,
              caller << ": n_bins must be in [1, number of rows = " << n << "], got " << n_bins);
  const double total_churners = y.sum();
  CHURN_CHECK(total_churners > 0, InvalidArgument,
              caller << ": y holds no churner (label 1), lift is undefined");
  const double overall_rate = total_churners / static_cast<double>(n);
  const std::vector<Index> order = detail::order_desc(score);
  LiftTable t;
  t.customers.resize(n_bins);
  for (Vector* v :
       {&t.churners, &t.churn_rate, &t.lift, &t.cumulative_customers, &t.cumulative_churners,
        &t.cumulative_gain, &t.cumulative_lift, &t.min_score, &t.max_score}) {
    v->resize(n_bins);
  }
  double cum_customers = 0;
  double cum_churners = 0;
  for (Index b = 0; b < n_bins; ++b) {
    // floor(b n / n_bins) without overflow for any realistic n (n * n_bins < 2^63).
    const Index lo = b * n / n_bins;
    const Index hi = (b + 1) * n / n_bins;
    double churners = 0;
    for (Index r = lo; r < hi; ++r) churners += y[order[static_cast<std::size_t>(r)]];
    const Index customers = hi - lo;
    cum_customers += static_cast<double>(customers);
    cum_churners += churners;
    t.customers[b] = customers;
    t.churners[b] = churners;
    t.churn_rate[b] = churners / static_cast<double>(customers);
    t.lift[b] = t.churn_rate[b] / overall_rate;
    t.cumulative_customers[b] = cum_customers;
    t.cumulative_churners[b] = cum_churners;
    t.cumulative_gain[b] = cum_churners / total_churners;
    t.cumulative_lift[b] = (cum_churners / cum_customers) / overall_rate;
    t.max_score[b] = score[order[static_cast<std::size_t>(lo)]];
    t.min_score[b] = score[order[static_cast<std::size_t>(hi - 1)]];
  }
  return t;
}

BinStrategy bin_strategy_from_name(std::string_view name) {
  // the strategy names of sklearn.calibration.calibration_curve
  static constexpr common::EnumName<BinStrategy> kNames[] = {{BinStrategy::Uniform, "uniform"},
                                                             {BinStrategy::Quantile, "quantile"}};
  return common::enum_from_name(kNames, name, "calibration_curve()", "strategy");
}

namespace {

/// numpy.percentile(sorted, q * 100) with the default "linear" method, bit for bit.
double percentile_linear(const std::vector<double>& sorted, double q01) {
  return common::quantile_sorted(sorted, (q01 * 100.0) / 100.0);
}

}  // namespace

CalibrationCurve calibration_curve(const VectorRef& y, const VectorRef& p, Index n_bins,
                                   BinStrategy strategy) {
  const char* caller = "calibration_curve()";
  detail::check_inputs(caller, y, p, Vector(), true, 0);
  CHURN_CHECK(n_bins >= 1 && n_bins <= kMaxCalibrationBins, InvalidArgument,
              caller << ": n_bins must be in [1, " << kMaxCalibrationBins << "], got " << n_bins);
  const Index n = y.size();
  std::vector<double> edges = common::linspace01(static_cast<std::size_t>(n_bins));
  if (strategy == BinStrategy::Quantile) {
    std::vector<double> sorted(p.data(), p.data() + n);
    std::sort(sorted.begin(), sorted.end());
    for (auto& e : edges) e = percentile_linear(sorted, e);
  }
  const auto nb = static_cast<std::size_t>(n_bins);
  std::vector<double> sum_p(nb, 0.0);
  std::vector<double> sum_y(nb, 0.0);
  std::vector<Index> count(nb, 0);
  // Inner edges edges[1..n_bins-1]; bin = number of inner edges strictly below p.
  const auto inner_begin = edges.begin() + 1;
  const auto inner_end = edges.end() - 1;
  for (Index i = 0; i < n; ++i) {
    const auto bin =
        static_cast<std::size_t>(std::lower_bound(inner_begin, inner_end, p[i]) - inner_begin);
    sum_p[bin] += p[i];
    sum_y[bin] += y[i];
    ++count[bin];
  }
  Index k = 0;
  for (std::size_t b = 0; b < nb; ++b) k += count[b] != 0 ? 1 : 0;
  CalibrationCurve c;
  c.prob_true.resize(k);
  c.prob_pred.resize(k);
  c.count.resize(k);
  c.bin_edges = Eigen::Map<const Vector>(edges.data(), static_cast<Index>(edges.size()));
  Index o = 0;
  for (std::size_t b = 0; b < nb; ++b) {
    if (count[b] == 0) continue;
    const auto cnt = static_cast<double>(count[b]);
    c.prob_true[o] = sum_y[b] / cnt;
    c.prob_pred[o] = sum_p[b] / cnt;
    c.count[o] = count[b];
    ++o;
  }
  return c;
}

}  // namespace churn::metrics
