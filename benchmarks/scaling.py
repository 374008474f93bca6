#!/usr/bin/env python3
"""Thread scaling of GBDT training: churnlib against LightGBM and XGBoost, 1 thread to all cores.

Data: ``churn_data.make_churn_table(--rows, --seed)`` (default 1,000,000 rows): its first 20
numerical columns (several with missing values) and the categoricals ``contract``,
``payment_method``, ``internet_service`` and ``plan`` as integer codes (NaN = missing), 24
features in one float64 C-ordered matrix that every library reads, categoricals split natively.
Every library trains ``--trees`` trees (100) of ``--leaves`` leaves (31) grown best-first, 255
bins, learning rate 0.1, at least 20 rows per leaf, with each thread count of ``--threads``
(default 1, 2, 4, ... up to the machine's cores, and the core count itself):

* ``churnlib``: ``cl.GBDTClassifier(n_threads=T)``;
* ``lightgbm``: ``lightgbm.train`` with ``num_threads=T`` (the Dataset is built before timing,
  as LightGBM bins it then; churnlib's time includes its binning);
* ``xgboost``: ``xgboost.train`` with ``tree_method="hist"``, ``grow_policy="lossguide"``,
  ``max_leaves``, ``nthread=T`` on a ``QuantileDMatrix`` built before timing.

Each library runs in its own child process (this script with ``--child``), which loads the data
the parent generated once (a temporary ``.npy``) and fits at every thread count, ``--repeat``
times (median). The table shows each fit's seconds, churnlib / LightGBM, and each library's
speed-up over its own one-thread fit.

churnlib's rows also show its ``fit_profile_``: ``serial s`` is the time of the boosting rounds
during which one thread worked (``serial_s``) and ``serial %`` its share of the one-thread
fit's boosting time, the serial fraction s of Amdahl's law, whose bound on the speed-up with T
threads, 1 / (s + (1 - s) / T), is printed beside it; ``regions/tree`` counts the parallel
regions (barriers) per tree; ``zeroed KB/tree`` and ``reduced KB/tree`` are the histogram bytes
cleared and the partial histograms added up per tree. ``--profile-threads 8,16`` adds churnlib
fits at those thread counts even beyond the machine's cores (oversubscribed: their times are
not speeds, but the counts, regions and bytes are what those thread counts do, and the serial
time is still the one-thread part, best measured with ``OMP_WAIT_POLICY=passive``).

Times are wall seconds on whatever else the machine runs: compare within one run.

Example::

    python benchmarks/scaling.py                              # 1M rows, 100 trees, 31 leaves
    python benchmarks/scaling.py --leaves 255 --trees 50
    python benchmarks/scaling.py --rows 200000 --libs churnlib,lightgbm --threads 1,2
    OMP_WAIT_POLICY=passive python benchmarks/scaling.py --libs churnlib --profile-threads 4,8,16
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
LIBS = ("churnlib", "lightgbm", "xgboost")
CATEGORICAL = ["contract", "payment_method", "internet_service", "plan"]
N_NUMERIC = 20


def default_threads():
    cores = os.cpu_count() or 1
    out, t = [], 1
    while t < cores:
        out.append(t)
        t *= 2
    out.append(cores)
    return out


def int_list(text):
    try:
        values = [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}")
    if any(v < 1 for v in values):
        raise argparse.ArgumentTypeError("thread counts must be >= 1")
    return values


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rows", type=int, default=1_000_000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--trees", type=int, default=100)
    p.add_argument("--leaves", type=int, default=31)
    p.add_argument("--threads", type=int_list, default=None,
                   help="comma-separated thread counts (default 1, 2, 4, ... and all cores)")
    p.add_argument("--profile-threads", type=int_list, default=[],
                   help="extra churnlib-only thread counts, may exceed the cores (see above)")
    p.add_argument("--repeat", type=int, default=1, help="fits per thread count (median)")
    p.add_argument("--libs", default=",".join(LIBS), help="comma-separated subset of " + str(LIBS))
    p.add_argument("--child", default=None, help=argparse.SUPPRESS)
    p.add_argument("--data", default=None, help=argparse.SUPPRESS)
    return p.parse_args(argv)


def make_data(rows, seed):
    sys.path.insert(0, HERE)
    from churn_data import make_churn_table

    df, y = make_churn_table(rows, seed)
    numeric = [c for c in df.columns if str(df[c].dtype) != "category"][:N_NUMERIC]
    X = np.empty((rows, N_NUMERIC + len(CATEGORICAL)))
    for j, c in enumerate(numeric):
        X[:, j] = df[c].to_numpy(dtype=np.float64)
    for j, c in enumerate(CATEGORICAL):
        codes = df[c].cat.codes.to_numpy().astype(np.float64)
        codes[codes < 0] = np.nan
        X[:, N_NUMERIC + j] = codes
    return np.ascontiguousarray(X), np.asarray(y, dtype=np.float64)


def fitter(lib, X, y, args):
    """(version, fit(threads) -> (seconds, extra dict)) for `lib`."""
    cats = list(range(N_NUMERIC, X.shape[1]))
    if lib == "churnlib":
        import churnlib as cl

        def fit(threads):
            m = cl.GBDTClassifier(n_estimators=args.trees, num_leaves=args.leaves,
                                  learning_rate=0.1, max_bins=255, min_child_samples=20,
                                  categorical_features=cats, n_threads=threads, seed=args.seed)
            t0 = time.perf_counter()
            m.fit(X, y)
            return time.perf_counter() - t0, dict(m.fit_profile_)

        return cl.__version__, fit
    if lib == "lightgbm":
        import lightgbm as lgb

        ds = lgb.Dataset(X, y, categorical_feature=cats, free_raw_data=False,
                         params={"max_bin": 255, "verbose": -1})
        ds.construct()

        def fit(threads):
            params = dict(objective="binary", num_leaves=args.leaves, learning_rate=0.1,
                          max_bin=255, min_child_samples=20, num_threads=threads, verbose=-1,
                          seed=args.seed)
            t0 = time.perf_counter()
            lgb.train(params, ds, args.trees)
            return time.perf_counter() - t0, {}

        return lgb.__version__, fit
    import xgboost as xgb

    types = ["q"] * N_NUMERIC + ["c"] * len(cats)
    dm = xgb.QuantileDMatrix(X, y, max_bin=255, feature_types=types, enable_categorical=True)

    def fit(threads):
        params = dict(objective="binary:logistic", tree_method="hist", grow_policy="lossguide",
                      max_leaves=args.leaves, max_depth=0, max_bin=255, eta=0.1,
                      nthread=threads, seed=args.seed)
        t0 = time.perf_counter()
        xgb.train(params, dm, args.trees)
        return time.perf_counter() - t0, {}

    return xgb.__version__, fit


def child(args):
    data = np.load(args.data)
    X, y = data["X"], data["y"]
    try:
        version, fit = fitter(args.child, X, y, args)
    except ImportError as e:
        print(json.dumps({"error": f"not available ({e})"}), flush=True)
        return
    fit(max(args.threads))  # warm-up: page in the data, start the thread pool
    runs = [(t, False) for t in args.threads]
    if args.child == "churnlib":
        runs += [(t, True) for t in args.profile_threads]
    for threads, oversubscribed in runs:
        times, extra = [], {}
        for _ in range(args.repeat):
            s, extra = fit(threads)
            times.append(s)
        print(json.dumps({"version": version, "threads": threads, "seconds": statistics.median(times),
                          "profile": extra, "oversubscribed": oversubscribed}), flush=True)


def run_child(lib, args, data_path):
    cmd = [sys.executable, os.path.abspath(__file__), "--child", lib, "--data", data_path,
           "--rows", str(args.rows), "--seed", str(args.seed), "--trees", str(args.trees),
           "--leaves", str(args.leaves), "--repeat", str(args.repeat),
           "--threads", ",".join(map(str, args.threads))]
    if args.profile_threads:
        cmd += ["--profile-threads", ",".join(map(str, args.profile_threads))]
    out = []
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True) as proc:
        for line in proc.stdout:
            rec = json.loads(line)
            if "error" in rec:
                print(f"{lib}: {rec['error']}")
                break
            print(f"  {lib} {rec['threads']:>3} threads: {rec['seconds']:.3f} s"
                  f"{' (oversubscribed)' if rec['oversubscribed'] else ''}", flush=True)
            out.append(rec)
    if proc.returncode not in (0, None):
        raise SystemExit(f"{lib}: the child process failed (exit {proc.returncode})")
    return out


def main(argv=None):
    args = parse_args(argv)
    if args.threads is None:
        args.threads = default_threads()
    if args.child:
        child(args)
        return
    libs = [lib.strip() for lib in args.libs.split(",") if lib.strip()]
    for lib in libs:
        if lib not in LIBS:
            raise SystemExit(f"unknown library {lib!r}; choose from {LIBS}")
    t0 = time.perf_counter()
    X, y = make_data(args.rows, args.seed)
    print(f"data: {X.shape[0]} rows x {X.shape[1]} features ({time.perf_counter() - t0:.1f} s); "
          f"{args.trees} trees, {args.leaves} leaves, 255 bins; threads {args.threads}; "
          f"{os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f}")
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "data.npz")
        np.savez(path, X=X, y=y)
        del X, y
        for lib in libs:
            results[lib] = run_child(lib, args, path)
    report(args, results)
    print(f"load average at the end {os.getloadavg()[0]:.1f}")


def report(args, results):
    by = {lib: {r["threads"]: r for r in recs if not r["oversubscribed"]}
          for lib, recs in results.items()}
    libs = [lib for lib in LIBS if by.get(lib)]
    versions = ", ".join(f"{lib} {next(iter(by[lib].values()))['version']}" for lib in libs)
    print(f"\n{versions}\n")
    head = "| threads | " + " | ".join(f"{lib} fit s" for lib in libs)
    if "churnlib" in libs and "lightgbm" in libs:
        head += " | churnlib / LightGBM"
    print(head + " |")
    print("|---" * (head.count("|")) + "|")
    for t in args.threads:
        cells = [f"{by[lib][t]['seconds']:.2f}" if t in by[lib] else "" for lib in libs]
        line = f"| {t} | " + " | ".join(cells)
        if "churnlib" in libs and "lightgbm" in libs and t in by["churnlib"] and t in by["lightgbm"]:
            line += f" | {by['churnlib'][t]['seconds'] / by['lightgbm'][t]['seconds']:.2f}"
        print(line + " |")
    lo, hi = min(args.threads), max(args.threads)
    for lib in libs:
        if lo in by[lib] and hi in by[lib]:
            print(f"{lib}: speed-up from {lo} to {hi} threads "
                  f"{by[lib][lo]['seconds'] / by[lib][hi]['seconds']:.2f}x")
    if "churnlib" not in results or 1 not in by.get("churnlib", {}):
        return
    base = by["churnlib"][1]["profile"]
    one = base["boosting_s"]
    print("\nchurnlib's fit profile (serial % = serial s / the 1-thread fit's boosting "
          f"{one:.2f} s; bound = Amdahl's 1 / (s + (1 - s) / T)):\n")
    print("| threads | fit s | boosting s | serial s | serial % | Amdahl bound | regions/tree "
          "| zeroed KB/tree | reduced KB/tree |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in results["churnlib"]:
        p, t = r["profile"], r["threads"]
        s = p["serial_s"] / one if one > 0 else float("nan")
        bound = 1.0 / (s + (1.0 - s) / t) if t > 1 else 1.0
        trees = max(1, p["n_trees"])
        mark = " (oversubscribed)" if r["oversubscribed"] else ""
        print(f"| {t}{mark} | {r['seconds']:.2f} | {p['boosting_s']:.2f} | {p['serial_s']:.2f} "
              f"| {100 * s:.1f} | {bound:.1f}x | {p['parallel_regions'] / trees:.1f} "
              f"| {p['hist_bytes_zeroed'] / 1024 / trees:.0f} "
              f"| {p['hist_bytes_reduced'] / 1024 / trees:.0f} |")


if __name__ == "__main__":
    main()
