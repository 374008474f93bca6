"""Linear models: :class:`LogisticRegression`, a scikit-learn compatible estimator.

The optimisation runs in C++ (``churn::linear::LogisticRegression``) with the GIL released; this module
converts inputs and follows scikit-learn's conventions (its base classes and input checks).
"""

from __future__ import annotations

import numbers
import os
import warnings

import numpy as np

from . import _core, _frames
from sklearn.exceptions import ConvergenceWarning as _SklearnConvergenceWarning

from ._estimator import BinaryClassifier
from ._validation import check_feature_names, check_matrix, check_n_features, check_weights
from .errors import InvalidArgument, TypeMismatch

__all__ = ["LogisticRegression", "ConvergenceWarning"]


class ConvergenceWarning(_SklearnConvergenceWarning):
    """A solver stopped before meeting its tolerance (raise ``max_iter`` or scale the features).

    A subclass of scikit-learn's ``ConvergenceWarning``, so its warning filters catch it."""


def _is_dataframe(X):
    return type(X).__name__ == "DataFrame" and hasattr(X, "columns") and hasattr(X, "dtypes")


def _as_matrix(X, caller):
    """(C-contiguous float64 2-D array or a zero-copy view, feature names or None)."""
    X = _frames.as_pandas(X)  # polars, pyarrow -> pandas (no copy of float64 columns)
    names = None
    if _is_dataframe(X):
        from pandas.api.types import is_bool_dtype, is_numeric_dtype

        names = [str(c) for c in X.columns]
        for name, dtype in zip(names, X.dtypes):
            if not (is_numeric_dtype(dtype) or is_bool_dtype(dtype)):
                raise TypeMismatch(
                    f"{caller}: column '{name}' has dtype {dtype}; only numeric columns are "
                    "accepted (encode categorical columns first)")
        X = X.to_numpy(dtype=np.float64, na_value=np.nan)
    elif isinstance(X, _core.Table):
        names = list(X.column_names)
        X = X.to_numpy()
    return check_matrix(X, caller), names


def _class_weight_option(cw):
    """class_weight as the C++ options take it: None, "balanced" (or any other string, which
    C++ rejects naming the allowed forms) or {"0": w0, "1": w1} (a class left out weighs 1)."""
    if cw is None or isinstance(cw, str):
        return cw
    if not isinstance(cw, dict):
        raise TypeMismatch("LogisticRegression: class_weight must be None, 'balanced' or a dict "
                           f"{{0: w0, 1: w1}}, got {cw!r}")
    out = {"0": 1.0, "1": 1.0}
    for label, weight in cw.items():
        if not isinstance(label, numbers.Integral) or label not in (0, 1):
            raise InvalidArgument("LogisticRegression: class_weight keys must be the classes 0 "
                                  f"and 1, got {label!r}")
        if not isinstance(weight, numbers.Real):
            raise TypeMismatch("LogisticRegression: class_weight values must be numbers, got "
                               f"{weight!r}")
        out[str(int(label))] = float(weight)
    return out


def _class_weight_from_option(cw):
    """The inverse of _class_weight_option: {"0": w0, "1": w1} -> {0: w0, 1: w1}."""
    return {int(k): v for k, v in cw.items()} if isinstance(cw, dict) else cw


