"""Dataframes in and out: Table.from_arrow / to_arrow (the Arrow C data interface), Parquet,
write_csv's extension check, and polars / pyarrow frames in every estimator (issue 14)."""

import ctypes
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest

import churnlib as cl

pa = pytest.importorskip("pyarrow")
pl = pytest.importorskip("polars")  # a test dependency (scripts/setup.sh installs it)

AS_OF = "2024-06-30"


def col(t, name):
    """A column of a Table as pandas gives it (the reference form of the comparisons)."""
    return t.to_pandas()[name]


def assert_same_values(t, name, ref):
    """Table column `name` equals the pandas Series `ref` value by value (missing = missing)."""
    got = col(t, name)
    ref = pd.Series(ref).reset_index(drop=True)
    assert len(got) == len(ref)
    assert list(got.isna()) == list(ref.isna())
    keep = ~ref.isna().to_numpy()
    np.testing.assert_array_equal(np.asarray(got[keep].astype(object)),
                                  np.asarray(ref[keep].astype(object)))


# ---- types -------------------------------------------------------------------------------------

def test_float64_without_nulls_is_borrowed():
    arr = pa.array(np.linspace(0.0, 1.0, 1001))
    tbl = pa.table({"x": arr})
    t = cl.Table.from_arrow(tbl)
    assert t.dtypes == {"x": "float64"}
    x = t["x"]
    assert np.shares_memory(x, arr.to_numpy(zero_copy_only=True))
    np.testing.assert_array_equal(x, arr.to_numpy())
    del tbl, arr
    np.testing.assert_array_equal(t["x"], np.linspace(0.0, 1.0, 1001))  # kept alive by the Table


def test_float_nulls_become_nan_and_float32_widens():
    x = pa.array([1.5, None, float("nan"), -0.0, 3.25], type=pa.float64())
    f = pa.array([1.5, None, 2.5, float("inf"), None], type=pa.float32())
    t = cl.Table.from_arrow(pa.table({"x": x, "f": f}))
    assert t.dtypes == {"x": "float64", "f": "float64"}
    np.testing.assert_array_equal(t["x"], x.to_numpy(zero_copy_only=False))
    np.testing.assert_array_equal(t["f"], f.to_numpy(zero_copy_only=False).astype(np.float64))
    assert not np.shares_memory(t["x"], x.buffers()[1])  # nulls: a copy with NaN


@pytest.mark.parametrize("typ", [pa.int8(), pa.int16(), pa.int32(), pa.int64(), pa.uint8(),
                                 pa.uint16(), pa.uint32(), pa.uint64()])
def test_integers_become_int64_with_missing_values(typ):
    info = np.iinfo(typ.to_pandas_dtype())
    values = [0, 1, None, int(info.max), int(info.min), None, 7]
    if typ == pa.uint64():
        values[3] = int(np.iinfo(np.int64).max)
    arr = pa.array(values, type=typ)
    t = cl.Table.from_arrow(pa.table({"i": arr}))
    assert t.dtypes == {"i": "int64"}
    assert t.null_count("i") == arr.null_count
    assert_same_values(t, "i", arr.to_pandas(types_mapper=pd.ArrowDtype))
    full = pa.array([v for v in values if v is not None], type=typ)
    t2 = cl.Table.from_arrow(pa.table({"i": full}))
    np.testing.assert_array_equal(t2["i"], full.to_numpy().astype(np.int64))


def test_uint64_beyond_int64_is_refused():
    arr = pa.array([1, 2**63 + 5], type=pa.uint64())
    with pytest.raises(cl.InvalidArgument, match="uint64 value"):
        cl.Table.from_arrow(pa.table({"u": arr}))


def test_bool_becomes_int64():
    arr = pa.array([True, False, None, True, True, False, None, False, True], type=pa.bool_())
    t = cl.Table.from_arrow(pa.table({"b": arr}))
    assert t.dtypes == {"b": "int64"} and t.null_count("b") == 2
    ref = pd.Series([None if v is None else int(v) for v in arr.to_pylist()], dtype="Int64")
    assert_same_values(t, "b", ref)
    # the same as from_pandas makes of a bool column
    plain = pa.array([True, False, True])
    np.testing.assert_array_equal(cl.Table.from_arrow(pa.table({"b": plain}))["b"],
                                  cl.Table.from_pandas(pd.DataFrame({"b": [True, False, True]}))["b"])


TEXT = ["alpha", None, "", "émoji 🎉", "a string longer than twelve bytes", "alpha", None, "b"]


