"""Tree ensembles: :class:`GBDTClassifier` (gradient boosting) and
:class:`RandomForestClassifier`, scikit-learn compatible estimators.

Training and prediction run in C++ (``churn::tree::GBDTClassifier``) with the GIL released (a
GBDT prediction of a few rows, microseconds of work, keeps it); this module converts inputs
(pandas categories, churnlib Tables, numpy arrays) and follows scikit-learn's and LightGBM's
conventions, without importing either. A float64 C-ordered numpy array goes to C++ as it is,
checked for its feature count only (:func:`_estimator_input`): a one-row prediction costs
microseconds.
"""

from __future__ import annotations

import numbers
import os
from typing import Any, List, NamedTuple, Tuple

import numpy as np

from . import _core, _frames
from ._estimator import BinaryClassifier
from .errors import InvalidArgument, TypeMismatch
from ._validation import (check_feature_names, check_n_features, check_weights, same_label,
                          targets_for)
from .linear import _as_matrix

__all__ = ["GBDTClassifier", "RandomForestClassifier", "CallbackEnv", "log_evaluation", "record_evaluation",
           "early_stopping"]

# Hyper-parameters that exist only on the Python side (not in churn::tree::GBDTParams).
_PYTHON_ONLY = ("importance_type", "class_weight", "objective", "verbose")
# LightGBM's (and scikit-learn's) spellings, accepted as LightGBM accepts aliases.
_ALIASES = {"random_state": "seed", "n_jobs": "n_threads", "max_bin": "max_bins",
            "subsample_for_bin": "bin_sample_rows", "num_iterations": "n_estimators",
            "min_data_in_leaf": "min_child_samples", "min_sum_hessian_in_leaf": "min_child_weight",
            "min_gain_to_split": "min_split_gain", "lambda_l2": "reg_lambda",
            "lambda_l1": "reg_alpha", "bagging_fraction": "subsample",
            "bagging_freq": "subsample_freq", "feature_fraction": "colsample_bytree"}
# Attributes set by fit (removed from pickles: the model JSON restores them).
_FITTED = ("_core", "_train_categories", "classes_", "n_features_in_", "feature_names_in_",
           "n_estimators_", "best_iteration_", "evals_result_", "categorical_features_",
           "init_score_", "fit_profile_")
# C++ parameters that fit computes from the data and its arguments (not taken as they are).
_FIT_COMPUTED = ("categorical_features", "monotone_constraints", "early_stopping_rounds")


def _is_int(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))


def _is_pandas_frame(X):
    return type(X).__name__ == "DataFrame" and type(X).__module__.startswith("pandas")


def _is_category_dtype(dtype):
    return type(dtype).__name__ == "CategoricalDtype"


def _check_labels(labels, where, caller):
    """Category labels as the model keeps them, text (``str(label)``: 1 -> "1", 1.0 -> "1.0");
    they must stay distinct once converted."""
    names = [str(c) for c in labels]
    if len(set(names)) != len(names):
        raise InvalidArgument(f"{caller}: the categories of {where} are not distinct as strings "
                              f"({names[:10]}...)")
    return names


def _recode(codes, labels, train_labels):
    """Codes of `labels` (-1 = missing) as float64 training codes; unseen labels -> NaN.

    `labels` and `train_labels` are text; a label finds the training label of the same text,
    else the one of the same numeric value ("1.0" finds "1", as the C++ scoring of a Table
    does), else it is unseen."""
    codes = np.asarray(codes)
    out = np.full(codes.shape[0], np.nan)
    if len(train_labels) == 0 or len(labels) == 0:
        return out
    mapping = np.asarray(_core._category_codes(list(train_labels), list(labels)))
    ok = codes >= 0
    out[ok] = mapping[codes[ok]]
    return out


def _column_name(names, j):
    return f"column {j}" if names is None else f"column {j} ('{names[j]}')"


def _prepare(X, caller, train_categories=None, n_features=None, fitted_names=None, est=None):
    """Converts X for the C++ core.

    Returns (C-contiguous float64 matrix, column names or None, category labels per column,
    whether each column had a category type). In fit mode (`train_categories` None) category
    columns are coded by their own categories; in predict mode they are re-coded by label to
    `train_categories` (unseen labels -> NaN). A numpy array is never copied when it is
    C-ordered float64. With ``est`` (a fitted estimator), the column names and count are
    checked against it as scikit-learn does (a warning for names present on one side only).
    """
    check = (lambda p, names: _check_columns(p, names, n_features, fitted_names, caller, est))
    X = _frames.as_pandas(X)  # polars, pyarrow -> pandas with category columns
    if _is_pandas_frame(X):
        return _prepare_dataframe(X, caller, train_categories, check)
    if isinstance(X, _core.Table):
        return _prepare_table(X, caller, train_categories, check)
    arr, _ = _as_matrix(X, caller)
    check(arr.shape[1], None)
    p = arr.shape[1]
    return arr, None, [[] for _ in range(p)], [False] * p


_FLOAT64 = np.dtype(np.float64)


def _estimator_input(est, X, caller):
    """X of a fitted tree estimator's prediction as the C-contiguous float64 matrix its core takes.

    The common case of a single row or a batch from numpy, a plain ``numpy.ndarray`` that is
    float64, C-ordered and 2-D with rows and columns, is taken as it is when the estimator was
    fitted without feature names: scikit-learn's ``check_array`` would return it unchanged, and
    only the feature count is checked (by the same check_n_features, same message). Everything
    else (lists, other dtypes or orders, subclasses, frames, tables, a model fitted with names,
    which warns on an array) goes through :func:`_prepare`.
    """
    if (type(X) is np.ndarray and X.ndim == 2 and X.dtype == _FLOAT64 and X.flags.c_contiguous
            and X.shape[0] > 0 and X.shape[1] > 0
            and getattr(est, "feature_names_in_", None) is None):
        check_n_features(est, X.shape[1], caller)
        return X
    Xa, _, _, _ = _prepare(X, caller, train_categories=est._train_categories, est=est)
    return Xa


def _check_columns(p, names, n_features, fitted_names, caller, est=None):
    if est is not None:
        check_feature_names(est, names, caller)
        check_n_features(est, p, caller)
        return
    if n_features is not None and p != n_features:
        raise InvalidArgument(f"{caller}: X has {p} features, but the model is expecting "
                              f"{n_features} features as input.")
    if names is not None and fitted_names is not None and list(fitted_names) != names:
        raise InvalidArgument(f"{caller}: The feature names should match those that were "
                              f"passed during fit ({list(fitted_names)[:5]}...)")


