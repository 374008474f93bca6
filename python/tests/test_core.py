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
