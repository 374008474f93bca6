#!/usr/bin/env python3
"""Side-by-side benchmark of batch scoring from the command line (issue 18): ``churn score`` on
a generated customer CSV with a 100k-row chunk, against a pandas + scikit-learn + LightGBM
script doing the same chunk loop. Figures for information (target: churn score 5x the peer's
rows/s, with peak memory independent of the file size); nothing asserts.

Both sides score ``--rows`` customers (default 1,000,000; ``--rows 4000000`` for the memory
check) written once by ``cl.make_customers(rows, seed + 1)`` (19 columns, ~115 bytes a row), and
write one row per customer (id, probability, prediction) to a CSV file, in chunks of
``--chunk-rows`` rows (default 100,000). The models are the ones of compare_model.py's scoring
measurement, trained once on ``--fit-rows`` customers (seed ``seed``):

* ``churn score``: a ``cl.train_churn_model(fit, "churned", candidates=["gbdt"], cv=2)``
  bundle (200 trees, 15 leaves, calibrated), run as
  ``python -m churnlib score DATA --model model.json --out OUT --chunk-rows N --columns none``:
  chunked C++ CSV reader with the contract's types, the contract checked per chunk, pipeline,
  model, calibration, threshold, CSV written atomically.
* the peer: ``pandas.read_csv(path, chunksize=N, dtype=...)`` (categoricals as ``category``,
  numbers float64) -> ``ColumnTransformer`` (numbers passed through, the 5 categoricals
  ``OrdinalEncoder``-coded) -> ``LGBMClassifier(n_estimators=200, num_leaves=15,
  learning_rate=0.05).predict_proba`` (fitted once on the same fit rows, pickled) -> prediction
  at 0.5 -> ``DataFrame.to_csv`` appended to a temporary file renamed at the end.

Each side runs in its own child process (interpreter start-up and imports included in its
wall time; they are also timed alone and shown), with ``--threads`` threads (OMP_NUM_THREADS,
LightGBM n_jobs); peak memory is the child's own VmHWM (peak RSS, read from /proc at its
exit; ``ru_maxrss`` would carry the parent's high-water mark through fork + exec). The cores other
processes used meanwhile are shown (benchmarks/loadmeter.py); above 0.25 the row is flagged
BUSY: the reference machine has 2 shared cores, so flagged figures are not comparable.

Example::

    python benchmarks/compare_cli_score.py                  # 1M rows
    python benchmarks/compare_cli_score.py --rows 4000000   # peak memory at 4M
"""

from __future__ import annotations

import argparse
import os
import pickle
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from compare_model import CAT_IDX, FEATURES, lgbm, ordinal_transformer, pandas_dtypes  # noqa: E402
from loadmeter import LoadMeter  # noqa: E402

TARGET_RATIO = 5.0
BUSY_CORES = 0.25

PEER = r"""
import os, pickle, sys
import numpy as np, pandas as pd
path, out, chunk_rows, model_path = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
with open(model_path, "rb") as f:
    ct, clf, features, dtypes = pickle.load(f)
tmp = out + ".tmp"
with open(tmp, "w") as f:
    first = True
    for chunk in pd.read_csv(path, chunksize=chunk_rows, dtype=dtypes):
        p = clf.predict_proba(ct.transform(chunk[features]))[:, 1]
        pd.DataFrame({"customer_id": chunk["customer_id"], "probability": p,
                      "prediction": (p >= 0.5).astype(np.int64)}).to_csv(f, header=first,
                                                                         index=False)
        first = False
    f.flush()
    os.fsync(f.fileno())
os.replace(tmp, out)
print("VmHWM", open("/proc/self/status").read().split("VmHWM:")[1].split()[0], file=sys.stderr)
"""

# churn score run under runpy, reporting its own peak RSS (VmHWM) at exit: ru_maxrss of a
# child started by fork + exec keeps the parent's high-water mark on Linux, so it is not used.
CHURN = r"""
import runpy, sys
sys.argv = ["churn"] + sys.argv[1:]
try:
    runpy.run_module("churnlib", run_name="__main__")
finally:
    print("VmHWM", open("/proc/self/status").read().split("VmHWM:")[1].split()[0],
          file=sys.stderr)
"""


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rows", type=int, default=1_000_000)
    p.add_argument("--chunk-rows", type=int, default=100_000)
    p.add_argument("--fit-rows", type=int, default=20_000)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--dir", default=None, help="work folder (default: a temporary one)")
    return p.parse_args(argv)


