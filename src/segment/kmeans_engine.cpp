// The K-means engine: Lloyd and Hamerly iterations, k-means++ and random starts, assignment.
#include <algorithm>      // std::max, std::min, std::partial_sort, std::fill
#include <cmath>          // std::sqrt, std::log, std::floor, std::isfinite, std::isnan
#include <cstring>        // std::memcpy
#include <limits>         // std::numeric_limits
#include <unordered_map>  // std::unordered_multimap
#include <utility>        // std::pair

#include "churn/core/error.hpp"
#include "churn/core/parallel.hpp"
#include "churn/core/random.hpp"
#include "churn/core/stop.hpp"
#include "segment/kmeans_detail.hpp"

namespace churn::segment::detail {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
/// Relative safety margin of Hamerly's bound tests (far above the rounding of the bounds).
constexpr double kBoundRel = 1e-10;
/// The cluster sums are recomputed from scratch every kRefresh iterations (in between, the rows
/// that changed cluster update them), which bounds the drift of the running sums.
constexpr int kRefresh = 16;
/// Row blocks of the k-means++ passes.
constexpr Index kInitBlock = 8192;

/// Squared distance by a plain loop (bounds, shifts, inertia; not the assignment kernel).
inline double sqdist(const double* a, const double* b, Index d) {
  double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
  Index j = 0;
  for (; j + 3 < d; j += 4) {
    const double t0 = a[j] - b[j], t1 = a[j + 1] - b[j + 1];
    const double t2 = a[j + 2] - b[j + 2], t3 = a[j + 3] - b[j + 3];
    s0 += t0 * t0;
    s1 += t1 * t1;
    s2 += t2 * t2;
    s3 += t3 * t3;
  }
  for (; j < d; ++j) {
    const double t = a[j] - b[j];
    s0 += t * t;
  }
  return (s0 + s1) + (s2 + s3);
}

std::size_t sz(Index i) {
  return static_cast<std::size_t>(i);
}

/// Picks the first row whose running sum of `mass(i)` exceeds `r`, scanning from the block
/// where the block totals say it lies; falls back on the last row of positive mass.
template <class Mass>
Index pick_by_mass(const std::vector<double>& block_mass, Index n, Index block, double r,
                   Mass&& mass) {
  double cum = 0.0;
  Index start = 0;
  for (std::size_t b = 0; b < block_mass.size(); ++b) {
    if (cum + block_mass[b] > r) break;
    cum += block_mass[b];
    start += block;
  }
  Index last_positive = -1;
  for (Index i = std::min(start, n); i < n; ++i) {
    const double m = mass(i);
    if (m > 0) last_positive = i;
    cum += m;
    if (cum > r && m > 0) return i;
  }
  if (last_positive >= 0) return last_positive;
  for (Index i = n - 1; i >= 0; --i) {
    if (mass(i) > 0) return i;
  }
  return 0;
}

/// Uniform double in (0, 1).
double open_uniform(Rng& rng) {
  return (static_cast<double>(rng.next() >> 11) + 0.5) * 0x1.0p-53;
}

}  // namespace

Index block_rows(Index n, int k, Index d) {
  const Index per = static_cast<Index>(k) * (d + 1);
  const Index max_blocks = std::clamp<Index>((Index{1} << 22) / std::max<Index>(per, 1), 8, 512);
  Index b = std::max<Index>((n + max_blocks - 1) / max_blocks, 2048);
  b = (b + kChunk - 1) / kChunk * kChunk;
  return b;
}

// ---- Lloyd / Hamerly --------------------------------------------------------------------------

