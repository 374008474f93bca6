"""Charts of a churn model and its business numbers (``churnlib.plot``, alias ``cl.plot``).

The charts of the monthly report, as functions a notebook user calls too: ROC and
precision-recall curves, lift and cumulative gains, the calibration (reliability) diagram,
feature importance, the SHAP summary (beeswarm) and a single customer's SHAP waterfall, PSI per
feature, segment profiles and revenue at risk per risk bucket.

Conventions
-----------
- matplotlib is optional and imported only when a chart is drawn; without it every function
  raises an ImportError that says ``pip install matplotlib``.
- Every function takes ``ax=None`` (draw on a new figure) or a matplotlib Axes (draw there, e.g.
  one cell of a grid), and ``path=None`` or a file name: the whole figure is also written there
  (the format by the extension: .png, .svg, .pdf, ...), atomically (a temporary file in the same
  folder, then renamed over ``path``), so a failure never leaves a partial file. Each returns the
  Axes it drew on.
- What is drawn is computed by churnlib itself (:mod:`churnlib.metrics` for the curves, lift and
  calibration tables; the models' TreeSHAP contributions; the drift report, segment profiles and
  KPI tables).
- The curve charts (``roc``, ``precision_recall``, ``lift``, ``cumulative_gains``,
  ``calibration``) compare models: call them again with the same ``ax`` and a ``label`` each.
- Bad input (empty, lengths that differ, NaN scores, labels other than 0/1, a model without
  importances) raises :class:`churnlib.InvalidArgument` (a ValueError) or
  :class:`churnlib.TypeMismatch` (a TypeError) naming the function and the argument.

Examples
--------
>>> import numpy as np, churnlib as cl
>>> y = np.array([0, 0, 1, 1, 0, 1]); p = np.array([0.1, 0.4, 0.35, 0.8, 0.2, 0.7])
>>> ax = cl.plot.roc(y, p, label="model")
>>> [t.get_text() for t in ax.get_legend().get_texts()]
['chance', 'model (AUC 0.889)']
>>> ax = cl.plot.precision_recall(y, p, path="pr.png")      # also written to pr.png
"""

from __future__ import annotations

import numbers
import os

import numpy as np

from . import _core, _frames
from . import metrics as _metrics
from ._atomic import write_atomically
from .errors import InvalidArgument, TypeMismatch

__all__ = [
    "roc", "precision_recall", "lift", "cumulative_gains", "calibration",
    "feature_importance", "shap_summary", "shap_waterfall", "psi", "segment_profiles",
    "revenue_at_risk", "save",
]

#: Colours shared by the charts: churn-raising red, churn-lowering blue, reference grey.
RED, BLUE, GREY = "#d0453a", "#2f7fc1", "#8c8c8c"
_DPI = 120


# ---- matplotlib, axes and saving -----------------------------------------------------------------

