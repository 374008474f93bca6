"""churnlib.FeaturePipeline: steps against scikit-learn / numpy references, the scikit-learn
protocol, output forms, saving (bit-identical replay, shared with the C++ tests), the event join
and bad input."""

import json
import math
import pathlib
import pickle

import numpy as np
import pandas as pd
import pytest

import churnlib as cl

AS_OF = "2024-06-20"


def customers(n=3000, seed=1):
    return cl.make_customers(n, seed=seed).to_pandas(copy=True)


def events(n=3000, seed=2, per_customer=12.0):
    return cl.make_events(n, seed=seed, events_per_customer=per_customer, as_pandas=True)


def bits(a):
    """The float64 values as integers, so that equality is bit for bit (NaN == NaN)."""
    return np.ascontiguousarray(np.asarray(a, dtype=np.float64)).view(np.int64)


# ---- the steps against independent references ---------------------------------------------------

def test_numeric_steps_match_sklearn_and_numpy():
    from sklearn.impute import SimpleImputer
    from sklearn.preprocessing import StandardScaler

    train, test = customers(4000, 1), customers(2000, 2)
    cols = ["total_charges", "nps_score", "sessions_per_week"]
    pipe = (cl.FeaturePipeline()
            .impute(cols, strategy="median", add_indicator=True)
            .clip(["monthly_charges"], lower_quantile=0.05, upper_quantile=0.9)
            .log1p(["total_charges"])
            .scale(["sessions_per_week", "monthly_charges"])
            .select(cols + [c + "_missing" for c in cols] + ["monthly_charges"]))
    got = pipe.fit(train).transform(test)

    imp = SimpleImputer(strategy="median").fit(train[cols])
    ref = pd.DataFrame(imp.transform(test[cols]), columns=cols)
    lo, hi = np.quantile(train["monthly_charges"], [0.05, 0.9])
    ref["monthly_charges"] = np.clip(test["monthly_charges"], lo, hi)
    ref["total_charges"] = np.log1p(ref["total_charges"])
    train_imp = pd.DataFrame(imp.transform(train[cols]), columns=cols)
    train_clip = np.clip(train["monthly_charges"], lo, hi)
    sc = StandardScaler().fit(np.column_stack([train_imp["sessions_per_week"], train_clip]))
    scaled = sc.transform(np.column_stack([ref["sessions_per_week"], ref["monthly_charges"]]))
    ref["sessions_per_week"], ref["monthly_charges"] = scaled[:, 0], scaled[:, 1]
    for c in cols + ["monthly_charges"]:
        np.testing.assert_allclose(got[c].to_numpy(), ref[c].to_numpy(), rtol=1e-12, atol=1e-12,
                                   err_msg=c)
    for c in cols:
        np.testing.assert_array_equal(got[c + "_missing"], test[c].isna().astype(float))


def test_one_hot_and_ordinal_match_sklearn():
    from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder

    train, test = customers(3000, 3), customers(1500, 4)
    test = test.copy()
    test["plan"] = test["plan"].cat.add_categories(["Enterprise"])
    test.loc[test.index[:25], "plan"] = "Enterprise"           # unseen in fit
    cats = ["contract", "plan", "payment_method"]
    pipe = cl.FeaturePipeline().one_hot(cats, unknown="ignore")
    out = pipe.fit(train).transform(test)
    enc = OneHotEncoder(handle_unknown="ignore", sparse_output=False)
    # sklearn treats missing as a category of its own; churnlib gives missing all zeros
    tr = train[cats].astype(object).where(train[cats].notna(), None)
    te = test[cats].astype(object).where(test[cats].notna(), None)
    enc.fit(tr.dropna())
    ref = enc.transform(te.fillna("__missing__"))
    names = [f"{c}_{v}" for c, vs in zip(cats, enc.categories_) for v in vs]
    np.testing.assert_array_equal(out[names].to_numpy(), ref)
    assert list(pipe.get_feature_names_out()) == [c for c in out.columns]

    ordp = cl.FeaturePipeline().ordinal(["contract", "plan"])
    o = ordp.fit(train).transform(test)
    oe = OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=np.nan,
                        encoded_missing_value=np.nan).fit(tr[["contract", "plan"]])
    np.testing.assert_array_equal(o[["contract", "plan"]].to_numpy(),
                                  oe.transform(te[["contract", "plan"]]))


