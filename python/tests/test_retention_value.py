"""churnlib.retention money figures and KPIs against numpy/pandas references computed here."""

import inspect
import json

import numpy as np
import pandas as pd
import pytest

import churnlib as cl
from churnlib import _core
from churnlib.retention import (
    RiskBuckets,
    customer_export,
    customer_lifetime_value,
    customer_value,
    expected_loss,
    kpi_summary,
    revenue_at_risk,
)


def brute_force_clv(p, r, horizon, d, m):
    """m r sum_{t<H} ((1 - p) / (1 + d))^t, term by term."""
    q = (1 - p) / (1 + d)
    total = np.zeros_like(p)
    term = np.ones_like(p)
    for _ in range(horizon):
        total += term
        term = term * q
    return m * r * total


def customers(n=2000, seed=0):
    rng = np.random.default_rng(seed)
    p = rng.beta(1.5, 4, n)
    p[:3] = [0.0, 1.0, 0.5]
    r = rng.gamma(3, 20, n)
    seg = pd.Categorical(rng.choice(["basic", "plus", "pro"], n), categories=["basic", "plus", "pro"])
    y = rng.binomial(1, p).astype(float)
    y[rng.random(n) < 0.3] = np.nan
    return p, r, seg, y


@pytest.mark.parametrize("horizon,d,m", [(1, 0.0, 1.0), (12, 0.0, 1.0), (24, 0.01, 0.6),
                                         (120, 0.5, 0.3)])
def test_clv_equals_brute_force_sum_and_closed_form(horizon, d, m):
    p, r, _, _ = customers()
    got = customer_lifetime_value(p, r, horizon=horizon, discount_rate=d, margin=m)
    np.testing.assert_allclose(got, brute_force_clv(p, r, horizon, d, m), rtol=1e-12)
    q = (1 - p) / (1 + d)
    ok = np.abs(1 - q) > 1e-3
    with np.errstate(invalid="ignore", divide="ignore"):  # q = 1 rows, not compared
        closed = m * r * (1 - q ** horizon) / (1 - q)
    np.testing.assert_allclose(got[ok], closed[ok], rtol=1e-12)
    np.testing.assert_allclose(revenue_at_risk(p, r, horizon=horizon), p * r * horizon,
                               rtol=1e-15)
    np.testing.assert_allclose(expected_loss(p, r, horizon=horizon, discount_rate=d, margin=m),
                               p * got, rtol=1e-15)


def test_hand_computed_values_and_series_index():
    assert customer_lifetime_value([0.1], [100.0], horizon=3).tolist() == pytest.approx([271.0])
    assert customer_lifetime_value([0.0], [50.0], horizon=3).tolist() == [150.0]
    assert customer_lifetime_value([1.0], [80.0], horizon=3)[0] == pytest.approx(80.0)
    p = pd.Series([0.2, 0.4], index=["a", "b"])
    out = revenue_at_risk(p, [10.0, 20.0], horizon=2)
    assert isinstance(out, pd.Series) and list(out.index) == ["a", "b"]
    assert out.tolist() == pytest.approx([4.0, 16.0])
    df = customer_value(p, np.array([10.0, 20.0]), horizon=2)
    assert list(df.columns) == ["revenue_at_risk", "clv", "expected_loss"]
    assert df.loc["b", "clv"] == pytest.approx(20 * (1 + 0.6))


def test_value_bad_input():
    with pytest.raises(cl.InvalidArgument, match="row 1"):
        customer_lifetime_value([0.1, np.nan], [1.0, 2.0])
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        revenue_at_risk([0.1, 1.2], [1.0, 2.0])
    with pytest.raises(ValueError, match="revenue.*row 0"):
        expected_loss([0.1], [-1.0])
    with pytest.raises(ValueError, match="expected 2"):
        revenue_at_risk([0.1, 0.2], [1.0])
    with pytest.raises(ValueError, match="empty"):
        revenue_at_risk([], [])
    with pytest.raises(ValueError, match="horizon"):
        revenue_at_risk([0.1], [1.0], horizon=0)
    with pytest.raises(ValueError, match="margin"):
        customer_lifetime_value([0.1], [1.0], margin=2.0)
    with pytest.raises(TypeError):
        revenue_at_risk("0.1", [1.0])
    with pytest.raises(TypeError):
        revenue_at_risk(["a"], [1.0])
    with pytest.raises(TypeError):
        revenue_at_risk([0.1], [1.0], horizon=1.5)
    with pytest.raises(TypeError):
        revenue_at_risk([0.1], [1.0], discount_rate=0.1)  # not a parameter of revenue at risk


