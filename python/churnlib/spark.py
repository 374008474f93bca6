"""churnlib on Apache Spark: scoring, drift and event features of DataFrames too large for one
machine, equal to the single-machine results.

Import it explicitly (``import churnlib.spark``); it needs PySpark (``pip install pyspark``,
and Java 17 for Spark itself).

* :func:`score` scores a Spark DataFrame with a :class:`churnlib.ChurnModel` or a fitted
  churnlib classifier, batch by batch as Arrow record batches (``mapInArrow``, no pandas in between); the model travels to
  the executors once, as a compressed broadcast, and each Python worker loads it once. Text
  columns are matched to the model's stored category labels. Row for row equal to
  ``model.score`` on the collected frame.
* :func:`compare` measures drift against a :class:`churnlib.monitor.Baseline`: each partition
  accumulates on the baseline's bins, the parts are merged in a tree on the driver (Arrow batches, no pandas); the report
  equals ``Baseline.compare`` on the collected data exactly (counts and sums merge exactly).
* :func:`fit_baseline` fits a baseline on the cluster: the bin edges come from a sample of at
  most ``sample_rows`` rows (from all rows, so exact, when the data has no more), and every
  count, sum, missing count and out-of-range count from all rows, exactly.
* :func:`event_features` computes point-in-time event features: events and customers are
  hashed by customer id into buckets and each bucket is aggregated by the
  :class:`churnlib.EventAggregator`; equal to ``EventAggregator.transform`` on the collected
  log. Without ``event_types`` the types that count are found on the whole log first.
* :class:`DriftStream` is the streaming pattern: pass it to ``foreachBatch`` of a Structured
  Streaming query; each micro-batch accumulates into the current window, and a closed window
  gives a drift report and its alerts.

Timestamps: Spark hands Python naive timestamps in the session time zone
(``spark.sql.session.timeZone``); set it to ``UTC`` when the single-machine data is in UTC.

Example
-------
>>> import churnlib as cl, churnlib.spark  # doctest: +SKIP
>>> scored = cl.spark.score(spark.read.parquet("customers/"), cl.ChurnModel.load("m.json"))
>>> report = cl.spark.compare(spark.read.parquet("customers/"), model.baseline_)
"""

from __future__ import annotations

import numpy as np

from . import _distributed as _d
from .errors import InvalidArgument, TypeMismatch

__all__ = ["score", "compare", "fit_baseline", "event_features", "DriftStream"]

def _pyspark():
    try:
        import pyspark.sql  # noqa: F401
    except ImportError:
        raise ImportError("churnlib.spark needs PySpark (pip install pyspark) and Java 17") from None
    from pyspark.sql import functions, types

    return functions, types


def _check_df(df, who, what="df"):
    from pyspark.sql import DataFrame

    if not isinstance(df, DataFrame):
        raise TypeMismatch(f"{who}(): {what} must be a Spark DataFrame, got {type(df).__name__}")
    return df


def _broadcast(df, blob):
    return df.sparkSession.sparkContext.broadcast(blob)


def _cached(bc, unpack):
    """The broadcast's object, unpacked once per Python worker (a worker keeps one Broadcast
    object per broadcast while its tasks run)."""
    obj = getattr(bc, "_churnlib_object", None)
    if obj is None:
        obj = unpack(bc.value)
        bc._churnlib_object = obj
    return obj


def _spark_type(dtype):
    """The Spark SQL type of a pandas/numpy dtype of a result column."""
    _, T = _pyspark()
    if str(dtype) in ("str", "string", "object", "category"):
        return T.StringType()
    dt = np.dtype(dtype)
    if dt.kind == "f":
        return T.FloatType() if dt.itemsize == 4 else T.DoubleType()
    if dt.kind in "iu":
        return {1: T.ByteType(), 2: T.ShortType(), 4: T.IntegerType()}.get(dt.itemsize,
                                                                          T.LongType())
    if dt.kind == "b":
        return T.BooleanType()
    if dt.kind == "M":
        return T.TimestampType()
    raise TypeMismatch(f"no Spark type for a result column of dtype {dtype}")