def _prepare_dataframe(df, caller, train_categories, check=None, as_columns=False):
    from pandas.api.types import is_bool_dtype, is_numeric_dtype

    names = [str(c) for c in df.columns]
    p = len(names)
    if check is not None:
        check(p, names)
    if df.shape[0] == 0:
        raise InvalidArgument(f"{caller}: Found array with 0 sample(s) (shape={df.shape}) while a "
                              "minimum of 1 is required.")
    if p == 0:
        raise InvalidArgument(f"{caller}: Found array with 0 feature(s) (shape={df.shape}) while "
                              "a minimum of 1 is required.")
    dtypes = list(df.dtypes)
    is_cat = [_is_category_dtype(d) for d in dtypes]
    for j, dtype in enumerate(dtypes):
        if not (is_cat[j] or is_numeric_dtype(dtype) or is_bool_dtype(dtype)):
            raise TypeMismatch(
                f"{caller}: {_column_name(names, j)} has dtype {dtype}; text columns must be "
                f"converted to the pandas 'category' dtype first "
                f"(df['{names[j]}'] = df['{names[j]}'].astype('category'))")
    if train_categories is not None:
        for j in range(p):
            if train_categories[j] and not is_cat[j]:
                raise TypeMismatch(
                    f"{caller}: {_column_name(names, j)} had the 'category' dtype in fit but "
                    f"has dtype {dtypes[j]} now")
            if is_cat[j] and not train_categories[j]:
                raise TypeMismatch(
                    f"{caller}: {_column_name(names, j)} has the 'category' dtype but was "
                    "numeric in fit")
    if as_columns:
        # One float64 array per column: float64 columns are the frame's own memory (no copy of
        # the whole frame into one matrix), category codes become float64 with NaN = missing.
        cols, categories = [], [[] for _ in range(p)]
        # (df.items() and Categorical.codes: iloc and .cat cost tens of microseconds a column)
        for j, (_, col) in enumerate(df.items()):
            if is_cat[j]:
                labels = list(col.dtype.categories)
                if not labels:
                    raise InvalidArgument(f"{caller}: {_column_name(names, j)} has the "
                                          "'category' dtype but no categories")
                categories[j] = _check_labels(labels, _column_name(names, j), caller)
                codes = col.array.codes
                cols.append(np.where(codes >= 0, codes, np.nan).astype(np.float64))
            elif col.dtype == np.float64:
                cols.append(np.ascontiguousarray(col.to_numpy()))
            else:
                cols.append(np.ascontiguousarray(col.to_numpy(dtype=np.float64, na_value=np.nan)))
        return cols, names, categories, is_cat
    if not any(is_cat):
        arr = df.to_numpy(dtype=np.float64, na_value=np.nan)
        return np.ascontiguousarray(arr), names, [[] for _ in range(p)], is_cat
    arr = np.empty((df.shape[0], p), dtype=np.float64)
    categories = [[] for _ in range(p)]
    for j, (_, col) in enumerate(df.items()):
        if not is_cat[j]:
            arr[:, j] = col.to_numpy(dtype=np.float64, na_value=np.nan)
            continue
        labels = list(col.dtype.categories)
        codes = col.array.codes
        if train_categories is None:
            if not labels:
                raise InvalidArgument(f"{caller}: {_column_name(names, j)} has the 'category' "
                                      "dtype but no categories")
            categories[j] = _check_labels(labels, _column_name(names, j), caller)
            arr[:, j] = np.where(codes >= 0, codes, np.nan)
        else:
            arr[:, j] = _recode(codes, [str(c) for c in labels], train_categories[j])
    return arr, names, categories, is_cat


def _prepare_table(t, caller, train_categories, check):
    names = list(t.column_names)
    p = len(names)
    check(p, names)
    dtypes = t.dtypes
    is_cat = [dtypes[n] == "category" for n in names]
    for j, name in enumerate(names):
        if dtypes[name] not in ("float64", "int64", "category"):
            raise TypeMismatch(f"{caller}: {_column_name(names, j)} has type {dtypes[name]}; "
                               "only float64, int64 and category columns are accepted")
        if train_categories is not None:
            if train_categories[j] and not is_cat[j]:
                raise TypeMismatch(f"{caller}: {_column_name(names, j)} was categorical in fit "
                                   f"but has type {dtypes[name]} now")
            if is_cat[j] and not train_categories[j]:
                raise TypeMismatch(f"{caller}: {_column_name(names, j)} is categorical but was "
                                   "numeric in fit")
    arr = np.ascontiguousarray(t.to_numpy(), dtype=np.float64)  # category codes, NaN = missing
    categories = [[] for _ in range(p)]
    for j, name in enumerate(names):
        if not is_cat[j]:
            continue
        labels = list(t.categories(name))
        if train_categories is None:
            if not labels:
                raise InvalidArgument(f"{caller}: {_column_name(names, j)} is categorical but "
                                      "has no categories")
            categories[j] = _check_labels(labels, _column_name(names, j), caller)
        else:
            if not arr.flags.writeable:
                arr = arr.copy()
            codes = np.where(np.isnan(arr[:, j]), -1, arr[:, j]).astype(np.int64)
            arr[:, j] = _recode(codes, labels, train_categories[j])
    return arr, names, categories, is_cat


def _resolve_categorical(spec, names, is_cat, p, caller):
    """Sorted indices of the categorical features."""
    if isinstance(spec, str):
        if spec != "auto":
            raise InvalidArgument(f"{caller}: categorical_features must be 'auto', None, a list "
                                  f"of column indices or names, or a boolean mask; got {spec!r}")
        return [j for j in range(p) if is_cat[j]]
    if spec is None:
        return []
    try:
        items = list(spec)
    except TypeError:
        raise TypeMismatch(f"{caller}: categorical_features must be 'auto', None, a list of "
                           f"column indices or names, or a boolean mask; got {spec!r}") from None
    if not items:
        return []
    if all(isinstance(v, (bool, np.bool_)) for v in items):
        if len(items) != p:
            raise InvalidArgument(f"{caller}: the boolean mask categorical_features has "
                                  f"{len(items)} entries, X has {p} columns")
        return [j for j, v in enumerate(items) if v]
    out = []
    for v in items:
        if _is_int(v):
            j = int(v)
            if not 0 <= j < p:
                raise InvalidArgument(f"{caller}: categorical_features index {j} is out of "
                                      f"range for {p} columns")
        elif isinstance(v, str):
            if names is None:
                raise InvalidArgument(f"{caller}: categorical_features names columns ('{v}'), "
                                      "but X has no column names (pass a DataFrame or indices)")
            if v not in names:
                raise InvalidArgument(f"{caller}: categorical_features names '{v}', which is not "
                                      "a column of X")
            j = names.index(v)
        else:
            raise TypeMismatch(f"{caller}: categorical_features entries must be column indices, "
                               f"names or bools, got {v!r}")
        if j in out:
            raise InvalidArgument(f"{caller}: categorical_features lists column {j} twice")
        out.append(j)
    return sorted(out)


def _resolve_monotone(spec, names, p, caller):
    if spec is None:
        return []
    if isinstance(spec, dict):
        if names is None:
            raise InvalidArgument(f"{caller}: monotone_constraints as a dict needs column names "
                                  "(pass a DataFrame or Table, or a list per feature)")
        out = [0] * p
        for key, value in spec.items():
            if key not in names:
                raise InvalidArgument(f"{caller}: monotone_constraints names '{key}', which is "
                                      "not a column of X")
            out[names.index(key)] = value
        items = out
    else:
        try:
            items = list(spec)
        except TypeError:
            raise TypeMismatch(f"{caller}: monotone_constraints must be None, a list of -1/0/1 "
                               f"per feature or a dict name -> -1/0/1; got {spec!r}") from None
        if items and len(items) != p:
            raise InvalidArgument(f"{caller}: monotone_constraints has {len(items)} entries, X "
                                  f"has {p} columns")
    for v in items:
        if not _is_int(v) or int(v) not in (-1, 0, 1):
            raise InvalidArgument(f"{caller}: monotone_constraints entries must be -1, 0 or 1, "
                                  f"got {v!r}")
    return [int(v) for v in items]


