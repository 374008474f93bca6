#!/usr/bin/env python3
"""Side-by-side drift-monitoring benchmark: churnlib.monitor.Baseline against a plain numpy
implementation and (if it is installed) evidently's data drift preset.

Two seeded pandas frames of ``--rows`` rows (default 5,000,000) and 40 features, a reference and
a drifted current batch, plus a model score per row:

* 20 float64 columns with varied distributions (normal, log-normal, exponential, uniform,
  Poisson counts and whole months (heavy ties, so quantile edges repeat and merge), Student t,
  a bimodal mixture, beta, gamma, zero-inflated amounts, prices rounded to cents, ...) and 0%,
  1%, 5% or 20% missing values; the current batch shifts, stretches or re-weights about half of
  them and raises the missing rate of a few;
* 20 pandas ``category`` columns with 5 to 50 categories (int8 codes), skewed frequencies and
  some missing values; the current batch re-weights half of them, and the first one has a
  category the reference never saw;
* a ``score`` column in (0, 1).

The three sides compute the PSI of every feature and of the score with 10 quantile bins:

* ``churnlib``: ``cl.monitor.Baseline(bins=10).fit(ref, score)`` and
  ``.compare(cur, score) -> DriftReport`` (which also computes KS, JS, missing rates,
  out-of-range shares, unseen categories, exact summaries and quantiles), on all cores and with
  ``n_threads=1``;
* ``numpy``: what a user would write: per numeric column
  ``np.unique(np.quantile(x[~isnan(x)], np.linspace(0, 1, bins + 1)))`` for the edges, then
  ``np.histogram`` of the values clipped into ``[e_0, e_m]`` (so out-of-range values land in the
  end bins) plus a missing bin; per categorical column ``np.bincount`` of the category codes
  (+ a missing bin); PSI with an empty-bin share of 1e-4. Fit = edges + reference counts,
  compare = current counts + PSI;
* ``evidently``: ``Report([DataDriftPreset(method="psi")])`` run on the two frames (reference
  statistics are recomputed on every run: evidently has no saved baseline), on a smaller sample
  when ``--evidently-rows`` is below ``--rows`` (it says so).

Before any timing the script checks that numpy's edges equal churnlib's bit for bit, its
reference and current bin counts equal churnlib's, and every PSI agrees to 1e-9; that the
``n_threads=1`` report equals the default one bit for bit; and that a baseline merged from two
halves of the current batch gives the same report. Then it times (median of ``--repeat``
runs) fit, compare, and fit + compare together, and prints seconds, GB/s of input (the bytes of
the pandas columns read: 8 per float, 1 per category code), the ratio numpy / churnlib, and
how fast one plain pass over the same memory is (numpy ``max`` of every column, one thread: the
"at memory bandwidth" yardstick). For churnlib it also times the pandas -> churnlib Table
conversion alone and fit / compare on a ready Table, so the Python-side share is visible.

Each timed row shows how many cores other processes used on average while it ran (from
``/proc/stat`` minus this process's CPU time); above ``BUSY_CORES`` the row is flagged BUSY and
a warning printed (the reference machine has 2 cores, shared with other work). Nothing here
asserts a timing. The verdict is against issue 6's target: churnlib at least 20x faster than the
numpy implementation (fit + compare, all cores).

Example::

    python benchmarks/compare_monitor.py                   # 5,000,000 rows, 3 repeats
    python benchmarks/compare_monitor.py --rows 500000     # a quick run
    python benchmarks/compare_monitor.py --no-evidently
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import sys
import time
import warnings

import numpy as np

from loadmeter import timed  # benchmarks/loadmeter.py

TARGET_RATIO = 20.0  # issue 6: churnlib >= 20x faster than the numpy implementation
BUSY_CORES = 0.25  # other processes' average core use above which a row is flagged
BINS = 10
EPSILON = 1e-4
N_NUMERIC = 20
N_CATEGORICAL = 20


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rows", type=int, default=5_000_000, help="rows of each frame")
    p.add_argument("--repeat", type=int, default=3, help="timed runs per row (median)")
    p.add_argument("--seed", type=int, default=6, help="reference seed (current: seed + 1)")
    p.add_argument("--evidently-rows", type=int, default=500_000,
                   help="rows of the sample evidently runs on (it is far slower; 0 = --rows)")
    p.add_argument("--no-evidently", action="store_true", help="skip evidently")
    return p.parse_args(argv)


# ---- data --------------------------------------------------------------------------------------

def _numeric(j, rng, n, d):
    """Column j's values; d > 0 drifts them (a shift, a stretch or a re-weighting)."""
    k = j % 10
    if k == 0:
        x = rng.normal(50.0 + 4.0 * d, 10.0, n)
    elif k == 1:
        x = rng.lognormal(3.0 + 0.3 * d, 1.0, n)
    elif k == 2:
        x = rng.exponential(30.0 * (1.0 + d), n)
    elif k == 3:
        x = rng.uniform(0.0, 100.0 + 20.0 * d, n)
    elif k == 4:
        x = rng.poisson(3.0 + d, n).astype(np.float64)  # counts: heavy ties
    elif k == 5:
        x = rng.integers(0, 72 + int(12 * d), n).astype(np.float64)  # whole months
    elif k == 6:
        x = rng.standard_t(3, n) * (1.0 + 0.5 * d)
    elif k == 7:
        w = rng.random(n) < 0.3 + 0.2 * d
        x = np.where(w, rng.normal(20.0, 3.0, n), rng.normal(60.0, 8.0, n))
    elif k == 8:
        x = rng.beta(2.0 + d, 5.0, n)
    else:
        x = rng.gamma(2.0, 2.0 + d, n)
    if j >= 10:  # the second ten: other shapes of the same families
        if k in (1, 9):  # zero-inflated amounts: many repeated 0 edges merge
            x = np.where(rng.random(n) < 0.4, 0.0, x)
        elif k in (0, 3):  # prices in cents
            x = np.round(x, 2)
        elif k == 6:
            x = x * 1e6  # large magnitudes
    return x


