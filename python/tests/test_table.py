"""churnlib.Table: pandas/numpy round trips, zero-copy views, lifetimes, operations, pickling."""

import gc
import pickle
import threading

import numpy as np
import pandas as pd
import pytest

import churnlib as cl


def _sample_df():
    return pd.DataFrame(
        {
            "f": [1.5, np.nan, -3.25, 1e300],
            "i": np.array([1, -2, 3, 2**40], dtype=np.int64),
            "n": pd.array([7, None, 9, None], dtype="Int64"),
            "c": pd.Categorical(["b", "a", None, "c"], categories=["c", "b", "a"]),
            "t": pd.to_datetime(
                ["2024-01-01", None, "2023-12-31 23:59:59.5", "1969-07-20 20:17"], format="ISO8601"
            ),
            "s": pd.Series(["x", None, "é€", ""], dtype=object),
            "b": [True, False, True, True],
        }
    )


def _missing(values):
    return [bool(v) for v in pd.isna(pd.Series(values, dtype=object))]


# ---- construction and types ------------------------------------------------------------------


def test_from_pandas_types_and_values():
    df = _sample_df()
    t = cl.Table.from_pandas(df)
    assert t.num_rows == len(t) == 4
    assert t.num_columns == 7
    assert t.shape == (4, 7)
    assert t.column_names == list(df.columns)
    assert t.dtypes == {
        "f": "float64", "i": "int64", "n": "int64", "c": "category", "t": "timestamp",
        "s": "string", "b": "int64",
    }
    np.testing.assert_array_equal(t["f"], df["f"].to_numpy())
    np.testing.assert_array_equal(t["i"], df["i"].to_numpy())
    assert t["i"].dtype == np.int64
    # int64 with missing values -> float64 with NaN
    np.testing.assert_array_equal(t["n"], [7.0, np.nan, 9.0, np.nan])
    # categorical -> codes into the same categories
    assert t.categories("c") == ["c", "b", "a"]
    np.testing.assert_array_equal(t["c"], [1, 2, -1, 0])
    assert t["c"].dtype == np.int32
    assert t["t"].dtype == np.dtype("datetime64[ns]")
    np.testing.assert_array_equal(t["t"], df["t"].to_numpy().astype("datetime64[ns]"))
    assert list(t["s"]) == ["x", None, "é€", ""]
    np.testing.assert_array_equal(t["b"], [1, 0, 1, 1])
    assert t.null_count("f") == 1 and t.null_count("n") == 2 and t.null_count("s") == 1
    assert t.null_count("c") == 1 and t.null_count("t") == 1


def test_round_trip_pandas():
    df = _sample_df()
    out = cl.Table.from_pandas(df).to_pandas()
    assert list(out.columns) == list(df.columns)
    pd.testing.assert_series_equal(out["f"], df["f"])
    pd.testing.assert_series_equal(out["i"], df["i"])
    assert str(out["n"].dtype) == "Int64"
    pd.testing.assert_series_equal(out["n"], df["n"])
    # category with reordered categories keeps order and codes
    assert isinstance(out["c"].dtype, pd.CategoricalDtype)
    assert list(out["c"].cat.categories) == ["c", "b", "a"]
    np.testing.assert_array_equal(out["c"].cat.codes, df["c"].cat.codes)
    assert out["t"].dtype == np.dtype("datetime64[ns]")
    np.testing.assert_array_equal(
        out["t"].to_numpy().view("int64"), df["t"].to_numpy().astype("datetime64[ns]").view("int64")
    )
    assert _missing(out["s"]) == [False, True, False, False]
    assert [v for v in out["s"] if not pd.isna(v)] == ["x", "é€", ""]
    assert out["b"].tolist() == [1, 0, 1, 1]


def test_int64_without_missing_round_trips_as_int64():
    df = pd.DataFrame({"k": pd.array([1, 2, 3], dtype="Int64")})
    t = cl.Table.from_pandas(df)
    assert t.dtypes == {"k": "int64"}
    assert t["k"].dtype == np.int64
    assert t.to_pandas()["k"].dtype == np.int64


def test_object_column_missing_forms():
    df = pd.DataFrame({"s": pd.Series(["a", None, np.nan, pd.NA, 3], dtype=object)})
    t = cl.Table.from_pandas(df)
    assert t.dtypes == {"s": "string"}
    assert list(t["s"]) == ["a", None, None, None, "3"]


def test_pandas_string_dtype():
    df = pd.DataFrame({"s": pd.Series(["a", None, "c"], dtype="string")})
    t = cl.Table.from_pandas(df)
    assert t.dtypes == {"s": "string"}
    assert list(t["s"]) == ["a", None, "c"]


