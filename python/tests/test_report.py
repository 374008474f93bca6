"""The monthly report (churnlib.report): its numbers against independent computations, every
section present, every chart a real image, and the page rendered by headless Chromium (Debian's
`chromium`, installed by scripts/setup.sh) the way a reader opens it."""
import base64
import io
import json
import os
import re
import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest

import churnlib as cl
from churnlib import retention as rt

matplotlib = pytest.importorskip("matplotlib")  # a test dependency (scripts/setup.sh)
import matplotlib.image as mpimg  # noqa: E402
from sklearn.metrics import average_precision_score, roc_auc_score  # noqa: E402

SECTION_IDS = [sid for sid, _ in cl.reporting.SECTIONS]
IMG = re.compile(r'<img alt="chart" src="data:image/png;base64,([A-Za-z0-9+/=]+)">')


@pytest.fixture(scope="module")
def setting():
    train = cl.make_customers(3000, seed=11).to_pandas()
    model = cl.train_churn_model(train, "churned", candidates=["logistic"], cv=2, seed=0)
    month = cl.make_customers(1500, seed=12).to_pandas()
    stamp = pd.Timestamp("2026-11-30", tz="UTC")
    p = model.predict_proba(month.drop(columns=["churned"]))[:, 1]
    alerts = pd.concat([
        rt.risk_alerts(month["customer_id"], p, threshold=0.7, timestamp=stamp),
        rt.quality_alerts(month["churned"], p, min_auc=0.99, timestamp=stamp),
    ], ignore_index=True)
    rng = np.random.default_rng(3)
    history = pd.DataFrame({"period": np.repeat(["2026-08", "2026-09", "2026-10"], 400),
                            "y_true": rng.integers(0, 2, 1200).astype(float),
                            "y_score": rng.random(1200)})
    history.loc[::7, "y_true"] = np.nan  # labels not known yet
    return model, month, p, alerts, history


def full_report(setting, path, **more):
    model, month, _, alerts, history = setting
    args = dict(model=model, customers=month, labels="churned", revenue="monthly_charges",
                segment="contract", alerts=alerts, history=history, period="2026-11",
                previous={"period": "2026-10", "kpis": {"customers": 1400, "roc_auc": 0.75,
                                                        "revenue_at_risk": 1.0e5}})
    args.update(more)
    return cl.report(path, **args)


def images(page):
    out = []
    for data in IMG.findall(page):
        out.append(mpimg.imread(io.BytesIO(base64.b64decode(data)), format="png"))
    return out


def test_numbers_against_independent_computations(setting, tmp_path):
    model, month, p, alerts, history = setting
    rep = full_report(setting, tmp_path / "r.html")
    y = month["churned"].to_numpy(np.float64)
    r = month["monthly_charges"].to_numpy(np.float64)
    k = rep.kpis
    assert k["customers"] == len(month)
    np.testing.assert_allclose(k["expected_churn_rate"], p.mean(), rtol=1e-12)
    np.testing.assert_allclose(k["revenue_at_risk"], (p * r * 12).sum(), rtol=1e-10)
    np.testing.assert_allclose(k["observed_churn_rate"], y.mean(), rtol=1e-12)
    np.testing.assert_allclose(k["roc_auc"], roc_auc_score(y, p), rtol=1e-12)
    np.testing.assert_allclose(k["average_precision"], average_precision_score(y, p), rtol=1e-9)
    assert k["predicted_churners"] == int((p >= model.threshold_).sum())
    assert k["alerts"] == len(alerts)
    np.testing.assert_allclose(rep.change["roc_auc"]["change"], k["roc_auc"] - 0.75)
    assert rep.change["customers"]["previous"] == 1400
    # the KPI JSON holds the same numbers and a row per bucket and segment
    doc = json.loads((tmp_path / "r.kpis.json").read_text())
    assert doc["period"] == "2026-11" and doc["previous_period"] == "2026-10"
    assert doc["kpis"]["customers"] == len(month)
    np.testing.assert_allclose(doc["kpis"]["revenue_at_risk"], k["revenue_at_risk"])
    groups = {(row["level"], row["group"]) for row in doc["table"]}
    assert {("segment", c) for c in month["contract"].astype(str).unique()} <= groups
    assert ("bucket", "critical") in groups
    # the next month's report reads this one's JSON as its previous period
    nxt = full_report(setting, tmp_path / "next.html", previous=tmp_path / "r.kpis.json",
                      period="2026-12")
    assert nxt.change["revenue_at_risk"]["change"] == pytest.approx(0.0, abs=1e-6)


