"""churnlib.model: train_churn_model and ChurnModel (the deployable bundle)."""

import inspect
import os
import pickle

import numpy as np
import pandas as pd
import pytest

import churnlib as cl

HERE = os.path.dirname(__file__)
TESTDATA = os.path.join(HERE, "..", "..", "tests", "testdata")


@pytest.fixture(scope="module")
def customers():
    return cl.make_customers(3000, seed=3).to_pandas()


@pytest.fixture(scope="module")
def model(customers):
    return cl.train_churn_model(customers, "churned", candidates=["logistic", "gbdt"], cv=3)


def test_defaults_equal_cpp():
    sig = inspect.signature(cl.train_churn_model).parameters
    d = cl.model.TRAIN_DEFAULTS
    assert list(sig["candidates"].default) == d["candidates"]
    for name in ("split", "cv", "metric", "threshold", "calibration", "seed", "test_size",
                 "value_retained", "offer_cost", "success_rate"):
        assert sig[name].default == d[name], name
    assert sig["time_budget"].default is None and d["time_budget"] == 0
    assert sig["n_jobs"].default is None and d["n_threads"] == 0


def test_comparison_and_report(model):
    comp = model.comparison_
    assert list(comp["candidate"]) == ["logistic", "gbdt"]
    assert comp["chosen"].sum() == 1
    best = comp.loc[comp["roc_auc_mean"].idxmax(), "candidate"]
    assert model.kind_ == best == model.report_["chosen"]
    rep = model.report_
    assert rep["rows"]["train"] + rep["rows"]["holdout"] == 3000
    assert 0.7 < rep["holdout"]["roc_auc"] <= 1
    assert rep["calibration"]["method"] in ("none", "sigmoid", "isotonic")
    assert rep["threshold"]["method"] == "f1"
    assert set(model.metadata_) >= {"created_at", "library_version", "data_fingerprint",
                                    "input_columns", "features", "classes"}
    assert model.metadata_["library_version"] == cl.__version__
    assert "churned" not in model.feature_names_in_
    assert "ChurnModel(kind=" in repr(model)


def test_score_columns_and_consistency(model, customers):
    batch = customers.head(300)
    s = model.score(batch)
    assert list(s.columns[:3]) == ["customer_id", "probability", "prediction"]
    assert list(s["customer_id"]) == list(batch["customer_id"])
    p = model.predict_proba(batch)
    assert p.shape == (300, 2)
    np.testing.assert_array_equal(s["probability"].to_numpy(), p[:, 1])
    np.testing.assert_array_equal(s["prediction"].to_numpy(),
                                  (p[:, 1] >= model.threshold_).astype(int))
    np.testing.assert_array_equal(model.predict(batch), s["prediction"].to_numpy())
    reasons = s["reason_1"].dropna()
    assert set(reasons) <= set(model.feature_names_in_)
    c1 = s["reason_1_contribution"].to_numpy()
    c2 = s["reason_2_contribution"].to_numpy()
    both = ~np.isnan(c2)
    assert np.all(c1[both] >= c2[both]) and np.all(c2[both] > 0)
    assert "reason_1" not in model.score(batch, n_reasons=0).columns


def test_reasons_match_a_brute_force_of_the_gbdt_shap(customers):
    m = cl.train_churn_model(customers, "churned", candidates=["gbdt"], cv=2,
                             calibration=None)
    batch = customers.head(50)
    est = m.estimator_
    feats = m.pipeline_.transform(batch)
    phi = est.predict_contrib(feats[est.feature_names_in_])
    names = list(est.feature_names_in_)  # the trees read the raw columns: sources = names
    s = m.score(batch, n_reasons=2)
    for i in range(len(batch)):
        order = np.argsort(-phi[i, :-1], kind="stable")
        top = [names[j] for j in order[:2] if phi[i, j] > 0]
        got = [v for v in s.loc[i, ["reason_1", "reason_2"]] if isinstance(v, str)]
        assert got == top


