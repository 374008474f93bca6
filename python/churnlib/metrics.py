"""Evaluation: metrics, curves, lift and calibration tables, threshold tuning, probability
calibration, splits and cross-validation (``churnlib.metrics``, alias ``cl.metrics``).

The numeric work runs in C++ (``churn::metrics``) with the GIL released; 1-D float64 arrays are
read without a copy. Every metric matches scikit-learn's to rounding (the tests compare to 1e-10).

Conventions
-----------
- Labels are 0/1 (1 = churned); scores are any finite numbers (probabilities for ``log_loss``,
  ``brier_score`` and ``calibration_curve``).
- Thresholded metrics predict churn when ``score >= threshold`` (default 0.5).
- Bad input (empty, mismatched lengths, NaN, labels other than 0/1, a single class where a metric
  is undefined, ``n_bins < 1``, thresholds outside [0, 1]) raises
  :class:`churnlib.InvalidArgument`, a ``ValueError``.

Examples
--------
>>> import numpy as np, churnlib as cl
>>> y = np.array([0, 0, 1, 1]); p = np.array([0.1, 0.4, 0.35, 0.8])
>>> cl.metrics.roc_auc(y, p)
0.75
"""

from __future__ import annotations

import copy
import dataclasses
import numbers
from collections import namedtuple
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

from ._core import _metrics as _m
from ._validation import CORE_INT_PARAMS, check_int
from .errors import InvalidArgument, TypeMismatch

__all__ = [
    "roc_auc", "average_precision", "ks_statistic", "log_loss", "brier_score",
    "accuracy", "precision", "recall", "f1", "confusion_matrix",
    "roc_curve", "precision_recall_curve", "lift_table", "calibration_curve",
    "calibration_table", "best_f1_threshold", "best_profit_threshold", "ThresholdChoice",
    "PlattCalibrator", "IsotonicCalibrator",
    "stratified_kfold", "time_split", "time_series_split",
    "score", "metric_names", "greater_is_better",
    "cross_validate", "CrossValidationResult", "select_best",
]

# ---- compiled functions, re-exported as they are ------------------------------------------------
roc_auc = _m.roc_auc
average_precision = _m.average_precision
ks_statistic = _m.ks_statistic
log_loss = _m.log_loss
brier_score = _m.brier_score
accuracy = _m.accuracy
precision = _m.precision
recall = _m.recall
f1 = _m.f1
roc_curve = _m.roc_curve
precision_recall_curve = _m.precision_recall_curve
score = _m.score
metric_names = _m.metric_names
greater_is_better = _m.greater_is_better
PlattCalibrator = _m.PlattCalibrator
IsotonicCalibrator = _m.IsotonicCalibrator

ThresholdChoice = namedtuple("ThresholdChoice", ["threshold", "value", "n_targeted"])
ThresholdChoice.__doc__ = """A chosen threshold: target the rows with ``score >= threshold``.

threshold : float (one of the scores, or +inf for "target nobody")
value : float (the F1 or the total profit at it)
n_targeted : float (rows, or total weight, with ``score >= threshold``)
"""


def _vec(a):
    """A 1-D array (float64 arrays pass through untouched)."""
    if hasattr(a, "to_numpy"):
        a = a.to_numpy()
    return a


def confusion_matrix(y_true, y_score, threshold=0.5, *, sample_weight=None):
    """Confusion matrix of the prediction ``y_score >= threshold``.

    Parameters
    ----------
    y_true : array-like of shape (n,)
        0/1 labels.
    y_score : array-like of shape (n,)
    threshold : float in [0, 1], default 0.5
    sample_weight : array-like of shape (n,), optional

    Returns
    -------
    numpy.ndarray of shape (2, 2)
        ``[[tn, fp], [fn, tp]]`` as scikit-learn; int64 without weights, float64 with.
    """
    tn, fp, fn, tp = _m.confusion_matrix(_vec(y_true), _vec(y_score), threshold,
                                         sample_weight=sample_weight)
    dtype = np.int64 if sample_weight is None else np.float64
    return np.array([[tn, fp], [fn, tp]], dtype=dtype)