@pytest.mark.parametrize("typ", [pa.string(), pa.large_string(), pa.string_view()])
def test_text_becomes_string_like_from_pandas(typ):
    arr = pa.array(TEXT, type=typ)
    t = cl.Table.from_arrow(pa.table({"s": arr}))
    ref = cl.Table.from_pandas(pd.DataFrame({"s": pd.Series(TEXT, dtype=object)}))
    assert t.dtypes == ref.dtypes == {"s": "string"}
    assert t.null_count("s") == 2
    assert list(t["s"]) == list(ref["s"]) == [None if v is None else v for v in TEXT]


@pytest.mark.parametrize("typ", [pa.string(), pa.large_string(), pa.string_view()])
def test_text_as_category_in_order_of_appearance(typ):
    values = TEXT * 3 + [f"id{i % 1500}" for i in range(5000)]  # the encoder's table grows
    arr = pa.array(values, type=typ)
    t = cl.Table.from_arrow(pa.table({"s": arr}), strings="category")
    codes, uniques = pd.factorize(pd.Series(values, dtype=object))
    assert t.dtypes == {"s": "category"}
    assert list(t.categories("s")) == list(uniques)
    np.testing.assert_array_equal(t["s"], codes)
    # from_pandas gives the same, from the Arrow buffers or from Python objects
    for dtype in ("str", object):
        tp = cl.Table.from_pandas(pd.DataFrame({"s": pd.Series(values, dtype=dtype)}),
                                  strings="category")
        assert list(tp.categories("s")) == list(uniques)
        np.testing.assert_array_equal(tp["s"], codes)
    with pytest.raises(cl.InvalidArgument, match="strings"):
        cl.Table.from_arrow(pa.table({"s": arr}), strings="text")


def test_text_as_category_large_and_chunked():
    # enough rows for the encoder to split them into parts (merged in order of appearance)
    rng = np.random.default_rng(5)
    words = np.array([f"C{i:08d}" for i in range(50_000)] + ["a longer key of more than 16 bytes"],
                     dtype=object)
    values = words[rng.integers(0, len(words), 700_000)]
    mask = rng.random(len(values)) < 0.05
    arr = pa.array(values, mask=mask)
    chunked = pa.chunked_array([arr.slice(0, 123_457), arr.slice(123_457, 400_000),
                                arr.slice(523_457)])
    t = cl.Table.from_arrow(pa.table({"s": chunked}), strings="category")
    ref = pd.Series(np.where(mask, None, values), dtype=object)
    codes, uniques = pd.factorize(ref)
    assert list(t.categories("s")) == list(uniques)
    np.testing.assert_array_equal(t["s"], codes)


@pytest.mark.parametrize("index", [pa.int8(), pa.int16(), pa.int32(), pa.int64(), pa.uint8(),
                                   pa.uint32()])
@pytest.mark.parametrize("value", [pa.string(), pa.large_string(), pa.string_view()])
def test_dictionary_becomes_category(index, value):
    dictionary = pa.array(["x", "yy", "zzz-longer-than-12-bytes", "w"], type=value)
    codes = pa.array([0, 1, None, 3, 2, 0, None, 1, 1, 3], type=index)
    arr = pa.DictionaryArray.from_arrays(codes, dictionary)
    t = cl.Table.from_arrow(pa.table({"c": arr}))
    assert t.dtypes == {"c": "category"}
    assert list(t.categories("c")) == dictionary.to_pylist()
    want = [-1 if v is None else v for v in codes.to_pylist()]
    np.testing.assert_array_equal(t["c"], np.array(want, dtype=np.int32))
    assert t.null_count("c") == 2


def test_dictionary_codes_are_borrowed():
    codes = pa.array(np.arange(1000, dtype=np.int32) % 7)
    arr = pa.DictionaryArray.from_arrays(codes, pa.array([f"v{i}" for i in range(7)]))
    t = cl.Table.from_arrow(pa.table({"c": arr}))
    assert np.shares_memory(t["c"], codes.to_numpy(zero_copy_only=True))


def test_dictionary_chunks_with_different_dictionaries_are_merged():
    a = pa.DictionaryArray.from_arrays(pa.array([0, 1, 0], pa.int8()), pa.array(["b", "a"]))
    b = pa.DictionaryArray.from_arrays(pa.array([1, None, 0], pa.int8()), pa.array(["c", "b"]))
    t = cl.Table.from_arrow(pa.table({"c": pa.chunked_array([a, b])}))
    assert list(t.categories("c")) == ["b", "a", "c"]
    assert list(col(t, "c").astype(object).where(col(t, "c").notna(), None)) == \
        ["b", "a", "b", "b", None, "c"]


def test_dictionary_with_a_null_or_repeated_value_is_recoded():
    arr = pa.DictionaryArray.from_arrays(pa.array([0, 1, 2, 3], pa.int32()),
                                         pa.array(["a", None, "b", "a"]))
    t = cl.Table.from_arrow(pa.table({"c": arr}))
    assert list(t.categories("c")) == ["a", "b"]
    np.testing.assert_array_equal(t["c"], [0, -1, 1, 0])


