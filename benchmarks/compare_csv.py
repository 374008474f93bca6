#!/usr/bin/env python3
"""Side-by-side CSV read benchmark: churnlib against pandas and pyarrow on the same file.

A seeded customer table (churnlib's ``make_customers``) is written once as CSV, then read
``--repeat`` times by each reader after one untimed warm-up read (so every reader finds the file
in the page cache). The script prints, per reader, the median wall-clock seconds, rows/s, MB/s
and the ratio of its median time to churnlib's (``2.0x`` = twice as slow as churnlib).

Readers:

* ``churnlib``: ``churnlib.read_csv`` (a churnlib Table), with ``--threads`` threads;
* ``churnlib + to_pandas``: the same, converted to a pandas DataFrame (when available);
* ``pandas (c)``: ``pandas.read_csv`` with its default C engine (single-threaded);
* ``pandas (c), same types``: the same, asked for the types churnlib infers (``parse_dates`` for
  its timestamp columns, ``dtype="category"`` for its categorical ones), so both build the same
  output;
* ``pandas (pyarrow)``: ``pandas.read_csv(engine="pyarrow")`` (multi-threaded);
* ``pyarrow.csv``: ``pyarrow.csv.read_csv`` with ``use_threads=True`` (a pyarrow Table).

All readers but ``pandas (c), same types`` infer the column types with their default options. churnlib is used through its Python module when
``import churnlib`` works (``pip install .``); otherwise through the ``churn_csv_tool`` program
of a C++ build with ``-DCHURN_BUILD_BENCHMARKS=ON`` (found under ``build*/benchmarks/`` or given
with ``--churn-tool``), which then times its reads itself.

The figures are for information only: nothing here asserts a timing.

Example::

    python benchmarks/compare_csv.py --rows 1000000 --repeat 5 --threads 0
"""

from __future__ import annotations

import argparse
import glob
import importlib
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from typing import Callable, List, Optional

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rows", type=int, default=1_000_000, help="customers (rows) in the file")
    p.add_argument("--repeat", type=int, default=5, help="timed reads per reader")
    p.add_argument("--threads", type=int, default=0,
                   help="threads for churnlib and pyarrow (0 = all cores)")
    p.add_argument("--seed", type=int, default=42, help="seed of make_customers")
    p.add_argument("--file", default=None,
                   help="CSV path (default: a temporary file, removed at the end); an existing "
                        "file is regenerated unless --reuse is given")
    p.add_argument("--reuse", action="store_true", help="read --file as it is, if it exists")
    p.add_argument("--churn-tool", default=None,
                   help="path of churn_csv_tool, used when the churnlib module is not importable")
    p.add_argument("--only", default=None,
                   help="comma-separated reader names to run (e.g. churnlib,pyarrow.csv)")
    p.add_argument("--json", default=None, help="also write the results as JSON to this path")
    args = p.parse_args(argv)
    if args.rows < 1:
        p.error(f"--rows must be >= 1, got {args.rows}")
    if args.repeat < 1:
        p.error(f"--repeat must be >= 1, got {args.repeat}")
    if args.threads < 0:
        p.error(f"--threads must be >= 0 (0 = all cores), got {args.threads}")
    return args


def try_import(name: str):
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def find_churn_tool(given: Optional[str]) -> Optional[str]:
    if given:
        if not os.access(given, os.X_OK):
            sys.exit(f"compare_csv.py: --churn-tool {given!r} is not an executable file")
        return given
    hits = sorted(glob.glob(os.path.join(REPO, "build*", "benchmarks", "churn_csv_tool")),
                  key=os.path.getmtime, reverse=True)
    return hits[0] if hits else None


def n_rows(obj) -> int:
    """Row count of a churnlib Table, pandas DataFrame or pyarrow Table."""
    for attr in ("num_rows", "n_rows"):
        v = getattr(obj, attr, None)
        if v is not None:
            return int(v() if callable(v) else v)
    return len(obj)


@dataclass
class Result:
    name: str
    seconds: List[float] = field(default_factory=list)
    rows: int = 0
    error: Optional[str] = None

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)


def time_reader(name: str, read: Callable[[], object], repeat: int) -> Result:
    """One untimed warm-up read, then `repeat` timed ones."""
    res = Result(name)
    try:
        res.rows = n_rows(read())
        for _ in range(repeat):
            t0 = time.perf_counter()
            out = read()
            res.seconds.append(time.perf_counter() - t0)
            del out
    except Exception as e:  # report and go on with the other readers
        res.error = f"{type(e).__name__}: {e}"
    return res


