"""One daemon per SQLite database: the second one exits 1 naming the lock and the holder."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from monitor.cli.main import main
from monitor.config.settings import StoreSettings
from monitor.store.instance_lock import InstanceLockedError, instance_lock, lock_path_for
from tests.support.daemon_process import HANG_GUARD, DaemonProcess


@pytest.mark.parametrize(
    ("store", "expected"),
    [
        (StoreSettings(path="/srv/ww.db"), "/srv/ww.db.lock"),
        (StoreSettings(path="ww.db"), "ww.db.lock"),
        (StoreSettings(path=":memory:"), None),
        (StoreSettings(path="file:ww.db?mode=rwc"), None),
    ],
)
def test_lock_file_sits_beside_the_database(store: StoreSettings, expected: str | None) -> None:
    assert lock_path_for(store) == expected


def test_a_second_holder_is_refused_with_the_file_and_the_holders_pid(tmp_path: Path) -> None:
    path = str(tmp_path / "ww.db.lock")
    with instance_lock(path):
        with pytest.raises(InstanceLockedError) as refused, instance_lock(path):
            pass
        assert Path(path).read_text().strip() == str(os.getpid())
    assert refused.value.lock_path == path
    assert refused.value.holder == str(os.getpid())
    assert path in str(refused.value) and f"pid {os.getpid()}" in str(refused.value)
    with instance_lock(path):  # released on leaving the block
        pass


def test_a_killed_holder_leaves_no_stale_lock(tmp_path: Path) -> None:
    path = str(tmp_path / "ww.db.lock")
    script = (
        "import sys\nfrom monitor.store.instance_lock import instance_lock\n"
        f"with instance_lock({path!r}):\n    print('locked', flush=True)\n    sys.stdin.read()\n"
    )
    with subprocess.Popen(
        [sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    ) as holder:
        assert holder.stdout is not None
        assert holder.stdout.readline() == "locked\n"
        with pytest.raises(InstanceLockedError, match=f"pid {holder.pid}"), instance_lock(path):
            pass
        holder.kill()
        holder.wait(timeout=HANG_GUARD)
    with instance_lock(path):  # the kernel dropped the dead process's lock
        pass


def _config(tmp_path: Path) -> Path:
    path = tmp_path / "ww.toml"
    path.write_text(f"""
[daemon]
parse_workers = 0
[log]
format = "json"
[store]
path = "{tmp_path / "ww.db"}"
[notifiers.console]
type = "console"
""")
    return path


def test_second_daemon_on_the_same_database_exits_1_naming_the_lock_and_holder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _config(tmp_path)
    with DaemonProcess(config) as first:
        first.wait_event("daemon_started")
        assert main(["run", "--config", str(config)]) == 1
        err = capsys.readouterr().err
        assert f"{tmp_path / 'ww.db'}.lock" in err
        assert f"pid {first.pid}" in err
        assert "Traceback" not in err
        # Read-only commands run beside the daemon.
        assert main(["feeds", "--config", str(config)]) == 0
        first.send_signal(signal.SIGTERM)
        assert first.wait() == 0
    assert main(["run", "--once", "--config", str(config)]) == 0  # free again
