// Scalar metrics of a binary classifier (see include/churn/metrics/classification.hpp).
#include "churn/metrics/classification.hpp"

#include <algorithm>  // std::max, std::min
#include <array>      // std::array
#include <cmath>      // std::log, std::abs
#include <limits>     // std::numeric_limits

#include "metrics/ranking.hpp"

namespace churn::metrics {

namespace {

using detail::kBlock;

void require_both_classes(const char* caller, const detail::SortedScores& s) {
  CHURN_CHECK(s.total_pos > 0 && s.total_neg > 0, InvalidArgument,
              caller << ": y holds only one class (" << (s.total_pos > 0 ? "1" : "0")
                     << "), the metric is undefined");
}

/// Weighted mean of `loss(y_i, p_i)` (deterministic blocked sum).
template <class Loss>
double mean_loss(const VectorRef& y, const VectorRef& p, const VectorRef& w, int n_threads,
                 Loss loss) {
  const bool weighted = w.size() > 0;
  const Index n = y.size();
  const auto sums = parallel_reduce(
      0, n, kBlock, std::array<double, 2>{0.0, 0.0},
      [&](Index lo, Index hi) {
        std::array<double, 2> r{0.0, 0.0};
        for (Index i = lo; i < hi; ++i) {
          const double wi = weighted ? w[i] : 1.0;
          r[0] += wi * loss(y[i], p[i]);
          r[1] += wi;
        }
        return r;
      },
      [](std::array<double, 2> a, const std::array<double, 2>& b) {
        a[0] += b[0];
        a[1] += b[1];
        return a;
      },
      n_threads);
  return sums[0] / sums[1];
}

}  // namespace

double roc_auc(const VectorRef& y, const VectorRef& score, const VectorRef& sample_weight,
               int n_threads) {
  const char* caller = "roc_auc()";
  detail::check_inputs(caller, y, score, sample_weight, false, n_threads);
  const auto s = detail::sort_by_class(y, score, sample_weight, n_threads);
  require_both_classes(caller, s);
  // Trapezoids between consecutive distinct thresholds: a tied positive/negative pair adds 1/2.
  double tp = 0;
  double area = 0;
  detail::for_each_threshold_desc(s, [&](std::uint64_t, double dtp, double dfp) {
    area += dfp * (tp + 0.5 * dtp);
    tp += dtp;
  });
  return area / (s.total_pos * s.total_neg);
}

double average_precision(const VectorRef& y, const VectorRef& score, const VectorRef& sample_weight,
                         int n_threads) {
  const char* caller = "average_precision()";
  detail::check_inputs(caller, y, score, sample_weight, false, n_threads);
  const auto s = detail::sort_by_class(y, score, sample_weight, n_threads);
  CHURN_CHECK(s.total_pos > 0, InvalidArgument,
              caller << ": y holds no positive (label 1), average precision is undefined");
  double tp = 0;
  double fp = 0;
  double prev_recall = 0;
  double ap = 0;
  detail::for_each_threshold_desc(s, [&](std::uint64_t, double dtp, double dfp) {
    tp += dtp;
    fp += dfp;
    const double precision = tp + fp != 0 ? tp / (tp + fp) : 0.0;
    const double recall = tp / s.total_pos;
    ap += (recall - prev_recall) * precision;
    prev_recall = recall;
  });
  return std::max(0.0, ap);
}

double ks_statistic(const VectorRef& y, const VectorRef& score, const VectorRef& sample_weight,
                    int n_threads) {
  const char* caller = "ks_statistic()";
  detail::check_inputs(caller, y, score, sample_weight, false, n_threads);
  const auto s = detail::sort_by_class(y, score, sample_weight, n_threads);
  require_both_classes(caller, s);
  double tp = 0;
  double fp = 0;
  double ks = 0;
  detail::for_each_threshold_desc(s, [&](std::uint64_t, double dtp, double dfp) {
    tp += dtp;
    fp += dfp;
    ks = std::max(ks, std::abs(tp / s.total_pos - fp / s.total_neg));
  });
  return ks;
}

double log_loss(const VectorRef& y, const VectorRef& p, const VectorRef& sample_weight,
                int n_threads) {
  detail::check_inputs("log_loss()", y, p, sample_weight, true, n_threads);
  return mean_loss(y, p, sample_weight, n_threads, [](double yi, double pi) {
    const double eps = std::numeric_limits<double>::epsilon();
    const double q = yi == 1.0 ? pi : 1.0 - pi;
    return -std::log(std::min(std::max(q, eps), 1.0 - eps));
  });
}

double brier_score(const VectorRef& y, const VectorRef& p, const VectorRef& sample_weight,
                   int n_threads) {
  detail::check_inputs("brier_score()", y, p, sample_weight, true, n_threads);
  return mean_loss(y, p, sample_weight, n_threads, [](double yi, double pi) {
    const double d = pi - yi;
    return d * d;
  });
}

namespace {

ConfusionMatrix confusion_impl(const char* caller, const VectorRef& y, const VectorRef& score,
                               double threshold, const VectorRef& w) {
  detail::check_threshold(caller, threshold);
  detail::check_inputs(caller, y, score, w, false, 0);
  const bool weighted = w.size() > 0;
  const auto c = parallel_reduce(
      0, y.size(), kBlock, std::array<double, 4>{0, 0, 0, 0},
      [&](Index lo, Index hi) {
        std::array<double, 4> r{0, 0, 0, 0};
        for (Index i = lo; i < hi; ++i) {
          const int cell = (y[i] == 1.0 ? 2 : 0) + (score[i] >= threshold ? 1 : 0);
          r[static_cast<std::size_t>(cell)] += weighted ? w[i] : 1.0;
        }
        return r;
      },
      [](std::array<double, 4> a, const std::array<double, 4>& b) {
        for (std::size_t k = 0; k < 4; ++k) a[k] += b[k];
        return a;
      },
      0);
  return ConfusionMatrix{c[0], c[1], c[2], c[3]};
}

double ratio(double num, double den) {
  return den != 0 ? num / den : 0.0;
}

}  // namespace

ConfusionMatrix confusion_matrix(const VectorRef& y, const VectorRef& score, double threshold,
                                 const VectorRef& sample_weight) {
  return confusion_impl("confusion_matrix()", y, score, threshold, sample_weight);
}

double accuracy(const VectorRef& y, const VectorRef& score, double threshold,
                const VectorRef& sample_weight) {
  const auto c = confusion_impl("accuracy()", y, score, threshold, sample_weight);
  return (c.tp + c.tn) / (c.tp + c.tn + c.fp + c.fn);
}

double precision(const VectorRef& y, const VectorRef& score, double threshold,
                 const VectorRef& sample_weight) {
  const auto c = confusion_impl("precision()", y, score, threshold, sample_weight);
  return ratio(c.tp, c.tp + c.fp);
}

double recall(const VectorRef& y, const VectorRef& score, double threshold,
              const VectorRef& sample_weight) {
  const auto c = confusion_impl("recall()", y, score, threshold, sample_weight);
  return ratio(c.tp, c.tp + c.fn);
}

double f1(const VectorRef& y, const VectorRef& score, double threshold,
          const VectorRef& sample_weight) {
  const auto c = confusion_impl("f1()", y, score, threshold, sample_weight);
  return ratio(2 * c.tp, 2 * c.tp + c.fp + c.fn);
}

}  // namespace churn::metrics