# ---- training callbacks (LightGBM's protocol) --------------------------------------------------

class CallbackEnv(NamedTuple):
    """What a training callback sees after each round (LightGBM's ``CallbackEnv``).

    ``iteration`` is 0-based as LightGBM's (``iteration + 1`` trees are built);
    ``evaluation_result_list`` holds ``(data_name, metric, value, is_higher_better)`` for the
    first ``eval_set`` pair (empty without one).
    """

    model: Any
    iteration: int
    begin_iteration: int
    end_iteration: int
    evaluation_result_list: List[Tuple[str, str, float, bool]]


def log_evaluation(period=1):
    """A callback printing the metric every ``period`` rounds (LightGBM's ``log_evaluation``):
    ``[10]\tvalid_0's binary_logloss: 0.4123``; the round alone without an evaluation set."""
    if not _is_int(period) or period < 1:
        raise InvalidArgument(f"log_evaluation(): period must be an int >= 1, got {period!r}")

    def _log(env):
        k = env.iteration + 1
        if k % period == 0 or k == env.end_iteration:
            parts = [f"{d}'s {m}: {v:g}" for d, m, v, _ in env.evaluation_result_list]
            print(f"[{k}]" + ("\t" + "\t".join(parts) if parts else ""), flush=True)

    _log.order = 10
    return _log


def record_evaluation(eval_result):
    """A callback filling ``eval_result`` (a dict) as LightGBM's ``record_evaluation``:
    ``{"valid_0": {"binary_logloss": [...]}}``, one value per round."""
    if not isinstance(eval_result, dict):
        raise TypeMismatch(f"record_evaluation(): eval_result must be a dict, got "
                           f"{type(eval_result).__name__}")
    eval_result.clear()

    def _record(env):
        for data, metric, value, _ in env.evaluation_result_list:
            eval_result.setdefault(data, {}).setdefault(metric, []).append(value)

    return _record


class _EarlyStopping:
    """The callback made by :func:`early_stopping` (run natively in C++)."""

    def __init__(self, stopping_rounds):
        self.stopping_rounds = stopping_rounds

    def __call__(self, env):  # the work is done by fit's early_stopping_rounds
        return False


def early_stopping(stopping_rounds):
    """Early stopping as a callback (LightGBM's ``early_stopping``): stop when the metric on the
    first ``eval_set`` pair has not improved for ``stopping_rounds`` rounds and keep the best
    round's trees. The same as ``fit(..., early_stopping_rounds=stopping_rounds)``."""
    if not _is_int(stopping_rounds) or stopping_rounds < 1:
        raise InvalidArgument(f"early_stopping(): stopping_rounds must be an int >= 1, got "
                              f"{stopping_rounds!r}")
    return _EarlyStopping(int(stopping_rounds))


def _split_callbacks(callbacks, early_stopping_rounds, caller):
    """(the Python callbacks, early_stopping_rounds) with early_stopping() folded in."""
    if callbacks is None:
        return [], early_stopping_rounds
    if callable(callbacks) or not isinstance(callbacks, (list, tuple)):
        raise TypeMismatch(f"{caller}: callbacks must be a list of callables, got "
                           f"{type(callbacks).__name__}")
    out = []
    for cb in callbacks:
        if isinstance(cb, _EarlyStopping):
            if early_stopping_rounds not in (None, cb.stopping_rounds):
                raise InvalidArgument(f"{caller}: early_stopping({cb.stopping_rounds}) and "
                                      f"early_stopping_rounds={early_stopping_rounds} disagree")
            early_stopping_rounds = cb.stopping_rounds
        elif not callable(cb):
            raise TypeMismatch(f"{caller}: callbacks must be callables, got {cb!r}")
        else:
            out.append(cb)
    return out, early_stopping_rounds


def _round_hook(model, callbacks, eval_names, metric):
    """The compiled fit's per-round callable running the Python callbacks (None: none)."""
    if not callbacks:
        return None
    higher = metric == "auc"
    n = int(model.n_estimators)

    def hook(iteration, evals):
        results = [(name, metric, float(v), higher) for name, v in zip(eval_names, evals)]
        env = CallbackEnv(model, iteration - 1, 0, n, results)
        stop = False
        for cb in callbacks:
            stop = bool(cb(env)) or stop
        return stop

    return hook


def _class_weighted(w, y01, classes, class_weight, caller):
    """Sample weights times the class weights ("balanced", a dict label -> weight, or None)."""
    if class_weight is None:
        return w
    n = y01.shape[0]
    if isinstance(class_weight, str):
        if class_weight != "balanced":
            raise InvalidArgument(f"{caller}: class_weight must be None, 'balanced' or a dict "
                                  f"label -> weight, got {class_weight!r}")
        n1 = float(np.count_nonzero(y01))
        per_class = (n / (2.0 * (n - n1)), n / (2.0 * n1))
    elif isinstance(class_weight, dict):
        per_class = [1.0, 1.0]
        for key, value in class_weight.items():
            hits = [k for k in range(2) if same_label(classes[k], key)]
            if not hits:
                raise InvalidArgument(f"{caller}: class_weight names the label {key!r}, which "
                                      f"is not one of the classes {list(classes)}")
            if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real) \
                    or not np.isfinite(value) or value < 0:
                raise InvalidArgument(f"{caller}: class_weight[{key!r}] must be a finite number "
                                      f">= 0, got {value!r}")
            per_class[hits[0]] = float(value)
    else:
        raise TypeMismatch(f"{caller}: class_weight must be None, 'balanced' or a dict label -> "
                           f"weight, got {type(class_weight).__name__}")
    cw = np.where(y01 > 0.5, per_class[1], per_class[0])
    return cw if w.shape[0] == 0 else w * cw


def _fit_inputs(est, X, y, caller):
    """What a tree ensemble's fit takes from (X, y): the features (column by column for a
    pandas frame, no float64 copy of the whole frame; else a matrix), their names and
    category labels, the feature count, the encoded target and its classes, and the
    categorical features resolved."""
    if _is_pandas_frame(X):
        Xa, names, categories, is_cat = _prepare_dataframe(X, caller, None, as_columns=True)
        p, n = len(Xa), len(Xa[0])
    else:
        Xa, names, categories, is_cat = _prepare(X, caller)
        n, p = Xa.shape
    ya, classes = est._encode_fit_target(y, caller)
    if ya.shape[0] != n:
        raise InvalidArgument(f"{caller}: y has {ya.shape[0]} entries, X has {n} rows")
    categorical = _resolve_categorical(est.categorical_features, names, is_cat, p, caller)
    for j in categorical:
        if categories[j]:
            Xa = _drop_unused_categories(Xa, j, categories)
    return Xa, names, categories, p, ya, classes, categorical


def _drop_unused_categories(Xa, j, categories):
    """Re-codes categorical feature `j` of `Xa` (a list of columns or a matrix) over the
    categories its rows use, in their order, and keeps only those labels in ``categories[j]``:
    a frame filtered down from a bigger one (1000 rows, 5000 categories) fits, as the frame
    with its unused categories removed would (the same model). A column of missing values only
    keeps its categories. Returns `Xa` (a matrix may be copied, never written in place)."""
    col = Xa[j] if isinstance(Xa, list) else Xa[:, j]
    labels = categories[j]
    ok = ~np.isnan(col)
    codes = col[ok].astype(np.int64)
    used = np.flatnonzero(np.bincount(codes, minlength=len(labels)))
    if used.size == len(labels) or used.size == 0:
        return Xa
    lut = np.full(len(labels), np.nan)
    lut[used] = np.arange(used.size, dtype=np.float64)
    out = np.full(col.shape[0], np.nan)
    out[ok] = lut[codes]
    categories[j] = [labels[k] for k in used]
    if isinstance(Xa, list):
        Xa[j] = out
    else:
        Xa = Xa.copy() if not Xa.flags.writeable or Xa.base is not None else Xa
        Xa[:, j] = out
    return Xa


