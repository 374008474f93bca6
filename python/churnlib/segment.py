"""Customer segmentation (``churnlib.segment``): :class:`KMeans` in scikit-learn's idiom, the
silhouette score, a sweep over k, and segment profiles with churn rate and revenue at risk.

The work runs in C++ (``churn::segment``) with the GIL released; C-ordered float64 arrays are
read without a copy. ``KMeans`` follows ``sklearn.cluster.KMeans`` (same objective, same
``tol`` meaning, greedy k-means++); its accelerated algorithm (Hamerly's bounds, also reached
with ``algorithm="elkan"``) gives exactly the labels of Lloyd's. Results are identical for any
``n_threads``.

Examples
--------
>>> import numpy as np, churnlib as cl
>>> X = np.r_[np.zeros((50, 2)), np.full((50, 2), 10.0)] + np.random.default_rng(0).random((100, 2))
>>> km = cl.KMeans(n_clusters=2, seed=1).fit(X)
>>> sorted(np.bincount(km.labels_).tolist())
[50, 50]
>>> round(cl.segment.silhouette_score(X, km.labels_), 2)
0.96
"""

from __future__ import annotations

import numbers

import numpy as np

from sklearn.base import ClassNamePrefixFeaturesOutMixin, ClusterMixin, TransformerMixin

from . import _frames
from ._core import _segment as _s
from ._estimator import CoreBacked
from ._validation import (
    CORE_INT_PARAMS,
    check_feature_names,
    check_int,
    check_int_list,
    check_matrix,
    check_n_features,
    check_weights,
    frame_to_matrix,
    parse_json,
)
from .errors import InvalidArgument, TypeMismatch

__all__ = ["KMeans", "silhouette_score", "silhouette_samples", "sweep_k", "profile_segments",
           "SegmentProfiles"]


def _matrix(X, what):
    """A C-ordered float64 matrix (a view when X already is one) and the column names of a
    DataFrame (or None)."""
    X = _frames.as_pandas(X)  # polars, pyarrow -> pandas
    names = None
    if hasattr(X, "columns") and hasattr(X, "to_numpy"):
        names = [str(c) for c in X.columns]
        X = frame_to_matrix(X, what)  # a text column: TypeMismatch naming it and its dtype
    elif hasattr(X, "to_matrix") and hasattr(X, "column_names"):  # churnlib.Table
        names = list(X.column_names)
        X = X.to_matrix()
    return check_matrix(X, what), names


def _vector(v, n, what):
    if v is None:
        return np.empty(0)
    a = np.ascontiguousarray(v, dtype=np.float64)
    if a.ndim != 1 or len(a) != n:
        raise InvalidArgument(f"{what}: expected {n} values, got shape {a.shape}")
    return a


def _labels(labels, n, what):
    a = np.asarray(labels)
    if a.ndim != 1 or len(a) != n:
        raise InvalidArgument(f"{what}: expected {n} labels, got shape {a.shape}")
    if not np.issubdtype(a.dtype, np.integer):
        if np.issubdtype(a.dtype, np.floating) and np.all(np.isfinite(a)) and np.all(a == np.round(a)):
            a = a.astype(np.int64)
        else:
            raise TypeMismatch(f"{what}: labels must be integers, got dtype {a.dtype}")
    if len(a) and (a.min() < 0 or a.max() > np.iinfo(np.int32).max):
        raise InvalidArgument(f"{what}: labels must be in [0, 2^31), got {a.min()}..{a.max()}")
    return a.astype(np.int32)


