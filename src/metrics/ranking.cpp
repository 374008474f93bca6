// Input checks, class split and radix sorts shared by the metrics (see ranking.hpp).
#include "metrics/ranking.hpp"

#include <cmath>  // std::isfinite

#include "common/checks.hpp"
#include "common/float_key.hpp"
#include "common/radix_sort.hpp"

namespace churn::metrics::detail {

void check_threshold(const char* caller, double threshold) {
  CHURN_CHECK(threshold >= 0.0 && threshold <= 1.0, InvalidArgument,
              caller << ": threshold must be in [0, 1], got " << threshold);
}

void check_inputs(const char* caller, const VectorRef& y, const VectorRef& score,
                  const VectorRef& w, bool unit_interval, int n_threads) {
  const Index n = y.size();
  const char* sname = unit_interval ? "p" : "score";
  CHURN_CHECK(n > 0, InvalidArgument, caller << ": y is empty");
  CHURN_CHECK(score.size() == n, InvalidArgument,
              caller << ": y and " << sname << " have different lengths (" << n << " and "
                     << score.size() << ")");
  common::check_binary_labels(y, caller, "y", false, n_threads);
  if (unit_interval) {
    common::check_each(
        score, caller, sname, "hold probabilities in [0, 1]",
        [](double v) { return v >= 0.0 && v <= 1.0; }, n_threads);
  } else {
    common::check_finite_vector(score, caller, sname, false, n_threads);
  }
  if (w.size() > 0) {
    // (the length in the metrics' own words: there is no X, y sets the length)
    CHURN_CHECK(w.size() == n, InvalidArgument,
                caller << ": sample_weight has length " << w.size() << ", expected " << n);
    common::check_sample_weight(w, n, caller, "sample_weight", n_threads);
  }
}

SortedScores sort_by_class(const VectorRef& y, const VectorRef& score, const VectorRef& w,
                           int n_threads) {
  const Index n = y.size();
  SortedScores out;
  out.weighted = w.size() > 0;
  // Per-block positive counts, then each block writes its rows at fixed offsets: the result is
  // the rows of each class in row order, for any thread count.
  const Index n_blocks = (n + kBlock - 1) / kBlock;
  std::vector<Index> block_pos(static_cast<std::size_t>(n_blocks), 0);
  parallel_for(0, n_blocks, n_threads, [&](Index b) {
    const Index lo = b * kBlock;
    const Index hi = std::min(n, lo + kBlock);
    Index c = 0;
    for (Index i = lo; i < hi; ++i) c += y[i] == 1.0 ? 1 : 0;
    block_pos[static_cast<std::size_t>(b)] = c;
  });
  std::vector<Index> pos_off(static_cast<std::size_t>(n_blocks));
  std::vector<Index> neg_off(static_cast<std::size_t>(n_blocks));
  Index n_pos = 0;
  for (Index b = 0; b < n_blocks; ++b) {
    pos_off[static_cast<std::size_t>(b)] = n_pos;
    neg_off[static_cast<std::size_t>(b)] = b * kBlock - n_pos;
    n_pos += block_pos[static_cast<std::size_t>(b)];
  }
  const Index n_neg = n - n_pos;
  auto fill = [&](auto& pos, auto& neg, auto make) {
    pos.resize(static_cast<std::size_t>(n_pos));
    neg.resize(static_cast<std::size_t>(n_neg));
    parallel_for(0, n_blocks, n_threads, [&](Index b) {
      const Index lo = b * kBlock;
      const Index hi = std::min(n, lo + kBlock);
      auto ip = static_cast<std::size_t>(pos_off[static_cast<std::size_t>(b)]);
      auto in = static_cast<std::size_t>(neg_off[static_cast<std::size_t>(b)]);
      for (Index i = lo; i < hi; ++i) {
        if (y[i] == 1.0) {
          pos[ip++] = make(i);
        } else {
          neg[in++] = make(i);
        }
      }
    });
    // Sort the two classes concurrently (one thread each).
    parallel_for(0, 2, n_threads, [&](Index c) {
      auto& v = c == 0 ? pos : neg;
      std::remove_reference_t<decltype(v)> buf;
      common::radix_sort(v, buf, [](const auto& e) { return walk::key_of(e); });
    });
  };
  if (out.weighted) {
    fill(out.pos_w, out.neg_w, [&](Index i) {
      return KeyWeight{common::ordered_key_folded(score[i]), w[i]};
    });
    const auto weight_sum = [&](const std::vector<KeyWeight>& v) {
      return parallel_reduce(
          0, static_cast<Index>(v.size()), kBlock, 0.0,
          [&](Index lo, Index hi) {
            double a = 0;
            for (Index i = lo; i < hi; ++i) a += v[static_cast<std::size_t>(i)].w;
            return a;
          },
          [](double a, double b) { return a + b; }, n_threads);
    };
    out.total_pos = weight_sum(out.pos_w);
    out.total_neg = weight_sum(out.neg_w);
  } else {
    fill(out.pos, out.neg, [&](Index i) { return common::ordered_key_folded(score[i]); });
    out.total_pos = static_cast<double>(n_pos);
    out.total_neg = static_cast<double>(n_neg);
  }
  return out;
}

std::vector<Index> order_desc(const VectorRef& score) {
  struct KeyIndex {
    std::uint64_t key;
    Index index;
  };
  const Index n = score.size();
  std::vector<KeyIndex> a(static_cast<std::size_t>(n));
  // Descending order = ascending order of the complemented key; LSD radix sort is stable.
  for (Index i = 0; i < n; ++i)
    a[static_cast<std::size_t>(i)] = {~common::ordered_key_folded(score[i]), i};
  std::vector<KeyIndex> buf;
  common::radix_sort(a, buf, [](const KeyIndex& e) { return e.key; });
  std::vector<Index> order(static_cast<std::size_t>(n));
  for (std::size_t i = 0; i < a.size(); ++i) order[i] = a[i].index;
  return order;
}

}  // namespace churn::metrics::detail
