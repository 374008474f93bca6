"""Ctrl-C in long calls (issue 14, acceptance point 4) and the GBDT iteration callback.

Each engine runs in a child process that builds its data, prints READY right before one long
call (sized to run well over 3 s on one thread: every call uses ``n_threads=1``, so a machine
with more cores is not much faster) and reports how the call ended. The test sends SIGINT 1 s
after READY and expects KeyboardInterrupt within 2 s, with the estimator left unfitted.
"""

import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

import churnlib as cl

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child is POSIX")

# The child: SETUP defines `call()` (the long call) and `unfitted()` (the check afterwards).
CHILD = """
import sys, time
import numpy as np
import pandas as pd
import churnlib as cl

{setup}

print("READY", flush=True)
start = time.monotonic()
try:
    call()
except KeyboardInterrupt:
    print(f"INTERRUPTED {{time.monotonic():.6f}} unfitted={{unfitted()}}", flush=True)
except BaseException as e:
    print(f"OTHER {{type(e).__name__}}: {{e}}", flush=True)
else:
    print(f"FINISHED after {{time.monotonic() - start:.2f}} s", flush=True)
"""

SETUPS = {
    "gbdt_fit": """
        rng = np.random.default_rng(0)
        X = rng.normal(size=(20000, 8))
        y = (X[:, 0] + rng.normal(size=20000) > 0).astype(float)
        model = cl.GBDTClassifier(n_estimators=1_000_000, n_threads=1)
        def call():
            model.fit(X, y)
        def unfitted():
            return not hasattr(model, "_core")
    """,
    "logistic_fit": """
        # ill-conditioned columns (scales 1e-3 .. 1e3), weak penalty, tol=1e-300: L-BFGS crawls
        rng = np.random.default_rng(1)
        X = rng.normal(size=(20000, 120)) * np.logspace(-3, 3, 120)
        w = rng.normal(size=120) / np.logspace(-3, 3, 120)
        y = (X @ w + rng.normal(size=20000) > 0).astype(float)
        model = cl.LogisticRegression(C=1e6, solver="lbfgs", tol=1e-300, max_iter=10**8,
                                      n_threads=1)
        def call():
            model.fit(X, y)
        def unfitted():
            return not hasattr(model, "_core")
    """,
    "kmeans_fit": """
        rng = np.random.default_rng(2)
        X = rng.normal(size=(20000, 6))
        model = cl.KMeans(n_clusters=16, n_init=1_000_000, tol=0.0, max_iter=1000, n_threads=1)
        def call():
            model.fit(X)
        def unfitted():
            return not hasattr(model, "_core")
    """,
    "baseline_fit": """
        # 100,000 quantile bins: every value is counted by a binary search over the cuts
        rng = np.random.default_rng(3)
        frame = pd.DataFrame(rng.normal(size=(1_000_000, 24)), columns=[f"x{j}" for j in range(24)])
        table = cl.Table.from_pandas(frame)
        model = cl.monitor.Baseline(bins=100000, ks_points=10000, n_threads=1)
        def call():
            model.fit(table)
        def unfitted():
            return not hasattr(model, "_core")
    """,
    "events_transform": """
        # every customer id has 3,000 as-of rows, so each event is counted 3,000 times
        rng = np.random.default_rng(4)
        n_ids, reps, n_events = 500, 3000, 400_000
        as_of = pd.Timestamp("2024-06-01") - pd.to_timedelta(rng.integers(0, 60, n_ids * reps), "D")
        customers = pd.DataFrame({"customer_id": np.repeat(np.arange(n_ids), reps),
                                  "as_of": as_of})
        events = pd.DataFrame({
            "customer_id": rng.integers(0, n_ids, n_events),
            "timestamp": pd.Timestamp("2024-01-01")
                         + pd.to_timedelta(rng.integers(0, 150 * 86400, n_events), "s"),
            "event_type": pd.Categorical(rng.choice(["login", "call", "purchase"], n_events)),
        })
        agg = cl.EventAggregator(windows=(30,), trends=False, active_days=False,
                                 days_since_first=False, n_threads=1)
        def call():
            agg.transform(events, customers, as_of_col="as_of")
        def unfitted():
            return agg._agg is None  # the streaming state is untouched
    """,
    "read_csv": """
        import os, tempfile
        # 1,000 NA tokens with the first byte and length of the values: every field is compared
        # with each of them, so a 12 MB file takes seconds without much memory
        na = [f"vNA{k:04d}" for k in range(1000)]
        row = ",".join(["{}"] * 8) + "\\n"
        block = "".join(row.format(*(f"v{(i * 7919 + j) % 1000:06d}" for j in range(8)))
                        for i in range(10000))
        path = os.path.join(tempfile.mkdtemp(), "big.csv")
        with open(path, "w") as f:
            f.write(",".join(f"c{j}" for j in range(8)) + "\\n")
            for _ in range(30):
                f.write(block)
        result = None
        def call():
            global result
            result = cl.read_csv(path, na_values=na, n_threads=1)
        def unfitted():
            os.remove(path)
            return result is None
    """,
}


