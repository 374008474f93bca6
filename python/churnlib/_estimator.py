"""The scikit-learn protocol shared by churnlib's binary classifiers (private).

Subclasses define ``__init__`` with keyword hyper-parameters only (stored as attributes of the
same names), ``_predict_input(X, caller) -> (core, matrix)``, a ``predict_proba`` returning
(n, 2), ``_core_type`` (the compiled class) and ``_fitted_attrs`` (what fit sets, rebuilt from
the model JSON on unpickling); they get ``get_params``/``set_params``, a ``repr`` listing the
changed parameters, ``predict``, ``predict_log_proba``, ``score``, ``to_json``, ``save``,
pickling and scikit-learn's estimator tags.
"""

from __future__ import annotations

import numbers
import os
import zlib

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin

from ._validation import classes_from_json, classes_to_json, encode_target, targets_for
from .errors import NotFittedError, TypeMismatch

__all__ = ["BinaryClassifier", "CoreBacked"]


def _same(value, default):
    """Whether a parameter value equals a default (same type, equal; arrays never)."""
    if type(value) is not type(default):
        return False
    try:
        return bool(value == default)
    except (TypeError, ValueError):
        return False


class BinaryClassifier(ClassifierMixin, BaseEstimator):
    """Base of churnlib's binary classifiers (scikit-learn's ClassifierMixin + BaseEstimator).

    Labels may be numbers, strings, booleans or pandas categoricals: ``classes_`` holds the
    two distinct labels sorted, ``classes_[1]`` is the positive class (what ``predict_proba``'s
    second column and ``decision_function`` refer to), and ``predict`` returns labels from
    ``classes_``. The labels are saved with the model (C++ reads them too).
    """

    #: Whether X may hold NaN (scikit-learn's ``allow_nan`` input tag).
    _allow_nan = False
    #: The compiled model class (``from_json(text)``, ``to_json()``, ``save(path)``).
    _core_type = None
    #: Attributes set by fit; pickles hold the model JSON instead and rebuild them.
    _fitted_attrs = ("_core",)

    #: Other libraries' spellings accepted for a parameter (alias -> churnlib's name), as
    #: LightGBM accepts aliases: ``random_state=3`` sets ``seed``, ``n_jobs=2`` ``n_threads``.
    _ALIASES = {}

    # ---- parameters ------------------------------------------------------------------------

    def _take_aliases(self, kwargs, caller, in_init=True):
        """Applies alias keywords given to ``__init__``/``set_params`` (unknown: TypeError)."""
        import inspect

        defaults = {p.name: p.default
                    for p in inspect.signature(type(self).__init__).parameters.values()}
        for alias, value in kwargs.items():
            primary = self._ALIASES.get(alias)
            if primary is None:
                raise TypeError(f"{caller}: unknown parameter '{alias}'; valid: "
                                f"{', '.join(sorted(self._get_param_names()))} (aliases: "
                                f"{', '.join(sorted(self._ALIASES)) or 'none'})")
            if alias == "random_state":
                if value is None:
                    continue
                if not isinstance(value, numbers.Integral) or isinstance(value, (bool, np.bool_)):
                    raise TypeMismatch(f"{caller}: random_state must be None or an int (churnlib "
                                       f"draws from an explicit seed), got {value!r}")
            elif alias == "n_jobs" and value is None:
                value = 0
            elif alias == "n_jobs" and isinstance(value, numbers.Integral) and value < 0:
                value = 0  # scikit-learn's -1: all cores
            current = getattr(self, primary, defaults.get(primary))
            if in_init and not _same(current, defaults.get(primary)) \
                    and not _same(current, value):
                raise TypeError(f"{caller}: {primary}={current!r} and its alias "
                                f"{alias}={value!r} are both given")
            setattr(self, primary, value)

    def set_params(self, **params):
        """Sets hyper-parameters (aliases such as ``random_state`` map to churnlib's names);
        an unknown name raises TypeError. Returns self."""
        valid = set(self._get_param_names())
        aliases = {k: params.pop(k) for k in list(params) if k not in valid}
        for key, value in params.items():
            setattr(self, key, value)
        self._take_aliases(aliases, f"{type(self).__name__}.set_params()", in_init=False)
        return self

    # ---- scikit-learn tags -----------------------------------------------------------------

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = self._allow_nan
        tags.classifier_tags.multi_class = False
        tags.target_tags.required = True
        return tags

    def __sklearn_is_fitted__(self):
        return self.__dict__.get("_core") is not None

    # ---- labels ----------------------------------------------------------------------------

    def _encode_fit_target(self, y, caller):
        """(float64 targets 0/1, classes_) of the labels given to fit."""
        return encode_target(y, caller)

    def _targets(self, y, what, caller):
        """float64 targets 0/1 of labels against the fitted classes_ (eval sets, calibration)."""
        return targets_for(y, self.classes_, what, caller)

    @staticmethod
    def _store_classes(core, classes, caller):
        core.set_classes_json(classes_to_json(classes, caller))

    @staticmethod
    def _classes_of(core):
        return classes_from_json(core.classes_json)

    # ---- predictions derived from predict_proba --------------------------------------------

    def predict_log_proba(self, X):
        """Log of :meth:`predict_proba`."""
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def predict(self, X):
        """Class labels (from ``classes_``): ``classes_[1]`` where P(``classes_[1]``) > 0.5,
        shape (n_samples,)."""
        core, Xa = self._predict_input(X, f"{type(self).__name__}.predict()")
        positive = np.asarray(core.predict_proba(Xa)) > 0.5
        return self.classes_[positive.astype(np.intp)]

    # ---- the fitted core, persistence ------------------------------------------------------

    def _fitted_core(self, caller):
        core = self.__dict__.get("_core")
        if core is None:
            raise NotFittedError(f"{caller}: this {type(self).__name__} is not fitted yet; "
                                 "call fit() first")
        return core

    def _clear_fitted(self):
        for name in self._fitted_attrs:
            self.__dict__.pop(name, None)

    def to_json(self):
        """The fitted model as JSON text in the churnlib envelope (C++ reads it too)."""
        return self._fitted_core(f"{type(self).__name__}.to_json()").to_json()

    def save(self, path):
        """Writes the fitted model to ``path`` (JSON, atomically; C++ reads it too)."""
        self._fitted_core(f"{type(self).__name__}.save()").save(os.fspath(path))

    def __getstate__(self):
        state = {k: v for k, v in self.__dict__.items() if k not in self._fitted_attrs}
        core = self.__dict__.get("_core")
        if core is None:
            state["_model_json"] = None
        else:  # compressed: models travel to Spark and Dask workers as pickles
            state["_model_json_zlib"] = zlib.compress(core.to_json().encode("utf-8"), 6)
        return state

    def __setstate__(self, state):
        state = dict(state)
        text = state.pop("_model_json", None)
        blob = state.pop("_model_json_zlib", None)
        if blob is not None:
            from .model import _inflate

            text = _inflate(blob, type(self).__name__)
        state.pop("_sklearn_version", None)
        self.__dict__.update(state)
        if text is not None:
            self._set_fitted(self._core_type.from_json(text))