def _missing(x, rng, share):
    if share > 0:
        x[rng.random(x.size) < share] = np.nan
    return x


def make_frames(n, seed):
    """(reference frame, current frame, reference score, current score)."""
    import pandas as pd

    frames, scores = [], []
    cat_probs = []
    meta = np.random.default_rng(seed + 1000)  # category sets and frequencies, shared
    for j in range(N_CATEGORICAL):
        k = int(round(5 + 45 * j / (N_CATEGORICAL - 1)))
        p = meta.dirichlet(np.full(k, 0.7))
        q = p * np.exp((0.6 if j % 2 == 0 else 0.0) * meta.normal(size=k))  # re-weighted
        q /= q.sum()
        if j == 0:  # the last category is new in the current batch
            p[-1] = 0.0
            p /= p.sum()
            q = 0.97 * q + 0.03 * np.eye(k)[-1]
        cat_probs.append((k, p, q))
    for side in (0, 1):
        rng = np.random.default_rng(seed + side)
        cols = {}
        for j in range(N_NUMERIC):
            drift = side == 1 and j % 2 == 0
            d = (0.1 + 0.05 * (j % 5)) if drift else 0.0
            share = (0.0, 0.01, 0.05, 0.2)[j % 4]
            if side == 1 and j % 7 == 3:
                share += 0.05  # more missing values
            cols[f"num_{j:02d}"] = _missing(_numeric(j, rng, n, d), rng, share)
        for j, (k, p, q) in enumerate(cat_probs):
            probs = q if side == 1 else p
            codes = rng.choice(k, size=n, p=probs).astype(np.int8)
            codes[rng.random(n) < (0.02 if j % 3 == 0 else 0.0)] = -1
            dtype = pd.CategoricalDtype([f"c{i:02d}" for i in range(k)])
            cols[f"cat_{j:02d}"] = pd.Categorical.from_codes(codes, dtype=dtype)
        z = 0.04 * (np.nan_to_num(cols["num_00"], nan=50.0) - 50.0) + rng.normal(-1.5, 1.0, n)
        scores.append(1.0 / (1.0 + np.exp(-z)))
        frames.append(pd.DataFrame(cols))
    return frames[0], frames[1], scores[0], scores[1]


def input_bytes(df, score):
    """Bytes of the columns a pass reads: float64 values and category codes (+ the score)."""
    total = score.nbytes
    for c in df.columns:
        s = df[c]
        total += s.cat.codes.to_numpy().nbytes if s.dtype == "category" else s.to_numpy().nbytes
    return total


