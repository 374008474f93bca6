"""Values that used to give a silent wrong answer or a needless refusal (issue 19, findings 5, 8
and part of 10): category labels compared by value, damaged model files that loaded, unused
categories, a huge n_estimators with early stopping, a class with zero total weight."""

import json

import numpy as np
import pandas as pd
import pytest

import churnlib as cl
from churnlib import features

# ---- finding 5: numeric category labels match by value ------------------------------------------


@pytest.fixture(scope="module")
def int_categories():
    """A frame whose category column has the integer categories {1, 2, 3} (code 2 churns)."""
    rng = np.random.default_rng(0)
    n = 600
    cat = rng.choice([1, 2, 3], n)
    x = rng.normal(size=n)
    y = ((cat == 2) | (x > 1.5)).astype(int)
    df = pd.DataFrame({"c": pd.Categorical(cat, categories=[1, 2, 3]), "x": x})
    return df, y


def float_batch():
    """The scoring batch whose category column became float (one NaN does it): {1.0, 2.0}."""
    df = pd.DataFrame({"c": pd.Series([1.0, 2.0, np.nan]).astype("category"),
                       "x": [0.0, 0.0, 0.0]})
    assert df["c"].cat.categories.dtype == np.float64
    return df


def int_batch():
    """The same rows with the training's integer categories."""
    return pd.DataFrame({"c": pd.Categorical([1, 2, None], categories=[1, 2, 3]),
                         "x": [0.0, 0.0, 0.0]})


GBDT_ARGS = dict(n_estimators=20, min_child_samples=5, min_data_per_group=5)


def test_gbdt_float_categories_score_as_the_integer_ones(int_categories):
    df, y = int_categories
    model = cl.GBDTClassifier(**GBDT_ARGS).fit(df, y)
    got = model.predict_proba(float_batch())[:, 1]
    want = model.predict_proba(int_batch())[:, 1]
    np.testing.assert_array_equal(got, want)
    assert got[1] > 0.5 > got[0]  # category 2 churns: not scored as missing
    # np.int64 and Python int categories are the same labels too
    obj = pd.DataFrame({"c": pd.Categorical(np.array([1, 2, 3], dtype=np.int64)[[0, 1, 0]]),
                        "x": [0.0, 0.0, 0.0]})
    np.testing.assert_array_equal(model.predict_proba(obj)[:2, 1], want[:2])


def test_gbdt_float_categories_agree_with_lightgbm(int_categories):
    lgb = pytest.importorskip("lightgbm")
    df, y = int_categories
    ours = cl.GBDTClassifier(**GBDT_ARGS).fit(df, y).predict_proba(float_batch())[:, 1]
    ref = lgb.LGBMClassifier(verbose=-1, **GBDT_ARGS).fit(df, y)
    np.testing.assert_allclose(ours, ref.predict_proba(float_batch())[:, 1], atol=1e-6)


def test_gbdt_eval_set_and_table_float_categories(int_categories):
    df, y = int_categories
    model = cl.GBDTClassifier(**GBDT_ARGS).fit(df, y)
    want = model.predict_proba(int_batch())[:, 1]
    table = cl.Table.from_pandas(float_batch())  # category labels "1.0", "2.0"
    np.testing.assert_array_equal(model.predict_proba(table)[:, 1], want)
    # an eval_set is re-coded by the same rule
    ev = df.copy()
    ev["c"] = ev["c"].astype(np.float64).astype("category")
    a = cl.GBDTClassifier(**GBDT_ARGS).fit(df, y, eval_set=(ev, y))
    b = cl.GBDTClassifier(**GBDT_ARGS).fit(df, y, eval_set=(df, y))
    assert a.evals_result_ == b.evals_result_


def test_forest_float_categories_score_as_the_integer_ones(int_categories):
    df, y = int_categories
    model = cl.RandomForestClassifier(n_estimators=20, random_state=0).fit(df, y)
    np.testing.assert_array_equal(model.predict_proba(float_batch()),
                                  model.predict_proba(int_batch()))
    np.testing.assert_array_equal(model.predict_proba(cl.Table.from_pandas(float_batch())),
                                  model.predict_proba(int_batch()))


