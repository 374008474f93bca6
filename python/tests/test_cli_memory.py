"""Acceptance point 2 of issue 18: `churn score` scores a file four times larger than a memory
cap, and its output equals scoring the whole file in memory.

The cap. An interpreter that has imported churnlib (numpy, pandas, scikit-learn, pyarrow,
OpenMP threads) already holds ~500 MiB of address space before it reads a byte of data, so
the cap is set on what a run may add to that: the child runs under
``RLIMIT_AS = baseline + HEADROOM`` (``resource.setrlimit`` in ``preexec_fn``: the same as
``ulimit -v``), where ``baseline`` is the peak address space (VmPeak) of the same command
on a small file of a few chunks, measured first, and ``HEADROOM`` is 24 MiB. (The model is a
logistic regression: its reasons are cheap; a GBDT's TreeSHAP reasons would make the test
slow, not different.) The input file
is at least four times HEADROOM (~100 MiB, 900k customers). The test also shows the cap
binds: the same command with one chunk for the whole file runs out of memory under it.

OMP_NUM_THREADS=2 and MALLOC_ARENA_MAX=1 keep the address space of the threads the same in
both runs (glibc reserves 64 MiB of address space per malloc arena and thread).
"""

import os
import resource
import subprocess
import sys

import pytest

import churnlib as cl

HEADROOM = 24 << 20
ROWS = 900_000
CHUNK_ROWS = "10000"

PROBE = """\
import runpy, sys
sys.argv = ["churn"] + sys.argv[1:]
try:
    runpy.run_module("churnlib", run_name="__main__")
finally:
    status = open("/proc/self/status").read()
    print("VmPeak", int(status.split("VmPeak:")[1].split()[0]) * 1024, file=sys.stderr)
"""


def run_capped(args, cap=None):
    env = dict(os.environ, OMP_NUM_THREADS="2", MALLOC_ARENA_MAX="1")
    env.pop("CHURN_CLI_FAIL_AFTER_CHUNKS", None)

    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))

    r = subprocess.run([sys.executable, "-c", PROBE, *map(str, args)], env=env,
                       capture_output=True, text=True, timeout=300,
                       preexec_fn=limit if cap else None)
    peak = [int(line.split()[1]) for line in r.stderr.splitlines() if line.startswith("VmPeak ")]
    return r, (peak[0] if peak else None)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_AS and /proc: Linux")
def test_score_a_file_four_times_the_memory_cap(tmp_path):
    train = cl.make_customers(2000, seed=1).to_pandas()
    model = cl.train_churn_model(train, "churned", candidates=["logistic"], cv=2)
    model.save(tmp_path / "model.json")
    cl.write_csv(cl.make_customers(30_000, seed=3), tmp_path / "small.csv")
    big = tmp_path / "big.csv"
    cl.write_csv(cl.make_customers(ROWS, seed=4), big)
    assert os.path.getsize(big) >= 4 * HEADROOM

    score = ["score", "--model", tmp_path / "model.json", "--chunk-rows", CHUNK_ROWS,
             "--columns", "reasons", "-q"]
    r, baseline = run_capped(score[:1] + [tmp_path / "small.csv", "--out",
                                          tmp_path / "small_out.csv"] + score[1:])
    assert r.returncode == 0, r.stderr
    cap = baseline + HEADROOM

    r, peak = run_capped(score[:1] + [big, "--out", tmp_path / "out.csv"] + score[1:], cap)
    assert r.returncode == 0, r.stderr
    assert peak <= cap

    # the cap binds: the whole file as one chunk does not fit under it
    r, _ = run_capped(["score", big, "--model", tmp_path / "model.json", "--chunk-rows",
                       str(ROWS), "--columns", "reasons", "--out", tmp_path / "whole.csv"], cap)
    assert r.returncode == 2 and "out of memory" in r.stderr
    assert not (tmp_path / "whole.csv").exists()
    assert [n for n in os.listdir(tmp_path) if n.endswith(".tmp")] == []

    # the output equals in-memory scoring, byte for byte
    dtypes = {c.name: c.dtype for c in model.contract_.columns}
    want = cl.to_csv_string(model.score(cl.read_csv(big, dtypes=dtypes))).encode()
    assert (tmp_path / "out.csv").read_bytes() == want