def _keep_columns(df, model, keep, who):
    if keep is None:
        keep = []
    elif isinstance(keep, str):
        keep = [keep]
    keep = [str(c) for c in keep]
    if _d.is_bundle(model) and model.id_column_ and model.id_column_ not in keep:
        keep = [model.id_column_] + keep  # a ChurnModel's output always has its id column
    missing = [c for c in keep if c not in df.columns]
    if missing:
        raise InvalidArgument(f"{who}(): keep names {', '.join(map(repr, missing))}, not a "
                              "column of the DataFrame")
    if len(set(keep)) != len(keep):
        raise InvalidArgument(f"{who}(): keep names a column twice")
    return keep


def _bucket(F, column, n):
    return F.pmod(F.hash(F.col(column).cast("string")), F.lit(n)).alias(_d.BUCKET_COLUMN)


def _n_buckets(spark, n_buckets, who):
    if n_buckets is None:
        return max(1, int(spark.conf.get("spark.sql.shuffle.partitions", "200")))
    if isinstance(n_buckets, bool) or not isinstance(n_buckets, int) or not 1 <= n_buckets <= 10**6:
        raise InvalidArgument(f"{who}(): n_buckets must be an int in [1, 1000000], got "
                              f"{n_buckets!r}")
    return n_buckets


def score(df, model, *, keep=None, n_reasons=0, validate=True, events=None, as_of=None,
          n_buckets=None):
    """Scores a Spark DataFrame.

    Parameters
    ----------
    df : pyspark.sql.DataFrame
        The customers: the columns the model reads (text columns for categories are fine).
    model : ChurnModel or fitted GBDTClassifier / RandomForestClassifier / LogisticRegression
        A single classifier must have been fitted on a DataFrame (columns are taken by name).
    keep : str or list of str, optional
        Input columns copied into the output, first (a ChurnModel's id column always is).
    n_reasons : int, default 0
        Reasons per customer (ChurnModel only): ``reason_k``, ``reason_k_contribution``.
    validate : bool, default True
        Check the ChurnModel's data contract on every batch (a violation fails the job with
        the SchemaError's message).
    events : pyspark.sql.DataFrame, optional
        The event log, for a ChurnModel that joins one; customers and events are then hashed
        into ``n_buckets`` buckets by customer id and scored bucket by bucket.
    as_of : date-like, optional
        The date the events are aggregated at (with ``events``).
    n_buckets : int, optional
        Buckets with ``events`` (default ``spark.sql.shuffle.partitions``).

    Returns
    -------
    pyspark.sql.DataFrame
        The kept columns, ``probability`` (P(churn), calibrated for a ChurnModel) and, for a
        ChurnModel, ``prediction`` (the label at its threshold) and the reasons. Lazy: nothing
        runs until an action (write, count, collect).
    """
    who = "churnlib.spark.score"
    _, T = _pyspark()
    _check_df(df, who)
    model = _d.check_model(model, who)
    n_reasons = _d.check_n_reasons(n_reasons, model, who)
    keep = _keep_columns(df, model, keep, who)
    reads = _d.input_columns(model)
    if not _d.is_bundle(model):
        missing = [c for c in reads if c not in df.columns]
        if missing:
            raise InvalidArgument(f"{who}(): the DataFrame has no column "
                                  f"{', '.join(map(repr, missing))} that the model reads")
    present = [c for c in reads if c in df.columns and c not in keep]
    columns = keep + present
    keep_types = {f.name: f.dataType for f in df.schema.fields}
    out_cols = _d.output_dtypes(model, n_reasons, [(c, "object") for c in keep])
    schema = T.StructType([T.StructField(name, keep_types[name] if name in keep
                                         else _spark_type(dtype), True)
                           for name, dtype in out_cols])
    bc = _broadcast(df, _d.pack_model(model))
    names = [name for name, _ in out_cols]

    if events is None:
        if as_of is not None:
            raise InvalidArgument(f"{who}(): as_of goes with events")

        large = str(df.sparkSession.conf.get("spark.sql.execution.arrow.useLargeVarTypes",
                                             "false")).lower() == "true"

        def run(batches):  # Arrow record batches in and out: no pandas, no Python objects
            m = _cached(bc, _d.unpack_model)
            for batch in batches:
                out = _d.score_arrow(m, batch, keep=keep, n_reasons=n_reasons,
                                     validate=validate, large_strings=large)
                if out is not None:
                    yield out

        return df.select(*columns).mapInArrow(run, schema)

    if not _d.is_bundle(model):
        raise InvalidArgument(f"{who}(): events need a ChurnModel")
    _check_df(events, who, "events")
    if as_of is None:
        raise InvalidArgument(f"{who}(): events need as_of")
    id_col = model.id_column_
    if not id_col:
        raise InvalidArgument(f"{who}(): scoring with events needs a ChurnModel with an id "
                              "column")
    F, _ = _pyspark()
    n = _n_buckets(df.sparkSession, n_buckets, who)
    event_cols = list(events.columns)

    def run_bucket(customers, evs):
        m = _cached(bc, _d.unpack_model)
        import pandas as pd

        customers = customers.drop(columns=[_d.BUCKET_COLUMN])
        if evs.shape[1] == 0:
            evs = pd.DataFrame({c: [] for c in event_cols})
        else:
            evs = evs.drop(columns=[_d.BUCKET_COLUMN])
        out = _d.score_pandas(m, customers, keep=keep, n_reasons=n_reasons, validate=validate,
                              events=evs, as_of=as_of)
        return _d.empty_frame([(c, "object") for c in names]) if out is None else out[names]

    cu = df.select(*columns, _bucket(F, id_col, n))
    ev = events.select(*event_cols, _bucket(F, id_col, n))
    return cu.groupBy(_d.BUCKET_COLUMN).cogroup(ev.groupBy(_d.BUCKET_COLUMN)) \
        .applyInPandas(run_bucket, schema)