@pytest.mark.parametrize("values", [
    ["a", None, "ccc", "", "dd"],                    # ASCII with a missing value
    ["x", "y"] * 20,                                # no missing value
    ["caf\u00e9", None, "ok"],                      # non-ASCII: the object path
])
def test_string_column_to_pandas_matches_pandas_default(values):
    # to_pandas builds pandas' default string array (Arrow-backed on pandas >= 3) directly;
    # the result is what pandas makes of the same values held as Python objects.
    t = cl.Table.from_pandas(pd.DataFrame({"s": pd.Series(values, dtype=object)}))
    got = t.to_pandas()["s"]
    want = pd.DataFrame({"s": np.array(values, dtype=object)})["s"]
    assert got.dtype == want.dtype
    pd.testing.assert_series_equal(got, want)


def test_timezone_aware_datetimes_become_utc():
    s = pd.Series(pd.to_datetime(["2024-01-01 01:00"]).tz_localize("Europe/Paris"))
    t = cl.Table({"ts": s})
    assert t["ts"][0] == np.datetime64("2024-01-01T00:00", "ns")


def test_float32_and_nullable_float():
    df = pd.DataFrame({"a": np.array([1.5, 2.5], dtype=np.float32),
                       "b": pd.array([1.0, None], dtype="Float64")})
    t = cl.Table.from_pandas(df)
    assert t.dtypes == {"a": "float64", "b": "float64"}
    np.testing.assert_array_equal(t["a"], [1.5, 2.5])
    np.testing.assert_array_equal(t["b"], [1.0, np.nan])


def test_unsupported_dtype_raises_type_mismatch():
    df = pd.DataFrame({"d": pd.to_timedelta([1, 2], unit="s")})
    with pytest.raises(cl.TypeMismatch, match="'d'"):
        cl.Table.from_pandas(df)
    with pytest.raises(TypeError):
        cl.Table.from_pandas([1, 2, 3])


def test_repeated_names_raise():
    df = pd.DataFrame([[1.0, 2.0]], columns=["a", "a"])
    with pytest.raises(cl.InvalidArgument):
        cl.Table.from_pandas(df)


def test_table_from_dict_and_lists():
    t = cl.Table({"x": [1.0, None, 3.0], "k": [1, 2, 3], "s": ["a", None, "b"]})
    assert t.dtypes == {"x": "float64", "k": "int64", "s": "string"}
    np.testing.assert_array_equal(t["x"], [1.0, np.nan, 3.0])
    assert cl.Table().num_columns == 0 and len(cl.Table()) == 0
    with pytest.raises(TypeError):
        cl.Table(42)


def test_empty_dataframe():
    df = pd.DataFrame({"a": np.array([], dtype=float), "s": pd.Series([], dtype=object)})
    t = cl.Table.from_pandas(df)
    assert t.shape == (0, 2)
    out = t.to_pandas()
    assert len(out) == 0 and list(out.columns) == ["a", "s"]


# ---- zero-copy and lifetimes -----------------------------------------------------------------


def test_column_access_is_zero_copy_and_read_only():
    t = cl.Table({"f": np.arange(5.0), "i": np.arange(5), "c": pd.Categorical(list("abcab"))})
    for name in ("f", "i", "c"):
        a, b = t[name], t.column(name)
        assert np.shares_memory(a, b)
        assert not a.flags.writeable
        with pytest.raises(ValueError):
            a[0] = 1


def test_to_pandas_is_writable_and_zero_copy_on_request():
    t = cl.make_customers(200, seed=3)
    df = t.to_pandas(copy=False)
    assert np.shares_memory(df["monthly_charges"].to_numpy(), t["monthly_charges"])
    with pytest.raises(ValueError, match="read-only"):
        df.loc[0, "monthly_charges"] = -1.0
    for df2 in (t.to_pandas(), t.to_pandas(copy=True)):  # the default is a writable copy
        assert not np.shares_memory(df2["monthly_charges"].to_numpy(), t["monthly_charges"])
        df2.loc[0, "monthly_charges"] = -1.0
        df2.loc[1, "tenure_months"] = 5
        assert t["monthly_charges"][0] != -1.0