def time_churn_tool(tool: str, path: str, repeat: int, threads: int) -> Result:
    """churnlib's read_csv timed inside churn_csv_tool (one warm-up read, then `repeat`)."""
    res = Result("churnlib (C++ tool)")
    proc = subprocess.run([tool, "read", path, str(repeat + 1), str(threads)],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        res.error = proc.stderr.strip() or f"exit code {proc.returncode}"
        return res
    lines = [dict(kv.split("=") for kv in ln.split()) for ln in proc.stdout.splitlines() if ln]
    res.rows = int(lines[0]["rows"])
    res.seconds = [float(ln["seconds"]) for ln in lines[1:]]
    return res


def generate(args, cl, tool: Optional[str], path: str) -> str:
    if args.reuse and os.path.exists(path):
        return "reused"
    t0 = time.perf_counter()
    if cl is not None and hasattr(cl, "make_customers") and hasattr(cl, "write_csv"):
        table = cl.make_customers(n_customers=args.rows, seed=args.seed)
        cl.write_csv(table, path)
        how = "churnlib module"
    elif tool is not None:
        subprocess.run([tool, "generate", path, str(args.rows), str(args.seed)], check=True)
        how = os.path.relpath(tool, REPO)
    else:
        sys.exit("compare_csv.py: neither the churnlib module (pip install .) nor churn_csv_tool "
                 "(cmake -DCHURN_BUILD_BENCHMARKS=ON) is available to generate the data")
    return f"generated by {how} in {time.perf_counter() - t0:.2f} s"


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    cl = try_import("churnlib")
    pd = try_import("pandas")
    pa = try_import("pyarrow")
    pa_csv = try_import("pyarrow.csv") if pa is not None else None
    tool = None if cl is not None else find_churn_tool(args.churn_tool)
    threads = args.threads or (os.cpu_count() or 1)

    tmpdir = None
    path = args.file
    if path is None:
        tmpdir = tempfile.TemporaryDirectory(prefix="churn_compare_csv_")
        path = os.path.join(tmpdir.name, "customers.csv")
    try:
        how = generate(args, cl, tool, path)
        size = os.path.getsize(path)
        print(f"file    {path}: {size / 1e6:.1f} MB ({how})")
        print(f"setup   rows={args.rows} seed={args.seed} repeat={args.repeat} "
              f"threads={threads} (cores: {os.cpu_count()})")
        versions = [f"python {platform.python_version()}"]
        if cl is not None:
            versions.append(f"churnlib {getattr(cl, '__version__', '?')}")
        if pd is not None:
            versions.append(f"pandas {pd.__version__}")
        if pa is not None:
            versions.append(f"pyarrow {pa.__version__}")
            pa.set_cpu_count(threads)
            pa.set_io_thread_count(max(threads, 1))
        print("versions " + ", ".join(versions))

        readers = []  # (name, callable) in print order; churnlib first (the reference)
        if cl is not None:
            readers.append(("churnlib", lambda: cl.read_csv(path, n_threads=args.threads)))
            try:
                has_to_pandas = hasattr(cl.read_csv(path, n_threads=args.threads), "to_pandas")
            except Exception:  # the failure is reported by the timed run below
                has_to_pandas = False
            if has_to_pandas:
                readers.append(("churnlib + to_pandas",
                                lambda: cl.read_csv(path, n_threads=args.threads).to_pandas()))
        same_types = {}  # pandas.read_csv options giving churnlib's inferred types
        if cl is not None and pd is not None:
            try:
                dtypes = cl.read_csv(path, n_threads=args.threads).dtypes
                same_types = {
                    "parse_dates": [k for k, v in dtypes.items() if v == "timestamp"],
                    "dtype": {k: "category" for k, v in dtypes.items() if v == "category"},
                }
            except Exception:  # the failure is reported by the timed run below
                pass
        if pd is not None:
            readers.append(("pandas (c)", lambda: pd.read_csv(path)))
            if same_types:
                readers.append(("pandas (c), same types",
                                lambda: pd.read_csv(path, **same_types)))
            if pa is not None:
                readers.append(("pandas (pyarrow)", lambda: pd.read_csv(path, engine="pyarrow")))
        if pa_csv is not None:
            opts = pa_csv.ReadOptions(use_threads=True)
            readers.append(("pyarrow.csv", lambda: pa_csv.read_csv(path, read_options=opts)))
        if args.only:
            # A name may hold a comma ("pandas (c), same types"): take two parts as one name
            # when they form a reader's name.
            names = {n for n, _ in readers}
            parts = [w.strip() for w in args.only.split(",")]
            wanted, i = set(), 0
            while i < len(parts):
                two = ", ".join(parts[i:i + 2])
                take = 2 if i + 1 < len(parts) and two in names else 1
                wanted.add(", ".join(parts[i:i + take]))
                i += take
            readers = [(n, f) for n, f in readers if n in wanted]

        sys.stdout.flush()
        results = []
        if cl is None and tool is not None and (not args.only or "churnlib" in args.only):
            results.append(time_churn_tool(tool, path, args.repeat, args.threads))
        for name, read in readers:
            print(f"... {name}", file=sys.stderr, flush=True)
            results.append(time_reader(name, read, args.repeat))

        ref = next((r for r in results if r.name.startswith("churnlib") and not r.error), None)
        print()
        print(f"{'reader':<24} {'median s':>9} {'min s':>8} {'rows/s':>12} {'MB/s':>8} "
              f"{'vs churnlib':>12}")
        for r in results:
            if r.error:
                print(f"{r.name:<24} failed: {r.error}")
                continue
            ratio = f"{r.median / ref.median:.2f}x" if ref else "-"
            print(f"{r.name:<24} {r.median:>9.3f} {min(r.seconds):>8.3f} "
                  f"{r.rows / r.median:>12,.0f} {size / 1e6 / r.median:>8.1f} {ratio:>12}")
        bad = [r.name for r in results if not r.error and r.rows != args.rows and not args.reuse]
        if bad:
            print(f"warning: row count differs from {args.rows} for: {', '.join(bad)}")
        print("(vs churnlib = median time / churnlib's median time: above 1 is slower)")

        if args.json:
            with open(args.json, "w") as f:
                json.dump({"rows": args.rows, "repeat": args.repeat, "threads": threads,
                           "bytes": size, "versions": versions,
                           "results": [{"reader": r.name, "seconds": r.seconds, "rows": r.rows,
                                        "error": r.error} for r in results]}, f, indent=2)
    finally:
        if tmpdir is not None:
            tmpdir.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
