"""What every ``churn`` subcommand shares: errors and exit codes, logging, the config file,
tabular input in chunks (CSV, Parquet, stdin) and atomic output files."""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import sys
import tempfile
import time

#: Exit codes of every subcommand.
EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2

log = logging.getLogger("churnlib.cli")


class CliError(Exception):
    """A problem with the command line, a file or the data: one line on stderr, exit 2."""


# ---- argparse --------------------------------------------------------------------------------

class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Keeps the description and epilog as written (man-page style) and shows defaults."""

    def _get_help_string(self, action):
        text = action.help or ""
        if ("%(default)" not in text and action.default not in (None, False, argparse.SUPPRESS)
                and action.option_strings and not isinstance(action.default, list)):
            text += " (default: %(default)s)"
        return text


class ArgumentParser(argparse.ArgumentParser):
    """argparse whose usage errors exit 2 with one line (plus the usage) and no traceback."""

    def error(self, message):
        self.print_usage(sys.stderr)
        self.exit(EXIT_ERROR, f"{self.prog}: error: {message}\n")


def csv_list(text):
    """``"a,b, c"`` (or a list from the config file) -> ``["a", "b", "c"]``."""
    if isinstance(text, (list, tuple)):
        return [str(t).strip() for t in text if str(t).strip()]
    return [t.strip() for t in str(text).split(",") if t.strip()]


def require(args, *names):
    """Raises CliError for options neither the command line nor the config file gave."""
    for name in names:
        if getattr(args, name, None) in (None, "", []):
            flag = "DATA" if name == "data" else "--" + name.replace("_", "-")
            raise CliError(f"{flag} is required (on the command line or in the "
                           f"[{args.command}] section of the config file)")


# ---- the config file -------------------------------------------------------------------------

def load_toml(path):
    """The dict of a TOML file (tomllib on Python 3.11+, else the tomli package)."""
    try:
        import tomllib
    except ImportError:  # Python < 3.11
        try:
            import tomli as tomllib
        except ImportError:
            raise CliError("--config needs Python 3.11+ or the 'tomli' package "
                           "(pip install tomli)") from None
    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except OSError as e:
        raise CliError(f"cannot read config file '{path}': {e.strerror or e}") from None
    except tomllib.TOMLDecodeError as e:
        raise CliError(f"config file '{path}' is not valid TOML: {e}") from None


def config_defaults(doc, command, parser, path):
    """The defaults a config file gives ``command``: top-level keys (shared options such as
    ``verbose``) overridden by the ``[command]`` table. Keys may use - or _; an unknown key is
    an error naming it."""
    known = {a.dest: a for a in parser._actions if a.dest not in ("help", argparse.SUPPRESS)}
    out = {}
    sections = [("", {k: v for k, v in doc.items() if not isinstance(v, dict)})]
    section = doc.get(command, {})
    if not isinstance(section, dict):
        raise CliError(f"config file '{path}': '{command}' must be a table ([{command}])")
    sections.append((command, section))
    for name, values in sections:
        for key, value in values.items():
            dest = key.replace("-", "_")
            if dest in ("config", "command") or dest not in known:
                where = f"[{name}]" if name else "the top level"
                raise CliError(f"config file '{path}': unknown option '{key}' in {where} "
                               f"(see churn {command} --help)")
            action = known[dest]
            if action.type is not None and not isinstance(value, (list, dict, bool)):
                try:
                    value = action.type(value) if isinstance(value, str) else value
                except (TypeError, ValueError) as e:
                    raise CliError(f"config file '{path}': option '{key}': {e}") from None
            if action.choices is not None and value not in action.choices:
                raise CliError(f"config file '{path}': option '{key}' must be one of "
                               f"{', '.join(map(str, action.choices))}, got {value!r}")
            out[dest] = value
    return out


# ---- logging and progress --------------------------------------------------------------------

class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, and any
    ``extra={"fields": {...}}`` given to the call."""

    def format(self, record):
        doc = {"time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
               + f".{int(record.msecs):03d}Z",
               "level": record.levelname.lower(), "logger": record.name,
               "message": record.getMessage()}
        doc.update(getattr(record, "fields", {}) or {})
        if record.exc_info:
            doc["traceback"] = self.formatException(record.exc_info)
        return json.dumps(doc, default=str)


def setup_logging(args):
    """Logs to stderr: warnings only with --quiet, debug with --verbose; text or JSON lines."""
    level = logging.WARNING if args.quiet else logging.DEBUG if args.verbose else logging.INFO
    handler = logging.StreamHandler(sys.stderr)
    if args.log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter(f"churn {args.command}: %(message)s"))
    log.handlers[:] = [handler]
    log.setLevel(level)
    log.propagate = False


