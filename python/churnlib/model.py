"""The deployable churn model: train, compare, calibrate, version and score from one file.

:func:`train_churn_model` runs the whole training workflow of a churn team in one call (split,
cross-validated comparison of candidates with the feature pipeline refitted inside each fold,
refit, calibration, threshold, hold-out evaluation, drift baselines) and returns a
:class:`ChurnModel`: one versioned JSON file holding the data contract, the fitted feature
pipeline, the model, its calibrator and threshold, the baselines and the training report.
C++ (``churn::model::ChurnModel``) reads and scores the same file bit for bit.

Examples
--------
>>> import churnlib as cl
>>> customers = cl.make_customers(3000, seed=1).to_pandas()
>>> model = cl.train_churn_model(customers, "churned", candidates=["logistic", "gbdt"], cv=3)
>>> model.comparison_                                    # doctest: +SKIP
>>> scored = model.score(customers.head())               # probability, prediction, reasons
"""

from __future__ import annotations

import numbers
import os
import zlib

import numpy as np

from . import _core
from ._core import _model as _mo
from ._registry import ModelRegistry
from ._validation import parse_json
from .errors import InvalidArgument, NotFittedError, SerializationError, TypeMismatch

__all__ = ["ChurnModel", "ModelRegistry", "train_churn_model", "TRAIN_DEFAULTS"]

#: The C++ defaults of train_churn_model's options (the signature below repeats them; a test
#: holds them equal).
TRAIN_DEFAULTS = _mo.train_default_options()


def _frame(table, copy=True):
    return table.to_pandas() if copy else table.to_pandas(copy=False)


