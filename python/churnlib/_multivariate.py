"""Multivariate drift (re-exported by :mod:`churnlib.monitor`): changes of the joint
distribution of the features that per-feature statistics (PSI, KS) cannot see, such as a
correlation that flips sign while every marginal stays the same.

- :func:`domain_classifier_drift`: label the reference rows 0 and the current rows 1 and
  measure, by stratified K-fold cross-validation of churnlib's GBDT, how well the two can be told
  apart (held-out ROC-AUC; 0.5 = no drift). The p-value comes from the null distribution of each
  fold's AUC: under no drift the fold's labels are a random labelling of its held-out scores, a
  Mann-Whitney statistic with mean 1/2 and the tie-corrected variance
  :func:`auc_null_variance`; the mean of the K fold AUCs is compared with 1/2 by a one-sided
  z-test with variance ``2 * sum(var_k) / K**2``: twice that of independent folds, since each
  fold's model learns from the labels of the others and so the fold AUCs are positively
  correlated (without the factor, about 11% false alarms at a nominal 5%). The separating features
  are ranked by their share of the mean |SHAP| (TreeSHAP) of held-out rows.
- :class:`PcaDrift`: the PCA reconstruction error of a batch (NannyML's
  DataReconstructionDriftCalculator), with a threshold valid for any batch size: the components
  are fitted on a seeded random half of the reference and the per-row errors measured on the other
  half (mean ``mu``, standard deviation ``s``, ``n_h`` rows), so
  ``threshold(m) = mu + z_(1-alpha) * s * sqrt(1/m + 1/n_h)``.

The work runs in C++ (``include/churn/monitor/multivariate.hpp``) with the GIL released; results
do not depend on ``n_threads``.

Examples
--------
>>> import numpy as np, pandas as pd
>>> import churnlib as cl
>>> rng = np.random.default_rng(0)
>>> def frame(rho, n=1000):
...     x = rng.standard_normal(n)
...     y = rho * x + np.sqrt(1 - rho ** 2) * rng.standard_normal(n)
...     return pd.DataFrame({"x": x, "y": y})
>>> r = cl.monitor.domain_classifier_drift(frame(0.8), frame(-0.8), n_splits=3)
>>> bool(r.drifted), sorted(r.features["feature"][:2])
(True, ['x', 'y'])
>>> bool(cl.monitor.PcaDrift().fit(frame(0.8)).compare(frame(-0.8)).drifted)
True
"""

from __future__ import annotations

import numpy as np

from . import _core, _frames
from ._core import _monitor as _m
from ._estimator import CoreBacked
from ._validation import CORE_INT_PARAMS, check_int, check_matrix, parse_json
from .errors import InvalidArgument, TypeMismatch

__all__ = ["domain_classifier_drift", "DomainClassifierResult", "PcaDrift", "PcaDriftResult",
           "auc_null_variance"]

_ALERT_COLUMNS = ["subject", "metric", "value", "threshold", "severity"]


def _table(X, caller, names=None):
    """X as a churnlib Table or pandas DataFrame: polars/pyarrow frames are read from their
    Arrow buffers; a numeric matrix becomes a Table with columns ``names`` (when it has as many)
    or ``x0``, ``x1``, ..."""
    X = _frames.as_table_or_pandas(X)
    if isinstance(X, _core.Table) or _frames.is_pandas_frame(X):
        return X
    if not (hasattr(X, "__array__") or isinstance(X, (list, tuple))):
        raise TypeMismatch(f"{caller}: expected a pandas.DataFrame, a churnlib.Table, a "
                           f"polars/pyarrow table or a numeric matrix, got {type(X).__name__}")
    A = check_matrix(X, caller)
    if names is None or len(names) != A.shape[1]:
        names = [f"x{j}" for j in range(A.shape[1])]
    return _core.Table.from_numpy(A, list(names))


def _indent(indent, caller):
    indent = check_int(indent, "indent", caller, *CORE_INT_PARAMS["indent"], allow_none=True)
    return -1 if indent is None else indent


def _alerts_frame(alerts):
    import pandas as pd

    return pd.DataFrame(alerts, columns=_ALERT_COLUMNS)