def lift_table(y_true, y_score, n_bins=10):
    """Lift (gains) table by score decile (or ``n_bins`` groups).

    Rows are ranked by descending score; among equal scores by row position. Group ``b``
    (0-based) holds ranked rows ``[floor(b*n/n_bins), floor((b+1)*n/n_bins))``, so groups have
    equal sizes (+-1) and a run of tied scores at a boundary is split in row order
    (deterministic).

    Parameters
    ----------
    y_true : array-like of shape (n,)
        0/1 labels (1 = churned); at least one churner.
    y_score : array-like of shape (n,)
        Finite scores; higher means more likely to churn.
    n_bins : int, default 10
        Between 1 and n.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``bin`` (1 = highest scores) with columns customers, churners, churn_rate,
        lift, cumulative_customers, cumulative_churners, cumulative_gain, cumulative_lift,
        min_score, max_score.
    """
    import pandas as pd

    n_bins = check_int(n_bins, "n_bins", "lift_table()", *CORE_INT_PARAMS["n_bins"])
    d = _m.lift_table(_vec(y_true), _vec(y_score), n_bins)
    df = pd.DataFrame(d)
    df.index = pd.RangeIndex(1, len(df) + 1, name="bin")
    return df


def calibration_curve(y_true, y_prob, *, n_bins=5, strategy="uniform"):
    """Calibration (reliability) curve, as ``sklearn.calibration.calibration_curve``.

    Parameters
    ----------
    y_true : array-like of shape (n,)
    y_prob : array-like of shape (n,)
        Probabilities in [0, 1].
    n_bins : int, default 5
    strategy : {"uniform", "quantile"}, default "uniform"

    Returns
    -------
    prob_true, prob_pred : numpy.ndarray
        Fraction of churners and mean predicted probability in each non-empty bin.
    """
    d = _m.calibration_curve(_vec(y_true), _vec(y_prob), n_bins, strategy)
    return d["prob_true"], d["prob_pred"]


def calibration_table(y_true, y_prob, *, n_bins=10, strategy="uniform"):
    """Calibration curve as a table, one row per non-empty bin.

    Returns
    -------
    pandas.DataFrame
        Columns count, prob_pred (mean predicted probability), prob_true (observed churn rate),
        gap (prob_true - prob_pred).
    """
    import pandas as pd

    d = _m.calibration_curve(_vec(y_true), _vec(y_prob), n_bins, strategy)
    df = pd.DataFrame({"count": d["count"], "prob_pred": d["prob_pred"],
                       "prob_true": d["prob_true"]})
    df["gap"] = df["prob_true"] - df["prob_pred"]
    df.index.name = "bin"
    return df


def best_f1_threshold(y_true, y_score, *, sample_weight=None):
    """The distinct score that, as a threshold, maximises F1 (highest one among ties).

    Returns
    -------
    ThresholdChoice
        (threshold, f1, n_targeted).
    """
    return ThresholdChoice(*_m.best_f1_threshold(_vec(y_true), _vec(y_score),
                                                 sample_weight=sample_weight))


def best_profit_threshold(y_true, y_score, *, value_retained, offer_cost, success_rate=1.0,
                          sample_weight=None):
    """The threshold that maximises the expected profit of a retention offer.

    Every targeted customer (``score >= threshold``) costs ``offer_cost``; a targeted churner is
    retained with probability ``success_rate`` and is then worth ``value_retained``::

        profit(t) = sum over targeted i of w_i * (success_rate * y_i * value_retained
                                                  - offer_cost)

    The best of all distinct scores is chosen; targeting nobody (threshold +inf, profit 0) is a
    candidate too, so the result never loses money. Ties go to the highest threshold.

    Returns
    -------
    ThresholdChoice
        (threshold, profit, n_targeted).
    """
    return ThresholdChoice(*_m.best_profit_threshold(
        _vec(y_true), _vec(y_score), value_retained=value_retained, offer_cost=offer_cost,
        success_rate=success_rate, sample_weight=sample_weight))


# ---- splits -----------------------------------------------------------------------------------