def test_every_section_and_every_chart(setting, tmp_path):
    rep = full_report(setting, tmp_path / "r.html")
    page = (tmp_path / "r.html").read_text()
    for sid in SECTION_IDS:
        assert f'<section id="{sid}">' in page
    imgs = images(page)
    # buckets, segments, ROC, lift, calibration, AUC per period, PSI, profiles, reasons
    assert len(imgs) == rep.charts == 9
    for im in imgs:
        assert im.shape[0] > 100 and im.shape[1] > 100
        assert (im[..., :3] < 0.9).mean() > 0.01  # ink on the page, not a blank image
    assert "http://" not in page and "https://" not in page  # opens without network access
    # the riskiest customers are listed with their reasons, most severe alerts first
    riskiest = setting[1]["customer_id"].to_numpy()[np.argmax(setting[2])]
    assert riskiest in page
    alerts_html = page[page.index('<section id="alerts">'):]
    assert alerts_html.index("model_quality") < alerts_html.index("risk_threshold</td>")


def test_quality_shows_the_estimate_beside_the_realised_values(setting, tmp_path):
    model, month, p, _, _ = setting
    rep = full_report(setting, tmp_path / "r.html")
    page = (tmp_path / "r.html").read_text()
    quality = page[page.index('<section id="quality">'):page.index('<section id="drift">')]
    assert "Estimated from the calibrated scores alone" in quality
    assert "realised values of the labelled customers" in quality
    est = model.estimate_performance(month.drop(columns=["churned"]))
    assert rep.kpis["estimated_roc_auc"] == pytest.approx(
        est.chunks[0]["roc_auc"]["estimated"], abs=1e-12)
    # the realised ROC-AUC beside it is the month's
    assert f"{roc_auc_score(month['churned'], p):,.3f}" in quality
    drift = page[page.index('<section id="drift">'):page.index('<section id="segments">')]
    assert "PCA reconstruction error" in drift and "impact" in drift


def test_sections_say_what_is_missing(setting, tmp_path):
    _, month, p, _, _ = setting
    rep = cl.report(tmp_path / "s.html", scores=p, period="2026-11")
    page = (tmp_path / "s.html").read_text()
    for sid in SECTION_IDS:
        assert f'<section id="{sid}">' in page
    assert "roc_auc" not in rep.kpis and "revenue_at_risk" not in rep.kpis
    assert "No labels" in page and "Give segment=" in page and "No drift report" in page
    assert rep.charts == 0
    # labels with NaN: only the labelled customers count
    y = month["churned"].to_numpy(np.float64)
    y[::3] = np.nan
    rep = cl.report(tmp_path / "t.html", scores=p, labels=y, revenue=month["monthly_charges"])
    keep = ~np.isnan(y)
    np.testing.assert_allclose(rep.kpis["roc_auc"], roc_auc_score(y[keep], p[keep]), rtol=1e-12)
    assert rep.kpis["labelled"] == keep.sum()


