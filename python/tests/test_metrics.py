"""churnlib.metrics against scikit-learn (to 1e-10) on random and heavily tied inputs, plus
bad-input errors with exact types, calibrators, splits and cross-validation."""

import pickle
import warnings

import numpy as np
import pandas as pd
import pytest

import churnlib as cl

sk = pytest.importorskip("sklearn")
from sklearn import metrics as skm  # noqa: E402
from sklearn.calibration import _sigmoid_calibration  # noqa: E402
from sklearn.calibration import calibration_curve as sk_calibration_curve  # noqa: E402
from sklearn.isotonic import IsotonicRegression  # noqa: E402

M = cl.metrics
TOL = 1e-10


def make(seed, n=2000, ties=False, weighted=False):
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.3).astype(np.float64)
    p = np.clip(0.3 * y + 0.7 * rng.random(n), 0, 1)
    if ties:
        p = np.round(p, 1)
    w = rng.uniform(0.1, 3.0, n) if weighted else None
    return y, p, w


CASES = [(seed, ties, weighted) for seed in range(4) for ties in (False, True)
         for weighted in (False, True)]


@pytest.mark.parametrize("seed,ties,weighted", CASES)
def test_scalar_metrics_match_sklearn(seed, ties, weighted):
    y, p, w = make(seed, ties=ties, weighted=weighted)
    assert M.roc_auc(y, p, sample_weight=w) == pytest.approx(
        skm.roc_auc_score(y, p, sample_weight=w), abs=TOL)
    assert M.average_precision(y, p, sample_weight=w) == pytest.approx(
        skm.average_precision_score(y, p, sample_weight=w), abs=TOL)
    assert M.log_loss(y, p, sample_weight=w) == pytest.approx(
        skm.log_loss(y, y_proba=p, sample_weight=w), abs=TOL)
    assert M.brier_score(y, p, sample_weight=w) == pytest.approx(
        skm.brier_score_loss(y, p, sample_weight=w), abs=TOL)
    fpr, tpr, _ = skm.roc_curve(y, p, sample_weight=w, drop_intermediate=False)
    assert M.ks_statistic(y, p, sample_weight=w) == pytest.approx(np.max(np.abs(tpr - fpr)),
                                                                  abs=TOL)
    for t in (0.3, 0.5, 0.7):
        pred = (p >= t).astype(int)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            assert M.accuracy(y, p, t, sample_weight=w) == pytest.approx(
                skm.accuracy_score(y, pred, sample_weight=w), abs=TOL)
            assert M.precision(y, p, t, sample_weight=w) == pytest.approx(
                skm.precision_score(y, pred, sample_weight=w, zero_division=0), abs=TOL)
            assert M.recall(y, p, t, sample_weight=w) == pytest.approx(
                skm.recall_score(y, pred, sample_weight=w, zero_division=0), abs=TOL)
            assert M.f1(y, p, t, sample_weight=w) == pytest.approx(
                skm.f1_score(y, pred, sample_weight=w, zero_division=0), abs=TOL)
        np.testing.assert_allclose(M.confusion_matrix(y, p, t, sample_weight=w),
                                   skm.confusion_matrix(y, pred, sample_weight=w), atol=TOL)


def test_ks_matches_scipy():
    stats = pytest.importorskip("scipy.stats")
    for seed in range(3):
        y, p, _ = make(seed, ties=seed == 1)
        ref = stats.ks_2samp(p[y == 1], p[y == 0]).statistic
        assert M.ks_statistic(y, p) == pytest.approx(ref, abs=TOL)


def test_log_loss_clipping_like_sklearn():
    y = np.array([1.0, 0.0, 1.0, 0.0])
    p = np.array([0.0, 1.0, 1.0, 0.0])
    assert M.log_loss(y, p) == pytest.approx(skm.log_loss(y, y_proba=p), rel=1e-12)


