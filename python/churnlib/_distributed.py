"""What churnlib.spark and churnlib.dask share (private): the work done on one partition
(pandas or Arrow in, pandas out) and the merges done on the driver. Nothing here imports
Spark or Dask.

A partition's work is a plain function of plain arguments (the model, the baseline and the
aggregator pickle compactly), so the engines only decide where it runs. Every result equals
the single-machine call on the collected data:

* scoring is row by row;
* drift accumulates each partition on the baseline's bins and merges the parts; counts and
  sums are exact, so any merge order gives bit-identical reports;
* event features are computed per customer bucket: all events and rows of a customer are in
  one bucket, and the aggregation of a customer does not depend on the others, except for the
  event types found in the data, which are found on the whole log first.
"""

from __future__ import annotations

import numbers
import pickle
import zlib

import numpy as np

from . import _core, _frames
from .errors import InvalidArgument, TypeMismatch

#: Column holding a pickled partial baseline in the engines' intermediate frames.
PART_COLUMN = "churnlib_part"
#: Column holding a customer's bucket (a hash of the id's text) while event data is shuffled.
BUCKET_COLUMN = "_churnlib_bucket"


# ---- models ---------------------------------------------------------------------------------

def is_bundle(model):
    from .model import ChurnModel

    return isinstance(model, ChurnModel)


def check_model(model, who):
    """The model as given, after checking that it can score: a fitted ChurnModel or a fitted
    churnlib classifier (GBDT, random forest, logistic regression)."""
    from ._estimator import BinaryClassifier

    if is_bundle(model):
        model._fitted(f"{who}()")
        return model
    if not isinstance(model, BinaryClassifier):
        raise TypeMismatch(f"{who}(): expected a churnlib.ChurnModel or a fitted churnlib "
                           f"classifier (GBDTClassifier, RandomForestClassifier, "
                           f"LogisticRegression), got {type(model).__name__}")
    model._fitted_core(f"{who}()")
    if getattr(model, "feature_names_in_", None) is None:
        raise InvalidArgument(f"{who}(): the {type(model).__name__} was fitted on a matrix; "
                              "distributed scoring selects the columns by name, so fit it on "
                              "a DataFrame")
    return model


def input_columns(model):
    """The input columns a model reads."""
    if is_bundle(model):
        return list(model.feature_names_in_)
    return [str(c) for c in model.feature_names_in_]


def check_n_reasons(n_reasons, model, who):
    if isinstance(n_reasons, (bool, np.bool_)) or not isinstance(n_reasons, numbers.Integral) \
            or not 0 <= int(n_reasons) <= 1000:
        raise InvalidArgument(f"{who}(): n_reasons must be an int in [0, 1000], got "
                              f"{n_reasons!r}")
    if n_reasons and not is_bundle(model):
        raise InvalidArgument(f"{who}(): n_reasons needs a ChurnModel (a single classifier "
                              "gives probabilities only)")
    return int(n_reasons)


def output_dtypes(model, n_reasons, keep_dtypes):
    """(name, dtype) of the scored frame's columns: the kept columns, then the model's
    outputs. ``keep_dtypes`` is a list of (name, pandas dtype) of the kept input columns."""
    out = list(keep_dtypes)
    if is_bundle(model):
        out.append(("probability", np.dtype("float64")))
        out.append(("prediction", np.asarray(model.classes_).dtype))
        for k in range(1, n_reasons + 1):
            out.append((f"reason_{k}", "str"))
            out.append((f"reason_{k}_contribution", np.dtype("float64")))
    else:
        out.append(("probability", np.dtype("float64")))
    return out


def empty_frame(columns):
    """An empty pandas frame with these (name, dtype) columns (Dask's ``meta``)."""
    import pandas as pd

    return pd.DataFrame({name: pd.Series([], dtype=dtype) for name, dtype in columns})


def _estimator_input(model, data):
    """The columns of ``data`` (pandas) the estimator reads, text columns that were categories
    in fit turned into categories (matched to the training labels by the estimator)."""
    import pandas as pd

    cols = input_columns(model)
    missing = [c for c in cols if c not in data.columns]
    if missing:
        raise InvalidArgument(f"the data has no column {', '.join(repr(c) for c in missing)} "
                              "that the model reads")
    X = data[cols]
    cats = getattr(model, "_train_categories", None) or [[] for _ in cols]
    fixed = {}
    for name, labels in zip(cols, cats):
        if labels and not isinstance(X[name].dtype, pd.CategoricalDtype):
            fixed[name] = X[name].astype("category")
    return X.assign(**fixed) if fixed else X