def run_child(setup, delay=1.0, ready_timeout=180.0):
    """Starts the child, sends SIGINT `delay` s after READY; returns (signal time, last line)."""
    script = CHILD.format(setup=textwrap.dedent(setup))
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + ready_timeout
        line = proc.stdout.readline()
        while line and line.strip() != "READY" and time.monotonic() < deadline:
            line = proc.stdout.readline()
        assert line.strip() == "READY", f"no READY line: {line!r}, stderr: {proc.stderr.read()}"
        time.sleep(delay)
        sent = time.monotonic()
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    lines = out.strip().splitlines()
    assert lines, f"the child printed nothing after READY; stderr: {err}"
    return sent, lines[-1]


@pytest.mark.parametrize("engine", sorted(SETUPS))
def test_ctrl_c_stops_long_call_within_two_seconds(engine):
    sent, last = run_child(SETUPS[engine])
    assert last.startswith("INTERRUPTED"), f"{engine}: {last}"
    _, when, state = last.split()
    latency = float(when) - sent
    assert latency < 2.0, f"{engine}: KeyboardInterrupt {latency:.2f} s after SIGINT"
    assert state == "unfitted=True", f"{engine}: {last}"


# ---- GBDT training callbacks (GBDTClassifier.fit(callbacks=...), LightGBM's protocol) ---------

def _data(n=600, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4))
    y = (X[:, 0] - 0.5 * X[:, 1] + rng.normal(size=n) > 0).astype(float)
    return X, y


def test_gbdt_callbacks_are_called_each_round_with_the_eval_metric(capsys):
    X, y = _data()
    seen, recorded = [], {}
    model = cl.GBDTClassifier(n_estimators=15, n_threads=1, verbose=5)
    model.fit(X[:400], y[:400], eval_set=(X[400:], y[400:]), eval_names=["holdout"],
              callbacks=[lambda env: seen.append(env), cl.tree.record_evaluation(recorded)])
    assert [env.iteration for env in seen] == list(range(15))       # 0-based, as LightGBM
    assert all(env.end_iteration == 15 and env.model is model for env in seen)
    curve = list(model.evals_result_["holdout"]["binary_logloss"])
    assert [env.evaluation_result_list[0][2] for env in seen] == curve
    assert seen[0].evaluation_result_list[0][:2] == ("holdout", "binary_logloss")
    assert recorded == {"holdout": {"binary_logloss": curve}}
    out = capsys.readouterr().out.splitlines()                      # verbose=5: rounds 5, 10, 15
    assert [line.split("]")[0] for line in out] == ["[5", "[10", "[15"]
    assert out[-1] == f"[15]\tholdout's binary_logloss: {curve[-1]:g}"


