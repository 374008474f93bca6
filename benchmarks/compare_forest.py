#!/usr/bin/env python3
"""Side-by-side random-forest benchmark: churnlib against scikit-learn (and LightGBM's rf mode).

Data:

* ``customers``: ``churnlib.make_customers(--rows, seed)`` (without ``customer_id`` and
  ``signup_date``; 5 categorical columns, NaN in several numerical ones);
* ``telco``: ``tests/testdata/telco_churn.csv`` (7,043 customers; TotalCharges blanks as NaN);
* ``churn_table``: ``churn_data.make_churn_table(--rows, --seed)`` (30 features, 8 of them
  categorical, one with 50 levels).

Each is split 80/20 with a seeded permutation. What each library fits on:

* ``churnlib-cat`` (the reference row): ``churnlib.RandomForestClassifier`` on the DataFrame,
  its categorical columns split natively (no one-hot: what a churnlib user does);
* ``churnlib``: the same estimator on the one-hot matrix;
* ``sklearn``: ``sklearn.ensemble.RandomForestClassifier`` on the one-hot matrix (pandas
  ``get_dummies``, NaN kept: scikit-learn's forest takes missing values), exact thresholds;
* ``lightgbm``: ``LGBMClassifier(boosting_type="rf", bagging_freq=1, bagging_fraction=0.632,
  feature_fraction_bynode=sqrt(p)/p, num_leaves=131072, max_depth, min_child_samples=1,
  min_child_weight=0, n_jobs)`` on the one-hot matrix: a bagged forest without replacement.

Every library gets the same settings: ``--trees`` trees, ``max_depth`` ``--max-depth`` (none:
fully grown), ``max_features="sqrt"`` (of its own columns), ``min_samples_leaf`` 1, bootstrap,
``--threads`` threads (``n_jobs``). churnlib uses 255 histogram bins per feature.

``fit`` runs ``--repeat`` times and ``predict_proba`` on the test rows ``--predict-repeat``
times (medians); AUC on the test rows from ``sklearn.metrics.roc_auc_score``. "fit x" and
"pred x" are each library's time over the reference row's (``6.0x`` = six times slower than
churnlib); "dAUC" is the AUC minus the reference's; "nodes" the forest's total tree nodes. The
machine's other load is not controlled: run it on a quiet machine.

Example::

    python benchmarks/compare_forest.py                        # 200,000 rows, 100 trees
    python benchmarks/compare_forest.py --rows 100000 --trees 50 --libs churnlib-cat,sklearn
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time

import numpy as np
import pandas as pd

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
LIBS = ("churnlib-cat", "churnlib", "sklearn", "lightgbm")
DEFAULT_LIBS = ("churnlib-cat", "sklearn")


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rows", type=int, default=200_000, help="generated customers")
    p.add_argument("--trees", type=int, default=100, help="trees per forest")
    p.add_argument("--max-depth", type=int, default=0, help="max_depth (0: fully grown)")
    p.add_argument("--threads", type=int, default=2, help="threads for every library")
    p.add_argument("--repeat", type=int, default=1, help="timed fits (median)")
    p.add_argument("--predict-repeat", type=int, default=3, help="timed predictions (median)")
    p.add_argument("--libs", default=",".join(DEFAULT_LIBS),
                   help=f"comma-separated subset of {LIBS}")
    p.add_argument("--data", default="customers,telco",
                   help="comma-separated: customers, telco, churn_table")
    p.add_argument("--seed", type=int, default=0)
    return p.parse_args(argv)


def load(name, args):
    """(one-hot float64 matrix, the DataFrame with categories, labels) of a data set."""
    if name == "customers":
        import churnlib as cl

        df = cl.make_customers(args.rows, seed=args.seed).to_pandas(copy=True)
        y = df.pop("churned").to_numpy().astype(np.int64)
        df = df.drop(columns=["customer_id", "signup_date"])
        for c in df.columns:
            if not pd.api.types.is_numeric_dtype(df[c]):
                df[c] = df[c].astype("category")
    elif name == "churn_table":
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
    return (statistics.median(fits), statistics.median(preds), roc_auc_score(y[te], p1),
            node_count(lib, model))


def node_count(lib, model):
    """Total nodes (internal and leaves) of the forest's trees."""
    if lib == "sklearn":
        return sum(int(t.tree_.node_count) for t in model.estimators_)
    if lib.startswith("churnlib"):
        trees = json.loads(model.to_json())["state"]["trees"]
        return sum(2 * len(t["split_feature"]) + 1 for t in trees)
    return sum(2 * int(t["num_leaves"]) - 1 for t in model.booster_.dump_model()["tree_info"])


def main(argv=None):
    args = parse_args(argv)
    libs = [s for s in args.libs.split(",") if s]
    print(f"threads={args.threads} trees={args.trees} max_depth={args.max_depth or None} "
          f"max_features=sqrt; fit x{args.repeat}, predict x{args.predict_repeat} (medians)")
    for data in args.data.split(","):
        onehot, df, y = load(data, args)
        print(f"\n{data}: {len(y)} rows, {df.shape[1]} columns ({onehot.shape[1]} one-hot), "
              f"churn rate {y.mean():.3f}; churnlib-cat: native categories, others: one-hot")
        print(f"{'library':<14}{'fit s':>9}{'predict s':>11}{'test AUC':>10}"
              f"{'fit x':>9}{'pred x':>9}{'dAUC':>9}{'nodes':>10}")
        base = None
        for lib in libs:
            try:
                fit, pred, auc, nodes = run(lib, df if lib == "churnlib-cat" else onehot, y,
                                            args)
            except ImportError as e:
                print(f"{lib:<14}not available ({e})")
                continue
            if base is None:
                base = (fit, pred, auc)
            print(f"{lib:<14}{fit:>9.3f}{pred:>11.4f}{auc:>10.4f}{fit / base[0]:>8.2f}x"
                  f"{pred / base[1]:>8.2f}x{auc - base[2]:>+9.4f}{nodes:>10}", flush=True)


if __name__ == "__main__":
    main()