def test_text_labels_compare_as_text(int_categories):
    df, y = int_categories
    model = cl.GBDTClassifier(**GBDT_ARGS).fit(df, y)
    want = model.predict_proba(int_batch())[:, 1]
    # the text "2" is how the model keeps the label 2; "02" and " 2" are other labels (unseen)
    text = pd.DataFrame({"c": pd.Categorical(["1", "2", "02", " 2"]), "x": [0.0] * 4})
    got = model.predict_proba(text)[:, 1]
    np.testing.assert_array_equal(got[:2], want[:2])
    np.testing.assert_array_equal(got[2:], want[[2, 2]])  # scored as missing


def test_pipeline_one_hot_matches_numeric_labels_by_value(int_categories):
    df, _ = int_categories
    pipe = features.FeaturePipeline().one_hot(["c"]).fit(df)
    got = pipe.transform(float_batch())
    want = pipe.transform(int_batch())
    pd.testing.assert_frame_equal(got.reset_index(drop=True), want.reset_index(drop=True))
    assert got.filter(like="c_").to_numpy().sum() == 2  # rows 1.0 and 2.0 found a column


def test_churn_model_scores_float_categories_as_the_integer_ones():
    rng = np.random.default_rng(1)
    n = 800
    cat = rng.choice([1, 2, 3], n)
    x = rng.normal(size=n)
    y = ((cat == 2) ^ (rng.uniform(size=n) < 0.1)).astype(int)
    df = pd.DataFrame({"c": pd.Categorical(cat, categories=[1, 2, 3]), "x": x, "churned": y})
    model = cl.train_churn_model(df, "churned", candidates=["gbdt"], cv=2, calibration="none")
    batch_int = int_batch()
    batch_float = float_batch()
    want = model.predict_proba(batch_int)[:, 1]
    np.testing.assert_array_equal(model.predict_proba(batch_float)[:, 1], want)
    assert want[1] > want[0]


# ---- finding 8: damaged GBDT / forest / logistic files ------------------------------------------


@pytest.fixture(scope="module")
def text_categories():
    rng = np.random.default_rng(2)
    n = 800
    labels = np.array(["a", "b", "c", "d"])
    k = rng.integers(0, 4, n)
    x = rng.normal(size=n)
    y = ((k >= 2) ^ (rng.uniform(size=n) < 0.1)).astype(int)
    df = pd.DataFrame({"c": pd.Categorical(labels[k], categories=list(labels)), "x": x})
    return df, y


def _with_category_names(text, names):
    doc = json.loads(text)
    doc["state"]["category_names"][0] = names
    return json.dumps(doc)


TREE_MODELS = [
    lambda: cl.GBDTClassifier(n_estimators=10, min_child_samples=5, min_data_per_group=5,
                              max_cat_to_onehot=1),
    lambda: cl.RandomForestClassifier(n_estimators=10, random_state=0),
]


@pytest.mark.parametrize("make", TREE_MODELS, ids=["gbdt", "forest"])
def test_damaged_category_names_are_refused(make, text_categories, tmp_path):
    df, y = text_categories
    model = make().fit(df, y)
    text = model.to_json()
    cls = type(model)
    assert json.loads(text)["state"]["category_names"][0] == ["a", "b", "c", "d"]
    cls.from_json(text)  # the intact file loads
    for names, what in ((["a", "b", "c", "c"], "repeat"), (["a", "b"], "code"),
                        (["a", "b", "b"], "repeat")):
        bad = _with_category_names(text, names)
        with pytest.raises(cl.SerializationError, match=what):
            cls.from_json(bad)
        path = tmp_path / "bad.json"
        path.write_text(bad)
        with pytest.raises(cl.SerializationError, match="category_names"):
            cls.load(path)


@pytest.fixture(scope="module")
def logistic_text():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(200, 3))
    y = (X[:, 0] + rng.normal(size=200) > 0).astype(int)
    return cl.LogisticRegression().fit(X, y).to_json()


def test_logistic_loader_refuses_unknown_state_members(logistic_text):
    cl.LogisticRegression.from_json(logistic_text)
    doc = json.loads(logistic_text)
    doc["state"]["coefficients_v2"] = [1.0]
    with pytest.raises(cl.SerializationError, match="coefficients_v2"):
        cl.LogisticRegression.from_json(json.dumps(doc))


@pytest.mark.parametrize("value", [-5, -1])
def test_logistic_loader_refuses_negative_n_iter(logistic_text, value):
    doc = json.loads(logistic_text)
    doc["state"]["n_iter"] = value
    with pytest.raises(cl.SerializationError, match="n_iter"):
        cl.LogisticRegression.from_json(json.dumps(doc))


# ---- finding 10: unused categories, huge n_estimators, a class of zero weight -------------------