@pytest.mark.parametrize("unit", ["s", "ms", "us", "ns"])
@pytest.mark.parametrize("tz", [None, "UTC", "Europe/Paris", "America/New_York"])
def test_timestamps_become_utc_nanoseconds(unit, tz):
    base = pd.Series(pd.to_datetime(["2024-01-31 23:59:58", None, "1970-01-01 00:00:00",
                                     "2262-01-01 10:00:01", "1900-07-14 12:00:00"]))
    arr = pa.array(base, type=pa.timestamp(unit))
    if tz is not None:
        arr = arr.cast(pa.timestamp(unit, tz=tz))
    t = cl.Table.from_arrow(pa.table({"t": arr}))
    assert t.dtypes == {"t": "timestamp"}
    ref = arr.to_pandas()
    if tz is not None:
        ref = ref.dt.tz_convert("UTC").dt.tz_localize(None)
    assert_same_values(t, "t", ref.astype("datetime64[ns]"))
    # the same as from_pandas of the pandas column
    frm = cl.Table.from_pandas(pd.DataFrame({"t": arr.to_pandas()}))
    np.testing.assert_array_equal(t["t"], frm["t"])


def test_dates_become_midnight_timestamps():
    d = pa.array([pd.Timestamp("2024-02-29").date(), None, pd.Timestamp("1969-12-31").date()],
                 type=pa.date32())
    t = cl.Table.from_arrow(pa.table({"d": d, "d64": d.cast(pa.date64())}))
    ref = pd.to_datetime(pd.Series(d.to_pylist()))
    assert_same_values(t, "d", ref)
    assert_same_values(t, "d64", ref)


def test_timestamp_overflowing_nanoseconds_is_refused():
    arr = pa.array([0, 10**15], type=pa.timestamp("s"))
    with pytest.raises(cl.InvalidArgument, match="nanoseconds"):
        cl.Table.from_arrow(pa.table({"t": arr}))


# ---- tables: chunks, slices, empty, sources --------------------------------------------------