class LogisticRegression(BinaryClassifier):
    """Binary logistic regression with scikit-learn's objective, solved in C++.

    Minimises ``C * sum_i s_i * logloss_i + r(w)`` with ``s_i = sample_weight_i *
    class_weight[y_i]`` and ``r`` = 0 (``"none"``), ``0.5 ||w||^2`` (``"l2"``), ``||w||_1``
    (``"l1"``) or ``l1_ratio ||w||_1 + 0.5 (1 - l1_ratio) ||w||^2`` (``"elasticnet"``); the
    intercept is not penalised. The same settings give scikit-learn's optimum.

    Parameters
    ----------
    penalty : {"l2", "l1", "elasticnet", "none"} or None, default "l2"
        The penalty term (None means "none").
    C : float, default 1.0
        Inverse regularisation strength, > 0 (``np.inf`` removes the penalty).
    l1_ratio : float, default 0.5
        Elastic-net mixing in [0, 1]; used with ``penalty="elasticnet"`` only.
    fit_intercept : bool, default True
        Fit an unpenalised intercept.
    max_iter : int, default 100
        Maximum solver iterations (>= 1).
    tol : float, default 1e-4
        Largest absolute (sub)gradient entry of the objective divided by ``C * sum(s_i)``.
    class_weight : None, "balanced" or dict {0: w0, 1: w1}, default None
        Class weights; "balanced" makes both classes weigh the same in total.
    solver : {"auto", "newton", "lbfgs", "cd"}, default "auto"
        "auto": Newton (Cholesky) for l2/none with <= 500 features, L-BFGS above, proximal
        coordinate descent ("cd") for l1/elasticnet.
    n_threads : int, default 0
        Threads (0 = all cores). Results are identical for any value.

    Attributes
    ----------
    coef_ : ndarray of shape (1, n_features)
    intercept_ : ndarray of shape (1,)
    classes_ : ndarray of shape (2,)
        The two labels seen in fit, sorted; ``classes_[1]`` is the positive class.
    n_iter_ : ndarray of shape (1,)
    converged_ : bool
    n_features_in_ : int
    feature_names_in_ : ndarray of str (only when fitted on a DataFrame or Table)
    calibrator_ : None, :class:`churnlib.metrics.PlattCalibrator` or
        :class:`churnlib.metrics.IsotonicCalibrator`
        None until :meth:`calibrate` is called (and again after each ``fit``); otherwise a copy
        of the calibrator that :meth:`predict_proba` applies to :meth:`decision_function`.

    Examples
    --------
    >>> import numpy as np, churnlib as cl
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]]); y = np.array([0, 0, 1, 1])
    >>> model = cl.LogisticRegression(C=10.0).fit(X, y)
    >>> model.predict_proba(X).shape
    (4, 2)
    >>> X_val = np.array([[0.5], [1.5], [2.5], [1.0]]); y_val = np.array([0, 1, 1, 0])
    >>> model.calibrate(X_val, y_val, method="sigmoid").calibrator_   # doctest: +ELLIPSIS
    <churnlib.metrics.PlattCalibrator object at ...>
    """


    _core_type = _core._LogisticRegression
    _fitted_attrs = ("_core", "coef_", "intercept_", "classes_", "n_iter_", "converged_",
                     "n_features_in_", "feature_names_in_", "calibrator_")

    def __init__(self, penalty="l2", *, C=1.0, l1_ratio=0.5, fit_intercept=True, max_iter=100,
                 tol=1e-4, class_weight=None, solver="auto", n_threads=0):
        self.penalty = penalty
        self.C = C
        self.l1_ratio = l1_ratio
        self.fit_intercept = fit_intercept
        self.max_iter = max_iter
        self.tol = tol
        self.class_weight = class_weight
        self.solver = solver
        self.n_threads = n_threads

    # ---- fitting and prediction ------------------------------------------------------------

    def _make_core(self):
        """The compiled model: every hyper-parameter passes as one dict, checked (types, ranges,
        names) by ``churn::linear::LogisticRegressionParams::from_options``."""
        options = {name: getattr(self, name) for name in _core._LogisticRegression.default_params()}
        if options["penalty"] is None:
            options["penalty"] = "none"
        options["class_weight"] = _class_weight_option(self.class_weight)
        return _core._LogisticRegression(options, "LogisticRegression")

    def fit(self, X, y, sample_weight=None):
        """Fits the model; returns self.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Numeric features without NaN (a C-ordered float64 array is used without a copy).
        y : array-like of shape (n_samples,)
            Two distinct class labels (numbers, strings, booleans or a pandas categorical);
        ``classes_[1]``, the larger, is the positive class.
        sample_weight : array-like of shape (n_samples,), optional
            Finite non-negative weights; each class needs a positive total weight (times
            ``class_weight``), as in the tree ensembles.

        Raises
        ------
        InvalidArgument
            NaN in X (naming the column), labels other than 0/1, a single class or a class
            whose weights are all 0, mismatched lengths, invalid weights or hyper-parameters.
        TypeMismatch
            Non-numeric X, y or weights, or hyper-parameters of the wrong type.
        """
        caller = "LogisticRegression.fit()"
        core = self._make_core()
        Xa, names = _as_matrix(X, caller)
        ya, classes = self._encode_fit_target(y, caller)
        if ya.shape[0] != Xa.shape[0]:
            raise InvalidArgument(f"{caller}: y has {ya.shape[0]} entries, X has {Xa.shape[0]} "
                                  "rows")
        wa = check_weights(sample_weight, Xa.shape[0], caller)
        self._store_classes(core, classes, caller)
        self._clear_fitted()  # bad input leaves a fitted model as it was, an interrupt unfitted
        core.fit(Xa, ya, wa, names or [])
        self._set_fitted(core)
        if not core.converged:
            warnings.warn(core.warning, ConvergenceWarning, stacklevel=2)
        return self

    def _set_fitted(self, core):
        self._clear_fitted()
        self._core = core
        self.coef_ = np.asarray(core.coef).reshape(1, -1)
        self.intercept_ = np.array([core.intercept])
        self.classes_ = self._classes_of(core)
        self.n_iter_ = np.array([core.n_iter], dtype=np.int32)
        self.converged_ = bool(core.converged)
        self.n_features_in_ = int(core.n_features)
        text = core.calibrator_json
        if text is None:
            self.calibrator_ = None
        else:
            cls = {"PlattCalibrator": _core._metrics.PlattCalibrator,
                   "IsotonicCalibrator": _core._metrics.IsotonicCalibrator}[core.calibrator_kind]
            self.calibrator_ = cls.from_json(text)
        if core.feature_names:
            self.feature_names_in_ = np.asarray(core.feature_names, dtype=object)

    def _predict_input(self, X, caller):
        core = self._fitted_core(caller)
        Xa, names = _as_matrix(X, caller)
        check_feature_names(self, names, caller)
        check_n_features(self, Xa.shape[1], caller)
        return core, Xa

    def decision_function(self, X):
        """Log-odds ``X @ coef + intercept``, shape (n_samples,)."""
        core, Xa = self._predict_input(X, "LogisticRegression.decision_function()")
        return np.asarray(core.decision_function(Xa))

    def calibrate(self, X, y, method="sigmoid", sample_weight=None):
        """Calibrates :meth:`predict_proba` on held-out data; returns self.

        Fits a calibrator on ``decision_function(X)`` and ``y``: Platt scaling
        (:class:`churnlib.metrics.PlattCalibrator`) or isotonic regression
        (:class:`churnlib.metrics.IsotonicCalibrator`). From then on :meth:`predict_proba` and
        :meth:`predict` return calibrated values, :meth:`save`, :meth:`to_json` and pickling keep
        the calibrator, and :attr:`calibrator_` holds a copy of it. Calling ``calibrate`` again
        replaces it; :meth:`fit` removes it. The hyper-parameters (``get_params``) do not change.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Held-out rows, not those the model was fitted on.
        y : array-like of shape (n_samples,)
            Their labels (those of ``classes_``).
        method : {"sigmoid", "isotonic"}, default "sigmoid"
            The calibration method (scikit-learn's names).
        sample_weight : array-like of shape (n_samples,), optional
            Finite non-negative weights.

        Raises
        ------
        NotFittedError
            Before :meth:`fit`.
        InvalidArgument
            An unknown ``method`` (also a ValueError), or invalid ``X``, ``y`` or weights.
        TypeMismatch
            ``method`` is not a str, or non-numeric inputs.
        """
        caller = "LogisticRegression.calibrate()"
        if not isinstance(method, str):
            raise TypeMismatch(f"{caller}: method must be 'sigmoid' or 'isotonic', got {method!r}")
        if method not in ("sigmoid", "isotonic"):
            raise InvalidArgument(
                f"{caller}: method must be 'sigmoid' or 'isotonic', got {method!r}")
        core, Xa = self._predict_input(X, caller)
        ya = self._targets(y, "y", caller)
        wa = check_weights(sample_weight, Xa.shape[0], caller)
        core.calibrate(Xa, ya, method, wa)
        self._set_fitted(core)
        return self

    def predict_proba(self, X):
        """Probabilities of classes 0 and 1, shape (n_samples, 2).

        Calibrated (see :meth:`calibrate`) when :attr:`calibrator_` is not None.
        """
        core, Xa = self._predict_input(X, "LogisticRegression.predict_proba()")
        p1 = np.asarray(core.predict_proba(Xa))
        out = np.empty((p1.shape[0], 2))
        out[:, 1] = p1
        out[:, 0] = 1.0 - p1
        return out

    def objective(self, X, y, sample_weight=None, coef=None, intercept=None):
        """scikit-learn's objective at ``coef``/``intercept`` (default: the fitted ones)."""
        caller = "LogisticRegression.objective()"
        core = self._make_core()
        Xa, _ = _as_matrix(X, caller)
        ya = self._targets(y, "y", caller) if "classes_" in self.__dict__ else \
            self._encode_fit_target(y, caller)[0]
        wa = check_weights(sample_weight, Xa.shape[0], caller)
        if coef is None:
            coef = self._fitted_core("LogisticRegression.objective()").coef
        if intercept is None:
            intercept = float(self.intercept_[0])
        c = np.ascontiguousarray(np.ravel(coef), dtype=np.float64)
        return float(core.objective(Xa, ya, wa, c, float(intercept)))

    # ---- persistence -----------------------------------------------------------------------

    @classmethod
    def from_json(cls, text):
        """A model from :meth:`to_json` text. Raises SerializationError if damaged."""
        return cls._from_core(_core._LogisticRegression.from_json(text))

    @classmethod
    def load(cls, path):
        """Reads a model written by :meth:`save` (from Python or C++)."""
        core = _core._LogisticRegression.load(os.fspath(path))
        return cls._from_core(core)

    @classmethod
    def _from_core(cls, core):
        params = core.params
        params["class_weight"] = _class_weight_from_option(params["class_weight"])
        model = cls(**params)
        model._set_fitted(core)
        return model
