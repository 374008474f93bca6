"""The one way Python's writers (write_parquet, plot.save, cl.report, the CLI's outputs) write a
file atomically, with the same rules as C++'s ``churn::AtomicFile`` (which every C++ writer uses:
model saves, write_csv, the registry):

- Nothing partial. On Linux the data goes into an unnamed temporary file (``O_TMPFILE``) in the
  target's folder; only when everything was written and flushed to disk (fsync) is it given a
  name (``.<name>.<16 hex digits>.tmp``) and renamed onto the target, so a process killed while
  writing leaves nothing behind. Where the filesystem has no ``O_TMPFILE`` a named temporary
  file of that pattern is written instead, locked (``flock``) while in use; the next write of
  the same target removes such files whose writer is gone. On any failure the temporary file is
  removed and an existing target is left as it was.
- Permissions. A new file gets the usual mode (0666 less the umask); an existing target keeps
  its mode (0600 stays 0600) and, where the process may set them, its owner and group.
- Regular files only. A target that is a directory, a FIFO, a device or a socket is refused with
  churnlib.IOError and never opened.
- Symbolic links are followed: the file a link points to is replaced, the link stays.

``CHURN_ATOMIC_NO_TMPFILE=1`` in the environment forces the named-temporary path (for tests).
"""
from __future__ import annotations

import errno
import os
import secrets
import stat

from .errors import IOError as _ChurnIOError

try:  # POSIX; elsewhere the temporary files are not locked (and never taken for stale)
    import fcntl as _fcntl
except ImportError:  # pragma: no cover
    _fcntl = None

_NO_TMPFILE_ENV = "CHURN_ATOMIC_NO_TMPFILE"
_MAX_LINKS = 40  # as the kernel's limit for a path
_MAX_NAME_PREFIX = 200  # bytes of the target's name kept in a temporary name
_HEX_DIGITS = 16
_SUFFIX = ".tmp"
_HEX = frozenset("0123456789abcdef")


def _kind_of(mode):
    for test, what in ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return what
    return "not a regular file"


def _follow_links(path, fail):
    """``path`` with symbolic links of its last component followed (a chain of them too)."""
    p = path
    for hops in range(_MAX_LINKS + 1):
        try:
            st = os.lstat(p)
        except OSError:
            return p
        if not stat.S_ISLNK(st.st_mode):
            return p
        if hops == _MAX_LINKS:
            break
        link = os.readlink(p)
        p = link if os.path.isabs(link) else os.path.join(os.path.dirname(p), link)
    raise fail("too many levels of symbolic links")


def _temporary_prefix(target):
    name = os.fsencode(os.path.basename(target))[:_MAX_NAME_PREFIX]
    return "." + os.fsdecode(name) + "."


def _is_temporary_name(name, prefix):
    if len(name) != len(prefix) + _HEX_DIGITS + len(_SUFFIX):
        return False
    if not name.startswith(prefix) or not name.endswith(_SUFFIX):
        return False
    return set(name[len(prefix):len(prefix) + _HEX_DIGITS]) <= _HEX


def _same_file(fd, name):
    try:
        a, b = os.fstat(fd), os.stat(name)
    except OSError:
        return False
    return (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)