def test_bins_and_safe_ratio_match_numpy():
    train = customers(2000, 5)
    pipe = (cl.FeaturePipeline()
            .bin(["tenure_months"], strategy="fixed", edges=[12, 24, 48], suffix="_group")
            .bin(["monthly_charges"], n_bins=4)
            .ratio("failures_per_ticket", "payment_failures", "support_tickets")
            .ratio("failures_per_ticket1", "payment_failures", "support_tickets",
                   denominator_offset=1.0, zero_division_fill=-1.0))
    out = pipe.fit_transform(train)
    np.testing.assert_array_equal(out["tenure_months_group"],
                                  np.digitize(train["tenure_months"], [12, 24, 48]))
    np.testing.assert_array_equal(out["tenure_months"], train["tenure_months"])  # kept
    q = np.quantile(train["monthly_charges"], [0.25, 0.5, 0.75])
    np.testing.assert_array_equal(out["monthly_charges"], np.digitize(train["monthly_charges"], q))
    pf, st = train["payment_failures"].to_numpy(), train["support_tickets"].to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        want = np.where(st == 0, np.nan, pf / st)
    np.testing.assert_array_equal(out["failures_per_ticket"], want)
    np.testing.assert_array_equal(out["failures_per_ticket1"], pf / (st + 1.0))
    assert not np.isinf(out["failures_per_ticket"]).any()


# ---- the scikit-learn protocol and output forms --------------------------------------------------

def demo_pipeline(**kw):
    return (cl.FeaturePipeline(**kw)
            .impute(["total_charges", "nps_score", "num_devices"], add_indicator=True)
            .impute(["sessions_per_week", "avg_session_minutes", "days_since_last_login"])
            .impute(["discount_pct"], strategy="constant", fill_value=0.0)
            .impute(["region", "payment_method"], strategy="most_frequent")
            .ratio("charges_per_month", "total_charges", "tenure_months", denominator_offset=1)
            .log1p(["total_charges"])
            .scale(["tenure_months", "monthly_charges", "charges_per_month"])
            .one_hot(["contract", "plan", "region", "payment_method", "autopay"],
                     unknown="other", min_count=20)
            .drop(["customer_id", "signup_date", "churned"]))


def test_params_clone_repr_and_steps_list():
    from sklearn.base import clone

    p = demo_pipeline(n_threads=1)
    params = p.get_params()
    assert [s["type"] for s in params["steps"]] == ["impute"] * 4 + [
        "combine", "log1p", "scale", "one_hot", "drop"]
    q = clone(p)
    assert q.get_params() == params and q.steps is not p.steps
    assert "steps=['impute'" in repr(p) and "n_threads=1" in repr(p)
    # the same pipeline from the steps list (e.g. read from a config file)
    r = cl.FeaturePipeline(steps=json.loads(json.dumps(params["steps"])))
    df = customers(1000, 6)
    np.testing.assert_array_equal(bits(p.set_output(transform="default").fit_transform(df)),
                                  bits(r.set_output(transform="default").fit_transform(df)))
    with pytest.raises(TypeError):
        p.set_params(nope=1)
    # builders copy the list: a list given by the user is not changed
    steps = [{"type": "log1p", "columns": ["total_charges"]}]
    cl.FeaturePipeline(steps=steps).scale(["tenure_months"])
    assert len(steps) == 1


def test_output_forms_and_index():
    df = customers(1200, 7)
    df.index = pd.RangeIndex(100, 1300)
    p = demo_pipeline().fit(df)
    out = p.transform(df)
    assert isinstance(out, pd.DataFrame) and out.index.equals(df.index)
    X = p.set_output(transform="default").transform(df)
    assert X.dtype == np.float64 and X.flags["C_CONTIGUOUS"]
    assert list(p.get_feature_names_out()) == list(p.numeric_feature_names_)
    np.testing.assert_array_equal(bits(X), bits(out[list(p.numeric_feature_names_)].to_numpy()))
    p.set_params(output="table")
    t = p.transform(df)
    assert isinstance(t, cl.Table) and t.column_names == list(p.feature_names_out_)
    # a churnlib Table in, the same numbers out
    p.set_params(output="numpy")
    np.testing.assert_array_equal(bits(p.transform(cl.Table.from_pandas(df))), bits(X))
    with pytest.raises(ValueError):
        p.set_output(transform="arrow")


