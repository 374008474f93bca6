"""``churn report``: the monthly churn report (HTML) and its KPI JSON from a model and a file."""

from __future__ import annotations

import os

from . import _common, _model
from ._common import CliError, HelpFormatter

NAME = "report"

_DESCRIPTION = """\
Writes the monthly churn report for a month's customers: one self-contained HTML page
(charts embedded; it opens without network access) with the key figures and their change
since last month's KPI JSON (--previous), risk buckets, revenue at risk by segment, the
model's quality where labels exist (ROC, lift, calibration, AUC per period with --history),
drift against the model's baseline, segment profiles, the top reasons of the riskiest
customers and the alerts of the period (--alerts, a JSON-lines AlertLog). The headline
numbers go to a KPI JSON next to it (--kpis), for dashboards and for next month's
--previous. Both files are written atomically.

The data is read whole (the report needs every customer's score and reasons). Columns named
by --labels, --revenue and --segment may be in DATA next to the model's raw columns.
Needs matplotlib.
"""

_EPILOG = """\
examples:
  churn report november.csv --model model.json --revenue monthly_charges \\
        --segment contract --labels churned --out report-2026-11.html --period 2026-11
  churn report november.parquet --model models:churn@production --revenue monthly_charges \\
        --previous report-2026-10.kpis.json --alerts alerts.jsonl --out report.html
"""


def register(sub, parents):
    p = sub.add_parser(NAME, parents=parents, help="the monthly churn report (HTML + KPI JSON)",
                       description=_DESCRIPTION, epilog=_EPILOG, formatter_class=HelpFormatter)
    p.add_argument("data", nargs="?", metavar="DATA", help="CSV or Parquet file ('-': stdin)")
    p.add_argument("--model", metavar="MODEL", help="bundle file or REGISTRY[:name[@version]] "
                   "(required)")
    p.add_argument("--out", metavar="OUT.html", help="the HTML report (required)")
    p.add_argument("--kpis", metavar="OUT.json", help="the KPI JSON (default: OUT with "
                   "the extension .kpis.json)")
    p.add_argument("--period", metavar="NAME", help="the period's name (default: this month)")
    p.add_argument("--title", metavar="TEXT", help="the page's title")
    p.add_argument("--labels", metavar="COLUMN", help="observed churn (0/1, empty = unknown)")
    p.add_argument("--revenue", metavar="COLUMN", help="revenue per period")
    p.add_argument("--segment", metavar="COLUMN", help="segment of each customer")
    p.add_argument("--previous", metavar="KPIS.json", help="last period's KPI JSON")
    p.add_argument("--history", metavar="FILE", help="past periods' scores: CSV or Parquet "
                   "with columns period, y_true, y_score")
    p.add_argument("--alerts", metavar="LOG.jsonl", help="the period's alerts (an AlertLog)")
    p.add_argument("--horizon", type=int, default=12, metavar="N",
                   help="periods of revenue at risk and lifetime value (default 12)")
    p.add_argument("--events", metavar="E", help="event log for models that join one")
    p.add_argument("--as-of", metavar="DATE", help="aggregation date of --events")
    p.add_argument("--input-format", choices=_common.FORMATS, help="format of DATA")
    return p


def run(args):
    import churnlib as cl

    _common.require(args, "data", "model", "out")
    fmt = _common.file_format(args.data, args.input_format, "DATA")
    model = _model.load_model(args.model)
    events, as_of = _model.load_events(args.events, None, args.as_of)
    import pandas as pd

    # read with the contract's column types (as `churn score` does), in one or a few pieces
    parts = [t.to_pandas() for t in _common.iter_chunks(args.data, fmt, 1_000_000,
                                                         schema=model.contract_)]
    customers = pd.concat(parts, ignore_index=True) if len(parts) > 1 else (
        parts[0] if parts else pd.DataFrame())
    if len(customers) == 0:
        raise CliError("the input has no rows")
    history = None
    if args.history:
        history = _common.read_table(args.history,
                                     _common.file_format(args.history, None, "--history"))
        history = history.to_pandas()
    alerts = None
    if args.alerts:
        _common.check_readable(args.alerts, "--alerts")
        alerts = cl.retention.AlertLog(args.alerts).read()
    out_dir = os.path.dirname(os.path.abspath(args.out))
    if not os.path.isdir(out_dir):
        raise CliError(f"--out: folder '{out_dir}' does not exist")
    rep = cl.report(args.out, model=model, customers=customers, events=events, as_of=as_of,
                    labels=args.labels, revenue=args.revenue, segment=args.segment,
                    alerts=alerts, previous=args.previous, history=history, period=args.period,
                    title=args.title, kpi_path=args.kpis, horizon=args.horizon)
    k = rep.kpis
    line = (f"{k['customers']:,} customers, expected churn rate {k['expected_churn_rate']:.1%}")
    if "revenue_at_risk" in k:
        line += f", revenue at risk {k['revenue_at_risk']:,.0f}"
    if "roc_auc" in k:
        line += f", ROC-AUC {k['roc_auc']:.3f}"
    _common.log.info(line)
    print(rep.path)
    print(rep.kpi_path)
    return 0