def score_pandas(model, data, *, keep, n_reasons, validate, events=None, as_of=None):
    """Scores one partition (a pandas frame, or an Arrow table/batch for a model without
    events); returns a pandas frame of :func:`output_dtypes`' columns."""
    import pandas as pd

    if _frames.is_arrow_frame(data):
        table = _core.Table.from_arrow(data)
        n = table.num_rows
        kept = table.select(list(keep)).to_pandas() if keep else None
    else:
        table, n = data, len(data)
        kept = data[list(keep)].reset_index(drop=True) if keep else None
    if is_bundle(model):
        if n == 0:
            return None
        out = model._core.score(table, events, as_of, n_reasons=n_reasons, validate=validate)
        out = out.to_pandas()
        id_col = model.id_column_
        if id_col:
            out = out.drop(columns=[id_col])
        for k in range(1, n_reasons + 1):
            name = f"reason_{k}"
            out[name] = out[name].astype("str")
    else:
        if n == 0:
            return None
        frame = table.to_pandas() if isinstance(table, _core.Table) else table
        p = model.predict_proba(_estimator_input(model, frame))[:, 1]
        out = pd.DataFrame({"probability": p})
    if kept is not None:
        out = pd.concat([kept, out.reset_index(drop=True)], axis=1)
    return out


def score_arrow(model, batch, *, keep, n_reasons, validate, large_strings=False):
    """Scores one Arrow record batch without pandas (Spark's ``mapInArrow``): the batch is read
    by churnlib's Arrow reader, the kept columns are passed through as they are, the outputs
    are built from the result's arrays. Returns a pyarrow.RecordBatch, or None for no rows."""
    import pyarrow as pa

    if batch.num_rows == 0:
        return None
    text = pa.large_string() if large_strings else pa.string()
    names, arrays = list(keep), [batch.column(batch.schema.get_field_index(c)) for c in keep]
    if is_bundle(model):
        reads = [c for c in batch.schema.names if c not in keep or c in model.feature_names_in_]
        out = model._core.score(_core.Table.from_arrow(batch.select(reads)), None, None,
                                n_reasons=n_reasons, validate=validate)
        names += ["probability", "prediction"]
        arrays += [pa.array(out.column("probability")), pa.array(out.column("prediction"))]
        for k in range(1, n_reasons + 1):
            name = f"reason_{k}"
            codes = np.asarray(out.column(name))
            labels = pa.array(list(out.categories(name)), type=pa.string())
            reason = pa.DictionaryArray.from_arrays(pa.array(codes, mask=codes < 0), labels)
            names += [name, f"{name}_contribution"]
            arrays += [reason.cast(text), pa.array(out.column(f"{name}_contribution"))]
    else:
        cols = input_columns(model)
        table = _core.Table.from_arrow(batch.select(cols), strings="category")
        names.append("probability")
        arrays.append(pa.array(model.predict_proba(table)[:, 1]))
    return pa.RecordBatch.from_arrays(arrays, names=names)


def pack_model(model):
    """The bytes a model travels as (zlib-compressed pickle): shipped once per job."""
    return zlib.compress(pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL), 1)


def unpack_model(blob):
    return pickle.loads(zlib.decompress(blob))


# ---- drift ----------------------------------------------------------------------------------

def check_baseline(baseline, who):
    from .monitor import Baseline

    if not isinstance(baseline, Baseline):
        raise TypeMismatch(f"{who}(): expected a churnlib.monitor.Baseline, got "
                           f"{type(baseline).__name__}")
    baseline._fitted(who)
    return baseline


def drift_columns(baseline, columns, score_col, who):
    """The columns a partition needs: the baseline's features present in the data (a missing
    one gets the status missing_column, as in Baseline.compare) and the score column."""
    columns = [str(c) for c in columns]
    if score_col is not None:
        if score_col not in columns:
            raise InvalidArgument(f"{who}(): the data has no score column '{score_col}'")
        if not baseline.has_score_:
            raise InvalidArgument(f"{who}(): the baseline was fitted without scores; "
                                  "leave score_col out")
    elif baseline.has_score_:
        pass  # a baseline with scores compares features only when no score is given
    feats = [c for c in baseline.feature_names_ if c in columns and c != score_col]
    return feats + ([score_col] if score_col is not None else [])


def accumulate(baseline, data, score_col):
    """A partial baseline of one partition (pandas), or None for an empty one."""
    if len(data) == 0:
        return None
    score = None
    if score_col is not None:
        score = np.asarray(data[score_col], dtype=np.float64)
        data = data.drop(columns=[score_col])
    return baseline.accumulate(data, score)


def accumulate_arrow(baseline, batch, score_col):
    """:func:`accumulate` of an Arrow record batch (read without pandas)."""
    if batch.num_rows == 0:
        return None
    table = _core.Table.from_arrow(batch)
    score = None
    if score_col is not None:
        score = np.asarray(table.column(score_col), dtype=np.float64)
        table = table.drop([score_col])
    return baseline.accumulate(table, score)


def merge_tree(parts):
    """Merges partial baselines pairwise, in a tree (log2(n) rounds); None when there are none.
    Exact: the result does not depend on the order."""
    parts = [p for p in parts if p is not None]
    if not parts:
        return None
    while len(parts) > 1:
        nxt = [parts[i].merge(parts[i + 1]) for i in range(0, len(parts) - 1, 2)]
        if len(parts) % 2:
            nxt.append(parts[-1])
        parts = nxt
    return parts[0]


