"""Drift monitoring (``churnlib.monitor``, alias ``cl.monitor``): PSI and the other distribution
statistics, a saved :class:`Baseline` of the training data, and the :class:`DriftReport` that
compares a new batch with it.

The work runs in C++ (``churn::monitor``) with the GIL released. Definitions (documented in
``include/churn/monitor/psi.hpp``):

- **Bins** come from the reference: numpy's default quantiles at ``i / bins`` with repeated
  edges merged (``binning="quantile"``), or ``bins`` equal-width bins between the reference
  minimum and maximum (``"equal_width"``); left-closed, the last bin closed on both sides (as
  ``np.histogram``). Values outside the reference range fall into the end bins (and count as
  out of range). **Missing values are a bin of their own.**
- **PSI** = ``sum (c - r) * ln(c / r)`` over the bins, shares over all rows; an empty bin's share
  is replaced by ``epsilon`` (default **1e-4**). Categorical PSI: one bin per reference
  category, one for categories never seen in the reference, one for missing.
- **KS**: the two-sample Kolmogorov-Smirnov statistic of the non-missing values
  (``scipy.stats.ks_2samp``'s statistic); a baseline evaluates it on a fixed grid of
  ``ks_points`` reference quantiles (within about ``1 / ks_points`` of the exact value).
- **Jensen-Shannon distance**: ``scipy.spatial.distance.jensenshannon`` (natural log) over the
  PSI bins.
- **Status** of a feature: ``stable`` < ``moderate`` (0.1) <= ``moderate`` < ``significant``
  (0.25) <= ``significant``; ``missing_column`` when the batch lacks a baseline column.

Baselines merge exactly: ``base.accumulate(chunk)`` on workers, ``merge`` the parts, then
``base.compare(merged)`` equals ``base.compare(whole_batch)``; this is how monitoring runs over
a stream or inside a Spark/Dask job.

Examples
--------
>>> import churnlib as cl
>>> train = cl.make_customers(5000, seed=1).to_pandas()
>>> base = cl.monitor.Baseline(bins=10).fit(train.drop(columns=["customer_id"]))
>>> batch = cl.make_customers(2000, seed=2).to_pandas()
>>> batch["monthly_charges"] *= 1.3                       # prices went up
>>> report = base.compare(batch)
>>> report.to_pandas().loc[0, ["feature", "status"]].tolist()
['monthly_charges', 'significant']
"""

from __future__ import annotations

import json
import numbers
import os

import numpy as np

from . import _core, _frames
from ._core import _monitor as _m
from ._estimate import EstimatedPerformance, PerformanceEstimator
from ._estimator import CoreBacked
from ._validation import CORE_INT_PARAMS, check_int, check_matrix, parse_json
from ._multivariate import (DomainClassifierResult, PcaDrift, PcaDriftResult,
                            auc_null_variance, domain_classifier_drift)
from .errors import InvalidArgument, TypeMismatch

__all__ = ["Baseline", "DriftReport", "psi", "ks_statistic", "js_distance", "bin_edges",
           "missing_rate", "share_out_of_range", "unseen_categories", "DEFAULT_EPSILON",
           "PerformanceEstimator", "EstimatedPerformance",
           "domain_classifier_drift", "DomainClassifierResult", "PcaDrift", "PcaDriftResult",
           "auc_null_variance"]

#: The share given to an empty bin in PSI (a zero share would make PSI infinite).
DEFAULT_EPSILON = _m.Baseline.default_params()["epsilon"]  # C++ kDefaultEpsilon (1e-4)


def _is_categorical(x):
    """Whether a 1-D input is categorical / text (pandas category, object or string dtype,
    numpy str/object arrays)."""
    dtype = getattr(x, "dtype", None)
    if dtype is None:
        x = np.asarray(x)
        dtype = x.dtype
    try:
        import pandas as pd

        if isinstance(dtype, pd.CategoricalDtype) or pd.api.types.is_string_dtype(dtype):
            return True
    except ImportError:  # pragma: no cover - pandas is a dependency
        pass
    return getattr(dtype, "kind", "") in ("O", "U", "S")


