"""churnlib: customer-churn analytics with a C++ core.

Data (:mod:`churnlib.data`)
---------------------------
Table (from_pandas/from_arrow, to_pandas/to_arrow), read_csv, read_csv_chunks, parse_csv,
write_csv, to_csv_string, read_parquet, write_parquet (pyarrow), Schema, ColumnSpec,
describe, make_customers, make_events.

Features
--------
EventAggregator: point-in-time aggregation of an event log.
FeaturePipeline: a fitted, replayable, saveable chain of column transformers (+ event join).

Models
------
LogisticRegression, GBDTClassifier and RandomForestClassifier (scikit-learn compatible);
evaluation in
:mod:`churnlib.metrics`.

The churn model
---------------
:mod:`churnlib.model`: train_churn_model (compare candidates, calibrate, tune the threshold,
pack everything into one file) and ChurnModel (score, explain, check drift; read by C++ too).

Monitoring
----------
:mod:`churnlib.monitor`: PSI, KS, Jensen-Shannon, Baseline (mergeable, saved as JSON) and
DriftReport (statuses, alerts, performance per window, PSI chart).

Segmentation
------------
KMeans (scikit-learn compatible); silhouette, sweep over k and segment profiles in
:mod:`churnlib.segment`.

Plots
-----
:mod:`churnlib.plot`: the report's charts (ROC, precision-recall, lift, cumulative gains,
calibration, feature importance, SHAP summary and waterfall, PSI, segment profiles, revenue at
risk); matplotlib is optional and imported when a chart is drawn.

Report
------
report(): the monthly churn report, one self-contained HTML file (charts embedded) and a KPI
JSON for dashboards (:mod:`churnlib.reporting`).

Model registry
--------------
ModelRegistry: a folder of versioned model bundles (register, load, list, stages), safe for
several processes writing at once.

Errors
------
Error and its subclasses (see :mod:`churnlib.errors`), each also a ValueError/TypeError/OSError.

Examples
--------
>>> import churnlib as cl
>>> t = cl.make_customers(1000, seed=1)
>>> df = t.to_pandas()
>>> cl.describe(t).loc["tenure_months", "mean"]  # doctest: +SKIP
"""

from . import _core, _signatures

# inspect.signature() works on the compiled functions and methods (pybind11 gives them none)
for _namespace in (_core, _core._metrics, _core._monitor, _core._segment, _core._retention,
                   _core._model):
    _signatures.attach(vars(_namespace))
del _namespace


def _validation_report_html(self):
    """Notebook display of a ValidationReport: the verdict and one row per violation."""
    import html

    head = f"<p><b>{html.escape(self.to_string().splitlines()[0] if self.to_string() else '')}</b></p>"
    return f"<div>{head}{self.to_pandas()._repr_html_()}</div>"


_core.ValidationReport._repr_html_ = _validation_report_html

from . import errors
from . import data
from ._core import __version__, has_openmp
from .data import (  # the data names, re-exported from churnlib.data
    ColumnSpec,
    CsvChunkReader,
    Schema,
    Table,
    ValidationReport,
    Violation,
    customer_id,
    describe,
    describe_string,
    make_customers,
    make_events,
    parse_csv,
    read_csv,
    read_csv_chunks,
    read_parquet,
    to_csv_string,
    write_csv,
    write_parquet,
)
from .errors import (
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

# The other submodules (and the names they define) are imported when first used, as SciPy and
# scikit-image do: `import churnlib` and the `churn` command line then start without
# scikit-learn, SciPy or pandas (about 2 s less start-up for a scoring job); `cl.tree`,
# `cl.GBDTClassifier` and `from churnlib import GBDTClassifier` work as before.
_SUBMODULES = ("features", "metrics", "model", "monitor", "plot", "reporting", "retention",
               "segment", "linear", "tree", "spark", "dask")
_LAZY_NAMES = {
    "ConvergenceWarning": "linear",
    "LogisticRegression": "linear",
    "EventAggregator": "features",
    "FeaturePipeline": "features",
    "KMeans": "segment",
    "GBDTClassifier": "tree",
    "RandomForestClassifier": "tree",
    "ChurnModel": "model",
    "train_churn_model": "model",
    "ModelRegistry": "_registry",
    "ChurnReport": "reporting",
    "report": "reporting",
}


def __getattr__(name):
    import importlib

    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    where = _LAZY_NAMES.get(name)
    if where is None:
        raise AttributeError(f"module 'churnlib' has no attribute '{name}'")
    value = getattr(importlib.import_module(f".{where}", __name__), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))


from typing import TYPE_CHECKING  # noqa: E402

if TYPE_CHECKING:  # what type checkers and IDEs see (the same names, imported eagerly)
    from . import features, linear, metrics, model, monitor, plot, reporting, retention  # noqa
    from . import segment, tree  # noqa: F401
    from ._registry import ModelRegistry  # noqa: F401
    from .features import EventAggregator, FeaturePipeline  # noqa: F401
    from .linear import ConvergenceWarning, LogisticRegression  # noqa: F401
    from .model import ChurnModel, train_churn_model  # noqa: F401
    from .reporting import ChurnReport, report  # noqa: F401
    from .segment import KMeans  # noqa: F401
    from .tree import GBDTClassifier, RandomForestClassifier  # noqa: F401
del TYPE_CHECKING

__all__ = [
    "__version__",
    "has_openmp",
    # errors
    "errors",
    "Error",
    "InvalidArgument",
    "TypeMismatch",
    "NotFittedError",
    "SchemaError",
    "ParseError",
    "SerializationError",
    "IOError",
    "Interrupted",
    # data
    "data",
    "Table",
    "read_csv",
    "read_csv_chunks",
    "CsvChunkReader",
    "parse_csv",
    "write_csv",
    "read_parquet",
    "write_parquet",
    "to_csv_string",
    "Schema",
    "ColumnSpec",
    "ValidationReport",
    "Violation",
    "describe",
    "describe_string",
    "make_customers",
    "make_events",
    "customer_id",
    # features
    "features",
    "EventAggregator",
    "FeaturePipeline",
    # evaluation
    "metrics",
    "monitor",
    "segment",
    "retention",
    "KMeans",
    # charts
    "plot",
    # linear models
    "linear",
    "LogisticRegression",
    "ConvergenceWarning",
    # gradient-boosted trees
    "tree",
    "GBDTClassifier",
    "RandomForestClassifier",
    # the deployable churn model
    "model",
    "ChurnModel",
    "train_churn_model",
    # model registry
    "ModelRegistry",
    # the monthly report
    "reporting",
    "report",
    "ChurnReport",
]
