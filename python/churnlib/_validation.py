"""Input checks shared by churnlib's estimators (private).

They follow scikit-learn's validation (``check_array``, ``type_of_target``,
``_check_sample_weight``), so errors carry the messages scikit-learn users and its estimator
checks expect, but raise churnlib's classes (:class:`~churnlib.InvalidArgument` is a
ValueError, :class:`~churnlib.TypeMismatch` a TypeError) with the caller's name in front.
"""

from __future__ import annotations

import json
import numbers
import operator
import warnings

import numpy as np

from .errors import InvalidArgument, TypeMismatch

__all__ = ["check_int", "check_int_list", "CORE_INT_PARAMS", "parse_json", "frame_to_matrix",
           "check_matrix", "check_target", "encode_target", "targets_for", "check_weights",
           "classes_to_json", "classes_from_json", "check_feature_names", "check_n_features",
           "is_sparse", "same_label", "label_mask"]


def _reraise(caller, exc):
    """exc as churnlib's class of the same kind (message kept, the caller put in front)."""
    cls = TypeMismatch if isinstance(exc, TypeError) else InvalidArgument
    return cls(f"{caller}: {exc}")


# ---- integer parameters ----------------------------------------------------------------------
#
# Issue 19: an int parameter given a value its C++ type cannot hold (2**40 for an ``int``) used to
# reach pybind11, whose TypeError ("incompatible function arguments") dumps the signature without
# naming the parameter. Every int parameter is now checked in Python before the call, by
# check_int, with one rule:
#
# - accepted: Python ints and numpy integers (anything with ``__index__`` that is not a bool);
# - TypeMismatch (a TypeError): bools, floats (3.0 too, as scikit-learn's parameter checks:
#   a float is never silently truncated), strings, None where None has no meaning;
# - InvalidArgument (a ValueError): a value outside the parameter's range, naming the
#   parameter, the range and the value. The range is what C++ can take (its type), narrowed
#   to the documented lower bound where that is fixed (n_bins >= 1, seeds >= 0, ...); the
#   finer checks (n_bins <= rows, ...) stay in C++, whose messages name the parameter too.
#
# The compiled functions and methods are wrapped by churnlib._signatures.attach, which checks
# the parameters of CORE_INT_PARAMS on every call; the estimators pass their parameters to C++
# as one dict, whose reader names the parameter of a value out of range.

INT32_MAX = 2**31 - 1
INT64_MIN, INT64_MAX = -2**63, 2**63 - 1
UINT64_MAX = 2**64 - 1

