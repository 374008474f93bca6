"""``churn validate``: a CSV or Parquet file against a data contract, every violation listed."""

from __future__ import annotations

import json
import re
import sys

from . import _common
from ._common import EXIT_FINDINGS, EXIT_OK, CliError, HelpFormatter

NAME = "validate"

_DESCRIPTION = """\
Checks a CSV or Parquet file against a data contract and lists every violation: missing or
unknown columns, wrong types, missing values in non-nullable columns, values below the
minimum or above the maximum, values outside the allowed list, repeated values in unique
columns, an empty file.

The contract (--schema) is a Schema JSON file (churnlib.Schema.save) or a model bundle
(churn train --out), whose contract is used. The file is read in chunks (--chunk-rows), so
it may be larger than memory; uniqueness is checked across chunks (the values of unique
columns are kept in memory). Text in a numeric column is reported per row (rule "type").

Output: one violation per line on stdout as "row N, column 'C': reason" (rows are 0-based
data rows), or with --format csv/json the columns row, column, rule, value, reason. A summary
goes to stderr.

Exit status: 0 the file keeps the contract, 1 it has violations, 2 usage or I/O error.
"""

_EPILOG = """\
examples:
  churn validate customers.csv --schema contract.json
  churn validate extract.parquet --schema model.json --format csv > violations.csv
  cat customers.csv | churn validate - --schema contract.json --max-violations 20
"""


def register(sub, parents):
    p = sub.add_parser(NAME, parents=parents, help="check a file against a data contract",
                       description=_DESCRIPTION, epilog=_EPILOG, formatter_class=HelpFormatter)
    p.add_argument("data", nargs="?", metavar="DATA", help="CSV or Parquet file ('-': stdin)")
    p.add_argument("--schema", metavar="S",
                   help="the contract: a Schema JSON file or a model bundle (required)")
    p.add_argument("--format", choices=("text", "csv", "json"), default="text",
                   help="how violations are printed on stdout")
    p.add_argument("--max-violations", type=int, default=0, metavar="N",
                   help="print at most N violations (0: all); the count is always complete")
    p.add_argument("--chunk-rows", type=int, default=100_000, metavar="N",
                   help="rows read at a time")
    p.add_argument("--input-format", choices=_common.FORMATS,
                   help="format of DATA when its extension does not tell")
    return p


def load_contract(path):
    """A Schema from a Schema JSON file or from a model bundle's contract."""
    import churnlib as cl
    from churnlib._validation import parse_json

    _common.check_readable(path, "schema")
    try:
        with open(path, "rb") as f:
            doc = parse_json(f.read(), f"schema '{path}'", expect=None)  # BOM ok, as C++
    except OSError as e:
        raise CliError(f"cannot read schema '{path}': {e}") from None
    except cl.SerializationError as e:
        raise CliError(f"cannot read schema: {e}") from None
    kind = doc.get("kind") if isinstance(doc, dict) else None
    if kind == "Schema":
        return cl.Schema.load(path)
    if kind == "ChurnModel":
        return cl.ChurnModel.load(path).contract_
    raise CliError(f"schema '{path}' is neither a Schema nor a ChurnModel JSON file "
                   f"(kind {kind!r})")


_PREFIX = re.compile(r"^row \d+(?: \(line \d+\))?, column '.*?': ")


def _reason(v):
    return _PREFIX.sub("", v.message, count=1)


def _typed_numbers(chunk, numeric, offset):
    """The chunk with its numeric contract columns (read as text) parsed, and a "type"
    violation for each value that is not a number."""
    import numpy as np
    import pandas as pd
    import churnlib as cl

    df = chunk.to_pandas()
    found = []
    for name, dtype in numeric.items():
        if name not in df.columns:
            continue
        text = df[name]
        values = pd.to_numeric(text, errors="coerce")
        bad = np.flatnonzero(values.isna().to_numpy() & text.notna().to_numpy())
        for i in bad:
            found.append({"row": offset + int(i), "column": name, "rule": "type",
                          "value": str(text.iloc[i]),
                          "reason": f"value {str(text.iloc[i])!r} is not a number ({dtype})"})
        if dtype == "int64":
            values = values.astype("Int64") if values.isna().any() else values.astype("int64")
        else:
            values = values.astype("float64")
        df[name] = values
    return cl.Table.from_pandas(df), found