def test_gbdt_callback_stops_training():
    X, y = _data()
    seen = []

    def stop_at_six(env):
        seen.append(env.iteration + 1)
        assert env.evaluation_result_list == []  # no eval set
        return env.iteration + 1 == 6

    model = cl.GBDTClassifier(n_estimators=50, n_threads=1).fit(X, y, callbacks=[stop_at_six])
    assert seen == [1, 2, 3, 4, 5, 6]
    assert model.n_estimators_ == 6
    full = cl.GBDTClassifier(n_estimators=50, n_threads=1).fit(X, y)
    np.testing.assert_array_equal(model.predict_proba(X)[:, 1], full._core.predict_proba(X, 6))
    # pandas input goes column by column (fit_columns): the callback works there too
    pd = pytest.importorskip("pandas")
    seen.clear()
    frame = pd.DataFrame(X, columns=list("abcd"))
    model = cl.GBDTClassifier(n_estimators=50, n_threads=1).fit(frame, y,
                                                               callbacks=[stop_at_six])
    assert seen == [1, 2, 3, 4, 5, 6]
    assert model.n_estimators_ == 6


def test_gbdt_early_stopping_callback_is_early_stopping_rounds():
    X, y = _data(900)
    kw = dict(n_estimators=200, learning_rate=0.3, n_threads=1)
    a = cl.GBDTClassifier(**kw).fit(X[:600], y[:600], eval_set=[(X[600:], y[600:])],
                                    callbacks=[cl.tree.early_stopping(5)])
    b = cl.GBDTClassifier(**kw).fit(X[:600], y[:600], eval_set=[(X[600:], y[600:])],
                                    early_stopping_rounds=5)
    assert a.best_iteration_ == b.best_iteration_ < 200
    assert a.evals_result_ == b.evals_result_
    with pytest.raises(ValueError, match="disagree"):
        cl.GBDTClassifier(**kw).fit(X, y, eval_set=[(X, y)], early_stopping_rounds=3,
                                    callbacks=[cl.tree.early_stopping(5)])


def test_gbdt_callback_exception_propagates_and_leaves_model_unfitted():
    X, y = _data()

    class Boom(Exception):
        pass

    def fail(env):
        if env.iteration == 2:
            raise Boom("raised in round 3")

    model = cl.GBDTClassifier(n_estimators=20, n_threads=1)
    with pytest.raises(Boom, match="round 3"):
        model.fit(X, y, callbacks=[fail])
    assert not hasattr(model, "_core")
    with pytest.raises(cl.NotFittedError):
        model.predict_proba(X)
    # a fitted model whose refit is stopped by an exception is unfitted, never half-fitted
    model.fit(X, y)
    with pytest.raises(Boom):
        model.set_params(n_estimators=30).fit(X[:, :2], y, callbacks=[fail])
    assert not model.__sklearn_is_fitted__() and not hasattr(model, "n_features_in_")


def test_gbdt_callbacks_must_be_callables():
    X, y = _data()
    with pytest.raises(TypeError, match="callables"):
        cl.GBDTClassifier(n_estimators=2).fit(X, y, callbacks=[3])
    with pytest.raises(TypeError, match="list of callables"):
        cl.GBDTClassifier(n_estimators=2).fit(X, y, callbacks=print)
    with pytest.raises(ValueError, match="verbose"):
        cl.GBDTClassifier(n_estimators=2, verbose=-1).fit(X, y)
    with pytest.raises(TypeError, match="callable"):  # the compiled fit checks too
        cl.GBDTClassifier(n_estimators=2)._core_type(
            cl.GBDTClassifier()._make_params([], [], 0, "t")).fit(
            X, y, np.empty(0), np.empty((0, 0)), np.empty(0), np.empty(0), [], 3)


def test_interrupted_maps_to_its_own_class():
    assert issubclass(cl.Interrupted, cl.Error)
    assert not issubclass(cl.Interrupted, KeyboardInterrupt)
    with pytest.raises(cl.Interrupted, match="host stop"):
        cl._core._raise_cpp_error("Interrupted", "host stop")
