"""Input checks shared by churnlib's estimators (private).

They follow scikit-learn's validation (``check_array``, ``type_of_target``,
``_check_sample_weight``), so errors carry the messages scikit-learn users and its estimator
checks expect, but raise churnlib's classes (:class:`~churnlib.InvalidArgument` is a
ValueError, :class:`~churnlib.TypeMismatch` a TypeError) with the caller's name in front.
"""

from __future__ import annotations

import json
import numbers
import warnings

import numpy as np

from .errors import InvalidArgument, TypeMismatch

__all__ = ["check_matrix", "check_target", "encode_target", "targets_for", "check_weights",
           "classes_to_json", "classes_from_json", "check_feature_names", "check_n_features",
           "is_sparse", "same_label", "label_mask"]


def _reraise(caller, exc):
    """exc as churnlib's class of the same kind (message kept, the caller put in front)."""
    cls = TypeMismatch if isinstance(exc, TypeError) else InvalidArgument
    return cls(f"{caller}: {exc}")


def is_sparse(X):
    """Whether X is a scipy sparse matrix or array (without importing scipy)."""
    return type(X).__module__.startswith("scipy.sparse") and hasattr(X, "toarray")


def check_matrix(X, caller):
    """A C-contiguous float64 2-D array of ``X`` (arrays, lists, anything numpy converts).

    A C-ordered float64 array is returned as it is (no copy). NaN and infinities pass (the
    estimators decide). Sparse input, complex numbers, 1-D input, no rows or no columns raise
    with scikit-learn's messages ("Reshape your data", "0 sample(s)", "0 feature(s)").
    """
    if is_sparse(X):
        raise TypeMismatch(f"{caller}: sparse input is not supported (dense data is required); "
                           "convert it with X.toarray()")
    from sklearn.utils.validation import check_array

    try:
        arr = check_array(X, dtype=np.float64, order="C", ensure_all_finite=False,
                          input_name="X")
    except (TypeError, ValueError) as e:
        raise _reraise(caller, e) from e
    return arr


def check_target(y, caller):
    """``y`` as a 1-D numpy array of labels, with scikit-learn's checks and messages.

    None, a column vector (warns DataConversionWarning as scikit-learn), continuous or
    multi-output targets are refused; 'Unknown label type' names the target type.
    """
    if y is None:
        raise InvalidArgument(f"{caller}: this estimator requires y to be passed, but the target "
                              "y is None")
    if isinstance(y, np.ndarray) and y.ndim == 1 and y.size > 0 and y.dtype.kind in "biu":
        return y  # integer or boolean labels: binary or multiclass (type_of_target's verdict)
    from sklearn.utils.multiclass import type_of_target
    from sklearn.utils.validation import column_or_1d

    if hasattr(y, "dtype") and type(y.dtype).__name__ == "CategoricalDtype":
        if y.isna().any():
            raise InvalidArgument(f"{caller}: y holds missing values")
        y = np.asarray(y.astype(object))
    try:
        arr = column_or_1d(y, warn=True)
    except (TypeError, ValueError) as e:
        raise _reraise(caller, e) from e
    try:
        kind = type_of_target(arr, input_name="y", raise_unknown=True)
    except (TypeError, ValueError) as e:
        raise _reraise(caller, e) from e
    if kind not in ("binary", "multiclass"):
        raise InvalidArgument(f"{caller}: Unknown label type: {kind}; churnlib's classifiers "
                              "need binary class labels")
    return arr


def encode_target(y, caller):
    """(float64 targets 0/1, classes_) of binary labels ``y`` of any kind.

    ``classes_`` holds the two distinct labels sorted (as scikit-learn's ``np.unique``); the
    second is the positive class (target 1). Numbers, strings, booleans and pandas
    categoricals are accepted; one class or three and more raise InvalidArgument.
    """
    arr = check_target(y, caller)
    try:
        classes = np.unique(arr)
    except TypeError as e:
        raise TypeMismatch(f"{caller}: the labels of y cannot be ordered (mixed types?): {e}")
    if len(classes) > 2:
        raise InvalidArgument(f"{caller}: Only binary classification is supported. The type of "
                              f"the target is multiclass ({len(classes)} classes: "
                              f"{_shorten(classes)})")
    if len(classes) < 2:
        raise InvalidArgument(f"{caller}: y holds one class only ({_shorten(classes)}): a "
                              "single class cannot be fitted, both classes must be present")
    classes = classes_from_json(classes_to_json(classes, caller))
    return np.ascontiguousarray(label_mask(arr, classes[1]), dtype=np.float64), classes


def targets_for(y, classes, what, caller):
    """float64 targets 0/1 of labels ``y`` against fitted ``classes`` (evaluation sets,
    calibration data); a label that is not one of the classes raises InvalidArgument."""
    arr = check_target(y, caller)
    pos, neg = label_mask(arr, classes[1]), label_mask(arr, classes[0])
    bad = ~(pos | neg)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InvalidArgument(f"{caller}: {what} holds the label {arr[i]!r} at row {i}, which is "
                              f"not one of the classes seen in fit {_shorten(classes)}")
    return np.ascontiguousarray(pos, dtype=np.float64)