@pytest.mark.parametrize("seed,ties,weighted", CASES)
def test_curves_match_sklearn(seed, ties, weighted):
    y, p, w = make(seed, n=700, ties=ties, weighted=weighted)
    for drop in (True, False):
        got = M.roc_curve(y, p, sample_weight=w, drop_intermediate=drop)
        want = skm.roc_curve(y, p, sample_weight=w, drop_intermediate=drop)
        for g, e in zip(got, want):
            assert g.shape == e.shape
            np.testing.assert_allclose(g, e, atol=TOL, rtol=0)
        got = M.precision_recall_curve(y, p, sample_weight=w, drop_intermediate=drop)
        want = skm.precision_recall_curve(y, p, sample_weight=w, drop_intermediate=drop)
        for g, e in zip(got, want):
            assert g.shape == e.shape
            np.testing.assert_allclose(g, e, atol=TOL, rtol=0)
    # Defaults are scikit-learn's too.
    assert M.roc_curve(y, p)[0].shape == skm.roc_curve(y, p)[0].shape
    assert M.precision_recall_curve(y, p)[0].shape == skm.precision_recall_curve(y, p)[0].shape


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("strategy", ["uniform", "quantile"])
@pytest.mark.parametrize("n_bins", [1, 5, 10, 13])
def test_calibration_curve_matches_sklearn(seed, strategy, n_bins):
    y, p, _ = make(seed, n=997, ties=seed % 2 == 1)
    got = M.calibration_curve(y, p, n_bins=n_bins, strategy=strategy)
    want = sk_calibration_curve(y, p, n_bins=n_bins, strategy=strategy)
    for g, e in zip(got, want):
        assert g.shape == e.shape
        np.testing.assert_allclose(g, e, atol=TOL, rtol=0)
    table = M.calibration_table(y, p, n_bins=n_bins, strategy=strategy)
    assert table["count"].sum() == len(y)
    np.testing.assert_allclose(table["gap"], got[0] - got[1])


