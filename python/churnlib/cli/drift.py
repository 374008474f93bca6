"""``churn drift``: a drift report of a file against a model bundle's baselines."""

from __future__ import annotations

import html
import json
import sys

from . import _common, _model
from ._common import EXIT_FINDINGS, EXIT_OK, CliError, HelpFormatter

NAME = "drift"

_DESCRIPTION = """\
Compares a batch of customers (and their scores) with the training baselines stored in a
model bundle: per raw feature PSI, KS and Jensen-Shannon distance, missing rates, values
out of the training range and unseen categories, each with a status (stable, moderate,
significant, missing_column), and the same for the model's score. The file is read in
chunks (--chunk-rows) whose histograms are merged exactly, so it may be larger than memory
and the report equals the report of the whole batch at once.

With a bundle that holds a performance reference, the report also estimates the model's
ROC-AUC, precision, recall, F1, churn rate and expected churners before the labels arrive
(confidence-based performance estimation from the calibrated scores, with 95% bands; per
--period value), and with --labels it sets the realised values beside them and says whether
the estimates can be trusted; an estimate below the model's limits (ROC-AUC 0.70) is an
alert. The PCA reconstruction error of the features measures drift of their joint
distribution. Rows lead with the drift that can move the score: PSI weighted by the feature's share of the
model's importance (mean |SHAP| on the hold-out rows; the "impact" column). A table of the
features goes to stdout; --json writes the full report (churnlib's
DriftReport JSON plus a "summary": severity, rows, fail_on), --html a self-contained page.

The severity of a report is its worst status (missing_column counts as significant). Exit
status: 1 when the severity reaches --fail-on (default significant; 'never' always exits
0), else 0; 2 for usage, contract or I/O errors. So a cron job or an Airflow task fails when
the data moved.
"""

_EPILOG = """\
examples:
  churn drift june.csv --model model.json
  churn drift june.parquet --model models:churn@production --fail-on moderate \\
        --json drift.json --html drift.html
"""

_RANK = {"stable": 0, "moderate": 1, "significant": 2, "missing_column": 2}
_SEVERITY = ("stable", "moderate", "significant")


def register(sub, parents):
    p = sub.add_parser(NAME, parents=parents, help="drift report, exit code by severity",
                       description=_DESCRIPTION, epilog=_EPILOG, formatter_class=HelpFormatter)
    p.add_argument("data", nargs="?", metavar="DATA", help="CSV or Parquet file ('-': stdin)")
    p.add_argument("--model", metavar="MODEL", help="bundle file or REGISTRY[:name[@version]] "
                   "(required)")
    p.add_argument("--fail-on", choices=("moderate", "significant", "never"),
                   default="significant", help="exit 1 from this severity on")
    p.add_argument("--json", metavar="OUT", help="write the report as JSON ('-': stdout)")
    p.add_argument("--html", metavar="OUT", help="write the report as an HTML page")
    p.add_argument("--no-score", dest="score", action="store_false",
                   help="compare the features only (no scoring)")
    p.add_argument("--chunk-rows", type=int, default=100_000, metavar="N",
                   help="rows read at a time")
    p.add_argument("--period", metavar="COLUMN",
                   help="estimate the performance per value of this column (default: one "
                        "estimate of every row)")
    p.add_argument("--labels", metavar="COLUMN",
                   help="a 0/1 column of churn that arrived: the realised performance beside "
                        "the estimate, and whether the estimate can be trusted")
    p.add_argument("--events", metavar="E", help="event log for models that join one")
    p.add_argument("--as-of", metavar="DATE", help="aggregation date of --events")
    p.add_argument("--input-format", choices=_common.FORMATS, help="format of DATA")
    return p


def _column(chunk, name, what):
    """One column of a chunk (a churnlib Table) as a numpy array."""
    import numpy as np

    if name not in chunk.column_names:
        raise CliError(f"{what} column '{name}' is not in the input")
    return np.asarray(chunk.select([name]).to_pandas()[name])


