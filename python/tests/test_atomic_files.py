"""Atomic writes (issue 19, finding 12), the same rules in C++ (churn::AtomicFile: model saves,
write_csv, the registry) and Python (churnlib._atomic: write_parquet, plot.save, cl.report, the
CLI's outputs): a writer killed mid-write leaves no temporary file, an existing file keeps its
mode (0600 stays 0600), a FIFO or device is refused (never opened), a symbolic link is followed
and stays, and the named-temporary fallback (no O_TMPFILE) leaves nothing on failure either."""
import os
import signal
import stat
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import churnlib as cl
from churnlib import _atomic
from churnlib.cli import main as cli_main

NO_TMPFILE = "CHURN_ATOMIC_NO_TMPFILE"


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def temporaries(folder):
    return sorted(n for n in os.listdir(folder) if ".tmp" in n)


@pytest.fixture(params=["unnamed", "named"])
def temp_kind(request, monkeypatch):
    """Both paths: O_TMPFILE (the default on Linux) and the named temporary file (forced)."""
    if request.param == "named":
        monkeypatch.setenv(NO_TMPFILE, "1")
    else:
        monkeypatch.delenv(NO_TMPFILE, raising=False)
    return request.param


# ---- killed while writing ------------------------------------------------------------------------

KILLED_WRITER = textwrap.dedent("""
    import sys, time
    from churnlib._atomic import AtomicWriter
    with AtomicWriter(sys.argv[1], "test") as f:
        for _ in range(16):
            f.write(b"x" * (1 << 20))
        f.flush()
        print("ready", flush=True)
        while True:  # still writing when it is killed
            f.write(b"y" * 1024)
            time.sleep(0.001)
""")


def kill_while_writing(script, target, env_extra=None, ready=b"ready"):
    env = dict(os.environ, **(env_extra or {}))
    with subprocess.Popen([sys.executable, "-c", script, str(target)], stdout=subprocess.PIPE,
                          env=env) as proc:
        assert proc.stdout.readline().strip() == ready
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL


def test_a_killed_python_writer_leaves_nothing(tmp_path):
    target = tmp_path / "report.html"
    target.write_bytes(b"old")
    env = {NO_TMPFILE: "0"}
    kill_while_writing(KILLED_WRITER, target, env)
    assert sorted(os.listdir(tmp_path)) == ["report.html"]
    assert target.read_bytes() == b"old"


def test_a_killed_named_temporary_is_removed_by_the_next_write(tmp_path, monkeypatch):
    target = tmp_path / "report.html"
    target.write_bytes(b"old")
    kill_while_writing(KILLED_WRITER, target, {NO_TMPFILE: "1"})
    left = temporaries(tmp_path)
    assert len(left) == 1 and left[0].startswith(".report.html.")  # its writer is gone
    assert target.read_bytes() == b"old"
    monkeypatch.setenv(NO_TMPFILE, "1")
    _atomic.write_atomically(tmp_path / "other.html", lambda f: f.write(b"x"), "test")
    assert temporaries(tmp_path) == left  # another target's write leaves it alone
    _atomic.write_atomically(target, lambda f: f.write(b"new"), "test")
    assert sorted(os.listdir(tmp_path)) == ["other.html", "report.html"]
    assert target.read_bytes() == b"new"


KILLED_CSV_WRITER = textwrap.dedent("""
    import sys
    import churnlib as cl
    table = cl.make_customers(400_000, seed=1)
    print("writing", flush=True)
    cl.write_csv(table, sys.argv[1])
""")


def test_a_killed_cxx_writer_leaves_nothing(tmp_path):
    """write_csv (C++) killed while it writes a file of some 40 MB."""
    target = tmp_path / "customers.csv"
    target.write_bytes(b"old")
    with subprocess.Popen([sys.executable, "-c", KILLED_CSV_WRITER, str(target)],
                          stdout=subprocess.PIPE, env=dict(os.environ, **{NO_TMPFILE: "0"})) as p:
        assert p.stdout.readline().strip() == b"writing"
        import time
        time.sleep(0.3)
        p.send_signal(signal.SIGKILL)
        p.wait(timeout=60)
    assert target.read_bytes() == b"old"  # killed before it finished
    assert sorted(os.listdir(tmp_path)) == ["customers.csv"]


def test_a_live_writer_s_temporary_is_left_alone(tmp_path, monkeypatch):
    monkeypatch.setenv(NO_TMPFILE, "1")
    target = tmp_path / "a.csv"
    with _atomic.AtomicWriter(target, "test") as f:
        f.write(b"first")
        assert len(temporaries(tmp_path)) == 1
        cl.write_csv(cl.Table({"a": np.arange(3.0)}), target)  # C++ sees a live writer's file
        _atomic.write_atomically(target, lambda g: g.write(b"second"), "test")
        assert len(temporaries(tmp_path)) == 1
    assert target.read_bytes() == b"first"
    assert os.listdir(tmp_path) == ["a.csv"]


