"""Content-Encoding (gzip, deflate, br) decoded as the body streams in, never past a cap.

Decompressors are asked for at most the bytes still allowed, so a compression bomb (a
few KB that inflate to gigabytes) is stopped at the cap without ever being inflated
beyond it.
"""

from __future__ import annotations

import zlib
from typing import Protocol

import brotli


class BodyTooLargeError(Exception):
    """The decoded body would exceed the cap."""


class UndecodableBodyError(Exception):
    """Corrupt compressed data, or an encoding we do not speak."""


class _Inflater(Protocol):
    def feed(self, data: bytes, limit: int) -> tuple[bytes, bool]:
        """Up to ``limit`` bytes of output, and whether input is still pending."""


class _Identity:
    def feed(self, data: bytes, limit: int) -> tuple[bytes, bool]:
        return data, False  # chunks are small; the caller's size check is enough


class _Zlib:
    def __init__(self, wbits: int) -> None:
        self._wbits = wbits
        self._engine = zlib.decompressobj(wbits)
        self._started = False

    def feed(self, data: bytes, limit: int) -> tuple[bytes, bool]:
        source = self._engine.unconsumed_tail + data
        try:
            out = self._engine.decompress(source, limit)
        except zlib.error:
            # "deflate" is meant to be zlib-wrapped, but many servers send raw deflate.
            if self._started or self._wbits != zlib.MAX_WBITS:
                raise
            self._wbits = -zlib.MAX_WBITS
            self._engine = zlib.decompressobj(self._wbits)
            out = self._engine.decompress(source, limit)
        self._started = True
        return out, bool(self._engine.unconsumed_tail)


class _Brotli:
    def __init__(self) -> None:
        self._engine = brotli.Decompressor()

    def feed(self, data: bytes, limit: int) -> tuple[bytes, bool]:
        if data and not self._engine.can_accept_more_data():
            data = b""  # unreachable in practice: the caller drains before feeding more
        out = self._engine.process(data, output_buffer_limit=limit)
        return out, not self._engine.can_accept_more_data()


def _inflater(encoding: str) -> _Inflater:
    name = encoding.strip().lower()
    if name in ("", "identity"):
        return _Identity()
    if name in ("gzip", "x-gzip"):
        return _Zlib(zlib.MAX_WBITS | 16)
    if name == "deflate":
        return _Zlib(zlib.MAX_WBITS)
    if name == "br":
        return _Brotli()
    raise UndecodableBodyError(f"unsupported content-encoding {name[:40]!r}")


class BodyDecoder:
    """Feed raw chunks, get decoded bytes; raises once the output would pass ``cap``."""

    def __init__(self, encoding: str | None, cap: int) -> None:
        self._inflater = _inflater(encoding or "")
        self._cap = cap
        self._size = 0

    def feed(self, chunk: bytes) -> bytes:
        parts = []
        pending = True
        data = chunk
        while pending:
            try:
                out, pending = self._inflater.feed(data, self._cap - self._size + 1)
            except (zlib.error, brotli.error) as exc:
                raise UndecodableBodyError(f"corrupt compressed body: {exc}") from exc
            data = b""
            self._size += len(out)
            if self._size > self._cap:
                raise BodyTooLargeError(f"decoded body exceeds {self._cap} bytes")
            parts.append(out)
            if not out:
                break  # no progress: wait for more input
        return b"".join(parts)