def drift_report(model, chunks, with_score=True, events=None, as_of=None, period=None,
                 labels=None):
    """The DriftReport of all chunks against ``model``'s baseline, merged chunk by chunk, with
    the PCA reconstruction error and the performance estimated before the labels (per value of
    the ``period`` column, else one chunk "current"; realised from the ``labels`` column)."""
    import numpy as np

    baseline = model.baseline_
    reference = model.performance_reference_ if with_score else None
    pca = model.reconstruction_
    merged = None
    scores, periods, ys, errors = [], [], [], []
    for chunk in chunks:
        score = None
        if with_score and (baseline.has_score_ or reference is not None):
            score = model._fitted("drift()").predict_proba(chunk, events, as_of, validate=True)
        part = baseline.accumulate(chunk, score=score if baseline.has_score_ else None)
        merged = part if merged is None else merged.merge(part)
        if reference is not None:
            scores.append(np.asarray(score))
            if period:
                periods.append(_column(chunk, period, "--period"))
            if labels:
                ys.append(_column(chunk, labels, "--labels"))
        if pca is not None:
            errors.append(pca.errors(chunk))
    if merged is None:
        raise CliError("the input has no rows")
    report = baseline.compare(merged)
    if pca is not None:
        report.set_reconstruction(pca.compare_errors(np.concatenate(errors)))
    if reference is not None:
        p = np.concatenate(scores)
        keys = np.concatenate(periods) if period else np.full(len(p), "current", dtype=object)
        estimate = reference.estimate(p, chunks=keys)
        if labels:
            estimate.add_realised(np.concatenate(ys))
        report.set_estimated_performance(estimate)
    # as ChurnModel.drift(): lead with the drift that can move the score
    importance = model.feature_importance_
    names = {f["feature"] for f in report.features}
    importance = importance[[f in names for f in importance.index]]
    if importance.sum() > 0:
        report.weight_by_importance(importance)
    return report


def severity(report):
    """The worst status of the features and the score, raised by the other alerts (estimated
    performance, multivariate drift) to their severity."""
    rows = list(report.features) + ([report.score] if report.score is not None else [])
    rank = max((_RANK.get(r["status"], 0) for r in rows), default=0)
    for a in report.alerts:
        if a["metric"] not in ("psi", "missing_column"):
            rank = max(rank, _RANK.get(a["severity"], 0))
    return _SEVERITY[rank]


def performance_text(est):
    """The estimated (and realised) performance per chunk as a text table."""
    df = est.to_pandas()
    out = df[["chunk", "n"]].copy()
    for m in ("roc_auc", "precision", "recall", "churn_rate"):
        out[m] = [f"{e:.3f} [{lo:.3f}, {hi:.3f}]" for e, lo, hi in
                  zip(df[f"{m}_estimated"], df[f"{m}_lower"], df[f"{m}_upper"])]
    out["expected_churners"] = df["expected_churners_estimated"].round(0)
    if est.has_realised:
        out["realised_roc_auc"] = df["roc_auc_realised"].round(3)
        out["outside_band"] = df["outside_band"]
    text = out.to_string(index=False)
    if est.has_realised:
        text += ("\nthe estimates are " + ("reliable" if est.reliable else
                 "UNRELIABLE: the realised ROC-AUC leaves the bands too often (concept shift?)"))
    return text


def _fmt(v):
    if isinstance(v, float):
        return "" if v != v else f"{v:.4f}"
    if isinstance(v, list):
        return ", ".join(map(str, v[:5])) + (" ..." if len(v) > 5 else "")
    return html.escape(str(v))


_COLORS = {"stable": "#4c9f70", "moderate": "#e0a030", "significant": "#d0453a",
           "missing_column": "#7a7a7a"}


