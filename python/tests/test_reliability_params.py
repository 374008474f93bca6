"""Issue 19, findings 10 and 11: clear errors for bad parameters and inputs, JSON read alike.

- A frame with a text column given where numbers are wanted names the column and its dtype.
- Every int parameter given 2**40, 2**63, -1 (where invalid), a bool or a float raises
  InvalidArgument / TypeMismatch naming the parameter, never pybind11's "incompatible function
  arguments" signature dump.
- one_hot on a column of very many levels: refused by name unless max_categories is set.
- Every Python reader of JSON text accepts a UTF-8 BOM (as C++) and turns bad text into
  SerializationError, never JSONDecodeError / RecursionError / KeyError.
"""

import inspect
import json
import math
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import churnlib as cl
from churnlib import _core, _signatures
from churnlib._validation import CORE_INT_PARAMS, check_int, parse_json

DATA = Path(__file__).resolve().parents[2] / "tests" / "testdata"
SIGNATURE_DUMP = "incompatible function arguments"


def _raises_named(exc, name, call):
    """``call()`` raises ``exc`` whose message names ``name`` (and is no signature dump)."""
    with pytest.raises(exc) as info:
        call()
    msg = str(info.value)
    assert name in msg, msg
    assert SIGNATURE_DUMP not in msg, msg
    return msg


# ---- finding 10a: text columns name the column -------------------------------------------------

@pytest.fixture
def text_frame():
    return pd.DataFrame({"tenure": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
                         "plan": ["basic", "pro", "basic", "plus", "pro", "basic"]})


def test_kmeans_text_column_names_the_column(text_frame):
    msg = _raises_named(cl.TypeMismatch, "'plan'", lambda: cl.KMeans(2).fit(text_frame))
    assert "dtype" in msg and "could not convert" in msg  # numpy's reason kept, after the name
    km = cl.KMeans(2).fit(text_frame[["tenure"]])
    bad = text_frame[["plan"]].rename(columns={"plan": "tenure"})
    _raises_named(cl.TypeMismatch, "'tenure'", lambda: km.predict(bad))


def test_segment_functions_name_the_text_column(text_frame):
    labels = [0, 1, 0, 1, 0, 1]
    _raises_named(cl.TypeMismatch, "'plan'",
                  lambda: cl.segment.silhouette_score(text_frame, labels))
    _raises_named(cl.TypeMismatch, "'plan'",
                  lambda: cl.segment.sweep_k(text_frame, ks=[2]))
    _raises_named(cl.TypeMismatch, "'plan'",
                  lambda: cl.segment.profile_segments(text_frame, labels))


def test_other_numeric_inputs_name_the_column(text_frame):
    y = [0, 1, 0, 1, 0, 1]
    _raises_named(cl.TypeMismatch, "'plan'", lambda: cl.LogisticRegression().fit(text_frame, y))
    # check_matrix, shared by the other numeric inputs, names it too
    from churnlib._validation import check_matrix

    _raises_named(cl.TypeMismatch, "'plan'", lambda: check_matrix(text_frame, "caller()"))
    # metrics take arrays: a text Series names the argument and the column
    scores = text_frame["plan"]
    msg = _raises_named(cl.TypeMismatch, "y_score", lambda: cl.metrics.roc_auc(y, scores))
    assert "'plan'" in msg
    _raises_named(cl.TypeMismatch, "sample_weight",
                  lambda: cl.metrics.roc_auc(y, [0.5] * 6, sample_weight=["a"] * 6))
    # Baseline encodes text columns as categories: it fits (nothing to refuse)
    assert cl.monitor.Baseline().fit(text_frame).to_json()


# ---- finding 10b: int parameters ---------------------------------------------------------------

def _compiled_callables():
    """(qualified name, function) of every compiled function and method the package wraps."""
    spaces = [("", vars(_core))] + [(m + ".", vars(getattr(_core, m)))
                                    for m in ("_metrics", "_monitor", "_segment", "_retention",
                                              "_model")]
    out = []
    for prefix, ns in spaces:
        for key, obj in ns.items():
            if key.startswith("__"):
                continue
            if callable(obj) and hasattr(obj, "__signature__") and not isinstance(obj, type):
                out.append((prefix + key, obj))
            elif isinstance(obj, type) and type(obj).__name__ == "pybind11_type":
                for mkey, m in vars(obj).items():
                    func = getattr(m, "__func__", m)
                    if not mkey.startswith("_") and hasattr(func, "__signature__"):
                        out.append((f"{prefix}{key}.{mkey}", getattr(obj, mkey)))
    return out