def test_inside_a_scikit_learn_pipeline():
    from sklearn.model_selection import cross_val_score
    from sklearn.pipeline import make_pipeline

    df = customers(3000, 8)
    y = df["churned"].to_numpy()
    model = make_pipeline(demo_pipeline(output="numpy"), cl.LogisticRegression(C=1.0))
    scores = cross_val_score(model, df, y, cv=3, scoring="roc_auc")
    assert scores.min() > 0.7
    model.fit(df, y)
    assert model.predict_proba(df).shape == (3000, 2)


# ---- saving ------------------------------------------------------------------------------------

def test_save_load_pickle_replay_bit_identically(tmp_path):
    train, test = customers(3000, 9), customers(1000, 10)
    p = demo_pipeline(output="numpy").fit(train)
    want = bits(p.transform(test))
    path = tmp_path / "features.json"
    p.save(path)
    for q in (cl.FeaturePipeline.load(path), cl.FeaturePipeline.from_json(p.to_json()),
              pickle.loads(pickle.dumps(p))):
        q.set_params(output="numpy")
        np.testing.assert_array_equal(bits(q.transform(test)), want)
        assert list(q.feature_names_out_) == list(p.feature_names_out_)
        assert list(q.feature_names_in_) == list(p.feature_names_in_)
    # a loaded pipeline carries its steps as parameters: refitting it reproduces the fit
    q = cl.FeaturePipeline.load(path, output="numpy")
    np.testing.assert_array_equal(bits(q.fit(train).transform(test)), want)
    assert isinstance(cl.FeaturePipeline.load(path).transform(test), pd.DataFrame)
    with pytest.raises(ValueError, match="output"):
        cl.FeaturePipeline.load(path, output="arrow")
    doc = json.loads(path.read_text())
    assert doc["kind"] == "FeaturePipeline" and doc["format"] == "churnlib"


@pytest.mark.parametrize("mutate", [
    lambda d: d.update(version="99.0"),
    lambda d: d.update(kind="GBDTClassifier"),
    lambda d: d["state"]["steps"][0]["params"].update(bogus=1),
    lambda d: d["state"]["steps"].pop(0),
    lambda d: d["state"]["feature_names_out"].pop(),
])
def test_damaged_documents_raise(mutate, tmp_path):
    p = demo_pipeline().fit(customers(500, 11))
    doc = json.loads(p.to_json())
    mutate(doc)
    with pytest.raises(cl.SerializationError):
        cl.FeaturePipeline.from_json(json.dumps(doc))
    path = tmp_path / "bad.json"
    path.write_bytes(p.to_json().encode()[:200])
    with pytest.raises(cl.SerializationError):
        cl.FeaturePipeline.load(path)
    path.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(ValueError):
        cl.FeaturePipeline.load(path)


# ---- the event join --------------------------------------------------------------------------

def test_event_join_equals_aggregator_and_pandas_merge():
    df, ev = customers(2000, 12), events(2000, 13)
    agg = cl.EventAggregator(windows=(7, 30, 90), amount_col="amount",
                             amount_event_types=["purchase"])
    p = cl.FeaturePipeline(events=agg, event_prefix="ev_")
    out = p.fit_transform(df, events=ev, as_of=AS_OF)
    feats = agg.transform(ev, customers=df["customer_id"], as_of=AS_OF)
    ref = df.merge(feats.add_prefix("ev_"), left_on="customer_id", right_index=True, how="left")
    assert list(out.columns) == list(ref.columns)
    for c in feats.columns:
        np.testing.assert_array_equal(bits(out["ev_" + c]), bits(ref["ev_" + c]), err_msg=c)
    # customers without events keep their row: zero counts, NaN recency
    silent = ~df["customer_id"].isin(ev.loc[ev["timestamp"] < AS_OF, "customer_id"])
    assert silent.sum() > 0
    assert (out.loc[silent, "ev_login_count_90d"] == 0).all()
    assert out.loc[silent, "ev_days_since_last_event"].isna().all()


