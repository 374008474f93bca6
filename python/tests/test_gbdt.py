"""churnlib.GBDTClassifier: the scikit-learn protocol, agreement with LightGBM (generated churn
data and the Telco CSV), categorical inputs (pandas categories, churnlib Tables, integer codes),
early stopping, TreeSHAP, determinism across thread counts, monotone constraints, persistence
and errors."""

import doctest
import json
import pathlib
import pickle
import threading
import warnings

import numpy as np
import pandas as pd
import pytest

import churnlib as cl

sklearn = pytest.importorskip("sklearn")
from sklearn.base import clone  # noqa: E402
from sklearn.metrics import log_loss, roc_auc_score  # noqa: E402
from sklearn.model_selection import cross_val_score, train_test_split  # noqa: E402

PARAM_NAMES = {
    "n_estimators", "learning_rate", "num_leaves", "max_depth", "min_child_samples",
    "min_child_weight", "min_split_gain", "reg_lambda", "reg_alpha", "subsample",
    "subsample_freq", "colsample_bytree", "max_bins", "bin_sample_rows", "scale_pos_weight",
    "boost_from_average", "monotone_constraints", "categorical_features", "cat_smooth", "cat_l2",
    "max_cat_threshold", "min_data_per_group", "max_cat_to_onehot", "importance_type",
    "eval_metric", "class_weight", "objective", "verbose", "n_threads", "seed"}

CATEGORIES = {
    "contract": ["Month-to-month", "One year", "Two year"],
    "payment": ["Electronic check", "Mailed check", "Bank transfer", "Credit card"],
    "region": [f"R{k:02d}" for k in range(12)],
    "plan": [f"P{k:02d}" for k in range(40)],
}


def churn_frame(n, seed=0):
    """Churn-like data: numeric columns with missing values, four categorical columns (3 to 40
    categories, one with missing values), and a label from a non-linear log-odds."""
    rng = np.random.default_rng(seed)
    tenure = np.minimum(rng.exponential(24, n), 72.0).round()
    monthly = np.clip(rng.normal(70, 25, n), 18, 120).round(2)
    tickets = rng.poisson(1.2, n).astype(np.float64)
    sessions = rng.gamma(2.0, 3.0, n)
    discount = rng.choice([0.0, 5.0, 10.0, 20.0], n)
    idx = {k: rng.integers(0, len(v), n) for k, v in CATEGORIES.items()}
    effect = {k: rng.normal(0, s, len(v)) for (k, v), s in
              zip(CATEGORIES.items(), (0.0, 0.4, 0.3, 0.6))}
    effect["contract"] = np.array([0.9, -0.3, -1.2])
    logit = (-1.2 - 0.04 * tenure + 0.015 * (monthly - 70) + 0.35 * tickets
             - 0.08 * sessions + 0.6 * (tenure < 6) * (idx["contract"] == 0)
             - 0.02 * discount + sum(effect[k][idx[k]] for k in CATEGORIES))
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(np.int64)
    sessions[rng.random(n) < 0.1] = np.nan
    monthly[rng.random(n) < 0.03] = np.nan
    region_codes = np.where(rng.random(n) < 0.05, -1, idx["region"])
    df = pd.DataFrame({
        "tenure": tenure,
        "monthly_charges": monthly,
        "contract": pd.Categorical.from_codes(idx["contract"], CATEGORIES["contract"]),
        "support_tickets": tickets,
        "payment": pd.Categorical.from_codes(idx["payment"], CATEGORIES["payment"]),
        "sessions_per_week": sessions,
        "region": pd.Categorical.from_codes(region_codes, CATEGORIES["region"]),
        "discount_pct": discount,
        "plan": pd.Categorical.from_codes(idx["plan"], CATEGORIES["plan"]),
    })
    return df, y


def numeric_data(n=2000, p=5, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p))
    logit = 2.0 * X[:, 0] - 1.5 * X[:, 1] ** 2 + X[:, 2] * X[:, 3] + 1.0
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(np.int64)
    return X, y


def telco_frame(path):
    df = pd.read_csv(path)
    df["TotalCharges"] = pd.to_numeric(df["TotalCharges"].str.strip(), errors="coerce")
    y = (df.pop("Churn") == "Yes").astype(np.int64).to_numpy()
    df = df.drop(columns=["customerID"])
    for col in df.columns:
        if not pd.api.types.is_numeric_dtype(df[col]):
            df[col] = df[col].astype("category")
    return df, y


def auc_vs_lightgbm(X, y, **params):
    lgb = pytest.importorskip("lightgbm")
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.3, stratify=y, random_state=0)
    ours = cl.GBDTClassifier(**params).fit(X_tr, y_tr)
    ref = lgb.LGBMClassifier(**{("max_bin" if k == "max_bins" else k): v
                                for k, v in params.items()},
                             verbose=-1, n_jobs=2).fit(X_tr, y_tr)
    a = roc_auc_score(y_te, ours.predict_proba(X_te)[:, 1])
    b = roc_auc_score(y_te, ref.predict_proba(X_te)[:, 1])
    return a, b


# ---- agreement with LightGBM -----------------------------------------------------------------


def test_agrees_with_lightgbm_on_generated_churn_data():
    df, y = churn_frame(30000, seed=1)
    ours, ref = auc_vs_lightgbm(df, y, n_estimators=150, learning_rate=0.05, num_leaves=31,
                                min_child_samples=20, max_bins=255)
    print(f"generated churn data: ROC-AUC churnlib {ours:.5f}, LightGBM {ref:.5f}")
    assert ours > 0.7
    assert abs(ours - ref) < 0.003