#: (lowest, highest) accepted value of each int parameter of the compiled module, by name
#: (the C++ type's range, narrowed where the lower bound is fixed). tests/test_reliability_params
#: checks that every int parameter the bindings take is listed here.
CORE_INT_PARAMS = {
    "bins": (1, INT32_MAX),                   # monitor psi / js_distance / bin_edges: int
    "n_bins": (1, INT64_MAX),                 # metrics lift_table / calibration_curve: Index
    "n_splits": (2, INT32_MAX),               # metrics stratified_kfold / time_series_split
    "seed": (0, UINT64_MAX),                  # every seed: std::uint64_t
    "silhouette_seed": (0, UINT64_MAX),
    "cutoff": (INT64_MIN, INT64_MAX),         # time_split: int64 nanoseconds
    "timestamp": (INT64_MIN, INT64_MAX),      # alert_id: int64 nanoseconds
    "cooldown": (INT64_MIN, INT64_MAX),       # apply_cooldown: int64 ns (C++: >= 0)
    "n_reasons": (0, INT32_MAX),              # ChurnModel.score
    "version": (1, INT32_MAX),                # ModelRegistry.set_stage
    "indent": (-1, INT32_MAX),                # DriftReport.to_json (-1: one line)
    "n_groups": (0, INT32_MAX),               # retention sum_by_group
    "n_segments": (0, INT32_MAX),             # profile_segments (0: from the labels)
    "n_trees": (0, INT32_MAX),                # GBDT predict_* (0: all trees)
    "ks": (1, INT32_MAX),                     # sweep_k: each k
    "sample_size": (0, INT64_MAX),            # silhouette_score (0: every row)
    "silhouette_sample_size": (0, INT64_MAX),
    "n_customers": (0, INT64_MAX),            # make_customers / make_events: Index
    "max_categories": (0, INT64_MAX),         # read_csv & co: Index
    "chunk_bytes": (1, INT64_MAX),            # read_csv_chunks: Index
    "window_days": (1, INT64_MAX),            # EventAggregationSpec.rfm: Index
    "i": (0, INT64_MAX),                      # customer_id, FeaturePipeline.step_*: Index
    "n_threads": (INT64_MIN, INT64_MAX),     # type only: C++'s caster names [0, kMaxThreads]
    "n": (0, INT64_MAX),                      # Table.head / tail: Index
    "offset": (0, INT64_MAX),                 # Table.slice: Index
    "length": (0, INT64_MAX),
    "max_lines": (0, UINT64_MAX),             # ValidationReport.to_string: std::size_t
    "bounds": (0, INT64_MAX),                 # PerformanceEstimator.estimate: chunk offsets
    "n_positive": (0, INT64_MAX),             # auc_null_variance: Index
}


def check_int(value, name, caller, lo=INT64_MIN, hi=INT64_MAX, *, allow_none=False):
    """``value`` as a Python int in ``[lo, hi]``, or raises naming ``name`` (see the rule above).

    ``allow_none``: None passes through (a parameter whose None means "not set").
    """
    if value is None and allow_none:
        return None
    if isinstance(value, (bool, np.bool_)):
        raise TypeMismatch(f"{caller}: {name} must be an int, got the bool {value!r}")
    try:
        v = operator.index(value)
    except TypeError:
        raise TypeMismatch(f"{caller}: {name} must be an int, got {type(value).__name__} "
                           f"{_short_repr(value)}") from None
    if v < lo or v > hi:
        raise InvalidArgument(f"{caller}: {name} must be an int in [{lo}, {hi}], got {v}")
    return v


def check_int_list(values, name, caller, lo=INT64_MIN, hi=INT64_MAX):
    """A list of ints, each checked by :func:`check_int` (named ``name[i]``)."""
    if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        raise TypeMismatch(f"{caller}: {name} must be a sequence of ints, got "
                           f"{type(values).__name__} {_short_repr(values)}")
    return [check_int(v, f"{name}[{i}]", caller, lo, hi) for i, v in enumerate(values)]


def _short_repr(value, k=80):
    text = repr(value)
    return text if len(text) <= k else text[:k] + "..."


# ---- JSON text ---------------------------------------------------------------------------------

def parse_json(text, what, *, expect=dict):
    """The Python value of JSON ``text`` (str or bytes), read as churnlib's C++ reader does.

    A leading UTF-8 byte order mark is skipped (C++ accepts it too). Anything that is not
    JSON of the expected top-level type (``expect``: dict, list, or None for any) raises
    :class:`~churnlib.SerializationError` (a ValueError) naming ``what``: invalid text, invalid
    UTF-8, nesting deeper than C++'s limit (256 levels, which also keeps Python's recursion
    limit out of reach), a number out of range. Never JSONDecodeError, RecursionError or
    UnicodeDecodeError. The one helper every Python-side reader of JSON text goes through.
    """
    from .errors import SerializationError

    if isinstance(text, (bytes, bytearray, memoryview)):
        try:
            text = bytes(text).decode("utf-8")
        except UnicodeDecodeError as e:
            raise SerializationError(f"{what} is not valid UTF-8: {e}") from None
    if not isinstance(text, str):
        raise TypeMismatch(f"{what}: expected JSON text (str or bytes), got "
                           f"{type(text).__name__}")
    if text.startswith("\ufeff"):
        text = text[1:]
    depth = _json_depth_exceeded_at(text, _MAX_JSON_DEPTH)
    if depth >= 0:
        raise SerializationError(f"{what} is not a valid churnlib document: arrays and objects "
                                 f"nest deeper than {_MAX_JSON_DEPTH} levels (character {depth})")
    try:
        value = json.loads(text)
    except RecursionError:
        raise SerializationError(f"{what} is not a valid churnlib document: arrays and objects "
                                 "nest too deep") from None
    except ValueError as e:  # JSONDecodeError, invalid numbers
        raise SerializationError(f"{what} is not valid JSON: {e}") from None
    if expect is not None and not isinstance(value, expect):
        raise SerializationError(f"{what} is not a valid churnlib document: expected a JSON "
                                 f"{_JSON_TYPE_NAMES.get(expect, expect.__name__)}, found "
                                 f"{_json_type_name(value)}")
    return value


