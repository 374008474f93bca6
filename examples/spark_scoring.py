"""Scoring, drift and event features on Spark with churnlib.spark (local mode).

Trains a churn model on one machine, then scores a customer table with Spark (the model is
broadcast once; text columns are matched to its category labels), checks drift of the scored
batch against the model's baseline (partial baselines merged on the driver), builds event
features from an event log partitioned by customer, and shows that each result equals the
single-machine call.

    python examples/spark_scoring.py                 # 10,000 customers, local[2]
    python examples/spark_scoring.py --customers 200000 --master "local[4]"

Needs PySpark (pip install pyspark) and Java 17.
"""

import argparse
import os
import sys
import time
import warnings

import numpy as np

import churnlib as cl
import churnlib.spark


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--customers", type=int, default=10_000)
    ap.add_argument("--master", default="local[2]")
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()

    # the executors' Python workers run this interpreter (the one with churnlib installed)
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas")
    from pyspark.sql import SparkSession

    spark = (SparkSession.builder.master(args.master).appName("churnlib-spark-scoring")
             .config("spark.sql.session.timeZone", "UTC")
             .config("spark.sql.shuffle.partitions", "8").config("spark.ui.enabled", "false")
             .config("spark.ui.showConsoleProgress", "false")
             .getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")

    customers = cl.make_customers(args.customers, seed=args.seed).to_pandas()
    events = cl.make_events(args.customers, seed=args.seed, as_pandas=True)
    history = customers.sample(frac=0.5, random_state=args.seed)
    current = customers.drop(index=history.index).drop(columns=["churned"])
    model = cl.train_churn_model(history, "churned", candidates=["gbdt"], cv=2, seed=args.seed)
    print(f"model: {model.kind_} trained on {len(history):,} customers, threshold "
          f"{model.threshold_:.3f}")

    # Spark reads categories as text: churnlib maps them back to the model's labels
    cats = [c for c in current.columns if str(current[c].dtype) == "category"]
    sdf = spark.createDataFrame(current.astype({c: "str" for c in cats})).repartition(4)

    t0 = time.perf_counter()
    scored = cl.spark.score(sdf, model, n_reasons=2)
    scored.write.mode("overwrite").parquet(os.path.join("build", "spark_scores.parquet"))
    secs = time.perf_counter() - t0
    print(f"scored {sdf.count():,} customers on Spark {args.master} in {secs:.1f} s -> "
          "build/spark_scores.parquet")
    scored.orderBy("probability", ascending=False).show(5, truncate=False)

    local = model.score(current, n_reasons=2)
    spark_p = scored.toPandas().set_index("customer_id").loc[local["customer_id"], "probability"]
    same = np.array_equal(spark_p.to_numpy(), local["probability"].to_numpy())
    print(f"equal to single-machine scoring, bit for bit: {same}")

    report = cl.spark.compare(sdf, model.baseline_)
    print(f"\ndrift of the batch: {report.share_drifting:.0%} of the features drift; "
          f"alerts: {len(report.alerts)}")
    print(report.to_pandas()[["feature", "kind", "psi", "status"]].head(8).to_string(index=False))

    agg = cl.EventAggregator(windows=(30, 90), amount_col="amount")
    as_of = events["timestamp"].max().ceil("D")
    ids = spark.createDataFrame(current[["customer_id"]])
    feats = cl.spark.event_features(spark.createDataFrame(events.astype({"event_type": "str"})),
                                    ids, agg, as_of=as_of)
    got = feats.toPandas().set_index("customer_id").sort_index()
    ref = agg.transform(events, customers=current["customer_id"], as_of=as_of).sort_index()
    print(f"\nevent features: {got.shape[1]} columns for {len(got):,} customers; equal to "
          f"EventAggregator.transform: "
          f"{np.array_equal(got[ref.columns].to_numpy(), ref.to_numpy(), equal_nan=True)}")
    spark.stop()
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
