"""Alerts (``churnlib.retention.alerts``): records that tell a person something needs attention.

Three sources, each returning a pandas DataFrame with one row per alert and the columns
``id``, ``kind``, ``subject``, ``metric``, ``value``, ``threshold``, ``severity`` (``info``,
``warning`` or ``critical``), ``reason`` (a sentence) and ``timestamp`` (UTC):

- :func:`risk_alerts`: customers whose churn score crossed a risk threshold since the previous
  scoring run (``previous < threshold <= current``; a customer without a previous score crosses
  when ``current >= threshold``), kind ``risk_threshold``; or rose by more than ``jump``
  (``current - previous > jump``), kind ``risk_jump``.
- :func:`drift_alerts`: features of a :class:`churnlib.monitor.DriftReport` (and the model score)
  whose PSI reached ``psi_warning`` (critical from ``psi_critical``), and missing columns,
  kind ``drift``.
- :func:`quality_alerts`: AUC, precision or recall of a window of labelled customers below a
  minimum, kind ``model_quality``.

Ids are deterministic (a hash of kind, subject, metric and timestamp), so a rerun gives the same
ids. :func:`apply_cooldown` drops repeats of the same (kind, subject) within a cooldown, and
:class:`AlertLog` appends alerts to a JSON-lines file that several processes may write at once
and that a writer killed mid-write never breaks.

The work runs in C++ (``churn::retention``, include/churn/retention/alerts.hpp).

Examples
--------
>>> import os, tempfile
>>> import pandas as pd
>>> from churnlib.retention import alerts as al
>>> previous = pd.Series([0.25, 0.70], index=["C1", "C2"])
>>> a = al.risk_alerts(["C1", "C2", "C3"], [0.75, 0.75, 0.20], previous,
...                    threshold=0.5, jump=0.3, timestamp="2024-05-01")
>>> a[["kind", "subject", "value"]].values.tolist()
[['risk_threshold', 'C1', 0.75], ['risk_jump', 'C1', 0.5]]
>>> log = al.AlertLog(os.path.join(tempfile.mkdtemp(), "alerts.jsonl"))
>>> fresh = al.apply_cooldown(a, log.read(), "1D")
>>> log.append(fresh)
2
"""

from __future__ import annotations

import numbers
import os
import time

import numpy as np

from .. import _core
from ..errors import InvalidArgument, TypeMismatch

_r = _core._retention

__all__ = ["ALERT_COLUMNS", "SEVERITIES", "risk_alerts", "drift_alerts", "quality_alerts",
           "apply_cooldown", "alert_id", "AlertLog"]

#: The columns of an alert DataFrame, in order.
ALERT_COLUMNS = ["id", "kind", "subject", "metric", "value", "threshold", "severity", "reason",
                 "timestamp"]
#: The severities, from the least to the most urgent.
SEVERITIES = ["info", "warning", "critical"]


def _now(timestamp):
    """``timestamp`` as C++ takes it: now (integer nanoseconds, UTC) when None."""
    return time.time_ns() if timestamp is None else timestamp


def _off(v):
    """A threshold that may be None (off) as a float (NaN = off)."""
    return float("nan") if v is None else float(v)


def _is_frame(x):
    return type(x).__name__ == "DataFrame" and type(x).__module__.startswith("pandas")


def _previous_scores(previous):
    """``(ids, scores)`` of the previous run from None, a Series indexed by id, a dict or a
    DataFrame with an ``id`` (or ``customer_id``) and a ``score`` column."""
    if previous is None:
        return np.array([], dtype=object), np.array([], dtype=np.float64)
    if isinstance(previous, dict):
        return np.array(list(previous.keys()), dtype=object), \
            np.asarray(list(previous.values()), dtype=np.float64)
    if _is_frame(previous):
        id_col = next((c for c in ("id", "customer_id") if c in previous.columns), None)
        if id_col is None or "score" not in previous.columns:
            raise InvalidArgument("risk_alerts(): previous must have an 'id' (or 'customer_id') "
                                  f"and a 'score' column, got {list(previous.columns)}")
        return previous[id_col], previous["score"].to_numpy(dtype=np.float64)
    if type(previous).__name__ == "Series":
        return previous.index.to_series(), previous.to_numpy(dtype=np.float64)
    raise TypeMismatch("risk_alerts(): previous must be None, a pandas Series indexed by id, a "
                       f"dict or a DataFrame with id and score, got {type(previous).__name__}")


