#!/usr/bin/env python3
"""Side-by-side gradient-boosting benchmark: churnlib against LightGBM, XGBoost and scikit-learn.

Data: ``churn_data.make_churn_table(--rows, --seed)`` (default 1,000,000 rows, 30 features: 22
numeric with missing values, 8 pandas ``category`` columns, one of them with 50 levels; about 20%
churners), split 80/20 into train and test with a seeded permutation. Every library trains on the
same pandas DataFrame with its categorical columns handled natively, with the same settings:
``--trees`` trees (200), 31 leaves grown best-first, learning rate 0.1, 255 bins, at least 20
samples per leaf, ``--threads`` threads (2):

* ``churnlib``: ``churnlib.GBDTClassifier(n_estimators, learning_rate=0.1, num_leaves=31,
  max_bins=255, min_child_samples=20, n_threads, seed)``; category columns detected automatically;
* ``lightgbm``: ``lightgbm.LGBMClassifier(n_estimators, learning_rate=0.1, num_leaves=31,
  max_bin=255, min_child_samples=20, n_jobs, verbose=-1)``; category columns from the dtype;
* ``xgboost``: ``xgboost.XGBClassifier(tree_method="hist", grow_policy="lossguide",
  max_leaves=31, max_depth=0, max_bin=255, n_estimators, learning_rate=0.1, n_jobs,
  enable_categorical=True)``. XGBoost has no minimum sample count per leaf, only
  ``min_child_weight`` (a minimum hessian sum, default 1, left as is), and it keeps its default
  L2 penalty ``reg_lambda=1`` (the others have none);
* ``sklearn``: ``sklearn.ensemble.HistGradientBoostingClassifier(max_iter, learning_rate=0.1,
  max_leaf_nodes=31, max_bins=255, min_samples_leaf=20, early_stopping=False,
  categorical_features="from_dtype")``; its OpenMP threads are limited to ``--threads`` with
  ``OMP_NUM_THREADS`` and threadpoolctl.

Each library runs in its own child process (this script with ``--child NAME``), which regenerates
the data from the seed, so peak memory is per library. In the child: generate and split the data,
build the model object, give freed heap memory back to the OS (glibc ``malloc_trim``, so the fit
cannot reuse pages the generator freed without its RSS growing), reset the peak resident set size
(``echo 5 > /proc/self/clear_refs``), read ``VmRSS`` (the baseline: interpreter, libraries, the
train and test frames), time ``fit``, then read ``VmHWM``. "peak MB" is ``VmHWM - VmRSS before
fit``: the extra memory the fit needed at its peak (binned data, gradients, histograms, the model,
any copy of the input); "VmHWM MB" is the absolute peak of the child. Then ``predict_proba`` on the
test set runs ``--predict-repeat`` times (median), and the test AUC comes from
``sklearn.metrics.roc_auc_score``. ``fit`` runs ``--repeat`` times (median; the peak is taken from
the first fit).

The table shows the ratio of each library's time to churnlib's (``1.50x`` = 1.5 times slower than
churnlib) and the AUC difference to churnlib (positive = more accurate than churnlib); a verdict
block checks the targets of the GBDT issue: churnlib trains faster than XGBoost and scikit-learn and
within 1.3x of LightGBM, its test AUC is at most 0.002 below the best peer, its batch prediction is
at least as fast as LightGBM's, and its training peak memory is no higher than LightGBM's. The
script exits 0 whatever the verdict; the figures are for information. Each child's progress line
shows the fit's CPU time / wall time and how many cores other processes used on average while it
ran (from /proc/stat); above 0.25 the script prints a warning, as the times are then not
comparable: with 2 threads on 2 busy cores, LightGBM and XGBoost can slow down by more than 10x.
When churnlib has no ``GBDTClassifier`` yet, its row reads "not available" and the peers still run.

Example::

    python benchmarks/compare_gbdt.py                      # 1,000,000 rows, 200 trees, 2 threads
    python benchmarks/compare_gbdt.py --quick              # 50,000 rows, 20 trees: a smoke run
    python benchmarks/compare_gbdt.py --libs churnlib,lightgbm --rows 200000
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
LIBS = ("churnlib", "lightgbm", "xgboost", "sklearn")
LEAVES, BINS, MIN_LEAF, LEARNING_RATE = 31, 255, 20, 0.1
TARGET_LGBM_FIT_RATIO, TARGET_AUC_GAP = 1.3, 0.002
BUSY_CORES = 0.25  # other processes' average core use during a fit above which a warning shows


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rows", type=int, default=None, help="rows generated (default 1,000,000)")
    p.add_argument("--trees", type=int, default=None, help="boosting rounds (default 200)")
    p.add_argument("--threads", type=int, default=2, help="threads for every library")
    p.add_argument("--repeat", type=int, default=1, help="timed fits per library (median)")
    p.add_argument("--predict-repeat", type=int, default=3, help="timed predictions (median)")
    p.add_argument("--libs", default=",".join(LIBS), help=f"comma-separated subset of {LIBS}")
    p.add_argument("--seed", type=int, default=0, help="data, split and model seed")
    p.add_argument("--quick", action="store_true", help="smoke run: 50,000 rows, 20 trees")
    p.add_argument("--json", metavar="PATH", help="also write the results to this JSON file")
    p.add_argument("--child", choices=LIBS, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.rows is None:
        args.rows = 50_000 if args.quick else 1_000_000
    if args.trees is None:
        args.trees = 20 if args.quick else 200
    args.libs = [s.strip() for s in args.libs.split(",") if s.strip()]
    unknown = sorted(set(args.libs) - set(LIBS))
    if unknown:
        p.error(f"--libs: unknown {unknown}; choose from {LIBS}")
    return args


# ---- child process: one library -------------------------------------------------------------

def _status_mb(*keys):
    out = {}
    with open("/proc/self/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in keys:
                out[k] = int(v.split()[0]) / 1024.0  # kB -> MiB
    return out


def _reset_peak():
    """Reset VmHWM to the current RSS (Linux >= 4.0); False where that is not allowed."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def _machine_busy_s():
    """CPU seconds all processes have used so far (the busy fields of /proc/stat's cpu line)."""
    try:
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    idle = v[3] + (v[4] if len(v) > 4 else 0)  # idle + iowait
    busy = sum(v[:8]) - idle  # user nice system idle iowait irq softirq steal
    return busy / os.sysconf("SC_CLK_TCK")


