#!/usr/bin/env python3
"""Side-by-side retention benchmark: churnlib.retention against the same steps in vectorised
pandas / numpy (the way churn platforms write them).

``--rows`` customers (default 1,000,000) from ``cl.make_customers`` with a churn score per
customer (a fixed logistic function of their columns, so the score depends on them) go through:

1. **risk buckets**: quantiles 0.5 / 0.8 / 0.95 of a reference score sample (the first 200,000
   customers' scores) as edges, then each score's bucket (low / medium / high / critical);
2. **money**: revenue at risk, customer lifetime value and expected loss per customer (horizon
   12 months, 1% discount a month, 60% margin);
3. **20 retention rules** (conditions on contract, plan, payment method, tenure, charges,
   support tickets, missing NPS, the bucket, the segment and the score; 8 actions) with a total
   budget: each customer's action by expected net value;
4. **the KPI summary**: overall, by segment (the customer's region) and by bucket.

churnlib: ``RiskBuckets(quantiles=...).fit(...).predict(...)``, ``customer_value(...)``,
``RuleSet.apply(customers, ..., budget=...)`` and ``kpi_summary(...)`` (the pandas frame is
converted inside, and that time is counted). pandas / numpy: ``np.quantile`` +
``np.searchsorted``; the closed forms in numpy; per rule a boolean mask from pandas column
operations, the (rows x rules) matrix of expected net values, the best rule per customer
(``argmax``), then the budget spent down the customers sorted by that value (the usual
"rank and cut" greedy; churnlib's budgeted choice is the LP-relaxation greedy of the
multiple-choice knapsack, which does more work and never keeps less value, see
``churn/retention/rules.hpp``); the KPIs by ``groupby`` sums and a ``crosstab`` of bucket
counts.

Before timing, the script checks that both sides agree: the same bucket of every customer, the
money columns to 1e-9 (relative), the same rule for every customer without a budget (the
conditions and the choice, row by row), and the KPI sums to 1e-9 (relative). It then times each
step (median of ``--repeat`` runs) and prints seconds, rows per second and the ratio
pandas / churnlib. Nothing asserts a timing. Verdict against issue 17's target: churnlib at
least 10x faster over the four steps.

Example::

    python benchmarks/compare_retention.py                  # 1,000,000 customers, 3 repeats
    python benchmarks/compare_retention.py --rows 200000    # a quick run
"""

from __future__ import annotations

import argparse
import os
import platform
import sys

import numpy as np
import pandas as pd

from loadmeter import timed  # benchmarks/loadmeter.py

HORIZON, DISCOUNT, MARGIN = 12, 0.01, 0.6
QUANTILES = [0.5, 0.8, 0.95]
LABELS = ["low", "medium", "high", "critical"]
THRESHOLD = 0.5
BUSY_CORES = 0.5


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rows", type=int, default=1_000_000, help="customers")
    p.add_argument("--repeat", type=int, default=3, help="timed runs per step (median)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--budget-share", type=float, default=0.3,
                   help="the budget as a share of what every customer's best action would cost")
    return p.parse_args(argv)


# ---- data -------------------------------------------------------------------------------------

def make_data(n, seed):
    import churnlib as cl

    df = cl.make_customers(n, seed=seed).to_pandas(copy=True)
    y = df.pop("churned").to_numpy(dtype=np.float64)
    z = (-1.2 + 1.1 * (df["contract"] == "Month-to-month") - 0.03 * df["tenure_months"].fillna(24)
         + 0.25 * df["support_tickets"].fillna(0) + 0.4 * df["payment_failures"].fillna(0)
         + 0.01 * (df["monthly_charges"].fillna(60) - 60))
    score = 1.0 / (1.0 + np.exp(-z.to_numpy(dtype=np.float64)))
    y[np.random.default_rng(seed).random(n) < 0.1] = np.nan  # some customers not labelled yet
    return df, score, y


