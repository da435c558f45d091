"""Full article text for feeds with ``fulltext: true``: robots.txt-aware page fetch + trafilatura.

Pages go through the same ``Fetcher`` as feeds (same per-host limit, size cap, timeouts, SSRF
checks). robots.txt follows RFC 9309: a 4xx answer allows everything, an unreachable or 5xx
robots.txt disallows everything for an hour. A same-site ``<link rel=canonical>`` replaces the feed
link (the article id follows it; the feed link's id is kept as an alias so it is not fetched again).
When extraction fails the record keeps the feed's summary and content.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit
from urllib.robotparser import RobotFileParser

import lxml.etree
import trafilatura

from connectors.http import Fetcher, FetchError
from connectors.records import CONTENT_CAP, host_of
from newsmon.core.record import ArticleRecord
from newsmon.core.urls import article_id, canonicalize_url

__all__ = ["FullText", "FullTextResult", "extract_page"]

logger = logging.getLogger(__name__)
_ROBOTS_TTL_S = 86400.0
_ROBOTS_ERROR_TTL_S = 3600.0
_AGENT_TOKEN = "newsmon"


@dataclass
class FullTextResult:
    """A record after full-text enrichment, with the replaced link id and any problem."""

    record: ArticleRecord
    alias: str | None = None  # id of the feed link when the canonical URL replaced it
    problem: str | None = None


def extract_page(body: bytes, url: str) -> tuple[str | None, str | None]:
    """``(main text or None, canonical URL or None)`` of an HTML page (CPU-bound: run in a thread)."""
    tree = trafilatura.load_html(body)
    if tree is None:
        return None, None
    hrefs = tree.xpath("//link[@rel='canonical']/@href")
    canonical = str(hrefs[0]).strip() if hrefs else None
    try:
        text = trafilatura.extract(tree, url=url, include_comments=False, favor_precision=True)
    except (ValueError, TypeError, lxml.etree.LxmlError) as exc:
        logger.info("extraction failed url=%s error=%s", url, exc)
        text = None
    return (text or None), canonical


class FullText:
    """Fetches and extracts article pages, caching robots.txt per origin."""

    def __init__(self, fetcher: Fetcher) -> None:
        self._fetcher = fetcher
        self._robots: dict[str, tuple[float, RobotFileParser | None, bool]] = {}

    async def allowed(self, url: str, allow_private: bool) -> bool:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        cached = self._robots.get(origin)
        if cached is None or cached[0] < time.monotonic():
            cached = await self._load_robots(origin, allow_private)
            self._robots[origin] = cached
        _, parser, allow_all = cached
        return allow_all if parser is None else parser.can_fetch(_AGENT_TOKEN, url)

    async def _load_robots(
        self, origin: str, allow_private: bool
    ) -> tuple[float, RobotFileParser | None, bool]:
        now = time.monotonic()
        try:
            result = await self._fetcher.get(f"{origin}/robots.txt", allow_private=allow_private)
        except FetchError as exc:
            allow_all = exc.status is not None and 400 <= exc.status < 500
            return now + (_ROBOTS_TTL_S if allow_all else _ROBOTS_ERROR_TTL_S), None, allow_all
        parser = RobotFileParser()
        parser.parse(result.body.decode("utf-8", errors="replace").splitlines())
        return now + _ROBOTS_TTL_S, parser, True

    async def enrich(self, record: ArticleRecord, link: str | None, allow_private: bool) -> FullTextResult:
        """The record with the page's main text as ``content`` (or unchanged, with the reason).

        ``link`` is the URL as written in the feed (the canonical record URL may not be fetchable)."""
        page_url = link or record.url
        if not await self.allowed(page_url, allow_private):
            return FullTextResult(record, problem=f"robots.txt disallows {page_url}")
        try:
            page = await self._fetcher.get(page_url, allow_private=allow_private)
        except FetchError as exc:
            return FullTextResult(record, problem=f"article page not fetched: {exc}")
        text, canonical = await asyncio.to_thread(extract_page, page.body, page.url)
        if not text:
            return FullTextResult(record, problem=f"no main text extracted from {page_url}; kept feed text")
        update: dict[str, object] = {"content": text[:CONTENT_CAP]}
        alias = None
        canonical = urljoin(page.url, canonical) if canonical else None
        if canonical and host_of(canonical) == host_of(record.url):
            try:
                canonical_url = canonicalize_url(canonical)
            except ValueError:
                canonical_url = record.url
            if canonical_url != record.url:
                update |= {"url": canonical_url, "id": article_id(canonical_url)}
                alias = record.id
        return FullTextResult(ArticleRecord.model_validate({**record.model_dump(), **update}), alias=alias)