def test_agrees_with_lightgbm_on_telco(telco_path):
    df, y = telco_frame(telco_path)
    assert df["TotalCharges"].isna().sum() == 11
    ours, ref = auc_vs_lightgbm(df, y, n_estimators=100, learning_rate=0.05, num_leaves=31,
                                min_child_samples=20, max_bins=255)
    print(f"telco: ROC-AUC churnlib {ours:.5f}, LightGBM {ref:.5f}")
    assert ours > 0.8
    assert abs(ours - ref) < 0.003


# ---- scikit-learn protocol -------------------------------------------------------------------


def test_sklearn_protocol_clone_cross_val_score():
    X, y = numeric_data(1500, seed=2)
    est = cl.GBDTClassifier(n_estimators=30, num_leaves=15)
    params = est.get_params()
    assert set(params) == PARAM_NAMES
    assert params["n_estimators"] == 30 and params["categorical_features"] == "auto"
    c = clone(est)
    assert c is not est and c.get_params() == params
    assert est.set_params(learning_rate=0.2, max_depth=4) is est
    assert est.learning_rate == 0.2 and est.max_depth == 4
    scores = cross_val_score(cl.GBDTClassifier(n_estimators=30), X, y, cv=3, scoring="roc_auc")
    assert scores.shape == (3,) and scores.min() > 0.7
    # A fitted model clones unfitted.
    fitted = cl.GBDTClassifier(n_estimators=5).fit(X, y)
    assert not hasattr(clone(fitted), "n_features_in_")
    assert "n_estimators=5" in repr(fitted) and "learning_rate" not in repr(fitted)


def test_unknown_keyword_is_a_type_error():
    with pytest.raises(TypeError):
        cl.GBDTClassifier(n_trees=10)
    with pytest.raises(TypeError):
        cl.GBDTClassifier(100)  # keyword-only
    with pytest.raises(TypeError, match="unknown parameter 'max_bin_count'"):
        cl.GBDTClassifier().set_params(max_bin_count=63)


def test_fitted_attributes_and_predictions():
    X, y = numeric_data(3000, seed=3)
    m = cl.GBDTClassifier(n_estimators=40, num_leaves=7, max_depth=3)
    assert not hasattr(m, "feature_importances_")
    assert m.fit(X, y) is m
    assert list(m.classes_) == [0, 1] and m.n_features_in_ == 5
    assert not hasattr(m, "feature_names_in_")
    assert m.n_estimators_ == 40 and m.best_iteration_ == 0 and m.evals_result_ == {}
    assert len(m.categorical_features_) == 0
    assert m.init_score_ == pytest.approx(np.log(y.mean() / (1 - y.mean())), rel=1e-12)
    proba = m.predict_proba(X)
    raw = m.predict_raw(X)
    assert proba.shape == (3000, 2)
    np.testing.assert_allclose(proba.sum(1), 1.0)
    np.testing.assert_allclose(proba[:, 1], 1 / (1 + np.exp(-raw)), rtol=1e-12)
    np.testing.assert_array_equal(m.decision_function(X), raw)
    np.testing.assert_array_equal(m.predict(X), (proba[:, 1] > 0.5).astype(np.int64))
    assert 0.6 < m.score(X, y) <= 1.0
    # Every tree obeys num_leaves and max_depth.
    assert max(m._core.tree_n_leaves) <= 7 and max(m._core.tree_max_depth) <= 3
    leaves = m.predict_leaf(X)
    assert leaves.shape == (3000, 40)
    assert leaves.min() >= 0 and (leaves.max(0) < np.array(m._core.tree_n_leaves)).all()
    split = m.feature_importances_
    assert split.dtype == np.int64 and split.shape == (5,)
    assert split.sum() == sum(n - 1 for n in m._core.tree_n_leaves)
    assert split[4] < split[:2].min()  # feature 4 is noise
    m.set_params(importance_type="gain")
    gain = m.feature_importances_
    assert gain.dtype == np.float64 and (gain >= 0).all() and gain.argmax() in (0, 1)


def test_predict_contrib_sums_to_raw_score():
    df, y = churn_frame(4000, seed=4)
    m = cl.GBDTClassifier(n_estimators=60).fit(df, y)
    phi = m.predict_contrib(df)
    assert phi.shape == (4000, df.shape[1] + 1)
    np.testing.assert_allclose(phi.sum(1), m.predict_raw(df), rtol=0, atol=1e-9)
    # The bias column is the same for every row, and unused features contribute nothing.
    assert np.ptp(phi[:, -1]) < 1e-12
    unused = np.flatnonzero(m.feature_importances_ == 0)
    assert np.all(phi[:, unused] == 0)


def test_dataframe_feature_names_and_column_check():
    df, y = churn_frame(2000, seed=5)
    m = cl.GBDTClassifier(n_estimators=10).fit(df, y.astype(bool))
    assert list(m.feature_names_in_) == list(df.columns)
    assert list(m.categorical_features_) == [2, 4, 6, 8]
    with pytest.raises(cl.InvalidArgument, match="feature names should match"):
        m.predict(df[list(df.columns[::-1])])


# ---- categorical inputs ------------------------------------------------------------------------


def test_category_order_and_unseen_labels():
    df, y = churn_frame(5000, seed=6)
    m = cl.GBDTClassifier(n_estimators=50, max_cat_to_onehot=2).fit(df, y)
    expected = m.predict_raw(df)
    # Same labels per row, categories listed in another order, plus unseen categories.
    other = df.copy()
    for col in CATEGORIES:
        cats = list(other[col].cat.categories)[::-1] + ["never-seen"]
        other[col] = other[col].cat.set_categories(cats)
        assert not np.array_equal(other[col].cat.codes, df[col].cat.codes)
    np.testing.assert_array_equal(m.predict_raw(other), expected)
    # Labels unseen in training go the missing way: the same as NaN in that column.
    rows = np.arange(0, 5000, 7)
    unseen = other.copy()
    unseen.loc[rows, "plan"] = "never-seen"
    unseen.loc[rows[::2], "contract"] = "never-seen"
    missing = df.copy()
    missing.loc[rows, "plan"] = np.nan
    missing.loc[rows[::2], "contract"] = np.nan
    got = m.predict_raw(unseen)
    np.testing.assert_array_equal(got, m.predict_raw(missing))
    assert not np.array_equal(got, expected)
    # A frame holding a subset of the categories (e.g. one row) still maps by label.
    one = df.iloc[[17]].copy()
    for col in CATEGORIES:
        one[col] = one[col].cat.remove_unused_categories()
    np.testing.assert_array_equal(m.predict_raw(one), expected[[17]])


