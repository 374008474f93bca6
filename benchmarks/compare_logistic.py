#!/usr/bin/env python3
"""Side-by-side logistic-regression fit benchmark: churnlib against scikit-learn.

One seeded data set is fitted by the three solvers below. ``--data dense`` (default): ``--rows`` x
``--cols`` standard-normal features (default 1,000,000 x 50), labels drawn from a logistic model.
``--data customers``: ``--rows`` synthetic customers from ``churnlib.make_customers`` (label
``churned``) turned into a model matrix by a ``churnlib.FeaturePipeline`` (built before any timing
and handed to every solver alike): the numeric columns with gaps median-imputed with a
missing-value indicator, every numeric column standardised, the categorical columns one-hot
encoded with missing as a level of its own: the customer table a churn team would model. Both data
sets are fitted by

* ``churnlib``: ``churnlib.LogisticRegression`` (solver "auto": Newton-Cholesky for p <= 500),
* ``sklearn lbfgs`` and ``sklearn newton-cholesky``: ``sklearn.linear_model.LogisticRegression``,

all with the same ``C`` (L2 penalty) and ``tol``. Each fit runs ``--repeat`` times (after one
untimed warm-up fit of churnlib, which also brings the data into cache); the script prints the
median wall-clock seconds, the final objective ``C * sum(logloss) + 0.5 ||w||^2`` (computed by
one numpy formula for everyone), its excess over the best objective, and the ratio of each
solver's median time to churnlib's (``3.0x`` = three times slower than churnlib).

Target (issue 3): churnlib at least 2x faster than scikit-learn's fastest solver, at an equal or
lower objective. Nothing here asserts a timing; the figures are for information.

Example::

    python benchmarks/compare_logistic.py                 # 1,000,000 x 50, 3 repeats
    python benchmarks/compare_logistic.py --rows 100000   # a quick run
    python benchmarks/compare_logistic.py --data customers
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
import warnings

import numpy as np


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", choices=("dense", "customers"), default="dense")
    p.add_argument("--rows", type=int, default=1_000_000)
    p.add_argument("--cols", type=int, default=50)
    p.add_argument("--C", type=float, default=1.0, help="inverse L2 strength (both libraries)")
    p.add_argument("--tol", type=float, default=1e-4, help="tolerance (both libraries)")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--threads", type=int, default=0, help="churnlib n_threads (0 = all cores)")
    p.add_argument("--seed", type=int, default=7)
    return p.parse_args(argv)


def make_data(rows, cols, seed):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((rows, cols))
    X[:, : cols // 5] += 0.5  # some non-centred columns, so the intercept matters
    beta = rng.normal(scale=1.0 / np.sqrt(cols), size=cols)
    eta = X @ beta - 0.8
    y = (rng.random(rows) < 1.0 / (1.0 + np.exp(-eta))).astype(np.float64)
    return X, y


def make_customer_data(rows, seed):
    """The shared model matrix: the feature preparation is not timed, only the fits are."""
    import churnlib as cl
    import pandas as pd

    df = cl.make_customers(rows, seed=seed).to_pandas(copy=True)
    y = df.pop("churned").to_numpy(dtype=np.float64)
    cats = [c for c in df.columns if isinstance(df[c].dtype, pd.CategoricalDtype)]
    nums = [c for c in df.columns if pd.api.types.is_float_dtype(df[c])]
    pipe = (cl.FeaturePipeline(output="numpy")
            .impute([c for c in nums if df[c].isna().any()], strategy="median", add_indicator=True)
            .impute([c for c in cats if df[c].isna().any()], strategy="constant",
                    fill_category="missing")
            .scale(nums)
            .one_hot(cats)
            .drop(["customer_id", "signup_date"]))
    return pipe.fit_transform(df), y


def objective(X, y, coef, intercept, C):
    eta = X @ coef + intercept
    return float(C * np.sum(np.logaddexp(0.0, eta) - y * eta) + 0.5 * coef @ coef)


def time_fit(fit, repeat):
    times, model = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        model = fit()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), model


def main(argv=None):
    args = parse_args(argv)
    import churnlib as cl
    from sklearn import __version__ as skv
    from sklearn.linear_model import LogisticRegression as SkLogistic

    if args.data == "dense":
        X, y = make_data(args.rows, args.cols, args.seed)
    else:
        X, y = make_customer_data(args.rows, args.seed)
    print(f"data: {args.data}, {X.shape[0]:,} x {X.shape[1]} float64 (seed {args.seed}), "
          f"C={args.C}, tol={args.tol}, repeat={args.repeat} (median)")
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; "
          f"churnlib {cl.__version__} (OpenMP: {cl.has_openmp()}), scikit-learn {skv}, "
          f"numpy {np.__version__}")

    runs = {}

    def ours():
        return cl.LogisticRegression(C=args.C, tol=args.tol, n_threads=args.threads).fit(X, y)

    ours()  # warm-up
    runs["churnlib (auto: newton)"] = time_fit(ours, args.repeat)
    for solver in ("lbfgs", "newton-cholesky"):
        def sk(solver=solver):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return SkLogistic(C=args.C, tol=args.tol, solver=solver, max_iter=1000).fit(X, y)
        runs[f"sklearn {solver}"] = time_fit(sk, args.repeat)

    objs = {k: objective(X, y, m.coef_[0], m.intercept_[0], args.C) for k, (_, m) in runs.items()}
    best = min(objs.values())
    base = runs["churnlib (auto: newton)"][0]
    print(f"\n{'solver':26s} {'median s':>9s} {'n_iter':>7s} {'objective':>22s} "
          f"{'excess':>10s} {'time / churnlib':>16s}")
    for name, (t, m) in runs.items():
        print(f"{name:26s} {t:9.3f} {int(np.ravel(m.n_iter_)[0]):7d} {objs[name]:22.10f} "
              f"{objs[name] - best:10.3g} {t / base:15.2f}x")
    sk_fastest = min((t, k) for k, (t, _) in runs.items() if k.startswith("sklearn"))
    ok_obj = objs["churnlib (auto: newton)"] <= objs[sk_fastest[1]] * (1 + 1e-12)
    print(f"\nchurnlib vs scikit-learn's fastest ({sk_fastest[1]}): "
          f"{sk_fastest[0] / base:.2f}x faster; objective "
          f"{'equal or lower' if ok_obj else 'HIGHER'} "
          f"({objs['churnlib (auto: newton)'] - objs[sk_fastest[1]]:+.3g}). Target: >= 2x.")


if __name__ == "__main__":
    main()
