"""``churn score``: batch scoring of a file in chunks, in bounded memory, written atomically."""

from __future__ import annotations

import time

from . import _common, _model
from ._common import EXIT_OK, CliError, HelpFormatter

NAME = "score"

_DESCRIPTION = """\
Scores customers with a churn model bundle and writes one row per customer: the id column
(when the model has one), probability (calibrated P(churn)) and prediction (the class at
the model's threshold), plus the optional column groups of --columns (default none;
"--columns reasons" gives exactly the columns of ChurnModel.score):

  reasons   reason_1..K and reason_K_contribution: the raw columns that raise the score most
            (K = --n-reasons); slow for tree models (TreeSHAP per customer)
  bucket    the risk bucket (low / medium / high / critical by --bucket-cuts)
  action    the retention action chosen by the rules of --rules (needs --value-column);
            also rule, channel, cost and expected_net_value

The input is read and scored in chunks of about --chunk-rows rows (CSV through churnlib's
chunked reader with the contract's column types, Parquet by row batches), so a file larger
than memory scores in memory bounded by the chunk size; the output equals scoring the whole
file at once (ChurnModel.score), row for row. Each chunk is checked against the model's data
contract first.

Formats follow the extensions (.csv, .parquet); "-" reads standard input or writes standard
output (CSV unless --input-format/--output-format says otherwise). The output is written to
an unnamed temporary file in the target's folder, flushed to disk and renamed into place at
the end: a failed or killed run leaves no partial file, and an existing output untouched
(with its permissions); a FIFO or device as output is refused.

--model takes a bundle file (churn train --out) or a model registry folder:
REGISTRY, REGISTRY:NAME, REGISTRY:NAME@VERSION or REGISTRY:NAME@STAGE (e.g. models:churn@production).

Exit status: 0 scored, 2 usage, contract or I/O error.
"""

_EPILOG = """\
examples:
  churn score customers.csv --model model.json --out scores.csv
  churn score big.parquet --model models:churn@production --out scores.parquet \\
        --chunk-rows 200000 --columns bucket,reasons
  zcat customers.csv.gz | churn score - --model model.json --out - --columns none > p.csv
  churn score customers.csv --model model.json --out actions.csv --columns bucket,action \\
        --rules rules.json --value-column monthly_charges
"""

_GROUPS = ("reasons", "bucket", "action")


def register(sub, parents):
    p = sub.add_parser(NAME, parents=parents, help="score a file in chunks (bounded memory)",
                       description=_DESCRIPTION, epilog=_EPILOG, formatter_class=HelpFormatter)
    p.add_argument("data", nargs="?", metavar="DATA", help="CSV or Parquet file ('-': stdin)")
    p.add_argument("--model", metavar="MODEL", help="bundle file or REGISTRY[:name[@version]] "
                   "(required)")
    p.add_argument("--out", metavar="OUT", help="output CSV or Parquet file ('-': stdout) "
                   "(required)")
    p.add_argument("--chunk-rows", type=int, default=100_000, metavar="N",
                   help="rows scored at a time (about N for CSV)")
    p.add_argument("--columns", default="none", metavar="LIST",
                   help="optional column groups, comma-separated: reasons, bucket, action, "
                        "or 'none'")
    p.add_argument("--n-reasons", type=int, default=3, metavar="K",
                   help="reasons per customer (with 'reasons')")
    p.add_argument("--bucket-cuts", default="0.25,0.5,0.75", metavar="LIST",
                   help="inner edges of the risk buckets (with 'bucket')")
    p.add_argument("--bucket-labels", metavar="LIST",
                   help="bucket labels, lowest risk first (default low,medium,high,critical "
                        "for 3 cuts)")
    p.add_argument("--rules", metavar="RULES.json",
                   help="retention rules (churnlib.retention.RuleSet JSON) for 'action'; "
                        "budgets and capacities need the whole population and are refused")
    p.add_argument("--value-column", metavar="COL",
                   help="revenue per period (e.g. monthly_charges): value kept = revenue x "
                        "--value-periods (for 'action')")
    p.add_argument("--value-periods", type=float, default=12.0, metavar="N",
                   help="periods of revenue a retained customer is worth")
    p.add_argument("--events", metavar="E", help="event log (CSV/Parquet) for models that "
                   "join one; held in memory")
    p.add_argument("--as-of", metavar="DATE", help="aggregation date of --events")
    p.add_argument("--input-format", choices=_common.FORMATS, help="format of DATA")
    p.add_argument("--output-format", choices=_common.FORMATS, help="format of OUT")
    p.add_argument("--no-validate", dest="validate", action="store_false",
                   help="skip the contract check of each chunk")
    return p