def stratified_kfold(y, n_splits=5, *, shuffle=False, seed=0):
    """Stratified k-fold splits.

    Every row is in exactly one test fold; the class counts of the test folds differ by at most
    one between folds (as scikit-learn's ``StratifiedKFold``, though not index-identical).

    Parameters
    ----------
    y : array-like of shape (n,)
        0/1 labels; each class needs at least ``n_splits`` rows.
    n_splits : int, default 5
    shuffle : bool, default False
        Shuffle each class's rows (with ``seed``) before dealing them to the folds.
    seed : int, default 0

    Returns
    -------
    list of (train, test)
        int64 index arrays, increasing.
    """
    return _m.stratified_kfold(_vec(y), n_splits, shuffle, seed)


def _as_nanos(times):
    """int64 nanoseconds (or the given int64 values) of a datetime-like or integer array."""
    import pandas as pd

    arr = np.asarray(_vec(times))
    if arr.dtype.kind in "iu":
        return arr.astype(np.int64, copy=False), False
    if arr.dtype.kind == "M" or arr.dtype == object or arr.dtype.kind in "U":
        dt = pd.to_datetime(pd.Series(np.asarray(times)) if not hasattr(times, "dt") else times)
        if dt.isna().any():
            raise InvalidArgument("time_split(): times must not be missing (NaT)")
        return dt.to_numpy(dtype="datetime64[ns]").astype(np.int64), True
    raise TypeMismatch(f"time_split(): times must be datetimes or integers, got dtype {arr.dtype}")


def time_split(times, cutoff):
    """Time-based split: train on rows before ``cutoff``, test on rows at or after it.

    Parameters
    ----------
    times : array-like of datetimes (numpy datetime64, pandas Series, strings) or integers
    cutoff : anything ``pandas.Timestamp`` accepts (or an int for integer times)

    Returns
    -------
    (train, test) : int64 index arrays
    """
    import pandas as pd

    t, is_datetime = _as_nanos(times)
    c = pd.Timestamp(cutoff).as_unit("ns").value if is_datetime else \
        check_int(cutoff, "cutoff", "time_split()", *CORE_INT_PARAMS["cutoff"])
    return _m.time_split(t, c)


def time_series_split(times, n_splits=5):
    """Expanding-window folds by time: fold k trains on all earlier times and tests on the next
    chunk; rows with equal times are never split between train and test.

    Returns
    -------
    list of (train, test) int64 index arrays
    """
    t, _ = _as_nanos(times)
    return _m.time_series_split(t, n_splits)


# ---- cross-validation ---------------------------------------------------------------------------

@dataclasses.dataclass
class CrossValidationResult:
    """Scores of a cross-validation.

    Attributes
    ----------
    scores : pandas.DataFrame
        One row per fold, one column per metric.
    mean, std : pandas.Series
        Mean and population standard deviation (ddof=0) over folds, per metric.
    folds : list of (train, test)
    models : list or None
        The fitted model of each fold (with ``return_models=True``).
    """

    scores: Any
    mean: Any
    std: Any
    folds: List[Tuple[np.ndarray, np.ndarray]]
    models: Optional[list] = None

    def __getitem__(self, metric):
        """The mean of ``metric``."""
        return float(self.mean[metric])


def _clone(model):
    try:
        from sklearn.base import clone
    except ImportError:  # pragma: no cover - scikit-learn is optional
        clone = None
    if clone is not None:
        try:
            return clone(model)
        except TypeError:
            pass
    if hasattr(model, "get_params"):
        return type(model)(**model.get_params())
    return copy.deepcopy(model)


def _take(X, idx):
    if hasattr(X, "iloc"):
        return X.iloc[idx]
    if hasattr(X, "take") and not isinstance(X, np.ndarray):
        return X.take(idx)
    return np.asarray(X)[idx]


def _positive_proba(model, X, positive=1):
    proba = np.asarray(model.predict_proba(X), dtype=np.float64)
    if proba.ndim == 1:
        return proba
    if proba.ndim != 2:
        raise InvalidArgument(f"cross_validate(): predict_proba returned shape {proba.shape}")
    col = proba.shape[1] - 1
    classes = getattr(model, "classes_", None)
    if classes is not None:
        hits = np.flatnonzero(np.asarray([c == positive for c in classes], dtype=bool))
        if hits.size == 1:
            col = int(hits[0])
    return proba[:, col]


