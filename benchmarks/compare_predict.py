#!/usr/bin/env python3
"""Batch and one-row prediction of a boosted model: churnlib's GBDT against LightGBM and lleaves.

Data: ``churn_data.make_churn_table(--rows, --seed)``; the model's 20 features are its first 16
numerical columns (NaN in several) and the categoricals ``contract``, ``payment_method``,
``internet_service`` and ``plan`` as integer codes (NaN = missing), one float64 C-ordered matrix
that all three libraries read. Each library trains its own model on it (``--trees`` trees,
``--leaves`` leaves, learning rate 0.1, 255 bins, the four categorical columns split natively):

* ``churnlib``: ``cl.GBDTClassifier``; prediction ``predict_proba(X)[:, 1]``;
* ``lightgbm``: ``lightgbm.train``; prediction ``Booster.predict(X, num_threads=T)``;
* ``lleaves``: LightGBM's model compiled by lleaves 1.3 (``pip install lleaves==1.3.0
  "llvmlite<0.45"``); prediction ``Model.predict(X, n_jobs=T)``.

Timed: batch prediction of all ``--rows`` rows with 1 thread and with ``--threads`` (median of
``--repeat``), and ``--one-row`` single-row calls from Python (``X[i:i+1]``, 1 thread; median and
99th percentile in microseconds). Compile time of lleaves is reported, not counted. lleaves'
probabilities must equal LightGBM's (same model) to 1e-12, else the run stops with an error.
Between libraries the max |difference| of the probabilities is reported as a sanity check only
(the models differ). The machine's other load is not controlled: compare ratios within one run.

Checking that a change keeps churnlib's predictions: training is deterministic for a given
``--rows``/``--seed``/``--trees``/``--leaves``, so ``--save-raw PATH`` writes churnlib's
``predict_raw`` of all rows (``np.save``, float64) and ``--check-raw PATH`` compares the current
build's with such a file and exits with status 1 unless they are bit-identical.

Example::

    python benchmarks/compare_predict.py                       # 200,000 rows, 100 trees
    python benchmarks/compare_predict.py --rows 50000 --libs churnlib,lightgbm
    python benchmarks/compare_predict.py --rows 50000 --save-raw before.npy   # then, after a
    python benchmarks/compare_predict.py --rows 50000 --check-raw before.npy  # change
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
LIBS = ("churnlib", "lightgbm", "lleaves")
CATEGORICAL = ["contract", "payment_method", "internet_service", "plan"]


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rows", type=int, default=200_000, help="generated rows (train and predict)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--trees", type=int, default=100)
    p.add_argument("--leaves", type=int, default=31)
    p.add_argument("--threads", type=int, default=os.cpu_count() or 1,
                   help="threads of the multi-threaded runs (default: all cores)")
    p.add_argument("--repeat", type=int, default=3, help="timed batch predictions (median)")
    p.add_argument("--one-row", type=int, default=2000, help="timed one-row calls")
    p.add_argument("--libs", default=",".join(LIBS), help="comma-separated subset of " + str(LIBS))
    p.add_argument("--save-raw", metavar="PATH",
                   help="write churnlib's predict_raw of all rows to PATH (np.save)")
    p.add_argument("--check-raw", metavar="PATH",
                   help="exit 1 unless churnlib's predict_raw of all rows is bit-identical to "
                        "the array saved in PATH by --save-raw")
    return p.parse_args(argv)


def make_data(rows, seed):
    sys.path.insert(0, HERE)
    from churn_data import make_churn_table

    df, y = make_churn_table(rows, seed)
    numeric = [c for c in df.columns if str(df[c].dtype) != "category"][:16]
    X = np.empty((rows, 20))
    for j, c in enumerate(numeric):
        X[:, j] = df[c].to_numpy(dtype=np.float64)
    for j, c in enumerate(CATEGORICAL):
        codes = df[c].cat.codes.to_numpy().astype(np.float64)
        codes[codes < 0] = np.nan
        X[:, 16 + j] = codes
    return np.ascontiguousarray(X), np.asarray(y)


def train(lib, X, y, args, workdir):
    """A predict(X, threads) function for `lib`, its version, its training/compile seconds and
    (churnlib only, else None) its predict_raw(X) function."""
    cats = list(range(16, 20))
    if lib == "churnlib":
        import json

        import churnlib as cl

        m = cl.GBDTClassifier(n_estimators=args.trees, num_leaves=args.leaves, learning_rate=0.1,
                              max_bins=255, categorical_features=cats, n_threads=args.threads,
                              seed=args.seed)
        t0 = time.perf_counter()
        m.fit(X, y)
        fit_s = time.perf_counter() - t0
        models = {}
        for t in (1, args.threads):  # the same trees; prediction threads come from n_threads
            doc = json.loads(m.to_json())
            doc["params"]["n_threads"] = t
            models[t] = cl.GBDTClassifier.from_json(json.dumps(doc))
        return (lambda A, t: models[t].predict_proba(A)[:, 1]), cl.__version__, fit_s, \
            models[1].predict_raw
    import lightgbm as lgb

    params = dict(objective="binary", num_leaves=args.leaves, learning_rate=0.1, max_bin=255,
                  num_threads=args.threads, verbose=-1, seed=args.seed)
    ds = lgb.Dataset(X, y, categorical_feature=cats, free_raw_data=False)
    t0 = time.perf_counter()
    booster = lgb.train(params, ds, args.trees)
    fit_s = time.perf_counter() - t0
    if lib == "lightgbm":
        return (lambda A, t: booster.predict(A, num_threads=t)), lgb.__version__, fit_s, None
    import lleaves

    path = os.path.join(workdir, "lightgbm_model.txt")
    booster.save_model(path)
    model = lleaves.Model(model_file=path)
    t0 = time.perf_counter()
    model.compile(cache=os.path.join(workdir, "lleaves_model.so"))
    compile_s = time.perf_counter() - t0
    version = getattr(lleaves, "__version__", "1.3")
    # lleaves compiles LightGBM's model: its probabilities must be LightGBM's.
    d = float(np.max(np.abs(model.predict(X, n_jobs=args.threads)
                            - booster.predict(X, num_threads=args.threads))))
    if not d <= 1e-12:  # NaN fails too
        raise SystemExit(f"lleaves' probabilities differ from LightGBM's by {d:.3g} (more than "
                         "1e-12): the compiled model does not predict as LightGBM's")
    print(f"lleaves: probabilities equal LightGBM's to 1e-12 (max |difference| {d:.3g})")
    return (lambda A, t: model.predict(A, n_jobs=t)), version, compile_s, None


def time_batch(predict, X, threads, repeat):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        p = predict(X, threads)
        times.append(time.perf_counter() - t0)
    return statistics.median(times), p


def time_one_row(predict, X, calls):
    n = min(calls, X.shape[0])
    rows = [np.ascontiguousarray(X[i:i + 1]) for i in range(n)]
    for r in rows[:50]:  # warm-up
        predict(r, 1)
    us = []
    for r in rows:
        t0 = time.perf_counter_ns()
        predict(r, 1)
        us.append((time.perf_counter_ns() - t0) / 1000.0)
    us.sort()
    return statistics.median(us), us[min(len(us) - 1, int(0.99 * len(us)))]


def check_raw(raw, args):
    """--save-raw / --check-raw of churnlib's raw scores of all rows."""
    raw = np.asarray(raw, dtype=np.float64)
    if args.save_raw:
        np.save(args.save_raw, raw)
        print(f"churnlib predict_raw of {raw.shape[0]} rows saved to {args.save_raw}")
    if args.check_raw:
        saved = np.load(args.check_raw)
        if saved.dtype != np.float64 or saved.shape != raw.shape or not np.array_equal(saved, raw):
            diff = (float(np.max(np.abs(saved - raw)))
                    if saved.shape == raw.shape else f"shape {saved.shape} vs {raw.shape}")
            print(f"churnlib predict_raw differs from {args.check_raw} (max |difference| "
                  f"{diff})")
            raise SystemExit(1)
        print(f"churnlib predict_raw of {raw.shape[0]} rows is bit-identical to "
              f"{args.check_raw}")