def test_save_load_pickle_bit_identical(model, customers, tmp_path):
    path = tmp_path / "m.json"
    model.save(path)
    back = cl.ChurnModel.load(path)
    batch = customers.head(500)
    np.testing.assert_array_equal(back.predict_proba(batch), model.predict_proba(batch))
    clone = pickle.loads(pickle.dumps(model))
    pd.testing.assert_frame_equal(clone.score(batch), model.score(batch))
    assert cl.ChurnModel.from_json(model.to_json()).to_json() == model.to_json()


def test_newer_and_damaged_bundles_refused(model):
    import json

    doc = json.loads(model.to_json())
    doc["state"]["bundle_version"] = "2.0"
    with pytest.raises(cl.SerializationError, match="newer"):
        cl.ChurnModel.from_json(json.dumps(doc))
    with pytest.raises(cl.SerializationError):
        cl.ChurnModel.from_json(model.to_json()[:-200])
    with pytest.raises(TypeError):
        cl.ChurnModel.from_json(42)


def test_contract_violations_listed(model, customers):
    bad = customers.head(20).drop(columns=["plan", "tenure_months"])
    with pytest.raises(cl.SchemaError) as e:
        model.score(bad)
    assert "plan" in str(e.value) and "tenure_months" in str(e.value)
    assert len(model.validate(bad).violations) == 2
    wrong = customers.head(20).assign(monthly_charges="x")
    with pytest.raises(cl.SchemaError, match="monthly_charges"):
        model.score(wrong)


def test_int_and_text_columns_are_conformed(model, customers):
    # int64 where the contract says float64, strings where it says categorical: same scores
    batch = customers.head(100).copy()
    p = model.predict_proba(batch)
    batch["support_tickets"] = batch["support_tickets"].astype("int64")
    batch["plan"] = batch["plan"].astype(str)
    np.testing.assert_array_equal(model.predict_proba(batch), p)


def test_drift_of_a_shifted_batch(model, customers):
    same = model.drift(customers.head(1000))
    shifted = customers.head(1000).assign(monthly_charges=customers["monthly_charges"].head(1000) * 3)
    moved = model.drift(shifted)
    f = moved.to_pandas().set_index("feature")
    assert f.loc["monthly_charges", "status"] == "significant"
    assert same.to_pandas().set_index("feature").loc["monthly_charges", "status"] == "stable"


def test_drift_is_weighted_by_the_mean_absolute_shap(customers):
    m = cl.train_churn_model(customers, "churned", candidates=["gbdt"], cv=2, calibration=None)
    imp = m.feature_importance_
    est = m.estimator_
    assert set(imp.index) == set(est.feature_names_in_)  # the trees read the raw columns
    assert (imp >= 0).all() and imp.iloc[0] == imp.max()
    # the hold-out mean |SHAP| ranks the columns as the mean |SHAP| over every customer does
    phi = est.predict_contrib(m.pipeline_.transform(customers)[est.feature_names_in_])
    every = pd.Series(np.abs(phi[:, :-1]).mean(axis=0), index=list(est.feature_names_in_))
    assert imp.rank().corr(every[imp.index].rank()) > 0.9
    assert imp.index[0] == every.idxmax()
    # a shift in an unimportant column ranks below a smaller shift in an important one
    numeric = [f for f in imp.index
               if pd.api.types.is_float_dtype(customers[f]) and customers[f].nunique() > 500]
    top, low = numeric[0], numeric[-1]
    assert imp[top] > 2 * imp[low]
    batch = customers.head(1500).copy()
    batch[top] = batch[top] * 1.15
    batch[low] = batch[low] * 1.6
    r = m.drift(batch).to_pandas(include_score=False)
    psi = r.set_index("feature")["psi"]
    assert psi[top] < psi[low] < psi[top] * imp[top] / imp[low]  # impact of top is larger
    assert r["importance"].sum() == pytest.approx(1.0)
    assert list(r["impact"]) == sorted(r["impact"], reverse=True)
    assert r["feature"].tolist().index(top) < r["feature"].tolist().index(low)


