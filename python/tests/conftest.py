"""Shared fixtures of churnlib's Python tests."""

import os
import pathlib

import pytest

# scikit-learn's estimator checks (test_sklearn_compat.py) run their array-API check with the
# numpy namespace only when SciPy's array-API mode is on; it must be set before SciPy loads.
os.environ.setdefault("SCIPY_ARRAY_API", "1")

REPO = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def telco_path():
    """The IBM Telco customer-churn CSV (7043 rows, 21 columns)."""
    for p in (REPO / "tests" / "testdata" / "telco_churn.csv",
              REPO.parent / "shared" / "data" / "telco_churn.csv"):
        if p.exists():
            return p
    pytest.skip("telco_churn.csv not found")