def test_integer_codes_and_categories_give_the_same_model():
    df, y = churn_frame(4000, seed=7)
    codes = df.copy()
    for col in CATEGORIES:
        codes[col] = df[col].cat.codes.replace(-1, np.nan).astype(np.float64)
    cat_cols = list(CATEGORIES)
    a = cl.GBDTClassifier(n_estimators=30).fit(df, y)
    b = cl.GBDTClassifier(n_estimators=30, categorical_features=cat_cols).fit(codes, y)
    mask = [c in CATEGORIES for c in df.columns]
    c = cl.GBDTClassifier(n_estimators=30, categorical_features=mask).fit(codes.to_numpy(), y)
    idx = [j for j, c_ in enumerate(df.columns) if c_ in CATEGORIES]
    d = cl.GBDTClassifier(n_estimators=30, categorical_features=idx).fit(codes.to_numpy(), y)
    expected = a.predict_raw(df)
    np.testing.assert_array_equal(b.predict_raw(codes), expected)
    np.testing.assert_array_equal(c.predict_raw(codes.to_numpy()), expected)
    np.testing.assert_array_equal(d.predict_raw(codes.to_numpy()), expected)
    assert list(d.categorical_features_) == idx
    # A model fitted on categories also scores the training codes given as a numpy array.
    np.testing.assert_array_equal(a.predict_raw(codes.to_numpy()), expected)
    # Treated as numerical (categorical_features=None), the same data gives another model.
    e = cl.GBDTClassifier(n_estimators=30, categorical_features=None).fit(df, y)
    assert len(e.categorical_features_) == 0
    assert not np.array_equal(e.predict_raw(df), expected)


def test_table_input_matches_dataframe():
    t = cl.make_customers(4000, seed=8)
    t = t.drop(["customer_id", "signup_date"])
    y = np.asarray(t["churned"])
    t = t.drop(["churned"])
    df = t.to_pandas()
    a = cl.GBDTClassifier(n_estimators=30).fit(t, y)
    b = cl.GBDTClassifier(n_estimators=30).fit(df, y)
    assert list(a.categorical_features_) == [j for j, n in enumerate(t.column_names)
                                             if t.dtypes[n] == "category"]
    assert len(a.categorical_features_) > 0
    np.testing.assert_array_equal(a.predict_raw(t), b.predict_raw(df))
    np.testing.assert_array_equal(a.predict_raw(df), b.predict_raw(t))
    assert list(a.feature_names_in_) == list(t.column_names)
    # A Table whose categories come in another order maps by label.
    col = next(n for n in t.column_names if t.dtypes[n] == "category")
    shuffled = df.copy()
    shuffled[col] = shuffled[col].cat.reorder_categories(
        list(shuffled[col].cat.categories)[::-1])
    np.testing.assert_array_equal(a.predict_raw(cl.Table(shuffled)), a.predict_raw(t))


def test_text_columns_are_rejected_with_a_hint():
    df, y = churn_frame(500, seed=9)
    df["contract"] = df["contract"].astype(str)
    with pytest.raises(cl.TypeMismatch, match="astype\\('category'\\)"):
        cl.GBDTClassifier(n_estimators=5).fit(df, y)
    good, _ = churn_frame(500, seed=9)
    m = cl.GBDTClassifier(n_estimators=5).fit(good, y)
    with pytest.raises(cl.TypeMismatch, match="contract"):
        m.predict(df)
    with pytest.raises(cl.TypeMismatch, match="'category' dtype in fit"):
        m.predict(good.assign(contract=good["contract"].cat.codes))


# ---- early stopping --------------------------------------------------------------------------


@pytest.mark.parametrize("metric", ["binary_logloss", "auc"])
def test_early_stopping_keeps_the_best_iteration(metric):
    df, y = churn_frame(6000, seed=10)
    X_tr, X_val, y_tr, y_val = train_test_split(df, y, test_size=0.3, random_state=1,
                                                stratify=y)
    m = cl.GBDTClassifier(n_estimators=400, learning_rate=0.3, eval_metric=metric)
    m.fit(X_tr, y_tr, eval_set=[(X_val, y_val)], early_stopping_rounds=10)
    history = m.evals_result_["valid_0"][metric]
    best = m.best_iteration_
    assert 1 <= best < 400 and m.n_estimators_ == best
    assert len(history) == best + 10  # stopped after 10 rounds without improvement
    pick = np.argmin if metric == "binary_logloss" else np.argmax
    assert pick(history) == best - 1
    # The kept model is the best round's: its metric on the evaluation set is the recorded one,
    # and it equals a model trained for best_iteration_ rounds without an evaluation set.
    p_val = m.predict_proba(X_val)[:, 1]
    value = log_loss(y_val, p_val) if metric == "binary_logloss" else roc_auc_score(y_val, p_val)
    assert history[best - 1] == pytest.approx(value, rel=1e-9)
    plain = cl.GBDTClassifier(n_estimators=best, learning_rate=0.3).fit(X_tr, y_tr)
    np.testing.assert_array_equal(plain.predict_raw(X_val), m.predict_raw(X_val))
    # Without early stopping every round is recorded and every tree kept.
    full = cl.GBDTClassifier(n_estimators=30, eval_metric=metric).fit(
        X_tr, y_tr, eval_set=(X_val, y_val))
    assert full.n_estimators_ == 30 and len(full.evals_result_["valid_0"][metric]) == 30


