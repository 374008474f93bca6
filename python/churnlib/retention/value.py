r"""Money per customer and KPIs for BI tools (``churnlib.retention.value``).

For a customer with churn probability ``p`` per period (in [0, 1]) and periodic revenue ``r``
(finite, >= 0), with horizon ``H`` (periods), discount rate ``d`` per period and margin ``m``
(fraction of revenue kept):

- **revenue at risk** ``= p * r * H``: the horizon's revenue lost if the customer churns now,
  weighted by the probability that they do.
- **customer lifetime value** of a subscription, paid at the start of each period while the
  customer stays (period 0 is paid; the customer is still there after ``t`` periods with
  probability ``(1 - p)**t``; each payment is discounted by ``(1 + d)**t``)::

      clv = m * r * sum_{t=0}^{H-1} q**t,   q = (1 - p) / (1 + d)
          = m * r * (1 - q**H) / (1 - q)    (q < 1),    m * r * H    (q = 1: p = 0, d = 0)

  computed without the cancellation of ``1 - q`` near ``q = 1``; at ``p = 1`` it is ``m * r``.
- **expected loss** ``= p * clv``: the lifetime value at stake times the probability that it is
  lost ("CLV at risk").

Sums (the KPI summary's) add the rows in fixed blocks in row order and fold the blocks in order:
results do not depend on ``n_threads``.

Examples
--------
>>> from churnlib.retention import customer_lifetime_value
>>> customer_lifetime_value([0.1], [100.0], horizon=3).tolist()   # 100 (1 + 0.9 + 0.81)
[271.0]
"""

from __future__ import annotations

import numbers

import numpy as np

from .._core import _retention as _r
from ..errors import TypeMismatch
from .buckets import RiskBuckets, float_vector, like

__all__ = ["revenue_at_risk", "customer_lifetime_value", "expected_loss", "customer_value",
           "kpi_summary", "customer_export"]


def _value_params(caller, horizon=12, discount_rate=0.0, margin=1.0):
    """The value parameters as the dict the compiled functions take (types checked here,
    ranges in C++)."""
    if isinstance(horizon, (bool, np.bool_)) or not isinstance(horizon, numbers.Integral):
        raise TypeMismatch(f"{caller}: horizon must be an int, got {horizon!r}")
    for name, v in (("discount_rate", discount_rate), ("margin", margin)):
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, numbers.Real):
            raise TypeMismatch(f"{caller}: {name} must be a number, got {v!r}")
    return {"horizon": int(horizon), "discount_rate": float(discount_rate),
            "margin": float(margin)}


def _threads(n_threads, caller):
    if isinstance(n_threads, (bool, np.bool_)) or not isinstance(n_threads, numbers.Integral):
        raise TypeMismatch(f"{caller}: n_threads must be an int, got {n_threads!r}")
    return int(n_threads)


def _value(probability, revenue, caller, n_threads, **params):
    p = float_vector(probability, caller, "probability")
    r = float_vector(revenue, caller, "revenue", n=p.shape[0])
    return _r.customer_value(p, r, _value_params(caller, **params), _threads(n_threads, caller),
                             caller)


def revenue_at_risk(probability, revenue, *, horizon=12, n_threads=0):
    """Revenue at risk per customer: ``p * r * H``.

    Parameters
    ----------
    probability : array-like of float (n,)
        Churn probability per period, each in [0, 1].
    revenue : array-like of float (n,)
        Revenue per period, finite and >= 0.
    horizon : int, default 12
        Periods, >= 1.
    n_threads : int, default 0
        Threads (0 = all cores).

    Returns
    -------
    ndarray of float64 (n,), or a Series with the index of a Series ``probability``.

    Raises
    ------
    InvalidArgument
        Empty input, lengths that differ, a probability NaN or outside [0, 1], a revenue NaN,
        infinite or negative (naming the row), horizon < 1.
    TypeMismatch
        Non-numeric input.
    """
    out = _value(probability, revenue, "revenue_at_risk()", n_threads, horizon=horizon)[0]
    return like(out, probability, "revenue_at_risk")