def _pyplot(caller):
    """matplotlib.pyplot, or an ImportError that says how to install it."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as e:
        raise ImportError(f"churnlib.plot.{caller}() needs matplotlib, an optional dependency "
                          "(pip install matplotlib)") from e
    return plt


def _check_ax(ax, caller):
    """matplotlib is there and ``ax`` is None or an Axes (checked before any work is done)."""
    _pyplot(caller)
    if ax is not None:
        from matplotlib.axes import Axes

        if not isinstance(ax, Axes):
            raise TypeMismatch(f"plot.{caller}(): ax must be a matplotlib Axes, got "
                               f"{type(ax).__name__}")


def _axes(ax, caller, figsize):
    """(ax, created): the given Axes, or the Axes of a new figure of ``figsize`` inches."""
    _check_ax(ax, caller)
    if ax is None:
        _, ax = _pyplot(caller).subplots(figsize=figsize)
        return ax, True
    return ax, False


def _finish(ax, created, path):
    """Lays out a figure this module created and writes it to ``path`` (when given)."""
    if created:
        ax.figure.tight_layout()
    if path is not None:
        save(ax.figure, path)
    return ax


def save(figure, path, *, dpi=_DPI):
    """Writes a figure (or the figure of an Axes) atomically: into a temporary file next to
    ``path``, renamed over it once complete, so readers never see a partial image and a failure
    leaves any earlier file as it was.

    Parameters
    ----------
    figure : matplotlib Figure or Axes
    path : str or path-like
        The format comes from the extension (.png, .svg, .pdf, ... as matplotlib supports);
        without one, PNG.
    dpi : int, default 120

    Returns
    -------
    str
        The path written.

    Raises
    ------
    InvalidArgument
        For an extension matplotlib cannot write.
    churnlib.IOError
        When the file cannot be written (an OSError).

    Examples
    --------
    >>> import churnlib as cl
    >>> ax = cl.plot.roc([0, 1, 1, 0], [0.2, 0.9, 0.6, 0.4])
    >>> cl.plot.save(ax, "roc.svg")
    'roc.svg'
    """
    fig = getattr(figure, "figure", figure)
    if not hasattr(fig, "savefig") or not hasattr(fig, "canvas"):
        raise TypeMismatch(f"plot.save(): expected a matplotlib Figure or Axes, got "
                           f"{type(figure).__name__}")
    p = os.fspath(path)
    if not isinstance(p, str):
        p = os.fsdecode(p)
    ext = os.path.splitext(p)[1].lower().lstrip(".") or "png"
    supported = fig.canvas.get_supported_filetypes()
    if ext not in supported:
        raise InvalidArgument(f"plot.save(): cannot write '.{ext}' files ('{p}'); matplotlib "
                              f"writes {', '.join('.' + e for e in sorted(supported))}")
    write_atomically(p, lambda f: fig.savefig(f, format=ext, dpi=dpi, bbox_inches="tight"),
                     "plot.save()")
    return p


# ---- input checks --------------------------------------------------------------------------------

def _vec(a):
    return a.to_numpy() if hasattr(a, "to_numpy") and not isinstance(a, np.ndarray) else a


def _floats(x, caller, what):
    """``x`` as a 1-D float64 array: TypeMismatch for non-numbers, InvalidArgument for other
    shapes, no values or a NaN / infinite value (naming its row)."""
    if x is None or isinstance(x, (str, bytes, dict, numbers.Number)):
        raise TypeMismatch(f"plot.{caller}(): {what} must be array-like (numpy array, pandas "
                           f"Series, list), got {type(x).__name__}")
    try:
        if hasattr(x, "to_numpy") and not isinstance(x, np.ndarray):  # pandas, nullable too
            x = x.to_numpy(dtype=np.float64, na_value=np.nan)
        a = np.asarray(x)
        if a.dtype.kind not in "biuf":
            raise TypeError(f"dtype {a.dtype}")
        a = a.astype(np.float64, copy=False)
    except (TypeError, ValueError) as e:
        raise TypeMismatch(f"plot.{caller}(): {what} must hold numbers ({e})") from None
    if a.ndim != 1:
        raise InvalidArgument(f"plot.{caller}(): {what} must be one-dimensional, got shape "
                              f"{a.shape}")
    if a.shape[0] == 0:
        raise InvalidArgument(f"plot.{caller}(): {what} is empty")
    bad = np.flatnonzero(~np.isfinite(a))
    if bad.size:
        raise InvalidArgument(f"plot.{caller}(): {what} holds {a[bad[0]]} at row {bad[0]} "
                              f"({bad.size} non-finite values); it must hold finite numbers")
    return a


def _labels_and_scores(y_true, y_score, caller, what="y_score"):
    """(y_true as an array, y_score as float64), of equal, non-zero length."""
    if y_true is None or isinstance(y_true, (str, bytes, dict, numbers.Number)):
        raise TypeMismatch(f"plot.{caller}(): y_true must be array-like, got "
                           f"{type(y_true).__name__}")
    y = _vec(y_true)
    if not hasattr(y, "dtype"):
        y = np.asarray(y)
    s = _floats(y_score, caller, what)
    if len(y) != len(s):
        raise InvalidArgument(f"plot.{caller}(): y_true has {len(y)} values but {what} has "
                              f"{len(s)}")
    return y, s


def _int(v, caller, what, low=1):
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, numbers.Integral):
        raise TypeMismatch(f"plot.{caller}(): {what} must be an int, got {v!r}")
    if v < low:
        raise InvalidArgument(f"plot.{caller}(): {what} must be >= {low}, got {v}")
    return int(v)


def _legend_label(label, stat):
    return stat if label is None else f"{label} ({stat})"


def _has_gid(ax, gid, y=None):
    """Whether ``ax`` already holds a reference line ``gid`` (at height ``y``, when given)."""
    for line in ax.get_lines():
        if line.get_gid() == gid and (y is None or np.allclose(line.get_ydata()[0], y)):
            return True
    return False


def _unit_square(ax):
    ax.set_xlim(-0.01, 1.01)
    ax.set_ylim(-0.01, 1.01)
    ax.grid(True, alpha=0.3)


def _compact_axis(axis, prefix=""):
    """At most 6 ticks, written short (2.5k, 1.2M) so that a narrow chart stays readable."""
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    axis.set_major_locator(MaxNLocator(nbins=5))
    axis.set_major_formatter(FuncFormatter(lambda v, _: prefix + _money(v)))


def _percent_axis(axis):
    from matplotlib.ticker import PercentFormatter

    axis.set_major_formatter(PercentFormatter(xmax=1.0, decimals=0))


# ---- model quality: ROC, precision-recall, lift, gains, calibration ------------------------------

def roc(y_true, y_score, ax=None, path=None, label=None, *, pos_label=None):
    """ROC curve, with its AUC in the legend (the points of :func:`churnlib.metrics.roc_curve`,
    which are scikit-learn's).

    Parameters
    ----------
    y_true : array-like of shape (n,)
        0/1 labels (1 = churned), or any two labels with ``pos_label``.
    y_score : array-like of shape (n,)
        Finite scores; higher means more likely to churn.
    ax : matplotlib Axes, optional
        Draw there (pass the same Axes again to compare models); default a new figure.
    path : str or path-like, optional
        Also write the figure there (see :func:`save`).
    label : str, optional
        The curve's name in the legend (e.g. the model's).
    pos_label : label, optional
        The churners' label in ``y_true``.

    Returns
    -------
    matplotlib Axes

    Raises
    ------
    InvalidArgument
        Empty input, lengths that differ, a NaN score, labels other than 0/1, one class only.

    Examples
    --------
    >>> import churnlib as cl
    >>> y = [0, 0, 1, 1, 0, 1]
    >>> ax = cl.plot.roc(y, [0.1, 0.4, 0.35, 0.8, 0.2, 0.7], label="GBDT")
    >>> ax = cl.plot.roc(y, [0.3, 0.2, 0.6, 0.1, 0.5, 0.4], ax=ax, label="logistic",
    ...                  path="roc.png")
    >>> [t.get_text() for t in ax.get_legend().get_texts()]
    ['chance', 'GBDT (AUC 0.889)', 'logistic (AUC 0.556)']
    """
    _check_ax(ax, "roc")
    y, s = _labels_and_scores(y_true, y_score, "roc")
    fpr, tpr, _ = _metrics.roc_curve(y, s, pos_label=pos_label)
    auc = _metrics.roc_auc(y, s, pos_label=pos_label)
    ax, created = _axes(ax, "roc", (5.5, 5))
    if not _has_gid(ax, "chance"):
        ax.plot([0, 1], [0, 1], color=GREY, linestyle="--", linewidth=1, label="chance",
                gid="chance")
    ax.plot(fpr, tpr, linewidth=2, label=_legend_label(label, f"AUC {auc:.3f}"), gid="roc")
    _unit_square(ax)
    ax.set_xlabel("False positive rate (stayers flagged)")
    ax.set_ylabel("True positive rate (churners caught)")
    ax.set_title("ROC curve")
    ax.legend(loc="lower right")
    return _finish(ax, created, path)


def precision_recall(y_true, y_score, ax=None, path=None, label=None, *, pos_label=None):
    """Precision-recall curve, with the average precision in the legend and the churn rate
    (a random model's precision) as the baseline (:func:`churnlib.metrics.precision_recall_curve`).

    Parameters
    ----------
    y_true, y_score, ax, path, label, pos_label
        As :func:`roc`.

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> import numpy as np, churnlib as cl
    >>> rng = np.random.default_rng(0)
    >>> y = rng.integers(0, 2, 500); p = np.clip(0.3 * y + 0.7 * rng.random(500), 0, 1)
    >>> ax = cl.plot.precision_recall(y, p, label="GBDT", path="pr.png")
    >>> ax.get_legend().get_texts()[0].get_text()          # the random model's precision
    'churn rate 55.0%'
    """
    _check_ax(ax, "precision_recall")
    y, s = _labels_and_scores(y_true, y_score, "precision_recall")
    precision, recall, _ = _metrics.precision_recall_curve(y, s, pos_label=pos_label)
    ap = _metrics.average_precision(y, s, pos_label=pos_label)
    rate = float(np.mean(_metrics._labels01(y, pos_label, "plot.precision_recall()")))
    ax, created = _axes(ax, "precision_recall", (5.5, 5))
    if not _has_gid(ax, "baseline", rate):
        ax.plot([0, 1], [rate, rate], color=GREY, linestyle="--", linewidth=1,
                label=f"churn rate {rate:.1%}", gid="baseline")
    ax.plot(recall, precision, linewidth=2, drawstyle="steps-post",
            label=_legend_label(label, f"AP {ap:.3f}"), gid="precision_recall")
    _unit_square(ax)
    ax.set_xlabel("Recall (churners caught)")
    ax.set_ylabel("Precision (flagged who churn)")
    ax.set_title("Precision-recall curve")
    ax.legend(loc="upper right")
    return _finish(ax, created, path)


def _lift_containers(ax):
    return [c for c in ax.containers if getattr(c, "_churnlib_lift", False)]


def lift(y_true, y_score, n_bins=10, ax=None, path=None, label=None, *, pos_label=None):
    """Lift per score decile (or ``n_bins`` groups) as bars, highest scores first: how many
    times the average churn rate each group holds (from :func:`churnlib.metrics.lift_table`).

    Called again on the same Axes, the bars of each model stand side by side.

    Parameters
    ----------
    y_true, y_score, ax, path, label, pos_label
        As :func:`roc`.
    n_bins : int, default 10
        Groups of equal size, between 1 and n.

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> import numpy as np, churnlib as cl
    >>> rng = np.random.default_rng(0)
    >>> y = rng.integers(0, 2, 500); p = np.clip(0.3 * y + 0.7 * rng.random(500), 0, 1)
    >>> ax = cl.plot.lift(y, p, path="lift.png")
    >>> round(float(ax.patches[0].get_height()), 2)          # the top decile's lift
    1.82
    >>> ax = cl.plot.lift(y, 1 - p, ax=ax, label="reversed")    # the bars side by side
    """
    _check_ax(ax, "lift")
    y, s = _labels_and_scores(y_true, y_score, "lift")
    n_bins = _int(n_bins, "lift", "n_bins")
    table = _metrics.lift_table(y, s, n_bins=n_bins, pos_label=pos_label)
    ax, created = _axes(ax, "lift", (6.5, 4.5))
    earlier = _lift_containers(ax)
    k = len(earlier) + 1
    width = 0.8 / k
    x = np.arange(1, len(table) + 1, dtype=np.float64)
    if earlier:  # make room: every series gets its slot in each group
        for t in [t for t in ax.texts if t.get_gid() == "lift_value"]:
            t.remove()
        for i, c in enumerate(earlier):
            for j, patch in enumerate(c.patches):
                patch.set_width(width)
                patch.set_x(x[j] - 0.4 + i * width)
    top = float(table["lift"].iloc[0])
    bars = ax.bar(x - 0.4 + (k - 1) * width, table["lift"].to_numpy(), width=width,
                  align="edge", color=None if k > 1 or label is not None else BLUE,
                  label=_legend_label(label, f"top {100 / len(table):.3g}%: {top:.1f}x"))
    bars._churnlib_lift = True  # a later call on this Axes finds the series
    if k == 1:
        for patch, v in zip(bars.patches, table["lift"]):
            ax.text(patch.get_x() + patch.get_width() / 2, patch.get_height(), f"{v:.1f}",
                    ha="center", va="bottom", fontsize=8, gid="lift_value")
    if not _has_gid(ax, "random"):
        ax.axhline(1.0, color=GREY, linestyle="--", linewidth=1, label="random (1.0)",
                   gid="random")
    ax.set_xticks(x)
    ax.set_xticklabels([str(b) for b in range(1, len(table) + 1)],
                       fontsize=8 if len(table) > 12 else None,
                       rotation=90 if len(table) > 25 else 0)
    ax.set_xlim(0.4, len(table) + 0.6)
    ax.set_ylim(0, max(ax.get_ylim()[1], top * 1.12))
    group = "decile" if len(table) == 10 else "group"
    ax.set_xlabel(f"Score {group} (1 = the {100 / len(table):.3g}% highest scores)")
    ax.set_ylabel("Lift (churn rate / average)")
    ax.set_title("Lift by score group")
    ax.grid(True, axis="y", alpha=0.3)
    ax.legend(loc="upper right")
    return _finish(ax, created, path)


def cumulative_gains(y_true, y_score, n_bins=100, ax=None, path=None, label=None, *,
                     pos_label=None):
    """Cumulative gains: the share of all churners among the top x% of customers by score,
    next to a random and a perfect targeting (from :func:`churnlib.metrics.lift_table`).

    The curve starts at (0, 0) and ends at (1, 1); the legend says what the top 20% reach.

    Parameters
    ----------
    y_true, y_score, ax, path, label, pos_label
        As :func:`roc`.
    n_bins : int, default 100
        Points of the curve (groups of equal size, at most n).

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> import numpy as np, churnlib as cl
    >>> rng = np.random.default_rng(0)
    >>> y = rng.integers(0, 2, 500); p = np.clip(0.3 * y + 0.7 * rng.random(500), 0, 1)
    >>> ax = cl.plot.cumulative_gains(y, p, label="GBDT", path="gains.png")
    >>> ax.get_legend().get_texts()[-1].get_text()
    'GBDT (top 20%: 36% of churners)'
    """
    _check_ax(ax, "cumulative_gains")
    y, s = _labels_and_scores(y_true, y_score, "cumulative_gains")
    n_bins = min(_int(n_bins, "cumulative_gains", "n_bins"), len(s))
    table = _metrics.lift_table(y, s, n_bins=n_bins, pos_label=pos_label)
    n = float(table["customers"].sum())
    x = np.r_[0.0, table["cumulative_customers"].to_numpy() / n]
    g = np.r_[0.0, table["cumulative_gain"].to_numpy()]
    rate = float(table["churners"].sum()) / n
    at20 = float(np.interp(0.2, x, g))
    ax, created = _axes(ax, "cumulative_gains", (5.5, 5))
    if not _has_gid(ax, "random"):
        ax.plot([0, 1], [0, 1], color=GREY, linestyle="--", linewidth=1, label="random",
                gid="random")
    if not any(line.get_gid() == "perfect" and np.isclose(line.get_xdata()[1], rate)
               for line in ax.get_lines()):
        ax.plot([0, rate, 1], [0, 1, 1], color=GREY, linestyle=":", linewidth=1,
                label="perfect", gid="perfect")
    ax.plot(x, g, linewidth=2, label=_legend_label(label, f"top 20%: {at20:.0%} of churners"),
            gid="gains")
    _unit_square(ax)
    _percent_axis(ax.xaxis)
    _percent_axis(ax.yaxis)
    ax.set_xlabel("Customers targeted (by descending score)")
    ax.set_ylabel("Churners reached")
    ax.set_title("Cumulative gains")
    ax.legend(loc="lower right")
    return _finish(ax, created, path)


def calibration(y_true, y_prob, n_bins=10, ax=None, path=None, label=None, *,
                strategy="uniform", hist=True, pos_label=None):
    """Reliability diagram: the observed churn rate against the mean predicted probability per
    bin (:func:`churnlib.metrics.calibration_table`, as scikit-learn's ``calibration_curve``),
    with the Brier score in the legend and, optionally, the histogram of the probabilities.

    Parameters
    ----------
    y_true : array-like of shape (n,)
        0/1 labels, or any two labels with ``pos_label``.
    y_prob : array-like of shape (n,)
        Probabilities in [0, 1].
    n_bins : int, default 10
    ax, path, label, pos_label
        As :func:`roc`.
    strategy : {"uniform", "quantile"}, default "uniform"
        Bins of equal width, or of equal counts.
    hist : bool, default True
        Also draw how many customers got each probability (grey bars, right axis; on a shared
        Axes only for the first model).

    Returns
    -------
    matplotlib Axes
        The reliability diagram's (the histogram has an Axes of its own, twinned with it).

    Examples
    --------
    >>> import numpy as np, churnlib as cl
    >>> rng = np.random.default_rng(0)
    >>> y = rng.integers(0, 2, 500); p = np.clip(0.3 * y + 0.7 * rng.random(500), 0, 1)
    >>> ax = cl.plot.calibration(y, p, n_bins=10, path="calibration.png")
    >>> len(ax.get_lines()[-1].get_xdata())                 # one point per non-empty bin
    10
    """
    _check_ax(ax, "calibration")
    y, s = _labels_and_scores(y_true, y_prob, "calibration", "y_prob")
    n_bins = _int(n_bins, "calibration", "n_bins")
    if s.min() < 0.0 or s.max() > 1.0:
        raise InvalidArgument(f"plot.calibration(): y_prob must be probabilities in [0, 1], got "
                              f"values in [{s.min():g}, {s.max():g}]")
    if strategy not in ("uniform", "quantile"):
        raise InvalidArgument(f"plot.calibration(): strategy must be 'uniform' or 'quantile', "
                              f"got {strategy!r}")
    table = _metrics.calibration_table(y, s, n_bins=n_bins, strategy=strategy,
                                       pos_label=pos_label)
    brier = _metrics.brier_score(y, s, pos_label=pos_label)
    ax, created = _axes(ax, "calibration", (5.5, 5))
    if hist and getattr(ax, "_churnlib_histogram", None) is None:  # once per Axes
        twin = ax.twinx()
        ax._churnlib_histogram = twin
        edges = (np.linspace(0.0, 1.0, n_bins + 1) if strategy == "uniform"
                 else np.unique(np.quantile(s, np.linspace(0.0, 1.0, n_bins + 1))))
        if len(edges) < 2:
            edges = np.array([max(0.0, s[0] - 0.01), min(1.0, s[0] + 0.01)])
        counts, _, _ = twin.hist(s, bins=edges, color=GREY, alpha=0.25, gid="histogram")
        twin.set_ylim(0, max(1.0, counts.max()) * 3.0)  # the bars keep to the lower third
        twin.set_ylabel("Customers", color=GREY)
        twin.tick_params(axis="y", colors=GREY, labelsize=8)
        ax.set_zorder(twin.get_zorder() + 1)  # the curve above the bars
        ax.patch.set_visible(False)
    if not _has_gid(ax, "diagonal"):
        ax.plot([0, 1], [0, 1], color=GREY, linestyle="--", linewidth=1,
                label="perfectly calibrated", gid="diagonal")
    ax.plot(table["prob_pred"], table["prob_true"], marker="o", linewidth=2,
            label=_legend_label(label, f"Brier {brier:.3f}"), gid="calibration")
    _unit_square(ax)
    ax.set_xlabel("Mean predicted churn probability")
    ax.set_ylabel("Observed churn rate")
    ax.set_title("Calibration (reliability)")
    ax.legend(loc="upper left")
    return _finish(ax, created, path)


# ---- explanations: importance, SHAP -------------------------------------------------------------

def _importances(obj, feature_names, caller):
    """(values, names, xlabel, signed) of a model or of importance values."""
    import pandas as pd

    names, xlabel, signed = None, "Importance", False
    if isinstance(obj, dict):
        names, values = [str(k) for k in obj], list(obj.values())
    elif isinstance(obj, pd.Series):
        names, values = [str(k) for k in obj.index], obj.to_numpy()
    elif isinstance(obj, (np.ndarray, list, tuple)):
        values = obj
    else:
        model = obj
        from .model import ChurnModel

        if isinstance(obj, ChurnModel):  # its estimator, on its pipeline's output columns
            model = obj.estimator_
            if not hasattr(model, "feature_names_in_"):
                names = [str(v) for v in obj.pipeline_.get_feature_names_out()]
        kind = type(model).__name__
        if hasattr(type(model), "feature_importances_") or hasattr(model, "feature_importances_"):
            values = model.feature_importances_
            how = getattr(model, "importance_type", None)
            xlabel = {"split": "Importance (number of splits)",
                      "gain": "Importance (total gain)"}.get(how, "Importance")
            if kind == "RandomForestClassifier":
                xlabel = "Importance (mean decrease in impurity)"
        elif hasattr(type(model), "coef_") or hasattr(model, "coef_"):
            values = np.asarray(model.coef_, dtype=np.float64).reshape(-1)
            xlabel, signed = "Coefficient (on the model's input scale)", True
        else:
            raise TypeMismatch(f"plot.{caller}(): {kind} has no feature_importances_ or coef_; "
                               "pass a fitted GBDT, random forest, logistic regression or "
                               "ChurnModel, or the importance values (dict, pandas Series, "
                               "array)")
        if names is None and feature_names is None and hasattr(model, "feature_names_in_"):
            names = [str(v) for v in model.feature_names_in_]
    values = _floats(values, caller, "the importance values")
    if feature_names is not None:
        if isinstance(feature_names, str):
            raise TypeMismatch(f"plot.{caller}(): feature_names must be a sequence of str, "
                               "got a str")
        names = [str(v) for v in feature_names]
    if names is None:
        names = [f"x{j}" for j in range(len(values))]
    if len(names) != len(values):
        raise InvalidArgument(f"plot.{caller}(): {len(values)} importance values but "
                              f"{len(names)} feature names")
    return values, names, xlabel, signed


def feature_importance(model_or_values, feature_names=None, top=20, ax=None, path=None, *,
                       title=None):
    """Feature importance as horizontal bars, the most important on top.

    Parameters
    ----------
    model_or_values : fitted model, dict, pandas Series or array-like
        A GBDT or random forest (``feature_importances_``: split counts or gains, mean decrease
        in impurity), a logistic regression (its coefficients, signed: red raises churn, blue
        lowers it), a :class:`churnlib.ChurnModel` (its estimator, named by its pipeline's
        output columns), any scikit-learn model with one of these attributes, or the values
        themselves (a dict or Series name -> value, or an array with ``feature_names``).
    feature_names : sequence of str, optional
        Default: the model's ``feature_names_in_`` (when fitted on a DataFrame), else x0, x1...
    top : int, default 20
        Only the ``top`` largest (by absolute value).
    ax, path
        As :func:`roc`.
    title : str, optional

    Returns
    -------
    matplotlib Axes

    Raises
    ------
    TypeMismatch
        A model without ``feature_importances_`` or ``coef_``.
    InvalidArgument
        No values, a NaN, as many names as values not given.

    Examples
    --------
    >>> import churnlib as cl
    >>> df = cl.make_customers(1000, seed=1).to_pandas()
    >>> X, y = df.drop(columns=["customer_id", "signup_date", "churned"]), df["churned"]
    >>> gbdt = cl.GBDTClassifier(n_estimators=20, importance_type="gain").fit(X, y)
    >>> ax = cl.plot.feature_importance(gbdt, top=5, path="importance.png")
    >>> len(ax.patches)
    5
    >>> ax = cl.plot.feature_importance({"tenure": 0.5, "charges": 0.3})
    >>> [t.get_text() for t in ax.get_yticklabels()]          # the largest on top
    ['charges', 'tenure']
    """
    _check_ax(ax, "feature_importance")
    values, names, xlabel, signed = _importances(model_or_values, feature_names,
                                                 "feature_importance")
    top = min(_int(top, "feature_importance", "top"), len(values))
    order = np.argsort(-np.abs(values), kind="stable")[:top][::-1]  # largest last = on top
    ax, created = _axes(ax, "feature_importance", (7, max(2.5, 0.32 * top + 1.2)))
    shown = values[order]
    colors = [RED if v > 0 else BLUE for v in shown] if signed else BLUE
    ax.barh(np.arange(top), shown, color=colors, gid="importance")
    ax.set_yticks(np.arange(top))
    ax.set_yticklabels([names[j] for j in order], fontsize=9 if top <= 25 else 7)
    ax.set_ylim(-0.6, top - 0.4)
    if signed:
        ax.axvline(0.0, color="black", linewidth=0.8)
    _compact_axis(ax.xaxis)
    ax.set_xlabel(xlabel)
    ax.set_title(title or (f"Feature importance (top {top} of {len(values)})"
                           if top < len(values) else "Feature importance"))
    ax.grid(True, axis="x", alpha=0.3)
    return _finish(ax, created, path)


def _feature_matrix(X, caller):
    """(float matrix, names or None) of a DataFrame (categories, booleans and text by their
    codes, missing as NaN), a churnlib Table, an Arrow frame or a numeric array."""
    import pandas as pd

    if isinstance(X, _core.Table):
        X = X.to_pandas()
    X = _frames.as_pandas(X)
    if isinstance(X, pd.DataFrame):
        cols = []
        for name in X.columns:
            c = X[name]
            if isinstance(c.dtype, pd.CategoricalDtype):
                codes = c.cat.codes.to_numpy().astype(np.float64)
                codes[codes < 0] = np.nan
                cols.append(codes)
            elif c.dtype.kind in "biuf" or pd.api.types.is_bool_dtype(c.dtype):
                cols.append(c.to_numpy(dtype=np.float64, na_value=np.nan))
            elif pd.api.types.is_datetime64_any_dtype(c.dtype):
                v = c.to_numpy(dtype="datetime64[ns]").astype(np.int64).astype(np.float64)
                v[c.isna().to_numpy()] = np.nan
                cols.append(v)
            else:  # text: codes in sorted order
                codes, _ = pd.factorize(c, sort=True)
                codes = codes.astype(np.float64)
                codes[codes < 0] = np.nan
                cols.append(codes)
        A = np.column_stack(cols) if cols else np.empty((len(X), 0))
        return A, [str(c) for c in X.columns]
    try:
        A = np.asarray(X, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise TypeMismatch(f"plot.{caller}(): X must be a DataFrame or a numeric matrix "
                           f"({e})") from None
    if A.ndim != 2:
        raise InvalidArgument(f"plot.{caller}(): X must be two-dimensional, got shape "
                              f"{A.shape}")
    return A, None


def _contributions(contrib, p, caller, what="contrib"):
    """The (n, p) contributions of a (n, p) or (n, p + 1) matrix (the last column, the bias,
    dropped) and the bias column (or None)."""
    try:
        C = np.asarray(contrib, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise TypeMismatch(f"plot.{caller}(): {what} must be a numeric matrix ({e})") from None
    if C.ndim != 2:
        raise InvalidArgument(f"plot.{caller}(): {what} must be two-dimensional (rows x "
                              f"features[+1]), got shape {C.shape}")
    if C.shape[1] not in (p, p + 1):
        raise InvalidArgument(f"plot.{caller}(): {what} has {C.shape[1]} columns; expected "
                              f"{p} (one per feature) or {p + 1} (and the bias last)")
    bad = np.argwhere(~np.isfinite(C))
    if bad.size:
        i, j = bad[0]
        raise InvalidArgument(f"plot.{caller}(): {what} holds {C[i, j]} at row {i}, column {j}")
    return C[:, :p], (C[:, p] if C.shape[1] == p + 1 else None)


def _beeswarm_offsets(values, half_width, rng):
    """Vertical offsets that spread points of similar value (100 bins over the range) in
    alternating layers around 0, scaled to at most ``half_width``: the swarm is as wide as
    the values are dense."""
    n = values.shape[0]
    span = values.max() - values.min()
    quant = np.zeros(n, dtype=np.int64) if span == 0 else \
        np.round(100 * (values - values.min()) / span).astype(np.int64)
    order = np.lexsort((rng.permutation(n), quant))  # by bin, randomly within a bin
    q = quant[order]
    starts = np.r_[0, np.flatnonzero(np.diff(q)) + 1]
    rank = np.arange(n) - np.repeat(starts, np.diff(np.r_[starts, n]))
    layer = np.ceil(rank / 2.0) * np.where(rank % 2 == 1, 1.0, -1.0)
    out = np.empty(n)
    out[order] = layer
    peak = np.abs(out).max()
    return out * (half_width / peak) if peak > 0 else out


def shap_summary(contrib, X, feature_names=None, top=20, ax=None, path=None, *, max_rows=None,
                 seed=0, title=None, xlabel=None):
    """SHAP summary (beeswarm): one dot per customer and feature at its SHAP value, features
    ordered by mean |SHAP| (largest on top), coloured by the feature's value (scaled per
    feature from its 5th to its 95th percentile; missing values grey), spread vertically where
    the values are dense.

    Parameters
    ----------
    contrib : array-like of shape (n, p) or (n, p + 1)
        TreeSHAP contributions, e.g. ``GBDTClassifier.predict_contrib(X)`` (its last column, the
        bias, is dropped).
    X : pandas.DataFrame, churnlib.Table or array-like of shape (n, p)
        The feature values of the same rows (categories by their codes).
    feature_names : sequence of str, optional
        Default: X's columns, else x0, x1, ...
    top : int, default 20
        Only the ``top`` features with the largest mean |SHAP|.
    ax, path
        As :func:`roc`.
    max_rows : int, optional
        Draw a seeded sample of this many rows (a beeswarm of 100,000 customers says no more
        than one of 5,000); default all rows.
    seed : int, default 0
        Seed of the sample and of the order of the dots.
    title, xlabel : str, optional
        Default xlabel: "SHAP value (impact on the model output)"; a GBDT's contributions are
        log-odds, a random forest's probabilities.

    Returns
    -------
    matplotlib Axes

    Raises
    ------
    InvalidArgument
        Row counts or column counts that differ, a NaN contribution, no rows.

    Examples
    --------
    >>> import churnlib as cl
    >>> df = cl.make_customers(1000, seed=1).to_pandas()
    >>> X, y = df.drop(columns=["customer_id", "signup_date", "churned"]), df["churned"]
    >>> gbdt = cl.GBDTClassifier(n_estimators=20).fit(X, y)
    >>> ax = cl.plot.shap_summary(gbdt.predict_contrib(X), X, top=8, path="shap.png")
    >>> sum(len(c.get_offsets()) for c in ax.collections)   # one dot per customer and feature
    8000
    """
    caller = "shap_summary"
    _check_ax(ax, "shap_summary")
    A, names = _feature_matrix(X, caller)
    n, p = A.shape
    if n == 0 or p == 0:
        raise InvalidArgument(f"plot.{caller}(): X has no rows or no columns (shape {A.shape})")
    C, _ = _contributions(contrib, p, caller)
    if C.shape[0] != n:
        raise InvalidArgument(f"plot.{caller}(): contrib has {C.shape[0]} rows but X has {n}")
    if feature_names is not None:
        names = [str(v) for v in feature_names]
        if len(names) != p:
            raise InvalidArgument(f"plot.{caller}(): {len(names)} feature names for {p} "
                                  "features")
    names = names or [f"x{j}" for j in range(p)]
    top = min(_int(top, caller, "top"), p)
    rng = np.random.default_rng(_int(seed, caller, "seed", low=0))
    if max_rows is not None and n > _int(max_rows, caller, "max_rows"):
        rows = np.sort(rng.choice(n, size=int(max_rows), replace=False))
        A, C, n = A[rows], C[rows], int(max_rows)
    order = np.argsort(-np.abs(C).mean(axis=0), kind="stable")[:top]
    xs, ys, colors = [], [], []
    for rank, j in enumerate(order):
        v = A[:, j]
        ok = ~np.isnan(v)
        scaled = np.full(n, np.nan)
        if ok.any():
            lo, hi = np.percentile(v[ok], [5, 95])
            if hi <= lo:
                lo, hi = v[ok].min(), v[ok].max()
            scaled[ok] = 0.5 if hi <= lo else np.clip((v[ok] - lo) / (hi - lo), 0.0, 1.0)
        xs.append(C[:, j])
        ys.append((top - 1 - rank) + _beeswarm_offsets(C[:, j], 0.4, rng))
        colors.append(scaled)
    x, y, c = np.concatenate(xs), np.concatenate(ys), np.concatenate(colors)
    shuffle = rng.permutation(x.shape[0])  # no feature value layered over another
    x, y, c = x[shuffle], y[shuffle], c[shuffle]
    ax, created = _axes(ax, caller, (8, max(3.0, 0.4 * top + 1.5)))
    from matplotlib.colors import LinearSegmentedColormap

    cmap = LinearSegmentedColormap.from_list("churnlib_feature_value",
                                             [BLUE, "#9b59b6", RED])
    size = 14 if n <= 1000 else 7 if n <= 10_000 else 3
    missing = np.isnan(c)
    ax.axvline(0.0, color=GREY, linewidth=0.8, zorder=0)
    points = ax.scatter(x[~missing], y[~missing], c=c[~missing], cmap=cmap, vmin=0.0, vmax=1.0,
                        s=size, alpha=0.8, linewidths=0, rasterized=True, gid="shap")
    ax.scatter(x[missing], y[missing], color=GREY, s=size, alpha=0.6, linewidths=0,
               rasterized=True, gid="shap_missing", label="missing value" if missing.any()
               else None)
    ax.set_yticks(np.arange(top))
    ax.set_yticklabels([names[j] for j in order[::-1]], fontsize=9 if top <= 25 else 7)
    ax.set_ylim(-0.6, top - 0.4)
    ax.set_xlabel(xlabel or "SHAP value (impact on the model output)")
    ax.set_title(title or f"SHAP summary ({n:,} customers)")
    ax.grid(True, axis="x", alpha=0.3)
    cbar = ax.figure.colorbar(points, ax=ax, ticks=[0, 1], fraction=0.04, pad=0.02, aspect=30)
    cbar.ax.set_yticklabels(["low", "high"])
    cbar.set_label("Feature value", labelpad=-4)
    cbar.solids.set_alpha(1)
    if missing.any():
        ax.legend(loc="lower right", fontsize=8, markerscale=2)
    return _finish(ax, created, path)


def _value_text(v):
    if isinstance(v, (float, np.floating)):
        return "missing" if np.isnan(v) else f"{v:.4g}"
    if isinstance(v, (numbers.Number, np.number)):
        return f"{v}"
    return str(v)


def shap_waterfall(contrib_row, feature_names, base_value=None, row_values=None, top=10, ax=None,
                   path=None, *, link="identity", title=None, xlabel=None):
    """One customer's SHAP waterfall: from the base value (the average model output) each
    feature's contribution moves the output, largest on top (red raises the churn risk, blue
    lowers it), up to the customer's own output; the smaller features are summed in one bar.

    Parameters
    ----------
    contrib_row : array-like of shape (p,) or (p + 1,)
        One row of ``predict_contrib`` (with the bias last, unless ``base_value`` is given).
    feature_names : sequence of str
        The p feature names.
    base_value : float, optional
        The expected model output; default the row's last value (the bias), else 0.
    row_values : array-like or pandas Series of shape (p,), optional
        The customer's feature values, shown next to the names ("tenure_months = 3").
    top : int, default 10
        Features drawn one by one; the rest as "N other features".
    ax, path
        As :func:`roc`.
    link : {"identity", "logit"}, default "identity"
        "logit": the outputs are log-odds (a GBDT's contributions); the start and end are also
        given as probabilities.
    title, xlabel : str, optional

    Returns
    -------
    matplotlib Axes

    Raises
    ------
    InvalidArgument
        A row of the wrong length, a NaN, both a bias column and ``base_value``.

    Examples
    --------
    >>> import churnlib as cl
    >>> df = cl.make_customers(1000, seed=1).to_pandas()
    >>> X, y = df.drop(columns=["customer_id", "signup_date", "churned"]), df["churned"]
    >>> gbdt = cl.GBDTClassifier(n_estimators=20).fit(X, y)
    >>> contrib = gbdt.predict_contrib(X.iloc[[0]])[0]          # the bias last
    >>> ax = cl.plot.shap_waterfall(contrib, X.columns, row_values=X.iloc[0], link="logit",
    ...                             path="why_customer_0.png")
    >>> p = gbdt.predict_proba(X.iloc[[0]])[0, 1]
    >>> ax.get_title().endswith(f"(p = {p:.1%})")
    True
    """
    caller = "shap_waterfall"
    _check_ax(ax, caller)
    if feature_names is None or isinstance(feature_names, str):
        raise TypeMismatch(f"plot.{caller}(): feature_names must be a sequence of str")
    names = [str(v) for v in feature_names]
    p = len(names)
    if p == 0:
        raise InvalidArgument(f"plot.{caller}(): feature_names is empty")
    row = np.asarray(contrib_row, dtype=object if isinstance(contrib_row, str) else None)
    if row.ndim == 2 and row.shape[0] == 1:
        row = row[0]
    if row.ndim != 1:
        raise InvalidArgument(f"plot.{caller}(): contrib_row must be one row, got shape "
                              f"{row.shape} (pick a row: contrib[i])")
    C, bias = _contributions(row.reshape(1, -1), p, caller, "contrib_row")
    values = C[0]
    if bias is not None and base_value is not None:
        raise InvalidArgument(f"plot.{caller}(): contrib_row holds the bias (p + 1 values) and "
                              "base_value is given too; pass one of them")
    if base_value is None:
        base = 0.0 if bias is None else float(bias[0])
    else:
        if isinstance(base_value, (bool, np.bool_)) or not isinstance(base_value, numbers.Real):
            raise TypeMismatch(f"plot.{caller}(): base_value must be a number, got "
                               f"{base_value!r}")
        base = float(base_value)
        if not np.isfinite(base):
            raise InvalidArgument(f"plot.{caller}(): base_value must be finite, got {base}")
    if link not in ("identity", "logit"):
        raise InvalidArgument(f"plot.{caller}(): link must be 'identity' or 'logit', got "
                              f"{link!r}")
    shown_values = None
    if row_values is not None:
        shown_values = list(_vec(row_values)) if not isinstance(row_values, str) else None
        if shown_values is None or len(shown_values) != p:
            raise InvalidArgument(f"plot.{caller}(): row_values must hold {p} values (one per "
                                  "feature)")
    top = min(_int(top, caller, "top"), p)
    order = list(np.argsort(-np.abs(values), kind="stable"))
    items = [(names[j] if shown_values is None else
              f"{names[j]} = {_value_text(shown_values[j])}", values[j]) for j in order[:top]]
    if top < p:
        items.append((f"{p - top} other features", float(values[order[top:]].sum())))
    items = items[::-1]  # bottom row first: the cumulative sum starts at the base
    ax, created = _axes(ax, caller, (8, max(3.0, 0.42 * len(items) + 1.6)))
    start = base
    lefts, widths = [], []
    for _, v in items:
        lefts.append(start)
        widths.append(v)
        start += v
    out = start
    colors = [RED if w > 0 else BLUE for w in widths]
    ypos = np.arange(len(items))
    ax.barh(ypos, widths, left=lefts, color=colors, height=0.7, gid="waterfall")
    span = max(abs(out - base), max(abs(w) for w in widths), 1e-12)
    decimals = int(max(2, min(8, 2 - np.floor(np.log10(span)))))
    for yy, left, w in zip(ypos, lefts, widths):
        end = left + w
        ax.text(end + (0.01 * span if w >= 0 else -0.01 * span), yy, f"{w:+.{decimals}f}",
                va="center", ha="left" if w >= 0 else "right", fontsize=8)
    for yy in ypos[:-1]:  # connectors from one bar's end to the next's start
        ax.plot([lefts[yy + 1]] * 2, [yy + 0.35, yy + 0.65], color=GREY, linewidth=0.8)

    def fmt(v):
        return f"{v:.{decimals}f}" + (f" (p = {1 / (1 + np.exp(-v)):.1%})" if link == "logit"
                                       else "")

    ax.axvline(base, color=GREY, linestyle="--", linewidth=1, gid="base",
               label=f"base value {fmt(base)}")
    ax.axvline(out, color="black", linestyle="--", linewidth=1, gid="output",
               label=f"this customer {fmt(out)}")
    ax.set_yticks(ypos)
    ax.set_yticklabels([name for name, _ in items], fontsize=9)
    ax.set_ylim(-0.7, len(items) - 0.3)
    lo = min(min(lefts), min(l + w for l, w in zip(lefts, widths)), base, out)
    hi = max(max(lefts), max(l + w for l, w in zip(lefts, widths)), base, out)
    pad = 0.15 * (hi - lo if hi > lo else 1.0)
    ax.set_xlim(lo - pad, hi + pad)
    ax.set_xlabel(xlabel or ("Model output (log-odds)" if link == "logit" else "Model output"))
    ax.set_title(title or f"Why this score: {fmt(out)}")
    ax.legend(loc="lower right" if out >= base else "lower left", fontsize=8)
    ax.grid(True, axis="x", alpha=0.3)
    return _finish(ax, created, path)


# ---- monitoring, segments, money -----------------------------------------------------------------

def psi(report, ax=None, path=None, *, top=None, include_score=True):
    """PSI per feature as horizontal bars coloured by status, with the thresholds drawn: the
    chart of :meth:`churnlib.monitor.DriftReport.plot_psi`.

    Parameters
    ----------
    report : churnlib.monitor.DriftReport
        From ``Baseline.compare``.
    ax, path
        As :func:`roc`.
    top : int, optional
        Only the ``top`` most drifting features.
    include_score : bool, default True
        Also the score's PSI (when the baseline has scores).

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> import churnlib as cl
    >>> df = cl.make_customers(2000, seed=1).to_pandas().drop(columns=["customer_id"])
    >>> base = cl.monitor.Baseline().fit(df.iloc[:1000])
    >>> report = base.compare(df.iloc[1000:].assign(monthly_charges=df["monthly_charges"] * 1.3))
    >>> ax = cl.plot.psi(report, top=5, path="psi.png")
    >>> ax.get_yticklabels()[-1].get_text()                  # the most drifting, on top
    'monthly_charges'
    """
    from .monitor import DriftReport

    if not isinstance(report, DriftReport):
        raise TypeMismatch(f"plot.psi(): report must be a churnlib.monitor.DriftReport (from "
                           f"Baseline.compare), got {type(report).__name__}")
    _check_ax(ax, "psi")
    if top is not None:
        _int(top, "psi", "top")
    return report.plot_psi(ax=ax, path=path, top=top, include_score=include_score)


def segment_profiles(profiles, ax=None, path=None, *, kind="summary", title=None):
    """Segment profiles (:func:`churnlib.segment.profile_segments`) as a chart.

    ``kind="summary"``: per segment, its share of the customers, of the revenue and of the
    revenue at risk side by side (which segment carries more than its size), with its churn
    rate (or mean score) under its name. ``kind="features"``: a heatmap of each feature's mean
    per segment against the population's (red above, blue below, the means written in).

    Parameters
    ----------
    profiles : churnlib.segment.SegmentProfiles
    ax, path
        As :func:`roc`.
    kind : {"summary", "features"}, default "summary"
    title : str, optional

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> import churnlib as cl
    >>> df = cl.make_customers(2000, seed=1).to_pandas()
    >>> X = df[["tenure_months", "monthly_charges"]]
    >>> km = cl.KMeans(3, seed=1).fit((X - X.mean()) / X.std())
    >>> prof = cl.segment.profile_segments(X, km.labels_, churned=df["churned"],
    ...                                    revenue=df["monthly_charges"])
    >>> ax = cl.plot.segment_profiles(prof, path="segments.png")
    >>> len(ax.patches)                 # customers, revenue, revenue at risk per segment
    9
    >>> ax = cl.plot.segment_profiles(prof, kind="features", path="segment_features.png")
    """
    from .segment import SegmentProfiles

    _check_ax(ax, "segment_profiles")
    if not isinstance(profiles, SegmentProfiles):
        raise TypeMismatch(f"plot.segment_profiles(): profiles must be a "
                           f"churnlib.segment.SegmentProfiles (from profile_segments), got "
                           f"{type(profiles).__name__}")
    if kind == "summary":
        return _segment_summary(profiles, ax, path, title)
    if kind == "features":
        return _segment_features(profiles, ax, path, title)
    raise InvalidArgument(f"plot.segment_profiles(): kind must be 'summary' or 'features', got "
                          f"{kind!r}")


def _segment_summary(profiles, ax, path, title):
    df = profiles.to_pandas()
    population = df.loc["all"]
    seg = df.drop(index="all")
    if seg.empty:
        raise InvalidArgument("plot.segment_profiles(): the profiles hold no segment")
    series = [("customers", seg["share"].to_numpy(), BLUE)]
    if "revenue" in seg and population["revenue"] > 0:
        series.append(("revenue", (seg["revenue"] / population["revenue"]).to_numpy(), GREY))
    if "revenue_at_risk" in seg and population["revenue_at_risk"] > 0:
        series.append(("revenue at risk",
                       (seg["revenue_at_risk"] / population["revenue_at_risk"]).to_numpy(), RED))
    rate_col = "churn_rate" if "churn_rate" in seg else "mean_score" if "mean_score" in seg \
        else None
    ax, created = _axes(ax, "segment_profiles", (max(6.0, 1.3 * len(seg) + 3), 4.8))
    x = np.arange(len(seg), dtype=np.float64)
    width = 0.8 / len(series)
    for i, (name, share, color) in enumerate(series):
        bars = ax.bar(x - 0.4 + (i + 0.5) * width, share, width=width, color=color,
                      label=f"share of {name}", gid=f"segment_{name.replace(' ', '_')}")
        if len(seg) * len(series) <= 24:
            ax.bar_label(bars, labels=[f"{v:.0%}" for v in share], fontsize=7, padding=1)
    names = [f"segment {s}" for s in seg.index]
    if rate_col is not None:
        what = "churn" if rate_col == "churn_rate" else "score"
        names = [f"{name}\n{what} {v:.0%}" for name, v in zip(names, seg[rate_col])]
    ax.set_xticks(x)
    ax.set_xticklabels(names, fontsize=9)
    _percent_axis(ax.yaxis)
    ax.set_ylim(0, max(ax.get_ylim()[1], 1.15 * max(float(np.max(s)) for _, s, _ in series)))
    ax.set_ylabel("Share of the total")
    default = "Segments"
    if rate_col is not None:
        default += (f" (churn rate overall {population[rate_col]:.1%})" if rate_col ==
                    "churn_rate" else f" (mean score overall {population[rate_col]:.1%})")
    ax.set_title(title or default)
    ax.grid(True, axis="y", alpha=0.3)
    ax.legend(loc="upper right", fontsize=8)
    return _finish(ax, created, path)


def _segment_features(profiles, ax, path, title):
    means = profiles.feature_means()
    if means.empty or means.shape[1] < 2:
        raise InvalidArgument("plot.segment_profiles(): the profiles hold no feature means")
    population = means["all"].to_numpy()
    seg = means.drop(columns="all")
    M = seg.to_numpy()
    scale = np.where(np.abs(population) > 0, np.abs(population), 1.0)
    rel = np.clip((M - population[:, None]) / scale[:, None], -1.0, 1.0)
    rel = np.where(np.isnan(rel), 0.0, rel)
    nf, ns = M.shape
    ax, created = _axes(ax, "segment_profiles", (max(6.0, 1.1 * ns + 4), max(3.0, 0.45 * nf + 1.5)))
    image = ax.imshow(rel, cmap="RdBu_r", vmin=-1.0, vmax=1.0, aspect="auto")
    for i in range(nf):
        for j in range(ns):
            ax.text(j, i, f"{M[i, j]:.3g}", ha="center", va="center", fontsize=8,
                    color="white" if abs(rel[i, j]) > 0.6 else "black")
    ax.set_xticks(np.arange(ns))
    ax.set_xticklabels([f"segment {c}" for c in seg.columns], fontsize=9)
    ax.set_yticks(np.arange(nf))
    ax.set_yticklabels([f"{name} ({v:.3g})" for name, v in zip(means.index, population)],
                       fontsize=9)
    ax.set_title(title or "Feature means per segment (all customers in brackets)")
    cbar = ax.figure.colorbar(image, ax=ax, fraction=0.04, pad=0.02, ticks=[-1, -0.5, 0, 0.5, 1])
    cbar.ax.set_yticklabels(["<= -100%", "-50%", "0", "+50%", ">= +100%"], fontsize=8)
    cbar.set_label("vs. all customers")
    return _finish(ax, created, path)


def _money(v):
    """A short amount: 950, 12.3k, 4.56M."""
    a = abs(v)
    for div, unit in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if a >= div:
            return f"{v / div:.3g}{unit}"
    return f"{v:.3g}"


def _bucket_frame(data, scores, revenue, horizon, caller):
    """(labels, customers, revenue_at_risk) per bucket, lowest risk first."""
    import pandas as pd

    from .retention import RiskBuckets, kpi_summary

    if isinstance(data, RiskBuckets):
        if scores is None or revenue is None:
            raise InvalidArgument(f"plot.{caller}(): with RiskBuckets, pass scores= and "
                                  "revenue= too")
        data = kpi_summary(scores, revenue, buckets=data, horizon=horizon)
    elif scores is not None or revenue is not None:
        raise InvalidArgument(f"plot.{caller}(): scores and revenue go with a RiskBuckets; a "
                              "table already holds the revenue at risk")
    if not isinstance(data, pd.DataFrame):
        raise TypeMismatch(f"plot.{caller}(): expected a kpi_summary or customer_export "
                           "DataFrame, or a RiskBuckets with scores and revenue, got "
                           f"{type(data).__name__}")
    if {"level", "group", "customers", "revenue_at_risk"} <= set(data.columns):  # kpi_summary
        rows = data[data["level"] == "bucket"]
        if rows.empty:
            raise InvalidArgument(f"plot.{caller}(): the KPI table has no 'bucket' rows")
        return ([str(g) for g in rows["group"]], rows["customers"].to_numpy(np.float64),
                rows["revenue_at_risk"].to_numpy(np.float64))
    if {"bucket", "revenue_at_risk"} <= set(data.columns):  # customer_export
        if data.empty:
            raise InvalidArgument(f"plot.{caller}(): the table has no rows")
        grouped = data.groupby("bucket", observed=False, sort=True)["revenue_at_risk"]
        sums, counts = grouped.sum(), grouped.size()
        return [str(g) for g in sums.index], counts.to_numpy(np.float64), \
            sums.to_numpy(np.float64)
    raise InvalidArgument(f"plot.{caller}(): the table needs the columns of kpi_summary (level, "
                          "group, customers, revenue_at_risk) or of customer_export (bucket, "
                          f"revenue_at_risk); got {list(data.columns)}")


def revenue_at_risk(data, scores=None, revenue=None, ax=None, path=None, *, horizon=12,
                    currency="", title=None):
    """Revenue at risk per risk bucket, lowest risk left, each bar with its amount, its share of
    the total and its number of customers.

    Parameters
    ----------
    data : pandas.DataFrame or churnlib.retention.RiskBuckets
        :func:`churnlib.retention.kpi_summary`'s table (its bucket rows), or
        :func:`churnlib.retention.customer_export`'s (summed per bucket), or fitted (or fixed)
        risk buckets together with ``scores`` and ``revenue``.
    scores, revenue : array-like of shape (n,), optional
        Churn probabilities and revenue per period, with a RiskBuckets.
    ax, path
        As :func:`roc`.
    horizon : int, default 12
        Periods of revenue at risk, with a RiskBuckets.
    currency : str, default ""
        Prefix of the amounts ("$", "EUR ").
    title : str, optional

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> import numpy as np, churnlib as cl
    >>> from churnlib import retention as rt
    >>> rng = np.random.default_rng(0)
    >>> p, revenue = rng.random(1000), rng.uniform(20, 120, 1000)
    >>> kpis = rt.kpi_summary(p, revenue, buckets=rt.RiskBuckets())   # cut at 0.25, 0.5, 0.75
    >>> ax = cl.plot.revenue_at_risk(kpis, currency="$", path="revenue_at_risk.png")
    >>> [t.get_text().split()[0] for t in ax.get_xticklabels()]
    ['low', 'medium', 'high', 'critical']
    >>> ax = cl.plot.revenue_at_risk(rt.RiskBuckets(), p, revenue, horizon=12)  # the same bars
    """
    caller = "revenue_at_risk"
    _check_ax(ax, "revenue_at_risk")
    labels, customers, money = _bucket_frame(data, scores, revenue, horizon, caller)
    if not np.all(np.isfinite(money)):
        raise InvalidArgument(f"plot.{caller}(): the revenue at risk holds NaN or infinite "
                              "values")
    total = float(money.sum())
    ax, created = _axes(ax, caller, (max(5.5, 1.2 * len(labels) + 2), 4.5))
    from matplotlib.colors import LinearSegmentedColormap

    cmap = LinearSegmentedColormap.from_list("churnlib_risk", ["#4c9f70", "#e0a030", RED])
    colors = [cmap(i / max(1, len(labels) - 1)) for i in range(len(labels))]
    x = np.arange(len(labels))
    bars = ax.bar(x, money, color=colors, gid="revenue_at_risk")
    ax.bar_label(bars, labels=[f"{currency}{_money(v)}\n{v / total:.0%}" if total > 0 else
                               f"{currency}{_money(v)}" for v in money], fontsize=8, padding=2)
    ax.set_xticks(x)
    ax.set_xticklabels([f"{name}\n{int(c):,}" for name, c in zip(labels, customers)],
                       fontsize=9)
    ax.set_ylim(0, max(1.0, money.max()) * 1.22)
    _compact_axis(ax.yaxis, currency)
    ax.set_xlabel("Risk bucket (customers)")
    ax.set_ylabel("Revenue at risk")
    ax.set_title(title or f"Revenue at risk by risk bucket (total {currency}{_money(total)})")
    ax.grid(True, axis="y", alpha=0.3)
    return _finish(ax, created, path)
