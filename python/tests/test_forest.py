"""churnlib.RandomForestClassifier: against scikit-learn's trees and forests on the same data,
the Gini engine, out-of-bag estimates, importances, TreeSHAP, persistence, labels, categories,
parameters and errors."""

import inspect
import pickle

import numpy as np
import pandas as pd
import pytest
from scipy.stats import spearmanr
from sklearn.ensemble import RandomForestClassifier as SkForest
from sklearn.metrics import roc_auc_score
from sklearn.tree import DecisionTreeClassifier

import churnlib as cl
from churnlib.tree import _FOREST_FIT_COMPUTED, _FOREST_RENAMED

TESTDATA = __import__("pathlib").Path(__file__).resolve().parents[2] / "tests" / "testdata"


def _integer_data(n=600, p=5, levels=8, seed=0):
    """Few-level integer features (fewer distinct values than bins: the histogram thresholds
    are scikit-learn's exact midpoints) and a noisy label."""
    rng = np.random.default_rng(seed)
    X = rng.integers(0, levels, size=(n, p)).astype(np.float64)
    z = 0.6 * X[:, 0] - 0.4 * X[:, 1] + np.where(X[:, 2] > 4, 1.5, 0.0) - 1.0
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-z))).astype(np.int64)
    return X, y


def _customers(n, seed):
    """make_customers as one numeric matrix for both libraries: numeric columns (NaN kept) and
    one-hot categorical columns."""
    df = cl.make_customers(n, seed=seed).to_pandas(copy=True)
    y = df.pop("churned").to_numpy().astype(np.int64)
    df = df.drop(columns=["customer_id", "signup_date"])
    cats = [c for c in df.columns if not pd.api.types.is_numeric_dtype(df[c])]
    X = pd.get_dummies(df, columns=cats, dtype=np.float64).to_numpy(dtype=np.float64)
    return np.ascontiguousarray(X), y


def _telco():
    """telco_churn.csv one-hot encoded (TotalCharges blanks -> NaN), and the churn labels."""
    df = pd.read_csv(TESTDATA / "telco_churn.csv")
    y = (df.pop("Churn") == "Yes").to_numpy().astype(np.int64)
    df = df.drop(columns=["customerID"])
    df["TotalCharges"] = pd.to_numeric(df["TotalCharges"], errors="coerce")
    cats = [c for c in df.columns if not pd.api.types.is_numeric_dtype(df[c])]
    X = pd.get_dummies(df, columns=cats, dtype=np.float64).to_numpy(dtype=np.float64)
    return np.ascontiguousarray(X), y


def _split(X, y, seed=0):
    idx = np.random.default_rng(seed).permutation(len(y))
    k = len(y) * 7 // 10
    return X[idx[:k]], y[idx[:k]], X[idx[k:]], y[idx[k:]]


# ---- the engine against scikit-learn ------------------------------------------------------------

@pytest.mark.parametrize("depth", [1, 2, 4])
def test_a_single_tree_equals_sklearns_tree(depth):
    """bootstrap=False, every feature, distinct few-level integers: the same splits as
    scikit-learn's exact tree, so the same probabilities. (Ties between equally good splits
    could be broken differently - scikit-learn visits features in a random order, churnlib
    takes the lowest feature - so the data are continuous enough in their signal that the
    depths tested have no ties.)"""
    X, y = _integer_data()
    ours = cl.RandomForestClassifier(n_estimators=1, bootstrap=False, max_features=None,
                                     max_depth=depth).fit(X, y)
    ref = DecisionTreeClassifier(max_depth=depth, random_state=0).fit(X, y)
    np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X), rtol=0, atol=1e-12)
    forest = SkForest(n_estimators=1, bootstrap=False, max_features=None, max_depth=depth,
                      random_state=0).fit(X, y)
    np.testing.assert_allclose(ours.predict_proba(X), forest.predict_proba(X), rtol=0,
                               atol=1e-12)
    # the same impurity-based importances (the sum of Gini decreases by feature, normalised)
    np.testing.assert_allclose(ours.feature_importances_, ref.feature_importances_, atol=1e-9)