class Progress:
    """A one-line progress counter on stderr, only when stderr is a terminal (and not --quiet,
    not JSON logs); a no-op otherwise, so cron and CI logs stay clean."""

    def __init__(self, args, what):
        self.on = (sys.stderr.isatty() and not args.quiet and args.log_format != "json")
        self.what = what
        self.start = time.perf_counter()

    def update(self, n):
        if self.on:
            rate = n / max(time.perf_counter() - self.start, 1e-9)
            sys.stderr.write(f"\r{self.what}: {n:,} rows ({rate:,.0f} rows/s)")
            sys.stderr.flush()

    def close(self):
        if self.on:
            sys.stderr.write("\n")
            sys.stderr.flush()


# ---- input -------------------------------------------------------------------------------------

FORMATS = ("csv", "parquet")


def file_format(path, given, what):
    """``csv`` or ``parquet``: ``given`` when set, else by the extension (``-`` is CSV)."""
    if given:
        return given
    if path == "-":
        return "csv"
    lower = path.lower()
    if lower.endswith((".parquet", ".pq")):
        return "parquet"
    if lower.endswith((".csv", ".txt", ".csv.gz")) or "." not in os.path.basename(lower):
        if lower.endswith(".gz"):
            raise CliError(f"{what} '{path}': compressed CSV is not supported; "
                           "decompress it first (zcat FILE | churn ... -)")
        return "csv"
    raise CliError(f"{what} '{path}': cannot tell the format from the extension; "
                   "use .csv or .parquet, or give --input-format/--output-format")


def check_readable(path, what="input"):
    if path != "-" and not os.path.isfile(path):
        reason = "is a directory" if os.path.isdir(path) else "does not exist"
        raise CliError(f"{what} '{path}' {reason}")


def estimate_chunk_bytes(path, chunk_rows):
    """Bytes of CSV text holding about ``chunk_rows`` rows, from the mean row length of the
    file's first MiB (256 bytes a row for standard input, which cannot be peeked at)."""
    per_row = 256.0
    if path != "-":
        with open(path, "rb") as f:
            head = f.read(1 << 20)
        lines = head.count(b"\n")
        if lines > 1:
            per_row = len(head) / lines
    return max(int(per_row * chunk_rows), 1 << 12)


def dtypes_of(schema, header):
    """The CSV dtypes a contract fixes for the columns present in ``header``."""
    names = set(header)
    return {c.name: c.dtype for c in schema.columns if c.name in names}


@contextlib.contextmanager
def _spooled_stdin(suffix):
    """Standard input copied to a temporary file (formats that need to seek, like Parquet)."""
    fd, tmp = tempfile.mkstemp(suffix=suffix, prefix="churn-stdin-")
    try:
        with os.fdopen(fd, "wb") as f:
            while True:
                block = sys.stdin.buffer.read(1 << 20)
                if not block:
                    break
                f.write(block)
        yield tmp
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)


def iter_chunks(path, fmt, chunk_rows, schema=None, columns=None):
    """Yields churnlib Tables of about ``chunk_rows`` rows each from a CSV or Parquet file (or
    ``-``), so that only one chunk is in memory at a time.

    CSV goes through churnlib's chunked C++ reader (``cl.read_csv_chunks``), with the column
    types of ``schema`` (a data contract) so that every chunk has the contract's types;
    Parquet through ``pyarrow.parquet.ParquetFile.iter_batches``.
    """
    import churnlib as cl

    check_readable(path)
    if fmt == "csv":
        # churnlib's readers take regular files only: standard input is copied to a temporary
        # file first (on disk, so memory stays bounded by the chunk)
        with contextlib.ExitStack() as stack:
            src = stack.enter_context(_spooled_stdin(".csv")) if path == "-" else path
            chunk_bytes = estimate_chunk_bytes(src, chunk_rows)
            header = cl.read_csv_chunks(src, 1 << 16).column_names
            dtypes = None
            if schema is not None:
                dtypes = dtypes_of(schema, header)
            if columns is not None:
                missing = [c for c in columns if c not in header]
                if missing:
                    raise CliError(f"input '{path}' lacks the column(s) {', '.join(missing)}")
            yield from cl.read_csv_chunks(src, chunk_bytes, dtypes=dtypes, usecols=columns)
        return
    from .._frames import _apply_schema_types, require_pyarrow

    pa = require_pyarrow("Parquet input")
    import pyarrow.parquet as pq

    with contextlib.ExitStack() as stack:
        real = stack.enter_context(_spooled_stdin(".parquet")) if path == "-" else path
        try:
            pf = pq.ParquetFile(real)
        except (OSError, pa.ArrowException) as e:
            raise CliError(f"cannot read Parquet file '{path}': {e}") from None
        if columns is not None:
            missing = [c for c in columns if c not in pf.schema_arrow.names]
            if missing:
                raise CliError(f"input '{path}' lacks the column(s) {', '.join(missing)}")
        for batch in pf.iter_batches(batch_size=chunk_rows, columns=columns):
            tbl = pa.Table.from_batches([batch])
            if schema is not None:
                tbl = _apply_schema_types(pa, tbl, schema)
            yield cl.Table.from_arrow(tbl)


