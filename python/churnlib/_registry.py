"""The model registry: a folder of versioned model bundles (``churnlib.ModelRegistry``).

The work runs in C++ (``churn::model::ModelRegistry``, documented in
``include/churn/model/registry.hpp``) with the GIL released; this module is its Python face.

Layout of the folder::

    <root>/registry.json      the index (a churnlib envelope of kind "ModelRegistry")
    <root>/.lock              the lock file writers take
    <root>/<name>/v<N>.json   version N of the model <name>: the model's to_json() text

Guarantees:

- **Versions** of a name are 1, 2, 3, ...; a number is never reused, even when a bundle file
  is deleted by hand.
- **Concurrency**: a registration takes an exclusive lock (``flock`` on ``<root>/.lock``),
  assigns the version, writes the bundle and then the index, each atomically (temporary file +
  rename). Two processes registering at once both succeed with distinct versions and nothing is
  lost; readers take no lock and never see a torn file. The folder should be on a local file
  system.
- **Integrity**: the index keeps each bundle's size and SHA-256; loading a damaged or edited
  bundle, a damaged index, or anything written by a newer major format version raises
  :class:`~churnlib.SerializationError` naming the file.
- **Stages**: ``"none"`` (new), ``"staging"``, ``"production"``, ``"archived"``. Moving a
  version to ``"production"`` archives the previous production version of that name.

Examples
--------
>>> import churnlib as cl, numpy as np, tempfile
>>> X = np.array([[0.0], [1.0], [2.0], [3.0]]); y = np.array([0, 0, 1, 1])
>>> model = cl.LogisticRegression().fit(X, y)
>>> reg = cl.ModelRegistry(tempfile.mkdtemp())
>>> reg.register(model, "churn", tags={"data": "2024-05"})
1
>>> reg.set_stage("churn", 1, "production")
>>> back = reg.load("churn", "production", loader=cl.LogisticRegression.from_json)
>>> bool((back.predict_proba(X) == model.predict_proba(X)).all())
True
"""

from __future__ import annotations

import importlib
import numbers
import os

import numpy as np

from ._core import _model as _m
from ._validation import CORE_INT_PARAMS, check_int
from .errors import InvalidArgument, TypeMismatch

__all__ = ["ModelRegistry", "STAGES"]

#: The stages a registered version can be in.
STAGES = ("none", "staging", "production", "archived")

#: The class whose ``from_json`` the default loader uses, by the envelope ``kind`` of the
#: registered document (resolved when ``load`` runs, so a missing module costs nothing).
_LOADERS = {
    "ChurnModel": ("churnlib.model", "ChurnModel"),
    "GBDTClassifier": ("churnlib.tree", "GBDTClassifier"),
    "RandomForestClassifier": ("churnlib.tree", "RandomForestClassifier"),
    "LogisticRegression": ("churnlib.linear", "LogisticRegression"),
    "KMeans": ("churnlib.segment", "KMeans"),
    "FeaturePipeline": ("churnlib.features", "FeaturePipeline"),
    "DriftBaseline": ("churnlib.monitor", "Baseline"),
}

#: The columns of :meth:`ModelRegistry.list`, in order.
_COLUMNS = ("name", "version", "stage", "created_at", "kind", "format_version", "tags",
            "description", "size", "sha256", "file")


def _version_text(version, caller):
    """A version spec as the text C++ reads: "latest", "<N>" or a stage name."""
    if isinstance(version, str):
        return version
    if isinstance(version, numbers.Integral) and not isinstance(version, (bool, np.bool_)):
        return str(int(version))
    raise TypeMismatch(f"{caller}: version must be an int, 'latest' or a stage name "
                       f"({', '.join(repr(s) for s in STAGES)}), got {version!r}")


def _tag_texts(tags, caller):
    """Tags as a dict of str to str: numbers are stored as ``str(value)``."""
    if tags is None:
        return {}
    if not isinstance(tags, dict):
        raise TypeMismatch(f"{caller}: tags must be a dict, got {type(tags).__name__}")
    out = {}
    for key, value in tags.items():
        if not isinstance(key, str) or not isinstance(value, (str, numbers.Number, np.bool_)):
            raise TypeMismatch(f"{caller}: tags must map str to str or numbers, got "
                               f"{key!r}: {value!r}")
        out[key] = value if isinstance(value, str) else str(value)
    return out


def _check_name(name, caller):
    if not isinstance(name, str):
        raise TypeMismatch(f"{caller}: name must be a str, got {type(name).__name__}")
    return name


