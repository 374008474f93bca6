"""churnlib.monitor: PSI, KS and JS against numpy/scipy references, hand-computed binning of
ties, constant and all-missing columns, Baseline merges equal one pass, reports, alerts,
performance windows, saving and bad input."""

import json
import pickle

import numpy as np
import pandas as pd
import pytest
from scipy.spatial.distance import jensenshannon
from scipy.stats import ks_2samp

import churnlib as cl

EPS = 1e-4


# ---- numpy references -----------------------------------------------------------------------------

def ref_edges(ref, bins, binning="quantile"):
    v = ref[~np.isnan(ref)]
    if binning == "quantile":
        return np.unique(np.quantile(v, np.linspace(0, 1, bins + 1)))
    lo, hi = v.min(), v.max()
    return np.unique(np.linspace(lo, hi, bins + 1)) if hi > lo else np.array([lo])


def ref_counts(x, edges):
    """Counts per bin [e_i, e_{i+1}) (last closed; out of range into the end bins) + missing."""
    v = x[~np.isnan(x)]
    k = max(1, len(edges) - 1)
    if len(edges) <= 1:
        idx = np.zeros(len(v), dtype=int)
    else:
        idx = np.searchsorted(edges, v, side="right") - 1
        idx = np.clip(idx, 0, k - 1)
    counts = np.bincount(idx, minlength=k).astype(float)
    return np.append(counts, np.isnan(x).sum())


def ref_psi_from_counts(r, c, eps=EPS):
    rs, cs = r / r.sum(), c / c.sum()
    both_empty = (rs == 0) & (cs == 0)
    rs, cs = np.where(rs == 0, eps, rs), np.where(cs == 0, eps, cs)
    terms = (cs - rs) * np.log(cs / rs)
    return float(np.sum(np.where(both_empty, 0.0, terms)))


def ref_psi(ref, cur, bins=10, binning="quantile", eps=EPS):
    e = ref_edges(ref, bins, binning)
    return ref_psi_from_counts(ref_counts(ref, e), ref_counts(cur, e), eps)


def ref_categorical_counts(ref, cur):
    r, c = pd.Series(ref, dtype=object), pd.Series(cur, dtype=object)
    cats = sorted(r.dropna().unique())
    rc = [float((r == k).sum()) for k in cats] + [0.0, float(r.isna().sum())]
    seen = set(cats)
    cc = [float((c == k).sum()) for k in cats] + [
        float(c.dropna().map(lambda v: v not in seen).sum()), float(c.isna().sum())]
    return np.array(rc), np.array(cc)


def random_column(rng, n, kind):
    if kind == "normal":
        x = rng.normal(size=n)
    elif kind == "ties":
        x = rng.integers(0, 6, size=n).astype(float)
    else:
        x = rng.exponential(size=n).round(1)
    x[rng.random(n) < 0.07] = np.nan
    return x


# ---- one-column statistics ------------------------------------------------------------------------

@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("kind", ["normal", "ties", "rounded"])
def test_psi_js_ks_match_references(seed, kind):
    rng = np.random.default_rng(seed)
    ref = random_column(rng, 3000 + 100 * seed, kind)
    cur = random_column(rng, 2000, kind) * 1.1 + 0.2
    for bins in (4, 10):
        for binning in ("quantile", "equal_width"):
            got = cl.monitor.psi(ref, cur, bins=bins, binning=binning)
            assert got == pytest.approx(ref_psi(ref, cur, bins, binning), rel=1e-12, abs=1e-14)
            e = ref_edges(ref, bins, binning)
            rc, cc = ref_counts(ref, e), ref_counts(cur, e)
            want_js = jensenshannon(rc / rc.sum(), cc / cc.sum())
            assert cl.monitor.js_distance(ref, cur, bins=bins, binning=binning) == \
                pytest.approx(want_js, rel=1e-9, abs=1e-12)
        np.testing.assert_allclose(cl.monitor.bin_edges(ref, bins), ref_edges(ref, bins),
                                   rtol=0, atol=0)
    want_ks = ks_2samp(ref[~np.isnan(ref)], cur[~np.isnan(cur)]).statistic
    assert cl.monitor.ks_statistic(ref, cur) == pytest.approx(want_ks, rel=1e-12, abs=1e-15)
    assert cl.monitor.missing_rate(cur) == pytest.approx(np.isnan(cur).mean())
    lo, hi = np.nanmin(ref), np.nanmax(ref)
    v = cur[~np.isnan(cur)]
    assert cl.monitor.share_out_of_range(ref, cur) == pytest.approx(((v < lo) | (v > hi)).mean())