def read_table(path, fmt, columns=None):
    """The whole file as a churnlib Table (commands that need all rows at once)."""
    import churnlib as cl

    check_readable(path)
    with contextlib.ExitStack() as stack:
        if fmt == "csv":
            src = stack.enter_context(_spooled_stdin(".csv")) if path == "-" else path
            return cl.read_csv(src, usecols=columns)
        real = stack.enter_context(_spooled_stdin(".parquet")) if path == "-" else path
        return cl.read_parquet(real, columns=columns)


# ---- atomic output -------------------------------------------------------------------------------

_FAIL_ENV = "CHURN_CLI_FAIL_AFTER_CHUNKS"


def fail_hook(n_chunks_written):
    """Testing hook: with ``CHURN_CLI_FAIL_AFTER_CHUNKS=N`` in the environment, a chunked write
    fails after N chunks (to check that a failed run leaves no partial output)."""
    limit = os.environ.get(_FAIL_ENV)
    if limit is not None and n_chunks_written >= int(limit):
        raise CliError(f"forced failure after {n_chunks_written} chunk(s) ({_FAIL_ENV})")


class AtomicOutput:
    """An output file written atomically through churnlib's one writer
    (``churnlib._atomic.AtomicWriter``: an unnamed temporary file, flushed to disk and renamed
    over the target only when everything was written; an existing target keeps its
    permissions, a symbolic link is followed, a FIFO or device is refused): a failed or
    interrupted run leaves no partial file and an existing target untouched. ``-`` writes to
    standard output directly (no atomicity is possible there)."""

    def __init__(self, path):
        self.path = path
        self.file = None
        self._writer = None

    def __enter__(self):
        if self.path == "-":
            self.file = sys.stdout.buffer
            return self.file
        folder = os.path.dirname(os.path.abspath(self.path))
        if not os.path.isdir(folder):
            raise CliError(f"output folder '{folder}' does not exist")
        from .._atomic import AtomicWriter

        self._writer = AtomicWriter(self.path, "churn")
        self.file = self._writer.__enter__()
        return self.file

    def __exit__(self, exc_type, exc, tb):
        if self.path == "-":
            self.file.flush()
            return False
        return self._writer.__exit__(exc_type, exc, tb)


def write_text(path, text):
    """Writes text atomically (``-``: standard output)."""
    with AtomicOutput(path) as f:
        f.write(text.encode("utf-8"))


class TableWriter:
    """Writes frames chunk by chunk into an open binary file as CSV or Parquet (the same
    columns and types in every chunk)."""

    def __init__(self, f, fmt):
        self.f, self.fmt = f, fmt
        self.n_chunks = 0
        self._pq = None
        self._schema = None
        self._spool = None

    def write(self, frame):
        import churnlib as cl

        if self.fmt == "csv":
            self.f.write(cl.to_csv_string(frame, header=self.n_chunks == 0).encode("utf-8"))
        else:
            import pyarrow as pa
            import pyarrow.parquet as pq

            if hasattr(frame, "to_arrow"):
                tbl = frame.to_arrow()
            else:
                tbl = pa.Table.from_pandas(frame, preserve_index=False)
            if self._pq is None:
                self._schema = tbl.schema.remove_metadata()
                target = self.f
                if self.f is sys.stdout.buffer:  # Parquet needs a seekable file: spool it
                    self._spool = tempfile.TemporaryFile()
                    target = self._spool
                self._pq = pq.ParquetWriter(target, self._schema)
            self._pq.write_table(tbl.cast(self._schema))
        self.n_chunks += 1

    def abort(self):
        """Drops the Parquet writer of a failed run (the file itself is the caller's)."""
        if self._pq is not None:
            with contextlib.suppress(Exception):
                self._pq.close()
            self._pq = None
        if self._spool is not None:
            self._spool.close()
            self._spool = None

    def close(self):
        if self._pq is not None:
            self._pq.close()
            if self._spool is not None:
                self._spool.seek(0)
                while block := self._spool.read(1 << 20):
                    self.f.write(block)
                self._spool.close()