def test_lift_table_against_pandas():
    y, p, _ = make(3, n=1003, ties=True)
    t = M.lift_table(y, p)
    assert list(t.index) == list(range(1, 11))
    order = np.argsort(-p, kind="stable")
    ranked = y[order]
    n = len(y)
    bounds = [b * n // 10 for b in range(11)]
    churners = [ranked[bounds[b]:bounds[b + 1]].sum() for b in range(10)]
    np.testing.assert_array_equal(t["churners"], churners)
    np.testing.assert_array_equal(t["customers"], np.diff(bounds))
    np.testing.assert_allclose(t["lift"], (t["churners"] / t["customers"]) / y.mean())
    assert t["cumulative_gain"].iloc[-1] == pytest.approx(1.0)
    assert t["cumulative_churners"].iloc[-1] == y.sum()
    assert (t["max_score"].to_numpy()[1:] <= t["min_score"].to_numpy()[:-1]).all()


def test_threshold_tuning():
    y, p, w = make(5, n=600, ties=True, weighted=True)
    for weights in (None, w):
        best = M.best_f1_threshold(y, p, sample_weight=weights)
        prec, rec, thr = skm.precision_recall_curve(y, p, sample_weight=weights)
        with np.errstate(invalid="ignore", divide="ignore"):
            f = np.where(prec + rec > 0, 2 * prec * rec / (prec + rec), 0)[:-1]
        assert best.value == pytest.approx(f.max(), abs=TOL)
        assert best.threshold == thr[np.flatnonzero(f >= f.max() - 1e-12)[-1]]
    choice = M.best_profit_threshold(y, p, value_retained=200.0, offer_cost=20.0,
                                     success_rate=0.3)
    profits = {t: np.sum((0.3 * y * 200 - 20)[p >= t]) for t in np.unique(p)}
    t_best = max(sorted(profits, reverse=True), key=lambda t: profits[t])
    assert choice.threshold == t_best
    assert choice.value == pytest.approx(max(profits[t_best], 0.0))
    assert choice.n_targeted == np.sum(p >= t_best)


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("weighted", [False, True])
def test_platt_matches_sklearn(seed, weighted):
    rng = np.random.default_rng(seed)
    s = rng.normal(0, 2, 3000)
    y = (rng.random(3000) < 1 / (1 + np.exp(-(0.8 * s - 0.3)))).astype(float)
    w = rng.uniform(0.2, 2, 3000) if weighted else None
    cal = M.PlattCalibrator().fit(s, y, sample_weight=w)
    a, b = _sigmoid_calibration(s, y, w)
    # scikit-learn stops L-BFGS at gtol 1e-6; churnlib's Newton converges fully.
    assert cal.a_ == pytest.approx(a, rel=1e-4, abs=1e-5)
    assert cal.b_ == pytest.approx(b, rel=1e-4, abs=1e-5)
    np.testing.assert_allclose(cal.transform(s), 1 / (1 + np.exp(a * s + b)), atol=1e-5)
    back = pickle.loads(pickle.dumps(cal))
    np.testing.assert_array_equal(back.transform(s), cal.transform(s))
    again = M.PlattCalibrator.from_json(cal.to_json())
    np.testing.assert_array_equal(again.transform(s), cal.transform(s))
    assert type(cal).__module__ == "churnlib.metrics"


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("weighted", [False, True])
def test_isotonic_matches_sklearn(seed, weighted):
    rng = np.random.default_rng(seed)
    s = np.round(rng.normal(0, 1, 1500), 2 if seed % 2 else 8)
    y = (rng.random(1500) < 1 / (1 + np.exp(-s))).astype(float)
    w = rng.uniform(0.0, 2, 1500) if weighted else None
    iso = M.IsotonicCalibrator().fit(s, y, sample_weight=w)
    ref = IsotonicRegression(out_of_bounds="clip").fit(s, y, sample_weight=w)
    t = np.concatenate([s, rng.normal(0, 2, 500), [-10.0, 10.0]])
    np.testing.assert_allclose(iso.transform(t), ref.predict(t), atol=TOL, rtol=0)
    np.testing.assert_allclose(iso.X_thresholds_, ref.X_thresholds_, atol=0, rtol=0)
    np.testing.assert_allclose(iso.y_thresholds_, ref.y_thresholds_, atol=TOL, rtol=0)
    back = pickle.loads(pickle.dumps(iso))
    np.testing.assert_array_equal(back.transform(t), iso.transform(t))


def test_calibrators_unfitted_and_bad_json():
    with pytest.raises(cl.NotFittedError):
        M.PlattCalibrator().transform(np.array([0.1]))
    with pytest.raises(cl.NotFittedError):
        M.IsotonicCalibrator().a = M.IsotonicCalibrator().X_thresholds_
    with pytest.raises(cl.SerializationError):
        M.IsotonicCalibrator.from_json(
            M.PlattCalibrator().fit(np.array([0.1, 0.9]), np.array([0.0, 1.0])).to_json())
    with pytest.raises(cl.SerializationError):
        M.PlattCalibrator.from_json("{not json")
    assert pickle.loads(pickle.dumps(M.PlattCalibrator())).is_fitted is False


BAD = [
    ("empty", np.array([]), np.array([])),
    ("length", np.array([0.0, 1.0]), np.array([0.5])),
    ("nan score", np.array([0.0, 1.0, 1.0]), np.array([0.1, np.nan, 0.3])),
    ("nan label", np.array([0.0, np.nan, 1.0]), np.array([0.1, 0.2, 0.3])),
    ("label 2", np.array([0.0, 2.0, 1.0]), np.array([0.1, 0.2, 0.3])),
]


@pytest.mark.parametrize("name,y,p", BAD, ids=[b[0] for b in BAD])
@pytest.mark.parametrize("fn", [M.roc_auc, M.average_precision, M.log_loss, M.brier_score,
                                M.ks_statistic, M.accuracy, M.f1, M.best_f1_threshold,
                                M.lift_table])
def test_bad_input_raises_invalid_argument(name, y, p, fn):
    with pytest.raises(cl.InvalidArgument) as info:
        fn(y, p)
    assert type(info.value) is cl.InvalidArgument
    assert isinstance(info.value, ValueError)


def test_undefined_metrics_and_ranges():
    y1 = np.ones(5)
    p = np.linspace(0.1, 0.9, 5)
    for fn in (M.roc_auc, M.ks_statistic, M.roc_curve):
        with pytest.raises(cl.InvalidArgument, match="one class"):
            fn(y1, p)
    with pytest.raises(cl.InvalidArgument, match="no positive"):
        M.average_precision(np.zeros(5), p)
    y = np.array([0.0, 1.0, 0.0, 1.0, 1.0])
    with pytest.raises(cl.InvalidArgument, match="threshold"):
        M.accuracy(y, p, 1.5)
    with pytest.raises(cl.InvalidArgument, match="n_bins"):
        M.lift_table(y, p, 0)
    with pytest.raises(cl.InvalidArgument, match="n_bins"):
        M.calibration_curve(y, p, n_bins=0)
    with pytest.raises(cl.InvalidArgument, match="strategy"):
        M.calibration_curve(y, p, strategy="kmeans")
    with pytest.raises(cl.InvalidArgument, match=r"\[0, 1\]"):
        M.log_loss(y, p * 2)
    with pytest.raises(cl.InvalidArgument, match="sample_weight"):
        M.roc_auc(y, p, sample_weight=-np.ones(5))
    with pytest.raises(cl.InvalidArgument, match="success_rate"):
        M.best_profit_threshold(y, p, value_retained=1, offer_cost=1, success_rate=2)
    with pytest.raises(cl.InvalidArgument, match="1-D"):
        M.roc_auc(y.reshape(-1, 1), p.reshape(-1, 1))
    with pytest.raises(TypeError):
        M.roc_auc(y, p, sample_weights=None)


def test_inputs_of_other_dtypes_and_pandas():
    y, p, _ = make(1, n=300)
    ref = skm.roc_auc_score(y, p)
    assert M.roc_auc(y.astype(bool), p) == pytest.approx(ref, abs=TOL)
    assert M.roc_auc(y.astype(np.int64), p.astype(np.float32)) == pytest.approx(
        skm.roc_auc_score(y, p.astype(np.float32)), abs=1e-7)
    assert M.roc_auc(pd.Series(y), pd.Series(p)) == pytest.approx(ref, abs=TOL)
    assert M.roc_auc(list(y), list(p)) == pytest.approx(ref, abs=TOL)


def test_thread_count_does_not_change_results():
    y, p, w = make(2, n=400_000, ties=True, weighted=True)
    for fn in (M.roc_auc, M.average_precision, M.log_loss):
        assert fn(y, p, n_threads=1) == fn(y, p, n_threads=2) == fn(y, p)
        assert fn(y, p, sample_weight=w, n_threads=1) == fn(y, p, sample_weight=w, n_threads=2)


def test_stratified_kfold_balance():
    rng = np.random.default_rng(0)
    y = (rng.random(1001) < 0.23).astype(float)
    for shuffle in (False, True):
        folds = M.stratified_kfold(y, 5, shuffle=shuffle, seed=3)
        tests = np.concatenate([te for _, te in folds])
        np.testing.assert_array_equal(np.sort(tests), np.arange(len(y)))
        pos = [y[te].sum() for _, te in folds]
        neg = [(1 - y[te]).sum() for _, te in folds]
        assert max(pos) - min(pos) <= 1 and max(neg) - min(neg) <= 1
        for tr, te in folds:
            assert len(np.intersect1d(tr, te)) == 0 and len(tr) + len(te) == len(y)
            assert tr.dtype == np.int64
    a = M.stratified_kfold(y, 5, shuffle=True, seed=3)
    b = M.stratified_kfold(y, 5, shuffle=True, seed=3)
    assert all((x[1] == z[1]).all() for x, z in zip(a, b))
    with pytest.raises(cl.InvalidArgument):
        M.stratified_kfold(y, 1)


def test_time_split_and_series():
    times = pd.to_datetime(["2024-01-05", "2024-03-01", "2024-02-01", "2024-02-01", "2023-12-31"])
    tr, te = M.time_split(times, "2024-02-01")
    np.testing.assert_array_equal(tr, [0, 4])
    np.testing.assert_array_equal(te, [1, 2, 3])
    tr, te = M.time_split(pd.Series(times), pd.Timestamp("2024-02-01"))
    np.testing.assert_array_equal(tr, [0, 4])
    with pytest.raises(cl.InvalidArgument):
        M.time_split(times, "2030-01-01")
    with pytest.raises(cl.InvalidArgument):
        M.time_split(pd.to_datetime(["2024-01-01", None]), "2024-01-02")
    folds = M.time_series_split(np.array([5, 1, 1, 2, 3, 3, 3, 4, 5]), n_splits=2)
    t = np.array([5, 1, 1, 2, 3, 3, 3, 4, 5])
    for tr, te in folds:
        assert t[tr].max() < t[te].min()


class _Centered:
    """A minimal sklearn-style estimator: sigmoid of the first column around its training mean."""

    def __init__(self, slope=1.0):
        self.slope = slope

    def get_params(self, deep=True):
        return {"slope": self.slope}

    def set_params(self, **params):
        for k, v in params.items():
            setattr(self, k, v)
        return self

    def fit(self, X, y, sample_weight=None):
        self.center_ = float(np.average(np.asarray(X)[:, 0], weights=sample_weight))
        self.classes_ = np.array([0, 1])
        return self

    def predict_proba(self, X):
        p = 1 / (1 + np.exp(-self.slope * (np.asarray(X)[:, 0] - self.center_)))
        return np.column_stack([1 - p, p])


def test_cross_validate_with_sklearn_estimator_and_select_best():
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(1)
    X = rng.normal(size=(600, 3))
    y = (rng.random(600) < 1 / (1 + np.exp(-(X[:, 0] - 0.5 * X[:, 1])))).astype(float)
    res = M.cross_validate(LogisticRegression(), X, y, cv=5, metrics=("roc_auc", "log_loss"),
                           seed=0)
    assert list(res.scores.columns) == ["roc_auc", "log_loss"]
    assert len(res.scores) == 5
    # Each fold equals scikit-learn fitted on the same rows.
    tr, te = res.folds[2]
    ref = LogisticRegression().fit(X[tr], y[tr]).predict_proba(X[te])[:, 1]
    assert res.scores["roc_auc"].iloc[2] == pytest.approx(skm.roc_auc_score(y[te], ref), abs=TOL)
    assert res["roc_auc"] == pytest.approx(res.scores["roc_auc"].mean())
    df = pd.DataFrame(X, columns=["a", "b", "c"])
    weak = M.cross_validate(_Centered(0.1), df, pd.Series(y), cv=res.folds,
                            metrics=["roc_auc", "log_loss"],
                            sample_weight=np.ones(600), return_models=True)
    assert len(weak.models) == 5 and weak.models[0] is not weak.models[1]
    name, best = M.select_best({"logreg": res, "weak": weak}, "log_loss")
    assert name == "logreg" and best is res
    assert M.select_best({"a": {"brier": 0.2}, "b": {"brier": 0.1}}, "brier")[0] == "b"
    assert M.select_best({"a": {"roc_auc": 0.7}, "b": {"roc_auc": 0.6}}, "roc_auc")[0] == "a"
    with pytest.raises(cl.InvalidArgument):
        M.select_best({}, "roc_auc")
    with pytest.raises(cl.InvalidArgument):
        M.cross_validate(LogisticRegression(), X, y, metrics=("auc",))
    # Folds from a time split work as cv too.
    ts = M.time_series_split(np.arange(600), n_splits=3)
    assert len(M.cross_validate(_Centered(), X, y, cv=ts).scores) == 3


def test_cross_validate_churnlib_logistic_regression():
    if not hasattr(cl, "LogisticRegression"):
        pytest.skip("churnlib.LogisticRegression not built")
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(7)
    X = rng.normal(size=(800, 4))
    y = (rng.random(800) < 1 / (1 + np.exp(-(X[:, 0] + 0.5 * X[:, 2])))).astype(float)
    ours = M.cross_validate(cl.LogisticRegression(C=1.0), X, y, cv=5,
                            metrics=("roc_auc", "log_loss", "brier"), seed=3)
    ref = M.cross_validate(LogisticRegression(C=1.0), X, y, cv=ours.folds,
                           metrics=("roc_auc", "log_loss", "brier"))
    np.testing.assert_allclose(ours.scores.to_numpy(), ref.scores.to_numpy(), atol=1e-4)


def test_zero_weights_are_ignored_like_sklearn():
    y, p, w = make(9, n=500, ties=True, weighted=True)
    w[::3] = 0.0
    for got, want in ((M.roc_curve(y, p, sample_weight=w, drop_intermediate=False),
                       skm.roc_curve(y, p, sample_weight=w, drop_intermediate=False)),
                      (M.precision_recall_curve(y, p, sample_weight=w),
                       skm.precision_recall_curve(y, p, sample_weight=w))):
        for g, e in zip(got, want):
            assert g.shape == e.shape
            np.testing.assert_allclose(g, e, atol=TOL, rtol=0)
    assert M.roc_auc(y, p, sample_weight=w) == pytest.approx(
        skm.roc_auc_score(y, p, sample_weight=w), abs=TOL)
    assert M.average_precision(y, p, sample_weight=w) == pytest.approx(
        skm.average_precision_score(y, p, sample_weight=w), abs=TOL)