@pytest.mark.parametrize("seed", range(4))
def test_categorical_psi_and_js_match_references(seed):
    rng = np.random.default_rng(seed)
    cats = np.array(["Basic", "Standard", "Premium", "Gold"], dtype=object)
    ref = cats[rng.integers(0, 3, 4000)]
    cur = cats[rng.integers(0, 4, 1500)]                     # "Gold" is new
    ref[rng.random(4000) < 0.05] = None
    cur[rng.random(1500) < 0.10] = None
    rc, cc = ref_categorical_counts(ref, cur)
    for r_in, c_in in ((ref, cur), (pd.Categorical(ref), pd.Series(cur, dtype="category")),
                       (pd.Series(ref, dtype="string"), list(cur))):
        assert cl.monitor.psi(r_in, c_in) == pytest.approx(ref_psi_from_counts(rc, cc),
                                                           rel=1e-12)
        assert cl.monitor.js_distance(r_in, c_in) == pytest.approx(
            jensenshannon(rc / rc.sum(), cc / cc.sum()), rel=1e-9)
    assert cl.monitor.unseen_categories(ref, cur) == ["Gold"]
    with pytest.raises(TypeError):
        cl.monitor.psi(ref, np.arange(10.0))


def test_hand_computed_binning():
    # ties: quantiles of [1, 2, 2, 2, 3] at 0, .25, .5, .75, 1 are 1, 2, 2, 2, 3 -> edges {1, 2, 3}
    x = np.array([1, 2, 2, 2, 3, np.nan])
    np.testing.assert_array_equal(cl.monitor.bin_edges(x, 4), [1, 2, 3])
    # bins [1, 2) and [2, 3] + missing: reference shares 1/6, 4/6, 1/6
    cur = np.array([2.0, 2.0, 3.0, 5.0])                    # 5 is out of range -> last bin
    # current shares: 0, 1, 0 -> 0 is replaced by epsilon
    r = np.array([1 / 6, 4 / 6, 1 / 6])
    c = np.array([EPS, 1.0, EPS])
    want = float(np.sum((c - r) * np.log(c / r)))
    assert cl.monitor.psi(x, cur, bins=4) == pytest.approx(want, rel=1e-14)
    assert cl.monitor.share_out_of_range(x, cur) == 0.25
    # a constant reference has one bin: the same constant gives PSI 0; anything else is out of
    # range but still in that bin
    const = np.full(50, 7.0)
    assert cl.monitor.bin_edges(const, 10).tolist() == [7.0]
    assert cl.monitor.psi(const, np.full(20, 7.0)) == 0.0
    assert cl.monitor.share_out_of_range(const, np.array([7.0, 8.0])) == 0.5
    # all-missing columns: everything in the missing bin on both sides -> PSI 0; a current with
    # values puts them in the (single) value bin
    allnan = np.full(10, np.nan)
    assert cl.monitor.psi(allnan, allnan) == 0.0
    half = np.array([np.nan, 1.0])
    r, c = np.array([EPS, 1.0]), np.array([0.5, 0.5])
    assert cl.monitor.psi(allnan, half) == pytest.approx(float(np.sum((c - r) * np.log(c / r))))
    assert np.isnan(cl.monitor.ks_statistic(allnan, half))


def test_bad_input_to_statistics():
    with pytest.raises(ValueError):
        cl.monitor.psi(np.array([]), np.array([1.0]))
    with pytest.raises(ValueError):
        cl.monitor.psi(np.array([1.0, np.inf]), np.array([1.0]))
    with pytest.raises(ValueError):
        cl.monitor.psi(np.arange(5.0), np.arange(5.0), bins=0)
    with pytest.raises(ValueError):
        cl.monitor.psi(np.arange(5.0), np.arange(5.0), binning="magic")
    with pytest.raises(ValueError):
        cl.monitor.psi(np.arange(5.0), np.arange(5.0), epsilon=0.0)
    with pytest.raises(ValueError):
        cl.monitor.psi(np.ones((2, 2)), np.arange(5.0))


