"""churnlib.monitor.PerformanceEstimator (CBPE): the arithmetic against an independent numpy
implementation of NannyML's published method, the band against a Monte Carlo simulation, the
quality of the estimates under covariate and concept shift, and the API (merge, pickling, JSON,
bad inputs, period keys)."""

import math
import pickle

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm, rankdata
from sklearn.isotonic import IsotonicRegression
from sklearn.metrics import roc_auc_score

import churnlib as cl
from churnlib.monitor import EstimatedPerformance, PerformanceEstimator

Z95 = norm.ppf(0.975)


# ---- an independent numpy implementation of CBPE (NannyML's published method) -----------------

def numpy_cbpe(s, p, t=0.5, value=1.0, cost=0.1, success=1.0):
    """CBPE of one chunk: the expected confusion matrix at ``s >= t`` with probabilities ``p``,
    and the ROC-AUC under the expected ROC curve (rows by decreasing score, ties grouped,
    cumulative sums of p and 1 - p, trapezoids from (0, 0) to (1, 1))."""
    pred = s >= t
    tp, fp = p[pred].sum(), (1 - p)[pred].sum()
    fn, tn = p[~pred].sum(), (1 - p)[~pred].sum()
    order = np.argsort(-s, kind="stable")
    ss, pp = s[order], p[order]
    ends = np.r_[np.flatnonzero(np.diff(ss) != 0), len(ss) - 1]
    tps, fps = np.cumsum(pp)[ends], np.cumsum(1 - pp)[ends]
    tpr, fpr = np.r_[0, tps] / tps[-1], np.r_[0, fps] / fps[-1]
    return {"roc_auc": np.trapezoid(tpr, fpr),
            "precision": tp / (tp + fp), "recall": tp / (tp + fn),
            "f1": 2 * tp / (2 * tp + fp + fn), "churn_rate": p.mean(),
            "expected_churners": p.sum(),
            "campaign_value": success * value * tp - cost * pred.sum()}


def nannyml_estimate_roc_auc(y_pred_proba):
    """NannyML's ``estimate_roc_auc`` (nannyml/performance_estimation/confidence_based/
    metrics.py), transcribed: its curve starts at the highest threshold, not at (0, 0)."""
    from sklearn.metrics import auc

    thresholds = np.sort(y_pred_proba)
    one_min = 1 - thresholds
    TP = np.cumsum(thresholds[::-1])[::-1]
    FP = np.cumsum(one_min[::-1])[::-1]
    FN = np.cumsum(np.insert(thresholds, 0, 0)[:-1])
    TN = np.cumsum(np.insert(one_min, 0, 0)[:-1])
    keep = np.diff(np.insert(thresholds, 0, -1)).astype(bool)
    TP, FP, FN, TN = TP[keep], FP[keep], FN[keep], TN[keep]
    return auc(FP / (FP + TN), TP / (TP + FN))


def _calibrated(n, seed, a=2.0, b=3.0, decimals=None):
    rng = np.random.default_rng(seed)
    p = rng.beta(a, b, size=n)
    if decimals is not None:
        p = np.round(p, decimals)
    y = (rng.uniform(size=n) < p).astype(np.float64)
    return p, y


def test_estimates_match_the_numpy_cbpe_without_recalibration():
    s, y = _calibrated(20000, 1, decimals=3)  # ties in the scores
    est = PerformanceEstimator(calibration="none", offer_cost=0.2, value_retained=3.0,
                               success_rate=0.4).fit(s[:8000], y[:8000])
    res = est.estimate(s[8000:], chunks=3000)
    df = res.to_pandas()
    assert len(df) == 4 and df["n"].tolist() == [3000, 3000, 3000, 3000]
    for c in range(4):
        chunk = s[8000 + 3000 * c: 8000 + 3000 * (c + 1)]
        want = numpy_cbpe(chunk, chunk, 0.5, 3.0, 0.2, 0.4)
        for m, v in want.items():
            assert df.loc[c, f"{m}_estimated"] == pytest.approx(v, rel=1e-12, abs=1e-12), m
        # the same area as scikit-learn's weighted ROC-AUC of the expected labels
        w = roc_auc_score(np.r_[np.ones(len(chunk)), np.zeros(len(chunk))], np.r_[chunk, chunk],
                          sample_weight=np.r_[chunk, 1 - chunk])
        assert df.loc[c, "roc_auc_estimated"] == pytest.approx(w, abs=1e-12)
        # NannyML's code omits the last segment to (0, 0): P_top * N_top / (2 P N)
        top = chunk == chunk.max()
        gap = chunk[top].sum() * (1 - chunk[top]).sum() / (2 * chunk.sum() * (1 - chunk).sum())
        assert df.loc[c, "roc_auc_estimated"] - gap == \
            pytest.approx(nannyml_estimate_roc_auc(chunk), abs=1e-12)