def auc_null_variance(scores, n_positive):
    """Null variance of an AUC when the labels are a random labelling of ``scores`` with
    ``n_positive`` positives (the Mann-Whitney statistic, tie-corrected):
    ``((N + 1) - sum_t (t**3 - t) / (N (N - 1))) / (12 n0 n1)``, ``t`` the sizes of the groups of
    tied scores. The variance :func:`domain_classifier_drift` gives each fold's AUC."""
    s = np.ascontiguousarray(scores, dtype=np.float64)
    if s.ndim != 1:
        raise InvalidArgument(f"auc_null_variance(): scores must be 1-D, got shape {s.shape}")
    n = check_int(n_positive, "n_positive", "auc_null_variance()")
    return _m.auc_null_variance(s, n)


# ---- domain classifier --------------------------------------------------------------------------

class DomainClassifierResult:
    """What :func:`domain_classifier_drift` measured.

    Attributes
    ----------
    auc : float
        Mean of the per-fold held-out ROC-AUCs (0.5: the batches cannot be told apart).
    auc_folds : list of float
        Held-out AUC of each fold.
    pooled_auc : float
        AUC of all out-of-fold scores together (``sklearn.metrics.roc_auc_score(labels,
        scores)``).
    z, p_value : float
        One-sided z statistic of ``auc`` against 0.5 and its p-value under no drift.
    alpha : float
        The significance level; ``drifted`` is ``p_value < alpha``.
    drifted : bool
    features : pandas.DataFrame
        ``feature`` and ``importance`` (share of the total mean |SHAP| of held-out rows), most
        separating first.
    n_reference, n_current : int
        Rows used on each side (after sampling to ``max_rows``).
    scores : numpy.ndarray
        Out-of-fold P(current) of every row used, reference rows first (``labels`` gives the
        matching 0/1 labels). Not part of :meth:`to_json`.
    """

    def __init__(self, core, scores=None):
        self._core = core
        self._scores = np.asarray(core.scores if scores is None else scores, dtype=np.float64)

    auc = property(lambda self: self._core.auc)
    auc_folds = property(lambda self: list(self._core.auc_folds))
    pooled_auc = property(lambda self: self._core.pooled_auc)
    z = property(lambda self: self._core.z)
    p_value = property(lambda self: self._core.p_value)
    alpha = property(lambda self: self._core.alpha)
    drifted = property(lambda self: bool(self._core.drifted))
    n_reference = property(lambda self: self._core.n_reference)
    n_current = property(lambda self: self._core.n_current)

    @property
    def scores(self):
        return self._scores

    @property
    def labels(self):
        """The 0/1 labels of :attr:`scores` (0 = reference, 1 = current), when scores are kept."""
        if self._scores.size == 0:
            return np.zeros(0)
        return np.r_[np.zeros(self.n_reference), np.ones(self.n_current)]

    @property
    def features(self):
        import pandas as pd

        return pd.DataFrame(self._core.features, columns=["feature", "importance"])

    @property
    def alerts(self):
        """Alert records (dicts with ``subject`` "multivariate", ``metric``
        "domain_classifier_auc", ``value`` = auc, ``threshold`` = the AUC whose p-value is
        alpha, ``severity`` "significant"): one when drifted, else none."""
        return self._core.alerts

    def alerts_frame(self):
        """:meth:`alerts` as a pandas.DataFrame."""
        return _alerts_frame(self.alerts)

    def to_json(self, indent=None):
        """The result as JSON text (without :attr:`scores`)."""
        return self._core.to_json(_indent(indent, "DomainClassifierResult.to_json()"))

    def to_dict(self):
        """The result as the dict of :meth:`to_json`."""
        return parse_json(self.to_json(), "DomainClassifierResult JSON")

    @classmethod
    def from_json(cls, text):
        """A result from :meth:`to_json` text (its ``scores`` are empty)."""
        return cls(_m.DomainClassifierResult.from_json(text), np.zeros(0))

    def __getstate__(self):
        return {"json": self.to_json(), "scores": self._scores}

    def __setstate__(self, state):
        self.__init__(_m.DomainClassifierResult.from_json(state["json"]), state["scores"])

    def __eq__(self, other):
        return isinstance(other, DomainClassifierResult) and self.to_json() == other.to_json()

    __hash__ = None

    def plot(self, ax=None, path=None, top=15):
        """A horizontal bar chart of the features that separate the two batches (share of the
        mean |SHAP|). Needs matplotlib (an optional dependency).

        Parameters
        ----------
        ax : matplotlib Axes, optional
        path : str or path-like, optional
            Also write the figure there, atomically (:func:`churnlib.plot.save`).
        top : int or None, default 15
            Only the ``top`` most separating features.

        Returns
        -------
        matplotlib Axes
        """
        from . import plot

        plt = plot._pyplot("DomainClassifierResult.plot")
        df = self.features
        if top is not None:
            df = df.head(check_int(top, "top", "DomainClassifierResult.plot()", 1))
        df = df.iloc[::-1]
        created = ax is None
        if created:
            _, ax = plt.subplots(figsize=(8, max(2.5, 0.3 * len(df) + 1)))
        ax.barh(df["feature"].astype(str), df["importance"].to_numpy(),
                color="#d0453a" if self.drifted else "#4c9f70")
        ax.set_xlabel("share of mean |SHAP| (held-out rows)")
        ax.set_title(f"Domain classifier: AUC {self.auc:.3f}, p = {self.p_value:.2g}"
                     f"{' (drifted)' if self.drifted else ''}")
        return plot._finish(ax, created, path)

    def __repr__(self):
        top = ", ".join(f[0] for f in self._core.features[:3])
        return (f"<DomainClassifierResult: auc={self.auc:.4f} (folds "
                f"{', '.join(f'{a:.3f}' for a in self.auc_folds)}), p_value={self.p_value:.3g}, "
                f"drifted={self.drifted}, top features: {top}>")

    def _repr_html_(self):
        import html

        return (f"<div><p><b>{html.escape(repr(self))}</b></p>"
                + self.features.head(20)._repr_html_() + "</div>")