class ModelRegistry:
    """A folder of versioned model bundles, safe for several processes writing at once.

    Parameters
    ----------
    root : str or os.PathLike
        The folder. It is created by the first registration; reading a registry that does not
        exist yet sees no models.

    Notes
    -----
    See the module documentation (:mod:`churnlib._registry`) for the layout and guarantees.
    Model names are 1 to 128 letters, digits, ``_``, ``-`` or ``.``, not starting with a dot.
    A version argument is an int (``3``), ``"latest"`` (the highest version) or a stage name
    (the highest version in that stage). Missing names, versions or stages raise
    :class:`~churnlib.InvalidArgument` (a ``ValueError``) listing what exists.

    A ModelRegistry holds only its path: it pickles (to worker processes, say) as its path, and
    any number of objects may use one folder at once.

    Examples
    --------
    >>> reg = cl.ModelRegistry("models")                              # doctest: +SKIP
    >>> v = reg.register(model, "churn", tags={"auc": "0.84"})       # doctest: +SKIP
    >>> reg.set_stage("churn", v, "production")                       # doctest: +SKIP
    >>> model = reg.load("churn", "production")                       # doctest: +SKIP
    """

    def __init__(self, root):
        if not isinstance(root, (str, os.PathLike)):
            raise TypeMismatch(f"ModelRegistry(): root must be a str or os.PathLike, got "
                               f"{type(root).__name__}")
        self._core = _m.ModelRegistry(os.fspath(root))

    @property
    def root(self):
        """str: the registry's folder."""
        return self._core.root

    def __repr__(self):
        return f"ModelRegistry({self.root!r})"

    def __reduce__(self):
        return (type(self), (self.root,))

    # ---- writing ------------------------------------------------------------------------

    def register(self, model, name, tags=None, description=""):
        """Registers ``model`` as the next version of ``name``.

        Parameters
        ----------
        model : object with ``to_json()``, or str
            A fitted churnlib object (a ChurnModel bundle, GBDTClassifier, LogisticRegression,
            FeaturePipeline, ...); its ``to_json()`` text, a churnlib envelope, is what is
            stored. A str is taken as that text itself.
        name : str
            The model name (letters, digits, ``_ - .``; not starting with a dot).
        tags : dict of str to str or number, optional
            Free-form labels kept in the index (shown by :meth:`list`); numbers are stored as
            text, ``str(value)``.
        description : str, default ""
            Free text kept in the index.

        Returns
        -------
        int
            The new version: 1 for a new name, then one more than any version ever given.

        Raises
        ------
        InvalidArgument
            For an invalid name.
        SerializationError
            If the text is not a churnlib envelope, or is of a newer major format version; if
            the index is damaged.
        IOError
            If a file cannot be written or the lock cannot be taken.
        """
        caller = "ModelRegistry.register()"
        _check_name(name, caller)
        if isinstance(model, str):
            text = model
        elif callable(getattr(model, "to_json", None)):
            text = model.to_json()
            if not isinstance(text, str):
                raise TypeMismatch(f"{caller}: {type(model).__name__}.to_json() returned "
                                   f"{type(text).__name__}, expected the JSON text (str)")
        else:
            raise TypeMismatch(f"{caller}: model must have a to_json() method (a fitted "
                               f"churnlib object) or be JSON text, got {type(model).__name__}")
        tags = _tag_texts(tags, caller)
        if not isinstance(description, str):
            raise TypeMismatch(f"{caller}: description must be a str, got "
                               f"{type(description).__name__}")
        return self._core.register_text(name, text, tags, description)

    def set_stage(self, name, version, stage):
        """Sets the stage of one version.

        Parameters
        ----------
        name : str
        version : int
        stage : {"none", "staging", "production", "archived"}
            ``"production"`` moves the name's previous production version (if another) to
            ``"archived"``: a name has at most one production version.

        Raises
        ------
        InvalidArgument
            If the name or the version does not exist, or for an unknown stage.
        """
        caller = "ModelRegistry.set_stage()"
        _check_name(name, caller)
        version = check_int(version, "version", caller, *CORE_INT_PARAMS["version"])
        if not isinstance(stage, str):
            raise TypeMismatch(f"{caller}: stage must be a str, got {stage!r}")
        self._core.set_stage(name, version, stage)

    # ---- reading ------------------------------------------------------------------------

    def names(self):
        """The registered model names, sorted (list of str)."""
        return self._core.names()

    def list(self, name=None):
        """The registered versions, one row each, oldest first.

        Parameters
        ----------
        name : str, optional
            One model's versions; all models' (sorted by name, then version) when None.

        Returns
        -------
        pandas.DataFrame
            Columns ``name``, ``version`` (int), ``stage``, ``created_at`` (UTC timestamps),
            ``kind`` (the envelope kind: "GBDTClassifier", "ChurnModel", ...),
            ``format_version``, ``tags`` (dicts), ``description``, ``size`` (bytes),
            ``sha256``, ``file`` (relative to the root). Empty, with these columns, for an
            empty registry.

        Raises
        ------
        InvalidArgument
            If ``name`` has no versions (the message lists the registered names).
        """
        import pandas as pd

        if name is not None:
            _check_name(name, "ModelRegistry.list()")
        rows = self._core.list(name)
        df = pd.DataFrame(rows, columns=list(_COLUMNS))
        df["version"] = df["version"].astype("int64")
        df["size"] = df["size"].astype("int64")
        df["created_at"] = pd.to_datetime(df["created_at"], utc=True, format="ISO8601")
        return df

    def resolve(self, name, version="latest"):
        """The version number that ``version`` selects (int).

        Parameters
        ----------
        name : str
        version : int or str, default "latest"
            A version, ``"latest"``, or a stage name (the highest version in that stage).

        Raises
        ------
        InvalidArgument
            If the name, version or a version in the stage does not exist.
        """
        caller = "ModelRegistry.resolve()"
        return self._core.resolve(_check_name(name, caller),
                                  _version_text(version, caller))["version"]

    def path(self, name, version="latest"):
        """The path of a version's bundle file (str), ``<root>/<name>/v<N>.json``.

        Parameters
        ----------
        name : str
        version : int or str, default "latest"
            As for :meth:`resolve`.
        """
        caller = "ModelRegistry.path()"
        return self._core.path(_check_name(name, caller), _version_text(version, caller))

    def load_document(self, name, version="latest"):
        """The JSON text of a registered version, checked.

        Parameters
        ----------
        name : str
        version : int or str, default "latest"
            As for :meth:`resolve`.

        Returns
        -------
        str
            The text as registered (the model's ``to_json()``).

        Raises
        ------
        InvalidArgument
            If the name, version or stage does not exist.
        SerializationError
            If the file is damaged or changed since it was registered (its size or SHA-256
            differs from the index's), or was written by a newer major format version.
        """
        caller = "ModelRegistry.load_document()"
        return self._core.read_text(_check_name(name, caller), _version_text(version, caller))

    def load(self, name, version="latest", loader=None):
        """A registered model, rebuilt.

        Parameters
        ----------
        name : str
        version : int or str, default "latest"
            As for :meth:`resolve`.
        loader : callable, optional
            Called with the document text; its result is returned (e.g.
            ``cl.GBDTClassifier.from_json``). By default the ``from_json`` of the class the
            document's kind names: ``ChurnModel`` (:mod:`churnlib.model`), ``GBDTClassifier``,
            ``RandomForestClassifier``, ``LogisticRegression``, ``KMeans``,
            ``FeaturePipeline`` or ``monitor.Baseline``, imported when called.

        Raises
        ------
        InvalidArgument
            If the name, version or stage does not exist, or (without ``loader``) no class of
            this churnlib reads the document's kind.
        SerializationError
            As :meth:`load_document`.
        """
        caller = "ModelRegistry.load()"
        _check_name(name, caller)
        spec = _version_text(version, caller)
        if loader is not None and not callable(loader):
            raise TypeMismatch(f"{caller}: loader must be callable, got {loader!r}")
        info = self._core.resolve(name, spec)  # one version, even if another is registered now
        text = self._core.read_text(name, str(info["version"]))
        if loader is None:
            loader = self._default_loader(info, caller)
        return loader(text)

    @staticmethod
    def _default_loader(info, caller):
        kind = info["kind"]
        target = _LOADERS.get(kind)
        cls = None
        if target is not None:
            try:
                cls = getattr(importlib.import_module(target[0]), target[1])
            except (ImportError, AttributeError):
                cls = None
        if cls is None:
            raise InvalidArgument(f"{caller}: no class of this churnlib loads a '{kind}' "
                                  f"(the kind of '{info['name']}' version {info['version']}); "
                                  "pass loader=, or use load_document()")
        return cls.from_json
