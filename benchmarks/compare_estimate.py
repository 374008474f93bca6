#!/usr/bin/env python3
"""Side-by-side benchmark of performance estimation without labels (CBPE):
churnlib.monitor.PerformanceEstimator against a vectorised numpy implementation of the same
formulas and, when it is installed in its own virtual environment, NannyML's CBPE.

Data (seeded): a labelled reference period of ``--reference-rows`` rows (default 1,000,000) and
``--rows`` analysis rows (default 5,000,000) in ``--chunks`` equal chunks (default 100); the
scores are rounded to 1e-6 (ties) and slightly miscalibrated (the labels are drawn from
``clip(1.1 * s - 0.03, 0, 1)``), so the isotonic re-calibration does some work.

* ``churnlib``: ``PerformanceEstimator(bins=1000).fit(ref_s, ref_y)`` then
  ``.estimate(s, chunks=rows // chunks)``: per chunk ROC-AUC, precision, recall, F1, churn rate,
  expected churners and campaign value, each with its delta-method band; all cores and
  ``n_threads=1``.
* ``numpy``: the same: bin counts with ``np.bincount``, the isotonic map by scikit-learn's
  IsotonicRegression on the 1000 bins, then per chunk (no Python loop over rows) the expected
  confusion matrix, the expected ROC curve (argsort, tie groups by ``np.add.reduceat``,
  trapezoids) and the same standard errors. The script checks it agrees with churnlib to 1e-9.
* ``nannyml``: ``nannyml.CBPE(problem_type="classification_binary", metrics=["roc_auc",
  "precision", "recall", "f1"], chunk_size=rows // chunks)`` ``fit`` + ``estimate`` on the same
  data, run by the interpreter ``--nannyml-python`` (default ``/work/venv-nannyml/bin/python``)
  in a subprocess that reads the data from an ``.npz`` file (loading is not timed); it reports
  its seconds and its estimated ROC-AUC per chunk, compared with churnlib's (NannyML sorts by its
  calibrated probability, whose isotonic steps tie rows that churnlib keeps ordered by score, and
  omits the curve's last segment, so small differences are expected). Installing NannyML
  (``python3 -m venv /work/venv-nannyml && /work/venv-nannyml/bin/pip install nannyml``) worked
  on the reference machine (nannyml 0.13.1) but ``import nannyml`` then needed ``statsmodels``,
  which is not among its declared requirements; ``pip install statsmodels`` into that venv fixed
  it. Without that interpreter the NannyML row is skipped.

Prints seconds (median of ``--repeat`` runs), rows per second and the ratios.

Example::

    python benchmarks/compare_estimate.py                      # 5,000,000 rows, 100 chunks
    python benchmarks/compare_estimate.py --rows 500000 --chunks 20 --repeat 3
    python benchmarks/compare_estimate.py --no-nannyml
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
from scipy.stats import norm
from sklearn.isotonic import IsotonicRegression

import churnlib as cl

BINS = 1000


def make_data(rows, reference_rows, seed=0):
    rng = np.random.default_rng(seed)

    def scores(n, shift):
        return np.round(1 / (1 + np.exp(-(rng.standard_normal(n) * 1.3 - 0.9 + shift))), 6)

    ref_s = scores(reference_rows, 0.0)
    ref_y = (rng.uniform(size=reference_rows) < np.clip(1.1 * ref_s - 0.03, 0, 1)).astype(float)
    s = scores(rows, 0.3)  # covariate shift
    return ref_s, ref_y, s


# ---- numpy: the same formulas, vectorised per chunk ---------------------------------------------

def numpy_fit(ref_s, ref_y):
    b = np.minimum((ref_s * BINS).astype(np.int64), BINS - 1)
    pos = np.bincount(b, weights=ref_y, minlength=BINS)
    n = np.bincount(b, minlength=BINS).astype(float)
    centers = (np.arange(BINS) + 0.5) / BINS
    nz = n > 0
    iso = IsotonicRegression(out_of_bounds="clip").fit(centers[nz], pos[nz] / n[nz],
                                                       sample_weight=n[nz])
    return iso.predict(centers)


def numpy_chunk(s, p, t=0.5, z=norm.ppf(0.975), value=1.0, cost=0.1, success=1.0):
    order = np.argsort(s, kind="stable")
    ss, pp = s[order], p[order]
    starts = np.r_[0, np.flatnonzero(np.diff(ss)) + 1]
    Pg, Ng = np.add.reduceat(pp, starts), np.add.reduceat(1 - pp, starts)
    N_below, P_below = np.cumsum(Ng) - Ng, np.cumsum(Pg) - Pg
    P, N = Pg.sum(), Ng.sum()
    U = np.sum(Pg * (N_below + Ng / 2))
    auc = U / (P * N)
    gid = np.repeat(np.arange(len(starts)), np.diff(np.r_[starts, len(ss)]))
    v = pp * (1 - pp)
    du = N_below[gid] + 0.5 * (Ng[gid] - (1 - pp)) - (P - P_below[gid] - Pg[gid]) \
        - 0.5 * (Pg[gid] - pp)
    a0 = (U - 0.5 * v.sum()) / (P * N)
    auc_se = np.sqrt(np.sum(((du - a0 * (N - P)) / (P * N)) ** 2 * v))
    pred = s >= t
    k, tp = pred.sum(), p[pred].sum()
    var_t, var_all = (p * (1 - p))[pred].sum(), (p * (1 - p)).sum()
    prec, rec, f1 = tp / k, tp / P, 2 * tp / (k + P)
    out = {"roc_auc": (auc, auc_se), "precision": (prec, np.sqrt(var_t) / k),
           "recall": (rec, np.sqrt((1 - rec) ** 2 * var_t + rec ** 2 * (var_all - var_t)) / P),
           "f1": (f1, np.sqrt((2 - f1) ** 2 * var_t + f1 ** 2 * (var_all - var_t)) / (k + P)),
           "churn_rate": (P / len(s), np.sqrt(var_all) / len(s)),
           "expected_churners": (P, np.sqrt(var_all)),
           "campaign_value": (success * value * tp - cost * k, success * value * np.sqrt(var_t))}
    return {m: (e, e - z * se, e + z * se) for m, (e, se) in out.items()}


def numpy_run(ref_s, ref_y, s, size):
    cmap = numpy_fit(ref_s, ref_y)
    p = cmap[np.minimum((s * BINS).astype(np.int64), BINS - 1)]
    return [numpy_chunk(s[lo:lo + size], p[lo:lo + size]) for lo in range(0, len(s), size)]


def churnlib_run(ref_s, ref_y, s, size, n_threads=0):
    est = cl.monitor.PerformanceEstimator(bins=BINS, n_threads=n_threads).fit(ref_s, ref_y)
    return est.estimate(s, chunks=size)


# ---- NannyML in its own interpreter ----------------------------------------------------------

NANNYML_SCRIPT = r"""
import json, sys, time
import numpy as np, pandas as pd
import nannyml as nml
d = np.load(sys.argv[1]); size = int(sys.argv[2]); repeat = int(sys.argv[3])
ref = pd.DataFrame({"y_pred_proba": d["ref_s"], "y_pred": (d["ref_s"] >= 0.5).astype(int),
                    "y_true": d["ref_y"].astype(int)})