def test_isotonic_map_matches_scikit_learn_on_the_same_bins():
    rng = np.random.default_rng(2)
    s = rng.uniform(size=30000) ** 1.5
    y = (rng.uniform(size=30000) < np.clip(1.3 * s - 0.1, 0, 1)).astype(np.float64)  # miscalibrated
    est = PerformanceEstimator(bins=200).fit(s, y)
    b = np.minimum((s * 200).astype(int), 199)
    pos = np.bincount(b, weights=y, minlength=200)
    n = np.bincount(b, minlength=200)
    centers = (np.arange(200) + 0.5) / 200
    nz = n > 0
    iso = IsotonicRegression(out_of_bounds="clip").fit(centers[nz], pos[nz] / n[nz],
                                                       sample_weight=n[nz])
    np.testing.assert_allclose(est.calibration_map_, iso.predict(centers), rtol=0, atol=1e-12)
    # the estimates use p = map[bin(score)] in the same formulas
    s2 = rng.uniform(size=5000) ** 1.2
    p2 = iso.predict(centers)[np.minimum((s2 * 200).astype(int), 199)]
    np.testing.assert_allclose(est.calibrate(s2), p2, atol=1e-12)
    row = est.estimate(s2, chunks=5000).to_pandas().iloc[0]
    for m, v in numpy_cbpe(s2, p2).items():
        assert row[f"{m}_estimated"] == pytest.approx(v, rel=1e-11, abs=1e-11), m
    # the reference's calibration check: the map keeps the mean
    ref = est.reference_metrics_
    assert ref["estimated"]["churners"] == pytest.approx(y.sum(), rel=1e-12)
    assert ref["realised"]["churn_rate"] == pytest.approx(y.mean(), rel=1e-15)
    assert ref["realised"]["roc_auc"] == pytest.approx(roc_auc_score(y, s), abs=2e-3)


def test_realised_metrics_are_exact():
    s, y = _calibrated(12000, 3, decimals=2)
    est = PerformanceEstimator(calibration="none").fit(s[:2000])
    res = est.estimate(s[2000:], chunks=5000).add_realised(y[2000:])
    df = res.to_pandas()
    for c, lo in enumerate(range(2000, 12000, 5000)):
        yy, ss = y[lo:lo + 5000], s[lo:lo + 5000]
        pred = ss >= 0.5
        assert df.loc[c, "roc_auc_realised"] == pytest.approx(roc_auc_score(yy, ss), abs=1e-13)
        assert df.loc[c, "precision_realised"] == pytest.approx(yy[pred].mean(), abs=1e-15)
        assert df.loc[c, "recall_realised"] == pytest.approx(yy[pred].sum() / yy.sum(), abs=1e-15)
        assert df.loc[c, "expected_churners_realised"] == yy.sum()


# ---- the band against Monte Carlo ---------------------------------------------------------------

def test_band_matches_monte_carlo_spread():
    rng = np.random.default_rng(4)
    n, reps = 5000, 2000
    s = np.round(rng.beta(2, 4, size=n), 4)
    est = PerformanceEstimator(calibration="none").fit(s)
    row = est.estimate(s, chunks=n).to_pandas().iloc[0]
    Y = rng.uniform(size=(reps, n)) < s  # labels drawn from p, many times
    pred = s >= 0.5
    P = Y.sum(1)
    ranks = rankdata(s)
    auc = (Y @ ranks - P * (P + 1) / 2) / (P * (n - P))
    tp = Y[:, pred].sum(1)
    realised = {"roc_auc": auc, "precision": tp / pred.sum(), "recall": tp / P,
                "f1": 2 * tp / (pred.sum() + P)}
    for m, values in realised.items():
        se = (row[f"{m}_upper"] - row[f"{m}_lower"]) / (2 * Z95)
        ratio = se / values.std()
        print(f"{m}: delta-method se {se:.5f}, Monte Carlo sd {values.std():.5f}, ratio {ratio:.3f}")
        assert abs(ratio - 1) < 0.10, m


