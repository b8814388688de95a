"""The processes a test (or the whole suite) started, as Linux's ``/proc`` shows them.

A process is ours when it descends from a given pid, or when its environment carries a
marker (``WIREWATCH_TEST_PROCESS=<token>`` per spawned command, ``WIREWATCH_TEST_SESSION``
for the suite): children inherit the environment, so the marker still names a process
after its parent died and it was re-parented to PID 1. Waiting for processes to end is
done on pidfds (readable when the process exits), never by sleeping; the deadline is a
hang guard, not a performance threshold.

    token = new_token()
    process = subprocess.Popen(command, env=marked_env(token))
    ...
    family = marked(token)          # the command and everything it started
    survivors = wait_gone(family)   # [] once every one has exited
"""

from __future__ import annotations

import os
import select
import signal
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "COLD_START_GUARD",
    "HANG_GUARD",
    "PROCESS_MARK",
    "SESSION_MARK",
    "Proc",
    "descendants",
    "kill",
    "marked",
    "marked_env",
    "new_token",
    "running",
    "sigkill_self",
    "wait_gone",
]

PROCESS_MARK = "WIREWATCH_TEST_PROCESS"
SESSION_MARK = "WIREWATCH_TEST_SESSION"
HANG_GUARD = 60.0  # seconds; only ever reached when something is broken
# A wait that spans a cold interpreter importing the daemon and loading its models (the
# language identifier, the embedding model), in the process and again in a fork server:
# at load 13-15 on 2 cores such starts took 45-55 s with nothing broken, so HANG_GUARD
# would be a speed threshold there. Still only a guard against a start that never ends.
COLD_START_GUARD = 5 * HANG_GUARD
_PROC = Path("/proc")


@dataclass(frozen=True, slots=True)
class Proc:
    """One process: its pid, its parent's, and its command line (for reports)."""

    pid: int
    ppid: int
    command: str

    def __str__(self) -> str:
        return f"pid {self.pid} (parent {self.ppid}): {self.command[:160]}"


def new_token() -> str:
    return uuid.uuid4().hex


def marked_env(token: str) -> dict[str, str]:
    """This process's environment plus the per-command marker ``token``."""
    return {**os.environ, PROCESS_MARK: token}


def running() -> list[Proc]:
    """Every process alive now, zombies excluded (they have exited; only unreaped)."""
    found = []
    for entry in _PROC.iterdir():
        if entry.name.isdigit() and (proc := _read(int(entry.name))) is not None:
            found.append(proc)
    return sorted(found, key=lambda proc: proc.pid)


def marked(token: str, name: str = PROCESS_MARK) -> list[Proc]:
    """Living processes whose environment has ``name=token``."""
    entry = f"{name}={token}".encode()
    return [proc for proc in running() if entry in _environment(proc.pid)]


def descendants(pid: int, among: Iterable[Proc] | None = None) -> list[Proc]:
    """Children, grandchildren, … of ``pid`` (``among``: a snapshot of :func:`running`)."""
    procs = list(running() if among is None else among)
    found: list[Proc] = []
    parents = {pid}
    while layer := [proc for proc in procs if proc.ppid in parents and proc not in found]:
        found.extend(layer)
        parents = {proc.pid for proc in layer}
    return sorted(found, key=lambda proc: proc.pid)


def wait_gone(procs: Iterable[Proc], timeout: float = HANG_GUARD) -> list[Proc]:
    """Wait until every one of ``procs`` has exited; those still alive at the deadline."""
    watched = _pidfds(procs)
    try:
        poller = select.poll()
        for fd in watched:
            poller.register(fd, select.POLLIN)
        deadline = time.monotonic() + timeout
        while watched and (left := deadline - time.monotonic()) > 0:
            for fd, _ in poller.poll(left * 1000):
                poller.unregister(fd)
                os.close(fd)
                del watched[fd]
        return sorted(watched.values(), key=lambda proc: proc.pid)
    finally:
        for fd in watched:
            os.close(fd)


def kill(procs: Iterable[Proc]) -> None:
    """SIGKILL each process through a pidfd, so a recycled pid is never hit."""
    watched = _pidfds(procs)
    for fd in watched:
        signal.pidfd_send_signal(fd, signal.SIGKILL)
        os.close(fd)


def _pidfds(procs: Iterable[Proc]) -> dict[int, Proc]:
    """A pidfd per process still alive (an exited one has nothing left to wait for)."""
    fds = {}
    for proc in procs:
        try:
            fds[os.pidfd_open(proc.pid)] = proc
        except ProcessLookupError:
            continue
    return fds


def _read(pid: int) -> Proc | None:
    try:
        stat = (_PROC / str(pid) / "stat").read_text()
        command = (_PROC / str(pid) / "cmdline").read_bytes()
    except OSError:  # it exited while we looked
        return None
    state, ppid = stat.rsplit(")", 1)[1].split()[:2]  # the name may hold spaces and ")"
    if state in {"Z", "X"}:
        return None
    return Proc(pid, int(ppid), command.replace(b"\0", b" ").decode(errors="replace").strip())


def _environment(pid: int) -> list[bytes]:
    try:
        return (_PROC / str(pid) / "environ").read_bytes().split(b"\0")
    except OSError:  # gone, or not ours to read
        return []


def sigkill_self() -> None:
    """Run in a pool's worker: it dies as the kernel's OOM killer ends a process."""
    os.kill(os.getpid(), signal.SIGKILL)
