"""Which addresses requests from feed content may reach: the classification table, the
host spellings read as addresses, and the connection layer that resolves a name once,
checks every address and connects to a checked one (a stub resolver and a recording
backend at the seam; the loopback tests are in tests/monitor/pages/test_private_addresses.py)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from ipaddress import IPv4Network, IPv6Network, ip_address

import httpcore
import pytest

from monitor.feeds.addresses import (
    AddressPolicy,
    IPAddress,
    PrivateAddressError,
    PublicOnlyBackend,
    ip_literal,
    is_public,
)


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.215.14", True),
        ("8.8.8.8", True),
        ("2606:4700::1111", True),
        ("127.0.0.1", False),  # loopback
        ("127.255.0.9", False),
        ("::1", False),
        ("10.0.0.5", False),  # RFC 1918
        ("172.16.0.1", False),
        ("172.31.255.254", False),
        ("192.168.1.1", False),
        ("fc00::1", False),  # unique local
        ("fd12:3456::1", False),
        ("169.254.169.254", False),  # link-local: cloud metadata
        ("fe80::1", False),
        ("100.64.0.1", False),  # CGNAT
        ("100.127.255.254", False),
        ("0.0.0.0", False),  # unspecified: reaches this host
        ("::", False),
        ("224.0.0.1", False),  # multicast
        ("239.255.255.250", False),
        ("ff02::1", False),
        ("240.0.0.1", False),  # reserved
        ("255.255.255.255", False),
        ("192.0.2.10", False),  # documentation
        ("198.51.100.1", False),
        ("203.0.113.7", False),
        ("2001:db8::1", False),
        ("198.18.0.1", False),  # benchmarking
        ("fec0::1", False),  # site-local
        ("::ffff:127.0.0.1", False),  # IPv4-mapped
        ("::ffff:a9fe:a9fe", False),  # mapped 169.254.169.254
        ("2002:7f00:1::", False),  # 6to4 of 127.0.0.1
        ("2002:a00:5::1", False),  # 6to4 of 10.0.0.5
        ("2001:0:4136:e378:8000:63bf:f5ff:fffe", False),  # Teredo, client 10.0.0.1
        ("64:ff9b::a00:5", False),  # NAT64 of 10.0.0.5
        ("2002:808:808::1", True),  # 6to4 of 8.8.8.8
    ],
)
def test_only_global_unicast_addresses_are_public(address: str, public: bool) -> None:
    assert is_public(ip_address(address)) is public


@pytest.mark.parametrize(
    ("host", "address"),
    [
        ("127.0.0.1", "127.0.0.1"),
        ("2130706433", "127.0.0.1"),  # one decimal number
        ("0x7f000001", "127.0.0.1"),  # one hex number
        ("0x7f.1", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),  # octal
        ("0177.1", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("10.1", "10.0.0.1"),
        ("0", "0.0.0.0"),
        ("::1", "::1"),
        ("fe80::1%25eth0", "fe80::1"),  # a zone, as a URL writes it
        ("::ffff:127.0.0.1", "::ffff:7f00:1"),
        ("example.com", None),
        ("123.example", None),
        ("cafe", None),
        ("1.2.3.4.5", None),
        ("999.1.1.1", None),  # no resolver reads it as an address: a name
    ],
)
def test_host_spellings_a_resolver_reads_as_addresses_are_read_so(
    host: str, address: str | None
) -> None:
    expected = ip_address(address) if address else None
    assert ip_literal(host) == expected


@pytest.mark.parametrize(
    ("allowed", "address", "permitted"),
    [
        ((), "10.1.2.3", False),
        ((IPv4Network("10.1.0.0/16"),), "10.1.2.3", True),
        ((IPv4Network("10.1.0.0/16"),), "10.2.0.1", False),
        ((IPv4Network("10.1.0.0/16"),), "::ffff:10.1.2.3", True),  # the same address, mapped
        ((IPv6Network("fd00::/8"),), "fd00::5", True),
        ((IPv6Network("fd00::/8"),), "10.1.2.3", False),
        ((IPv4Network("10.1.0.0/16"),), "8.8.8.8", True),  # public stays public
    ],
)
def test_the_allowed_networks_let_their_addresses_through(
    allowed: tuple[IPv4Network | IPv6Network, ...], address: str, permitted: bool
) -> None:
    assert AddressPolicy(allowed).permits(ip_address(address)) is permitted


class _Resolver:
    """A resolver that answers each call with the next list (a rebinding name's answers)."""

    def __init__(self, *answers: Sequence[str]) -> None:
        self.answers = [[ip_address(a) for a in answer] for answer in answers]
        self.asked: list[str] = []

    async def __call__(self, host: str, port: int) -> Sequence[IPAddress]:
        self.asked.append(host)
        return self.answers[min(len(self.asked), len(self.answers)) - 1]


class _Recording(httpcore.AsyncNetworkBackend):
    """Records where connections go; each fails, as an unreachable address does."""

    def __init__(self) -> None:
        self.connected: list[str] = []

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        self.connected.append(host)
        raise httpcore.ConnectError("unreachable")


def _backend(resolver: _Resolver, *allowed: IPv4Network) -> tuple[PublicOnlyBackend, _Recording]:
    inner = _Recording()
    return PublicOnlyBackend(AddressPolicy(allowed), resolver=resolver, backend=inner), inner


async def test_a_name_with_any_private_address_is_refused_before_connecting() -> None:
    backend, inner = _backend(_Resolver(["93.184.215.14", "10.0.0.5"]))
    with pytest.raises(PrivateAddressError, match=r"10\.0\.0\.5"):
        await backend.connect_tcp("news.example", 80)
    assert inner.connected == []


async def test_the_connection_goes_to_the_addresses_checked_not_to_a_second_lookup() -> None:
    resolver = _Resolver(["93.184.215.14", "2606:4700::1111"], ["127.0.0.1"])  # rebinding
    backend, inner = _backend(resolver)
    with pytest.raises(httpcore.ConnectError):
        await backend.connect_tcp("rebind.example", 80)
    assert resolver.asked == ["rebind.example"]  # resolved once
    assert inner.connected == ["93.184.215.14", "2606:4700::1111"]  # each checked address


async def test_an_address_spelt_as_a_number_is_checked_without_a_lookup() -> None:
    resolver = _Resolver(["93.184.215.14"])
    backend, inner = _backend(resolver)
    with pytest.raises(PrivateAddressError, match=r"127\.0\.0\.1"):
        await backend.connect_tcp("2130706433", 80)
    assert (resolver.asked, inner.connected) == ([], [])


async def test_an_allowed_private_network_is_connected_to() -> None:
    backend, inner = _backend(_Resolver(["10.1.2.3"]), IPv4Network("10.1.0.0/16"))
    with pytest.raises(httpcore.ConnectError):
        await backend.connect_tcp("mirror.intranet", 80)
    assert inner.connected == ["10.1.2.3"]
