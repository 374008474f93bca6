"""Drift monitoring for a deployed churn model: a baseline of the training customers (every
feature and the model's score), a later batch whose customer base has shifted, the drift report
with its alerts, the model's performance per month once the labels arrive, and the PSI chart.

    python examples/drift_monitoring.py [--customers N] [--out DIR]
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import pandas as pd

import churnlib as cl


def drifted_batch(n: int, seed: int) -> pd.DataFrame:
    """New customers three months later: prices up 25%, more month-to-month contracts, a new
    payment method, fewer survey answers, less usage."""
    rng = np.random.default_rng(seed)
    df = cl.make_customers(n, seed=seed).to_pandas(copy=True)
    df["monthly_charges"] = (df["monthly_charges"] * 1.25).round(2)
    # more month-to-month contracts: re-draw a third of the longer contracts
    longer = df.index[(df["contract"] != "Month-to-month").to_numpy()]
    flip = rng.choice(longer, size=len(longer) // 3, replace=False)
    df.loc[flip, "contract"] = "Month-to-month"
    pm = df["payment_method"].cat.add_categories(["Digital wallet"])
    pm[rng.random(n) < 0.08] = "Digital wallet"                # unseen in training
    df["payment_method"] = pm
    df.loc[rng.random(n) < 0.25, "nps_score"] = np.nan          # the survey was shortened
    df["sessions_per_week"] = (df["sessions_per_week"] * 0.8).round(1)
    return df


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--customers", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--out", default=os.path.join("build", "drift"))
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    pd.set_option("display.width", 160)

    # The model and its training data --------------------------------------------------------
    train = cl.make_customers(args.customers, seed=args.seed).to_pandas(copy=True)
    y = train["churned"].to_numpy()
    features = train.drop(columns=["customer_id", "signup_date", "churned"])
    model = cl.GBDTClassifier(n_estimators=200, learning_rate=0.05, seed=args.seed)
    model.fit(features, y)
    train_score = model.predict_proba(features)[:, 1]

    # The baseline: every feature and the score, saved without the data ------------------------
    t0 = time.perf_counter()
    base = cl.monitor.Baseline(bins=10).fit(features, score=train_score)
    path = os.path.join(args.out, "baseline.json")
    base.save(path)
    print(f"baseline of {base.n_rows_:,} customers x {len(base.feature_names_)} features + score in "
          f"{time.perf_counter() - t0:.2f} s, saved to {path} ({os.path.getsize(path) / 1e3:.0f} kB)")

    # Three months later ---------------------------------------------------------------------
    batch = drifted_batch(args.customers // 2, args.seed + 1)
    X = batch[features.columns]
    score = model.predict_proba(X)[:, 1]
    base = cl.monitor.Baseline.load(path)                       # e.g. in the scoring job
    t0 = time.perf_counter()
    report = base.compare(X, score=score)
    print(f"compared {report.n_rows_current:,} new customers in {time.perf_counter() - t0:.3f} s: "
          f"{report.share_drifting:.0%} of the features drift; score PSI {report.score['psi']:.3f} "
          f"({report.score['status']})\n")
    cols = ["feature", "kind", "psi", "status", "ks", "js", "missing_rate_reference",
            "missing_rate_current", "share_out_of_range", "unseen_categories"]
    print(report.to_pandas()[cols].head(10).to_string(index=False, float_format=lambda v: f"{v:.3f}"))

    print("\nalerts to route (Slack, PagerDuty, a BI table):")
    print(report.alerts_frame().to_string(index=False, float_format=lambda v: f"{v:.3f}"))

    # The same report from a stream of chunks (or from workers), merged -----------------------
    parts = [base.accumulate(X.iloc[i:i + 10_000], score=score[i:i + 10_000])
             for i in range(0, len(X), 10_000)]
    merged = parts[0]
    for p in parts[1:]:
        merged.merge(p)
    same = base.compare(merged).to_json() == report.to_json()
    print(f"\nthe batch fed in {len(parts)} chunks and merged gives the same report: {same}")

    # Labels arrive: performance per month ----------------------------------------------------
    month = pd.Series(pd.to_datetime("2024-09-01") + pd.to_timedelta(
        np.arange(len(batch)) % 90, unit="D")).dt.strftime("%Y-%m")
    # the new customers churn more than the model expects where prices rose most
    rng = np.random.default_rng(args.seed)
    p_true = np.clip(score * 1.1 + 0.03 * (batch["contract"] == "Month-to-month"), 0, 1)
    labels = (rng.random(len(batch)) < p_true).astype(float)
    # ... and in November the model is scored on the wrong rows (a pipeline bug)
    late = (month == "2024-11").to_numpy()
    labels[late] = rng.permutation(labels[late])
    report.add_performance(labels, score, windows=month, min_auc=0.70, max_churn_rate=0.35)
    print("\nperformance per month (labels that arrived later):")
    print(report.performance().to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    alerts = report.alerts_frame()
    print("\nperformance alerts:")
    print(alerts[alerts["metric"] != "psi"].to_string(index=False,
                                                      float_format=lambda v: f"{v:.3f}"))

    report_path = os.path.join(args.out, "drift_report.json")
    with open(report_path, "w", encoding="utf-8") as f:
        f.write(report.to_json(indent=2))
    png = os.path.join(args.out, "psi.png")
    try:
        report.plot_psi(path=png)
        print(f"\nreport written to {report_path}, PSI chart to {png}")
    except ImportError:
        print(f"\nreport written to {report_path} (install matplotlib for the PSI chart)")


if __name__ == "__main__":
    main()