def test_min_samples_leaf_and_max_leaf_nodes_as_sklearn():
    X, y = _integer_data(800, seed=3)
    kw = dict(bootstrap=False, max_features=None, min_samples_leaf=25, max_depth=3)
    ours = cl.RandomForestClassifier(n_estimators=1, **kw).fit(X, y)
    ref = SkForest(n_estimators=1, random_state=0, **kw).fit(X, y)
    np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X), atol=1e-12)
    ours = cl.RandomForestClassifier(n_estimators=1, bootstrap=False, max_features=None,
                                     max_leaf_nodes=6).fit(X, y)
    ref = DecisionTreeClassifier(max_leaf_nodes=6, random_state=0).fit(X, y)
    np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X), atol=1e-12)
    assert ours._core.tree_n_leaves == [6]


@pytest.mark.parametrize("data", ["customers", "telco"])
def test_auc_matches_sklearns_forest(data):
    """Full forests (same n_estimators, max_depth, max_features; one-hot categories for both)
    on held-out rows: churnlib's AUC is no more than 0.002 below scikit-learn's. Each side's
    AUC is the mean over two seeds, so the comparison is not one draw against another."""
    X, y = _customers(12000, seed=5) if data == "customers" else _telco()
    Xtr, ytr, Xte, yte = _split(X, y)
    kw = dict(n_estimators=150, max_depth=None, max_features="sqrt", min_samples_leaf=3)
    ours = np.mean([roc_auc_score(yte, cl.RandomForestClassifier(random_state=s, **kw)
                                  .fit(Xtr, ytr).predict_proba(Xte)[:, 1]) for s in (0, 1)])
    ref = np.mean([roc_auc_score(yte, SkForest(random_state=s, n_jobs=2, **kw)
                                 .fit(Xtr, ytr).predict_proba(Xte)[:, 1]) for s in (0, 1)])
    assert ours >= ref - 0.002, (ours, ref)


def test_oob_and_importances_agree_with_sklearn():
    X, y = _customers(6000, seed=2)
    kw = dict(n_estimators=120, max_features="sqrt", min_samples_leaf=2, oob_score=True)
    ours = cl.RandomForestClassifier(**kw).fit(X, y)
    ref = SkForest(random_state=0, n_jobs=2, **kw).fit(X, y)
    assert abs(ours.oob_score_ - ref.oob_score_) < 0.01
    assert ours.oob_decision_function_.shape == (len(y), 2)
    np.testing.assert_allclose(ours.oob_decision_function_.sum(axis=1), 1.0)
    auc_oob = roc_auc_score(y, ours.oob_decision_function_[:, 1])
    assert abs(auc_oob - roc_auc_score(y, ref.oob_decision_function_[:, 1])) < 0.01
    imp = ours.feature_importances_
    assert imp.sum() == pytest.approx(1.0) and (imp >= 0).all()
    rho = spearmanr(imp, ref.feature_importances_).statistic
    assert rho > 0.8, rho


# ---- properties ------------------------------------------------------------------------------

def test_thread_count_does_not_change_the_model():
    X, y = _customers(3000, seed=7)
    probs = [cl.RandomForestClassifier(n_estimators=16, n_jobs=k, oob_score=True).fit(X, y)
             for k in (1, 2, 4)]
    for m in probs[1:]:
        np.testing.assert_array_equal(m.predict_proba(X), probs[0].predict_proba(X))
        np.testing.assert_array_equal(m.oob_decision_function_, probs[0].oob_decision_function_)
        assert m.to_json() == probs[0].to_json().replace('"n_threads":1', f'"n_threads":{m.n_jobs}')
    other = cl.RandomForestClassifier(n_estimators=16, random_state=3).fit(X, y)
    assert not np.array_equal(other.predict_proba(X), probs[0].predict_proba(X))


def test_shap_rows_sum_to_the_probability():
    X, y = _integer_data(500, seed=4)
    m = cl.RandomForestClassifier(n_estimators=20, random_state=1).fit(X, y)
    phi = m.predict_contrib(X[:80])
    assert phi.shape == (80, X.shape[1] + 1)
    np.testing.assert_allclose(phi.sum(axis=1), m.predict_proba(X[:80])[:, 1], atol=1e-10)