def test_event_join_point_in_time_and_fixed_types():
    df, ev = customers(800, 14), events(800, 15)
    p = (cl.FeaturePipeline()
         .join_events(cl.EventAggregator(windows=(30,)), prefix="ev_")
         .impute(["ev_days_since_last_event"], strategy="constant", fill_value=999)
         .drop(["customer_id", "signup_date"])
         .set_output(transform="default"))
    X = p.fit_transform(df, events=ev, as_of=AS_OF)
    # events at or after the as-of never change a feature
    later = ev.copy()
    later["timestamp"] = pd.Timestamp(AS_OF) + pd.to_timedelta(np.arange(len(ev)) % 5000, "s")
    np.testing.assert_array_equal(bits(p.transform(df, events=pd.concat([ev, later]),
                                                   as_of=AS_OF)), bits(X))
    # scoring events without any crash still give the crash columns of fit
    no_crash = ev[ev["event_type"] != "crash"]
    names = list(p.get_feature_names_out())
    assert "ev_crash_count_30d" in names
    Xs = p.transform(df, events=no_crash, as_of=AS_OF)
    assert (Xs[:, names.index("ev_crash_count_30d")] == 0).all()


def test_event_join_per_row_as_of_and_save(tmp_path):
    df, ev = customers(600, 16), events(600, 17)
    snap = pd.concat([df.assign(snapshot=pd.Timestamp("2024-05-01")),
                      df.assign(snapshot=pd.Timestamp("2024-06-15"))], ignore_index=True)
    agg = cl.EventAggregator(windows=(14, 28), amount_col="amount")
    p = cl.FeaturePipeline(events=agg, as_of_col="snapshot", event_prefix="e_",
                           output="numpy").drop(["customer_id", "signup_date", "snapshot"])
    X = p.fit_transform(snap, events=ev)
    ref = agg.transform(ev, customers=snap, as_of_col="snapshot")
    names = list(p.get_feature_names_out())
    for c in ref.columns:
        np.testing.assert_array_equal(bits(X[:, names.index("e_" + c)]), bits(ref[c]), err_msg=c)
    p.save(tmp_path / "p.json")
    q = cl.FeaturePipeline.load(tmp_path / "p.json")
    assert q.as_of_col == "snapshot" and q.event_prefix == "e_"
    assert isinstance(q.events, cl.EventAggregator) and tuple(q.events.windows) == (14, 28)
    np.testing.assert_array_equal(bits(q.set_params(output="numpy").transform(snap, events=ev)),
                                  bits(X))
    with pytest.raises(ValueError, match="as_of"):
        p.transform(snap, events=ev, as_of=AS_OF)


# ---- where the output columns come from ---------------------------------------------------------

def _small_frame():
    return pd.DataFrame({
        "id": ["u", "v", "w", "x"],
        "a": [1.0, np.nan, 3.0, 4.0],
        "b": np.array([1, 2, 0, 5], dtype=np.int64),
        "c": pd.Categorical(["p", "q", "p", None]),
        "d": ["k", "l", "k", "l"],
        "e": [5.0, 6.0, 7.0, 8.0],
        "f": [0.0, 1.0, 2.0, 3.0],
        "g": [1.0, 10.0, 20.0, 30.0],
        "h": [1.0, 2.0, 3.0, 4.0],
        "unused": [0.0, 0.0, 0.0, 0.0],
    })


