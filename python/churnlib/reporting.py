"""The monthly churn report: one self-contained HTML file and a KPI JSON for dashboards.

:func:`report` gathers what a monthly churn review reads - KPIs and their change from the last
period, risk buckets, revenue at risk by segment, the model's quality (ROC, lift, calibration,
AUC per month where labels exist), drift per feature and on the score, segment profiles, the top
reasons of the riskiest customers and the alerts of the period - into one HTML page whose charts
are embedded (PNG as data URIs: the file opens anywhere, without network access), and writes the
headline numbers as JSON next to it. Both files are written atomically.

>>> import churnlib as cl
>>> customers = cl.make_customers(3000, seed=1).to_pandas()
>>> model = cl.train_churn_model(customers, "churned", candidates=["logistic"], cv=2)
>>> month = cl.make_customers(1000, seed=2).to_pandas()
>>> rep = cl.report("report.html", model=model, customers=month, labels="churned",
...                 revenue="monthly_charges", segment="contract", period="2026-11")
>>> sorted(rep.kpis)[:3]
['clv_at_risk', 'customers', 'expected_churn_rate']

Needs matplotlib (an optional dependency) for the charts.
"""
from __future__ import annotations

import base64
import datetime as _dt
import html
import io
import json
import math
import numbers
import os
from typing import Any, Dict, List, Mapping, Optional

import numpy as np

from . import metrics as _metrics
from ._atomic import write_atomically
from . import plot as _plot
from ._validation import parse_json
from .errors import InvalidArgument, SerializationError, TypeMismatch
from .errors import IOError as _ChurnIOError

__all__ = ["report", "ChurnReport", "SECTIONS"]

#: The report's sections in page order: (HTML id, heading).
SECTIONS = (
    ("kpis", "Key figures"),
    ("buckets", "Risk buckets"),
    ("revenue", "Revenue at risk by segment"),
    ("quality", "Model quality"),
    ("drift", "Drift"),
    ("segments", "Segment profiles"),
    ("reasons", "Top reasons of the riskiest customers"),
    ("alerts", "Alerts of the period"),
)

# The headline numbers of the KPI JSON and the key-figure cards: key, label, format, whether a
# rise is good news (None: neither).
_HEADLINE = (
    ("customers", "Customers scored", "{:,.0f}", None),
    ("expected_churn_rate", "Expected churn rate", "{:.1%}", False),
    ("expected_churners", "Expected churners", "{:,.0f}", False),
    ("predicted_churners", "Customers above the threshold", "{:,.0f}", False),
    ("revenue_at_risk", "Revenue at risk (horizon)", "{:,.0f}", False),
    ("clv_at_risk", "Lifetime value at risk", "{:,.0f}", False),
    ("observed_churn_rate", "Observed churn rate", "{:.1%}", False),
    ("roc_auc", "ROC-AUC (labelled customers)", "{:.3f}", True),
    ("score_psi", "Score PSI", "{:.3f}", False),
    ("share_drifting", "Features drifting", "{:.0%}", False),
    ("alerts", "Alerts", "{:,.0f}", False),
)

_CSS = """
body{font-family:-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;margin:0;color:#1f2933;
background:#f5f7fa}
header{background:#243b53;color:#fff;padding:24px 40px}
header h1{margin:0 0 6px 0;font-size:26px}
header p{margin:0;color:#d9e2ec}
nav{padding:10px 40px;background:#fff;border-bottom:1px solid #d9e2ec;font-size:14px}
nav a{margin-right:16px;color:#334e68;text-decoration:none}
main{padding:10px 40px 40px 40px;max-width:1200px}
section{background:#fff;border:1px solid #d9e2ec;border-radius:6px;padding:18px 24px;
margin-top:18px}
h2{margin-top:0;font-size:20px;color:#243b53}
.cards{display:flex;flex-wrap:wrap;gap:12px}
.card{border:1px solid #d9e2ec;border-radius:6px;padding:10px 14px;min-width:170px}
.card .label{font-size:12px;color:#627d98;text-transform:uppercase;letter-spacing:.03em}
.card .value{font-size:24px;font-weight:600;margin-top:4px}
.card .change{font-size:13px;margin-top:2px}
.good{color:#2f855a}.bad{color:#c53030}.flat{color:#627d98}
table.data{border-collapse:collapse;font-size:13px;margin:10px 0}
table.data th,table.data td{border-bottom:1px solid #e4e7eb;padding:4px 10px;text-align:right}
table.data th{background:#f0f4f8;color:#334e68}
table.data td:first-child,table.data th:first-child{text-align:left}
.charts{display:flex;flex-wrap:wrap;gap:16px;align-items:flex-start}
.charts img{max-width:100%;border:1px solid #e4e7eb}
.note{color:#627d98;font-size:14px}
footer{color:#829ab1;font-size:12px;padding:0 40px 30px 40px}
"""


