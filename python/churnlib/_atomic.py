"""One way to write a file atomically: into a temporary file next to it, flushed to disk, then
renamed over it, so readers never see a partial file and a failure leaves an earlier file as it
was (and no temporary behind)."""
from __future__ import annotations

import os
import uuid

from .errors import IOError as _ChurnIOError


def write_atomically(path, write, caller):
    """Calls ``write(f)`` with a binary file opened next to ``path``, then renames it onto
    ``path``. An OSError becomes a churnlib IOError naming ``caller`` and the path; any other
    exception propagates; either way the temporary file is removed."""
    directory = os.path.dirname(os.path.abspath(path))
    tmp = os.path.join(directory,
                       f".{os.path.basename(path)}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}")
    try:
        with open(tmp, "xb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException as e:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(e, OSError) and not isinstance(e, _ChurnIOError):
            raise _ChurnIOError(f"{caller}: cannot write '{path}': {e}") from e
        raise