def test_feature_sources_of_every_step_type(tmp_path):
    df = _small_frame()
    p = (cl.FeaturePipeline()
         .impute(["a"], add_indicator=True)
         .impute(["c"], strategy="most_frequent", add_indicator=True)
         .clip(["e"], lower_quantile=0.0, upper_quantile=1.0)
         .log1p(["f"])
         .ratio("a_per_b", "a", "b")
         .one_hot(["c"])
         .ratio("chain", "a_per_b", "c_q")  # a ratio of a ratio and a one-hot column
         .combine("ee", "e", "multiply", "e")
         .ordinal(["d"])
         .bin(["g"], strategy="fixed", edges=[5, 15], suffix="_bin")
         .bin(["e"], n_bins=2)
         .scale(["a"])
         .drop(["id", "unused"])
         .select(["chain", "a", "a_missing", "b", "c_missing", "c_p", "c_q", "d", "e", "f", "g",
                  "g_bin", "a_per_b", "ee"]))
    with pytest.raises(cl.NotFittedError):
        p.feature_sources_
    with pytest.raises(cl.NotFittedError):
        p.contributions_by_source(np.zeros((1, 14)))
    p.fit(df)
    want = {"chain": ["a", "b", "c"], "a": ["a"], "a_missing": ["a"], "b": ["b"],
            "c_missing": ["c"], "c_p": ["c"], "c_q": ["c"], "d": ["d"], "e": ["e"], "f": ["f"],
            "g": ["g"], "g_bin": ["g"], "a_per_b": ["a", "b"], "ee": ["e"]}
    assert p.feature_sources_ == want
    assert list(p.feature_sources_) == list(p.feature_names_out_)
    assert list(p.source_columns_) == ["a", "b", "c", "d", "e", "f", "g"]
    # saved, loaded and pickled: the same answer
    p.save(tmp_path / "p.json")
    assert cl.FeaturePipeline.load(tmp_path / "p.json").feature_sources_ == want
    assert pickle.loads(pickle.dumps(p)).feature_sources_ == want
    # a column that passes through as a string or an int64 is its own source, but no
    # contribution column (only float64 columns reach the numeric output)
    q = cl.FeaturePipeline().scale(["a"]).drop(["c", "d", "unused"]).fit(df)
    assert q.feature_sources_["id"] == ["id"] and q.feature_sources_["b"] == ["b"]
    assert list(q.source_columns_) == ["a", "e", "f", "g", "h"]


def test_contributions_by_source_by_hand():
    df = pd.DataFrame({"x": [1.0, 2.0, 3.0], "y": [4.0, 5.0, 6.0], "z": ["p", "q", "p"]})
    p = cl.FeaturePipeline().one_hot(["z"]).ratio("xy", "x", "y").fit(df)
    assert list(p.numeric_feature_names_) == ["x", "y", "z_p", "z_q", "xy"]
    c = np.array([[1.0, 2.0, 3.0, 4.0, 10.0], [-1.0, 0.5, 0.0, 2.0, -3.0]])
    got = p.contributions_by_source(c)
    assert isinstance(got, pd.DataFrame) and list(got.columns) == ["x", "y", "z"]
    # xy is split equally between x and y; z_p and z_q add up onto z
    np.testing.assert_array_equal(got.to_numpy(), [[6.0, 7.0, 7.0], [-2.5, -1.0, 2.0]])
    # a bias column is copied last; a frame's index is kept; every row keeps its sum
    framed = pd.DataFrame(np.column_stack([c, [0.25, -0.5]]), index=["r1", "r2"])
    with_bias = p.contributions_by_source(framed)
    assert list(with_bias.columns) == ["x", "y", "z", "bias"]
    assert list(with_bias.index) == ["r1", "r2"]
    np.testing.assert_array_equal(with_bias["bias"], [0.25, -0.5])
    np.testing.assert_allclose(with_bias.sum(axis=1), framed.sum(axis=1), rtol=0, atol=1e-12)
    with pytest.raises(cl.InvalidArgument, match=r"3 columns; expected 5 .* or 6"):
        p.contributions_by_source(np.zeros((2, 3)))


def test_feature_sources_of_event_features_and_the_cpp_fixture():
    df, ev = customers(600, 23), events(600, 24)
    p = (cl.FeaturePipeline()
         .join_events(cl.EventAggregator(windows=(30,)), prefix="ev_")
         .impute(["ev_days_since_last_event"], strategy="constant", fill_value=999)
         .ratio("crashes_per_login", "ev_crash_count_30d", "ev_login_count_30d",
                denominator_offset=1)
         .drop(["customer_id", "signup_date"])
         .fit(df, events=ev, as_of=AS_OF))
    src = p.feature_sources_
    # an event feature is its own source, by its joined name
    assert src["ev_login_count_30d"] == ["ev_login_count_30d"]
    assert src["ev_days_since_last_event"] == ["ev_days_since_last_event"]
    assert src["crashes_per_login"] == ["ev_crash_count_30d", "ev_login_count_30d"]
    assert src["tenure_months"] == ["tenure_months"]
    assert "customer_id" not in set(p.source_columns_)
    # a file written before feature sources existed: recomputed on load
    doc = json.loads(FIXTURE.read_text())
    q = cl.FeaturePipeline.from_json(json.dumps(doc["pipeline"]))
    assert q.feature_sources_["tickets_per_login"] == ["support_tickets", "ev_login_count_30d"]
    assert q.feature_sources_["region_North"] == ["region"]
    assert q.feature_sources_["tenure_months_group"] == ["tenure_months"]
    assert q.feature_sources_["total_charges_missing"] == ["total_charges"]


