"""churnlib on Dask: scoring, drift and event features of Dask DataFrames, equal to the
single-machine results.

Import it explicitly (``import churnlib.dask``); it needs ``dask[dataframe]`` (and
``distributed`` for a cluster). Every function builds a lazy graph (or computes a small
result on the client) and works with any scheduler: threads, processes (forked workers run
churnlib's multi-threaded code correctly) or a ``distributed`` cluster.

* :func:`score`: ``map_partitions`` with the model as one graph node (sent to each worker once,
  not once per partition); text columns matched to the model's category labels.
* :func:`compare`: each partition accumulates on the baseline's bins, the parts merge in a
  tree inside the graph, and the report equals ``Baseline.compare`` on the computed frame.
* :func:`fit_baseline`: edges from a sample of at most ``sample_rows`` rows (exact when the
  data has no more), every count and sum from all rows.
* :func:`event_features`: events and customers split into customer buckets (a hash of the id),
  each bucket aggregated by the :class:`churnlib.EventAggregator`.
"""

from __future__ import annotations

import numpy as np

from . import _distributed as _d
from .errors import InvalidArgument, TypeMismatch

__all__ = ["score", "compare", "fit_baseline", "event_features"]


def _dask():
    try:
        import dask
        import dask.dataframe as dd
    except ImportError:
        raise ImportError("churnlib.dask needs Dask (pip install 'dask[dataframe]')") from None
    return dask, dd


def _check_ddf(ddf, who, what="ddf"):
    _, dd = _dask()
    if not isinstance(ddf, dd.DataFrame):
        raise TypeMismatch(f"{who}(): {what} must be a dask.dataframe.DataFrame, got "
                           f"{type(ddf).__name__}")
    return ddf


def _score_partition(part, model, keep, n_reasons, validate, names, meta):
    out = _d.score_pandas(model, part, keep=keep, n_reasons=n_reasons, validate=validate)
    if out is None:
        return meta
    return out[names]


def score(ddf, model, *, keep=None, n_reasons=0, validate=True):
    """Scores a Dask DataFrame partition by partition.

    Parameters
    ----------
    ddf : dask.dataframe.DataFrame
    model : ChurnModel or fitted GBDTClassifier / RandomForestClassifier / LogisticRegression
    keep : str or list of str, optional
        Input columns copied into the output, first (a ChurnModel's id column always is).
    n_reasons : int, default 0
        Reasons per customer (ChurnModel only).
    validate : bool, default True
        Check the ChurnModel's data contract on every partition.

    Returns
    -------
    dask.dataframe.DataFrame
        The kept columns, ``probability`` and (ChurnModel) ``prediction`` and the reasons,
        with the input's partitions and index reset within each partition.
    """
    who = "churnlib.dask.score"
    dask, _ = _dask()
    _check_ddf(ddf, who)
    model = _d.check_model(model, who)
    n_reasons = _d.check_n_reasons(n_reasons, model, who)
    if keep is None:
        keep = []
    elif isinstance(keep, str):
        keep = [keep]
    keep = [str(c) for c in keep]
    if _d.is_bundle(model) and model.id_column_ and model.id_column_ not in keep:
        keep = [model.id_column_] + keep
    missing = [c for c in keep if c not in ddf.columns]
    if missing:
        raise InvalidArgument(f"{who}(): keep names {', '.join(map(repr, missing))}, not a "
                              "column of the DataFrame")
    reads = _d.input_columns(model)
    if not _d.is_bundle(model):
        missing = [c for c in reads if c not in ddf.columns]
        if missing:
            raise InvalidArgument(f"{who}(): the DataFrame has no column "
                                  f"{', '.join(map(repr, missing))} that the model reads")
    columns = keep + [c for c in reads if c in ddf.columns and c not in keep]
    dtypes = ddf.dtypes
    out_cols = _d.output_dtypes(model, n_reasons, [(c, dtypes[c]) for c in keep])
    meta = _d.empty_frame(out_cols)
    names = list(meta.columns)
    # one graph node: each worker receives (and unpickles) the model once
    model_node = dask.delayed(model, pure=True, traverse=False)
    return ddf[columns].map_partitions(_score_partition, model_node, keep, n_reasons, validate,
                                       names, meta, meta=meta, align_dataframes=False)


def _accumulate_partition(part, baseline, score_col):
    return _d.accumulate(baseline, part, score_col)


def _merge_pair(a, b):
    return _d.merge_tree([a, b])


def _accumulated(ddf, baseline, score_col, who):
    dask, _ = _dask()
    columns = _d.drift_columns(baseline, ddf.columns, score_col, who)
    base_node = dask.delayed(baseline, pure=True, traverse=False)
    parts = [dask.delayed(_accumulate_partition, pure=True)(p, base_node, score_col)
             for p in ddf[columns].to_delayed()]
    while len(parts) > 1:  # a tree of merges inside the graph
        nxt = [dask.delayed(_merge_pair, pure=True)(parts[i], parts[i + 1])
               for i in range(0, len(parts) - 1, 2)]
        if len(parts) % 2:
            nxt.append(parts[-1])
        parts = nxt
    return parts[0].compute() if parts else None


def compare(ddf, baseline, score_col=None):
    """Drift of a Dask DataFrame against a baseline (computes; returns a DriftReport equal to
    ``baseline.compare`` on the computed frame)."""
    who = "churnlib.dask.compare"
    _check_ddf(ddf, who)
    baseline = _d.check_baseline(baseline, who)
    merged = _accumulated(ddf, baseline, score_col, who)
    if merged is None:
        raise InvalidArgument(f"{who}(): the DataFrame has no rows")
    return baseline.compare(merged)


