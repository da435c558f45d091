"""SSRF protection: refuse URLs whose host resolves to loopback, private, link-local or reserved addresses.

Two layers, both driven by ``AddressGuard``:

* ``AddressGuard.check_url`` runs before every request and every redirect hop and gives a clear error;
* ``GuardedBackend`` (an httpcore network backend) re-resolves and re-checks at connect time and
  connects to the checked IP, so a DNS answer that changes between check and connect (DNS rebinding)
  cannot slip through.

The per-request permission (``allow_private_networks`` of the feed) travels in a context variable set
with ``AddressGuard.permit_private``. ``trusted_hosts`` (exact host names or IP literals, e.g. a
local RSS-Bridge) are exempt; the exemption is by name, so a redirect elsewhere is checked again.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import socket
import time
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from urllib.parse import urlsplit

import httpcore

__all__ = ["AddressGuard", "GuardedBackend", "HostLookupError", "UnsafeURLError", "is_public_address"]

_ALLOW_PRIVATE: ContextVar[bool] = ContextVar("newsmon_allow_private", default=False)
_CACHE_TTL_S = 60.0
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class UnsafeURLError(Exception):
    """The URL is refused: not http(s), or its host has no public address."""


class HostLookupError(Exception):
    """The host name could not be resolved (a network problem, not a refusal)."""


def is_public_address(ip: IPAddress) -> bool:
    """True for globally routable unicast addresses (IPv4-mapped IPv6 is judged as IPv4)."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


class AddressGuard:
    """Resolves hosts (with a short cache) and decides whether connecting to them is allowed."""

    def __init__(self, *, allow_private_default: bool = False, trusted_hosts: Iterable[str] = ()) -> None:
        self.allow_private_default = allow_private_default
        self.trusted_hosts = frozenset(h.strip().strip("[]").lower() for h in trusted_hosts)
        self._cache: dict[tuple[str, int], tuple[float, list[IPAddress]]] = {}

    @staticmethod
    @contextlib.contextmanager
    def permit_private(allowed: bool) -> Iterator[None]:
        """Within this block (and tasks it starts), private addresses are allowed iff ``allowed``."""
        token = _ALLOW_PRIVATE.set(allowed)
        try:
            yield
        finally:
            _ALLOW_PRIVATE.reset(token)

    def private_allowed(self) -> bool:
        return self.allow_private_default or _ALLOW_PRIVATE.get()

    async def resolve(self, host: str, port: int) -> list[IPAddress]:
        """Addresses of ``host`` (IP literals need no lookup); raise ``HostLookupError`` if unresolvable."""
        host = host.strip("[]")
        with contextlib.suppress(ValueError):
            return [ipaddress.ip_address(host)]
        cached = self._cache.get((host, port))
        if cached and cached[0] > time.monotonic():
            return cached[1]
        loop = asyncio.get_running_loop()
        try:
            infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as exc:
            raise HostLookupError(
                f"cannot resolve host {host!r}: {getattr(exc, 'strerror', None) or exc}"
            ) from exc
        addresses = _unique_addresses(str(info[4][0]) for info in infos)
        self._cache[(host, port)] = (time.monotonic() + _CACHE_TTL_S, addresses)
        return addresses

    async def allowed_addresses(self, host: str, port: int) -> list[IPAddress]:
        """Resolved addresses this request may connect to; raise ``UnsafeURLError`` when there are none."""
        addresses = await self.resolve(host, port)
        if self.private_allowed() or host.strip("[]").lower() in self.trusted_hosts:
            return addresses
        public = [ip for ip in addresses if is_public_address(ip)]
        if not public:
            shown = ", ".join(str(ip) for ip in addresses[:3])
            raise UnsafeURLError(
                f"refused: {host} resolves to a non-public address ({shown}); "
                "set allow_private_networks: true for this feed to permit it"
            )
        return public

    async def check_url(self, url: str) -> None:
        """Raise ``UnsafeURLError`` unless ``url`` is http(s) and its host may be contacted."""
        parts = urlsplit(url)
        if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
            raise UnsafeURLError(f"refused: only absolute http(s) URLs may be fetched, got {url!r}")
        try:
            port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
        except ValueError as exc:
            raise UnsafeURLError(f"refused: invalid port in {url!r}") from exc
        await self.allowed_addresses(parts.hostname, port)


def _unique_addresses(raw: Iterable[str]) -> list[IPAddress]:
    result: list[IPAddress] = []
    for text in raw:
        ip = ipaddress.ip_address(text.split("%", 1)[0])
        if ip not in result:
            result.append(ip)
    return result


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """An httpcore backend that connects only to addresses ``AddressGuard`` allows (checked per connect)."""

    def __init__(self, guard: AddressGuard, inner: httpcore.AsyncNetworkBackend | None = None) -> None:
        self._guard = guard
        self._inner = inner or httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            addresses = await self._guard.allowed_addresses(host, port)
        except HostLookupError as exc:
            raise httpcore.ConnectError(str(exc)) from exc
        last_error: Exception | None = None
        for ip in addresses:
            try:
                return await self._inner.connect_tcp(str(ip), port, timeout, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last_error = exc
        assert last_error is not None
        raise last_error

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise UnsafeURLError("refused: unix sockets are not used by the feed fetcher")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)
