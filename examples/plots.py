"""The monthly churn report's charts in one gallery, drawn with ``cl.plot``: the model's quality
(ROC, precision-recall, lift, cumulative gains, calibration; a GBDT next to a logistic
regression), its explanations (feature importance, SHAP summary, one customer's waterfall),
drift of this month's customers (PSI), segments, and revenue at risk per risk bucket.

- ``<out>/gallery.png``: every chart in one grid;
- ``<out>/gallery.html``: the same charts one by one, embedded in one self-contained page.

    python examples/plots.py [--customers N] [--out DIR]     (default DIR: a new temp folder)
"""

from __future__ import annotations

import argparse
import base64
import html
import io
import os
import tempfile

import matplotlib

matplotlib.use("Agg")  # files only: no window
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import churnlib as cl  # noqa: E402
from churnlib import retention as rt  # noqa: E402

CATEGORIES = ["region", "plan", "contract", "payment_method", "autopay"]
BEHAVIOUR = ["tenure_months", "monthly_charges", "sessions_per_week", "support_tickets"]


def build(n_customers, seed):
    """Everything the charts show: two models' test scores, SHAP values, a drift report,
    segment profiles and the KPI table."""
    df = cl.make_customers(n_customers, seed=seed).to_pandas(copy=True)
    y = df["churned"].to_numpy(np.float64)
    raw = df.drop(columns=["customer_id", "signup_date", "churned"])
    n_train = int(0.7 * len(df))
    train, test = slice(0, n_train), slice(n_train, None)

    gbdt = cl.GBDTClassifier(n_estimators=200, learning_rate=0.05, importance_type="gain",
                             seed=seed).fit(raw.iloc[train], y[train])
    numeric = [c for c in raw.columns if c not in CATEGORIES]
    pipe = (cl.FeaturePipeline(output="numpy").impute(numeric, strategy="median")
            .scale(numeric).one_hot(CATEGORIES, unknown="ignore"))
    logistic = cl.LogisticRegression(C=1.0).fit(pipe.fit_transform(raw.iloc[train]), y[train])

    X_test = raw.iloc[test].reset_index(drop=True)
    d = {"y": y[test], "X": X_test, "gbdt": gbdt,
         "p": gbdt.predict_proba(X_test)[:, 1],
         "p_logistic": logistic.predict_proba(pipe.transform(X_test))[:, 1]}
    sample = X_test.iloc[:2000]
    d["shap_X"], d["shap"] = sample, gbdt.predict_contrib(sample)
    d["customer"] = int(np.argmax(d["p"][:2000]))  # the riskiest customer of the sample

    # drift: this month's customers pay 15% more and a third call support once more
    base = cl.monitor.Baseline().fit(raw.iloc[train],
                                     score=gbdt.predict_proba(raw.iloc[train])[:, 1])
    month = cl.make_customers(max(1000, n_customers // 4), seed=seed + 1).to_pandas(copy=True)
    month = month.drop(columns=["customer_id", "signup_date", "churned"])
    month["monthly_charges"] *= 1.15
    month.loc[month.index % 3 == 0, "support_tickets"] += 1
    d["drift"] = base.compare(month, score=gbdt.predict_proba(month)[:, 1])

    # segments of the test customers by behaviour, profiled in their own units
    scaled = (cl.FeaturePipeline(output="numpy").impute(BEHAVIOUR).scale(BEHAVIOUR)
              .select(BEHAVIOUR).fit_transform(X_test))
    segments = cl.KMeans(4, n_init=4, seed=seed).fit(scaled).labels_
    d["profiles"] = cl.segment.profile_segments(
        X_test[BEHAVIOUR].fillna(X_test[BEHAVIOUR].median()), segments, churned=d["y"],
        score=d["p"], revenue=X_test["monthly_charges"])

    # money: risk buckets from the training scores, revenue at risk over 12 months
    buckets = rt.RiskBuckets(quantiles=[0.5, 0.8, 0.95]).fit(
        gbdt.predict_proba(raw.iloc[train])[:, 1])
    d["kpis"] = rt.kpi_summary(d["p"], X_test["monthly_charges"], buckets=buckets, horizon=12)
    return d


def charts(d):
    """(file name, title, draw(ax)) of each chart of the report."""
    y, p, q = d["y"], d["p"], d["p_logistic"]

    def two(f):
        def draw(ax):
            ax = f(y, p, ax=ax, label="GBDT")
            return f(y, q, ax=ax, label="logistic")
        return draw

    i = d["customer"]
    return [
        ("roc", "ROC curve", two(cl.plot.roc)),
        ("precision_recall", "Precision-recall", two(cl.plot.precision_recall)),
        ("lift", "Lift", two(cl.plot.lift)),
        ("cumulative_gains", "Cumulative gains", two(cl.plot.cumulative_gains)),
        ("calibration", "Calibration", lambda ax: cl.plot.calibration(y, p, ax=ax,
                                                                      label="GBDT")),
        ("feature_importance", "Feature importance",
         lambda ax: cl.plot.feature_importance(d["gbdt"], top=12, ax=ax)),
        ("shap_summary", "SHAP summary",
         lambda ax: cl.plot.shap_summary(d["shap"], d["shap_X"], top=12, ax=ax,
                                         xlabel="SHAP value (log-odds)")),
        ("shap_waterfall", "One customer",
         lambda ax: cl.plot.shap_waterfall(d["shap"][i], d["shap_X"].columns,
                                           row_values=d["shap_X"].iloc[i], top=10,
                                           link="logit", ax=ax)),
        ("psi", "Drift", lambda ax: cl.plot.psi(d["drift"], top=12, ax=ax)),
        ("segment_profiles", "Segments",
         lambda ax: cl.plot.segment_profiles(d["profiles"], ax=ax)),
        ("segment_features", "Segment features",
         lambda ax: cl.plot.segment_profiles(d["profiles"], kind="features", ax=ax)),
        ("revenue_at_risk", "Revenue at risk",
         lambda ax: cl.plot.revenue_at_risk(d["kpis"], currency="$", ax=ax)),
    ]


def write_text_atomically(path, text):
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--customers", type=int, default=20_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", default=None, help="folder (default: a new temporary folder)")
    args = ap.parse_args()
    out = args.out or tempfile.mkdtemp(prefix="churnlib-plots-")
    os.makedirs(out, exist_ok=True)

    d = build(args.customers, args.seed)
    todo = charts(d)

    # one PNG: a grid of every chart (constrained layout keeps the colour bars in their cell)
    cols = 3
    rows = -(-len(todo) // cols)
    fig = plt.figure(figsize=(7 * cols, 6 * rows), layout="constrained")
    axes = fig.subplots(rows, cols).ravel()
    for ax, (_, _, draw) in zip(axes, todo):
        draw(ax)
    for ax in axes[len(todo):]:
        ax.set_visible(False)
    fig.suptitle(f"Churn report: {len(d['y']):,} test customers, ROC-AUC "
                 f"{cl.metrics.roc_auc(d['y'], d['p']):.3f}", fontsize=16)
    gallery = cl.plot.save(fig, os.path.join(out, "gallery.png"), dpi=100)
    plt.close(fig)

    # one HTML page: each chart on its own figure, embedded as a PNG
    cells = []
    for name, title, draw in todo:
        ax = draw(None)
        buf = io.BytesIO()
        ax.figure.savefig(buf, format="png", dpi=100, bbox_inches="tight")
        plt.close(ax.figure)
        data = base64.b64encode(buf.getvalue()).decode("ascii")
        cells.append(f'<figure id="{name}"><figcaption>{html.escape(title)}</figcaption>'
                     f'<img src="data:image/png;base64,{data}" alt="{html.escape(title)}">'
                     "</figure>")
    page = ("<!doctype html><html><head><meta charset='utf-8'><title>Churn report</title>"
            "<style>body{font-family:sans-serif;margin:2em}"
            "main{display:grid;grid-template-columns:repeat(auto-fill,minmax(560px,1fr));"
            "gap:1.5em}figure{margin:0}img{max-width:100%}figcaption{font-weight:bold}"
            "</style></head><body><h1>Churn report</h1><main>" + "".join(cells)
            + "</main></body></html>")
    page_path = os.path.join(out, "gallery.html")
    write_text_atomically(page_path, page)
    print(f"{len(todo)} charts")
    print(f"gallery: {gallery}")
    print(f"html: {page_path}")


if __name__ == "__main__":
    main()
