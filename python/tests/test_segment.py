"""churnlib.KMeans and churnlib.segment against scikit-learn (same given centres), brute-force
references, pandas group-bys for the profiles, determinism, saving and bad input."""

import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.cluster import KMeans as SkKMeans
from sklearn.metrics import silhouette_samples as sk_silhouette_samples
from sklearn.metrics import silhouette_score as sk_silhouette_score

import churnlib as cl


def blobs(n, k, p, seed, spread=1.0):
    rng = np.random.default_rng(seed)
    centers = rng.normal(0, 4, size=(k, p))
    lab = rng.integers(0, k, n)
    return centers[lab] + rng.normal(0, spread, size=(n, p))


@pytest.mark.parametrize("seed,k,p", [(0, 3, 2), (1, 8, 5), (2, 16, 20), (3, 5, 3)])
@pytest.mark.parametrize("algorithm", ["lloyd", "elkan"])
def test_equals_sklearn_from_the_same_centres(seed, k, p, algorithm):
    X = blobs(3000, k, p, seed, spread=2.0)
    init = X[np.random.default_rng(seed + 100).choice(len(X), k, replace=False)]
    ours = cl.KMeans(k, init=init, max_iter=300, tol=1e-4, algorithm=algorithm).fit(X)
    ref = SkKMeans(k, init=init, n_init=1, max_iter=300, tol=1e-4, algorithm="lloyd").fit(X)
    np.testing.assert_array_equal(ours.labels_, ref.labels_)
    assert ours.inertia_ == pytest.approx(ref.inertia_, rel=1e-9)
    np.testing.assert_allclose(ours.cluster_centers_, ref.cluster_centers_, rtol=1e-9, atol=1e-9)
    assert ours.n_iter_ == ref.n_iter_
    Xn = blobs(500, k, p, seed + 7)
    np.testing.assert_array_equal(ours.predict(Xn), ref.predict(Xn))
    np.testing.assert_allclose(ours.transform(Xn), ref.transform(Xn), rtol=1e-9, atol=1e-9)
    assert ours.score(Xn) == pytest.approx(ref.score(Xn), rel=1e-9)


def test_weights_equal_repeated_rows_and_sklearn():
    X = blobs(800, 4, 3, 5)
    w = np.random.default_rng(5).integers(0, 4, len(X)).astype(float)
    init = X[:4].copy()
    a = cl.KMeans(4, init=init).fit(X, sample_weight=w)
    rep = np.repeat(X, w.astype(int), axis=0)
    b = cl.KMeans(4, init=init).fit(rep)
    np.testing.assert_allclose(a.cluster_centers_, b.cluster_centers_, rtol=1e-9, atol=1e-9)
    assert a.inertia_ == pytest.approx(b.inertia_, rel=1e-9)
    ref = SkKMeans(4, init=init, n_init=1).fit(X, sample_weight=w)
    assert a.inertia_ == pytest.approx(ref.inertia_, rel=1e-9)
    np.testing.assert_array_equal(a.labels_[w > 0], ref.labels_[w > 0])


def test_kmeans_plus_plus_seeds_restarts_and_threads():
    X = blobs(20000, 8, 6, 9, spread=3.0)
    a = cl.KMeans(8, seed=3, n_threads=1).fit(X)
    b = cl.KMeans(8, seed=3, n_threads=2).fit(X)
    import json
    assert json.loads(a.to_json())["state"] == json.loads(b.to_json())["state"]  # bit-identical
    np.testing.assert_array_equal(a.cluster_centers_, b.cluster_centers_)
    assert a.to_json() == cl.KMeans(8, seed=3, n_threads=1).fit(X).to_json()   # reproducible
    c = cl.KMeans(8, seed=4).fit(X)
    assert not np.array_equal(a.cluster_centers_, c.cluster_centers_)
    # n_init keeps the lowest inertia of its runs: never worse than its first run
    best = cl.KMeans(8, seed=3, n_init=4).fit(X)
    assert best.inertia_ <= a.inertia_
    # the k-means++ start is as good as sklearn's on average (same algorithm, other random
    # numbers): within 2% over a few seeds
    ours = np.mean([cl.KMeans(8, seed=s).fit(X).inertia_ for s in range(4)])
    ref = np.mean([SkKMeans(8, n_init=1, random_state=s).fit(X).inertia_ for s in range(4)])
    assert ours < ref * 1.02