def _accumulated(df, baseline, score_col, who):
    """The baseline of all of df's rows on ``baseline``'s bins (None without rows)."""
    columns = _d.drift_columns(baseline, df.columns, score_col, who)
    bc = _broadcast(df, _d.pack_part(baseline))
    part_col = _d.PART_COLUMN

    def run(batches):  # Arrow record batches read by churnlib's Arrow reader: no pandas
        import pyarrow as pa

        base = _cached(bc, _d.unpack_part)
        merged = _d.merge_tree([_d.accumulate_arrow(base, b, score_col) for b in batches])
        if merged is not None:
            yield pa.RecordBatch.from_arrays([pa.array([_d.pack_part(merged)], pa.binary())],
                                             names=[part_col])

    rows = df.select(*columns).mapInArrow(run, f"{part_col} binary").collect()
    return _d.merge_tree([_d.unpack_part(bytes(r[0])) for r in rows])


def compare(df, baseline, score_col=None):
    """Drift of a Spark DataFrame against a baseline.

    Parameters
    ----------
    df : pyspark.sql.DataFrame
        The current batch: the baseline's features (a missing one gets the status
        ``missing_column``; other columns are ignored).
    baseline : churnlib.monitor.Baseline
    score_col : str, optional
        The column of model scores (for a baseline fitted with scores).

    Returns
    -------
    churnlib.monitor.DriftReport
        Equal to ``baseline.compare(collected_frame, score)``.
    """
    who = "churnlib.spark.compare"
    _check_df(df, who)
    baseline = _d.check_baseline(baseline, who)
    merged = _accumulated(df, baseline, score_col, who)
    if merged is None:
        raise InvalidArgument(f"{who}(): the DataFrame has no rows")
    return baseline.compare(merged)


def fit_baseline(df, features=None, *, score_col=None, sample_rows=100_000, seed=0,
                 **params):
    """Fits a :class:`churnlib.monitor.Baseline` on a Spark DataFrame.

    The bins' edges come from a sample of about ``sample_rows`` rows (all rows when the data
    has no more, which makes the result equal to ``Baseline.fit`` on the collected data);
    counts, sums, missing and out-of-range counts come from every row, exactly.

    Parameters
    ----------
    df : pyspark.sql.DataFrame
    features : list of str, optional
        The feature columns (default: every column but ``score_col``).
    score_col : str, optional
        The column of model scores.
    sample_rows : int, default 100000
    seed : int, default 0
        Seed of the sample.
    **params
        Baseline parameters (bins, binning, epsilon, moderate, significant, ...).

    Returns
    -------
    churnlib.monitor.Baseline
    """
    who = "churnlib.spark.fit_baseline"
    from .monitor import Baseline

    _check_df(df, who)
    sample_rows = _d.check_sample_rows(sample_rows, who)
    if features is None:
        features = [c for c in df.columns if c != score_col]
    features = [str(c) for c in features]
    missing = [c for c in features + ([score_col] if score_col else []) if c not in df.columns]
    if missing:
        raise InvalidArgument(f"{who}(): the DataFrame has no column "
                              f"{', '.join(map(repr, missing))}")
    base = Baseline(**params)
    columns = features + ([score_col] if score_col else [])
    n = df.count()
    if n == 0:
        raise InvalidArgument(f"{who}(): the DataFrame has no rows")
    sel = df.select(*columns)
    if n > sample_rows:
        sel = sel.sample(fraction=min(1.0, 1.2 * sample_rows / n), seed=int(seed)) \
            .limit(sample_rows)
    sample = sel.toPandas()
    score = None
    if score_col:
        score = np.asarray(sample.pop(score_col), dtype=np.float64)
    base.fit(sample, score)
    if n <= sample_rows:
        return base
    return _accumulated(df, base, score_col, who)


