"""``churn segment``: K-means segments of customers and their profiles."""

from __future__ import annotations

import sys

from . import _common, _model
from ._common import EXIT_OK, CliError, HelpFormatter

NAME = "segment"

_DESCRIPTION = """\
Groups customers into segments with K-means (churnlib.KMeans: k-means++, restarts) on
numeric features that are imputed with the median and standardised first, then profiles
each segment in the features' original units: size, share, churn rate (--churn-column),
mean churn score (--model), revenue and revenue at risk (--revenue-column), and each
feature's mean next to the population's.

--k takes one number, or a range LO-HI: each k is fitted and the one with the best
silhouette (on a sample of up to 10,000 rows) is kept; the sweep is printed.

Outputs: the profile table on stdout; --out the segment of each customer (the id column
and 'segment', CSV or Parquet); --profiles the profiles as JSON. The file is read whole.

Exit status: 0 done, 2 usage, data or I/O error.
"""

_EPILOG = """\
examples:
  churn segment customers.csv --features tenure_months,monthly_charges,support_tickets --k 4
  churn segment customers.csv --k 2-8 --model model.json --revenue-column monthly_charges \\
        --churn-column churned --out segments.csv --profiles profiles.json
"""


def register(sub, parents):
    p = sub.add_parser(NAME, parents=parents, help="K-means segments and profiles",
                       description=_DESCRIPTION, epilog=_EPILOG, formatter_class=HelpFormatter)
    p.add_argument("data", nargs="?", metavar="DATA", help="CSV or Parquet file ('-': stdin)")
    p.add_argument("--features", metavar="LIST",
                   help="numeric columns to cluster on, comma-separated (default: every "
                        "numeric column but the churn column)")
    p.add_argument("--k", default="4", metavar="K|LO-HI", help="segments, or a range to sweep")
    p.add_argument("--n-init", type=int, default=4, help="K-means restarts")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--model", metavar="MODEL", help="a bundle that scores the customers")
    p.add_argument("--churn-column", metavar="COL", help="observed churn (0/1) column")
    p.add_argument("--revenue-column", metavar="COL", help="revenue column")
    p.add_argument("--id-column", metavar="COL", default="customer_id",
                   help="id column copied into --out")
    p.add_argument("--out", metavar="OUT", help="segment per customer (CSV/Parquet, '-')")
    p.add_argument("--profiles", metavar="OUT.json", help="profiles as JSON ('-': stdout)")
    p.add_argument("--input-format", choices=_common.FORMATS, help="format of DATA")
    return p


def _ks(text):
    text = str(text)
    lo, sep, hi = text.partition("-")
    try:
        ks = list(range(int(lo), int(hi) + 1)) if sep else [int(lo)]
    except ValueError:
        raise CliError(f"--k must be a number or a range LO-HI, got {text!r}") from None
    if not ks or min(ks) < 1:
        raise CliError(f"--k must be >= 1 (a range LO-HI with LO <= HI), got {text!r}")
    return ks


def run(args):
    import numpy as np
    import pandas as pd

    import churnlib as cl

    _common.require(args, "data")
    fmt = _common.file_format(args.data, args.input_format, "input")
    ks = _ks(args.k)
    table = _common.read_table(args.data, fmt)
    df = table.to_pandas()
    numeric = [n for n, t in table.dtypes.items() if t in ("float64", "int64")]
    features = (_common.csv_list(args.features) if args.features
                else [n for n in numeric if n != args.churn_column])
    for what, cols in (("--features", features),
                       ("--churn-column", [args.churn_column] if args.churn_column else []),
                       ("--revenue-column", [args.revenue_column] if args.revenue_column else [])):
        missing = [c for c in cols if c not in df.columns]
        if missing:
            raise CliError(f"{what}: no column {', '.join(map(repr, missing))} in '{args.data}'")
    not_numeric = [c for c in features if c not in numeric]
    if not features or not_numeric:
        raise CliError("--features must name numeric columns"
                       + (f" ({', '.join(not_numeric)} are not)" if not_numeric else ""))
    if len(df) < max(ks):
        raise CliError(f"{len(df)} rows cannot make {max(ks)} segments")
    prep = cl.FeaturePipeline(output="numpy").impute(features).scale(features).select(features)
    X = prep.fit_transform(df)
    k = ks[0]
    if len(ks) > 1:
        sweep = cl.segment.sweep_k(X, ks, seed=args.seed, n_init=args.n_init,
                                   silhouette_sample_size=10_000)
        sys.stdout.write(sweep.to_string(index=False) + "\n\n")
        k = int(sweep.loc[sweep["silhouette"].idxmax(), "n_clusters"])
        _common.log.info("k = %d has the best silhouette", k)
    km = cl.KMeans(k, n_init=args.n_init, seed=args.seed).fit(X)
    score = None
    if args.model:
        score = _model.load_model(args.model).predict_proba(table)[:, 1]
    churned = df[args.churn_column].to_numpy(dtype=np.float64) if args.churn_column else None
    revenue = df[args.revenue_column].to_numpy(dtype=np.float64) if args.revenue_column else None
    prof = cl.segment.profile_segments(df[features], km.labels_, churned=churned, score=score,
                                       revenue=revenue)
    if args.profiles != "-":
        sys.stdout.write(prof.to_pandas().to_string() + "\n")
        sys.stdout.flush()
    if args.profiles:
        _common.write_text(args.profiles, prof.to_json() + "\n")
    if args.out:
        out = pd.DataFrame({"segment": km.labels_.astype(np.int64)})
        if args.id_column in df.columns:
            out.insert(0, args.id_column, df[args.id_column].to_numpy())
        with _common.AtomicOutput(args.out) as f:
            writer = _common.TableWriter(f, _common.file_format(args.out, None, "output"))
            writer.write(out)
            writer.close()
    _common.log.info("%d customers in %d segments (inertia %.4g)", len(df), k, km.inertia_,
                     extra={"fields": {"rows": len(df), "k": k}})
    return EXIT_OK