class CoreBacked(BaseEstimator):
    """The parameter protocol and JSON persistence of churnlib's non-classifier objects
    (FeaturePipeline, monitor.Baseline, KMeans), each a thin wrapper of one compiled object.

    Subclasses list their constructor arguments in ``_PARAMS`` (stored as attributes of the
    same names), keep the fitted compiled object in ``_core``, name its class in ``_core_type``
    (``from_json(text)``, ``load(path)``, ``to_json()``, ``save(path)``) and define
    ``_from_core(core)``, the fitted wrapper of a loaded object. They get ``get_params`` /
    ``set_params``, the not-fitted check ``_fitted(what)``, ``to_json``, ``save``,
    ``from_json``, ``load`` and pickling (parameters + the object's JSON, plus what
    ``_extra_state`` returns, given back to ``_restore_extra``).
    """

    _PARAMS = ()
    _core_type = None

    def get_params(self, deep=True):
        """The constructor arguments, as a dict (scikit-learn convention)."""
        return {name: getattr(self, name) for name in self._PARAMS}

    def set_params(self, **params):
        """Sets constructor arguments (unknown names raise TypeError); returns self."""
        for name in params:
            if name not in self._PARAMS:
                raise TypeError(f"{type(self).__name__}.set_params(): unknown parameter '{name}'")
        for name, value in params.items():
            setattr(self, name, value)
        return self

    def __sklearn_is_fitted__(self):
        return getattr(self, "_core", None) is not None

    def _clear_fitted(self):
        """Forgets the fitted state (a failed or interrupted fit leaves the object unfitted)."""
        for name in ("_core", "n_features_in_", "feature_names_in_"):
            self.__dict__.pop(name, None)

    def _fitted(self, what):
        core = getattr(self, "_core", None)
        if core is None:
            name = type(self).__name__
            raise NotFittedError(f"{name}.{what}: this {name} is not fitted yet; call fit() "
                                 "first")
        return core

    def to_json(self):
        """The fitted object as a JSON envelope (text), loadable in C++ and Python."""
        return self._fitted("to_json").to_json()

    def save(self, path):
        """Writes :meth:`to_json` to ``path`` atomically (temporary file + rename)."""
        self._fitted("save").save(os.fspath(path))

    @classmethod
    def from_json(cls, text):
        """A fitted object from :meth:`to_json` text; it gives bit-identical results.

        Raises
        ------
        SerializationError
            For a damaged document, another kind or a newer major version.
        """
        return cls._from_core(cls._core_type.from_json(text))

    @classmethod
    def load(cls, path):
        """A fitted object from a file written by :meth:`save` (or by C++)."""
        return cls._from_core(cls._core_type.load(os.fspath(path)))

    def _extra_state(self):
        return {}

    def _restore_extra(self, state):
        pass

    def __getstate__(self):
        state = {"params": self.get_params()}
        core = getattr(self, "_core", None)
        if core is not None:
            state["json"] = core.to_json()
            state.update(self._extra_state())
        return state

    def __setstate__(self, state):
        self.__init__(**state["params"])
        if "json" in state:
            self._core = self._core_type.from_json(state["json"])
            self._restore_extra(state)