def _categorical_pair(reference, current, what):
    rc, cc = _is_categorical(reference), _is_categorical(current)
    if rc != cc:
        raise TypeMismatch(f"monitor.{what}(): reference and current must both be numeric or both "
                           "categorical")
    return rc


def _as_series(x):
    import pandas as pd

    if isinstance(x, (pd.Series, pd.Categorical, np.ndarray)):
        return x
    return pd.Series(list(x))


# ---- one-column statistics ----------------------------------------------------------------------

def _bins(bins, caller):
    """``bins`` checked (an int >= 1 that C++'s int holds; 3.0, True or 2**40 raise naming it)."""
    return check_int(bins, "bins", caller, *CORE_INT_PARAMS["bins"])


def psi(reference, current, bins=10, binning="quantile", epsilon=DEFAULT_EPSILON):
    """Population stability index of one column.

    Parameters
    ----------
    reference, current : array-like
        Numeric (NaN = missing) or categorical / text (None or NaN = missing); both of the same
        kind. Categories are matched by name.
    bins : int, default 10
        Numeric bins (quantile edges that repeat are merged).
    binning : {"quantile", "equal_width"}
    epsilon : float, default 1e-4
        The share of an empty bin.

    Returns
    -------
    float
    """
    if _categorical_pair(reference, current, "psi"):
        return _m.categorical_psi(_as_series(reference), _as_series(current), epsilon)
    return _m.psi(reference, current, _bins(bins, "psi()"), binning, float(epsilon))


def js_distance(reference, current, bins=10, binning="quantile"):
    """Jensen-Shannon distance (natural log, between 0 and sqrt(ln 2)) over the PSI bins."""
    if _categorical_pair(reference, current, "js_distance"):
        return _m.categorical_js_distance(_as_series(reference), _as_series(current))
    return _m.js_distance(reference, current, _bins(bins, "js_distance()"), binning)


def ks_statistic(reference, current):
    """Exact two-sample Kolmogorov-Smirnov statistic of the non-missing values (NaN when either
    side has none); numeric columns only."""
    return _m.ks_statistic(reference, current)


def bin_edges(reference, bins=10, binning="quantile"):
    """The PSI bin edges of a numeric reference (strictly increasing), as a numpy array."""
    return np.asarray(_m.bin_edges(reference, _bins(bins, "bin_edges()"), binning))


def missing_rate(x):
    """Share of missing values (NaN) of a numeric column."""
    return _m.missing_rate(x)


def share_out_of_range(reference, current):
    """Share of the non-missing current values outside [min, max] of the reference."""
    return _m.share_out_of_range(reference, current)


def unseen_categories(reference, current):
    """Categories of ``current`` never seen in ``reference``, sorted."""
    return list(_m.unseen_categories(_as_series(reference), _as_series(current)))


# ---- DriftReport --------------------------------------------------------------------------------

def _importance_dict(importance, caller):
    """{feature: float} from a dict, a pandas Series or a DataFrame (feature, importance)."""
    if hasattr(importance, "columns"):
        cols = list(importance.columns)
        if "feature" not in cols or "importance" not in cols:
            raise InvalidArgument(f"{caller}: a DataFrame of importances needs the columns "
                                  f"'feature' and 'importance', got {cols}")
        items = zip(importance["feature"], importance["importance"])
    elif hasattr(importance, "items"):
        items = importance.items()
    else:
        raise TypeMismatch(f"{caller}: importance must be a dict, a pandas Series or a "
                           f"DataFrame, got {type(importance).__name__}")
    out = {}
    for name, value in items:
        if not isinstance(name, str):
            raise TypeMismatch(f"{caller}: feature names must be str, got {name!r}")
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.number)):
            raise TypeMismatch(f"{caller}: the importance of '{name}' must be a number, got "
                               f"{value!r}")
        out[name] = float(value)
    return out


_REPORT_COLUMNS = ["feature", "kind", "psi", "status", "ks", "js", "missing_rate_reference",
                   "missing_rate_current", "share_out_of_range", "share_unseen",
                   "unseen_categories", "importance", "impact"]