def _release_free_memory():
    """Give freed heap memory back to the OS (glibc ``malloc_trim``), so that the fit cannot reuse
    pages the data generation freed but the allocator kept, which would hide part of its peak."""
    try:
        import ctypes
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def split(X, y, seed):
    """Seeded 80/20 train/test split (row order kept within each part)."""
    n = len(y)
    perm = np.random.default_rng(seed + 1).permutation(n)
    test, train = np.sort(perm[: n // 5]), np.sort(perm[n // 5:])
    return (X.iloc[train].reset_index(drop=True), X.iloc[test].reset_index(drop=True),
            y[train], y[test])


def make_model(name, args):
    """(model, version) for one library, or (None, reason) when it cannot run."""
    if name == "churnlib":
        import churnlib as cl
        if not hasattr(cl, "GBDTClassifier"):
            return None, f"churnlib {cl.__version__} has no GBDTClassifier"
        return cl.GBDTClassifier(n_estimators=args.trees, learning_rate=LEARNING_RATE,
                                 num_leaves=LEAVES, max_bins=BINS, min_child_samples=MIN_LEAF,
                                 n_threads=args.threads, seed=args.seed), cl.__version__
    if name == "lightgbm":
        import lightgbm as lgb
        return lgb.LGBMClassifier(n_estimators=args.trees, learning_rate=LEARNING_RATE,
                                  num_leaves=LEAVES, max_bin=BINS, min_child_samples=MIN_LEAF,
                                  n_jobs=args.threads, random_state=args.seed,
                                  verbose=-1), lgb.__version__
    if name == "xgboost":
        import xgboost as xgb
        return xgb.XGBClassifier(n_estimators=args.trees, learning_rate=LEARNING_RATE,
                                 tree_method="hist", grow_policy="lossguide", max_leaves=LEAVES,
                                 max_depth=0, max_bin=BINS, n_jobs=args.threads,
                                 enable_categorical=True, random_state=args.seed), xgb.__version__
    if name == "sklearn":
        import sklearn
        from sklearn.ensemble import HistGradientBoostingClassifier
        return HistGradientBoostingClassifier(max_iter=args.trees, learning_rate=LEARNING_RATE,
                                              max_leaf_nodes=LEAVES, max_bins=BINS,
                                              min_samples_leaf=MIN_LEAF, early_stopping=False,
                                              categorical_features="from_dtype",
                                              random_state=args.seed), sklearn.__version__
    raise ValueError(name)


def run_child(args):
    import pandas as pd  # noqa: F401  (imported before the baseline, like every library)
    from sklearn.metrics import roc_auc_score
    from threadpoolctl import threadpool_limits

    sys.path.insert(0, HERE)
    from churn_data import make_churn_table

    model, version = make_model(args.child, args)
    if model is None:
        return {"lib": args.child, "available": False, "reason": version}
    t0 = time.perf_counter()
    X, y = make_churn_table(args.rows, args.seed)
    gen_s = time.perf_counter() - t0
    n_features = X.shape[1]
    n_cat = sum(str(t) == "category" for t in X.dtypes)
    X_train, X_test, y_train, y_test = split(X, y, args.seed)
    del X, y
    gc.collect()
    _release_free_memory()

    with threadpool_limits(limits=args.threads):
        reset_ok = _reset_peak()
        base = _status_mb("VmRSS")["VmRSS"]
        fit_times, fit_cpu, others = [], [], None
        for r in range(args.repeat):
            if r:
                model, _ = make_model(args.child, args)
                gc.collect()
            t0, c0, m0 = time.perf_counter(), time.process_time(), _machine_busy_s()
            model.fit(X_train, y_train)
            fit_times.append(time.perf_counter() - t0)
            fit_cpu.append(time.process_time() - c0)
            m1 = _machine_busy_s()
            if r == 0 and m0 is not None and m1 is not None:
                # cores used on average by other processes while this fit ran
                others = max(0.0, (m1 - m0) - fit_cpu[0]) / fit_times[0]
            if r == 0:
                hwm = _status_mb("VmHWM")["VmHWM"]
        pred_times = []
        for _ in range(args.predict_repeat):
            t0 = time.perf_counter()
            proba = model.predict_proba(X_test)[:, 1]
            pred_times.append(time.perf_counter() - t0)
    return {
        "lib": args.child, "available": True, "version": version,
        "fit_s": statistics.median(fit_times), "fit_times": fit_times, "fit_cpu_s": fit_cpu,
        "other_cores_during_fit": others,
        "predict_s": statistics.median(pred_times), "predict_times": pred_times,
        "auc": float(roc_auc_score(y_test, proba)),
        "rss_before_fit_mb": base, "vmhwm_mb": hwm, "peak_mb": hwm - base,
        "peak_reset": reset_ok,
        "data": {"rows": args.rows, "train": len(y_train), "test": len(y_test),
                 "features": n_features, "categorical": n_cat,
                 "churn_rate": float(np.mean(y_train)), "generate_s": gen_s},
    }


# ---- parent process ---------------------------------------------------------------------------

def spawn(name, args):
    cmd = [sys.executable, "-X", "faulthandler", os.path.abspath(__file__), "--child", name,
           "--rows", str(args.rows), "--trees", str(args.trees), "--threads", str(args.threads),
           "--repeat", str(args.repeat), "--predict-repeat", str(args.predict_repeat),
           "--seed", str(args.seed)]
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads))
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, text=True)
    wall = time.perf_counter() - t0
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith("RESULT "):
            res = json.loads(line[len("RESULT "):])
            res["child_wall_s"] = wall
            return res
    rc = proc.returncode
    how = f"killed by {signal.Signals(-rc).name}" if rc < 0 else f"exit code {rc}"
    return {"lib": name, "available": False, "status": "failed",
            "reason": f"child process failed ({how}); see its stderr above"}