def one_pass(df, score):
    """A plain single-threaded pass over the same memory: numpy max of every column."""
    acc = float(np.max(score))
    for c in df.columns:
        s = df[c]
        a = s.cat.codes.to_numpy() if s.dtype == "category" else s.to_numpy()
        acc += float(np.max(a))
    return acc


# ---- the numpy implementation ------------------------------------------------------------------

def np_psi(r, c, eps=EPSILON):
    r = np.asarray(r, dtype=np.float64)
    c = np.asarray(c, dtype=np.float64)
    keep = (r > 0) | (c > 0)
    p = np.where(r > 0, r / r.sum(), eps)[keep]
    q = np.where(c > 0, c / c.sum(), eps)[keep]
    return float(np.sum((q - p) * np.log(q / p)))


def np_counts(x, edges):
    """Counts over edges (values outside clipped into the end bins) + a missing bin."""
    missing = np.isnan(x)
    v = x[~missing]
    if edges.size < 2:  # one distinct reference value (or none): one bin
        counts = np.array([v.size], dtype=np.int64)
    else:
        counts, _ = np.histogram(np.clip(v, edges[0], edges[-1]), bins=edges)
    return np.append(counts, missing.sum())


def np_fit(df, score, bins=BINS):
    levels = np.linspace(0.0, 1.0, bins + 1)
    state = {}
    for c in df.columns:
        s = df[c]
        if s.dtype == "category":
            codes = s.cat.codes.to_numpy()
            state[c] = ("cat", None, np.bincount(codes.astype(np.int64) + 1,
                                                 minlength=len(s.cat.categories) + 1))
        else:
            x = s.to_numpy()
            v = x[~np.isnan(x)]
            edges = np.unique(np.quantile(v, levels))
            state[c] = ("num", edges, np_counts(x, edges))
    edges = np.unique(np.quantile(score, levels))
    state["score"] = ("num", edges, np_counts(score, edges))
    return state


def np_compare(state, df, score):
    out = {}
    for c in df.columns:
        kind, edges, ref = state[c]
        s = df[c]
        if kind == "cat":
            cur = np.bincount(s.cat.codes.to_numpy().astype(np.int64) + 1, minlength=ref.size)
        else:
            cur = np_counts(s.to_numpy(), edges)
        out[c] = (np_psi(ref, cur), cur)
    cur = np_counts(score, state["score"][1])
    out["score"] = (np_psi(state["score"][2], cur), cur)
    return out


# ---- checks ------------------------------------------------------------------------------------

def check_agree(cl_base, cl_report, state, np_out, df_ref, df_cur):
    """Edges bit for bit, counts exactly, PSI to 1e-9; returns the largest PSI difference."""
    cl_psi = {f["feature"]: f["psi"] for f in cl_report.features}
    cl_psi["score"] = cl_report.score["psi"]
    worst = 0.0
    for name, (kind, edges, ref) in state.items():
        if kind == "num":
            h = cl_base.histogram(None if name == "score" else name)
            if not np.array_equal(np.asarray(h["edges"]), edges):
                raise SystemExit(f"{name}: churnlib's edges differ from numpy's: "
                                 f"{list(h['edges'])} vs {list(edges)}")
            cl_ref = np.append(np.asarray(h["counts"]), h["missing"])
            if not np.array_equal(cl_ref, ref):
                raise SystemExit(f"{name}: reference counts differ: {cl_ref} vs {ref}")
        else:
            cc = cl_base.category_counts(name)
            cats = list(df_ref[name].cat.categories)
            mine = np.zeros(len(cats) + 1, dtype=np.int64)
            mine[0] = cc["missing"]
            for cat, k in zip(cc["categories"], cc["counts"]):
                mine[cats.index(cat) + 1] = k
            if not np.array_equal(mine, ref):
                raise SystemExit(f"{name}: reference category counts differ")
        a, b = cl_psi[name], np_out[name][0]
        diff = abs(a - b)
        if not diff <= 1e-9 * max(1.0, abs(b)):
            raise SystemExit(f"{name}: PSI differs: churnlib {a!r}, numpy {b!r}")
        worst = max(worst, diff)
    return worst


def baseline_key(base):
    """A baseline's JSON without its n_threads setting (results never depend on it)."""
    doc = json.loads(base.to_json())
    doc["params"].pop("n_threads", None)
    return json.dumps(doc, sort_keys=True)


def report_key(report):
    """A report as comparable data (bit-exact floats via repr)."""
    return json.dumps(json.loads(report.to_json()), sort_keys=True)


