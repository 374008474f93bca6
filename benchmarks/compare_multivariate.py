#!/usr/bin/env python3
"""Side-by-side multivariate-drift benchmark: churnlib's domain classifier and PCA
reconstruction error against peers doing the same work.

Two seeded pandas frames (reference and current) of ``--rows / 2`` rows each (default
1,000,000 in all) and ``--features`` columns (default 40): about one in eight a pandas
``category`` (10 categories), the rest float64 with varied distributions and a few missing
values. The current batch is mildly shifted: one numeric column moved by 0.05 sd, one stretched
by 5%, the correlation of two columns changed from 0.5 to 0.4, one category re-weighted.

Domain classifier (reference rows labelled 0, current rows 1; 5 stratified folds; each fold's
GBDT has 50 trees, 15 leaves, learning rate 0.1, 20 rows per leaf at least, 255 bins; every
row used):

* ``churnlib``: ``cl.monitor.domain_classifier_drift(ref, cur, max_rows=...)`` (also the
  p-value and TreeSHAP on 2,000 held-out rows per fold);
* ``lightgbm``: ``LGBMClassifier`` with the same settings on scikit-learn's
  ``StratifiedKFold(5, shuffle=True)`` folds (the same folds for both peers; churnlib deals its
  own stratified folds of the same sizes), categories as pandas categoricals;
* ``sklearn``: ``HistGradientBoostingClassifier(max_iter=50, max_leaf_nodes=15,
  min_samples_leaf=20, early_stopping=False, categorical_features="from_dtype")`` on those folds;
* ``nannyml``: ``DomainClassifierCalculator`` (one chunk) run by the interpreter given with
  ``--nannyml-python`` (NannyML lives in its own virtual environment), if it imports.

Each side reports the mean held-out AUC. PCA drift: ``cl.monitor.PcaDrift().fit(ref)
.compare(cur)`` against the same steps in scikit-learn (mean imputation, frequency encoding of
the categories, ``StandardScaler``, ``PCA(0.65, svd_solver="full")`` fitted on a random half,
the errors of the other half and of the current batch). Seconds are the median of
``--repeat`` runs; ratios are peer / churnlib (above 1: churnlib faster). Each row shows the
cores other processes used meanwhile (the machine is shared; nothing here asserts a timing).

Example::

    python benchmarks/compare_multivariate.py                       # 1,000,000 rows x 40
    python benchmarks/compare_multivariate.py --rows 200000 --repeat 1
    python benchmarks/compare_multivariate.py --nannyml-python /work/venv-nannyml/bin/python
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import pandas as pd

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from loadmeter import timed  # noqa: E402  benchmarks/loadmeter.py

import churnlib as cl  # noqa: E402

TREES, LEAVES, RATE, MIN_LEAF, BINS, FOLDS, SEED = 50, 15, 0.1, 20, 255, 5, 0


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rows", type=int, default=1_000_000, help="reference + current rows")
    p.add_argument("--features", type=int, default=40)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--threads", type=int, default=0, help="0 = all cores")
    p.add_argument("--nannyml-python", default=None,
                   help="a Python interpreter where nannyml imports (optional peer)")
    p.add_argument("--no-sklearn", action="store_true")
    return p.parse_args(argv)


def make_frames(n, p, seed=SEED):
    """(reference, current): n rows each, p features, a mild shift in current."""
    frames = []
    n_cat = max(1, p // 8)
    for side in (0, 1):
        rng = np.random.default_rng(seed + side)
        cols = {}
        base = rng.standard_normal(n)
        for j in range(p - n_cat):
            kind = j % 4
            if j == 1:   # correlated with column 0: 0.5 -> 0.4
                rho = 0.4 if side else 0.5
                x = rho * base + np.sqrt(1 - rho ** 2) * rng.standard_normal(n)
            elif kind == 0:
                x = base if j == 0 else rng.standard_normal(n)
            elif kind == 1:
                x = rng.lognormal(0, 0.5, n)
            elif kind == 2:
                x = rng.exponential(2.0, n)
            else:
                x = rng.uniform(0, 10, n)
            if side and j == 2:
                x = x + 0.05 * x.std()
            if side and j == 3:
                x = x * 1.05
            x = x.astype(np.float64)
            x[rng.random(n) < 0.01 * (j % 3)] = np.nan
            cols[f"num_{j:02d}"] = x
        for j in range(n_cat):
            probs = np.linspace(1, 2, 10)
            if side and j == 0:
                probs[0] *= 1.1
            codes = rng.choice(10, n, p=probs / probs.sum()).astype(np.int8)
            cols[f"cat_{j:02d}"] = pd.Categorical.from_codes(
                codes, dtype=pd.CategoricalDtype([f"c{i}" for i in range(10)]))
        frames.append(pd.DataFrame(cols))
    return frames[0], frames[1]


def run_churnlib(ref, cur, threads):
    r = cl.monitor.domain_classifier_drift(
        ref, cur, n_splits=FOLDS, n_estimators=TREES, learning_rate=RATE, num_leaves=LEAVES,
        min_child_samples=MIN_LEAF, max_bins=BINS, max_rows=max(len(ref), len(cur)), seed=SEED,
        n_threads=threads)
    return r.auc, r


def cv_peer(make_model, ref, cur):
    """Mean held-out AUC of a scikit-learn-style classifier on StratifiedKFold folds."""
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold

    X = pd.concat([ref, cur], ignore_index=True)
    y = np.r_[np.zeros(len(ref)), np.ones(len(cur))]
    aucs = []
    for train, test in StratifiedKFold(FOLDS, shuffle=True, random_state=SEED).split(X, y):
        model = make_model().fit(X.iloc[train], y[train])
        aucs.append(roc_auc_score(y[test], model.predict_proba(X.iloc[test])[:, 1]))
    return float(np.mean(aucs)), aucs


def lightgbm_model(threads):
    import lightgbm

    return lambda: lightgbm.LGBMClassifier(
        n_estimators=TREES, learning_rate=RATE, num_leaves=LEAVES, min_child_samples=MIN_LEAF,
        max_bin=BINS, n_jobs=threads or os.cpu_count(), verbose=-1, random_state=SEED)


def sklearn_model():
    from sklearn.ensemble import HistGradientBoostingClassifier

    return lambda: HistGradientBoostingClassifier(
        max_iter=TREES, learning_rate=RATE, max_leaf_nodes=LEAVES, min_samples_leaf=MIN_LEAF,
        max_bins=BINS, early_stopping=False, categorical_features="from_dtype",
        random_state=SEED)


NANNYML_SCRIPT = r"""
import json, os, sys, time
os.environ["NML_DISABLE_USAGE_LOGGING"] = "1"
import pandas as pd
import nannyml as nml
ref = pd.read_parquet(sys.argv[1]); cur = pd.read_parquet(sys.argv[2])
features = list(ref.columns)
fits, calcs = [], []
for _ in range(int(sys.argv[3])):
    calc = nml.DomainClassifierCalculator(
        feature_column_names=features, chunk_number=1, cv_folds_num=int(sys.argv[4]),
        hyperparameters={"n_estimators": int(sys.argv[5]), "learning_rate": float(sys.argv[6]),
                         "num_leaves": int(sys.argv[7]), "min_child_samples": int(sys.argv[8]),
                         "verbosity": -1})
    t0 = time.perf_counter()
    calc.fit(ref)
    t1 = time.perf_counter()
    res = calc.calculate(cur).to_df()
    fits.append(t1 - t0)
    calcs.append(time.perf_counter() - t1)