class ChurnReport:
    """What :func:`report` wrote: the HTML and KPI JSON paths and the numbers in them.

    Attributes
    ----------
    path : str
        The HTML file.
    kpi_path : str
        The KPI JSON file.
    kpis : dict
        The headline numbers (``customers``, ``expected_churn_rate``, ``revenue_at_risk``, ...;
        a number the inputs do not allow is absent).
    change : dict
        Per headline number also in ``previous``: ``{"previous", "change", "relative"}``.
    sections : list of str
        The HTML ids of the sections, in page order (every entry of :data:`SECTIONS`).
    charts : int
        Images embedded in the page.
    """

    def __init__(self, path, kpi_path, kpis, change, sections, charts):
        self.path = path
        self.kpi_path = kpi_path
        self.kpis = kpis
        self.change = change
        self.sections = sections
        self.charts = charts

    def __repr__(self):
        return (f"ChurnReport(path={self.path!r}, kpi_path={self.kpi_path!r}, "
                f"customers={self.kpis.get('customers')}, charts={self.charts})")


# ---- inputs ------------------------------------------------------------------------------------

def _column(customers, value, what, caller, n=None):
    """``value`` as a 1-D numpy array: a column name of ``customers`` or array-like."""
    if value is None:
        return None
    if isinstance(value, str):
        if customers is None or value not in getattr(customers, "columns", ()):
            raise InvalidArgument(f"{caller}: {what}={value!r} names no column of customers")
        arr = customers[value].to_numpy()
    else:
        arr = value.to_numpy() if hasattr(value, "to_numpy") else np.asarray(value)
    if arr.ndim != 1:
        raise InvalidArgument(f"{caller}: {what} must be one-dimensional, got shape {arr.shape}")
    if n is not None and arr.shape[0] != n:
        raise InvalidArgument(f"{caller}: {what} has {arr.shape[0]} values for {n} customers")
    return arr


def _floats(arr, what, caller, allow_nan=False):
    if arr is None:
        return None
    if arr.dtype.kind not in "biuf":
        try:
            arr = arr.astype(np.float64)
        except (TypeError, ValueError):
            raise TypeMismatch(f"{caller}: {what} must be numeric, got dtype {arr.dtype}") from None
    arr = np.asarray(arr, dtype=np.float64)
    bad = ~np.isfinite(arr) if not allow_nan else np.isinf(arr)
    if bad.any():
        raise InvalidArgument(f"{caller}: {what} holds a non-finite value at row "
                              f"{int(np.flatnonzero(bad)[0])}")
    return arr


def _previous(previous, caller):
    """The previous period's KPI JSON as a dict (a path, JSON text or a dict), or None."""
    if previous is None:
        return None
    if isinstance(previous, Mapping):
        data = dict(previous)
    elif isinstance(previous, (str, os.PathLike)):
        text = os.fspath(previous)
        if not text.lstrip("\ufeff \t\r\n").startswith("{"):
            try:
                with open(text, encoding="utf-8-sig") as f:
                    text = f.read()
            except OSError as e:
                raise _ChurnIOError(f"{caller}: cannot read previous={previous!r}: {e}") from None
        try:
            data = parse_json(text, "previous")  # a BOM skipped; never RecursionError
        except SerializationError as e:
            raise InvalidArgument(f"{caller}: previous is not KPI JSON: {e}") from None
    else:
        raise TypeMismatch(f"{caller}: previous must be a path, JSON text or a dict, got "
                           f"{type(previous).__name__}")
    kpis = data.get("kpis", data)
    if not isinstance(kpis, Mapping):
        raise InvalidArgument(f"{caller}: previous has no 'kpis' object")
    return {"period": data.get("period"),
            "kpis": {k: float(v) for k, v in kpis.items()
                     if isinstance(v, numbers.Real) and not isinstance(v, bool)}}