def test_bad_input(setting, tmp_path):
    model, month, p, _, _ = setting
    out = tmp_path / "x.html"
    with pytest.raises(cl.InvalidArgument, match="model with customers, or scores"):
        cl.report(out)
    with pytest.raises(cl.InvalidArgument, match="needs the customers"):
        cl.report(out, model=model)
    with pytest.raises(cl.InvalidArgument, match="names no column"):
        cl.report(out, model=model, customers=month, revenue="no_such_column")
    with pytest.raises(cl.InvalidArgument, match="1499 values for 1500"):
        cl.report(out, model=model, customers=month, revenue=np.ones(1499))
    with pytest.raises(cl.InvalidArgument, match=r"\[0, 1\]"):
        cl.report(out, scores=np.r_[p[:-1], 1.5])
    with pytest.raises(cl.InvalidArgument, match="non-finite"):
        cl.report(out, scores=p, revenue=np.r_[np.ones(len(p) - 1), np.inf])
    with pytest.raises(cl.TypeMismatch, match="numeric"):
        cl.report(out, scores=p, revenue=np.array(["a"] * len(p), dtype=object))
    with pytest.raises(cl.InvalidArgument, match="not KPI JSON"):
        cl.report(out, scores=p, previous="{not json")
    with pytest.raises(cl.IOError, match="cannot read previous"):
        cl.report(out, scores=p, previous=str(tmp_path / "missing.json"))
    with pytest.raises(cl.InvalidArgument, match="no customers"):
        cl.report(out, scores=np.array([]))
    assert not out.exists()


def test_atomic_writes(setting, tmp_path, monkeypatch):
    _, month, p, _, _ = setting
    out = tmp_path / "r.html"
    out.write_text("last month's report")
    (tmp_path / "r.kpis.json").write_text("{}")
    calls = {"n": 0}
    real = cl.reporting._png

    def failing(fig):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("disk went away")
        return real(fig)

    monkeypatch.setattr(cl.reporting, "_png", failing)
    with pytest.raises(RuntimeError, match="disk went away"):
        cl.report(out, scores=p, labels=month["churned"], revenue=month["monthly_charges"])
    assert out.read_text() == "last month's report"
    assert (tmp_path / "r.kpis.json").read_text() == "{}"
    assert sorted(os.listdir(tmp_path)) == ["r.html", "r.kpis.json"]  # no temporary left
    with pytest.raises(cl.IOError, match="cannot write"):
        cl.report(tmp_path / "no" / "such" / "dir.html", scores=p)


def chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    pytest.fail("headless Chromium is needed to check the rendered report: "
                "apt-get install chromium (scripts/setup.sh installs it)")


def test_renders_in_headless_chromium(setting, tmp_path):
    rep = full_report(setting, tmp_path / "r.html")
    page = (tmp_path / "r.html").read_text()
    # a copy that records, once loaded, how many images the browser could not decode
    probe = page.replace("</body>", "<script>window.addEventListener('load',()=>{"
                         "const im=[...document.images];document.body.setAttribute("
                         "'data-images',im.length);document.body.setAttribute('data-broken',"
                         "im.filter(i=>!(i.complete&&i.naturalWidth>0)).length);"
                         "document.body.setAttribute('data-sections',[...document."
                         "querySelectorAll('section h2')].map(h=>h.parentNode.id).join(','));"
                         "});</script></body>")
    (tmp_path / "probe.html").write_text(probe)
    flags = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
             "--virtual-time-budget=10000"]
    dom = subprocess.run(flags + ["--dump-dom", (tmp_path / "probe.html").as_uri()],
                         capture_output=True, text=True, timeout=120).stdout
    body = re.search(r"<body[^>]*>", dom).group(0)
    assert f'data-images="{rep.charts}"' in body
    assert 'data-broken="0"' in body
    assert f'data-sections="{",".join(SECTION_IDS)}"' in body
    shot = tmp_path / "shot.png"
    subprocess.run(flags + ["--window-size=1280,3000", f"--screenshot={shot}",
                            (tmp_path / "r.html").as_uri()], capture_output=True, timeout=120)
    im = mpimg.imread(shot)
    assert im.shape[:2] == (3000, 1280)
    # the header band, cards and charts: far from a blank page
    assert (im[..., :3] < 0.5).mean() > 0.03
    assert len(np.unique((im[::7, ::7, :3] * 255).astype(np.uint8).reshape(-1, 3), axis=0)) > 50
