"""K-means: churnlib.KMeans against scikit-learn's KMeans (lloyd and elkan) on the same data
from the same initial centres.

    .venv/bin/python benchmarks/compare_kmeans.py [--rows 1000000] [--features 20] [--ks 8,32]

For each k: the initial centres come from one seeded k-means++ draw (sklearn.cluster.kmeans_plusplus)
and are given to every run (n_init = 1, the same tol and max_iter), so the runs do the same
iterations. Prints seconds in total and per iteration (medians over --repeat), the final
inertia, the iterations and the ratio sklearn / churnlib; the verdict compares churnlib with
scikit-learn's faster algorithm (target: at least 2x faster at an inertia within 0.1%). The
machine may be busy: the share of the cores that other processes used during each run is
printed next to it (loadmeter.py, from /proc/stat), and runs with more than 0.2 cores used elsewhere are
flagged BUSY.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import numpy as np

from loadmeter import LoadMeter  # benchmarks/loadmeter.py


def make_data(n, p, seed):
    """Blobs of different sizes and spreads in p dimensions (churn features are like this after
    scaling: lumpy, overlapping)."""
    rng = np.random.default_rng(seed)
    k_true = 24
    centres = rng.normal(0, 3, size=(k_true, p))
    weights = rng.dirichlet(np.full(k_true, 2.0))
    lab = rng.choice(k_true, size=n, p=weights)
    spread = rng.uniform(0.5, 2.0, size=k_true)
    return np.ascontiguousarray(centres[lab] + rng.normal(size=(n, p)) * spread[lab, None])


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--features", type=int, default=20)
    ap.add_argument("--ks", default="8,32")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--max-iter", type=int, default=300)
    ap.add_argument("--tol", type=float, default=1e-4)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args(argv)

    import sklearn
    from sklearn.cluster import KMeans as SkKMeans
    from sklearn.cluster import kmeans_plusplus

    import churnlib as cl

    t0 = time.perf_counter()
    X = make_data(args.rows, args.features, args.seed)
    print(f"data: {args.rows:,} x {args.features} float64 ({X.nbytes / 1e6:.0f} MB), made in "
          f"{time.perf_counter() - t0:.1f} s; tol {args.tol:g}, max_iter {args.max_iter}, "
          f"n_init 1, median of {args.repeat}")
    print(f"machine: {os.cpu_count()} cores, load average "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}; churnlib {cl.__version__} (OpenMP: "
          f"{cl.has_openmp()}), scikit-learn {sklearn.__version__}, numpy {np.__version__}")

    verdicts = []
    busy_rows = 0
    for k in [int(s) for s in args.ks.split(",") if s.strip()]:
        init, _ = kmeans_plusplus(X[: min(len(X), 200_000)], k, random_state=args.seed)
        runs = {
            "churnlib (hamerly)": lambda: cl.KMeans(k, init=init, max_iter=args.max_iter,
                                                    tol=args.tol, algorithm="hamerly").fit(X),
            "churnlib (lloyd)": lambda: cl.KMeans(k, init=init, max_iter=args.max_iter,
                                                  tol=args.tol, algorithm="lloyd").fit(X),
            "sklearn lloyd": lambda: SkKMeans(k, init=init, n_init=1, max_iter=args.max_iter,
                                              tol=args.tol, algorithm="lloyd").fit(X),
            "sklearn elkan": lambda: SkKMeans(k, init=init, n_init=1, max_iter=args.max_iter,
                                              tol=args.tol, algorithm="elkan").fit(X),
        }
        res = {}
        for name, fn in runs.items():
            times, others, model = [], [], None
            for _ in range(args.repeat):
                with LoadMeter() as lm:
                    model = fn()
                times.append(lm.wall)
                others.append(float("nan") if lm.others is None else lm.others)
            res[name] = dict(s=statistics.median(times), others=max(others),
                             inertia=float(model.inertia_), n_iter=int(model.n_iter_),
                             labels=np.asarray(model.labels_))
        ref = res["sklearn lloyd"]
        print(f"\nk = {k}:")
        print(f"  {'who':20s} {'total s':>8s} {'s/iter':>8s} {'iters':>6s} {'inertia':>18s} "
              f"{'vs sklearn lloyd':>17s} {'others':>7s}")
        for name, r in res.items():
            busy = r["others"] > 0.2
            busy_rows += busy
            rel = r["inertia"] / ref["inertia"] - 1
            print(f"  {name:20s} {r['s']:8.3f} {r['s'] / max(r['n_iter'], 1):8.4f} "
                  f"{r['n_iter']:6d} {r['inertia']:18.6f} {rel:+16.2e} {r['others']:6.2f}"
                  f"{'  BUSY' if busy else ''}")
        same = np.array_equal(res["churnlib (hamerly)"]["labels"], ref["labels"])
        print(f"  churnlib hamerly and lloyd labels identical: "
              f"{np.array_equal(res['churnlib (hamerly)']['labels'], res['churnlib (lloyd)']['labels'])}; "
              f"identical to sklearn lloyd's: {same} "
              f"({np.mean(res['churnlib (hamerly)']['labels'] != ref['labels']):.2e} of rows differ)")
        fast_name = min(("sklearn lloyd", "sklearn elkan"), key=lambda n: res[n]["s"])
        ours = min(("churnlib (hamerly)", "churnlib (lloyd)"), key=lambda n: res[n]["s"])
        ratio = res[fast_name]["s"] / res[ours]["s"]
        gap = abs(res[ours]["inertia"] / res[fast_name]["inertia"] - 1)
        ok = ratio >= 2 and gap <= 1e-3
        verdicts.append(f"k = {k}: {'PASS' if ok else 'FAIL'}: {ours} {ratio:.2f}x faster than "
                        f"{fast_name} ({res[ours]['s']:.3f} s vs {res[fast_name]['s']:.3f} s), "
                        f"inertia within {gap:.1e}")
    print()
    if busy_rows:
        print(f"WARNING: other processes used more than 0.2 cores during {busy_rows} runs "
              "(BUSY): rerun on an idle machine before trusting those times.")
    print("verdict (target: >= 2x faster than scikit-learn's faster algorithm, inertia within 0.1%):")
    for v in verdicts:
        print("  " + v)
    return 0


if __name__ == "__main__":
    sys.exit(main())
