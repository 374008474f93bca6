"""scikit-learn compatibility: every estimator check of scikit-learn on churnlib's estimators,
class labels of any type, LightGBM's parameter spellings, scikit-learn's exception classes and
output configuration.

The checks that are expected to fail are listed on each estimator class
(``_expected_failed_checks``, a dict check name -> reason); ``xfail_strict`` makes a listed check
that starts passing fail this suite, so the list cannot go stale.
"""

import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
import sklearn
from sklearn.base import clone
from sklearn.exceptions import NotFittedError as SkNotFittedError
from sklearn.utils.estimator_checks import parametrize_with_checks

import churnlib as cl


def _estimators():
    return [cl.GBDTClassifier(n_estimators=10), cl.RandomForestClassifier(n_estimators=10),
            cl.LogisticRegression(),
            cl.KMeans(n_clusters=3), cl.FeaturePipeline()]


def _expected(estimator):
    return dict(getattr(estimator, "_expected_failed_checks", {}))


@parametrize_with_checks(_estimators(), expected_failed_checks=_expected, xfail_strict=True)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


def test_expected_failures_have_reasons():
    for est in _estimators():
        for name, reason in _expected(est).items():
            assert name.startswith("check_") and len(reason) > 20, (type(est).__name__, name)


# ---- class labels ------------------------------------------------------------------------------

def _data(n=600, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4))
    y = (X[:, 0] + 0.5 * X[:, 1] + rng.normal(scale=0.7, size=n) > 0).astype(np.int64)
    return X, y


LABELS = {
    "int01": lambda y: y,
    "int12": lambda y: y + 1,
    "float": lambda y: y.astype(np.float64) * 2.0 - 1.0,
    "bool": lambda y: y.astype(bool),
    "str_object": lambda y: np.where(y == 1, "Existing Customer", "Attrited Customer")
    .astype(object),
    "str_numpy": lambda y: np.where(y == 1, "yes", "no"),
    "pandas_str": lambda y: pd.Series(np.where(y == 1, "churned", "stayed"), dtype="str"),
    "categorical": lambda y: pd.Series(pd.Categorical(np.where(y == 1, "b", "a"),
                                                      categories=["a", "b", "c"])),
}


def _make(kind):
    if kind == "gbdt":
        return cl.GBDTClassifier(n_estimators=15, num_leaves=7, n_threads=1)
    if kind == "forest":
        return cl.RandomForestClassifier(n_estimators=10, min_samples_leaf=5, n_jobs=1)
    return cl.LogisticRegression(C=0.5)


@pytest.mark.parametrize("kind", ["gbdt", "forest", "lr"])
@pytest.mark.parametrize("label", sorted(LABELS))
def test_any_binary_labels(kind, label, tmp_path):
    X, y01 = _data()
    y = LABELS[label](y01)
    values = np.asarray(y.astype(object) if hasattr(y, "cat") else y)
    expected_classes = np.unique(values[~pd.isna(values)]) if values.dtype == object \
        else np.unique(values)
    model = _make(kind).fit(X, y)
    np.testing.assert_array_equal(model.classes_, expected_classes)
    # the positive class is classes_[1]: the same model as one fitted on its 0/1 indicator
    ref = _make(kind).fit(X, (values == expected_classes[1]).astype(np.int64))
    np.testing.assert_array_equal(model.predict_proba(X), ref.predict_proba(X))
    pred = model.predict(X)
    np.testing.assert_array_equal(pred, expected_classes[ref.predict(X)])
    assert set(np.unique(pred).tolist()) <= set(expected_classes.tolist())
    assert model.score(X, y) == pytest.approx(np.mean(pred == values))
    # round trips keep the labels, their type and the predictions
    path = tmp_path / "m.json"
    model.save(path)
    for other in (type(model).load(path), pickle.loads(pickle.dumps(model)),
                  type(model).from_json(model.to_json()), clone(model).fit(X, y)):
        np.testing.assert_array_equal(other.classes_, model.classes_)
        assert other.classes_.dtype == model.classes_.dtype
        np.testing.assert_array_equal(other.predict(X), pred)


@pytest.mark.parametrize("kind", ["gbdt", "forest", "lr"])
def test_label_errors(kind):
    X, y01 = _data()
    with pytest.raises(ValueError, match="Only binary classification"):
        _make(kind).fit(X, y01 + (np.arange(len(y01)) % 3 == 0))
    with pytest.raises(ValueError, match="single class"):
        _make(kind).fit(X, np.ones(len(y01)))
    with pytest.raises(ValueError, match="Unknown label type"):
        _make(kind).fit(X, np.linspace(0, 1, len(y01)))
    with pytest.raises(ValueError, match="requires y"):
        _make(kind).fit(X, None)
    with pytest.raises(ValueError, match="rows"):
        _make(kind).fit(X, y01[:-1])
    model = _make(kind)
    with pytest.raises(cl.NotFittedError):
        model.predict(X)
    model.fit(X, np.where(y01 == 1, "churn", "stay"))
    assert model.__sklearn_is_fitted__()


