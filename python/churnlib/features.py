"""Feature engineering: :class:`EventAggregator`, point-in-time aggregation of an event log,
and :class:`FeaturePipeline`, a fitted, replayable, saveable chain of column transformers.

The work runs in C++ (``churn::features::EventAggregator`` and ``churn::features::Pipeline``)
with the GIL released; this module maps Python arguments onto the C++ settings and converts
pandas frames and churnlib Tables. The feature definitions (windows, active days, recency,
trends, amounts) are documented in ``include/churn/features/aggregate.hpp`` and in
:class:`EventAggregator`; the steps in ``include/churn/features/pipeline.hpp`` and in
:class:`FeaturePipeline`.
"""

from __future__ import annotations

import math
import numbers
import os

from sklearn.base import TransformerMixin

from . import _core, _frames
from ._estimator import CoreBacked
from ._validation import CORE_INT_PARAMS, check_int, check_matrix, is_sparse
from .errors import InvalidArgument, NotFittedError, TypeMismatch

__all__ = ["EventAggregator", "FeaturePipeline"]

# Python argument -> field of churn::features::EventAggregationSpec.
_SPEC_FIELDS = {
    "customer_col": "id_column",
    "time_col": "time_column",
    "type_col": "type_column",
    "amount_col": "amount_column",
    "windows": "windows_days",
    "event_types": "event_types",
    "type_counts": "type_counts",
    "total_counts": "total_counts",
    "trends": "trends",
    "active_days": "active_days",
    "recency": "recency",
    "type_recency": "type_recency",
    "days_since_first": "days_since_first",
    "amount_sum": "amount_sum",
    "amount_mean": "amount_mean",
    "amount_max": "amount_max",
    "amount_overall": "amount_overall",
    "amount_event_types": "amount_event_types",
    "n_threads": "n_threads",
}


def _is_pandas_frame(x):
    return type(x).__name__ == "DataFrame" and type(x).__module__.startswith("pandas")


def _is_frame(x):
    return isinstance(x, _core.Table) or _is_pandas_frame(x)


def _names(value, what):
    if value is None:
        return []
    if isinstance(value, str):
        raise TypeMismatch(f"EventAggregator(): {what} must be a list of names, not a string "
                           f"(did you mean [{value!r}]?)")
    return [str(v) for v in value]


def _aggregator_kwargs(fields):
    """EventAggregator's arguments from a C++ spec dict (EventAggregationSpec.to_dict): the
    inverse of EventAggregator._make_spec (empty names and lists become None)."""
    kwargs = {py: fields[c] for py, c in _SPEC_FIELDS.items()}
    kwargs["amount_col"] = kwargs["amount_col"] or None
    kwargs["event_types"] = kwargs["event_types"] or None
    kwargs["amount_event_types"] = kwargs["amount_event_types"] or None
    kwargs["windows"] = tuple(kwargs["windows"])
    return kwargs


def _windows(value):
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        value = [value]
    out = []
    for w in value:
        if isinstance(w, bool) or not isinstance(w, numbers.Integral):
            raise TypeMismatch(f"EventAggregator(): windows must be whole numbers of days, got "
                               f"{w!r}")
        out.append(int(w))
    return out


