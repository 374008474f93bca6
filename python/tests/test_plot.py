"""churnlib.plot: every chart renders to a PNG that is not blank, draws the right data (checked
against scikit-learn or a numpy reference written here), composes on a shared Axes, saves
atomically, and rejects bad input with a clear ValueError/TypeError."""

import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import churnlib as cl

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.image as mpimg  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402

FUNCTIONS = ["roc", "precision_recall", "lift", "cumulative_gains", "calibration",
             "feature_importance", "shap_summary", "shap_waterfall", "psi",
             "segment_profiles", "revenue_at_risk", "save"]


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def fitted():
    """A GBDT on 2,000 synthetic customers, scored on 1,000 others."""
    df = cl.make_customers(3000, seed=21).to_pandas()
    y = df.pop("churned").to_numpy(np.float64)
    raw = df.drop(columns=["customer_id", "signup_date"])
    model = cl.GBDTClassifier(n_estimators=40, learning_rate=0.1, seed=1).fit(raw.iloc[:2000],
                                                                            y[:2000])
    X = raw.iloc[2000:].reset_index(drop=True)
    return {"model": model, "X": X, "y": y[2000:], "p": model.predict_proba(X)[:, 1],
            "raw": raw, "y_all": y}


def assert_not_blank(path, min_colours=20, min_ink=0.02):
    """The PNG exists, is an image, and is not (almost) all one colour."""
    assert path.exists() and path.read_bytes()[:4] == b"\x89PNG"
    img = mpimg.imread(path)
    assert img.ndim == 3 and img.shape[0] > 100 and img.shape[1] > 100
    rgb = (img[..., :3] * 255).astype(np.uint8).reshape(-1, 3)
    colours = np.unique(rgb, axis=0).shape[0]
    ink = np.mean(np.any(rgb < 230, axis=1))
    assert colours >= min_colours, f"{path.name}: only {colours} colours"
    assert ink >= min_ink, f"{path.name}: only {ink:.1%} of the pixels are not white"


def lines(ax, gid):
    return [line for line in ax.get_lines() if line.get_gid() == gid]


# ---- ROC and precision-recall ------------------------------------------------------------------

def test_roc_draws_sklearns_points_and_renders(fitted, tmp_path):
    from sklearn.metrics import roc_auc_score, roc_curve

    y, p = fitted["y"], fitted["p"]
    path = tmp_path / "roc.png"
    ax = cl.plot.roc(y, p, path=path, label="GBDT")
    assert_not_blank(path)
    (curve,) = lines(ax, "roc")
    fpr, tpr, _ = roc_curve(y, p)
    np.testing.assert_allclose(curve.get_xdata(), fpr, atol=1e-12)
    np.testing.assert_allclose(curve.get_ydata(), tpr, atol=1e-12)
    assert f"GBDT (AUC {roc_auc_score(y, p):.3f})" in [t.get_text() for t in
                                                         ax.get_legend().get_texts()]


def test_curves_compose_on_one_axes(fitted, tmp_path):
    y, p = fitted["y"], fitted["p"]
    noisy = p + np.random.default_rng(0).normal(0, 0.2, len(p))
    for name, gid in (("roc", "roc"), ("precision_recall", "precision_recall"),
                      ("cumulative_gains", "gains"), ("calibration", "calibration")):
        f = getattr(cl.plot, name)
        kwargs = {"hist": False} if name == "calibration" else {}
        scores = np.clip(noisy, 0, 1) if name == "calibration" else noisy
        ax = f(y, p, label="GBDT", **kwargs)
        assert f(y, scores, ax=ax, label="noisy", path=tmp_path / f"{name}.png", **kwargs) is ax
        assert len(lines(ax, gid)) == 2, name
        texts = [t.get_text() for t in ax.get_legend().get_texts()]
        assert any(t.startswith("GBDT") for t in texts) and any(t.startswith("noisy")
                                                                for t in texts), name
        reference = {"roc": "chance", "precision_recall": "baseline", "cumulative_gains": "random",
                     "calibration": "diagonal"}[name]
        assert len(lines(ax, reference)) == 1, f"{name}: the reference line is drawn once"
        assert_not_blank(tmp_path / f"{name}.png")


