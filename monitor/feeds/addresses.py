"""Which addresses a request may connect to, for requests whose URLs come from feed
content (article pages, their robots.txt, every redirect hop): a hostile feed must not
make the daemon fetch its own network (cloud metadata at 169.254.169.254, admin pages on
127.0.0.1, intranet hosts) and quote the answer in alerts.

Only public addresses pass, plus the private networks the operator allows
(``[daemon] page_private_networks``). A host name passes only when every address it
resolves to does, and the connection is made to those very addresses
(:class:`PublicOnlyBackend`, the connection layer under httpx), so a name that resolves
to a public address when checked and to a private one when connecting (DNS rebinding)
gets nowhere. Host spellings resolvers read as IPv4 (``2130706433``, ``0x7f.1``,
``0177.1``) are read the same way here, and addresses carried inside IPv6 ones
(``::ffff:127.0.0.1``, 6to4, Teredo, NAT64) are checked as well.
"""

from __future__ import annotations

import asyncio
import functools
import re
import socket
from collections.abc import Awaitable, Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address
from typing import Final

import httpcore

IPAddress = IPv4Address | IPv6Address
IPNetwork = IPv4Network | IPv6Network
Resolver = Callable[[str, int], Awaitable[Sequence[IPAddress]]]

LOOKUP_THREADS: Final = 8  # page hosts resolved at once; more wait for a thread
_NAT64: Final = IPv6Network("64:ff9b::/96")  # RFC 6052: the IPv4 address in the last 32 bits
_LEGACY_IPV4: Final = re.compile(r"(?:0x[0-9a-f]*|[0-9]+)(?:\.(?:0x[0-9a-f]*|[0-9]+)){0,3}", re.I)


class PrivateAddressError(Exception):
    """A host that is, or resolves to, an address requests of this kind may not reach."""

    def __init__(self, host: str, address: IPAddress) -> None:
        super().__init__(f"{host} is at {address}, a non-public address")
        self.host = host
        self.address = address


def ip_literal(host: str) -> IPAddress | None:
    """``host`` as an address when it is one: the standard forms (an IPv6 zone dropped),
    and the other IPv4 spellings ``inet_aton`` (so every resolver) accepts: one number,
    octal and hex parts, fewer than four parts."""
    try:
        return ip_address(host.split("%", 1)[0])
    except ValueError:
        pass
    if not _LEGACY_IPV4.fullmatch(host):
        return None
    try:
        return IPv4Address(socket.inet_aton(host))
    except OSError:  # a part out of range: a name, for whatever resolves it
        return None


def embedded_ipv4(address: IPAddress) -> tuple[IPv4Address, ...]:
    """The IPv4 addresses an IPv6 address carries and may be routed to: mapped
    (``::ffff:a.b.c.d``), 6to4, Teredo (server and client), NAT64's well-known prefix."""
    if isinstance(address, IPv4Address):
        return ()
    carried = [address.ipv4_mapped, address.sixtofour, *(address.teredo or ())]
    if address in _NAT64:
        carried.append(IPv4Address(int(address) & 0xFFFFFFFF))
    return tuple(found for found in carried if found is not None)


def is_public(address: IPAddress) -> bool:
    """Globally reachable unicast, and so is every IPv4 address it carries: not loopback,
    private (RFC 1918, fc00::/7), link-local, CGNAT (100.64/10), unspecified, multicast,
    reserved or documentation ranges."""
    special = (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or (isinstance(address, IPv6Address) and address.is_site_local)
    )
    if special or not address.is_global:
        return False
    return all(is_public(carried) for carried in embedded_ipv4(address))


@dataclass(frozen=True, slots=True)
class AddressPolicy:
    """Public addresses, and those in ``allowed`` (the operator's private networks)."""

    allowed: tuple[IPNetwork, ...] = ()

    def permits(self, address: IPAddress) -> bool:
        return is_public(address) or any(
            candidate in network
            for candidate in (address, *embedded_ipv4(address))
            for network in self.allowed
            if candidate.version == network.version
        )

    def check(self, host: str, addresses: Iterable[IPAddress]) -> None:
        """Raises :class:`PrivateAddressError` for the first address not permitted."""
        for address in addresses:
            if not self.permits(address):
                raise PrivateAddressError(host, address)


class ThreadedResolver:
    """The system resolver in threads of its own. Not the event loop's default executor:
    links in feeds name thousands of hosts, some with name servers that never answer
    (each lookup then waits out the resolver's timeouts), and the default executor's few
    threads (cores + 4) also serve the feeds' own lookups and, without parse workers,
    parsing and extraction."""

    def __init__(self, threads: int = LOOKUP_THREADS) -> None:
        self._executor = ThreadPoolExecutor(threads, thread_name_prefix="address-lookup")

    async def __call__(self, host: str, port: int) -> list[IPAddress]:
        """Every address ``host`` resolves to, in the resolver's order, each once."""
        lookup = functools.partial(socket.getaddrinfo, host, port, type=socket.SOCK_STREAM)
        try:
            found = await asyncio.get_running_loop().run_in_executor(self._executor, lookup)
        except OSError as exc:  # gaierror: no such name
            raise httpcore.ConnectError(f"{host}: {exc}") from exc
        addresses = (ip_address(str(sockaddr[0]).split("%", 1)[0]) for *_, sockaddr in found)
        return list(dict.fromkeys(addresses))

    def close(self) -> None:
        """No new lookups; one still waiting on a name server ends in its thread."""
        self._executor.shutdown(wait=False, cancel_futures=True)


class PublicOnlyBackend(httpcore.AsyncNetworkBackend):
    """httpcore's connection layer, refusing non-public addresses: a host name is resolved
    once, every address it has is checked, and the connection goes to a checked one."""

    def __init__(
        self,
        policy: AddressPolicy,
        *,
        resolver: Resolver | None = None,
        backend: httpcore.AsyncNetworkBackend | None = None,
    ) -> None:
        self.policy = policy
        self._threads = ThreadedResolver()  # its threads start with its first lookup
        self._resolve: Resolver = resolver or self._threads
        self._backend = backend or httpcore.AnyIOBackend()

    async def addresses(self, host: str, port: int) -> Sequence[IPAddress]:
        """The checked addresses of ``host``; :class:`PrivateAddressError` if any is not
        permitted (a name with one private address among public ones is refused too)."""
        literal = ip_literal(host)
        found = [literal] if literal is not None else await self._resolve(host, port)
        self.policy.check(host, found)
        return found

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        failure: Exception = httpcore.ConnectError(f"{host}: no address")
        for address in await self.addresses(host, port):
            try:
                return await self._backend.connect_tcp(
                    str(address), port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc  # the next address, as a resolver's list is meant to be tried
        raise failure

    async def sleep(self, seconds: float) -> None:
        await self._backend.sleep(seconds)

    def close(self) -> None:
        self._threads.close()