def test_logistic_regression_contributions_summed_by_source_equal_a_groupby():
    df = customers(3000, 25)
    p = (cl.FeaturePipeline(output="numpy")
         .impute(["total_charges", "nps_score", "num_devices", "sessions_per_week",
                  "avg_session_minutes", "discount_pct", "days_since_last_login"],
                 add_indicator=True)
         .ratio("charges_per_month", "total_charges", "tenure_months", denominator_offset=1)
         .ratio("tickets_per_session", "support_tickets", "sessions_per_week",
                denominator_offset=1)
         .log1p(["total_charges"])
         .scale(["tenure_months", "monthly_charges", "total_charges", "charges_per_month",
                 "nps_score", "days_since_last_login"])
         .one_hot(["contract", "plan", "payment_method"])
         .drop(["customer_id", "signup_date", "churned", "region", "autopay"]))
    X = p.fit_transform(df)
    assert not np.isnan(X).any()
    lr = cl.LogisticRegression(C=1.0).fit(X, df["churned"])
    contrib = np.column_stack([X * lr.coef_[0], np.full(len(X), lr.intercept_[0])])
    by_source = p.contributions_by_source(contrib)

    # brute force: one long row per (customer, feature, source), each source its 1/m share
    names = list(p.numeric_feature_names_)
    sources = p.feature_sources_
    parts = []
    for j, name in enumerate(names):
        for s in sources[name]:
            parts.append(pd.DataFrame({"row": np.arange(len(X)), "source": s,
                                       "value": contrib[:, j] / len(sources[name])}))
    long = pd.concat(parts, ignore_index=True)
    ref = long.groupby(["row", "source"])["value"].sum().unstack("source")
    ref = ref[list(p.source_columns_)]
    np.testing.assert_allclose(by_source.drop(columns="bias").to_numpy(), ref.to_numpy(),
                               rtol=1e-12, atol=1e-12)
    assert set(by_source.columns) >= {"contract", "total_charges", "tenure_months"}
    # the raw reasons plus the bias still add up to the model's score
    np.testing.assert_allclose(by_source.sum(axis=1), lr.decision_function(X), rtol=1e-10,
                               atol=1e-10)


# ---- bad input -----------------------------------------------------------------------------------