namespace {

/// Moves the heaviest-distance points into the clusters left without weight (scikit-learn's
/// rule; ties to the lower row; only points of positive weight).
void relocate_empty(const Problem& p, const RowMatrix& C, const std::vector<std::int32_t>& labels,
                    RowMatrix& sums, std::vector<double>& wsum) {
  const int k = static_cast<int>(C.rows());
  std::vector<int> empty;
  for (int c = 0; c < k; ++c) {
    if (wsum[static_cast<std::size_t>(c)] == 0.0) empty.push_back(c);
  }
  if (empty.empty()) return;
  const Index d = p.d;
  std::vector<double> dist(sz(p.n));
  parallel_for_blocks(0, p.n, 8192, p.n_threads, [&](Index lo, Index hi) {
    for (Index i = lo; i < hi; ++i) {
      dist[sz(i)] = p.w[i] > 0 ? sqdist(p.row(i), C.row(labels[sz(i)]).data(), d) : -1.0;
    }
  });
  std::vector<Index> order(sz(p.n));
  for (Index i = 0; i < p.n; ++i) order[sz(i)] = i;
  const std::size_t m = std::min(empty.size(), order.size());
  std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(m), order.end(),
                    [&](Index a, Index b) {
                      const double da = dist[sz(a)], db = dist[sz(b)];
                      return da > db || (da == db && a < b);
                    });
  for (std::size_t e = 0; e < m; ++e) {
    const Index far = order[e];
    if (dist[sz(far)] < 0) break;
    const int c = empty[e];
    const int old = labels[sz(far)];
    const double wf = p.w[far];
    const double* x = p.row(far);
    for (Index j = 0; j < d; ++j) {
      sums(old, j) -= x[j] * wf;
      sums(c, j) = x[j] * wf;
    }
    wsum[sz(old)] -= wf;
    wsum[sz(c)] = wf;
  }
}

/// Which cluster sums an assignment pass keeps: recomputed from every row (Full), updated by the
/// rows whose label changed (Delta), or left as they are (None: the final labels).
enum class Sums { Full, Delta, None };

/// One row block's partial cluster sums (k x d sums of w*x, k sums of w), zeroed on first use:
/// a Delta pass leaves the blocks where no label changed out of the reduction.
struct BlockSums {
  double* S;
  double* W;
  Index kd;
  int k;
  bool used = false;
  void use() {
    if (!used) {
      std::fill(S, S + kd, 0.0);
      std::fill(W, W + k, 0.0);
      used = true;
    }
  }
};

/// The rows of one kernel call: their pointers and indices, then their nearest centre, its
/// squared distance and (Hamerly) the second smallest squared distance.
struct Chunk {
  const double* rows[kChunk];
  Index idx[kChunk];
  std::int32_t arg[kChunk];
  double best[kChunk], second[kChunk];
  int m = 0;
};

/// One run of Lloyd or Hamerly iterations from given centres (see run_kmeans).
///
/// Hamerly keeps per row an upper bound on the distance to its centre and a lower bound on the
/// distance to every other centre; a row whose upper bound is below max(lower bound, half the
/// distance from its centre to the nearest other centre) keeps its label without computing a
/// distance. After each iteration the bounds move by the centres' shifts. The tests carry a
/// relative margin kBoundRel and an absolute one `tau` (scaled by the data), far above the
/// rounding of the bounds, so a skipped row's label is exactly Lloyd's.
///
/// Sums of w*x and w per cluster for the current labels: recomputed every kRefresh iterations,
/// otherwise updated by the rows whose label changed. Both algorithms follow the same schedule
/// and see the same label changes, so their sums (and centres) are bit-identical. Row blocks
/// keep partial sums that are reduced in block order, so nothing depends on the thread count.
struct KMeansRun {
  KMeansRun(const Problem& problem, const RowMatrix& init, KMeansAlgorithm algorithm);
  RunResult run();

  Index assign(Sums mode);
  void half_separations();
  void assign_block(Index lo, Index hi, Sums mode, const double* ct);
  void gather_chunk(Index c0, Index c1, Chunk& ch);
  Index apply_chunk(const Chunk& ch, Sums mode, BlockSums& bs);
  void add_full_sums(Index c0, Index c1, BlockSums& bs) const;
  void reduce_sums(Sums mode);
  void new_centres(RowMatrix& Sc, std::vector<double>& Wc, RowMatrix& Cnew) const;
  double record_shifts(const RowMatrix& Cnew);
  RunResult finish(int n_iter);

  const Problem& p;
  const int k;
  const Index d;
  const Index n;
  const int kpad;
  const bool hamerly;
  const Index B;   // rows per block
  const Index nb;  // blocks
  const Index kd;

