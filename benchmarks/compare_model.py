#!/usr/bin/env python3
"""Side-by-side benchmark of the churn model bundle: churnlib.ChurnModel / train_churn_model
against pandas + scikit-learn + LightGBM (and lleaves for single-row latency).

Three measurements, the issue's performance targets (figures for information; nothing asserts):

1. ``scoring``: scoring ``--rows`` raw customers (default 1,000,000) from a CSV file to
   probabilities, rows/s (target: churnlib at least 5x faster). The file is written once from
   ``churnlib.make_customers(rows, seed + 1)`` (19 columns, the label included, ~115 bytes a row).
   Both models are trained first on the same ``--fit-rows`` customers (seed ``seed``, pandas):

   * ``churnlib``: ``cl.train_churn_model(fit, "churned", candidates=["gbdt"], cv=2)``: contract,
     inferred tree pipeline (numbers and categories as they are), a 200-tree, 15-leaf GBDT
     (learning rate 0.05, min_child_samples 20) and its calibrator (auto). Timed:
     ``cl.read_csv(path)`` + ``model.predict_proba(table)`` (validate=True: contract check,
     conform, pipeline, model, calibration); then separately read + ``model.score(table)``
     (``n_reasons=0``; output a pandas frame), the two parts of predict (read alone,
     predict_proba on the ready table), and ``score`` with ``n_reasons=0`` and ``3`` (TreeSHAP
     reasons) on the first ``--reasons-rows`` rows (20,000) of the ready table, as the reasons
     cost about a millisecond of CPU per row (with LightGBM's ``pred_contrib=True`` TreeSHAP
     on the same rows, coded, for reference).
   * ``pandas + sklearn + lightgbm``: ``ColumnTransformer`` (numbers passed through with their
     NaN, the 5 categoricals ``OrdinalEncoder``-coded, unknown and missing as NaN) +
     ``lightgbm.LGBMClassifier(n_estimators=200, num_leaves=15, learning_rate=0.05,
     min_child_samples=20)`` with the coded columns as native categorical features: the same
     model class on the same features. Timed: ``pandas.read_csv(path, dtype=...)`` (the dtype
     fixing: categoricals as ``category``, numbers as float64, in the read) +
     ``ColumnTransformer.transform`` + ``LGBMClassifier.predict_proba``; the parts separately.
     With pyarrow installed, the same with ``pandas.read_csv(engine="pyarrow")`` too.

   Both sides use ``--threads`` threads (churnlib's read_csv and model, LightGBM's n_jobs; the
   pandas C parser is single-threaded). Sanity: each model's ROC AUC on the scored file's labels
   (similar) and the correlation of the two probability vectors.

2. ``latency``: one customer at a time, from Python, median of ``--calls`` calls (fewer when
   they would take over 5 s) cycling through
   256 stored customers: ``ChurnModel.predict_proba`` of a one-row pandas frame and of a one-row
   churnlib Table (prebuilt), and ``score`` of the Table (0 and 3 reasons), with the bundle
   trained with ``n_jobs=1`` as a per-request service would (a bundle scores with its training
   threads; the ``--threads`` bundle's rows are shown too), against lleaves 1.3 (a LightGBM model compiled with LLVM; model
   only: it gets the already coded 1 x 16 float64 row, no features, no validation) of an
   equivalent LightGBM model (100 and 200 trees, 15 leaves, same fit rows) and
   ``Booster.predict`` of LightGBM itself. When a C++ build of ``bench_model`` is found
   (``--cpp-bench PATH``, default ``build*/benchmarks/bench_model``) it is run too, and its
   medians of ``BM_PredictProbaRow`` / ``BM_ScoreRow`` (raw row -> one-row Table -> contract ->
   pipeline -> GBDT -> calibrated probability, in C++) give the issue's ratio: churnlib's
   single-row latency (target under 20 us, 100 trees) over lleaves' (model only). It runs
   twice: with OpenMP on all cores (what a host gets by default; the contract check then
   starts a parallel region even for one row) and with ``OMP_NUM_THREADS=1``.

3. ``training``: ``cl.train_churn_model`` on ``--train-rows`` customers (default 200,000), its
   defaults (three candidates "logistic", "random_forest", "gbdt", 5 stratified folds with the
   pipeline refitted per fold, refit of the winner, calibration "auto" from the out-of-fold
   scores, F1 threshold, hold-out metrics, drift baseline) against a scikit-learn loop doing the
   same: stratified 80/20 split; for each of ``LogisticRegression(max_iter=500)`` (behind a
   ``ColumnTransformer`` of ``SimpleImputer(median, add_indicator=True)`` + ``StandardScaler``
   on the numbers and ``OneHotEncoder(handle_unknown="ignore")`` on the categories),
   ``RandomForestClassifier(n_estimators=100, min_samples_leaf=max(5, n / 2000),
   n_jobs=threads)`` (ordinal-coded categories, NaN kept) and the LGBMClassifier above: 5-fold
   stratified cross-validation on the training 80% (a manual loop over ``StratifiedKFold``
   keeping the out-of-fold scores: per-fold ROC AUC, as ``cross_val_score``), then the refit of
   the best mean AUC on the training 80%, a sigmoid (Platt) calibration on its out-of-fold
   scores, the best-F1 threshold of the calibrated out-of-fold scores and the hold-out AUC. Not
   in the peer: isotonic / "auto" choice of the calibration and the drift baseline (cheap next
   to the fits). Wall time of both and the ratio.

Every timed row shows this process's CPU / wall time and the cores other processes used
meanwhile (from /proc/stat, benchmarks/loadmeter.py); above 0.25 cores the row is flagged
``BUSY`` (the reference machine has 2 shared cores, so flagged rows are not comparable).

Example::

    python benchmarks/compare_model.py                         # all three, issue sizes
    python benchmarks/compare_model.py --quick                 # 100k rows to score, 20k to train
    python benchmarks/compare_model.py --only scoring --rows 200000
    python benchmarks/compare_model.py --only training --train-rows 50000
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np

from loadmeter import LoadMeter, timed  # benchmarks/loadmeter.py

HERE = os.path.dirname(os.path.abspath(__file__))
TARGET_SCORING_RATIO = 5.0  # churnlib CSV -> probabilities at least 5x the peer's rows/s
TARGET_LATENCY_US = 20.0    # C++ single-row scoring, 100 trees
BUSY_CORES = 0.25
LATENCY_ROWS = 256

DROP = ["customer_id", "signup_date", "churned"]
CATEGORICAL = ["region", "plan", "contract", "payment_method", "autopay"]
NUMERIC = ["tenure_months", "monthly_charges", "total_charges", "num_devices", "sessions_per_week",
           "avg_session_minutes", "support_tickets", "payment_failures", "discount_pct",
           "days_since_last_login", "nps_score"]
FEATURES = NUMERIC + CATEGORICAL
CAT_IDX = list(range(len(NUMERIC), len(FEATURES)))  # positions of the coded categoricals
GBDT = dict(n_estimators=200, num_leaves=15, learning_rate=0.05, min_child_samples=20)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--only", default="scoring,latency,training",
                   help="comma-separated parts: scoring, latency, training")
    p.add_argument("--rows", type=int, default=None, help="rows scored from CSV (1,000,000)")
    p.add_argument("--fit-rows", type=int, default=None,
                   help="rows the scoring models are trained on (100,000)")
    p.add_argument("--train-rows", type=int, default=None,
                   help="rows of the training comparison (200,000)")
    p.add_argument("--repeat", type=int, default=None, help="timed scoring runs (median; 3)")
    p.add_argument("--reasons-rows", type=int, default=20_000,
                   help="rows of the score(n_reasons=...) rows (a ready Table's head)")
    p.add_argument("--calls", type=int, default=None, help="single-row calls per latency row")
    p.add_argument("--threads", type=int, default=2, help="threads of every engine")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--quick", action="store_true",
                   help="100,000 rows to score, 20,000 to fit and to train, 2 repeats")
    p.add_argument("--cpp-bench", default=None,
                   help="bench_model binary (default: build*/benchmarks/bench_model if built); "
                        "'none' skips it")
    p.add_argument("--file", default=None, help="CSV path to write (and keep) instead of a "
                                               "temporary one; --reuse reads it if present")
    p.add_argument("--reuse", action="store_true")
    p.add_argument("--json", default=None, help="write the results here")
    a = p.parse_args(argv)
    quick = a.quick
    a.rows = a.rows or (100_000 if quick else 1_000_000)
    a.fit_rows = a.fit_rows or (20_000 if quick else 100_000)
    a.train_rows = a.train_rows or (20_000 if quick else 200_000)
    a.repeat = a.repeat or (2 if quick else 3)
    a.calls = a.calls or (2000 if quick else 20000)
    a.only = {s.strip() for s in a.only.split(",") if s.strip()}
    return a


# ---- helpers -----------------------------------------------------------------------------------

def busy_flag(others):
    return "BUSY" if others is not None and others > BUSY_CORES else ""


def fmt_others(others):
    return "n/a" if others is None else f"{others:.2f}"


def print_table(headers, rows):
    widths = [max(len(str(h)), *(len(str(r[i])) for r in rows)) for i, h in enumerate(headers)]
    line = "  ".join(str(h).ljust(w) if i == 0 else str(h).rjust(w)
                     for i, (h, w) in enumerate(zip(headers, widths)))
    print(line)
    print("-" * len(line))
    for r in rows:
        print("  ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w)
                        for i, (c, w) in enumerate(zip(r, widths))))


def pandas_dtypes():
    d = {c: "category" for c in CATEGORICAL}
    d.update({c: "float64" for c in NUMERIC})
    d["customer_id"] = "str"
    return d


def ordinal_transformer():
    from sklearn.compose import ColumnTransformer
    from sklearn.preprocessing import OrdinalEncoder

    return ColumnTransformer(
        [("num", "passthrough", NUMERIC),
         ("cat", OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=np.nan,
                                encoded_missing_value=np.nan, dtype=np.float64), CATEGORICAL)],
        n_jobs=None)


def onehot_transformer():
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    return ColumnTransformer(
        [("num", Pipeline([("impute", SimpleImputer(strategy="median", add_indicator=True)),
                           ("scale", StandardScaler())]), NUMERIC),
         ("cat", OneHotEncoder(handle_unknown="ignore", sparse_output=False), CATEGORICAL)],
        n_jobs=None)


def lgbm(threads, seed, **over):
    import lightgbm as lgb

    params = dict(GBDT, n_jobs=threads, random_state=seed, verbose=-1)
    params.update(over)
    return lgb.LGBMClassifier(**params)


def peer_estimator(name, n_fit, threads, seed):
    """(sklearn Pipeline, fit keyword arguments) of a peer candidate."""
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline

    if name == "logistic":
        return Pipeline([("prep", onehot_transformer()),
                         ("model", LogisticRegression(C=1.0, max_iter=500))]), {}
    if name == "random_forest":
        rf = RandomForestClassifier(n_estimators=100, min_samples_leaf=max(5, n_fit // 2000),
                                    max_features="sqrt", n_jobs=threads, random_state=seed)
        return Pipeline([("prep", ordinal_transformer()), ("model", rf)]), {}
    return (Pipeline([("prep", ordinal_transformer()), ("model", lgbm(threads, seed))]),
            {"model__categorical_feature": CAT_IDX})


def customers_frame(n, seed):
    import churnlib as cl

    return cl.make_customers(n, seed=seed).to_pandas()


# ---- 1. scoring from CSV -----------------------------------------------------------------------

def train_scoring_models(a):
    import churnlib as cl

    fit = customers_frame(a.fit_rows, a.seed)
    t0 = time.perf_counter()
    model = cl.train_churn_model(fit, "churned", candidates=["gbdt"], cv=2, seed=0,
                                 n_jobs=a.threads)
    t_cl = time.perf_counter() - t0
    X = fit[FEATURES]
    y = fit["churned"].to_numpy()
    t0 = time.perf_counter()
    ct = ordinal_transformer().fit(X)
    clf = lgbm(a.threads, 0).fit(ct.transform(X), y, categorical_feature=CAT_IDX)
    t_peer = time.perf_counter() - t0
    print(f"trained on {a.fit_rows:,} rows: churnlib bundle {t_cl:.1f} s ({model!r}), "
          f"ColumnTransformer + LGBMClassifier {t_peer:.1f} s")
    return model, ct, clf, fit


def scoring(a, path, model, ct, clf):
    import churnlib as cl
    import pandas as pd
    from sklearn.metrics import roc_auc_score

    T = a.threads
    dtypes = pandas_dtypes()

    def cl_proba():
        return model.predict_proba(cl.read_csv(path, n_threads=T), validate=True)[:, 1]

    def cl_read():
        return cl.read_csv(path, n_threads=T)

    table = cl_read()

    def cl_predict_only():
        return model.predict_proba(table, validate=True)[:, 1]

    def cl_score(k):
        return lambda: model.score(cl.read_csv(path, n_threads=T), n_reasons=k)

    # TreeSHAP reasons cost about a millisecond of CPU per row here: timed on the first
    # --reasons-rows rows of the ready table (no read), rows/s scaled to that count.
    reasons_rows = min(a.reasons_rows, a.rows)
    head = table.head(reasons_rows)

    def cl_score_head(k):
        return lambda: model.score(head, n_reasons=k)

    def pd_read(engine=None):
        if engine is None:
            return pd.read_csv(path, dtype=dtypes)
        return pd.read_csv(path, dtype=dtypes, engine=engine)

    def peer_proba(engine=None):
        df = pd_read(engine)
        return clf.predict_proba(ct.transform(df[FEATURES]))[:, 1]

    frame = pd_read()
    Xt = ct.transform(frame[FEATURES])

    def peer_transform():
        return ct.transform(frame[FEATURES])

    def peer_predict():
        return clf.predict_proba(Xt)[:, 1]

    Xt_head = Xt[:reasons_rows]

    def peer_contrib():  # LightGBM's own TreeSHAP, the peer of score()'s reasons
        return clf.predict(Xt_head, pred_contrib=True)

    try:
        import pyarrow  # noqa: F401
        have_arrow = True
    except ImportError:
        have_arrow = False

    cases = [
        ("churnlib: read_csv + predict_proba", cl_proba, True),
        ("  churnlib read_csv alone", cl_read, False),
        ("  churnlib predict_proba alone (validate)", cl_predict_only, False),
        ("churnlib: read_csv + score(n_reasons=0)", cl_score(0), False),
        (f"churnlib: score(n_reasons=0), {reasons_rows:,} rows, ready Table", cl_score_head(0),
         False),
        (f"churnlib: score(n_reasons=3), {reasons_rows:,} rows, ready Table", cl_score_head(3),
         False),
        ("peer: pandas.read_csv + ColumnTransformer + LGBM", peer_proba, True),
        ("  pandas.read_csv (dtype=...) alone", pd_read, False),
        ("  ColumnTransformer.transform alone", peer_transform, False),
        ("  LGBMClassifier.predict_proba alone", peer_predict, False),
        (f"LGBMClassifier.predict(pred_contrib=True), {reasons_rows:,} rows, ready matrix",
         peer_contrib, False),
    ]
    if have_arrow:
        cases.insert(6, ("peer (pyarrow engine): read_csv + CT + LGBM",
                         lambda: peer_proba("pyarrow"), False))
    results = {}
    rows = []
    for name, fn, main_row in cases:
        sec, out, others, util = timed(fn, a.repeat, warmup=main_row)
        results[name] = {"seconds": sec, "others": others, "cpu_per_wall": util}
        if name == "churnlib: read_csv + predict_proba":
            results[name]["p"] = out
        if name == "peer: pandas.read_csv + ColumnTransformer + LGBM":
            results[name]["p"] = out
        print(f"  {name}: {sec:.3f} s (cpu/wall {util:.2f}, others {fmt_others(others)} cores)",
              flush=True)
    base = results["churnlib: read_csv + predict_proba"]["seconds"]
    peer = results["peer: pandas.read_csv + ColumnTransformer + LGBM"]["seconds"]
    for name, _, _ in cases:
        r = results[name]
        n = reasons_rows if ", ready " in name else a.rows
        rows.append([name, f"{r['seconds']:.3f}", f"{n / r['seconds'] / 1e6:.3f}",
                     "" if ", ready " in name else f"{r['seconds'] / base:.2f}x",
                     f"{r['cpu_per_wall']:.2f}",
                     fmt_others(r["others"]), busy_flag(r["others"])])
    print()
    print(f"Scoring {a.rows:,} customers from CSV ({os.path.getsize(path) / 1e6:.0f} MB), "
          f"median of {a.repeat}, {T} threads")
    print_table(["what", "seconds", "M rows/s", "vs churnlib", "cpu/wall", "others", ""], rows)
    y = np.asarray(frame["churned"].to_numpy())
    p_cl = results["churnlib: read_csv + predict_proba"]["p"]
    p_peer = results["peer: pandas.read_csv + ColumnTransformer + LGBM"]["p"]
    auc_cl, auc_peer = roc_auc_score(y, p_cl), roc_auc_score(y, p_peer)
    corr = float(np.corrcoef(p_cl, p_peer)[0, 1])
    ratio = peer / base
    print(f"\nAUC on the scored file's labels: churnlib {auc_cl:.4f}, LightGBM {auc_peer:.4f} "
          f"(difference {auc_cl - auc_peer:+.4f}); correlation of the probabilities {corr:.4f}")
    busy = any(busy_flag(results[n]["others"]) for n, _, key in cases if key)
    print(f"Verdict: churnlib {a.rows / base:,.0f} rows/s vs peer {a.rows / peer:,.0f} rows/s: "
          f"{ratio:.2f}x (target >= {TARGET_SCORING_RATIO:.0f}x): "
          f"{'PASS' if ratio >= TARGET_SCORING_RATIO else 'FAIL'}"
          + (" (machine busy during a timed row)" if busy else ""))
    for r in results.values():
        r.pop("p", None)
    return {"rows": a.rows, "results": results, "ratio": ratio, "auc_churnlib": auc_cl,
            "auc_lightgbm": auc_peer, "correlation": corr}


# ---- 2. single-row latency ---------------------------------------------------------------------

def per_call_us(fn, inputs, calls, max_seconds=5.0):
    """Median and 99th percentile of single calls (microseconds), cycling through `inputs`;
    fewer than `calls` calls (at least 200) when they would take over `max_seconds`."""
    n = len(inputs)
    t_warm = time.perf_counter()
    warm = min(200, calls)
    for i in range(warm):  # warm-up, and an estimate of one call's time
        fn(inputs[i % n])
    per_call = (time.perf_counter() - t_warm) / warm
    calls = max(min(calls, int(max_seconds / max(per_call, 1e-9))), min(200, calls))
    ts = np.empty(calls)
    pc = time.perf_counter_ns
    for i in range(calls):
        x = inputs[i % n]
        t0 = pc()
        fn(x)
        ts[i] = pc() - t0
    ts /= 1000.0
    return float(np.median(ts)), float(np.quantile(ts, 0.99)), calls


def find_cpp_bench(arg):
    if arg == "none":
        return None
    if arg:
        return arg
    root = os.path.dirname(HERE)
    found = sorted(glob.glob(os.path.join(root, "build*", "benchmarks", "bench_model"))
                   + glob.glob(os.path.join(root, "build*", "*", "benchmarks", "bench_model")))
    return found[0] if found else None


def run_cpp_bench(binary, omp_threads, filt):
    """Medians of bench_model's single-row benchmarks: {name: (p50_us, p99_us)}; with
    `omp_threads` None the environment's OpenMP setting (all cores) is left as it is."""
    cmd = [binary, f"--benchmark_filter={filt}", "--benchmark_format=json",
           "--benchmark_min_time=0.3"]
    env = dict(os.environ)
    env.pop("OMP_NUM_THREADS", None)
    if omp_threads is not None:
        env["OMP_NUM_THREADS"] = str(omp_threads)
    print(f"running {'' if omp_threads is None else f'OMP_NUM_THREADS={omp_threads} '}"
          f"{' '.join(cmd)} ...", flush=True)
    c0 = os.times()
    with LoadMeter() as m:
        out = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    c1 = os.times()
    if m.others is not None and m.wall > 0:  # the child's own CPU is not "other processes"
        child = (c1.children_user - c0.children_user) + (c1.children_system - c0.children_system)
        m.others = max(0.0, m.others - child / m.wall)
    if out.returncode != 0:
        print(f"bench_model failed ({out.returncode}): {out.stderr[-500:]}")
        return None, m
    doc = json.loads(out.stdout)
    res = {}
    for b in doc["benchmarks"]:
        if b.get("aggregate_name") == "median":
            res[b["run_name"].replace("/repeats:3", "")] = (b["p50_us"], b["p99_us"])
    return res, m