def _try_lock(fd):
    """True when ``fd`` is now locked by us, or locks are not available here; False when
    another open file holds the lock."""
    if _fcntl is None:
        return True
    try:
        _fcntl.flock(fd, _fcntl.LOCK_EX | _fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    except OSError:
        return True
    return True


def _remove_stale_temporaries(folder, prefix):
    """Removes this target's temporary files left by writers that are gone (killed while
    writing where O_TMPFILE is missing): a live writer holds its file's lock."""
    if _fcntl is None:
        return
    try:
        names = [n for n in os.listdir(folder) if _is_temporary_name(n, prefix)]
    except OSError:
        return
    flags = os.O_CLOEXEC | os.O_NOFOLLOW | os.O_NONBLOCK
    for name in names:
        full = os.path.join(folder, name)
        try:
            fd = os.open(full, os.O_WRONLY | flags)
        except OSError:
            try:
                fd = os.open(full, os.O_RDONLY | flags)
            except OSError:
                continue
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                continue
            _fcntl.flock(fd, _fcntl.LOCK_EX | _fcntl.LOCK_NB)
            if _same_file(fd, full):
                os.unlink(full)
        except OSError:
            pass
        finally:
            os.close(fd)


def _unnamed_allowed():
    if os.environ.get(_NO_TMPFILE_ENV, "") not in ("", "0"):
        return False
    return hasattr(os, "O_TMPFILE") and os.access("/proc/self/fd", os.X_OK)


def _fsync_folder(folder):
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


class AtomicWriter:
    """A context manager giving a binary file that replaces ``path`` when the block ends
    without an exception (see the module's rules); on an exception the temporary file is
    removed and ``path`` is left as it was. An OSError (inside the block too) becomes a
    churnlib IOError naming ``caller`` and the path; other exceptions propagate.

    >>> with AtomicWriter("scores.csv", "export()") as f:
    ...     f.write(b"id,score\\n")
    """

    def __init__(self, path, caller):
        p = os.fspath(path)
        self.path = os.fsdecode(p) if isinstance(p, bytes) else p
        self.caller = caller
        self._file = None
        self._tmp = None  # the temporary file's name (None while it is unnamed)

    def _error(self, reason):
        return _ChurnIOError(f"{self.caller}: cannot write '{self.path}': {reason}")

    def __enter__(self):
        if not self.path:
            raise self._error("the path is empty")
        try:
            self._open()
        except _ChurnIOError:
            self._discard()
            raise
        except OSError as e:
            self._discard()
            raise self._error(e.strerror or e) from None
        return self._file

    def _open(self):
        self._target = _follow_links(self.path, self._error)
        try:
            st = os.stat(self._target)
        except FileNotFoundError:
            st = None
        if st is not None and not stat.S_ISREG(st.st_mode):
            raise self._error(f"it is {_kind_of(st.st_mode)}, not a regular file (only regular "
                              "files are replaced)")
        self._folder = os.path.dirname(self._target) or "."
        self._prefix = _temporary_prefix(self._target)
        _remove_stale_temporaries(self._folder, self._prefix)
        fd = self._open_temporary()
        self._file = os.fdopen(fd, "wb")
        if st is not None:  # keep the target's owner (where allowed) and mode, before any data
            if (st.st_uid, st.st_gid) != (os.geteuid(), os.getegid()):
                try:
                    os.fchown(fd, st.st_uid, st.st_gid)
                except OSError:
                    try:
                        os.fchown(fd, -1, st.st_gid)
                    except OSError:
                        pass  # not allowed to give the file away: it stays ours
            os.fchmod(fd, stat.S_IMODE(st.st_mode))

    def _open_temporary(self):
        if _unnamed_allowed():
            try:
                fd = os.open(self._folder, os.O_TMPFILE | os.O_WRONLY | os.O_CLOEXEC, 0o666)
            except OSError:
                pass  # no O_TMPFILE on this filesystem; other trouble shows in the next try
            else:
                if _fcntl is not None:
                    try:  # held until closed, so a cleaner never takes it once named
                        _fcntl.flock(fd, _fcntl.LOCK_EX)
                    except OSError:
                        pass
                return fd
        for _ in range(32):
            name = self._new_name()
            try:
                fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666)
            except FileExistsError:
                continue
            # locked and still under its name: otherwise a cleaner took it in between
            if _try_lock(fd) and _same_file(fd, name):
                self._tmp = name
                return fd
            os.close(fd)
        raise FileExistsError(errno.EEXIST, "cannot find a free temporary file name")

    def _new_name(self):
        return os.path.join(self._folder, self._prefix + secrets.token_hex(_HEX_DIGITS // 2)
                            + _SUFFIX)

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None:
            self._discard()
            if issubclass(exc_type, OSError) and not isinstance(exc, _ChurnIOError):
                raise self._error(exc.strerror or exc) from exc
            return False
        try:
            self._commit()
        except OSError as e:
            self._discard()
            raise self._error(e.strerror or e) from None
        return False

    def _commit(self):
        f = self._file
        f.flush()
        os.fsync(f.fileno())
        if self._tmp is None:  # unnamed: give it a name only now that it is complete
            self._tmp = self._link_unnamed(f.fileno())
        os.replace(self._tmp, self._target)
        self._tmp = None
        self._file = None
        f.close()  # releases the lock
        _fsync_folder(self._folder)

    def _link_unnamed(self, fd):
        # a folder descriptor makes os.link call linkat(AT_SYMLINK_FOLLOW), which links the file
        # behind /proc/self/fd/N (plain link() would try to link that magic link itself)
        folder = os.open(self._folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        try:
            for _ in range(32):
                name = self._new_name()
                try:
                    os.link(f"/proc/self/fd/{fd}", os.path.basename(name), dst_dir_fd=folder,
                            follow_symlinks=True)
                except FileExistsError:
                    continue
                return name
        finally:
            os.close(folder)
        raise FileExistsError(errno.EEXIST, "cannot find a free temporary file name")

    def _discard(self):
        if self._tmp is not None:  # while still locked
            try:
                os.unlink(self._tmp)
            except OSError:
                pass
            self._tmp = None
        if self._file is not None:
            try:
                self._file.close()
            except OSError:
                pass
            self._file = None


def write_atomically(path, write, caller):
    """Calls ``write(f)`` with a binary file that then replaces ``path`` atomically (see the
    module's rules). An OSError becomes a churnlib IOError naming ``caller`` and the path; any
    other exception propagates; either way the temporary file is removed and ``path`` is left
    as it was."""
    with AtomicWriter(path, caller) as f:
        write(f)
