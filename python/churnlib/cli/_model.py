"""Finding a model: a bundle file, or a registry folder with an optional name and version."""

from __future__ import annotations

import os

from ._common import CliError


def parse_spec(spec):
    """``(registry_root, name, version)`` for ``REGISTRY[:name[@version]]``, or
    ``(None, None, None)`` when ``spec`` is a bundle file."""
    if os.path.isfile(spec):
        return None, None, None
    if os.path.isdir(spec):
        return spec, None, "latest"
    root, sep, rest = spec.rpartition(":")
    if sep and os.path.isdir(root):
        name, _, version = rest.partition("@")
        return root, name or None, version or "latest"
    raise CliError(f"model '{spec}' is neither a model file nor a registry folder "
                   "(REGISTRY[:name[@version]])")


def load_model(spec):
    """The ChurnModel that ``spec`` names (see :func:`parse_spec`)."""
    import churnlib as cl

    root, name, version = parse_spec(spec)
    if root is None:
        return cl.ChurnModel.load(spec)
    registry = cl.ModelRegistry(root)
    if name is None:
        names = registry.names()
        if len(names) != 1:
            found = ", ".join(names) if names else "none"
            raise CliError(f"registry '{root}' holds {len(names)} models ({found}): name one "
                           f"as {root}:NAME[@VERSION]")
        name = names[0]
    if version.isdigit():
        version = int(version)
    model = registry.load(name, version)
    if not isinstance(model, cl.ChurnModel):
        raise CliError(f"'{spec}' is a {type(model).__name__}, not a ChurnModel bundle")
    return model


def load_events(path, fmt, as_of):
    """The event log (pandas) and the as-of date (a pandas Timestamp), or (None, None)."""
    if path is None:
        if as_of is not None:
            raise CliError("--as-of needs --events")
        return None, None
    import pandas as pd

    from . import _common

    if as_of is None:
        raise CliError("--events needs --as-of (the date the events are aggregated at)")
    try:
        when = pd.Timestamp(as_of)
    except (TypeError, ValueError) as e:
        raise CliError(f"--as-of: cannot read {as_of!r} as a date ({e})") from None
    events = _common.read_table(path, fmt).to_pandas()
    if "timestamp" in events.columns and events["timestamp"].dtype == object:
        events["timestamp"] = pd.to_datetime(events["timestamp"])
    return events, when