def latency(a, model, fit, tmp):
    import churnlib as cl
    import lightgbm as lgb

    T = a.threads
    req = cl.make_customers(LATENCY_ROWS, seed=a.seed + 2)
    req_df = req.to_pandas().drop(columns=["churned"])
    frames = [req_df.iloc[i:i + 1] for i in range(LATENCY_ROWS)]
    tables = [req.slice(i, 1) for i in range(LATENCY_ROWS)]

    X = fit[FEATURES]
    y = fit["churned"].to_numpy()
    ct = ordinal_transformer().fit(X)
    Xf = ct.transform(X)
    Xreq = np.ascontiguousarray(ct.transform(req_df[FEATURES]))
    rows_np = [Xreq[i:i + 1] for i in range(LATENCY_ROWS)]

    rows = []
    results = {}

    def add(name, fn, inputs):
        with LoadMeter() as m:
            p50, p99, calls = per_call_us(fn, inputs, a.calls)
        results[name] = {"p50_us": p50, "p99_us": p99, "others": m.others, "calls": calls}
        print(f"  {name}: median {p50:.1f} us, p99 {p99:.1f} us ({calls:,} calls)", flush=True)

    # A per-request service scores on one thread: the same bundle trained with n_jobs=1 (the
    # bundle keeps its training threads for scoring); the --threads bundle for comparison.
    model1 = cl.train_churn_model(fit, "churned", candidates=["gbdt"], cv=2, seed=0, n_jobs=1)
    add("churnlib (Python) predict_proba, 1-row pandas frame",
        lambda d: model1.predict_proba(d), frames)
    add("churnlib (Python) predict_proba, 1-row churnlib Table",
        lambda t: model1.predict_proba(t), tables)
    add("churnlib (Python) score(n_reasons=0), 1-row churnlib Table",
        lambda t: model1.score(t, n_reasons=0), tables)
    add("churnlib (Python) score(n_reasons=3), 1-row churnlib Table",
        lambda t: model1.score(t, n_reasons=3), tables)
    if T != 1:
        add(f"churnlib (Python) predict_proba, 1-row pandas frame, n_jobs={T} bundle",
            lambda d: model.predict_proba(d), frames)
        add(f"churnlib (Python) predict_proba, 1-row churnlib Table, n_jobs={T} bundle",
            lambda t: model.predict_proba(t), tables)

    lleaves_ok = True
    try:
        import lleaves
    except ImportError as e:
        lleaves_ok = False
        print(f"lleaves not importable ({e}); pip install lleaves==1.3.0 \"llvmlite<0.45\"")
    for trees in (100, 200):
        clf = lgbm(T, 0, n_estimators=trees).fit(Xf, y, categorical_feature=CAT_IDX)
        booster = clf.booster_
        add(f"LightGBM Booster.predict, {trees} trees (model only)",
            lambda x: booster.predict(x, num_threads=1), rows_np)
        if lleaves_ok:
            model_file = os.path.join(tmp, f"lgbm_{trees}.txt")
            booster.save_model(model_file)
            llm = lleaves.Model(model_file=model_file)
            t0 = time.perf_counter()
            llm.compile(cache=os.path.join(tmp, f"lleaves_{trees}.o"))
            print(f"  lleaves compiled {trees} trees in {time.perf_counter() - t0:.1f} s")
            ref = booster.predict(Xreq)
            got = llm.predict(Xreq, n_jobs=1)
            if not np.allclose(ref, got, rtol=1e-9, atol=1e-12):
                print(f"  warning: lleaves and LightGBM differ by up to "
                      f"{np.max(np.abs(ref - got)):.3g}")
            add(f"lleaves predict, {trees} trees (model only)",
                lambda x, m=llm: m.predict(x, n_jobs=1), rows_np)
            # the compiled code's own cost per row, without lleaves' Python call overhead
            p50, _, _ = per_call_us(lambda x, m=llm: m.predict(x, n_jobs=1), [Xreq], 2000)
            results[f"lleaves per row of a {LATENCY_ROWS}-row call, {trees} trees"] = {
                "p50_us": p50 / LATENCY_ROWS, "p99_us": float("nan"), "others": None}

    cpp = None
    binary = find_cpp_bench(a.cpp_bench)
    if binary and os.path.exists(binary):
        for omp, filt, label in ((None, "PredictProbaRow|ScoreRow", "C++ all cores "),
                                 (1, "BuildRow|PredictProbaRow|ScoreRow|Stage", "C++ 1 thread ")):
            got, m = run_cpp_bench(binary, omp, filt)
            if got:
                cpp = True
                for name, (p50, p99) in got.items():
                    results[label + name] = {"p50_us": p50, "p99_us": p99, "others": m.others}
    else:
        print("no bench_model build found (build it: see benchmarks/README.md); the C++ rows "
              "are left out")

    lle100 = next((v["p50_us"] for k, v in results.items()
                   if k.startswith("lleaves") and "100 trees" in k), None)
    for name, r in results.items():
        ratio = f"{r['p50_us'] / lle100:.1f}x" if lle100 else "n/a"
        rows.append([name, f"{r['p50_us']:.2f}", f"{r['p99_us']:.2f}", ratio,
                     fmt_others(r["others"]), busy_flag(r["others"])])
    print()
    print(f"Single-customer latency (median of up to {a.calls:,} calls, at most ~5 s a row, "
          f"over {LATENCY_ROWS} customers; C++ rows: medians of bench_model's per-call p50/p99 "
          f"over 3 repetitions)")
    print_table(["what", "p50 us", "p99 us", "vs lleaves 100", "others", ""], rows)
    for label in ("C++ 1 thread ", "C++ all cores "):
        key = label + "BM_PredictProbaRow/trees:100/validate:1/build:1"
        if cpp and key in results:
            p50 = results[key]["p50_us"]
            print(f"Verdict ({label.strip()}): raw row -> one-row Table -> contract -> pipeline "
                  f"-> 100-tree GBDT -> probability: {p50:.2f} us (target < "
                  f"{TARGET_LATENCY_US:.0f} us): {'PASS' if p50 < TARGET_LATENCY_US else 'FAIL'}"
                  + (f"; {p50 / lle100:.1f}x lleaves' model-only latency ({lle100:.2f} us)"
                     if lle100 else ""))
    return results


