"""The cold-start child dies with its daemon, however the daemon ends: ``kill -9`` of the
daemon leaves no child warming an index nobody will load (``PR_SET_PDEATHSIG``).

Real processes: a parent process starts the child through ``warm_in_child``, as the
daemon does; the child's store is a "PostgreSQL server" on a Unix socket that accepts
and never answers (a stalled database), so the child is caught inside its store's
connect, past the point where it asked to die with its parent. The test learns the
child's pid from the socket's peer credentials, kills the parent with SIGKILL, and waits
on a pidfd for the child to end. Timeouts are hang guards only.
"""

from __future__ import annotations

import os
import signal
import socket
import struct
import subprocess
import sys
from pathlib import Path

from tests.support.processes import (
    COLD_START_GUARD,
    HANG_GUARD,
    Proc,
    kill,
    marked_env,
    new_token,
    wait_gone,
)

# The daemon's side, in a process of its own: the order it would send, then the wait.
PARENT = """
import asyncio, os, sys
from datetime import UTC, datetime
from monitor.config.settings import DedupSettings, StoreSettings
from monitor.stories.coldstart import ColdStart, warm_in_child

store = StoreSettings(url=sys.argv[1], connect_timeout=3600)
order = ColdStart(store, DedupSettings(), sys.argv[2], datetime.now(UTC), os.getpid())
asyncio.run(warm_in_child(order))
"""


def _stalled_database(folder: Path) -> socket.socket:
    """A Unix socket where libpq looks for a server in ``folder``: it accepts, never answers."""
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(folder / ".s.PGSQL.5432"))
    server.listen()
    server.settimeout(COLD_START_GUARD)  # the daemon's and its child's interpreters start
    return server


def _peer_pid(conn: socket.socket) -> int:
    credentials = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    pid, _, _ = struct.unpack("3i", credentials)
    return int(pid)


def _parent_of(pid: int) -> int:
    stat = Path(f"/proc/{pid}/stat").read_text()
    return int(stat.rsplit(")", 1)[1].split()[1])


def test_kill_9_of_the_daemon_ends_its_cold_start_child(tmp_path: Path) -> None:
    url = f"postgresql://wirewatch@/wirewatch?host={tmp_path}"
    token = new_token()
    env = {**marked_env(token), "PYTHONPATH": os.pathsep.join(sys.path)}
    with _stalled_database(tmp_path) as server:
        command = [sys.executable, "-c", PARENT, url, str(tmp_path / "index.snapshot")]
        parent = subprocess.Popen(command, env=env, stderr=subprocess.PIPE)
        try:
            conn, _ = server.accept()  # the child, in its store's connect: past _die_with
        except BaseException:
            parent.kill()
            raise
        with conn:
            child = _peer_pid(conn)
            assert _parent_of(child) == parent.pid  # the child warm_in_child started
            parent.send_signal(signal.SIGKILL)
            parent.wait(HANG_GUARD)
            survivors = wait_gone([Proc(child, parent.pid, "cold-start child")])
            kill(survivors)  # a failing run leaves nothing behind
            assert survivors == [], "the cold-start child outlived its daemon's kill -9"
            conn.settimeout(HANG_GUARD)
            while conn.recv(65536):  # libpq's start-up packet, then end-of-file: it is gone
                pass
        assert parent.stderr is not None
        parent.stderr.close()