def customer_lifetime_value(probability, revenue, *, horizon=12, discount_rate=0.0, margin=1.0,
                            n_threads=0):
    """Customer lifetime value of a subscription over ``horizon`` periods:
    ``m * r * sum_{t=0}^{H-1} ((1 - p) / (1 + d))**t`` (see the module docstring).

    Parameters
    ----------
    probability, revenue : array-like of float (n,)
        As in :func:`revenue_at_risk`.
    horizon : int, default 12
        Periods, >= 1.
    discount_rate : float, default 0.0
        Per period, finite and >= 0.
    margin : float, default 1.0
        Fraction of revenue kept, in [0, 1].
    n_threads : int, default 0

    Returns
    -------
    ndarray of float64 (n,), or a Series with the index of a Series ``probability``.

    Raises
    ------
    InvalidArgument, TypeMismatch
        As :func:`revenue_at_risk`; a parameter out of range.
    """
    out = _value(probability, revenue, "customer_lifetime_value()", n_threads, horizon=horizon,
                 discount_rate=discount_rate, margin=margin)[1]
    return like(out, probability, "clv")


def expected_loss(probability, revenue, *, horizon=12, discount_rate=0.0, margin=1.0,
                  n_threads=0):
    """Expected loss per customer: ``p * clv`` (:func:`customer_lifetime_value`'s CLV).

    Parameters and errors as :func:`customer_lifetime_value`.
    """
    out = _value(probability, revenue, "expected_loss()", n_threads, horizon=horizon,
                 discount_rate=discount_rate, margin=margin)[2]
    return like(out, probability, "expected_loss")


def customer_value(probability, revenue, *, horizon=12, discount_rate=0.0, margin=1.0,
                   n_threads=0):
    """The three money figures in one pass, as a pandas.DataFrame with the columns
    ``revenue_at_risk``, ``clv`` and ``expected_loss`` (index: a Series ``probability``'s, else
    0..n-1). Parameters and errors as :func:`customer_lifetime_value`."""
    import pandas as pd

    at_risk, clv, loss = _value(probability, revenue, "customer_value()", n_threads,
                                horizon=horizon, discount_rate=discount_rate, margin=margin)
    index = probability.index if type(probability).__name__ == "Series" else None
    # copy=False: the three fresh arrays become the frame's columns as they are (no 2-D block)
    return pd.DataFrame({"revenue_at_risk": at_risk, "clv": clv, "expected_loss": loss},
                        index=index, copy=False)


def _buckets(buckets, caller):
    if buckets is None:
        buckets = RiskBuckets()
    if not isinstance(buckets, RiskBuckets):
        raise TypeMismatch(f"{caller}: buckets must be a churnlib.retention.RiskBuckets, got "
                           f"{type(buckets).__name__}")
    return buckets._fitted(caller)


def _column(x, caller, what):
    """A segment / id / action column as the compiled code takes it (None stays None)."""
    if x is None:
        return None
    if isinstance(x, (str, bytes, dict, numbers.Number)):
        raise TypeMismatch(f"{caller}: {what} must be array-like, got {type(x).__name__}")
    if not hasattr(x, "__len__"):
        raise TypeMismatch(f"{caller}: {what} must be array-like, got {type(x).__name__}")
    if isinstance(x, (list, tuple)):
        x = np.asarray(x, dtype=object if any(isinstance(v, str) for v in x) else None)
    return x


