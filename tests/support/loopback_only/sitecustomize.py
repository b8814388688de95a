"""No network beyond loopback: the suite's guard, in this process and in every Python
process the suite starts (daemons, commands, parse workers).

``tests/conftest.py`` installs it in the test process and puts this folder first on
``PYTHONPATH`` with ``WIREWATCH_TESTS_LOOPBACK_ONLY=1`` set, so Python imports this file
as ``sitecustomize`` at the start of every child and installs it there too. A name that
is not loopback fails to resolve (``socket.gaierror``) and a connection to an address that
is not loopback is refused (``ConnectionRefusedError``), at once and without a packet
leaving the machine: a feed item linking to ``https://news.example/…`` makes the daemon
try that page, and the test sees a failed page, as a real unreachable site would give.
"""

from __future__ import annotations

import ipaddress
import os
import socket
from typing import Any

ENV = "WIREWATCH_TESTS_LOOPBACK_ONLY"
_getaddrinfo = socket.getaddrinfo
_connect = socket.socket.connect
_connect_ex = socket.socket.connect_ex


def is_loopback(host: object) -> bool:
    """A loopback or unspecified address, ``localhost``, or no host at all."""
    if host is None:
        return True
    name = (host.decode() if isinstance(host, bytes) else str(host)).strip("[]").rstrip(".")
    if name.lower() == "localhost" or name.lower().endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(name.split("%")[0])
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


def _guarded_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
    if not is_loopback(host):
        raise socket.gaierror(socket.EAI_NONAME, f"{host}: beyond loopback, refused in tests")
    return _getaddrinfo(host, *args, **kwargs)


def _beyond(sock: socket.socket, address: Any) -> bool:
    inet = sock.family in (socket.AF_INET, socket.AF_INET6)
    return inet and isinstance(address, tuple) and not is_loopback(address[0])


def _guarded_connect(self: socket.socket, address: Any) -> None:
    if _beyond(self, address):
        raise ConnectionRefusedError(f"{address[0]}: beyond loopback, refused in tests")
    _connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: Any) -> int:
    if _beyond(self, address):
        return 111  # ECONNREFUSED
    return _connect_ex(self, address)


def _refuse(host: Any) -> None:
    """A name beyond loopback fails to resolve, an address beyond it is refused."""
    if is_loopback(host):
        return
    try:
        ipaddress.ip_address(str(host).strip("[]").split("%")[0])
    except ValueError:
        raise socket.gaierror(
            socket.EAI_NONAME, f"{host}: beyond loopback, refused in tests"
        ) from None
    raise ConnectionRefusedError(f"{host}: beyond loopback, refused in tests")


def _install_uvloop() -> None:
    """uvloop resolves and connects in libuv, past ``socket``'s functions: its loop's own
    methods are guarded too (the daemon's loop, decision 0079)."""
    try:
        import uvloop  # noqa: PLC0415
    except ImportError:  # not installed on this platform
        return
    loop = uvloop.Loop
    getaddrinfo, create_connection = loop.getaddrinfo, loop.create_connection
    sock_connect = loop.sock_connect

    async def guarded_getaddrinfo(self: Any, host: Any, *args: Any, **kwargs: Any) -> Any:
        if not is_loopback(host):
            raise socket.gaierror(socket.EAI_NONAME, f"{host}: beyond loopback, refused in tests")
        return await getaddrinfo(self, host, *args, **kwargs)

    async def guarded_create_connection(
        self: Any, factory: Any, host: Any = None, port: Any = None, **kwargs: Any
    ) -> Any:
        _refuse(host)
        return await create_connection(self, factory, host, port, **kwargs)

    async def guarded_sock_connect(self: Any, sock: socket.socket, address: Any) -> Any:
        if _beyond(sock, address):
            raise ConnectionRefusedError(f"{address[0]}: beyond loopback, refused in tests")
        return await sock_connect(self, sock, address)

    loop.getaddrinfo = guarded_getaddrinfo  # type: ignore[method-assign]
    loop.create_connection = guarded_create_connection  # type: ignore[method-assign, assignment]
    loop.sock_connect = guarded_sock_connect  # type: ignore[method-assign]


def install() -> None:
    """Refuse names and addresses beyond loopback in this process."""
    socket.getaddrinfo = _guarded_getaddrinfo
    socket.socket.connect = _guarded_connect  # type: ignore[method-assign, assignment]
    socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign, assignment]
    _install_uvloop()


if os.environ.get(ENV) == "1":
    install()