# ---- the shared writer's rules -------------------------------------------------------------------

def test_new_files_follow_the_umask_and_existing_keep_their_mode(tmp_path, temp_kind):
    old = os.umask(0o022)
    try:
        p = tmp_path / "x.bin"
        _atomic.write_atomically(p, lambda f: f.write(b"1"), "test")
        assert mode(p) == 0o644
        os.chmod(p, 0o600)
        _atomic.write_atomically(p, lambda f: f.write(b"2"), "test")
        assert mode(p) == 0o600 and p.read_bytes() == b"2"
        os.umask(0o077)
        _atomic.write_atomically(tmp_path / "y.bin", lambda f: f.write(b"1"), "test")
        assert mode(tmp_path / "y.bin") == 0o600
    finally:
        os.umask(old)
    assert temporaries(tmp_path) == []


def test_symbolic_links_are_followed_and_stay(tmp_path, temp_kind):
    (tmp_path / "real").mkdir()
    real = tmp_path / "real" / "model.json"
    real.write_text("v1")
    os.chmod(real, 0o600)
    os.symlink("real/model.json", tmp_path / "current.json")
    os.symlink(tmp_path / "current.json", tmp_path / "latest.json")  # a chain
    _atomic.write_atomically(tmp_path / "latest.json", lambda f: f.write(b"v2"), "test")
    assert os.path.islink(tmp_path / "current.json") and os.path.islink(tmp_path / "latest.json")
    assert real.read_text() == "v2" and mode(real) == 0o600
    # C++ follows them the same way
    os.symlink("latest.json", tmp_path / "export.csv")
    cl.write_csv(cl.Table({"a": np.arange(2.0)}), tmp_path / "export.csv")
    assert os.path.islink(tmp_path / "export.csv") and real.read_text().startswith("a\n")
    assert mode(real) == 0o600
    # a dangling link creates the file it names
    os.symlink("real/new.json", tmp_path / "dangling.json")
    _atomic.write_atomically(tmp_path / "dangling.json", lambda f: f.write(b"v3"), "test")
    assert (tmp_path / "real" / "new.json").read_text() == "v3"
    assert os.path.islink(tmp_path / "dangling.json")
    os.symlink("loop_b", tmp_path / "loop_a")
    os.symlink("loop_a", tmp_path / "loop_b")
    with pytest.raises(cl.IOError, match="symbolic links"):
        _atomic.write_atomically(tmp_path / "loop_a", lambda f: f.write(b"x"), "test")
    assert sorted(os.listdir(tmp_path / "real")) == ["model.json", "new.json"]
    assert temporaries(tmp_path) == []


def test_fifos_devices_and_folders_are_refused(tmp_path, temp_kind):
    os.mkfifo(tmp_path / "fifo")
    os.symlink("/dev/null", tmp_path / "null")  # a device, through a link (never /dev/null itself)
    (tmp_path / "folder").mkdir()
    for name in ("fifo", "null", "folder"):
        with pytest.raises(cl.IOError, match="not a regular file") as e:
            _atomic.write_atomically(tmp_path / name, lambda f: f.write(b"x"), "test()")
        assert isinstance(e.value, OSError) and isinstance(e.value, ValueError)
        assert "test()" in str(e.value) and name in str(e.value)
        with pytest.raises(cl.IOError, match="not a regular file"):
            cl.write_csv(cl.Table({"a": np.arange(2.0)}), tmp_path / name)
    assert stat.S_ISFIFO(os.lstat(tmp_path / "fifo").st_mode)
    assert os.path.islink(tmp_path / "null") and stat.S_ISCHR(os.stat("/dev/null").st_mode)
    assert sorted(os.listdir(tmp_path)) == ["fifo", "folder", "null"]


def test_failures_leave_nothing(tmp_path, temp_kind):
    p = tmp_path / "out.bin"
    p.write_bytes(b"old")

    def half_then_fail(f):
        f.write(b"half")
        assert len(temporaries(tmp_path)) == (1 if temp_kind == "named" else 0)
        raise RuntimeError("failed half way")

    with pytest.raises(RuntimeError, match="half way"):
        _atomic.write_atomically(p, half_then_fail, "test")

    def os_error(f):
        raise OSError(28, "No space left on device")

    with pytest.raises(cl.IOError, match="test: cannot write .* No space left"):
        _atomic.write_atomically(p, os_error, "test")
    with pytest.raises(cl.IOError, match="cannot write"):
        _atomic.write_atomically(tmp_path / "missing" / "x.bin", lambda f: None, "test")
    with pytest.raises(cl.IOError, match="empty"):
        _atomic.write_atomically("", lambda f: None, "test")
    assert p.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["out.bin"]