def test_eval_set_categories_are_recoded_to_the_training_ones():
    df, y = churn_frame(3000, seed=11)
    val, y_val = churn_frame(1000, seed=12)
    m = cl.GBDTClassifier(n_estimators=20).fit(df, y, eval_set=[(val, y_val)])
    shuffled = val.copy()
    for col in CATEGORIES:
        shuffled[col] = shuffled[col].cat.reorder_categories(
            list(shuffled[col].cat.categories)[::-1])
    m2 = cl.GBDTClassifier(n_estimators=20).fit(df, y, eval_set=[(shuffled, y_val)])
    assert m.evals_result_ == m2.evals_result_
    w = np.random.default_rng(0).uniform(0.5, 2.0, 1000)
    m3 = cl.GBDTClassifier(n_estimators=20).fit(df, y, eval_set=[(val, y_val)],
                                                eval_sample_weight=[w])
    history = m3.evals_result_["valid_0"]["binary_logloss"]
    assert history[-1] == pytest.approx(
        log_loss(y_val, m3.predict_proba(val)[:, 1], sample_weight=w), rel=1e-9)


# ---- weights, determinism, monotonicity ------------------------------------------------------


def test_scale_pos_weight_equals_weighting_the_positives():
    X, y = numeric_data(3000, seed=13)
    a = cl.GBDTClassifier(n_estimators=30, scale_pos_weight=3.0).fit(X, y)
    b = cl.GBDTClassifier(n_estimators=30).fit(X, y, sample_weight=np.where(y == 1, 3.0, 1.0))
    np.testing.assert_allclose(a.predict_raw(X), b.predict_raw(X), rtol=1e-12, atol=1e-12)
    c = cl.GBDTClassifier(n_estimators=30).fit(X, y)
    assert c.predict_proba(X)[:, 1].mean() < a.predict_proba(X)[:, 1].mean()


def test_results_do_not_depend_on_the_thread_count(tmp_path):
    df, y = churn_frame(20000, seed=14)
    params = dict(n_estimators=40, subsample=0.8, subsample_freq=1, colsample_bytree=0.7,
                  seed=5)
    one = cl.GBDTClassifier(n_threads=1, **params).fit(df, y)
    two = cl.GBDTClassifier(n_threads=2, **params).fit(df, y)
    np.testing.assert_array_equal(one.predict_raw(df), two.predict_raw(df))
    np.testing.assert_array_equal(one.predict_contrib(df[:500]), two.predict_contrib(df[:500]))
    one.save(tmp_path / "one.json")
    two.save(tmp_path / "two.json")
    docs = [json.loads((tmp_path / f"{k}.json").read_text()) for k in ("one", "two")]
    assert docs[0]["params"].pop("n_threads") == 1 and docs[1]["params"].pop("n_threads") == 2
    assert docs[0] == docs[1]
    # Another seed draws other bags.
    other = cl.GBDTClassifier(n_threads=2, **dict(params, seed=6)).fit(df, y)
    assert not np.array_equal(other.predict_raw(df), one.predict_raw(df))