# ---- quality simulation (the acceptance) ------------------------------------------------

P_FEATURES = 8
BETA = np.array([0.9, -0.7, 0.5, 0.6, -0.4, 0.3, 0.2, -0.3])
INTERCEPT = -1.0


def _features(rng, n, shift=0.0):
    """n rows of 8 correlated Gaussian features; ``shift`` in [0, 1] moves the means and
    stretches / rotates the covariance progressively."""
    mean = shift * np.array([0.8, 0.6, -0.5, 0.4, 0.0, 0.3, -0.3, 0.2])
    A = np.eye(P_FEATURES) + 0.3 * np.eye(P_FEATURES, k=1)
    A = A * (1 + 0.5 * shift * np.linspace(0, 1, P_FEATURES))[:, None]
    return mean + rng.standard_normal((n, P_FEATURES)) @ A


def _labels(rng, X, beta=BETA, intercept=INTERCEPT):
    return (rng.uniform(size=len(X)) < 1 / (1 + np.exp(-(X @ beta + intercept)))).astype(float)


@pytest.fixture(scope="module")
def simulation():
    rng = np.random.default_rng(2026)
    X_train = _features(rng, 40000)
    model = cl.LogisticRegression(C=100.0).fit(X_train, _labels(rng, X_train))
    X_ref = _features(rng, 50000)
    y_ref = _labels(rng, X_ref)
    est = PerformanceEstimator().fit(model.predict_proba(X_ref)[:, 1], y_ref)
    return rng, model, est, y_ref.mean()


def _run(simulation, concept):
    rng, model, est, _ = simulation
    chunks, scores, labels = 50, [], []
    for c in range(chunks):
        k = c / (chunks - 1)
        if concept:  # the customers stay, what drives churn changes
            X = _features(rng, 5000)
            beta = BETA * (1 - 1.2 * k) + k * np.array([0, 0, 0, 0, 0.8, -0.6, 0.6, 0.5])
            y = _labels(rng, X, beta)
        else:  # the customers change, P(churn | features) stays
            X = _features(rng, 5000, shift=k)
            y = _labels(rng, X)
        scores.append(model.predict_proba(X)[:, 1])
        labels.append(y)
    res = est.estimate(np.concatenate(scores), chunks=5000).add_realised(np.concatenate(labels))
    return res, res.to_pandas()


def test_quality_under_covariate_shift(simulation):
    res, df = _run(simulation, concept=False)
    gap = (df["roc_auc_estimated"] - df["roc_auc_realised"]).abs()
    within = (gap <= 0.02).mean()
    covered = ((df["roc_auc_realised"] >= df["roc_auc_lower"])
               & (df["roc_auc_realised"] <= df["roc_auc_upper"])).mean()
    print(f"\ncovariate shift: reference churn rate {simulation[3]:.3f}; realised AUC "
          f"{df['roc_auc_realised'].min():.3f}..{df['roc_auc_realised'].max():.3f}; "
          f"|estimated - realised| <= 0.02 in {within:.0%} of {len(df)} chunks "
          f"(max {gap.max():.4f}, mean {gap.mean():.4f}); 95% band covers the realised AUC in "
          f"{covered:.0%}; reliable={res.reliable} {res.reliability}")
    assert len(df) >= 50 and (df["n"] == 5000).all()
    assert within >= 0.95
    assert covered >= 0.90
    assert res.reliable
    assert not any(a["metric"] == "estimate_gap" for a in res.alerts)


def test_quality_under_concept_shift(simulation):
    res, df = _run(simulation, concept=True)
    covered = ((df["roc_auc_realised"] >= df["roc_auc_lower"])
               & (df["roc_auc_realised"] <= df["roc_auc_upper"])).mean()
    gaps = [a for a in res.alerts if a["metric"] == "estimate_gap"]
    print(f"\nconcept shift: realised AUC {df['roc_auc_realised'].min():.3f}.."
          f"{df['roc_auc_realised'].max():.3f}, estimated {df['roc_auc_estimated'].min():.3f}.."
          f"{df['roc_auc_estimated'].max():.3f}; band covers {covered:.0%}; "
          f"reliable={res.reliable}; {len(gaps)} estimate_gap alerts; {res.reliability}")
    assert not res.reliable
    assert len(gaps) >= 10
    assert all(a["severity"] == "significant" for a in gaps)


# ---- the API ------------------------------------------------------------------------------------