def main(argv=None):
    import tempfile

    args = parse_args(argv)
    libs = [lib.strip() for lib in args.libs.split(",") if lib.strip()]
    for lib in libs:
        if lib not in LIBS:
            raise SystemExit(f"unknown library {lib!r}; choose from {LIBS}")
    if (args.save_raw or args.check_raw) and "churnlib" not in libs:
        raise SystemExit("--save-raw and --check-raw need churnlib in --libs")
    t0 = time.perf_counter()
    X, y = make_data(args.rows, args.seed)
    print(f"data: {X.shape[0]} rows x {X.shape[1]} features ({time.perf_counter() - t0:.1f} s); "
          f"{args.trees} trees, {args.leaves} leaves; threads 1 and {args.threads}; "
          f"load average {os.getloadavg()[0]:.1f}")
    results, probs = {}, {}
    with tempfile.TemporaryDirectory() as workdir:
        for lib in libs:
            try:
                predict, version, setup_s, raw = train(lib, X, y, args, workdir)
            except ImportError as e:
                if lib == "churnlib" and (args.save_raw or args.check_raw):
                    raise SystemExit(f"churnlib: not available ({e}): no raw scores to save "
                                     "or check") from None
                print(f"{lib}: not available ({e})")
                continue
            if raw is not None:
                check_raw(raw(X), args)
            one_s, probs[lib] = time_batch(predict, X, 1, args.repeat)
            all_s, _ = time_batch(predict, X, args.threads, args.repeat)
            p50, p99 = time_one_row(predict, X, args.one_row)
            results[lib] = (version, setup_s, one_s, all_s, p50, p99)
    if not results:
        return
    ref = results.get("churnlib", next(iter(results.values())))
    print(f"\n| library | version | fit/compile s | batch 1 thread s | vs churnlib | batch "
          f"{args.threads} threads s | vs churnlib | one row p50 us | p99 us |")
    print("|---|---|---|---|---|---|---|---|---|")
    for lib, (version, setup_s, one_s, all_s, p50, p99) in results.items():
        print(f"| {lib} | {version} | {setup_s:.1f} | {one_s:.3f} | {one_s / ref[2]:.2f}x | "
              f"{all_s:.3f} | {all_s / ref[3]:.2f}x | {p50:.1f} | {p99:.1f} |")
    names = list(probs)
    for i in range(len(names)):
        for j in range(i + 1, len(names)):
            d = float(np.max(np.abs(probs[names[i]] - probs[names[j]])))
            print(f"max |P({names[i]}) - P({names[j]})| = {d:.3g}")
    print(f"load average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
