"""``churn train``: the model bundle workflow (cl.train_churn_model) from a file."""

from __future__ import annotations

import sys

from . import _common, _model
from ._common import EXIT_OK, CliError, HelpFormatter

NAME = "train"

_DESCRIPTION = """\
Trains a churn model bundle with churnlib.train_churn_model: a stratified (or time) hold-out,
cross-validation of each candidate with its feature pipeline refitted inside every fold, the
best refitted, calibrated and given a threshold, evaluated on the hold-out, and packed with
its data contract and drift baselines into one JSON file (--out) that `churn score` and
`churn drift` read. With --registry the bundle is also registered as the next version of
--name in a model registry folder (created when missing), optionally with a --stage.

The comparison table (one row per candidate: CV metric mean and spread, fit seconds,
chosen) and the hold-out metrics are printed on stdout. The training file is read whole.

Exit status: 0 trained, 2 usage, data or I/O error.
"""

_EPILOG = """\
examples:
  churn train customers.csv --target churned --out model.json
  churn train customers.parquet --target churned --candidates logistic gbdt --cv 3 \\
        --out model.json --registry models --name churn --stage production
  churn train customers.csv --target churned --events events.csv --as-of 2024-06-01 \\
        --out model.json --tag owner=retention
"""


def register(sub, parents):
    p = sub.add_parser(NAME, parents=parents, help="train a churn model bundle",
                       description=_DESCRIPTION, epilog=_EPILOG, formatter_class=HelpFormatter)
    p.add_argument("data", nargs="?", metavar="DATA", help="training CSV or Parquet file")
    p.add_argument("--target", metavar="T", help="the target column (required)")
    p.add_argument("--out", metavar="MODEL", help="bundle file to write (required unless "
                   "--registry)")
    p.add_argument("--registry", metavar="DIR", help="model registry folder to register into")
    p.add_argument("--name", metavar="N", default="churn", help="model name in the registry")
    p.add_argument("--stage", metavar="STAGE", help="stage of the new version (e.g. production)")
    p.add_argument("--candidates", nargs="+", metavar="C",
                   default=["logistic", "random_forest", "gbdt"],
                   help="candidates among logistic, random_forest, gbdt "
                        "(default: all three)")
    p.add_argument("--events", metavar="E", help="event log joined point-in-time")
    p.add_argument("--as-of", metavar="DATE", help="snapshot date of --events")
    p.add_argument("--cv", type=int, default=5, help="cross-validation folds")
    p.add_argument("--split", choices=("stratified", "time"), default="stratified")
    p.add_argument("--metric", choices=("roc_auc", "average_precision", "log_loss", "profit"),
                   default="roc_auc", help="what chooses the candidate")
    p.add_argument("--threshold", choices=("f1", "profit"), default="f1",
                   help="how the decision threshold is chosen")
    p.add_argument("--calibration", choices=("auto", "isotonic", "sigmoid", "none"),
                   default="auto")
    p.add_argument("--time-budget", type=float, metavar="SECONDS",
                   help="seconds for a search of the GBDT's parameters")
    p.add_argument("--test-size", type=float, default=0.2, help="hold-out share")
    p.add_argument("--id-column", metavar="COL", help="id column (inferred when absent)")
    p.add_argument("--time-column", metavar="COL", help="time column (with --split time)")
    p.add_argument("--pos-label", metavar="LABEL", help="the target label that means churn")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--n-jobs", type=int, metavar="N", help="threads (default: all cores)")
    p.add_argument("--tag", action="append", default=[], metavar="KEY=VALUE",
                   help="a tag stored in the bundle (repeatable)")
    p.add_argument("--input-format", choices=_common.FORMATS, help="format of DATA")
    return p


def _tags(items):
    tags = {}
    for item in items if isinstance(items, list) else [items]:
        key, sep, value = str(item).partition("=")
        if not sep or not key:
            raise CliError(f"--tag must be KEY=VALUE, got {item!r}")
        tags[key] = value
    return tags


def run(args):
    import churnlib as cl

    _common.require(args, "data", "target")
    if not args.out and not args.registry:
        raise CliError("give --out MODEL, --registry DIR, or both")
    if args.stage and not args.registry:
        raise CliError("--stage needs --registry")
    fmt = _common.file_format(args.data, args.input_format, "input")
    tags = _tags(args.tag)
    table = _common.read_table(args.data, fmt)
    if args.target not in table.column_names:
        raise CliError(f"--target '{args.target}' is not a column of '{args.data}' (columns: "
                       f"{', '.join(table.column_names[:20])}"
                       f"{', ...' if table.num_columns > 20 else ''})")
    events, as_of = _model.load_events(
        args.events, _common.file_format(args.events, None, "events") if args.events else None,
        args.as_of)
    candidates = _common.csv_list(args.candidates)
    _common.log.info("training on %d rows: %s", table.num_rows, ", ".join(candidates))
    model = cl.train_churn_model(
        table.to_pandas(), args.target, events=events, as_of=as_of, candidates=candidates,
        split=args.split, cv=args.cv, metric=args.metric, threshold=args.threshold,
        calibration=None if args.calibration == "none" else args.calibration,
        time_budget=args.time_budget, seed=args.seed, pos_label=args.pos_label,
        id_column=args.id_column, time_column=args.time_column, test_size=args.test_size,
        tags=tags or None, n_jobs=args.n_jobs, verbose=0,
        callback=_log_step if args.verbose else None)
    out = sys.stdout
    out.write(model.comparison_.to_string(index=False) + "\n")
    holdout = model.report_.get("holdout", {})
    shown = {k: v for k, v in holdout.items() if isinstance(v, (int, float))}
    if shown:
        out.write("hold-out: " + ", ".join(f"{k} {v:.4g}" for k, v in shown.items()) + "\n")
    out.flush()
    if args.out:
        if args.out == "-":
            _common.write_text("-", model.to_json() + "\n")
        else:
            model.save(args.out)
            _common.log.info("model written to %s (%r)", args.out, model,
                             extra={"fields": {"output": args.out}})
    if args.registry:
        import os

        os.makedirs(args.registry, exist_ok=True)
        registry = cl.ModelRegistry(args.registry)
        version = registry.register(model, args.name, tags=tags or None)
        if args.stage:
            registry.set_stage(args.name, version, args.stage)
        _common.log.info("registered %s version %s in %s%s", args.name, version, args.registry,
                         f" ({args.stage})" if args.stage else "",
                         extra={"fields": {"registry": args.registry, "name": args.name,
                                           "version": version}})
    return EXIT_OK


def _log_step(env):
    _common.log.debug("%s", env.get("message", ""))
    return False