def test_bad_settings_and_bad_input():
    df = customers(500, 18)
    with pytest.raises(TypeError, match="bogus"):
        cl.FeaturePipeline(steps=[{"type": "scale", "columns": ["tenure_months"], "bogus": 1}]).fit(df)
    with pytest.raises(ValueError, match="strategy"):
        cl.FeaturePipeline().impute(["tenure_months"], strategy="magic")
    with pytest.raises(ValueError, match="unknown step type"):
        cl.FeaturePipeline(steps=[{"type": "magic", "columns": ["a"]}]).fit(df)
    with pytest.raises(TypeError, match="list of column names"):
        cl.FeaturePipeline().scale("tenure_months")
    with pytest.raises(TypeError):
        cl.FeaturePipeline().scale(["tenure_months"], with_mean="yes")
    with pytest.raises(ValueError, match="quantile"):
        cl.FeaturePipeline().clip(["tenure_months"], lower_quantile=0.9, upper_quantile=0.1)
    with pytest.raises(cl.NotFittedError):
        cl.FeaturePipeline().scale(["tenure_months"]).transform(df)
    with pytest.raises(ValueError, match="could not convert string to float"):
        cl.FeaturePipeline().scale(["tenure_months"]).fit(df.to_numpy())  # text in an array
    p = demo_pipeline().fit(df)
    with pytest.raises(ValueError, match="'monthly_charges'"):
        p.transform(df.drop(columns=["monthly_charges"]))
    with pytest.raises(TypeError, match="'contract'"):
        p.transform(df.assign(contract=np.arange(len(df), dtype=float)))
    strict = cl.FeaturePipeline().one_hot(["plan"], unknown="error").fit(df)
    bad = df.copy()
    bad["plan"] = bad["plan"].cat.add_categories(["Gold"])
    bad.loc[bad.index[3], "plan"] = "Gold"
    with pytest.raises(ValueError, match="Gold"):
        strict.transform(bad)
    with pytest.raises(ValueError, match="log1p|-1"):
        cl.FeaturePipeline().log1p(["tenure_months"]).fit(df.assign(tenure_months=-2.0))
    with pytest.raises(ValueError):
        cl.FeaturePipeline().scale(["tenure_months"]).fit(df.iloc[:0])
    # event join misuse
    ev = events(500, 19)
    pj = cl.FeaturePipeline(events=cl.EventAggregator(windows=(7,)))
    with pytest.raises(ValueError, match="events"):
        pj.fit(df)
    with pytest.raises(ValueError, match="as_of"):
        pj.fit(df, events=ev)
    with pytest.raises(ValueError, match="days_since_last_login"):
        pj.fit(df, events=ev, as_of=AS_OF)             # a customer column of the same name
    with pytest.raises(ValueError, match="join_events"):
        cl.FeaturePipeline().scale(["tenure_months"]).fit(df, events=ev, as_of=AS_OF)
    with pytest.raises(TypeError):
        cl.FeaturePipeline().join_events("not an aggregator")
    with pytest.raises(ValueError):
        cl.FeaturePipeline(as_of_col="snapshot").fit(df)


def test_docstring_examples_run():
    import doctest

    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    for t in doctest.DocTestFinder().find(cl.FeaturePipeline, "FeaturePipeline", globs={}):
        runner.run(t)
    assert runner.tries > 0 and runner.failures == 0


# ---- a pipeline file shared with the C++ tests -----------------------------------------------------

FIXTURE = (pathlib.Path(__file__).resolve().parents[2] / "tests" / "testdata"
           / "pipeline_fixture.json")


def _fixture_frames():
    df = customers(120, 21)
    df = df[["customer_id", "signup_date", "region", "plan", "contract", "tenure_months",
             "monthly_charges", "total_charges", "nps_score", "support_tickets"]]
    ev = events(120, 22, per_customer=8.0)
    return df, ev


def _fixture_pipeline():
    agg = cl.EventAggregator(windows=(7, 30), amount_col="amount", amount_event_types=["purchase"])
    return (cl.FeaturePipeline(events=agg, event_prefix="ev_")
            .impute(["total_charges", "nps_score"], add_indicator=True)
            .impute(["ev_days_since_last_event"], strategy="constant", fill_value=180)
            .impute(["region"], strategy="most_frequent")
            .clip(["monthly_charges"], lower_quantile=0.05, upper_quantile=0.95)
            .ratio("tickets_per_login", "support_tickets", "ev_login_count_30d",
                   denominator_offset=1)
            .log1p(["total_charges", "ev_amount_sum_30d"])
            .bin(["tenure_months"], strategy="fixed", edges=[12, 24, 48], suffix="_group")
            .scale(["tenure_months", "monthly_charges", "ev_login_count_30d"])
            .one_hot(["contract", "region"], unknown="other", min_count=5)
            .ordinal(["plan"])
            .drop(["customer_id", "signup_date"]))


def _frame_json(df):
    out = {}
    for c in df.columns:
        s = df[c]
        if isinstance(s.dtype, pd.CategoricalDtype):
            out[c] = {"dtype": "categorical", "values": [None if pd.isna(v) else str(v) for v in s]}
        elif pd.api.types.is_datetime64_any_dtype(s):
            out[c] = {"dtype": "timestamp", "values": [None if pd.isna(v) else int(v.value)
                                                        for v in s]}
        elif pd.api.types.is_float_dtype(s):
            out[c] = {"dtype": "float64", "values": [None if np.isnan(v) else float(v) for v in s]}
        else:
            out[c] = {"dtype": "string", "values": [None if pd.isna(v) else str(v) for v in s]}
    return out