# ---- 3. training -------------------------------------------------------------------------------

def sklearn_train(df, threads, seed):
    """The scikit-learn loop (see the module docstring); returns a summary dict."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import precision_recall_curve, roc_auc_score
    from sklearn.model_selection import StratifiedKFold, train_test_split

    X = df[FEATURES]
    y = df["churned"].to_numpy()
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.2, stratify=y, random_state=seed)
    folds = list(StratifiedKFold(5, shuffle=True, random_state=seed).split(Xtr, ytr))
    cands = {}
    for name in ("logistic", "random_forest", "gbdt"):
        t0 = time.perf_counter()
        oof = np.empty(len(ytr))
        aucs = []
        for tr, va in folds:
            est, kw = peer_estimator(name, len(tr), threads, seed)
            est.fit(Xtr.iloc[tr], ytr[tr], **kw)
            p = est.predict_proba(Xtr.iloc[va])[:, 1]
            oof[va] = p
            aucs.append(roc_auc_score(ytr[va], p))
        cands[name] = {"auc_mean": float(np.mean(aucs)), "auc_std": float(np.std(aucs)),
                       "seconds": time.perf_counter() - t0, "oof": oof}
        print(f"    sklearn {name}: AUC {cands[name]['auc_mean']:.4f} "
              f"({cands[name]['seconds']:.1f} s)", flush=True)
    best = max(cands, key=lambda k: cands[k]["auc_mean"])
    est, kw = peer_estimator(best, len(ytr), threads, seed)
    est.fit(Xtr, ytr, **kw)
    oof = np.clip(cands[best]["oof"], 1e-12, 1 - 1e-12)
    z = np.log(oof / (1 - oof)).reshape(-1, 1)
    platt = LogisticRegression(C=1e6).fit(z, ytr)
    cal = platt.predict_proba(z)[:, 1]
    prec, rec, thr = precision_recall_curve(ytr, cal)
    f1 = 2 * prec * rec / np.maximum(prec + rec, 1e-300)
    threshold = float(thr[int(np.argmax(f1[:-1]))])
    pte = est.predict_proba(Xte)[:, 1]
    return {"chosen": best, "holdout_auc": float(roc_auc_score(yte, pte)), "threshold": threshold,
            "candidates": {k: {kk: vv for kk, vv in v.items() if kk != "oof"}
                           for k, v in cands.items()}}


def training(a):
    import churnlib as cl

    df = customers_frame(a.train_rows, a.seed + 3)
    print(f"training on {a.train_rows:,} customers, 3 candidates, 5 folds, {a.threads} threads")

    summary = {}
    with LoadMeter() as m_cl:
        model = cl.train_churn_model(df, "churned", seed=0, n_jobs=a.threads)
    comp = model.comparison_
    print(f"    churnlib: {m_cl.wall:.1f} s; {model!r}")
    print("    " + comp.to_string().replace("\n", "\n    "))
    summary["churnlib"] = {"seconds": m_cl.wall, "others": m_cl.others,
                           "cpu_per_wall": m_cl.own / m_cl.wall,
                           "chosen": model.report_.get("chosen"),
                           "holdout_auc": model.report_.get("holdout", {}).get("roc_auc")}
    with LoadMeter() as m_sk:
        sk = sklearn_train(df, a.threads, a.seed)
    summary["sklearn"] = dict(sk, seconds=m_sk.wall, others=m_sk.others,
                              cpu_per_wall=m_sk.own / m_sk.wall)
    print()
    print(f"train_churn_model vs the scikit-learn loop, {a.train_rows:,} customers "
          f"(3 candidates x 5 folds + refit), one run each")
    rows = []
    for name, r in (("churnlib train_churn_model", summary["churnlib"]),
                    ("scikit-learn + LightGBM loop", summary["sklearn"])):
        auc = r.get("holdout_auc")
        rows.append([name, f"{r['seconds']:.1f}", f"{r['seconds'] / m_cl.wall:.2f}x",
                     str(r.get("chosen")), "n/a" if auc is None else f"{auc:.4f}",
                     f"{r['cpu_per_wall']:.2f}", fmt_others(r["others"]),
                     busy_flag(r["others"])])
    print_table(["what", "seconds", "vs churnlib", "chosen", "hold-out AUC", "cpu/wall",
                 "others", ""], rows)
    print("per-candidate CV seconds (sklearn): " + ", ".join(
        f"{k} {v['seconds']:.1f} s" for k, v in sk["candidates"].items()))
    summary["ratio"] = m_sk.wall / m_cl.wall
    print(f"Ratio: scikit-learn loop / churnlib = {summary['ratio']:.2f}x")
    return summary


# ---- main --------------------------------------------------------------------------------------

def main(argv=None):
    a = parse_args(argv)
    import churnlib as cl
    import lightgbm
    import pandas as pd
    import sklearn

    print(f"churnlib {getattr(cl, '__version__', '?')}, pandas {pd.__version__}, scikit-learn "
          f"{sklearn.__version__}, lightgbm {lightgbm.__version__}; Python "
          f"{platform.python_version()}; {os.cpu_count()} cores; threads {a.threads}; "
          f"load average {os.getloadavg()[0]:.1f}")
    out = {"args": {k: (sorted(v) if isinstance(v, set) else v) for k, v in vars(a).items()}}
    tmp = tempfile.mkdtemp(prefix="churn_model_bench_")
    try:
        model = fit = None
        if "scoring" in a.only or "latency" in a.only:
            model, ct, clf, fit = train_scoring_models(a)
        if "scoring" in a.only:
            path = a.file or os.path.join(tmp, "customers.csv")
            if not (a.reuse and os.path.exists(path)):
                t0 = time.perf_counter()
                cl.write_csv(cl.make_customers(a.rows, seed=a.seed + 1), path)
                print(f"wrote {a.rows:,} rows to {path} in {time.perf_counter() - t0:.1f} s")
            print(f"\n== 1. scoring from CSV ({a.rows:,} rows) ==")
            out["scoring"] = scoring(a, path, model, ct, clf)
        if "latency" in a.only:
            print("\n== 2. single-customer latency ==")
            out["latency"] = latency(a, model, fit, tmp)
        if "training" in a.only:
            print(f"\n== 3. training ({a.train_rows:,} rows) ==")
            out["training"] = training(a)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(out, f, indent=2, default=float)
    return 0


if __name__ == "__main__":
    sys.exit(main())
