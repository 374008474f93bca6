"""Table.from_records and scoring records (a dict per customer, as a request body)."""

import datetime

import numpy as np
import pandas as pd
import pytest

import churnlib as cl


@pytest.fixture(scope="module")
def customers():
    return cl.make_customers(2000, seed=5).to_pandas()


@pytest.fixture(scope="module")
def model(customers):
    return cl.train_churn_model(customers, "churned", candidates=["logistic", "gbdt"], cv=2,
                                n_jobs=1)


def _records(frame):
    """The frame's rows as plain-Python dicts, as a JSON request carries them: None where
    pandas holds a missing value, timestamps as ISO text."""
    out = []
    for row in frame.to_dict("records"):
        rec = {}
        for k, v in row.items():
            if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NaT:
                rec[k] = None
            elif isinstance(v, pd.Timestamp):
                rec[k] = v.isoformat()
            elif isinstance(v, (np.integer,)):
                rec[k] = int(v)
            else:
                rec[k] = v
        out.append(rec)
    return out


def test_inferred_types_match_pandas():
    recs = [{"a": 1, "b": 1.5, "c": "x", "d": True},
            {"a": 2, "b": None, "c": None, "e": 3.0},
            {"b": float("nan"), "a": 3, "c": "y", "d": False}]
    t = cl.Table.from_records(recs)
    assert t.column_names == ["a", "b", "c", "d", "e"]
    assert t.dtypes == {"a": "int64", "b": "float64", "c": "string", "d": "int64",
                        "e": "float64"}
    ref = pd.DataFrame.from_records(recs, columns=["a", "b", "c", "d", "e"])
    got = t.to_pandas()
    np.testing.assert_array_equal(got["a"].to_numpy(), ref["a"].to_numpy())
    np.testing.assert_array_equal(got["b"].to_numpy(), ref["b"].to_numpy())
    np.testing.assert_array_equal(got["e"].to_numpy(), ref["e"].to_numpy())
    assert list(got["c"].astype(object).where(got["c"].notna(), None)) == ["x", None, "y"]
    assert list(got["d"]) == [1, pd.NA, 0]


def test_one_dict_is_one_row_and_numpy_scalars_work():
    t = cl.Table.from_records({"x": np.float64(2.5), "n": np.int32(7), "s": "a",
                               "when": datetime.datetime(2024, 1, 2, 3, 4, 5)})
    assert t.num_rows == 1
    assert t.dtypes == {"x": "float64", "n": "int64", "s": "string", "when": "timestamp"}
    df = t.to_pandas()
    assert df["x"][0] == 2.5 and df["n"][0] == 7
    assert df["when"][0] == pd.Timestamp("2024-01-02 03:04:05")


def test_schema_types_the_columns_it_names():
    schema = cl.Schema.infer(cl.Table({"cat": pd.Categorical(["a", "b"]), "num": [1.0, 2.0],
                                       "cnt": pd.array([1, 2], dtype="int64"),
                                       "ts": pd.to_datetime(["2024-01-01", "2024-02-01"])}))
    t = cl.Table.from_records([{"cat": "b", "num": 3, "cnt": 4.0, "ts": "2024-03-01",
                                "other": 1}], schema=schema)
    assert t.dtypes == {"cat": "category", "num": "float64", "cnt": "int64",
                        "ts": "timestamp", "other": "int64"}
    df = t.to_pandas()
    assert df["num"][0] == 3.0 and df["cnt"][0] == 4
    assert df["ts"][0] == pd.Timestamp("2024-03-01")


@pytest.mark.parametrize("records, exc, words", [
    ([], ValueError, "no records"),
    ([{"a": 1}, 5], TypeError, "record 1"),
    ({1: 2}, TypeError, "must be str"),
    ([{"a": 1}, {"a": "x"}], TypeError, "mixes"),
    ([{"a": [1, 2]}], TypeError, "column 'a', record 0"),
    ({}, ValueError, "no columns"),
])
def test_bad_records(records, exc, words):
    with pytest.raises(exc, match=words):
        cl.Table.from_records(records)


def test_schema_mismatch_names_column_record_and_value():
    schema = cl.Schema.infer(cl.Table({"num": [1.0, 2.0]}))
    with pytest.raises(TypeError, match=r"column 'num', record 1: expected a number.*'12'"):
        cl.Table.from_records([{"num": 1.0}, {"num": "12"}], schema=schema)
    ischema = cl.Schema.infer(cl.Table({"n": np.array([1, 2], dtype=np.int64)}))
    with pytest.raises(TypeError, match="expected an integer"):
        cl.Table.from_records({"n": 1.5}, schema=ischema)
    with pytest.raises(TypeError, match="within int64"):
        cl.Table.from_records({"n": 2**70}, schema=ischema)


def test_scoring_records_equals_scoring_the_frame(model, customers):
    batch = customers.drop(columns=["churned"]).head(64)
    recs = _records(batch)
    p_frame = model.predict_proba(batch)
    np.testing.assert_array_equal(model.predict_proba(recs), p_frame)
    for i in (0, 7, 33):  # one request at a time, bit for bit
        np.testing.assert_array_equal(model.predict_proba(recs[i]), p_frame[i:i + 1])
    s = model.score(recs[3], n_reasons=2)
    ref = model.score(batch.iloc[[3]], n_reasons=2)
    pd.testing.assert_frame_equal(s, ref)
    assert model.validate(recs[0]).ok


def test_record_breaking_the_contract_is_reported(model, customers):
    rec = _records(customers.drop(columns=["churned"]).head(1))[0]
    rec.pop("tenure_months")
    with pytest.raises(cl.SchemaError, match="tenure_months"):
        model.predict_proba(rec)
    rec2 = _records(customers.drop(columns=["churned"]).head(1))[0]
    rec2["monthly_charges"] = "lots"
    with pytest.raises(TypeError, match="monthly_charges"):
        model.predict_proba(rec2)


@pytest.mark.parametrize("kind", ["logistic", "random_forest", "gbdt"])
def test_a_customer_scores_the_same_alone_or_in_a_batch(customers, kind):
    # Per-request scoring and the nightly batch must agree bit for bit on every customer.
    m = cl.train_churn_model(customers.head(800), "churned", candidates=[kind], cv=2,
                             n_jobs=2)
    batch = customers.drop(columns=["churned"]).iloc[800:900]
    p = m.predict_proba(batch)[:, 1]
    recs = _records(batch)
    alone = np.array([m.predict_proba(r)[0, 1] for r in recs])
    np.testing.assert_array_equal(alone, p)