def test_labels_in_eval_set_and_calibration():
    X, y01 = _data(900)
    y = np.where(y01 == 1, "churn", "stay").astype(object)
    tr, va = slice(0, 600), slice(600, 900)
    m = cl.GBDTClassifier(n_estimators=40, n_threads=1).fit(
        X[tr], y[tr], eval_set=[(X[va], y[va])], early_stopping_rounds=5)
    ref = cl.GBDTClassifier(n_estimators=40, n_threads=1).fit(
        X[tr], (y[tr] == "stay").astype(int), eval_set=[(X[va], (y[va] == "stay").astype(int))],
        early_stopping_rounds=5)
    assert list(m.classes_) == ["churn", "stay"]
    assert m.evals_result_ == ref.evals_result_ and m.best_iteration_ == ref.best_iteration_
    with pytest.raises(ValueError, match="not one of the classes"):
        cl.GBDTClassifier(n_estimators=3).fit(X[tr], y[tr], eval_set=[(X[va], y01[va])])
    lr = cl.LogisticRegression().fit(X[tr], y[tr]).calibrate(X[va], y[va])
    lr_ref = cl.LogisticRegression().fit(X[tr], (y[tr] == "stay").astype(int)).calibrate(
        X[va], (y[va] == "stay").astype(int))
    np.testing.assert_array_equal(lr.predict_proba(X), lr_ref.predict_proba(X))


def test_text_target_from_csv_fits_as_is(tmp_path):
    X, y01 = _data(400)
    df = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    df["Attrition_Flag"] = np.where(y01 == 1, "Attrited Customer", "Existing Customer")
    path = tmp_path / "bank.csv"
    df.to_csv(path, index=False)
    frame = cl.read_csv(path).to_pandas(copy=True)
    y = frame.pop("Attrition_Flag")
    for model in (cl.GBDTClassifier(n_estimators=10), cl.LogisticRegression()):
        model.fit(frame, y)
        assert list(model.classes_) == ["Attrited Customer", "Existing Customer"]
        assert set(model.predict(frame)) <= {"Attrited Customer", "Existing Customer"}
        assert model.score(frame, y) > 0.7


def test_several_eval_sets_with_names():
    X, y01 = _data(1200, seed=4)
    y = np.where(y01 == 1, "churn", "stay")
    tr, a, b = slice(0, 600), slice(600, 900), slice(900, 1200)
    kw = dict(n_estimators=30, num_leaves=7, n_threads=1, eval_metric="auc")
    m = cl.GBDTClassifier(**kw).fit(X[tr], y[tr], eval_set=[(X[a], y[a]), (X[b], y[b])],
                                    eval_names=["val", "test"], early_stopping_rounds=5)
    ref_a = cl.GBDTClassifier(**kw).fit(X[tr], y[tr], eval_set=[(X[a], y[a])],
                                        early_stopping_rounds=5)
    ref_b = cl.GBDTClassifier(**kw).fit(X[tr], y[tr], eval_set=[(X[b], y[b])])
    assert list(m.evals_result_) == ["val", "test"]
    assert m.evals_result_["val"]["auc"] == ref_a.evals_result_["valid_0"]["auc"]
    assert m.best_iteration_ == ref_a.best_iteration_ == m.n_estimators_
    # the second pair: its metric after each kept tree, as if it had been the evaluation set
    assert m.evals_result_["test"]["auc"] == ref_b.evals_result_["valid_0"]["auc"][:m.n_estimators_]
    from sklearn.metrics import roc_auc_score
    k = m.n_estimators_
    assert m.evals_result_["test"]["auc"][-1] == pytest.approx(
        roc_auc_score(y[b] == "stay", m.predict_proba(X[b])[:, 1]), abs=1e-12)
    assert list(pickle.loads(pickle.dumps(m)).evals_result_) == ["val", "test"]
    assert k >= 1


def test_class_weight_matches_sample_weights():
    X, y01 = _data(500)
    y = np.where(y01 == 1, "churn", "stay")
    n1 = y01.sum()
    n = len(y01)
    w = np.where(y01 == 1, n / (2.0 * n1), n / (2.0 * (n - n1)))
    a = cl.GBDTClassifier(n_estimators=10, class_weight="balanced", n_threads=1).fit(X, y)
    b = cl.GBDTClassifier(n_estimators=10, n_threads=1).fit(X, y, sample_weight=w)
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    c = cl.GBDTClassifier(n_estimators=10, class_weight={"churn": 3.0}, n_threads=1).fit(
        X, y, sample_weight=np.full(n, 2.0))
    d = cl.GBDTClassifier(n_estimators=10, n_threads=1).fit(
        X, y, sample_weight=np.where(y == "churn", 6.0, 2.0))
    np.testing.assert_array_equal(c.predict_proba(X), d.predict_proba(X))
    with pytest.raises(ValueError, match="not one of the classes"):
        cl.GBDTClassifier(class_weight={"gone": 2.0}).fit(X, y)