# ---- Baseline and DriftReport ---------------------------------------------------------------------

def frame(n, seed):
    df = cl.make_customers(n, seed=seed).to_pandas(copy=True)
    return df.drop(columns=["customer_id", "churned"])


def test_report_statistics_equal_the_column_functions():
    train, batch = frame(6000, 1), frame(3000, 2)
    batch["monthly_charges"] = batch["monthly_charges"] * 1.6
    batch.loc[batch.index[:200], "nps_score"] = np.nan
    base = cl.monitor.Baseline(bins=10).fit(train)
    rep = base.compare(batch).to_pandas().set_index("feature")
    for c in train.columns:
        row = rep.loc[c]
        if isinstance(train[c].dtype, pd.CategoricalDtype):
            assert row["kind"] == "categorical"
            assert row["psi"] == pytest.approx(cl.monitor.psi(train[c], batch[c]), rel=1e-12)
            assert row["js"] == pytest.approx(cl.monitor.js_distance(train[c], batch[c]),
                                              rel=1e-9)
            continue
        r = train[c].to_numpy(dtype=np.float64) if c != "signup_date" else \
            train[c].to_numpy().view(np.int64).astype(np.float64)
        x = batch[c].to_numpy(dtype=np.float64) if c != "signup_date" else \
            batch[c].to_numpy().view(np.int64).astype(np.float64)
        assert row["kind"] == "numeric"
        assert row["psi"] == pytest.approx(ref_psi(r, x), rel=1e-9, abs=1e-12), c
        assert row["missing_rate_reference"] == pytest.approx(np.isnan(r).mean())
        assert row["missing_rate_current"] == pytest.approx(np.isnan(x).mean())
        # KS on the baseline's grid of 100 sample quantiles: never above the exact statistic,
        # and within about 1/100 below it (the reference has fewer than 2^17 rows: exact grid)
        exact = ks_2samp(r[~np.isnan(r)], x[~np.isnan(x)]).statistic
        assert exact - 0.011 - 1e-12 <= row["ks"] <= exact + 1e-12, c
    assert rep.loc["monthly_charges", "status"] == "significant"
    assert rep.index[0] == "monthly_charges"                  # sorted by severity
    s = cl.monitor.Baseline().fit(train).summary()
    tc = train["total_charges"]
    assert s.loc["total_charges", "mean"] == pytest.approx(tc.mean(), rel=1e-12)
    assert s.loc["total_charges", "std"] == pytest.approx(tc.std(ddof=1), rel=1e-10)
    assert s.loc["total_charges", "q50"] == tc.quantile(0.5)
    assert s.loc["total_charges", "missing"] == tc.isna().sum()


def test_merged_parts_equal_one_pass_any_order_and_threads():
    train, batch = frame(5000, 3), frame(4000, 4)
    base = cl.monitor.Baseline(n_threads=2).fit(train, score=np.linspace(0, 1, 5000))
    score = np.random.default_rng(4).random(4000)
    whole = base.accumulate(batch, score=score)
    chunks = [slice(0, 1000), slice(1000, 1100), slice(1100, 4000)]
    parts = [base.accumulate(batch.iloc[s], score=score[s]) for s in chunks]
    merged = parts[2]
    merged.merge(parts[0]).merge(parts[1])                    # any order
    assert merged.to_json() == whole.to_json()
    a = base.compare(merged)
    b = base.compare(batch, score=score)
    assert a.to_json() == b.to_json()
    # the reference itself, accumulated in parts, is the baseline
    again = base.accumulate(train.iloc[:2500], score=np.linspace(0, 1, 5000)[:2500]).merge(
        base.accumulate(train.iloc[2500:], score=np.linspace(0, 1, 5000)[2500:]))
    assert again.to_json() == base.to_json()
    one = cl.monitor.Baseline(n_threads=1).fit(train, score=np.linspace(0, 1, 5000))
    assert json.loads(one.to_json())["state"] == json.loads(base.to_json())["state"]
    # parts travel by pickle, as to Spark/Dask workers and back
    back = pickle.loads(pickle.dumps(parts[0]))
    assert back.to_json() == parts[0].to_json()
    with pytest.raises(ValueError):
        cl.monitor.Baseline().fit(frame(100, 9)).merge(parts[0])   # other bins