  RowMatrix C;
  std::vector<std::int32_t> labels;
  std::vector<double> upper, lower;  // Hamerly's bounds (distances, not squared)
  RowMatrix S;                       // sums of w*x per cluster
  std::vector<double> W;             // sums of w per cluster
  std::vector<double> part, partw;   // per block: partial S and W
  std::vector<unsigned char> part_used;
  std::vector<Index> part_changed;
  std::vector<double> shift, s_half;  // last shift of each centre; half its nearest separation
  double shift_max1 = 0.0, shift_max2 = 0.0;
  int shift_arg = -1;
  bool have_shift = false;
  double tau = 0.0;  // absolute margin of the bound tests
};

KMeansRun::KMeansRun(const Problem& problem, const RowMatrix& init, KMeansAlgorithm algorithm)
    : p(problem),
      k(static_cast<int>(init.rows())),
      d(problem.d),
      n(problem.n),
      kpad(padded_k(k)),
      hamerly(algorithm == KMeansAlgorithm::Hamerly),
      B(block_rows(n, k, d)),
      nb((n + B - 1) / B),
      kd(static_cast<Index>(k) * d),
      C(init),
      labels(sz(n), -1) {
  if (hamerly) {
    upper.assign(sz(n), kInf);
    lower.assign(sz(n), 0.0);
  }
  S = RowMatrix::Zero(k, d);
  W.assign(sz(k), 0.0);
  part.resize(sz(nb * kd));
  partw.resize(sz(nb * k));
  part_used.resize(sz(nb));
  part_changed.resize(sz(nb));
  shift.assign(sz(k), 0.0);
  s_half.assign(sz(k), kInf);
  double cmax = 0.0;
  for (int c = 0; c < k; ++c) cmax = std::max(cmax, C.row(c).norm());
  tau = 1e-10 * (p.scale + cmax);
}

/// Iterates until no label changes, the centres move less than tol in total, or max_iter.
RunResult KMeansRun::run() {
  RowMatrix Sc(k, d), Cnew(k, d);
  std::vector<double> Wc(sz(k));
  bool strict = false;
  int it = 0;
  while (it < p.max_iter) {
    poll_stop();
    const Index changed = assign(it % kRefresh == 0 ? Sums::Full : Sums::Delta);
    ++it;
    new_centres(Sc, Wc, Cnew);
    if (changed == 0) {  // converged: the labels are already those of the new centres
      strict = true;
      C = Cnew;
      break;
    }
    const double shift_tot = record_shifts(Cnew);
    have_shift = hamerly;
    C = Cnew;
    if (shift_tot <= p.tol_abs) break;
  }
  if (!strict) assign(Sums::None);  // the labels of the final centres
  return finish(it);
}

/// The assignment step: every row's nearest centre (Hamerly: of the rows its bounds do not
/// settle), in row blocks in parallel, then the cluster sums of `mode`. Returns the number of
/// labels changed.
Index KMeansRun::assign(Sums mode) {
  const std::vector<double> ct = pack_centres(C, kpad);
  if (hamerly) half_separations();
  parallel_for_blocks(0, n, B, p.n_threads,
                      [&](Index lo, Index hi) { assign_block(lo, hi, mode, ct.data()); });
  Index total = 0;
  for (Index c : part_changed) total += c;
  have_shift = false;
  reduce_sums(mode);
  return total;
}

/// Hamerly: half the distance from each centre to its nearest other centre.
void KMeansRun::half_separations() {
  for (int c = 0; c < k; ++c) {
    double m = kInf;
    for (int o = 0; o < k; ++o) {
      if (o != c) m = std::min(m, sqdist(C.row(c).data(), C.row(o).data(), d));
    }
    s_half[sz(c)] = 0.5 * std::sqrt(m);
  }
}

/// The rows [lo, hi) of block lo / B, kChunk rows per kernel call: their labels, and the block's
/// partial sums and count of changed labels.
void KMeansRun::assign_block(Index lo, Index hi, Sums mode, const double* ct) {
  const Index b = lo / B;
  BlockSums bs{part.data() + b * kd, partw.data() + b * k, kd, k};
  if (mode == Sums::Full) bs.use();
  Chunk ch;
  std::vector<double> dist(sz(static_cast<Index>(kChunk) * kpad));
  Index changed = 0;
  for (Index c0 = lo; c0 < hi; c0 += kChunk) {
    const Index c1 = std::min(hi, c0 + kChunk);
    gather_chunk(c0, c1, ch);
    if (ch.m > 0) {
      sqdist_rows(ch.rows, ch.m, d, ct, kpad, dist.data());
      argmin_rows(dist.data(), ch.m, kpad, ch.arg, ch.best, hamerly ? ch.second : nullptr);
    }
    changed += apply_chunk(ch, mode, bs);
    if (mode == Sums::Full) add_full_sums(c0, c1, bs);
  }
  part_changed[sz(b)] = changed;
  part_used[sz(b)] = bs.used ? 1 : 0;
}