def _int_params():
    out = []
    for qual, func in _compiled_callables():
        for pos, name, many, allow_none in _signatures.int_parameters(inspect.signature(func)):
            out.append((qual, func, name, many))
    return out


def test_every_int_parameter_of_the_bindings_has_a_range():
    params = _int_params()
    names = {name for _, _, name, _ in params}
    # the ones the issue names are among them
    assert {"n_bins", "bins", "n_splits", "seed", "max_categories", "n_customers"} <= names
    missing = sorted(f"{q}({n})" for q, _, n, _ in params if n not in CORE_INT_PARAMS)
    assert not missing, f"int parameters without a range in CORE_INT_PARAMS: {missing}"


@pytest.mark.parametrize("value", [2**64, -2**63 - 1, 2**100])
def test_every_int_parameter_of_the_bindings_refuses_huge_values(value):
    # checked before the call: the other arguments do not matter
    for qual, func, name, many in _int_params():
        arg = [value] if many else value
        with pytest.raises(cl.InvalidArgument) as info:
            func(**{name: arg})
        assert name in str(info.value), (qual, str(info.value))


@pytest.mark.parametrize("value", [True, 3.0, "3", 2.5])
def test_every_int_parameter_of_the_bindings_refuses_non_ints(value):
    for qual, func, name, many in _int_params():
        arg = [value] if many else value
        with pytest.raises(cl.TypeMismatch) as info:
            func(**{name: arg})
        assert name in str(info.value), (qual, str(info.value))


def test_check_int_rule():
    assert check_int(np.int32(5), "k", "f()", 1, 10) == 5
    assert type(check_int(np.int64(5), "k", "f()")) is int
    assert check_int(None, "k", "f()", allow_none=True) is None
    for bad in (True, np.bool_(False), 3.0, np.float64(2.0), "3", None, [3]):
        with pytest.raises(cl.TypeMismatch, match="f\\(\\): k must be an int"):
            check_int(bad, "k", "f()")
    with pytest.raises(cl.InvalidArgument, match=r"f\(\): k must be an int in \[1, 10\], got 11"):
        check_int(11, "k", "f()", 1, 10)


@pytest.fixture(scope="module")
def xy():
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(80, 3)), columns=["a", "b", "c"])
    y = (X["a"] + 0.3 * rng.normal(size=80) > 0).astype(int).to_numpy()
    return X, y


@pytest.fixture(scope="module")
def csv_path(tmp_path_factory):
    p = tmp_path_factory.mktemp("csv") / "small.csv"
    p.write_text("a,b\n1,x\n2,y\n3,x\n")
    return str(p)


@pytest.fixture(scope="module")
def churn_model():
    return cl.ChurnModel.load(DATA / "churn_model_logistic.json")