def risk_alerts(ids, scores, previous=None, *, threshold=0.5, jump=0.2,
                threshold_severity="warning", jump_severity="warning", timestamp=None):
    """Alerts for customers at risk: a crossed risk threshold or a jump since the previous run.

    Parameters
    ----------
    ids : array-like
        Customer ids (text or integers), one per score, distinct.
    scores : array-like of float
        This run's churn scores (finite).
    previous : pandas.Series, dict or pandas.DataFrame, optional
        The previous run's scores by id: a Series indexed by id, a dict id -> score, or a frame
        with an ``id`` (or ``customer_id``) and a ``score`` column. Matched by id; customers it
        lacks are new (no jump; they cross when their score is at or above the threshold).
        None: no previous run.
    threshold : float or None, default 0.5
        The risk threshold (None: no crossing alerts).
    jump : float or None, default 0.2
        A rise by more than this is an alert (> 0; None: no jump alerts).
    threshold_severity, jump_severity : {"info", "warning", "critical"}, default "warning"
    timestamp : int, str, datetime or pandas.Timestamp, optional
        When the alerts are raised (integers are nanoseconds since 1970, UTC); default now.

    Returns
    -------
    pandas.DataFrame
        One row per alert (see :data:`ALERT_COLUMNS`), in the order of ``ids``.

    Raises
    ------
    InvalidArgument
        For mismatched lengths, a repeated or missing id, a non-finite score or an invalid
        parameter.
    """
    prev_ids, prev_scores = _previous_scores(previous)
    params = {"threshold": _off(threshold), "jump": _off(jump),
              "threshold_severity": threshold_severity, "jump_severity": jump_severity}
    return _r.risk_alerts(ids, scores, prev_ids, prev_scores, _now(timestamp), params)


def drift_alerts(report, *, psi_warning=0.1, psi_critical=0.25, include_score=True,
                 timestamp=None):
    """Alerts for drifting features: PSI at or above ``psi_warning`` (critical from
    ``psi_critical``), and columns missing from the batch (critical).

    Parameters
    ----------
    report : churnlib.monitor.DriftReport, pandas.DataFrame, pandas.Series or dict
        A drift report (its features, and its score row with ``include_score``), a frame with
        ``feature`` and ``psi`` columns (such as ``report.to_pandas()``), or PSI values by
        feature name. A NaN PSI raises nothing.
    psi_warning : float, default 0.1
    psi_critical : float, default 0.25
        At least ``psi_warning`` (``float("inf")``: never critical).
    include_score : bool, default True
        Whether the model score's drift (subject ``"score"``) raises alerts (reports only).
    timestamp : optional
        As in :func:`risk_alerts`.

    Returns
    -------
    pandas.DataFrame
        One row per alert, in the report's order (the score last).
    """
    from .. import monitor

    params = {"psi_warning": float(psi_warning), "psi_critical": float(psi_critical),
              "include_score": bool(include_score)}
    t = _now(timestamp)
    if isinstance(report, monitor.DriftReport):
        return _r.drift_alerts_report(report._core, t, params)
    if _is_frame(report):
        if not {"feature", "psi"} <= set(report.columns):
            raise InvalidArgument("drift_alerts(): a frame needs 'feature' and 'psi' columns, "
                                  f"got {list(report.columns)}")
        names, psi = report["feature"], report["psi"]
    elif type(report).__name__ == "Series":
        names, psi = list(report.index), report.to_numpy(dtype=np.float64)
    elif isinstance(report, dict):
        names, psi = list(report.keys()), list(report.values())
    else:
        raise TypeMismatch("drift_alerts(): expected a churnlib.monitor.DriftReport, a DataFrame "
                           f"with feature and psi, a Series or a dict, got {type(report).__name__}")
    return _r.drift_alerts_values([str(n) for n in names],
                                  np.asarray(psi, dtype=np.float64), t, params)


def quality_alerts(y_true, y_score, *, min_auc=0.70, min_precision=None, min_recall=None,
                   threshold=0.5, subject="model", auc_severity="critical",
                   precision_severity="warning", recall_severity="warning", timestamp=None):
    """Alerts for a model whose quality fell: AUC, precision or recall over a window of labelled
    customers below a minimum.

    Parameters
    ----------
    y_true : array-like of 0/1
        What happened (1 = churned).
    y_score : array-like of float
        The scores the model gave those customers.
    min_auc : float or None, default 0.70
    min_precision, min_recall : float or None, default None
        Minimums in [0, 1] (None: that check is off).
    threshold : float, default 0.5
        Decision threshold of precision and recall (``score >= threshold``).
    subject : str, default "model"
        The model's name, the alerts' subject.
    auc_severity, precision_severity, recall_severity : {"info", "warning", "critical"}
        Default "critical", "warning", "warning".
    timestamp : optional
        As in :func:`risk_alerts`.

    Returns
    -------
    pandas.DataFrame
        Up to three alerts (auc, precision, recall). An undefined metric raises nothing: the AUC
        of a window with one class, the recall of a window without churners. Values equal
        scikit-learn's ``roc_auc_score``, ``precision_score`` and ``recall_score``.
    """
    params = {"min_auc": _off(min_auc), "min_precision": _off(min_precision),
              "min_recall": _off(min_recall), "threshold": float(threshold),
              "subject": str(subject), "auc_severity": auc_severity,
              "precision_severity": precision_severity, "recall_severity": recall_severity}
    return _r.quality_alerts(y_true, y_score, _now(timestamp), params)