ACTIONS = {
    "call": {"cost": 15.0, "success_rate": 0.30, "channel": "phone", "priority": 1},
    "discount_10": {"cost": 25.0, "success_rate": 0.35, "channel": "email", "priority": 2},
    "discount_20": {"cost": 50.0, "success_rate": 0.50, "channel": "email", "priority": 2},
    "upgrade_offer": {"cost": 30.0, "success_rate": 0.25, "channel": "app", "priority": 3},
    "autopay_nudge": {"cost": 2.0, "success_rate": 0.10, "channel": "sms", "priority": 4},
    "support_followup": {"cost": 8.0, "success_rate": 0.20, "channel": "phone", "priority": 2},
    "loyalty_points": {"cost": 5.0, "success_rate": 0.08, "channel": "app", "priority": 5},
    "win_back_visit": {"cost": 80.0, "success_rate": 0.45, "channel": "field", "priority": 1},
}


def rule_document():
    """20 rules over the customers' columns, the bucket, the segment and the score."""
    c = lambda feature, op, **kw: {"feature": feature, "op": op, **kw}  # noqa: E731
    rules = [
        ("vip_call", {"all": [c("bucket", "in", values=["high", "critical"]),
                              c("monthly_charges", ">=", value=90)]}, "call"),
        ("m2m_discount", {"all": [c("contract", "==", value="Month-to-month"),
                                  c("score", ">=", value=0.4)]}, "discount_10"),
        ("m2m_big_discount", {"all": [c("contract", "==", value="Month-to-month"),
                                      c("bucket", "==", value="critical"),
                                      c("tenure_months", "between", min=12, max=60)]},
         "discount_20"),
        ("basic_upgrade", {"all": [c("plan", "==", value="Basic"),
                                   c("score", "between", min=0.3, max=0.7)]}, "upgrade_offer"),
        ("no_autopay", {"all": [c("autopay", "==", value="No"),
                                c("payment_failures", ">=", value=1)]}, "autopay_nudge"),
        ("tickets", {"all": [c("support_tickets", ">=", value=3)]}, "support_followup"),
        ("silent_detractor", {"all": [c("nps_score", "missing"),
                                      c("bucket", "!=", value="low")]}, "loyalty_points"),
        ("echeck", {"all": [c("payment_method", "==", value="Electronic check"),
                            c("score", ">", value=0.5)]}, "autopay_nudge"),
        ("new_customers", {"all": [c("tenure_months", "<", value=6),
                                   c("bucket", "in", values=["medium", "high", "critical"])]},
         "call"),
        ("long_tenure_risk", {"all": [c("tenure_months", ">=", value=48),
                                      c("score", ">=", value=0.35)]}, "loyalty_points"),
        ("east_critical", {"all": [c("segment", "==", value="East"),
                                   c("bucket", "==", value="critical")]}, "win_back_visit"),
        ("west_high", {"all": [c("segment", "==", value="West"),
                               c("bucket", "==", value="high")]}, "discount_10"),
        ("premium_risk", {"all": [c("plan", "==", value="Premium"),
                                  c("score", ">=", value=0.3)]}, "call"),
        ("inactive", {"all": [c("days_since_last_login", ">", value=30)]}, "support_followup"),
        ("low_usage", {"any": [c("sessions_per_week", "<", value=1),
                               c("avg_session_minutes", "<", value=5)]}, "upgrade_offer"),
        ("discounted_already", {"all": [c("discount_pct", "not_missing"),
                                        c("score", ">=", value=0.6)]}, "discount_20"),
        ("one_year_renewal", {"all": [c("contract", "==", value="One year"),
                                      c("bucket", "in", values=["high", "critical"])]},
         "discount_10"),
        ("many_devices", {"all": [c("num_devices", ">=", value=3),
                                  c("score", ">=", value=0.25)]}, "loyalty_points"),
        ("payment_trouble", {"any": [c("payment_failures", ">=", value=2),
                                     c("payment_method", "in",
                                       values=["Mailed check", "Electronic check"])]},
         "support_followup"),
        ("critical_any", {"all": [c("bucket", "==", value="critical")]}, "win_back_visit"),
    ]
    return {"rules": [{"name": name, "when": when, "action": {"name": a, **ACTIONS[a]}}
                      for name, when, a in rules]}


# ---- pandas / numpy ---------------------------------------------------------------------------

def pd_buckets(reference, score):
    edges = np.quantile(reference, QUANTILES)
    return np.searchsorted(edges, score, side="right"), edges