def _public_int_cases(xy, csv_path, churn_model, tmp_path):
    """(label, parameter name, call(value), values that must be refused, values that work)."""
    X, y = xy
    p = np.linspace(0.05, 0.95, len(y))
    times = np.arange(len(y), dtype=np.int64)
    x = X["a"].to_numpy()
    reg = cl.ModelRegistry(tmp_path / "reg")
    reg.register(cl.LogisticRegression().fit(X, y), "m")
    big, huge = 2**40, 2**63
    fit = lambda est: est.fit(X, y)  # noqa: E731
    fit_x = lambda est: est.fit(X)  # noqa: E731
    return [
        # metrics
        ("lift_table", "n_bins", lambda v: cl.metrics.lift_table(y, p, n_bins=v), [big, huge, -1, 0], [4]),
        ("calibration_curve", "n_bins",
         lambda v: cl.metrics.calibration_curve(y, p, n_bins=v), [big, huge, -1], [4]),
        ("calibration_table", "n_bins",
         lambda v: cl.metrics.calibration_table(y, p, n_bins=v), [big, huge, -1], [4]),
        ("stratified_kfold", "n_splits",
         lambda v: cl.metrics.stratified_kfold(y, n_splits=v), [big, huge, -1], [3]),
        ("stratified_kfold", "seed",
         lambda v: cl.metrics.stratified_kfold(y, 3, shuffle=True, seed=v), [2**64, -1], [big, huge]),
        ("time_series_split", "n_splits",
         lambda v: cl.metrics.time_series_split(times, n_splits=v), [big, huge, -1], [3]),
        ("time_split", "cutoff", lambda v: cl.metrics.time_split(times, v), [huge], [10]),
        ("cross_validate", "cv",
         lambda v: cl.metrics.cross_validate(cl.LogisticRegression(), X, y, cv=v), [big, huge, -1], [3]),
        ("roc_auc", "n_threads", lambda v: cl.metrics.roc_auc(y, p, n_threads=v), [big, huge, -1], [1]),
        # monitor
        ("psi", "bins", lambda v: cl.monitor.psi(x, x, bins=v), [big, huge, -1, 0], [5]),
        ("js_distance", "bins", lambda v: cl.monitor.js_distance(x, x, bins=v), [big, huge, -1], [5]),
        ("bin_edges", "bins", lambda v: cl.monitor.bin_edges(x, bins=v), [big, huge, -1], [5]),
        ("Baseline", "bins", lambda v: fit_x(cl.monitor.Baseline(bins=v)), [big, huge, -1], [5]),
        ("DriftReport.to_json", "indent",
         lambda v: cl.monitor.Baseline().fit(X).compare(X).to_json(indent=v), [big, huge, -2], [2]),
        # segment
        ("KMeans", "n_clusters", lambda v: fit_x(cl.KMeans(v)), [big, huge, -1], [2]),
        ("KMeans", "seed", lambda v: fit_x(cl.KMeans(2, seed=v)), [2**64, -1], [big, huge]),
        ("silhouette_score", "sample_size",
         lambda v: cl.segment.silhouette_score(X, y, sample_size=v), [huge, -1], [big, 20]),
        ("silhouette_score", "seed",
         lambda v: cl.segment.silhouette_score(X, y, sample_size=20, seed=v), [2**64, -1], [big]),
        ("sweep_k", "ks", lambda v: cl.segment.sweep_k(X, ks=[v]), [big, huge, -1], [2]),
        ("sweep_k", "silhouette_seed",
         lambda v: cl.segment.sweep_k(X, ks=[2], silhouette_seed=v), [2**64, -1], [big]),
        ("profile_segments", "n_segments",
         lambda v: cl.segment.profile_segments(X, y, n_segments=v), [big, huge, -1, 2**30], [3]),
        # estimators (parameters reach C++ as one dict, whose reader names them)
        ("GBDTClassifier", "n_estimators",
         lambda v: fit(cl.GBDTClassifier(n_estimators=v)), [big, huge, 2**64, -1], [2]),
        ("GBDTClassifier", "seed",
         lambda v: fit(cl.GBDTClassifier(n_estimators=2, seed=v)), [2**64, 2**70, -1], [big]),
        ("RandomForestClassifier", "n_estimators",
         lambda v: fit(cl.RandomForestClassifier(n_estimators=v)), [big, huge, 2**70, -1], [2]),
        ("LogisticRegression", "max_iter",
         lambda v: fit(cl.LogisticRegression(max_iter=v)), [big, huge, 2**70, -1], [50]),
        ("LogisticRegression", "n_threads",
         lambda v: fit(cl.LogisticRegression(n_threads=v)), [big, huge, -1], [1]),
        # features
        ("FeaturePipeline.bin", "n_bins",
         lambda v: fit_x(cl.FeaturePipeline().bin(["a"], n_bins=v)), [big, huge, 2**70, -1], [3]),
        ("FeaturePipeline.one_hot", "min_count",
         lambda v: cl.FeaturePipeline().one_hot(["a"], min_count=v), [2**64, 2**70, -1], [2]),
        ("FeaturePipeline.one_hot", "max_categories",
         lambda v: cl.FeaturePipeline().one_hot(["a"], max_categories=v), [2**63, 0, -1], [big, 2]),
        ("FeaturePipeline", "n_threads",
         lambda v: fit_x(cl.FeaturePipeline(n_threads=v).scale(["a"])), [big, huge, -1], [1]),
        ("EventAggregator.rfm", "window",
         lambda v: cl.EventAggregator.rfm(window=v), [big, huge, -1, 0], [30]),
        # data
        ("make_customers", "n_customers", lambda v: cl.make_customers(v), [big, huge, -1], [5]),
        ("make_customers", "seed", lambda v: cl.make_customers(5, seed=v), [2**64, -1], [big]),
        ("make_events", "n_customers", lambda v: cl.make_events(v), [big, huge, -1], [5]),
        ("customer_id", "i", lambda v: cl.customer_id(v), [huge, -1], [big]),
        ("read_csv", "max_categories",
         lambda v: cl.read_csv(csv_path, max_categories=v), [huge, -1], [big, 5]),
        ("parse_csv", "max_categories",
         lambda v: cl.parse_csv("a\n1\n", max_categories=v), [huge, -1], [big]),
        ("read_csv_chunks", "chunk_bytes",
         lambda v: list(cl.read_csv_chunks(csv_path, chunk_bytes=v)), [huge, -1, 0], [big, 4]),
        # model
        ("ChurnModel.score", "n_reasons",
         lambda v: churn_model.score(pd.read_csv(DATA / "churn_model_customers.csv").head(5),
                                     n_reasons=v), [big, huge, -1], [1]),
        ("ModelRegistry.set_stage", "version",
         lambda v: reg.set_stage("m", v, "staging"), [big, huge, -1], [1]),
        # retention
        ("apply_cooldown", "cooldown",  # floats are durations here (pandas.Timedelta)
         lambda v: cl.retention.apply_cooldown([], None, v), [huge, -1, True], [big, 1.5]),
    ]