def _set_tree_state(est, core):
    """What every tree ensemble's wrapper keeps of its fitted core: the core, the training
    categories, classes_, n_features_in_, feature_names_in_ and n_estimators_."""
    est._clear_fitted()
    est._core = core
    p = int(core.n_features)
    names = core.category_names
    est._train_categories = ([list(c) for c in names] if names
                              else [[] for _ in range(p)])
    est.classes_ = est._classes_of(core)
    est.n_features_in_ = p
    if core.feature_names:
        est.feature_names_in_ = np.asarray(core.feature_names, dtype=object)
    est.n_estimators_ = int(core.n_trees)


class GBDTClassifier(BinaryClassifier):
    """Histogram gradient-boosted decision trees for binary classification (log-loss).

    Trees are grown leaf-wise on binned features, as LightGBM does; the hyper-parameters carry
    the names, meaning and defaults of LightGBM's scikit-learn API. Missing values (NaN) are
    allowed in any feature: each split learns where they go. Categorical features use
    many-vs-many splits. The model does not depend on ``n_threads``.

    Parameters
    ----------
    n_estimators : int, default 100
        Number of boosting rounds (trees), >= 1.
    learning_rate : float, default 0.1
        Shrinkage of every tree, > 0.
    num_leaves : int, default 31
        Maximum leaves per tree, in [2, 131072].
    max_depth : int, default -1
        Maximum depth of a leaf (root = 0); <= 0 means no limit.
    min_child_samples : int, default 20
        Minimum number of training rows in a leaf.
    min_child_weight : float, default 1e-3
        Minimum sum of hessians in a leaf.
    min_split_gain : float, default 0.0
        Minimum loss reduction to make a split.
    reg_lambda : float, default 0.0
        L2 regularisation of leaf values.
    reg_alpha : float, default 0.0
        L1 regularisation of leaf values.
    subsample : float, default 1.0
        Fraction of rows drawn (without replacement) for each bag, in (0, 1].
    subsample_freq : int, default 0
        Draw a new bag every ``subsample_freq`` trees; 0 disables bagging.
    colsample_bytree : float, default 1.0
        Fraction of features each tree may split on, in (0, 1].
    max_bins : int, default 255
        Maximum value bins per feature (LightGBM's ``max_bin``), in [2, 65535].
    bin_sample_rows : int, default 200000
        Rows sampled to find the bin edges (LightGBM's ``subsample_for_bin``).
    scale_pos_weight : float, default 1.0
        Weight multiplier of positive rows, > 0.
    boost_from_average : bool, default True
        Start from the log-odds of the weighted positive rate.
    monotone_constraints : None, list of {-1, 0, 1} or dict, default None
        Per feature: 1 = prediction non-decreasing in it, -1 non-increasing, 0 free. A dict
        maps column names to constraints (DataFrame or Table input; missing names are 0). Not
        allowed on categorical features.
    categorical_features : "auto", None, list of int or str, or boolean mask, default "auto"
        Which columns are categorical. "auto": the pandas ``category`` columns of a DataFrame
        and the category columns of a :class:`churnlib.Table` (none for numpy input). Numeric
        columns named here must hold non-negative integer codes (NaN = missing). Text columns
        are not accepted: convert them with ``astype("category")``. A ``category`` column not
        listed (when a list is given) is used as its integer codes. The model keeps the labels
        that training rows use, as text (``str(label)``); a later frame's label finds the one
        of the same text, else the one of the same numeric value (1, 1.0 and ``np.int64(1)``
        are one label; "01" or "True" only match themselves); unseen labels count as missing.
    cat_smooth : float, default 10.0
        Categorical splits: smoothing added to a category's hessian when ordering categories.
    cat_l2 : float, default 10.0
        Categorical splits: extra L2 regularisation.
    max_cat_threshold : int, default 32
        Categorical splits: at most this many categories on the smaller side.
    min_data_per_group : int, default 100
        Categorical splits: minimum rows per category group.
    max_cat_to_onehot : int, default 4
        Categorical features with at most this many categories use one-vs-rest splits.
    importance_type : {"split", "gain"}, default "split"
        What :attr:`feature_importances_` counts: the number of splits on each feature, or the
        total gain of those splits.
    eval_metric : {"binary_logloss", "auc"}, default "binary_logloss"
        Metric recorded on ``eval_set`` and watched by early stopping.
    class_weight : None, "balanced" or dict label -> weight, default None
        Multiplies the sample weights of each class ("balanced": ``n / (2 * n_class)``).
    objective : {"binary"}, default "binary"
        The loss (binary log-loss; LightGBM's name, accepted for compatibility).
    verbose : int, default 0
        Print the evaluation metric (or the round without ``eval_set``) every ``verbose``
        rounds during fit; 0 is silent (the same as ``callbacks=[log_evaluation(verbose)]``).
    n_threads : int, default 0
        Threads (0 = all cores). Results are identical for any value.
    seed : int, default 0
        Seed of row and feature sampling (>= 0).
    **aliases
        LightGBM's (and scikit-learn's) spellings, each setting the parameter it names:

        ===========================  ==================
        alias                        parameter
        ===========================  ==================
        ``random_state``             ``seed``
        ``n_jobs`` (-1: all cores)   ``n_threads``
        ``max_bin``                  ``max_bins``
        ``subsample_for_bin``        ``bin_sample_rows``
        ``num_iterations``           ``n_estimators``
        ``min_data_in_leaf``         ``min_child_samples``
        ``min_sum_hessian_in_leaf``  ``min_child_weight``
        ``min_gain_to_split``        ``min_split_gain``
        ``lambda_l2``, ``lambda_l1`` ``reg_lambda``, ``reg_alpha``
        ``bagging_fraction``         ``subsample``
        ``bagging_freq``             ``subsample_freq``
        ``feature_fraction``         ``colsample_bytree``
        ===========================  ==================

        ``get_params`` reports churnlib's names; giving a parameter and its alias with
        different values raises TypeError, as does an unknown keyword.

    Attributes
    ----------
    classes_ : ndarray of shape (2,)
        The two labels seen in fit, sorted; ``classes_[1]`` is the positive class.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when fitted on a DataFrame or Table.
    n_estimators_ : int
        Number of trees the model keeps (``best_iteration_`` after early stopping).
    best_iteration_ : int
        1-based round with the best evaluation metric; 0 without ``eval_set``.
    evals_result_ : dict
        LightGBM's format, ``{"valid_0": {"binary_logloss": [...]}, "valid_1": ...}`` (one
        value per round trained; per tree kept for the pairs after the first); ``{}`` without
        ``eval_set``.
    feature_importances_ : ndarray of shape (n_features,)
        By ``importance_type``: split counts (int) or total gains (float).
    categorical_features_ : ndarray of int
        Indices of the features treated as categorical.
    init_score_ : float
        Raw score (log-odds) every row starts from.
    fit_profile_ : dict
        Where the last fit's time went (diagnostics for choosing ``n_threads``; zeros after
        loading or unpickling): wall seconds ``total_s``, ``binning_s``, ``boosting_s`` and its
        phases ``gradients_s``, ``histogram_s`` (histograms and split finding),
        ``partition_s``, ``score_s``; ``serial_s``, the part of ``boosting_s`` during which one
        thread worked (what more cores cannot shorten); ``parallel_regions`` (each ends in a
        barrier); ``hist_bytes_zeroed`` and ``hist_bytes_reduced``, histogram bytes cleared
        and partial histograms added up; ``n_threads``, ``n_trees``.

    Examples
    --------
    >>> import numpy as np, pandas as pd, churnlib as cl
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame({"tenure": rng.uniform(0, 72, 2000),
    ...                    "contract": pd.Categorical(rng.choice(["monthly", "yearly"], 2000))})
    >>> y = ((df["tenure"] < 12) & (df["contract"] == "monthly")).astype(int)
    >>> model = cl.GBDTClassifier(n_estimators=20).fit(df, y)
    >>> model.predict_proba(df).shape
    (2000, 2)
    >>> model.predict(pd.DataFrame({"tenure": [3.0, 60.0],
    ...                             "contract": pd.Categorical(["monthly", "yearly"])}))
    array([1, 0])
    >>> model.categorical_features_.tolist(), model.n_estimators_
    ([1], 20)
    """

    _allow_nan = True  # NaN = missing
    _core_type = _core._GBDT
    _fitted_attrs = _FITTED
    _ALIASES = _ALIASES
    #: scikit-learn estimator checks this class fails on purpose (tests/test_sklearn_compat.py).
    _expected_failed_checks = {
        "check_do_not_raise_errors_in_init_or_set_params":
            "the constructor takes LightGBM's aliases (random_state, n_jobs, max_bin, ...) as "
            "**aliases and raises TypeError at once for an unknown keyword (churnlib's rule for "
            "typos); the check passes the literal keyword 'aliases'",
    }

    def __init__(self, *, n_estimators=100, learning_rate=0.1, num_leaves=31, max_depth=-1,
                 min_child_samples=20, min_child_weight=1e-3, min_split_gain=0.0,
                 reg_lambda=0.0, reg_alpha=0.0, subsample=1.0, subsample_freq=0,
                 colsample_bytree=1.0, max_bins=255, bin_sample_rows=200000,
                 scale_pos_weight=1.0, boost_from_average=True, monotone_constraints=None,
                 categorical_features="auto", cat_smooth=10.0, cat_l2=10.0,
                 max_cat_threshold=32, min_data_per_group=100, max_cat_to_onehot=4,
                 importance_type="split", eval_metric="binary_logloss", class_weight=None,
                 objective="binary", verbose=0, n_threads=0, seed=0, **aliases):
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.max_depth = max_depth
        self.min_child_samples = min_child_samples
        self.min_child_weight = min_child_weight
        self.min_split_gain = min_split_gain
        self.reg_lambda = reg_lambda
        self.reg_alpha = reg_alpha
        self.subsample = subsample
        self.subsample_freq = subsample_freq
        self.colsample_bytree = colsample_bytree
        self.max_bins = max_bins
        self.bin_sample_rows = bin_sample_rows
        self.scale_pos_weight = scale_pos_weight
        self.boost_from_average = boost_from_average
        self.monotone_constraints = monotone_constraints
        self.categorical_features = categorical_features
        self.cat_smooth = cat_smooth
        self.cat_l2 = cat_l2
        self.max_cat_threshold = max_cat_threshold
        self.min_data_per_group = min_data_per_group
        self.max_cat_to_onehot = max_cat_to_onehot
        self.importance_type = importance_type
        self.eval_metric = eval_metric
        self.class_weight = class_weight
        self.objective = objective
        self.verbose = verbose
        self.n_threads = n_threads
        self.seed = seed
        self._take_aliases(aliases, "GBDTClassifier()")

    # ---- fitting ---------------------------------------------------------------------------

    def _make_params(self, categorical, monotone, early_stopping_rounds, caller):
        """The compiled parameters: every C++ one by name in one dict, checked (types, ranges,
        unknown names) by churn::tree::GBDTParams::from_options."""
        if not isinstance(self.importance_type, str):
            raise TypeMismatch(f"{caller}: importance_type must be a str, got "
                               f"{self.importance_type!r}")
        if self.importance_type not in ("split", "gain"):
            raise InvalidArgument(f"{caller}: importance_type must be 'split' or 'gain', got "
                                  f"{self.importance_type!r}")
        options = {name: getattr(self, name) for name in _core._GBDTParams.defaults()
                   if name not in _FIT_COMPUTED}
        options.update(categorical_features=categorical, monotone_constraints=monotone,
                       early_stopping_rounds=early_stopping_rounds)
        return _core._GBDTParams(options, caller)

    def fit(self, X, y, sample_weight=None, eval_set=None, early_stopping_rounds=None,
            eval_sample_weight=None, eval_names=None, callbacks=None):
        """Fits the model; returns self.

        Parameters
        ----------
        X : DataFrame, churnlib.Table or array-like of shape (n_samples, n_features)
            Features; NaN = missing. DataFrame columns must be numeric, bool or ``category``
            (see ``categorical_features``). A C-ordered float64 array is used without a copy.
        y : array-like of shape (n_samples,)
            Two distinct class labels (numbers, strings, booleans or a pandas categorical);
            ``classes_[1]``, the larger, is the positive class.
        sample_weight : array-like of shape (n_samples,), optional
            Finite non-negative weights with a positive sum (multiplied by ``class_weight``).
        eval_set : (X_val, y_val) or a list of such pairs, optional
            Evaluation data, in the same format as ``X`` (its ``category`` columns are re-coded
            to the training categories) with labels of ``classes_``. The metric after each
            round goes to :attr:`evals_result_`, under ``eval_names``.
        early_stopping_rounds : int, optional
            Stop when the metric on the first ``eval_set`` pair has not improved for this many
            rounds; the model then keeps :attr:`best_iteration_` trees. Needs ``eval_set``.
            (LightGBM watches every pair; the other pairs' curves here cover the trees kept.)
        eval_sample_weight : array-like or a list with one array-like per pair, optional
            Weights of the evaluation rows.
        eval_names : list of str, optional
            Names of the pairs in :attr:`evals_result_` (default ``valid_0``, ``valid_1``...).
        callbacks : list of callable, optional
            Called after each round with a :class:`CallbackEnv` (the round, the metric on the
            first ``eval_set`` pair); a true return value stops training, keeping the trees
            built so far (the best round's with early stopping). :func:`log_evaluation`,
            :func:`record_evaluation` and :func:`early_stopping` are ready-made ones, as in
            LightGBM. An exception raised by a callback propagates; the model is then
            unfitted. Ctrl-C stops training the same way (KeyboardInterrupt).

        Raises
        ------
        InvalidArgument
            One class or more than two, non-finite labels, mismatched lengths, invalid weights or
            hyper-parameters, categorical codes that are not non-negative integers, an
            ``eval_set`` of another width.
        TypeMismatch
            Text columns, non-numeric inputs, or hyper-parameters of the wrong type.
        """
        caller = "GBDTClassifier.fit()"
        if not isinstance(self.objective, str) or self.objective not in ("binary",
                                                                         "cross_entropy"):
            raise InvalidArgument(f"{caller}: objective must be 'binary' (GBDTClassifier fits "
                                  f"binary log-loss), got {self.objective!r}")
        X = _frames.as_pandas(X)  # polars, pyarrow -> pandas with category columns
        Xa, names, categories, p, ya, classes, categorical = _fit_inputs(self, X, y, caller)
        monotone = _resolve_monotone(self.monotone_constraints, names, p, caller)
        callbacks, early_stopping_rounds = _split_callbacks(callbacks, early_stopping_rounds,
                                                            caller)
        if early_stopping_rounds is None:
            esr = 0
        elif not _is_int(early_stopping_rounds) or early_stopping_rounds < 0:
            raise InvalidArgument(f"{caller}: early_stopping_rounds must be None or an int >= 0, "
                                  f"got {early_stopping_rounds!r}")
        else:
            esr = int(early_stopping_rounds)
        if not _is_int(self.verbose) or self.verbose < 0:
            raise InvalidArgument(f"{caller}: verbose must be an int >= 0, got {self.verbose!r}")
        if self.verbose > 0:
            callbacks = [log_evaluation(int(self.verbose))] + callbacks
        core = _core._GBDT(self._make_params(categorical, monotone, esr, caller))
        wa = _class_weighted(check_weights(sample_weight, ya.shape[0], caller), ya, classes,
                             self.class_weight, caller)
        sets, set_names = self._eval_input(eval_set, eval_sample_weight, eval_names, esr,
                                           categories, names, p, classes, caller)
        Xe, ye, we = sets[0] if sets else (np.empty((0, 0)), np.empty(0), np.empty(0))
        self._store_classes(core, classes, caller)
        hook = _round_hook(self, callbacks, set_names[:1], core.eval_metric)
        self._clear_fitted()  # bad input leaves a fitted model as it was, an interrupt unfitted
        if isinstance(Xa, list):
            core.fit_columns(Xa, ya, wa, Xe, ye, we, names or [], hook)
        else:
            core.fit(Xa, ya, wa, Xe, ye, we, names or [], hook)
        if any(categories):
            core.set_category_names(categories)
        # the first pair was evaluated (and watched for early stopping) during training; the
        # others get the same metric after each round of the trees kept
        self._eval_names = set_names
        self._extra_evals = {name: list(core.evaluate_rounds(Xk, yk, wk, core.eval_metric))
                             for name, (Xk, yk, wk) in zip(set_names[1:], sets[1:])}
        self._set_fitted(core)
        return self

    @staticmethod
    def _eval_input(eval_set, eval_sample_weight, eval_names, esr, categories, names, p,
                    classes, caller):
        """The evaluation sets as a list of (X, y 0/1, weights) and their names."""
        if eval_set is None:
            if esr > 0:
                raise InvalidArgument(f"{caller}: early_stopping_rounds needs an eval_set")
            if eval_sample_weight is not None:
                raise InvalidArgument(f"{caller}: eval_sample_weight is given without eval_set")
            if eval_names is not None:
                raise InvalidArgument(f"{caller}: eval_names is given without eval_set")
            return [], []
        pairs = eval_set if isinstance(eval_set, list) else [eval_set]
        if not pairs:
            raise InvalidArgument(f"{caller}: eval_set is an empty list")
        for pair in pairs:
            if not isinstance(pair, tuple) or len(pair) != 2:
                raise TypeMismatch(f"{caller}: eval_set must be an (X, y) tuple or a list of "
                                   "such tuples")
        weights = eval_sample_weight
        if weights is None:
            weights = [None] * len(pairs)
        elif not isinstance(weights, list) or (len(pairs) == 1 and len(weights) != 1):
            weights = [weights]
        if len(weights) != len(pairs):
            raise InvalidArgument(f"{caller}: eval_sample_weight has {len(weights)} entries for "
                                  f"{len(pairs)} eval_set pairs")
        if eval_names is None:
            eval_names = [f"valid_{k}" for k in range(len(pairs))]
        else:
            eval_names = [str(e) for e in eval_names]
            if len(eval_names) != len(pairs) or len(set(eval_names)) != len(eval_names):
                raise InvalidArgument(f"{caller}: eval_names must hold {len(pairs)} distinct "
                                      f"names, one per eval_set pair, got {eval_names}")
        out = []
        for k, (pair, w) in enumerate(zip(pairs, weights)):
            ecaller = caller[:-1] + f" eval_set[{k}])"
            Xe, _, _, _ = _prepare(pair[0], ecaller, train_categories=categories, n_features=p,
                                   fitted_names=names)
            ye = targets_for(pair[1], classes, f"eval_set[{k}] y", caller)
            out.append((Xe, ye, check_weights(w, ye.shape[0], caller, "eval_sample_weight")))
        return out, eval_names

    def _set_fitted(self, core):
        _set_tree_state(self, core)
        self.best_iteration_ = int(core.best_iteration)
        values = list(core.evals_result)
        self.evals_result_ = {}
        if values:
            names = self.__dict__.get("_eval_names") or ["valid_0"]
            self.evals_result_[names[0]] = {core.eval_metric: values}
            for name, extra in (self.__dict__.get("_extra_evals") or {}).items():
                self.evals_result_[name] = {core.eval_metric: extra}
        self.categorical_features_ = np.asarray(core.params.to_dict()["categorical_features"],
                                                dtype=np.int64)
        self.init_score_ = float(core.init_score)
        self.fit_profile_ = dict(core.fit_profile)

    # ---- prediction ------------------------------------------------------------------------

    def _predict_input(self, X, caller):
        core = self._fitted_core(caller)
        return core, _estimator_input(self, X, caller)

    # (the core's _predict_*_array take the prepared matrix: no keyword parsing, the GIL kept
    # for a few rows, the output built in C++; see bind_tree.cpp)

    def predict_raw(self, X):
        """Raw scores (log-odds), shape (n_samples,)."""
        core, Xa = self._predict_input(X, "GBDTClassifier.predict_raw()")
        return core._predict_raw_array(Xa)

    def decision_function(self, X):
        """Raw scores (log-odds), shape (n_samples,): the same as :meth:`predict_raw`."""
        core, Xa = self._predict_input(X, "GBDTClassifier.decision_function()")
        return core._predict_raw_array(Xa)

    def predict_proba(self, X):
        """Probabilities of classes 0 and 1, shape (n_samples, 2)."""
        core, Xa = self._predict_input(X, "GBDTClassifier.predict_proba()")
        return core._predict_proba_array(Xa, True)

    def predict(self, X):
        """Class labels (from ``classes_``): ``classes_[1]`` where P(``classes_[1]``) > 0.5,
        shape (n_samples,)."""
        core, Xa = self._predict_input(X, f"{type(self).__name__}.predict()")
        positive = core._predict_proba_array(Xa, False) > 0.5
        return self.classes_[positive.astype(np.intp)]

    def predict_contrib(self, X):
        """TreeSHAP contributions, shape (n_samples, n_features + 1).

        The last column is the bias (expected raw score); each row sums to :meth:`predict_raw`
        (LightGBM's ``predict(X, pred_contrib=True)``).
        """
        core, Xa = self._predict_input(X, "GBDTClassifier.predict_contrib()")
        return np.asarray(core.predict_contrib(Xa))

    def predict_leaf(self, X):
        """Leaf index of each row in each tree, shape (n_samples, n_estimators_), int32."""
        core, Xa = self._predict_input(X, "GBDTClassifier.predict_leaf()")
        return np.asarray(core.predict_leaf(Xa))

    @property
    def feature_importances_(self):
        """Split counts (``importance_type="split"``, int) or total gains (``"gain"``)."""
        core = self._fitted_core("GBDTClassifier.feature_importances_")
        kind = self.importance_type
        if not isinstance(kind, str):
            raise TypeMismatch(f"GBDTClassifier.feature_importances_: importance_type must be "
                               f"'split' or 'gain', got {kind!r}")
        values = np.asarray(core.feature_importances(kind))
        return values.astype(np.int64) if kind == "split" else values

    # ---- persistence -----------------------------------------------------------------------

    @classmethod
    def from_json(cls, text):
        """A model from :meth:`to_json` text. Raises SerializationError if damaged."""
        return cls._from_core(_core._GBDT.from_json(text))

    @classmethod
    def load(cls, path):
        """Reads a model written by :meth:`save` (from Python or C++).

        The hyper-parameters come from the file: ``categorical_features`` becomes the list of
        categorical indices, ``importance_type`` (not saved) its default.
        """
        return cls._from_core(_core._GBDT.load(os.fspath(path)))

    @classmethod
    def _from_core(cls, core):
        params = core.params.to_dict()
        kwargs = {n: params[n] for n in cls._get_param_names() if n in params}
        kwargs["monotone_constraints"] = params["monotone_constraints"] or None
        kwargs.pop("early_stopping_rounds", None)
        model = cls(**kwargs)
        model._set_fitted(core)
        return model


