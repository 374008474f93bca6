"""Schema: building, validation reports, enforce, infer, JSON, pickling."""

import json
import pickle

import numpy as np
import pandas as pd
import pytest

import churnlib as cl


def _df():
    return pd.DataFrame(
        {
            "id": ["a", "b", "a", None],
            "age": [30.0, -1.0, 200.0, 40.0],
            "plan": pd.Categorical(["basic", "gold", "platinum", "basic"]),
            "extra": [1, 2, 3, 4],
        }
    )


def _schema():
    return (
        cl.Schema()
        .add("id", "string", nullable=False, unique=True)
        .add(cl.ColumnSpec("age", "float64", min=0, max=120))
        .add({"name": "plan", "dtype": "category", "allowed": ["basic", "gold"]})
        .add("signup", "timestamp", min="2020-01-01")
    )


def test_report_lists_every_violation():
    report = _schema().validate(_df())
    assert not report.ok
    rules = sorted(v.rule for v in report.violations)
    assert rules == sorted(
        ["missing_column", "unknown_column", "not_null", "unique", "min", "max", "allowed"])
    assert len(report) == len(report.violations) == 7
    by_rule = {v.rule: v for v in report.violations}
    assert by_rule["min"].column == "age" and by_rule["min"].row == 1
    assert by_rule["max"].row == 2 and by_rule["max"].value == "200"
    assert by_rule["allowed"].value == "platinum"
    assert by_rule["unique"].row == 2
    assert by_rule["not_null"].row == 3
    assert by_rule["missing_column"].column == "signup" and by_rule["missing_column"].row == -1
    assert by_rule["unknown_column"].column == "extra"
    for v in report.violations:
        assert v.message and v.to_dict()["rule"] == v.rule

    df = report.to_pandas()
    assert list(df.columns) == ["column", "row", "line", "value", "rule", "message"]
    assert len(df) == 7
    text = str(report)
    assert "7" in text and "age" in text
    assert "7 violations" in repr(report)


def test_ok_report_and_enforce():
    s = _schema().allow_extra_columns(True)
    s2 = cl.Schema([cl.ColumnSpec("x", "float64", nullable=False)])
    good = cl.Table({"x": [1.0, 2.0]})
    r = s2.validate(good)
    assert r.ok and len(r) == 0 and r.to_pandas().empty
    s2.enforce(good)
    with pytest.raises(cl.SchemaError) as info:
        s.enforce(_df())
    assert isinstance(info.value, ValueError)
    assert "age" in str(info.value)


def test_schema_properties():
    s = _schema()
    assert s.names == ["id", "age", "plan", "signup"]
    assert len(s) == 4 and "age" in s and "nope" not in s
    spec = s.column("age")
    assert spec.dtype == "float64" and spec.min == 0.0 and spec.max == 120.0
    assert s.column("signup").min == pd.Timestamp("2020-01-01").value
    assert s.column("plan").allowed == ["basic", "gold"]
    assert s.column("id").unique and not s.column("id").nullable
    assert not s.extra_columns_allowed
    assert s.allow_extra_columns().extra_columns_allowed
    s.unique("age")
    assert s.column("age").unique
    # columns are copies: changing one does not change the schema
    s.columns[0].nullable = True
    assert not s.column("id").nullable
    assert "ColumnSpec('age', 'float64'" in repr(s)


def test_schema_argument_errors():
    with pytest.raises(TypeError):
        cl.Schema([{"name": "a", "dtyp": "float64"}])  # unknown key
    with pytest.raises(TypeError):
        cl.Schema().add("a", "float64", nullabel=False)  # unknown keyword
    with pytest.raises(TypeError):
        cl.Schema([42])
    with pytest.raises(cl.InvalidArgument):
        cl.Schema().add("a").add("a")  # repeated name
    with pytest.raises(cl.InvalidArgument):
        cl.Schema([cl.ColumnSpec("a", "float64", min=2, max=1)])
    with pytest.raises(cl.InvalidArgument):
        cl.ColumnSpec("a", "decimal")
    with pytest.raises(cl.InvalidArgument):
        cl.Schema().unique("nope")


def test_infer():
    df = _df()
    s = cl.Schema.infer(df)
    assert s.names == list(df.columns)
    assert s.column("plan").dtype == "category"
    assert s.column("id").nullable and not s.column("age").nullable
    assert s.validate(df).ok


def test_json_round_trip(tmp_path):
    s = _schema()
    text = s.to_json()
    doc = json.loads(text)
    assert doc["format"] == "churnlib" and doc["kind"] == "Schema"
    assert cl.Schema.from_json(text) == s
    assert cl.Schema.from_json(doc) == s
    assert "\n" in s.to_json(indent=2)
    p = tmp_path / "schema.json"
    s.save(p)
    assert cl.Schema.load(str(p)) == s
    assert cl.Schema.load(p) != cl.Schema()


def test_json_errors(tmp_path):
    with pytest.raises(cl.SerializationError):
        cl.Schema.from_json("[1, 2")
    with pytest.raises(cl.SerializationError):
        cl.Schema.from_json({"format": "churnlib", "version": "1.0", "kind": "Other",
                             "params": {}, "state": {}})
    doc = json.loads(_schema().to_json())
    doc["version"] = "99.0"
    with pytest.raises(cl.SerializationError):
        cl.Schema.from_json(doc)
    with pytest.raises(cl.IOError):
        cl.Schema.load(tmp_path / "missing.json")
    with pytest.raises(TypeError):
        cl.Schema.from_json(3)


def test_pickle():
    s = _schema()
    assert pickle.loads(pickle.dumps(s)) == s
    spec = cl.ColumnSpec("x", "int64", nullable=False, min=1, allowed=[])
    assert pickle.loads(pickle.dumps(spec)) == spec
    assert spec.to_dict()["dtype"] == "int64"


def test_validate_table_and_violation_lines(tmp_path):
    p = tmp_path / "d.csv"
    p.write_text("x\n1\n2\n-3\n")
    t = cl.read_csv(p)
    r = cl.Schema([cl.ColumnSpec("x", min=0)]).validate(t)
    assert [v.row for v in r.violations] == [2]
    assert np.isnan(t["x"]).sum() == 0