def test_public_int_parameters_name_themselves(xy, csv_path, churn_model, tmp_path):
    for label, name, call, refused, accepted in _public_int_cases(xy, csv_path, churn_model,
                                                                   tmp_path):
        for v in refused:
            with pytest.raises((cl.InvalidArgument, cl.TypeMismatch)) as info:
                call(v)
            msg = str(info.value)
            assert name in msg and SIGNATURE_DUMP not in msg, (label, name, v, msg)
        for v in (True, 3.5):
            if any(v is a for a in accepted) or (isinstance(v, float) and
                                                 any(isinstance(a, float) for a in accepted)):
                continue
            with pytest.raises(cl.TypeMismatch) as info:
                call(v)
            assert name in str(info.value), (label, name, v, str(info.value))
        for v in accepted:
            call(v)  # works
            if isinstance(v, int) and v < 2**63:
                call(np.int64(v))  # numpy integers are ints too


# ---- finding 10c: one_hot on a column of very many levels ----------------------------------------

def _id_frame(n):
    return pd.DataFrame({"customer_id": [f"C{i:07d}" for i in range(n)],
                         "x": np.arange(n, dtype=np.float64)})


def test_one_hot_refuses_a_column_of_too_many_levels():
    # before: fit accepted it and transform asked for rows x levels doubles (MemoryError)
    df = _id_frame(10_001)
    pipe = cl.FeaturePipeline().one_hot(["customer_id"])
    msg = _raises_named(cl.InvalidArgument, "'customer_id'", lambda: pipe.fit(df))
    assert "10001 categories" in msg and "max_categories" in msg and "10000" in msg
    # at the limit it fits (fit only: transform would make 10,000 columns)
    cl.FeaturePipeline().one_hot(["customer_id"]).fit(df.iloc[:10_000])


def test_one_hot_max_categories_groups_the_rare_levels():
    df = _id_frame(200_000)
    df["plan"] = np.where(df["x"] % 10 < 5, "basic", np.where(df["x"] % 10 < 8, "pro", "plus"))
    pipe = cl.FeaturePipeline(output="pandas").one_hot(["customer_id", "plan"], max_categories=3)
    out = pipe.fit_transform(df)
    assert list(out.columns) == ["customer_id_C0199998", "customer_id_C0199999",
                                 "customer_id_other", "x", "plan_basic", "plan_pro", "plan_other"]
    assert out["customer_id_other"].sum() == 200_000 - 2
    assert out["plan_other"].sum() == 40_000  # plus, the least frequent of three


