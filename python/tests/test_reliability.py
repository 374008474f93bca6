"""Hostile and careless inputs (issue 19): deep JSON, huge thread counts, fork after OpenMP,
files that are not regular, CR-only line ends, gzip, non-UTF-8 bytes in error messages."""

import gzip
import os
import pickle
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest

import churnlib as cl
from churnlib import metrics, monitor, retention, segment

DEEP = 200_000  # about 400 KB of brackets: a stack overflow when built as a JSON value


def deep_envelope(kind, member):
    return ('{"format": "churnlib", "version": "1.0", "kind": "%s", "params": {}, '
            '"state": {"%s": %s}}' % (kind, member, "[" * DEEP + "]" * DEEP))


@pytest.fixture(scope="module")
def small():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 3))
    y = (X[:, 0] + rng.normal(scale=0.5, size=300) > 0).astype(int)
    return X, y


# ---- finding 1: deeply nested JSON -------------------------------------------------------------

LOADERS = [
    ("GBDTClassifier", "trees", lambda: cl.GBDTClassifier),
    ("RandomForestClassifier", "trees", lambda: cl.RandomForestClassifier),
    ("LogisticRegression", "unknown", lambda: cl.LogisticRegression),
    ("KMeans", "unknown", lambda: segment.KMeans),
    ("Baseline", "features", lambda: monitor.Baseline),
    ("FeaturePipeline", "steps", lambda: cl.FeaturePipeline),
    ("ChurnModel", "model", lambda: cl.model.ChurnModel),
    ("RetentionRuleSet", "rules", lambda: retention.RuleSet),
    ("RiskBuckets", "edges", lambda: retention.RiskBuckets),
    ("Schema", "columns", lambda: cl.Schema),
]


@pytest.mark.parametrize("kind,member,cls", LOADERS, ids=[k for k, _, _ in LOADERS])
def test_deep_json_is_a_serialization_error(kind, member, cls, tmp_path):
    text = deep_envelope(kind, member)
    with pytest.raises(cl.SerializationError, match="nest deeper than 256"):
        cls().from_json(text)
    path = tmp_path / "deep.json"
    path.write_text(text)
    with pytest.raises(cl.SerializationError, match="nest deeper than 256"):
        cls().load(path)


def test_deep_dicts_are_refused_by_dict_loaders():
    nested = {}
    for _ in range(300):
        nested = {"a": nested}
    with pytest.raises(cl.SerializationError, match="nest deeper than 256"):
        retention.RuleSet.from_dict({"rules": [nested]})


def _mutated_pickle(obj, key, monkeypatch):
    """pickle.dumps(obj) with its JSON state replaced by deeply nested text."""
    cls = type(obj)
    state = obj.__getstate__()
    text = deep_envelope(cls.__name__, "trees")
    if key.endswith("_zlib"):  # models pickle their JSON compressed
        import zlib

        text = zlib.compress(text.encode() if isinstance(text, str) else text)
    state[key] = text
    monkeypatch.setattr(cls, "__getstate__", lambda self: state)
    payload = pickle.dumps(obj)
    monkeypatch.undo()
    return payload


@pytest.mark.parametrize("make", [
    lambda X, y: cl.GBDTClassifier(n_estimators=3).fit(X, y),
    lambda X, y: cl.RandomForestClassifier(n_estimators=3).fit(X, y),
    lambda X, y: cl.LogisticRegression().fit(X, y),
    lambda X, y: segment.KMeans(2, seed=0).fit(X),
], ids=["gbdt", "forest", "logistic", "kmeans"])
def test_pickle_with_deep_json_is_a_serialization_error(make, small, monkeypatch):
    model = make(*small)
    state = model.__getstate__()
    key = next(k for k in ("_model_json_zlib", "_model_json", "json") if k in state)
    payload = _mutated_pickle(model, key, monkeypatch)
    with pytest.raises(cl.SerializationError, match="nest deeper than 256"):
        pickle.loads(payload)


# ---- finding 2: unbounded n_threads --------------------------------------------------------------

@pytest.mark.parametrize("n", [100_000, 10**6, 2**31 - 1, 2**31, 2**63])
def test_huge_thread_counts_are_invalid_arguments(n, small):
    X, y = small
    with pytest.raises(cl.InvalidArgument, match="n_threads"):
        cl.GBDTClassifier(n_estimators=2, n_threads=n).fit(X, y)
    with pytest.raises(cl.InvalidArgument, match="n_threads"):
        monitor.Baseline(n_threads=n).fit(pd.DataFrame(X, columns=list("abc")))
    with pytest.raises(cl.InvalidArgument, match="n_threads"):
        metrics.roc_auc(y, X[:, 0], n_threads=n)
    with pytest.raises(cl.InvalidArgument, match="n_threads"):
        cl.parse_csv("a,b\n1,2\n", n_threads=n)


def test_the_thread_cap_is_named_in_the_message(small):
    X, y = small
    with pytest.raises(cl.InvalidArgument, match="between 0 .all cores. and 1024"):
        metrics.roc_auc(y, X[:, 0], n_threads=1025)