def _frame_from_json(cols):
    data = {}
    for c, spec in cols.items():
        v = spec["values"]
        if spec["dtype"] == "categorical":
            data[c] = pd.Categorical(v)
        elif spec["dtype"] == "timestamp":
            data[c] = pd.to_datetime([pd.NaT if x is None else x for x in v], unit="ns")
        elif spec["dtype"] == "float64":
            data[c] = np.array([np.nan if x is None else x for x in v], dtype=np.float64)
        else:
            data[c] = pd.array(v, dtype=object)
    return pd.DataFrame(data)


def write_fixture():
    df, ev = _fixture_frames()
    p = _fixture_pipeline().fit(df, events=ev, as_of=AS_OF)
    out = p.set_params(output="numpy").transform(df, events=ev, as_of=AS_OF)
    doc = {"note": "written by python/tests/test_features_pipeline.py --write-fixture; read by "
                   "tests/features/test_pipeline.cpp (null = missing; output: the float64 "
                   "columns, row-major)",
           "pipeline": json.loads(p.to_json()), "as_of": int(pd.Timestamp(AS_OF).value),
           "customers": _frame_json(df), "events": _frame_json(ev),
           "output_names": list(p.get_feature_names_out()),
           "output": [[None if math.isnan(v) else float(v) for v in row] for row in out]}
    FIXTURE.write_text(json.dumps(doc) + "\n")


def test_fixture_shared_with_cpp_replays_bit_identically():
    """The C++ test (features_pipeline/python_fixture_...) checks the same numbers exactly."""
    doc = json.loads(FIXTURE.read_text())
    p = cl.FeaturePipeline.from_json(json.dumps(doc["pipeline"])).set_params(output="numpy")
    df, ev = _frame_from_json(doc["customers"]), _frame_from_json(doc["events"])
    X = p.transform(df, events=ev, as_of=doc["as_of"])
    want = np.array([[np.nan if v is None else v for v in row] for row in doc["output"]])
    assert list(p.get_feature_names_out()) == doc["output_names"]
    np.testing.assert_array_equal(bits(X), bits(want))
    # and the fixture still is what this build fits (the pipeline file is current)
    df0, ev0 = _fixture_frames()
    fresh = _fixture_pipeline().fit(df0, events=ev0, as_of=AS_OF)
    assert json.loads(fresh.to_json())["state"] == doc["pipeline"]["state"]


if __name__ == "__main__":
    import sys

    if "--write-fixture" in sys.argv:
        write_fixture()
        print("wrote", FIXTURE)


def test_builder_defaults_are_the_cpp_defaults():
    """Step settings have one source: each step's *Params struct in C++ (step_settings.hpp).
    The builder methods repeat the defaults in their signatures; this test holds them equal, and
    checks that C++ names the setting for a bad one."""
    import inspect
    import math

    builders = {"impute": "impute", "clip": "clip", "log1p": "log1p", "scale": "scale",
                "one_hot": "one_hot", "ordinal": "ordinal", "bin": "bin", "combine": "combine",
                "drop": "drop", "select": "select"}
    operands = {"columns", "output", "a", "op", "b"}
    for step, method in builders.items():
        cpp = cl._core._FeaturePipeline.step_defaults(step)
        sig = inspect.signature(getattr(cl.FeaturePipeline, method)).parameters
        assert set(cpp) == set(sig) - {"self"}, step
        for name, value in cpp.items():
            if name in operands:
                continue
            default = sig[name].default
            if default is None and value is not None:  # bin's edges / labels: None means []
                default = []
            if isinstance(value, float) and math.isnan(value):
                assert math.isnan(default), (step, name)
            else:
                assert default == value, (step, name, default, value)
    with pytest.raises(TypeError, match="FeaturePipeline.scale\\(\\): got an unexpected argument 'x'"):
        cl._core._FeaturePipeline().add_step("scale", {"columns": ["a"], "x": 1})
    with pytest.raises(TypeError, match="missing argument 'columns'"):
        cl._core._FeaturePipeline().add_step("scale", {})
    with pytest.raises(TypeError, match="n_bins must be an int"):
        cl.FeaturePipeline().bin(["a"], n_bins=2.5)
    with pytest.raises(ValueError, match="unknown step type 'magic'"):
        cl._core._FeaturePipeline.step_defaults("magic")
