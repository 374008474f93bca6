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

}  // namespace

RunResult run_kmeans(const Problem& p, const RowMatrix& init, KMeansAlgorithm algorithm) {
  const int k = static_cast<int>(init.rows());
  const Index d = p.d;
  const Index n = p.n;
  const int kpad = padded_k(k);
  const bool hamerly = algorithm == KMeansAlgorithm::Hamerly;
  const Index B = block_rows(n, k, d);
  const Index nb = (n + B - 1) / B;
  const Index kd = static_cast<Index>(k) * d;

  RowMatrix C = init;
  std::vector<std::int32_t> labels(sz(n), -1);
  std::vector<double> upper, lower;
  if (hamerly) {
    upper.assign(sz(n), kInf);
    lower.assign(sz(n), 0.0);
  }
  // Sums of w*x and w per cluster for the current labels: recomputed every kRefresh iterations,
  // otherwise updated by the rows whose label changed. Both algorithms follow the same schedule
  // and see the same label changes, so their sums (and centres) are bit-identical.
  RowMatrix S = RowMatrix::Zero(k, d);
  std::vector<double> W(sz(k), 0.0);
  std::vector<double> part(sz(nb * kd)), partw(sz(nb * k));
  std::vector<unsigned char> part_used(sz(nb));
  std::vector<Index> part_changed(sz(nb));
  std::vector<double> shift(sz(k), 0.0), s_half(sz(k), kInf);
  double shift_max1 = 0.0, shift_max2 = 0.0;
  int shift_arg = -1;
  bool have_shift = false;
  double cmax = 0.0;
  for (int c = 0; c < k; ++c) cmax = std::max(cmax, C.row(c).norm());
  const double tau = 1e-10 * (p.scale + cmax);

  enum class Sums { Full, Delta, None };
  auto estep = [&](Sums mode) -> Index {
    const std::vector<double> ct = pack_centres(C, kpad);
    if (hamerly) {
      for (int c = 0; c < k; ++c) {
        double m = kInf;
        for (int o = 0; o < k; ++o) {
          if (o != c) m = std::min(m, sqdist(C.row(c).data(), C.row(o).data(), d));
        }
        s_half[sz(c)] = 0.5 * std::sqrt(m);
      }
    }
    parallel_for_blocks(0, n, B, p.n_threads, [&](Index lo, Index hi) {
      const Index b = lo / B;
      double* Sb = part.data() + b * kd;
      double* Wb = partw.data() + b * k;
      bool used = false;
      auto use = [&] {
        if (!used) {
          std::fill(Sb, Sb + kd, 0.0);
          std::fill(Wb, Wb + k, 0.0);
          used = true;
        }
      };
      if (mode == Sums::Full) use();
      const double* rows[kChunk];
      Index idx[kChunk];
      std::int32_t argv[kChunk];
      double bestv[kChunk], secondv[kChunk];
      std::vector<double> dist(sz(static_cast<Index>(kChunk) * kpad));
      Index changed = 0;
      for (Index c0 = lo; c0 < hi; c0 += kChunk) {
        const Index c1 = std::min(hi, c0 + kChunk);
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
          rows[m] = p.row(i);
          idx[m] = i;
          ++m;
          if (hamerly) {  // scattered rows: fetch them while the rest of the chunk is scanned
            for (Index j = 0; j < d; j += 8) __builtin_prefetch(p.row(i) + j);
            __builtin_prefetch(p.row(i) + d - 1);
          }
        }
        if (m > 0) {
          sqdist_rows(rows, m, d, ct.data(), kpad, dist.data());
          argmin_rows(dist.data(), m, kpad, argv, bestv, hamerly ? secondv : nullptr);
        }
        for (int t = 0; t < m; ++t) {
          const int arg = argv[t];
          const double best = bestv[t];
          const double second = hamerly ? secondv[t] : 0.0;
          const Index i = idx[t];
          if (hamerly) {
            upper[sz(i)] = std::sqrt(best);
            lower[sz(i)] = std::sqrt(second);
          }
          const int old = labels[sz(i)];
          if (old != arg) {
            ++changed;
            labels[sz(i)] = arg;
            if (mode == Sums::Delta) {  // rows in order: the same sequence for both algorithms
              use();
              const double wi = p.w[i];
              const double* x = rows[t];
              double* sn = Sb + static_cast<Index>(arg) * d;
              double* so = Sb + static_cast<Index>(old) * d;
              for (Index j = 0; j < d; ++j) {
                const double v = x[j] * wi;
                sn[j] += v;
                so[j] -= v;
              }
              Wb[arg] += wi;
              Wb[old] -= wi;
            }
          }
        }
        if (mode == Sums::Full) {
          for (Index i = c0; i < c1; ++i) {
            const int a = labels[sz(i)];
            const double wi = p.w[i];
            const double* x = p.row(i);
            double* s = Sb + static_cast<Index>(a) * d;
            for (Index j = 0; j < d; ++j) s[j] += x[j] * wi;
            Wb[a] += wi;
          }
        }
      }
      part_changed[sz(b)] = changed;
      part_used[sz(b)] = used ? 1 : 0;
    });
    Index total = 0;
    for (Index c : part_changed) total += c;
    have_shift = false;
    if (mode == Sums::Full) {
      S.setZero();
      std::fill(W.begin(), W.end(), 0.0);
    }
    if (mode != Sums::None) {
      for (Index b = 0; b < nb; ++b) {
        if (!part_used[sz(b)]) continue;
        const double* Sb = part.data() + b * kd;
        const double* Wb = partw.data() + b * k;
        double* out = S.data();
        for (Index q = 0; q < kd; ++q) out[q] += Sb[q];
        for (int c = 0; c < k; ++c) W[sz(c)] += Wb[c];
      }
    }
    return total;
  };

  RowMatrix Sc(k, d), Cnew(k, d);
  std::vector<double> Wc(sz(k));
  bool strict = false;
  int it = 0;
  while (it < p.max_iter) {
    poll_stop();
    const Index changed = estep(it % kRefresh == 0 ? Sums::Full : Sums::Delta);
    ++it;
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
    if (changed == 0) {
      strict = true;
      C = Cnew;
      break;
    }
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
    have_shift = hamerly;
    C = Cnew;
    if (shift_tot <= p.tol_abs) break;
  }
  if (!strict) estep(Sums::None);

  // inertia, reduced per block in block order
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
  r.n_iter = it;
  return r;
}

