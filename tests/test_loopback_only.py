"""The suite's guard: no name or address beyond loopback, in the test process and in the
Python processes tests start (tests/support/loopback_only)."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys

import pytest
import uvloop

BEYOND = [("news.example", 443), ("example.org", 80)]


@pytest.mark.parametrize(("host", "port"), BEYOND)
def test_a_name_beyond_loopback_does_not_resolve(host: str, port: int) -> None:
    with pytest.raises(socket.gaierror, match="beyond loopback"):
        socket.getaddrinfo(host, port)


@pytest.mark.parametrize("address", [("192.0.2.1", 80), ("2001:db8::1", 80)])
def test_an_address_beyond_loopback_is_refused(address: tuple[str, int]) -> None:
    family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
    with socket.socket(family) as sock, pytest.raises(ConnectionRefusedError):
        sock.connect(address)


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "::1"])
def test_loopback_still_resolves(host: str) -> None:
    assert socket.getaddrinfo(host, 80)


def test_a_child_python_process_is_guarded_too() -> None:
    probe = "import socket; socket.getaddrinfo('news.example', 443)"
    command = [sys.executable, "-c", probe]
    done = subprocess.run(command, check=False, capture_output=True, text=True)
    assert done.returncode == 1
    assert "beyond loopback, refused in tests" in done.stderr


@pytest.mark.parametrize(("host", "port"), BEYOND)
def test_a_name_beyond_loopback_does_not_resolve_on_uvloop(host: str, port: int) -> None:
    """uvloop resolves in libuv, not through ``socket.getaddrinfo``."""

    async def resolve_and_connect() -> None:
        loop = asyncio.get_running_loop()
        with pytest.raises(socket.gaierror, match="beyond loopback"):
            await loop.getaddrinfo(host, port)
        with pytest.raises(socket.gaierror, match="beyond loopback"):
            await loop.create_connection(asyncio.Protocol, host, port)

    uvloop.run(resolve_and_connect())


@pytest.mark.parametrize("address", [("192.0.2.1", 80), ("2001:db8::1", 80)])
def test_an_address_beyond_loopback_is_refused_on_uvloop(address: tuple[str, int]) -> None:
    """uvloop connects in libuv, not through ``socket.socket.connect``."""

    async def connect() -> None:
        loop = asyncio.get_running_loop()
        with pytest.raises(ConnectionRefusedError, match="beyond loopback"):
            await loop.create_connection(asyncio.Protocol, *address)
        family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        with socket.socket(family) as sock:
            sock.setblocking(False)
            with pytest.raises(ConnectionRefusedError):
                await loop.sock_connect(sock, address)

    uvloop.run(connect())
