"""The exceptions churnlib raises.

Every error is a :class:`Error`; each subclass is also the built-in exception a Python user
would expect, so ``except ValueError`` keeps working:

================== ============================================ ==========================
class              raised when                                  also a
================== ============================================ ==========================
InvalidArgument    an argument is out of range or inconsistent  ValueError
TypeMismatch       an argument or column has the wrong type     TypeError
NotFittedError     a model is used before ``fit``               ValueError, AttributeError
SchemaError        data breaks its Schema                       ValueError
ParseError         CSV text cannot be parsed                    ValueError
SerializationError a saved JSON object is damaged or too new    ValueError
IOError            a file cannot be read or written             OSError, ValueError
Interrupted        a C++ host's stop callback stopped a call    (only Error)
================== ============================================ ==========================

Ctrl-C during a long call (a fit, a CSV read, an event aggregation) raises the usual
``KeyboardInterrupt`` within about a second, and leaves the estimator as it was.

The classes are created by the compiled module, which translates each C++ exception
(``churn::InvalidArgument``, ...) into the class of the same name with the same message.

``NotFittedError`` is also a subclass of ``sklearn.exceptions.NotFittedError`` as soon as
scikit-learn is imported (before or after churnlib): ``import churnlib`` does not import
scikit-learn itself, so the command line and scoring jobs start quickly.
"""

import importlib.abc
import sys

from ._core import (
    Error,
    Interrupted,
    InvalidArgument,
    IOError,
    NotFittedError,
    ParseError,
    SchemaError,
    SerializationError,
    TypeMismatch,
)

__all__ = [
    "Error",
    "InvalidArgument",
    "TypeMismatch",
    "NotFittedError",
    "SchemaError",
    "ParseError",
    "SerializationError",
    "IOError",
    "Interrupted",
]


def _adopt_sklearn_not_fitted(module):
    """Makes NotFittedError a subclass of ``module.NotFittedError`` (scikit-learn's)."""
    base = getattr(module, "NotFittedError", None)
    if isinstance(base, type) and not issubclass(NotFittedError, base):
        # the compiled class was made with a placeholder base of the same layout as
        # scikit-learn's (ValueError, AttributeError), which makes the swap legal
        NotFittedError.__bases__ = (Error, base)


class _AdoptingLoader(importlib.abc.Loader):
    """Runs ``sklearn.exceptions``' own loader, then adopts its NotFittedError."""

    def __init__(self, loader):
        self._loader = loader

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        self._loader.exec_module(module)
        _adopt_sklearn_not_fitted(module)

    def __getattr__(self, name):  # get_resource_reader, get_source, ...
        return getattr(self._loader, name)


class _SklearnWatcher(importlib.abc.MetaPathFinder):
    """Waits for ``sklearn.exceptions`` to be imported (a post-import hook), then removes
    itself."""

    def find_spec(self, fullname, path, target=None):
        if fullname != "sklearn.exceptions":
            return None
        if self in sys.meta_path:
            sys.meta_path.remove(self)
        for finder in sys.meta_path:
            find = getattr(finder, "find_spec", None)
            spec = find(fullname, path, target) if find is not None else None
            if spec is not None:
                break
        else:
            return None
        if spec.loader is not None and hasattr(spec.loader, "exec_module"):
            spec.loader = _AdoptingLoader(spec.loader)
        return spec


if "sklearn.exceptions" in sys.modules:
    _adopt_sklearn_not_fitted(sys.modules["sklearn.exceptions"])
elif not any(isinstance(f, _SklearnWatcher) for f in sys.meta_path):
    sys.meta_path.insert(0, _SklearnWatcher())