def _nanoseconds(cooldown):
    """A duration in nanoseconds: an int (nanoseconds) or anything pandas.Timedelta reads."""
    if isinstance(cooldown, (numbers.Integral, bool)):  # ints are nanoseconds; a bool is no
        from .._validation import INT64_MAX, INT64_MIN, check_int  # duration (TypeMismatch)

        return check_int(cooldown, "cooldown", "apply_cooldown()", INT64_MIN, INT64_MAX)
    import pandas as pd

    try:
        delta = pd.Timedelta(cooldown)
    except (TypeError, ValueError) as e:
        raise InvalidArgument(f"apply_cooldown(): cannot read cooldown {cooldown!r} as a "
                              f"duration ({e})") from None
    if delta is pd.NaT:
        raise InvalidArgument("apply_cooldown(): cooldown must not be NaT")
    return int(delta.value)


def apply_cooldown(alerts, history, cooldown):
    """The alerts that are news: repeats of the same (kind, subject) within ``cooldown`` of an
    earlier alert of at least their severity are dropped.

    Parameters
    ----------
    alerts : pandas.DataFrame or churnlib.Table
        New alerts (the columns of :data:`ALERT_COLUMNS`).
    history : pandas.DataFrame, churnlib.Table, AlertLog or None
        Earlier alerts, e.g. ``log.read()``; an AlertLog is read.
    cooldown : int, str, datetime.timedelta or pandas.Timedelta
        The quiet period (``"1D"``, ``"12h"``; integers are nanoseconds), >= 0.

    Returns
    -------
    pandas.DataFrame
        The alerts kept, in their order. An alert whose id is in ``history`` (a rerun) is
        dropped; one more severe than the earlier ones passes (an escalation); alerts of the
        batch count as history for the later ones.
    """
    ns = _nanoseconds(cooldown)
    if isinstance(history, AlertLog):
        history = history.read()
    if history is not None and len(history) == 0:
        history = None
    if len(alerts) == 0:
        if ns < 0:
            raise InvalidArgument(f"apply_cooldown(): cooldown must be >= 0, got {ns} ns")
        return _r.empty_alerts()
    return _r.apply_cooldown(alerts, history, ns)


def alert_id(kind, subject, metric, timestamp):
    """The id the sources give an alert: 16 hex digits of the SHA-256 of kind, subject, metric
    and timestamp (any timestamp :func:`risk_alerts` accepts)."""
    import pandas as pd

    ns = timestamp if isinstance(timestamp, numbers.Integral) else pd.Timestamp(timestamp).value
    return _r.alert_id(str(kind), str(subject), str(metric), int(ns))


class AlertLog:
    """An append-only JSON-lines file of alerts, safe for several processes appending at once
    and for writers killed mid-write.

    :meth:`append` takes an exclusive lock (``flock``) on the file, ends a torn last line left by
    a killed writer, and writes all records in one ``write``; :meth:`read` returns the records of
    every complete line and skips the rest, so readers never see half a record. The file should
    be on a local file system (``flock`` is advisory and local).

    Parameters
    ----------
    path : str or os.PathLike
        The file (created by the first append; its folder must exist).
    fsync : bool, default False
        Flush each append to the device before returning (survives a machine crash).

    Examples
    --------
    >>> import os, tempfile
    >>> from churnlib.retention.alerts import AlertLog, drift_alerts
    >>> log = AlertLog(os.path.join(tempfile.mkdtemp(), "alerts.jsonl"))
    >>> log.append(drift_alerts({"tenure": 0.3, "charges": 0.05}, timestamp="2024-05-01"))
    1
    >>> log.read()[["subject", "severity"]].values.tolist()
    [['tenure', 'critical']]
    """

    def __init__(self, path, *, fsync=False):
        self._core = _r.AlertLog(os.fspath(path), bool(fsync))

    @property
    def path(self):
        """The file's path."""
        return self._core.path

    @property
    def fsync(self):
        """Whether appends are flushed to the device."""
        return self._core.fsync

    def append(self, alerts):
        """Appends alerts (a DataFrame or churnlib.Table with the alert columns) in one locked
        write; returns how many. Nothing is written for an empty frame.

        Raises
        ------
        InvalidArgument
            For a missing column or value, an unknown severity or an empty id (before anything
            is written).
        IOError
            If the file cannot be opened, locked or written.
        """
        if len(alerts) == 0:
            return 0
        return self._core.append(alerts)

    def read(self):
        """The alerts of the file as a DataFrame (empty when the file does not exist).

        Lines that are not alerts (a fragment a killed writer left, a damaged line) are skipped;
        ``df.attrs["skipped_lines"]`` counts them, and ``df.attrs["trailing_bytes"]`` counts the
        bytes after the last newline (a line being written, or torn), which are ignored.
        """
        df, skipped, trailing = self._core.read()
        df.attrs["skipped_lines"] = skipped
        df.attrs["trailing_bytes"] = trailing
        return df

    def __fspath__(self):
        return self.path

    def __repr__(self):
        return f"AlertLog({self.path!r}{', fsync=True' if self.fsync else ''})"
