// What GBDTClassifier's fit and prediction share: the class check and one round's evaluation.
#include "tree/gbdt_shared.hpp"

#include "churn/core/parallel.hpp"
#include "churn/metrics/classification.hpp"
#include "common/logistic.hpp"

namespace churn::tree::detail {

namespace {

/// Weighted mean log-loss of raw scores.
double raw_log_loss(const VectorRef& y, const Vector& raw, const VectorRef& w, int n_threads) {
  struct Acc {
    double loss = 0, weight = 0;
  };
  const Acc a = parallel_reduce(
      Index{0}, y.size(), kRowBlock, Acc{},
      [&](Index lo, Index hi) {
        Acc r;
        for (Index i = lo; i < hi; ++i) {
          const double wi = w.size() ? w[i] : 1.0;
          r.loss += wi * common::logistic_loss(y[i], raw[i]);
          r.weight += wi;
        }
        return r;
      },
      [](Acc x, const Acc& b) {
        x.loss += b.loss;
        x.weight += b.weight;
        return x;
      },
      n_threads);
  return a.weight > 0 ? a.loss / a.weight : 0.0;
}

}  // namespace

bool has_both_classes(const VectorRef& y, const VectorRef& w) {
  bool has0 = false, has1 = false;
  for (Index i = 0; i < y.size(); ++i)
    if (w.size() == 0 || w[i] > 0) (y[i] > 0.5 ? has1 : has0) = true;
  return has0 && has1;
}

double add_tree_and_evaluate(const Tree& tree, const RowMatrixRef& X, const VectorRef& y,
                             const VectorRef& w, GBDTMetric metric, int threads, Vector& score) {
  const Index n = X.rows();
  parallel_for_blocks(0, n, kRowBlock, threads_for(n, threads), [&](Index lo, Index hi) {
    for (Index i = lo; i < hi; ++i) score[i] += tree.predict(X.row(i).data());
  });
  return metric == GBDTMetric::Auc ? metrics::roc_auc(y, score, w, threads_for(n, threads))
                                   : raw_log_loss(y, score, w, threads);
}

}  // namespace churn::tree::detail