def test_fit_in_python_threads_releases_the_gil_and_agrees():
    df, y = churn_frame(10000, seed=15)
    results = [None, None]

    def run(k):
        results[k] = cl.GBDTClassifier(n_estimators=20, n_threads=1).fit(df, y).predict_raw(df)

    threads = [threading.Thread(target=run, args=(k,)) for k in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    np.testing.assert_array_equal(results[0], results[1])


@pytest.mark.parametrize("direction", [1, -1])
def test_monotone_constraints(direction):
    rng = np.random.default_rng(16)
    n = 5000
    X = rng.normal(size=(n, 4))
    X[rng.random(n) < 0.05, 1] = np.nan
    # The label depends on feature 0 non-monotonically (a bump), so an unconstrained model is
    # not monotone in it.
    logit = direction * (X[:, 0] + 1.5 * np.sin(3 * X[:, 0])) + np.nan_to_num(X[:, 1]) \
        - 0.5 * X[:, 2]
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    grid = np.linspace(-3, 3, 121)
    rows = X[rng.choice(n, 40, replace=False)]

    def sweep(model):
        Z = np.repeat(rows, len(grid), axis=0)
        Z[:, 0] = np.tile(grid, len(rows))
        return model.predict_raw(Z).reshape(len(rows), len(grid))

    free = cl.GBDTClassifier(n_estimators=80).fit(X, y)
    assert (np.diff(sweep(free), axis=1) * direction < -1e-9).any()
    m = cl.GBDTClassifier(n_estimators=80, monotone_constraints=[direction, 0, 0, 0]).fit(X, y)
    assert (np.diff(sweep(m), axis=1) * direction >= -1e-12).all()
    # The dict form on a DataFrame is the same model.
    df = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    d = cl.GBDTClassifier(n_estimators=80, monotone_constraints={"a": direction}).fit(df, y)
    np.testing.assert_array_equal(d.predict_raw(df), m.predict_raw(X))


# ---- persistence -----------------------------------------------------------------------------


def test_pickle_and_save_load_are_bit_identical(tmp_path):
    df, y = churn_frame(4000, seed=17)
    m = cl.GBDTClassifier(n_estimators=40, num_leaves=15, importance_type="gain",
                          monotone_constraints={"tenure": -1}).fit(df, y)
    expected = m.predict_proba(df)
    back = pickle.loads(pickle.dumps(m))
    np.testing.assert_array_equal(back.predict_proba(df), expected)
    np.testing.assert_array_equal(back.predict_contrib(df[:100]), m.predict_contrib(df[:100]))
    assert back.get_params() == m.get_params()
    assert list(back.feature_names_in_) == list(df.columns)
    np.testing.assert_array_equal(back.feature_importances_, m.feature_importances_)
    path = tmp_path / "gbdt.json"
    m.save(path)
    for loaded in (cl.GBDTClassifier.load(path), cl.GBDTClassifier.from_json(m.to_json())):
        np.testing.assert_array_equal(loaded.predict_proba(df), expected)
        assert loaded.to_json() == m.to_json()
        assert loaded.n_estimators == 40 and loaded.num_leaves == 15
        assert loaded.categorical_features == [2, 4, 6, 8]
        assert loaded.monotone_constraints == [-1] + [0] * 8
        # Categories survive: a frame with reordered categories still scores right.
        other = df.copy()
        other["plan"] = other["plan"].cat.reorder_categories(CATEGORIES["plan"][::-1])
        np.testing.assert_array_equal(loaded.predict_proba(other), expected)
    doc = json.loads(path.read_text())
    assert doc["format"] == "churnlib" and doc["kind"] == "GBDTClassifier"
    unfitted = pickle.loads(pickle.dumps(cl.GBDTClassifier(num_leaves=7)))
    assert unfitted.num_leaves == 7 and not hasattr(unfitted, "n_features_in_")
    # Early stopping state survives too.
    es = cl.GBDTClassifier(n_estimators=200, learning_rate=0.5).fit(
        df[:3000], y[:3000], eval_set=[(df[3000:], y[3000:])], early_stopping_rounds=5)
    es_back = pickle.loads(pickle.dumps(es))
    assert es_back.best_iteration_ == es.best_iteration_ < 200
    assert es_back.evals_result_ == es.evals_result_


def test_damaged_files_raise_serialization_error(tmp_path):
    X, y = numeric_data(500, seed=18)
    text = cl.GBDTClassifier(n_estimators=5).fit(X, y).to_json()
    for damaged in (text[: len(text) // 2], text.replace('"GBDTClassifier"', '"Logistic"'), "[]",
                    "", "{}"):
        with pytest.raises(cl.SerializationError):
            cl.GBDTClassifier.from_json(damaged)
    p = tmp_path / "bad.json"
    p.write_text(text[: len(text) - 30])
    with pytest.raises(cl.SerializationError):
        cl.GBDTClassifier.load(p)
    with pytest.raises(cl.IOError):
        cl.GBDTClassifier.load(tmp_path / "missing.json")


# ---- errors ----------------------------------------------------------------------------------


def test_errors_have_exact_types():
    X, y = numeric_data(400, seed=19)
    m = cl.GBDTClassifier(n_estimators=5)
    for call in (lambda: m.predict_proba(X), lambda: m.predict_contrib(X),
                 lambda: m.save("never.json"), lambda: m.to_json()):
        with pytest.raises(cl.NotFittedError):
            call()
    bad = y.astype(np.float64)
    bad[3] = np.nan
    with pytest.raises(cl.InvalidArgument):
        m.fit(X, bad)
    bad[3] = np.inf
    with pytest.raises(cl.InvalidArgument):
        m.fit(X, bad)
    with pytest.raises(cl.InvalidArgument, match="Only binary"):
        m.fit(X, np.where(y == 1, 2, np.arange(len(y)) % 2))  # three classes
    with pytest.raises(cl.InvalidArgument):
        m.fit(X, y[:-1])
    with pytest.raises(cl.InvalidArgument):
        m.fit(X, y, sample_weight=-np.ones(len(y)))
    with pytest.raises(ValueError, match="label"):
        m.fit(X, np.array([1, "no"] * 200, dtype=object))  # mixed label types
    # Categorical codes must be non-negative integers (NaN = missing).
    Xc = X.copy()
    Xc[:, 0] = np.arange(400) % 5
    Xc[7, 0] = -1
    with pytest.raises(cl.InvalidArgument, match="column 0"):
        cl.GBDTClassifier(n_estimators=5, categorical_features=[0]).fit(Xc, y)
    Xc[7, 0] = 1.5
    with pytest.raises(cl.InvalidArgument, match="column 0"):
        cl.GBDTClassifier(n_estimators=5, categorical_features=[0]).fit(Xc, y)
    Xc[7, 0] = np.nan
    mc = cl.GBDTClassifier(n_estimators=5, categorical_features=[0]).fit(Xc, y)
    Xc[7, 0] = -2
    with pytest.raises(cl.InvalidArgument):
        mc.predict(Xc)
    for spec in ([5], ["a"], [True, False], [0, 0], "all"):
        with pytest.raises(cl.InvalidArgument):
            cl.GBDTClassifier(n_estimators=5, categorical_features=spec).fit(X, y)
    with pytest.raises(cl.InvalidArgument):
        cl.GBDTClassifier(monotone_constraints=[1, 0]).fit(X, y)
    with pytest.raises(cl.InvalidArgument):
        cl.GBDTClassifier(monotone_constraints=[2, 0, 0, 0, 0]).fit(X, y)
    with pytest.raises(cl.InvalidArgument):
        cl.GBDTClassifier(categorical_features=[0],
                          monotone_constraints=[1, 0, 0, 0, 0]).fit(Xc, y)
    # Hyper-parameters: ranges (C++ validate()) and types (Python).
    for kw in (dict(num_leaves=1), dict(learning_rate=0.0), dict(subsample=1.5),
               dict(max_bins=1), dict(n_estimators=0), dict(eval_metric="rmse"),
               dict(importance_type="cover"), dict(seed=-1)):
        with pytest.raises(cl.InvalidArgument):
            cl.GBDTClassifier(**kw).fit(X, y)
    for kw in (dict(n_estimators="10"), dict(learning_rate="fast"), dict(n_estimators=10.0),
               dict(boost_from_average=1)):
        with pytest.raises(cl.TypeMismatch):
            cl.GBDTClassifier(**kw).fit(X, y)
    # eval_set
    with pytest.raises(cl.InvalidArgument, match="eval_set"):
        m.fit(X, y, early_stopping_rounds=5)
    with pytest.raises(cl.InvalidArgument, match="3 features"):
        m.fit(X, y, eval_set=[(X[:, :3], y)])
    with pytest.raises(cl.InvalidArgument):
        m.fit(X, y, eval_set=[(X, y[:10])])
    with pytest.raises(cl.InvalidArgument, match="eval_names"):
        m.fit(X, y, eval_set=[(X, y), (X, y)], eval_names=["a", "a"])
    with pytest.raises(cl.TypeMismatch):
        m.fit(X, y, eval_set=[X])
    # Predicting with the wrong width.
    m.fit(X, y)
    with pytest.raises(cl.InvalidArgument, match="X has 2 features"):
        m.predict(X[:, :2])
    with pytest.raises(cl.InvalidArgument):
        m._core.predict_raw(X[:, :2])  # the C++ check, below the Python one
    assert issubclass(cl.InvalidArgument, ValueError) and issubclass(cl.TypeMismatch, TypeError)
    assert issubclass(cl.NotFittedError, ValueError)


def test_a_failed_fit_leaves_the_model_unchanged():
    X, y = numeric_data(400, seed=20)
    m = cl.GBDTClassifier(n_estimators=5).fit(X, y)
    before = m.predict_raw(X)
    with pytest.raises(cl.InvalidArgument):
        m.fit(X, np.where(y == 1, 2, np.arange(len(y)) % 2))  # three classes
    np.testing.assert_array_equal(m.predict_raw(X), before)


def test_c_ordered_float64_input_is_not_copied():
    X, y = numeric_data(1000, seed=21)
    assert X.flags.c_contiguous and X.dtype == np.float64
    m = cl.GBDTClassifier(n_estimators=3).fit(X, y)
    assert m._core._fit_input_address == X.__array_interface__["data"][0]
    # With categorical codes given by index the array is still passed as is.
    Xc = X.copy()
    Xc[:, 0] = np.arange(1000) % 4
    mc = cl.GBDTClassifier(n_estimators=3, categorical_features=[0]).fit(Xc, y)
    assert mc._core._fit_input_address == Xc.__array_interface__["data"][0]
    # Other layouts are converted (so the address differs) and give the same model.
    F = np.asfortranarray(X)
    mf = cl.GBDTClassifier(n_estimators=3).fit(F, y)
    assert mf._core._fit_input_address != F.__array_interface__["data"][0]
    np.testing.assert_array_equal(mf.predict_raw(X), m.predict_raw(X))


def test_docstring_examples_run():
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    for test in doctest.DocTestFinder().find(cl.GBDTClassifier, "GBDTClassifier", globs={}):
        runner.run(test)
    assert runner.tries > 0 and runner.failures == 0


# ---- a model file shared with the C++ tests ----------------------------------------------------

FIXTURE = pathlib.Path(__file__).resolve().parents[2] / "tests" / "testdata" / "gbdt_fixture.json"


def fixture_frame():
    """400 rows: numeric columns with missing values and a category column with text labels."""
    df, y = churn_frame(400, seed=3)
    return df, y


def write_fixture():
    df, y = fixture_frame()
    m = cl.GBDTClassifier(n_estimators=25, num_leaves=15, min_child_samples=10, seed=1,
                          monotone_constraints={df.columns[0]: 1}).fit(df, y)
    _, codes = m._predict_input(df, "write_fixture")  # what C++ sees: training codes, NaN
    rows = [[None if np.isnan(v) else float(v) for v in row] for row in codes]
    frame = {c: ([None if pd.isna(v) else str(v) for v in df[c]]
                 if isinstance(df[c].dtype, pd.CategoricalDtype)
                 else [None if np.isnan(v) else float(v) for v in df[c]]) for c in df.columns}
    doc = {"note": "written by python/tests/test_gbdt.py --write-fixture; read by "
                   "tests/tree/test_gbdt.cpp (X: the codes matrix, null = missing)",
           "model": json.loads(m.to_json()), "X": rows, "frame": frame,
           "categorical": [c for c in df.columns if isinstance(df[c].dtype, pd.CategoricalDtype)],
           "raw": m.predict_raw(df).tolist(), "contrib": m.predict_contrib(df[:20]).tolist()}
    FIXTURE.write_text(json.dumps(doc, indent=1) + "\n")


def test_fixture_shared_with_cpp_predicts_bit_identically():
    """The C++ test (tree_gbdt/python_fixture_...) checks the same numbers exactly."""
    doc = json.loads(FIXTURE.read_text())
    m = cl.GBDTClassifier.from_json(json.dumps(doc["model"]))
    df = pd.DataFrame({c: (pd.Categorical(v, categories=m._train_categories[list(doc["frame"]).index(c)])
                           if c in doc["categorical"] else np.array(v, dtype=float))
                       for c, v in doc["frame"].items()})
    np.testing.assert_array_equal(m.predict_raw(df), np.array(doc["raw"]))
    np.testing.assert_array_equal(m.predict_contrib(df[:20]), np.array(doc["contrib"]))


# ---- a fixture C++ scores through its Table API (tests/tree/test_gbdt.cpp) --------------------

TABLE_FIXTURE = FIXTURE.parent / "gbdt_table_fixture"
TABLE_COLUMNS = ["tenure_months", "monthly_charges", "total_charges", "num_devices", "contract",
                 "payment_method", "region", "plan"]


def table_fixture_model():
    """A model trained on pandas category columns (text labels) and text class labels."""
    train = cl.make_customers(3000, seed=21).to_pandas()
    y = np.where(train["churned"] == 1, "churned", "stayed")
    return cl.GBDTClassifier(n_estimators=40, num_leaves=15, seed=2).fit(train[TABLE_COLUMNS], y)


def read_fixture_csv(path):
    """The scored customers as pandas reads them, text columns as categories."""
    df = pd.read_csv(path)
    for c in ("contract", "payment_method", "region", "plan"):
        df[c] = df[c].astype("category")
    return df


def write_table_fixture():
    TABLE_FIXTURE.mkdir(exist_ok=True)
    m = table_fixture_model()
    m.save(TABLE_FIXTURE / "model.json")
    score = cl.make_customers(150, seed=22).to_pandas()[TABLE_COLUMNS]
    # a label training never saw (scored the missing way) and missing labels
    score["contract"] = score["contract"].cat.add_categories(["Three year"])
    score.loc[score.index[:3], "contract"] = "Three year"
    score.loc[score.index[3:5], "plan"] = np.nan
    score.to_csv(TABLE_FIXTURE / "customers.csv", index=False)
    p = m.predict_proba(read_fixture_csv(TABLE_FIXTURE / "customers.csv"))[:, 1]
    doc = {"note": "written by python/tests/test_gbdt.py --write-fixture: P(classes_[1]) of "
                   "customers.csv scored by model.json in Python; tests/tree/test_gbdt.cpp scores "
                   "the CSV through the C++ Table API and must get the same doubles",
           "classes": m.classes_.tolist(), "proba": p.tolist()}
    (TABLE_FIXTURE / "scores.json").write_text(json.dumps(doc, indent=1) + "\n")


def test_table_fixture_is_current_and_python_scores_it():
    doc = json.loads((TABLE_FIXTURE / "scores.json").read_text())
    m = cl.GBDTClassifier.load(TABLE_FIXTURE / "model.json")
    assert m.classes_.tolist() == doc["classes"] == ["churned", "stayed"]
    fresh = table_fixture_model()
    assert json.loads(fresh.to_json())["state"] == json.loads(m.to_json())["state"]
    want = np.array(doc["proba"])
    # pandas' reading and churnlib's own CSV reader (another category order) score the same
    np.testing.assert_array_equal(
        m.predict_proba(read_fixture_csv(TABLE_FIXTURE / "customers.csv"))[:, 1], want)
    t = cl.read_csv(TABLE_FIXTURE / "customers.csv")
    np.testing.assert_array_equal(m.predict_proba(t.select(TABLE_COLUMNS))[:, 1], want)


if __name__ == "__main__":
    import sys

    if "--write-fixture" in sys.argv:
        write_fixture()
        print("wrote", FIXTURE)
        write_table_fixture()
        print("wrote", TABLE_FIXTURE)


def test_python_defaults_are_the_cpp_defaults():
    """Parameters have one source: the C++ struct. The Python signature repeats the defaults
    (scikit-learn reads them from __init__), and this test holds them equal."""
    import inspect

    from churnlib.tree import _FIT_COMPUTED

    cpp = cl._core._GBDTParams.defaults()
    sig = inspect.signature(cl.GBDTClassifier.__init__).parameters
    for name, value in cpp.items():
        if name in _FIT_COMPUTED:
            continue
        assert name in sig, f"C++ parameter {name} is missing from GBDTClassifier()"
        assert sig[name].default == value, (name, sig[name].default, value)
    # and the dict route rejects what the struct does not know, by name
    with pytest.raises(cl.InvalidArgument, match="unknown parameter 'num_leafs'"):
        cl._core._GBDTParams({"num_leafs": 3}, "test")
    with pytest.raises(cl.TypeMismatch, match="n_estimators must be an int, got 1.5"):
        cl.GBDTClassifier(n_estimators=1.5).fit(np.zeros((4, 1)), [0, 1, 0, 1])
    with pytest.raises(cl.InvalidArgument, match="seed = -1 is out of range"):
        cl.GBDTClassifier(seed=-1).fit(np.zeros((4, 1)), [0, 1, 0, 1])


# ---- prediction from a plain float64 array (the one-row fast path) -----------------------------


def reference_raw_and_proba(m, X):
    """predict_raw and predict_proba as the public core bindings give them (the path every input
    took before the fast path): raw scores, and (1 - P(1), P(1)) built in numpy."""
    Xc = np.ascontiguousarray(X, dtype=np.float64)
    p1 = np.asarray(m._core.predict_proba(Xc))
    return np.asarray(m._core.predict_raw(Xc)), np.column_stack([1.0 - p1, p1])


def test_plain_arrays_one_row_or_many_give_the_bits_of_every_other_input():
    X, y = numeric_data(1500, seed=31)
    X[::7, 2] = np.nan
    m = cl.GBDTClassifier(n_estimators=30).fit(X, y)
    raw, proba = reference_raw_and_proba(m, X)
    np.testing.assert_array_equal(m.predict_raw(X), raw)
    np.testing.assert_array_equal(m.decision_function(X), raw)
    np.testing.assert_array_equal(m.predict_proba(X), proba)
    np.testing.assert_array_equal(m.predict(X), (proba[:, 1] > 0.5).astype(np.int64))
    assert m.predict_proba(X).flags.c_contiguous and m.predict_proba(X).dtype == np.float64
    for i in (0, 7, 1499):  # one row at a time: the rows of the batch, bit for bit
        row = np.ascontiguousarray(X[i:i + 1])
        np.testing.assert_array_equal(m.predict_raw(row), raw[i:i + 1])
        np.testing.assert_array_equal(m.predict_proba(row), proba[i:i + 1])
        assert m.predict_proba(row).shape == (1, 2) and m.predict_raw(row).shape == (1,)
        others = [X[i:i + 1].tolist(), np.asfortranarray(X[i:i + 1]),
                  np.ascontiguousarray(X[i:i + 1]).astype(">f8"), pd.DataFrame(X[i:i + 1])]
        for other in others:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)  # the DataFrame's column names
                np.testing.assert_array_equal(m.predict_proba(other), proba[i:i + 1])
    # Other layouts and dtypes take the general path, with the same results.
    wide = np.hstack([X, X])
    np.testing.assert_array_equal(m.predict_raw(wide[:, :5]), raw)  # not C-contiguous
    np.testing.assert_array_equal(m.predict_raw(np.asfortranarray(X)), raw)
    X32 = X.astype(np.float32)
    np.testing.assert_array_equal(m.predict_proba(X32), reference_raw_and_proba(m, X32)[1])
    frozen = X.copy()
    frozen.setflags(write=False)
    np.testing.assert_array_equal(m.predict_raw(frozen), raw)
    # The private core entry points convert what is not a C-ordered float64 matrix themselves.
    np.testing.assert_array_equal(m._core._predict_raw_array(np.asfortranarray(X)), raw)
    np.testing.assert_array_equal(m._core._predict_proba_array(X32, False),
                                  reference_raw_and_proba(m, X32)[1][:, 1])
    with pytest.raises(cl.InvalidArgument, match="2-D"):
        m._core._predict_raw_array(X[0])
    # An array fitted without names predicts without a warning.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        m.predict_proba(X[:1])


def test_plain_array_checks_keep_their_messages():
    X, y = numeric_data(400, seed=32)
    m = cl.GBDTClassifier(n_estimators=5)
    with pytest.raises(cl.NotFittedError, match="not fitted"):
        m.predict_proba(X[:1])
    m.fit(X, y)
    message = "X has 4 features, but GBDTClassifier is expecting 5 features as input."
    for bad in (np.ascontiguousarray(X[:1, :4]), X[:1, :4].tolist()):  # fast and general path
        for call in (m.predict_proba, m.predict_raw, m.decision_function, m.predict):
            with pytest.raises(cl.InvalidArgument) as info:
                call(bad)
            assert str(info.value).endswith(message)
    with pytest.raises(cl.InvalidArgument, match="0 sample"):
        m.predict_proba(np.empty((0, 5)))
    with pytest.raises(cl.InvalidArgument, match="0 feature"):
        m.predict_proba(np.empty((3, 0)))
    with pytest.raises(cl.InvalidArgument, match="Reshape"):
        m.predict_proba(X[0])
    with pytest.raises(cl.InvalidArgument, match="dim 3"):
        m.predict_proba(np.empty((1, 3, 5)))
    # Categorical codes are still checked (in C++) on a plain array.
    Xc = X.copy()
    Xc[:, 0] = np.arange(400) % 4
    mc = cl.GBDTClassifier(n_estimators=5, categorical_features=[0]).fit(Xc, y)
    row = np.ascontiguousarray(Xc[:1])
    row[0, 0] = 2.5
    with pytest.raises(cl.InvalidArgument, match="column 0"):
        mc.predict_proba(row)


def test_model_fitted_on_a_dataframe_still_warns_on_a_plain_array():
    df, y = churn_frame(1000, seed=33)
    numeric = df.select_dtypes("number")
    m = cl.GBDTClassifier(n_estimators=10).fit(numeric, y)
    X = np.ascontiguousarray(numeric.to_numpy(dtype=np.float64))
    with pytest.warns(UserWarning, match="X does not have valid feature names, but "
                                         "GBDTClassifier was fitted with feature names"):
        p = m.predict_proba(X[:1])
    np.testing.assert_array_equal(p, m.predict_proba(numeric.iloc[:1]))
    with pytest.warns(UserWarning, match="X does not have valid feature names"):
        with pytest.raises(cl.InvalidArgument, match="expecting"):
            m.predict_raw(X[:1, :2])


def test_predictions_from_threads_agree():
    X, y = numeric_data(20000, seed=34)
    m = cl.GBDTClassifier(n_estimators=50, n_threads=2).fit(X, y)
    expected = m.predict_proba(X)
    results = [None] * 4

    def work(k):
        results[k] = (m.predict_proba(X), [m.predict_proba(X[i:i + 1]) for i in range(k, 200, 4)])

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for k, (batch, rows) in enumerate(results):
        np.testing.assert_array_equal(batch, expected)
        np.testing.assert_array_equal(np.vstack(rows), expected[k:200:4])


def test_fit_profile_says_where_the_fit_time_went():
    rng = np.random.default_rng(7)
    X = rng.normal(size=(3000, 5))
    y = (X[:, 0] + rng.normal(size=3000) > 0).astype(int)
    m = cl.GBDTClassifier(n_estimators=9, n_threads=1).fit(X, y)
    p = m.fit_profile_
    assert set(p) == {"n_threads", "n_trees", "total_s", "binning_s", "boosting_s", "gradients_s",
                      "histogram_s", "partition_s", "score_s", "serial_s", "parallel_regions",
                      "hist_bytes_zeroed", "hist_bytes_reduced"}
    assert p["n_threads"] == 1 and p["n_trees"] == 9 == m.n_estimators_
    # one thread: nothing shared, every round's time is serial
    assert p["parallel_regions"] == 0 and p["hist_bytes_reduced"] == 0
    assert p["serial_s"] == p["boosting_s"] > 0
    assert p["total_s"] >= p["binning_s"] + p["boosting_s"]
    parts = p["gradients_s"] + p["histogram_s"] + p["partition_s"] + p["score_s"]
    assert 0 < parts <= p["boosting_s"]
    assert p["hist_bytes_zeroed"] > 0 and p["hist_bytes_zeroed"] % 16 == 0
    # the profile is the last fit's and is not saved with the model
    m.set_params(n_estimators=4).fit(X, y)
    assert m.fit_profile_["n_trees"] == 4
    again = pickle.loads(pickle.dumps(m))
    assert again.fit_profile_["n_trees"] == 0 and again.fit_profile_["total_s"] == 0
    np.testing.assert_array_equal(again.predict_raw(X), m.predict_raw(X))