def test_merged_parts_equal_the_whole():
    s, y = _calibrated(30000, 5)
    whole = PerformanceEstimator(bins=500).fit(s, y)
    base = PerformanceEstimator(bins=500)
    parts = [base.accumulate(s[i:i + 7000], y[i:i + 7000]) for i in range(0, 30000, 7000)]
    merged = parts[3].merge(parts[0]).merge(parts[4]).merge(parts[2]).merge(parts[1])
    assert merged.to_json() == whole.to_json()
    assert merged.get_params() == whole.get_params()
    with pytest.raises(cl.InvalidArgument, match="threshold"):
        whole.merge(PerformanceEstimator(0.4, bins=500).fit(s, y))
    with pytest.raises(cl.InvalidArgument, match="labels"):
        whole.merge(PerformanceEstimator(bins=500).fit(s))
    with pytest.raises(cl.TypeMismatch):
        whole.merge("estimator")


def test_pickle_json_and_files_round_trip(tmp_path):
    s, y = _calibrated(20000, 6)
    est = PerformanceEstimator(min_f1=0.4, bins=300).fit(s[:10000], y[:10000])
    res = est.estimate(s[10000:], chunks=2500)
    for other in (pickle.loads(pickle.dumps(est)), PerformanceEstimator.from_json(est.to_json())):
        assert other.get_params() == est.get_params()
        assert other.to_json() == est.to_json()
        assert other.estimate(s[10000:], chunks=2500).to_json() == res.to_json()
    est.save(tmp_path / "cbpe.json")
    assert PerformanceEstimator.load(tmp_path / "cbpe.json").to_json() == est.to_json()
    res2 = pickle.loads(pickle.dumps(res))
    res2.add_realised(y[10000:])
    res.add_realised(y[10000:])
    assert res2.to_json() == res.to_json()
    back = EstimatedPerformance.from_json(res.to_json())
    assert back.to_json() == res.to_json()
    pd.testing.assert_frame_equal(back.to_pandas(), res.to_pandas())
    d = res.to_dict()
    assert d["kind"] == "EstimatedPerformance" and len(d["state"]["chunks"]) == 4
    with pytest.raises(cl.InvalidArgument, match="without its scores"):
        back.add_realised(y[10000:])
    with pytest.raises(cl.SerializationError):
        PerformanceEstimator.from_json(est.to_json().replace('"labelled":true', '"labeled":true'))


def test_parameters_are_scikit_learn_style():
    est = PerformanceEstimator(0.3, bins=100, min_precision=0.5)
    params = est.get_params()
    assert params["threshold"] == 0.3 and params["bins"] == 100 and params["min_recall"] is None
    assert repr(est) == "PerformanceEstimator(threshold=0.3, bins=100, min_precision=0.5)"
    with pytest.raises(TypeError):
        PerformanceEstimator(colour="red")
    with pytest.raises(TypeError):
        est.set_params(colour="red")
    s, y = _calibrated(2000, 7)
    est.fit(s, y)
    assert est.n_rows_ == 2000 and est.has_labels_
    assert est.fit(s).has_labels_ is False  # refitting replaces the state
    assert len(est.calibration_map_) == 0


@pytest.mark.parametrize("kwargs,exc", [
    ({"bins": 5}, cl.InvalidArgument), ({"bins": 2.5}, cl.TypeMismatch),
    ({"threshold": 1.5}, cl.InvalidArgument), ({"confidence": 1.0}, cl.InvalidArgument),
    ({"calibration": "platt"}, cl.InvalidArgument), ({"min_roc_auc": 2.0}, cl.InvalidArgument),
    ({"offer_cost": -1.0}, cl.InvalidArgument), ({"n_threads": -1}, cl.InvalidArgument),
])
def test_bad_parameters_raise_at_fit(kwargs, exc):
    with pytest.raises(exc):
        PerformanceEstimator(**kwargs).fit([0.2, 0.6], [0, 1])


