"""The ``churn`` command line: churn analytics as scheduled jobs (ETL, cron, Airflow).

Subcommands (one module each): ``validate`` (a file against a data contract), ``train`` (the
model bundle workflow), ``score`` (chunked batch scoring in bounded memory), ``drift`` (a
drift report, exit code by severity), ``segment`` (K-means segments and profiles) and
``alerts`` (risk and drift alerts into a JSON-lines log) and ``report`` (the monthly HTML
report and its KPI JSON). ``churn SUBCOMMAND --help`` describes
each. Installed as the ``churn`` console script; ``python -m churnlib`` runs the same.

Exit codes: 0 success, 1 findings (violations, drift, alerts at the ``--fail-on`` level),
2 usage, input or I/O errors (one line on stderr; the traceback with ``--verbose``),
130 interrupted.

Examples
--------
>>> from churnlib.cli import main
>>> main(["validate", "customers.csv", "--schema", "contract.json"])  # doctest: +SKIP
0
"""

from __future__ import annotations

import argparse
import logging
import sys
import traceback

from . import _common
from ._common import EXIT_ERROR, EXIT_OK, ArgumentParser, CliError, HelpFormatter

__all__ = ["main", "build_parser"]

_COMMANDS = ("validate", "train", "score", "drift", "segment", "alerts", "report")

_DESCRIPTION = """\
churn: customer-churn analytics from the command line (churnlib).

Each subcommand reads CSV or Parquet (by extension; "-" is standard input), writes its
outputs atomically (a failed run leaves an existing file untouched), logs to stderr and
exits 0 (success), 1 (findings: violations, drift, alerts) or 2 (usage or I/O error).
Options can also come from a TOML file (--config): top-level keys for every subcommand,
a [SUBCOMMAND] table for one; the command line overrides the file.
"""

_EPILOG = """\
examples:
  churn validate customers.csv --schema contract.json
  churn train customers.csv --target churned --out model.json
  churn score customers.csv --model model.json --out scores.parquet
  churn drift customers.csv --model model.json --fail-on moderate --html drift.html
  churn report november.csv --model model.json --revenue monthly_charges --out report.html
  churn score --config jobs/monthly.toml        # options from the [score] table

Run 'churn SUBCOMMAND --help' for the manual of each subcommand.
"""


def _common_parser():
    p = argparse.ArgumentParser(add_help=False)
    g = p.add_argument_group("common options")
    g.add_argument("--config", metavar="FILE.toml",
                   help="read options from a TOML file: top-level keys, then the table named "
                        "after the subcommand; command-line options override it")
    g.add_argument("-q", "--quiet", action="store_true", help="log warnings and errors only")
    g.add_argument("-v", "--verbose", action="store_true",
                   help="log debug details, and show tracebacks of errors")
    g.add_argument("--log-format", choices=("text", "json"), default="text",
                   help="'json': one JSON object per line on stderr (for log shippers)")
    return p


def build_parser():
    """The argparse parser of ``churn`` and a dict subcommand -> (its parser, its module)."""
    import importlib

    parser = ArgumentParser(prog="churn", description=_DESCRIPTION, epilog=_EPILOG,
                            formatter_class=HelpFormatter)
    parser.add_argument("--version", action="version", version=_version())
    sub = parser.add_subparsers(dest="command", metavar="SUBCOMMAND", parser_class=ArgumentParser)
    parents = [_common_parser()]
    commands = {}
    for name in _COMMANDS:
        try:
            module = importlib.import_module(f".{name}", __name__)
        except ImportError:
            continue
        commands[module.NAME] = (module.register(sub, parents), module)
    return parser, commands


def _version():
    try:
        from .. import __version__
        return f"churn (churnlib) {__version__}"
    except ImportError:  # pragma: no cover
        return "churn (churnlib)"


def main(argv=None):
    """Runs ``churn`` with ``argv`` (default ``sys.argv[1:]``); returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser, commands = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_ERROR
    sub, module = commands[args.command]
    verbose = args.verbose
    try:
        _common.setup_logging(args)
        if args.config:
            doc = _common.load_toml(args.config)
            sub.set_defaults(**_common.config_defaults(doc, args.command, sub, args.config))
            args = parser.parse_args(argv)
        _common.setup_logging(args)
        verbose = args.verbose
        return int(module.run(args) or EXIT_OK)
    except KeyboardInterrupt:
        _report("interrupted", verbose, args)
        return 130
    except BrokenPipeError:  # the reader of stdout went away (churn score ... - | head)
        _silence_stdout()
        return EXIT_ERROR
    except CliError as e:
        _report(str(e), verbose, args)
        return EXIT_ERROR
    except MemoryError:
        _report("out of memory (try a smaller --chunk-rows)", verbose, args)
        return EXIT_ERROR
    except Exception as e:  # churnlib errors, OSError, pyarrow errors ...: one line, exit 2
        _report(_one_line(e), verbose, args)
        return EXIT_ERROR


def _one_line(e):
    """The message of ``e`` on one line: a multi-line message (a list of violations) keeps its
    first lines, joined, and says how many more there are."""
    text = str(e).strip() or type(e).__name__
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    head = lines[0]
    shown = 1
    while shown < len(lines) and shown < 4 and (head.endswith(":") or shown < 2):
        head += " " + lines[shown] if head.endswith(":") else "; " + lines[shown]
        shown += 1
    if shown < len(lines):
        head += f" (+{len(lines) - shown} more; --verbose shows all)"
    import churnlib as cl

    if isinstance(e, (cl.Error, OSError, ValueError, TypeError, KeyError)):
        return head
    return f"{type(e).__name__}: {head}"


def _report(message, verbose, args):
    log = _common.log
    if not log.handlers:  # an error before logging was set up
        logging.basicConfig(format=f"churn {getattr(args, 'command', '')}: %(message)s")
    if verbose:
        log.error("error: %s\n%s", message, traceback.format_exc().rstrip())
    else:
        log.error("error: %s", message)


def _silence_stdout():
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except OSError:
        pass


def console_main():
    """The ``churn`` console script."""
    sys.exit(main())