def kpi_summary(scores, revenue, *, buckets=None, segment=None, observed=None, threshold=0.5,
                horizon=12, discount_rate=0.0, margin=1.0, n_threads=0, as_json=False):
    """KPIs for BI tools, one row per group: overall, each segment, each risk bucket.

    Parameters
    ----------
    scores : array-like of float (n,)
        Churn probabilities per period, each in [0, 1].
    revenue : array-like of float (n,)
        Revenue per period, finite and >= 0.
    buckets : RiskBuckets, optional
        Fitted (or fixed) buckets; default ``RiskBuckets()`` (cut points 0.25, 0.5, 0.75).
    segment : array-like (n,), optional
        Segment of each customer: categorical, strings or integers (a float column is a
        TypeMismatch). Missing values form the group "(missing)".
    observed : array-like (n,), optional
        Observed churn labels 0, 1 or NaN (unknown).
    threshold : float, default 0.5
        Predicted churner when ``score >= threshold``.
    horizon, discount_rate, margin
        As :func:`customer_lifetime_value`.
    n_threads : int, default 0
    as_json : bool, default False
        Return the JSON text instead: ``{"threshold", "value", "bucket_labels",
        "has_observed", "rows": [{column: value}, ...]}`` (NaN as "nan").

    Returns
    -------
    pandas.DataFrame
        Columns ``level`` ("overall", "segment", "bucket"), ``group``, ``customers``, ``share``,
        ``labelled``, ``observed_churners``, ``observed_churn_rate`` (NaN without labels),
        ``expected_churners`` (sum of p), ``expected_churn_rate``, ``predicted_churners``,
        ``revenue``, ``revenue_at_risk``, ``clv``, ``clv_at_risk`` (sum of the expected loss)
        and ``n_<label>`` per bucket. ``df.attrs["json"]`` holds the JSON text.

    Raises
    ------
    InvalidArgument
        Empty input, lengths that differ, NaN or out-of-range values (naming the row), labels
        other than 0/1/NaN, invalid parameters.
    TypeMismatch
        Non-numeric scores/revenue, a float segment, ``buckets`` not a RiskBuckets.
    NotFittedError
        Quantile buckets not fitted.
    """
    caller = "kpi_summary()"
    core = _buckets(buckets, caller)
    p = float_vector(scores, caller, "scores")
    n = p.shape[0]
    r = float_vector(revenue, caller, "revenue", n=n)
    y = np.empty(0) if observed is None else float_vector(observed, caller, "observed", n=n)
    if isinstance(threshold, (bool, np.bool_)) or not isinstance(threshold, numbers.Real):
        raise TypeMismatch(f"{caller}: threshold must be a number, got {threshold!r}")
    codes = core.assign(p)
    df, text = _r.kpi_summary(p, codes, list(core.labels), r, _column(segment, caller, "segment"),
                              y, _value_params(caller, horizon, discount_rate, margin),
                              float(threshold), _threads(n_threads, caller))
    if as_json:
        return text
    df.attrs["json"] = text
    return df


def customer_export(scores, revenue, *, ids=None, buckets=None, segment=None, action=None,
                    expected_net_value=None, horizon=12, discount_rate=0.0, margin=1.0,
                    n_threads=0):
    """One row per customer, ready for Tableau or Power BI.

    Parameters
    ----------
    scores, revenue : array-like of float (n,)
        As :func:`kpi_summary`.
    ids : array-like (n,), optional
        Customer ids (any type); row numbers 0..n-1 when omitted.
    buckets, segment
        As :func:`kpi_summary`.
    action : array-like of str (n,), optional
        The action chosen per customer (e.g. by the retention rules).
    expected_net_value : array-like of float (n,), optional
        The action's expected net value (NaN = none).
    horizon, discount_rate, margin, n_threads
        As :func:`customer_lifetime_value`.

    Returns
    -------
    pandas.DataFrame
        Columns ``id``, ``score``, ``bucket`` (categorical of the labels), ``segment`` (when
        given), ``revenue_at_risk``, ``clv``, ``expected_loss``, and ``action`` and
        ``expected_net_value`` when given. Write it with ``df.to_csv`` or ``df.to_parquet``.

    Raises
    ------
    InvalidArgument, TypeMismatch, NotFittedError
        As :func:`kpi_summary`; an action column that is not text.
    """
    caller = "customer_export()"
    core = _buckets(buckets, caller)
    p = float_vector(scores, caller, "scores")
    n = p.shape[0]
    r = float_vector(revenue, caller, "revenue", n=n)
    env = (np.empty(0) if expected_net_value is None
           else float_vector(expected_net_value, caller, "expected_net_value", n=n))
    codes = core.assign(p)
    return _r.customer_export(_column(ids, caller, "ids"), p, codes, list(core.labels), r,
                              _column(segment, caller, "segment"),
                              _column(action, caller, "action"), env,
                              _value_params(caller, horizon, discount_rate, margin),
                              _threads(n_threads, caller))

