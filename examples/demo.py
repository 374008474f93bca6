"""churnlib end-to-end demo on synthetic data the library generates itself.

Walks the loop as far as churnlib goes today:
  1. generate a customer table and an activity log (seeded, deterministic),
  2. write them as CSV (atomically),
  3. read the customers back through a data contract (schema),
  4. print what a churn analyst looks at first: the columns, missing values, the churn rate and
     how it varies across segments, and the activity log,
  5. show the contract rejecting a damaged file, naming row, column and reason,
  6. build the model's features with a FeaturePipeline fitted on the training customers only
     (imputation with missing flags, ratios, log1p, tenure bands, scaling, one-hot), train a churn
     model (logistic regression), cross-validate pipeline + model and evaluate on a hold-out:
     ROC-AUC, PR-AUC, log-loss, lift by decile, calibration and the profit-maximising threshold;
     save the pipeline next to the model and check that both replay bit for bit,
  7. train gradient-boosted trees on the raw columns (native categories and missing values, early
     stopping), compare them with the logistic model, and explain the riskiest customers (TreeSHAP),
  8. join point-in-time features from the activity log (a FeaturePipeline with join_events) and
     retrain the trees with them,
  9. monitor drift: a baseline of the training customers and the model's score, compared with
     next quarter's shifted customers (PSI, KS, statuses, alerts, a PSI chart),
 10. segment the customers by behaviour (K-means, choosing k) and profile the segments with
     churn rate and revenue at risk.

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

    # 6. A churn model -------------------------------------------------------------------------------
    section("6. A churn model: logistic regression")
    cust = df.drop(columns=["churned", "tenure_group", "failures", "silent_for"])  # the customer table
    y = df["churned"].to_numpy(dtype=np.float64)
    rng = np.random.default_rng(args.seed)
    test = rng.random(len(y)) < 0.25  # the hold-out: never seen by the features' statistics or the model
    train_df, test_df, y_train, yt = cust[~test], cust[test], y[~test], y[test]

    pipe = feature_pipeline(train_df)
    t0 = time.perf_counter()
    X_train = pipe.fit_transform(train_df)  # medians, scaling, categories: learned on training rows only
    X_test = pipe.transform(test_df)        # ... and replayed on the hold-out
    names = list(pipe.get_feature_names_out())
    print(f"feature pipeline ({' -> '.join(dict.fromkeys(s['type'] for s in pipe.steps))}) fitted on "
          f"{len(train_df):,} training customers and applied to {len(test_df):,} hold-out customers in "
          f"{time.perf_counter() - t0:.2f} s: {len(names)} features, e.g.")
    print("  " + ", ".join(n for n in names if n in (
        "contract_Month-to-month", "tenure_months_group_00-05", "total_charges", "total_charges_missing",
        "charges_per_tenure_month", "tickets_per_tenure_month", "payment_method_missing")))

    model = cl.LogisticRegression(C=1.0)
    metrics = ("roc_auc", "average_precision", "log_loss")
    t0 = time.perf_counter()
    try:
        from sklearn.pipeline import make_pipeline
    except ImportError:  # scripts/setup.sh installs scikit-learn; without it the CV below is a little optimistic
        cv = cl.metrics.cross_validate(model, X_train, y_train, cv=5, metrics=metrics, seed=args.seed)
        how = ("scikit-learn not installed, so on features fitted on all training customers: the "
               "imputation and scaling statistics have seen each validation fold")
    else:
        cv = cl.metrics.cross_validate(make_pipeline(pipe, model), train_df, y_train, cv=5, metrics=metrics,
                                       seed=args.seed)
        how = "feature pipeline + model refitted in every fold"
    print(f"5-fold stratified CV on the training customers ({how}) in {time.perf_counter() - t0:.2f} s: "
          + ", ".join(f"{m} {cv.mean[m]:.4f} +- {cv.std[m]:.4f}" for m in metrics))

    model.fit(X_train, y_train)
    p = model.predict_proba(X_test)[:, 1]
    print(f"hold-out ({int(test.sum()):,} customers): ROC-AUC {cl.metrics.roc_auc(yt, p):.4f}, "
          f"PR-AUC {cl.metrics.average_precision(yt, p):.4f}, log-loss {cl.metrics.log_loss(yt, p):.4f}, "
          f"Brier {cl.metrics.brier_score(yt, p):.4f}, KS {cl.metrics.ks_statistic(yt, p):.4f}")
    coef = pd.Series(model.coef_[0], index=names)
    top = coef.reindex(coef.abs().sort_values(ascending=False).index).head(8)
    print("\nstrongest effects (coefficients of standardised numbers and 0/1 flags; > 0 raises churn risk):")
    print(top.to_string(float_format=lambda v: f"{v:+.3f}"))
    print("\nlift by decile of predicted risk (hold-out):")
    print(cl.metrics.lift_table(yt, p).to_string(float_format=lambda v: f"{v:.3f}"))
    print("\ncalibration (predicted vs observed churn rate, 10 quantile bins):")
    print(cl.metrics.calibration_table(yt, p, n_bins=10, strategy="quantile").to_string(
        float_format=lambda v: f"{v:.3f}"))
    value, cost, success = 300.0, 20.0, 0.3
    best = cl.metrics.best_profit_threshold(yt, p, value_retained=value, offer_cost=cost, success_rate=success)
    f1 = cl.metrics.best_f1_threshold(yt, p)
    print(f"\nretention offer (customer worth {value:.0f}, offer costs {cost:.0f}, {success:.0%} success): "
          f"target scores >= {best.threshold:.3f} -> {int(best.n_targeted):,} customers, expected profit "
          f"{best.value:,.0f} on the hold-out; the F1-optimal threshold would be {f1.threshold:.3f}")
    model_path = os.path.join(args.out, "churn_model.json")
    features_path = os.path.join(args.out, "features.json")
    model.save(model_path)
    pipe.save(features_path)
    # scoring new customers: the raw customer table -> saved features -> saved model
    again = cl.LogisticRegression.load(model_path).predict_proba(
        cl.FeaturePipeline.load(features_path).set_output(transform="default").transform(test_df))[:, 1]
    same = np.array_equal(again.view(np.int64), p.view(np.int64))
    print(f"model saved to {model_path}, feature pipeline to {features_path}; the reloaded pipeline + model "
          f"reproduce the hold-out scores bit for bit: {same}")

    # 7. Gradient-boosted trees on the raw columns -------------------------------------------------
    section("7. A gradient-boosted model (GBDT) on the raw columns")
    raw = df.drop(columns=["churned", "customer_id", "signup_date", "tenure_group", "failures", "silent_for"])
    print(f"{raw.shape[1]} raw columns: categories as pandas categories (native splits), missing values "
          "left missing (learned direction), no scaling")
    train_idx = np.flatnonzero(~test)
    rng.shuffle(train_idx)
    n_val = len(train_idx) // 5
    val_idx, fit_idx = np.sort(train_idx[:n_val]), np.sort(train_idx[n_val:])
    gbdt = cl.GBDTClassifier(n_estimators=1000, learning_rate=0.05, num_leaves=31, seed=args.seed)
    t0 = time.perf_counter()
    gbdt.fit(raw.iloc[fit_idx], y[fit_idx], eval_set=[(raw.iloc[val_idx], y[val_idx])], early_stopping_rounds=50)
    print(f"trained on {len(fit_idx):,} customers in {time.perf_counter() - t0:.2f} s; early stopping on "
          f"{len(val_idx):,} validation customers kept {gbdt.best_iteration_} trees")
    raw_test = raw.iloc[np.flatnonzero(test)]
    pg = gbdt.predict_proba(raw_test)[:, 1]
    rows = []
    for name, q in (("logistic regression", p), ("GBDT", pg)):
        rows.append({"model": name, "roc_auc": cl.metrics.roc_auc(yt, q),
                     "pr_auc": cl.metrics.average_precision(yt, q), "log_loss": cl.metrics.log_loss(yt, q),
                     "brier": cl.metrics.brier_score(yt, q),
                     "top-decile lift": cl.metrics.lift_table(yt, q)["lift"].iloc[0]})
    print("\nhold-out comparison:")
    print(pd.DataFrame(rows).set_index("model").to_string(float_format=lambda v: f"{v:.4f}"))
    gain = pd.Series(gbdt.set_params(importance_type="gain").feature_importances_, index=raw.columns)
    print("\nfeature importance (share of total split gain):")
    print((gain / gain.sum()).sort_values(ascending=False).head(8).to_string(float_format=lambda v: f"{v:.1%}"))
    contrib = gbdt.predict_contrib(raw_test)
    print("\nwhy the three riskiest hold-out customers are at risk (TreeSHAP, log-odds):")
    ids = df["customer_id"].to_numpy()[np.flatnonzero(test)]
    for i in np.argsort(-pg)[:3]:
        drivers = pd.Series(contrib[i, :-1], index=raw.columns).sort_values(ascending=False).head(3)
        text = ", ".join(f"{c}={raw_test.iloc[i][c]} ({v:+.2f})" for c, v in drivers.items())
        print(f"  {ids[i]}: churn probability {pg[i]:.2f} = base {contrib[i, -1]:+.2f} + ... ; top drivers: {text}")
    gbdt_path = os.path.join(args.out, "churn_gbdt.json")
    gbdt.save(gbdt_path)
    same = np.array_equal(cl.GBDTClassifier.load(gbdt_path).predict_proba(raw_test), gbdt.predict_proba(raw_test))
    print(f"GBDT saved to {gbdt_path}; reloaded predictions bit-identical: {same}")

    # 8. Event features ------------------------------------------------------------------------
    section("8. Point-in-time features from the activity log")
    as_of = ev["timestamp"].max().ceil("D")
    agg = cl.EventAggregator(windows=(7, 30, 90), amount_col="amount", amount_event_types=["purchase"])
    # join the event features onto each customer row ("ev_": the customer table has a
    # days_since_last_login of its own), drop the keys; categories stay pandas categories for the trees
    ev_pipe = cl.FeaturePipeline().join_events(agg, prefix="ev_").drop(["customer_id", "signup_date"])
    t0 = time.perf_counter()
    Xe_train = ev_pipe.fit_transform(train_df, events=events, as_of=as_of)  # fixes the event types
    Xe_test = ev_pipe.transform(test_df, events=events, as_of=as_of)
    ev_names = [c for c in ev_pipe.get_feature_names_out() if c.startswith("ev_")]
    print(f"{len(ev_names)} event features per customer from {len(ev):,} events, joined in "
          f"{time.perf_counter() - t0:.2f} s (training + hold-out customers; only events before "
          f"{as_of:%Y-%m-%d} count: counts per event type, purchase amounts, active days and trends over "
          f"7/30/90 days, recency); {Xe_train.shape[1]} columns in all")
    show = [c for c in ("ev_login_count_30d", "ev_login_count_trend_30d", "ev_purchase_count_90d",
                        "ev_purchase_amount_sum_90d", "ev_active_days_30d", "ev_days_since_last_event",
                        "ev_days_since_last_login", "days_since_last_login", "ev_days_since_first_event")
            if c in Xe_train.columns]
    print(Xe_train[show].head(4).set_axis(train_df["customer_id"].head(4), axis=0).T.to_string(
        float_format=lambda v: f"{v:.2f}"))
    gbdt_ev = cl.GBDTClassifier(n_estimators=1000, learning_rate=0.05, num_leaves=31, seed=args.seed)
    gbdt_ev.fit(Xe_train.loc[fit_idx], y[fit_idx], eval_set=[(Xe_train.loc[val_idx], y[val_idx])],
                early_stopping_rounds=50)
    pe = gbdt_ev.predict_proba(Xe_test)[:, 1]
    print(f"\nGBDT with the event features: hold-out ROC-AUC {cl.metrics.roc_auc(yt, pe):.4f} "
          f"(customer table only: {cl.metrics.roc_auc(yt, pg):.4f}), PR-AUC "
          f"{cl.metrics.average_precision(yt, pe):.4f}, top-decile lift "
          f"{cl.metrics.lift_table(yt, pe)['lift'].iloc[0]:.2f}")

    # 9. Drift monitoring ----------------------------------------------------------------------
    section("9. Drift monitoring: a baseline and next quarter's customers")
    from drift_monitoring import drifted_batch  # examples/drift_monitoring.py

    train_raw = raw.iloc[np.flatnonzero(~test)]
    t0 = time.perf_counter()
    base = cl.monitor.Baseline(bins=10).fit(train_raw, score=gbdt.predict_proba(train_raw)[:, 1])
    base_path = os.path.join(args.out, "baseline.json")
    base.save(base_path)
    print(f"baseline of the {base.n_rows_:,} training customers ({len(base.feature_names_)} features + the "
          f"GBDT score) in {time.perf_counter() - t0:.2f} s, saved to {base_path}")
    batch = drifted_batch(len(df) // 4, args.seed + 100)[raw.columns]
    t0 = time.perf_counter()
    report = cl.monitor.Baseline.load(base_path).compare(batch, score=gbdt.predict_proba(batch)[:, 1])
    print(f"next quarter: {report.n_rows_current:,} customers (prices up 25%, more month-to-month contracts, "
          f"a new payment method, a shorter survey, less usage) compared in {time.perf_counter() - t0:.3f} s; "
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

    # 10. Segments -----------------------------------------------------------------------------
    section("10. Segments for retention: K-means on behaviour, profiles with revenue at risk")
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
    prof = cl.segment.profile_segments(df[BEHAVIOUR], km.labels_, churned=y,
                                       score=gbdt.predict_proba(raw)[:, 1],
                                       revenue=df["monthly_charges"].to_numpy())
    print("\nfour segments (revenue at risk = monthly charges x GBDT churn score):")
    print(prof.to_pandas().to_string(float_format=lambda v: f"{v:,.3f}" if abs(v) < 10 else f"{v:,.0f}"))
    print(prof.feature_means().to_string(float_format=lambda v: f"{v:.2f}"))
    km.save(os.path.join(args.out, "segments.json"))


def feature_pipeline(train: pd.DataFrame) -> cl.FeaturePipeline:
    """The logistic model's features, as a pipeline: ``fit`` learns its statistics (medians, means and
    standard deviations, the categories) from the training rows only; ``transform`` replays them."""
    cats = [c for c in train.columns if isinstance(train[c].dtype, pd.CategoricalDtype)]
    nums = [c for c in train.columns if pd.api.types.is_float_dtype(train[c])]
    ratios = ["charges_per_tenure_month", "tickets_per_tenure_month"]
    return (cl.FeaturePipeline()
            # median-impute the numbers with gaps, each with a 0/1 <col>_missing flag
            .impute([c for c in nums if train[c].isna().any()], strategy="median", add_indicator=True)
            # a missing category becomes a level of its own
            .impute([c for c in cats if train[c].isna().any()], strategy="constant", fill_category="missing")
            .ratio("charges_per_tenure_month", "total_charges", "tenure_months", denominator_offset=1)
            .ratio("tickets_per_tenure_month", "support_tickets", "tenure_months", denominator_offset=1)
            # churn risk is U-shaped in tenure: bands let a linear model see it
            .bin(["tenure_months"], strategy="fixed", edges=[6, 12, 24, 48, 60], output="categorical",
                 labels=["00-05", "06-11", "12-23", "24-47", "48-59", "60+"], suffix="_group")
            .log1p(["total_charges", "charges_per_tenure_month", "sessions_per_week"])  # skewed
            .scale(nums + ratios)
            .one_hot(cats + ["tenure_months_group"], unknown="ignore")
            .drop(["customer_id", "signup_date"])
            .set_output(transform="default"))  # the float64 matrix the model takes


if __name__ == "__main__":
    main()
