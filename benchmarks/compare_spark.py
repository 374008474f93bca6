#!/usr/bin/env python3
"""Side-by-side benchmark of churnlib.spark on Spark local mode (issue 20): scoring and drift
of ``--rows`` customers (default 2,000,000) against what a Spark user writes without churnlib.
Figures for information; nothing asserts.

Data: ``cl.make_customers(rows, seed + 1)`` (11 numeric and 5 categorical features, written
once to Parquet with the categories as text, as Spark reads them), read with
``spark.read.parquet`` and cached before timing. Both sides run in the same Spark session
(``--master``, default ``local[2]``; ``spark.sql.execution.arrow.maxRecordsPerBatch`` 10,000,
Spark's default), and every timed job ends in ``write.format("noop")`` (the whole result is
computed, nothing is collected).

* Scoring: a ``GBDTClassifier(n_estimators=100, num_leaves=31, learning_rate=0.1)`` and a
  ``lightgbm.LGBMClassifier`` with the same parameters, both fitted on the same ``--fit-rows``
  customers (categoricals as pandas categories). churnlib: ``cl.spark.score(df, model)``
  (Arrow record batches through ``mapInArrow``, model broadcast once, text matched to the
  training labels in C++). Peer: a
  ``mapInPandas`` UDF that re-casts the text columns to the training categories and calls
  ``predict_proba`` (the model shipped in the UDF's closure, once per task).
* Drift: a ``cl.monitor.Baseline`` (10 quantile bins) fitted on the fit rows; churnlib:
  ``cl.spark.compare(df, baseline)``; peer: the edges from ``approxQuantile`` on the reference
  (relative error 1e-3), then one Spark SQL aggregation of the current data that counts every
  (feature, bin) of the numeric features (``Bucketizer``, NaN kept) and every category, and
  PSI on the driver (the part timed: the aggregation and PSI of the current data).

Each job runs ``--repeat`` times (default 3) after one warm-up; the median is shown with the
rows per second and the ratio (peer seconds / churnlib seconds). The reference machine has 2
shared cores: the load average is printed before and after.

    python benchmarks/compare_spark.py
    python benchmarks/compare_spark.py --rows 200000 --repeat 1     # a quick look
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import warnings

import numpy as np

CATS = ["region", "plan", "contract", "payment_method", "autopay"]
NUMS = ["tenure_months", "monthly_charges", "total_charges", "num_devices", "sessions_per_week",
        "avg_session_minutes", "support_tickets", "payment_failures", "discount_pct",
        "days_since_last_login", "nps_score"]
FEATURES = NUMS + CATS
GBDT = dict(n_estimators=100, num_leaves=31, learning_rate=0.1)


def timed(fn, repeat):
    fn()  # warm-up: Python workers started, broadcasts loaded
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def noop(df):
    df.write.format("noop").mode("overwrite").save()


def peer_score(df, lgbm_model, categories):
    """The usual pandas UDF: text back to the training categories, then LightGBM."""
    import pandas as pd

    def run(batches):
        for pdf in batches:
            X = pdf[FEATURES].copy()
            for c in CATS:
                X[c] = pd.Categorical(X[c], categories=categories[c])
            p = lgbm_model.predict_proba(X)[:, 1]
            yield pd.DataFrame({"customer_id": pdf["customer_id"].to_numpy(), "probability": p})

    return df.select("customer_id", *FEATURES).mapInPandas(run, "customer_id string, "
                                                            "probability double")


def peer_reference(spark_ref, bins):
    """Edges by approxQuantile and the reference shares, as a Spark user computes them."""
    from pyspark.ml.feature import Bucketizer

    qs = [i / bins for i in range(1, bins)]
    quantiles = spark_ref.approxQuantile(NUMS, qs, 1e-3)
    splits = {}
    for name, q in zip(NUMS, quantiles):
        inner = sorted(set(q))
        splits[name] = [-float("inf")] + inner + [float("inf")]
    shares = peer_counts(spark_ref, splits, Bucketizer)
    return splits, shares


def peer_counts(df, splits, Bucketizer=None):
    """(feature -> {bin or category: share}) of df in one aggregation job."""
    from pyspark.ml.feature import Bucketizer as B
    from pyspark.sql import functions as F

    Bucketizer = Bucketizer or B
    b = Bucketizer(splitsArray=[splits[c] for c in NUMS], inputCols=NUMS,
                   outputCols=[f"{c}__bin" for c in NUMS], handleInvalid="keep")
    binned = b.transform(df.select(*FEATURES))
    aggs = []
    for c in NUMS:
        for k in range(len(splits[c])):  # the last bin index is NaN ("keep")
            aggs.append(F.sum(F.when(F.col(f"{c}__bin") == k, 1).otherwise(0)).alias(f"{c}#{k}"))
    row = binned.agg(F.count(F.lit(1)).alias("n"), *aggs).collect()[0].asDict()
    n = row.pop("n")
    out = {c: {} for c in FEATURES}
    for key, v in row.items():
        c, k = key.split("#")
        out[c][int(k)] = v / n
    for c in CATS:
        for r in df.groupBy(c).count().collect():
            out[c][r[0]] = r[1] / n
    return out


def psi(ref, cur, eps=1e-4):
    keys = set(ref) | set(cur)
    a = np.array([max(ref.get(k, 0.0), eps) for k in keys])
    b = np.array([max(cur.get(k, 0.0), eps) for k in keys])
    return float(np.sum((b - a) * np.log(b / a)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=2_000_000)
    ap.add_argument("--fit-rows", type=int, default=100_000)
    ap.add_argument("--master", default="local[2]")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas")
    import lightgbm as lgb
    import pandas as pd
    from pyspark.sql import SparkSession

    import churnlib as cl
    import churnlib.spark  # noqa: F401

    spark = (SparkSession.builder.master(args.master).appName("churnlib-bench")
             .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
             .config("spark.sql.session.timeZone", "UTC").config("spark.driver.memory", "4g")
             .getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    print(f"Spark {spark.version} {args.master}; load average {os.getloadavg()[0]:.2f}")

    fit = cl.make_customers(args.fit_rows, seed=args.seed).to_pandas()
    y = fit["churned"].to_numpy()
    ours = cl.GBDTClassifier(n_estimators=GBDT["n_estimators"], num_leaves=GBDT["num_leaves"],
                             learning_rate=GBDT["learning_rate"], seed=args.seed).fit(fit[FEATURES], y)
    peer = lgb.LGBMClassifier(**GBDT, random_state=args.seed, verbose=-1, n_jobs=1)
    peer.fit(fit[FEATURES], y)
    categories = {c: list(fit[c].cat.categories) for c in CATS}
    baseline = cl.monitor.Baseline(bins=10).fit(fit[FEATURES])

    with tempfile.TemporaryDirectory(prefix="churn-spark-") as tmp:
        cur = cl.make_customers(args.rows, seed=args.seed + 1).to_pandas()
        cur = cur[["customer_id"] + FEATURES].astype({c: "str" for c in CATS})
        path = os.path.join(tmp, "customers.parquet")
        cur.to_parquet(path, index=False, row_group_size=200_000)
        ref_path = os.path.join(tmp, "reference.parquet")
        fit[FEATURES].astype({c: "str" for c in CATS}).to_parquet(ref_path, index=False)
        del cur
        df = spark.read.parquet(path).repartition(8).cache()
        n = df.count()
        ref_df = spark.read.parquet(ref_path).cache()
        ref_df.count()

        rows = []
        t_ours = timed(lambda: noop(cl.spark.score(df, ours, keep="customer_id")), args.repeat)
        t_peer = timed(lambda: noop(peer_score(df, peer, categories)), args.repeat)
        rows.append(("scoring", t_ours, t_peer))

        # same model quality: the two models' scores on a sample agree closely
        sample = df.limit(20_000).toPandas()
        p_ours = ours.predict_proba(sample[FEATURES].astype({c: "category" for c in CATS}))[:, 1]
        Xs = sample[FEATURES].copy()
        for c in CATS:
            Xs[c] = pd.Categorical(Xs[c], categories=categories[c])
        p_peer = peer.predict_proba(Xs)[:, 1]

        splits, ref_shares = peer_reference(ref_df, 10)

        def peer_drift():
            cur_shares = peer_counts(df, splits)
            return {c: psi(ref_shares[c], cur_shares[c]) for c in FEATURES}

        t_ours_d = timed(lambda: cl.spark.compare(df, baseline), args.repeat)
        t_peer_d = timed(peer_drift, args.repeat)
        rows.append(("drift (PSI of 16 features)", t_ours_d, t_peer_d))
        ours_psi = cl.spark.compare(df, baseline).to_pandas().set_index("feature")["psi"]
        peer_psi = peer_drift()

    print(f"{n:,} customers, {len(FEATURES)} features; median of {args.repeat} after a warm-up")
    print(f"{'':28s}{'churnlib s':>12s}{'rows/s':>12s}{'peer s':>10s}{'rows/s':>12s}{'ratio':>8s}")
    for name, a, b in rows:
        print(f"{name:28s}{a:12.2f}{n / a:12,.0f}{b:10.2f}{n / b:12,.0f}{b / a:7.2f}x")
    print(f"scores: correlation of churnlib's and LightGBM's probabilities on 20,000 rows "
          f"{np.corrcoef(p_ours, p_peer)[0, 1]:.4f}")
    diffs = [abs(ours_psi[c] - peer_psi[c]) for c in FEATURES]
    print(f"PSI: largest difference churnlib vs approxQuantile + histogram {max(diffs):.4f} "
          f"(edges differ: exact quantiles vs approxQuantile)")
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    spark.stop()


if __name__ == "__main__":
    main()