def test_one_hot_max_categories_matches_scikit_learn():
    from sklearn.preprocessing import OneHotEncoder

    rng = np.random.default_rng(3)
    levels = np.array(list("abcdefghij"))
    col = levels[np.minimum(rng.geometric(0.3, size=500) - 1, 9)]
    col[:20] = "e"  # ties in count among the levels
    df = pd.DataFrame({"c": col})
    for k in (1, 2, 3, 5, 9, 10, 11):
        for min_count in (1, 10):
            ours = cl.FeaturePipeline(output="numpy").one_hot(
                ["c"], max_categories=k, min_count=min_count).fit(df)
            theirs = OneHotEncoder(max_categories=k, min_frequency=min_count,
                                   handle_unknown="infrequent_if_exist",
                                   sparse_output=False).fit(df)
            np.testing.assert_array_equal(ours.transform(df), theirs.transform(df),
                                          err_msg=f"max_categories={k}, min_count={min_count}")
            names = [n.replace("infrequent_sklearn", "other")
                     for n in theirs.get_feature_names_out()]
            assert list(ours.get_feature_names_out()) == names


def test_one_hot_max_categories_round_trip_and_old_files(tmp_path):
    df = _id_frame(1000)
    pipe = cl.FeaturePipeline(output="numpy").one_hot(["customer_id"], max_categories=5,
                                                      unknown="other")
    X = pipe.fit_transform(df)
    assert X.shape == (1000, 6)
    doc = json.loads(pipe.to_json())
    assert doc["state"]["steps"][0]["params"]["max_categories"] == 5
    path = tmp_path / "pipe.json"
    pipe.save(path)
    back = cl.FeaturePipeline.load(path, output="numpy")
    fresh = _id_frame(1200)
    assert back.transform(fresh).tobytes() == pipe.transform(fresh).tobytes()
    assert back.steps[0]["max_categories"] == 5
    # a pipeline without max_categories saves what older versions wrote, and old files load
    df["plan"] = np.where(df["x"] % 3 == 0, "a", "b")
    plain = cl.FeaturePipeline(output="numpy").one_hot(["plan"]).fit(df)
    assert "max_categories" not in json.loads(plain.to_json())["state"]["steps"][0]["params"]
    fixture = json.loads((DATA / "pipeline_fixture.json").read_text())["pipeline"]
    old = cl.FeaturePipeline.from_json(json.dumps(fixture))
    assert any(s["type"] == "one_hot" and s["max_categories"] is None for s in old.steps)


# ---- finding 11: JSON read in Python -----------------------------------------------------------

BAD_TEXTS = ["[" * 1000 + "]" * 1000, '{"a":' * 1000 + "1" + "}" * 1000, "{nope", "", "[1, 2]",
             '"text"', "null", "\xff"]


def test_parse_json_helper():
    assert parse_json('\ufeff{"a": 1}', "x") == {"a": 1}
    assert parse_json(b'\xef\xbb\xbf{"a": 1}', "x") == {"a": 1}
    assert parse_json("[1]", "x", expect=list) == [1]
    for text in BAD_TEXTS + [b"\xff\xfe"]:
        with pytest.raises(cl.SerializationError, match="^x "):
            parse_json(text, "x")
    # 256 levels (C++'s limit) read; 257 do not, as in C++
    assert parse_json("[" * 256 + "]" * 256, "x", expect=list)
    with pytest.raises(cl.SerializationError, match="256 levels"):
        parse_json("[" * 257 + "]" * 257, "x", expect=list)
    # brackets inside strings do not count
    assert parse_json(json.dumps({"k": "[" * 300}), "x") == {"k": "[" * 300}


