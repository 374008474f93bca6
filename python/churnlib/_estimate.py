"""Performance estimation without labels (private; re-exported by :mod:`churnlib.monitor`).

:class:`PerformanceEstimator` is NannyML's confidence-based performance estimation (CBPE) on a
mergeable reference state; :class:`EstimatedPerformance` holds the estimates per chunk, their
label-noise bands, the realised values once labels arrive, the reliability check and the
alerts. The method, the band and the reliability rule are documented in
``include/churn/monitor/estimate.hpp`` (C++ does the work, with the GIL released).
"""

from __future__ import annotations

import json
import numbers

import numpy as np

from ._core import _monitor as _m
from ._estimator import CoreBacked
from ._validation import CORE_INT_PARAMS, check_int, parse_json
from .errors import InvalidArgument, NotFittedError, TypeMismatch

__all__ = ["PerformanceEstimator", "EstimatedPerformance"]

#: The metrics of a chunk, in the order of :meth:`EstimatedPerformance.to_pandas`.
METRICS = ("roc_auc", "precision", "recall", "f1", "churn_rate", "expected_churners",
           "campaign_value")
_OFF_PARAMS = ("min_roc_auc", "min_precision", "min_recall", "min_f1", "max_churn_rate")


def _vector(x, what, caller, *, allow_none=False):
    """``x`` (numpy, pandas, list, polars/pyarrow array) as a 1-D float64 numpy array."""
    if x is None:
        if allow_none:
            return None
        raise TypeMismatch(f"{caller}: {what} must be array-like, got None")
    if isinstance(x, (str, bytes, dict)):
        raise TypeMismatch(f"{caller}: {what} must be array-like, got {type(x).__name__}")
    try:
        a = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise TypeMismatch(f"{caller}: {what} must hold numbers ({e})") from None
    if a.ndim != 1:
        raise InvalidArgument(f"{caller}: {what} must be 1-D, got shape {a.shape}")
    return np.ascontiguousarray(a)


def _chunking(n, chunks, caller):
    """(bounds, names, order) of ``chunks``: an int chunk size, or one period key per row (one
    chunk per distinct key, sorted; ``order`` puts the rows chunk after chunk)."""
    if isinstance(chunks, numbers.Integral) and not isinstance(chunks, (bool, np.bool_)):
        size = check_int(chunks, "chunks", caller, 1, CORE_INT_PARAMS["n"][1])
        bounds = list(range(0, n, size)) + [n]
        if n == 0:
            bounds = [0, 0]
        return bounds, [str(c) for c in range(len(bounds) - 1)], None
    if isinstance(chunks, (str, bytes, float)) or chunks is None:
        raise TypeMismatch(f"{caller}: chunks must be an int (rows per chunk) or one period key "
                           f"per row, got {chunks!r}")
    import pandas as pd

    keys = pd.Series(chunks if hasattr(chunks, "dtype") else np.asarray(chunks, dtype=object)
                     if not isinstance(chunks, (list, tuple)) else list(chunks))
    if len(keys) != n:
        raise InvalidArgument(f"{caller}: chunks must have one key per row, got {len(keys)} for "
                              f"{n} rows")
    if keys.isna().any():
        raise InvalidArgument(f"{caller}: chunks holds missing keys (row "
                              f"{int(np.flatnonzero(keys.isna().to_numpy())[0])})")
    try:
        codes, uniques = pd.factorize(keys, sort=True)
    except TypeError as e:
        raise TypeMismatch(f"{caller}: the chunk keys cannot be sorted ({e})") from None
    order = np.argsort(codes, kind="stable")
    counts = np.bincount(codes, minlength=len(uniques))
    bounds = [0] + np.cumsum(counts).tolist()
    return bounds, [str(u) for u in uniques], order


