"""The asynchronous HTTP fetcher shared by every feed and article-page request.

One ``httpx.AsyncClient`` with a global concurrency limit and a per-host limit, connect/read timeouts
plus an overall deadline, a maximum body size enforced while streaming (after decompression too),
manual redirects (at most ``max_redirects``, loops detected, every hop SSRF-checked) and a clear
User-Agent. Errors become ``FetchError`` with a short ``kind`` and a readable message.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin, urlsplit

import httpx

from connectors.decoding import BodyTooLarge, BoundedBody, UnsupportedEncoding
from connectors.hostpool import HostClients
from connectors.safety import AddressGuard, HostLookupError, UnsafeURLError

__all__ = ["FEED_ACCEPT", "FetchError", "FetchLimits", "FetchResult", "Fetcher", "parse_retry_after"]

logger = logging.getLogger(__name__)

FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, application/json;q=0.9, "
    "application/rdf+xml;q=0.9, application/xml;q=0.8, text/xml;q=0.8, */*;q=0.5"
)
_REDIRECTS = {301, 302, 303, 307, 308}
_PERMANENT = {301, 308}
_KEPT_HEADERS = ("etag", "last-modified", "cache-control", "expires", "content-type", "retry-after")


@dataclass(frozen=True)
class FetchLimits:
    """Politeness and safety limits for one ``Fetcher``."""

    user_agent: str = "newsmon/0.1"
    max_concurrency: int = 64
    per_host_concurrency: int = 2
    connect_timeout_s: float = 10.0
    read_timeout_s: float = 30.0
    deadline_s: float = 120.0
    max_body_bytes: int = 10 * 1024 * 1024
    max_redirects: int = 5


@dataclass(frozen=True)
class FetchResult:
    """A 200 (with body) or 304 answer. ``moved_to`` is set when every redirect hop was permanent."""

    status: int
    url: str
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)
    moved_to: str | None = None
    elapsed_s: float = 0.0


class FetchError(Exception):
    """A fetch that produced no usable answer.

    ``kind``: http, timeout, network, dns, too_large, redirect, refused, encoding, file (and parse or
    internal, set by the runner). ``retry_after_s`` comes from a Retry-After header when one was sent.
    """

    def __init__(
        self, kind: str, message: str, *, status: int | None = None, retry_after_s: float | None = None
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.status = status
        self.retry_after_s = retry_after_s

    @property
    def permanent(self) -> bool:
        """Errors not worth retrying soon: 410 Gone and refused (unsafe) URLs."""
        return self.status == 410 or self.kind == "refused"


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date); ``None`` if absent/bad."""
    if not value:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text).timestamp()
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, when - (time.time() if now is None else now))


class Fetcher:
    """Fetches URLs politely; use as ``async with Fetcher(limits, guard) as fetcher``."""

    def __init__(self, limits: FetchLimits, guard: AddressGuard) -> None:
        self.limits = limits
        self.guard = guard
        self._hosts = HostClients(
            guard,
            per_host=limits.per_host_concurrency,
            timeout=httpx.Timeout(limits.read_timeout_s, connect=limits.connect_timeout_s, pool=None),
            headers={"User-Agent": limits.user_agent, "Accept-Encoding": "gzip, deflate, br"},
        )
        self._global = asyncio.Semaphore(limits.max_concurrency)

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._hosts.aclose()

    async def get(
        self, url: str, *, headers: Mapping[str, str] | None = None, allow_private: bool = False
    ) -> FetchResult:
        """GET ``url`` following redirects; return a 200/304 ``FetchResult`` or raise ``FetchError``."""
        started = time.monotonic()
        with AddressGuard.permit_private(allow_private):
            result = await self._follow(url, dict(headers or {}))
        return FetchResult(
            result.status,
            result.url,
            result.body,
            result.headers,
            result.moved_to,
            time.monotonic() - started,
        )

    async def _follow(self, url: str, headers: dict[str, str]) -> FetchResult:
        visited: list[str] = []
        moved: str | None = None
        permanent = True
        current = url
        while True:
            visited.append(current)
            status, location, result = await self._one_hop(current, headers)
            if location is None:
                assert result is not None
                return FetchResult(result.status, current, result.body, result.headers, moved)
            current = urljoin(current, location)
            permanent = permanent and status in _PERMANENT
            moved = current if permanent else moved
            if current in visited:
                raise FetchError(
                    "redirect", f"redirect loop: {' -> '.join([*visited, current])}", status=status
                )
            if len(visited) > self.limits.max_redirects:
                raise FetchError("redirect", f"more than {self.limits.max_redirects} redirects from {url}")

    async def _one_hop(self, url: str, headers: dict[str, str]) -> tuple[int, str | None, FetchResult | None]:
        """One request: host slot first, then a global slot, then the per-request deadline."""
        try:
            await self.guard.check_url(url)
            async with self._hosts.slot(urlsplit(url).hostname or "") as client, self._global:
                async with asyncio.timeout(self.limits.deadline_s):
                    async with client.stream("GET", url, headers=headers) as response:
                        return await self._read(url, response)
        except UnsafeURLError as exc:
            raise FetchError("refused", str(exc)) from exc
        except HostLookupError as exc:
            raise FetchError("dns", str(exc)) from exc
        except httpx.TimeoutException as exc:
            raise FetchError(
                "timeout", f"{type(exc).__name__} after {self.limits.read_timeout_s:g}s"
            ) from exc
        except TimeoutError as exc:
            raise FetchError("timeout", f"no complete answer within {self.limits.deadline_s:g}s") from exc
        except (httpx.TransportError, httpx.InvalidURL) as exc:
            raise FetchError("network", f"{type(exc).__name__}: {exc or 'connection failed'}") from exc

    async def _read(self, url: str, response: httpx.Response) -> tuple[int, str | None, FetchResult | None]:
        status = response.status_code
        kept = {k: response.headers[k] for k in _KEPT_HEADERS if k in response.headers}
        if status in _REDIRECTS and "location" in response.headers:
            return status, response.headers["location"], None
        if status == 304:
            return status, None, FetchResult(304, url, b"", kept)
        if status != 200:
            retry = parse_retry_after(kept.get("retry-after")) if status in (429, 503) else None
            reason = response.reason_phrase or "error"
            raise FetchError("http", f"HTTP {status} {reason}", status=status, retry_after_s=retry)
        return status, None, FetchResult(200, url, await self._body(response), kept)

    async def _body(self, response: httpx.Response) -> bytes:
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.limits.max_body_bytes:
            raise FetchError(
                "too_large", f"Content-Length {declared} exceeds {self.limits.max_body_bytes} bytes"
            )
        try:
            body = BoundedBody(response.headers.get("content-encoding"), self.limits.max_body_bytes)
            async for chunk in response.aiter_raw():
                body.feed(chunk)
        except BodyTooLarge as exc:
            raise FetchError("too_large", str(exc)) from exc
        except UnsupportedEncoding as exc:
            raise FetchError("encoding", str(exc)) from exc
        return body.getvalue()