def _fitted_objects(xy):
    X, y = xy
    frame = X.assign(plan=np.where(X["a"] > 0, "x", "y"))
    return [cl.LogisticRegression().fit(X, y), cl.GBDTClassifier(n_estimators=3).fit(X, y),
            cl.RandomForestClassifier(n_estimators=3).fit(X, y), cl.KMeans(2).fit(X),
            cl.monitor.Baseline().fit(X), cl.FeaturePipeline().one_hot(["plan"]).fit(frame),
            cl.ChurnModel.load(DATA / "churn_model_logistic.json"),
            cl.retention.RuleSet.from_dict({"rules": []})]


def test_every_loader_accepts_a_bom_and_refuses_bad_json(xy, tmp_path):
    for obj in _fitted_objects(xy):
        cls = type(obj)
        text = obj.to_json()
        assert cls.from_json("\ufeff" + text).to_json() == text, cls.__name__
        path = tmp_path / f"{cls.__name__}.json"
        path.write_bytes(b"\xef\xbb\xbf" + text.encode())
        assert cls.load(path).to_json() == text, cls.__name__
        for bad in BAD_TEXTS:
            with pytest.raises(ValueError) as info:  # SerializationError (RuleSet: InvalidArgument)
                cls.from_json(bad)
            assert isinstance(info.value, (cl.SerializationError, cl.InvalidArgument)), \
                (cls.__name__, bad[:10], type(info.value))


def test_schema_and_registry_read_a_bom(tmp_path, xy):
    schema = cl.Schema.infer(cl.make_customers(50)) if hasattr(cl.Schema, "infer") else None
    if schema is not None:
        text = schema.to_json()
        assert cl.Schema.from_json("\ufeff" + text).to_json() == text
    X, y = xy
    reg = cl.ModelRegistry(tmp_path / "reg")
    reg.register(cl.LogisticRegression().fit(X, y), "m")
    model = reg.load("m")
    assert model.predict_proba(X).shape == (len(y), 2)


def test_python_side_json_readers(tmp_path, xy):
    """The places that parse JSON in Python (not C++) use the one helper."""
    X, y = xy
    # DriftReport.to_dict, SegmentProfiles.to_dict, ChurnModel.estimator_ / calibrator_
    report = cl.monitor.Baseline().fit(X).compare(X)
    assert isinstance(report.to_dict(), dict)
    prof = cl.segment.profile_segments(X, y)
    assert isinstance(prof.to_dict(), dict)
    model = cl.ChurnModel.load(DATA / "churn_model_logistic.json")
    assert model.estimator_.predict_proba is not None
    # report(previous=...): KPI JSON with a BOM is read; bad JSON is an InvalidArgument (a
    # ValueError), never RecursionError
    from churnlib.reporting import _previous as _previous_kpis

    prev = _previous_kpis('\ufeff{"period": "2024-01", "kpis": {"churn_rate": 0.1}}', "report()")
    assert prev["kpis"] == {"churn_rate": 0.1}
    p = tmp_path / "kpi.json"
    p.write_bytes(b'\xef\xbb\xbf{"kpis": {"churn_rate": 0.2}}')
    assert _previous_kpis(str(p), "report()")["kpis"] == {"churn_rate": 0.2}
    for bad in ("{" + '"a":{' * 1000, "[" * 1000 + "]" * 1000, "[1]"):
        with pytest.raises(ValueError):
            _previous_kpis(bad, "report()")


def test_cli_json_readers(tmp_path):
    from churnlib.cli._common import CliError
    from churnlib.cli.alerts import _drift_frame
    from churnlib.cli.validate import load_contract

    schema = cl.ChurnModel.load(DATA / "churn_model_logistic.json").contract_
    p = tmp_path / "schema.json"
    p.write_bytes(b"\xef\xbb\xbf" + schema.to_json().encode())
    assert load_contract(str(p)).to_json() == schema.to_json()
    drift = tmp_path / "drift.json"
    drift.write_bytes(b'\xef\xbb\xbf{"features": [{"feature": "a", "psi": 0.1}]}')
    assert list(_drift_frame(str(drift))["feature"]) == ["a"]
    for bad in BAD_TEXTS[:3]:
        p.write_text(bad)
        with pytest.raises(CliError):
            load_contract(str(p))
        drift.write_text(bad)
        with pytest.raises(CliError):
            _drift_frame(str(drift))