# ---- finding 3: fork after OpenMP ------------------------------------------------------------------

FORK_SCRIPT = textwrap.dedent("""
    import multiprocessing as mp, os, sys
    import numpy as np
    import churnlib as cl

    def work(_=None):
        rng = np.random.default_rng(1)
        X = rng.normal(size=(4000, 4))
        y = (X[:, 0] > 0).astype(int)
        m = cl.GBDTClassifier(n_estimators=5, n_threads=2).fit(X, y)
        return float(cl.metrics.roc_auc(y, m.predict_proba(X)[:, 1], n_threads=2))

    if __name__ == "__main__":
        method = sys.argv[1]
        parent = work()  # the parent's OpenMP pool now has threads
        if method == "os.fork":
            r, w = os.pipe()
            pid = os.fork()
            if pid == 0:
                os.write(w, repr(work()).encode())
                os._exit(0)
            os.close(w)
            child = float(os.read(r, 100).decode())
            os.waitpid(pid, 0)
        else:
            with mp.get_context(method).Pool(2) as pool:
                child = pool.map(work, range(2))[0]
        assert child == parent, (child, parent)
        print("ok", method)
""")


@pytest.mark.parametrize("method", ["os.fork", "fork", "forkserver", "spawn"])
def test_forked_children_run_parallel_calls(method, tmp_path):
    script = tmp_path / "fork_child.py"
    script.write_text(FORK_SCRIPT)
    # its own process group, so a hung child (and its workers) can be killed as a whole
    proc = subprocess.Popen([sys.executable, str(script), method], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=180)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        pytest.fail(f"{method}: the child hung in a parallel call")
    assert proc.returncode == 0, err[-2000:]
    assert out.strip() == f"ok {method}"


# ---- finding 4: files that are not regular ---------------------------------------------------------

def test_read_csv_of_a_directory_or_device_is_an_io_error(tmp_path):
    with pytest.raises(cl.IOError, match="is a directory, not a regular file"):
        cl.read_csv(tmp_path)
    with pytest.raises(cl.IOError, match="a character device"):
        cl.read_csv("/dev/zero")
    with pytest.raises(cl.IOError, match="a character device"):
        next(iter(cl.read_csv_chunks("/dev/zero")))
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    with pytest.raises(cl.IOError, match="a FIFO"):
        cl.read_csv(fifo)  # refused at once: opening must not wait for a writer


@pytest.mark.parametrize("cls", [lambda: cl.GBDTClassifier, lambda: cl.FeaturePipeline,
                                 lambda: monitor.Baseline, lambda: cl.Schema,
                                 lambda: cl.model.ChurnModel])
def test_loaders_refuse_directories_and_devices(cls, tmp_path):
    with pytest.raises(cl.IOError, match="not a regular file"):
        cls().load(tmp_path)
    with pytest.raises(cl.IOError, match="not a regular file"):
        cls().load("/dev/zero")


# ---- findings 6 and 7: CR-only line ends, gzip -----------------------------------------------------

def test_cr_only_line_ends_read_as_pandas_does(tmp_path):
    text = "a,b\r1,2\r3,4\r"
    t = cl.parse_csv(text).to_pandas()
    assert list(t.columns) == ["a", "b"]
    assert t.shape == (2, 2)
    path = tmp_path / "mac.csv"
    path.write_bytes(text.encode())
    ours = cl.read_csv(path).to_pandas()
    theirs = pd.read_csv(path)
    pd.testing.assert_frame_equal(ours, theirs, check_dtype=False)
    assert cl.parse_csv("a,b\r\n1,2\r\n3,4\r\n").to_pandas().shape == (2, 2)  # CRLF unchanged


def test_gzip_files_are_decompressed(tmp_path, telco_path):
    raw = telco_path.read_bytes()
    gz = tmp_path / "telco.csv.gz"
    gz.write_bytes(gzip.compress(raw))
    expected = cl.read_csv(telco_path).to_pandas()
    pd.testing.assert_frame_equal(cl.read_csv(gz).to_pandas(), expected)
    chunks = [c.to_pandas() for c in cl.read_csv_chunks(gz, chunk_bytes=100_000)]
    assert len(chunks) > 1
    assert sum(len(c) for c in chunks) == len(expected)
    cut = tmp_path / "cut.csv.gz"
    cut.write_bytes(gzip.compress(raw)[:5000])
    with pytest.raises(cl.IOError, match="truncated gzip data"):
        cl.read_csv(cut)


# ---- finding 9: non-UTF-8 bytes in messages ----------------------------------------------------------

def test_non_utf8_bytes_in_messages_keep_the_error_class(tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes(b"name,n\ncaf\xe9,1\nna\xefve,2,3\n")
    with pytest.raises(cl.ParseError, match="line 3") as e:
        cl.read_csv(path)
    assert "\ufffd" in str(e.value)  # the byte replaced, the message kept
    bad = tmp_path / "model.json"
    bad.write_bytes(b'{"format": "caf\xe9"}')
    with pytest.raises(cl.SerializationError) as e:
        cl.GBDTClassifier.load(bad)
    assert "caf\ufffd" in str(e.value)