_MAX_JSON_DEPTH = 256  # churn::kMaxJsonDepth
_JSON_TYPE_NAMES = {dict: "object", list: "array"}


def _json_type_name(value):
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "boolean"
    if value is None:
        return "null"
    return "number"


def _json_depth_exceeded_at(text, limit):
    """Index of the bracket that opens level ``limit + 1`` (outside strings), or -1.

    Skipped when the text holds too few brackets to get there; else the scan jumps from
    bracket to bracket (whole strings matched at once by the regular expression, in C).
    """
    if text.count("[") + text.count("{") <= limit:
        return -1
    import re

    depth = 0
    for m in re.finditer(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', text):
        c = m.group()
        if c in "[{":
            depth += 1
            if depth > limit:
                return m.start()
        elif c in "]}":
            depth -= 1
    return -1


def is_sparse(X):
    """Whether X is a scipy sparse matrix or array (without importing scipy)."""
    return type(X).__module__.startswith("scipy.sparse") and hasattr(X, "toarray")


def _is_pandas_frame(X):
    return type(X).__module__.startswith("pandas") and type(X).__name__ == "DataFrame"


def frame_to_matrix(X, caller):
    """A float64 2-D array of the pandas DataFrame ``X`` (missing values as NaN).

    A column that does not convert to numbers (text, dates, mixed objects) raises
    TypeMismatch naming the column and its dtype, where numpy would only say "could not
    convert string to float: 'x'".
    """
    try:
        return X.to_numpy(dtype=np.float64, na_value=np.nan)
    except (TypeError, ValueError) as e:
        first = e
    for j, (name, dtype) in enumerate(X.dtypes.items()):
        try:
            X.iloc[:, j].to_numpy(dtype=np.float64, na_value=np.nan)
        except (TypeError, ValueError) as e:
            raise TypeMismatch(f"{caller}: column {str(name)!r} has dtype {dtype}, which is not "
                               f"numeric ({e}); encode text and categorical columns first "
                               "(FeaturePipeline.one_hot or ordinal) or drop them") from None
    raise TypeMismatch(f"{caller}: X must be numeric ({first})") from None


def check_matrix(X, caller):
    """A C-contiguous float64 2-D array of ``X`` (arrays, lists, anything numpy converts).

    A C-ordered float64 array is returned as it is (no copy). NaN and infinities pass (the
    estimators decide). Sparse input, complex numbers, 1-D input, no rows or no columns raise
    with scikit-learn's messages ("Reshape your data", "0 sample(s)", "0 feature(s)").
    """
    if is_sparse(X):
        raise TypeMismatch(f"{caller}: sparse input is not supported (dense data is required); "
                           "convert it with X.toarray()")
    if _is_pandas_frame(X):
        X = frame_to_matrix(X, caller)
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
    items = parse_json(text, "class labels", expect=list) if isinstance(text, str) else list(text)
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
