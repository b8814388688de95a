"""Content-Encoding decoded incrementally and never past the cap (bombs included)."""

from __future__ import annotations

import gzip
import zlib

import brotli
import pytest

from monitor.feeds.decoding import BodyDecoder, BodyTooLargeError, UndecodableBodyError

TEXT = b"<rss><channel><title>decoded</title></channel></rss>" * 50


def raw_deflate(data: bytes) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    return packer.compress(data) + packer.flush()


ENCODED = {
    "identity": TEXT,
    "gzip": gzip.compress(TEXT),
    "x-gzip": gzip.compress(TEXT),
    "deflate": zlib.compress(TEXT),
    "raw-deflate": raw_deflate(TEXT),  # what many servers send as "deflate"
    "br": brotli.compress(TEXT),
}


def decode(encoding: str, data: bytes, cap: int, chunk: int = 7) -> bytes:
    decoder = BodyDecoder("deflate" if encoding == "raw-deflate" else encoding, cap)
    return b"".join(decoder.feed(data[i : i + chunk]) for i in range(0, len(data), chunk))


@pytest.mark.parametrize("encoding", sorted(ENCODED))
def test_each_encoding_decodes_in_small_chunks(encoding: str) -> None:
    assert decode(encoding, ENCODED[encoding], cap=len(TEXT)) == TEXT


@pytest.mark.parametrize("encoding", sorted(ENCODED))
def test_one_byte_over_the_cap_fails(encoding: str) -> None:
    with pytest.raises(BodyTooLargeError):
        decode(encoding, ENCODED[encoding], cap=len(TEXT) - 1)


BOMBS = {"gzip": gzip.compress, "br": brotli.compress}


@pytest.mark.parametrize("encoding", sorted(BOMBS))
def test_a_bomb_is_stopped_without_inflating_it(encoding: str) -> None:
    """16 MiB of zeros in a few KB: the decoder never produces more than cap + 1 bytes."""
    bomb = BOMBS[encoding](bytes(16 * 1024 * 1024))
    decoder = BodyDecoder(encoding, 256 * 1024)
    produced: list[int] = []

    def feed_all() -> None:
        for start in range(0, len(bomb), 65536):
            produced.append(len(decoder.feed(bomb[start : start + 65536])))

    with pytest.raises(BodyTooLargeError):
        feed_all()
    assert sum(produced) <= 256 * 1024


@pytest.mark.parametrize(
    ("encoding", "data"),
    [("gzip", b"not gzip at all"), ("br", b"\xff\xff\xff\xff"), ("compress", b"x")],
)
def test_corrupt_or_unknown_encodings_are_undecodable(encoding: str, data: bytes) -> None:
    with pytest.raises(UndecodableBodyError):
        BodyDecoder(encoding, 1024).feed(data)