def test_weight_by_importance_leads_with_the_drift_that_matters():
    train, batch = frame(4000, 1), frame(2000, 2)
    batch["monthly_charges"] = batch["monthly_charges"] * 1.6  # large shift, small weight
    batch["tenure_months"] = batch["tenure_months"] * 1.15      # smaller shift, large weight
    base = cl.monitor.Baseline().fit(train)
    plain = base.compare(batch)
    assert not plain.weighted and plain.to_pandas()["importance"].isna().all()
    imp = {"monthly_charges": 1.0, "tenure_months": 20.0, "contract": 3.0}
    for given in (imp, pd.Series(imp),
                  pd.DataFrame({"feature": list(imp), "importance": list(imp.values())})):
        r = base.compare(batch, importance=given)
        df = r.to_pandas(include_score=False).set_index("feature")
        assert r.weighted
        assert df.loc["tenure_months", "importance"] == pytest.approx(20 / 24)
        assert df.loc["monthly_charges", "impact"] == pytest.approx(df.loc["monthly_charges",
                                                                           "psi"] / 24)
        assert df["importance"].sum() == pytest.approx(1.0)
        assert df.index[0] == "tenure_months"  # plain order starts with monthly_charges
        assert r.to_dict()["weighted_by_importance"] is True
        assert r.alerts == plain.alerts
    assert plain.to_pandas().iloc[0]["feature"] == "monthly_charges"
    for bad, err in [({"nope": 1.0}, ValueError), ({"tenure_months": -1.0}, ValueError),
                     ({"tenure_months": float("nan")}, ValueError),
                     ({"tenure_months": 0.0}, ValueError), ({"tenure_months": "x"}, TypeError),
                     ([1, 2], TypeError), (pd.DataFrame({"a": [1]}), ValueError)]:
        with pytest.raises(err):
            base.compare(batch).weight_by_importance(bad)


def test_report_carries_estimates_and_multivariate_drift():
    train, batch = frame(3000, 1), frame(2000, 2)
    batch["monthly_charges"] = batch["monthly_charges"] * 1.6
    base = cl.monitor.Baseline().fit(train)
    report = base.compare(batch)
    assert report.estimated_performance is None and report.domain_classifier is None
    n_alerts = len(report.alerts)
    rng = np.random.default_rng(0)
    p_ref = rng.uniform(0, 1, 5000)
    est = cl.monitor.PerformanceEstimator(min_roc_auc=0.99).fit(
        p_ref, (rng.uniform(0, 1, 5000) < p_ref).astype(float)).estimate(
            rng.uniform(0, 1, 2000), chunks=1000)
    numeric = [c for c in train.columns if train[c].dtype.kind == "f"]
    dc = cl.monitor.domain_classifier_drift(train[numeric], batch[numeric], n_estimators=20,
                                            max_rows=1500, n_splits=3)
    rec = cl.monitor.PcaDrift().fit(train[numeric]).compare(batch[numeric])
    assert report.set_estimated_performance(est) is report
    report.set_domain_classifier(dc).set_reconstruction(rec)
    assert dc.drifted and rec.drifted
    metrics = [a["metric"] for a in report.alerts]
    assert len(report.alerts) == n_alerts + len(est.alerts) + len(dc.alerts) + len(rec.alerts)
    assert "estimated_roc_auc" in metrics and "domain_classifier_auc" in metrics
    assert "reconstruction_error" in metrics
    d = report.to_dict()
    assert d["estimated_performance"] == est.to_dict()
    assert d["domain_classifier"] == dc.to_dict() and d["reconstruction"] == rec.to_dict()
    assert report.domain_classifier.auc == dc.auc
    assert report.estimated_performance.to_json() == est.to_json()
    assert "domain classifier AUC" in repr(report)
    for setter in (report.set_estimated_performance, report.set_domain_classifier,
                   report.set_reconstruction):
        with pytest.raises(TypeError):
            setter({"auc": 0.9})


