"""A small file system of the test's own, to fill up, free again or make read-only.

    @pytest.fixture(name="disk")
    def _disk(tmp_path: Path) -> Iterator[SmallDisk]:
        with small_disk(tmp_path / "disk") as disk:
            yield disk

    db = disk.path / "ww.db"          # the store lives on it
    disk.fill()                       # a ballast file takes every free block: ENOSPC
    disk.free()                       # the ballast goes: space is back
    disk.read_only(); disk.writable() # remounted (root ignores file permissions, mounts not)

A tmpfs mounted at the given directory: that takes root, which the tests have where CI
runs them. Where mounting is not permitted the test is skipped, saying why; the file
system is always unmounted afterwards (lazily, if a process the test started still has
a file open on it).
"""

from __future__ import annotations

import errno
import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

__all__ = ["SIZE", "SmallDisk", "small_disk"]

SIZE = 16 * 1024 * 1024  # bytes: a store and its WAL with room to spare, filled in a blink
_CHUNKS = (1 << 20, 1 << 16, 1 << 12, 1)  # ballast written in smaller pieces as room shrinks


class SmallDisk:
    """A mounted tmpfs at ``path``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.ballast = path / "ballast"

    def fill(self) -> None:
        """Take every free byte with the ballast file, until the kernel says ENOSPC."""
        fd = os.open(self.ballast, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            for chunk in _CHUNKS:
                _write_until_full(fd, b"\0" * chunk)
        finally:
            os.close(fd)
        assert self.free_bytes() == 0, f"{self.path} still has room"

    def free(self) -> None:
        """Delete the ballast: the space is back."""
        self.ballast.unlink(missing_ok=True)

    def free_bytes(self) -> int:
        stats = os.statvfs(self.path)
        return stats.f_bavail * stats.f_frsize

    def read_only(self) -> None:
        """Remount read-only (fails while a process has a file on it open for writing)."""
        _mount("-o", "remount,ro", str(self.path))

    def writable(self) -> None:
        _mount("-o", "remount,rw", str(self.path))


def _write_until_full(fd: int, chunk: bytes) -> None:
    while True:
        try:
            os.write(fd, chunk)
        except OSError as err:
            if err.errno != errno.ENOSPC:
                raise
            return


@contextmanager
def small_disk(path: Path, size: int = SIZE) -> Iterator[SmallDisk]:
    """A tmpfs of ``size`` bytes mounted at ``path`` (created) for the block; skips the
    test where mounting is not permitted."""
    if os.geteuid() != 0:
        pytest.skip("a full disk is made by mounting a small tmpfs, which needs root")
    path.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs at {path}: {mounted.stderr.strip()}")
    try:
        yield SmallDisk(path)
    finally:
        _unmount(path)


def _mount(*args: str) -> None:
    subprocess.run(["mount", *args], capture_output=True, text=True, check=True)


def _unmount(path: Path) -> None:
    done = subprocess.run(["umount", str(path)], capture_output=True, check=False)
    if done.returncode != 0:  # busy: detached now, gone once the last file closes
        subprocess.run(["umount", "-l", str(path)], capture_output=True, check=False)
