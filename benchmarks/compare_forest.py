#!/usr/bin/env python3
"""Side-by-side random-forest benchmark: churnlib against scikit-learn (and LightGBM's rf mode).

Data:

* ``customers``: ``churn_data.make_churn_table(--rows, --seed)`` (30 features, 8 of them pandas
  ``category`` columns, about 20% churners);
* ``telco``: ``tests/testdata/telco_churn.csv`` (7,043 customers; TotalCharges blanks as NaN).

Both are one-hot encoded with pandas (categories -> 0/1 columns, NaN kept: scikit-learn's forest
takes missing values) into one float64 matrix that every library fits on, and split 80/20 with a
seeded permutation. Every library gets the same settings: ``--trees`` trees, ``max_depth``
``--max-depth`` (none: fully grown), ``max_features="sqrt"``, ``min_samples_leaf`` 1,
bootstrap, ``--threads`` threads:

* ``churnlib``: ``churnlib.RandomForestClassifier(n_estimators, max_depth, max_features="sqrt",
  n_jobs, random_state)`` (255 histogram bins per feature);
* ``churnlib-cat``: the same on the DataFrame with its ``category`` columns split natively (not
  one-hot; customers data only);
* ``sklearn``: ``sklearn.ensemble.RandomForestClassifier`` with the same arguments (exact
  thresholds);
* ``lightgbm``: ``LGBMClassifier(boosting_type="rf", bagging_freq=1, bagging_fraction=0.632,
  feature_fraction_bynode=sqrt(p)/p, num_leaves=131072, max_depth, min_child_samples=1,
  min_child_weight=0, n_jobs)``: a bagged forest without replacement.

``fit`` runs ``--repeat`` times and ``predict_proba`` on the test rows ``--predict-repeat``
times (medians); AUC on the test rows from ``sklearn.metrics.roc_auc_score``. Ratios are each
library's time over churnlib's (``6.0x`` = six times slower than churnlib); "dAUC" is the AUC
minus churnlib's. The machine's other load is not controlled: run it on a quiet machine.

Example::

    python benchmarks/compare_forest.py                        # 200,000 rows, 100 trees
    python benchmarks/compare_forest.py --rows 100000 --trees 50 --libs churnlib,sklearn
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import numpy as np
import pandas as pd

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
LIBS = ("churnlib", "churnlib-cat", "sklearn", "lightgbm")


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rows", type=int, default=200_000, help="generated customers")
    p.add_argument("--trees", type=int, default=100, help="trees per forest")
    p.add_argument("--max-depth", type=int, default=0, help="max_depth (0: fully grown)")
    p.add_argument("--threads", type=int, default=2, help="threads for every library")
    p.add_argument("--repeat", type=int, default=1, help="timed fits (median)")
    p.add_argument("--predict-repeat", type=int, default=3, help="timed predictions (median)")
    p.add_argument("--libs", default=",".join(LIBS), help=f"comma-separated subset of {LIBS}")
    p.add_argument("--data", default="customers,telco", help="customers and/or telco")
    p.add_argument("--seed", type=int, default=0)
    return p.parse_args(argv)


def load(name, args):
    """(one-hot float64 matrix, the DataFrame with categories, labels) of a data set."""
    if name == "customers":
        sys.path.insert(0, HERE)
        from churn_data import make_churn_table

        df, y = make_churn_table(args.rows, seed=args.seed)
    else:
        df = pd.read_csv(os.path.join(ROOT, "tests", "testdata", "telco_churn.csv"))
        y = (df.pop("Churn") == "Yes").to_numpy().astype(np.int64)
        df = df.drop(columns=["customerID"])
        df["TotalCharges"] = pd.to_numeric(df["TotalCharges"], errors="coerce")
        for c in df.columns:
            if not pd.api.types.is_numeric_dtype(df[c]):
                df[c] = df[c].astype("category")
    cats = [c for c in df.columns if isinstance(df[c].dtype, pd.CategoricalDtype)]
    onehot = pd.get_dummies(df, columns=cats, dtype=np.float64).to_numpy(dtype=np.float64)
    return np.ascontiguousarray(onehot), df, np.asarray(y)


def make_model(lib, args, p):
    depth = args.max_depth or None
    if lib.startswith("churnlib"):
        import churnlib as cl

        return cl.RandomForestClassifier(n_estimators=args.trees, max_depth=depth,
                                         max_features="sqrt", n_jobs=args.threads,
                                         random_state=args.seed)
    if lib == "sklearn":
        from sklearn.ensemble import RandomForestClassifier

        return RandomForestClassifier(n_estimators=args.trees, max_depth=depth,
                                      max_features="sqrt", n_jobs=args.threads,
                                      random_state=args.seed)
    import lightgbm as lgb

    return lgb.LGBMClassifier(boosting_type="rf", n_estimators=args.trees, bagging_freq=1,
                              bagging_fraction=0.632, feature_fraction_bynode=np.sqrt(p) / p,
                              num_leaves=131072, max_depth=args.max_depth or -1,
                              min_child_samples=1, min_child_weight=0.0, n_jobs=args.threads,
                              random_state=args.seed, verbose=-1)


def run(lib, X, y, args):
    from sklearn.metrics import roc_auc_score

    idx = np.random.default_rng(args.seed).permutation(len(y))
    k = len(y) * 8 // 10
    tr, te = idx[:k], idx[k:]
    if lib == "churnlib-cat":
        Xtr, Xte = X.iloc[tr].reset_index(drop=True), X.iloc[te].reset_index(drop=True)
    else:
        Xtr, Xte = np.ascontiguousarray(X[tr]), np.ascontiguousarray(X[te])
    fits = []
    for _ in range(args.repeat):
        model = make_model(lib, args, Xtr.shape[1])
        t0 = time.perf_counter()
        model.fit(Xtr, y[tr])
        fits.append(time.perf_counter() - t0)
    preds = []
    for _ in range(args.predict_repeat):
        t0 = time.perf_counter()
        p1 = model.predict_proba(Xte)[:, 1]
        preds.append(time.perf_counter() - t0)
    return statistics.median(fits), statistics.median(preds), roc_auc_score(y[te], p1)


def main(argv=None):
    args = parse_args(argv)
    libs = [s for s in args.libs.split(",") if s]
    print(f"threads={args.threads} trees={args.trees} max_depth={args.max_depth or None} "
          f"max_features=sqrt; fit x{args.repeat}, predict x{args.predict_repeat} (medians)")
    for data in args.data.split(","):
        onehot, df, y = load(data, args)
        print(f"\n{data}: {len(y)} rows, {df.shape[1]} columns ({onehot.shape[1]} one-hot), "
              f"churn rate {y.mean():.3f}")
        print(f"{'library':<14}{'fit s':>9}{'predict s':>11}{'test AUC':>10}"
              f"{'fit ratio':>11}{'pred ratio':>11}{'dAUC':>9}")
        base = None
        for lib in libs:
            if lib == "churnlib-cat" and data != "customers":
                continue
            try:
                fit, pred, auc = run(lib, df if lib == "churnlib-cat" else onehot, y, args)
            except ImportError as e:
                print(f"{lib:<14}not available ({e})")
                continue
            if base is None:
                base = (fit, pred, auc)
            print(f"{lib:<14}{fit:>9.3f}{pred:>11.4f}{auc:>10.4f}{fit / base[0]:>10.2f}x"
                  f"{pred / base[1]:>10.2f}x{auc - base[2]:>+9.4f}", flush=True)


if __name__ == "__main__":
    main()
