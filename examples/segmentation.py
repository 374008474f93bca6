"""Customer segmentation for retention: behavioural features of the synthetic customers, scaled
with a FeaturePipeline -> K-means (choosing k by inertia and silhouette) -> segment profiles
with churn rate, mean churn score and monthly revenue at risk.

    python examples/segmentation.py [--customers N] [--k 4]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

import churnlib as cl

BEHAVIOUR = ["tenure_months", "monthly_charges", "sessions_per_week", "avg_session_minutes",
             "num_devices", "support_tickets", "payment_failures", "days_since_last_login"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--customers", type=int, default=100_000)
    ap.add_argument("--k", type=int, default=4)
    ap.add_argument("--seed", type=int, default=5)
    args = ap.parse_args()
    pd.set_option("display.width", 160)

    df = cl.make_customers(args.customers, seed=args.seed).to_pandas(copy=True)
    y = df["churned"].to_numpy(np.float64)

    # a churn score for every customer (in production: the deployed model's score)
    raw = df.drop(columns=["customer_id", "signup_date", "churned"])
    model = cl.GBDTClassifier(n_estimators=200, learning_rate=0.05, seed=args.seed).fit(raw, y)
    score = model.predict_proba(raw)[:, 1]

    # behavioural features: impute, tame the long tails, put every feature on one scale
    pipe = (cl.FeaturePipeline(output="numpy")
            .impute(BEHAVIOUR, strategy="median")
            .clip(["support_tickets", "payment_failures", "days_since_last_login"],
                  lower_quantile=0.0, upper_quantile=0.99)
            .log1p(["support_tickets", "payment_failures", "days_since_last_login"])
            .scale(BEHAVIOUR)
            .select(BEHAVIOUR))
    X = pipe.fit_transform(df)
    print(f"{len(df):,} customers x {X.shape[1]} scaled behavioural features: {', '.join(BEHAVIOUR)}")

    # choosing k -------------------------------------------------------------------------------
    t0 = time.perf_counter()
    sweep = cl.segment.sweep_k(X, range(2, 9), seed=args.seed, n_init=2,
                               silhouette_sample_size=10_000)
    print(f"\nchoosing k ({time.perf_counter() - t0:.1f} s; silhouette on a 10,000-row sample):")
    print(sweep.to_string(index=False, float_format=lambda v: f"{v:.4f}"))

    # the segments -----------------------------------------------------------------------------
    t0 = time.perf_counter()
    km = cl.KMeans(args.k, n_init=4, seed=args.seed).fit(X)
    print(f"\nK-means with k = {args.k} (4 restarts, Hamerly's exact acceleration) in "
          f"{time.perf_counter() - t0:.2f} s: inertia {km.inertia_:,.0f} after {km.n_iter_} iterations")

    behaviour = df[BEHAVIOUR]                                  # original units for the profiles
    prof = cl.segment.profile_segments(behaviour, km.labels_, churned=y, score=score,
                                       revenue=df["monthly_charges"].to_numpy())
    table = prof.to_pandas()
    print("\nsegments (revenue = monthly charges; revenue at risk = sum of monthly charges x churn "
          "score):")
    print(table.to_string(float_format=lambda v: f"{v:,.3f}" if abs(v) < 10 else f"{v:,.0f}"))
    print("\nfeature means per segment, original units (all = every customer):")
    print(prof.feature_means().to_string(float_format=lambda v: f"{v:.2f}"))

    worst = table.drop(index="all")["revenue_at_risk"].idxmax()
    row = table.loc[worst]
    print(f"\nsegment {worst} carries the most revenue at risk: {row['revenue_at_risk']:,.0f} a month "
          f"({row['revenue_at_risk'] / table.loc['all', 'revenue_at_risk']:.0%} of the total) from "
          f"{row['share']:.0%} of the customers, churn rate {row['churn_rate']:.1%} against "
          f"{table.loc['all', 'churn_rate']:.1%} overall")
    new = cl.make_customers(5, seed=args.seed + 1).to_pandas()
    print(f"new customers' segments: {km.predict(pipe.transform(new)).tolist()}")


if __name__ == "__main__":
    main()