/// The rows of [c0, c1) whose distances are needed: all (Lloyd), or those whose bounds, moved
/// by the last shifts, do not prove the label (Hamerly; their rows are prefetched).
void KMeansRun::gather_chunk(Index c0, Index c1, Chunk& ch) {
  int m = 0;
  for (Index i = c0; i < c1; ++i) {
    if (hamerly && labels[sz(i)] >= 0) {
      const int a = labels[sz(i)];
      double u = upper[sz(i)];
      double l = lower[sz(i)];
      if (have_shift) {
        u += shift[sz(a)];
        l -= (a == shift_arg ? shift_max2 : shift_max1);
        upper[sz(i)] = u;
        lower[sz(i)] = l;
      }
      const double bound = (std::max(s_half[sz(a)], l)) * (1 - kBoundRel) - tau;
      if (u * (1 + kBoundRel) + tau < bound) continue;
      // (no tightening of u with one distance first: on overlapping clusters it rarely
      // avoids the full computation, which costs little more with the batched kernel)
    }
    ch.rows[m] = p.row(i);
    ch.idx[m] = i;
    ++m;
    if (hamerly) {  // scattered rows: fetch them while the rest of the chunk is scanned
      for (Index j = 0; j < d; j += 8) __builtin_prefetch(p.row(i) + j);
      __builtin_prefetch(p.row(i) + d - 1);
    }
  }
  ch.m = m;
}

/// The gathered rows' new labels (Hamerly: and exact bounds); in a Delta pass a row that changed
/// cluster moves its w*x between the block's sums, rows in order (the same sequence for both
/// algorithms). Returns the number of labels changed.
Index KMeansRun::apply_chunk(const Chunk& ch, Sums mode, BlockSums& bs) {
  Index changed = 0;
  for (int t = 0; t < ch.m; ++t) {
    const int arg = ch.arg[t];
    const double best = ch.best[t];
    const double second = hamerly ? ch.second[t] : 0.0;
    const Index i = ch.idx[t];
    if (hamerly) {
      upper[sz(i)] = std::sqrt(best);
      lower[sz(i)] = std::sqrt(second);
    }
    const int old = labels[sz(i)];
    if (old != arg) {
      ++changed;
      labels[sz(i)] = arg;
      if (mode == Sums::Delta) {
        bs.use();
        const double wi = p.w[i];
        const double* x = ch.rows[t];
        double* sn = bs.S + static_cast<Index>(arg) * d;
        double* so = bs.S + static_cast<Index>(old) * d;
        for (Index j = 0; j < d; ++j) {
          const double v = x[j] * wi;
          sn[j] += v;
          so[j] -= v;
        }
        bs.W[arg] += wi;
        bs.W[old] -= wi;
      }
    }
  }
  return changed;
}

/// Full pass: every row of [c0, c1) into its cluster's sums, in row order.
void KMeansRun::add_full_sums(Index c0, Index c1, BlockSums& bs) const {
  for (Index i = c0; i < c1; ++i) {
    const int a = labels[sz(i)];
    const double wi = p.w[i];
    const double* x = p.row(i);
    double* s = bs.S + static_cast<Index>(a) * d;
    for (Index j = 0; j < d; ++j) s[j] += x[j] * wi;
    bs.W[a] += wi;
  }
}

/// The blocks' partial sums into S and W, in block order (Full: from zero; Delta: onto them).
void KMeansRun::reduce_sums(Sums mode) {
  if (mode == Sums::Full) {
    S.setZero();
    std::fill(W.begin(), W.end(), 0.0);
  }
  if (mode == Sums::None) return;
  for (Index b = 0; b < nb; ++b) {
    if (!part_used[sz(b)]) continue;
    const double* Sb = part.data() + b * kd;
    const double* Wb = partw.data() + b * k;
    double* out = S.data();
    for (Index q = 0; q < kd; ++q) out[q] += Sb[q];
    for (int c = 0; c < k; ++c) W[sz(c)] += Wb[c];
  }
}

