// The QuickScorer scan kernel, included by quick_scorer.cpp (portable) and quick_scorer_avx2.cpp
// (compiled for AVX2) inside namespace churn::tree::detail. GCC/Clang vector extensions make the
// kQsRows rows the vector lanes, whatever the target; integer work only, so every build gives the
// same bits. Plain code only: no library calls whose inline bodies could be shared between the
// two builds.
// NOLINTBEGIN
namespace {

static_assert(kQsRows % 4 == 0, "the kernel scores rows in 4-lane vectors");
constexpr int kQsVectors = kQsRows / 4;

typedef std::int64_t QsV4 __attribute__((vector_size(32)));
typedef std::int64_t QsV4u __attribute__((vector_size(32), aligned(8), may_alias));

/// Each list up to the first threshold that no row's key exceeds; each row keeps a node's mask
/// only where its key exceeds the node's threshold (elsewhere it ANDs all ones).
inline void scan_lists(const QsLists& q, const std::int64_t* keys, std::int64_t* bits) {
  // locals: the stores (may_alias) could otherwise change q's pointers for the compiler
  const std::int64_t* const threshold = q.threshold;
  const std::int64_t* const mask = q.mask;
  const std::uint32_t* const slot = q.slot;
  const std::int64_t* const list_begin = q.list_begin;
  const Index n_lists = q.n_lists;
  for (Index g = 0; g < n_lists; ++g) {
    const std::int64_t* k = keys + g * kQsRows;
    std::int64_t top = k[0];
    for (int r = 1; r < kQsRows; ++r) top = k[r] > top ? k[r] : top;
    QsV4 key[kQsVectors];
    for (int v = 0; v < kQsVectors; ++v) key[v] = reinterpret_cast<const QsV4u*>(k)[v];
    // the list's sentinel (kKeyMax) ends the loop for any key
    for (std::int64_t i = list_begin[g]; threshold[i] < top; ++i) {
      const std::int64_t th = threshold[i];
      const std::int64_t m = mask[i];
      const QsV4 t = {th, th, th, th};
      const QsV4 mv = {m, m, m, m};
      QsV4u* b = reinterpret_cast<QsV4u*>(bits + slot[i]);
      for (int v = 0; v < kQsVectors; ++v) b[v] &= mv | (key[v] <= t);
    }
  }
}

/// out[t] = rows[0][t] & ... & rows[n_rows - 1][t] for t < n (n_rows >= 1).
inline void and_rows(const std::int64_t* const* rows, int n_rows, Index n, std::int64_t* out) {
  Index t = 0;
  for (; t + 4 <= n; t += 4) {
    QsV4 v = *reinterpret_cast<const QsV4u*>(rows[0] + t);
    for (int c = 1; c < n_rows; ++c) v &= *reinterpret_cast<const QsV4u*>(rows[c] + t);
    *reinterpret_cast<QsV4u*>(out + t) = v;
  }
  for (; t < n; ++t) {
    std::int64_t v = rows[0][t];
    for (int c = 1; c < n_rows; ++c) v &= rows[c][t];
    out[t] = v;
  }
}

}  // namespace
// NOLINTEND
