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

Rows lead with the drift that can move the score: PSI weighted by the feature's share of the
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
    p.add_argument("--events", metavar="E", help="event log for models that join one")
    p.add_argument("--as-of", metavar="DATE", help="aggregation date of --events")
    p.add_argument("--input-format", choices=_common.FORMATS, help="format of DATA")
    return p


def drift_report(model, chunks, with_score=True, events=None, as_of=None):
    """The DriftReport of all chunks against ``model``'s baseline, merged chunk by chunk."""
    baseline = model.baseline_
    merged = None
    for chunk in chunks:
        score = None
        if with_score and baseline.has_score_:
            score = model._fitted("drift()").predict_proba(chunk, events, as_of, validate=True)
        part = baseline.accumulate(chunk, score=score)
        merged = part if merged is None else merged.merge(part)
    if merged is None:
        raise CliError("the input has no rows")
    report = baseline.compare(merged)
    # as ChurnModel.drift(): lead with the drift that can move the score
    importance = model.feature_importance_
    names = {f["feature"] for f in report.features}
    importance = importance[[f in names for f in importance.index]]
    if importance.sum() > 0:
        report.weight_by_importance(importance)
    return report


def severity(report):
    rows = list(report.features) + ([report.score] if report.score is not None else [])
    rank = max((_RANK.get(r["status"], 0) for r in rows), default=0)
    return _SEVERITY[rank]


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
</body></html>
"""


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
    report = drift_report(model, chunks, args.score, events, as_of)
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
        sys.stdout.flush()
    failing = args.fail_on != "never" and _SEVERITY.index(level) >= _SEVERITY.index(args.fail_on)
    log = _common.log.warning if failing else _common.log.info
    log("%s: drift %s (%d rows; %.0f%% of features drifting)%s", args.data, level,
        report.n_rows_current, 100 * report.share_drifting,
        f"; failing (--fail-on {args.fail_on})" if failing else "",
        extra={"fields": {"severity": level, "failing": failing}})
    return EXIT_FINDINGS if failing else EXIT_OK