def mixed_table(n=257, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    mask = rng.random(n) < 0.2
    words = np.array(["red", "green", "blue", "a rather long colour name"], dtype=object)
    s = words[rng.integers(0, 4, n)]
    return pa.table({
        "x": pa.array(x),
        "xn": pa.array(x, mask=mask),
        "i": pa.array(rng.integers(-50, 50, n), mask=mask),
        "b": pa.array(rng.random(n) < 0.5, mask=mask),
        "s": pa.array(s, mask=mask),
        "ls": pa.array(s, type=pa.large_string()),
        "c": pa.array(s, mask=mask).dictionary_encode(),
        "t": pa.array(rng.integers(0, 2 * 10**18, n), type=pa.timestamp("ns", tz="UTC"),
                      mask=mask),
    })


def assert_tables_equal(a, b, category_order=True):
    """Equal names, types and values; without `category_order`, categorical columns compare
    by their labels (CSV re-derives the categories in order of appearance)."""
    assert a.column_names == b.column_names and a.dtypes == b.dtypes
    da, db = a.to_pandas(), b.to_pandas()
    if not category_order:
        for name, dtype in a.dtypes.items():
            if dtype == "category":
                da[name], db[name] = da[name].astype(object), db[name].astype(object)
    pd.testing.assert_frame_equal(da, db)


def reference_table(tbl):
    """What from_pandas makes of pyarrow's own pandas conversion (category as category)."""
    df = tbl.to_pandas()
    for name in df.columns:
        if pa.types.is_boolean(tbl.schema.field(name).type):
            df[name] = df[name].astype("boolean")
        elif pa.types.is_integer(tbl.schema.field(name).type):
            df[name] = df[name].astype("Int64")
    return cl.Table.from_pandas(df)


def test_mixed_table_matches_pandas_reference():
    tbl = mixed_table()
    assert_tables_equal(cl.Table.from_arrow(tbl), reference_table(tbl))


def test_multi_chunk_columns_are_concatenated():
    tbl = pa.concat_tables([mixed_table(100, 1), mixed_table(1, 2).slice(0, 0),
                            mixed_table(77, 3)])
    assert tbl.column("x").num_chunks == 3
    t = cl.Table.from_arrow(tbl)
    assert_tables_equal(t, cl.Table.from_arrow(tbl.combine_chunks()))
    assert_tables_equal(t, reference_table(tbl))


@pytest.mark.parametrize("offset,length", [(3, 50), (1, 0), (13, 200), (0, 257)])
def test_sliced_arrays_respect_their_offsets(offset, length):
    tbl = mixed_table()
    part = tbl.slice(offset, length)
    t = cl.Table.from_arrow(part)
    assert t.num_rows == length
    if length == 0:  # no batch, so no dictionary: the categories cannot be known
        assert t.dtypes == reference_table(part).dtypes
        return
    assert_tables_equal(t, reference_table(part))
    # a sliced column inside an unsliced batch (offset on the child, not on the struct)
    sliced_col = pa.table({"x": tbl.column("xn").combine_chunks().slice(offset, length),
                           "s": tbl.column("s").combine_chunks().slice(offset, length)})
    assert_tables_equal(cl.Table.from_arrow(sliced_col), reference_table(sliced_col))


def test_empty_tables():
    empty = mixed_table().slice(0, 0)
    t = cl.Table.from_arrow(empty)
    assert t.num_rows == 0 and t.column_names == empty.column_names
    assert t.dtypes == cl.Table.from_arrow(mixed_table()).dtypes
    assert cl.Table.from_arrow(pa.table({})).num_columns == 0
    assert cl.Table.from_arrow(empty.to_batches() and empty or empty).num_rows == 0


def test_record_batch_reader_and_sources():
    tbl = mixed_table()
    ref = cl.Table.from_arrow(tbl)
    batches = tbl.to_batches(max_chunksize=64)
    assert len(batches) > 1
    assert_tables_equal(cl.Table.from_arrow(pa.RecordBatchReader.from_batches(tbl.schema,
                                                                              batches)), ref)
    assert_tables_equal(cl.Table.from_arrow(tbl.combine_chunks().to_batches()[0]), ref)
    # polars and pandas frames implement the same interface
    df = tbl.drop_columns(["ls"]).to_pandas()
    assert_tables_equal(cl.Table.from_arrow(pl.from_arrow(tbl.drop_columns(["ls"]))),
                        cl.Table.from_arrow(tbl.drop_columns(["ls"])))
    assert_tables_equal(cl.Table.from_arrow(df[["x", "s"]]), cl.Table.from_pandas(df[["x", "s"]]))


def test_polars_types():
    df = pl.DataFrame({
        "x": [1.5, None, 3.0],
        "i": pl.Series([1, None, 3], dtype=pl.Int32),
        "s": ["a", None, "c"],
        "c": pl.Series(["u", "v", "u"], dtype=pl.Categorical),
        "e": pl.Series(["lo", "hi", None], dtype=pl.Enum(["lo", "hi"])),
        "t": pl.Series([1, None, 3], dtype=pl.Datetime("us", "Europe/Paris")),
        "d": pl.Series([0, 19000, None], dtype=pl.Date),
        "b": [True, None, False],
    })
    t = cl.Table.from_arrow(df)
    assert t.dtypes == {"x": "float64", "i": "int64", "s": "string", "c": "category",
                        "e": "category", "t": "timestamp", "d": "timestamp", "b": "int64"}
    ref = df.to_pandas()
    for name in ["x", "i", "s", "b"]:
        assert_same_values(t, name, ref[name])
    assert list(col(t, "c").astype(object)) == ["u", "v", "u"]
    assert list(t.categories("e")) == ["lo", "hi"]
    assert_same_values(t, "t", ref["t"].dt.tz_convert("UTC").dt.tz_localize(None))
    assert_same_values(t, "d", pd.to_datetime(ref["d"]))


def test_pandas_arrow_backed_strings_are_read_from_buffers():
    values = ["C00012345", None, "é", "", "C00000001"] * 40
    s = pd.Series(values, dtype="str")
    assert type(s.array).__name__ == "ArrowStringArray"
    fast = cl.Table.from_pandas(pd.DataFrame({"id": s}))
    slow = cl.Table.from_pandas(pd.DataFrame({"id": pd.Series(values, dtype=object)}))
    assert fast.dtypes == slow.dtypes == {"id": "string"}
    assert list(fast["id"]) == list(slow["id"])
    sliced = s.iloc[7:93]  # an Arrow array with an offset
    t = cl.Table.from_pandas(pd.DataFrame({"id": sliced}))
    assert list(t["id"]) == [None if v is None else v for v in values[7:93]]


# ---- errors --------------------------------------------------------------------------------

@pytest.mark.parametrize("arr", [
    pa.array([[1, 2], None]),
    pa.array([{"a": 1}, None]),
    pa.array([1, 2], type=pa.decimal128(5, 2)),
    pa.array([None, None], type=pa.null()),
    pa.array([1, 2], type=pa.duration("s")),
    pa.array([b"x", b"y"]),
    pa.DictionaryArray.from_arrays(pa.array([0, 1]), pa.array([10, 20])),
    pa.array([1.0, 2.0], type=pa.float16()),
], ids=["list", "struct", "decimal", "null", "duration", "binary", "dict-int", "half"])
def test_unsupported_types_name_the_column_and_format(arr):
    with pytest.raises(cl.TypeMismatch, match=r"column 'bad'.*'[^']+'") as e:
        cl.Table.from_arrow(pa.table({"ok": pa.array([1.0] * len(arr)), "bad": arr}))
    assert "format" in str(e.value)


def test_objects_without_the_interface_are_refused():
    for obj in ([1, 2], {"a": [1]}, np.zeros((2, 2)), None):
        with pytest.raises(cl.TypeMismatch, match="Arrow PyCapsule"):
            cl.Table.from_arrow(obj)
    with pytest.raises(cl.TypeMismatch, match=r"'\+s'"):
        cl.Table.from_arrow(pa.chunked_array([pa.array([1.0])]))  # a column, not a table

    class NotACapsule:
        def __arrow_c_stream__(self, requested_schema=None):
            return "nope"

    with pytest.raises(cl.InvalidArgument, match="PyCapsule"):
        cl.Table.from_arrow(NotACapsule())

    class Failing:
        def __arrow_c_stream__(self, requested_schema=None):
            raise RuntimeError("no stream today")

    with pytest.raises(RuntimeError, match="no stream today"):
        cl.Table.from_arrow(Failing())


def _batch_of(arr, name="bad"):
    return pa.RecordBatch.from_arrays([arr], names=[name])


def test_malformed_arrays_raise_instead_of_crashing():
    # string offsets going backwards
    offsets = pa.py_buffer(np.array([0, 5, 2, 6], dtype=np.int32))
    data = pa.py_buffer(b"abcdefgh")
    bad = pa.Array.from_buffers(pa.string(), 3, [None, offsets, data])
    with pytest.raises(cl.InvalidArgument, match="offsets"):
        cl.Table.from_arrow(_batch_of(bad))
    # dictionary indices out of range
    idx = pa.array([0, 5, 1], type=pa.int32())
    dict_bad = pa.DictionaryArray.from_arrays(idx, pa.array(["a", "b"]), safe=False)
    with pytest.raises(cl.InvalidArgument, match="out of range"):
        cl.Table.from_arrow(_batch_of(dict_bad))
    idx8 = pa.array([0, -3, 1], type=pa.int8())
    dict_neg = pa.DictionaryArray.from_arrays(idx8, pa.array(["a", "b"]), safe=False)
    with pytest.raises(cl.InvalidArgument, match="out of range"):
        cl.Table.from_arrow(_batch_of(dict_neg))
    idx_u = pa.array([0, 9], type=pa.uint32())
    with pytest.raises(cl.InvalidArgument, match="out of range"):
        cl.Table.from_arrow(_batch_of(pa.DictionaryArray.from_arrays(
            idx_u, pa.array(["a"]), safe=False)))
    # a string view pointing past its data buffer
    views = np.zeros(4, dtype=np.int32)
    views[0], views[2], views[3] = 20, 0, 100  # length 20, buffer 0, offset 100
    sv = pa.Array.from_buffers(pa.string_view(), 1,
                               [None, pa.py_buffer(views), pa.py_buffer(b"x" * 64)])
    with pytest.raises(cl.InvalidArgument, match="string view"):
        cl.Table.from_arrow(_batch_of(sv))
    views[2] = 3  # buffer index beyond the variadic buffers
    views[3] = 0
    sv2 = pa.Array.from_buffers(pa.string_view(), 1,
                                [None, pa.py_buffer(views), pa.py_buffer(b"x" * 64)])
    with pytest.raises(cl.InvalidArgument, match="string view"):
        cl.Table.from_arrow(_batch_of(sv2))


class _CSchema(ctypes.Structure):
    _fields_ = [("format", ctypes.c_char_p), ("name", ctypes.c_char_p),
                ("metadata", ctypes.c_char_p), ("flags", ctypes.c_int64),
                ("n_children", ctypes.c_int64), ("children", ctypes.c_void_p),
                ("dictionary", ctypes.c_void_p), ("release", ctypes.c_void_p),
                ("private_data", ctypes.c_void_p)]


class _CArray(ctypes.Structure):
    _fields_ = [("length", ctypes.c_int64), ("null_count", ctypes.c_int64),
                ("offset", ctypes.c_int64), ("n_buffers", ctypes.c_int64),
                ("n_children", ctypes.c_int64), ("buffers", ctypes.c_void_p),
                ("children", ctypes.c_void_p), ("dictionary", ctypes.c_void_p),
                ("release", ctypes.c_void_p), ("private_data", ctypes.c_void_p)]


_new_capsule = ctypes.pythonapi.PyCapsule_New
_new_capsule.restype = ctypes.py_object
_new_capsule.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_void_p]


