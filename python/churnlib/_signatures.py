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

__all__ = ["parse", "signature_of", "attach"]


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


def _wrap(func, sig):
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        return func(*args, **kwargs)

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
                setattr(cls, key, staticmethod(_wrap(obj.__func__, sig)))
        elif _is_compiled(obj):
            func = getattr(obj, "__func__", obj)
            sig = signature_of(func, key)
            if sig is None:
                missed.append(key)
            else:
                setattr(cls, key, _wrap(func, sig))
    return missed