def _types_on_cluster(events, customers, aggregator, as_of, as_of_col, n, keys):
    """The event types that count on the whole log (sorted), found bucket by bucket."""
    F, _ = _pyspark()
    cc, tc, yc, _ = _d.event_columns(aggregator)
    ev_cols = [cc, tc, yc]
    missing = [c for c in ev_cols if c not in events.columns]
    if missing:
        raise InvalidArgument(f"churnlib.spark.event_features(): the events have no column "
                              f"{', '.join(map(repr, missing))}")

    def run(cu, ev):
        import pandas as pd

        if ev.shape[1] == 0 or cu.shape[1] == 0:
            return pd.DataFrame({yc: pd.Series([], dtype="object")})
        types = _d.counted_types(aggregator, ev, cu, as_of, as_of_col)
        return pd.DataFrame({yc: pd.Series(types, dtype="object")})

    cu = customers.select(*keys, _bucket(F, cc, n))
    ev = events.select(*ev_cols, _bucket(F, cc, n))
    rows = cu.groupBy(_d.BUCKET_COLUMN).cogroup(ev.groupBy(_d.BUCKET_COLUMN)) \
        .applyInPandas(run, f"`{yc}` string").distinct().collect()
    return sorted(str(r[0]) for r in rows)


def event_features(events, customers, aggregator, *, as_of=None, as_of_col=None,
                   n_buckets=None):
    """Point-in-time event features of a Spark event log.

    Parameters
    ----------
    events : pyspark.sql.DataFrame
        The event log (the aggregator's customer, time, type and amount columns).
    customers : pyspark.sql.DataFrame
        One row per output row: the customer column (and ``as_of_col``).
    aggregator : churnlib.EventAggregator
    as_of, as_of_col : see :meth:`churnlib.EventAggregator.start`
    n_buckets : int, optional
        Customer buckets (default ``spark.sql.shuffle.partitions``).

    Returns
    -------
    pyspark.sql.DataFrame
        The key columns (customer, and as-of) and the features (doubles), one row per row of
        ``customers``, in no particular order. Equal to
        ``aggregator.transform(events, customers, ...)`` on the collected frames.
    """
    who = "churnlib.spark.event_features"
    F, T = _pyspark()
    _check_df(events, who, "events")
    _check_df(customers, who, "customers")
    aggregator = _d.check_aggregator(aggregator, as_of, as_of_col, who)
    cc = _d.event_columns(aggregator)[0]
    keys = [cc] + ([str(as_of_col)] if as_of_col is not None else [])
    missing = [c for c in keys if c not in customers.columns]
    if missing:
        raise InvalidArgument(f"{who}(): customers has no column {', '.join(map(repr, missing))}")
    n = _n_buckets(events.sparkSession, n_buckets, who)
    if aggregator.get_params().get("event_types") is None:
        types = _types_on_cluster(events, customers, aggregator, as_of, as_of_col, n, keys)
        aggregator = _d.with_event_types(aggregator, types)
    ev_cols = [c for c in _d.event_columns(aggregator) if c]
    missing = [c for c in ev_cols if c not in events.columns]
    if missing:
        raise InvalidArgument(f"{who}(): the events have no column "
                              f"{', '.join(map(repr, missing))}")
    ev_empty = events.select(*ev_cols).limit(0).toPandas()
    cu_empty = customers.select(*keys).limit(0).toPandas()
    names = _d.feature_names(aggregator, ev_empty, cu_empty, as_of, as_of_col, keys)
    key_types = {f.name: f.dataType for f in customers.schema.fields}
    schema = T.StructType([T.StructField(k, key_types[k], True) for k in keys]
                          + [T.StructField(f, T.DoubleType(), True) for f in names])
    columns = keys + names
    bc = _broadcast(events, _d.pack_part(aggregator))

    def run(cu, ev):
        import pandas as pd

        agg = _cached(bc, _d.unpack_part)
        if cu.shape[1] == 0 or len(cu) == 0:
            return _d.empty_frame([(c, "object") for c in columns])
        ev = ev_empty if ev.shape[1] == 0 else ev.drop(columns=[_d.BUCKET_COLUMN])
        out = _d.feature_frame(agg, ev, cu, as_of, as_of_col, keys)
        return pd.DataFrame(out)[columns]

    cu = customers.select(*keys, _bucket(F, cc, n))
    ev = events.select(*ev_cols, _bucket(F, cc, n))
    return cu.groupBy(_d.BUCKET_COLUMN).cogroup(ev.groupBy(_d.BUCKET_COLUMN)) \
        .applyInPandas(run, schema)