_STATUS_COLORS = {"stable": "#4c9f70", "moderate": "#e0a030", "significant": "#d0453a",
                  "missing_column": "#7a7a7a"}


class DriftReport:
    """Drift of a batch against a :class:`Baseline` (from :meth:`Baseline.compare`).

    Rows are sorted by severity: missing columns, then significant, moderate and stable
    features, each by decreasing PSI. A report weighted by the model's feature importance
    (:meth:`weight_by_importance`) leads instead with the drift that can move the score:
    missing columns, then decreasing ``impact`` (PSI x importance share).

    Attributes
    ----------
    features : list of dict
        One dict per feature (see :meth:`to_pandas` for the keys).
    score : dict or None
        The score's row, when the baseline and the batch had scores.
    share_drifting : float
        Share of compared features whose status is moderate or significant.
    n_missing_columns, n_rows_reference, n_rows_current : int
    """

    def __init__(self, core):
        self._core = core

    @property
    def features(self):
        return self._core.features

    @property
    def score(self):
        return self._core.score

    @property
    def share_drifting(self):
        return self._core.share_drifting

    @property
    def n_missing_columns(self):
        return self._core.n_missing_columns

    @property
    def n_rows_reference(self):
        return self._core.n_rows_reference

    @property
    def n_rows_current(self):
        return self._core.n_rows_current

    @property
    def thresholds(self):
        return self._core.thresholds

    @property
    def weighted(self):
        """Whether :meth:`weight_by_importance` was applied."""
        return self._core.weighted

    @property
    def estimated_performance(self):
        """The performance estimated before the labels (an :class:`EstimatedPerformance`; its
        alerts are among :attr:`alerts`), or None. :meth:`churnlib.ChurnModel.drift` adds one
        chunk ``"current"`` when the model has a performance reference."""
        core = self._core.estimated_performance
        return None if core is None else EstimatedPerformance(core)

    @property
    def domain_classifier(self):
        """The domain classifier's multivariate drift (a :class:`DomainClassifierResult`), or
        None until :meth:`set_domain_classifier`."""
        core = self._core.domain_classifier
        return None if core is None else DomainClassifierResult(core)

    @property
    def reconstruction(self):
        """The PCA reconstruction-error drift (a :class:`PcaDriftResult`), or None.
        :meth:`churnlib.ChurnModel.drift` adds it when the model has a :class:`PcaDrift`."""
        core = self._core.reconstruction
        return None if core is None else PcaDriftResult(core)

    def set_estimated_performance(self, estimate):
        """Puts an :class:`EstimatedPerformance` (from :meth:`PerformanceEstimator.estimate`)
        in the report: its alerts join :attr:`alerts`, its JSON the report's. Returns self."""
        if not isinstance(estimate, EstimatedPerformance):
            raise TypeMismatch("DriftReport.set_estimated_performance(): expected an "
                               f"EstimatedPerformance, got {type(estimate).__name__}")
        self._core.set_estimated_performance(estimate._core)
        return self

    def set_domain_classifier(self, result):
        """Puts a :class:`DomainClassifierResult` (from :func:`domain_classifier_drift`) in the
        report: its alert joins :attr:`alerts`, its JSON the report's. Returns self."""
        if not isinstance(result, DomainClassifierResult):
            raise TypeMismatch("DriftReport.set_domain_classifier(): expected a "
                               f"DomainClassifierResult, got {type(result).__name__}")
        self._core.set_domain_classifier(result._core)
        return self

    def set_reconstruction(self, result):
        """Puts a :class:`PcaDriftResult` (from :meth:`PcaDrift.compare`) in the report: its
        alert joins :attr:`alerts`, its JSON the report's. Returns self."""
        if not isinstance(result, PcaDriftResult):
            raise TypeMismatch("DriftReport.set_reconstruction(): expected a PcaDriftResult, "
                               f"got {type(result).__name__}")
        self._core.set_reconstruction(result._core)
        return self

    def weight_by_importance(self, importance):
        """Weights each feature's drift by its importance to the model ("drift that matters").

        Sets each feature's ``importance`` (its share of the total; a feature not named gets
        0) and ``impact`` (PSI x share) and re-sorts the rows by impact, so the report leads
        with the shifts that can move the score. Statuses and alerts are unchanged.

        Parameters
        ----------
        importance : dict, pandas.Series or DataFrame
            Feature name -> importance (for instance the mean absolute SHAP value of each
            feature over the reference rows: :attr:`churnlib.ChurnModel.feature_importance_`);
            a DataFrame needs the columns ``feature`` and ``importance``.

        Returns
        -------
        self

        Raises
        ------
        InvalidArgument
            For a name that is not a feature of the report, a negative or non-finite value,
            or values summing to 0.
        """
        self._core.weight_by_importance(_importance_dict(importance,
                                                         "DriftReport.weight_by_importance()"))
        return self

    def to_pandas(self, include_score=True):
        """One row per feature (the score last, named ``score``, when present): ``feature``,
        ``kind``, ``psi``, ``status``, ``ks``, ``js``, ``missing_rate_reference``,
        ``missing_rate_current``, ``share_out_of_range``, ``share_unseen``,
        ``unseen_categories``, ``importance`` and ``impact`` (NaN unless the report was
        weighted by importance)."""
        import pandas as pd

        rows = list(self.features)
        if include_score and self.score is not None:
            rows.append(self.score)
        return pd.DataFrame(rows, columns=_REPORT_COLUMNS)

    def add_performance(self, y_true, y_score, windows=None, *, threshold=0.5, min_auc=0.70,
                        min_precision=None, min_recall=None, max_churn_rate=None, n_threads=0):
        """Adds the model's performance per time window, once the labels have arrived.

        Parameters
        ----------
        y_true : array-like of 0/1
        y_score : array-like of scores
        windows : array-like, optional
            The window of each row (a month, a week number, a pandas Period...); windows are
            reported in sorted order. Default: one window ``"all"``.
        threshold : float, default 0.5
            Decision threshold of precision and recall.
        min_auc : float or None, default 0.70
            An AUC below it is a significant alert (None: off).
        min_precision, min_recall, max_churn_rate : float or None
            Moderate alerts (off by default).

        Returns
        -------
        self
        """
        y = np.asarray(y_true, dtype=np.float64)
        s = np.asarray(y_score, dtype=np.float64)
        if y.shape != s.shape or y.ndim != 1:
            raise InvalidArgument(f"DriftReport.add_performance(): y_true and y_score must be 1-D "
                                  f"of the same length, got {y.shape} and {s.shape}")
        if windows is None:
            labels, scores, names = [y], [s], ["all"]
        else:
            import pandas as pd

            w = pd.Series(np.asarray(windows) if not hasattr(windows, "dtype") else windows)
            if len(w) != len(y):
                raise InvalidArgument("DriftReport.add_performance(): windows must have one "
                                      f"entry per row, got {len(w)} for {len(y)} rows")
            if w.isna().any():
                raise InvalidArgument("DriftReport.add_performance(): windows holds missing "
                                      "values")
            codes, uniques = pd.factorize(w, sort=True)
            labels = [y[codes == k] for k in range(len(uniques))]
            scores = [s[codes == k] for k in range(len(uniques))]
            names = [str(u) for u in uniques]
        self._core.add_performance(labels, scores, names, threshold=float(threshold),
                                   min_auc=min_auc, min_precision=min_precision,
                                   min_recall=min_recall, max_churn_rate=max_churn_rate,
                                   n_threads=int(n_threads))
        return self

    def performance(self):
        """The performance windows added, as a pandas.DataFrame (``window``, ``n``,
        ``churn_rate``, ``auc``, ``precision``, ``recall``)."""
        import pandas as pd

        return pd.DataFrame(self._core.performance,
                            columns=["window", "n", "churn_rate", "auc", "precision", "recall"])

    @property
    def alerts(self):
        """Alert records for the caller to route: dicts with ``subject`` (a feature, ``score``
        or a window), ``metric`` (``psi``, ``missing_column``, ``auc``, ``precision``,
        ``recall``, ``churn_rate``), ``value``, ``threshold`` and ``severity`` (``moderate``
        or ``significant``). A PSI above ``score_alert`` (0.2) on the score is an alert."""
        return self._core.alerts

    def alerts_frame(self):
        """:attr:`alerts` as a pandas.DataFrame."""
        import pandas as pd

        return pd.DataFrame(self.alerts,
                            columns=["subject", "metric", "value", "threshold", "severity"])

    def to_json(self, indent=None):
        """The whole report as JSON text (NaN as the string "nan")."""
        indent = check_int(indent, "indent", "DriftReport.to_json()", *CORE_INT_PARAMS["indent"],
                           allow_none=True)
        return self._core.to_json(-1 if indent is None else indent)

    def to_dict(self):
        """The report as the dict of :meth:`to_json`."""
        return parse_json(self.to_json(), "DriftReport JSON")

    def plot_psi(self, ax=None, path=None, top=None, include_score=True, value="psi"):
        """A horizontal bar chart of PSI per feature, coloured by status, with the thresholds
        drawn (or of ``impact``, PSI x importance share, for a report weighted by importance).
        Needs matplotlib (an optional dependency). Also :func:`churnlib.plot.psi`.

        Parameters
        ----------
        ax : matplotlib Axes, optional
        path : str or path-like, optional
            Also write the figure there (PNG, SVG, ... by extension), atomically
            (:func:`churnlib.plot.save`).
        top : int, optional
            Only the first ``top`` features of the report's order.
        value : {"psi", "impact"}, default "psi"
            What the bars show; ``"impact"`` needs :meth:`weight_by_importance`.

        Returns
        -------
        matplotlib Axes
        """
        from . import plot

        if value not in ("psi", "impact"):
            raise InvalidArgument(f"DriftReport.plot_psi(): value must be 'psi' or 'impact', "
                                  f"got {value!r}")
        if value == "impact" and not self.weighted:
            raise InvalidArgument("DriftReport.plot_psi(): value='impact' needs a report "
                                  "weighted by importance (weight_by_importance())")
        plt = plot._pyplot("DriftReport.plot_psi")
        df = self.to_pandas(include_score=include_score and value == "psi")
        if top is not None:
            df = df.head(int(top))
        df = df.iloc[::-1]
        created = ax is None
        if created:
            fig, ax = plt.subplots(figsize=(8, max(2.5, 0.3 * len(df) + 1)))
        values = df[value].fillna(0.0).to_numpy()
        colors = [_STATUS_COLORS.get(s, "#7a7a7a") for s in df["status"]]
        ax.barh(df["feature"], values, color=colors)
        if value == "psi":
            t = self.thresholds
            ax.axvline(t["moderate"], color=_STATUS_COLORS["moderate"], linestyle="--",
                       linewidth=1, label=f"moderate ({t['moderate']:g})")
            ax.axvline(t["significant"], color=_STATUS_COLORS["significant"], linestyle="--",
                       linewidth=1, label=f"significant ({t['significant']:g})")
            ax.set_xlabel("PSI")
            ax.legend(loc="lower right")
        else:
            ax.set_xlabel("impact: PSI x share of the model's importance (colour: PSI status)")
        ax.set_title(f"Drift against the baseline ({self.n_rows_current:,} rows vs "
                     f"{self.n_rows_reference:,})")
        return plot._finish(ax, created, path)

    def _repr_html_(self):
        """Notebook display: the summary line, the alerts and the per-feature table."""
        import html

        alerts = "".join(f"<li>{html.escape(a.get('message', str(a)))}</li>"
                         for a in self.alerts)
        return (f"<div><p><b>{html.escape(repr(self))}</b></p>"
                + (f"<p>Alerts:</p><ul>{alerts}</ul>" if alerts else "")
                + self.to_pandas()._repr_html_() + "</div>")

    def __repr__(self):
        counts = {}
        for f in self.features:
            counts[f["status"]] = counts.get(f["status"], 0) + 1
        parts = ", ".join(f"{v} {k}" for k, v in counts.items())
        score = "" if self.score is None else \
            f", score PSI {self.score['psi']:.3f} ({self.score['status']})"
        est = self._core.estimated_performance
        if est is not None and est.chunks:
            c = est.chunks[0] if len(est.chunks) == 1 else None
            score += (f", estimated ROC-AUC {c['roc_auc']['estimated']:.3f}" if c is not None
                      else f", estimated performance of {len(est.chunks)} chunks")
        mv = self._core.domain_classifier
        if mv is not None:
            score += f", domain classifier AUC {mv.auc:.3f}"
        return (f"<DriftReport: {len(self.features)} features ({parts}){score}, "
                f"{len(self.alerts)} alerts>")


