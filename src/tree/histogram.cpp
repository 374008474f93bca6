// Histogram kernels of the histogram GBDT.
#include "churn/tree/detail/histogram.hpp"

namespace churn::detail {

template <class BinT>
void build_histogram(const BinT* col, const std::int32_t* rows, Index m, const std::int64_t* g,
                     const std::int64_t* h, HistBin* out) {
  if (rows == nullptr) {
    for (Index i = 0; i < m; ++i) {
      HistBin& b = out[col[i]];
      b.g += g[i];
      b.h += h[i];
      b.c += 1;
    }
  } else {
    for (Index i = 0; i < m; ++i) {
      HistBin& b = out[col[rows[i]]];
      b.g += g[i];
      b.h += h[i];
      b.c += 1;
    }
  }
}

void subtract_histogram(HistBin* parent, const HistBin* child, Index n) {
  for (Index i = 0; i < n; ++i) {
    parent[i].g -= child[i].g;
    parent[i].h -= child[i].h;
    parent[i].c -= child[i].c;
  }
}

template void build_histogram<std::uint8_t>(const std::uint8_t*, const std::int32_t*, Index,
                                            const std::int64_t*, const std::int64_t*, HistBin*);
template void build_histogram<std::uint16_t>(const std::uint16_t*, const std::int32_t*, Index,
                                             const std::int64_t*, const std::int64_t*, HistBin*);

}  // namespace churn::detail
