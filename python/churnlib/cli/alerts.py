"""``churn alerts``: risk and drift alerts, deduplicated by a cooldown, appended to a log."""

from __future__ import annotations

import sys

from . import _common
from ._common import EXIT_FINDINGS, EXIT_OK, CliError, HelpFormatter

NAME = "alerts"

_DESCRIPTION = """\
Raises alerts from this run's scores (the output of `churn score`) and, optionally, from a
drift report (`churn drift --json`), drops the ones already raised within --cooldown (read
from the alert log), appends the new ones to the log and prints them.

  risk_threshold  a customer's score reached --threshold (and the previous run's did not;
                  without --previous every customer at or above it)
  risk_jump       a customer's score rose by more than --jump since --previous
  drift           a feature's (or the score's) PSI reached --psi-warning (critical from
                  --psi-critical)

The log (--log) is a JSON-lines file that several jobs may append to at once and that a
killed writer never breaks (churnlib.retention.AlertLog); its folder must exist. Alerts
carry deterministic ids, so a rerun of the same job adds nothing.

Output: the new alerts on stdout as a table (or --out FILE as CSV/Parquet, '-' for CSV on
stdout). Exit status: 1 when a new alert reaches --fail-on (default never), else 0; 2 for
usage or I/O errors.
"""

_EPILOG = """\
examples:
  churn alerts scores.csv --previous last_month.csv --log alerts.jsonl
  churn alerts scores.parquet --drift drift.json --log alerts.jsonl --cooldown 7D \\
        --fail-on critical --out new_alerts.csv
"""

_SEVERITIES = ("info", "warning", "critical")


def register(sub, parents):
    p = sub.add_parser(NAME, parents=parents, help="risk and drift alerts into a log",
                       description=_DESCRIPTION, epilog=_EPILOG, formatter_class=HelpFormatter)
    p.add_argument("data", nargs="?", metavar="SCORES",
                   help="scores of this run: CSV or Parquet with an id and a score column")
    p.add_argument("--log", metavar="FILE.jsonl", help="the alert log (required)")
    p.add_argument("--previous", metavar="SCORES", help="scores of the previous run")
    p.add_argument("--drift", metavar="DRIFT.json", help="a report of churn drift --json")
    p.add_argument("--id-column", default="customer_id", metavar="COL")
    p.add_argument("--score-column", default="probability", metavar="COL")
    p.add_argument("--threshold", type=float, default=0.5, help="risk threshold")
    p.add_argument("--jump", type=float, default=0.2, help="a rise larger than this alerts")
    p.add_argument("--psi-warning", type=float, default=0.1)
    p.add_argument("--psi-critical", type=float, default=0.25)
    p.add_argument("--severity", choices=_SEVERITIES, default="warning",
                   help="severity of risk alerts")
    p.add_argument("--cooldown", default="7D", metavar="DURATION",
                   help="repeats of an alert within this period are dropped (pandas "
                        "Timedelta text: 1D, 12h)")
    p.add_argument("--timestamp", metavar="TIME", help="when the alerts are raised (default "
                   "now; a fixed time makes reruns idempotent)")
    p.add_argument("--fail-on", choices=_SEVERITIES + ("never",), default="never",
                   help="exit 1 when a new alert has at least this severity")
    p.add_argument("--out", metavar="OUT", help="write the new alerts (CSV/Parquet, '-')")
    p.add_argument("--max-print", type=int, default=50, metavar="N",
                   help="print at most N new alerts on stdout (0: all)")
    p.add_argument("--fsync", action="store_true", help="flush the log to disk on append")
    p.add_argument("--input-format", choices=_common.FORMATS, help="format of SCORES")
    return p


def _scores(path, fmt, id_col, score_col):
    import numpy as np

    table = _common.read_table(path, fmt)
    for col in (id_col, score_col):
        if col not in table.column_names:
            raise CliError(f"'{path}' has no column '{col}' (see --id-column, --score-column)")
    df = table.select([id_col, score_col]).to_pandas()
    return df[id_col].astype(str).to_numpy(dtype=object), df[score_col].to_numpy(np.float64)


def _drift_frame(path):
    import pandas as pd

    from churnlib._validation import parse_json

    _common.check_readable(path, "drift report")
    try:
        with open(path, "rb") as f:
            doc = parse_json(f.read(), f"'{path}'")  # a BOM skipped, as C++; never RecursionError
        rows = list(doc["features"]) + ([doc["score"]] if doc.get("score") else [])
        frame = pd.DataFrame([{"feature": r["feature"], "psi": float(r["psi"])} for r in rows])
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise CliError(f"'{path}' is not a drift report of churn drift --json ({e})") from None
    return frame


def run(args):
    import pandas as pd

    from ..retention import alerts as al

    _common.require(args, "data", "log")
    when = args.timestamp
    if when is not None:
        try:
            when = pd.Timestamp(when)
        except (TypeError, ValueError) as e:
            raise CliError(f"--timestamp: cannot read {args.timestamp!r} ({e})") from None
        when = when.tz_localize("UTC") if when.tzinfo is None else when
    else:
        when = pd.Timestamp.now(tz="UTC")
    fmt = _common.file_format(args.data, args.input_format, "input")
    ids, scores = _scores(args.data, fmt, args.id_column, args.score_column)
    previous = None
    if args.previous:
        pids, pscores = _scores(args.previous, _common.file_format(args.previous, None, "input"),
                                args.id_column, args.score_column)
        previous = pd.Series(pscores, index=pids)
    parts = [al.risk_alerts(ids, scores, previous, threshold=args.threshold, jump=args.jump,
                            threshold_severity=args.severity, jump_severity=args.severity,
                            timestamp=when)]
    if args.drift:
        parts.append(al.drift_alerts(_drift_frame(args.drift), psi_warning=args.psi_warning,
                                     psi_critical=args.psi_critical, timestamp=when))
    raised = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
    log = al.AlertLog(args.log, fsync=args.fsync)
    fresh = al.apply_cooldown(raised, log, args.cooldown)
    added = log.append(fresh) if len(fresh) else 0
    if args.out:
        with _common.AtomicOutput(args.out) as f:
            writer = _common.TableWriter(f, _common.file_format(args.out, None, "output"))
            writer.write(fresh)
            writer.close()
    elif len(fresh):
        cols = ["kind", "subject", "metric", "value", "threshold", "severity"]
        shown = fresh[cols].head(args.max_print) if args.max_print else fresh[cols]
        sys.stdout.write(shown.to_string(index=False) + "\n")
        if len(shown) < len(fresh):
            sys.stdout.write(f"... and {len(fresh) - len(shown)} more (all in {args.log})\n")
        sys.stdout.flush()
    worst = max((_SEVERITIES.index(s) for s in fresh["severity"].astype(str)), default=-1)
    failing = args.fail_on != "never" and worst >= _SEVERITIES.index(args.fail_on)
    _common.log.info("%d alerts raised, %d new (cooldown %s) -> %s", len(raised), added,
                     args.cooldown, args.log,
                     extra={"fields": {"raised": len(raised), "new": added,
                                       "failing": failing}})
    return EXIT_FINDINGS if failing else EXIT_OK
