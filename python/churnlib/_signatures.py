"""Signatures of the compiled functions (private).

pybind11 writes each compiled function's signature as the first line of its docstring
(``read_csv(path: str, schema: Schema = None, *, delimiter: str | None = None) -> Table``) but
gives it no ``__text_signature__``, so ``inspect.signature`` fails on it. This module parses those
lines: :func:`attach` replaces the functions of a compiled module, and the methods of its
classes, by thin Python wrappers carrying an ``inspect.Signature``; ``python/stubgen.py`` turns
the same parse into the ``.pyi`` stubs installed with the package.
"""

from __future__ import annotations

import functools
import inspect

__all__ = ["parse", "signature_of", "attach", "int_parameters"]


class _Default:
    """A default value shown as pybind11 wrote it (``None``, ``'"'``, ``<Kind.A: 0>``)."""

    def __init__(self, text):
        self.text = text

    def __repr__(self):
        return self.text


def _scan(text, start=0):
    """Yields ``(index, char, depth)`` for each character of ``text`` from ``start`` that is
    outside quotes; ``depth`` counts the open brackets before it (closing ones included)."""
    depth, quote, i = 0, None, start
    while i < len(text):
        c = text[i]
        if quote:
            if c == "\\":
                i += 1
            elif c == quote:
                quote = None
        elif c in "'\"":
            quote = c
        else:
            if c in "([{<":
                depth += 1
            elif c in ")]}>" and not (c == ">" and i > 0 and text[i - 1] == "-"):
                depth -= 1
            yield i, c, depth
        i += 1


def _split_top(text, sep=","):
    """Splits ``text`` at ``sep`` outside brackets and quotes."""
    parts, start, skip_to = [], 0, 0
    for i, _, depth in _scan(text):
        if i >= skip_to and depth == 0 and text.startswith(sep, i):
            parts.append(text[start:i])
            start = skip_to = i + len(sep)
    parts.append(text[start:])
    return parts


def _close(text, start):
    """Index of the parenthesis closing the one at ``start`` (quotes and brackets skipped)."""
    for i, c, depth in _scan(text, start):
        if depth == 0 and c in ")]}":
            return i
    return -1


def parse(doc, name):
    """``(parameters, return annotation)`` of pybind11's signature line for ``name``, or None.

    ``parameters`` is a list of ``(name, kind, annotation, default)``; kind is an
    ``inspect.Parameter`` kind, annotation and default are the text pybind11 wrote (or None).
    """
    if not doc or not doc.startswith(name + "("):
        return None
    end = _close(doc, len(name))
    if end < 0:
        return None
    body = doc[len(name) + 1:end]
    rest = doc[end + 1:].split("\n", 1)[0].strip()
    returns = rest[2:].strip() if rest.startswith("->") else None
    params, kind = [], inspect.Parameter.POSITIONAL_OR_KEYWORD
    for raw in _split_top(body):
        item = raw.strip()
        if not item:
            continue
        if item == "*":
            kind = inspect.Parameter.KEYWORD_ONLY
            continue
        if item == "/":
            params = [(n, inspect.Parameter.POSITIONAL_ONLY, a, d) for n, _, a, d in params]
            continue
        this_kind = kind
        if item.startswith("**"):
            this_kind, item = inspect.Parameter.VAR_KEYWORD, item[2:]
        elif item.startswith("*"):
            this_kind, item = inspect.Parameter.VAR_POSITIONAL, item[1:]
            kind = inspect.Parameter.KEYWORD_ONLY
        default = None
        head = _split_top(item, " = ")
        if len(head) > 1:
            item, default = head[0], " = ".join(head[1:]).strip()
        annotation = None
        parts = _split_top(item, ": ")
        if len(parts) > 1:
            item, annotation = parts[0], ": ".join(parts[1:]).strip()
        pname = item.strip()
        if not pname.isidentifier():
            return None
        params.append((pname, this_kind, annotation, default))
    return params, returns


def signature_of(func, name=None):
    """The ``inspect.Signature`` of a compiled function, or None when its doc has none."""
    name = name or getattr(func, "__name__", "")
    parsed = parse(getattr(func, "__doc__", None), name)
    if parsed is None:
        return None
    params, returns = parsed
    empty = inspect.Parameter.empty
    try:
        return inspect.Signature(
            [inspect.Parameter(n, k, default=empty if d is None else _Default(d),
                               annotation=empty if a is None else a)
             for n, k, a, d in params],
            return_annotation=empty if returns is None else returns)
    except ValueError:  # an order Python does not allow
        return None