class ChurnModel:
    """A fitted, self-contained churn model (see the module docstring).

    Obtain one from :func:`train_churn_model`, :meth:`load` or :meth:`from_json`.

    Attributes
    ----------
    kind_ : str
        "logistic", "random_forest" or "gbdt".
    classes_ : ndarray of shape (2,)
        The target's labels; ``classes_[1]`` is churn.
    threshold_ : float
        Customers with a calibrated probability at or above it are predicted to churn.
    threshold_info_ : dict
        How the threshold was chosen and what it reached out of fold.
    report_ : dict
        The training report: candidates compared, cross-validated and hold-out metrics, the
        chosen one and why, class balance, row counts, training period.
    comparison_ : pandas.DataFrame
        One row per candidate: metric mean and spread over the folds, fit seconds, chosen.
    metadata_ : dict
        Created at, library version, training-data fingerprint, input columns and types,
        category labels, model features, classes.
    tags_ : dict
        Free-form tags (:meth:`set_tags`).
    id_column_ : str
        The id column copied into :meth:`score`'s output ("" when none).
    feature_names_in_ : list of str
        The raw input columns of the contract.
    contract_ : Schema
        The data contract of the raw customer table.
    pipeline_ : FeaturePipeline
        The fitted feature pipeline.
    estimator_ : LogisticRegression, RandomForestClassifier or GBDTClassifier
        The fitted model (uncalibrated).
    baseline_ : monitor.Baseline
        Drift baseline of the raw features and of the calibrated score.
    feature_importance_ : pandas.Series
        The mean absolute contribution of each raw column to the score over the hold-out rows
        (largest first); :meth:`drift` weights its report by it.
    """

    def __init__(self):
        self._core = None

    @classmethod
    def _from_core(cls, core):
        self = cls()
        self._core = core
        return self

    def _fitted(self, what):
        if self._core is None:
            raise NotFittedError(f"ChurnModel.{what}: this ChurnModel is empty; train one with "
                                 "train_churn_model() or load one")
        return self._core

    def __sklearn_is_fitted__(self):
        return self._core is not None

    # ---- scoring ------------------------------------------------------------------------
    def score(self, customers, events=None, as_of=None, *, n_reasons=3, validate=True):
        """Scores raw customers.

        Parameters
        ----------
        customers : pandas/polars DataFrame, pyarrow Table or churnlib.Table
            The raw customer columns of the contract (extra columns are ignored).
        events : frame, optional
            The event log, when the model joins one.
        as_of : datetime-like, optional
            The date the events are aggregated at.
        n_reasons : int, default 3
            Reasons per customer: the raw columns that raise the score most.
        validate : bool, default True
            Check the contract first.

        Returns
        -------
        pandas.DataFrame
            The id column (when the model has one), ``probability`` (calibrated P(churn)),
            ``prediction`` (the class label at the threshold) and, for k = 1..n_reasons,
            ``reason_k`` and ``reason_k_contribution``.

        Raises
        ------
        SchemaError
            Listing every violation of the contract.
        """
        core = self._fitted("score()")
        return _frame(core.score(customers, events, as_of, n_reasons=n_reasons,
                                 validate=validate))

    def predict_proba(self, customers, events=None, as_of=None, *, validate=True):
        """Calibrated probabilities, shape (n, 2): column 1 is P(churn)."""
        p = self._fitted("predict_proba()").predict_proba(customers, events, as_of,
                                                          validate=validate)
        return np.column_stack([1.0 - p, p])

    def predict(self, customers, events=None, as_of=None):
        """The class label of each customer at the threshold."""
        p = self.predict_proba(customers, events, as_of)[:, 1]
        return self.classes_[(p >= self.threshold_).astype(np.intp)]

    def validate(self, customers):
        """The contract's :class:`ValidationReport` of ``customers`` (nothing raised)."""
        return self._fitted("validate()").validate(customers)

    def drift(self, customers, events=None, as_of=None):
        """Drift of ``customers`` and of their scores against the training baseline
        (a :class:`churnlib.monitor.DriftReport`), weighted by :attr:`feature_importance_`
        (the report leads with the drift that can move the score)."""
        from .monitor import DriftReport

        return DriftReport(self._fitted("drift()").drift(customers, events, as_of))

    # ---- contents -----------------------------------------------------------------------
    @property
    def kind_(self):
        return self._fitted("kind_").kind

    @property
    def classes_(self):
        return np.asarray(parse_json(self._fitted("classes_").classes_json, "ChurnModel.classes_",
                                     expect=list))

    @property
    def threshold_(self):
        return self._fitted("threshold_").threshold

    @property
    def threshold_info_(self):
        return self._fitted("threshold_info_").threshold_info

    @property
    def report_(self):
        return self._fitted("report_").report

    @property
    def comparison_(self):
        return _frame(_mo.comparison_table(self._fitted("comparison_")))

    @property
    def metadata_(self):
        return self._fitted("metadata_").metadata

    @property
    def tags_(self):
        return self._fitted("tags_").tags

    def set_tags(self, tags=None, **more):
        """Replaces the tags (a dict of JSON values); returns self."""
        merged = dict(tags or {})
        merged.update(more)
        self._fitted("set_tags()").set_tags(merged)
        return self

    @property
    def id_column_(self):
        """The column copied into :meth:`score`'s output ("" when none)."""
        return self._fitted("id_column_").id_column

    @property
    def feature_names_in_(self):
        return [c.name for c in self._fitted("feature_names_in_").contract.columns]

    @property
    def contract_(self):
        return self._fitted("contract_").contract

    @property
    def pipeline_(self):
        from .features import FeaturePipeline

        return FeaturePipeline._from_core(self._fitted("pipeline_").pipeline)

    @property
    def estimator_(self):
        from . import linear, tree

        text = self._fitted("estimator_").model_json
        kind = parse_json(text, "ChurnModel.estimator_ JSON").get("kind")
        cls = {"LogisticRegression": linear.LogisticRegression,
               "RandomForestClassifier": tree.RandomForestClassifier,
               "GBDTClassifier": tree.GBDTClassifier}.get(kind)
        if cls is None:
            raise SerializationError(f"ChurnModel.estimator_: unknown model kind {kind!r}")
        return cls.from_json(text)

    @property
    def performance_reference_(self):
        """The :class:`churnlib.monitor.PerformanceEstimator` fitted on the hold-out rows'
        calibrated probabilities and labels at the model's threshold (None for a bundle
        without one): what :meth:`drift` and :meth:`estimate_performance` estimate with."""
        from .monitor import PerformanceEstimator

        core = self._fitted("performance_reference_").performance_reference
        return None if core is None else PerformanceEstimator._from_core(core)

    @property
    def reconstruction_(self):
        """The :class:`churnlib.monitor.PcaDrift` of the raw feature columns (fitted on the
        training rows), or None: :meth:`drift` adds its reconstruction error."""
        from .monitor import PcaDrift

        core = self._fitted("reconstruction_").reconstruction
        return None if core is None else PcaDrift._from_core(core)

    def estimate_performance(self, customers, events=None, as_of=None, *, chunks=None):
        """ROC-AUC, precision, recall, F1, churn rate and expected churners of ``customers``
        estimated before their labels arrive (CBPE on :attr:`performance_reference_`), each
        with a 95% band; add the labels later with ``.add_realised(y_true)``.

        Parameters
        ----------
        customers : DataFrame or Table
        events, as_of
            As for :meth:`score`.
        chunks : int, array-like or str, optional
            Rows per chunk, one period key per row, or the name of a column of ``customers``
            holding the period; default one chunk of every row.

        Returns
        -------
        churnlib.monitor.EstimatedPerformance

        Examples
        --------
        >>> import churnlib as cl
        >>> df = cl.make_customers(2000, seed=1).to_pandas()
        >>> m = cl.train_churn_model(df, "churned", candidates=["logistic"], cv=2)
        >>> new = cl.make_customers(3000, seed=2).to_pandas()
        >>> est = m.estimate_performance(new.drop(columns="churned"), chunks=1000)
        >>> len(est.to_pandas())
        3
        >>> est.add_realised(new["churned"]).reliable
        True
        """
        ref = self.performance_reference_
        if ref is None:
            raise NotFittedError("ChurnModel.estimate_performance(): this bundle (format 1.0) "
                                 "has no performance reference; retrain it")
        if isinstance(chunks, str):
            names = customers.column_names if isinstance(customers, _core.Table) else \
                list(getattr(customers, "columns", []))
            if chunks not in names:
                raise InvalidArgument(f"ChurnModel.estimate_performance(): no column {chunks!r} "
                                      "in customers")
            column = customers.to_pandas()[chunks] if isinstance(customers, _core.Table) else \
                customers[chunks]
            chunks = np.asarray(column)
        p = self.predict_proba(customers, events, as_of)[:, 1]
        return ref.estimate(p, chunks=len(p) if chunks is None else chunks)

    @property
    def feature_importance_(self):
        import pandas as pd

        d = self._fitted("feature_importance_").feature_importance
        s = pd.Series(d, dtype="float64", name="importance")
        s.index.name = "feature"
        return s.sort_values(ascending=False, kind="stable")

    @property
    def baseline_(self):
        from .monitor import Baseline

        return Baseline._from_core(self._fitted("baseline_").baseline)

    @property
    def calibrator_(self):
        """The calibrator as a dict (its JSON), or None."""
        text = self._fitted("calibrator_").calibrator_json
        return None if text is None else parse_json(text, "ChurnModel.calibrator_ JSON")

    def __repr__(self):
        if self._core is None:
            return "ChurnModel(<empty>)"
        holdout = self.report_.get("holdout", {})
        auc = holdout.get("roc_auc")
        auc_text = f", hold-out AUC {auc:.4f}" if isinstance(auc, float) else ""
        return f"ChurnModel(kind={self.kind_!r}, threshold={self.threshold_:.4g}{auc_text})"

    # ---- persistence --------------------------------------------------------------------
    def to_json(self):
        """The bundle as JSON text (C++ reads the same)."""
        return self._fitted("to_json()").to_json()

    def save(self, path):
        """Writes the bundle to ``path`` atomically (temporary file + rename)."""
        self._fitted("save()").save(os.fspath(path))

    @classmethod
    def from_json(cls, text):
        """A model from :meth:`to_json` text.

        Raises
        ------
        SerializationError
            For a damaged document, another kind, or a bundle of a newer major version.
        """
        if isinstance(text, bytes):
            text = text.decode("utf-8")
        if not isinstance(text, str):
            raise TypeMismatch(f"ChurnModel.from_json(): expected JSON text, got "
                               f"{type(text).__name__}")
        return cls._from_core(_mo.ChurnModel.from_json(text))

    @classmethod
    def load(cls, path):
        """A model from a file written by :meth:`save` (or by C++)."""
        return cls._from_core(_mo.ChurnModel.load(os.fspath(path)))

    def __getstate__(self):
        # the JSON document, zlib-compressed (about 2.8x smaller: bundles travel to Spark and
        # Dask workers as pickles)
        if self._core is None:
            return {"json": None}
        return {"json_zlib": zlib.compress(self._core.to_json().encode("utf-8"), 6)}

    def __setstate__(self, state):
        if "json_zlib" in state:
            text = _inflate(state["json_zlib"], "ChurnModel")
        else:  # pickles of churnlib <= 0.1.0 hold the text
            text = state["json"]
        self._core = None if text is None else _mo.ChurnModel.from_json(text)