def test_python_defaults_are_the_cpp_defaults():
    cpp = _core._retention.value_default_params()
    for fn in (customer_lifetime_value, expected_loss, customer_value, kpi_summary,
               customer_export):
        sig = inspect.signature(fn).parameters
        assert {k: sig[k].default for k in cpp} == cpp, fn.__name__
    assert inspect.signature(revenue_at_risk).parameters["horizon"].default == cpp["horizon"]
    cpp_b = _core._retention.RiskBuckets.default_params()
    assert cpp_b["cut_points"] == [0.25, 0.5, 0.75] and RiskBuckets().edges_.tolist() == \
        cpp_b["cut_points"]


def pandas_kpis(p, r, bucket, seg, y, threshold, horizon, d, m):
    """The KPI table computed independently with pandas groupby."""
    clv = brute_force_clv(p, r, horizon, d, m)
    df = pd.DataFrame({"p": p, "r": r, "bucket": bucket, "seg": seg, "y": y,
                       "rar": p * r * horizon, "clv": clv, "loss": p * clv,
                       "pred": (p >= threshold).astype(int), "known": ~np.isnan(y)})

    def agg(g):
        return pd.Series({
            "customers": len(g), "labelled": int(g["known"].sum()),
            "observed_churners": int((g["y"] == 1).sum()),
            "observed_churn_rate": g["y"].mean(),
            "expected_churners": g["p"].sum(), "predicted_churners": int(g["pred"].sum()),
            "revenue": g["r"].sum(), "revenue_at_risk": g["rar"].sum(), "clv": g["clv"].sum(),
            "clv_at_risk": g["loss"].sum()})

    overall = agg(df).to_frame("all").T
    by_seg = df.groupby("seg", observed=False).apply(agg)
    by_bucket = df.groupby("bucket", observed=False).apply(agg)
    counts = {
        "all": df["bucket"].value_counts(),
        **{s: g["bucket"].value_counts() for s, g in df.groupby("seg", observed=False)},
    }
    return overall, by_seg, by_bucket, counts


@pytest.mark.parametrize("n_threads", [1, 0])
def test_kpi_summary_equals_pandas_groupby(n_threads):
    p, r, seg, y = customers(5000, seed=4)
    rb = RiskBuckets(quantiles=[0.5, 0.8, 0.95]).fit(p)
    kw = dict(threshold=0.35, horizon=24, discount_rate=0.01, margin=0.6)
    df = kpi_summary(p, r, buckets=rb, segment=seg, observed=y, n_threads=n_threads, **kw)
    bucket = rb.predict(p)
    overall, by_seg, by_bucket, counts = pandas_kpis(
        p, r, bucket, seg, y, kw["threshold"], kw["horizon"], kw["discount_rate"], kw["margin"])
    assert list(df["level"]) == ["overall"] + ["segment"] * 3 + ["bucket"] * 4
    assert list(df["group"]) == ["all", "basic", "plus", "pro", "low", "medium", "high",
                                 "critical"]
    want = pd.concat([overall, by_seg, by_bucket])
    got = df.set_index("group")
    got.index = want.index
    for col in want.columns:
        np.testing.assert_allclose(got[col].to_numpy(dtype=float),
                                   want[col].to_numpy(dtype=float), rtol=1e-10, err_msg=col)
    np.testing.assert_allclose(df["share"], df["customers"] / len(p))
    np.testing.assert_allclose(df["expected_churn_rate"], df["expected_churners"] / df["customers"])
    for label in rb.labels_:
        assert df.loc[0, f"n_{label}"] == counts["all"].get(label, 0)
        assert df.loc[2, f"n_{label}"] == counts["plus"].get(label, 0)
    doc = json.loads(kpi_summary(p, r, buckets=rb, segment=seg, observed=y, as_json=True, **kw))
    assert doc == json.loads(df.attrs["json"])
    assert doc["rows"][0]["customers"] == 5000 and doc["value"]["horizon"] == 24
    assert doc["bucket_labels"] == rb.labels_