class EstimatedPerformance:
    """Estimated performance per chunk (from :meth:`PerformanceEstimator.estimate`), with the
    bands, the realised values once :meth:`add_realised` got the labels, the reliability check
    and the alerts.

    Attributes
    ----------
    chunks : list of dict
        Per chunk: ``chunk``, ``n``, ``n_targeted``, a dict (``estimated``, ``lower``,
        ``upper``, ``realised``) per metric, ``has_realised`` and ``outside_band``.
    reliable : bool
        False when the realised ROC-AUC falls outside the bands more often than the confidence
        allows (see :attr:`reliability`).
    """

    def __init__(self, core, score=None, order=None):
        self._core = core
        self._score = score  # the scores, chunk after chunk (for add_realised)
        self._order = order  # the permutation that put the rows chunk after chunk, or None

    @property
    def chunks(self):
        return self._core.chunks

    @property
    def n_rows(self):
        return self._core.n_rows

    @property
    def params(self):
        """The estimator's parameters (NaN: a check that is off)."""
        return self._core.params

    @property
    def has_realised(self):
        return self._core.has_realised

    @property
    def reliability(self):
        """The reliability check as a dict: ``n_chunks`` (with a realised ROC-AUC),
        ``n_outside`` (of them outside the band), ``expected_rate`` (1 - confidence),
        ``p_value`` (one-sided binomial test), ``mean_abs_gap``, ``gap_tolerance`` and
        ``reliable``. Unreliable when p < 0.01, or with fewer than 10 chunks when the mean
        |realised - estimated| ROC-AUC exceeds max(0.02, the bands' mean half-width)."""
        return self._core.reliability

    @property
    def reliable(self):
        return bool(self._core.reliability["reliable"])

    def to_pandas(self):
        """One row per chunk: ``chunk``, ``n``, ``n_targeted``, then per metric (``roc_auc``,
        ``precision``, ``recall``, ``f1``, ``churn_rate``, ``expected_churners``,
        ``campaign_value``) the columns ``<metric>_estimated``, ``<metric>_lower``,
        ``<metric>_upper``, ``<metric>_realised``; and ``outside_band``."""
        import pandas as pd

        rows = []
        for c in self.chunks:
            row = {"chunk": c["chunk"], "n": c["n"], "n_targeted": c["n_targeted"]}
            for m in METRICS:
                for part in ("estimated", "lower", "upper", "realised"):
                    row[f"{m}_{part}"] = c[m][part]
            row["outside_band"] = c["outside_band"]
            rows.append(row)
        columns = ["chunk", "n", "n_targeted"] + [
            f"{m}_{p}" for m in METRICS for p in ("estimated", "lower", "upper", "realised")
        ] + ["outside_band"]
        return pd.DataFrame(rows, columns=columns)

    def add_realised(self, y_true):
        """Adds the realised metrics once the labels are known. ``y_true`` (0/1) holds the
        rows in the order of the scores given to ``estimate``. Returns self.

        Raises
        ------
        InvalidArgument
            For another length or labels other than 0/1 (naming the chunk and row).
        """
        caller = "EstimatedPerformance.add_realised()"
        if self._score is None:
            raise InvalidArgument(f"{caller}: this result was loaded without its scores; call "
                                  "it on the result of estimate()")
        y = _vector(y_true, "y_true", caller)
        if len(y) != len(self._score):
            raise InvalidArgument(f"{caller}: y_true must hold the {len(self._score)} rows given "
                                  f"to estimate(), got {len(y)}")
        if self._order is not None:
            y = np.ascontiguousarray(y[self._order])
        self._core.add_realised(self._score, y)
        return self

    @property
    def alerts(self):
        """Alert records (dicts: ``subject`` = the chunk, ``metric``, ``value``, ``threshold``,
        ``severity``): ``estimated_roc_auc`` & co. beyond their limits (moderate; significant
        when the whole band is beyond), and ``estimate_gap`` (significant) per chunk whose
        realised ROC-AUC is outside its band when the estimates are unreliable."""
        return self._core.alerts

    def alerts_frame(self):
        """:meth:`alerts` as a pandas.DataFrame."""
        import pandas as pd

        return pd.DataFrame(self.alerts,
                            columns=["subject", "metric", "value", "threshold", "severity"])

    def to_json(self, indent=None):
        """The result as JSON text (envelope of kind "EstimatedPerformance"; NaN as "nan")."""
        indent = check_int(indent, "indent", "EstimatedPerformance.to_json()",
                           *CORE_INT_PARAMS["indent"], allow_none=True)
        return self._core.to_json(-1 if indent is None else indent)

    def to_dict(self):
        """The result as the dict of :meth:`to_json`."""
        return parse_json(self.to_json(), "EstimatedPerformance JSON")

    @classmethod
    def from_json(cls, text):
        """A result from :meth:`to_json` text (without the scores: add_realised is then
        unavailable)."""
        if isinstance(text, dict):
            text = json.dumps(text)
        return cls(_m.EstimatedPerformance.from_json(text))

    def plot(self, metric="roc_auc", ax=None, path=None):
        """The estimate per chunk with its band, the realised values (points) and the alert
        threshold (dashed). Needs matplotlib (an optional dependency).

        Parameters
        ----------
        metric : str, default "roc_auc"
            One of ``roc_auc``, ``precision``, ``recall``, ``f1``, ``churn_rate``,
            ``expected_churners``, ``campaign_value``.
        ax : matplotlib Axes, optional
        path : str or path-like, optional
            Also write the figure there, atomically (:func:`churnlib.plot.save`).

        Returns
        -------
        matplotlib Axes
        """
        from . import plot

        caller = "EstimatedPerformance.plot"
        if metric not in METRICS:
            raise InvalidArgument(f"{caller}(): metric must be one of {', '.join(METRICS)}, got "
                                  f"{metric!r}")
        ax, created = plot._axes(ax, caller, (8, 4))
        df = self.to_pandas()
        x = np.arange(len(df))
        ax.fill_between(x, df[f"{metric}_lower"], df[f"{metric}_upper"], color=plot.BLUE,
                        alpha=0.2, label=f"{self.params['confidence']:.0%} band")
        ax.plot(x, df[f"{metric}_estimated"], color=plot.BLUE, marker=".", label="estimated")
        if self.has_realised:
            ax.plot(x, df[f"{metric}_realised"], linestyle="none", marker="o", color=plot.RED,
                    label="realised")
        limit = {"roc_auc": "min_roc_auc", "precision": "min_precision", "recall": "min_recall",
                 "f1": "min_f1", "churn_rate": "max_churn_rate"}.get(metric)
        value = self.params.get(limit) if limit else None
        if isinstance(value, (int, float)) and not np.isnan(value):
            ax.axhline(value, color=plot.GREY, linestyle="--", linewidth=1,
                       label=f"{limit} ({value:g})")
        step = max(1, len(df) // 12)
        ax.set_xticks(x[::step])
        ax.set_xticklabels(df["chunk"].iloc[::step], rotation=30, ha="right")
        ax.set_xlabel("chunk")
        ax.set_ylabel(metric)
        ax.set_title(f"Estimated {metric} per chunk" + ("" if self.reliable else " (unreliable)"))
        ax.legend(loc="best")
        return plot._finish(ax, created, path)

    def _repr_html_(self):
        """Notebook display: the summary line, the alerts and the per-chunk table."""
        import html

        alerts = "".join(f"<li>{html.escape(str(a))}</li>" for a in self.alerts)
        return (f"<div><p><b>{html.escape(repr(self))}</b></p>"
                + (f"<p>Alerts:</p><ul>{alerts}</ul>" if alerts else "")
                + self.to_pandas()._repr_html_() + "</div>")

    def __repr__(self):
        state = ("reliable" if self.reliable else "UNRELIABLE") if self.has_realised \
            else "no labels yet"
        return (f"<EstimatedPerformance: {len(self.chunks)} chunks, {self.n_rows:,} rows, "
                f"{state}, {len(self.alerts)} alerts>")

    def __getstate__(self):
        return {"json": self._core.to_json(-1), "score": self._score, "order": self._order}

    def __setstate__(self, state):
        self._core = _m.EstimatedPerformance.from_json(state["json"])
        self._score = state["score"]
        self._order = state["order"]


class PerformanceEstimator(CoreBacked):
    """Estimates the model's performance from its scores alone, before the labels arrive
    (NannyML's confidence-based performance estimation, CBPE), with a label-noise band.

    Fit it on a reference period's scores (calibrated probabilities) and, ideally, labels;
    then :meth:`estimate` later chunks of scores. The reference state is exact integer counts,
    so :meth:`accumulate` on parts and :meth:`merge` give the whole's state bit for bit.

    Parameters
    ----------
    threshold : float, default 0.5
        Rows with score >= threshold are targeted (predicted to churn).
    calibration : {"isotonic", "none"}, default "isotonic"
        With labelled reference data, an isotonic re-calibration fitted on the reference bins
        maps the scores to probabilities; with "none" (or no labels) the scores are taken as
        calibrated.
    bins : int, default 1000
        Uniform bins of [0, 1] the reference is counted on (10 to 100000).
    confidence : float, default 0.95
        Level of the bands.
    min_roc_auc : float or None, default 0.70
        An estimated ROC-AUC below it is an alert (None: off).
    min_precision, min_recall, min_f1, max_churn_rate : float or None
        Further alert limits (off by default).
    value_retained, offer_cost, success_rate : float, default 1.0, 0.1, 1.0
        The campaign economics (as :func:`churnlib.metrics.best_profit_threshold`).
    n_threads : int, default 0
        Threads (0 = all cores). Results do not depend on it.

    Attributes
    ----------
    n_rows_ : int
    has_labels_ : bool
    calibration_map_ : numpy.ndarray
        The isotonic map, one probability per bin (empty when not used).
    reference_metrics_ : dict
        ``realised`` and ``estimated`` metrics of the reference (the calibration check).

    Examples
    --------
    >>> import numpy as np
    >>> import churnlib as cl
    >>> rng = np.random.default_rng(0)
    >>> p = rng.uniform(size=20000)
    >>> y = (rng.uniform(size=20000) < p).astype(float)
    >>> est = cl.monitor.PerformanceEstimator().fit(p[:10000], y[:10000])
    >>> res = est.estimate(p[10000:], chunks=5000)
    >>> res.to_pandas()[["chunk", "roc_auc_estimated"]].round(2).values.tolist()
    [['0', 0.84], ['1', 0.84]]
    >>> res.add_realised(y[10000:]).reliable
    True
    """

    _PARAMS = ("threshold", "calibration", "bins", "confidence", "min_roc_auc", "min_precision",
               "min_recall", "min_f1", "max_churn_rate", "value_retained", "offer_cost",
               "success_rate", "n_threads")
    _core_type = _m.PerformanceEstimator

    def __init__(self, threshold=0.5, *, calibration="isotonic", bins=1000, confidence=0.95,
                 min_roc_auc=0.70, min_precision=None, min_recall=None, min_f1=None,
                 max_churn_rate=None, value_retained=1.0, offer_cost=0.1, success_rate=1.0,
                 n_threads=0):
        self.threshold = threshold
        self.calibration = calibration
        self.bins = bins
        self.confidence = confidence
        self.min_roc_auc = min_roc_auc
        self.min_precision = min_precision
        self.min_recall = min_recall
        self.min_f1 = min_f1
        self.max_churn_rate = max_churn_rate
        self.value_retained = value_retained
        self.offer_cost = offer_cost
        self.success_rate = success_rate
        self.n_threads = n_threads

    def __repr__(self):
        defaults = PerformanceEstimator().get_params()
        args = [f"{k}={v!r}" for k, v in self.get_params().items() if v != defaults[k]]
        return f"PerformanceEstimator({', '.join(args)})"

    def _new_core(self):
        """The compiled estimator: the parameters pass as one dict (None: NaN, a check that is
        off), checked by ``churn::monitor::EstimatorParams::from_options``."""
        options = {}
        for name in self._PARAMS:
            value = getattr(self, name)
            if name in _OFF_PARAMS and value is None:
                value = float("nan")
            options[name] = value
        return _m.PerformanceEstimator(options, "PerformanceEstimator")

    def fit(self, y_score, y_true=None):
        """Counts the reference period: ``y_score`` (probabilities in [0, 1]) and optionally
        its 0/1 labels ``y_true``. Returns self.

        Raises
        ------
        InvalidArgument
            For no rows, a score NaN or outside [0, 1], labels other than 0/1, or lengths
            that differ (naming the row).
        """
        caller = "PerformanceEstimator.fit()"
        core = self._new_core()
        core.fit(_vector(y_score, "y_score", caller),
                 _vector(y_true, "y_true", caller, allow_none=True))
        self._core = core
        return self

    def accumulate(self, y_score, y_true=None):
        """A new estimator with these parameters fitted on a part of the reference (for
        :meth:`merge`)."""
        caller = "PerformanceEstimator.accumulate()"
        core = getattr(self, "_core", None) or self._new_core()
        part = core.accumulate(_vector(y_score, "y_score", caller),
                               _vector(y_true, "y_true", caller, allow_none=True))
        return self._from_core(part)

    def merge(self, other):
        """Adds the counts of ``other`` (same parameters). Exact: any order of merging gives
        bit-identical states. Returns self."""
        if not isinstance(other, PerformanceEstimator):
            raise TypeMismatch("PerformanceEstimator.merge(): expected a PerformanceEstimator, "
                               f"got {type(other).__name__}")
        self._fitted("merge").merge(other._fitted("merge"))
        return self

    def estimate(self, y_score, chunks=5000):
        """Estimated performance per chunk of ``y_score``.

        Parameters
        ----------
        y_score : array-like of probabilities in [0, 1]
        chunks : int or array-like, default 5000
            Rows per chunk (consecutive rows; the last chunk may be shorter), or one period
            key per row (dates, strings, ints...): one chunk per distinct key, in sorted order.

        Returns
        -------
        EstimatedPerformance
        """
        caller = "PerformanceEstimator.estimate()"
        core = self._fitted("estimate")
        s = _vector(y_score, "y_score", caller)
        if len(s) == 0:
            raise InvalidArgument(f"{caller}: y_score has no rows")
        bounds, names, order = _chunking(len(s), chunks, caller)
        if order is not None:
            s = np.ascontiguousarray(s[order])
        return EstimatedPerformance(core.estimate(s, bounds, names), s, order)

    def calibrate(self, y_score):
        """The probabilities CBPE uses for ``y_score`` (the isotonic map, or the scores)."""
        caller = "PerformanceEstimator.calibrate()"
        return np.asarray(self._fitted("calibrate").calibrate(_vector(y_score, "y_score",
                                                                      caller)))

    # ---- fitted state ----------------------------------------------------------------------

    @property
    def n_rows_(self):
        return self._fitted("n_rows_").n_rows

    @property
    def has_labels_(self):
        return self._fitted("has_labels_").has_labels

    @property
    def calibration_map_(self):
        return np.asarray(self._fitted("calibration_map_").calibration_map(), dtype=np.float64)

    @property
    def reference_metrics_(self):
        return self._fitted("reference_metrics_").reference_metrics()

    @classmethod
    def _from_core(cls, core):
        params = dict(core.params)
        for name in _OFF_PARAMS:
            v = params.get(name)
            if isinstance(v, str) or (isinstance(v, float) and np.isnan(v)):
                params[name] = None
        self = cls(**params)
        self._core = core
        return self
