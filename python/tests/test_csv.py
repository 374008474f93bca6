"""read_csv, parse_csv, read_csv_chunks, write_csv, to_csv_string."""

import numpy as np
import pandas as pd
import pytest

import churnlib as cl


def _telco_schema():
    return cl.Schema(
        [
            {"name": "customerID", "dtype": "string", "nullable": False, "unique": True},
            {"name": "gender", "dtype": "category", "allowed": ["Female", "Male"]},
            {"name": "SeniorCitizen", "dtype": "int64", "min": 0, "max": 1},
            {"name": "tenure", "dtype": "float64", "nullable": False, "min": 0, "max": 100},
            {"name": "MonthlyCharges", "dtype": "float64", "nullable": False, "min": 0},
            {"name": "TotalCharges", "dtype": "float64", "min": 0},
            {"name": "Churn", "dtype": "category", "allowed": ["Yes", "No"]},
        ],
        allow_extra_columns=True,
    )


def test_read_telco_with_schema(telco_path):
    t = cl.read_csv(telco_path, _telco_schema())
    assert t.num_rows == 7043
    assert t.num_columns == 21
    d = t.dtypes
    assert d["customerID"] == "string" and d["SeniorCitizen"] == "int64"
    assert d["TotalCharges"] == "float64" and d["Churn"] == "category"
    assert t.null_count("TotalCharges") == 11
    assert int(np.isnan(t["TotalCharges"]).sum()) == 11
    # the same numbers as pandas
    ref = pd.read_csv(telco_path, na_values=[" "])
    np.testing.assert_array_equal(t["TotalCharges"], ref["TotalCharges"].to_numpy(dtype=float))
    np.testing.assert_array_equal(t["tenure"], ref["tenure"].to_numpy(dtype=float))
    assert sorted(t.categories("Churn")) == ["No", "Yes"]
    assert list(t["customerID"][:2]) == list(ref["customerID"][:2])


def test_read_telco_str_path_and_options(telco_path):
    t = cl.read_csv(str(telco_path), usecols=["customerID", "tenure"], dtypes={"tenure": int},
                    n_threads=1)
    assert t.column_names == ["customerID", "tenure"]
    assert t.dtypes["tenure"] == "int64"


def test_read_csv_schema_violation_raises_schema_error(tmp_path):
    p = tmp_path / "bad.csv"
    p.write_text("id,age\na,30\nb,-4\na,200\n")
    s = cl.Schema([cl.ColumnSpec("id", "string", unique=True),
                   cl.ColumnSpec("age", "float64", min=0, max=120)])
    with pytest.raises(cl.SchemaError) as info:
        cl.read_csv(p, s)
    assert isinstance(info.value, ValueError)
    msg = str(info.value)
    assert "age" in msg and "id" in msg


def test_parse_errors(tmp_path):
    with pytest.raises(cl.ParseError, match="line 3"):
        cl.parse_csv("a,b\n1,2\n3\n")
    with pytest.raises(ValueError):
        cl.parse_csv("a,b\n1,2\n3\n")
    with pytest.raises(cl.ParseError, match="foo"):
        cl.parse_csv("a\n1\nfoo\n", dtypes={"a": "float64"})
    p = tmp_path / "q.csv"
    p.write_text('a,b\n1,"unterminated\n')
    with pytest.raises(cl.ParseError, match="q.csv"):
        cl.read_csv(p)


def test_option_validation():
    with pytest.raises(cl.InvalidArgument):
        cl.parse_csv("a\n1\n", delimiter=";;")
    with pytest.raises(cl.InvalidArgument):
        cl.parse_csv("a\n1\n", dtypes={"a": "decimal"})
    with pytest.raises(TypeError):
        cl.parse_csv("a\n1\n", dtypes={"a": 3})
    with pytest.raises(cl.SchemaError):
        cl.parse_csv("a\n1\n", usecols=["b"])
    with pytest.raises(TypeError):
        cl.parse_csv("a\n1\n", dtype={"a": "float64"})  # misspelt keyword


def test_parse_csv_options():
    t = cl.parse_csv("x;y\n1;-\n2;b\n", delimiter=";", na_values=["-"])
    assert t.dtypes["x"] == "float64" and t.dtypes["y"] in ("string", "category")
    assert t.null_count("y") == 1
    t2 = cl.parse_csv("1,2\n3,4\n", header=False, infer_int64=True)
    assert t2.column_names == ["column_1", "column_2"]
    assert t2.dtypes == {"column_1": "int64", "column_2": "int64"}


def test_write_and_read_back(tmp_path):
    t = cl.make_customers(300, seed=5)
    p = tmp_path / "customers.csv"
    cl.write_csv(t, p)
    back = cl.read_csv(p, dtypes={name: dt for name, dt in t.dtypes.items()})
    assert back.shape == t.shape
    for name in ("monthly_charges", "total_charges", "nps_score"):
        np.testing.assert_array_equal(back[name], t[name])
    np.testing.assert_array_equal(back["signup_date"], t["signup_date"])
    assert list(back["customer_id"]) == list(t["customer_id"])
    assert list(back.to_pandas()["region"].astype(object)) == list(
        t.to_pandas()["region"].astype(object))


def test_write_dataframe_and_to_csv_string(tmp_path):
    df = pd.DataFrame({"a": [1.5, np.nan], "s": ["x,y", None]})
    text = cl.to_csv_string(df, na_rep="NA")
    assert text.splitlines() == ["a,s", '1.5,"x,y"', "NA,NA"]
    p = tmp_path / "out.tsv"
    cl.write_csv(df, str(p), delimiter="\t", header=False)
    assert p.read_text() == '1.5\tx,y\n\t\n'
    with pytest.raises(TypeError):
        cl.write_csv([1, 2], p)
    with pytest.raises(cl.IOError):
        cl.write_csv(df, tmp_path / "no" / "such" / "dir.csv")


def test_read_csv_chunks(telco_path):
    full = cl.read_csv(telco_path, dtypes={"TotalCharges": "float64"})
    reader = cl.read_csv_chunks(telco_path, 64 * 1024, dtypes={"TotalCharges": "float64"})
    assert reader.column_names == full.column_names
    chunks = list(reader)
    assert len(chunks) > 5
    assert sum(len(c) for c in chunks) == 7043
    assert all(c.column_names == full.column_names for c in chunks)
    np.testing.assert_array_equal(
        np.concatenate([c["TotalCharges"] for c in chunks]), full["TotalCharges"])
    assert sum(c.null_count("TotalCharges") for c in chunks) == 11
    with pytest.raises(cl.InvalidArgument):
        cl.read_csv_chunks(telco_path, 0)