def test_alerts_statuses_and_performance():
    train, batch = frame(4000, 5), frame(2000, 6)
    rng = np.random.default_rng(5)
    base = cl.monitor.Baseline(moderate=0.05, significant=0.2).fit(train, score=rng.random(4000))
    batch = batch.drop(columns=["plan"])
    rep = base.compare(batch, score=rng.random(2000) ** 3)    # the score shifts down
    df = rep.to_pandas()
    assert df.iloc[0]["feature"] == "plan" and df.iloc[0]["status"] == "missing_column"
    assert rep.n_missing_columns == 1
    assert rep.score["status"] == "significant" and rep.score["psi"] > 0.2
    alerts = rep.alerts_frame()
    assert ((alerts["subject"] == "score") & (alerts["metric"] == "psi")).any()
    assert ((alerts["subject"] == "plan") & (alerts["metric"] == "missing_column")).any()
    stable = df[(df["status"] == "stable") & (df["feature"] != "score")]
    assert (stable["psi"] < 0.05).all()
    compared = df[(df["feature"] != "score") & (df["status"] != "missing_column")]
    assert rep.share_drifting == pytest.approx(compared["status"].isin(
        ["moderate", "significant"]).mean())
    # performance per window: a good model in January, a random one in February
    y = rng.integers(0, 2, 3000)
    s = np.where(np.arange(3000) < 1500, y * 0.6 + rng.random(3000) * 0.4, rng.random(3000))
    months = np.where(np.arange(3000) < 1500, "2024-01", "2024-02")
    rep.add_performance(y, s, windows=months, min_recall=0.9)
    perf = rep.performance().set_index("window")
    from sklearn.metrics import precision_score, recall_score, roc_auc_score
    for m, sl in (("2024-01", slice(0, 1500)), ("2024-02", slice(1500, 3000))):
        assert perf.loc[m, "auc"] == pytest.approx(roc_auc_score(y[sl], s[sl]), rel=1e-12)
        assert perf.loc[m, "precision"] == pytest.approx(precision_score(y[sl], s[sl] >= 0.5))
        assert perf.loc[m, "recall"] == pytest.approx(recall_score(y[sl], s[sl] >= 0.5))
        assert perf.loc[m, "churn_rate"] == pytest.approx(y[sl].mean())
    al = rep.alerts_frame()
    auc_alerts = al[al["metric"] == "auc"]
    assert list(auc_alerts["subject"]) == ["2024-02"]
    assert (auc_alerts["severity"] == "significant").all()
    doc = rep.to_dict()
    assert len(doc["performance"]) == 2 and len(doc["alerts"]) == len(al)


def test_save_load_and_bad_input(tmp_path):
    train = frame(3000, 7)
    base = cl.monitor.Baseline(bins=8, binning="equal_width").fit(train, score=np.arange(3000.0))
    path = tmp_path / "baseline.json"
    base.save(path)
    batch = frame(1000, 8)
    want = base.compare(batch, score=np.arange(1000.0)).to_json()
    for b in (cl.monitor.Baseline.load(path), cl.monitor.Baseline.from_json(base.to_json()),
              pickle.loads(pickle.dumps(base))):
        assert b.compare(batch, score=np.arange(1000.0)).to_json() == want
        assert b.get_params() == base.get_params()
    doc = json.loads(path.read_text())
    assert doc["kind"] == "DriftBaseline"
    doc["version"] = "99.0"
    with pytest.raises(cl.SerializationError):
        cl.monitor.Baseline.from_json(json.dumps(doc))
    path.write_text(base.to_json()[:300])
    with pytest.raises(cl.SerializationError):
        cl.monitor.Baseline.load(path)
    with pytest.raises(TypeError, match="tenure_months"):
        base.compare(batch.assign(tenure_months=batch["tenure_months"].astype(str)))
    with pytest.raises(ValueError):
        base.compare(batch.iloc[:0])
    with pytest.raises(ValueError):
        base.compare(batch, score=np.arange(10.0))            # wrong length
    with pytest.raises(ValueError):
        cl.monitor.Baseline().fit(train).compare(batch, score=np.arange(1000.0))  # no score fitted
    with pytest.raises(cl.NotFittedError):
        cl.monitor.Baseline().compare(batch)
    with pytest.raises(TypeError):
        cl.monitor.Baseline(nope=1)
    with pytest.raises(ValueError):
        cl.monitor.Baseline(bins=0).fit(train)
    with pytest.raises(ValueError):
        cl.monitor.Baseline(moderate=0.3, significant=0.2).fit(train)
    with pytest.raises(TypeError):
        cl.monitor.Baseline().fit(train.to_numpy())
    with pytest.raises(ValueError):
        cl.monitor.Baseline().fit(train.assign(tenure_months=np.inf))


