"""JSON Feed 1.0 / 1.1 (https://jsonfeed.org/version/1.1), parsed with the standard library."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin

from connectors.base import Connector, ParsedEntry, ParsedFeed
from connectors.html_text import clean_text, html_to_text

__all__ = ["JsonFeedConnector", "parse_iso_datetime"]

_VERSION_PREFIX = "https://jsonfeed.org/version/"


def parse_iso_datetime(value: object) -> datetime | None:
    """RFC 3339 / ISO 8601 timestamp to aware UTC; naive values are taken as UTC; ``None`` if invalid."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)


def _strings(value: object) -> list[str]:
    return (
        [clean_text(v) for v in value if isinstance(v, str) and v.strip()] if isinstance(value, list) else []
    )


def _authors(item: dict[str, Any], feed: dict[str, Any]) -> list[str]:
    raw = item.get("authors") or ([item["author"]] if isinstance(item.get("author"), dict) else None)
    raw = raw or feed.get("authors") or ([feed["author"]] if isinstance(feed.get("author"), dict) else [])
    return [clean_text(str(a["name"])) for a in raw if isinstance(a, dict) and a.get("name")]


def _entry(item: dict[str, Any], feed: dict[str, Any], base: str) -> ParsedEntry:
    link = item.get("url") or item.get("external_url") or ""
    guid = item.get("id")
    if not link and isinstance(guid, str) and guid.startswith(("http://", "https://")):
        link = guid
    content = html_to_text(str(item.get("content_html") or "")) or clean_text(
        str(item.get("content_text") or "")
    )
    return ParsedEntry(
        url=urljoin(base, link.strip()) if isinstance(link, str) and link.strip() else None,
        title=clean_text(str(item.get("title") or "")),
        summary=clean_text(str(item.get("summary") or "")),
        content=content,
        guid=str(guid) if guid is not None else None,
        authors=_authors(item, feed),
        categories=_strings(item.get("tags")),
        published=parse_iso_datetime(item.get("date_published"))
        or parse_iso_datetime(item.get("date_modified")),
    )


class JsonFeedConnector(Connector):
    """JSON Feed documents (``application/feed+json``)."""

    name = "jsonfeed"

    def sniff(self, head: bytes, content_type: str) -> float:
        if b"jsonfeed.org/version" in head:
            return 1.0
        stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
        return 0.6 if stripped.startswith(b"{") and "json" in content_type else 0.0

    def parse(self, body: bytes, *, url: str, content_type: str, max_items: int) -> ParsedFeed:
        try:
            data = json.loads(body.decode("utf-8-sig", errors="replace"))
        except (json.JSONDecodeError, RecursionError) as exc:
            return ParsedFeed(format="json", fatal=f"not valid JSON: {exc}")
        if not isinstance(data, dict) or not str(data.get("version", "")).startswith(_VERSION_PREFIX):
            return ParsedFeed(
                format="json", fatal="JSON document is not a JSON Feed (no jsonfeed.org version)"
            )
        items = data.get("items")
        problems = [] if isinstance(items, list) else ["'items' is missing or not a list"]
        items = [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []
        base = url if url.startswith(("http://", "https://")) else str(data.get("home_page_url") or "")
        return ParsedFeed(
            format="json" + str(data["version"]).removeprefix(_VERSION_PREFIX),
            title=clean_text(str(data.get("title") or "")),
            link=data.get("home_page_url") if isinstance(data.get("home_page_url"), str) else None,
            language=data.get("language") if isinstance(data.get("language"), str) else None,
            entries=[_entry(item, data, base) for item in items[:max_items]],
            total_entries=len(items),
            problems=problems,
        )
