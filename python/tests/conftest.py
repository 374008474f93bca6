"""Shared fixtures of churnlib's Python tests."""

import pathlib

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def telco_path():
    """The IBM Telco customer-churn CSV (7043 rows, 21 columns)."""
    for p in (REPO / "tests" / "testdata" / "telco_churn.csv",
              REPO.parent / "shared" / "data" / "telco_churn.csv"):
        if p.exists():
            return p
    pytest.skip("telco_churn.csv not found")
