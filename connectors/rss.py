"""RSS 0.9x/1.0/2.0 and Atom via feedparser, hardened: charset repair, no entity expansion, text cleanup.

feedparser already refuses external entities and drops unsafe entity declarations; we additionally
remove the whole DTD internal subset first (``connectors.xmlsafe``) and fix wrong or undeclared
charsets (``connectors.charset``). HTML sanitising is off because we keep only plain text.
"""

from __future__ import annotations

import calendar
import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin

import feedparser

from connectors.base import Connector, FeedHints, ParsedEntry, ParsedFeed
from connectors.charset import to_utf8
from connectors.html_text import clean_text, html_to_text, looks_like_html
from connectors.xmlsafe import strip_internal_subset

__all__ = ["RssConnector", "entry_text", "feed_hints", "prepare_xml", "struct_to_datetime"]

_ROOTS = re.compile(rb"<(rss|feed|rdf:RDF|RDF|channel)[\s>]", re.IGNORECASE)
_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9._:-]+)", re.IGNORECASE)
_PERIODS = {
    "hourly": 3600.0,
    "daily": 86400.0,
    "weekly": 604800.0,
    "monthly": 2592000.0,
    "yearly": 31536000.0,
}
_HTML_TYPES = ("text/html", "application/xhtml+xml")


def struct_to_datetime(value: Any) -> datetime | None:
    """feedparser's UTC ``struct_time`` to an aware datetime; ``None`` if absent or out of range."""
    if not value:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(value), tz=UTC)
    except (OverflowError, ValueError, TypeError, OSError):
        return None


def entry_text(detail: Any, fallback: str = "") -> str:
    """Plain text of a feedparser text construct (``*_detail`` dict), converting HTML when needed."""
    value = str((detail or {}).get("value") or fallback or "")
    kind = (detail or {}).get("type")
    as_html = kind in _HTML_TYPES or looks_like_html(value)  # double-escaped HTML is common
    return html_to_text(value) if as_html else clean_text(value)


def feed_hints(ttl: object, period: object, frequency: object) -> FeedHints:
    """Refresh hints from RSS ``<ttl>`` (minutes) and ``sy:updatePeriod``/``sy:updateFrequency``."""
    hints = FeedHints()
    ttl_text = str(ttl or "").strip()
    if ttl_text.isdigit() and int(ttl_text) > 0:
        hints.ttl_s = int(ttl_text) * 60.0
    seconds = _PERIODS.get(str(period or "").strip().lower())
    if seconds:
        times = str(frequency or "1").strip()
        hints.update_period_s = seconds / max(1, int(times) if times.isdigit() else 1)
    return hints


def prepare_xml(body: bytes, content_type: str) -> tuple[bytes, list[str]]:
    """UTF-8 bytes with the DTD internal subset removed, and the problems found on the way."""
    charset = _CHARSET.search(content_type)
    data, _, charset_problem = to_utf8(body, charset.group(1) if charset else None)
    data, dtd_problem = strip_internal_subset(data)
    return data, [p for p in (charset_problem, dtd_problem) if p]


def _entry(raw: Any, base: str) -> ParsedEntry:
    link = raw.get("link") or ""
    guid = raw.get("id") or None
    if not link and guid and raw.get("guidislink", True) and str(guid).startswith(("http://", "https://")):
        link = guid
    contents = raw.get("content") or []
    content = "\n\n".join(entry_text(part) for part in contents if part.get("value"))
    published = None
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        published = struct_to_datetime(dict.get(raw, key))  # plain lookup: no feedparser key aliasing
        if published:
            break
    authors = [a.get("name") or a.get("email") or "" for a in raw.get("authors") or []]
    tags = [t.get("label") or t.get("term") or "" for t in raw.get("tags") or []]
    return ParsedEntry(
        url=urljoin(base, link.strip()) if link else None,
        title=entry_text(raw.get("title_detail"), raw.get("title", "")),
        summary=entry_text(raw.get("summary_detail"), raw.get("summary", "")),
        content=content,
        guid=str(guid) if guid else None,
        authors=[clean_text(a) for a in authors if a.strip()],
        categories=[clean_text(t) for t in tags if t.strip()],
        published=published,
    )


class RssConnector(Connector):
    """RSS 0.9x/1.0/2.0 and Atom 0.3/1.0 documents."""

    name = "rss"

    def sniff(self, head: bytes, content_type: str) -> float:
        if _ROOTS.search(head):
            return 0.9
        if "xml" in content_type or head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
            return 0.5
        return 0.1

    def parse(self, body: bytes, *, url: str, content_type: str, max_items: int) -> ParsedFeed:
        data, problems = prepare_xml(body, content_type)
        return self.parse_prepared(data, problems, url=url, max_items=max_items)

    def parse_prepared(self, data: bytes, problems: list[str], *, url: str, max_items: int) -> ParsedFeed:
        """Parse output of ``prepare_xml`` (also the fallback of ``connectors.fastxml``)."""
        # No content-location: feedparser would then resolve every href in the document (slow); entry
        # links are resolved against the feed URL in _entry, which is all we need.
        headers = {"content-type": "application/xml; charset=utf-8"}
        parsed = feedparser.parse(
            data, response_headers=headers, sanitize_html=False, resolve_relative_uris=False
        )
        if parsed.get("bozo"):
            exc = parsed.get("bozo_exception")
            problems.append(
                f"ill-formed ({type(exc).__name__}: {str(exc)[:200]}); recovered what was readable"
            )
        feed = parsed.get("feed") or {}
        base = url if url.startswith(("http://", "https://")) else str(feed.get("link") or "")
        raw_entries = parsed.get("entries") or []
        result = ParsedFeed(
            format=parsed.get("version") or "unknown",
            title=clean_text(str(feed.get("title") or "")),
            link=feed.get("link") or None,
            language=feed.get("language") or None,
            entries=[_entry(raw, base) for raw in raw_entries[:max_items]],
            total_entries=len(raw_entries),
            hints=feed_hints(feed.get("ttl"), feed.get("sy_updateperiod"), feed.get("sy_updatefrequency")),
            problems=problems,
        )
        if not raw_entries and not parsed.get("version"):
            result.fatal = "not a feed: no RSS/Atom structure found" + (
                f" ({problems[-1]})" if problems else ""
            )
        return result