def _history(history, caller):
    """AUC per period from a frame of (period, y_true, y_score) rows."""
    import pandas as pd

    if history is None:
        return None
    if not isinstance(history, pd.DataFrame):
        raise TypeMismatch(f"{caller}: history must be a DataFrame with columns period, y_true, "
                           f"y_score, got {type(history).__name__}")
    missing = {"period", "y_true", "y_score"} - set(history.columns)
    if missing:
        raise InvalidArgument(f"{caller}: history lacks the column(s) {sorted(missing)}")
    rows = []
    for period, g in history.groupby("period", sort=True):
        y = g["y_true"].to_numpy(np.float64)
        s = g["y_score"].to_numpy(np.float64)
        keep = ~np.isnan(y)
        y, s = y[keep], s[keep]
        auc = (_metrics.roc_auc(y, s) if y.size and 0 < y.sum() < y.size else float("nan"))
        rows.append({"period": str(period), "customers": int(len(g)), "labelled": int(y.size),
                     "churn_rate": float(y.mean()) if y.size else float("nan"), "roc_auc": auc})
    return pd.DataFrame(rows)


# ---- output helpers ----------------------------------------------------------------------------

def _figure(width=6.4, height=4.0):
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height))


def _png(fig):
    """A figure as an <img> with a PNG data URI."""
    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png", dpi=100)
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    return f'<img alt="chart" src="data:image/png;base64,{data}">'


def _chart(draw, width=6.4, height=4.0):
    """Calls ``draw(ax)`` on a new figure and returns the image."""
    fig = _figure(width, height)
    draw(fig.subplots())
    return _png(fig)


def _table(df, float_format="{:,.3f}", index=False, max_rows=None):
    if max_rows is not None:
        df = df.head(max_rows)

    def fmt(v):
        if isinstance(v, (list, tuple, np.ndarray)):
            return ", ".join(str(x) for x in v)
        if isinstance(v, float):
            if math.isnan(v):
                return ""
            return (float_format.format(v) if abs(v) < 1000 else f"{v:,.0f}")
        return v

    shown = df.copy()
    for c in shown.columns:
        if shown[c].dtype.kind in "fO":
            shown[c] = shown[c].map(fmt)
    return shown.to_html(index=index, classes="data", border=0, escape=True)


def _note(text):
    return f'<p class="note">{html.escape(text)}</p>'


def _json_number(v):
    return None if isinstance(v, float) and not math.isfinite(v) else v


# ---- the report ----------------------------------------------------------------------------------

