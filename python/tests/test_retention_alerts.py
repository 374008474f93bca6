"""churnlib.retention.alerts: the three sources, the cooldown, and the alert log (the acceptance
tests: concurrent appenders and a killed writer leave a readable file with whole records only)."""

import doctest
import inspect
import json
import multiprocessing
import os
import signal
import time

import numpy as np
import pandas as pd
import pytest

import churnlib as cl
from churnlib.retention import alerts as al

T0 = pd.Timestamp("2024-05-01 06:00:00")


# ---- the acceptance tests: the log under concurrent and killed writers -----------------------

def _batch(worker, i, size=3):
    """`size` alerts with ids unique to (worker, i): risk crossings of made-up customers."""
    ids = [f"w{worker}-b{i}-{k}" for k in range(size)]
    return al.risk_alerts(ids, [0.9] * size, timestamp=T0)


def _append_many(path, worker, count, barrier):
    log = al.AlertLog(path)
    barrier.wait()  # start together, to overlap as much as possible
    for i in range(count):
        log.append(_batch(worker, i))
        if i % 50 == 0:
            log.read()  # readers beside the writers see whole records only
    return count


def _check_lines(path):
    """Every newline-terminated line of the file parses as a whole record; returns them."""
    with open(path, "rb") as f:
        data = f.read()
    assert data.endswith(b"\n")
    records = [json.loads(line) for line in data.decode("utf-8").splitlines()]
    for r in records:
        assert set(r) == set(al.ALERT_COLUMNS)
    return records


def _check_lines_or_skipped(path, skipped):
    """The file ends in a newline, and all its lines but `skipped` parse as whole records."""
    with open(path, "rb") as f:
        data = f.read()
    assert data.endswith(b"\n")
    bad = 0
    for line in data.split(b"\n")[:-1]:
        try:
            r = json.loads(line)
        except ValueError:
            bad += 1
            continue
        assert set(r) == set(al.ALERT_COLUMNS)
    assert bad == skipped


def test_concurrent_appenders_lose_and_tear_nothing(tmp_path):
    workers, count, size = 4, 200, 3
    path = str(tmp_path / "alerts.jsonl")
    ctx = multiprocessing.get_context("spawn")
    with ctx.Manager() as manager:
        barrier = manager.Barrier(workers)
        with ctx.Pool(workers) as pool:
            done = pool.starmap(_append_many, [(path, w, count, barrier) for w in range(workers)])
    assert done == [count] * workers
    records = _check_lines(path)
    df = al.AlertLog(path).read()
    assert df.attrs == {"skipped_lines": 0, "trailing_bytes": 0}
    expected = {f"w{w}-b{i}-{k}" for w in range(workers) for i in range(count)
                for k in range(size)}
    assert len(records) == len(df) == len(expected)
    assert sorted(df["subject"]) == sorted(expected)  # every record once
    assert df["id"].is_unique
    # each batch landed as one block: its records are adjacent and in order
    subjects = df["subject"].tolist()
    for start in range(0, len(subjects), size):
        block = subjects[start:start + size]
        assert block == [block[0][:-1] + str(k) for k in range(size)]


def _append_forever(path, ready, fsize_limit=None):
    """Appends batches of long records until killed. With `fsize_limit`, the file may not grow
    beyond that many bytes: the write that crosses it is cut there by the kernel, and the
    process dies of SIGXFSZ when it goes on writing the rest: killed inside a write."""
    if fsize_limit is not None:
        import resource
        import signal

        signal.signal(signal.SIGXFSZ, signal.SIG_DFL)  # Python ignores it by default
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        resource.setrlimit(resource.RLIMIT_FSIZE, (fsize_limit, fsize_limit))
    log = al.AlertLog(path)
    big = "x" * 2000  # long reasons: big writes, more chances to be killed inside one
    i = 0
    while True:
        a = _batch(99, i, size=50)
        a["reason"] = [f"{s} {big}" for s in a["subject"]]
        log.append(a)
        if i == 2:
            ready.set()
        i += 1