def test_from_pandas_float_borrows_dataframe_memory():
    df = pd.DataFrame({"x": np.linspace(0, 1, 1000), "y": np.arange(1000.0)})
    t = cl.Table.from_pandas(df)
    assert np.shares_memory(t["x"], df["x"].to_numpy())
    back = t.to_pandas(copy=False)
    assert np.shares_memory(back["x"].to_numpy(), df["x"].to_numpy())
    # a Fortran-ordered float64 matrix is borrowed column by column
    m = np.asfortranarray(np.arange(12.0).reshape(4, 3))
    tm = cl.Table.from_numpy(m, ["a", "b", "c"])
    assert np.shares_memory(tm["b"], m)
    np.testing.assert_array_equal(tm["b"], m[:, 1])


def test_strided_float_columns_are_copied_correctly():
    m = np.arange(12.0).reshape(4, 3)
    df = pd.DataFrame(m, columns=["a", "b", "c"])
    t = cl.Table.from_pandas(df)
    np.testing.assert_array_equal(t.to_numpy(), m)
    t2 = cl.Table({"x": m[::2, 1]})
    np.testing.assert_array_equal(t2["x"], [1.0, 7.0])


def test_array_outlives_table():
    t = cl.make_customers(500, seed=1)
    expected = np.array(t["monthly_charges"])  # a copy
    codes_expected = np.array(t["region"])
    a = t["monthly_charges"]
    c = t["region"]
    df = t.to_pandas()
    del t
    gc.collect()
    np.testing.assert_array_equal(a, expected)
    np.testing.assert_array_equal(c, codes_expected)
    np.testing.assert_array_equal(df["monthly_charges"].to_numpy(), expected)
    _ = [np.ones(1000) for _ in range(100)]  # churn the allocator
    np.testing.assert_array_equal(a, expected)


def test_table_outlives_borrowed_dataframe():
    values = np.random.default_rng(0).normal(size=10000)
    df = pd.DataFrame({"x": values.copy()})
    t = cl.Table.from_pandas(df)
    del df
    gc.collect()
    _ = [np.ones(10000) for _ in range(50)]
    np.testing.assert_array_equal(t["x"], values)
    sub = t.select(["x"])
    del t
    gc.collect()
    np.testing.assert_array_equal(sub["x"], values)


def test_borrowed_buffer_released_from_other_threads():
    # The owner of a borrowed numpy buffer may be released by a C++ call that runs without the
    # GIL (concat drops temporaries); the deleter takes the GIL itself.
    parts = [cl.Table({"x": np.arange(100.0) + k}) for k in range(20)]
    out = cl.Table.concat(parts)
    del parts
    gc.collect()
    assert len(out) == 2000 and out["x"][-1] == 99.0 + 19


# ---- category columns: pandas' int8/int16 codes borrowed, not widened -------------------------


def _narrow_category_frame(n=5000, seed=7):
    rng = np.random.default_rng(seed)
    few = [f"f{k}" for k in range(5)]  # int8 codes
    many = [f"m{k:03d}" for k in range(300)]  # int16 codes
    return pd.DataFrame(
        {
            "few": pd.Categorical.from_codes(rng.integers(-1, len(few), n), categories=few),
            "many": pd.Categorical.from_codes(rng.integers(-1, len(many), n), categories=many),
            "x": rng.normal(size=n),
        }
    )


def test_narrow_category_codes_round_trip_pandas():
    df = _narrow_category_frame()
    assert df["few"].cat.codes.dtype == np.int8 and df["many"].cat.codes.dtype == np.int16
    assert df["few"].isna().any() and df["many"].isna().any()
    t = cl.Table.from_pandas(df)
    assert t.dtypes == {"few": "category", "many": "category", "x": "float64"}
    # the codes are read as int32 like any categorical column
    assert t["few"].dtype == np.int32 and t["many"].dtype == np.int32
    np.testing.assert_array_equal(t["few"], df["few"].cat.codes.to_numpy())
    np.testing.assert_array_equal(t["many"], df["many"].cat.codes.to_numpy())
    assert t.null_count("few") == df["few"].isna().sum()
    assert t.categories("many") == list(df["many"].cat.categories)
    out = t.to_pandas()
    pd.testing.assert_frame_equal(out, df)
    assert out["few"].cat.codes.dtype == np.int8 and out["many"].cat.codes.dtype == np.int16
    # operations that read the codes: slice, take, concat, to_numpy
    pd.testing.assert_frame_equal(
        t.slice(10, 20).to_pandas(), df.iloc[10:30].reset_index(drop=True)
    )
    pd.testing.assert_frame_equal(
        t.take([4, 0, 4]).to_pandas(), df.iloc[[4, 0, 4]].reset_index(drop=True)
    )
    both = cl.Table.concat([t, t]).to_pandas()
    pd.testing.assert_frame_equal(both, pd.concat([df, df], ignore_index=True))
    m = t.to_numpy(["few", "many"])
    codes = np.stack([df["few"].cat.codes, df["many"].cat.codes], axis=1).astype(float)
    codes[codes < 0] = np.nan
    np.testing.assert_array_equal(m, codes)