def test_class_weight_and_sample_weight():
    X, y01 = _integer_data(700, seed=5)
    y = np.where(y01 == 1, "churn", "stay")
    n, n1 = len(y), (y == "stay").sum()
    w = np.where(y == "stay", n / (2.0 * n1), n / (2.0 * (n - n1)))
    a = cl.RandomForestClassifier(n_estimators=10, class_weight="balanced").fit(X, y)
    b = cl.RandomForestClassifier(n_estimators=10).fit(X, y, sample_weight=w)
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    c = cl.RandomForestClassifier(n_estimators=10, class_weight={"churn": 3.0}).fit(X, y)
    d = cl.RandomForestClassifier(n_estimators=10).fit(
        X, y, sample_weight=np.where(y == "churn", 3.0, 1.0))
    np.testing.assert_array_equal(c.predict_proba(X), d.predict_proba(X))
    e = cl.RandomForestClassifier(n_estimators=10, class_weight="balanced_subsample").fit(X, y)
    assert not np.array_equal(e.predict_proba(X), a.predict_proba(X))
    back = pickle.loads(pickle.dumps(c))
    assert back.class_weight == {"churn": 3.0}
    with pytest.raises(ValueError, match="not one of the classes"):
        cl.RandomForestClassifier(class_weight={"gone": 2.0}).fit(X, y)


def test_persistence_round_trips_are_bit_identical(tmp_path):
    X, y01 = _integer_data(400, seed=6)
    y = np.where(y01 == 1, "yes", "no")
    m = cl.RandomForestClassifier(n_estimators=12, oob_score=True, max_features=0.5,
                                  max_samples=0.8, random_state=4).fit(X, y)
    path = tmp_path / "forest.json"
    m.save(path)
    for other in (cl.RandomForestClassifier.load(path), pickle.loads(pickle.dumps(m)),
                  cl.RandomForestClassifier.from_json(m.to_json())):
        np.testing.assert_array_equal(other.predict_proba(X), m.predict_proba(X))
        np.testing.assert_array_equal(other.predict(X), m.predict(X))
        assert list(other.classes_) == ["no", "yes"]
        assert other.oob_score_ == m.oob_score_
        params = {**other.get_params(), "categorical_features": "auto"}  # loads list them
        assert params == {**m.get_params(), "n_jobs": None}
    assert '"model_type":"RandomForestClassifier"' in m.to_json().replace(" ", "") or \
        '"kind":"RandomForestClassifier"' in m.to_json().replace(" ", "")
    with pytest.raises(cl.SerializationError):
        cl.RandomForestClassifier.from_json(m.to_json()[:-40])
    with pytest.raises(cl.SerializationError):
        cl.RandomForestClassifier.from_json(cl.GBDTClassifier(n_estimators=2).fit(X, y).to_json())


def test_pandas_categories_and_tables():
    df = cl.make_customers(3000, seed=8).to_pandas(copy=True)
    y = df.pop("churned")
    df = df.drop(columns=["customer_id", "signup_date"])
    for c in df.columns:
        if df[c].dtype == object or str(df[c].dtype) in ("str", "string"):
            df[c] = df[c].astype("category")
    m = cl.RandomForestClassifier(n_estimators=20, random_state=0).fit(df, y)
    cats = [j for j, c in enumerate(df.columns) if isinstance(df[c].dtype, pd.CategoricalDtype)]
    assert list(m.categorical_features_) == cats and cats
    assert list(m.feature_names_in_) == list(df.columns)
    # a frame whose categories are listed in another order scores the same
    shuffled = df.copy()
    c0 = df.columns[cats[0]]
    shuffled[c0] = shuffled[c0].cat.reorder_categories(list(df[c0].cat.categories)[::-1])
    np.testing.assert_array_equal(m.predict_proba(shuffled), m.predict_proba(df))
    table = cl.Table.from_pandas(df)
    np.testing.assert_array_equal(m.predict_proba(table), m.predict_proba(df))
    assert roc_auc_score(y, m.predict_proba(df)[:, 1]) > 0.9