def parse_columns(text):
    groups = _common.csv_list(text)
    if groups in (["none"], []):
        return set()
    unknown = [g for g in groups if g not in _GROUPS]
    if unknown:
        raise CliError(f"--columns: unknown group(s) {', '.join(unknown)}; choose among "
                       f"{', '.join(_GROUPS)} or 'none'")
    return set(groups)


class Scorer:
    """Scores one chunk (a churnlib Table) into an output frame (a Table, or a pandas
    DataFrame when buckets or actions are added)."""

    def __init__(self, model, args, groups):
        self.model = model
        self.core = model._fitted("score()")
        self.groups = groups
        self.n_reasons = args.n_reasons if "reasons" in groups else 0
        self.validate = args.validate
        self.buckets = self.rules = None
        if "bucket" in groups or "action" in groups:
            from ..retention import RiskBuckets

            cuts = [float(x) for x in _common.csv_list(args.bucket_cuts)]
            labels = _common.csv_list(args.bucket_labels) if args.bucket_labels else None
            self.buckets = RiskBuckets(cut_points=cuts, labels=labels)
            self.buckets.labels_  # checks the parameters now
        if "action" in groups:
            from ..retention import RuleSet

            if not args.rules or not args.value_column:
                raise CliError("--columns action needs --rules and --value-column")
            _common.check_readable(args.rules, "rules")
            self.rules = RuleSet.load(args.rules)
            if self.rules.budget is not None or any(a.get("capacity") for a in self.rules.actions):
                raise CliError(f"rules '{args.rules}' have a budget or action capacities, which "
                               "need all customers at once; churn score applies rules customer "
                               "by customer: remove them, or use "
                               "churnlib.retention.RuleSet.apply on the whole table")
            self.value_column = args.value_column
            self.value_periods = args.value_periods
        self.events, self.as_of = _model.load_events(
            args.events, _common.file_format(args.events, None, "events") if args.events else None,
            args.as_of)

    def _events_for(self, chunk):
        if self.events is None or "customer_id" not in chunk.column_names:
            return self.events
        import numpy as np

        ids = np.asarray(chunk.column("customer_id"), dtype=object)
        return self.events[self.events["customer_id"].isin(ids)]

    def __call__(self, chunk):
        out = self.core.score(chunk, self._events_for(chunk), self.as_of,
                              n_reasons=self.n_reasons, validate=self.validate)
        if self.buckets is None:
            return out
        import numpy as np

        df = out.to_pandas()
        p = df["probability"].to_numpy()
        bucket = self.buckets.predict(p)
        df["bucket"] = bucket
        if self.rules is not None:
            if self.value_column not in chunk.column_names:
                raise CliError(f"--value-column '{self.value_column}' is not a column of the "
                               "input")
            revenue = np.asarray(chunk.column(self.value_column), dtype=np.float64)
            value = np.nan_to_num(revenue, nan=0.0) * self.value_periods
            act = self.rules.apply(chunk, p, value, score=p, bucket=np.asarray(bucket, dtype=object),
                                   budget=float("inf"))
            for name in ("rule", "action", "channel", "cost", "expected_net_value"):
                df[name] = act[name].to_numpy()
        if "bucket" not in self.groups:
            df = df.drop(columns=["bucket"])
        return df


def run(args):
    _common.require(args, "data", "model", "out")
    if args.chunk_rows < 1:
        raise CliError(f"--chunk-rows must be >= 1, got {args.chunk_rows}")
    groups = parse_columns(args.columns)
    in_fmt = _common.file_format(args.data, args.input_format, "input")
    out_fmt = _common.file_format(args.out, args.output_format, "output")
    _common.check_readable(args.data)
    model = _model.load_model(args.model)
    _common.log.debug("model %s: %r", args.model, model)
    scorer = Scorer(model, args, groups)
    progress = _common.Progress(args, f"scoring {args.data}")
    start = time.perf_counter()
    n_rows = 0
    with _common.AtomicOutput(args.out) as f:
        writer = _common.TableWriter(f, out_fmt)
        try:
            for chunk in _common.iter_chunks(args.data, in_fmt, args.chunk_rows,
                                             schema=model.contract_):
                writer.write(scorer(chunk))
                n_rows += chunk.num_rows
                progress.update(n_rows)
                _common.log.debug("chunk %d: %d rows", writer.n_chunks, chunk.num_rows)
                _common.fail_hook(writer.n_chunks)
            writer.close()
        except BaseException:
            writer.abort()
            raise
        finally:
            progress.close()
    seconds = time.perf_counter() - start
    _common.log.info("scored %d rows in %.2f s (%.0f rows/s) -> %s", n_rows, seconds,
                     n_rows / max(seconds, 1e-9), args.out,
                     extra={"fields": {"rows": n_rows, "seconds": round(seconds, 3),
                                       "output": args.out}})
    return EXIT_OK