def _inflate(blob, what):
    """The text of a compressed pickle state (SerializationError when damaged)."""
    from .errors import SerializationError

    try:
        return zlib.decompress(blob).decode("utf-8")
    except (zlib.error, TypeError, UnicodeDecodeError) as e:
        raise SerializationError(f"{what}: the pickled model is damaged ({e})") from None


def _label_text(label):
    """A label as the C++ side writes it (1, 1.0 and np.int64(1) -> "1"; True -> "true")."""
    if isinstance(label, (bool, np.bool_)):
        return "true" if label else "false"
    if isinstance(label, numbers.Integral):
        return str(int(label))
    if isinstance(label, numbers.Real) and float(label).is_integer():
        return str(int(label))
    return str(label)


def _progress_callback(verbose, callback):
    if not verbose and callback is None:
        return None

    def hook(env):
        if verbose:
            print(f"[train_churn_model] {env['message']}", flush=True)
        return bool(callback(env)) if callback is not None else False

    return hook


def train_churn_model(customers, target, events=None, as_of=None,
                      candidates=("logistic", "random_forest", "gbdt"), split="stratified", cv=5,
                      metric="roc_auc", threshold="f1", calibration="auto", time_budget=None,
                      seed=0, *, pos_label=None, id_column=None, time_column=None, test_size=0.2,
                      value_retained=1.0, offer_cost=0.1, success_rate=1.0, pipeline=None,
                      tags=None, n_jobs=None, verbose=0, callback=None):
    """Trains, compares, calibrates and packs a churn model in one call.

    1. The customers are split into training rows and a hold-out (``test_size``; stratified
       by the target, or the latest rows by ``time_column`` with ``split="time"``).
    2. Each candidate gets a feature pipeline inferred from the column types (``pipeline``
       replaces it for all): the logistic regression imputes numbers with the median (plus a
       missing indicator where the training rows have gaps), standardises them and one-hot
       encodes categories; the trees take numbers and categories as they are. Identifier
       columns (text with a distinct value per row) and timestamps are not features.
    3. Each candidate is cross-validated (``cv`` folds) with the pipeline refitted inside each
       fold; the best mean ``metric`` wins.
    4. The winner is refitted on the training rows; its out-of-fold scores fit the calibrator
       (``"auto"``: none, sigmoid or isotonic by the lowest Brier score in a 2-fold cross-fit)
       and choose the threshold (``"f1"`` or ``"profit"``).
    5. The hold-out gives the report's hold-out metrics of exactly the model returned; the
       training rows give the drift baseline of the raw features and of the score.

    Parameters
    ----------
    customers : DataFrame (pandas/polars), pyarrow Table or churnlib.Table
        One row per customer: the target and the raw features (an id and a time column may be
        present).
    target : str
        The target column: 0/1 or two labels of any type ("Yes"/"No").
    events : frame, optional
        An event log aggregated point-in-time and joined on ``customer_id`` (needs ``as_of``):
        counts per event type, amounts, active days, trends and recency over 7/30/90 days, as
        features named ``ev_<feature>``.
    as_of : datetime-like, optional
        The snapshot date of the event aggregation.
    candidates : sequence of str
        Among "logistic", "random_forest", "gbdt".
    split : {"stratified", "time"}
    cv : int, default 5
    metric : {"roc_auc", "average_precision", "log_loss", "profit"}
    threshold : {"f1", "profit"}
    calibration : {"auto", "isotonic", "sigmoid", None}
    time_budget : float, optional
        Seconds for a successive-halving search of the GBDT's main parameters.
    seed : int, default 0
    pos_label : optional
        The label that means churn (default: the larger of the two sorted labels).
    id_column, time_column : str, optional
    test_size : float, default 0.2
    value_retained, offer_cost, success_rate : float
        The profit model of ``metric="profit"`` and ``threshold="profit"``.
    pipeline : FeaturePipeline, optional
        An unfitted pipeline used for every candidate instead of the inferred ones.
    tags : dict, optional
        Free-form tags stored in the bundle.
    n_jobs : int, optional
        Threads (None or -1: all cores).
    verbose : int, default 0
        1 prints one line per step (split, each fold, refit, calibration, hold-out).
    callback : callable, optional
        ``callback(env)`` after each step with a dict (stage, candidate, fold, n_folds,
        message); returning True stops training (Interrupted).

    Returns
    -------
    ChurnModel
        Its ``comparison_`` is the comparison table and ``report_`` the full report.
    """
    if not isinstance(target, str):
        raise TypeMismatch(f"train_churn_model(): target must be a column name, got "
                           f"{type(target).__name__}")
    if isinstance(candidates, str):
        candidates = [candidates]
    options = {
        "target": target, "candidates": list(candidates), "split": split, "cv": cv,
        "metric": metric, "threshold": threshold,
        "calibration": "none" if calibration is None else calibration,
        "time_budget": 0.0 if time_budget is None else time_budget, "seed": seed,
        "test_size": test_size, "value_retained": value_retained, "offer_cost": offer_cost,
        "success_rate": success_rate,
        "n_threads": 0 if n_jobs is None or n_jobs == -1 else n_jobs,
    }
    if n_jobs is not None and n_jobs != -1 and (not isinstance(n_jobs, int) or n_jobs < 1):
        raise InvalidArgument(f"train_churn_model(): n_jobs must be None, -1 or >= 1, got "
                              f"{n_jobs!r}")
    if pos_label is not None:
        options["pos_label"] = _label_text(pos_label)
    for key, value in (("id_column", id_column), ("time_column", time_column)):
        if value is not None:
            options[key] = value
    core_pipeline = None
    if pipeline is not None:
        from .features import FeaturePipeline

        if not isinstance(pipeline, FeaturePipeline):
            raise TypeMismatch("train_churn_model(): pipeline must be a FeaturePipeline, got "
                               f"{type(pipeline).__name__}")
        core_pipeline = pipeline._build()
    core = _mo.train_churn_model(customers, options, events, as_of, core_pipeline,
                                 _progress_callback(verbose, callback))
    if tags:
        core.set_tags(dict(tags))
    return ChurnModel._from_core(core)