def domain_classifier_drift(reference, current, *, n_splits=5, n_estimators=50,
                            learning_rate=0.1, num_leaves=15, min_child_samples=20, max_bins=255,
                            max_rows=100_000, shap_rows=2000, alpha=0.01, seed=0, n_threads=0):
    """Multivariate drift of ``current`` against ``reference`` by a cross-validated domain
    classifier (see the module docstring).

    Parameters
    ----------
    reference, current : pandas.DataFrame, churnlib.Table, polars/pyarrow table or matrix
        The feature columns: every column of ``reference`` must be in ``current`` (extra ones
        are ignored). Numeric columns (NaN = missing) and categorical/text columns (categories
        matched by label; categories unseen in the reference are categories of their own).
    n_splits : int, default 5
        Stratified folds.
    n_estimators, learning_rate, num_leaves, min_child_samples, max_bins
        The GBDT of each fold (defaults 50, 0.1, 15, 20, 255: small and fast).
    max_rows : int, default 100000
        Rows per side at most (a seeded random sample beyond it).
    shap_rows : int, default 2000
        Held-out rows per fold whose TreeSHAP values rank the features.
    alpha : float, default 0.01
        Significance level.
    seed : int, default 0
        Seed of the sampling, the folds and the GBDT.
    n_threads : int, default 0
        Threads (0 = all cores); results do not depend on it.

    Returns
    -------
    DomainClassifierResult

    Raises
    ------
    InvalidArgument
        For an empty table, a reference column that ``current`` lacks, an infinite value, fewer
        rows on a side than ``n_splits`` or an invalid parameter (each named).
    TypeMismatch
        For a timestamp column or a column that is numeric on one side and categorical on the
        other.
    """
    caller = "domain_classifier_drift()"
    a = _table(reference, f"{caller}: reference")
    names = list(a.columns) if _frames.is_pandas_frame(a) else list(a.column_names)
    b = _table(current, f"{caller}: current", names)
    options = {"n_splits": n_splits, "n_estimators": n_estimators,
               "learning_rate": learning_rate, "num_leaves": num_leaves,
               "min_child_samples": min_child_samples, "max_bins": max_bins,
               "max_rows": max_rows, "shap_rows": shap_rows, "alpha": alpha, "seed": seed,
               "n_threads": n_threads}
    return DomainClassifierResult(_m.domain_classifier_drift(a, b, options))


