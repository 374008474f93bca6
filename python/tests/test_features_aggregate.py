"""churnlib.EventAggregator against a straightforward pandas reference (masks + groupby, written
from the definitions in include/churn/features/aggregate.hpp), plus the point-in-time (leak),
chunking, input-type and bad-input tests."""

import numpy as np
import pandas as pd
import pytest

import churnlib as cl

DAY = 86_400 * 10**9
TYPES = ["login", "purchase", "support", "crash"]


# ---- the reference --------------------------------------------------------------------------

def reference(events, rows, spec):
    """Features of `rows` (DataFrame: id column + as_of int64 ns) from `events` (DataFrame:
    customer_id, t int64 ns, event_type str/None, amount float), per the header's definitions.
    Returns a DataFrame with the feature columns in the documented order."""
    n = len(rows)
    r = rows.reset_index(drop=True).assign(row=np.arange(n))
    m = events.merge(r, on="customer_id", how="inner")
    m["age"] = m["as_of"] - m["t"]
    m = m[m["age"] > 0]  # only events strictly before the as-of count
    types = spec["event_types"]
    if types is None:
        types = sorted(set(m["event_type"].dropna()))
    amount = spec["amount_col"] is not None
    amt_types = spec["amount_event_types"]
    cols = {}

    def per_row(series, fill):
        out = np.full(n, fill, dtype=np.float64)
        out[series.index.to_numpy()] = series.to_numpy(np.float64)
        return out

    def count(mask):
        return per_row(m[mask].groupby("row").size(), 0.0)

    def amounts(mask, prefix, w):
        sub = m[mask & m["amount"].notna()]
        g = sub.groupby("row")["amount"]
        s = per_row(g.sum(), 0.0)
        c = per_row(g.size(), 0.0)
        if spec["amount_sum"]:
            cols[f"{prefix}amount_sum_{w}d"] = s
        if spec["amount_mean"]:
            with np.errstate(invalid="ignore", divide="ignore"):
                cols[f"{prefix}amount_mean_{w}d"] = np.where(c > 0, s / c, np.nan)
        if spec["amount_max"]:
            cols[f"{prefix}amount_max_{w}d"] = per_row(g.max(), np.nan)

    age = m["age"]
    for w in spec["windows"]:
        inw = (age <= w * DAY)
        if spec["type_counts"]:
            for t in types:
                cols[f"{t}_count_{w}d"] = count(inw & (m["event_type"] == t))
        if spec["total_counts"]:
            cols[f"event_count_{w}d"] = count(inw)
        if amount and spec["amount_overall"]:
            amounts(inw, "", w)
        if amount:
            for t in amt_types:
                amounts(inw & (m["event_type"] == t), f"{t}_", w)
        if spec["active_days"]:
            days = m[inw].assign(day=(m["age"] - 1) // DAY).groupby("row")["day"].nunique()
            cols[f"active_days_{w}d"] = per_row(days, 0.0)
    if spec["trends"]:
        for w in spec["windows"]:
            last = age <= w * DAY
            before = (age > w * DAY) & (age <= 2 * w * DAY)
            groups = [(f"{t}_", m["event_type"] == t) for t in types]
            if spec["total_counts"]:
                groups.append(("event_", pd.Series(True, index=m.index)))
            for prefix, sel in groups:
                a, b = count(last & sel), count(before & sel)
                with np.errstate(invalid="ignore", divide="ignore"):
                    cols[f"{prefix}count_trend_{w}d"] = np.where(b > 0, a / b, np.nan)
    if spec["recency"]:
        cols["days_since_last_event"] = per_row(
            m.groupby("row")["age"].min().astype(np.float64) / DAY, np.nan)
    if spec["type_recency"]:
        for t in types:
            sub = m[m["event_type"] == t]
            cols[f"days_since_last_{t}"] = per_row(
                sub.groupby("row")["age"].min().astype(np.float64) / DAY, np.nan)
    if spec["days_since_first"]:
        cols["days_since_first_event"] = per_row(
            m.groupby("row")["age"].max().astype(np.float64) / DAY, np.nan)
    return pd.DataFrame(cols)


# ---- random event logs ----------------------------------------------------------------------

AS_OF = pd.Timestamp("2025-03-01").value


def random_log(seed, n_customers=60, n_events=3000, string_ids=False, categorical_types=True):
    """Events on a coarse time grid (ties in time, events exactly on window edges and at the
    as-of), some after the as-of, some of unknown customers, missing types and amounts, and
    customers without events."""
    rng = np.random.default_rng(seed)
    ids = np.arange(n_customers, dtype=np.int64) * 7 + 3
    active = ids[: int(n_customers * 0.8)]  # the last 20% have no events
    cid = rng.choice(active, size=n_events)
    unknown = rng.random(n_events) < 0.03
    cid[unknown] = -1  # not among the customers
    # Ages in whole hours from -10 days to 200 days: ties, exact day and window boundaries.
    hours = rng.integers(-240, 200 * 24 + 1, size=n_events)
    t = AS_OF - hours * 3_600 * 10**9
    tcode = rng.integers(0, len(TYPES) + 1, size=n_events)  # len(TYPES) = missing type
    etype = np.array(TYPES + [None], dtype=object)[tcode]
    amount = np.round(rng.lognormal(2.0, 1.0, size=n_events), 2)
    amount[rng.random(n_events) < 0.3] = np.nan
    if string_ids:
        fmt = lambda a: np.array([f"C{v:05d}" for v in a], dtype=object)  # noqa: E731
        ids, cid = fmt(ids), fmt(cid)
    ev = pd.DataFrame({"customer_id": cid, "t": t, "event_type": etype, "amount": amount})
    return ev, ids


def to_input(ev, categorical_types=True):
    """The reference's frame as the aggregator's input (datetime64 timestamps)."""
    out = pd.DataFrame({
        "customer_id": ev["customer_id"],
        "timestamp": pd.to_datetime(ev["t"].to_numpy(), unit="ns"),
        "event_type": (pd.Categorical(ev["event_type"], categories=TYPES) if categorical_types
                       else ev["event_type"].astype(object)),
        "amount": ev["amount"],
        "ignored": 1.5,
    })
    return out


def random_spec(rng):
    windows = [int(w) for w in rng.choice([1, 3, 7, 14, 30, 60, 90], size=rng.integers(1, 4),
                                          replace=False)]
    spec = dict(
        windows=windows,
        event_types=None if rng.random() < 0.5 else ["purchase", "login", "refund"],
        amount_col="amount" if rng.random() < 0.8 else None,
        type_counts=bool(rng.random() < 0.8), total_counts=bool(rng.random() < 0.5),
        trends=bool(rng.random() < 0.7), active_days=bool(rng.random() < 0.7),
        recency=bool(rng.random() < 0.8), type_recency=bool(rng.random() < 0.6),
        days_since_first=bool(rng.random() < 0.6), amount_sum=True,
        amount_mean=bool(rng.random() < 0.7), amount_max=bool(rng.random() < 0.7),
        amount_overall=True, amount_event_types=[],
    )
    if spec["amount_col"] is not None and rng.random() < 0.6:
        spec["amount_event_types"] = ["purchase", "crash"]
    return spec


def aggregator(spec, **extra):
    kw = dict(spec)
    kw["amount_event_types"] = kw["amount_event_types"] or None
    return cl.EventAggregator(kw.pop("windows"), **kw, **extra)


def assert_matches(got, ref):
    assert list(got.columns) == list(ref.columns)
    g = got.to_numpy(np.float64)
    r = ref.to_numpy(np.float64)
    assert g.shape == r.shape
    np.testing.assert_array_equal(np.isnan(g), np.isnan(r))
    ok = ~np.isnan(r)
    np.testing.assert_allclose(g[ok], r[ok], rtol=1e-9, atol=1e-12)


# ---- acceptance 1: equal to the pandas reference --------------------------------------------

@pytest.mark.parametrize("seed", range(8))
def test_matches_pandas_reference(seed):
    rng = np.random.default_rng(1000 + seed)
    ev, ids = random_log(seed, string_ids=seed % 2 == 1)
    spec = random_spec(rng)
    # As-of dates on the grid, between grid points, and before most events.
    for as_of in (AS_OF, AS_OF - 5 * DAY + 1_800 * 10**9, AS_OF - 120 * DAY):
        got = aggregator(spec, n_threads=int(seed % 3)).transform(
            to_input(ev, categorical_types=seed % 4 < 2), customers=ids, as_of=as_of)
        assert list(got.index) == list(ids)  # every customer, in order, events or not
        rows = pd.DataFrame({"customer_id": ids, "as_of": as_of})
        assert_matches(got, reference(ev, rows, spec))


@pytest.mark.parametrize("seed", range(4))
def test_per_row_as_of_matches_reference(seed):
    rng = np.random.default_rng(2000 + seed)
    ev, ids = random_log(seed, string_ids=seed % 2 == 0)
    spec = random_spec(rng)
    # Snapshots: some customers at several as-of dates, some not at all.
    pick = rng.choice(ids, size=len(ids) + 20)
    as_of = (AS_OF - rng.integers(0, 90, size=pick.size) * DAY
             - rng.integers(0, 3, pick.size) * 3_600 * 10**9)
    customers = pd.DataFrame({"customer_id": pick,
                              "snapshot": pd.to_datetime(as_of, unit="ns"),
                              "label": rng.integers(0, 2, size=pick.size)})
    got = aggregator(spec).transform(to_input(ev), customers=customers, as_of_col="snapshot")
    assert got.index.names == ["customer_id", "snapshot"]
    assert list(got.index.get_level_values(0)) == list(pick)
    rows = pd.DataFrame({"customer_id": pick, "as_of": as_of})
    assert_matches(got, reference(ev, rows, spec))


def test_customers_as_table_with_categorical_ids():
    ev, ids = random_log(7, string_ids=True)
    inp = to_input(ev)
    inp["customer_id"] = inp["customer_id"].astype("category")
    as_of = AS_OF - np.arange(len(ids)) * 3_600 * 10**9
    customers = pd.DataFrame({"customer_id": pd.Categorical(ids),
                              "as_of": pd.to_datetime(as_of, unit="ns")})
    agg = cl.EventAggregator(windows=(7, 30), amount_col="amount", total_counts=True)
    a = agg.transform(inp, customers=cl.Table.from_pandas(customers), as_of_col="as_of")
    b = agg.transform(inp, customers=customers, as_of_col="as_of")
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    spec = dict(windows=[7, 30], event_types=None, amount_col="amount", type_counts=True,
                total_counts=True, trends=True, active_days=True, recency=True,
                type_recency=True, days_since_first=True, amount_sum=True, amount_mean=True,
                amount_max=True, amount_overall=True, amount_event_types=[])
    rows = pd.DataFrame({"customer_id": ids, "as_of": as_of})
    assert_matches(b, reference(ev, rows, spec))
    # one as-of for all, ids from a Table's categorical column
    c = agg.transform(inp, customers=cl.Table.from_pandas(customers), as_of=AS_OF)
    assert [str(i) for i in c.index] == list(ids)


def test_customers_without_events_get_defined_values():
    ev = pd.DataFrame({"customer_id": [1, 1], "timestamp": pd.to_datetime(["2025-01-01",
                                                                           "2025-01-02"]),
                       "event_type": ["login", "purchase"], "amount": [np.nan, 10.0]})
    out = cl.EventAggregator(windows=[30], amount_col="amount").transform(
        ev, customers=[1, 2], as_of="2025-01-10")
    row = out.loc[2]
    assert row["login_count_30d"] == 0 and row["purchase_count_30d"] == 0
    assert row["amount_sum_30d"] == 0 and np.isnan(row["amount_mean_30d"])
    assert np.isnan(row["days_since_last_event"])
    assert out.loc[1, "days_since_last_event"] == 8.0
    assert out.loc[1, "amount_sum_30d"] == 10.0


# ---- acceptance 2: point in time, chunks --------------------------------------------------

@pytest.mark.parametrize("seed", range(3))
def test_events_at_or_after_as_of_never_change_a_feature(seed):
    rng = np.random.default_rng(seed)
    ev, ids = random_log(seed)
    past = ev[ev["t"] < AS_OF]
    # Future events include the as-of instant itself and a type never seen before.
    future = pd.DataFrame({"customer_id": rng.choice(ids, 500),
                           "t": AS_OF + rng.integers(0, 30 * DAY, 500) * (rng.random(500) < 0.8),
                           "event_type": rng.choice(TYPES + ["brand_new_type"], 500),
                           "amount": rng.lognormal(5, 2, 500)})
    assert (future["t"] == AS_OF).any()
    agg = cl.EventAggregator(windows=(1, 7, 30), amount_col="amount", total_counts=True,
                             amount_event_types=["purchase"])
    def run(frame):
        inp = to_input(frame, categorical_types=False)
        return agg.transform(inp, customers=ids, as_of=AS_OF)
    a = run(past)
    b = run(pd.concat([past, future]).sample(frac=1, random_state=seed))
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    assert not any("brand_new_type" in c for c in b.columns)


@pytest.mark.parametrize("seed", range(3))
def test_chunked_equals_single_pass(seed):
    rng = np.random.default_rng(seed)
    ev, ids = random_log(seed, n_events=5000, string_ids=seed == 1)
    inp = to_input(ev)
    agg = cl.EventAggregator(windows=(7, 30, 90), amount_col="amount", total_counts=True,
                             amount_event_types=["purchase"], n_threads=2)
    single = agg.transform(inp, customers=ids, as_of=AS_OF)
    shuffled = inp.sample(frac=1, random_state=seed).reset_index(drop=True)
    cuts = np.sort(rng.choice(len(shuffled), size=6, replace=False))
    stream = cl.EventAggregator(windows=(7, 30, 90), amount_col="amount", total_counts=True,
                                amount_event_types=["purchase"], n_threads=1)
    stream.start(ids, as_of=AS_OF)
    for part in np.split(np.arange(len(shuffled)), cuts):
        chunk = shuffled.iloc[part]
        stream.update(chunk if part.size % 2 else cl.Table.from_pandas(chunk))
    chunked = stream.result()
    pd.testing.assert_frame_equal(single, chunked, check_exact=True)
    assert stream.n_events_seen_ == len(inp)
    assert stream.n_events_unmatched_ == int((ev["customer_id"] == (-1 if seed != 1 else
                                                                     "C-0001")).sum())
    assert stream.feature_names == list(chunked.columns)


def test_pandas_input_equals_table_input():
    ev, ids = random_log(5, string_ids=True)
    inp = to_input(ev)
    agg = cl.EventAggregator(windows=(7, 30), amount_col="amount")
    a = agg.transform(inp, customers=ids, as_of=AS_OF, as_table=True)
    b = agg.transform(cl.Table.from_pandas(inp), customers=ids, as_of=AS_OF, as_table=True)
    assert isinstance(a, cl.Table) and isinstance(b, cl.Table)
    pd.testing.assert_frame_equal(a.to_pandas(), b.to_pandas(), check_exact=True)
    # customers as a Table / DataFrame column, and the default (distinct ids of the events)
    c = agg.transform(inp, customers=pd.DataFrame({"customer_id": ids}), as_of=AS_OF)
    pd.testing.assert_frame_equal(a.to_pandas().set_index("customer_id"), c, check_exact=True)
    d = agg.transform(inp, as_of=AS_OF)
    assert sorted(d.index) == sorted(set(ev["customer_id"]))


def test_rfm_preset():
    ev, ids = random_log(3)
    inp = to_input(ev)
    out = cl.EventAggregator.rfm(30).transform(inp, customers=ids, as_of=AS_OF)
    assert list(out.columns) == ["event_count_30d", "amount_sum_30d", "days_since_last_event"]
    out = cl.EventAggregator.rfm(30, event_type="purchase").transform(inp, customers=ids,
                                                                      as_of=AS_OF)
    assert list(out.columns) == ["purchase_count_30d", "purchase_amount_sum_30d",
                                 "days_since_last_event", "days_since_last_purchase"]
    spec = dict(windows=[30], event_types=["purchase"], amount_col="amount", type_counts=True,
                total_counts=False, trends=False, active_days=False, recency=True,
                type_recency=True, days_since_first=False, amount_sum=True, amount_mean=False,
                amount_max=False, amount_overall=False, amount_event_types=["purchase"])
    rows = pd.DataFrame({"customer_id": ids, "as_of": AS_OF})
    assert_matches(out, reference(ev, rows, spec))


# ---- bad input ------------------------------------------------------------------------------

def small_events():
    return pd.DataFrame({"customer_id": [1, 2], "timestamp": pd.to_datetime(["2025-01-01",
                                                                             "2025-01-02"]),
                         "event_type": ["login", "login"], "amount": [1.0, 2.0]})


def test_unknown_keyword_is_a_type_error():
    with pytest.raises(TypeError):
        cl.EventAggregator(window=(7,))
    with pytest.raises(TypeError):
        cl.EventAggregator().set_params(colour="red")


def test_invalid_spec():
    with pytest.raises(ValueError, match="windows_days"):
        cl.EventAggregator(windows=(7, 7))
    with pytest.raises(ValueError, match="windows_days"):
        cl.EventAggregator(windows=(0,))
    with pytest.raises(ValueError, match="amount_event_types"):
        cl.EventAggregator(amount_event_types=["purchase"])
    with pytest.raises(ValueError, match="n_threads"):
        cl.EventAggregator(n_threads=-1)


def test_missing_column_is_named():
    ev = small_events().drop(columns=["event_type"])
    with pytest.raises(cl.InvalidArgument, match="event_type"):
        cl.EventAggregator().transform(ev, customers=[1, 2], as_of="2025-02-01")
    ev = small_events()
    with pytest.raises(cl.InvalidArgument, match="amount"):
        cl.EventAggregator(amount_col="amt").transform(ev, customers=[1, 2],
                                                       as_of="2025-02-01")


def test_wrong_dtype_is_a_type_error():
    ev = small_events()
    ev["timestamp"] = [1.0, 2.0]
    with pytest.raises(TypeError, match="timestamp"):
        cl.EventAggregator().transform(ev, customers=[1, 2], as_of="2025-02-01")
    ev = small_events()
    ev["customer_id"] = ["a", "b"]  # text ids against int customers
    with pytest.raises(TypeError):
        cl.EventAggregator().transform(ev, customers=[1, 2], as_of="2025-02-01")
    with pytest.raises(TypeError):
        cl.EventAggregator().start([1, 2], as_of="2025-02-01").update(np.zeros((2, 3)))


def test_bad_values():
    ev = small_events()
    ev.loc[1, "timestamp"] = pd.NaT
    agg = cl.EventAggregator(amount_col="amount").start([1, 2], as_of="2025-02-01")
    agg.update(small_events())
    before = agg.result()
    with pytest.raises(ValueError, match="timestamp"):
        agg.update(ev)
    pd.testing.assert_frame_equal(agg.result(), before, check_exact=True)  # state unchanged
    ev = small_events()
    ev.loc[0, "amount"] = np.inf
    with pytest.raises(ValueError, match="amount"):
        agg.update(ev)
    with pytest.raises(ValueError, match="NaT|as_of"):
        cl.EventAggregator().start([1, 2], as_of=pd.NaT)
    with pytest.raises(ValueError):
        cl.EventAggregator().start([1, 2])  # no as-of
    with pytest.raises(cl.NotFittedError):
        cl.EventAggregator().update(small_events())


def test_pickle_keeps_parameters():
    import pickle

    agg = cl.EventAggregator(windows=(3, 9), amount_col="amount", n_threads=1)
    again = pickle.loads(pickle.dumps(agg))
    assert again.get_params() == agg.get_params()
    a = agg.transform(small_events(), customers=[1, 2, 3], as_of="2025-02-01")
    b = again.transform(small_events(), customers=[1, 2, 3], as_of="2025-02-01")
    pd.testing.assert_frame_equal(a, b, check_exact=True)


def test_transform_leaves_streaming_state_and_runs_concurrently():
    from concurrent.futures import ThreadPoolExecutor

    ev, ids = random_log(11)
    inp = to_input(ev)
    agg = cl.EventAggregator(windows=(7, 30), amount_col="amount")
    with pytest.raises(cl.NotFittedError):
        agg.feature_names
    ref = agg.transform(inp, customers=ids, as_of=AS_OF)
    assert agg.feature_names == list(ref.columns)
    agg.start(ids[:5], as_of=AS_OF).update(inp)
    with ThreadPoolExecutor(4) as pool:
        outs = list(pool.map(lambda _: agg.transform(inp, customers=ids, as_of=AS_OF), range(8)))
    for out in outs:
        pd.testing.assert_frame_equal(out, ref, check_exact=True)
    assert len(agg.result()) == 5  # the streaming state is untouched by transform


def test_python_defaults_are_the_cpp_defaults():
    """The event spec has one source: churn::features::EventAggregationSpec. EventAggregator's
    signature repeats its defaults under Python names (_SPEC_FIELDS maps them); this test holds
    them equal."""
    import inspect

    from churnlib.features import _SPEC_FIELDS

    cpp = cl._core._EventAggregationSpec.defaults()
    sig = inspect.signature(cl.EventAggregator.__init__).parameters
    assert set(_SPEC_FIELDS.values()) == set(cpp)
    for py, name in _SPEC_FIELDS.items():
        default = sig[py].default
        if py == "windows":
            default = list(default)
        elif py in ("amount_col",):
            default = "" if default is None else default
        elif py in ("event_types", "amount_event_types"):
            default = [] if default is None else default
        assert default == cpp[name], (py, default, cpp[name])
    with pytest.raises(cl.InvalidArgument, match="unknown parameter 'window'"):
        cl._core._EventAggregationSpec({"window": [3]}, "test")