def test_silhouette_equals_sklearn():
    X = blobs(1500, 4, 3, 11, spread=2.5)
    lab = cl.KMeans(4, seed=1).fit_predict(X)
    assert cl.segment.silhouette_score(X, lab) == pytest.approx(sk_silhouette_score(X, lab),
                                                                rel=1e-10)
    np.testing.assert_allclose(cl.segment.silhouette_samples(X, lab),
                               sk_silhouette_samples(X, lab), rtol=1e-10, atol=1e-12)
    s1 = cl.segment.silhouette_score(X, lab, sample_size=500, seed=2)
    assert s1 == cl.segment.silhouette_score(X, lab, sample_size=500, seed=2)
    assert abs(s1 - sk_silhouette_score(X, lab)) < 0.05
    with pytest.raises(ValueError):
        cl.segment.silhouette_score(X, np.zeros(len(X), dtype=int))   # one cluster


def test_sweep_k_matches_single_fits():
    rng = np.random.default_rng(13)
    corners = np.array([[0, 0, 0], [10, 0, 0], [0, 10, 0], [0, 0, 10]], dtype=float)
    X = corners[rng.integers(0, 4, 3000)] + rng.normal(0, 1, (3000, 3))
    sw = cl.segment.sweep_k(X, [2, 3, 4, 6], seed=5, silhouette_sample_size=0)
    assert list(sw["n_clusters"]) == [2, 3, 4, 6]
    for k, inertia in zip(sw["n_clusters"], sw["inertia"]):
        assert inertia == pytest.approx(cl.KMeans(int(k), seed=5).fit(X).inertia_, rel=1e-12)
    best = int(sw.loc[sw["silhouette"].idxmax(), "n_clusters"])
    assert best == 4                                             # four blobs
    assert sw["silhouette"].iloc[2] == pytest.approx(
        sk_silhouette_score(X, cl.KMeans(4, seed=5).fit(X).labels_), rel=1e-10)


def test_profiles_match_pandas():
    rng = np.random.default_rng(17)
    df = pd.DataFrame({"tenure": rng.integers(0, 72, 2000).astype(float),
                       "charges": rng.uniform(20, 120, 2000)})
    df.loc[rng.random(2000) < 0.05, "charges"] = np.nan
    seg = rng.integers(0, 4, 2000)
    churned = (rng.random(2000) < 0.3).astype(float)
    score = rng.random(2000)
    revenue = df["charges"].fillna(50).to_numpy()
    prof = cl.segment.profile_segments(df, seg, churned=churned, score=score, revenue=revenue)
    t = prof.to_pandas()
    g = pd.DataFrame({"seg": seg, "churned": churned, "score": score, "rev": revenue,
                      "rs": revenue * score})
    ref = g.groupby("seg").agg(size=("seg", "size"), churn_rate=("churned", "mean"),
                               mean_score=("score", "mean"), revenue=("rev", "sum"),
                               revenue_at_risk=("rs", "sum"))
    for s in range(4):
        assert t.loc[s, "size"] == ref.loc[s, "size"]
        assert t.loc[s, "share"] == pytest.approx(ref.loc[s, "size"] / 2000)
        for c in ("churn_rate", "mean_score", "revenue", "revenue_at_risk"):
            assert t.loc[s, c] == pytest.approx(ref.loc[s, c], rel=1e-12), c
    assert t.loc["all", "revenue_at_risk"] == pytest.approx((revenue * score).sum(), rel=1e-12)
    means = prof.feature_means()
    ref_means = df.groupby(seg).mean()
    for s in range(4):
        np.testing.assert_allclose(means[s].to_numpy(), ref_means.loc[s].to_numpy(), rtol=1e-12)
    np.testing.assert_allclose(means["all"].to_numpy(), df.mean().to_numpy(), rtol=1e-12)
    assert prof.revenue_at_risk_basis == "score"
    assert "tenure" in str(prof) and prof.to_dict()["revenue_at_risk_basis"] == "score"
    # without scores: the revenue of the churners
    p2 = cl.segment.profile_segments(df, seg, churned=churned, revenue=revenue).to_pandas()
    for s in range(4):
        assert p2.loc[s, "revenue_at_risk"] == pytest.approx(
            revenue[(seg == s) & (churned == 1)].sum(), rel=1e-12)


