"""Monthly drift checks on Dask with churnlib.dask (a local cluster of worker processes).

Fits a baseline on the reference month (bins from a sample, counts from every row), then
compares each later month with it; every partition accumulates on the baseline's bins and the
parts merge in a tree, so each report equals ``Baseline.compare`` on the whole month. The
third month has a price change, which the report and its alerts show.

    python examples/dask_drift.py                    # 3 x 60,000 customers, 2 workers
    python examples/dask_drift.py --customers 500000 --workers 4

Needs dask[dataframe] and distributed.
"""

import argparse
import sys
import time

import pandas as pd

import churnlib as cl
import churnlib.dask


def month(n, seed, price=1.0):
    df = cl.make_customers(n, seed=seed).to_pandas()
    df["monthly_charges"] = df["monthly_charges"] * price
    return df.drop(columns=["customer_id", "signup_date", "churned"])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--customers", type=int, default=60_000)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()

    import dask.dataframe as dd
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster):
        reference = dd.from_pandas(month(args.customers, seed=1), npartitions=6)
        t0 = time.perf_counter()
        base = cl.dask.fit_baseline(reference, sample_rows=50_000, bins=10)
        print(f"baseline of {base.n_rows_:,} reference rows, {len(base.feature_names_)} "
              f"features, in {time.perf_counter() - t0:.1f} s")
        months = {"2024-02": month(args.customers, seed=2),
                  "2024-03": month(args.customers, seed=3, price=1.35)}
        rows = []
        for name, frame in months.items():
            ddf = dd.from_pandas(frame, npartitions=6)
            t0 = time.perf_counter()
            report = cl.dask.compare(ddf, base)
            secs = time.perf_counter() - t0
            exact = report.to_json() == base.compare(frame).to_json()
            top = report.to_pandas().sort_values("psi", ascending=False).iloc[0]
            rows.append({"month": name, "rows": len(frame), "seconds": round(secs, 2),
                         "drifting": f"{report.share_drifting:.0%}",
                         "top feature": top["feature"], "top psi": round(top["psi"], 4),
                         "alerts": len(report.alerts), "equal to one machine": exact})
        print(pd.DataFrame(rows).to_string(index=False))
        for a in report.alerts:
            print(f"alert {name}: {a['subject']} {a['metric']} {a['value']:.3f} "
                  f"(> {a['threshold']}) {a['severity']}")
    return 0 if all(r["equal to one machine"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