def child(cmd, env):
    """(wall seconds, peak RSS MiB, others' cores, returncode) of one child process."""
    with LoadMeter() as m:
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE)
        _, status, _ = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        err = proc.stderr.read().decode()
        proc.stderr.close()
    if proc.returncode != 0:
        raise SystemExit(f"{cmd[:4]} failed ({proc.returncode}):\n{err}")
    hwm = [int(line.split()[1]) for line in err.splitlines() if line.startswith("VmHWM ")]
    return m.wall, (hwm[0] / 1024 if hwm else float("nan")), m.others


def main(argv=None):
    a = parse_args(argv)
    import churnlib as cl

    work = a.dir or tempfile.mkdtemp(prefix="cli-score-")
    os.makedirs(work, exist_ok=True)
    data = os.path.join(work, f"customers_{a.rows}.csv")
    if not os.path.exists(data):
        t0 = time.perf_counter()
        cl.write_csv(cl.make_customers(a.rows, seed=a.seed + 1), data)
        print(f"wrote {data} ({os.path.getsize(data) / 2**20:.0f} MiB) in "
              f"{time.perf_counter() - t0:.1f} s")
    fit = cl.make_customers(a.fit_rows, seed=a.seed).to_pandas()
    model = cl.train_churn_model(fit, "churned", candidates=["gbdt"], cv=2, seed=0,
                                 n_jobs=a.threads)
    model_path = os.path.join(work, "model.json")
    model.save(model_path)
    ct = ordinal_transformer().fit(fit[FEATURES])
    clf = lgbm(a.threads, 0).fit(ct.transform(fit[FEATURES]), fit["churned"].to_numpy(),
                                 categorical_feature=CAT_IDX)
    peer_path = os.path.join(work, "peer.pkl")
    with open(peer_path, "wb") as f:
        pickle.dump((ct, clf, FEATURES, pandas_dtypes()), f)

    env = dict(os.environ, OMP_NUM_THREADS=str(a.threads))
    py = sys.executable
    out_cl, out_peer = os.path.join(work, "scores_churn.csv"), os.path.join(work, "scores_peer.csv")
    runs = {
        "churn score": [py, "-c", CHURN, "score", data, "--model", model_path, "--out",
                        out_cl, "--chunk-rows", str(a.chunk_rows), "--columns", "none", "-q"],
        "pandas + sklearn + lightgbm": [py, "-c", PEER, data, out_peer, str(a.chunk_rows),
                                        peer_path],
    }
    starts = {
        "churn score": [py, "-c", "import churnlib.cli"],
        "pandas + sklearn + lightgbm": [py, "-c", "import pandas, sklearn.compose, lightgbm"],
    }
    print(f"{a.rows:,} rows, chunks of {a.chunk_rows:,}, {a.threads} threads, "
          f"{os.cpu_count()} cores; load average {os.getloadavg()[0]:.2f}")
    results = {}
    for name, cmd in runs.items():
        start, _, _ = child(starts[name], env)
        wall, rss, others = child(cmd, env)
        results[name] = (wall, rss, others, start)
    print(f"{'':28s} {'wall s':>8s} {'rows/s':>11s} {'peak RSS MiB':>13s} {'start-up s':>11s} "
          f"{'others':>7s}")
    for name, (wall, rss, others, start) in results.items():
        flag = "BUSY" if others is not None and others > BUSY_CORES else ""
        print(f"{name:28s} {wall:8.2f} {a.rows / wall:11,.0f} {rss:13.0f} {start:11.2f} "
              f"{'n/a' if others is None else f'{others:.2f}':>7s} {flag}")
    w_cl, w_peer = results["churn score"][0], results["pandas + sklearn + lightgbm"][0]
    print(f"ratio (peer wall / churn wall): {w_peer / w_cl:.2f}x (target {TARGET_RATIO:.0f}x); "
          f"without start-up: {(w_peer - results['pandas + sklearn + lightgbm'][3]) / max(w_cl - results['churn score'][3], 1e-9):.2f}x")
    import numpy as np
    import pandas as pd

    p_cl = pd.read_csv(out_cl, usecols=["probability"])["probability"].to_numpy()
    p_peer = pd.read_csv(out_peer, usecols=["probability"])["probability"].to_numpy()
    print(f"rows written: {len(p_cl):,} / {len(p_peer):,}; correlation of the probabilities "
          f"{np.corrcoef(p_cl, p_peer)[0, 1]:.3f}")


if __name__ == "__main__":
    main()