// ---- starts -----------------------------------------------------------------------------------

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
  parallel_for_blocks(0, n, kInitBlock, p.n_threads, [&](Index lo, Index hi) {
    double s = 0.0;
    for (Index i = lo; i < hi; ++i) s += p.w[i];
    block_mass[sz(lo / kInitBlock)] = s;
  });
  double total = 0.0;
  for (double v : block_mass) total += v;
  Index first = pick_by_mass(block_mass, n, kInitBlock, rng.uniform() * total,
                             [&](Index i) { return p.w[i]; });
  for (Index j = 0; j < d; ++j) centres(0, j) = p.row(first)[j];

  auto update_closest = [&](const double* c, bool first_time) {
    parallel_for_blocks(0, n, kInitBlock, p.n_threads, [&](Index lo, Index hi) {
      double s = 0.0;
      for (Index i = lo; i < hi; ++i) {
        const double v = sqdist(p.row(i), c, d);
        double& cl = closest[sz(i)];
        if (first_time || v < cl) cl = v;
        s += p.w[i] * cl;
      }
      block_mass[sz(lo / kInitBlock)] = s;
    });
  };
  update_closest(centres.row(0).data(), true);

  std::vector<Index> cand(sz(trials));
  std::vector<double> part(sz(nb * trials));
  std::vector<double> pots(sz(trials));
  for (int c = 1; c < k; ++c) {
    poll_stop();
    total = 0.0;
    for (double v : block_mass) total += v;
    for (int t = 0; t < trials; ++t) {
      cand[sz(t)] = pick_by_mass(block_mass, n, kInitBlock, rng.uniform() * total,
                                 [&](Index i) { return p.w[i] * closest[sz(i)]; });
    }
    // the candidates' potentials: the distance kernel with the candidates as centres
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
    const double* y = p.row(cand[sz(best)]);
    for (Index j = 0; j < d; ++j) centres(c, j) = y[j];
    update_closest(centres.row(c).data(), false);
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
