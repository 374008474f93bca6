"""churnlib.retention.RiskBuckets against numpy/pandas references (np.quantile, pd.cut)."""

import pickle

import numpy as np
import pandas as pd
import pytest

import churnlib as cl
from churnlib.retention import RiskBuckets

INF = np.inf


def reference_cut(scores, edges, labels):
    """pandas' buckets: [-inf, e0), [e0, e1), ..., [e_last, inf)."""
    return pd.cut(scores, [-INF, *edges, INF], right=False, labels=labels)


def test_fixed_default_buckets_equal_pd_cut():
    rng = np.random.default_rng(3)
    s = np.r_[rng.random(1000), [0.25, 0.5, 0.75, 0.0, 1.0]]
    rb = RiskBuckets()
    assert rb.labels_ == ["low", "medium", "high", "critical"]
    np.testing.assert_array_equal(rb.edges_, [0.25, 0.5, 0.75])
    got = rb.predict(s)
    want = reference_cut(s, [0.25, 0.5, 0.75], rb.labels_)
    assert list(got) == list(want)
    assert got.ordered and list(got.categories) == rb.labels_
    np.testing.assert_array_equal(rb.transform(s), np.searchsorted(rb.edges_, s, side="right"))
    counts = rb.counts(s)
    vc = pd.Series(want).value_counts().reindex(rb.labels_)
    np.testing.assert_array_equal(counts["count"].to_numpy(), vc.to_numpy())
    np.testing.assert_allclose(counts["share"].to_numpy(), vc.to_numpy() / len(s))
    assert counts.loc["low", "lower"] == -INF and counts.loc["critical", "upper"] == INF


def test_quantile_edges_equal_np_quantile():
    rng = np.random.default_rng(7)
    ref = rng.beta(2, 5, 10_001)
    q = [0.5, 0.8, 0.95]
    rb = RiskBuckets(quantiles=q, labels=["a", "b", "c", "d"]).fit(ref)
    np.testing.assert_array_equal(rb.edges_, np.quantile(ref, q))  # bit for bit
    np.testing.assert_array_equal(rb.reference_counts_,
                                  np.bincount(np.searchsorted(rb.edges_, ref, side="right"),
                                              minlength=4))
    new = pd.Series(rng.beta(2, 4, 500), index=np.arange(500) + 1000)
    got = rb.predict(new)
    assert isinstance(got, pd.Series) and got.index.equals(new.index)
    want = reference_cut(new.to_numpy(), rb.edges_, rb.labels_)
    assert list(got) == list(want)
    assert RiskBuckets().reference_counts_ is None


def test_unfitted_quantiles_and_bad_input():
    rb = RiskBuckets(quantiles=[0.5])
    with pytest.raises(cl.NotFittedError):
        rb.predict([0.1])
    with pytest.raises(cl.NotFittedError):
        rb.to_json()
    with pytest.raises(ValueError, match="row 1"):
        RiskBuckets().predict([0.1, np.nan])
    with pytest.raises(cl.InvalidArgument, match="row 2"):
        RiskBuckets(quantiles=[0.5]).fit([0.1, 0.2, np.nan])
    with pytest.raises(cl.InvalidArgument, match="empty"):
        RiskBuckets(quantiles=[0.5]).fit([])
    with pytest.raises(cl.InvalidArgument, match="strictly increasing"):
        RiskBuckets(cut_points=[0.5, 0.2]).predict([0.1])
    with pytest.raises(cl.InvalidArgument, match="labels"):
        RiskBuckets(labels=["a", "b"]).predict([0.1])
    with pytest.raises(cl.InvalidArgument, match="not both"):
        RiskBuckets(cut_points=[0.5], quantiles=[0.5]).fit([0.1])
    with pytest.raises(cl.InvalidArgument, match=r"\(0, 1\)"):
        RiskBuckets(quantiles=[0.5, 1.5]).fit([0.1])
    with pytest.raises(TypeError):
        RiskBuckets().predict("0.5")
    with pytest.raises(TypeError):
        RiskBuckets().predict(["a", "b"])
    with pytest.raises(TypeError):
        RiskBuckets(labels="high").predict([0.1])
    with pytest.raises(TypeError):
        RiskBuckets(cut_points=["0.5"]).predict([0.1])
    with pytest.raises(ValueError, match="one-dimensional"):
        RiskBuckets().predict(np.zeros((2, 2)))


def test_json_save_load_and_pickle_round_trip(tmp_path):
    rng = np.random.default_rng(1)
    ref = rng.random(1000)
    rb = RiskBuckets(quantiles=[0.3, 0.6, 0.9], n_threads=2).fit(ref)
    s = rng.random(200)
    back = RiskBuckets.from_json(rb.to_json())
    np.testing.assert_array_equal(back.edges_, rb.edges_)
    np.testing.assert_array_equal(back.transform(s), rb.transform(s))
    assert back.get_params() == rb.get_params()
    path = tmp_path / "buckets.json"
    rb.save(path)
    loaded = RiskBuckets.load(path)
    np.testing.assert_array_equal(loaded.transform(s), rb.transform(s))
    again = pickle.loads(pickle.dumps(rb))
    np.testing.assert_array_equal(again.reference_counts_, rb.reference_counts_)
    fixed = RiskBuckets.from_json(RiskBuckets(cut_points=[1.0, 2.0]).to_json())
    assert fixed.cut_points == [1.0, 2.0] and fixed.labels_ == ["low", "medium", "high"]
    import json

    doc = json.loads(rb.to_json())
    doc["version"] = "2.0"
    with pytest.raises(cl.SerializationError, match="newer"):
        RiskBuckets.from_json(json.dumps(doc))


def test_fixed_buckets_follow_set_params():
    rb = RiskBuckets()
    rb.set_params(cut_points=[0.9])
    assert rb.labels_ == ["low", "high"]
    assert list(rb.predict([0.5, 0.95])) == ["low", "high"]
    with pytest.raises(TypeError):
        rb.set_params(cutpoints=[0.1])