class KMeans(ClassNamePrefixFeaturesOutMixin, TransformerMixin, ClusterMixin, CoreBacked):
    """K-means clustering, as ``sklearn.cluster.KMeans``.

    Parameters
    ----------
    n_clusters : int, default 8
    init : {"k-means++", "random"} or array of shape (n_clusters, n_features)
        Greedy k-means++ (2 + floor(ln k) candidates per centre), random rows, or given centres
        (then one run).
    n_init : int, default 1
        Runs from different seeded starts; the lowest inertia is kept.
    max_iter : int, default 300
    tol : float, default 1e-4
        Stop when the squared centre shift summed over clusters is <= tol times the mean
        variance of the features (scikit-learn's meaning).
    algorithm : {"auto", "hamerly", "elkan", "lloyd"}, default "auto"
        "auto", "hamerly" and "elkan" use Hamerly's bounds; all give Lloyd's labels exactly.
    n_threads : int, default 0
        Threads (0 = all cores); results do not depend on it.
    seed : int, default 0
        Seed of the initialisation.

    Attributes
    ----------
    cluster_centers_ : ndarray of shape (n_clusters, n_features)
    labels_ : ndarray of shape (n_samples,)
    inertia_ : float
    n_iter_ : int
    n_features_in_ : int
    feature_names_in_ : ndarray of str (when fitted on a DataFrame)
    """

    #: scikit-learn estimator checks this class fails on purpose (tests/test_sklearn_compat.py).
    _expected_failed_checks = {
        "check_sample_weight_equivalence_on_dense_data":
            "k-means++ seeding draws rows with probability proportional to their weight, so "
            "integer weights and repeated rows give different random starts (scikit-learn's "
            "KMeans fails this check too); from the same given centres fits are equal "
            "(test_segment.py::test_weights_equal_repeated_rows_and_sklearn)",
    }
    _PARAMS = ("n_clusters", "init", "n_init", "max_iter", "tol", "algorithm", "n_threads",
               "seed")
    _core_type = _s.KMeans

    def __init__(self, n_clusters=8, *, init="k-means++", n_init=1, max_iter=300, tol=1e-4,
                 algorithm="auto", n_threads=0, seed=0):
        self.n_clusters = n_clusters
        self.init = init
        self.n_init = n_init
        self.max_iter = max_iter
        self.tol = tol
        self.algorithm = algorithm
        self.n_threads = n_threads
        self.seed = seed

    # ---- parameters ----------------------------------------------------------------------------

    def _new_core(self):
        """The compiled model: every hyper-parameter passes as one dict, checked (types, ranges,
        names) by ``churn::segment::KMeansParams::from_options``; an array ``init`` becomes
        init="given" with those centres."""
        options = {name: getattr(self, name) for name in _s.KMeans.default_params()
                   if name != "init_centers"}
        init = self.init
        if not isinstance(init, str):
            centers = np.ascontiguousarray(init, dtype=np.float64)
            if centers.ndim != 2:
                raise InvalidArgument("KMeans: init must be 'k-means++', 'random' or an array of "
                                      "shape (n_clusters, n_features)")
            options["init"] = "given"
            options["init_centers"] = centers.tolist()
        elif init == "given":
            raise InvalidArgument("KMeans: pass the centres themselves as init")
        if options["algorithm"] == "auto":
            options["algorithm"] = "hamerly"
        return _s.KMeans(options, "KMeans")

    # ---- fit / predict -------------------------------------------------------------------------

    def fit(self, X, y=None, sample_weight=None):
        """Clusters ``X`` (array-like or DataFrame of finite numbers); ``y`` is ignored.
        Returns self.

        Raises
        ------
        InvalidArgument
            For NaN/infinite values (naming the row and column), bad weights, fewer distinct
            rows than ``n_clusters``, centres of the wrong shape.
        """
        A, names = _matrix(X, "KMeans.fit()")
        w = check_weights(sample_weight, A.shape[0], "KMeans.fit()")
        core = self._new_core()
        if A.shape[0] < int(self.n_clusters):
            raise InvalidArgument(f"KMeans.fit(): n_samples={A.shape[0]} should be >= "
                                  f"n_clusters={self.n_clusters}.")
        self._clear_fitted()  # bad input leaves a fitted model as it was, an interrupt unfitted
        core.fit(A, w)
        if names is not None:
            core.set_feature_names(names)  # saved with the model
        self._set_core(core)
        return self

    def _set_core(self, core):
        self._core = core
        self.n_features_in_ = int(core.n_features)
        self.__dict__.pop("feature_names_in_", None)
        if core.feature_names:
            self.feature_names_in_ = np.asarray(core.feature_names, dtype=object)

    def fit_predict(self, X, y=None, sample_weight=None):
        """``fit(X)``, then the training labels."""
        return self.fit(X, sample_weight=sample_weight).labels_

    def fit_transform(self, X, y=None, sample_weight=None):
        """``fit(X)``, then the distances of the training rows to the centres."""
        return self.fit(X, sample_weight=sample_weight).transform(X)

    def _input(self, X, what):
        core = self._fitted(what)
        caller = f"KMeans.{what}()"
        A, names = _matrix(X, caller)
        check_feature_names(self, names, caller)
        check_n_features(self, A.shape[1], caller)
        return core, A

    def predict(self, X):
        """The nearest centre of each row (ties to the lowest index)."""
        core, A = self._input(X, "predict")
        return core.predict(A).astype(np.int32)

    def transform(self, X):
        """Euclidean distances of each row to each centre, shape (n, n_clusters)."""
        core, A = self._input(X, "transform")
        return core.transform(A)

    def score(self, X, y=None, sample_weight=None):
        """Minus the inertia of ``X`` under the fitted centres (scikit-learn's ``score``)."""
        core, A = self._input(X, "score")
        w = check_weights(sample_weight, A.shape[0], "KMeans.score()")
        return core.score(A, w)

    @property
    def _n_features_out(self):
        """Number of transform's columns (scikit-learn's get_feature_names_out: kmeans0...)."""
        return int(self._fitted("get_feature_names_out").cluster_centers.shape[0])

    @property
    def cluster_centers_(self):
        return self._fitted("cluster_centers_").cluster_centers

    @property
    def labels_(self):
        return self._fitted("labels_").labels.astype(np.int32)

    @property
    def inertia_(self):
        return self._fitted("inertia_").inertia

    @property
    def n_iter_(self):
        return self._fitted("n_iter_").n_iter

    def _restore_extra(self, state):
        self._set_core(self._core)  # the names come with the model JSON

    @classmethod
    def _from_core(cls, core):
        p = core.params
        init = p["init"]
        if init == "given":
            init = np.asarray(p["init_centers"])
        self = cls(n_clusters=p["n_clusters"], init=init, n_init=p["n_init"],
                   max_iter=p["max_iter"], tol=p["tol"], algorithm=p["algorithm"],
                   n_threads=p["n_threads"], seed=p["seed"])
        self._set_core(core)
        return self