def cross_validate(model, X, y, cv=5, metrics=("roc_auc",), *, seed=0, shuffle=True,
                   sample_weight=None, return_models=False, pos_label=None):
    """Cross-validates any scikit-learn style classifier with churnlib's folds and metrics.

    For each fold a fresh clone of ``model`` (``sklearn.base.clone`` when scikit-learn is
    installed, else ``type(model)(**model.get_params())`` or ``copy.deepcopy``) is fitted on the
    training rows and ``predict_proba`` is scored on the test rows.

    Parameters
    ----------
    model : estimator
        Has ``fit(X, y[, sample_weight])`` and ``predict_proba(X)`` ((n, 2) or (n,)).
    X : array-like or pandas.DataFrame of shape (n, d)
    y : array-like of shape (n,)
        0/1 labels, or any two labels (the model is fitted on them as they are; the metrics
        take ``pos_label``, by default the larger label as scikit-learn's ``classes_[1]``).
    cv : int or list of (train, test), default 5
        A number of stratified folds (:func:`stratified_kfold` with ``shuffle`` and ``seed``) or
        explicit folds (e.g. from :func:`time_series_split`).
    metrics : sequence of str, default ("roc_auc",)
        Names from :func:`metric_names`.
    seed : int, default 0
    shuffle : bool, default True
    sample_weight : array-like of shape (n,), optional
        Passed to ``fit`` for the training rows and used to weight the test metrics.
    return_models : bool, default False
    pos_label : label, optional
        The positive class of ``y`` (for labels other than 0/1).

    Returns
    -------
    CrossValidationResult
    """
    import pandas as pd

    if isinstance(metrics, str):
        metrics = (metrics,)
    metrics = list(metrics)
    known = set(metric_names())
    for name in metrics:
        if name not in known:
            raise InvalidArgument(f"cross_validate(): unknown metric '{name}' "
                                  f"(known: {', '.join(metric_names())})")
    if not metrics:
        raise InvalidArgument("cross_validate(): metrics is empty")
    y_fit = np.asarray(_vec(y.astype(object)) if hasattr(y, "cat") else _vec(y))
    positive = 1
    if pos_label is not None or y_fit.dtype.kind not in "biuf":
        if pos_label is None:
            values = np.unique(y_fit)
            if len(values) != 2:
                raise InvalidArgument(f"cross_validate(): y must hold two labels, got "
                                      f"{len(values)}")
            pos_label = values[1]
        positive = pos_label
        y_arr = _labels01(y_fit, pos_label, "cross_validate()")
    else:
        y_arr = np.asarray(y_fit, dtype=np.float64)
    n = y_arr.shape[0]
    if len(X) != n:
        raise InvalidArgument(f"cross_validate(): X has {len(X)} rows but y has {n}")
    w_arr = None if sample_weight is None else np.asarray(_vec(sample_weight), dtype=np.float64)
    if isinstance(cv, (numbers.Integral, bool, float)):  # a fold count (bool, 5.0: TypeMismatch)
        cv = check_int(cv, "cv", "cross_validate()", *CORE_INT_PARAMS["n_splits"])
        folds = stratified_kfold(y_arr, cv, shuffle=shuffle, seed=seed)
    else:
        folds = [(np.asarray(tr, dtype=np.int64), np.asarray(te, dtype=np.int64))
                 for tr, te in cv]
        if not folds:
            raise InvalidArgument("cross_validate(): cv holds no folds")
    rows, models = [], []
    for train, test in folds:
        est = _clone(model)
        if w_arr is None:
            est.fit(_take(X, train), y_fit[train])
        else:
            est.fit(_take(X, train), y_fit[train], sample_weight=w_arr[train])
        p = _positive_proba(est, _take(X, test), positive)
        w_test = None if w_arr is None else w_arr[test]
        rows.append({name: score(name, y_arr[test], p, sample_weight=w_test) for name in metrics})
        if return_models:
            models.append(est)
    scores = pd.DataFrame(rows, columns=metrics)
    scores.index.name = "fold"
    return CrossValidationResult(scores=scores, mean=scores.mean(), std=scores.std(ddof=0),
                                 folds=folds, models=models if return_models else None)