def fit_baseline(ddf, features=None, *, score_col=None, sample_rows=100_000, seed=0,
                 **params):
    """Fits a :class:`churnlib.monitor.Baseline` on a Dask DataFrame: edges from a sample of
    about ``sample_rows`` rows (every row, so exact, when there are no more), counts and sums
    from all rows. See :func:`churnlib.spark.fit_baseline`."""
    who = "churnlib.dask.fit_baseline"
    from .monitor import Baseline

    _check_ddf(ddf, who)
    sample_rows = _d.check_sample_rows(sample_rows, who)
    if features is None:
        features = [c for c in ddf.columns if c != score_col]
    features = [str(c) for c in features]
    columns = features + ([score_col] if score_col else [])
    missing = [c for c in columns if c not in ddf.columns]
    if missing:
        raise InvalidArgument(f"{who}(): the DataFrame has no column "
                              f"{', '.join(map(repr, missing))}")
    sel = ddf[columns]
    n = int(sel.shape[0].compute())
    if n == 0:
        raise InvalidArgument(f"{who}(): the DataFrame has no rows")
    if n > sample_rows:
        sample = sel.sample(frac=min(1.0, 1.2 * sample_rows / n), random_state=int(seed)) \
            .compute().iloc[:sample_rows]
    else:
        sample = sel.compute()
    score = None
    if score_col:
        score = np.asarray(sample.pop(score_col), dtype=np.float64)
    base = Baseline(**params).fit(sample, score)
    if n <= sample_rows:
        return base
    return _accumulated(ddf, base, score_col, who)


def _split(part, key, n):
    """A partition's rows by customer bucket: a list of n frames."""
    b = _d.bucket_of(part[key], n)
    order = np.argsort(b, kind="stable")
    bounds = np.searchsorted(b[order], np.arange(n + 1))
    return [part.iloc[order[bounds[i]:bounds[i + 1]]] for i in range(n)]


def _concat(frames, empty):
    import pandas as pd

    frames = [f for f in frames if len(f)]
    return pd.concat(frames, ignore_index=True) if frames else empty


def _types_of_bucket(aggregator, events, customers, as_of, as_of_col):
    return _d.counted_types(aggregator, events, customers, as_of, as_of_col)


def _features_of_bucket(aggregator, events, customers, as_of, as_of_col, keys, meta):
    out = _d.feature_frame(aggregator, events, customers, as_of, as_of_col, keys)
    return meta if out is None else out[list(meta.columns)]


def event_features(events, customers, aggregator, *, as_of=None, as_of_col=None,
                   n_buckets=None):
    """Point-in-time event features of a Dask event log (lazy Dask DataFrame of the key
    columns and the features, one partition per customer bucket). ``customers``: a Dask or
    pandas DataFrame with the customer column (and ``as_of_col``). Equal, row for row after
    sorting, to ``aggregator.transform`` on the computed frames."""
    who = "churnlib.dask.event_features"
    dask, dd = _dask()
    import pandas as pd

    _check_ddf(events, who, "events")
    aggregator = _d.check_aggregator(aggregator, as_of, as_of_col, who)
    cc = _d.event_columns(aggregator)[0]
    keys = [cc] + ([str(as_of_col)] if as_of_col is not None else [])
    if isinstance(customers, pd.DataFrame):
        customers = dd.from_pandas(customers, npartitions=1)
    _check_ddf(customers, who, "customers")
    missing = [c for c in keys if c not in customers.columns]
    if missing:
        raise InvalidArgument(f"{who}(): customers has no column {', '.join(map(repr, missing))}")
    ev_cols = [c for c in _d.event_columns(aggregator) if c]
    missing = [c for c in ev_cols if c not in events.columns]
    if missing:
        raise InvalidArgument(f"{who}(): the events have no column "
                              f"{', '.join(map(repr, missing))}")
    n = n_buckets if n_buckets is not None else max(events.npartitions, customers.npartitions)
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= 100_000:
        raise InvalidArgument(f"{who}(): n_buckets must be an int in [1, 100000], got {n!r}")
    ev_meta = events[ev_cols]._meta
    cu_meta = customers[keys]._meta
    split = dask.delayed(_split, pure=True, nout=n)
    ev_pieces = [split(p, cc, n) for p in events[ev_cols].to_delayed()]
    cu_pieces = [split(p, cc, n) for p in customers[keys].to_delayed()]
    concat = dask.delayed(_concat, pure=True)
    ev_b = [concat([pc[i] for pc in ev_pieces], ev_meta) for i in range(n)]
    cu_b = [concat([pc[i] for pc in cu_pieces], cu_meta) for i in range(n)]
    if aggregator.get_params().get("event_types") is None:
        types = dask.compute(*[dask.delayed(_types_of_bucket, pure=True)(
            aggregator, ev_b[i], cu_b[i], as_of, as_of_col) for i in range(n)])
        aggregator = _d.with_event_types(aggregator, sorted({t for ts in types for t in ts}))
    names = _d.feature_names(aggregator, ev_meta, cu_meta, as_of, as_of_col, keys)
    meta = _d.empty_frame([(k, cu_meta[k].dtype) for k in keys]
                          + [(f, np.dtype("float64")) for f in names])
    agg_node = dask.delayed(aggregator, pure=True, traverse=False)
    parts = [dask.delayed(_features_of_bucket, pure=True)(agg_node, ev_b[i], cu_b[i], as_of,
                                                          as_of_col, keys, meta)
             for i in range(n)]
    return dd.from_delayed(parts, meta=meta, verify_meta=False)