# ---- random forest -----------------------------------------------------------------------------

# The forest's C++ parameters that Python names as scikit-learn does.
_FOREST_RENAMED = {"n_threads": "n_jobs", "seed": "random_state"}
# C++ parameters of the forest that fit computes from the data and the fitted classes.
_FOREST_FIT_COMPUTED = ("categorical_features", "class_weight")
# Attributes set by fit (removed from pickles: the model JSON restores them).
_FOREST_FITTED = ("_core", "_train_categories", "classes_", "n_features_in_",
                  "feature_names_in_", "n_estimators_", "oob_score_", "oob_decision_function_",
                  "categorical_features_")


def _forest_class_weight(class_weight, classes, caller):
    """class_weight as the C++ options take it: None, "balanced", "balanced_subsample", or a
    dict label -> weight turned into {"0": w0, "1": w1} through ``classes``."""
    if class_weight is None or isinstance(class_weight, str):
        return class_weight  # C++ names the allowed strings
    if not isinstance(class_weight, dict):
        raise TypeMismatch(f"{caller}: class_weight must be None, 'balanced', "
                           f"'balanced_subsample' or a dict label -> weight, got "
                           f"{type(class_weight).__name__}")
    out = {"0": 1.0, "1": 1.0}
    for key, value in class_weight.items():
        hits = [k for k in range(2) if same_label(classes[k], key)]
        if not hits:
            raise InvalidArgument(f"{caller}: class_weight names the label {key!r}, which is "
                                  f"not one of the classes {list(classes)}")
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
            raise TypeMismatch(f"{caller}: class_weight[{key!r}] must be a number, got "
                               f"{value!r}")
        out[str(hits[0])] = float(value)
    return out