class Exported:
    """A record batch exported to C structs (pyarrow's _export_to_c) that a test may damage
    before handing them over through __arrow_c_array__."""

    def __init__(self, batch):
        self.schema, self.array = _CSchema(), _CArray()
        batch._export_to_c(ctypes.addressof(self.array), ctypes.addressof(self.schema))
        self.keep = []

    def child(self, j=0):
        return ctypes.cast(self.array.children, ctypes.POINTER(ctypes.POINTER(_CArray)))[j].contents

    def set_buffers(self, child, *buffers):
        arr = (ctypes.c_void_p * len(buffers))(*[
            None if b is None else b.ctypes.data for b in buffers])
        self.keep += [arr, buffers]
        child.buffers = ctypes.addressof(arr)
        child.n_buffers = len(buffers)

    def __arrow_c_array__(self, requested_schema=None):
        return (_new_capsule(ctypes.addressof(self.schema), b"arrow_schema", None),
                _new_capsule(ctypes.addressof(self.array), b"arrow_array", None))


def test_damaged_c_structs_raise_instead_of_crashing():
    batch = pa.record_batch({"s": pa.array(["ab", "c", "def"]), "x": pa.array([1.0, 2.0, 3.0])})

    def damaged(fn):
        e = Exported(batch)
        fn(e)
        with pytest.raises(cl.InvalidArgument):
            cl.Table.from_arrow(e)

    damaged(lambda e: setattr(e.child(1), "length", -1))
    damaged(lambda e: setattr(e.child(1), "offset", -5))
    damaged(lambda e: setattr(e.child(1), "length", 2))      # shorter than the batch
    damaged(lambda e: setattr(e.child(1), "n_buffers", 1))   # float64 needs 2
    damaged(lambda e: setattr(e.child(1), "null_count", 1))  # nulls without a bitmap
    damaged(lambda e: setattr(e.array, "n_children", 1))
    damaged(lambda e: setattr(e.array, "offset", 2**62))
    damaged(lambda e: setattr(e.child(1), "offset", 2**63 - 2))  # offset + length overflows
    damaged(lambda e: e.set_buffers(e.child(1), None, None))  # no data
    damaged(lambda e: e.set_buffers(e.child(0), None, np.array([0, -1, 2, 3], np.int32),
                                    np.zeros(8, np.uint8)))
    damaged(lambda e: e.set_buffers(e.child(0), None, np.array([0, 4, 2, 3], np.int32),
                                    np.zeros(8, np.uint8)))
    damaged(lambda e: e.set_buffers(e.child(0), None, np.array([0, 1, 2, 3], np.int32), None))
    # the undamaged structs read fine
    assert cl.Table.from_arrow(Exported(batch)).num_rows == 3