def int_parameters(sig):
    """``(position, name, is_list, allow_none)`` of each int parameter of a parsed signature:
    those pybind11 annotates ``typing.SupportsInt`` (C++ int, Index, uint64 ...), alone, in a
    sequence (``std::vector<int>``) or optional, and ``n_threads`` (annotated ``int``)."""
    out = []
    for pos, p in enumerate(sig.parameters.values()):
        ann = p.annotation if isinstance(p.annotation, str) else ""
        if "typing.SupportsInt" not in ann and ann != "int":  # "int": n_threads' own caster
            continue
        many = ann.startswith("collections.abc.Sequence[")
        out.append((pos, p.name, many, ann.endswith("| None")))
    return out


def _float_arrays(sig):
    """``(position, name)`` of the parameters pybind11 converts to float64 arrays."""
    return [(pos, p.name) for pos, p in enumerate(sig.parameters.values())
            if isinstance(p.annotation, str) and "numpy.float64" in p.annotation]


def _check_ints(checks, args, kwargs, caller):
    """Issue 19: an int parameter out of its C++ type's range (or of the wrong type) raises
    InvalidArgument / TypeMismatch naming it, before pybind11's "incompatible function
    arguments" signature dump could."""
    from ._validation import CORE_INT_PARAMS, INT64_MAX, INT64_MIN, check_int, check_int_list

    for pos, name, many, allow_none in checks:
        if name in kwargs:
            value = kwargs[name]
        elif pos < len(args):
            value = args[pos]
        else:
            continue
        lo, hi = CORE_INT_PARAMS.get(name, (INT64_MIN, INT64_MAX))
        if many:
            check_int_list(value, name, caller, lo, hi)
        else:
            check_int(value, name, caller, lo, hi, allow_none=allow_none)


def _name_bad_array(arrays, args, kwargs, caller):
    """After pybind11 refused the arguments: TypeMismatch naming the first array argument
    that is not numeric (a text column given as scores), or None."""
    import numpy as np

    from .errors import TypeMismatch

    for pos, name in arrays:
        value = kwargs[name] if name in kwargs else args[pos] if pos < len(args) else None
        if value is None:
            continue
        try:
            np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError) as e:
            dtype = getattr(value, "dtype", None)
            if dtype is None:
                dtype = np.asarray(value).dtype if not np.isscalar(value) else type(value).__name__
            col = getattr(value, "name", None)
            what = f"{name} (column {col!r})" if isinstance(col, str) else name
            return TypeMismatch(f"{caller}: {what} must be numeric, got dtype {dtype} ({e})")
    return None


def _wrap(func, sig, caller=None):
    caller = f"{caller or getattr(func, '__name__', 'function')}()"
    checks, arrays = int_parameters(sig), _float_arrays(sig)

    if not checks and not arrays:
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            return func(*args, **kwargs)
    else:
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            if checks:
                _check_ints(checks, args, kwargs, caller)
            try:
                return func(*args, **kwargs)
            except TypeError as e:
                if not arrays or "incompatible function arguments" not in str(e):
                    raise
                better = _name_bad_array(arrays, args, kwargs, caller)
                if better is None:
                    raise
                raise better from None

    wrapper.__signature__ = sig
    return wrapper


def _is_compiled(obj):
    return type(obj).__name__ in ("builtin_function_or_method", "instancemethod")


def attach(namespace):
    """Gives every compiled function of a module (a dict of names) and every method of its
    compiled classes an ``inspect.Signature``; returns the names it could not."""
    missed = []
    for key, obj in list(namespace.items()):
        if key.startswith("__"):
            continue
        if _is_compiled(obj):
            sig = signature_of(obj, key)
            if sig is None:
                missed.append(key)
            else:
                namespace[key] = _wrap(obj, sig)
        elif isinstance(obj, type) and not issubclass(obj, BaseException) \
                and type(obj).__name__ == "pybind11_type":
            missed += [f"{key}.{m}" for m in _attach_class(obj)]
    return missed


def _attach_class(cls):
    missed = []
    for key, obj in list(vars(cls).items()):
        if key == "__init__" and _is_compiled(obj):
            sig = signature_of(obj, "__init__")
            if sig is not None:
                params = list(sig.parameters.values())[1:]  # without self
                cls.__signature__ = sig.replace(parameters=params, return_annotation=
                                                inspect.Signature.empty)
            continue
        if key.startswith("_"):
            continue
        if isinstance(obj, staticmethod) and _is_compiled(obj.__func__):
            sig = signature_of(obj.__func__, key)
            if sig is None:
                missed.append(key)
            else:
                setattr(cls, key, staticmethod(_wrap(obj.__func__, sig, f"{cls.__name__}.{key}")))
        elif _is_compiled(obj):
            func = getattr(obj, "__func__", obj)
            sig = signature_of(func, key)
            if sig is None:
                missed.append(key)
            else:
                setattr(cls, key, _wrap(func, sig, f"{cls.__name__}.{key}"))
    return missed