def _crash_a_writer(ctx, path, how, rng):
    """Runs _append_forever in a process and kills it: SIGKILL at a random moment ("kill"),
    or SIGXFSZ inside a write at a file-size limit ("fsize")."""
    ready = ctx.Event()
    if how == "kill":
        writer = ctx.Process(target=_append_forever, args=(path, ready))
        writer.start()
        assert ready.wait(60), "the writer did not start"
        time.sleep(float(rng.uniform(0.05, 0.3)))
        writer.kill()  # SIGKILL: no cleanup, maybe mid-write
        writer.join()
        assert writer.exitcode == -signal.SIGKILL
    else:
        limit = (os.path.getsize(path) if os.path.exists(path) else 0) + 250_007
        writer = ctx.Process(target=_append_forever, args=(path, ready, limit))
        writer.start()
        writer.join(120)
        assert writer.exitcode == -signal.SIGXFSZ
        assert os.path.getsize(path) == limit  # the last write was cut mid-record


def test_a_killed_writer_leaves_whole_records_and_the_next_append_works(tmp_path):
    path = str(tmp_path / "alerts.jsonl")
    ctx = multiprocessing.get_context("spawn")
    rng = np.random.default_rng(7)
    torn_rounds = []
    for round_, how in enumerate(["kill", "fsize", "kill", "fsize"]):
        _crash_a_writer(ctx, path, how, rng)
        df = al.AlertLog(path).read()
        assert len(df) > 0
        # whole records only: each reason matches its subject in full
        killed = df[df["subject"].str.startswith("w99-")]
        assert (killed["reason"] == killed["subject"] + " " + "x" * 2000).all()
        assert df["kind"].eq("risk_threshold").all()
        if how == "fsize":
            assert df.attrs["trailing_bytes"] > 0
        # another process appends after the crash: it reads back, and nothing before breaks
        later = _batch(round_, 100_000)
        assert al.AlertLog(path).append(later) == len(later)
        after = al.AlertLog(path).read()
        assert after.attrs["trailing_bytes"] == 0
        assert after["id"].tolist()[-len(later):] == later["id"].tolist()
        # the fragment a kill left (if any) is now a skipped line of its own, or, when only its
        # newline was lost, a whole record again
        grew = len(after) - len(df) - len(later), \
            after.attrs["skipped_lines"] - df.attrs["skipped_lines"]
        if df.attrs["trailing_bytes"] == 0:
            assert grew == (0, 0)
        else:
            assert grew in ((0, 1), (1, 0))
        torn_rounds.append(df.attrs["trailing_bytes"] > 0)
        _check_lines_or_skipped(path, after.attrs["skipped_lines"])
    print("crashes that tore a record:", sum(torn_rounds), "of", len(torn_rounds))
    # a torn tail made by hand: the fragment is skipped, counted, and never glued to a record
    whole = (json.dumps({"id": "torn", "kind": "risk_threshold"}) + "\n").encode()
    with open(path, "ab") as f:
        f.write(whole[: len(whole) // 2])
    before = al.AlertLog(path).read()
    assert before.attrs["trailing_bytes"] == len(whole) // 2
    al.AlertLog(path).append(_batch(7, 7))
    after = al.AlertLog(path).read()
    assert after.attrs["skipped_lines"] == before.attrs["skipped_lines"] + 1
    assert len(after) == len(before) + 3
    assert "torn" not in set(after["id"])


def test_the_log_round_trips_and_reads_an_absent_file_as_empty(tmp_path):
    log = al.AlertLog(tmp_path / "a.jsonl", fsync=True)
    assert repr(log).endswith("a.jsonl', fsync=True)")
    empty = log.read()
    assert list(empty.columns) == al.ALERT_COLUMNS and len(empty) == 0
    assert log.append(empty) == 0
    a = al.drift_alerts({"tenure": 0.4, "plan": 0.15, "region": 0.01}, timestamp=T0)
    assert log.append(a) == 2
    back = log.read()
    pd.testing.assert_frame_equal(back, a)
    assert str(back["timestamp"].dtype) == "datetime64[ns]"
    assert list(back["severity"].cat.categories) == al.SEVERITIES
    # PSI values as a Series; alerts as a churnlib.Table
    b = al.drift_alerts(pd.Series({"tenure": 0.4, "plan": 0.15}), timestamp=T0)
    pd.testing.assert_frame_equal(b, a)
    assert log.append(cl.Table.from_pandas(b)) == 2
    assert len(al.apply_cooldown(cl.Table.from_pandas(b), log, "1h")) == 0


# ---- sources ---------------------------------------------------------------------------------

def test_risk_alerts_join_the_previous_run_by_id():
    ids = ["a", "b", "c", "d"]
    now = [0.9, 0.55, 0.45, 0.8]
    prev = pd.Series([0.1, 0.49, 0.8], index=["c", "b", "a"])
    a = al.risk_alerts(ids, now, prev, threshold=0.5, jump=0.2, timestamp=T0)
    assert a[["kind", "subject"]].values.tolist() == [
        ["risk_threshold", "b"], ["risk_jump", "c"], ["risk_threshold", "d"]]
    assert (a["timestamp"] == T0).all()
    assert a.loc[1, "value"] == pytest.approx(0.35)
    # the same previous run as a frame, a dict; ids from a pandas column
    frame = pd.DataFrame({"customer_id": ["c", "b", "a"], "score": [0.1, 0.49, 0.8]})
    for other in (frame, dict(zip(prev.index, prev))):
        pd.testing.assert_frame_equal(
            al.risk_alerts(pd.Series(ids), np.array(now), other, timestamp=T0), a)
    # ids are joined as text: integer ids work too
    b = al.risk_alerts([7, 8], [0.9, 0.2], pd.Series([0.1], index=[7]), jump=None, timestamp=T0)
    assert b["subject"].tolist() == ["7"]
    # the ids are stable: a rerun gives the same, alert_id tells them in advance
    assert a["id"].tolist() == al.risk_alerts(ids, now, prev, timestamp=T0)["id"].tolist()
    assert a.loc[0, "id"] == al.alert_id("risk_threshold", "b", "score", T0)


def test_quality_alerts_match_scikit_learn():
    sk = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, 500).astype(float)
    s = np.clip(0.3 * y + rng.normal(0.35, 0.25, 500), 0, 1)
    for threshold in (0.5, 0.3):
        a = al.quality_alerts(y, s, min_auc=1.0, min_precision=1.0, min_recall=1.0,
                              threshold=threshold, subject="churn-v2", timestamp=T0)
        assert a["metric"].tolist() == ["auc", "precision", "recall"]
        assert a["severity"].tolist() == ["critical", "warning", "warning"]
        assert (a["subject"] == "churn-v2").all()
        pred = (s >= threshold).astype(int)
        assert a.loc[0, "value"] == pytest.approx(sk.roc_auc_score(y, s), abs=1e-12)
        assert a.loc[1, "value"] == pytest.approx(sk.precision_score(y, pred), abs=1e-12)
        assert a.loc[2, "value"] == pytest.approx(sk.recall_score(y, pred), abs=1e-12)
        assert "below the minimum 1" in a.loc[0, "reason"]
    assert len(al.quality_alerts(y, s, min_auc=0.5, timestamp=T0)) == 0
    auc = sk.roc_auc_score(y, s)
    assert len(al.quality_alerts(y, s, min_auc=auc - 1e-9, timestamp=T0)) == 0
    assert len(al.quality_alerts(y, s, min_auc=auc + 1e-9, timestamp=T0)) == 1


def test_drift_alerts_from_a_real_monitor_report():
    train = cl.make_customers(3000, seed=1).to_pandas().drop(columns=["customer_id"])
    batch = cl.make_customers(2000, seed=2).to_pandas().drop(columns=["customer_id"])
    batch["monthly_charges"] *= 1.3
    missing = batch.columns[-1]
    base = cl.monitor.Baseline().fit(train)
    report = base.compare(batch.drop(columns=[missing]))
    a = al.drift_alerts(report, timestamp=T0)
    rows = report.to_pandas()
    drifting = rows[rows["psi"] >= 0.1]
    psi_alerts = a[a["metric"] == "psi"]
    assert psi_alerts["subject"].tolist() == drifting["feature"].tolist()
    np.testing.assert_array_equal(psi_alerts["value"], drifting["psi"])
    assert "monthly_charges" in set(psi_alerts["subject"])
    crit = psi_alerts["value"] >= 0.25
    assert (psi_alerts.loc[crit, "severity"] == "critical").all()
    assert (psi_alerts.loc[~crit, "severity"] == "warning").all()
    gone = a[a["metric"] == "missing_column"]
    assert gone["subject"].tolist() == [missing] and gone["severity"].tolist() == ["critical"]
    # from the report's frame: the same PSI alerts (missing columns have a NaN PSI there)
    from_frame = al.drift_alerts(rows, timestamp=T0)
    pd.testing.assert_frame_equal(from_frame.reset_index(drop=True),
                                  psi_alerts.reset_index(drop=True))


# ---- cooldown ----------------------------------------------------------------------------------

def test_cooldown_against_the_log(tmp_path):
    log = al.AlertLog(tmp_path / "alerts.jsonl")
    day1 = al.risk_alerts(["a", "b"], [0.9, 0.8], timestamp=T0)
    assert log.append(al.apply_cooldown(day1, log, "1D")) == 2
    assert len(al.apply_cooldown(day1, log, "1D")) == 0  # a rerun adds nothing
    later = al.risk_alerts(["a", "c"], [0.9, 0.9], timestamp=T0 + pd.Timedelta("12h"))
    kept = al.apply_cooldown(later, log.read(), pd.Timedelta(hours=24))
    assert kept["subject"].tolist() == ["c"]
    assert al.apply_cooldown(later, log.read(), "6h")["subject"].tolist() == ["a", "c"]
    escalation = al.risk_alerts(["a"], [0.9], threshold_severity="critical",
                                timestamp=T0 + pd.Timedelta("1h"))
    assert len(al.apply_cooldown(escalation, log, "1D")) == 1
    assert len(al.apply_cooldown(day1, None, 0)) == 2
    with pytest.raises(cl.InvalidArgument, match="cooldown must be >= 0"):
        al.apply_cooldown(day1, None, -1)
    with pytest.raises(cl.InvalidArgument, match="cooldown"):
        al.apply_cooldown(day1, None, "soon")


# ---- errors, parameters, documentation -------------------------------------------------------

def test_bad_input_is_refused():
    with pytest.raises(cl.InvalidArgument, match="2 ids for 1 scores"):
        al.risk_alerts(["a", "b"], [0.1])
    with pytest.raises(cl.InvalidArgument, match="scores must be finite"):
        al.risk_alerts(["a"], [np.nan])
    with pytest.raises(cl.InvalidArgument, match="'a' appears at rows 0 and 1"):
        al.risk_alerts(["a", "a"], [0.1, 0.2])
    with pytest.raises(cl.InvalidArgument, match="jump must be > 0"):
        al.risk_alerts(["a"], [0.1], jump=0)
    with pytest.raises(cl.InvalidArgument, match="urgent"):
        al.risk_alerts(["a"], [0.1], jump_severity="urgent")
    with pytest.raises(cl.InvalidArgument, match="psi_critical"):
        al.drift_alerts({"a": 0.2}, psi_warning=0.3, psi_critical=0.2)
    with pytest.raises(cl.InvalidArgument, match="min_recall"):
        al.quality_alerts([0, 1], [0.2, 0.8], min_recall=2)
    with pytest.raises(cl.InvalidArgument, match="labels must be 0 or 1"):
        al.quality_alerts([0, 3], [0.2, 0.8])
    with pytest.raises(TypeError):
        al.risk_alerts(["a"], [0.1], treshold=0.5)  # a typo is not ignored
    with pytest.raises(cl.TypeMismatch):
        al.drift_alerts(42)
    with pytest.raises(cl.InvalidArgument, match="timestamp"):
        al.risk_alerts(["a"], [0.9], timestamp=pd.NaT)
    with pytest.raises(cl.InvalidArgument, match="no column 'kind'"):
        al.AlertLog("unused.jsonl").append(pd.DataFrame({"id": ["x"]}))
    with pytest.raises(cl.IOError):
        al.AlertLog("/nonexistent-folder/a.jsonl").append(al.drift_alerts({"a": 1.0}))


def test_python_defaults_equal_the_cpp_ones():
    for source, func in (("risk", al.risk_alerts), ("drift", al.drift_alerts),
                         ("quality", al.quality_alerts)):
        cpp = cl._core._retention.alert_default_params(source)
        sig = inspect.signature(func).parameters
        for name, value in cpp.items():
            default = sig[name].default
            if isinstance(value, float) and np.isnan(value):
                assert default is None, name
            else:
                assert default == value, name


def test_public_names_are_documented_and_examples_run():
    import churnlib.retention as retention

    for name in ("risk_alerts", "drift_alerts", "quality_alerts", "apply_cooldown", "AlertLog"):
        assert getattr(retention, name) is getattr(al, name)
        assert name in retention.__all__
    for name in al.__all__:
        obj = getattr(al, name)
        if callable(obj):
            assert obj.__doc__, name
            inspect.signature(obj)
    assert cl.retention is retention
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    for t in doctest.DocTestFinder().find(al, "alerts", globs={}):
        runner.run(t)
    assert runner.failures == 0 and runner.tries >= 8