class EventAggregator:
    """Point-in-time features from an event log, one row per customer (and as-of date).

    Only events strictly before the as-of date count, so a feature never sees the future.
    Customers without events keep their row (0 counts and sums, NaN recency, means and maxima).
    Feature names say what they are: ``<type>_count_<w>d``, ``event_count_<w>d``,
    ``amount_sum_<w>d``, ``<type>_amount_mean_<w>d``, ``active_days_<w>d``,
    ``<type>_count_trend_<w>d``, ``days_since_last_event``, ``days_since_last_<type>``,
    ``days_since_first_event``.

    Definitions (``age`` = as-of minus event time): a window of ``w`` days holds the events with
    ``0 < age <= w`` days; active days are the distinct 24-hour periods counted back from the
    as-of; recencies are fractional days; a trend is the count of the last ``w`` days over the
    count of the ``w`` days before (NaN when that is 0); NaN amounts are skipped; sums are exact
    (independent of event order, chunking and thread count).

    Parameters
    ----------
    windows : sequence of int, default (7, 30, 90)
        Window lengths in days, distinct, each in [1, 36500].
    event_types : sequence of str, optional
        The event types that get per-type features. Default: every type found among the counted
        events (sorted). Give it explicitly to get the same columns at training and scoring time.
    customer_col, time_col, type_col : str
        Columns of the event table: customer id (int, str or category), time (datetime64) and
        event type (str or category).
    amount_col : str, optional
        Numeric amount column (NaN = no amount); enables the amount features.
    type_counts, total_counts, trends, active_days, recency, type_recency, days_since_first : bool
        Which feature groups to compute (defaults: all but ``total_counts``).
    amount_sum, amount_mean, amount_max, amount_overall : bool, default True
        Amount aggregates, over the events of every type when ``amount_overall``.
    amount_event_types : sequence of str, optional
        Event types that also get their own amount aggregates (e.g. ``["purchase"]``).
    n_threads : int, default 0
        Threads (0 = all cores). Results do not depend on it.

    Raises
    ------
    InvalidArgument
        For an invalid combination (named in the message), e.g. a repeated window.
    TypeError
        For an unknown keyword.

    Examples
    --------
    >>> import churnlib as cl
    >>> events = cl.make_events(1000, seed=1, as_pandas=True)
    >>> agg = cl.EventAggregator(windows=(7, 30), amount_col="amount")
    >>> X = agg.transform(events, customers=cl.customer_id(range(1000)),
    ...                   as_of="2024-07-01")  # doctest: +SKIP
    >>> # streaming, for a log larger than memory
    >>> agg.start(customers=ids, as_of="2024-07-01")  # doctest: +SKIP
    >>> for chunk in cl.read_csv_chunks("events.csv"):  # doctest: +SKIP
    ...     agg.update(chunk)
    >>> X = agg.result()  # doctest: +SKIP
    """

    def __init__(self, windows=(7, 30, 90), event_types=None, *, customer_col="customer_id",
                 time_col="timestamp", type_col="event_type", amount_col=None,
                 type_counts=True, total_counts=False, trends=True, active_days=True,
                 recency=True, type_recency=True, days_since_first=True, amount_sum=True,
                 amount_mean=True, amount_max=True, amount_overall=True,
                 amount_event_types=None, n_threads=0):
        self.windows = windows
        self.event_types = event_types
        self.customer_col = customer_col
        self.time_col = time_col
        self.type_col = type_col
        self.amount_col = amount_col
        self.type_counts = type_counts
        self.total_counts = total_counts
        self.trends = trends
        self.active_days = active_days
        self.recency = recency
        self.type_recency = type_recency
        self.days_since_first = days_since_first
        self.amount_sum = amount_sum
        self.amount_mean = amount_mean
        self.amount_max = amount_max
        self.amount_overall = amount_overall
        self.amount_event_types = amount_event_types
        self.n_threads = n_threads
        self._spec = self._make_spec()
        self._agg = None
        self._keys = None
        self._last_feature_names = None

    # ---- construction ------------------------------------------------------------------------

    def _make_spec(self):
        """The compiled spec: one dict by the C++ field names (_SPEC_FIELDS), checked by
        ``churn::features::EventAggregationSpec::from_options``."""
        options = {cpp: getattr(self, py) for py, cpp in _SPEC_FIELDS.items()}
        for py in ("customer_col", "time_col", "type_col"):
            options[_SPEC_FIELDS[py]] = str(getattr(self, py))
        options["amount_column"] = "" if self.amount_col is None else str(self.amount_col)
        options["windows_days"] = _windows(self.windows)
        options["event_types"] = _names(self.event_types, "event_types")
        options["amount_event_types"] = _names(self.amount_event_types, "amount_event_types")
        for py in ("type_counts", "total_counts", "trends", "active_days", "recency",
                   "type_recency", "days_since_first", "amount_sum", "amount_mean", "amount_max",
                   "amount_overall"):
            options[py] = bool(options[py])
        options["n_threads"] = check_int(self.n_threads, "n_threads", "EventAggregator",
                                         *CORE_INT_PARAMS["n_threads"])
        return _core._EventAggregationSpec(options, "EventAggregator()")

    @classmethod
    def rfm(cls, window=90, amount_col="amount", event_type=None, *, customer_col="customer_id",
            time_col="timestamp", type_col="event_type", n_threads=0):
        """The RFM preset over one window.

        Recency ``days_since_last_event``, frequency ``event_count_<w>d`` and monetary
        ``amount_sum_<w>d``; with ``event_type`` (e.g. ``"purchase"``) frequency and monetary
        use that type only (``purchase_count_<w>d``, ``purchase_amount_sum_<w>d``) and
        ``days_since_last_purchase`` is added.

        Returns
        -------
        EventAggregator
        """
        window = check_int(window, "window", "EventAggregator.rfm()",
                           *CORE_INT_PARAMS["window_days"])
        spec = _core._EventAggregationSpec.rfm(window, str(amount_col),
                                               "" if event_type is None else str(event_type))
        kwargs = _aggregator_kwargs(spec.to_dict())
        kwargs.update(customer_col=customer_col, time_col=time_col, type_col=type_col,
                      n_threads=n_threads)
        return cls(**kwargs)

    def get_params(self, deep=True):
        """The constructor arguments, as a dict (scikit-learn convention)."""
        return {name: getattr(self, name) for name in _SPEC_FIELDS}

    def set_params(self, **params):
        """Sets constructor arguments (unknown names raise TypeError); returns self."""
        for name in params:
            if name not in _SPEC_FIELDS:
                raise TypeError(f"EventAggregator.set_params(): unknown parameter '{name}'")
        old = self.get_params()
        for name, value in params.items():
            setattr(self, name, value)
        try:
            self._spec = self._make_spec()
        except Exception:
            for name, value in old.items():
                setattr(self, name, value)
            raise
        self._agg = None
        return self

    def __repr__(self):
        import inspect

        defaults = {k: v.default for k, v in
                    inspect.signature(EventAggregator.__init__).parameters.items()}
        args = [f"{k}={v!r}" for k, v in self.get_params().items() if v != defaults.get(k)]
        return f"EventAggregator({', '.join(args)})"

    # ---- streaming ---------------------------------------------------------------------------

    def start(self, customers, as_of=None, as_of_col=None):
        """Fixes the output rows and empties the state; feed events with :meth:`update`.

        Parameters
        ----------
        customers : array-like, pandas.DataFrame or Table
            The customer ids (one output row each, in this order), or a table holding the
            ``customer_col`` column (and ``as_of_col`` for one as-of per row).
        as_of : timestamp-like, optional
            One as-of date for every row (str, datetime, numpy.datetime64, pandas.Timestamp,
            or int nanoseconds since 1970 UTC).
        as_of_col : str, optional
            Instead of ``as_of``: the as-of column of ``customers`` (training snapshots; a
            customer may appear in several rows).

        Returns
        -------
        self
        """
        self._agg, self._keys = self._new_core(customers, as_of, as_of_col)
        return self

    def update(self, events):
        """Adds a chunk of events (pandas.DataFrame or Table, any order); returns self.

        A rejected chunk (missing column, wrong type, missing timestamp) leaves the state as
        it was.
        """
        self._check_started("update")
        self._agg.update(self._event_columns(_frames.as_table_or_pandas(events)))
        return self

    def result(self, as_table=False, copy=True):
        """The features of the events fed so far (feeding may go on afterwards).

        ``copy=False`` returns a frame whose float columns are read-only views of the result
        (no copy: about 0.1 s less per 1M rows x 40 features).

        Returns
        -------
        pandas.DataFrame or Table
            A frame indexed by the customer id (by customer id and as-of for per-row as-of
            dates), one row per customer row in the order given to :meth:`start`; with
            ``as_table`` a churnlib.Table whose first columns are the keys.
        """
        self._check_started("result")
        return self._format(self._agg.result(), self._keys, as_table, copy)

    def transform(self, events, customers=None, as_of=None, as_of_col=None, as_table=False,
                  copy=True):
        """Features of an event log in one pass.

        The same as ``start(...)``, ``update(events)``, ``result()`` on a fresh aggregator: the
        streaming state of this object is not touched, so concurrent calls are safe.

        Parameters
        ----------
        events : pandas.DataFrame or Table
        customers : array-like, pandas.DataFrame or Table, optional
            See :meth:`start`. Default: the distinct customer ids of ``events`` (sorted), so
            customers without any event are not there: pass the customer list to keep them.
        as_of, as_of_col : see :meth:`start`.
        as_table : bool, default False
            Return a churnlib.Table instead of a pandas.DataFrame.
        copy : bool, default True
            The frame owns writable copies of the features; ``False`` gives read-only
            zero-copy views (about 0.1 s less per 1M rows x 40 features).

        Returns
        -------
        pandas.DataFrame or Table
        """
        events = _frames.as_table_or_pandas(events)
        if customers is None:
            customers = self._distinct_ids(events)
        # A local aggregator: transform does not touch the streaming state, so concurrent
        # transforms on one EventAggregator are safe (the C++ work runs without the GIL).
        agg, keys = self._new_core(customers, as_of, as_of_col)
        agg.update(self._event_columns(events))
        t = agg.result()
        self._last_feature_names = list(agg.feature_names())
        return self._format(t, keys, as_table, copy)

    # ---- state -------------------------------------------------------------------------------

    @property
    def feature_names(self):
        """The names of the feature columns (no key columns): those :meth:`result` would give
        now when :meth:`start` was called, else those of the last :meth:`transform`."""
        if self._agg is None and self._last_feature_names is not None:
            return list(self._last_feature_names)
        self._check_started("feature_names")
        return list(self._agg.feature_names())

    def get_feature_names_out(self, input_features=None):
        """The feature names as a numpy array (scikit-learn convention)."""
        import numpy as np

        return np.asarray(self.feature_names, dtype=object)

    @property
    def n_events_seen_(self):
        """Event rows fed so far."""
        self._check_started("n_events_seen_")
        return self._agg.n_events_seen

    @property
    def n_events_unmatched_(self):
        """Event rows ignored because their customer id was missing or not among the rows."""
        self._check_started("n_events_unmatched_")
        return self._agg.n_events_unmatched

    @property
    def spec_(self):
        """The C++ spec as a dict."""
        return self._spec.to_dict()

    def __getstate__(self):
        return {"params": self.get_params()}

    def __setstate__(self, state):
        self.__init__(**state["params"])

    # ---- helpers -----------------------------------------------------------------------------

    @staticmethod
    def _format(table, keys, as_table, copy=True):
        return table if as_table else table.to_pandas(copy=copy).set_index(keys)

    def _check_started(self, what):
        if self._agg is None:
            raise NotFittedError(f"EventAggregator.{what}: call start(customers, as_of) or "
                                 "transform(...) first")

    def _new_core(self, customers, as_of, as_of_col):
        """A compiled aggregator for these output rows, and the key columns of its result."""
        customers = _frames.as_table_or_pandas(customers)
        if (as_of is None) == (as_of_col is None):
            raise InvalidArgument("EventAggregator: give exactly one of as_of (one date "
                                  "for every customer) and as_of_col (a column of customers)")
        if as_of_col is not None:
            if not _is_frame(customers):
                raise TypeMismatch("EventAggregator: as_of_col needs customers as a "
                                   "pandas.DataFrame or churnlib.Table, got "
                                   f"{type(customers).__name__}")
            cols = [self._spec.id_column, str(as_of_col)]
            if _is_pandas_frame(customers):
                customers = customers[[c for c in cols if c in customers.columns]]
            agg = _core._EventAggregator(self._spec, customers=customers,
                                         as_of_column=str(as_of_col))
            keys = cols
        else:
            ids = customers
            if _is_frame(customers):
                if self._spec.id_column not in list(
                        customers.column_names if isinstance(customers, _core.Table)
                        else customers.columns):
                    raise InvalidArgument(f"EventAggregator: customers has no column "
                                          f"'{self._spec.id_column}' (customer_col)")
                ids = customers[self._spec.id_column]
                if isinstance(customers, _core.Table) and \
                        customers.dtypes[self._spec.id_column] == "category":
                    ids = customers.select([self._spec.id_column]).to_pandas(copy=False)[
                        self._spec.id_column]
            agg = _core._EventAggregator(self._spec, customer_ids=ids, as_of=as_of)
            keys = [self._spec.id_column]
        return agg, keys

    def _event_columns(self, events):
        """Only the spec's columns of a pandas frame are converted (C++ ignores the others
        anyway); a missing one is left for the C++ check to report by name."""
        if _is_pandas_frame(events):
            s = self._spec.to_dict()
            wanted = {s["id_column"], s["time_column"], s["type_column"], s["amount_column"]}
            keep = [str(c) in wanted for c in events.columns]
            if not all(keep):
                events = events.loc[:, keep]
            # text ids dictionary-encoded while reading (one hash pass over the Arrow buffers):
            # the aggregator then looks up each distinct id once, not each event's
            events = _core.Table.from_pandas(events, strings="category")
        return events

    def _distinct_ids(self, events):
        import pandas as pd

        col = self._spec.id_column
        if isinstance(events, _core.Table):
            if col not in events.column_names:
                raise InvalidArgument(f"EventAggregator.transform(): the events have no column "
                                      f"'{col}' (customer_col)")
            s = events.select([col]).to_pandas(copy=False)[col]
        elif _is_pandas_frame(events):
            if col not in events.columns:
                raise InvalidArgument(f"EventAggregator.transform(): the events have no column "
                                      f"'{col}' (customer_col)")
            s = events[col]
        else:
            raise TypeMismatch("EventAggregator.transform(): expected events as a "
                               f"churnlib.Table or pandas.DataFrame, got {type(events).__name__}")
        if isinstance(s.dtype, pd.CategoricalDtype):
            s = s.astype(object)
        u = pd.unique(s.dropna().to_numpy())
        u.sort()
        return u


