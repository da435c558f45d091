"""Per-host HTTP clients: one small connection pool and one concurrency slot per host.

httpcore's pool scans all its connections (quadratically) whenever a request starts or ends, so one
big pool for thousands of feeds spends more CPU on bookkeeping than on HTTP. A pool per host keeps
each scan to ``per_host_concurrency`` connections, gives keep-alive reuse within a host, and makes
the per-host politeness limit a property of the pool. Least recently used idle hosts are closed
beyond ``max_hosts`` so a long run does not accumulate sockets.
"""

from __future__ import annotations

import asyncio
import ssl
from collections import OrderedDict
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpcore
import httpx

from connectors.safety import AddressGuard, GuardedBackend

__all__ = ["HostClients"]


class _GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport whose connection pool connects through ``GuardedBackend`` (SSRF check at
    connect time). httpx has no public hook for the network backend, so the pool is replaced."""

    def __init__(self, guard: AddressGuard, ssl_context: ssl.SSLContext, connections: int) -> None:
        super().__init__(verify=ssl_context, trust_env=False)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context,
            max_connections=connections,
            max_keepalive_connections=connections,
            keepalive_expiry=5.0,
            network_backend=GuardedBackend(guard),
        )


@dataclass
class _Host:
    client: httpx.AsyncClient
    slot: asyncio.Semaphore
    users: int = 0


class HostClients:
    """Hands out the client of a URL's host while holding one of the host's concurrency slots."""

    def __init__(
        self,
        guard: AddressGuard,
        *,
        per_host: int,
        timeout: httpx.Timeout,
        headers: Mapping[str, str],
        max_hosts: int = 256,
    ) -> None:
        self._guard = guard
        self._per_host = per_host
        self._timeout = timeout
        self._headers = dict(headers)
        self._max_hosts = max_hosts
        self._ssl = httpx.create_ssl_context(trust_env=False)  # built once: loading CA certificates is slow
        self._hosts: OrderedDict[str, _Host] = OrderedDict()

    def _host(self, name: str) -> _Host:
        host = self._hosts.get(name)
        if host is None:
            client = httpx.AsyncClient(
                transport=_GuardedTransport(self._guard, self._ssl, self._per_host),
                timeout=self._timeout,
                headers=self._headers,
                follow_redirects=False,
                trust_env=False,
            )
            host = self._hosts[name] = _Host(client, asyncio.Semaphore(self._per_host))
        self._hosts.move_to_end(name)
        return host

    @asynccontextmanager
    async def slot(self, hostname: str) -> AsyncIterator[httpx.AsyncClient]:
        """Wait for a free slot on ``hostname`` and yield its client."""
        host = self._host(hostname.lower())
        host.users += 1
        try:
            async with host.slot:
                yield host.client
        finally:
            host.users -= 1
            await self._evict()

    async def _evict(self) -> None:
        idle = [name for name, host in self._hosts.items() if host.users == 0]
        for name in idle[: max(0, len(self._hosts) - self._max_hosts)]:
            await self._hosts.pop(name).client.aclose()

    async def aclose(self) -> None:
        hosts, self._hosts = list(self._hosts.values()), OrderedDict()
        for host in hosts:
            await host.client.aclose()