def test_defaults_are_the_cpp_defaults():
    cpp = cl._core._ForestParams.defaults()
    sig = inspect.signature(cl.RandomForestClassifier.__init__).parameters
    for name, value in cpp.items():
        if name in _FOREST_FIT_COMPUTED:
            continue
        if name in _FOREST_RENAMED:  # None means the C++ default (all cores, seed 0)
            assert sig[_FOREST_RENAMED[name]].default is None and value == 0, name
            continue
        assert name in sig, f"C++ parameter {name} is missing from RandomForestClassifier()"
        assert sig[name].default == value and type(sig[name].default) is type(value), \
            (name, sig[name].default, value)
    assert sig["class_weight"].default is None and cpp["class_weight"] is None
    assert sig["categorical_features"].default == "auto"
    sk = inspect.signature(SkForest.__init__).parameters
    for name in ("n_estimators", "criterion", "max_depth", "min_samples_split",
                 "min_samples_leaf", "max_features", "max_leaf_nodes", "min_impurity_decrease",
                 "bootstrap", "oob_score", "n_jobs", "random_state", "max_samples",
                 "class_weight"):
        assert sig[name].default == sk[name].default, name


def test_errors():
    X, y = _integer_data(200)
    with pytest.raises(ValueError, match="not supported"):
        cl.RandomForestClassifier(criterion="entropy").fit(X, y)
    with pytest.raises(ValueError, match="not supported"):
        cl.RandomForestClassifier(criterion="log_loss").fit(X, y)
    with pytest.raises(TypeError):
        cl.RandomForestClassifier(n_trees=3)
    with pytest.raises(ValueError, match="max_features = 9"):
        cl.RandomForestClassifier(max_features=9).fit(X, y)
    with pytest.raises(ValueError, match="max_features"):
        cl.RandomForestClassifier(max_features=1.5).fit(X, y)
    with pytest.raises(ValueError, match="max_features"):
        cl.RandomForestClassifier(max_features="most").fit(X, y)
    with pytest.raises(ValueError, match="max_depth"):
        cl.RandomForestClassifier(max_depth=0).fit(X, y)
    with pytest.raises(ValueError, match="oob_score"):
        cl.RandomForestClassifier(bootstrap=False, oob_score=True).fit(X, y)
    with pytest.raises(TypeError, match="random_state"):
        cl.RandomForestClassifier(random_state=np.random.RandomState(0)).fit(X, y)
    bad = y.astype(float)
    bad[3] = np.nan
    with pytest.raises(ValueError):
        cl.RandomForestClassifier(n_estimators=2).fit(X, bad)
    with pytest.raises(ValueError, match="rows"):
        cl.RandomForestClassifier(n_estimators=2).fit(X, y[:-1])
    with pytest.raises(ValueError):
        cl.RandomForestClassifier(n_estimators=2).fit(np.empty((0, 3)), [])
    m = cl.RandomForestClassifier(n_estimators=2)
    with pytest.raises(cl.NotFittedError):
        m.predict_proba(X)
    m.fit(X, y)
    with pytest.raises(ValueError, match="features"):
        m.predict_proba(X[:, :3])
    with pytest.raises(AttributeError):
        m.oob_score_  # noqa: B018 - fitted without oob_score


def test_text_labels_and_interrupt_safe_refit():
    X, y01 = _integer_data(300, seed=9)
    y = np.where(y01 == 1, "Attrited", "Existing").astype(object)
    m = cl.RandomForestClassifier(n_estimators=8).fit(X, y)
    assert list(m.classes_) == ["Attrited", "Existing"]
    ref = cl.RandomForestClassifier(n_estimators=8).fit(X, (y == "Existing").astype(int))
    np.testing.assert_array_equal(m.predict_proba(X), ref.predict_proba(X))
    assert set(m.predict(X)) <= {"Attrited", "Existing"}
    assert m.score(X, y) > 0.7
