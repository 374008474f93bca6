"""churnlib.dask: scoring, drift and event features of Dask DataFrames equal the single-machine
results (threads, forked processes and a distributed LocalCluster)."""

import multiprocessing
import pickle

import numpy as np
import pandas as pd
import pytest

import churnlib as cl

dask = pytest.importorskip("dask", reason="Dask is a test dependency (scripts/setup.sh)")
dd = pytest.importorskip("dask.dataframe")
import churnlib.dask as cd  # noqa: E402

CATS = ["region", "plan", "contract", "payment_method", "autopay"]


@pytest.fixture(scope="module")
def data():
    t = cl.make_customers(3000, seed=11).to_pandas()
    ev = cl.make_events(3000, seed=11, as_pandas=True)
    as_of = ev["timestamp"].max().ceil("D")
    model = cl.train_churn_model(t.iloc[:2000], "churned", candidates=["gbdt"], cv=2, seed=3)
    current = t.iloc[2000:].drop(columns=["churned"]).reset_index(drop=True)
    return {"train": t.iloc[:2000], "current": current, "model": model, "events": ev,
            "as_of": as_of}


def _same_bits(a, b):
    return np.array_equal(np.asarray(a, dtype=np.float64).view(np.int64),
                          np.asarray(b, dtype=np.float64).view(np.int64))


def test_score_bundle_equals_single_machine(data):
    cur, model = data["current"], data["model"]
    text = cur.astype({c: "str" for c in CATS})  # text instead of categories, as from Parquet
    out = cd.score(dd.from_pandas(text, npartitions=4), model, n_reasons=2)
    assert list(out.columns) == ["customer_id", "probability", "prediction", "reason_1",
                                 "reason_1_contribution", "reason_2", "reason_2_contribution"]
    got = out.compute()
    ref = model.score(cur, n_reasons=2)
    assert (got["customer_id"].to_numpy() == ref["customer_id"].to_numpy()).all()
    assert _same_bits(got["probability"], ref["probability"])
    assert (got["prediction"].to_numpy() == ref["prediction"].to_numpy()).all()
    assert ref["reason_2"].isna().any()  # a customer with a single reason
    assert (got["reason_2"].astype(object).fillna("").to_numpy()
            == ref["reason_2"].astype(object).fillna("").to_numpy()).all()
    assert _same_bits(got["reason_2_contribution"], ref["reason_2_contribution"])


@pytest.mark.parametrize("make", [
    lambda: cl.GBDTClassifier(n_estimators=15, seed=1),
    lambda: cl.RandomForestClassifier(n_estimators=10, random_state=1),
])
def test_score_single_classifier_with_text_categories(data, make):
    cols = ["tenure_months", "monthly_charges", "support_tickets", "contract", "region"]
    train = data["train"]
    clf = make().fit(train[cols], train["churned"])
    cur = data["current"]
    text = cur[["customer_id"] + cols].astype({"contract": "str", "region": "str"})
    got = cd.score(dd.from_pandas(text, npartitions=3), clf, keep="customer_id").compute()
    assert list(got.columns) == ["customer_id", "probability"]
    assert _same_bits(got["probability"], clf.predict_proba(cur[cols])[:, 1])


def test_compare_equals_single_machine_and_merges_in_any_order(data):
    model, cur = data["model"], data["current"]
    base = model.baseline_
    scored = model.score(cur)
    frame = cur.assign(score=scored["probability"].to_numpy())
    for parts in (1, 3, 7):
        rep = cd.compare(dd.from_pandas(frame, npartitions=parts), base, score_col="score")
        ref = base.compare(cur, score=frame["score"].to_numpy())
        assert rep.to_json() == ref.to_json()
    # a baseline column absent from the data is reported as missing, as on one machine
    rep = cd.compare(dd.from_pandas(cur.drop(columns=["region"]), npartitions=2), base)
    assert rep.to_json() == base.compare(cur.drop(columns=["region"])).to_json()


def test_fit_baseline_exact_when_the_sample_is_everything(data):
    cur = data["current"].drop(columns=["customer_id", "signup_date"])
    ddf = dd.from_pandas(cur, npartitions=4)
    got = cd.fit_baseline(ddf, bins=8)
    ref = cl.monitor.Baseline(bins=8).fit(cur)
    assert got._core.to_json() == ref._core.to_json()
    # a sample sets the edges; every count comes from all rows
    sampled = cd.fit_baseline(ddf, sample_rows=300, seed=2, bins=8)
    assert sampled.n_rows_ == len(cur)
    h = sampled.histogram("tenure_months")
    assert sum(h["counts"]) + h["missing"] == len(cur)
    again = cd.fit_baseline(ddf, sample_rows=300, seed=2, bins=8)
    assert again._core.to_json() == sampled._core.to_json()