# ---- FeaturePipeline ------------------------------------------------------------------------------

_STEP_TYPES = ("impute", "clip", "log1p", "scale", "one_hot", "ordinal", "bin", "combine", "drop",
               "select")
_OUTPUTS = ("auto", "pandas", "polars", "numpy", "table")


def _columns_arg(columns, what):
    if isinstance(columns, str):
        raise TypeMismatch(f"FeaturePipeline.{what}(): columns must be a list of column names, not "
                           f"a string (did you mean [{columns!r}]?)")
    return [str(c) for c in columns]


class FeaturePipeline(TransformerMixin, CoreBacked, auto_wrap_output_keys=None):
    """A fitted, replayable, saveable chain of column transformers (scikit-learn style).

    Steps are added with the builder methods (each returns ``self``) or given as ``steps``, a
    list of dicts ``{"type": ..., **settings}`` with the same keys as the builder arguments
    (and as the saved JSON). ``fit`` learns each step's statistics on the training frame (each
    step on the output of the steps before it); ``transform`` replays them on new data. Each
    step reads the columns it names; every other column passes through unchanged, in place.
    Columns of new data that training did not have are left out; a training column that a step
    reads or that reaches the output, missing from new data, is an error naming it.

    =============  ==========================  ================================================
    step           input                       output
    =============  ==========================  ================================================
    ``impute``     numeric / categorical       same column filled (+ ``<col>_missing``)
    ``clip``       numeric                     float64 clipped to fitted quantiles
    ``log1p``      numeric, all > -1           float64 ``log1p(x)``
    ``scale``      numeric                     float64 ``(x - mean) / std``
    ``one_hot``    categorical / string        float64 0/1 columns ``<col>_<category>``
    ``ordinal``    categorical / string        float64 codes (or categorical), unknown NaN
    ``bin``        numeric                     float64 bin index or categorical labels
    ``combine``    two numeric columns         new float64 column ``a op b`` (safe division)
    ``drop``       any                         the columns removed
    ``select``     any                         only these columns, in this order
    =============  ==========================  ================================================

    With :meth:`join_events`, fit and transform also take the event log (``events=``) and
    aggregate it per customer row before the steps (point in time: only events before the
    as-of count), so the steps can use event features like any column; the event types found
    in training are fixed for scoring. The as-of is ``as_of=`` (one date for every row) or, with
    ``as_of_col``, a datetime column of the customer frame (training snapshots).

    The whole fitted pipeline, event spec included, is saved as one JSON document
    (:meth:`save`, :meth:`to_json`) that C++ (``churn::features::Pipeline::load``) and Python
    replay bit for bit.

    Parameters
    ----------
    steps : list of dict, optional
        The steps, in order (see the builder methods for each type's settings).
    events : EventAggregator, optional
        The event features to join (see :meth:`join_events`).
    as_of_col : str, optional
        The customer frame's as-of column for the event join; default: ``as_of=`` is given to
        each fit/transform call.
    id_col : str, optional
        The customer frame's id column for the event join; default: the aggregator's
        ``customer_col``.
    event_prefix : str, default ""
        Put in front of every event feature name (see :meth:`join_events`).
    output : {"auto", "pandas", "polars", "numpy", "table"}, default "auto"
        What transform returns: a pandas.DataFrame (the input's index kept), a polars
        DataFrame, the C-ordered float64 matrix of the numeric output columns (what the models
        take; see ``numeric_feature_names_``), or a churnlib.Table. ``"auto"``: scikit-learn's
        ``set_config(transform_output=...)`` when it is "pandas" or "polars", else the kind of
        the input (a numpy array gives the matrix, a frame or Table a pandas.DataFrame).
        :meth:`set_output` sets this parameter.
    n_threads : int, default 0
        Threads (0 = all cores). Results do not depend on it.

    Attributes
    ----------
    feature_names_in_ : ndarray of str
        The columns of the training frame.
    feature_names_out_ : ndarray of str
        The output columns, in order.
    numeric_feature_names_ : ndarray of str
        The float64 output columns (the columns of the ``"numpy"`` output), in order.
    feature_sources_ : dict of str to list of str
        Each output column -> the raw input columns it comes from (see
        :meth:`contributions_by_source`, which sums model contributions onto them).
    source_columns_ : ndarray of str
        The raw input columns the numeric output columns come from, in input order.

    Examples
    --------
    >>> import churnlib as cl
    >>> df = cl.make_customers(2000, seed=1).to_pandas()
    >>> pipe = (cl.FeaturePipeline()
    ...         .impute(["total_charges", "nps_score"], strategy="median", add_indicator=True)
    ...         .clip(["monthly_charges"], lower_quantile=0.01, upper_quantile=0.99)
    ...         .ratio("charges_per_month", "total_charges", "tenure_months",
    ...                denominator_offset=1)
    ...         .log1p(["total_charges"])
    ...         .scale(["tenure_months", "monthly_charges"])
    ...         .one_hot(["contract", "plan"], unknown="ignore")
    ...         .drop(["customer_id", "signup_date", "churned"]))
    >>> X = pipe.fit_transform(df)
    >>> X.shape[0], "contract_Month-to-month" in X.columns
    (2000, True)
    >>> pipe.set_output(transform="default").transform(df).dtype
    dtype('float64')
    """

    def __init__(self, steps=None, *, events=None, as_of_col=None, id_col=None, event_prefix="",
                 output="auto", n_threads=0):
        self.steps = steps
        self.events = events
        self.as_of_col = as_of_col
        self.id_col = id_col
        self.event_prefix = event_prefix
        self.output = output
        self.n_threads = n_threads

    # ---- parameters ----------------------------------------------------------------------------

    _PARAMS = ("steps", "events", "as_of_col", "id_col", "event_prefix", "output", "n_threads")
    _core_type = _core._FeaturePipeline

    def set_output(self, *, transform=None):
        """scikit-learn's output switch: ``"pandas"`` (a DataFrame), ``"polars"`` (a polars
        DataFrame) or ``"default"`` (the numeric matrix); ``None`` keeps the current setting.
        Sets the ``output`` parameter; returns self."""
        if transform is None:
            return self
        mapping = {"pandas": "pandas", "polars": "polars", "default": "numpy"}
        if transform not in mapping:
            raise InvalidArgument("FeaturePipeline.set_output(): transform must be 'pandas', "
                                  f"'polars', 'default' or None, got {transform!r}")
        self.output = mapping[transform]
        return self

    def __repr__(self):
        args = []
        if self.steps:
            args.append(f"steps=[{', '.join(repr(s.get('type')) for s in self.steps)}]")
        for name, default in (("events", None), ("as_of_col", None), ("id_col", None),
                              ("event_prefix", ""), ("output", "auto"), ("n_threads", 0)):
            value = getattr(self, name)
            if value != default:
                args.append(f"{name}={value!r}")
        return f"FeaturePipeline({', '.join(args)})"

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True  # NaN = missing: impute steps fill it
        tags.transformer_tags.preserves_dtype = ["float64"]
        return tags

    # ---- builders ------------------------------------------------------------------------------

    def _add(self, step):
        steps = list(self.steps or []) + [step]
        self._build(steps=steps)  # validates
        self.steps = steps
        return self

    def impute(self, columns, strategy="median", *, fill_value=0.0, fill_category="missing",
               add_indicator=False):
        """Fills missing values of numeric (float or int) or categorical columns.

        Parameters
        ----------
        columns : list of str
        strategy : {"median", "mean", "constant", "most_frequent"}
            Numeric columns become float64; categorical columns accept ``"most_frequent"`` and
            ``"constant"`` only. Ties of ``"most_frequent"`` go to the smallest value / name.
        fill_value : float
            The numeric fill value of ``"constant"``.
        fill_category : str
            The categorical fill value of ``"constant"``.
        add_indicator : bool
            Also add a float64 ``<col>_missing`` column (1 where the value was missing) right
            after each column, whether or not training had missing values.
        """
        return self._add({"type": "impute", "columns": _columns_arg(columns, "impute"),
                          "strategy": strategy, "fill_value": fill_value,
                          "fill_category": fill_category, "add_indicator": add_indicator})

    def clip(self, columns, lower_quantile=0.01, upper_quantile=0.99):
        """Clips numeric columns to quantiles of the training values (numpy's linear method)."""
        return self._add({"type": "clip", "columns": _columns_arg(columns, "clip"),
                          "lower_quantile": lower_quantile, "upper_quantile": upper_quantile})

    def log1p(self, columns):
        """``log1p(x)`` of numeric columns; a value <= -1 at transform raises (naming the row)."""
        return self._add({"type": "log1p", "columns": _columns_arg(columns, "log1p")})

    def scale(self, columns, *, with_mean=True, with_std=True):
        """Standard scaling ``(x - mean) / std`` (population std; a constant column gets 1)."""
        return self._add({"type": "scale", "columns": _columns_arg(columns, "scale"),
                          "with_mean": with_mean, "with_std": with_std})

    def one_hot(self, columns, unknown="ignore", *, min_count=1, other_name="other",
                max_categories=None):
        """One-hot encodes categorical or string columns into float64 ``<col>_<category>``
        columns (sorted categories), in place of the source column.

        Parameters
        ----------
        unknown : {"ignore", "other", "error"}
            A category unseen in fit (labels match by text, then by numeric value: "1.0"
            finds "1") gives all zeros, a 1 in ``<col>_<other_name>``, or an
            error naming the column and the category. Missing values give all zeros.
        min_count : int
            Categories with fewer training rows are grouped into ``<col>_<other_name>``.
        max_categories : int or None
            At most this many output columns per column, ``<col>_<other_name>`` included (as
            scikit-learn's ``OneHotEncoder(max_categories=...)``): the ``max_categories - 1``
            most frequent categories keep a column (ties: the one sorting last, as
            scikit-learn), the rest are grouped into ``<col>_<other_name>``. Saved with the
            pipeline. None: every category with ``min_count`` rows keeps its column, but fit
            refuses a column that would make more than 10,000 columns (an id column),
            naming it (InvalidArgument), instead of running out of memory.
        """
        if max_categories is not None:
            max_categories = check_int(max_categories, "max_categories", "FeaturePipeline.one_hot()",
                                       1, 2**63 - 1)
        return self._add({"type": "one_hot", "columns": _columns_arg(columns, "one_hot"),
                          "unknown": unknown, "min_count": min_count, "other_name": other_name,
                          "max_categories": max_categories})

    def ordinal(self, columns, unknown="ignore", *, as_categorical=False):
        """Ordinal codes (position in the sorted training categories) for the trees: float64
        with NaN for missing / unknown, or a categorical column with ``as_categorical``."""
        return self._add({"type": "ordinal", "columns": _columns_arg(columns, "ordinal"),
                          "unknown": unknown, "as_categorical": as_categorical})

    def bin(self, columns, n_bins=5, *, strategy="quantile", edges=None, output="index",
            labels=None, suffix=""):
        """Bins numeric columns (left-closed bins ``[a, b)``).

        Parameters
        ----------
        n_bins : int
            Quantile bins (duplicate edges dropped, so few distinct values give fewer bins).
        strategy : {"quantile", "fixed"}
        edges : list of float
            Interior cut points for ``"fixed"`` (e.g. tenure groups ``[12, 24, 48]``).
        output : {"index", "categorical"}
            float64 bin index (NaN for missing) or a categorical column of bin labels.
        labels : list of str, optional
            Labels of the ``len(edges) + 1`` bins for ``"categorical"`` output.
        suffix : str
            Empty: the binned column replaces its source; else it is added as
            ``<col><suffix>`` right after the kept source.
        """
        return self._add({"type": "bin", "columns": _columns_arg(columns, "bin"),
                          "strategy": strategy, "n_bins": n_bins,
                          "edges": [float(e) for e in (edges or [])], "output": output,
                          "labels": [str(v) for v in (labels or [])], "suffix": suffix})

    def combine(self, output, a, op, b, *, zero_division_fill=math.nan, denominator_offset=0.0):
        """A new float64 column ``output = a <op> b`` (op: "add", "subtract", "multiply",
        "divide"), appended at the end. Division is safe: where ``b + denominator_offset`` is 0
        the result is ``zero_division_fill``, never an infinity; a missing input gives NaN."""
        return self._add({"type": "combine", "output": str(output), "a": str(a), "op": op,
                          "b": str(b), "zero_division_fill": zero_division_fill,
                          "denominator_offset": denominator_offset})

    def ratio(self, output, numerator, denominator, *, zero_division_fill=math.nan,
              denominator_offset=0.0):
        """``combine(output, numerator, "divide", denominator, ...)``: a safe ratio such as
        ``sessions_per_crash`` (``denominator_offset=1`` for ``sessions / (crashes + 1)``)."""
        return self.combine(output, numerator, "divide", denominator,
                            zero_division_fill=zero_division_fill,
                            denominator_offset=denominator_offset)

    def drop(self, columns):
        """Removes columns (they may then be absent from new data)."""
        return self._add({"type": "drop", "columns": _columns_arg(columns, "drop")})

    def select(self, columns):
        """Keeps only these columns, in this order."""
        return self._add({"type": "select", "columns": _columns_arg(columns, "select")})

    def join_events(self, aggregator, *, as_of_col=None, id_col=None, prefix=""):
        """Aggregates the event log given to fit/transform (``events=``) per customer row with
        ``aggregator`` (an :class:`EventAggregator`) and appends its features after the customer
        columns, before every step. Returns self.

        Parameters
        ----------
        aggregator : EventAggregator
            What to compute. When it lists no ``event_types``, fit fixes them to the types of
            the training events, so that scoring data gets the same columns.
        as_of_col : str, optional
            A datetime column of the customer frame with each row's as-of (training
            snapshots; it stays in the frame, drop it with a step). Default: ``as_of=`` is
            given to each fit/transform call.
        id_col : str, optional
            The customer frame's id column; default: the aggregator's ``customer_col``.
        prefix : str, optional
            Put in front of every event feature name (e.g. ``"ev_"``), to keep them apart from
            customer columns of the same name (``days_since_last_login``, say).
        """
        if not isinstance(aggregator, EventAggregator):
            raise TypeMismatch("FeaturePipeline.join_events(): expected an EventAggregator, got "
                               f"{type(aggregator).__name__}")
        self._build(events=aggregator, as_of_col=as_of_col, id_col=id_col, event_prefix=prefix)
        self.events, self.as_of_col, self.id_col = aggregator, as_of_col, id_col
        self.event_prefix = prefix
        return self

    # ---- fit / transform -----------------------------------------------------------------------

    def fit(self, X, y=None, *, events=None, as_of=None):
        """Fits every step on ``X`` (a pandas.DataFrame or churnlib.Table); ``y`` is ignored
        (present for scikit-learn pipelines). With :meth:`join_events`: ``events`` is the event
        log and ``as_of`` the as-of date (unless ``as_of_col``). Returns self.

        Raises
        ------
        InvalidArgument, TypeMismatch
            Naming the step and the column: a missing column, a wrong type, a numeric column
            without values, an output name that exists, a missing ``events`` or ``as_of``.
        """
        self._fit_input_kind = _input_kind(X)
        self._fit(_frames.as_table_or_pandas(X), _frames.as_table_or_pandas(events), as_of)
        return self

    def fit_transform(self, X, y=None, *, events=None, as_of=None, copy=True):
        """``fit(X, ...)``, then the transformed training data (computed once)."""
        kind = self._fit_input_kind = _input_kind(X)
        X_in, events = _frames.as_table_or_pandas(X), _frames.as_table_or_pandas(events)
        return self._format(self._fit(X_in, events, as_of), X, copy, kind)

    def transform(self, X, *, events=None, as_of=None, copy=True):
        """Replays the fitted steps on ``X`` (and ``events``, ``as_of`` with
        :meth:`join_events`), in the form chosen by ``output``.

        A pandas (or polars) output owns writable copies of its columns; ``copy=False`` gives
        a pandas frame whose float columns are read-only zero-copy views of the result (about
        0.1 s less per 1M rows x 40 columns). The numpy output is always the caller's own.

        Raises
        ------
        NotFittedError
            Before fit.
        InvalidArgument, TypeMismatch
            Naming the column: a needed column missing, a column of the wrong type, an unseen
            category under ``unknown="error"``, a value <= -1 in log1p.
        """
        core = self._fitted("transform")
        kind = _input_kind(X)
        X, events = _frames.as_table_or_pandas(X), _frames.as_table_or_pandas(events)
        X_in = self._as_frame(X, "transform", fitted=True)
        if _is_pandas_frame(X_in):
            # only the columns the fitted steps read are converted (an id column of a million
            # strings costs more to convert than the whole numeric transform); a missing one is
            # left for the C++ check to name
            need = getattr(self, "_needed", None)
            if need is None:
                need = self._needed = set(core.required_input_columns)
            keep = [str(c) in need for c in X_in.columns]
            if not all(keep):
                X_in = X_in.loc[:, keep]
        return self._format(core.transform(X_in, events=events, as_of=as_of), X, copy, kind)

    def _as_frame(self, X, what, fitted):
        """X as a pandas frame or Table; a numpy matrix (or anything numpy converts) becomes a
        Table of float64 columns named as in fit (``x0``, ``x1``, ... when fitted on one)."""
        if _is_frame(X):
            return X
        caller = f"FeaturePipeline.{what}()"
        if not is_sparse(X) and not hasattr(X, "__array__") and not isinstance(X, (list, tuple)):
            raise TypeMismatch(f"{caller}: X must be a pandas DataFrame, a churnlib Table or a "
                               f"numeric array, got {type(X).__name__}")
        A = check_matrix(X, caller)
        if fitted:
            names = [str(c) for c in self._input_names]
            if A.shape[1] != len(names):
                raise InvalidArgument(f"{caller}: X has {A.shape[1]} features, but "
                                      f"FeaturePipeline is expecting {len(names)} features as "
                                      "input.")
            if not getattr(self, "_fitted_on_array", False):
                import warnings

                warnings.warn("X does not have valid feature names, but FeaturePipeline was "
                              "fitted with feature names", UserWarning, stacklevel=3)
        else:
            names = [f"x{j}" for j in range(A.shape[1])]
        return _core.Table.from_numpy(A, names)

    def get_feature_names_out(self, input_features=None):
        """The names of transform's output columns (only the numeric ones when ``output`` is
        ``"numpy"``), as a numpy array."""
        core = self._fitted("get_feature_names_out")
        import numpy as np

        names = core.numeric_feature_names_out if self._output_kind(None) == "numpy" else \
            core.feature_names_out
        return np.asarray(names, dtype=object)

    @property
    def feature_names_out_(self):
        import numpy as np

        return np.asarray(self._fitted("feature_names_out_").feature_names_out, dtype=object)

    @property
    def numeric_feature_names_(self):
        import numpy as np

        return np.asarray(self._fitted("numeric_feature_names_").numeric_feature_names_out,
                          dtype=object)

    @property
    def n_features_out_(self):
        return len(self._fitted("n_features_out_").feature_names_out)

    # ---- where the output columns come from ----------------------------------------------------

    @property
    def feature_sources_(self):
        """dict of str to list of str: each output column (in the order of
        ``feature_names_out_``) -> the raw input columns it is computed from, in training input
        order.

        A column changed in place (impute, clip, log1p, scale, ordinal, bin) or passed through
        comes from itself; ``<col>_missing``, ``<col>_<category>`` and a suffixed bin from
        ``<col>``; a combine's output from the sources of both operands, and chains compose.
        With :meth:`join_events`, an event feature's source is the event feature itself, by
        its joined name (``event_prefix`` included): that is the reason an analyst reads.

        Raises
        ------
        NotFittedError
            Before fit.
        """
        core = self._fitted("feature_sources_")
        return dict(zip(core.feature_names_out, core.feature_sources))

    @property
    def source_columns_(self):
        """ndarray of str: the raw input columns that at least one numeric output column comes
        from, in training input order: the columns of :meth:`contributions_by_source`.

        Raises
        ------
        NotFittedError
            Before fit.
        """
        import numpy as np

        return np.asarray(self._fitted("source_columns_").source_columns, dtype=object)

    def contributions_by_source(self, contrib):
        """Sums per-feature contributions onto the raw input columns they come from.

        To explain a score by the raw customer columns: a model fitted on the numeric output
        (``output="numpy"``, columns ``numeric_feature_names_``) gives per-feature contributions
        (``GBDTClassifier.predict_contrib``, or ``coef_ * X`` of a logistic regression); this
        adds each feature's contribution to its sources (:attr:`feature_sources_`). A feature
        computed from m raw columns (a ratio of two) gives ``1/m`` of its contribution to each:
        how a fixed transform inside the feature shares it is not something the model's
        explanation knows, and the equal split is the symmetric choice that keeps every row's
        sum. The work runs in C++ with the GIL released.

        Parameters
        ----------
        contrib : array-like of shape (n_samples, n_features) or (n_samples, n_features + 1)
            One column per numeric output feature, in the order of ``numeric_feature_names_``,
            optionally followed by a bias column (``predict_contrib``'s layout). A pandas
            DataFrame's index is kept.

        Returns
        -------
        pandas.DataFrame of shape (n_samples, n_sources) or (n_samples, n_sources + 1)
            One column per raw input column of :attr:`source_columns_` (in that order), plus
            the bias column copied last as ``"bias"`` when given. Each row sums to the row of
            ``contrib`` (up to rounding).

        Raises
        ------
        NotFittedError
            Before fit.
        InvalidArgument
            When ``contrib`` has neither n_features nor n_features + 1 columns (naming both).

        Examples
        --------
        >>> import churnlib as cl
        >>> df = cl.make_customers(500, seed=1).to_pandas()
        >>> pipe = (cl.FeaturePipeline(output="numpy")
        ...         .ratio("charges_per_month", "total_charges", "tenure_months",
        ...                denominator_offset=1)
        ...         .select(["tenure_months", "charges_per_month"]))
        >>> X = pipe.fit_transform(df)
        >>> pipe.contributions_by_source(X[:2]).columns.tolist()
        ['tenure_months', 'total_charges']
        """
        caller = "FeaturePipeline.contributions_by_source()"
        core = self._fitted("contributions_by_source()")
        index = contrib.index if _is_pandas_frame(contrib) else None
        C = check_matrix(contrib, caller)
        R = core.contributions_by_source(C)
        import pandas as pd

        names = list(core.source_columns)
        if R.shape[1] == len(names) + 1:
            names.append("bias")
        return pd.DataFrame(R, columns=names, index=index, copy=False)

    # ---- saving --------------------------------------------------------------------------------

    @classmethod
    def from_json(cls, text, *, output="auto"):
        """A fitted pipeline from :meth:`to_json` text; it transforms bit-identically.

        ``output`` is a Python-side setting (what transform returns), not part of the saved
        document (:meth:`save` / :meth:`to_json` hold the steps, their fitted statistics and
        the event join): give it here (or call :meth:`set_output`).

        Raises
        ------
        SerializationError
            For a damaged document, another kind or a newer major version.
        """
        if output not in _OUTPUTS:
            raise InvalidArgument(f"FeaturePipeline.from_json(): output must be one of "
                                  f"{_OUTPUTS}, got {output!r}")
        core = _core._FeaturePipeline.from_json(text)
        self = cls._from_core(core)
        self.output = output
        return self

    @classmethod
    def load(cls, path, *, output="auto"):
        """A fitted pipeline from a file written by :meth:`save` (or by C++); ``output`` as
        for :meth:`from_json`."""
        if output not in _OUTPUTS:
            raise InvalidArgument(f"FeaturePipeline.load(): output must be one of "
                                  f"{_OUTPUTS}, got {output!r}")
        # read by C++: a directory, FIFO or device is an IOError, invalid UTF-8 a
        # SerializationError, as for every other loader
        self = cls._from_core(_core._FeaturePipeline.load(os.fspath(path)))
        self.output = output
        return self

    def _extra_state(self):
        return {"feature_names_in": self.feature_names_in_,
                "fitted_on_array": getattr(self, "_fitted_on_array", False),
                "fit_input_kind": getattr(self, "_fit_input_kind", "pandas")}

    def _restore_extra(self, state):
        self.feature_names_in_ = state["feature_names_in"]
        self.n_features_in_ = len(self.feature_names_in_)
        self._fitted_on_array = state.get("fitted_on_array", False)
        self._fit_input_kind = state.get("fit_input_kind", "pandas")

    # ---- helpers -------------------------------------------------------------------------------

    @classmethod
    def _from_core(cls, core):
        """The wrapper of a loaded compiled pipeline, rebuilt from what C++ hands back (each
        step's settings, the event join), never from the saved text."""
        steps = [{"type": core.step_type(i), **core.step_options(i)} for i in range(core.n_steps)]
        events = as_of_col = id_col = None
        prefix = ""
        if core.joins_events:
            events = EventAggregator(**_aggregator_kwargs(core.event_spec.to_dict()))
            join = core.event_join
            as_of_col = join["as_of_column"] or None
            id_col = join["id_column"] or None
            prefix = join["prefix"]
        self = cls(steps or None, events=events, as_of_col=as_of_col, id_col=id_col,
                   event_prefix=prefix, n_threads=core.n_threads)
        self._core = core
        import numpy as np

        self.feature_names_in_ = np.asarray(core.feature_names_in, dtype=object)
        self.n_features_in_ = len(self.feature_names_in_)
        return self

    def _fit(self, X, events, as_of):
        if self.output not in _OUTPUTS:
            raise InvalidArgument(f"FeaturePipeline: output must be one of {_OUTPUTS}, got "
                                  f"{self.output!r}")
        core = self._build()
        if self.events is not None and events is None:
            raise InvalidArgument("FeaturePipeline.fit(): this pipeline joins event features "
                                  "(join_events): pass events= (and as_of= unless as_of_col)")
        if self.events is None and events is not None:
            raise InvalidArgument("FeaturePipeline.fit(): events= is given but the pipeline has "
                                  "no join_events()")
        on_array = not _is_frame(X)
        X = self._as_frame(X, "fit", fitted=False)
        self._clear_fitted()  # an interrupted or failed fit leaves the pipeline unfitted
        self._needed = None
        t = core.fit_transform(X, events=events, as_of=as_of)
        import numpy as np

        self._core = core
        self._fitted_on_array = on_array
        cols = X.column_names if isinstance(X, _core.Table) else [str(c) for c in X.columns]
        self.feature_names_in_ = np.asarray(cols, dtype=object)
        self.n_features_in_ = len(cols)
        return t

    @property
    def _input_names(self):
        """The training columns (x0, x1, ... for an array)."""
        names = getattr(self, "feature_names_in_", None)
        if names is not None:
            return list(names)
        return [f"x{j}" for j in range(self.n_features_in_)]

    def _build(self, **override):
        """The compiled pipeline of the current settings, with `override` (validates them)."""
        p = {name: getattr(self, name) for name in self._PARAMS}
        p.update(override)
        return _build_core(p["steps"], p["events"], p["as_of_col"], p["id_col"],
                           p["event_prefix"], p["n_threads"])

    def _output_kind(self, kind_in):
        """What transform returns for an input of kind ``kind_in`` ("numpy", "pandas" or
        "polars"; None: the kind of the training input)."""
        if self.output != "auto":
            return self.output
        from sklearn import get_config

        wanted = get_config().get("transform_output", "default")
        if wanted in ("pandas", "polars"):
            return wanted
        if kind_in is None:
            kind_in = getattr(self, "_fit_input_kind", "pandas")
        return kind_in

    def _format(self, table, X, copy=True, kind_in="pandas"):
        kind = self._output_kind(kind_in)
        if kind == "table":
            return table
        if kind == "numpy":
            return self._core.numeric_matrix(table)
        df = table.to_pandas(copy=copy and kind == "pandas")  # polars copies anyway
        if _is_pandas_frame(X) and len(X.index) == len(df.index):
            df.index = X.index
        if kind == "polars":
            try:
                import polars as pl
            except ImportError:
                raise ImportError("FeaturePipeline: output 'polars' needs the polars package "
                                  "(pip install polars)") from None
            return pl.from_pandas(df)
        return df