def test_estimated_performance_before_the_labels(model, customers, tmp_path):
    new = cl.make_customers(3000, seed=21).to_pandas()
    raw = new.drop(columns=["churned"])
    ref = model.performance_reference_
    assert ref.has_labels_ and ref.get_params()["threshold"] == model.threshold_
    est = model.estimate_performance(raw, chunks=1000)
    assert len(est.chunks) == 3
    p = model.predict_proba(raw)[:, 1]
    direct = ref.estimate(p, chunks=1000)
    assert est.to_json() == direct.to_json()
    est.add_realised(new["churned"])
    assert est.reliable
    frame = est.to_pandas()
    assert (frame["roc_auc_realised"] - frame["roc_auc_estimated"]).abs().max() < 0.05
    # by a column of periods, and drift() carries one chunk "current" and the PCA error
    by_col = model.estimate_performance(raw.assign(month=np.repeat(["a", "b"], 1500)),
                                        chunks="month")
    assert [c["chunk"] for c in by_col.chunks] == ["a", "b"]
    report = model.drift(raw)
    assert report.estimated_performance.chunks[0]["chunk"] == "current"
    assert report.estimated_performance.chunks[0]["n"] == 3000
    assert report.reconstruction is not None and not report.reconstruction.drifted
    d = report.to_dict()
    assert d["estimated_performance"] is not None and d["domain_classifier"] is None
    # they travel with the bundle
    model.save(tmp_path / "m.json")
    back = cl.ChurnModel.load(tmp_path / "m.json")
    assert back.drift(raw).to_json() == report.to_json()
    assert pickle.loads(pickle.dumps(model)).drift(raw).to_json() == report.to_json()
    with pytest.raises(ValueError):
        model.estimate_performance(raw, chunks="nope")


def test_events_are_joined_point_in_time():
    c = cl.make_customers(1500, seed=5)
    ev = cl.make_events(1500, seed=5, churned=c.to_pandas()["churned"])
    as_of = pd.Timestamp("2024-07-01")
    m = cl.train_churn_model(c, "churned", events=ev, as_of=as_of,
                             candidates=["gbdt"], cv=2)
    assert any(f.startswith("ev_") for f in m.estimator_.feature_names_in_)
    s = m.score(c, events=ev, as_of=as_of)
    assert len(s) == 1500
    with pytest.raises(ValueError, match="events"):
        m.score(c)


def test_progress_callback_and_stop(customers):
    seen = []
    m = cl.train_churn_model(customers, "churned", candidates=["logistic"], cv=2,
                             callback=lambda env: seen.append(env["stage"]) and False)
    assert seen[0] == "split" and seen[-1] == "done" and seen.count("cv") == 2
    assert m.kind_ == "logistic"
    with pytest.raises(cl.Interrupted):
        cl.train_churn_model(customers, "churned", candidates=["logistic"], cv=2,
                             callback=lambda env: env["stage"] == "cv")


def test_verbose_prints_steps(customers, capsys):
    cl.train_churn_model(customers.head(800), "churned", candidates=["logistic"], cv=2,
                         verbose=1)
    out = capsys.readouterr().out
    assert "fold 1" in out and "hold-out roc_auc" in out


def test_text_target_pos_label_and_tags(customers):
    df = customers.assign(status=np.where(customers["churned"] == 1, "Churned", "Stayed"))
    df = df.drop(columns=["churned"])
    m = cl.train_churn_model(df, "status", pos_label="Churned", candidates=["logistic"], cv=2,
                             tags={"team": "retention"})
    assert list(m.classes_) == ["Stayed", "Churned"]
    assert set(m.score(df.head(50))["prediction"]) <= {"Stayed", "Churned"}
    assert m.tags_ == {"team": "retention"}
    assert m.set_tags(owner="ana").tags_ == {"owner": "ana"}


