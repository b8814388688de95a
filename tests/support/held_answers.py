"""A loopback TCP relay to PostgreSQL that can hold the server's answer to a COMMIT
(tests only): the server has committed, the client has not heard it yet. What a write
cancelled in that moment is told is then a test's to check (decision 0081)."""

from __future__ import annotations

import asyncio
import contextlib
from types import TracebackType

from psycopg.conninfo import conninfo_to_dict, make_conninfo

__all__ = ["CommitHold"]

_COMMIT = b"COMMIT\x00"  # the statement in a Parse message, and the server's command tag


class CommitHold:
    """Relays each connection; once :meth:`arm` is called, the first connection whose
    client sends a COMMIT has every byte the server sends after it held (``answered`` is
    set when the COMMIT's own answer is among them) until :meth:`release`."""

    def __init__(self, url: str) -> None:
        target = conninfo_to_dict(url)
        self._target = (str(target.get("host") or "127.0.0.1"), int(target.get("port") or 5432))
        self._url = url
        self._armed = False
        self._held: object | None = None  # the connection held
        self.answered = asyncio.Event()
        self._released = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        self._server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        port = self._server.sockets[0].getsockname()[1]
        return make_conninfo(self._url, host="127.0.0.1", port=str(port))

    def arm(self) -> None:
        self._armed = True

    def release(self) -> None:
        self._released.set()

    async def __aenter__(self) -> CommitHold:
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", 0)
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, err: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()
        assert self._server is not None
        self._server.close()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(*self._target)
        me = object()
        for task in (self._up(me, reader, up_writer), self._down(me, up_reader, writer)):
            self._tasks.add(asyncio.ensure_future(task))

    async def _up(
        self, me: object, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        with contextlib.closing(writer):
            while chunk := await reader.read(65536):
                if self._armed and self._held is None and _COMMIT in chunk:
                    self._held = me
                writer.write(chunk)
                await writer.drain()

    async def _down(
        self, me: object, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        held = b""
        with contextlib.closing(writer):
            while chunk := await reader.read(65536):
                held += chunk
                if self._held is me and not self._released.is_set():
                    if _COMMIT not in held:
                        continue  # the last answers come in pieces: the COMMIT's is last
                    self.answered.set()
                    await self._released.wait()
                writer.write(held)
                held = b""
                await writer.drain()
