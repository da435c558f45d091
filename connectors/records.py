"""Parsed entries to validated ``ArticleRecord`` s (the versioned contract with the pipeline).

Rules: the id is ``article_id`` of the canonical link; entries without an http(s) link are skipped
and counted; a missing or future date falls back to the fetch time with ``published_at_estimated``;
text fields are capped so one record stays well under Kafka's default 1 MB message limit.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from pydantic import ValidationError

from connectors.base import ParsedEntry
from newsmon.core.record import ArticleRecord, ArticleSource
from newsmon.core.urls import article_id, canonicalize_url

__all__ = ["CONTENT_CAP", "SUMMARY_CAP", "build_records", "host_of", "language_tag"]

SUMMARY_CAP = 100_000
CONTENT_CAP = 150_000
TITLE_CAP = 5_000
FUTURE_TOLERANCE = timedelta(minutes=10)
_LANG = re.compile(r"^[a-z]{2,3}$")


def language_tag(value: str | None) -> str | None:
    """Primary language subtag (``ru-RU`` -> ``ru``), or ``None`` when absent or malformed."""
    if not value:
        return None
    primary = value.strip().lower().replace("_", "-").split("-", 1)[0]
    return primary if _LANG.match(primary) else None


def host_of(url: str | None) -> str:
    """Lower-case host of an http(s) URL without ``www.``; empty for anything else."""
    if not url or not url.startswith(("http://", "https://")):
        return ""
    host = (urlsplit(url).hostname or "").lower()
    return host.removeprefix("www.")


def _cap(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _record(
    entry: ParsedEntry, source: ArticleSource, fetched_at: datetime, language: str | None
) -> ArticleRecord:
    url = canonicalize_url(entry.url or "")
    published = entry.published
    estimated = published is None or published > fetched_at + FUTURE_TOLERANCE
    return ArticleRecord(
        id=article_id(url),
        url=url,
        title=_cap(entry.title, TITLE_CAP),
        summary=_cap(entry.summary, SUMMARY_CAP),
        content=_cap(entry.content, CONTENT_CAP),
        authors=list(dict.fromkeys(a[:500] for a in entry.authors))[:50],
        categories=list(dict.fromkeys(c[:500] for c in entry.categories))[:100],
        published_at=fetched_at if estimated or published is None else published,
        published_at_estimated=estimated,
        fetched_at=fetched_at,
        language_hint=language,
        sources=[source],
    )


def build_records(
    entries: list[ParsedEntry], source: ArticleSource, *, fetched_at: datetime, language: str | None
) -> tuple[list[ArticleRecord], dict[str, str], Counter[str]]:
    """Valid records in feed order (one per article id), the feed's own link for each record id (to
    fetch the page: the canonical URL may not be fetchable as is) and skipped entries by reason."""
    records: dict[str, ArticleRecord] = {}
    links: dict[str, str] = {}
    skipped: Counter[str] = Counter()
    for entry in entries:
        if not entry.url:
            skipped["no link"] += 1
            continue
        try:
            record = _record(entry, source, fetched_at, language)
        except ValidationError as exc:
            skipped["no text" if "no text" in str(exc) else "invalid record"] += 1
            continue
        except ValueError:
            skipped["not an http(s) link"] += 1
            continue
        if record.id in records:
            skipped["duplicate in feed"] += 1
            continue
        records[record.id] = record
        links[record.id] = entry.url
    return list(records.values()), links, skipped