def test_narrow_category_codes_int32_view_is_shared():
    df = _narrow_category_frame()
    codes = df["few"].cat.codes.to_numpy()
    t = cl.Table.from_pandas(df)
    t2 = cl.Table.from_pandas(df)
    # the int32 array a Table hands out is widened once per column and shared by its copies
    assert np.shares_memory(t["few"], t.column("few"))
    assert np.shares_memory(t["few"], t.select(["few"])["few"])
    assert not np.shares_memory(t["few"], codes)  # int32, not the int8 buffer
    np.testing.assert_array_equal(t2["few"], codes)
    # a strided (non-contiguous) category column is copied once and still read correctly
    every_other = pd.Series(
        pd.Categorical.from_codes(np.arange(20, dtype=np.int8) % 3 - 1, categories=["a", "b"])
    )
    strided = cl.Table({"c": every_other.iloc[::2]})
    np.testing.assert_array_equal(strided["c"], (np.arange(0, 20, 2) % 3 - 1))


def test_narrow_category_codes_pickle_round_trip():
    df = _narrow_category_frame(n=1000, seed=3)
    t = cl.Table.from_pandas(df)
    t2 = pickle.loads(pickle.dumps(t))
    assert t2.dtypes == t.dtypes
    pd.testing.assert_frame_equal(t2.to_pandas(), df)
    np.testing.assert_array_equal(t2["many"], t["many"])
    # a pickle of a Table with int32 codes (what older versions wrote) still loads
    wide = cl.Table({"c": pd.Categorical(list("abca"))})
    t3 = pickle.loads(pickle.dumps(wide))
    assert list(t3.to_pandas()["c"]) == list("abca")


def test_narrow_category_table_outlives_dataframe():
    df = _narrow_category_frame(n=20000, seed=11)
    expected = df.copy(deep=True)
    t = cl.Table.from_pandas(df)
    del df
    gc.collect()
    _ = [np.ones(20000, dtype=np.int8) for _ in range(100)]  # churn the allocator
    pd.testing.assert_frame_equal(t.to_pandas(), expected)
    sub = t.select(["few"])
    del t
    gc.collect()
    _ = [np.full(20000, 7, dtype=np.int16) for _ in range(100)]
    pd.testing.assert_series_equal(sub.to_pandas()["few"], expected["few"])


def _from_state(state):
    t = cl.Table.__new__(cl.Table)
    t.__setstate__(state)
    return t


def test_category_codes_checked_in_every_width():
    fmt, n, cols = cl.Table({"c": pd.Categorical(list("abca"))}).__getstate__()
    name, dtype, codes, valid, cats = cols[0]
    for dt in (np.int8, np.int16, np.int32, np.int64):
        codes = np.array([0, -1, 2, 1], dtype=dt)
        good = _from_state((fmt, n, [(name, dtype, codes, valid, cats)]))
        assert list(good.to_pandas()["c"].astype(object)) == ["a", np.nan, "c", "b"]
        for bad in (3, -2):
            state = (fmt, n, [(name, dtype, np.array([0, 1, bad, 1], dtype=dt), valid, cats)])
            with pytest.raises(cl.InvalidArgument, match=f"code {bad} at row 2"):
                _from_state(state)
    # a strided or byte-swapped array of codes is copied once, then read as usual
    for codes in (np.array([0, 9, -1, 9, 2, 9, 1, 9], dtype=np.int16)[::2],
                  np.array([0, -1, 2, 1], dtype=">i2")):
        t = _from_state((fmt, n, [(name, dtype, codes, valid, cats)]))
        np.testing.assert_array_equal(t["c"], [0, -1, 2, 1])
    # int64 codes beyond int32 are rejected, not wrapped
    state = (fmt, n, [(name, dtype, np.array([0, 2**32, 0, 0], dtype=np.int64), valid, cats)])
    with pytest.raises(cl.InvalidArgument, match="row 1"):
        _from_state(state)


# ---- numpy -----------------------------------------------------------------------------------


