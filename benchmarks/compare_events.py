#!/usr/bin/env python3
"""Side-by-side event-log aggregation benchmark: churnlib against pandas and polars.

One seeded event log (``--events`` events of ``--customers`` customers, 5 event types, an
amount on purchases) is aggregated at one as-of date into the same per-customer features by each
library: for each of the windows 7, 30 and 90 days, the count of each event type (15 features)
and the amount sum (3), plus the days since the last event (1). Only events strictly before the
as-of date count; customers without events get 0 counts and sums and a missing recency.

* ``pandas``: a boolean mask per window and ``groupby(...).size()/sum()`` (the usual notebook
  code);
* ``polars``: one ``group_by("customer_id").agg(...)`` with a filtered expression per feature;
* ``churnlib``: ``churnlib.EventAggregator`` when the installed package has it (issue 5), else
  the row says "not available".

Every library's result is checked against pandas' (same values) before its time is reported.
The script prints, per library, the median seconds of ``--repeat`` runs, events/s, and the ratio
to the fastest. The figures are for information only: nothing here asserts a timing.

A second case (``--case strings``, issue 14) is the real-world frame: ``--str-events``
events of ``--str-customers`` customers with string ids (``"C00012345"``, pandas' Arrow-backed
``str`` dtype) and three features: the 30-day count of each type, the 30-day amount sum and
the days since the last event. churnlib's time includes reading the pandas frame (the ids
come from their Arrow buffers); polars reads the same frame converted once (not timed), as
in the first case.

Example::

    python benchmarks/compare_events.py --events 10000000 --customers 1000000 --repeat 3
    python benchmarks/compare_events.py --case strings --repeat 5
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import numpy as np
import pandas as pd

TYPES = ["login", "purchase", "support_ticket", "crash", "payment_failure"]
WINDOWS = [7, 30, 90]
DAY_NS = 86_400 * 10**9


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--events", type=int, default=10_000_000, help="events in the log")
    p.add_argument("--customers", type=int, default=1_000_000, help="customers")
    p.add_argument("--repeat", type=int, default=3, help="timed runs per library (median)")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--libs", default="pandas,polars,churnlib")
    p.add_argument("--case", choices=["types", "strings", "both"], default="both",
                   help="types: integer ids, 19 features; strings: string ids, 3 features")
    p.add_argument("--str-events", type=int, default=3_000_000)
    p.add_argument("--str-customers", type=int, default=300_000)
    return p.parse_args(argv)


def make_events(n_events, n_customers, seed):
    """An unsorted event log over 180 days before the as-of date (and a few after it, which
    must not count). Returns (events DataFrame, as-of Timestamp)."""
    rng = np.random.default_rng(seed)
    asof = pd.Timestamp("2026-06-30")
    # Activity differs by customer: some are heavy users.
    weight = rng.gamma(0.7, 1.0, size=n_customers)
    cid = rng.choice(n_customers, size=n_events, p=weight / weight.sum()).astype(np.int64)
    age_s = rng.uniform(-5 * 86_400, 180 * 86_400, size=n_events)  # < 0: after the as-of date
    ts = asof.value - (age_s * 1e9).astype(np.int64)
    etype = rng.choice(len(TYPES), size=n_events, p=[0.6, 0.15, 0.1, 0.1, 0.05])
    amount = np.where(etype == 1, np.round(rng.lognormal(3.0, 0.8, size=n_events), 2), np.nan)
    ev = pd.DataFrame({
        "customer_id": cid,
        "timestamp": pd.to_datetime(ts, unit="ns"),
        "event_type": pd.Categorical.from_codes(etype, categories=TYPES),
        "amount": amount,
    })
    return ev, asof


def feature_names():
    names = []
    for w in WINDOWS:
        names += [f"{t}_count_{w}d" for t in TYPES]
        names.append(f"amount_sum_{w}d")
    names.append("days_since_last_event")
    return names


def run_pandas(ev, asof, n_customers):
    ev = ev[ev["timestamp"] < asof]
    age = (asof - ev["timestamp"]).to_numpy().astype("timedelta64[ns]").astype(np.int64) / DAY_NS
    out = pd.DataFrame(index=pd.RangeIndex(n_customers, name="customer_id"))
    for w in WINDOWS:
        sub = ev[age < w]
        counts = sub.groupby(["customer_id", "event_type"], observed=False).size().unstack(fill_value=0)
        for t in TYPES:
            out[f"{t}_count_{w}d"] = counts[t].reindex(out.index, fill_value=0).to_numpy(np.float64)
        out[f"amount_sum_{w}d"] = sub.groupby("customer_id")["amount"].sum().reindex(
            out.index, fill_value=0.0).to_numpy()
    last = pd.Series(age, index=ev.index).groupby(ev["customer_id"]).min()
    out["days_since_last_event"] = last.reindex(out.index).to_numpy()
    return out[feature_names()]


def run_polars(ev_pl, asof, n_customers):
    import polars as pl

    # Idiomatic polars: derive the age and the type once, then one grouped aggregation of
    # filtered sums (polars runs it on all cores).
    base = (ev_pl.filter(pl.col("timestamp").cast(pl.Int64) < asof.value)
            .with_columns(((pl.lit(asof.value) - pl.col("timestamp").cast(pl.Int64)) / DAY_NS).alias("age"),
                          pl.col("event_type").cast(pl.String).alias("t")))
    aggs = []
    for w in WINDOWS:
        inw = pl.col("age") < w
        for t in TYPES:
            aggs.append((inw & (pl.col("t") == t)).sum().cast(pl.Float64).alias(f"{t}_count_{w}d"))
        aggs.append(pl.col("amount").filter(inw).fill_null(0).sum().alias(f"amount_sum_{w}d"))
    aggs.append(pl.col("age").min().alias("days_since_last_event"))
    res = base.group_by("customer_id").agg(aggs)
    allc = pl.DataFrame({"customer_id": np.arange(n_customers, dtype=np.int64)})
    res = allc.join(res, on="customer_id", how="left")
    fill = {c: 0.0 for c in feature_names() if c != "days_since_last_event"}
    res = res.with_columns([pl.col(c).fill_null(v) for c, v in fill.items()])
    return res.select(feature_names()).to_pandas()


def run_churnlib(ev_cl, asof, n_customers):
    import churnlib as cl

    # Only the features the other libraries compute (the default spec adds trends, active
    # days, per-type recency, amount means and maxima).
    agg = cl.EventAggregator(customer_col="customer_id", time_col="timestamp",
                             type_col="event_type", amount_col="amount", windows=WINDOWS,
                             event_types=TYPES, trends=False, active_days=False,
                             type_recency=False, days_since_first=False, amount_mean=False,
                             amount_max=False)
    return agg.transform(ev_cl, customers=np.arange(n_customers), as_of=asof)


def check_same(name, got, ref):
    got = got[feature_names()].to_numpy(np.float64)
    ref = ref[feature_names()].to_numpy(np.float64)
    if got.shape != ref.shape or not np.allclose(got, ref, rtol=1e-9, atol=1e-9, equal_nan=True):
        bad = np.argwhere(~np.isclose(got, ref, rtol=1e-9, atol=1e-9, equal_nan=True))
        raise SystemExit(f"{name}: result differs from pandas' (first at {bad[:3].tolist()})")


# ---- the string-id, few-features case (issue 14) -------------------------------------------------

STR_WINDOW = 30


def str_feature_names():
    return [f"{t}_count_{STR_WINDOW}d" for t in TYPES] + [f"amount_sum_{STR_WINDOW}d",
                                                           "days_since_last_event"]


def make_string_events(n_events, n_customers, seed):
    """The log of make_events with ids "C00012345" in pandas' default (Arrow-backed) str dtype;
    also returns the customer ids (every customer, in id order)."""
    ev, asof = make_events(n_events, n_customers, seed)
    ids = np.array([f"C{i:08d}" for i in range(n_customers)], dtype=object)
    ev["customer_id"] = pd.Series(ids[ev["customer_id"].to_numpy()], dtype="str")
    return ev, asof, pd.Series(ids, dtype="str")


def str_pandas(ev, asof, ids):
    ev = ev[ev["timestamp"] < asof]
    age = (asof - ev["timestamp"]).to_numpy().astype("timedelta64[ns]").astype(np.int64) / DAY_NS
    inw = ev[age < STR_WINDOW]
    counts = inw.groupby(["customer_id", "event_type"], observed=False).size().unstack(
        fill_value=0)
    out = pd.DataFrame(index=pd.Index(ids, name="customer_id"))
    for t in TYPES:
        out[f"{t}_count_{STR_WINDOW}d"] = counts[t].reindex(out.index, fill_value=0).to_numpy(
            np.float64)
    out[f"amount_sum_{STR_WINDOW}d"] = inw.groupby("customer_id")["amount"].sum().reindex(
        out.index, fill_value=0.0).to_numpy()
    last = pd.Series(age, index=ev.index).groupby(ev["customer_id"]).min()
    out["days_since_last_event"] = last.reindex(out.index).to_numpy()
    return out[str_feature_names()]


def str_polars(ev_pl, asof, ids_pl):
    import polars as pl

    base = (ev_pl.filter(pl.col("timestamp").cast(pl.Int64) < asof.value)
            .with_columns(((pl.lit(asof.value) - pl.col("timestamp").cast(pl.Int64)) / DAY_NS)
                          .alias("age")))
    inw = pl.col("age") < STR_WINDOW
    aggs = [(inw & (pl.col("event_type") == t)).sum().cast(pl.Float64)
            .alias(f"{t}_count_{STR_WINDOW}d") for t in TYPES]
    aggs.append(pl.col("amount").filter(inw).fill_null(0).sum()
                .alias(f"amount_sum_{STR_WINDOW}d"))
    aggs.append(pl.col("age").min().alias("days_since_last_event"))
    res = ids_pl.join(base.group_by("customer_id").agg(aggs), on="customer_id", how="left")
    res = res.with_columns([pl.col(c).fill_null(0.0) for c in str_feature_names()[:-1]])
    return res.select(str_feature_names()).to_pandas()


def str_churnlib(ev, asof, ids):
    import churnlib as cl

    agg = cl.EventAggregator(windows=[STR_WINDOW], event_types=TYPES, amount_col="amount",
                             trends=False, active_days=False, type_recency=False,
                             days_since_first=False, amount_mean=False, amount_max=False)
    return agg.transform(ev, customers=ids, as_of=asof)


def run_strings(args, libs):
    import polars as pl

    t0 = time.perf_counter()
    ev, asof, ids = make_string_events(args.str_events, args.str_customers, args.seed)
    print(f"\nstring ids, few features: {len(ev):,} events, {args.str_customers:,} customers, "
          f"ids {ev['customer_id'].dtype} like {ev['customer_id'].iloc[0]!r}, "
          f"{len(str_feature_names())} features; generated in {time.perf_counter() - t0:.1f} s")
    inputs = {"pandas": (ev, ids), "churnlib": (ev, ids),
              "polars": (pl.from_pandas(ev), pl.DataFrame({"customer_id": ids.to_numpy()}))}
    runners = {"pandas": str_pandas, "polars": str_polars, "churnlib": str_churnlib}
    results, ref = {}, None
    for name in ["pandas"] + [l for l in libs if l != "pandas"]:
        out, times = None, []
        for _ in range(args.repeat):
            t = time.perf_counter()
            out = runners[name](inputs[name][0], asof, inputs[name][1])
            times.append(time.perf_counter() - t)
        got = out[str_feature_names()].to_numpy(np.float64)
        if name == "pandas":
            ref = got
        elif got.shape != ref.shape or not np.allclose(got, ref, rtol=1e-9, atol=1e-9,
                                                       equal_nan=True):
            raise SystemExit(f"{name}: string-id result differs from pandas'")
        results[name] = statistics.median(times)
        print(f"  {name:9s} median {results[name]:.3f} s over {args.repeat} runs "
              f"(min {min(times):.3f})")
    best = min(results.values())
    print(f"{'library':10s} {'median s':>9s} {'vs fastest':>11s}")
    for name, s in results.items():
        print(f"{name:10s} {s:9.3f} {s / best:10.2f}x")
    if "churnlib" in results and "polars" in results:
        c, p = results["churnlib"], results["polars"]
        print(f"target (faster than polars): {'PASS' if c < p else 'FAIL'}: churnlib "
              f"{p / c:.2f}x polars' speed ({c:.3f} s vs {p:.3f} s; pandas {results['pandas']:.3f} s)")
    return results


def main(argv=None):
    args = parse_args(argv)
    libs = [s.strip() for s in args.libs.split(",") if s.strip()]
    if args.case in ("strings", "both"):
        run_strings(args, libs)
    if args.case == "strings":
        return 0
    t0 = time.perf_counter()
    ev, asof = make_events(args.events, args.customers, args.seed)
    print(f"event log: {len(ev):,} events, {args.customers:,} customers, {len(TYPES)} types, "
          f"windows {WINDOWS} days, {len(feature_names())} features; generated in "
          f"{time.perf_counter() - t0:.1f} s")
    inputs = {"pandas": ev}
    if "polars" in libs:
        import polars as pl
        inputs["polars"] = pl.from_pandas(ev)
    runners = {"pandas": run_pandas, "polars": run_polars, "churnlib": run_churnlib}
    results, ref = {}, None
    for name in ["pandas"] + [l for l in libs if l != "pandas"]:
        if name == "churnlib":
            import churnlib as cl
            if not hasattr(cl, "EventAggregator"):
                print("churnlib: not available (no churnlib.EventAggregator in the installed package)")
                continue
            inputs["churnlib"] = ev
        times = []
        out = None
        for _ in range(args.repeat):
            t = time.perf_counter()
            out = runners[name](inputs[name], asof, args.customers)
            times.append(time.perf_counter() - t)
        if name == "pandas":
            ref = out
        else:
            check_same(name, out, ref)
        results[name] = statistics.median(times)
        print(f"  {name:9s} median {results[name]:.3f} s over {args.repeat} runs")
    # The goal's yardstick: one pass over the input in memory, i.e. reading each column the
    # aggregation needs once (numpy reductions, one thread).
    cols = [ev["customer_id"].to_numpy(), ev["timestamp"].to_numpy().view(np.int64),
            ev["event_type"].cat.codes.to_numpy(), ev["amount"].to_numpy()]
    nbytes = sum(c.nbytes for c in cols)
    times = []
    for _ in range(max(3, args.repeat)):
        t = time.perf_counter()
        for c in cols:
            c.max()
        times.append(time.perf_counter() - t)
    one_pass = statistics.median(times)
    print(f"  one pass over the {nbytes / 1e6:.0f} MB of input columns (numpy max of each, one "
          f"thread): median {one_pass:.3f} s ({nbytes / one_pass / 1e9:.1f} GB/s)")
    best = min(results.values())
    print()
    print(f"{'library':10s} {'median s':>9s} {'Mevents/s':>10s} {'vs fastest':>11s} "
          f"{'vs one pass':>12s}")
    for name, s in results.items():
        print(f"{name:10s} {s:9.3f} {args.events / s / 1e6:10.1f} {s / best:10.2f}x "
              f"{s / one_pass:11.1f}x")
    if "churnlib" in results:
        c = results["churnlib"]
        if "polars" in results:
            p = results["polars"]
            print(f"\ntarget (faster than polars): {'PASS' if c < p else 'FAIL'}: churnlib "
                  f"{p / c:.2f}x faster than polars ({c:.3f} s vs {p:.3f} s)")
        print(f"goal (within 2x of one pass over memory): {'MET' if c <= 2 * one_pass else 'NOT MET'}: "
              f"churnlib takes {c / one_pass:.1f}x one pass ({c:.3f} s vs {one_pass:.3f} s; its "
              f"time includes converting the pandas frame)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