def test_kpi_summary_threads_bit_identical_and_optional_parts():
    p, r, seg, _ = customers(70_000, seed=5)
    a = kpi_summary(p, r, segment=seg, n_threads=1)
    b = kpi_summary(p, r, segment=seg, n_threads=3)
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    plain = kpi_summary(p, r)
    assert list(plain["group"]) == ["all", "low", "medium", "high", "critical"]
    assert plain["observed_churn_rate"].isna().all()
    assert json.loads(kpi_summary(p[:5], r[:5], as_json=True))["rows"][0][
        "observed_churn_rate"] == "nan"
    strings = np.array(["x", "y", None, "x", "y"], dtype=object)
    s = kpi_summary(p[:5], r[:5], segment=strings)
    assert list(s["group"][:4]) == ["all", "x", "y", "(missing)"]
    ints = kpi_summary(p[:5], r[:5], segment=[3, 1, 3, 1, 2])
    assert list(ints["group"][:4]) == ["all", "1", "2", "3"]


def test_kpi_bad_input():
    p, r, seg, y = customers(10)
    with pytest.raises(TypeError):
        kpi_summary(p, r, segment=np.linspace(0, 1, 10))
    with pytest.raises(TypeError):
        kpi_summary(p, r, buckets="high")
    with pytest.raises(cl.NotFittedError):
        kpi_summary(p, r, buckets=RiskBuckets(quantiles=[0.5]))
    with pytest.raises(ValueError, match="observed.*row 0"):
        kpi_summary(p, r, observed=np.full(10, 2.0))
    with pytest.raises(ValueError, match="segment"):
        kpi_summary(p, r, segment=seg[:5])
    with pytest.raises(ValueError, match="expected 10"):
        kpi_summary(p, r[:9])
    with pytest.raises(ValueError, match="empty"):
        kpi_summary([], [])
    with pytest.raises(ValueError, match="threshold"):
        kpi_summary(p, r, threshold=np.nan)
    bad = p.copy()
    bad[7] = np.nan
    with pytest.raises(ValueError, match="row 7"):
        kpi_summary(bad, r)


def test_customer_export_for_bi_tools():
    p, r, seg, _ = customers(6, seed=2)
    ids = [f"C{i:03d}" for i in range(6)]
    action = ["none", "call", "discount", "none", "call", "email"]
    env = np.array([np.nan, 3.5, 10.0, np.nan, 7.25, 1.0])
    rb = RiskBuckets()
    df = customer_export(p, r, ids=ids, buckets=rb, segment=seg, action=action,
                         expected_net_value=env, horizon=6, discount_rate=0.02, margin=0.5)
    assert list(df.columns) == ["id", "score", "bucket", "segment", "revenue_at_risk", "clv",
                                "expected_loss", "action", "expected_net_value"]
    assert list(df["id"]) == ids
    assert list(df["bucket"].astype(str)) == list(rb.predict(p))
    assert list(df["segment"].astype(str)) == list(seg)
    assert list(df["action"]) == action
    np.testing.assert_array_equal(df["score"], p)
    np.testing.assert_allclose(df["clv"], brute_force_clv(p, r, 6, 0.02, 0.5), rtol=1e-12)
    np.testing.assert_allclose(df["revenue_at_risk"], p * r * 6, rtol=1e-15)
    np.testing.assert_allclose(df["expected_loss"], p * df["clv"], rtol=1e-15)
    np.testing.assert_array_equal(df["expected_net_value"], env)
    plain = customer_export(p, r)
    assert list(plain.columns) == ["id", "score", "bucket", "revenue_at_risk", "clv",
                                   "expected_loss"]
    assert plain["id"].tolist() == list(range(6))
    with pytest.raises(TypeError):
        customer_export(p, r, action=np.arange(6.0))
    with pytest.raises(ValueError, match="expected 6"):
        customer_export(p, r, expected_net_value=[1.0])
    with pytest.raises(ValueError, match="id"):
        customer_export(p, r, ids=[1, 2])