def test_consumed_capsule_is_refused():
    tbl = pa.table({"x": [1.0]})
    cap = tbl.__arrow_c_stream__()

    class Again:
        def __arrow_c_stream__(self, requested_schema=None):
            return cap

    assert cl.Table.from_arrow(Again()).num_rows == 1
    with pytest.raises(cl.InvalidArgument, match="consumed"):
        cl.Table.from_arrow(Again())


# ---- to_arrow ------------------------------------------------------------------------------

def test_to_arrow_round_trip():
    t = cl.make_customers(500, seed=3)
    out = t.to_arrow()
    assert isinstance(out, pa.Table)
    assert out.column_names == t.column_names
    back = cl.Table.from_arrow(out)
    assert_tables_equal(back, t)
    mixed = cl.Table.from_arrow(mixed_table())
    assert_tables_equal(cl.Table.from_arrow(mixed.to_arrow()), mixed)
    # types as documented
    types = {f.name: f.type for f in mixed.to_arrow().schema}
    assert types["x"] == pa.float64() and types["i"] == pa.int64()
    assert pa.types.is_dictionary(types["c"]) and pa.types.is_timestamp(types["t"])
    assert out.schema.metadata is None
    assert cl.Table().to_arrow().num_columns == 0


def run_without_pyarrow(code):
    """Runs `code` in a fresh interpreter where `import pyarrow` fails."""
    prog = "import sys\nsys.modules['pyarrow'] = None\n" + textwrap.dedent(code)
    return subprocess.run([sys.executable, "-c", prog], capture_output=True, text=True,
                          timeout=120)


def test_missing_pyarrow_gives_a_clear_error(tmp_path):
    r = run_without_pyarrow(f"""
        import churnlib as cl
        import polars as pl
        t = cl.make_customers(20, seed=1)
        # polars frames are read without pyarrow
        assert cl.Table.from_arrow(pl.DataFrame({{"x": [1.0, 2.0]}})).num_rows == 2
        for call in (lambda: t.to_arrow(),
                     lambda: cl.write_parquet(t, {str(tmp_path / 'a.parquet')!r}),
                     lambda: cl.read_parquet({str(tmp_path / 'a.parquet')!r})):
            try:
                call()
            except ImportError as e:
                assert "pyarrow" in str(e) and "pip install pyarrow" in str(e), e
                print("ok:", e)
            else:
                raise SystemExit("no error")
    """)
    assert r.returncode == 0, r.stderr
    assert r.stdout.count("ok:") == 3


