"""Retention analytics on churn scores: risk buckets, money at stake, retention actions under a
budget, KPIs for the BI tool, and alerts, with the files a retention team hands on:

- ``<out>/customers_export.csv``: one row per customer (id, score, bucket, segment, revenue at
  risk, CLV, expected loss, action, expected net value), for Tableau / Power BI;
- ``<out>/kpis.csv`` and ``<out>/kpis.json``: the KPI summary (overall, by segment, by bucket);
- ``<out>/alerts.jsonl``: the alert log (JSON lines, appended safely; a rerun within the
  cooldown adds nothing).

    python examples/retention.py [--customers N] [--out DIR]
"""

from __future__ import annotations

import argparse
import os

import numpy as np
import pandas as pd

import churnlib as cl
from churnlib import retention as rt

# A retention playbook: who gets which offer. Conditions read the customers' columns and the
# `score`, `bucket` and `segment` columns added by apply().
PLAYBOOK = {
    "rules": [
        {"name": "save_desk_call",
         "when": {"all": [{"feature": "bucket", "op": "in", "values": ["high", "critical"]},
                          {"feature": "monthly_charges", "op": ">=", "value": 80}]},
         "action": {"name": "call", "cost": 15.0, "success_rate": 0.30, "channel": "phone",
                    "priority": 1, "capacity": 400}},
        {"name": "contract_upgrade",
         "when": {"all": [{"feature": "contract", "op": "==", "value": "Month-to-month"},
                          {"feature": "score", "op": ">=", "value": 0.4}]},
         "action": {"name": "annual_discount", "cost": 40.0, "success_rate": 0.40,
                    "channel": "email", "priority": 2}},
        {"name": "payment_trouble",
         "when": {"any": [{"feature": "payment_failures", "op": ">=", "value": 2},
                          {"feature": "autopay", "op": "==", "value": "No"}]},
         "action": {"name": "autopay_nudge", "cost": 1.0, "success_rate": 0.05,
                    "channel": "sms", "priority": 3}},
        {"name": "support_followup",
         "when": {"feature": "support_tickets", "op": ">=", "value": 3},
         "action": {"name": "support_call", "cost": 8.0, "success_rate": 0.20,
                    "channel": "phone", "priority": 2}},
    ],
    "budget": 20000.0,
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--customers", type=int, default=50_000)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--out", default=os.path.join("build", "retention"))
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    pd.set_option("display.width", 160)
    pd.set_option("display.max_columns", 20)

    # Churn scores: last month's and this month's customers (in production: the deployed
    # model's scores from two scoring runs).
    df = cl.make_customers(args.customers, seed=args.seed).to_pandas(copy=True)
    y = df.pop("churned").to_numpy(np.float64)
    raw = df.drop(columns=["customer_id", "signup_date"])
    model = cl.GBDTClassifier(n_estimators=100, learning_rate=0.1, seed=args.seed).fit(raw, y)
    score = model.predict_proba(raw)[:, 1]
    before = raw.assign(support_tickets=np.maximum(raw["support_tickets"] - 2, 0))
    previous = pd.Series(model.predict_proba(before)[:, 1], index=df["customer_id"])
    revenue = df["monthly_charges"].to_numpy()
    segment = df["region"]

    # Risk buckets from the reference distribution: the top 5% critical, the next 15% high.
    buckets = rt.RiskBuckets(quantiles=[0.5, 0.8, 0.95]).fit(score)
    print("risk buckets:")
    print(buckets.counts(score).to_string(float_format=lambda v: f"{v:.3f}"))
    buckets.save(os.path.join(args.out, "buckets.json"))

    # Money: a year's horizon, 1% discount a month, 60% margin.
    money = rt.customer_value(score, revenue, horizon=12, discount_rate=0.01, margin=0.6)
    print(f"\nrevenue at risk over 12 months: {money['revenue_at_risk'].sum():,.0f}; "
          f"CLV {money['clv'].sum():,.0f}, of which at risk {money['expected_loss'].sum():,.0f}")

    # Actions: the best offer per customer by expected net value, within the budget.
    rules = rt.RuleSet.from_dict(PLAYBOOK)
    labels = buckets.predict(score)
    # what an offer that works keeps: a year of margin (the customer's CLV at their current
    # risk would undervalue exactly the customers worth saving)
    value_kept = 0.6 * 12 * revenue
    actions = rules.apply(raw, score, value_kept, score=score, bucket=labels, segment=segment)
    s = actions.attrs["summary"]
    print(f"\nactions ({s['method']}): {s['n_assigned']:,} customers, {s['spent']:,.0f} of the "
          f"{s['budget']:,.0f} budget, expected value kept {s['expected_value']:,.0f}")
    print(actions["action"].value_counts().to_string())

    # KPIs and the BI export.
    kpis = rt.kpi_summary(score, revenue, buckets=buckets, segment=segment, observed=y,
                          threshold=0.5, horizon=12, discount_rate=0.01, margin=0.6)
    print("\nKPIs:")
    print(kpis[["level", "group", "customers", "observed_churn_rate", "expected_churners",
                "revenue_at_risk", "clv_at_risk"]].to_string(index=False,
                                                              float_format=lambda v: f"{v:,.3f}"))
    kpis.to_csv(os.path.join(args.out, "kpis.csv"), index=False)
    with open(os.path.join(args.out, "kpis.json"), "w", encoding="utf-8") as f:
        f.write(kpis.attrs["json"])
    export = rt.customer_export(score, revenue, ids=df["customer_id"], buckets=buckets,
                                segment=segment, action=actions["action"].astype(object),
                                expected_net_value=actions["expected_net_value"], horizon=12,
                                discount_rate=0.01, margin=0.6)
    export_path = os.path.join(args.out, "customers_export.csv")
    export.to_csv(export_path, index=False)
    print(f"\nwrote {export_path} ({len(export):,} rows) and the KPIs (kpis.csv, kpis.json)")

    # Alerts: customers crossing the risk threshold or jumping since the previous run, and the
    # model's quality on the labelled customers; a 7-day cooldown against the log.
    now = pd.Timestamp("2024-06-01", tz="UTC")
    raised = pd.concat([
        rt.risk_alerts(df["customer_id"], score, previous, threshold=0.6, jump=0.25,
                       timestamp=now),
        rt.quality_alerts(y, score, min_auc=0.75, min_precision=0.5, min_recall=0.5,
                          threshold=0.5, timestamp=now),
    ], ignore_index=True)
    log = rt.AlertLog(os.path.join(args.out, "alerts.jsonl"))
    fresh = rt.apply_cooldown(raised, log.read(), "7D")
    log.append(fresh)
    print(f"\nalerts: {len(raised):,} raised, {len(fresh):,} new after the cooldown, written to "
          f"{log.path}")
    print(raised.groupby(["kind", "severity"]).size().to_string())


if __name__ == "__main__":
    main()