def test_table_input_and_plot(tmp_path):
    t = cl.make_customers(2000, seed=10)
    base = cl.monitor.Baseline().fit(t.drop(["customer_id"]))
    rep = base.compare(cl.make_customers(1000, seed=11))      # extra column ignored
    assert "customer_id" not in set(rep.to_pandas()["feature"])
    import matplotlib

    matplotlib.use("Agg")
    path = tmp_path / "psi.png"
    ax = rep.plot_psi(path=path, top=10)
    assert path.stat().st_size > 1000 and path.read_bytes()[:4] == b"\x89PNG"
    assert len(ax.patches) == 10


def test_docstring_examples_run():
    import doctest

    import churnlib.monitor as mon
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    for t in doctest.DocTestFinder().find(mon, "churnlib.monitor", globs={}):
        runner.run(t)
    assert runner.tries > 0 and runner.failures == 0


# ---- large columns (the two-pass bucket fit and the bucket counting) ------------------------------

def large_frame(n, seed, drift=0.0):
    """Shapes that stress the bucket maps: a normal, a heavy tail over a huge range, heavy
    ties, zero-inflated amounts with signed zeros, prices in cents, a near-constant column;
    category columns with int8 and int16 codes (pandas picks the width)."""
    rng = np.random.default_rng(seed)
    cols = {
        "normal": rng.normal(50 + 5 * drift, 10, n),
        "tail": rng.standard_t(3, n) * 1e6 * 10.0 ** rng.uniform(-6, 6, n),
        "ties": rng.poisson(3 + drift, n).astype(float),
        "zeros": np.where(rng.random(n) < 0.4, np.where(rng.random(n) < 0.5, 0.0, -0.0),
                          rng.exponential(30, n)),
        "cents": np.round(rng.uniform(0, 120 + 20 * drift, n), 2),
        "constant": np.where(rng.random(n) < 0.0005, rng.normal(0, 1e9, n), 3.25),
    }
    for name, share in (("normal", 0.05), ("tail", 0.01), ("cents", 0.2)):
        cols[name][rng.random(n) < share] = np.nan
    small = [f"s{i}" for i in range(12)]
    large = [f"l{i:03d}" for i in range(300)]
    codes = rng.integers(0, 12 - (0 if drift else 1), n)
    codes[rng.random(n) < 0.02] = -1
    cols["cat8"] = pd.Categorical.from_codes(codes, categories=small)
    codes = np.minimum(rng.geometric(0.02 + 0.01 * drift, n) - 1, 299)
    cols["cat16"] = pd.Categorical.from_codes(codes, categories=large)
    return pd.DataFrame(cols), rng.beta(2, 5 + drift, n)