def test_from_numpy_and_to_numpy():
    x = np.arange(12.0).reshape(4, 3)
    t = cl.Table.from_numpy(x, ["a", "b", "c"])
    assert t.column_names == ["a", "b", "c"]
    np.testing.assert_array_equal(t.to_numpy(), x)
    np.testing.assert_array_equal(t.to_numpy(["c", "a"]), x[:, [2, 0]])
    assert t.to_numpy().flags.c_contiguous and t.to_numpy().flags.writeable
    assert cl.Table.from_numpy(x).column_names == ["column_1", "column_2", "column_3"]
    ti = cl.Table.from_numpy(np.arange(6).reshape(3, 2))
    assert ti.dtypes == {"column_1": "int64", "column_2": "int64"}
    with pytest.raises(cl.InvalidArgument):
        cl.Table.from_numpy(x, ["a"])
    with pytest.raises(cl.InvalidArgument):
        cl.Table.from_numpy(np.arange(3.0))


def test_to_numpy_mixed_types():
    t = cl.Table({"f": [1.0, np.nan], "i": [3, 4], "c": pd.Categorical(["u", None])})
    m = t.to_numpy()
    np.testing.assert_array_equal(m, [[1.0, 3.0, 0.0], [np.nan, 4.0, np.nan]])


# ---- operations ------------------------------------------------------------------------------


def test_select_drop_take_slice_head_tail():
    t = cl.make_customers(50, seed=2)
    s = t.select(["tenure_months", "region"])
    assert s.column_names == ["tenure_months", "region"]
    assert np.shares_memory(s["tenure_months"], t["tenure_months"])
    d = t.drop(["churned"])
    assert "churned" not in d and "churned" in t
    k = t.take([3, 0, 3])
    np.testing.assert_array_equal(k["monthly_charges"], t["monthly_charges"][[3, 0, 3]])
    k2 = t.take(np.array([1, 2], dtype=np.int32))
    assert len(k2) == 2
    sl = t.slice(10, 5)
    np.testing.assert_array_equal(sl["monthly_charges"], t["monthly_charges"][10:15])
    assert len(t.head()) == 5 and len(t.head(100)) == 50 and len(t.tail(3)) == 3
    np.testing.assert_array_equal(t.tail(3)["monthly_charges"], t["monthly_charges"][-3:])
    with pytest.raises(cl.InvalidArgument):
        t.take([50])
    with pytest.raises(cl.InvalidArgument):
        t.slice(45, 10)


def test_getitem_contains_iter_repr():
    t = cl.Table({"a": [1.0, 2.0, 3.0], "b": ["x", "y", "z"]})
    assert "a" in t and "zz" not in t
    assert list(t) == ["a", "b"]
    assert t[["b"]].column_names == ["b"]
    assert list(t[1:]["b"]) == ["y", "z"]
    assert len(t[-2:]) == 2
    with pytest.raises(KeyError):
        t["zz"]
    with pytest.raises(cl.InvalidArgument):
        t[::2]
    with pytest.raises(TypeError):
        t[1.5]
    r = repr(t)
    assert "3 rows x 2 columns" in r and "a float64" in r and "b string" in r


def test_setitem():
    t = cl.Table({"a": [1.0, 2.0]})
    t["b"] = np.array([5, 6])
    t["a"] = [9.0, 8.0]
    assert t.dtypes == {"a": "float64", "b": "int64"}
    np.testing.assert_array_equal(t["a"], [9.0, 8.0])
    with pytest.raises(cl.InvalidArgument):
        t["c"] = [1.0, 2.0, 3.0]


def test_concat():
    a = cl.Table({"x": [1.0, 2.0], "c": pd.Categorical(["p", "q"])})
    b = cl.Table({"x": [3.0], "c": pd.Categorical(["r"])})
    out = cl.Table.concat([a, b])
    np.testing.assert_array_equal(out["x"], [1.0, 2.0, 3.0])
    assert list(out.to_pandas()["c"]) == ["p", "q", "r"]
    with pytest.raises(cl.InvalidArgument):
        cl.Table.concat([a, cl.Table({"y": [1.0]})])


def test_pickle_round_trip():
    df = _sample_df()
    t = cl.Table.from_pandas(df)
    t2 = pickle.loads(pickle.dumps(t))
    assert t2.dtypes == t.dtypes and t2.shape == t.shape
    for name in t.column_names:
        a, b = t[name], t2[name]
        if a.dtype == object:
            assert list(a) == list(b)
        else:
            np.testing.assert_array_equal(a, b)
    assert t2.categories("c") == ["c", "b", "a"]
    assert t2.null_count("n") == 2 and t2.null_count("s") == 1
    assert len(pickle.loads(pickle.dumps(cl.Table()))) == 0


def test_gil_released_in_parallel_calls():
    results = []

    def work(seed):
        results.append(cl.make_customers(2000, seed=seed).to_numpy(["monthly_charges"]).sum())

    threads = [threading.Thread(target=work, args=(s,)) for s in (1, 2, 1)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert len(results) == 3