def iter_violations(path, fmt, schema, chunk_rows):
    """Yields every violation as a dict (row, column, rule, value, reason) and returns the row
    count (through StopIteration.value)."""
    numeric = {c.name: c.dtype for c in schema.columns if c.dtype in ("float64", "int64")}
    seen_unique = {c.name: set() for c in schema.columns if c.unique}
    n_rows = 0
    first = True
    text_schema = None
    if fmt == "csv":  # numbers read as text, so that a bad value is one violation, not a stop
        import churnlib as cl

        specs = [cl.ColumnSpec(c.name, "string" if c.name in numeric else c.dtype)
                 for c in schema.columns]
        text_schema = cl.Schema(specs)
    for chunk in _common.iter_chunks(path, fmt, chunk_rows, schema=text_schema or schema):
        found = []
        if text_schema is not None:
            chunk, found = _typed_numbers(chunk, numeric, n_rows)
        yield from sorted(_chunk_violations(schema, chunk, found, n_rows, first),
                          key=lambda v: -1 if v["row"] is None else v["row"])
        for name, seen in seen_unique.items():
            if name in chunk.column_names:
                yield from _repeats(chunk.column(name), name, seen, n_rows)
        n_rows += chunk.num_rows
        first = False
    if n_rows == 0:
        yield {"row": None, "column": "", "rule": "empty", "value": "",
               "reason": "the table has no rows"}


def _chunk_violations(schema, chunk, found, n_rows, first):
    """The violations of one chunk (rows counted from the file's first data row)."""
    if True:
        report = schema.validate(chunk)
        not_numbers = {(f["row"] - n_rows, f["column"]) for f in found}
        for v in report.violations:
            if v.rule == "not_null" and (v.row, v.column) in not_numbers:
                continue  # the text that is not a number: reported as "type" below
            if v.rule == "empty":
                continue
            if v.row < 0:  # column-level: once, from the first chunk
                if first:
                    yield {"row": None, "column": v.column, "rule": v.rule, "value": v.value,
                           "reason": v.message}
                continue
            if v.rule == "unique":
                continue  # checked below, across chunks
            yield {"row": n_rows + v.row, "column": v.column, "rule": v.rule, "value": v.value,
                   "reason": _reason(v)}
        yield from found


def _repeats(values, name, seen, offset):
    import numpy as np
    import pandas as pd

    s = pd.Series(np.asarray(values, dtype=object) if not hasattr(values, "to_numpy")
                  else values)
    for i, v in enumerate(s.tolist()):
        if v is None or (isinstance(v, float) and v != v):
            continue
        key = 0.0 if v == 0 and isinstance(v, float) else v
        if key in seen:
            yield {"row": offset + i, "column": name, "rule": "unique", "value": str(v),
                   "reason": f"value {v!r} repeats an earlier row"}
        else:
            seen.add(key)


def _line(v):
    where = f"row {v['row']}, " if v["row"] is not None else ""
    return f"{where}column '{v['column']}': {v['reason']}" if v["row"] is not None else v["reason"]


def run(args):
    _common.require(args, "data", "schema")
    if args.chunk_rows < 1:
        raise CliError(f"--chunk-rows must be >= 1, got {args.chunk_rows}")
    fmt = _common.file_format(args.data, args.input_format, "input")
    schema = load_contract(args.schema)
    out = sys.stdout
    count = 0
    writer = None
    if args.format == "csv":
        import csv

        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["row", "column", "rule", "value", "reason"])
    for v in iter_violations(args.data, fmt, schema, args.chunk_rows):
        count += 1
        if args.max_violations and count > args.max_violations:
            continue
        if args.format == "text":
            out.write(_line(v) + "\n")
        elif args.format == "csv":
            writer.writerow(["" if v["row"] is None else v["row"], v["column"], v["rule"],
                             v["value"], v["reason"]])
        else:
            out.write(json.dumps(v) + "\n")
    out.flush()
    if count:
        shown = f" (first {args.max_violations} shown)" if args.max_violations and count > args.max_violations else ""
        _common.log.warning("%s: %d violation%s of the contract%s", args.data, count,
                            "" if count == 1 else "s", shown,
                            extra={"fields": {"violations": count}})
        return EXIT_FINDINGS
    _common.log.info("%s keeps the contract", args.data, extra={"fields": {"violations": 0}})
    return EXIT_OK
