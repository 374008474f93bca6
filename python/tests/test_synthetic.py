"""make_customers, make_events: determinism and shape."""

import numpy as np
import pandas as pd
import pytest

import churnlib as cl


def _equal(a, b):
    pd.testing.assert_frame_equal(a.to_pandas(), b.to_pandas())


def test_customers_deterministic():
    a = cl.make_customers(2000, seed=11)
    b = cl.make_customers(2000, seed=11)
    _equal(a, b)
    _equal(a, cl.make_customers(2000, seed=11, n_threads=1))
    c = cl.make_customers(2000, seed=12)
    assert not np.array_equal(a["monthly_charges"], c["monthly_charges"], equal_nan=True)


def test_customers_columns_and_labels():
    t = cl.make_customers(3000, seed=1, churn_rate=0.3, missing_rate=0.1)
    assert t.num_rows == 3000
    for name in ("customer_id", "signup_date", "region", "plan", "contract", "tenure_months",
                 "monthly_charges", "churned"):
        assert name in t
    assert t.dtypes["churned"] == "int64" and t.dtypes["signup_date"] == "timestamp"
    assert set(np.unique(t["churned"])) <= {0, 1}
    assert 0.15 < t["churned"].mean() < 0.45
    assert list(t["customer_id"][:2]) == [cl.customer_id(0), cl.customer_id(1)] == [
        "C0000001", "C0000002"]
    assert (t["signup_date"] < np.datetime64("2024-07-01")).all()
    early = cl.make_customers(100, seed=1, as_of="2020-01-01")
    assert (early["signup_date"] < np.datetime64("2020-01-01")).all()


def test_customers_as_pandas():
    df = cl.make_customers(100, seed=3, as_pandas=True)
    assert isinstance(df, pd.DataFrame) and len(df) == 100
    df.loc[0, "monthly_charges"] = 1.0  # a writable frame


def test_events():
    e = cl.make_events(200, events_per_customer=5, seed=2, start="2024-02-01", end="2024-03-01")
    e2 = cl.make_events(200, events_per_customer=5, seed=2, start="2024-02-01", end="2024-03-01")
    _equal(e, e2)
    assert e.column_names[:3] == ["customer_id", "timestamp", "event_type"]
    ts = e["timestamp"]
    assert (ts >= np.datetime64("2024-02-01")).all() and (ts < np.datetime64("2024-03-01")).all()
    ids = set(e["customer_id"])
    assert ids <= {cl.customer_id(i) for i in range(200)}
    assert 0 < e.num_rows < 200 * 5 * 3


def test_invalid_options():
    with pytest.raises(cl.InvalidArgument):
        cl.make_customers(0)
    with pytest.raises(cl.InvalidArgument):
        cl.make_customers(10, missing_rate=2.0)
    with pytest.raises(cl.InvalidArgument):
        cl.make_events(10, start="2024-03-01", end="2024-01-01")
    with pytest.raises(cl.InvalidArgument):
        cl.make_events(10, start="not a date")
    with pytest.raises(cl.InvalidArgument, match="seed"):  # out of range, named (issue 19)
        cl.make_customers(10, seed=-1)