class DriftStream:
    """Drift of a Structured Streaming query, window by window (pass it to ``foreachBatch``).

    Each micro-batch is accumulated on the baseline's bins on the executors and merged into
    the current window; after ``window_batches`` micro-batches (or when the window holds at
    least ``window_rows`` rows) the window is compared with the baseline, its report and
    alerts are kept (and passed to ``on_window``), and a new window starts.

    Parameters
    ----------
    baseline : churnlib.monitor.Baseline
    score_col : str, optional
        The column of model scores.
    window_batches : int, default 1
    window_rows : int, optional
        Close a window as soon as it holds this many rows (instead of counting batches).
    on_window : callable, optional
        Called as ``on_window(window)`` with each closed window (a dict, see ``windows``).

    Attributes
    ----------
    windows : list of dict
        Closed windows: ``index``, ``batch_ids``, ``n_rows``, ``report``
        (:class:`churnlib.monitor.DriftReport`) and ``alerts`` (its alerts, a list of dicts).

    Examples
    --------
    >>> stream = cl.spark.DriftStream(model.baseline_, window_batches=4)  # doctest: +SKIP
    >>> query = (spark.readStream.schema(schema).csv("incoming/")
    ...          .writeStream.foreachBatch(stream).trigger(availableNow=True).start())
    >>> query.awaitTermination(); stream.flush()
    >>> [w["report"].share_drifting for w in stream.windows]
    """

    def __init__(self, baseline, *, score_col=None, window_batches=1, window_rows=None,
                 on_window=None):
        who = "churnlib.spark.DriftStream"
        self.baseline = _d.check_baseline(baseline, who)
        if isinstance(window_batches, bool) or not isinstance(window_batches, int) \
                or window_batches < 1:
            raise InvalidArgument(f"{who}(): window_batches must be a positive int, got "
                                  f"{window_batches!r}")
        if window_rows is not None and (isinstance(window_rows, bool)
                                        or not isinstance(window_rows, int) or window_rows < 1):
            raise InvalidArgument(f"{who}(): window_rows must be a positive int, got "
                                  f"{window_rows!r}")
        if on_window is not None and not callable(on_window):
            raise TypeMismatch(f"{who}(): on_window must be callable")
        self.score_col = score_col
        self.window_batches = window_batches
        self.window_rows = window_rows
        self.on_window = on_window
        self.windows = []
        self._part = None
        self._batch_ids = []

    def __call__(self, batch_df, batch_id):
        """One micro-batch (``foreachBatch``'s callback)."""
        part = _accumulated(batch_df, self.baseline, self.score_col,
                            "churnlib.spark.DriftStream")
        self._batch_ids.append(int(batch_id))
        if part is not None:
            self._part = part if self._part is None else self._part.merge(part)
        rows = 0 if self._part is None else self._part.n_rows_
        if (self.window_rows is not None and rows >= self.window_rows) or \
                (self.window_rows is None and len(self._batch_ids) >= self.window_batches):
            self.flush()

    def flush(self):
        """Closes the current window (when it has rows); returns it, or None."""
        part, ids = self._part, self._batch_ids
        self._part, self._batch_ids = None, []
        if part is None:
            return None
        report = self.baseline.compare(part)
        window = {"index": len(self.windows), "batch_ids": ids, "n_rows": part.n_rows_,
                  "report": report, "alerts": list(report.alerts)}
        self.windows.append(window)
        if self.on_window is not None:
            self.on_window(window)
        return window