def same_label(a, b):
    """Whether two labels are equal (False for incomparable ones: 1 vs "a", arrays)."""
    try:
        eq = a == b
        return isinstance(eq, (bool, np.bool_)) and bool(eq)
    except (TypeError, ValueError):
        return False


def label_mask(arr, label):
    """Boolean mask of the entries of the 1-D array ``arr`` equal to ``label`` (object arrays
    compared element by element; an incomparable label matches nothing)."""
    if arr.dtype == object:
        return np.fromiter((same_label(v, label) for v in arr), dtype=bool, count=arr.shape[0])
    try:
        mask = np.asarray(arr == label)
    except (TypeError, ValueError):
        mask = None
    if mask is None or mask.shape != arr.shape:
        return np.zeros(arr.shape[0], dtype=bool)
    return mask.astype(bool, copy=False)


def _shorten(values, k=5):
    items = [v.item() if hasattr(v, "item") else v for v in list(values)[:k]]
    return repr(items)[:-1] + (", ...]" if len(values) > k else "]")


def classes_to_json(classes, caller):
    """The JSON text of two class labels (what the compiled models store)."""
    items = []
    for v in classes:
        if isinstance(v, (bool, np.bool_)):
            items.append(bool(v))
        elif isinstance(v, numbers.Integral):
            items.append(int(v))
        elif isinstance(v, numbers.Real):
            if not np.isfinite(v):
                raise InvalidArgument(f"{caller}: class labels must be finite, got {v!r}")
            items.append(float(v))
        elif isinstance(v, str):
            items.append(str(v))
        else:
            raise TypeMismatch(f"{caller}: class labels must be numbers, strings or booleans, "
                               f"got {type(v).__name__} {v!r}")
    return json.dumps(items)


def classes_from_json(text):
    """``classes_`` from the stored JSON: int64, float64, bool or object (strings) array."""
    items = json.loads(text) if isinstance(text, str) else list(text)
    if all(isinstance(v, bool) for v in items):
        return np.asarray(items, dtype=bool)
    if all(isinstance(v, str) for v in items):
        return np.asarray(items, dtype=object)
    if all(isinstance(v, int) and not isinstance(v, bool) for v in items):
        return np.asarray(items, dtype=np.int64)
    return np.asarray(items, dtype=np.float64)


def check_weights(sample_weight, n, caller, what="sample_weight"):
    """float64 weights of length n (Series, lists, arrays); an empty array for None."""
    if sample_weight is None:
        return np.empty(0)
    if isinstance(sample_weight, numbers.Number):
        return np.full(n, float(sample_weight))
    try:
        w = np.asarray(sample_weight, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise TypeMismatch(f"{caller}: {what} must be numeric: {e}") from e
    if w.ndim != 1:
        raise InvalidArgument(f"{caller}: {what} must be 1D array or scalar, got shape "
                              f"{w.shape}")
    if w.shape[0] != n:
        raise InvalidArgument(f"{caller}: {what} has {w.shape[0]} entries, expected {n} (one "
                              "weight per row of X)")
    if n and not np.isnan(w).any() and np.all(w == 0):
        raise InvalidArgument(f"{caller}: {what} is all zero: at least one weight must be "
                              "positive")
    return np.ascontiguousarray(w)


def check_feature_names(estimator, names, caller):
    """scikit-learn's feature-name consistency between fit and later calls.

    ``names`` are the column names of the new input (None for arrays). A fitted estimator
    with names warns when given an array, raises when the names differ; one fitted on an array
    warns when given names.
    """
    fitted = getattr(estimator, "feature_names_in_", None)
    cls = type(estimator).__name__
    if fitted is None and names is None:
        return
    if names is None:
        warnings.warn(f"X does not have valid feature names, but {cls} was fitted with "
                      "feature names", UserWarning, stacklevel=3)
        return
    if fitted is None:
        warnings.warn(f"X has feature names, but {cls} was fitted without feature names",
                      UserWarning, stacklevel=3)
        return
    fitted = [str(c) for c in fitted]
    names = [str(c) for c in names]
    if fitted == names:
        return
    unexpected = [c for c in names if c not in set(fitted)]
    missing = [c for c in fitted if c not in set(names)]
    msg = "The feature names should match those that were passed during fit.\n"
    if unexpected:
        msg += f"Feature names unseen at fit time:\n- {_join(unexpected)}\n"
    if missing:
        msg += f"Feature names seen at fit time, yet now missing:\n- {_join(missing)}\n"
    if not unexpected and not missing:
        msg += "Feature names must be in the same order as they were in fit.\n"
    raise InvalidArgument(f"{caller}: {msg}")


def _join(names, k=5):
    out = "\n- ".join(names[:k])
    return out + ("\n- ..." if len(names) > k else "")


def check_n_features(estimator, p, caller):
    """Raises scikit-learn's message when ``p`` differs from ``n_features_in_``."""
    n = getattr(estimator, "n_features_in_", None)
    if n is not None and p != n:
        raise InvalidArgument(f"{caller}: X has {p} features, but {type(estimator).__name__} is "
                              f"expecting {n} features as input.")
