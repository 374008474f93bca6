"""The scikit-learn protocol shared by churnlib's binary classifiers (private).

Subclasses define ``__init__`` with keyword hyper-parameters only (stored as attributes of the
same names), ``_predict_input(X, caller) -> (core, matrix)``, a ``predict_proba`` returning
(n, 2), ``_core_type`` (the compiled class) and ``_fitted_attrs`` (what fit sets, rebuilt from
the model JSON on unpickling); they get ``get_params``/``set_params``, a ``repr`` listing the
changed parameters, ``predict``, ``predict_log_proba``, ``score``, ``to_json``, ``save``,
pickling and scikit-learn's estimator tags.
"""

from __future__ import annotations

import inspect
import math
import os

import numpy as np

from .errors import NotFittedError

__all__ = ["BinaryClassifier", "CoreBacked"]


def _same(value, default):
    """Whether a parameter value equals its default (same type, equal; arrays never)."""
    if type(value) is not type(default):
        return False
    try:
        return bool(value == default)
    except (TypeError, ValueError):
        return False


class BinaryClassifier:
    """Base of churnlib's classifiers (labels 0 and 1)."""

    _estimator_type = "classifier"
    #: Whether X may hold NaN (scikit-learn's ``allow_nan`` input tag).
    _allow_nan = False
    #: The compiled model class (``from_json(text)``, ``to_json()``, ``save(path)``).
    _core_type = None
    #: Attributes set by fit; pickles hold the model JSON instead and rebuild them.
    _fitted_attrs = ("_core",)

    # ---- parameters ------------------------------------------------------------------------

    @classmethod
    def _get_param_names(cls):
        sig = inspect.signature(cls.__init__)
        return sorted(p.name for p in sig.parameters.values() if p.name != "self")

    def get_params(self, deep=True):
        """The hyper-parameters as a dict (``deep`` is accepted for scikit-learn)."""
        return {name: getattr(self, name) for name in self._get_param_names()}

    def set_params(self, **params):
        """Sets hyper-parameters; an unknown name raises TypeError. Returns self."""
        valid = set(self._get_param_names())
        for key, value in params.items():
            if key not in valid:
                raise TypeError(f"{type(self).__name__}.set_params(): unknown parameter "
                                f"'{key}'; valid: {', '.join(sorted(valid))}")
            setattr(self, key, value)
        return self

    def __repr__(self):
        defaults = {p.name: p.default
                    for p in inspect.signature(type(self).__init__).parameters.values()
                    if p.name != "self"}
        changed = []
        for name in self._get_param_names():
            value = getattr(self, name)
            if (isinstance(value, float) and math.isnan(value)) or not _same(value, defaults[name]):
                changed.append(f"{name}={value!r}")
        return f"{type(self).__name__}({', '.join(changed)})"

    # ---- scikit-learn tags -----------------------------------------------------------------

    def __sklearn_tags__(self):
        from sklearn.utils import ClassifierTags, InputTags, Tags, TargetTags

        return Tags(estimator_type="classifier", target_tags=TargetTags(required=True),
                    classifier_tags=ClassifierTags(multi_class=False),
                    input_tags=InputTags(allow_nan=self._allow_nan))

    def _more_tags(self):
        return {"binary_only": True, "requires_y": True, "allow_nan": self._allow_nan}

    # ---- predictions derived from predict_proba --------------------------------------------

    def predict_log_proba(self, X):
        """Log of :meth:`predict_proba`."""
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def predict(self, X):
        """Labels 0/1 (1 where P(class 1) > 0.5), shape (n_samples,)."""
        core, Xa = self._predict_input(X, f"{type(self).__name__}.predict()")
        return (np.asarray(core.predict_proba(Xa)) > 0.5).astype(np.int64)

    def score(self, X, y, sample_weight=None):
        """Accuracy (weighted when ``sample_weight`` is given), as scikit-learn's classifiers."""
        from .linear import _as_vector

        caller = f"{type(self).__name__}.score()"
        yt = _as_vector(y, "y", caller, labels=True)
        hit = (self.predict(X) == yt).astype(np.float64)
        if sample_weight is None:
            return float(hit.mean())
        w = _as_vector(sample_weight, "sample_weight", caller)
        return float(np.sum(hit * w) / np.sum(w))

    # ---- the fitted core, persistence ------------------------------------------------------

    def _fitted_core(self, caller):
        core = self.__dict__.get("_core")
        if core is None:
            raise NotFittedError(f"{caller}: this {type(self).__name__} is not fitted yet; "
                                 "call fit() first")
        return core

    def to_json(self):
        """The fitted model as JSON text in the churnlib envelope (C++ reads it too)."""
        return self._fitted_core(f"{type(self).__name__}.to_json()").to_json()

    def save(self, path):
        """Writes the fitted model to ``path`` (JSON, atomically; C++ reads it too)."""
        self._fitted_core(f"{type(self).__name__}.save()").save(os.fspath(path))

    def __getstate__(self):
        state = {k: v for k, v in self.__dict__.items() if k not in self._fitted_attrs}
        core = self.__dict__.get("_core")
        state["_model_json"] = None if core is None else core.to_json()
        return state

    def __setstate__(self, state):
        state = dict(state)
        text = state.pop("_model_json", None)
        self.__dict__.update(state)
        if text is not None:
            self._set_fitted(self._core_type.from_json(text))


class CoreBacked:
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
