"""Dataframes in and out (private): recognising pandas, polars, pyarrow and any object with the
Arrow PyCapsule interface, and turning them into what churnlib's code paths take.

Every conversion of a non-pandas frame goes through :meth:`churnlib.Table.from_arrow`, which
reads the Arrow buffers in C++ (no Python object per value; float64 columns without nulls and
dictionary codes borrowed without a copy). pyarrow is needed only for Parquet and
``Table.to_arrow``; polars frames are read without it.
"""

import os

from . import _core
from ._atomic import write_atomically
from .errors import IOError as ChurnIOError, TypeMismatch

__all__ = [
    "is_pandas_frame", "is_arrow_frame", "to_table", "as_table_or_pandas", "as_pandas",
    "require_pyarrow", "table_to_arrow", "read_parquet", "write_parquet",
]


def _root_module(x):
    return type(x).__module__.split(".", 1)[0]


def is_pandas_frame(x):
    """True for a pandas.DataFrame."""
    return type(x).__name__ == "DataFrame" and _root_module(x) == "pandas"


def is_arrow_frame(x):
    """True for a table-like object read through the Arrow PyCapsule interface: a polars
    DataFrame, a pyarrow Table/RecordBatch/RecordBatchReader, or any other object with
    ``__arrow_c_stream__``/``__arrow_c_array__`` that is not a pandas object, a churnlib
    Table, a numpy array or a one-column series."""
    if isinstance(x, _core.Table) or _root_module(x) in ("pandas", "numpy"):
        return False
    if type(x).__name__ in ("Series", "Array", "ChunkedArray"):
        return False
    if type(x).__name__ == "LazyFrame" and _root_module(x) == "polars":
        raise TypeMismatch("a polars LazyFrame cannot be read as a table: call .collect() first")
    return hasattr(x, "__arrow_c_stream__") or hasattr(x, "__arrow_c_array__")


def to_table(x, *, strings="string"):
    """A churnlib Table from a Table (as is), a pandas DataFrame or an Arrow frame; anything
    else is returned unchanged for the caller to reject with its own message."""
    if isinstance(x, _core.Table):
        return x
    if is_pandas_frame(x):
        return _core.Table.from_pandas(x)
    if is_arrow_frame(x):
        return _core.Table.from_arrow(x, strings=strings)
    return x


def categorical_from_codes(codes, categories, ordered=False):
    """``pandas.Categorical.from_codes`` of codes the core made (in range, -1 = missing): not
    checked again where pandas allows it (``validate=False``, pandas >= 2.1)."""
    import pandas as pd

    try:
        return pd.Categorical.from_codes(codes, categories=categories, ordered=ordered,
                                         validate=False)
    except TypeError:  # pandas < 2.1 has no validate
        return pd.Categorical.from_codes(codes, categories=categories, ordered=ordered)


def as_table_or_pandas(x):
    """``x`` unchanged unless it is an Arrow frame (polars, pyarrow, ...), which becomes a
    churnlib Table: for the code paths that take "a pandas.DataFrame or churnlib.Table"."""
    return _core.Table.from_arrow(x) if is_arrow_frame(x) else x


def as_pandas(x):
    """For the estimators: ``x`` unchanged unless it is an Arrow frame, which becomes the pandas
    DataFrame a pandas user would pass: float64 columns without nulls without a copy
    (read-only), integers/bools as int64 (nullable ``Int64`` when they have nulls), dictionary
    and text columns as ``category`` (text categories sorted, as ``astype("category")``),
    timestamps as ``datetime64[ns]``."""
    if not is_arrow_frame(x):
        return x
    table = _core.Table.from_arrow(x)
    df = table.to_pandas()
    for name, dtype in table.dtypes.items():
        if dtype == "string":
            df[name] = df[name].astype("category")
    return df


def require_pyarrow(what):
    """The pyarrow module, or an ImportError naming it and how to install it."""
    try:
        import pyarrow
    except ImportError:
        raise ImportError(f"{what} needs pyarrow, an optional dependency of churnlib "
                          "(pip install pyarrow)") from None
    return pyarrow