# ---- PCA reconstruction error -------------------------------------------------------------------

class PcaDriftResult:
    """What :meth:`PcaDrift.compare` measured.

    Attributes
    ----------
    reconstruction_error : float
        Mean reconstruction error of the batch's rows.
    threshold : float
        ``reference_error + z_(1-alpha) * reference_error_std * sqrt(1/n_rows + 1/n_h)``.
    reference_error, reference_error_std : float
        Mean and standard deviation of the errors of the reference's held-out half.
    p_value : float
        One-sided p-value of the batch's mean error under no drift.
    alpha : float
    drifted : bool
        ``reconstruction_error > threshold``.
    n_components, n_rows : int
    """

    def __init__(self, core):
        self._core = core

    reconstruction_error = property(lambda self: self._core.reconstruction_error)
    threshold = property(lambda self: self._core.threshold)
    reference_error = property(lambda self: self._core.reference_error)
    reference_error_std = property(lambda self: self._core.reference_error_std)
    p_value = property(lambda self: self._core.p_value)
    alpha = property(lambda self: self._core.alpha)
    drifted = property(lambda self: bool(self._core.drifted))
    n_components = property(lambda self: self._core.n_components)
    n_rows = property(lambda self: self._core.n_rows)

    @property
    def alerts(self):
        """Alert records (``subject`` "multivariate", ``metric`` "reconstruction_error",
        ``value``, ``threshold``, ``severity`` "significant"): one when drifted, else none."""
        return self._core.alerts

    def alerts_frame(self):
        """:meth:`alerts` as a pandas.DataFrame."""
        return _alerts_frame(self.alerts)

    def to_json(self, indent=None):
        """The result as JSON text."""
        return self._core.to_json(_indent(indent, "PcaDriftResult.to_json()"))

    def to_dict(self):
        """The result as the dict of :meth:`to_json`."""
        return parse_json(self.to_json(), "PcaDriftResult JSON")

    @classmethod
    def from_json(cls, text):
        """A result from :meth:`to_json` text."""
        return cls(_m.PcaDriftResult.from_json(text))

    def __getstate__(self):
        return {"json": self.to_json()}

    def __setstate__(self, state):
        self.__init__(_m.PcaDriftResult.from_json(state["json"]))

    def __eq__(self, other):
        return isinstance(other, PcaDriftResult) and self.to_json() == other.to_json()

    __hash__ = None

    def __repr__(self):
        return (f"<PcaDriftResult: reconstruction_error={self.reconstruction_error:.4f}, "
                f"threshold={self.threshold:.4f}, p_value={self.p_value:.3g}, "
                f"drifted={self.drifted}, {self.n_components} components, {self.n_rows} rows>")

    def _repr_html_(self):
        import html

        return f"<div><p><b>{html.escape(repr(self))}</b></p></div>"


