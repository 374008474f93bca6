// Histogram kernels of the histogram GBDT.
#include "tree/histogram.hpp"

namespace churn::tree::detail {

template <class BinT>
void build_histogram(const BinT* bins, Index n_features, const std::int32_t* rows, Index m,
                     const GradPair* gh, HistBin* out) {
  build_histogram(bins, n_features, 0, n_features, rows, m, gh, out);
}

template <class BinT>
void build_histogram(const BinT* bins, Index n_features, Index f_lo, Index f_hi,
                     const std::int32_t* rows, Index m, const GradPair* gh, HistBin* out) {
  constexpr Index kAhead = 16;  // prefetch distance (rows)
  for (Index i = 0; i < m; ++i) {
    if (i + kAhead < m)
      __builtin_prefetch(bins + static_cast<Index>(rows[i + kAhead]) * n_features + f_lo);
    const BinT* b = bins + static_cast<Index>(rows[i]) * n_features;
    const std::int64_t g = gh[i].g, hc = gh[i].hc;
    Index f = f_lo;
    for (; f + 4 <= f_hi; f += 4) {
      HistBin& x0 = out[b[f]];
      x0.g += g;
      x0.hc += hc;
      HistBin& x1 = out[b[f + 1]];
      x1.g += g;
      x1.hc += hc;
      HistBin& x2 = out[b[f + 2]];
      x2.g += g;
      x2.hc += hc;
      HistBin& x3 = out[b[f + 3]];
      x3.g += g;
      x3.hc += hc;
    }
    for (; f < f_hi; ++f) {
      HistBin& x = out[b[f]];
      x.g += g;
      x.hc += hc;
    }
  }
}

template <class ColT>
void build_column_histogram(const ColT* col, const std::int32_t* rows, Index m, const GradPair* gh,
                            HistBin* out) {
  for (Index i = 0; i < m; ++i) {
    HistBin& x = out[col[rows[i]]];
    x.g += gh[i].g;
    x.hc += gh[i].hc;
  }
}

void subtract_histogram(HistBin* parent, const HistBin* child, Index n) {
  for (Index i = 0; i < n; ++i) {
    parent[i].g -= child[i].g;
    parent[i].hc -= child[i].hc;
  }
}

void add_histogram(HistBin* acc, const HistBin* other, Index n) {
  for (Index i = 0; i < n; ++i) {
    acc[i].g += other[i].g;
    acc[i].hc += other[i].hc;
  }
}

template void build_column_histogram<std::uint8_t>(const std::uint8_t*, const std::int32_t*, Index,
                                                   const GradPair*, HistBin*);
template void build_column_histogram<std::uint16_t>(const std::uint16_t*, const std::int32_t*,
                                                    Index, const GradPair*, HistBin*);
template void build_histogram<std::uint16_t>(const std::uint16_t*, Index, Index, Index,
                                             const std::int32_t*, Index, const GradPair*, HistBin*);
template void build_histogram<std::uint32_t>(const std::uint32_t*, Index, Index, Index,
                                             const std::int32_t*, Index, const GradPair*, HistBin*);
template void build_histogram<std::uint16_t>(const std::uint16_t*, Index, const std::int32_t*,
                                             Index, const GradPair*, HistBin*);
template void build_histogram<std::uint32_t>(const std::uint32_t*, Index, const std::int32_t*,
                                             Index, const GradPair*, HistBin*);

}  // namespace churn::tree::detail