def report(path, *, model=None, customers=None, events=None, as_of=None, scores=None,
           labels=None, revenue=None, segment=None, buckets=None, drift=None, profiles=None,
           alerts=None, previous=None, history=None, period=None, title=None, kpi_path=None,
           threshold=None, horizon=12, discount_rate=0.0, margin=1.0, n_reasons=3,
           top_customers=15) -> ChurnReport:
    """Writes the monthly churn report: one self-contained HTML file and its KPI JSON.

    Give a model and this period's customers (the model scores them, explains the riskiest and
    measures drift against its baseline), or the pieces already computed (``scores``, ``drift``,
    ``profiles``, ``alerts``); each section shows what its inputs allow and says what is missing
    otherwise.

    Parameters
    ----------
    path : str or path-like
        The HTML file to write (atomically).
    model : ChurnModel, optional
        The deployed model: scores ``customers`` (with reasons), gives the threshold and, unless
        ``drift`` is given, the drift report against its training baseline.
    customers : DataFrame, optional
        This period's customers (the model's raw columns; may also hold the label, revenue and
        segment columns named below).
    events, as_of
        The event log and snapshot date, as for ``ChurnModel.score``.
    scores : array-like, optional
        Churn probabilities, when there is no model (or to report other scores).
    labels : str or array-like, optional
        Observed churn (0/1, NaN = not known yet): a column of ``customers`` or values.
    revenue : str or array-like, optional
        Revenue per period (e.g. monthly charges): a column or values.
    segment : str or array-like, optional
        Segment of each customer (a column or values): KPIs and revenue at risk per segment.
    buckets : churnlib.retention.RiskBuckets, optional
        Default: ``RiskBuckets()`` (cut points 0.25, 0.5, 0.75).
    drift : DriftReport, optional
        Default: ``model.drift(customers, events, as_of)`` when a model and customers are given.
    profiles : SegmentProfiles, optional
        Default: the profiles of ``segment`` over the numeric columns of ``customers``.
    alerts : DataFrame, optional
        The alerts of the period (``churnlib.retention`` alert frames).
    previous : str, path-like or dict, optional
        The previous period's KPI JSON (as this function writes it): the key figures show their
        change.
    history : DataFrame, optional
        Past periods' scored customers with columns ``period``, ``y_true`` (NaN = unknown),
        ``y_score``: AUC per period.
    period : str, optional
        The period's name ("2026-11"); default: today's month.
    title : str, optional
    kpi_path : str or path-like, optional
        Default: ``path`` with the extension ``.kpis.json``.
    threshold : float, optional
        Predicted churner when ``score >= threshold``; default the model's, else 0.5.
    horizon, discount_rate, margin
        Of the lifetime values (see ``churnlib.retention.customer_value``).
    n_reasons : int, default 3
    top_customers : int, default 15
        Rows of the riskiest-customers table.

    Returns
    -------
    ChurnReport

    Raises
    ------
    InvalidArgument
        Neither a model with customers nor scores; lengths that differ; a column name not in
        ``customers``; non-finite scores or revenue.
    TypeMismatch
        Non-numeric scores, labels or revenue; inputs of the wrong type.
    churnlib.IOError
        When a file cannot be written or ``previous`` cannot be read.
    ImportError
        Without matplotlib.
    """
    import pandas as pd

    from . import retention as rt
    from .segment import profile_segments

    caller = "report()"
    _plot._pyplot("report")  # matplotlib, or an ImportError naming the fix
    if model is not None and customers is None:
        raise InvalidArgument(f"{caller}: a model needs the customers to score")
    if model is None and scores is None:
        raise InvalidArgument(f"{caller}: give a model with customers, or scores")
    if customers is not None and not isinstance(customers, pd.DataFrame):
        from ._frames import as_pandas

        customers = as_pandas(customers)
    path = os.fspath(path)
    kpi_path = os.fspath(kpi_path) if kpi_path is not None else os.path.splitext(path)[0] + \
        ".kpis.json"
    period = str(period) if period is not None else _dt.date.today().strftime("%Y-%m")
    title = title or f"Churn report {period}"

    # ---- scores, labels, money ----
    label_col = labels if isinstance(labels, str) else None
    scored = None
    if model is not None and scores is None:
        raw = customers.drop(columns=[label_col]) if label_col in customers.columns else customers
        scored = model.score(raw, events=events, as_of=as_of, n_reasons=n_reasons)
        p = scored["probability"].to_numpy(np.float64)
    else:
        n0 = len(customers) if customers is not None else None
        p = _floats(_column(customers, scores, "scores", caller, n0), "scores", caller)
    n = p.shape[0]
    if n == 0:
        raise InvalidArgument(f"{caller}: no customers to report on")
    if ((p < 0) | (p > 1)).any():
        raise InvalidArgument(f"{caller}: scores must be probabilities in [0, 1]; row "
                              f"{int(np.flatnonzero((p < 0) | (p > 1))[0])} is not")
    y = _floats(_column(customers, labels, "labels", caller, n), "labels", caller, allow_nan=True)
    r = _floats(_column(customers, revenue, "revenue", caller, n), "revenue", caller)
    seg = _column(customers, segment, "segment", caller, n)
    if threshold is None:
        threshold = float(model.threshold_) if model is not None else 0.5
    buckets = buckets if buckets is not None else rt.RiskBuckets()
    seg_series = None if seg is None else pd.Series(seg).astype(object).where(
        pd.notna(seg), None).astype(str)
    kpi_table = rt.kpi_summary(p, r if r is not None else np.zeros(n), buckets=buckets,
                               segment=seg_series, observed=y, threshold=threshold,
                               horizon=horizon, discount_rate=discount_rate, margin=margin)
    overall = kpi_table[kpi_table["level"] == "overall"].iloc[0]
    if drift is None and model is not None:
        raw = customers.drop(columns=[label_col]) if label_col in customers.columns else customers
        drift = model.drift(raw, events=events, as_of=as_of)
    labelled = None if y is None else ~np.isnan(y)
    auc_ok = labelled is not None and 0 < np.nansum(y) < labelled.sum()

    kpis: Dict[str, float] = {
        "customers": int(n),
        "expected_churn_rate": float(overall["expected_churn_rate"]),
        "expected_churners": float(overall["expected_churners"]),
        "predicted_churners": int(overall["predicted_churners"]),
        "threshold": float(threshold),
    }
    if r is not None:
        kpis["revenue"] = float(overall["revenue"])
        kpis["revenue_at_risk"] = float(overall["revenue_at_risk"])
        kpis["clv_at_risk"] = float(overall["clv_at_risk"])
    if labelled is not None and labelled.any():
        kpis["labelled"] = int(labelled.sum())
        kpis["observed_churn_rate"] = float(np.nanmean(y))
    if auc_ok:
        kpis["roc_auc"] = float(_metrics.roc_auc(y[labelled], p[labelled]))
        kpis["average_precision"] = float(_metrics.average_precision(y[labelled], p[labelled]))
        kpis["brier"] = float(_metrics.brier_score(y[labelled], p[labelled]))
    if drift is not None:
        if drift.score is not None:
            kpis["score_psi"] = float(drift.score["psi"])
        est = drift.estimated_performance
        if est is not None and len(est.chunks) == 1:
            kpis["estimated_roc_auc"] = float(est.chunks[0]["roc_auc"]["estimated"])
        kpis["share_drifting"] = float(drift.share_drifting)
    if alerts is not None:
        if not isinstance(alerts, pd.DataFrame):
            raise TypeMismatch(f"{caller}: alerts must be a DataFrame of alerts, got "
                               f"{type(alerts).__name__}")
        kpis["alerts"] = int(len(alerts))
    prev = _previous(previous, caller)
    change = {}
    if prev is not None:
        for k, v in kpis.items():
            if k in prev["kpis"] and k != "threshold":
                before = prev["kpis"][k]
                change[k] = {"previous": before, "change": v - before,
                             "relative": (v - before) / abs(before) if before else None}
    hist = _history(history, caller)

    # ---- sections ----
    body: List[str] = []
    charts = 0

    def add(section_id, content):
        heading = dict(SECTIONS)[section_id]
        body.append(f'<section id="{section_id}"><h2>{html.escape(heading)}</h2>{content}'
                    "</section>")

    # key figures
    cards = []
    for key, label, fmt, rise_good in _HEADLINE:
        if key not in kpis:
            continue
        text = f'<div class="card"><div class="label">{html.escape(label)}</div>' \
               f'<div class="value">{fmt.format(kpis[key])}</div>'
        if key in change:
            d = change[key]["change"]
            cls = "flat" if d == 0 or rise_good is None else (
                "good" if (d > 0) == rise_good else "bad")
            arrow = "&#9650;" if d > 0 else ("&#9660;" if d < 0 else "&#9654;")
            text += (f'<div class="change {cls}">{arrow} {fmt.format(abs(d))} since '
                     f'{html.escape(str(prev["period"] or "last period"))}</div>')
        cards.append(text + "</div>")
    add("kpis", f'<div class="cards">{"".join(cards)}</div>')

    # risk buckets
    bucket_rows = kpi_table[kpi_table["level"] == "bucket"]
    cols = ["group", "customers", "share", "expected_churners", "predicted_churners"]
    if r is not None:
        cols += ["revenue_at_risk", "clv_at_risk"]
    if labelled is not None and labelled.any():
        cols += ["observed_churn_rate"]
    content = _table(bucket_rows[cols].rename(columns={"group": "bucket"}))
    if r is not None:
        content = f'<div class="charts">{_chart(lambda ax: _plot.revenue_at_risk(kpi_table, ax=ax, horizon=horizon))}</div>' + content
        charts += 1
    else:
        content += _note("No revenue was given: the money columns are left out.")
    add("buckets", content)

    # revenue at risk by segment
    seg_rows = kpi_table[kpi_table["level"] == "segment"]
    if seg_rows.empty or r is None:
        add("revenue", _note("Give segment= and revenue= for revenue at risk by segment."))
    else:
        rows = seg_rows.sort_values("revenue_at_risk")

        def draw_segments(ax):
            ax.barh(rows["group"].astype(str), rows["revenue_at_risk"], color="#d9822b")
            for i, v in enumerate(rows["revenue_at_risk"]):
                ax.text(v, i, f" {v:,.0f}", va="center", fontsize=9)
            ax.set_xlabel(f"Revenue at risk ({horizon} periods)")
            ax.set_title("Revenue at risk by segment")
            ax.margins(x=0.2)
            _plot._compact_axis(ax.xaxis)

        height = 0.45 * len(rows) + 1.6
        add("revenue", f'<div class="charts">{_chart(draw_segments, 6.4, height)}</div>' + _table(
            seg_rows[["group", "customers", "expected_churn_rate", "revenue", "revenue_at_risk",
                      "clv_at_risk"]].rename(columns={"group": "segment"})))
        charts += 1

    # model quality
    parts = []
    if auc_ok:
        yl, pl = y[labelled], p[labelled]
        parts.append('<div class="charts">')
        parts.append(_chart(lambda ax: _plot.roc(yl, pl, ax=ax), 4.6, 4.2))
        parts.append(_chart(lambda ax: _plot.lift(yl, pl, ax=ax), 4.6, 4.2))
        parts.append(_chart(lambda ax: _plot.calibration(yl, pl, ax=ax), 4.6, 4.2))
        charts += 3
        parts.append("</div>")
        parts.append(_note(f"{int(labelled.sum()):,} of {n:,} customers have their label: "
                           f"ROC-AUC {kpis['roc_auc']:.3f}, PR-AUC "
                           f"{kpis['average_precision']:.3f}, Brier {kpis['brier']:.4f}."))
    else:
        parts.append(_note("No labels with both classes for this period yet: ROC, lift and "
                           "calibration appear once churn is observed."))
    if hist is not None and not hist.empty:
        def draw_history(ax):
            ax.plot(hist["period"], hist["roc_auc"], marker="o", color="#2680c2")
            ax.set_ylabel("ROC-AUC")
            ax.set_title("AUC per period (labelled customers)")
            ax.set_ylim(max(0.0, float(np.nanmin(hist["roc_auc"])) - 0.05) if
                        np.isfinite(hist["roc_auc"]).any() else 0.0, 1.0)
            ax.grid(alpha=0.3)
            for label in ax.get_xticklabels():
                label.set_rotation(30)

        parts.append(f'<div class="charts">{_chart(draw_history, 6.4, 3.4)}</div>')
        parts.append(_table(hist))
        charts += 1
    est = drift.estimated_performance if drift is not None else None
    if est is not None and len(est.chunks) > 0:
        parts.append(_estimated_performance_html(est, y, p, labelled, threshold, auc_ok))
    if model is not None:
        rep = model.report_
        hold = rep.get("holdout", {})
        if hold:
            parts.append(_note(f"At training ({rep.get('chosen', model.kind_)}): hold-out ROC-AUC "
                               f"{hold.get('roc_auc', float('nan')):.3f} on "
                               f"{hold.get('rows', 0):,} customers; threshold {threshold:.3f}."))
    add("quality", "".join(parts))

    # drift
    if drift is None:
        add("drift", _note("No drift report: give a model with customers, or drift=."))
    else:
        frame = drift.to_pandas()
        top = frame.head(15)
        content = (f'<div class="charts">'
                   f'{_chart(lambda ax: _plot.psi(drift, ax=ax, top=15), 7.0, 0.32 * len(top) + 1.4)}'
                   '</div>')
        charts += 1
        cols = [c for c in ("feature", "psi", "status", "ks", "missing_rate_reference",
                            "missing_rate_current", "share_out_of_range", "unseen_categories")
                if c in frame.columns]
        score_text = ""
        if drift.score is not None:
            score_text = f" Score PSI {drift.score['psi']:.3f} ({drift.score['status']})."
        if drift.weighted:
            score_text += (" Rows lead with the drift that can move the score: PSI x the "
                           "feature's share of the model's importance (impact).")
        for name, res in (("PCA reconstruction error", drift.reconstruction),):
            if res is not None:
                score_text += (f" Multivariate drift, {name}: {res.reconstruction_error:.3f} "
                               f"against a threshold of {res.threshold:.3f} "
                               f"({'drift' if res.drifted else 'no drift'}).")
        if drift.domain_classifier is not None:
            dc = drift.domain_classifier
            score_text += (f" Domain classifier AUC {dc.auc:.3f} (p = {dc.p_value:.2g}; "
                           f"{'drift' if dc.drifted else 'no drift'}).")
        add("drift", content + _note(f"{drift.share_drifting:.0%} of the features drift "
                                     f"against the {drift.n_rows_reference:,} reference rows."
                                     + score_text) + _table(top[cols]))

    # segment profiles
    if profiles is None and seg is not None and customers is not None:
        numeric = customers.select_dtypes(include=["number", "bool"]).drop(
            columns=[c for c in (label_col, revenue if isinstance(revenue, str) else None,
                                 segment if isinstance(segment, str) else None)
                     if c is not None and c in customers.columns], errors="ignore")
        if numeric.shape[1] > 0:
            codes, uniques = pd.factorize(pd.Series(seg).astype(object), sort=True)
            keep = codes >= 0
            if keep.all():
                profiles = profile_segments(numeric.astype(np.float64), codes.astype(np.int64),
                                            churned=y, score=p, revenue=r)
                profile_names = [str(u) for u in uniques]
            else:
                profile_names = None
        else:
            profile_names = None
    else:
        profile_names = None
    if profiles is None:
        add("segments", _note("Give segment= (or profiles=) for segment profiles."))
    else:
        table = profiles.to_pandas().reset_index()
        table = table.rename(columns={table.columns[0]: "segment"})
        note = ""
        if profile_names is not None:
            names = {str(i): name for i, name in enumerate(profile_names)}
            table.insert(1, "name", [names.get(str(v), "") for v in table["segment"]])
            note = _note("Segments: " + "; ".join(f"{i} = {name}" for i, name in names.items())
                         + ". Revenue at risk here is one period's: revenue x score.")
        content = (f'<div class="charts">'
                   f'{_chart(lambda ax: _plot.segment_profiles(profiles, ax=ax), 7.0, 4.0)}</div>'
                   + note + _table(table))
        charts += 1
        add("segments", content)

    # reasons of the riskiest customers
    if scored is not None and "reason_1" in scored.columns:
        order = np.argsort(-p, kind="stable")
        top = scored.iloc[order[:top_customers]]
        id_col = model.id_column_ if model is not None else None
        cols = ([id_col] if id_col and id_col in top.columns else []) + ["probability"] + [
            c for c in top.columns if c.startswith("reason_")]
        decile = scored.iloc[order[:max(1, n // 10)]]
        counts = decile["reason_1"].astype(str).value_counts().head(10)
        counts = counts[counts > 0]

        def draw_reasons(ax):
            ax.barh(counts.index.astype(str)[::-1], counts.to_numpy()[::-1], color="#c53030")
            ax.set_xlabel("Customers (top 10% risk) with it as first reason")
            ax.set_title("Most frequent first reasons")

        add("reasons", f'<div class="charts">{_chart(draw_reasons, 6.4, 3.6)}</div>'
            + _table(top[cols]))
        charts += 1
    else:
        add("reasons", _note("Reasons come from a model's scoring: give model= and customers=."))

    # alerts
    if alerts is None:
        add("alerts", _note("No alerts were given for this period."))
    elif alerts.empty:
        add("alerts", _note("No alerts this period."))
    else:
        summary = alerts.groupby([c for c in ("kind", "severity") if c in alerts.columns]
                                 ).size().rename("alerts").reset_index() \
            if {"kind", "severity"} & set(alerts.columns) else None
        cols = [c for c in ("kind", "severity", "subject", "metric", "value", "reason")
                if c in alerts.columns]
        shown = alerts.copy()
        if "severity" in shown.columns:
            rank = shown["severity"].astype(str).map(
                {"critical": 0, "warning": 1, "info": 2}).fillna(3).astype(int)
            shown = shown.assign(_rank=rank).sort_values("_rank", kind="stable")
        more = len(shown) - 20
        add("alerts", (_table(summary) if summary is not None else "")
            + _table(shown[cols] if cols else shown, max_rows=20)
            + (_note(f"... and {more:,} more (most severe first).") if more > 0 else ""))

    # ---- the files ----
    generated = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    from . import __version__

    subtitle = f"Period {period} &middot; {n:,} customers &middot; generated {generated}"
    if model is not None:
        subtitle += f" &middot; model {html.escape(str(model.kind_))}"
    nav = "".join(f'<a href="#{sid}">{html.escape(head)}</a>' for sid, head in SECTIONS)
    page = (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>"
            f"<header><h1>{html.escape(title)}</h1><p>{subtitle}</p></header>"
            f"<nav>{nav}</nav><main>{''.join(body)}</main>"
            f"<footer>churnlib {html.escape(__version__)} &middot; charts embedded, no network "
            f"access needed</footer></body></html>")
    kpi_doc: Dict[str, Any] = {
        "format": "churnlib.kpis", "version": 1, "period": period, "generated_at": generated,
        "kpis": {k: _json_number(v) for k, v in kpis.items()},
        "change": {k: {kk: _json_number(vv) for kk, vv in d.items()} for k, d in change.items()},
        "previous_period": prev["period"] if prev else None,
        "table": parse_json(kpi_table.attrs["json"], "KPI table JSON")["rows"],
    }
    kpi_text = json.dumps(kpi_doc, indent=2, allow_nan=False, default=_json_default)
    write_atomically(kpi_path, lambda f: f.write(kpi_text.encode("utf-8")), caller)
    write_atomically(path, lambda f: f.write(page.encode("utf-8")), caller)
    return ChurnReport(path, kpi_path, kpis, change, [sid for sid, _ in SECTIONS], charts)


def _estimated_performance_html(est, y, p, labelled, threshold, auc_ok):
    """The performance estimated from the scores alone (CBPE), beside the realised values of
    the labelled customers when every customer has a label."""
    import pandas as pd

    c = est.chunks[0] if len(est.chunks) == 1 else None
    if c is None:
        return _note("Performance estimated before the labels, per chunk:") + _table(
            est.to_pandas()[["chunk", "n", "roc_auc_estimated", "roc_auc_lower",
                             "roc_auc_upper", "roc_auc_realised"]])
    realised = {}
    if auc_ok and labelled.all():
        pred = p >= threshold
        tp = float(np.sum(pred & (y == 1)))
        realised = {"roc_auc": float(_metrics.roc_auc(y, p)),
                    "precision": tp / pred.sum() if pred.sum() else float("nan"),
                    "recall": tp / y.sum() if y.sum() else float("nan"),
                    "churn_rate": float(y.mean()), "expected_churners": float(y.sum())}
    rows = []
    for key, label in (("roc_auc", "ROC-AUC"), ("precision", "precision at the threshold"),
                       ("recall", "recall at the threshold"), ("churn_rate", "churn rate"),
                       ("expected_churners", "churners")):
        m = c[key]
        rows.append({"metric": label, "estimated": m["estimated"],
                     "95% band": f"{m['lower']:.3f} - {m['upper']:.3f}",
                     "realised": realised.get(key, float("nan"))})
    text = ("Estimated from the calibrated scores alone (confidence-based performance "
            "estimation against the model's hold-out reference), before the labels arrive.")
    if realised:
        text += " The realised values of the labelled customers sit beside them."
    return _note(text) + _table(pd.DataFrame(rows))


def _json_default(v):
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating,)):
        return _json_number(float(v))
    raise TypeError(f"not JSON serialisable: {type(v).__name__}")