res = res[res[("chunk", "period")] == "analysis"]
auc = float(res[("domain_classifier_auroc", "value")].iloc[-1])
print(json.dumps({"fit": sorted(fits)[len(fits) // 2], "calculate": sorted(calcs)[len(calcs) // 2],
                  "auc": auc, "version": nml.__version__}))
"""


def run_nannyml(python, ref, cur, repeat):
    """(seconds, auc, label) from NannyML in another interpreter, or (None, None, reason).
    The seconds are those of ``calculate`` (the reference against the current batch, what the
    other sides do); ``fit`` only scores the reference's own chunks and is reported apart."""
    check = subprocess.run([python, "-c", "import nannyml"], capture_output=True, text=True)
    if check.returncode != 0:
        return None, None, "does not import: " + check.stderr.strip().splitlines()[-1]
    with tempfile.TemporaryDirectory() as d:
        a, b = os.path.join(d, "ref.parquet"), os.path.join(d, "cur.parquet")
        ref.to_parquet(a)
        cur.to_parquet(b)
        out = subprocess.run([python, "-c", NANNYML_SCRIPT, a, b, str(repeat), str(FOLDS),
                              str(TREES), str(RATE), str(LEAVES), str(MIN_LEAF)],
                             capture_output=True, text=True)
    if out.returncode != 0:
        return None, None, "failed: " + (out.stderr.strip().splitlines() or ["?"])[-1]
    r = json.loads(out.stdout.strip().splitlines()[-1])
    return r["calculate"], r["auc"], (f"nannyml {r['version']} calculate",
                                      f"(+ {r['fit']:.2f} s of fit, which scores only the "
                                      "reference's own chunk)")


def sklearn_pca(ref, cur, seed=SEED):
    """The PcaDrift steps in scikit-learn: (current mean error, threshold inputs)."""
    from sklearn.decomposition import PCA
    from sklearn.preprocessing import StandardScaler

    fit = cl.monitor.PcaDrift._core_type.fit_half(len(ref), seed)
    held = np.setdiff1d(np.arange(len(ref)), fit)
    cats = [c for c in ref.columns if ref[c].dtype == "category"]
    part = ref.iloc[fit]
    freq = {c: part[c].value_counts(normalize=True, dropna=False) for c in cats}
    means = part.drop(columns=cats).mean()

    def encode(df):
        out = df.drop(columns=cats).fillna(means)
        for c in cats:
            out[c] = df[c].map(freq[c]).astype(float).fillna(0.0)
        return out.to_numpy()

    scaler = StandardScaler().fit(encode(part))
    pca = PCA(n_components=0.65, svd_solver="full").fit(scaler.transform(encode(part)))

    def errors(df):
        Z = scaler.transform(encode(df))
        return np.linalg.norm(Z - pca.inverse_transform(pca.transform(Z)), axis=1)

    e_ref = errors(ref.iloc[held])
    return float(errors(cur).mean()), float(e_ref.mean())


def row(name, sec, auc, base, others):
    busy = "" if others is None else f"  (others {others:.1f} cores)"
    ratio = "" if base is None or sec is None else f"{sec / base:8.2f}x"
    auc_s = "" if auc is None else f"{auc:.4f}"
    print(f"  {name:<40} {sec:9.2f} s  {auc_s:>8}  {ratio}{busy}")


def main(argv=None):
    args = parse_args(argv)
    n = args.rows // 2
    ref, cur = make_frames(n, args.features)
    print(f"{n:,} reference + {n:,} current rows x {args.features} features "
          f"({sum(ref.dtypes == 'category')} categorical); {FOLDS} folds, {TREES} trees, "
          f"{LEAVES} leaves; churnlib {cl.__version__}, {os.cpu_count()} cores, "
          f"median of {args.repeat}")
    print("domain classifier:                    seconds       AUC  peer/churnlib")
    t, (auc, res), others, _ = timed(lambda: run_churnlib(ref, cur, args.threads), args.repeat)
    row("churnlib", t, auc, None, others)
    print(f"    (pooled AUC {res.pooled_auc:.4f}, p = {res.p_value:.3g}, drifted {res.drifted}, "
          f"top {list(res.features['feature'][:3])})")
    tl, (auc_l, _), others, _ = timed(lambda: cv_peer(lightgbm_model(args.threads), ref, cur),
                                      args.repeat)
    import lightgbm

    row(f"lightgbm {lightgbm.__version__}", tl, auc_l, t, others)
    if not args.no_sklearn:
        import sklearn

        ts, (auc_s, _), others, _ = timed(lambda: cv_peer(sklearn_model(), ref, cur), args.repeat)
        row(f"sklearn HGB {sklearn.__version__}", ts, auc_s, t, others)
    if args.nannyml_python:
        tn, auc_n, label = run_nannyml(args.nannyml_python, ref, cur, args.repeat)
        if tn is None:
            print(f"  nannyml: {label}")
        else:
            row(label[0], tn, auc_n, t, None)
            print(f"    {label[1]}")
    else:
        print("  nannyml: skipped (pass --nannyml-python PATH to a venv where it imports)")

    print("PCA reconstruction error (fit + compare):   seconds     error  peer/churnlib")

    def cl_pca():
        r = cl.monitor.PcaDrift(n_threads=args.threads).fit(ref).compare(cur)
        return r.reconstruction_error, r

    tp, (err, pres), others, _ = timed(cl_pca, args.repeat)
    row("churnlib PcaDrift", tp, err, None, others)
    print(f"    (threshold {pres.threshold:.4f}, reference error {pres.reference_error:.4f}, "
          f"{pres.n_components} components, drifted {pres.drifted})")
    tk, (err_k, ref_k), others, _ = timed(lambda: sklearn_pca(ref, cur), args.repeat)
    row("sklearn StandardScaler + PCA", tk, err_k, tp, others)
    if abs(err_k - err) > 1e-6 * max(1.0, err) or abs(ref_k - pres.reference_error) > 1e-6:
        print(f"  WARNING: the errors differ: churnlib {err!r} / {pres.reference_error!r}, "
              f"sklearn {err_k!r} / {ref_k!r}")


if __name__ == "__main__":
    main()
