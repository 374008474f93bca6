"""Discoverability: inspect.signature on every public callable, the installed type stubs of the
compiled module (checked with mypy) and py.typed."""

import inspect
import pathlib
import subprocess
import sys

import pytest

import churnlib as cl

MODULES = [cl, cl.metrics, cl.monitor, cl.segment, cl.features, cl.tree, cl.linear,
           cl.plot, cl.reporting]


def _constructible(cls):
    """False for compiled classes that Python cannot construct (results such as Violation:
    their __init__ is pybind11's 'No constructor defined' slot)."""
    return type(cls).__name__ != "pybind11_type" or \
        type(cls.__dict__.get("__init__")).__name__ != "wrapper_descriptor"


def public_callables():
    for module in MODULES:
        for name in getattr(module, "__all__", []):
            obj = getattr(module, name)
            if inspect.ismodule(obj) or not callable(obj):
                continue
            if inspect.isclass(obj) and issubclass(obj, (BaseException, Warning)):
                continue
            if not inspect.isclass(obj) or _constructible(obj) or hasattr(obj, "__signature__"):
                yield f"{module.__name__}.{name}", obj
            if inspect.isclass(obj):
                for attr, value in vars(obj).items():
                    if not attr.startswith("_") and callable(value):
                        yield f"{module.__name__}.{name}.{attr}", getattr(obj, attr)


def test_inspect_signature_works_on_every_public_callable():
    failed = []
    for name, obj in public_callables():
        try:
            inspect.signature(obj)
        except (TypeError, ValueError) as e:
            failed.append(f"{name}: {e}")
    assert not failed, failed
    sig = inspect.signature(cl.read_csv)
    assert list(sig.parameters)[:2] == ["path", "schema"]
    assert sig.parameters["delimiter"].kind is inspect.Parameter.KEYWORD_ONLY
    assert list(inspect.signature(cl.Table.to_pandas).parameters) == ["self", "copy"]
    assert list(inspect.signature(cl.make_customers(5).to_pandas).parameters) == ["copy"]
    assert "data" in inspect.signature(cl.Table).parameters


def test_wrapped_functions_behave_as_the_compiled_ones():
    t = cl.make_customers(50, seed=1)
    assert cl.read_csv.__name__ == "read_csv" and "Parameters" in cl.read_csv.__doc__
    with pytest.raises(TypeError):
        cl.make_customers(n_customer=5)             # an unknown keyword still raises
    assert cl.Table.from_pandas(t.to_pandas()).shape == t.shape


def test_stubs_and_py_typed_are_installed():
    pkg = pathlib.Path(cl.__file__).parent
    assert (pkg / "py.typed").exists()
    stub = pkg / "_core" / "__init__.pyi"
    text = stub.read_text()
    assert "def read_csv(path:" in text and "class Table:" in text
    assert (pkg / "_core" / "_metrics.pyi").exists()


def test_mypy_reads_the_stubs(tmp_path):
    pytest.importorskip("mypy")  # a test dependency (scripts/setup.sh installs it)
    good = tmp_path / "good.py"
    good.write_text(
        "import churnlib as cl\n"
        "t: cl.Table = cl.read_csv('customers.csv')\n"
        "n: int = t.num_rows\n"
        "t2: cl.Table = t.select(['tenure_months']).head(5)\n"
        "ok: bool = cl.has_openmp()\n")
    bad = tmp_path / "bad.py"
    bad.write_text("import churnlib as cl\n"
                   "n: str = cl.read_csv('x.csv').num_rows\n")
    cmd = [sys.executable, "-m", "mypy", "--no-error-summary", "--cache-dir",
           str(tmp_path / ".mypy_cache"), "--follow-imports=silent"]
    run = subprocess.run(cmd + [str(good)], capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr
    run = subprocess.run(cmd + [str(bad)], capture_output=True, text=True, timeout=600)
    assert run.returncode == 1 and "bad.py:2" in run.stdout and "int" in run.stdout, \
        run.stdout + run.stderr