ana = pd.DataFrame({"y_pred_proba": d["s"], "y_pred": (d["s"] >= 0.5).astype(int)})
times = []
for _ in range(repeat):
    t0 = time.perf_counter()
    est = nml.CBPE(y_pred_proba="y_pred_proba", y_pred="y_pred", y_true="y_true",
                   problem_type="classification_binary",
                   metrics=["roc_auc", "precision", "recall", "f1"], chunk_size=size)
    est.fit(ref)
    res = est.estimate(ana)
    times.append(time.perf_counter() - t0)
df = res.filter(period="analysis").to_df()
auc = df[("roc_auc", "value")].to_numpy().tolist()
print(json.dumps({"seconds": times, "roc_auc": auc, "version": nml.__version__}))
"""


def nannyml_run(python, ref_s, ref_y, s, size, repeat, timeout):
    with tempfile.TemporaryDirectory() as tmp:
        data = os.path.join(tmp, "data.npz")
        np.savez(data, ref_s=ref_s, ref_y=ref_y, s=s)
        script = os.path.join(tmp, "run.py")
        with open(script, "w") as f:
            f.write(NANNYML_SCRIPT)
        run = subprocess.run([python, script, data, str(size), str(repeat)], capture_output=True,
                             text=True, timeout=timeout)
        if run.returncode != 0:
            raise RuntimeError(run.stderr[-2000:])
        return json.loads(run.stdout.strip().splitlines()[-1])


def timed(f, repeat):
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = f()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=5_000_000)
    ap.add_argument("--chunks", type=int, default=100)
    ap.add_argument("--reference-rows", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--nannyml-python", default="/work/venv-nannyml/bin/python")
    ap.add_argument("--nannyml-repeat", type=int, default=1)
    ap.add_argument("--nannyml-timeout", type=float, default=1800)
    ap.add_argument("--no-nannyml", action="store_true")
    args = ap.parse_args()
    size = -(-args.rows // args.chunks)
    ref_s, ref_y, s = make_data(args.rows, args.reference_rows)
    print(f"{args.rows:,} analysis rows in {args.chunks} chunks of {size:,}; reference "
          f"{args.reference_rows:,} labelled rows; {os.cpu_count()} cores; churnlib "
          f"{cl.__version__}, OpenMP {cl.has_openmp()}")

    # agreement first
    res = churnlib_run(ref_s, ref_y, s, size).to_pandas()
    ref = numpy_run(ref_s, ref_y, s, size)
    worst = 0.0
    for c, row in enumerate(ref):
        for m, (e, lo, hi) in row.items():
            scale = max(1.0, abs(e))
            worst = max(worst, abs(res.loc[c, f"{m}_estimated"] - e) / scale)
            if 0 < lo and hi < (1 if m in ("roc_auc", "precision", "recall", "f1") else np.inf):
                worst = max(worst, abs(res.loc[c, f"{m}_lower"] - lo) / scale)
    print(f"churnlib vs numpy: largest relative difference of estimates and bands {worst:.2e}")
    assert worst < 1e-9, worst

    rows = []
    t_cl, _ = timed(lambda: churnlib_run(ref_s, ref_y, s, size), args.repeat)
    rows.append(("churnlib (all cores)", t_cl))
    t_cl1, _ = timed(lambda: churnlib_run(ref_s, ref_y, s, size, n_threads=1), args.repeat)
    rows.append(("churnlib (n_threads=1)", t_cl1))
    t_np, _ = timed(lambda: numpy_run(ref_s, ref_y, s, size), args.repeat)
    rows.append(("numpy (vectorised per chunk)", t_np))
    nml_note = ""
    if not args.no_nannyml and os.path.exists(args.nannyml_python):
        try:
            out = nannyml_run(args.nannyml_python, ref_s, ref_y, s, size, args.nannyml_repeat,
                              args.nannyml_timeout)
            rows.append((f"nannyml {out['version']} CBPE", statistics.median(out["seconds"])))
            auc = np.asarray(out["roc_auc"], dtype=float)
            gap = np.abs(auc[:len(res)] - res["roc_auc_estimated"].to_numpy()[:len(auc)])
            nml_note = (f"NannyML vs churnlib estimated ROC-AUC over {len(auc)} chunks: max |diff| "
                        f"{np.nanmax(gap):.4f}, mean {np.nanmean(gap):.4f}")
        except Exception as e:  # noqa: BLE001 - report and go on
            nml_note = f"NannyML failed: {e}"
    else:
        nml_note = "NannyML skipped (no interpreter at --nannyml-python or --no-nannyml)"

    print(f"\n{'side':32s} {'seconds':>9s} {'Mrows/s':>9s} {'vs churnlib':>12s}")
    for name, t in rows:
        print(f"{name:32s} {t:9.3f} {(args.rows + args.reference_rows) / t / 1e6:9.2f} "
              f"{t / t_cl:11.1f}x")
    print(nml_note)


if __name__ == "__main__":
    sys.exit(main())
