"""Risk buckets (``churnlib.retention.buckets``): churn scores cut into ordered groups (low /
medium / high / critical by default) by fixed cut points or by quantiles of a reference score
distribution, fitted and saved as JSON.

Bucket ``i`` holds the scores ``s`` with ``edges[i-1] <= s < edges[i]`` (closed on the left,
open on the right; the first bucket starts at -inf, the last ends at +inf): a score equal to an
edge goes to the higher bucket, as ``s >= threshold`` flags a churner. This is
``numpy.searchsorted(edges_, s, side="right")``, or
``pandas.cut(s, [-inf, *edges_, inf], right=False)``. Quantile edges are ``numpy.quantile``
(the default "linear" method) of the reference scores, bit for bit.

Examples
--------
>>> import numpy as np
>>> from churnlib.retention import RiskBuckets
>>> rb = RiskBuckets()                     # fixed cut points 0.25, 0.5, 0.75
>>> list(rb.predict([0.1, 0.5, 0.8]))
['low', 'high', 'critical']
>>> rb = RiskBuckets(quantiles=[0.5, 0.9]).fit(np.arange(11) / 10)
>>> rb.edges_
array([0.5, 0.9])
>>> rb.labels_
['low', 'medium', 'high']
"""

from __future__ import annotations

import numbers

import numpy as np

from .. import _frames
from .._core import _retention as _r
from .._estimator import CoreBacked
from ..errors import InvalidArgument, TypeMismatch

__all__ = ["RiskBuckets"]


# ---- input conversion (shared with churnlib.retention.value) -------------------------------------