# ---- evidently ---------------------------------------------------------------------------------

def evidently_runner(df_ref, df_cur, s_ref, s_cur):
    """A function running evidently's data drift preset with PSI, or (None, reason)."""
    try:
        import evidently
    except Exception as e:  # noqa: BLE001 - any import failure means "not available"
        return None, f"not installed ({type(e).__name__}: {e})"
    version = getattr(evidently, "__version__", "?")
    ref = df_ref.assign(score=s_ref)
    cur = df_cur.assign(score=s_cur)
    num = [c for c in ref.columns if ref[c].dtype != "category"]
    cat = [c for c in ref.columns if ref[c].dtype == "category"]
    try:  # evidently >= 0.7
        from evidently import DataDefinition, Dataset, Report
        from evidently.presets import DataDriftPreset

        definition = DataDefinition(numerical_columns=num, categorical_columns=cat)

        def run():
            r = Dataset.from_pandas(ref, data_definition=definition)
            c = Dataset.from_pandas(cur, data_definition=definition)
            return Report([DataDriftPreset(method="psi")]).run(current_data=c, reference_data=r)

        return run, f"evidently {version} (Report([DataDriftPreset(method='psi')]))"
    except ImportError:
        pass
    try:  # evidently 0.4 - 0.6
        from evidently import ColumnMapping
        from evidently.metric_preset import DataDriftPreset
        from evidently.report import Report

        mapping = ColumnMapping(numerical_features=num, categorical_features=cat, target=None,
                                prediction=None)

        def run_legacy():
            rep = Report(metrics=[DataDriftPreset(stattest="psi")])
            rep.run(reference_data=ref, current_data=cur, column_mapping=mapping)
            return rep

        return run_legacy, f"evidently {version} (legacy Report, DataDriftPreset(stattest='psi'))"
    except ImportError as e:
        return None, f"evidently {version} installed but its API is unknown here ({e})"


def evidently_psi(result):
    """{column: PSI} from an evidently result, where the structure is recognised (else {})."""
    out = {}
    try:
        d = result.dict()
    except Exception:  # noqa: BLE001
        return out
    for m in d.get("metrics", []) if isinstance(d, dict) else []:
        cfg = m.get("config", {}) if isinstance(m, dict) else {}
        col = cfg.get("column") if isinstance(cfg, dict) else None
        val = m.get("value") if isinstance(m, dict) else None
        if col is not None and isinstance(val, (int, float)) and "Drift" in str(
                m.get("metric_name", m.get("metric_id", ""))):
            out[col] = float(val)
    return out


# ---- main --------------------------------------------------------------------------------------