/// The update step: each cluster's weighted mean, after the farthest points moved into the
/// clusters left without weight (on copies Sc, Wc of the sums); a cluster still without weight
/// keeps its centre.
void KMeansRun::new_centres(RowMatrix& Sc, std::vector<double>& Wc, RowMatrix& Cnew) const {
  Sc = S;
  Wc = W;
  relocate_empty(p, C, labels, Sc, Wc);
  for (int c = 0; c < k; ++c) {
    if (Wc[sz(c)] > 0) {
      const double alpha = 1.0 / Wc[sz(c)];
      Cnew.row(c) = Sc.row(c) * alpha;
    } else {
      Cnew.row(c) = C.row(c);
    }
  }
}

/// Each centre's shift from C to Cnew, and the largest two (for Hamerly's lower bounds);
/// returns the sum of the squared shifts (the convergence test).
double KMeansRun::record_shifts(const RowMatrix& Cnew) {
  double shift_tot = 0.0;
  shift_max1 = shift_max2 = 0.0;
  shift_arg = -1;
  for (int c = 0; c < k; ++c) {
    const double sq = sqdist(Cnew.row(c).data(), C.row(c).data(), d);
    shift_tot += sq;
    const double s = std::sqrt(sq);
    shift[sz(c)] = s;
    if (s > shift_max1) {
      shift_max2 = shift_max1;
      shift_max1 = s;
      shift_arg = c;
    } else if (s > shift_max2) {
      shift_max2 = s;
    }
  }
  return shift_tot;
}

/// The result: the inertia reduced per block in block order, the centres and labels.
RunResult KMeansRun::finish(int n_iter) {
  std::vector<double> part_in(sz(nb));
  parallel_for_blocks(0, n, B, p.n_threads, [&](Index lo, Index hi) {
    double s = 0.0;
    for (Index i = lo; i < hi; ++i) s += p.w[i] * sqdist(p.row(i), C.row(labels[sz(i)]).data(), d);
    part_in[sz(lo / B)] = s;
  });
  RunResult r;
  r.inertia = 0.0;
  for (double v : part_in) r.inertia += v;
  r.centres = std::move(C);
  r.labels = std::move(labels);
  r.n_iter = n_iter;
  return r;
}

}  // namespace

RunResult run_kmeans(const Problem& p, const RowMatrix& init, KMeansAlgorithm algorithm) {
  return KMeansRun(p, init, algorithm).run();
}

// ---- starts -----------------------------------------------------------------------------------

