"""churnlib.spark: scoring, drift, event features and streaming drift on Spark (local mode)
equal the single-machine results. One Spark session for the module; small data."""

import os
import shutil
import sys
import warnings

import numpy as np
import pandas as pd
import pytest

import churnlib as cl

CATS = ["region", "plan", "contract", "payment_method", "autopay"]


def _java_or_fail():
    # Spark needs a JVM: without one these tests fail (they are not skipped silently)
    if not (shutil.which("java") or os.environ.get("JAVA_HOME")):
        pytest.fail("PySpark needs Java 17 (no `java` on PATH and no JAVA_HOME): install "
                    "openjdk-17-jre-headless (scripts/setup.sh does)", pytrace=False)


@pytest.fixture(scope="module")
def spark():
    _java_or_fail()
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        pytest.fail("PySpark is a test dependency: run scripts/setup.sh (pip install pyspark)",
                    pytrace=False)
    # the executors' Python workers must be this interpreter (it has churnlib)
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas")
    session = (SparkSession.builder.master("local[2]").appName("churnlib-tests")
               .config("spark.sql.session.timeZone", "UTC")
               .config("spark.sql.shuffle.partitions", "4")
               .config("spark.ui.enabled", "false")
               .config("spark.ui.showConsoleProgress", "false")
               .config("spark.sql.execution.arrow.pyspark.enabled", "true")
               .config("spark.driver.memory", "1g")
               .getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture(scope="module")
def data():
    t = cl.make_customers(3000, seed=21).to_pandas()
    ev = cl.make_events(3000, seed=21, as_pandas=True)
    as_of = ev["timestamp"].max().ceil("D")
    train = t.iloc[:2000]
    model = cl.train_churn_model(train, "churned", candidates=["gbdt"], cv=2, seed=5)
    current = t.iloc[2000:].drop(columns=["churned"]).reset_index(drop=True)
    return {"train": train, "current": current, "model": model, "events": ev, "as_of": as_of}


def _spark_frame(spark, df):
    """A Spark DataFrame of a pandas frame, categories as text (as Spark reads them)."""
    cats = [c for c in df.columns if isinstance(df[c].dtype, pd.CategoricalDtype)]
    return spark.createDataFrame(df.astype({c: "str" for c in cats}))


def _same_bits(a, b):
    return np.array_equal(np.asarray(a, dtype=np.float64).view(np.int64),
                          np.asarray(b, dtype=np.float64).view(np.int64))


def test_score_bundle_equals_single_machine(spark, data):
    import churnlib.spark as cs

    model, cur = data["model"], data["current"]
    sdf = _spark_frame(spark, cur).repartition(3)
    out = cs.score(sdf, model, n_reasons=2)
    assert out.columns == ["customer_id", "probability", "prediction", "reason_1",
                           "reason_1_contribution", "reason_2", "reason_2_contribution"]
    assert dict(out.dtypes)["prediction"] == "bigint"
    got = out.toPandas().set_index("customer_id").loc[cur["customer_id"]]
    ref = model.score(cur, n_reasons=2)
    assert _same_bits(got["probability"], ref["probability"])
    assert (got["prediction"].to_numpy() == ref["prediction"].to_numpy()).all()
    assert (got["reason_1"].astype(object).fillna("").to_numpy()
            == ref["reason_1"].astype(object).fillna("").to_numpy()).all()
    assert _same_bits(got["reason_1_contribution"], ref["reason_1_contribution"])


def test_score_single_classifier_and_kept_columns(spark, data):
    import churnlib.spark as cs

    cols = ["tenure_months", "monthly_charges", "support_tickets", "contract", "region"]
    train, cur = data["train"], data["current"]
    clf = cl.GBDTClassifier(n_estimators=15, seed=2).fit(train[cols], train["churned"])
    sdf = _spark_frame(spark, cur[["customer_id", "plan"] + cols])
    out = cs.score(sdf, clf, keep=["customer_id", "plan"])
    assert out.columns == ["customer_id", "plan", "probability"]
    got = out.toPandas().set_index("customer_id").loc[cur["customer_id"]]
    assert _same_bits(got["probability"], clf.predict_proba(cur[cols])[:, 1])
    assert (got["plan"].to_numpy() == cur["plan"].astype(str).to_numpy()).all()


def test_score_with_events_equals_single_machine(spark, data):
    import churnlib.spark as cs

    t = cl.make_customers(1500, seed=23).to_pandas()
    ev = cl.make_events(1500, seed=23, as_pandas=True)
    as_of = ev["timestamp"].max().ceil("D")
    model = cl.train_churn_model(t.iloc[:1000], "churned", events=ev, as_of=as_of,
                                 candidates=["gbdt"], cv=2, seed=1)
    cur = t.iloc[1000:].drop(columns=["churned"]).reset_index(drop=True)
    out = cs.score(_spark_frame(spark, cur), model, events=_spark_frame(spark, ev), as_of=as_of,
                   n_buckets=3)
    got = out.toPandas().set_index("customer_id").loc[cur["customer_id"]]
    ref = model.score(cur, events=ev, as_of=as_of, n_reasons=0)
    assert _same_bits(got["probability"], ref["probability"])


def test_compare_equals_single_machine(spark, data):
    import churnlib.spark as cs

    model, cur = data["model"], data["current"]
    base = model.baseline_
    frame = cur.assign(score=model.score(cur)["probability"].to_numpy())
    sdf = _spark_frame(spark, frame).repartition(5)
    rep = cs.compare(sdf, base, score_col="score")
    collected = sdf.toPandas()
    ref = base.compare(collected.drop(columns=["score"]), score=collected["score"].to_numpy())
    assert rep.to_json() == ref.to_json()
    assert rep.to_json() == base.compare(cur, score=frame["score"].to_numpy()).to_json()


def test_fit_baseline(spark, data):
    import churnlib.spark as cs

    cur = data["current"].drop(columns=["customer_id", "signup_date"])
    sdf = _spark_frame(spark, cur).repartition(4)
    got = cs.fit_baseline(sdf, bins=8)
    ref = cl.monitor.Baseline(bins=8).fit(sdf.toPandas())
    assert got._core.to_json() == ref._core.to_json()
    sampled = cs.fit_baseline(sdf, sample_rows=250, seed=1, bins=8)
    assert sampled.n_rows_ == len(cur)  # counts from every row, edges from the sample
    h = sampled.histogram("monthly_charges")
    assert sum(h["counts"]) + h["missing"] == len(cur)


def test_event_features_equal_single_machine(spark, data):
    import churnlib.spark as cs

    ev, as_of = data["events"], data["as_of"]
    ids = data["current"]["customer_id"]
    agg = cl.EventAggregator(windows=(7, 30), amount_col="amount")
    ref = agg.transform(ev, customers=ids, as_of=as_of)
    out = cs.event_features(_spark_frame(spark, ev), spark.createDataFrame(
        pd.DataFrame({"customer_id": ids})), agg, as_of=as_of)
    got = out.toPandas().set_index("customer_id").loc[ref.index]
    assert list(got.columns) == list(ref.columns)
    assert np.array_equal(got.to_numpy(), ref.to_numpy(), equal_nan=True)
    snaps = pd.DataFrame({"customer_id": list(ids[:300]) * 2,
                          "as_of": [as_of - pd.Timedelta(days=45)] * 300 + [as_of] * 300})
    ref = agg.transform(ev, customers=snaps, as_of_col="as_of")
    out = cs.event_features(_spark_frame(spark, ev), spark.createDataFrame(snaps), agg,
                            as_of_col="as_of", n_buckets=3)
    got = out.toPandas().set_index(["customer_id", "as_of"]).loc[ref.index]
    assert np.array_equal(got.to_numpy(), ref.to_numpy(), equal_nan=True)


def test_drift_stream_over_micro_batches(spark, data, tmp_path):
    # Structured Streaming on a file source: one CSV file per micro-batch, two per window
    import churnlib.spark as cs

    model = data["model"]
    base = model.baseline_
    feats = ["tenure_months", "monthly_charges", "support_tickets", "region", "contract"]
    cur = data["current"][feats].astype({"region": "str", "contract": "str"})
    files = [cur.iloc[i * 250:(i + 1) * 250] for i in range(4)]
    files[3] = files[3].assign(monthly_charges=files[3]["monthly_charges"] * 3)  # drift
    src = tmp_path / "incoming"
    src.mkdir()
    for i, f in enumerate(files):
        f.to_csv(src / f"part{i}.csv", index=False)
    schema = _spark_frame(spark, cur).schema
    seen, batches = [], {}
    stream = cs.DriftStream(base, window_batches=2, on_window=seen.append)

    def each_batch(batch_df, batch_id):
        batches[batch_id] = batch_df.toPandas()
        stream(batch_df, batch_id)

    query = (spark.readStream.schema(schema).option("header", True).option("maxFilesPerTrigger", 1)
             .csv(str(src)).writeStream.foreachBatch(each_batch).trigger(availableNow=True)
             .option("checkpointLocation", str(tmp_path / "checkpoint")).start())
    query.awaitTermination(120)
    assert stream.flush() is None  # nothing left open: 4 batches, 2 windows
    assert [w["n_rows"] for w in stream.windows] == [500, 500]
    assert seen == stream.windows
    for w in stream.windows:  # each window's report is the one of its batches' rows
        frame = pd.concat([batches[b] for b in w["batch_ids"]], ignore_index=True)
        assert len(w["batch_ids"]) == 2 and len(frame) == 500
        assert w["report"].to_json() == base.compare(frame).to_json()
    psi = [w["report"].to_pandas().set_index("feature").loc["monthly_charges", "psi"]
           for w in stream.windows]
    assert max(psi) > 0.25 and min(psi) < 0.1  # the drifted file's window, and the other
    drifted = stream.windows[int(np.argmax(psi))]
    assert any(a["subject"] == "monthly_charges" for a in drifted["alerts"])


def test_bad_input(spark, data):
    import churnlib.spark as cs

    model = data["model"]
    sdf = _spark_frame(spark, data["current"])
    with pytest.raises(TypeError, match="Spark DataFrame"):
        cs.score(data["current"], model)
    with pytest.raises(cl.NotFittedError):
        cs.score(sdf, cl.GBDTClassifier())
    with pytest.raises(cl.InvalidArgument, match="keep names 'nope'"):
        cs.score(sdf, model, keep=["nope"])
    with pytest.raises(cl.InvalidArgument, match="no column 'tenure_months'"):
        clf = cl.GBDTClassifier(n_estimators=3).fit(data["train"][["tenure_months"]],
                                                    data["train"]["churned"])
        cs.score(sdf.drop("tenure_months"), clf)
    with pytest.raises(cl.InvalidArgument, match="no rows"):
        cs.compare(sdf.limit(0), model.baseline_)
    with pytest.raises(cl.InvalidArgument, match="window_batches"):
        cs.DriftStream(model.baseline_, window_batches=0)
