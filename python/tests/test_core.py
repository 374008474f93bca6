"""Version, build information and the exception hierarchy."""

import pickle
import re

import pytest

import churnlib as cl
from churnlib import _core

# (name, built-in bases every instance must also be)
ERRORS = [
    ("InvalidArgument", (ValueError,)),
    ("TypeMismatch", (TypeError,)),
    ("NotFittedError", (ValueError, AttributeError)),
    ("SchemaError", (ValueError,)),
    ("ParseError", (ValueError,)),
    ("SerializationError", (ValueError,)),
    ("IOError", (OSError, ValueError)),
]


def test_version():
    assert re.fullmatch(r"\d+\.\d+\.\d+", cl.__version__)
    assert cl.__version__ == "0.1.0"


def test_version_matches_metadata():
    from importlib.metadata import PackageNotFoundError, version

    try:
        assert version("churnlib") == cl.__version__
    except PackageNotFoundError:
        pytest.skip("churnlib is not installed as a distribution")


def test_has_openmp_is_bool():
    assert isinstance(cl.has_openmp(), bool)


def test_public_names_exist():
    for name in cl.__all__:
        assert hasattr(cl, name), name


def _run_python(code):
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout.split()


def test_import_is_light_and_submodules_load_on_first_use():
    # `import churnlib` (and so the `churn` command line) starts without scikit-learn, SciPy
    # or pandas; the other submodules and their names load when first used
    loaded = _run_python(
        "import sys, churnlib as cl\n"
        "print(*[m for m in ('sklearn', 'scipy', 'pandas', 'churnlib.tree') if m in sys.modules])\n"
        "print('tree' in dir(cl), cl.GBDTClassifier.__module__, 'churnlib.tree' in sys.modules)\n"
        "from churnlib import KMeans, report\n"
        "print(KMeans.__module__, report.__module__)\n")
    assert loaded == ["True", "churnlib.tree", "True", "churnlib.segment", "churnlib.reporting"]
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        cl.nope  # noqa: B018


@pytest.mark.parametrize("order", ["sklearn first", "churnlib first", "never imported"])
def test_not_fitted_error_is_sklearns_whichever_is_imported_first(order):
    # the compiled class gets scikit-learn's NotFittedError as a base when scikit-learn is
    # imported, before or after churnlib (so `except sklearn...NotFittedError` catches ours)
    code = {
        "sklearn first": "import sklearn.exceptions as s, churnlib as cl\n",
        "churnlib first": "import churnlib as cl, sklearn.exceptions as s\n",
        "never imported": "import churnlib as cl, sys\n"
                          "print('sklearn' in sys.modules)\n",
    }[order]
    if order == "never imported":
        code += ("try:\n"
                 "    cl._core._raise_cpp_error('NotFittedError', 'x')\n"
                 "except AttributeError as e:\n"
                 "    print(isinstance(e, ValueError), 'sklearn' in sys.modules)\n")
        assert _run_python(code) == ["False", "True", "False"]
        return
    code += ("print(issubclass(cl.NotFittedError, s.NotFittedError))\n"
             "try:\n"
             "    cl.GBDTClassifier().predict([[1.0]])\n"
             "except s.NotFittedError as e:\n"
             "    print(type(e).__name__, isinstance(e, cl.Error))\n")
    assert _run_python(code) == ["True", "NotFittedError", "True"]


@pytest.mark.parametrize("name,bases", ERRORS)
def test_cpp_exception_maps_to_python_class(name, bases):
    cls = getattr(cl, name)
    assert cls is getattr(cl.errors, name)
    assert issubclass(cls, cl.Error)
    for base in bases:
        assert issubclass(cls, base)
    with pytest.raises(cls, match="boom 42") as info:
        _core._raise_cpp_error(name, "boom 42")
    assert isinstance(info.value, cl.Error)
    assert str(info.value) == "boom 42"
    for base in bases:
        with pytest.raises(base):
            _core._raise_cpp_error(name, "x")


def test_base_error():
    with pytest.raises(cl.Error, match="plain"):
        _core._raise_cpp_error("Error", "plain")
    assert not issubclass(cl.Error, ValueError)


def test_exceptions_pickle():
    e = cl.InvalidArgument("bad value")
    e2 = pickle.loads(pickle.dumps(e))
    assert type(e2) is cl.InvalidArgument and str(e2) == "bad value"


def test_real_errors_from_the_library(tmp_path):
    t = cl.Table({"a": [1.0, 2.0], "s": ["x", "y"]})
    with pytest.raises(cl.InvalidArgument):  # unknown column
        t.select(["nope"])
    with pytest.raises(ValueError):
        t.select(["nope"])
    with pytest.raises(cl.TypeMismatch):  # string column in a matrix
        t.to_numpy()
    with pytest.raises(TypeError):
        t.to_numpy()
    with pytest.raises(cl.IOError):
        cl.read_csv(tmp_path / "missing.csv")
    with pytest.raises(OSError):
        cl.read_csv(tmp_path / "missing.csv")
    with pytest.raises(cl.SerializationError):
        cl.Schema.from_json("{not json")


def test_unknown_keyword_raises_type_error():
    with pytest.raises(TypeError):
        cl.make_customers(10, sed=1)
    with pytest.raises(TypeError):
        cl.read_csv("x.csv", delimeter=",")
    with pytest.raises(TypeError):
        cl.Table.from_pandas(df=None, extra=1)