namespace {

/// Sum of the per-block masses, in block order.
double total_mass(const std::vector<double>& block_mass) {
  double total = 0.0;
  for (double v : block_mass) total += v;
  return total;
}

/// Per block of kInitBlock rows: the total weight (the mass of the first centre's draw).
void weight_mass(const Problem& p, std::vector<double>& block_mass) {
  parallel_for_blocks(0, p.n, kInitBlock, p.n_threads, [&](Index lo, Index hi) {
    double s = 0.0;
    for (Index i = lo; i < hi; ++i) s += p.w[i];
    block_mass[sz(lo / kInitBlock)] = s;
  });
}

/// A new centre `c`: each row's squared distance to its closest centre (set the first time),
/// and per block the total of weight * that distance (the mass of the next draws).
void update_closest(const Problem& p, const double* c, bool first_time,
                    std::vector<double>& closest, std::vector<double>& block_mass) {
  parallel_for_blocks(0, p.n, kInitBlock, p.n_threads, [&](Index lo, Index hi) {
    double s = 0.0;
    for (Index i = lo; i < hi; ++i) {
      const double v = sqdist(p.row(i), c, p.d);
      double& cl = closest[sz(i)];
      if (first_time || v < cl) cl = v;
      s += p.w[i] * cl;
    }
    block_mass[sz(lo / kInitBlock)] = s;
  });
}

/// The candidate (index into `cand`) of the smallest potential sum_i w_i min(closest_i, |x_i -
/// y|^2), the first on ties. The potentials use the distance kernel with the candidates as
/// centres, summed per block and then over the blocks in order; `part` (blocks x candidates) and
/// `pots` are scratch.
int best_candidate(const Problem& p, const std::vector<Index>& cand,
                   const std::vector<double>& closest, std::vector<double>& part,
                   std::vector<double>& pots) {
  const Index n = p.n;
  const Index d = p.d;
  const int trials = static_cast<int>(cand.size());
  const Index nb = (n + kInitBlock - 1) / kInitBlock;
  RowMatrix cand_rows(trials, d);
  for (int t = 0; t < trials; ++t) {
    for (Index j = 0; j < d; ++j) cand_rows(t, j) = p.row(cand[sz(t)])[j];
  }
  const int tpad = padded_k(trials);
  const std::vector<double> ct = pack_centres(cand_rows, tpad);
  parallel_for_blocks(0, n, kInitBlock, p.n_threads, [&](Index lo, Index hi) {
    double* out = part.data() + (lo / kInitBlock) * trials;
    for (int t = 0; t < trials; ++t) out[t] = 0.0;
    const double* rows[kChunk];
    std::vector<double> dist(sz(static_cast<Index>(kChunk) * tpad));
    for (Index c0 = lo; c0 < hi; c0 += kChunk) {
      const int m = static_cast<int>(std::min<Index>(kChunk, hi - c0));
      for (int r = 0; r < m; ++r) rows[r] = p.row(c0 + r);
      sqdist_rows(rows, m, d, ct.data(), tpad, dist.data());
      for (int r = 0; r < m; ++r) {
        const double cl = closest[sz(c0 + r)];
        const double wi = p.w[c0 + r];
        const double* dr = dist.data() + static_cast<Index>(r) * tpad;
        for (int t = 0; t < trials; ++t) out[t] += wi * std::min(dr[t], cl);
      }
    }
  });
  std::fill(pots.begin(), pots.end(), 0.0);
  for (Index b = 0; b < nb; ++b) {
    for (int t = 0; t < trials; ++t) pots[sz(t)] += part[sz(b * trials + t)];
  }
  int best = 0;
  for (int t = 1; t < trials; ++t) {
    if (pots[sz(t)] < pots[sz(best)]) best = t;
  }
  return best;
}

}  // namespace

RowMatrix init_kmeanspp(const Problem& p, int k, std::uint64_t seed, std::uint64_t stream) {
  Rng rng = Rng::for_stream(seed, stream);
  const Index n = p.n;
  const Index d = p.d;
  const int trials = 2 + static_cast<int>(std::floor(std::log(static_cast<double>(k))));
  const Index nb = (n + kInitBlock - 1) / kInitBlock;
  RowMatrix centres(k, d);
  std::vector<double> closest(sz(n));
  std::vector<double> block_mass(sz(nb));

  // first centre: probability proportional to the weight
  weight_mass(p, block_mass);
  double total = total_mass(block_mass);
  Index first = pick_by_mass(block_mass, n, kInitBlock, rng.uniform() * total,
                             [&](Index i) { return p.w[i]; });
  for (Index j = 0; j < d; ++j) centres(0, j) = p.row(first)[j];
  update_closest(p, centres.row(0).data(), true, closest, block_mass);

  // each next centre: the best of `trials` candidates drawn with probability w * closest
  std::vector<Index> cand(sz(trials));
  std::vector<double> part(sz(nb * trials));
  std::vector<double> pots(sz(trials));
  for (int c = 1; c < k; ++c) {
    poll_stop();
    total = total_mass(block_mass);
    for (int t = 0; t < trials; ++t) {
      cand[sz(t)] = pick_by_mass(block_mass, n, kInitBlock, rng.uniform() * total,
                                 [&](Index i) { return p.w[i] * closest[sz(i)]; });
    }
    const int best = best_candidate(p, cand, closest, part, pots);
    const double* y = p.row(cand[sz(best)]);
    for (Index j = 0; j < d; ++j) centres(c, j) = y[j];
    update_closest(p, centres.row(c).data(), false, closest, block_mass);
  }
  return centres;
}