# ---- LightGBM's spellings ------------------------------------------------------------------------

def test_lightgbm_aliases():
    m = cl.GBDTClassifier(random_state=7, n_jobs=-1, max_bin=63, subsample_for_bin=5000)
    assert (m.seed, m.n_threads, m.max_bins, m.bin_sample_rows) == (7, 0, 63, 5000)
    assert "random_state" not in m.get_params() and m.get_params()["seed"] == 7
    m.set_params(random_state=9, num_iterations=12)
    assert m.seed == 9 and m.n_estimators == 12
    assert clone(m).get_params() == m.get_params()
    with pytest.raises(TypeError, match="both given"):
        cl.GBDTClassifier(seed=1, random_state=2)
    with pytest.raises(TypeError, match="unknown parameter"):
        cl.GBDTClassifier(n_trees=3)
    with pytest.raises(TypeError, match="random_state"):
        cl.GBDTClassifier(random_state=np.random.RandomState(0))
    X, y = _data(300)
    a = cl.GBDTClassifier(n_estimators=8, subsample=0.7, subsample_freq=1, random_state=3).fit(
        X, y)
    b = cl.GBDTClassifier(n_estimators=8, subsample=0.7, subsample_freq=1, seed=3).fit(X, y)
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    assert cl.GBDTClassifier(objective="binary").fit(X, y).n_estimators_ == 100
    with pytest.raises(ValueError, match="objective"):
        cl.GBDTClassifier(objective="regression").fit(X, y)


# ---- scikit-learn's exceptions and warnings ----------------------------------------------------

def test_sklearn_exception_classes():
    X, y = _data(50)
    for est in _estimators():
        with pytest.raises(SkNotFittedError):
            est.transform(X) if not hasattr(est, "predict") else est.predict(X)
    assert issubclass(cl.NotFittedError, SkNotFittedError)
    assert issubclass(cl.NotFittedError, cl.Error)
    assert issubclass(cl.ConvergenceWarning, sklearn.exceptions.ConvergenceWarning)
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        cl.LogisticRegression(max_iter=1, tol=1e-12).fit(X, y)
    assert any(issubclass(w.category, sklearn.exceptions.ConvergenceWarning) for w in rec)


# ---- output configuration ---------------------------------------------------------------------

def _frame():
    return cl.make_customers(300, seed=3).to_pandas(copy=True)


def _pipe(**kw):
    return (cl.FeaturePipeline(**kw).impute(["total_charges"], strategy="median")
            .one_hot(["contract"]).drop(["customer_id", "signup_date", "churned", "plan",
                                         "payment_method"]))


def test_set_output_and_global_config():
    df = _frame()
    X = df[["tenure_months", "monthly_charges"]].to_numpy()
    base = cl.FeaturePipeline().fit(X)
    assert isinstance(base.transform(X), np.ndarray)            # numpy in, numpy out
    assert isinstance(_pipe().fit(df).transform(df), pd.DataFrame)
    with sklearn.config_context(transform_output="pandas"):
        out = base.transform(X)
        assert isinstance(out, pd.DataFrame) and list(out.columns) == ["x0", "x1"]
        km = cl.KMeans(n_clusters=2).fit(X)
        dist = km.transform(X)
        assert isinstance(dist, pd.DataFrame) and list(dist.columns) == ["kmeans0", "kmeans1"]
    p = _pipe().fit(df)
    ref = p.set_output(transform="default").transform(df)
    assert isinstance(ref, np.ndarray)
    got = p.set_output(transform="pandas").transform(df)
    np.testing.assert_array_equal(got[list(p.numeric_feature_names_)].to_numpy(float), ref)
    with pytest.raises(ValueError, match="transform"):
        p.set_output(transform="arrow")