def pd_money(p, r):
    rar = p * r * HORIZON
    q = (1.0 - p) / (1.0 + DISCOUNT)
    with np.errstate(divide="ignore", invalid="ignore"):
        geo = np.where(q == 1.0, float(HORIZON), (1.0 - q ** HORIZON) / (1.0 - q))
    clv = MARGIN * r * geo
    return rar, clv, p * clv


def pd_condition(cond, cols):
    if "all" in cond or "any" in cond:
        parts = [pd_condition(c, cols) for c in cond.get("all", cond.get("any"))]
        out = parts[0]
        for m in parts[1:]:
            out = (out & m) if "all" in cond else (out | m)
        return out
    x = cols[cond["feature"]]
    op = cond["op"]
    if op == "missing":
        return x.isna()
    if op == "not_missing":
        return x.notna()
    present = x.notna()
    if op == "in":
        return x.isin(cond["values"]) & present
    if op == "not_in":
        return ~x.isin(cond["values"]) & present
    if op == "between":
        return (x >= cond["min"]) & (x <= cond["max"])
    v = cond["value"]
    return {"==": lambda: x == v, "!=": lambda: (x != v) & present, "<": lambda: x < v,
            "<=": lambda: x <= v, ">": lambda: x > v, ">=": lambda: x >= v}[op]()


def pd_rules(doc, df, p, value_kept, bucket_labels, segment, budget):
    cols = {name: df[name] for name in df.columns}
    cols["score"] = pd.Series(p, index=df.index)
    cols["bucket"] = pd.Series(bucket_labels, index=df.index)
    cols["segment"] = segment
    n, k = len(df), len(doc["rules"])
    env = np.full((n, k), -np.inf)
    cost = np.empty(k)
    for j, rule in enumerate(doc["rules"]):
        a = rule["action"]
        m = pd_condition(rule["when"], cols).to_numpy(dtype=bool)
        env[m, j] = p[m] * a["success_rate"] * value_kept[m] - a["cost"]
        cost[j] = a["cost"]
    best = env.argmax(axis=1)
    best_env = env[np.arange(n), best]
    chosen = np.where(best_env > 0, best, -1)
    if budget is not None:
        order = np.argsort(-np.where(chosen >= 0, best_env, -np.inf), kind="stable")
        spend = np.where(chosen >= 0, cost[np.maximum(chosen, 0)], 0.0)[order]
        keep = np.cumsum(spend) <= budget
        dropped = order[~keep]
        chosen[dropped] = -1
    value = np.where(chosen >= 0, best_env, 0.0)
    spent = float(np.where(chosen >= 0, cost[np.maximum(chosen, 0)], 0.0).sum())
    return chosen, value, spent


def pd_kpis(p, r, clv, loss, rar, codes, segment, y):
    frame = pd.DataFrame({
        "customers": 1, "labelled": ~np.isnan(y), "observed_churners": np.nan_to_num(y),
        "expected_churners": p, "predicted_churners": p >= THRESHOLD, "revenue": r,
        "revenue_at_risk": rar, "clv": clv, "clv_at_risk": loss,
        "segment": segment.astype(object).fillna("(missing)").to_numpy(),
        "bucket": pd.Categorical.from_codes(codes, LABELS)})
    sums = ["customers", "labelled", "observed_churners", "expected_churners",
            "predicted_churners", "revenue", "revenue_at_risk", "clv", "clv_at_risk"]
    overall = frame[sums].sum().to_frame().T.assign(level="overall", group="all")
    by_seg = frame.groupby("segment", observed=True)[sums].sum()
    by_seg = by_seg.join(pd.crosstab(frame["segment"], frame["bucket"]).add_prefix("n_"))
    by_bucket = frame.groupby("bucket", observed=False)[sums].sum()
    out = pd.concat([overall, by_seg.reset_index().rename(columns={"segment": "group"})
                     .assign(level="segment"),
                     by_bucket.reset_index().rename(columns={"bucket": "group"})
                     .assign(level="bucket")], ignore_index=True)
    out["share"] = out["customers"] / len(p)
    out["observed_churn_rate"] = out["observed_churners"] / out["labelled"]
    return out