RowMatrix init_random(const Problem& p, int k, std::uint64_t seed, std::uint64_t stream) {
  // Efraimidis-Spirakis: the k largest keys log(u) / w among rows of positive weight.
  Rng rng = Rng::for_stream(seed, stream);
  std::vector<std::pair<double, Index>> keys;
  keys.reserve(sz(p.n));
  for (Index i = 0; i < p.n; ++i) {
    const double u = open_uniform(rng);
    if (p.w[i] > 0) keys.emplace_back(std::log(u) / p.w[i], i);
  }
  const std::size_t m = std::min(keys.size(), static_cast<std::size_t>(k));
  std::partial_sort(keys.begin(), keys.begin() + static_cast<std::ptrdiff_t>(m), keys.end(),
                    [](const auto& a, const auto& b) {
                      return a.first > b.first || (a.first == b.first && a.second < b.second);
                    });
  RowMatrix centres(k, p.d);
  for (int c = 0; c < k; ++c) {
    const double* x = p.row(keys[sz(c)].second);
    for (Index j = 0; j < p.d; ++j) centres(c, j) = x[j];
  }
  return centres;
}

// ---- assignment for predict / transform / score -----------------------------------------------

void assign_all(const RowMatrixRef& X, const RowMatrix& C, int n_threads, IntVector* labels,
                Vector* min_sq, RowMatrix* all_sq) {
  const int k = static_cast<int>(C.rows());
  const int kpad = padded_k(k);
  const Index n = X.rows();
  const Index d = X.cols();
  const std::vector<double> ct = pack_centres(C, kpad);
  if (labels) labels->resize(n);
  if (min_sq) min_sq->resize(n);
  if (all_sq) all_sq->resize(n, k);
  const double* base = X.data();
  const Index stride = X.outerStride();
  parallel_for_blocks(0, n, 4096, n_threads, [&](Index lo, Index hi) {
    const double* rows[kChunk];
    std::int32_t argv[kChunk];
    double bestv[kChunk];
    std::vector<double> dist(sz(static_cast<Index>(kChunk) * kpad));
    for (Index c0 = lo; c0 < hi; c0 += kChunk) {
      const int m = static_cast<int>(std::min<Index>(kChunk, hi - c0));
      for (int t = 0; t < m; ++t) rows[t] = base + (c0 + t) * stride;
      sqdist_rows(rows, m, d, ct.data(), kpad, dist.data());
      if (all_sq) {
        for (int t = 0; t < m; ++t) {
          for (int c = 0; c < k; ++c)
            (*all_sq)(c0 + t, c) = dist[sz(static_cast<Index>(t) * kpad + c)];
        }
      }
      if (!labels && !min_sq) continue;
      argmin_rows(dist.data(), m, kpad, argv, bestv, nullptr);
      for (int t = 0; t < m; ++t) {
        const Index i = c0 + t;
        const int arg = argv[t];
        const double best = bestv[t];
        if (labels) (*labels)[i] = arg;
        if (min_sq) (*min_sq)[i] = best;
      }
    }
  });
}

// ---- input checks -----------------------------------------------------------------------------

Index count_distinct_rows(const Problem& p, Index limit) {
  std::unordered_multimap<std::uint64_t, Index> seen;
  Index count = 0;
  for (Index i = 0; i < p.n && count < limit; ++i) {
    if (!(p.w[i] > 0)) continue;
    const double* x = p.row(i);
    std::uint64_t h = 1469598103934665603ULL;
    for (Index j = 0; j < p.d; ++j) {
      const double v = x[j] == 0.0 ? 0.0 : x[j];  // -0.0 and 0.0 are the same point
      std::uint64_t bits;
      std::memcpy(&bits, &v, sizeof bits);
      h = (h ^ bits) * 1099511628211ULL;
      h ^= h >> 29;
    }
    bool dup = false;
    auto range = seen.equal_range(h);
    for (auto it = range.first; it != range.second && !dup; ++it) {
      const double* y = p.row(it->second);
      bool same = true;
      for (Index j = 0; j < p.d && same; ++j) same = x[j] == y[j];
      dup = same;
    }
    if (!dup) {
      seen.emplace(h, i);
      ++count;
    }
  }
  return count;
}

}  // namespace churn::segment::detail