def test_large_columns_match_numpy_exactly():
    n = 200_003
    ref, s_ref = large_frame(n, 11)
    cur, s_cur = large_frame(150_001, 12, drift=1.0)
    assert ref["cat8"].cat.codes.dtype == np.int8 and ref["cat16"].cat.codes.dtype == np.int16
    levels = [0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99]
    base1 = cl.monitor.Baseline(n_threads=1).fit(ref, s_ref)
    base = cl.monitor.Baseline().fit(ref, s_ref)
    d, d1 = json.loads(base.to_json()), json.loads(base1.to_json())
    d["params"].pop("n_threads")
    d1["params"].pop("n_threads")
    assert d == d1  # results never depend on the thread count
    report = base.compare(cur, s_cur)
    rows = {r["feature"]: r for r in report.features}
    summary = base.summary()
    for name in ["normal", "tail", "ties", "zeros", "cents", "constant", None]:
        x = s_ref if name is None else ref[name].to_numpy()
        y = s_cur if name is None else cur[name].to_numpy()
        e = ref_edges(x, 10)
        h = base.histogram(name)
        np.testing.assert_array_equal(np.asarray(h["edges"]), e)  # bit for bit
        rc, cc = ref_counts(x, e), ref_counts(y, e)
        np.testing.assert_array_equal(np.append(h["counts"], h["missing"]), rc)
        psi = report.score["psi"] if name is None else rows[name]["psi"]
        assert psi == pytest.approx(ref_psi_from_counts(rc, cc), rel=1e-12, abs=1e-15)
        v = x[~np.isnan(x)]
        row = summary.loc["score" if name is None else name]
        np.testing.assert_array_equal(np.asarray([row[f"q{round(q * 100):02d}"] for q in levels]),
                                      np.quantile(v, levels))
        assert row["min"] == v.min() and row["max"] == v.max()
        assert row["mean"] == pytest.approx(np.mean(v.astype(np.longdouble)), rel=1e-13, abs=1e-300)
        # KS on the 100-point grid: a lower bound of the exact statistic, close to it
        ks = report.score["ks"] if name is None else rows[name]["ks"]
        exact = ks_2samp(v, y[~np.isnan(y)]).statistic
        assert ks <= exact + 1e-12 and ks >= exact - 0.02
    for name in ["cat8", "cat16"]:
        cc = base.category_counts(name)
        vc = ref[name].value_counts()
        assert dict(zip(cc["categories"], cc["counts"])) == {k: int(v) for k, v in vc.items()
                                                              if v > 0}
        assert cc["missing"] == int(ref[name].isna().sum())
    assert rows["cat8"]["unseen_categories"] == ["s11"]
    # fit's counts equal a plain accumulate of the same frame; merged halves equal the whole
    assert base.accumulate(ref, s_ref).to_json() == base.to_json()
    h = 70_001
    merged = base.accumulate(cur.iloc[:h], s_cur[:h]).merge(base.accumulate(cur.iloc[h:], s_cur[h:]))
    assert base.compare(merged).to_json() == report.to_json()


def test_numeric_matrices_are_accepted():
    df = cl.make_customers(3000, seed=11).to_pandas()[["tenure_months", "monthly_charges"]]
    X = df.to_numpy()
    a = cl.monitor.Baseline(bins=8).fit(X)
    b = cl.monitor.Baseline(bins=8).fit(df.set_axis(["x0", "x1"], axis=1))
    assert a.to_json() == b.to_json()
    # a baseline fitted on a frame reads a matrix's columns as its features, in order
    base = cl.monitor.Baseline(bins=8).fit(df)
    shifted = df.assign(monthly_charges=df["monthly_charges"] * 1.5)
    want = base.compare(shifted).to_pandas()
    got = base.compare(shifted.to_numpy()).to_pandas()
    pd.testing.assert_frame_equal(got, want)
    part = base.accumulate(shifted.to_numpy()[:1000]).merge(base.accumulate(shifted.iloc[1000:]))
    pd.testing.assert_frame_equal(base.compare(part).to_pandas(), want)
    with pytest.raises(TypeError):
        base.compare("not a frame")


def test_python_defaults_are_the_cpp_defaults():
    """Parameters have one source: churn::monitor::BaselineParams (see test_logistic's twin);
    DEFAULT_EPSILON is read from it."""
    import inspect

    cpp = cl._core._monitor.Baseline.default_params()
    sig = inspect.signature(cl.monitor.Baseline.__init__).parameters
    assert set(cpp) == set(sig) - {"self"}
    for name, value in cpp.items():
        assert sig[name].default == value, (name, sig[name].default, value)
    assert cl.monitor.DEFAULT_EPSILON == cpp["epsilon"] == 1e-4
    df = pd.DataFrame({"x": np.arange(50.0)})
    with pytest.raises(cl.InvalidArgument, match="unknown parameter 'bin'"):
        cl._core._monitor.Baseline({"bin": 3}, "test")
    with pytest.raises(cl.TypeMismatch, match="bins must be an int, got true"):
        cl.monitor.Baseline(bins=True).fit(df)
    with pytest.raises(cl.TypeMismatch, match="epsilon must be a number"):
        cl.monitor.Baseline(epsilon="small").fit(df)
    b = cl.monitor.Baseline(bins=7, binning="equal_width", moderate=0.2).fit(df)
    assert cl.monitor.Baseline.from_json(b.to_json()).get_params() == b.get_params()