def test_save_load_pickle_and_sklearn_protocol(tmp_path):
    from sklearn.base import clone

    X = pd.DataFrame(blobs(2000, 5, 4, 19), columns=list("abcd"))
    km = cl.KMeans(5, seed=2).fit(X)
    assert list(km.feature_names_in_) == list("abcd") and km.n_features_in_ == 4
    path = tmp_path / "km.json"
    km.save(path)
    for m in (cl.KMeans.load(path), cl.KMeans.from_json(km.to_json()),
              pickle.loads(pickle.dumps(km))):
        assert list(m.feature_names_in_) == list("abcd")  # saved with the model
        np.testing.assert_array_equal(m.predict(X), km.predict(X))
        np.testing.assert_array_equal(m.transform(X), km.transform(X))
        np.testing.assert_array_equal(m.labels_, km.labels_)
    c = clone(km)
    assert c.get_params() == km.get_params() and not hasattr(c, "_core")
    assert "n_clusters=5" in repr(km)
    path.write_text(km.to_json()[:100])
    with pytest.raises(cl.SerializationError):
        cl.KMeans.load(path)


def test_bad_input():
    X = blobs(100, 3, 2, 23)
    bad = X.copy()
    bad[7, 1] = np.nan
    with pytest.raises(ValueError, match="row 7|7"):
        cl.KMeans(3).fit(bad)
    with pytest.raises(ValueError):
        cl.KMeans(3).fit(np.ones((10, 2)))                        # one distinct row
    with pytest.raises(ValueError):
        cl.KMeans(3).fit(X, sample_weight=np.zeros(100))
    with pytest.raises(ValueError):
        cl.KMeans(3).fit(X, sample_weight=-np.ones(100))
    with pytest.raises(ValueError):
        cl.KMeans(3).fit(X, sample_weight=np.ones(5))
    with pytest.raises(ValueError):
        cl.KMeans(0).fit(X)
    with pytest.raises(ValueError):
        cl.KMeans(3, init=np.zeros((2, 2))).fit(X)
    with pytest.raises(ValueError):
        cl.KMeans(3, algorithm="magic").fit(X)
    with pytest.raises(TypeError):
        cl.KMeans(3, nope=1)
    with pytest.raises(cl.NotFittedError):
        cl.KMeans(3).predict(X)
    km = cl.KMeans(3).fit(X)
    with pytest.raises(ValueError):
        km.predict(np.ones((4, 3)))                               # wrong width
    with pytest.raises(ValueError):
        cl.segment.profile_segments(X, np.arange(5))
    with pytest.raises(ValueError):
        cl.segment.profile_segments(X, np.zeros(100, dtype=int), churned=np.full(100, 2.0))


def test_python_defaults_are_the_cpp_defaults():
    """Parameters have one source: churn::segment::KMeansParams (see test_logistic's twin).
    Python's init takes the centres themselves (C++'s init="given" + init_centers) and its
    algorithm="auto" means C++'s default, "hamerly"."""
    import inspect

    cpp = cl._core._segment.KMeans.default_params()
    sig = inspect.signature(cl.KMeans.__init__).parameters
    assert set(cpp) - {"init_centers"} == set(sig) - {"self"}
    assert cpp.pop("init_centers") is None and cpp.pop("algorithm") == "hamerly"
    assert sig["algorithm"].default == "auto"
    for name, value in cpp.items():
        assert sig[name].default == value, (name, sig[name].default, value)
    X = np.arange(20.0).reshape(10, 2)
    with pytest.raises(cl.InvalidArgument, match="unknown parameter 'k'"):
        cl._core._segment.KMeans({"k": 2}, "test")
    with pytest.raises(cl.TypeMismatch, match="n_init must be an int, got 1.5"):
        cl.KMeans(2, n_init=1.5).fit(X)
    with pytest.raises(cl.InvalidArgument, match="seed = -1 is out of range"):
        cl.KMeans(2, seed=-1).fit(X)
    centers = np.array([[0.0, 1.0], [10.0, 11.0]])
    km = cl.KMeans(2, init=centers).fit(X)
    np.testing.assert_array_equal(km._core.params["init_centers"], centers)
    np.testing.assert_array_equal(cl.KMeans.from_json(km.to_json()).init, centers)