def test_numeric_pos_label_of_any_type(customers):
    # churned is 0/1: pos_label 0 (as int, numpy int or float) makes "stayed" the positive class
    for label in (0, np.int64(0), 0.0):
        m = cl.train_churn_model(customers.head(1500), "churned", pos_label=label,
                                 candidates=["logistic"], cv=2)
        assert list(m.classes_) == [1, 0]
    with pytest.raises(ValueError, match="pos_label"):
        cl.train_churn_model(customers, "churned", pos_label=7, candidates=["logistic"], cv=2)


def test_bad_arguments(customers):
    with pytest.raises(ValueError, match="nope"):
        cl.train_churn_model(customers, "nope", candidates=["logistic"])
    with pytest.raises(ValueError, match="svm"):
        cl.train_churn_model(customers, "churned", candidates=["svm"])
    with pytest.raises(TypeError):
        cl.train_churn_model(customers, 3)
    with pytest.raises(ValueError, match="binary"):
        cl.train_churn_model(customers, "region", candidates=["logistic"])
    with pytest.raises(ValueError, match="cv"):
        cl.train_churn_model(customers, "churned", cv=1)
    with pytest.raises(cl.NotFittedError):
        cl.ChurnModel().score(customers)
    with pytest.raises(ValueError, match="as_of"):
        cl.train_churn_model(customers, "churned", as_of="2024-01-01")


def test_user_pipeline_is_used_for_every_candidate(customers):
    pipe = cl.FeaturePipeline().impute(["tenure_months"]).one_hot(["plan", "contract"])
    df = customers[["customer_id", "tenure_months", "plan", "contract", "churned"]]
    m = cl.train_churn_model(df, "churned", candidates=["logistic"], cv=2, pipeline=pipe)
    assert "plan_Basic" in m.estimator_.feature_names_in_


@pytest.mark.parametrize("kind", ["logistic", "random_forest", "gbdt"])
def test_golden_bundles_score_as_written(kind):
    """The golden bundles (written by tests/testdata/make_churn_model_fixtures.py) load and
    score their CSV exactly as when they were written; the C++ test does the same through the
    Table API, so C++ and Python agree bit for bit."""
    m = cl.ChurnModel.load(os.path.join(TESTDATA, f"churn_model_{kind}.json"))
    assert m.kind_ == kind
    s = m.score(cl.read_csv(os.path.join(TESTDATA, "churn_model_customers.csv")), n_reasons=2)
    exp = pd.read_csv(os.path.join(TESTDATA, f"churn_model_{kind}_scores.csv"), dtype=str,
                      keep_default_na=False)
    assert list(s["customer_id"]) == list(exp["customer_id"])
    assert [repr(float(v)) for v in s["probability"]] == list(exp["probability"])
    assert [str(v) for v in s["prediction"]] == list(exp["prediction"])
    for col in ("reason_1", "reason_2"):
        assert [v if isinstance(v, str) else "" for v in s[col]] == list(exp[col])


def test_telco_with_defaults_reaches_the_target(capsys):
    """Acceptance: telco_churn.csv (target "Churn", text labels) with every default; the
    comparison table is printed and the chosen model's hold-out AUC is at least 0.84."""
    telco = cl.read_csv(os.path.join(TESTDATA, "telco_churn.csv"))
    m = cl.train_churn_model(telco, "Churn")
    print(m.comparison_.to_string(index=False))
    out = capsys.readouterr().out
    assert "logistic" in out and "random_forest" in out and "gbdt" in out
    assert list(m.classes_) == ["No", "Yes"]
    assert "customerID" not in m.metadata_["features"]
    assert m.report_["holdout"]["roc_auc"] >= 0.84
    s = m.score(telco.to_pandas().head(20))
    assert list(s.columns[:3]) == ["customerID", "probability", "prediction"]
    assert set(s["prediction"]) <= {"No", "Yes"}