class PcaDrift(CoreBacked):
    """Drift as the PCA reconstruction error of a batch (see the module docstring).

    Encoding (fitted on the reference's fit half): numeric missing values are replaced by the
    mean; categorical/text columns are frequency-encoded (a category becomes its share of the
    rows, missing is a category of its own, an unseen category becomes 0); every column is then
    standardised (a constant column is only centred).

    Parameters
    ----------
    variance : float, default 0.65
        Share of the standardised variance the kept components explain (scikit-learn's
        ``PCA(n_components=variance)``).
    alpha : float, default 0.01
        Significance level of :meth:`compare`.
    seed : int, default 0
        Seed of the split of the reference into halves.
    n_threads : int, default 0
        Threads (0 = all cores); results do not depend on it.

    Attributes
    ----------
    feature_names_ : list of str
    n_features_in_, n_components_ : int
    components_ : numpy.ndarray of shape (n_components_, n_features_in_)
        Unit rows; the largest |entry| of each is positive.
    mean_, scale_ : numpy.ndarray
        The standardisation of the encoded features.
    explained_variance_ : numpy.ndarray
    reference_error_, reference_error_std_ : float
        Mean and standard deviation of the held-out half's per-row errors.
    n_holdout_ : int
        Rows of the held-out half.

    Examples
    --------
    >>> import churnlib as cl
    >>> df = cl.make_customers(2000, seed=1).to_pandas()
    >>> df = df.drop(columns=["customer_id", "signup_date", "churned"])  # no ids, no timestamps
    >>> pca = cl.monitor.PcaDrift().fit(df.iloc[:1500])
    >>> bool(pca.compare(df.iloc[1500:]).drifted)
    False
    """

    _PARAMS = ("variance", "alpha", "seed", "n_threads")
    _core_type = _m.PcaDrift

    def __init__(self, variance=0.65, *, alpha=0.01, seed=0, n_threads=0):
        self.variance = variance
        self.alpha = alpha
        self.seed = seed
        self.n_threads = n_threads

    def __repr__(self):
        defaults = PcaDrift().get_params()
        args = [f"{k}={v!r}" for k, v in self.get_params().items() if v != defaults[k]]
        return f"PcaDrift({', '.join(args)})"

    def fit(self, X, y=None):
        """Fits the encoding, the components and the held-out errors on ``X`` (a pandas,
        polars or pyarrow frame, a churnlib.Table or a numeric matrix). Returns self.

        Raises
        ------
        InvalidArgument
            For fewer than 4 rows, no columns, an infinite value or an invalid parameter.
        TypeMismatch
            For a timestamp column.
        """
        core = _m.PcaDrift(self.get_params(), "PcaDrift")
        core.fit(_table(X, "PcaDrift.fit()"))
        self._core = core
        return self

    def _current(self, X, what):
        core = self._fitted(what)
        return core, _table(X, f"PcaDrift.{what}()", core.feature_names)

    def compare(self, X):
        """The reconstruction error of the batch ``X`` against the threshold for its size.

        Returns
        -------
        PcaDriftResult

        Raises
        ------
        NotFittedError, InvalidArgument (no rows, a missing column, an infinite value),
        TypeMismatch (a column whose kind changed).
        """
        core, t = self._current(X, "compare")
        return PcaDriftResult(core.compare(t))

    def errors(self, X):
        """The reconstruction error of each row of ``X``, as a numpy array."""
        core, t = self._current(X, "errors")
        return np.asarray(core.errors(t))

    def compare_errors(self, errors):
        """:meth:`compare` from the rows' errors (:meth:`errors` of a batch's chunks,
        concatenated): a batch read in chunks gets the result of :meth:`compare` on the whole.
        Returns a :class:`PcaDriftResult`."""
        e = np.ascontiguousarray(errors, dtype=np.float64)
        if e.ndim != 1:
            raise InvalidArgument(f"PcaDrift.compare_errors(): errors must be 1-D, got shape "
                                  f"{e.shape}")
        return PcaDriftResult(self._fitted("compare_errors").compare_errors(e))

    feature_names_ = property(lambda self: list(self._fitted("feature_names_").feature_names))
    n_features_in_ = property(lambda self: len(self._fitted("n_features_in_").feature_names))
    components_ = property(lambda self: np.array(self._fitted("components_").components))
    n_components_ = property(lambda self: self._fitted("n_components_").components.shape[0])
    mean_ = property(lambda self: np.array(self._fitted("mean_").mean))
    scale_ = property(lambda self: np.array(self._fitted("scale_").scale))
    explained_variance_ = property(
        lambda self: np.array(self._fitted("explained_variance_").explained_variance))
    reference_error_ = property(lambda self: self._fitted("reference_error_").reference_error)
    reference_error_std_ = property(
        lambda self: self._fitted("reference_error_std_").reference_error_std)
    n_holdout_ = property(lambda self: self._fitted("n_holdout_").n_holdout)

    @classmethod
    def _from_core(cls, core):
        self = cls(**core.params)
        self._core = core
        return self