def test_precision_recall_draws_sklearns_points(fitted, tmp_path):
    from sklearn.metrics import precision_recall_curve

    y, p = fitted["y"], fitted["p"]
    path = tmp_path / "pr.png"
    ax = cl.plot.precision_recall(y, p, path=path)
    assert_not_blank(path)
    (curve,) = lines(ax, "precision_recall")
    precision, recall, _ = precision_recall_curve(y, p)
    np.testing.assert_allclose(curve.get_xdata(), recall, atol=1e-12)
    np.testing.assert_allclose(curve.get_ydata(), precision, atol=1e-12)
    (baseline,) = lines(ax, "baseline")
    assert np.allclose(baseline.get_ydata(), y.mean())


def test_string_labels_with_pos_label(fitted):
    y = np.where(fitted["y"] == 1, "churned", "stayed")
    ax = cl.plot.roc(y, fitted["p"], pos_label="churned")
    ref = cl.plot.roc(fitted["y"], fitted["p"])
    np.testing.assert_array_equal(lines(ax, "roc")[0].get_xydata(),
                                  lines(ref, "roc")[0].get_xydata())


# ---- lift and gains -----------------------------------------------------------------------------

def reference_lift(y, s, n_bins):
    """Lift per group of the ranked rows (descending score, ties by row), written from the
    definition: group b holds ranks [floor(b n / k), floor((b + 1) n / k))."""
    n = len(y)
    order = np.lexsort((np.arange(n), -s))
    ranked = y[order]
    cuts = [(b * n) // n_bins for b in range(n_bins + 1)]
    return np.array([ranked[cuts[b]:cuts[b + 1]].mean() / y.mean() for b in range(n_bins)])


def test_lift_bars_are_the_lift_per_decile(fitted, tmp_path):
    y, p = fitted["y"], fitted["p"]
    path = tmp_path / "lift.png"
    ax = cl.plot.lift(y, p, path=path)
    assert_not_blank(path)
    heights = [patch.get_height() for patch in ax.patches]
    np.testing.assert_allclose(heights, reference_lift(y, p, 10), rtol=1e-12)
    assert [t.get_text() for t in ax.get_xticklabels()][:2] == ["1", "2"]
    assert "1 = the 10% highest scores" in ax.get_xlabel()
    # a second model: its bars stand next to the first's, the value labels go
    ax2 = cl.plot.lift(y, 1 - p, ax=ax, label="reversed", n_bins=10)
    assert len(ax2.patches) == 20
    assert all(np.isclose(patch.get_width(), 0.4) for patch in ax2.patches)
    lefts = sorted(round(patch.get_x(), 6) for patch in ax2.patches)
    assert len(set(lefts)) == 20  # no two bars on top of each other
    assert not [t for t in ax2.texts if t.get_gid() == "lift_value"]


def test_cumulative_gains_runs_from_origin_to_one(fitted, tmp_path):
    y, p = fitted["y"], fitted["p"]
    path = tmp_path / "gains.png"
    ax = cl.plot.cumulative_gains(y, p, path=path)
    assert_not_blank(path)
    (curve,) = lines(ax, "gains")
    x, g = curve.get_xdata(), curve.get_ydata()
    assert (x[0], g[0]) == (0.0, 0.0)
    assert np.isclose(x[-1], 1.0) and np.isclose(g[-1], 1.0)
    assert np.all(np.diff(x) > 0) and np.all(np.diff(g) >= 0)
    # one point per row: the running share of churners among the top-ranked rows
    rng = np.random.default_rng(3)
    ys = rng.integers(0, 2, 300).astype(float)
    ss = rng.random(300)
    (curve,) = lines(cl.plot.cumulative_gains(ys, ss, n_bins=300), "gains")
    ranked = ys[np.argsort(-ss, kind="stable")]
    np.testing.assert_allclose(curve.get_xdata(), np.arange(301) / 300)
    np.testing.assert_allclose(curve.get_ydata(), np.r_[0, np.cumsum(ranked) / ranked.sum()])


# ---- calibration --------------------------------------------------------------------------------

def test_calibration_points_are_sklearns(fitted, tmp_path):
    from sklearn.calibration import calibration_curve

    y, p = fitted["y"], fitted["p"]
    path = tmp_path / "calibration.png"
    ax = cl.plot.calibration(y, p, n_bins=10, path=path)
    assert_not_blank(path)
    (curve,) = lines(ax, "calibration")
    prob_true, prob_pred = calibration_curve(y, p, n_bins=10, strategy="uniform")
    np.testing.assert_allclose(curve.get_xdata(), prob_pred, atol=1e-12)
    np.testing.assert_allclose(curve.get_ydata(), prob_true, atol=1e-12)
    assert len(ax.figure.axes) == 2  # the histogram's twin
    hist = [bar for bar in ax.figure.axes[1].patches if bar.get_gid() == "histogram"]
    assert len(hist) == 10 and sum(bar.get_height() for bar in hist) == len(p)

    cl.plot.calibration(y, np.clip(p * 1.2, 0, 1), ax=ax, label="sharper")
    assert len(ax.figure.axes) == 2  # one histogram: the first model's

    ax = cl.plot.calibration(y, p, strategy="quantile", hist=False)
    assert len(ax.figure.axes) == 1
    prob_true, prob_pred = calibration_curve(y, p, n_bins=10, strategy="quantile")
    np.testing.assert_allclose(lines(ax, "calibration")[0].get_xdata(), prob_pred, atol=1e-12)


# ---- importance and SHAP ------------------------------------------------------------------------

def test_feature_importance_of_a_gbdt_a_logistic_and_values(fitted, tmp_path):
    model = fitted["model"]
    path = tmp_path / "importance.png"
    ax = cl.plot.feature_importance(model, top=5, path=path)
    assert_not_blank(path)
    imp = model.feature_importances_
    order = np.argsort(-imp, kind="stable")[:5]
    assert [t.get_text() for t in ax.get_yticklabels()][::-1] == \
        [model.feature_names_in_[j] for j in order]
    assert [patch.get_width() for patch in ax.patches][::-1] == list(imp[order].astype(float))

    X = fitted["X"].select_dtypes("number").fillna(0.0)
    lr = cl.LogisticRegression().fit((X - X.mean()) / X.std(), fitted["y"])
    ax = cl.plot.feature_importance(lr, path=tmp_path / "coef.png")
    widths = np.array([patch.get_width() for patch in ax.patches])
    assert len(widths) == X.shape[1] and np.all(np.diff(np.abs(widths)) >= 0)
    colours = {patch.get_facecolor()[:3] for patch in ax.patches}
    assert len(colours) == 2  # signed: red raises churn, blue lowers it
    assert_not_blank(tmp_path / "coef.png")

    ax = cl.plot.feature_importance({"a": 1.0, "b": 3.0, "c": 2.0})
    assert [t.get_text() for t in ax.get_yticklabels()] == ["a", "c", "b"]
    ax = cl.plot.feature_importance(pd.Series([0.2, 0.5], index=["x", "y"]), top=1)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["y"]
    ax = cl.plot.feature_importance(np.array([1.0, 2.0]), feature_names=["u", "v"])
    assert [t.get_text() for t in ax.get_yticklabels()] == ["u", "v"]


def test_feature_importance_of_a_churn_model():
    customers = cl.make_customers(1500, seed=2).to_pandas()
    model = cl.train_churn_model(customers, "churned", candidates=["gbdt"], cv=2)
    ax = cl.plot.feature_importance(model, top=3)
    names = set(model.estimator_.feature_names_in_)
    assert {t.get_text() for t in ax.get_yticklabels()} <= names


def test_feature_importance_rejects_bad_input(fitted):
    with pytest.raises(TypeError, match="has no feature_importances_ or coef_"):
        cl.plot.feature_importance(cl.KMeans(2))
    with pytest.raises(TypeError, match="no feature_importances_"):
        cl.plot.feature_importance("gbdt")
    with pytest.raises(ValueError, match="non-finite"):
        cl.plot.feature_importance(np.array([1.0, np.nan]))
    with pytest.raises(ValueError, match="3 importance values but 2 feature names"):
        cl.plot.feature_importance([1.0, 2.0, 3.0], feature_names=["a", "b"])
    with pytest.raises(cl.NotFittedError):
        cl.plot.feature_importance(cl.GBDTClassifier())
    with pytest.raises(ValueError, match="top must be >= 1"):
        cl.plot.feature_importance(fitted["model"], top=0)


def test_shap_summary_draws_one_dot_per_customer_and_feature(fitted, tmp_path):
    X = fitted["X"].iloc[:400]
    contrib = fitted["model"].predict_contrib(X)
    path = tmp_path / "shap.png"
    top = 6
    ax = cl.plot.shap_summary(contrib, X, top=top, path=path)
    assert_not_blank(path, min_colours=50)
    points = np.concatenate([c.get_offsets() for c in ax.collections
                             if c.get_gid() in ("shap", "shap_missing")])
    assert points.shape == (len(X) * top, 2)
    # the features by mean |SHAP|, the largest on top; each band holds that feature's values
    mean_abs = np.abs(contrib[:, :-1]).mean(axis=0)
    order = np.argsort(-mean_abs, kind="stable")[:top]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[::-1] == [X.columns[j] for j in order]
    for rank, j in enumerate(order):
        band = top - 1 - rank
        inside = np.abs(points[:, 1] - band) <= 0.45
        np.testing.assert_allclose(np.sort(points[inside, 0]), np.sort(contrib[:, j]))
    colours = next(c for c in ax.collections if c.get_gid() == "shap").get_array()
    assert 0.0 <= colours.min() and colours.max() <= 1.0
    # a seeded sample of rows
    ax = cl.plot.shap_summary(contrib, X, top=3, max_rows=100)
    n = sum(len(c.get_offsets()) for c in ax.collections if c.get_gid() in ("shap",
                                                                            "shap_missing"))
    assert n == 300


def test_shap_summary_colours_follow_the_feature_value():
    rng = np.random.default_rng(5)
    X = rng.normal(size=(500, 2))
    contrib = np.column_stack([2 * X[:, 0], 0.1 * X[:, 1]])  # no bias column: (n, p)
    ax = cl.plot.shap_summary(contrib, X, feature_names=["big", "small"])
    points = next(c for c in ax.collections if c.get_gid() == "shap")
    xy, colour = points.get_offsets(), points.get_array()
    top_band = xy[:, 1] > 0.5  # "big" is the top feature
    assert np.corrcoef(xy[top_band, 0], colour[top_band])[0, 1] > 0.9


def test_shap_summary_rejects_bad_input(fitted):
    X = fitted["X"].iloc[:50]
    contrib = fitted["model"].predict_contrib(X)
    with pytest.raises(ValueError, match="rows but X has"):
        cl.plot.shap_summary(contrib[:40], X)
    with pytest.raises(ValueError, match="columns; expected 16"):
        cl.plot.shap_summary(contrib[:, :5], X)
    bad = contrib.copy()
    bad[3, 2] = np.nan
    with pytest.raises(ValueError, match="row 3, column 2"):
        cl.plot.shap_summary(bad, X)
    with pytest.raises(ValueError, match="feature names"):
        cl.plot.shap_summary(contrib, X, feature_names=["a"])
    with pytest.raises(ValueError, match="no rows"):
        cl.plot.shap_summary(contrib[:0], X.iloc[:0])


def test_shap_waterfall_adds_up_to_the_customers_output(fitted, tmp_path):
    model, X = fitted["model"], fitted["X"]
    row = model.predict_contrib(X.iloc[[7]])[0]
    path = tmp_path / "waterfall.png"
    ax = cl.plot.shap_waterfall(row, X.columns, row_values=X.iloc[7], top=5, link="logit",
                                path=path)
    assert_not_blank(path)
    bars = ax.patches
    assert len(bars) == 6  # 5 features and "11 other features"
    widths = np.array([b.get_width() for b in bars])
    # the first (bottom) bar starts at the bias, each next one where the last ended
    assert np.isclose(bars[0].get_x(), row[-1])
    for a, b in zip(bars[:-1], bars[1:]):
        assert np.isclose(a.get_x() + a.get_width(), b.get_x())
    (output,) = lines(ax, "output")
    assert np.isclose(output.get_xdata()[0], model.predict_raw(X.iloc[[7]])[0])
    assert np.isclose(widths.sum() + row[-1], model.predict_raw(X.iloc[[7]])[0])
    order = np.argsort(-np.abs(row[:-1]), kind="stable")[:5]
    np.testing.assert_allclose(widths[1:][::-1], row[:-1][order])
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[0] == "11 other features"
    assert labels[-1].startswith(f"{X.columns[order[0]]} = ")
    p = model.predict_proba(X.iloc[[7]])[0, 1]
    assert f"(p = {p:.1%})" in ax.get_title()


def test_shap_waterfall_rejects_bad_input():
    names = ["a", "b", "c"]
    with pytest.raises(ValueError, match="base_value is given too"):
        cl.plot.shap_waterfall([0.1, 0.2, 0.3, -1.0], names, base_value=-1.0)
    with pytest.raises(ValueError, match="expected 3 .* or 4"):
        cl.plot.shap_waterfall([0.1, 0.2], names)
    with pytest.raises(ValueError, match="one row"):
        cl.plot.shap_waterfall(np.zeros((2, 4)), names)
    with pytest.raises(ValueError, match="row_values must hold 3 values"):
        cl.plot.shap_waterfall([0.1, 0.2, 0.3], names, row_values=[1, 2])
    with pytest.raises(ValueError, match="nan"):
        cl.plot.shap_waterfall([0.1, np.nan, 0.3], names)
    with pytest.raises(TypeError, match="feature_names"):
        cl.plot.shap_waterfall([0.1, 0.2, 0.3], None)
    with pytest.raises(ValueError, match="link"):
        cl.plot.shap_waterfall([0.1, 0.2, 0.3], names, link="probit")
    ax = cl.plot.shap_waterfall(np.array([[0.1, -0.2, 0.3]]), names, base_value=0.5)
    assert np.isclose(lines(ax, "output")[0].get_xdata()[0], 0.7)


# ---- drift, segments, money ---------------------------------------------------------------------

def test_psi_is_the_drift_reports_chart(fitted, tmp_path):
    raw = fitted["raw"]
    base = cl.monitor.Baseline().fit(raw.iloc[:1500])
    report = base.compare(raw.iloc[1500:].assign(monthly_charges=raw["monthly_charges"] * 1.3))
    path = tmp_path / "psi.png"
    ax = cl.plot.psi(report, top=8, path=path)
    assert_not_blank(path)
    widths = [b.get_width() for b in ax.patches][::-1]
    np.testing.assert_allclose(widths, report.to_pandas()["psi"].head(8).fillna(0))
    fig, (a1, a2) = plt.subplots(1, 2)
    assert cl.plot.psi(report, ax=a2) is a2 and len(a1.patches) == 0
    with pytest.raises(TypeError, match="DriftReport"):
        cl.plot.psi(report.to_pandas())


@pytest.fixture(scope="module")
def profiles(fitted):
    raw, y = fitted["raw"], fitted["y_all"]
    features = ["tenure_months", "monthly_charges", "support_tickets"]
    X = raw[features].fillna(raw[features].median())
    labels = cl.KMeans(3, seed=1).fit(((X - X.mean()) / X.std()).to_numpy()).labels_
    return cl.segment.profile_segments(X, labels, churned=y,
                                       score=fitted["model"].predict_proba(raw)[:, 1],
                                       revenue=raw["monthly_charges"])


def test_segment_profiles_summary_and_features(profiles, tmp_path):
    table = profiles.to_pandas()
    seg = table.drop(index="all")
    path = tmp_path / "segments.png"
    ax = cl.plot.segment_profiles(profiles, path=path)
    assert_not_blank(path)
    by_gid = {}
    for patch in ax.patches:
        by_gid.setdefault(patch.get_gid(), []).append(patch.get_height())
    np.testing.assert_allclose(by_gid["segment_customers"], seg["share"])
    np.testing.assert_allclose(by_gid["segment_revenue_at_risk"],
                               seg["revenue_at_risk"] / seg["revenue_at_risk"].sum())
    assert ax.get_xticklabels()[0].get_text() == \
        f"segment {seg.index[0]}\nchurn {seg['churn_rate'].iloc[0]:.0%}"

    path = tmp_path / "segment_features.png"
    ax = cl.plot.segment_profiles(profiles, kind="features", path=path)
    assert_not_blank(path)
    means = profiles.feature_means()
    image = ax.get_images()[0].get_array()
    assert image.shape == (len(means), len(seg))
    expected = (means.drop(columns="all").to_numpy() - means[["all"]].to_numpy()) / \
        np.abs(means[["all"]].to_numpy())
    np.testing.assert_allclose(image, np.clip(expected, -1, 1))

    with pytest.raises(ValueError, match="kind"):
        cl.plot.segment_profiles(profiles, kind="pie")
    with pytest.raises(TypeError, match="SegmentProfiles"):
        cl.plot.segment_profiles(table)


def test_revenue_at_risk_from_kpis_export_and_buckets(fitted, tmp_path):
    from churnlib import retention as rt

    p = fitted["p"]
    revenue = fitted["X"]["monthly_charges"].to_numpy()
    buckets = rt.RiskBuckets(quantiles=[0.5, 0.8, 0.95]).fit(p)
    # reference: p r H summed per bucket, with the buckets' edges (left-closed)
    code = np.searchsorted(buckets.edges_, p, side="right")
    expected = np.array([np.sum(p[code == b] * revenue[code == b] * 12) for b in range(4)])

    path = tmp_path / "revenue_at_risk.png"
    kpis = rt.kpi_summary(p, revenue, buckets=buckets)
    ax = cl.plot.revenue_at_risk(kpis, currency="$", path=path)
    assert_not_blank(path)
    np.testing.assert_allclose([b.get_height() for b in ax.patches], expected, rtol=1e-9)
    assert [t.get_text().split("\n")[0] for t in ax.get_xticklabels()] == buckets.labels_

    export = rt.customer_export(p, revenue, buckets=buckets)
    ax = cl.plot.revenue_at_risk(export)
    np.testing.assert_allclose([b.get_height() for b in ax.patches], expected, rtol=1e-9)
    ax = cl.plot.revenue_at_risk(buckets, p, revenue, horizon=12)
    np.testing.assert_allclose([b.get_height() for b in ax.patches], expected, rtol=1e-9)
    assert ax.get_xticklabels()[0].get_text() == f"low\n{np.bincount(code)[0]:,}"

    with pytest.raises(ValueError, match="pass scores= and revenue="):
        cl.plot.revenue_at_risk(buckets)
    with pytest.raises(ValueError, match="columns of kpi_summary"):
        cl.plot.revenue_at_risk(pd.DataFrame({"x": [1.0]}))
    with pytest.raises(ValueError, match="no 'bucket' rows"):
        cl.plot.revenue_at_risk(kpis[kpis["level"] == "overall"])
    with pytest.raises(TypeError, match="kpi_summary or customer_export"):
        cl.plot.revenue_at_risk([1.0, 2.0])


# ---- bad input of the score charts ---------------------------------------------------------------

@pytest.mark.parametrize("name", ["roc", "precision_recall", "lift", "cumulative_gains",
                                  "calibration"])
def test_score_charts_reject_bad_input(name):
    f = getattr(cl.plot, name)
    y = np.array([0, 1, 0, 1, 1, 0])
    s = np.array([0.1, 0.9, 0.2, 0.7, 0.6, 0.4])
    with pytest.raises(ValueError, match="y_true has 6 values but"):
        f(y, s[:5])
    with pytest.raises(ValueError, match="is empty"):
        f(np.array([]), np.array([]))
    bad = s.copy()
    bad[2] = np.nan
    with pytest.raises(ValueError, match=r"nan at row 2"):
        f(y, bad)
    with pytest.raises(TypeError, match="must hold numbers"):
        f(y, np.array(["a"] * 6))
    with pytest.raises(TypeError, match="array-like"):
        f(y, 0.5)
    with pytest.raises(ValueError):
        f(np.array([0, 2, 0, 1, 1, 0]), s)          # labels other than 0/1
    if name != "calibration":  # a reliability diagram without churners is a valid one
        with pytest.raises(ValueError):
            f(np.zeros(6), s)                       # no churner
    with pytest.raises(TypeError, match="matplotlib Axes"):
        f(y, s, ax="left")
    assert plt.get_fignums() == []  # nothing drawn when the input is bad


def test_calibration_needs_probabilities():
    with pytest.raises(ValueError, match=r"probabilities in \[0, 1\]"):
        cl.plot.calibration([0, 1, 1], [0.2, 1.5, 0.4])
    with pytest.raises(ValueError, match="strategy"):
        cl.plot.calibration([0, 1, 1], [0.2, 0.5, 0.4], strategy="kmeans")


# ---- saving --------------------------------------------------------------------------------------

def test_save_writes_by_extension_and_atomically(fitted, tmp_path, monkeypatch):
    y, p = fitted["y"], fitted["p"]
    ax = cl.plot.roc(y, p)
    assert cl.plot.save(ax, tmp_path / "roc.svg") == str(tmp_path / "roc.svg")
    assert (tmp_path / "roc.svg").read_text().lstrip().startswith("<?xml")
    with pytest.raises(ValueError, match=r"cannot write '\.xyz' files"):
        cl.plot.save(ax, tmp_path / "roc.xyz")
    with pytest.raises(OSError, match="cannot write"):
        cl.plot.save(ax, tmp_path / "no_such_folder" / "roc.png")
    with pytest.raises(cl.IOError):
        cl.plot.roc(y, p, path=tmp_path / "no_such_folder" / "roc.png")

    # a failure in the middle of writing: the earlier file stays whole, no temporary is left
    target = tmp_path / "chart.png"
    cl.plot.roc(y, p, path=target)
    before = target.read_bytes()
    from matplotlib.figure import Figure

    def broken_savefig(self, f, **kwargs):
        f.write(b"\x89PNG half an image")
        raise RuntimeError("disk went away")

    monkeypatch.setattr(Figure, "savefig", broken_savefig)
    with pytest.raises(RuntimeError, match="disk went away"):
        cl.plot.lift(y, p, path=target)
    assert target.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["chart.png", "roc.svg"]
    with pytest.raises(RuntimeError):
        cl.plot.save(ax, tmp_path / "new.png")
    assert not (tmp_path / "new.png").exists()
    assert sorted(os.listdir(tmp_path)) == ["chart.png", "roc.svg"]


def test_without_matplotlib_every_chart_says_how_to_install_it(fitted, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)  # import fails
    y, p = fitted["y"], fitted["p"]
    for call in (lambda: cl.plot.roc(y, p), lambda: cl.plot.lift(y, p),
                 lambda: cl.plot.calibration(y, p),
                 lambda: cl.plot.feature_importance(fitted["model"]),
                 lambda: cl.plot.shap_waterfall([0.1, 0.2], ["a", "b"])):
        with pytest.raises(ImportError, match=r"pip install matplotlib"):
            call()
    report = cl.monitor.Baseline().fit(fitted["X"]).compare(fitted["X"])
    with pytest.raises(ImportError, match=r"pip install matplotlib"):
        cl.plot.psi(report)
    with pytest.raises(ImportError, match=r"pip install matplotlib"):
        report.plot_psi()


def test_importing_churnlib_does_not_import_matplotlib():
    code = "import sys, churnlib; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=120).stdout.strip()
    assert out == "False"


def test_every_chart_is_documented_and_exported():
    assert cl.plot is sys.modules["churnlib.plot"] and "plot" in cl.__all__
    assert sorted(cl.plot.__all__) == sorted(FUNCTIONS)
    for name in FUNCTIONS:
        doc = getattr(cl.plot, name).__doc__
        for section in ("Parameters", "Returns", "Examples"):
            assert section in doc, f"plot.{name}: no {section} section"


def test_docstring_examples_run(tmp_path, monkeypatch):
    import doctest

    monkeypatch.chdir(tmp_path)  # the examples write their charts into the working folder
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    tests = doctest.DocTestFinder().find(cl.plot, "churnlib.plot", globs={})
    assert len([t for t in tests if t.examples]) == len(FUNCTIONS) + 1  # and the module's
    for test in tests:
        runner.run(test)
        plt.close("all")
    assert runner.failures == 0
    assert len(list(tmp_path.glob("*.png"))) == 12
