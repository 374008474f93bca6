"""Data: typed columnar tables, CSV and Parquet, the data contract, summaries and synthetic data.

The Python face of ``churn::data`` (``include/churn/data/``). The package's top level re-exports
every name here (``cl.Table`` is ``cl.data.Table``).

Examples
--------
>>> import churnlib as cl
>>> t = cl.data.make_customers(100, seed=1)
>>> t.num_rows
100
"""

from ._core import (
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
    to_csv_string,
    write_csv,
)
from ._frames import read_parquet, write_parquet

__all__ = [
    "Table",
    "read_csv",
    "read_csv_chunks",
    "CsvChunkReader",
    "parse_csv",
    "write_csv",
    "to_csv_string",
    "read_parquet",
    "write_parquet",
    "Schema",
    "ColumnSpec",
    "ValidationReport",
    "Violation",
    "describe",
    "describe_string",
    "make_customers",
    "make_events",
    "customer_id",
]