# ---- churnlib ---------------------------------------------------------------------------------

def cl_steps(rules, df, score, reference, revenue, segment, y, budget):
    from churnlib.retention import RiskBuckets, customer_value, kpi_summary

    out = {}
    out["buckets"] = RiskBuckets(quantiles=QUANTILES, labels=LABELS).fit(reference)
    out["labels"] = out["buckets"].predict(score)
    out["money"] = customer_value(score, revenue, horizon=HORIZON, discount_rate=DISCOUNT,
                                  margin=MARGIN)
    out["actions"] = rules.apply(df, score, out["money"]["clv"].to_numpy(), score=score,
                                 bucket=out["labels"], segment=segment, budget=budget)
    out["kpis"] = kpi_summary(score, revenue, buckets=out["buckets"], segment=segment,
                              observed=y, threshold=THRESHOLD, horizon=HORIZON,
                              discount_rate=DISCOUNT, margin=MARGIN)
    return out


def pd_steps(doc, df, score, reference, revenue, segment, y, budget):
    out = {}
    out["codes"], _ = pd_buckets(reference, score)
    labels = pd.Categorical.from_codes(out["codes"], LABELS)
    out["money"] = pd_money(score, revenue)
    out["actions"] = pd_rules(doc, df, score, out["money"][1], labels, segment, budget)
    rar, clv, loss = out["money"]
    out["kpis"] = pd_kpis(score, revenue, clv, loss, rar, out["codes"], segment, y)
    return out


def close(a, b, what, tol=1e-9):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    err = np.max(np.abs(a - b) / np.maximum(1.0, np.abs(b))) if a.size else 0.0
    if not err <= tol:
        sys.exit(f"MISMATCH {what}: max relative difference {err:.3g}")


def check_agree(rules, doc, df, score, reference, revenue, segment, y):
    from churnlib.retention import RiskBuckets

    c = cl_steps(rules, df, score, reference, revenue, segment, y, budget=float("inf"))
    p = pd_steps(doc, df, score, reference, revenue, segment, y, budget=None)
    codes = np.asarray(RiskBuckets(quantiles=QUANTILES, labels=LABELS).fit(reference)
                       .transform(score))
    if not np.array_equal(codes, p["codes"]):
        sys.exit(f"MISMATCH buckets: {(codes != p['codes']).sum()} customers differ")
    for j, name in enumerate(["revenue_at_risk", "clv", "expected_loss"]):
        close(c["money"][name], p["money"][j], name)
    names = rules.rule_names
    cl_rule = c["actions"]["rule"].astype(object).to_numpy()
    pd_rule = np.array([names[j] if j >= 0 else np.nan for j in p["actions"][0]], dtype=object)
    same = (cl_rule == pd_rule) | (pd.isna(cl_rule) & pd.isna(pd_rule))
    if not same.all():
        sys.exit(f"MISMATCH rules: {(~same).sum()} customers differ (first row "
                 f"{np.flatnonzero(~same)[0]})")
    close(c["actions"]["expected_net_value"], p["actions"][1], "expected net value")
    ck = c["kpis"].set_index(["level", "group"])
    pk = p["kpis"].assign(group=lambda d: d["group"].astype(str)).set_index(["level", "group"])
    for col in ["customers", "labelled", "expected_churners", "predicted_churners", "revenue",
                "revenue_at_risk", "clv", "clv_at_risk", "observed_churn_rate"]:
        close(ck[col].sort_index(), pk.loc[ck.index, col].sort_index(), f"kpi {col}")
    return c


