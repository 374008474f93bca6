"""churnlib end-to-end demo on synthetic data the library generates itself.

Walks the loop as far as churnlib goes today:
  1. generate a customer table and an activity log (seeded, deterministic),
  2. write them as CSV (atomically),
  3. read the customers back through a data contract (schema),
  4. print what a churn analyst looks at first: the columns, missing values, the churn rate and
     how it varies across segments, and the activity log,
  5. show the contract rejecting a damaged file, naming row, column and reason,
  6. train the churn model in one call (train_churn_model): logistic regression, random forest
     and GBDT, each with its own feature pipeline (the activity log joined point-in-time),
     cross-validated with the pipeline refitted inside every fold; the best is refitted,
     calibrated, given a decision threshold and packed with its data contract, drift baseline
     and training report into one versioned file,
  7. register it (ModelRegistry), promote it to production, reload it, score next month's
     customers with the top reasons of each, and check the scores once their labels arrive
     (ROC-AUC, lift, the profit-maximising retention threshold),
  8. monitor drift with the bundle's baseline: next quarter's shifted customers (PSI, KS,
     weighted by the model's importance; the model's performance estimated before the labels,
     then set beside the realised one; multivariate drift by a domain classifier and PCA;
     statuses, alerts, a PSI chart),
  9. segment the customers by behaviour (K-means, choosing k) and profile the segments with
     churn rate and revenue at risk,
 10. retention: risk buckets, revenue at risk and lifetime value, the best retention action per
     customer under a budget (rules), the KPI table and customer export for the BI tool, and the
     alerts (drift of the shifted quarter, risk crossings and jumps since last month's scoring,
     model quality) appended to an alert log.

Run it with ``bash scripts/demo.sh`` (installs and builds what is missing), or, with churnlib
installed, ``python examples/demo.py [--customers N] [--out DIR]``.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import pandas as pd

import churnlib as cl


def section(title: str) -> None:
    print()
    print(title)
    print("=" * len(title))


def churn_by(df: pd.DataFrame, column: str, label: str = "churned") -> pd.DataFrame:
    g = df.groupby(column, observed=True, dropna=False)[label]
    out = pd.DataFrame({"customers": g.size(), "churners": g.sum(), "churn_rate": g.mean()})
    out["share"] = out["customers"] / len(df)
    return out.sort_values("churn_rate", ascending=False)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--customers", type=int, default=100_000, help="number of customers (default 100000)")
    ap.add_argument("--events-per-customer", type=float, default=20.0)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", default=os.path.join("build", "demo"), help="output folder (default build/demo)")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    pd.set_option("display.width", 160)
    pd.set_option("display.max_columns", 20)

    print(f"churnlib {cl.__version__} (OpenMP: {'yes' if cl.has_openmp() else 'no'})")

    # 1. Data -----------------------------------------------------------------------------------
    section("1. Synthetic customers and activity log")
    t0 = time.perf_counter()
    customers = cl.make_customers(args.customers, seed=args.seed)
    # the activity of customers who churn fades out before the snapshot, as in real logs
    events = cl.make_events(args.customers, events_per_customer=args.events_per_customer, seed=args.seed,
                            churned=customers["churned"])
    print(f"generated {len(customers):,} customers x {customers.num_columns} columns and "
          f"{len(events):,} events in {time.perf_counter() - t0:.2f} s")

    # 2. CSV out ---------------------------------------------------------------------------------
    cust_path = os.path.join(args.out, "customers.csv")
    events_path = os.path.join(args.out, "events.csv")
    t0 = time.perf_counter()
    cl.write_csv(customers, cust_path)
    cl.write_csv(events, events_path)
    size_mb = (os.path.getsize(cust_path) + os.path.getsize(events_path)) / 1e6
    print(f"wrote {cust_path} and {events_path} ({size_mb:.1f} MB) in {time.perf_counter() - t0:.2f} s")

    # 3. Read back through the data contract -------------------------------------------------------
    section("2. Reading the customers back through the data contract")
    schema = cl.Schema.infer(customers)
    schema.unique("customer_id")
    contract = cl.Schema(allow_extra_columns=False)
    for spec in schema.columns:
        d = spec.to_dict()
        if d["name"] == "tenure_months":
            d.update(min=0, max=120, nullable=False)
        elif d["name"] == "monthly_charges":
            d.update(min=0, nullable=False)
        elif d["name"] == "churned":
            d.update(min=0, max=1, nullable=False)
        elif d["name"] == "contract":
            d.update(allowed=["Month-to-month", "One year", "Two year"], nullable=False)
        contract.add(d)
    contract.save(os.path.join(args.out, "customers.schema.json"))
    t0 = time.perf_counter()
    table = cl.read_csv(cust_path, schema=contract)
    print(f"read {len(table):,} rows in {time.perf_counter() - t0:.2f} s; the contract "
          f"({len(contract)} columns, saved as customers.schema.json) holds: "
          f"{contract.validate(table).ok}")
    print()
    print(cl.describe_string(table))

    # 4. What the analyst looks at first ---------------------------------------------------------
    section("3. Churn overview")
    df = table.to_pandas()
    rate = df["churned"].mean()
    print(f"customers: {len(df):,}   churners: {int(df['churned'].sum()):,}   churn rate: {rate:.1%}")
    print(f"monthly revenue of churners: {df.loc[df['churned'] == 1, 'monthly_charges'].sum():,.0f} "
          f"of {df['monthly_charges'].sum():,.0f} ({df.loc[df['churned'] == 1, 'monthly_charges'].sum() / df['monthly_charges'].sum():.1%})")
    for col in ["contract", "payment_method", "plan"]:
        print()
        print(f"churn by {col}:")
        print(churn_by(df, col).to_string(float_format=lambda v: f"{v:.3f}"))
    print()
    df["tenure_group"] = pd.cut(df["tenure_months"], [-1, 6, 12, 24, 48, 72],
                                labels=["0-6", "7-12", "13-24", "25-48", "49-72"])
    print("churn by tenure (months):")
    print(churn_by(df, "tenure_group").sort_index().to_string(float_format=lambda v: f"{v:.3f}"))
    print()
    df["failures"] = df["payment_failures"].clip(upper=3)
    print("churn by payment failures (3 = 3 or more):")
    print(churn_by(df, "failures").sort_index().to_string(float_format=lambda v: f"{v:.3f}"))

    section("4. Activity log")
    ev = cl.read_csv(events_path).to_pandas()
    by_type = ev.groupby("event_type", observed=True).agg(events=("customer_id", "size"),
                                                         customers=("customer_id", "nunique"),
                                                         amount_sum=("amount", "sum"))
    print(by_type.to_string(float_format=lambda v: f"{v:,.0f}"))
    per_cust = ev.groupby("customer_id").size().reindex(df["customer_id"], fill_value=0)
    print(f"\nevents per customer: median {per_cust.median():.0f}, customers with no events: "
          f"{(per_cust == 0).sum():,}; time span {ev['timestamp'].min():%Y-%m-%d} .. {ev['timestamp'].max():%Y-%m-%d}")
    last = ev.groupby("customer_id")["timestamp"].max().reindex(df["customer_id"])
    silent_days = (ev["timestamp"].max() - last).dt.days.to_numpy()
    df["silent_for"] = pd.cut(pd.Series(silent_days, index=df.index).fillna(10_000),
                              [-1, 7, 30, 90, 9_999, 10_001],
                              labels=["<= 7 days", "8-30 days", "31-90 days", "> 90 days", "no events"])
    print("\nchurn by days since the last event (recency):")
    print(churn_by(df, "silent_for").sort_index().to_string(float_format=lambda v: f"{v:.3f}"))

    # 5. The contract at work ----------------------------------------------------------------------
    section("5. The data contract rejects a damaged file")
    bad = df.drop(columns=["tenure_group", "failures", "silent_for"]).head(1000).copy()
    bad["contract"] = bad["contract"].astype(object)
    bad.loc[3, "tenure_months"] = -4
    bad.loc[10, "contract"] = "Weekly"
    bad.loc[20, "customer_id"] = bad.loc[19, "customer_id"]
    bad.loc[30, "monthly_charges"] = np.nan
    bad_path = os.path.join(args.out, "customers_damaged.csv")
    cl.write_csv(cl.Table.from_pandas(bad), bad_path)
    try:
        cl.read_csv(bad_path, schema=contract)
    except cl.SchemaError as e:
        print(e)
    with open(bad_path, "a", encoding="utf-8") as f:
        f.write("C9999999,2020-01-01,North,Basic,One year,Mailed check,Yes,twelve,50,600,1,3,20,0,0,,5,8,0\n")
    try:
        cl.read_csv(bad_path, schema=contract)
    except cl.ParseError as e:
        print()
        print(e)

    # 6. The churn model ----------------------------------------------------------------------------
    section("6. The churn model: one call compares, calibrates and packs")
    cust = df.drop(columns=["tenure_group", "failures", "silent_for"])  # the raw customer table
    rng = np.random.default_rng(args.seed)
    unseen = rng.random(len(cust)) < 0.2  # next month's customers: the model never sees their labels
    history = cust[~unseen]
    new_customers = cust[unseen].drop(columns=["churned"]).reset_index(drop=True)
    y_new = cust.loc[unseen, "churned"].to_numpy(dtype=np.float64)
    as_of = ev["timestamp"].max().ceil("D")  # the snapshot: only events before it count
    t0 = time.perf_counter()
    model = cl.train_churn_model(history, "churned", events=events, as_of=as_of, seed=args.seed,
                                 tags={"owner": "retention analytics", "data": "synthetic demo"})
    rep = model.report_
    print(f"trained on {rep['rows']['train']:,} customers (+ {rep['rows']['holdout']:,} held out) with "
          f"their activity joined point-in-time, in {time.perf_counter() - t0:.1f} s: each candidate gets "
          f"its own feature pipeline (logistic: impute + missing flags, scaling, one-hot; trees: native "
          f"categories and missing values), refitted inside each of the {rep['cv']} folds")
    print()
    print(model.comparison_.to_string(index=False, float_format=lambda v: f"{v:.4f}"))
    print(f"\nchosen: {rep['chosen']} ({rep['reason']})")
    cal = rep["calibration"]
    briers = ", ".join(f"{k} {v:.5f}" for k, v in cal.get("brier_cross_fit", {}).items())
    print(f"calibration: {cal['method']} (Brier score of a 2-fold cross-fit on the out-of-fold scores: "
          f"{briers}); threshold {model.threshold_:.3f} (best F1 out of fold: "
          f"{model.threshold_info_['out_of_fold_value']:.3f})")
    h = rep["holdout"]
    print(f"hold-out ({h['rows']:,} customers): ROC-AUC {h['roc_auc']:.4f}, PR-AUC {h['average_precision']:.4f}, "
          f"log-loss {h['log_loss']:.4f}, Brier {h['brier']:.4f}; at the threshold precision "
          f"{h['precision']:.3f}, recall {h['recall']:.3f}")
    md = model.metadata_
    print(f"bundle: {md['model_kind']} on {len(md['features'])} features from {len(md['input_columns'])} raw "
          f"columns, data fingerprint {md['data_fingerprint']}, churnlib {md['library_version']}")

    # 7. Register, reload, score, explain ------------------------------------------------------------
    section("7. Versioned: register, reload, score and explain")
    registry = cl.ModelRegistry(os.path.join(args.out, "registry"))
    version = registry.register(model, "churn", tags={"cv_auc": round(float(model.comparison_[
        "roc_auc_mean"].max()), 4)})
    registry.set_stage("churn", version, "production")
    print(f"registered as churn v{version} (production) in {os.path.join(args.out, 'registry')}")
    print(registry.list("churn").to_string(index=False))
    prod = registry.load("churn", "production")
    t0 = time.perf_counter()
    scored = prod.score(new_customers, events=events, as_of=as_of)
    secs = time.perf_counter() - t0
    same = np.array_equal(scored["probability"].to_numpy().view(np.int64),
                          model.score(new_customers, events=events, as_of=as_of)["probability"]
                          .to_numpy().view(np.int64))
    print(f"\nscored {len(scored):,} new customers from the reloaded bundle (contract check, features, "
          f"model, calibration, reasons) in {secs:.2f} s ({len(scored) / secs:,.0f} customers/s); "
          f"bit-identical to the model in memory: {same}")
    print("\nthe five riskiest, and why (raw columns that raise their score most):")
    cols = ["customer_id", "probability", "prediction", "reason_1", "reason_2", "reason_3"]
    print(scored.sort_values("probability", ascending=False)[cols].head(5).to_string(
        index=False, float_format=lambda v: f"{v:.3f}"))
    p = scored["probability"].to_numpy()
    print(f"\nonce their labels arrive: ROC-AUC {cl.metrics.roc_auc(y_new, p):.4f}, "
          f"Brier {cl.metrics.brier_score(y_new, p):.4f}; predicted churn rate {p.mean():.3f}, "
          f"observed {y_new.mean():.3f}")
    print("\nlift by decile of predicted risk:")
    print(cl.metrics.lift_table(y_new, p).to_string(float_format=lambda v: f"{v:.3f}"))
    value, cost, success = 300.0, 20.0, 0.3
    best = cl.metrics.best_profit_threshold(y_new, p, value_retained=value, offer_cost=cost,
                                            success_rate=success)
    print(f"\nretention offer (customer worth {value:.0f}, offer costs {cost:.0f}, {success:.0%} success): "
          f"target scores >= {best.threshold:.3f} -> {int(best.n_targeted):,} customers, expected profit "
          f"{best.value:,.0f}")

    # 8. Drift monitoring ----------------------------------------------------------------------
    section("8. Drift monitoring with the bundle's baseline: next quarter's customers")
    from drift_monitoring import drifted_batch  # examples/drift_monitoring.py

    n_next = len(df) // 4
    quarter = drifted_batch(n_next, args.seed + 100)
    batch = quarter[cust.drop(columns=["churned"]).columns]
    batch_events = cl.make_events(n_next, events_per_customer=args.events_per_customer, seed=args.seed + 100)
    t0 = time.perf_counter()
    report = prod.drift(batch, events=batch_events, as_of=as_of)
    print(f"next quarter: {report.n_rows_current:,} customers (prices up 25%, more month-to-month contracts, "
          f"a new payment method, a shorter survey, less usage) against the {report.n_rows_reference:,} "
          f"training customers in the bundle's baseline, in {time.perf_counter() - t0:.2f} s; "
          f"{report.share_drifting:.0%} of the features drift, score PSI {report.score['psi']:.3f} "
          f"({report.score['status']})")
    cols = ["feature", "psi", "status", "ks", "missing_rate_reference", "missing_rate_current",
            "share_out_of_range", "unseen_categories"]
    print(report.to_pandas()[cols].head(7).to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    print("\nalerts:")
    print(report.alerts_frame().to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    try:
        png = os.path.join(args.out, "psi.png")
        report.plot_psi(path=png)
        print(f"PSI chart written to {png}")
    except ImportError:
        print("(install matplotlib for the PSI chart)")

    # before the labels: does the drift hurt the model? (churn is known 1-3 months later)
    months = np.repeat(["month 1", "month 2", "month 3"], -(-n_next // 3))[:n_next]
    est = prod.estimate_performance(batch, events=batch_events, as_of=as_of, chunks=months)
    print("\nperformance estimated from the scores alone, before any label (95% bands):")
    view = est.to_pandas()
    band = lambda m: [f"{e:.3f} [{lo:.3f}, {hi:.3f}]" for e, lo, hi in
                      zip(view[f"{m}_estimated"], view[f"{m}_lower"], view[f"{m}_upper"])]
    table = pd.DataFrame({"chunk": view["chunk"], "customers": view["n"],
                          "estimated ROC-AUC": band("roc_auc"), "estimated recall": band("recall"),
                          "expected churners": view["expected_churners_estimated"].round(0)})
    print(table.to_string(index=False))
    est.add_realised(quarter["churned"])  # ... and three months later, the labels arrive
    view = est.to_pandas()
    table["realised ROC-AUC"] = view["roc_auc_realised"].round(3)
    table["churners"] = (view["churn_rate_realised"] * view["n"]).round(0)
    print("\nonce the labels arrived, estimate and truth side by side:")
    print(table[["chunk", "estimated ROC-AUC", "realised ROC-AUC", "expected churners",
                 "churners"]].to_string(index=False))
    rel = est.reliability
    print(f"the estimates are {'reliable' if rel['reliable'] else 'NOT reliable'}: realised "
          f"ROC-AUC outside the band in {rel['n_outside']} of {rel['n_chunks']} months, mean "
          f"|gap| {rel['mean_abs_gap']:.3f}"
          + ("" if rel["reliable"] else
             "\n(the quarter's churn did not follow its new prices and usage as the model "
             "expects: the mechanism changed, not only the customers; retrain on recent labels)"))

    # drift of the joint distribution: a classifier that tells training from this quarter
    raw = [c for c in batch.columns if c not in ("customer_id", "signup_date")]
    t0 = time.perf_counter()
    dc = cl.monitor.domain_classifier_drift(history[raw], batch[raw], max_rows=20_000,
                                            seed=args.seed)
    report.set_domain_classifier(dc)
    top = ", ".join(f"{f} ({s:.0%})" for f, s in dc.features.head(3).itertuples(index=False))
    rec = report.reconstruction
    print(f"\nmultivariate drift: domain classifier ROC-AUC {dc.auc:.3f} (0.5 = the quarter looks "
          f"like training; p {'= %.2g' % dc.p_value if dc.p_value > 0 else '< 1e-300'}, "
          f"{time.perf_counter() - t0:.1f} s), separated "
          f"by {top}; PCA reconstruction error {rec.reconstruction_error:.3f} vs threshold "
          f"{rec.threshold:.3f} ({'drift' if rec.drifted else 'no drift'})")

    # 9. Segments -----------------------------------------------------------------------------
    section("9. Segments for retention: K-means on behaviour, profiles with revenue at risk")
    from segmentation import BEHAVIOUR  # examples/segmentation.py

    seg_pipe = (cl.FeaturePipeline(output="numpy").impute(BEHAVIOUR)
                .log1p(["support_tickets", "payment_failures", "days_since_last_login"])
                .scale(BEHAVIOUR).select(BEHAVIOUR))
    Xs = seg_pipe.fit_transform(df)
    t0 = time.perf_counter()
    sweep = cl.segment.sweep_k(Xs, range(2, 7), seed=args.seed, silhouette_sample_size=5000)
    print(f"choosing k on {len(BEHAVIOUR)} scaled behavioural features ({time.perf_counter() - t0:.1f} s):")
    print(sweep.to_string(index=False, float_format=lambda v: f"{v:.4f}"))
    km = cl.KMeans(4, n_init=4, seed=args.seed).fit(Xs)
    score_all = prod.predict_proba(cust, events=events, as_of=as_of)[:, 1]
    prof = cl.segment.profile_segments(df[BEHAVIOUR], km.labels_,
                                       churned=df["churned"].to_numpy(dtype=np.float64),
                                       score=score_all, revenue=df["monthly_charges"].to_numpy())
    print("\nfour segments (revenue at risk = monthly charges x churn probability):")
    print(prof.to_pandas().to_string(float_format=lambda v: f"{v:,.3f}" if abs(v) < 10 else f"{v:,.0f}"))
    print(prof.feature_means().to_string(float_format=lambda v: f"{v:.2f}"))
    km.save(os.path.join(args.out, "segments.json"))

    # 10. Retention ------------------------------------------------------------------------------
    section("10. Retention: risk buckets, money at stake, actions, KPIs and alerts")
    from churnlib import retention as rt
    from retention import PLAYBOOK  # examples/retention.py

    p_new = scored["probability"].to_numpy()
    revenue_new = new_customers["monthly_charges"].to_numpy()
    seg_new = pd.Series(km.predict(seg_pipe.transform(new_customers)), dtype="int64").map(
        lambda k: f"segment {k}")
    # buckets from the training customers' scores: the top 5% critical, the next 15% high
    buckets = rt.RiskBuckets(quantiles=[0.5, 0.8, 0.95]).fit(score_all[~unseen])
    print("risk buckets of next month's customers (edges: quantiles of the training scores):")
    print(buckets.counts(p_new).to_string(float_format=lambda v: f"{v:.3f}"))
    money = rt.customer_value(p_new, revenue_new, horizon=12, discount_rate=0.01, margin=0.6)
    print(f"\nmoney at stake over 12 months (1% discount a month, 60% margin): revenue at risk "
          f"{money['revenue_at_risk'].sum():,.0f}, customer lifetime value {money['clv'].sum():,.0f} of "
          f"which {money['expected_loss'].sum():,.0f} is expected to be lost")
    rules = rt.RuleSet.from_dict(PLAYBOOK)
    labels_new = buckets.predict(p_new)
    t0 = time.perf_counter()
    # an offer that works keeps a year of margin
    actions = rules.apply(new_customers, p_new, 0.6 * 12 * revenue_new, score=p_new,
                          bucket=labels_new, segment=seg_new)
    s = actions.attrs["summary"]
    print(f"\n{len(rules)} retention rules (playbook in examples/retention.py) chose an action for "
          f"{s['n_assigned']:,} of {s['n_candidates']:,} customers worth one, in "
          f"{time.perf_counter() - t0:.2f} s ({s['method']}): {s['spent']:,.0f} of the "
          f"{s['budget']:,.0f} budget for an expected {s['expected_value']:,.0f} kept")
    view = pd.concat([new_customers[["customer_id", "contract", "monthly_charges"]],
                      pd.DataFrame({"probability": p_new, "bucket": labels_new,
                                    "clv": money["clv"].to_numpy()}),
                      actions[["rule", "action", "expected_net_value"]]], axis=1)
    print("\nthe riskiest customers and their actions:")
    print(view.sort_values("probability", ascending=False).head(6).to_string(
        index=False, float_format=lambda v: f"{v:,.2f}"))
    kpis = rt.kpi_summary(p_new, revenue_new, buckets=buckets, segment=seg_new, observed=y_new,
                          threshold=prod.threshold_, horizon=12, discount_rate=0.01, margin=0.6)
    print("\nKPIs for the BI tool (observed churn from the labels that arrived):")
    print(kpis[["level", "group", "customers", "observed_churn_rate", "expected_churners",
                "predicted_churners", "revenue_at_risk", "clv_at_risk"]].to_string(
        index=False, float_format=lambda v: f"{v:,.3f}" if abs(v) < 10 else f"{v:,.0f}"))
    export = rt.customer_export(p_new, revenue_new, ids=new_customers["customer_id"], buckets=buckets,
                                segment=seg_new, action=actions["action"].astype(object),
                                expected_net_value=actions["expected_net_value"], horizon=12,
                                discount_rate=0.01, margin=0.6)
    export.to_csv(os.path.join(args.out, "customers_export.csv"), index=False)
    print(f"one row per customer for Tableau / Power BI: {os.path.join(args.out, 'customers_export.csv')}")

    # alerts: the drifted quarter, customers whose risk rose since last month's run, model quality
    previous = pd.Series(prod.predict_proba(new_customers, events=events,
                                            as_of=as_of - pd.Timedelta(days=30))[:, 1],
                         index=new_customers["customer_id"])
    now = pd.Timestamp(as_of).tz_localize("UTC") if pd.Timestamp(as_of).tzinfo is None else as_of
    raised = pd.concat([
        rt.drift_alerts(report, timestamp=now),
        rt.risk_alerts(new_customers["customer_id"], p_new, previous, threshold=prod.threshold_,
                       jump=0.25, timestamp=now),
        rt.quality_alerts(y_new, p_new, min_auc=0.75, min_precision=0.4, min_recall=0.4,
                          threshold=prod.threshold_, timestamp=now),
    ], ignore_index=True)
    log = rt.AlertLog(os.path.join(args.out, "alerts.jsonl"))
    fresh = rt.apply_cooldown(raised, log.read(), "7D")
    log.append(fresh)
    print(f"\nalerts: {len(raised):,} raised ({len(fresh):,} new after a 7-day cooldown against "
          f"{log.path}):")
    print(raised.groupby(["kind", "severity"]).size().rename("alerts").to_string())
    print(raised[raised["kind"] != "risk_threshold"].head(8)[["kind", "subject", "metric", "value",
                                                              "severity", "reason"]].to_string(
        index=False, float_format=lambda v: f"{v:.3f}", max_colwidth=70))

    # 11. The monthly report ---------------------------------------------------------------------
    section("11. The monthly churn report: one HTML file for the review, KPIs as JSON")
    try:
        # AUC per month where labels exist: three past months of the training customers, scored
        months = np.array(["2026-08", "2026-09", "2026-10"])[rng.integers(0, 3, len(history))]
        past = pd.DataFrame({"period": months, "y_true": history["churned"].to_numpy(np.float64),
                             "y_score": score_all[~unseen]})
        month = new_customers.assign(churned=y_new, segment=seg_new.to_numpy())
        t0 = time.perf_counter()
        rep = cl.report(os.path.join(args.out, "churn_report.html"), model=prod, customers=month,
                        events=events, as_of=as_of, labels="churned", revenue="monthly_charges",
                        segment="segment", buckets=buckets, drift=report, alerts=raised,
                        history=past, period=str(pd.Timestamp(as_of).to_period("M")),
                        horizon=12, discount_rate=0.01, margin=0.6)
        k = rep.kpis
        print(f"{k['customers']:,} customers, expected churn rate {k['expected_churn_rate']:.1%}, "
              f"revenue at risk {k['revenue_at_risk']:,.0f}, ROC-AUC on the labels that arrived "
              f"{k['roc_auc']:.3f}, {k['alerts']:,} alerts; {rep.charts} charts in "
              f"{time.perf_counter() - t0:.1f} s")
        print(f"KPIs for dashboards: {rep.kpi_path}")
        print(f"the report (open it in a browser): {rep.path}")
    except ImportError:
        print("(install matplotlib for the HTML report)")


if __name__ == "__main__":
    main()