def _input_kind(X):
    """"numpy" for arrays and lists, "polars" for a polars frame, else "pandas" (pandas frames,
    Tables, pyarrow tables): what output="auto" returns for it."""
    if _frames.is_arrow_frame(X):
        return "polars" if type(X).__module__.split(".", 1)[0] == "polars" else "pandas"
    return "pandas" if _is_frame(X) else "numpy"


def _build_core(steps, events, as_of_col, id_col, event_prefix, n_threads):
    """The compiled pipeline of these settings (validates them)."""
    if isinstance(n_threads, bool) or not isinstance(n_threads, numbers.Integral):
        raise TypeMismatch(f"FeaturePipeline: n_threads must be an int, got {n_threads!r}")
    core = _core._FeaturePipeline(n_threads=int(n_threads))
    if events is not None:
        if not isinstance(events, EventAggregator):
            raise TypeMismatch("FeaturePipeline: events must be an EventAggregator, got "
                               f"{type(events).__name__}")
        core.join_events(events._spec, as_of_column="" if as_of_col is None else str(as_of_col),
                         id_column="" if id_col is None else str(id_col),
                         prefix=str(event_prefix or ""))
    elif as_of_col is not None or id_col is not None or event_prefix:
        raise InvalidArgument("FeaturePipeline: as_of_col, id_col and event_prefix belong to "
                              "join_events(); this pipeline has no events")
    for i, step in enumerate(steps or []):
        if not isinstance(step, dict) or "type" not in step:
            raise TypeMismatch(f"FeaturePipeline: step {i} must be a dict with a 'type' key, got "
                               f"{step!r}")
        settings = {k: v for k, v in step.items() if k != "type"}
        core.add_step(str(step["type"]), settings)
    return core