def main(argv=None):
    args = parse_args(argv)
    import churnlib as cl
    from churnlib.retention import RuleSet

    print(f"churnlib {cl.__version__}, pandas {pd.__version__}, numpy {np.__version__}; Python "
          f"{platform.python_version()}; {os.cpu_count()} cores; load average "
          f"{os.getloadavg()[0]:.1f}")
    df, score, y = make_data(args.rows, args.seed)
    revenue = df["monthly_charges"].fillna(0.0).to_numpy()
    segment = df["region"]
    reference = score[: min(len(score), 200_000)]
    doc = rule_document()
    rules = RuleSet.from_dict(doc)

    c = check_agree(rules, doc, df, score, reference, revenue, segment, y)
    full_cost = float(c["actions"]["cost"].sum())
    budget = args.budget_share * full_cost
    print(f"{args.rows:,} customers, 20 rules, 8 actions; without a budget churnlib and pandas "
          f"choose the same rule for every customer; budget {budget:,.0f} "
          f"({args.budget_share:.0%} of the unconstrained spend {full_cost:,.0f})")

    rows = []

    def row(what, fn_cl, fn_pd):
        t_cl, out_cl, busy_cl, _ = timed(fn_cl, args.repeat, warmup=True)
        t_pd, out_pd, busy_pd, _ = timed(fn_pd, args.repeat, warmup=True)
        rows.append((what, t_cl, t_pd, max(busy_cl or 0.0, busy_pd or 0.0)))
        return out_cl, out_pd

    from churnlib.retention import RiskBuckets, customer_value, kpi_summary

    row("1. risk buckets (fit + assign)",
        lambda: RiskBuckets(quantiles=QUANTILES, labels=LABELS).fit(reference).predict(score),
        lambda: pd.Categorical.from_codes(pd_buckets(reference, score)[0], LABELS))
    money, money_pd = row("2. money (revenue at risk, CLV, expected loss)",
                          lambda: customer_value(score, revenue, horizon=HORIZON,
                                                 discount_rate=DISCOUNT, margin=MARGIN),
                          lambda: pd_money(score, revenue))
    labels = c["labels"]
    clv = money["clv"].to_numpy()
    acts, acts_pd = row("3. 20 rules with a budget",
                        lambda: rules.apply(df, score, clv, score=score, bucket=labels,
                                            segment=segment, budget=budget),
                        lambda: pd_rules(doc, df, score, money_pd[1], labels, segment, budget))
    row("4. KPI summary (overall, 4 segments, 4 buckets)",
        lambda: kpi_summary(score, revenue, buckets=c["buckets"], segment=segment, observed=y,
                            threshold=THRESHOLD, horizon=HORIZON, discount_rate=DISCOUNT,
                            margin=MARGIN),
        lambda: pd_kpis(score, revenue, money_pd[1], money_pd[2], money_pd[0],
                        pd_buckets(reference, score)[0], segment, y))
    t_cl, _, busy_cl, _ = timed(lambda: cl_steps(rules, df, score, reference, revenue, segment,
                                                 y, budget), args.repeat)
    t_pd, _, busy_pd, _ = timed(lambda: pd_steps(doc, df, score, reference, revenue, segment, y,
                                                 budget), args.repeat)
    rows.append(("all four steps", t_cl, t_pd, max(busy_cl or 0.0, busy_pd or 0.0)))

    summary = acts.attrs["summary"]
    print(f"with the budget: churnlib ({summary['method']}) keeps an expected "
          f"{summary['expected_value']:,.0f} for {summary['spent']:,.0f} spent; pandas' "
          f"rank-and-cut keeps {float(acts_pd[1].sum()):,.0f} for {acts_pd[2]:,.0f}")
    print(f"\nRetention on {args.rows:,} customers, median of {args.repeat}")
    head = f"{'step':<50}{'churnlib s':>11}{'pandas s':>10}{'M rows/s':>10}{'ratio':>8}"
    print(head)
    print("-" * len(head))
    for what, a, b, busy in rows:
        flag = "  BUSY" if busy > BUSY_CORES else ""
        print(f"{what:<50}{a:>11.3f}{b:>10.3f}{args.rows / a / 1e6:>10.2f}{b / a:>7.1f}x{flag}")
    ratio = rows[-1][2] / rows[-1][1]
    print(f"\nVerdict: churnlib {args.rows / rows[-1][1]:,.0f} customers/s over the four steps, "
          f"{ratio:.1f}x pandas (target >= 10x): {'PASS' if ratio >= 10 else 'FAIL'}")
    if any(r[3] > BUSY_CORES for r in rows):
        print(f"warning: other processes used more than {BUSY_CORES} cores during rows marked "
              "BUSY; rerun on a quiet machine")
    return 0


if __name__ == "__main__":
    sys.exit(main())