def main(argv=None):
    args = parse_args(argv)
    import churnlib as cl
    import pandas as pd

    n = args.rows
    t0 = time.perf_counter()
    df_ref, df_cur, s_ref, s_cur = make_frames(n, args.seed)
    b_ref, b_cur = input_bytes(df_ref, s_ref), input_bytes(df_cur, s_cur)
    print(f"data: 2 x {n:,} rows x {df_ref.shape[1]} features ({N_NUMERIC} float64, "
          f"{N_CATEGORICAL} category with int8 codes) + score; reference {b_ref / 1e9:.2f} GB, "
          f"current {b_cur / 1e9:.2f} GB of input (seed {args.seed}), made in "
          f"{time.perf_counter() - t0:.1f} s; {BINS} quantile bins; repeat={args.repeat} (median)")
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores"
          + (f", load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}" if load else "")
          + f"; churnlib {cl.__version__} (OpenMP: {cl.has_openmp()}), pandas {pd.__version__}, "
          f"numpy {np.__version__}")

    # ---- same results? ----
    base = cl.monitor.Baseline(bins=BINS).fit(df_ref, s_ref)
    report = base.compare(df_cur, s_cur)
    state = np_fit(df_ref, s_ref)
    np_out = np_compare(state, df_cur, s_cur)
    diff = check_agree(base, report, state, np_out, df_ref, df_cur)
    base1 = cl.monitor.Baseline(bins=BINS, n_threads=1).fit(df_ref, s_ref)
    if baseline_key(base1) != baseline_key(base):
        raise SystemExit("churnlib: the n_threads=1 baseline differs from the default one")
    if report_key(base1.compare(df_cur, s_cur)) != report_key(report):
        raise SystemExit("churnlib: the n_threads=1 report differs from the default one")
    h = n // 2
    merged = base.accumulate(df_cur.iloc[:h], s_cur[:h]).merge(
        base.accumulate(df_cur.iloc[h:], s_cur[h:]))
    if report_key(base.compare(merged)) != report_key(report):
        raise SystemExit("churnlib: compare(merged halves) differs from compare(whole batch)")
    psi_all = [f["psi"] for f in report.features]
    n_drift = sum(f["status"] != "stable" for f in report.features)
    print(f"check: edges bit-identical to np.quantile, bin and category counts equal, PSI agree "
          f"(max |difference| {diff:.1e}); n_threads=1 and merged halves bit-identical. "
          f"{n_drift} of {len(psi_all)} features drift (PSI {min(psi_all):.4f} .. "
          f"{max(psi_all):.4f}), score PSI {report.score['psi']:.4f}")
    del base1, merged
    gc.collect()

    # ---- timings ----
    rows = []  # (who, step, seconds, bytes, others, util)

    def run(who, step, fn, nbytes):
        s, out, others, util = timed(fn, args.repeat)
        rows.append((who, step, s, nbytes, others, util))
        flag = "  BUSY" if others is not None and others > BUSY_CORES else ""
        print(f"  {step:15s} {who:26s} {s:8.3f} s  (CPU/wall {util:.2f}, other processes "
              f"{'?' if others is None else f'{others:.2f}'} cores){flag}", flush=True)
        return out

    print("\ntimings (median of repeats):")
    run("one pass (numpy max)", "read reference", lambda: one_pass(df_ref, s_ref), b_ref)
    for who, nt in (("churnlib (all cores)", 0), ("churnlib (n_threads=1)", 1)):
        fitted = run(who, "fit", lambda nt=nt: cl.monitor.Baseline(bins=BINS, n_threads=nt).fit(
            df_ref, s_ref), b_ref)
        run(who, "compare", lambda f=fitted: f.compare(df_cur, s_cur), b_cur)
        run(who, "fit + compare", lambda nt=nt: cl.monitor.Baseline(
            bins=BINS, n_threads=nt).fit(df_ref, s_ref).compare(df_cur, s_cur), b_ref + b_cur)
    run("numpy", "fit", lambda: np_fit(df_ref, s_ref), b_ref)
    run("numpy", "compare", lambda: np_compare(state, df_cur, s_cur), b_cur)
    run("numpy", "fit + compare", lambda: np_compare(np_fit(df_ref, s_ref), df_cur, s_cur),
        b_ref + b_cur)

    # where churnlib's time goes: pandas -> Table, then the C++ work on a ready Table
    parts = []
    t_ref, t_cur = cl.Table.from_pandas(df_ref), cl.Table.from_pandas(df_cur)
    base1 = cl.monitor.Baseline(bins=BINS, n_threads=1).fit(t_ref, s_ref)
    for label, fn in (
            ("pandas -> Table (reference)", lambda: cl.Table.from_pandas(df_ref)),
            ("fit on a Table", lambda: cl.monitor.Baseline(bins=BINS).fit(t_ref, s_ref)),
            ("fit on a Table, 1 thread",
             lambda: cl.monitor.Baseline(bins=BINS, n_threads=1).fit(t_ref, s_ref)),
            ("compare on a Table", lambda: base.compare(t_cur, s_cur)),
            ("compare on a Table, 1 thread", lambda: base1.compare(t_cur, s_cur))):
        s, _, others, util = timed(fn, args.repeat)
        parts.append((label, s, others, util))
    del t_ref, t_cur, base1

    # evidently
    ev_row = None
    if args.no_evidently:
        print("\nevidently: skipped (--no-evidently)")
    else:
        m = n if args.evidently_rows <= 0 else min(n, args.evidently_rows)
        er, ec = df_ref.iloc[:m], df_cur.iloc[:m]
        runner, what = evidently_runner(er, ec, s_ref[:m], s_cur[:m])
        if runner is None:
            print(f"\nevidently: {what}; not timed")
        else:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                result = runner()  # warm-up (imports, caches)
                ev_psi = evidently_psi(result)
                s, _, others, util = timed(runner, args.repeat)
            base_m = cl.monitor.Baseline(bins=BINS).fit(er, s_ref[:m])
            cl_m, _, _, _ = timed(lambda: cl.monitor.Baseline(bins=BINS).fit(er, s_ref[:m]).compare(
                ec, s_cur[:m]), args.repeat)
            rep_m = base_m.compare(ec, s_cur[:m])
            cl_psi = {f["feature"]: f["psi"] for f in rep_m.features}
            cl_psi["score"] = rep_m.score["psi"]
            common = [c for c in ev_psi if c in cl_psi]
            agree = (f"PSI of {len(common)} columns vs churnlib: max |difference| "
                     f"{max(abs(ev_psi[c] - cl_psi[c]) for c in common):.3g} (evidently bins "
                     "differently)" if common else "its PSI values were not read back")
            mb = input_bytes(er, s_ref[:m]) + input_bytes(ec, s_cur[:m])
            ev_row = (what, m, s, cl_m, mb, others, util)
            sample = "" if m == n else f" on the first {m:,} rows of each frame (full size too slow)"
            print(f"\nevidently: {what}{sample}: {s:.3f} s (CPU/wall {util:.2f}, other processes "
                  f"{'?' if others is None else f'{others:.2f}'} cores); churnlib fit + compare "
                  f"of the same rows {cl_m:.3f} s; {agree}")

    # ---- report ----
    med = {(who, step): s for who, step, s, _, _, _ in rows}
    print(f"\n{'step':15s} {'who':26s} {'median s':>9s} {'GB/s':>7s} {'numpy/this':>11s} "
          f"{'others':>7s}")
    for who, step, s, nbytes, others, util in rows:
        ref = med.get(("numpy", step))
        ratio = f"{ref / s:10.1f}x" if ref is not None else ""
        busy = "?" if others is None else f"{others:.2f}"
        flag = " BUSY" if others is not None and others > BUSY_CORES else ""
        print(f"{step:15s} {who:26s} {s:9.3f} {nbytes / s / 1e9:7.2f} {ratio:>11s} "
              f"{busy:>7s}{flag}")
    if ev_row:
        what, m, s, cl_m, mb, others, util = ev_row
        busy = "?" if others is None else f"{others:.2f}"
        print(f"{'fit + compare':15s} {'evidently (' + format(m, ',') + ' rows)':26s} {s:9.3f} "
              f"{mb / s / 1e9:7.2f} {'':>11s} {busy:>7s}   (churnlib on the same rows "
              f"{cl_m:.3f} s: {s / cl_m:.0f}x faster)")
    print("\nchurnlib by part (all cores unless said):")
    for label, s, others, util in parts:
        busy = "?" if others is None else f"{others:.2f}"
        flag = "  BUSY" if others is not None and others > BUSY_CORES else ""
        print(f"  {label:30s} {s:8.3f} s  (CPU/wall {util:.2f}, other processes {busy} cores)"
              f"{flag}")
    busy_rows = [r for r in rows if r[4] is not None and r[4] > BUSY_CORES]
    if busy_rows:
        worst = max(r[4] for r in busy_rows)
        print(f"\nWARNING: other processes used up to {worst:.2f} of the {os.cpu_count()} cores "
              f"during {len(busy_rows)} of {len(rows)} timed rows (flagged BUSY): those times "
              "are not comparable; rerun on an idle machine.")
    np_t = med[("numpy", "fit + compare")]
    cl_t = med[("churnlib (all cores)", "fit + compare")]
    cl1_t = med[("churnlib (n_threads=1)", "fit + compare")]
    bw = med[("one pass (numpy max)", "read reference")]
    ok = np_t / cl_t >= TARGET_RATIO
    caveat = "" if not busy_rows else " (machine busy: see the warning)"
    size = "" if n == 5_000_000 else f" (the target is stated for 5,000,000 rows; this run: {n:,})"
    print(f"\nverdict: {'PASS' if ok else 'FAIL'}: churnlib fit + compare {np_t / cl_t:.1f}x faster "
          f"than the numpy implementation on all cores ({cl_t:.3f} s vs {np_t:.3f} s), "
          f"{np_t / cl1_t:.1f}x on 1 thread; target >= {TARGET_RATIO:g}x{size}{caveat}. "
          f"Memory-bandwidth goal: churnlib reads {(b_ref + b_cur) / cl_t / 1e9:.2f} GB/s, one "
          f"plain single-threaded pass {b_ref / bw / 1e9:.2f} GB/s "
          f"({(b_ref + b_cur) / cl_t / (b_ref / bw):.0%} of it).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
