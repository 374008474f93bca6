"""describe against pandas' describe."""

import numpy as np
import pandas as pd
import pytest

import churnlib as cl


def test_describe_matches_pandas():
    rng = np.random.default_rng(7)
    x = rng.normal(10, 3, size=1001)
    x[::17] = np.nan
    df = pd.DataFrame(
        {
            "x": x,
            "k": rng.integers(0, 50, size=1001),
            "c": pd.Categorical(rng.choice(["a", "b", "c"], size=1001, p=[0.6, 0.3, 0.1])),
        }
    )
    out = cl.describe(df)
    assert list(out.index) == ["x", "k", "c"]
    ref = df.describe()
    for col in ("x", "k"):
        row = out.loc[col]
        assert row["count"] == ref.loc["count", col]
        for ours, theirs in [("mean", "mean"), ("std", "std"), ("min", "min"), ("p25", "25%"),
                             ("p50", "50%"), ("p75", "75%"), ("max", "max")]:
            assert row[ours] == pytest.approx(ref.loc[theirs, col], rel=1e-12), (col, ours)
    assert out.loc["x", "missing"] == df["x"].isna().sum()
    assert out.loc["x", "missing_rate"] == pytest.approx(df["x"].isna().mean())
    assert out.loc["k", "n_unique"] == df["k"].nunique()
    assert out.loc["c", "n_unique"] == 3
    assert out.loc["c", "top"] == "a"
    assert np.isnan(out.loc["c", "mean"])
    assert str(out.loc["x", "dtype"]) == "float64"


def test_describe_table_and_string():
    t = cl.make_customers(500, seed=4)
    out = cl.describe(t, n_threads=1)
    assert len(out) == t.num_columns
    assert out.loc["monthly_charges", "mean"] == pytest.approx(np.nanmean(t["monthly_charges"]))
    text = cl.describe_string(t)
    assert "monthly_charges" in text
    with pytest.raises(TypeError):
        cl.describe([1, 2, 3])