def ratio(a, b):
    return f"{a / b:.2f}x" if a is not None and b else "-"


def verdict(results):
    """PASS/FAIL lines for the issue's targets (churnlib against the peers that ran)."""
    ok = {k: r for k, r in results.items() if r.get("available")}
    c = ok.get("churnlib")
    if c is None:
        return ["skipped: churnlib did not run"]
    lines = []
    busy = {k for k, r in ok.items() if (r.get("other_cores_during_fit") or 0.0) > BUSY_CORES}

    def check(label, cond, detail, timed=None):
        """timed: the peer of a timing check (its times and churnlib's may be distorted)."""
        flag = [k for k in ("churnlib", timed) if timed and k in busy]
        note = f" [machine busy during {', '.join(flag)}: unreliable]" if flag else ""
        lines.append(f"{'PASS' if cond else 'FAIL'}  {label}: {detail}{note}")

    for peer, name in (("xgboost", "XGBoost"), ("sklearn", "scikit-learn")):
        if peer in ok:
            check(f"fit faster than {name}", c["fit_s"] < ok[peer]["fit_s"],
                  f"{c['fit_s']:.2f} s vs {ok[peer]['fit_s']:.2f} s "
                  f"({ok[peer]['fit_s'] / c['fit_s']:.2f}x)", peer)
        else:
            lines.append(f"n/a   fit faster than {name}: {peer} did not run")
    if "lightgbm" in ok:
        lg = ok["lightgbm"]
        check(f"fit within {TARGET_LGBM_FIT_RATIO}x of LightGBM",
              c["fit_s"] <= TARGET_LGBM_FIT_RATIO * lg["fit_s"],
              f"{c['fit_s']:.2f} s vs {lg['fit_s']:.2f} s (churnlib / LightGBM = "
              f"{c['fit_s'] / lg['fit_s']:.2f})", "lightgbm")
    else:
        lines.append("n/a   fit within 1.3x of LightGBM: lightgbm did not run")
    peers = {k: r for k, r in ok.items() if k != "churnlib"}
    if peers:
        best = max(peers, key=lambda k: peers[k]["auc"])
        gap = peers[best]["auc"] - c["auc"]
        check(f"test AUC at most {TARGET_AUC_GAP} below the best peer", gap <= TARGET_AUC_GAP,
              f"{c['auc']:.5f} vs {best} {peers[best]['auc']:.5f} (churnlib {-gap:+.5f})")
    else:
        lines.append("n/a   test AUC vs the best peer: no peer ran")
    if "lightgbm" in ok:
        lg = ok["lightgbm"]
        check("predict at least as fast as LightGBM", c["predict_s"] <= lg["predict_s"],
              f"{c['predict_s']:.3f} s vs {lg['predict_s']:.3f} s "
              f"({lg['predict_s'] / c['predict_s']:.2f}x)", "lightgbm")
        check("training peak memory no higher than LightGBM's", c["peak_mb"] <= lg["peak_mb"],
              f"{c['peak_mb']:.0f} MB vs {lg['peak_mb']:.0f} MB")
    else:
        lines.append("n/a   predict and peak memory vs LightGBM: lightgbm did not run")
    return lines