def table_to_arrow(table):
    """Table.to_arrow(): a pyarrow.Table of the table's columns (see its docstring)."""
    pa = require_pyarrow("Table.to_arrow()")
    if table.num_columns == 0:
        return pa.table({})
    out = pa.Table.from_pandas(table.to_pandas(), preserve_index=False)
    return out.replace_schema_metadata(None)


_PARQUET_TYPES = {"float64": "float64", "int64": "int64", "string": "large_string"}


def _apply_schema_types(pa, tbl, schema):
    """Casts the Arrow columns to the types ``schema`` asks for (text -> dictionary for
    category columns), so that ``Schema.enforce`` sees the contract's types."""
    for i, name in enumerate(tbl.column_names):
        if name not in schema:
            continue
        want = schema.column(name).dtype
        col = tbl.column(i)
        if want == "category":
            if not pa.types.is_dictionary(col.type):
                col = col.dictionary_encode()
        elif want == "timestamp":
            if pa.types.is_date(col.type) or pa.types.is_timestamp(col.type):
                col = col.cast(pa.timestamp("ns", tz=getattr(col.type, "tz", None)))
        elif want in _PARQUET_TYPES:
            col = col.cast(getattr(pa, _PARQUET_TYPES[want])())
        tbl = tbl.set_column(i, name, col)
    return tbl


def read_parquet(path, columns=None, schema=None):
    """Reads a Parquet file into a Table (through pyarrow, an optional dependency).

    Parameters
    ----------
    path : str or os.PathLike
    columns : list of str, optional
        Only these columns (in this order).
    schema : Schema, optional
        Columns are cast to the schema's types, and the table is validated against it.

    Returns
    -------
    Table
        Types as :meth:`Table.from_arrow` reads them (text -> string, dictionary -> category).

    Raises
    ------
    ImportError
        If pyarrow is not installed.
    IOError
        If the file cannot be read.
    SchemaError
        If the data breaks ``schema``.
    """
    pa = require_pyarrow("read_parquet()")
    import pyarrow.parquet as pq

    p = os.fspath(path)
    if columns is not None:
        columns = [columns] if isinstance(columns, str) else list(columns)
    try:
        tbl = pq.read_table(p, columns=columns)
    except (OSError, pa.ArrowException) as e:
        raise ChurnIOError(f"read_parquet(): cannot read '{p}': {e}") from None
    if columns is not None:
        tbl = tbl.select(columns)
    if schema is not None:
        tbl = _apply_schema_types(pa, tbl, schema)
    table = _core.Table.from_arrow(tbl)
    if schema is not None:
        schema.enforce(table)
    return table


def write_parquet(data, path):
    """Writes a Table or a DataFrame (pandas, polars, pyarrow) as Parquet, through pyarrow.

    The data goes through a churnlib Table first (so a file holds what ``read_parquet`` gives
    back), and the file is written atomically (``churnlib._atomic``: never a partial file,
    an existing file keeps its permissions, a symbolic link is followed and the file it points
    to replaced, a FIFO or device is refused), so on failure the target is left untouched.

    Parameters
    ----------
    data : Table, pandas.DataFrame, polars.DataFrame or pyarrow.Table
    path : str or os.PathLike

    Raises
    ------
    ImportError
        If pyarrow is not installed.
    TypeMismatch
        If ``data`` is not a table.
    IOError
        If the file cannot be written.
    """
    pa = require_pyarrow("write_parquet()")
    import pyarrow.parquet as pq

    table = to_table(data)
    if not isinstance(table, _core.Table):
        raise TypeMismatch("write_parquet(): expected a churnlib.Table or a pandas, polars or "
                           f"pyarrow table, got {type(data).__name__}")
    p = os.fspath(path)
    if not isinstance(p, str):
        p = os.fsdecode(p)
    arrow = table.to_arrow()
    try:
        write_atomically(p, lambda f: pq.write_table(arrow, f), "write_parquet()")
    except pa.ArrowException as e:  # (pyarrow's OSErrors are IOErrors already)
        raise ChurnIOError(f"write_parquet(): cannot write '{p}': {e}") from None
