"""Event-log features for a churn model: synthetic customers and their activity log -> one
churnlib.FeaturePipeline that joins point-in-time event features (counts per event type, amounts,
recency, active days, trends over 7/30/90 days) onto the customer table -> gradient-boosted trees,
with and without them. The fitted pipeline and model are saved for scoring.

    python examples/event_features.py [--customers N] [--out DIR]
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import pandas as pd

import churnlib as cl


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--customers", type=int, default=50_000)
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--out", default=os.path.join("build", "event_features"))
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)

    customers = cl.make_customers(args.customers, seed=args.seed).to_pandas(copy=True)
    events = cl.make_events(args.customers, events_per_customer=20.0, seed=args.seed,
                            churned=customers["churned"], as_pandas=True)
    # The snapshot date: the end of the log. Only events strictly before it count, so nothing
    # from the future leaks into a feature.
    as_of = events["timestamp"].max().ceil("D")
    print(f"{len(customers):,} customers, {len(events):,} events up to {as_of:%Y-%m-%d}")
    y = customers.pop("churned").to_numpy(np.float64)
    test = np.random.default_rng(args.seed).random(len(y)) < 0.25
    train, hold = customers[~test], customers[test]

    # customer table + event features, in one fitted, saveable object
    agg = cl.EventAggregator(windows=(7, 30, 90), amount_col="amount",
                             amount_event_types=["purchase"])
    pipe = (cl.FeaturePipeline()
            .join_events(agg, prefix="ev_")  # "ev_": the table has a days_since_last_login too
            .ratio("ev_crashes_per_login_30d", "ev_crash_count_30d", "ev_login_count_30d",
                   denominator_offset=1)
            .drop(["customer_id", "signup_date"]))  # categories stay pandas categories
    t0 = time.perf_counter()
    X_train = pipe.fit_transform(train, events=events, as_of=as_of)  # fixes the event types
    X_hold = pipe.transform(hold, events=events, as_of=as_of)
    base = [c for c in X_train.columns if c in customers.columns]  # the customer table's own
    ev_cols = [c for c in X_train.columns if c not in base]
    print(f"{len(ev_cols)} event features for {len(X_train) + len(X_hold):,} customers in "
          f"{time.perf_counter() - t0:.2f} s, e.g. {', '.join(ev_cols[:4])}, ..., {ev_cols[-1]}")

    print("\nchurn rate by days since the last event (training customers):")
    silent = pd.cut(X_train["ev_days_since_last_event"], [0, 7, 30, 90, np.inf],
                    labels=["<= 7", "8-30", "31-90", "> 90"])
    silent = silent.cat.add_categories("no events").fillna("no events")
    print(pd.Series(y[~test], index=X_train.index).groupby(silent, observed=True)
          .agg(["size", "mean"])
          .rename(columns={"size": "customers", "mean": "churn_rate"}).rename_axis(None)
          .to_string(float_format=lambda v: f"{v:.3f}"))

    print("\nhold-out ROC-AUC of gradient-boosted trees (300 trees, learning rate 0.05):")
    for name, cols in (("customer table only", base), ("customer table + event features", None)):
        model = cl.GBDTClassifier(n_estimators=300, learning_rate=0.05, seed=args.seed)
        model.fit(X_train if cols is None else X_train[cols], y[~test])
        p = model.predict_proba(X_hold if cols is None else X_hold[cols])[:, 1]
        print(f"  {name:32s} {cl.metrics.roc_auc(y[test], p):.4f}")
    gain = pd.Series(model.set_params(importance_type="gain").feature_importances_,
                     index=X_train.columns)
    print("\nstrongest features (share of split gain):")
    print((gain / gain.sum()).sort_values(ascending=False).head(8).to_string(
        float_format=lambda v: f"{v:.1%}"))

    # scoring later: customer table + event log -> saved pipeline -> saved model
    pipe_path, model_path = (os.path.join(args.out, f) for f in ("features.json", "gbdt.json"))
    pipe.save(pipe_path)
    model.save(model_path)
    again = cl.GBDTClassifier.load(model_path).predict_proba(
        cl.FeaturePipeline.load(pipe_path).transform(hold, events=events, as_of=as_of))[:, 1]
    print(f"\nsaved {pipe_path} and {model_path}; reloaded, they reproduce the hold-out scores "
          f"bit for bit: {np.array_equal(again.view(np.int64), p.view(np.int64))}")


if __name__ == "__main__":
    main()