# ---- Parquet and CSV -------------------------------------------------------------------------

def test_parquet_round_trip_equals_csv_round_trip(tmp_path):
    t = cl.make_customers(2000, seed=7)
    cl.write_csv(t, tmp_path / "c.csv")
    cl.write_parquet(t, tmp_path / "c.parquet")
    from_csv = cl.read_csv(tmp_path / "c.csv", dtypes=t.dtypes)
    from_parquet = cl.read_parquet(tmp_path / "c.parquet")
    assert_tables_equal(from_parquet, from_csv, category_order=False)
    assert_tables_equal(from_parquet, t)  # Parquet also keeps the category order
    assert [p.name for p in tmp_path.iterdir()] and \
        not [p for p in tmp_path.iterdir() if ".tmp" in p.name]  # no temporary file left
    # columns and schema
    part = cl.read_parquet(str(tmp_path / "c.parquet"), columns=["tenure_months", "customer_id"])
    assert part.column_names == ["tenure_months", "customer_id"]
    schema = cl.Schema.infer(t)
    assert_tables_equal(cl.read_parquet(tmp_path / "c.parquet", schema=schema), t)


def test_parquet_of_frames_and_errors(tmp_path):
    df = cl.make_customers(300, seed=2).to_pandas()
    for i, (kind, frame) in enumerate(frames_of(df).items()):
        p = tmp_path / f"f{i}.parquet"
        cl.write_parquet(frame, p)
        assert_tables_equal(cl.read_parquet(p), cl.Table.from_pandas(df),
                            category_order=kind != "polars")
    with pytest.raises(cl.TypeMismatch):
        cl.write_parquet([1, 2], tmp_path / "x.parquet")
    with pytest.raises(cl.IOError):
        cl.write_parquet(df, tmp_path / "no" / "such" / "dir.parquet")
    with pytest.raises(cl.IOError):
        cl.read_parquet(tmp_path / "missing.parquet")
    (tmp_path / "junk.parquet").write_bytes(b"not parquet at all")
    with pytest.raises(cl.IOError):
        cl.read_parquet(tmp_path / "junk.parquet")
    # a failed write leaves the previous file as it was
    good = tmp_path / "f0.parquet"
    before = good.read_bytes()
    bad = pd.DataFrame({"z": pd.to_timedelta([1, 2], "s")})
    with pytest.raises(cl.TypeMismatch):
        cl.write_parquet(bad, good)
    assert good.read_bytes() == before


def test_write_csv_refuses_other_formats(tmp_path):
    df = pd.DataFrame({"a": [1.0, 2.0]})
    for name in ("x.parquet", "x.json", "x.csv.gz", "x.xlsx", "x.PARQUET"):
        with pytest.raises(cl.InvalidArgument, match="write_parquet"):
            cl.write_csv(df, tmp_path / name)
        assert not (tmp_path / name).exists()
    for name in ("x.csv", "x.TSV", "x.txt", "noext"):
        cl.write_csv(df, tmp_path / name)
        assert (tmp_path / name).exists()


# ---- every estimator: polars and pyarrow inputs give the pandas input's results ---------------

def frames_of(df):
    """The pandas frame and the same data as a polars DataFrame and a pyarrow Table."""
    return {"pandas": df, "polars": pl.from_pandas(df),
            "pyarrow": pa.Table.from_pandas(df, preserve_index=False)}


@pytest.fixture(scope="module")
def customers():
    df = cl.make_customers(1500, seed=11).to_pandas(copy=True)
    y = df.pop("churned").to_numpy() if "churned" in df.columns else None
    return df, y


def numeric(df):
    return df[[c for c in df.columns if pd.api.types.is_float_dtype(df[c])]]


def test_gbdt_with_categorical_columns(customers):
    df, _ = customers
    X = df.drop(columns=["customer_id", "signup_date"])
    cats = [c for c in X.columns if isinstance(X[c].dtype, pd.CategoricalDtype)]
    assert cats
    rng = np.random.default_rng(0)
    y = (X[cats[0]].cat.codes.to_numpy() % 2 ^ (rng.random(len(X)) < 0.2)).astype(int)
    preds = {}
    for kind, frame in frames_of(X).items():
        m = cl.GBDTClassifier(n_estimators=20, seed=1).fit(frame, y)
        preds[kind] = m.predict_proba(frame)[:, 1]
        # and predicting the pandas frame with a model fitted on another source
        np.testing.assert_array_equal(m.predict_proba(X)[:, 1], preds[kind])
    np.testing.assert_array_equal(preds["polars"], preds["pandas"])
    np.testing.assert_array_equal(preds["pyarrow"], preds["pandas"])


