"""Event-log features for a churn model: synthetic customers and their activity log ->
point-in-time features with churnlib.EventAggregator (counts per event type, amounts, recency,
active days, trends over 7/30/90 days) -> gradient-boosted trees with and without them.

    python examples/event_features.py [--customers N]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

import churnlib as cl


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--customers", type=int, default=50_000)
    ap.add_argument("--seed", type=int, default=3)
    args = ap.parse_args()

    customers = cl.make_customers(args.customers, seed=args.seed).to_pandas(copy=True)
    events = cl.make_events(args.customers, events_per_customer=20.0, seed=args.seed,
                            churned=customers["churned"])
    ev = events.to_pandas()
    # The snapshot date: the end of the log. Only events strictly before it count, so nothing
    # from the future leaks into a feature.
    as_of = ev["timestamp"].max().ceil("D")
    print(f"{len(customers):,} customers, {len(ev):,} events up to {as_of:%Y-%m-%d}")

    agg = cl.EventAggregator(windows=(7, 30, 90), amount_col="amount",
                             amount_event_types=["purchase"])
    t0 = time.perf_counter()
    feats = agg.transform(events, customers=customers["customer_id"], as_of=as_of)
    print(f"{feats.shape[1]} event features in {time.perf_counter() - t0:.2f} s, e.g. "
          f"{', '.join(list(feats.columns)[:4])}, ...")
    print("\nchurn rate by days since the last event:")
    silent = pd.cut(feats["days_since_last_event"].to_numpy(), [0, 7, 30, 90, np.inf],
                    labels=["<= 7", "8-30", "31-90", "> 90"])
    y = customers["churned"].to_numpy(np.float64)
    print(pd.Series(y).groupby(pd.Categorical(silent).add_categories("no events")
                               .fillna("no events"), observed=True).agg(["size", "mean"])
          .rename(columns={"size": "customers", "mean": "churn_rate"})
          .to_string(float_format=lambda v: f"{v:.3f}"))

    base = customers.drop(columns=["customer_id", "signup_date", "churned"])
    both = pd.concat([base.reset_index(drop=True), feats.reset_index(drop=True)], axis=1)
    rng = np.random.default_rng(args.seed)
    test = rng.random(len(y)) < 0.25
    print("\nhold-out ROC-AUC of gradient-boosted trees (300 trees, learning rate 0.05):")
    for name, X in (("customer table only", base), ("customer table + event features", both)):
        model = cl.GBDTClassifier(n_estimators=300, learning_rate=0.05, seed=args.seed)
        model.fit(X[~test], y[~test])
        auc = cl.metrics.roc_auc(y[test], model.predict_proba(X[test])[:, 1])
        print(f"  {name:32s} {auc:.4f}")
    gain = pd.Series(model.set_params(importance_type="gain").feature_importances_, index=both.columns)
    print("\nstrongest features (share of split gain):")
    print((gain / gain.sum()).sort_values(ascending=False).head(8).to_string(
        float_format=lambda v: f"{v:.1%}"))


if __name__ == "__main__":
    main()
