"""One daemon per SQLite database: an exclusive ``flock`` on ``<database>.lock``.

Two daemons polling into one file would both send every alert and race on feed state.
``wirewatch run`` takes the lock before it opens the store and holds it until it exits;
the kernel drops it when the process dies, however it dies, so a crash never leaves a
stale lock behind. The file holds the holder's PID, for the error the second daemon
prints. Read-only commands (``feeds``, ``alerts``, ``db stats``) never take it and may
run beside the daemon.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator

from monitor.config import StoreSettings, store_directory_problem


class InstanceLockError(Exception):
    """The lock could not be taken; the message says why and names the file."""


class InstanceLockedError(InstanceLockError):
    """Another process holds the database's lock; the message names the file and PID."""

    def __init__(self, lock_path: str, holder: str) -> None:
        who = f"pid {holder}" if holder else "an unknown process"
        super().__init__(
            f"another wirewatch daemon ({who}) is using this database: {lock_path} is locked; "
            "stop it first, or give this one its own [store] path"
        )
        self.lock_path = lock_path
        self.holder = holder


def lock_path_for(store: StoreSettings) -> str | None:
    """``<database>.lock`` beside an SQLite file; None for a backend or database without one."""
    if store.backend != "sqlite" or store.path in ("", ":memory:"):
        return None
    if store.path.startswith("file:"):  # an SQLite URI: no plain path to sit beside
        return None
    return f"{store.path}.lock"


@contextlib.contextmanager
def instance_lock(path: str | None) -> Iterator[None]:
    """Hold the lock at ``path`` for the block (nothing when ``path`` is None);
    :class:`InstanceLockedError` at once when another process holds it."""
    if path is None:
        yield
        return
    fd = _acquire(path)
    try:
        yield
    finally:
        # The file stays: unlinking it could split two later daemons over two inodes.
        os.close(fd)


def _acquire(path: str) -> int:
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError as err:  # `check` reports this first; the directory may have gone since
        reason = store_directory_problem(path) or err.strerror
        raise InstanceLockError(f"cannot open lock file {path}: {reason}") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = _read_holder(fd)
        os.close(fd)
        raise InstanceLockedError(path, holder) from None
    except BaseException:
        os.close(fd)
        raise
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    return fd


def _read_holder(fd: int) -> str:
    """The PID the holder wrote, or "" when the file holds something else."""
    text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()  # a PID is a few digits
    return text if text.isdigit() else ""