def test_gbdt_with_text_columns_behaves_like_category(customers):
    df, _ = customers
    X = df.drop(columns=["customer_id", "signup_date"])
    cats = [c for c in X.columns if isinstance(X[c].dtype, pd.CategoricalDtype)]
    text = X.copy()
    for c in cats:
        text[c] = X[c].astype(object).astype("str")
    ref = text.copy()
    for c in cats:
        ref[c] = text[c].astype("category")  # what a pandas user does
    rng = np.random.default_rng(1)
    y = (rng.random(len(X)) < 0.3).astype(int)
    want = cl.GBDTClassifier(n_estimators=15, seed=2).fit(ref, y).predict_proba(ref)[:, 1]
    for frame in (pl.from_pandas(text), pa.Table.from_pandas(text, preserve_index=False)):
        got = cl.GBDTClassifier(n_estimators=15, seed=2).fit(frame, y).predict_proba(frame)[:, 1]
        np.testing.assert_array_equal(got, want)


def test_logistic_regression(customers):
    df, _ = customers
    X = numeric(df).fillna(0.0)
    y = (X.iloc[:, 0].to_numpy() > X.iloc[:, 0].median()).astype(int)
    out = {k: cl.LogisticRegression().fit(f, y).predict_proba(f)[:, 1]
           for k, f in frames_of(X).items()}
    np.testing.assert_array_equal(out["polars"], out["pandas"])
    np.testing.assert_array_equal(out["pyarrow"], out["pandas"])


def test_kmeans(customers):
    df, _ = customers
    X = numeric(df).fillna(0.0)
    out = {}
    for k, f in frames_of(X).items():
        km = cl.KMeans(n_clusters=4, seed=3).fit(f)
        out[k] = (km.predict(f), km.cluster_centers_)
    for k in ("polars", "pyarrow"):
        np.testing.assert_array_equal(out[k][0], out["pandas"][0])
        np.testing.assert_array_equal(out[k][1], out["pandas"][1])


def test_monitor_baseline(customers):
    df, _ = customers
    X = df.drop(columns=["customer_id", "signup_date"])
    current = cl.make_customers(1500, seed=12).to_pandas(copy=True)[X.columns]
    reports = {}
    for kind in ("pandas", "polars", "pyarrow"):
        ref, cur = frames_of(X)[kind], frames_of(current)[kind]
        b = cl.monitor.Baseline().fit(ref)
        b = b.accumulate(ref) if kind != "pandas" else b.accumulate(X)
        reports[kind] = b.compare(cur).to_pandas()
    pd.testing.assert_frame_equal(reports["polars"], reports["pandas"])
    pd.testing.assert_frame_equal(reports["pyarrow"], reports["pandas"])


@pytest.fixture(scope="module")
def event_log():
    customers = cl.make_customers(600, seed=21).to_pandas(copy=True)
    events = cl.make_events(600, seed=22, events_per_customer=10.0, as_pandas=True)
    return customers, events


def test_event_aggregator(event_log):
    customers, events = event_log
    agg = cl.EventAggregator(windows=(7, 30))
    want = agg.transform(events, customers, as_of=AS_OF)
    for kind in ("polars", "pyarrow"):
        got = agg.transform(frames_of(events)[kind], frames_of(customers)[kind], as_of=AS_OF)
        pd.testing.assert_frame_equal(got, want)
    got = agg.transform(pl.from_pandas(events), as_of=AS_OF)  # customers from the events
    pd.testing.assert_frame_equal(got, agg.transform(events, as_of=AS_OF))


def test_feature_pipeline_with_event_join(event_log):
    customers, events = event_log
    outs = {}
    for kind in ("pandas", "polars", "pyarrow"):
        p = (cl.FeaturePipeline()
             .join_events(cl.EventAggregator(windows=(30,)), prefix="ev_")
             .impute(["ev_days_since_last_event"], strategy="constant", fill_value=999)
             .one_hot(["plan"] if "plan" in customers.columns else [])
             .drop(["customer_id", "signup_date"])
             .set_output(transform="default"))
        c, e = frames_of(customers)[kind], frames_of(events)[kind]
        fitted = p.fit_transform(c, events=e, as_of=AS_OF)
        outs[kind] = (np.asarray(fitted), np.asarray(p.transform(c, events=e, as_of=AS_OF)))
    for kind in ("polars", "pyarrow"):
        np.testing.assert_array_equal(outs[kind][0], outs["pandas"][0])
        np.testing.assert_array_equal(outs[kind][1], outs["pandas"][1])