def main(argv=None):
    args = parse_args(argv)
    if args.child:
        print("RESULT " + json.dumps(run_child(args)), flush=True)
        return

    import pandas as pd

    print(f"churn table: {args.rows:,} rows (seed {args.seed}), 80/20 train/test split; "
          f"{args.trees} trees, {LEAVES} leaves, learning rate {LEARNING_RATE}, {BINS} bins, "
          f"min {MIN_LEAF} per leaf, {args.threads} threads; fit median of {args.repeat}, "
          f"predict median of {args.predict_repeat}")
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; "
          f"Python {platform.python_version()}, numpy {np.__version__}, pandas {pd.__version__}",
          flush=True)

    results = {}
    for name in args.libs:
        print(f"  running {name} ...", end="", flush=True)
        res = spawn(name, args)
        results[name] = res
        if res.get("available"):
            cpu = res["fit_cpu_s"][0] / res["fit_times"][0]
            others = res.get("other_cores_during_fit")
            others = "?" if others is None else f"{others:.2f}"
            print(f" fit {res['fit_s']:.2f} s (CPU / wall {cpu:.2f}; other processes used "
                  f"{others} cores meanwhile), process {res['child_wall_s']:.1f} s", flush=True)
        else:
            print(f" {res.get('status', 'not available')} ({res['reason']})", flush=True)

    ran = [r for r in results.values() if r.get("available")]
    if ran:
        d = ran[0]["data"]
        print(f"\ndata: {d['train']:,} train / {d['test']:,} test rows, {d['features']} features "
              f"({d['categorical']} categorical), churn rate {d['churn_rate']:.3f}; "
              f"generated in {d['generate_s']:.1f} s in each child")
        versions = ", ".join(f"{r['lib']} {r['version']}" for r in ran)
        print(f"versions: {versions}")
    c = results.get("churnlib") if results.get("churnlib", {}).get("available") else None
    print(f"\n{'library':10s} {'fit s':>8s} {'predict s':>10s} {'test AUC':>9s} {'peak MB':>8s} "
          f"{'VmHWM MB':>9s} {'fit / churnlib':>15s} {'pred / churnlib':>16s} "
          f"{'AUC - churnlib':>15s}")
    for name, r in results.items():
        if not r.get("available"):
            print(f"{name}: {r.get('status', 'not available')} ({r['reason']})")
            continue
        auc_diff = f"{r['auc'] - c['auc']:+.5f}" if c else "-"
        print(f"{name:10s} {r['fit_s']:8.2f} {r['predict_s']:10.3f} {r['auc']:9.5f} "
              f"{r['peak_mb']:8.0f} {r['vmhwm_mb']:9.0f} "
              f"{ratio(r['fit_s'], c['fit_s'] if c else None):>15s} "
              f"{ratio(r['predict_s'], c['predict_s'] if c else None):>16s} {auc_diff:>15s}")
    note = "" if all(r.get("peak_reset", True) for r in ran) else (
        " (VmHWM could not be reset: the peak may include data generation)")
    print(f"\npeak MB = VmHWM after fit - VmRSS before fit in the library's own process: the extra "
          f"memory fit needed{note}.\nVmHWM MB = that process's absolute peak (interpreter, "
          f"libraries, train and test frames, fit). Ratios above 1 = slower than churnlib.")

    busy = [f"{r['lib']} ({r['other_cores_during_fit']:.2f} cores)" for r in ran
            if (r.get("other_cores_during_fit") or 0.0) > BUSY_CORES]
    if busy:
        print(f"\nWARNING: other processes used more than {BUSY_CORES} cores on average during "
              f"the fit of {', '.join(busy)}: the machine was busy and these times are not "
              f"comparable; rerun them on an idle machine (--libs).")
    print("\nverdict (issue targets for churnlib):")
    for line in verdict(results):
        print("  " + line)

    if args.json:
        with open(args.json, "w") as f:
            json.dump({"args": {k: v for k, v in vars(args).items() if k != "child"},
                       "results": results}, f, indent=2)


if __name__ == "__main__":
    main()