def test_bad_inputs_raise_value_or_type_errors():
    est = PerformanceEstimator()
    with pytest.raises(cl.NotFittedError):
        est.estimate([0.5])
    with pytest.raises(ValueError, match="row 1"):
        est.fit([0.5, np.nan])
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        est.fit([0.5, 1.2])
    with pytest.raises(ValueError, match="labels"):
        est.fit([0.5, 0.2], [1, 2])
    with pytest.raises(ValueError, match="rows"):
        est.fit([0.5, 0.2], [1])
    with pytest.raises(TypeError):
        est.fit(["a", "b"])
    with pytest.raises(ValueError):
        est.fit(np.zeros((3, 2)))
    est.fit([0.1, 0.4, 0.8], [0, 1, 1])
    with pytest.raises(ValueError, match="chunk '1'"):
        est.estimate([0.2, 0.3, np.inf], chunks=2)
    with pytest.raises(ValueError):
        est.estimate([0.2, 0.3], chunks=0)
    with pytest.raises(TypeError):
        est.estimate([0.2, 0.3], chunks=2.5)
    with pytest.raises(ValueError, match="one key per row"):
        est.estimate([0.2, 0.3], chunks=["a"])
    with pytest.raises(ValueError, match="missing"):
        est.estimate([0.2, 0.3], chunks=["a", None])
    with pytest.raises(ValueError, match="no rows"):
        est.estimate([])
    res = est.estimate([0.2, 0.3, 0.7])
    with pytest.raises(ValueError, match="3 rows"):
        res.add_realised([0, 1])
    with pytest.raises(ValueError, match="0 or 1"):
        res.add_realised([0, 1, 5])


def test_period_keys_make_one_chunk_per_key_in_sorted_order():
    s, y = _calibrated(9000, 8)
    est = PerformanceEstimator().fit(s[:3000], y[:3000])
    rng = np.random.default_rng(9)
    months = pd.to_datetime(["2026-03-01", "2026-01-01", "2026-02-01"])
    keys = months[rng.integers(0, 3, size=6000)]
    res = est.estimate(pd.Series(s[3000:]), chunks=keys).add_realised(list(y[3000:]))
    df = res.to_pandas()
    assert df["chunk"].tolist() == [str(m) for m in sorted(months)]
    for _, row in df.iterrows():
        mask = np.asarray(keys == pd.Timestamp(row["chunk"]))
        assert row["n"] == mask.sum()
        one = est.estimate(s[3000:][mask], chunks=len(s)).to_pandas().iloc[0]
        assert row["roc_auc_estimated"] == one["roc_auc_estimated"]
        assert row["roc_auc_realised"] == pytest.approx(roc_auc_score(y[3000:][mask],
                                                                      s[3000:][mask]), abs=1e-13)
    # integer and string keys too
    assert est.estimate(s[3000:3010], chunks=[3, 1] * 5).to_pandas()["chunk"].tolist() == ["1", "3"]
    assert est.estimate(s[3000:3004], chunks=list("baba")).to_pandas()["n"].tolist() == [2, 2]


def test_alerts_and_display():
    s, y = _calibrated(10000, 10)
    res = PerformanceEstimator(min_roc_auc=0.95, max_churn_rate=0.1).fit(s, y) \
        .estimate(s, chunks=5000)
    frame = res.alerts_frame()
    assert set(frame["metric"]) == {"estimated_roc_auc", "estimated_churn_rate"}
    assert (frame["severity"] == "significant").all()
    assert "<table" in res._repr_html_() and "EstimatedPerformance" in repr(res)
    assert math.isnan(res.to_pandas()["roc_auc_realised"][0])


def test_plot(tmp_path):
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    s, y = _calibrated(10000, 11)
    res = PerformanceEstimator().fit(s, y).estimate(s, chunks=1000).add_realised(y)
    ax = res.plot(path=tmp_path / "auc.png")
    assert (tmp_path / "auc.png").stat().st_size > 0
    assert len(ax.lines) >= 3  # estimate, realised, threshold
    with pytest.raises(ValueError):
        res.plot(metric="accuracy")


def test_docstring_examples_run():
    import doctest

    from churnlib import _estimate

    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    for t in doctest.DocTestFinder().find(_estimate, "churnlib._estimate", globs={}):
        runner.run(t)
    assert runner.summarize(verbose=False).failed == 0


def test_arrow_and_polars_inputs():
    s, y = _calibrated(4000, 12)
    want = PerformanceEstimator().fit(s, y).estimate(s, chunks=1000).to_json()
    pa = pytest.importorskip("pyarrow")
    assert PerformanceEstimator().fit(pa.array(s), pa.array(y)).estimate(
        pa.chunked_array([s[:2000], s[2000:]]), chunks=1000).to_json() == want
    pl = pytest.importorskip("polars")
    assert PerformanceEstimator().fit(pl.Series(s), pl.Series(y)).estimate(
        pl.Series(s), chunks=1000).to_json() == want