@pytest.fixture(scope="module")
def unused_categories():
    """1000 rows using 40 of 5000 categories (as after filtering a bigger frame)."""
    rng = np.random.default_rng(4)
    n = 1000
    all_labels = [f"store_{k:04d}" for k in range(5000)]
    used = rng.choice(5000, 40, replace=False)
    k = used[rng.integers(0, 40, n)]
    x = rng.normal(size=n)
    y = (((k % 3) == 0) ^ (x > 1.0)).astype(int)
    c = pd.Categorical.from_codes(k, categories=all_labels)
    c[rng.uniform(size=n) < 0.05] = np.nan
    df = pd.DataFrame({"store": c, "x": x})
    return df, y


@pytest.mark.parametrize("make", [
    lambda: cl.GBDTClassifier(n_estimators=20, min_child_samples=5, min_data_per_group=5),
    lambda: cl.RandomForestClassifier(n_estimators=10, random_state=0),
], ids=["gbdt", "forest"])
def test_unused_categories_fit_as_if_removed(make, unused_categories):
    df, y = unused_categories
    trimmed = df.assign(store=df["store"].cat.remove_unused_categories())
    a = make().fit(df, y)
    b = make().fit(trimmed, y)
    assert a.to_json() == b.to_json()
    np.testing.assert_array_equal(a.predict_proba(df), b.predict_proba(trimmed))
    # the same through a churnlib Table (category column with 5000 labels)
    c = make().fit(cl.Table.from_pandas(df), y)
    np.testing.assert_array_equal(c.predict_proba(cl.Table.from_pandas(df)),
                                  b.predict_proba(trimmed))
    # a category unused in training scores as missing (an unseen label)
    other = df.iloc[:3].copy()
    other["store"] = pd.Categorical.from_codes([4999, 4998, -1],
                                               categories=df["store"].cat.categories)
    missing = other.assign(store=pd.Categorical([None] * 3, categories=["x"]))
    unseen_used = set(df["store"].dropna().unique())
    if "store_4999" not in unseen_used and "store_4998" not in unseen_used:
        np.testing.assert_array_equal(a.predict_proba(other), a.predict_proba(missing))


def test_huge_n_estimators_with_early_stopping():
    rng = np.random.default_rng(5)
    X = rng.normal(size=(400, 3))
    y = (X[:, 0] + rng.normal(scale=0.5, size=400) > 0).astype(int)
    Xv = rng.normal(size=(200, 3))
    yv = (Xv[:, 0] + rng.normal(scale=0.5, size=200) > 0).astype(int)
    args = dict(learning_rate=0.3, min_child_samples=5)
    huge = cl.GBDTClassifier(n_estimators=2**31 - 1, **args).fit(
        X, y, eval_set=(Xv, yv), early_stopping_rounds=5)
    ref = cl.GBDTClassifier(n_estimators=2000, **args).fit(
        X, y, eval_set=(Xv, yv), early_stopping_rounds=5)
    assert ref.n_estimators_ < 2000  # early stopping ended the reference too
    assert huge.n_estimators_ == ref.n_estimators_
    assert huge.best_iteration_ == ref.best_iteration_
    np.testing.assert_array_equal(huge.predict_proba(Xv), ref.predict_proba(Xv))


@pytest.fixture(scope="module")
def small():
    rng = np.random.default_rng(6)
    X = rng.normal(size=(200, 3))
    y = (X[:, 0] + rng.normal(scale=0.5, size=200) > 0).astype(int)
    return X, y


ZERO_WEIGHT_MODELS = [
    lambda: cl.GBDTClassifier(n_estimators=5),
    lambda: cl.RandomForestClassifier(n_estimators=5),
    lambda: cl.LogisticRegression(),
]


@pytest.mark.parametrize("make", ZERO_WEIGHT_MODELS, ids=["gbdt", "forest", "logistic"])
@pytest.mark.parametrize("zero_class", [0, 1])
def test_a_class_with_zero_total_weight_is_refused(make, zero_class, small):
    X, y = small
    w = np.where(y == zero_class, 0.0, 1.0)
    with pytest.raises(cl.InvalidArgument, match=r"both classes 0 and 1 \(with positive weight\)"):
        make().fit(X, y, sample_weight=w)
    # the same through class_weight
    est = make().set_params(class_weight={zero_class: 0.0})
    with pytest.raises(cl.InvalidArgument, match=r"both classes"):
        est.fit(X, y)