# ---- Baseline -----------------------------------------------------------------------------------

class Baseline(CoreBacked):
    """The reference distribution of every feature (and of the model score), saved and compared
    with later batches without the reference data.

    Parameters
    ----------
    bins : int, default 10
        PSI bins of a numeric feature (quantile edges that repeat are merged).
    binning : {"quantile", "equal_width"}, default "quantile"
    epsilon : float, default 1e-4
        The share of an empty bin in PSI.
    moderate, significant : float, default 0.1 and 0.25
        PSI thresholds of the statuses.
    score_alert : float, default 0.2
        A score PSI above it is an alert.
    ks_points : int, default 100
        Points of the KS grid.
    n_threads : int, default 0
        Threads (0 = all cores). Results do not depend on it.

    Attributes
    ----------
    feature_names_ : list of str
    n_rows_ : int
        Rows the baseline has seen (after merges, of all parts).
    has_score_ : bool

    Examples
    --------
    >>> import churnlib as cl
    >>> df = cl.make_customers(3000, seed=3).to_pandas().drop(columns=["customer_id"])
    >>> base = cl.monitor.Baseline().fit(df.iloc[:2000])
    >>> parts = [base.accumulate(df.iloc[2000:2500]), base.accumulate(df.iloc[2500:])]
    >>> merged = parts[0].merge(parts[1])          # e.g. on two workers
    >>> base.compare(merged).to_pandas().equals(base.compare(df.iloc[2000:]).to_pandas())
    True
    """

    _PARAMS = ("bins", "binning", "epsilon", "moderate", "significant", "score_alert",
               "ks_points", "n_threads")
    _core_type = _m.Baseline

    def __init__(self, bins=10, binning="quantile", *, epsilon=DEFAULT_EPSILON, moderate=0.1,
                 significant=0.25, score_alert=0.2, ks_points=100, n_threads=0):
        self.bins = bins
        self.binning = binning
        self.epsilon = epsilon
        self.moderate = moderate
        self.significant = significant
        self.score_alert = score_alert
        self.ks_points = ks_points
        self.n_threads = n_threads

    def __repr__(self):
        defaults = Baseline().get_params()
        args = [f"{k}={v!r}" for k, v in self.get_params().items() if v != defaults[k]]
        return f"Baseline({', '.join(args)})"

    def _new_core(self):
        """The compiled baseline: the parameters pass as one dict, checked (types, ranges,
        names) by ``churn::monitor::BaselineParams::from_options``."""
        return _m.Baseline({name: getattr(self, name) for name in _m.Baseline.default_params()},
                           "Baseline")

    def _data(self, X, what):
        """X as a Table or pandas frame. A numeric matrix (numpy array or anything numpy
        converts) becomes a Table whose columns are named as the baseline's features when it
        has as many, else ``x0``, ``x1``, ... (what a baseline fitted on a matrix calls them)."""
        X = _frames.as_table_or_pandas(X)  # polars, pyarrow: a Table read from the Arrow buffers
        if isinstance(X, _core.Table):
            return X
        if type(X).__name__ == "DataFrame" and type(X).__module__.startswith("pandas"):
            return X
        if not (hasattr(X, "__array__") or isinstance(X, (list, tuple))):
            raise TypeMismatch(f"Baseline.{what}(): expected a pandas.DataFrame, a churnlib.Table, "
                               f"a polars/pyarrow table or a numeric matrix, got {type(X).__name__}")
        A = check_matrix(X, f"Baseline.{what}()")
        core = getattr(self, "_core", None)
        names = list(core.feature_names) if core is not None and what != "fit" else []
        if len(names) != A.shape[1]:
            names = [f"x{j}" for j in range(A.shape[1])]
        return _core.Table.from_numpy(A, names)

    def fit(self, X, score=None):
        """Fits the distribution of every column of ``X`` (pass only the feature columns) and,
        when given, of ``score``. Returns self.

        Raises
        ------
        InvalidArgument
            For a frame without rows or columns, a score of another length, an infinite value.
        """
        core = self._new_core()
        core.fit(self._data(X, "fit"), score)
        self._core = core
        return self

    def accumulate(self, X, score=None):
        """A baseline of ``X`` on this baseline's bins: the part of a merge (see
        :meth:`merge`); columns of the baseline absent from ``X`` are marked missing."""
        part = self._from_core(self._fitted("accumulate").accumulate(self._data(X, "accumulate"),
                                                                      score))
        return part

    def merge(self, other):
        """Adds the counts and sums of ``other`` (a baseline on the same bins, e.g. from
        :meth:`accumulate`). Exact: any order of merging gives bit-identical results.
        Returns self."""
        if not isinstance(other, Baseline):
            raise TypeMismatch(f"Baseline.merge(): expected a Baseline, got {type(other).__name__}")
        self._fitted("merge").merge(other._fitted("merge"))
        return self

    def compare(self, X, score=None, *, importance=None):
        """Drift of a batch against this baseline.

        Parameters
        ----------
        X : pandas.DataFrame, churnlib.Table, numeric matrix or Baseline
            The current batch, or a batch already accumulated (and merged) on this baseline's
            bins. A matrix's columns are the baseline's features, in order. A baseline column missing from it gets the status ``missing_column``; extra
            columns are ignored.
        score : array-like, optional
            The model's scores of the batch (when the baseline has scores).
        importance : dict, pandas.Series or DataFrame, optional
            Feature importances to weight the drift by (see
            :meth:`DriftReport.weight_by_importance`).

        Returns
        -------
        DriftReport

        Raises
        ------
        TypeMismatch
            For a column whose type changed (numeric vs. categorical).
        InvalidArgument
            For an empty batch or a score of the wrong length.
        """
        core = self._fitted("compare")
        if isinstance(X, Baseline):
            if score is not None:
                raise InvalidArgument("Baseline.compare(): score goes into accumulate() when the "
                                      "batch is an accumulated Baseline")
            report = DriftReport(core.compare_baseline(X._fitted("compare")))
        else:
            report = DriftReport(core.compare(self._data(X, "compare"), score))
        if importance is not None:
            report.weight_by_importance(importance)
        return report

    # ---- fitted state ------------------------------------------------------------------------

    @property
    def feature_names_(self):
        return list(self._fitted("feature_names_").feature_names)

    @property
    def n_rows_(self):
        return self._fitted("n_rows_").n_rows

    @property
    def has_score_(self):
        return self._fitted("has_score_").has_score

    def summary(self):
        """Per numeric feature (and the score): count, missing, missing rate, mean, std, min,
        max and the 1/5/25/50/75/95/99% quantiles of the reference, as a pandas.DataFrame."""
        import pandas as pd

        core = self._fitted("summary")
        rows = {}
        names = [f for f in core.feature_names if core.kind(f) == "numeric"]
        if core.has_score:
            names.append("")
        for f in names:
            s = core.summary(f)
            row = {k: s[k] for k in ("count", "missing", "missing_rate", "mean", "std", "min",
                                     "max")}
            for level, q in zip(s["levels"], s["quantiles"]):
                row[f"q{round(level * 100):02d}"] = q
            rows[f or "score"] = row
        return pd.DataFrame.from_dict(rows, orient="index")

    def histogram(self, feature=None):
        """The reference bins of a numeric feature (the score when ``feature`` is None): dict of
        ``edges``, ``counts``, ``missing`` and ``out_of_range``."""
        return self._fitted("histogram").histogram("" if feature is None else str(feature))

    def category_counts(self, feature):
        """The reference counts of a categorical feature: dict of ``categories``, ``counts``
        and ``missing``."""
        return self._fitted("category_counts").category_counts(str(feature))

    # ---- helpers -------------------------------------------------------------------------------

    @classmethod
    def _from_core(cls, core):
        self = cls(**core.params)
        self._core = core
        return self