def test_event_features_equal_single_machine(data):
    ev, as_of = data["events"], data["as_of"]
    ids = data["current"]["customer_id"]
    agg = cl.EventAggregator(windows=(7, 30), amount_col="amount")
    ref = agg.transform(ev, customers=ids, as_of=as_of)
    got = cd.event_features(dd.from_pandas(ev, npartitions=3), pd.DataFrame({"customer_id": ids}),
                            agg, as_of=as_of, n_buckets=5).compute()
    got = got.set_index("customer_id").loc[ref.index]
    assert list(got.columns) == list(ref.columns)
    assert np.array_equal(got.to_numpy(), ref.to_numpy(), equal_nan=True)
    # one as-of per row (training snapshots: a customer twice)
    snaps = pd.DataFrame({"customer_id": list(ids[:400]) * 2,
                          "as_of": [as_of - pd.Timedelta(days=60)] * 400 + [as_of] * 400})
    ref = agg.transform(ev, customers=snaps, as_of_col="as_of")
    got = cd.event_features(dd.from_pandas(ev, npartitions=2), dd.from_pandas(snaps, npartitions=3),
                            agg, as_of_col="as_of").compute()
    got = got.set_index(["customer_id", "as_of"]).loc[ref.index]
    assert list(got.columns) == list(ref.columns)
    assert np.array_equal(got.to_numpy(), ref.to_numpy(), equal_nan=True)


def test_multithreaded_scoring_in_forked_workers(data):
    # the parent runs churnlib's OpenMP loops first; forked workers must not hang on them
    model, cur = data["model"], data["current"]
    ref = model.score(cur)
    with dask.config.set({"multiprocessing.context": "fork", "scheduler": "processes",
                          "num_workers": 2}):
        got = cd.score(dd.from_pandas(cur, npartitions=4), model).compute()
    assert _same_bits(got["probability"], ref["probability"])
    assert multiprocessing.get_start_method() in ("fork", "forkserver", "spawn")


def test_distributed_local_cluster(data):
    distributed = pytest.importorskip("distributed")
    model, cur = data["model"], data["current"]
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster):
        got = cd.score(dd.from_pandas(cur, npartitions=4), model).compute()
        rep = cd.compare(dd.from_pandas(cur, npartitions=4), model.baseline_)
    assert _same_bits(got["probability"], model.score(cur)["probability"])
    assert rep.to_json() == model.baseline_.compare(cur).to_json()


def test_models_pickle_compactly(data):
    model = data["model"]
    blob = pickle.dumps(model)
    assert len(blob) < len(model.to_json()) / 2
    back = pickle.loads(blob)
    assert back.to_json() == model.to_json()
    clf = cl.GBDTClassifier(n_estimators=5).fit(data["train"][["tenure_months"]],
                                                 data["train"]["churned"])
    assert len(pickle.dumps(clf)) < len(clf.to_json()) / 2
    assert pickle.loads(pickle.dumps(clf)).to_json() == clf.to_json()


def test_bad_input(data):
    model = data["model"]
    ddf = dd.from_pandas(data["current"], npartitions=2)
    with pytest.raises(TypeError, match="dask.dataframe.DataFrame"):
        cd.score(data["current"], model)
    with pytest.raises(TypeError, match="ChurnModel or a fitted churnlib classifier"):
        cd.score(ddf, object())
    with pytest.raises(cl.NotFittedError):
        cd.score(ddf, cl.GBDTClassifier())
    with pytest.raises(cl.InvalidArgument, match="keep names 'nope'"):
        cd.score(ddf, model, keep="nope")
    with pytest.raises(cl.InvalidArgument, match="n_reasons"):
        cd.score(ddf, model, n_reasons=-1)
    with pytest.raises(cl.InvalidArgument, match="no rows"):
        cd.compare(ddf[ddf["tenure_months"] < -1], model.baseline_)
    with pytest.raises(TypeError, match="Baseline"):
        cd.compare(ddf, model)
    with pytest.raises(cl.InvalidArgument, match="score column 'nope'"):
        cd.compare(ddf, model.baseline_, score_col="nope")
    agg = cl.EventAggregator(windows=(7,))
    with pytest.raises(cl.InvalidArgument, match="exactly one of as_of"):
        cd.event_features(dd.from_pandas(data["events"], npartitions=1), ddf, agg)
