"""Feature engineering: :class:`EventAggregator`, point-in-time aggregation of an event log.

The work runs in C++ (``churn::features::EventAggregator``) with the GIL released; this module
maps Python arguments onto the C++ spec and converts pandas frames and churnlib Tables. The
feature definitions (windows, active days, recency, trends, amounts) are documented in
``include/churn/features/aggregate.hpp`` and in :class:`EventAggregator`.
"""

from __future__ import annotations

import numbers

from . import _core
from .errors import InvalidArgument, NotFittedError, TypeMismatch

__all__ = ["EventAggregator"]

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
        return _core._EventAggregationSpec(
            id_column=str(self.customer_col), time_column=str(self.time_col),
            type_column=str(self.type_col),
            amount_column="" if self.amount_col is None else str(self.amount_col),
            windows_days=_windows(self.windows),
            event_types=_names(self.event_types, "event_types"),
            type_counts=bool(self.type_counts), total_counts=bool(self.total_counts),
            trends=bool(self.trends), active_days=bool(self.active_days),
            recency=bool(self.recency), type_recency=bool(self.type_recency),
            days_since_first=bool(self.days_since_first), amount_sum=bool(self.amount_sum),
            amount_mean=bool(self.amount_mean), amount_max=bool(self.amount_max),
            amount_overall=bool(self.amount_overall),
            amount_event_types=_names(self.amount_event_types, "amount_event_types"),
            n_threads=int(self.n_threads))

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
        spec = _core._EventAggregationSpec.rfm(int(window), str(amount_col),
                                               "" if event_type is None else str(event_type))
        fields = spec.to_dict()
        kwargs = {py: fields[c] for py, c in _SPEC_FIELDS.items()}
        kwargs.update(customer_col=customer_col, time_col=time_col, type_col=type_col,
                      n_threads=n_threads)
        kwargs["windows"] = tuple(kwargs["windows"])
        kwargs["event_types"] = kwargs["event_types"] or None
        kwargs["amount_event_types"] = kwargs["amount_event_types"] or None
        windows = kwargs.pop("windows")
        return cls(windows, **kwargs)

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
        self._agg.update(self._event_columns(events))
        return self

    def result(self, as_table=False):
        """The features of the events fed so far (feeding may go on afterwards).

        Returns
        -------
        pandas.DataFrame or Table
            A frame indexed by the customer id (by customer id and as-of for per-row as-of
            dates), one row per customer row in the order given to :meth:`start`; with
            ``as_table`` a churnlib.Table whose first columns are the keys.
        """
        self._check_started("result")
        return self._format(self._agg.result(), self._keys, as_table)

    def transform(self, events, customers=None, as_of=None, as_of_col=None, as_table=False):
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

        Returns
        -------
        pandas.DataFrame or Table
        """
        if customers is None:
            customers = self._distinct_ids(events)
        # A local aggregator: transform does not touch the streaming state, so concurrent
        # transforms on one EventAggregator are safe (the C++ work runs without the GIL).
        agg, keys = self._new_core(customers, as_of, as_of_col)
        agg.update(self._event_columns(events))
        t = agg.result()
        self._last_feature_names = list(agg.feature_names())
        return self._format(t, keys, as_table)

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
    def _format(table, keys, as_table):
        return table if as_table else table.to_pandas(copy=False).set_index(keys)

    def _check_started(self, what):
        if self._agg is None:
            raise NotFittedError(f"EventAggregator.{what}: call start(customers, as_of) or "
                                 "transform(...) first")

    def _new_core(self, customers, as_of, as_of_col):
        """A compiled aggregator for these output rows, and the key columns of its result."""
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
                    ids = customers.select([self._spec.id_column]).to_pandas()[
                        self._spec.id_column]
            agg = _core._EventAggregator(self._spec, customer_ids=ids, as_of=as_of)
            keys = [self._spec.id_column]
        return agg, keys

    def _event_columns(self, events):
        """Only the spec's columns of a pandas frame are converted (C++ ignores the others
        anyway); a missing one is left for the C++ check to report by name."""
        if _is_pandas_frame(events):
            s = self._spec
            wanted = {s.id_column, s.time_column, s.type_column, s.amount_column}
            keep = [str(c) in wanted for c in events.columns]
            if not all(keep):
                events = events.loc[:, keep]
        return events

    def _distinct_ids(self, events):
        import pandas as pd

        col = self._spec.id_column
        if isinstance(events, _core.Table):
            if col not in events.column_names:
                raise InvalidArgument(f"EventAggregator.transform(): the events have no column "
                                      f"'{col}' (customer_col)")
            s = events.select([col]).to_pandas()[col]
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