def test_set_output_polars():
    pl = pytest.importorskip("polars")  # a test dependency (scripts/setup.sh installs it)
    df = _frame()
    p = _pipe().set_output(transform="polars").fit(df)
    out = p.transform(df)
    assert isinstance(out, pl.DataFrame)
    ref = p.set_output(transform="pandas").transform(df)
    assert out.columns == list(ref.columns)
    num = list(p.numeric_feature_names_)
    np.testing.assert_array_equal(out.select(num).to_numpy().astype(float),
                                  ref[num].to_numpy(float))
    for name in set(ref.columns) - set(num):
        assert out[name].to_list() == [None if pd.isna(v) else v for v in ref[name]]
    with sklearn.config_context(transform_output="polars"):
        assert isinstance(cl.FeaturePipeline().fit(df[["tenure_months"]]).transform(
            df[["tenure_months"]]), pl.DataFrame)
    # output="auto": polars in, polars out (and the same numbers as pandas in, pandas out)
    pdf = pl.from_pandas(df)
    auto = _pipe().fit(pdf)
    out = auto.transform(pdf)
    assert isinstance(out, pl.DataFrame) and isinstance(auto.fit_transform(pdf), pl.DataFrame)
    np.testing.assert_array_equal(out.select(num).to_numpy().astype(float),
                                  ref[num].to_numpy(float))
    assert isinstance(auto.transform(df), pd.DataFrame)


def test_frames_handed_to_the_user_are_writable():
    df = _frame()
    events = cl.make_events(300, seed=3)
    p = _pipe().fit(df)
    for out in (p.transform(df), p.fit_transform(df),
                cl.EventAggregator(windows=(30,)).transform(events, as_of="2024-07-01")):
        col = out.columns[-1]
        out.loc[out.index[0], col] = 123.0
        assert out[col].iloc[0] == 123.0
    view = p.transform(df, copy=False)  # zero-copy stays available
    with pytest.raises(ValueError, match="read-only"):
        view.loc[0, "tenure_months"] = 1.0


def test_repr_html_and_pipelines():
    from sklearn.model_selection import cross_val_score
    from sklearn.pipeline import make_pipeline

    for est in _estimators():
        html = est._repr_html_()
        assert type(est).__name__ in html
    df = _frame()
    num = df[["tenure_months", "monthly_charges"]]
    report = cl.monitor.Baseline().fit(num).compare(num * 1.5)
    prof = cl.segment.profile_segments(num, np.arange(len(df)) % 3, churned=df["churned"])
    table = cl.Table.from_pandas(df)
    violations = cl.Schema.infer(table).validate(table.drop(["plan"]))
    for obj, needle in ((report, "monthly_charges"), (prof, "churn"), (violations, "plan")):
        html = obj._repr_html_()
        assert "<table" in html and needle in html, html[:500]
    X, y = _data(300)
    scores = cross_val_score(make_pipeline(cl.FeaturePipeline(), cl.LogisticRegression()), X,
                             np.where(y == 1, "churn", "stay"), cv=3)
    assert scores.shape == (3,) and scores.min() > 0.6


def test_metrics_take_pos_label():
    from sklearn import metrics as skm

    X, y01 = _data(800, seed=6)
    y = np.where(y01 == 1, "churned", "stayed")
    p = cl.LogisticRegression().fit(X[:500], y01[:500]).predict_proba(X[500:])[:, 1]
    yt, yt01 = y[500:], y01[500:]
    for name in ("roc_auc", "average_precision", "log_loss", "brier_score", "ks_statistic",
                 "accuracy", "precision", "recall", "f1"):
        f = getattr(cl.metrics, name)
        assert f(yt, p, pos_label="churned") == f(yt01, p), name
    assert cl.metrics.roc_auc(yt, p, pos_label="churned") == pytest.approx(
        skm.roc_auc_score(yt == "churned", p), abs=1e-12)
    np.testing.assert_array_equal(cl.metrics.confusion_matrix(pd.Series(yt), p,
                                                              pos_label="churned"),
                                  cl.metrics.confusion_matrix(yt01, p))
    cat = pd.Series(pd.Categorical(yt))
    assert cl.metrics.roc_auc(cat, p, pos_label="churned") == cl.metrics.roc_auc(yt01, p)
    assert cl.metrics.roc_auc(yt01 == 1, p, pos_label=True) == cl.metrics.roc_auc(yt01, p)
    with pytest.raises(ValueError, match="pos_label"):
        cl.metrics.roc_auc(yt, p)
    with pytest.raises(ValueError, match="not a label"):
        cl.metrics.roc_auc(yt, p, pos_label="gone")
    assert "pos_label" in __import__("inspect").signature(cl.metrics.lift_table).parameters
    # cross-validation fits the model on the labels as they are
    a = cl.metrics.cross_validate(cl.LogisticRegression(), X, y, cv=3, pos_label="stayed",
                                  metrics=("roc_auc", "log_loss"))
    b = cl.metrics.cross_validate(cl.LogisticRegression(), X, 1 - y01, cv=3,
                                  metrics=("roc_auc", "log_loss"))
    np.testing.assert_allclose(a.scores.to_numpy(), b.scores.to_numpy(), rtol=0, atol=1e-12)
    c = cl.metrics.cross_validate(cl.GBDTClassifier(n_estimators=5), X, y, cv=3)
    assert c.scores.shape == (3, 1)
