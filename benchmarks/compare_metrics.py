#!/usr/bin/env python3
"""Side-by-side metric benchmark: churnlib.metrics against scikit-learn on the same scores.

Labels ~ Bernoulli(0.3) and scores ``clip(0.3 y + 0.7 u, 0, 1)`` rounded to ``--decimals``
decimals (default 4: about 10,000 distinct values, so many ties), seed 42, ``--rows`` rows
(default 10,000,000). Each function runs once untimed, then ``--repeat`` times; the script prints
the median wall-clock seconds of each library, the ratio sklearn / churnlib (``3.0x`` = churnlib
is three times faster), and the absolute difference of the two results.

The figures are for information only: nothing here asserts a timing.

Example::

    python benchmarks/compare_metrics.py --rows 10000000 --repeat 5
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time

import numpy as np


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rows", type=int, default=10_000_000, help="number of scores")
    p.add_argument("--repeat", type=int, default=5, help="timed runs per function (median)")
    p.add_argument("--decimals", type=int, default=4, help="scores rounded to this many decimals")
    p.add_argument("--threads", type=int, default=0, help="churnlib n_threads (0 = all cores)")
    p.add_argument("--weighted", action="store_true", help="also pass random sample weights")
    return p.parse_args(argv)


def median_time(fn, repeat):
    result = fn()  # warm-up
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def main(argv=None):
    args = parse_args(argv)
    import churnlib as cl
    from sklearn import metrics as skm

    rng = np.random.default_rng(42)
    y = (rng.random(args.rows) < 0.3).astype(np.float64)
    p = np.round(np.clip(0.3 * y + 0.7 * rng.random(args.rows), 0, 1), args.decimals)
    w = rng.uniform(0.5, 1.5, args.rows) if args.weighted else None
    n_threads = args.threads
    print(f"{args.rows:,} scores, {len(np.unique(p)):,} distinct, weighted={args.weighted}; "
          f"{os.cpu_count()} CPUs, {platform.python_implementation()} {platform.python_version()}, "
          f"churnlib {cl.__version__} (OpenMP: {cl.has_openmp()}), median of {args.repeat}")
    cases = [
        ("roc_auc", lambda: cl.metrics.roc_auc(y, p, sample_weight=w, n_threads=n_threads),
         lambda: skm.roc_auc_score(y, p, sample_weight=w)),
        ("average_precision",
         lambda: cl.metrics.average_precision(y, p, sample_weight=w, n_threads=n_threads),
         lambda: skm.average_precision_score(y, p, sample_weight=w)),
        ("log_loss", lambda: cl.metrics.log_loss(y, p, sample_weight=w, n_threads=n_threads),
         lambda: skm.log_loss(y, y_proba=p, sample_weight=w)),
    ]
    print(f"{'metric':<20}{'churnlib s':>12}{'sklearn s':>12}{'ratio':>9}{'|diff|':>11}")
    for name, ours, theirs in cases:
        t_ours, r_ours = median_time(ours, args.repeat)
        t_theirs, r_theirs = median_time(theirs, args.repeat)
        print(f"{name:<20}{t_ours:>12.4f}{t_theirs:>12.4f}{t_theirs / t_ours:>8.1f}x"
              f"{abs(r_ours - r_theirs):>11.1e}")


if __name__ == "__main__":
    main()