# ---- choosing k and judging clusters -------------------------------------------------------------

def silhouette_samples(X, labels, n_threads=0):
    """Silhouette coefficient of each row (Euclidean), as
    ``sklearn.metrics.silhouette_samples``; exact, O(n^2)."""
    A, _ = _matrix(X, "silhouette_samples()")
    return _s.silhouette_samples(A, _labels(labels, A.shape[0], "silhouette_samples()"),
                                 n_threads)


def silhouette_score(X, labels, sample_size=None, seed=0, n_threads=0):
    """Mean silhouette coefficient, as ``sklearn.metrics.silhouette_score``: exact on all rows,
    or on a seeded sample of ``sample_size`` rows (distances within the sample only)."""
    A, _ = _matrix(X, "silhouette_score()")
    caller = "silhouette_score()"
    sample_size = check_int(sample_size, "sample_size", caller, *CORE_INT_PARAMS["sample_size"],
                            allow_none=True)
    return _s.silhouette_score(A, _labels(labels, A.shape[0], caller),
                               0 if sample_size is None else sample_size,
                               check_int(seed, "seed", caller, *CORE_INT_PARAMS["seed"]), n_threads)


def sweep_k(X, ks=range(2, 11), *, sample_weight=None, silhouette=True,
            silhouette_sample_size=10_000, silhouette_seed=0, **kmeans_params):
    """Fits :class:`KMeans` for each k of ``ks`` (other settings from ``kmeans_params``) and
    returns a pandas.DataFrame with ``n_clusters``, ``inertia`` (the "elbow"), ``n_iter`` and
    ``silhouette`` (on a seeded sample of ``silhouette_sample_size`` rows, the same rows for
    every k; 0 or None = all rows, exact)."""
    import pandas as pd

    A, _ = _matrix(X, "sweep_k()")
    w = _vector(sample_weight, A.shape[0], "sweep_k(): sample_weight")
    kmeans_params.setdefault("n_clusters", 2)
    base = KMeans(**kmeans_params)._new_core()
    caller = "sweep_k()"
    ks = check_int_list(ks, "ks", caller, *CORE_INT_PARAMS["ks"])
    size = check_int(silhouette_sample_size, "silhouette_sample_size", caller,
                     *CORE_INT_PARAMS["silhouette_sample_size"], allow_none=True)
    seed = check_int(silhouette_seed, "silhouette_seed", caller,
                     *CORE_INT_PARAMS["silhouette_seed"])
    r = _s.sweep_k(A, ks, base, w, bool(silhouette), size or 0, seed)
    return pd.DataFrame(r)