def pack_part(part):
    return pickle.dumps(part, protocol=pickle.HIGHEST_PROTOCOL)


def unpack_part(blob):
    return pickle.loads(blob)


def check_sample_rows(sample_rows, who):
    if isinstance(sample_rows, (bool, np.bool_)) or not isinstance(sample_rows, numbers.Integral) \
            or not 1 <= int(sample_rows) <= 2**40:
        raise InvalidArgument(f"{who}(): sample_rows must be a positive int, got {sample_rows!r}")
    return int(sample_rows)


# ---- event features -------------------------------------------------------------------------

def check_aggregator(aggregator, as_of, as_of_col, who):
    from .features import EventAggregator

    if not isinstance(aggregator, EventAggregator):
        raise TypeMismatch(f"{who}(): expected a churnlib.EventAggregator, got "
                           f"{type(aggregator).__name__}")
    if (as_of is None) == (as_of_col is None):
        raise InvalidArgument(f"{who}(): give exactly one of as_of (one date for every "
                              "customer) and as_of_col (a column of customers)")
    return aggregator


def event_columns(aggregator):
    """(customer, time, type, amount) columns of an aggregator's event table (amount: "" when
    none)."""
    spec = aggregator._spec.to_dict()
    return (spec["id_column"], spec["time_column"], spec["type_column"],
            spec.get("amount_column") or "")


def as_of_timestamp(as_of):
    """``as_of`` as a timezone-naive pandas Timestamp (UTC), as the aggregator reads it."""
    import pandas as pd

    if isinstance(as_of, numbers.Integral) and not isinstance(as_of, (bool, np.bool_)):
        ts = pd.Timestamp(int(as_of), unit="ns")
    else:
        try:
            ts = pd.Timestamp(as_of)
        except (TypeError, ValueError) as e:
            raise InvalidArgument(f"as_of: cannot read {as_of!r} as a date ({e})") from None
    if ts.tzinfo is not None:
        ts = ts.tz_convert("UTC").tz_localize(None)
    return ts


def bucket_of(ids, n_buckets):
    """The bucket (0 .. n_buckets-1) of each customer id: a hash of the id's text, the same
    for an id read as int, str or category anywhere."""
    import pandas as pd

    text = pd.Series(ids).astype("str").reset_index(drop=True)
    h = pd.util.hash_pandas_object(text, index=False).to_numpy()
    return (h % np.uint64(n_buckets)).astype(np.int64)


def counted_types(aggregator, events, customers, as_of, as_of_col):
    """The event types that count on this bucket (events of its customers strictly before the
    as-of date): the types an aggregator without ``event_types`` gives features."""
    import pandas as pd

    cc, tc, yc, _ = event_columns(aggregator)
    if len(events) == 0 or len(customers) == 0:
        return []
    ev = events[[cc, tc, yc]]
    ids = customers[cc].astype("str")
    if as_of_col is None:
        when = as_of_timestamp(as_of)
        keep = ev[cc].astype("str").isin(set(ids)) & (pd.to_datetime(ev[tc]) < when)
        types = ev.loc[keep, yc]
    else:
        cu = pd.DataFrame({"_id": ids.to_numpy(), "_as_of": pd.to_datetime(customers[as_of_col])})
        cu = cu.groupby("_id", sort=False)["_as_of"].max().reset_index()
        m = pd.DataFrame({"_id": ev[cc].astype("str").to_numpy(),
                          "_t": pd.to_datetime(ev[tc]).to_numpy(),
                          "_y": ev[yc].to_numpy()}).merge(cu, on="_id")
        types = m.loc[m["_t"] < m["_as_of"], "_y"]
    return sorted({str(t) for t in pd.Series(types).dropna().unique()})


def with_event_types(aggregator, types):
    """A copy of the aggregator with ``event_types`` fixed (the given ones, when it had none)."""
    params = aggregator.get_params()
    if params.get("event_types") is None:
        params["event_types"] = list(types)
    return type(aggregator)(**params)


def feature_frame(aggregator, events, customers, as_of, as_of_col, keys):
    """Event features of one bucket (pandas in, pandas out, the keys as columns)."""
    import pandas as pd

    cust = customers[keys]
    if len(cust) == 0:
        return None
    X = aggregator.transform(events, customers=cust if as_of_col else cust[keys[0]],
                             as_of=as_of, as_of_col=as_of_col)
    X = X.reset_index()
    if as_of_col is None:
        X = X.rename(columns={X.columns[0]: keys[0]})
    return pd.DataFrame(X)


def feature_names(aggregator, events_empty, customers_empty, as_of, as_of_col, keys):
    """The feature columns of an aggregator with fixed event types (from a run on no data)."""
    cust = customers_empty[keys].iloc[:0]
    X = aggregator.transform(events_empty.iloc[:0], customers=cust if as_of_col else cust[keys[0]],
                             as_of=as_of, as_of_col=as_of_col)
    return [str(c) for c in X.columns]