def _seed_option(random_state, caller):
    if random_state is None:
        return 0
    if not _is_int(random_state):
        raise TypeMismatch(f"{caller}: random_state must be None or an int (churnlib draws from "
                           f"an explicit seed), got {random_state!r}")
    return int(random_state)


def _threads_option(n_jobs, caller):
    if n_jobs is None:
        return 0
    if not _is_int(n_jobs):
        raise TypeMismatch(f"{caller}: n_jobs must be None or an int, got {n_jobs!r}")
    return max(int(n_jobs), 0)  # -1 (scikit-learn's all cores) -> 0


class RandomForestClassifier(BinaryClassifier):
    """A random forest for binary classification (scikit-learn's parameters), grown in C++ on
    the histogram tree engine of :class:`GBDTClassifier`.

    Each tree grows on a bootstrap sample; each split examines ``max_features`` features
    drawn for it and takes the largest Gini decrease; leaves hold the churn rate of their rows
    and :meth:`predict_proba` averages the trees. Features are binned once (``max_bins``), so a
    feature with at most ``max_bins`` distinct values gets scikit-learn's exact thresholds.
    Missing values (NaN) are allowed in any feature and categorical features split natively,
    as in :class:`GBDTClassifier`. The model is the same for any ``n_jobs``.

    Parameters
    ----------
    n_estimators : int, default 100
        Number of trees, >= 1.
    criterion : {"gini"}, default "gini"
        Split criterion ("entropy" and "log_loss" are not supported: ValueError).
    max_depth : int or None, default None
        Maximum depth of a leaf (root = 0); None grows until leaves are pure or too small.
    min_samples_split : int, default 2
        Minimum rows (of a tree's sample) in a node to split it.
    min_samples_leaf : int, default 1
        Minimum rows (of a tree's sample) in a leaf.
    max_features : "sqrt", "log2", None, float or int, default "sqrt"
        Features drawn per split: sqrt(p), log2(p), all, a fraction of p or a count (and
        more until one is not constant in the node, as in scikit-learn).
    max_leaf_nodes : int or None, default None
        Maximum leaves per tree (grown best-first); None for no limit.
    min_impurity_decrease : float, default 0.0
        A node splits only if its weighted Gini decrease is at least this (scikit-learn's
        formula).
    bootstrap : bool, default True
        Draw each tree's rows with replacement; otherwise all rows (or a subsample of
        ``max_samples`` rows drawn without replacement).
    oob_score : bool, default False
        Compute :attr:`oob_score_` (out-of-bag accuracy) and :attr:`oob_decision_function_`.
    n_jobs : int or None, default None
        Threads; None or -1 = all cores. Results are identical for any value.
    random_state : int or None, default None
        Seed of the samples and feature draws; None means 0 (deterministic by default).
    max_samples : int, float or None, default None
        Rows each tree draws: a count, a fraction of n, or n (None).
    class_weight : None, "balanced", "balanced_subsample" or dict label -> weight
        Multiplies the sample weights of each class ("balanced": ``n / (2 * n_class)``;
        "balanced_subsample": the same from each tree's sample).
    max_bins : int, default 255
        Maximum value bins per feature, in [2, 65535].
    bin_sample_rows : int, default 200000
        Rows sampled to find the bin edges.
    categorical_features : "auto", None, list of int or str, or boolean mask, default "auto"
        Which columns are categorical, as in :class:`GBDTClassifier` ("auto": the pandas
        ``category`` columns of a DataFrame and the category columns of a Table); labels are
        kept and matched as there (text, then numeric value).

    Attributes
    ----------
    classes_ : ndarray of shape (2,)
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when fitted on a DataFrame or Table.
    n_estimators_ : int
    feature_importances_ : ndarray of shape (n_features,)
        Mean decrease in impurity, summing to 1 (scikit-learn's definition).
    oob_score_ : float
        Out-of-bag accuracy (only with ``oob_score=True``), over the rows left out of at least
        one sample.
    oob_decision_function_ : ndarray of shape (n_samples, 2)
        Out-of-bag class probabilities (NaN for a row in every sample).
    categorical_features_ : ndarray of int

    Examples
    --------
    >>> import numpy as np, churnlib as cl
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(1000, 5))
    >>> y = (X[:, 0] + rng.normal(size=1000) > 0).astype(int)
    >>> forest = cl.RandomForestClassifier(n_estimators=50, oob_score=True).fit(X, y)
    >>> forest.predict_proba(X).shape
    (1000, 2)
    >>> bool(forest.oob_score_ > 0.6)
    True
    """

    _allow_nan = True  # NaN = missing
    _core_type = _core._Forest
    _fitted_attrs = _FOREST_FITTED
    #: scikit-learn estimator checks this class fails on purpose (tests/test_sklearn_compat.py).
    _expected_failed_checks = {
        "check_sample_weight_equivalence_on_dense_data":
            "a weight of 2 is not the same as a repeated row: the bootstrap draws rows, and "
            "scikit-learn's RandomForestClassifier lists the same failure",
        "check_class_weight_classifiers":
            "the check sets min_weight_fraction_leaf (not a parameter of this forest) so that "
            "fully grown trees cannot isolate the down-weighted class in leaves of their own",
    }

    def __init__(self, n_estimators=100, *, criterion="gini", max_depth=None,
                 min_samples_split=2, min_samples_leaf=1, max_features="sqrt",
                 max_leaf_nodes=None, min_impurity_decrease=0.0, bootstrap=True,
                 oob_score=False, n_jobs=None, random_state=None, max_samples=None,
                 class_weight=None, max_bins=255, bin_sample_rows=200000,
                 categorical_features="auto"):
        self.n_estimators = n_estimators
        self.criterion = criterion
        self.max_depth = max_depth
        self.min_samples_split = min_samples_split
        self.min_samples_leaf = min_samples_leaf
        self.max_features = max_features
        self.max_leaf_nodes = max_leaf_nodes
        self.min_impurity_decrease = min_impurity_decrease
        self.bootstrap = bootstrap
        self.oob_score = oob_score
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.max_samples = max_samples
        self.class_weight = class_weight
        self.max_bins = max_bins
        self.bin_sample_rows = bin_sample_rows
        self.categorical_features = categorical_features

    # ---- fitting ---------------------------------------------------------------------------

    def _make_params(self, categorical, classes, caller):
        """The compiled parameters: every C++ one by name in one dict, checked (types, ranges,
        unknown names) by churn::tree::RandomForestParams::from_options."""
        options = {}
        for name in _core._ForestParams.defaults():
            if name in _FOREST_FIT_COMPUTED or name in _FOREST_RENAMED:
                continue
            value = getattr(self, name)
            options[name] = int(value) if isinstance(value, np.integer) else value
        options["n_threads"] = _threads_option(self.n_jobs, caller)
        options["seed"] = _seed_option(self.random_state, caller)
        options["categorical_features"] = categorical
        options["class_weight"] = _forest_class_weight(self.class_weight, classes, caller)
        return _core._ForestParams(options, caller)

    def fit(self, X, y, sample_weight=None):
        """Fits the forest; returns self.

        Parameters
        ----------
        X : DataFrame, churnlib.Table or array-like of shape (n_samples, n_features)
            Features; NaN = missing. DataFrame columns must be numeric, bool or ``category``
            (see ``categorical_features``). A C-ordered float64 array is used without a copy.
        y : array-like of shape (n_samples,)
            Two distinct class labels; ``classes_[1]`` is the positive class.
        sample_weight : array-like of shape (n_samples,), optional
            Finite non-negative weights with a positive sum (multiplied by ``class_weight``
            and, per tree, by the times a row is drawn).

        Raises
        ------
        InvalidArgument
            One class or more than two, non-finite labels, mismatched lengths, invalid weights
            or hyper-parameters (``max_features`` above the number of features, say).
        TypeMismatch
            Text columns, non-numeric inputs, or hyper-parameters of the wrong type.
        """
        caller = "RandomForestClassifier.fit()"
        X = _frames.as_pandas(X)
        Xa, names, categories, p, ya, classes, categorical = _fit_inputs(self, X, y, caller)
        core = _core._Forest(self._make_params(categorical, classes, caller))
        wa = check_weights(sample_weight, ya.shape[0], caller)
        self._store_classes(core, classes, caller)
        self._clear_fitted()  # bad input leaves a fitted model as it was, an interrupt unfitted
        if isinstance(Xa, list):
            core.fit_columns(Xa, ya, wa, names or [])
        else:
            core.fit(Xa, ya, wa, names or [])
        if any(categories):
            core.set_category_names(categories)
        self._set_fitted(core)
        return self

    def _set_fitted(self, core):
        _set_tree_state(self, core)
        params = core.params.to_dict()
        if params["oob_score"]:
            self.oob_score_ = float(core.oob_score)
            p1 = np.asarray(core.oob_decision_function)
            self.oob_decision_function_ = np.column_stack([1.0 - p1, p1])
        self.categorical_features_ = np.asarray(params["categorical_features"], dtype=np.int64)

    # ---- prediction ------------------------------------------------------------------------

    def _predict_input(self, X, caller):
        core = self._fitted_core(caller)
        return core, _estimator_input(self, X, caller)

    def predict_proba(self, X):
        """Probabilities of classes 0 and 1 (the trees' mean), shape (n_samples, 2)."""
        core, Xa = self._predict_input(X, "RandomForestClassifier.predict_proba()")
        p1 = np.asarray(core.predict_proba(Xa))
        out = np.empty((p1.shape[0], 2))
        out[:, 1] = p1
        out[:, 0] = 1.0 - p1
        return out

    def predict_contrib(self, X):
        """TreeSHAP contributions on the probability scale, shape (n_samples, n_features + 1).

        The trees' TreeSHAP values averaged; the last column is the bias (expected
        probability), and each row sums to ``predict_proba(X)[:, 1]``.
        """
        core, Xa = self._predict_input(X, "RandomForestClassifier.predict_contrib()")
        return np.asarray(core.predict_contrib(Xa))

    @property
    def feature_importances_(self):
        """Mean decrease in Gini impurity per feature, normalised to sum 1."""
        core = self._fitted_core("RandomForestClassifier.feature_importances_")
        return np.asarray(core.feature_importances())

    # ---- persistence -----------------------------------------------------------------------

    @classmethod
    def from_json(cls, text):
        """A model from :meth:`to_json` text. Raises SerializationError if damaged."""
        return cls._from_core(_core._Forest.from_json(text))

    @classmethod
    def load(cls, path):
        """Reads a model written by :meth:`save` (from Python or C++); the hyper-parameters
        come from the file (``categorical_features`` as the list of categorical indices)."""
        return cls._from_core(_core._Forest.load(os.fspath(path)))

    @classmethod
    def _from_core(cls, core):
        params = core.params.to_dict()
        kwargs = {n: params[n] for n in cls._get_param_names() if n in params}
        kwargs["n_jobs"] = params["n_threads"] or None
        kwargs["random_state"] = params["seed"]
        classes = cls._classes_of(core)
        cw = params["class_weight"]
        if isinstance(cw, dict):
            kwargs["class_weight"] = {classes[int(k)].item() if hasattr(classes[int(k)], "item")
                                      else classes[int(k)]: v for k, v in cw.items()}
        model = cls(**kwargs)
        model._set_fitted(core)
        return model