# ---- every writer ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    """Small fitted objects and files for every writer."""
    d = tmp_path_factory.mktemp("writers")
    customers = cl.make_customers(400, seed=3)
    df = customers.to_pandas()
    num = ["tenure_months", "monthly_charges", "support_tickets"]
    X = df[num].to_numpy()
    y = df["churned"].to_numpy()
    model = cl.train_churn_model(df, "churned", candidates=["logistic"], cv=2, seed=0)
    model.save(d / "model.json")
    cl.write_csv(customers, d / "customers.csv")
    drop = df.drop(columns=["churned"])
    return dict(
        folder=d, df=df, X=X, y=y, model=model, table=customers,
        scores=model.predict_proba(drop)[:, 1],
        gbdt=cl.GBDTClassifier(n_estimators=3).fit(X, y),
        forest=cl.RandomForestClassifier(n_estimators=3, random_state=0).fit(X, y),
        logistic=cl.LogisticRegression().fit(X, y),
        kmeans=cl.KMeans(2).fit(X),
        baseline=cl.monitor.Baseline(bins=5).fit(df[num]),
        pipeline=cl.FeaturePipeline().one_hot(["contract"]).fit(df),
    )


def _cli(*args):
    code = cli_main([str(a) for a in args])
    if code != 0:
        raise cl.IOError(f"churn exited with {code}")


def _plot(ctx, path):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    ax = cl.plot.roc(ctx["y"], ctx["scores"])
    cl.plot.save(ax, path)
    matplotlib.pyplot.close("all")


WRITERS = {
    # C++ writers (churn::AtomicFile), reached from Python
    "GBDTClassifier.save": ("json", lambda c, p: c["gbdt"].save(p)),
    "RandomForestClassifier.save": ("json", lambda c, p: c["forest"].save(p)),
    "LogisticRegression.save": ("json", lambda c, p: c["logistic"].save(p)),
    "KMeans.save": ("json", lambda c, p: c["kmeans"].save(p)),
    "Baseline.save": ("json", lambda c, p: c["baseline"].save(p)),
    "FeaturePipeline.save": ("json", lambda c, p: c["pipeline"].save(p)),
    "ChurnModel.save": ("json", lambda c, p: c["model"].save(p)),
    "write_csv": ("csv", lambda c, p: cl.write_csv(c["table"], p)),
    "ModelRegistry.register": ("registry", lambda c, p: cl.ModelRegistry(os.path.dirname(p))
                               .register(c["model"], "churn")),
    # Python writers (churnlib._atomic)
    "write_parquet": ("parquet", lambda c, p: cl.write_parquet(c["table"], p)),
    "plot.save": ("png", _plot),
    "report": ("html", lambda c, p: cl.report(p, scores=c["scores"], kpi_path=p + ".kpis")),
    # the command line
    "churn score --out": ("csv", lambda c, p: _cli(
        "score", c["folder"] / "customers.csv", "--model", c["folder"] / "model.json",
        "--out", p, "--quiet")),
    "churn segment --out": ("csv", lambda c, p: _cli(
        "segment", c["folder"] / "customers.csv", "--features", "tenure_months,monthly_charges",
        "--k", "2", "--out", p, "--quiet")),
    "churn drift --json": ("json", lambda c, p: _cli(
        "drift", c["folder"] / "customers.csv", "--model", c["folder"] / "model.json",
        "--json", p, "--fail-on", "never", "--quiet")),
    "churn train --out": ("json", lambda c, p: _cli(
        "train", c["folder"] / "customers.csv", "--target", "churned", "--candidates",
        "logistic", "--cv", "2", "--out", p, "--quiet")),
}


def _target(tmp_path, kind):
    return str(tmp_path / ("registry.json" if kind == "registry" else f"out.{kind}"))


@pytest.mark.parametrize("writer", list(WRITERS))
def test_every_writer_keeps_the_mode(writer, fitted, tmp_path):
    kind, write = WRITERS[writer]
    p = _target(tmp_path, kind)
    write(fitted, p)
    os.chmod(p, 0o600)
    before = os.stat(p)
    write(fitted, p)
    after = os.stat(p)
    assert after.st_ino != before.st_ino  # replaced (a new file renamed into place)
    assert stat.S_IMODE(after.st_mode) == 0o600  # and still not world-readable
    assert temporaries(tmp_path) == []


@pytest.mark.parametrize("writer", list(WRITERS))
def test_every_writer_refuses_a_fifo(writer, fitted, tmp_path, capsys):
    kind, write = WRITERS[writer]
    p = _target(tmp_path, kind)
    os.mkfifo(p)
    # a reader that never blocks, so a writer that opened the FIFO could not hang the test
    guard = os.open(p, os.O_RDONLY | os.O_NONBLOCK)
    try:
        with pytest.raises(cl.IOError) as e:
            write(fitted, p)
        if not writer.startswith("churn "):
            assert "not a regular file" in str(e.value)
        assert os.read(guard, 1 << 16) == b""  # nothing was written into it
    finally:
        os.close(guard)
    assert stat.S_ISFIFO(os.lstat(p).st_mode)
    if writer.startswith("churn "):
        assert "not a regular file" in capsys.readouterr().err
    assert temporaries(tmp_path) == []