# ---- segment profiles ----------------------------------------------------------------------------

class SegmentProfiles:
    """Profiles of the segments next to the population (from :func:`profile_segments`).

    ``to_pandas()`` gives one row per segment (and ``"all"``): size, share, churn rate, mean
    score, revenue and revenue at risk; ``feature_means()`` each feature's mean per segment next
    to the population mean, in the units given; ``str(profiles)`` a readable table;
    ``to_json()`` the JSON of the C++ library.
    """

    def __init__(self, d):
        self._d = d

    @property
    def feature_names(self):
        return list(self._d["feature_names"])

    @property
    def revenue_at_risk_basis(self):
        """"score" (sum of revenue x score), "churned" (revenue of the churners) or ""."""
        return self._d["revenue_at_risk_basis"]

    def to_pandas(self):
        import pandas as pd

        cols = ["size", "share"]
        if self._d["has_churn"]:
            cols.append("churn_rate")
        if self._d["has_score"]:
            cols.append("mean_score")
        if self._d["has_revenue"]:
            cols.append("revenue")
            if self._d["revenue_at_risk_basis"]:
                cols.append("revenue_at_risk")
        rows = {s["segment"]: {c: s[c] for c in cols} for s in self._d["segments"]}
        rows["all"] = {c: self._d["population"][c] for c in cols}
        df = pd.DataFrame.from_dict(rows, orient="index")
        df.index.name = "segment"
        return df

    def feature_means(self):
        import pandas as pd

        data = {s["segment"]: np.asarray(s["feature_means"]) for s in self._d["segments"]}
        data["all"] = np.asarray(self._d["population"]["feature_means"])
        return pd.DataFrame(data, index=self.feature_names)

    def to_json(self):
        return self._d["json"]

    def to_dict(self):
        return parse_json(self._d["json"], "SegmentProfiles JSON")

    def __str__(self):
        return self._d["text"]

    def __repr__(self):
        return f"<SegmentProfiles: {len(self._d['segments'])} segments x {len(self.feature_names)} features>"

    def _repr_html_(self):
        """Notebook display: one row per segment."""
        import html

        return (f"<div><p><b>{html.escape(repr(self))}</b></p>{self.to_pandas()._repr_html_()}"
                "</div>")


def profile_segments(X, segments, *, churned=None, score=None, revenue=None, n_segments=0):
    """Profiles of segments: size, share, churn rate, mean score, revenue at risk and each
    feature's mean next to the population's.

    Parameters
    ----------
    X : DataFrame or array-like (n, p)
        The features in their original units (NaN = missing; category columns are profiled by
        their codes, so pass numeric columns).
    segments : array-like of int (n,)
        Segment ids >= 0 (e.g. ``KMeans.labels_``).
    churned : array-like, optional
        0/1 churn labels (NaN = unknown).
    score : array-like, optional
        Churn scores (probabilities).
    revenue : array-like, optional
        Revenue per row (e.g. monthly charges). Revenue at risk is ``sum(revenue * score)`` when
        scores are given, else the revenue of the churners.
    n_segments : int, default 0
        0: ``max(segments) + 1``.

    Returns
    -------
    SegmentProfiles
    """
    A, names = _matrix(X, "profile_segments()")
    n = A.shape[0]
    d = _s.profile_segments(A, _labels(segments, n, "profile_segments(): segments"),
                            names or [],
                            _vector(churned, n, "profile_segments(): churned"),
                            _vector(score, n, "profile_segments(): score"),
                            _vector(revenue, n, "profile_segments(): revenue"),
                            check_int(n_segments, "n_segments", "profile_segments()",
                                      *CORE_INT_PARAMS["n_segments"]))
    return SegmentProfiles(d)