def select_best(results_by_name: Mapping[str, Union[CrossValidationResult, Mapping[str, float]]],
                metric: str):
    """Picks the best of several models by ``metric`` ("train several, keep the best").

    Parameters
    ----------
    results_by_name : dict
        name -> :class:`CrossValidationResult` (its mean is compared) or a mapping
        metric -> value.
    metric : str
        Higher is better, except for ``log_loss`` and ``brier``.

    Returns
    -------
    (name, result)
        The first best entry in the dict's order.
    """
    if not results_by_name:
        raise InvalidArgument("select_best(): no results to choose from")
    higher = greater_is_better(metric)
    best_name, best_value = None, None
    for name, res in results_by_name.items():
        values = res.mean if isinstance(res, CrossValidationResult) else res
        if metric not in values:
            raise InvalidArgument(f"select_best(): result '{name}' has no metric '{metric}'")
        v = float(values[metric])
        if best_value is None or (v > best_value if higher else v < best_value):
            best_name, best_value = name, v
    return best_name, results_by_name[best_name]


# ---- any binary labels: pos_label ---------------------------------------------------------------

def _labels01(y_true, pos_label, caller):
    """0/1 targets of ``y_true``: as given (numbers, checked 0/1 by the C++ metric) without
    ``pos_label``; with it, 1 where the label equals ``pos_label`` (strings, booleans, numbers,
    pandas categoricals)."""
    y = _vec(y_true)
    if pos_label is None:
        arr = np.asarray(y)
        if arr.dtype.kind not in "biuf":
            labels = sorted({str(v) for v in arr[:10000]})[:5]
            raise InvalidArgument(f"{caller}: y_true holds the labels {labels}: pass pos_label= "
                                  "(the label of the positive class, e.g. the churners')")
        return y
    arr = np.asarray(y, dtype=object) if hasattr(y, "dtype") and \
        type(y.dtype).__name__ == "CategoricalDtype" else np.asarray(y)
    if arr.ndim != 1:
        raise InvalidArgument(f"{caller}: y_true must be 1-D, got shape {arr.shape}")
    from ._validation import label_mask

    hit = label_mask(arr, pos_label)
    if not hit.any():
        raise InvalidArgument(f"{caller}: pos_label={pos_label!r} is not a label of y_true")
    return hit.astype(np.float64)


def _with_pos_label(func, name):
    """``func`` with a keyword ``pos_label`` applied to its first argument, y_true."""
    import functools
    import inspect

    sig = inspect.signature(func)
    params = [p for p in sig.parameters.values() if p.kind != inspect.Parameter.VAR_KEYWORD]
    params.append(inspect.Parameter("pos_label", inspect.Parameter.KEYWORD_ONLY, default=None))
    params += [p for p in sig.parameters.values() if p.kind == inspect.Parameter.VAR_KEYWORD]

    @functools.wraps(func)
    def wrapper(y_true, *args, pos_label=None, **kwargs):
        return func(_labels01(y_true, pos_label, f"{name}()"), *args, **kwargs)

    wrapper.__signature__ = sig.replace(parameters=params)
    wrapper.__doc__ = (func.__doc__ or "") + (
        "\n\npos_label : label, optional\n    The label of the positive class in ``y_true`` "
        "(strings, booleans, any two labels); without it y_true must hold 0/1.\n")
    return wrapper


for _name in ("roc_auc", "average_precision", "ks_statistic", "log_loss", "brier_score",
              "accuracy", "precision", "recall", "f1", "roc_curve", "precision_recall_curve",
              "confusion_matrix", "lift_table", "calibration_curve", "calibration_table",
              "best_f1_threshold", "best_profit_threshold"):
    globals()[_name] = _with_pos_label(globals()[_name], _name)
del _name