def to_html(report, title, summary):
    """A self-contained HTML page: the verdict, then one row per feature with a PSI bar."""
    df = report.to_pandas()
    cols = ["feature", "kind", "psi", "status", "ks", "js", "missing_rate_reference",
            "missing_rate_current", "share_out_of_range", "unseen_categories"]
    top = max([v for v in df["psi"].tolist() if v == v] + [0.25])
    rows = []
    for _, r in df.iterrows():
        psi = r["psi"] if r["psi"] == r["psi"] else 0.0
        bar = (f'<div class="bar" style="width:{100 * min(psi / top, 1):.1f}%;'
               f'background:{_COLORS.get(r["status"], "#999")}"></div>')
        cells = "".join(f"<td>{_fmt(r[c])}</td>" for c in cols)
        rows.append(f'<tr class="{html.escape(r["status"])}">{cells}<td class="b">{bar}</td></tr>')
    head = "".join(f"<th>{c.replace('_', ' ')}</th>" for c in cols) + "<th>PSI</th>"
    verdict = summary["severity"]
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>
body{{font-family:system-ui,sans-serif;margin:2em;color:#222}}
table{{border-collapse:collapse;font-size:14px}}
th,td{{padding:4px 8px;border-bottom:1px solid #ddd;text-align:left}}
td.b{{width:200px}} .bar{{height:12px}}
.verdict{{display:inline-block;padding:4px 10px;color:#fff;border-radius:4px;
background:{_COLORS.get(verdict, '#999')}}}
</style></head><body>
<h1>{html.escape(title)}</h1>
<p><span class="verdict">{html.escape(verdict)}</span>
{summary['n_rows_current']:,} rows compared with {summary['n_rows_reference']:,} training rows;
{100 * report.share_drifting:.1f}% of the features drift (PSI thresholds: moderate
{report.thresholds.get('moderate', 0.1)}, significant {report.thresholds.get('significant', 0.25)}).</p>
<table><thead><tr>{head}</tr></thead><tbody>
{chr(10).join(rows)}
</tbody></table>
{_performance_html(report)}
</body></html>
"""


def _performance_html(report):
    """The estimated performance (and the multivariate drift) as HTML, or ''."""
    parts = []
    est = report.estimated_performance
    if est is not None:
        parts.append("<h2>Performance estimated before the labels (95% bands)</h2>"
                     f"<pre>{html.escape(performance_text(est))}</pre>")
    rec = report.reconstruction
    if rec is not None:
        parts.append(f"<p>Multivariate drift: PCA reconstruction error "
                     f"{rec.reconstruction_error:.4f} (threshold {rec.threshold:.4f}, "
                     f"p = {rec.p_value:.3g}): {'drift' if rec.drifted else 'no drift'}.</p>")
    return "\n".join(parts)


def run(args):
    _common.require(args, "data", "model")
    if args.chunk_rows < 1:
        raise CliError(f"--chunk-rows must be >= 1, got {args.chunk_rows}")
    fmt = _common.file_format(args.data, args.input_format, "input")
    _common.check_readable(args.data)
    model = _model.load_model(args.model)
    events, as_of = _model.load_events(
        args.events, _common.file_format(args.events, None, "events") if args.events else None,
        args.as_of)
    chunks = _common.iter_chunks(args.data, fmt, args.chunk_rows, schema=model.contract_)
    report = drift_report(model, chunks, args.score, events, as_of, args.period, args.labels)
    level = severity(report)
    summary = {"severity": level, "fail_on": args.fail_on, "data": args.data,
               "model": args.model, "n_rows_current": report.n_rows_current,
               "n_rows_reference": report.n_rows_reference,
               "share_drifting": report.share_drifting}
    if args.json:
        doc = report.to_dict()
        doc["summary"] = summary
        _common.write_text(args.json, json.dumps(doc, indent=2, default=str) + "\n")
    if args.html:
        _common.write_text(args.html, to_html(report, f"Drift report: {args.data}", summary))
    if args.json != "-":
        df = report.to_pandas()[["feature", "kind", "psi", "status", "importance", "impact",
                                 "ks", "missing_rate_current"]]
        sys.stdout.write(df.to_string(index=False) + "\n")
        est = report.estimated_performance
        if est is not None:
            sys.stdout.write("\nestimated performance before the labels (95% bands):\n"
                             + performance_text(est) + "\n")
        sys.stdout.flush()
    failing = args.fail_on != "never" and _SEVERITY.index(level) >= _SEVERITY.index(args.fail_on)
    log = _common.log.warning if failing else _common.log.info
    log("%s: drift %s (%d rows; %.0f%% of features drifting)%s", args.data, level,
        report.n_rows_current, 100 * report.share_drifting,
        f"; failing (--fail-on {args.fail_on})" if failing else "",
        extra={"fields": {"severity": level, "failing": failing}})
    return EXIT_FINDINGS if failing else EXIT_OK