def float_vector(x, caller, what, n=None, allow_empty=False):
    """``x`` (numpy array, pandas Series, list) as a C-contiguous float64 1-D array (no copy when
    it already is one); NaN passes (the C++ checks name its row).

    Raises
    ------
    TypeMismatch
        For None, a scalar, a string, a mapping or non-numeric values.
    InvalidArgument
        For a non-1-D array, no values (unless ``allow_empty``) or a length other than ``n``.
    """
    if x is None or isinstance(x, (str, bytes, dict, numbers.Number)):
        raise TypeMismatch(f"{caller}: {what} must be array-like (numpy array, pandas Series, "
                           f"list), got {type(x).__name__}")
    try:
        if hasattr(x, "to_numpy") and not isinstance(x, np.ndarray):  # pandas (nullable too)
            a = x.to_numpy(dtype=np.float64, na_value=np.nan)
        else:
            a = np.asarray(x)
            if a.dtype.kind not in "biuf":
                raise TypeError(f"dtype {a.dtype}")
            a = np.ascontiguousarray(a, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise TypeMismatch(f"{caller}: {what} must hold numbers ({e})") from None
    if a.ndim != 1:
        raise InvalidArgument(f"{caller}: {what} must be one-dimensional, got shape {a.shape}")
    if not allow_empty and a.shape[0] == 0:
        raise InvalidArgument(f"{caller}: {what} must not be empty")
    if n is not None and a.shape[0] != n:
        raise InvalidArgument(f"{caller}: {what} has {a.shape[0]} values, expected {n} (one per "
                              "customer)")
    return np.ascontiguousarray(a)


def like(values, template, name=None):
    """``values`` as a pandas Series with ``template``'s index when ``template`` is a Series,
    else unchanged."""
    if type(template).__name__ == "Series" and hasattr(template, "index"):
        import pandas as pd

        return pd.Series(values, index=template.index, name=name)
    return values


# ---- the estimator ---------------------------------------------------------------------------------

class RiskBuckets(CoreBacked):
    """Risk buckets of churn scores, by fixed cut points or reference quantiles.

    Parameters
    ----------
    cut_points : sequence of float, optional
        Fixed inner edges, finite and strictly increasing (any scale). Default (when neither
        ``cut_points`` nor ``quantiles`` is given): ``[0.25, 0.5, 0.75]``. Fixed buckets need
        no fit.
    quantiles : sequence of float, optional
        Levels strictly increasing in (0, 1): :meth:`fit` sets the edges to
        ``numpy.quantile(reference_scores, quantiles)``. Exclusive with ``cut_points``.
    labels : sequence of str, optional
        One distinct label per bucket (edges + 1), lowest risk first. Default: "low",
        "medium", "high", "critical" for 4 buckets ("low", "medium", "high" for 3; "low",
        "high" for 2; "bucket_1" ... for 5 or more).
    n_threads : int, default 0
        Threads (0 = all cores); results do not depend on it.

    Attributes
    ----------
    edges_ : ndarray of shape (n_buckets_ - 1,)
        The inner edges.
    labels_ : list of str
    n_buckets_ : int
    reference_counts_ : ndarray of int64 or None
        The reference scores' count per bucket at :meth:`fit` (None when never fitted).

    Examples
    --------
    >>> rb = RiskBuckets(quantiles=[0.5, 0.8, 0.95]).fit(reference_scores)  # doctest: +SKIP
    >>> rb.counts(new_scores)                                                # doctest: +SKIP
    """

    _PARAMS = ("cut_points", "quantiles", "labels", "n_threads")
    _core_type = _r.RiskBuckets

    def __init__(self, cut_points=None, quantiles=None, labels=None, n_threads=0):
        self.cut_points = cut_points
        self.quantiles = quantiles
        self.labels = labels
        self.n_threads = n_threads

    def _options(self):
        caller = "RiskBuckets"
        if self.cut_points is not None and self.quantiles is not None:
            raise InvalidArgument(f"{caller}: give cut_points or quantiles, not both")
        options = {"n_threads": self.n_threads}
        if self.quantiles is not None:
            options["quantiles"] = _levels(self.quantiles, caller, "quantiles")
            options["cut_points"] = []
        elif self.cut_points is not None:
            options["cut_points"] = _levels(self.cut_points, caller, "cut_points")
        if self.labels is not None:
            if isinstance(self.labels, str):
                raise TypeMismatch(f"{caller}: labels must be a sequence of str, got a str")
            options["labels"] = [_label(v, caller) for v in self.labels]
        return options

    def _new_core(self):
        return _r.RiskBuckets(self._options(), "RiskBuckets")

    def _ready(self, what):
        """The fitted core, or in fixed mode a core built from the parameters."""
        return self._fitted(what)

    def fit(self, reference_scores, y=None):
        """Sets the edges to the quantiles of ``reference_scores`` (quantile mode) and records
        the reference's count per bucket (both modes). ``y`` is ignored. Returns self.

        Raises
        ------
        InvalidArgument
            For no scores or a NaN (naming its row); invalid parameters.
        """
        core = self._new_core()
        core.fit(float_vector(reference_scores, "RiskBuckets.fit()", "reference_scores"))
        self._core = core
        return self

    def transform(self, scores):
        """The bucket code of each score, 0 (lowest risk) ... n_buckets_ - 1 (int32 array, or a
        Series with the index of a Series given)."""
        core = self._ready("transform()")
        codes = core.assign(float_vector(scores, "RiskBuckets.transform()", "scores",
                                         allow_empty=True)).astype(np.int32)
        return like(codes, scores)

    def predict(self, scores):
        """The bucket label of each score: an ordered ``pandas.Categorical`` (categories =
        ``labels_``), or a categorical Series with the index of a Series given."""
        core = self._ready("predict()")
        codes = core.assign(float_vector(scores, "RiskBuckets.predict()", "scores",
                                         allow_empty=True))
        cat = _frames.categorical_from_codes(codes, list(core.labels), ordered=True)
        return like(cat, scores)

    def fit_predict(self, scores, y=None):
        """``fit(scores)``, then :meth:`predict` of the same scores."""
        return self.fit(scores).predict(scores)

    def counts(self, scores):
        """One row per bucket (indexed by label): ``lower`` and ``upper`` edges, ``count`` and
        ``share`` of the scores."""
        core = self._ready("counts()")
        df = core.summary(float_vector(scores, "RiskBuckets.counts()", "scores",
                                       allow_empty=True))
        df["bucket"] = df["bucket"].astype(str)
        return df.set_index("bucket")

    @property
    def edges_(self):
        return np.asarray(self._ready("edges_").edges, dtype=np.float64)

    @property
    def labels_(self):
        return list(self._ready("labels_").labels)

    @property
    def n_buckets_(self):
        return int(self._ready("n_buckets_").n_buckets)

    @property
    def reference_counts_(self):
        counts = np.asarray(self._ready("reference_counts_").reference_counts, dtype=np.int64)
        return counts if counts.size else None

    def _fitted(self, what):
        """The fitted core; unfitted fixed buckets need no fit: a core built from the current
        parameters (not kept, so set_params takes effect)."""
        if getattr(self, "_core", None) is None and self.quantiles is None:
            return self._new_core()
        return super()._fitted(what)

    @classmethod
    def _from_core(cls, core):
        p = core.params
        if p["quantiles"]:
            self = cls(quantiles=list(p["quantiles"]), labels=p["labels"] or None,
                       n_threads=p["n_threads"])
        else:
            self = cls(cut_points=list(p["cut_points"]), labels=p["labels"] or None,
                       n_threads=p["n_threads"])
        self._core = core
        return self


def _levels(values, caller, what):
    if isinstance(values, (str, bytes)) or not hasattr(values, "__len__"):
        raise TypeMismatch(f"{caller}: {what} must be a sequence of numbers, got "
                           f"{type(values).__name__}")
    out = []
    for v in values:
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, numbers.Real):
            raise TypeMismatch(f"{caller}: {what} must hold numbers, got {v!r}")
        out.append(float(v))
    return out


def _label(v, caller):
    if not isinstance(v, str):
        raise TypeMismatch(f"{caller}: labels must be str, got {v!r}")
    return v
