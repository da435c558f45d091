"""The explicit list of connectors, format detection, and the picklable parse job run in workers.

``CONNECTORS`` maps a name (as written in a feed's ``connector:`` field) to its single shared
instance; feed lists are checked against these names when they are loaded.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from connectors.base import Connector, FeedHints, ParsedFeed
from connectors.fastxml import FastXmlConnector
from connectors.jsonfeed import JsonFeedConnector
from connectors.records import build_records, host_of, language_tag
from connectors.rss import RssConnector
from newsmon.core.record import ArticleRecord, ArticleSource

__all__ = ["CONNECTORS", "ParseJob", "ParseOutput", "choose_connector", "connector_names", "run_parse_job"]

logger = logging.getLogger(__name__)

CONNECTORS: dict[str, Connector] = {
    c.name: c for c in (FastXmlConnector(), RssConnector(), JsonFeedConnector())
}
_SNIFF_BYTES = 4096


def connector_names() -> list[str]:
    return sorted(CONNECTORS)


def choose_connector(body: bytes, content_type: str, requested: str = "auto") -> Connector:
    """The requested connector, or for ``auto`` the one whose ``sniff`` is most confident."""
    if requested != "auto":
        return CONNECTORS[requested]
    head = body[:_SNIFF_BYTES]
    lowered = content_type.lower()
    return max(CONNECTORS.values(), key=lambda c: c.sniff(head, lowered))


@dataclass(frozen=True)
class ParseJob:
    """Everything a worker needs to turn one document into records (plain data: picklable)."""

    body: bytes
    url: str
    content_type: str
    connector: str
    max_items: int
    feed_id: str
    feed_name: str
    feed_url: str
    language: str | None
    fetched_at: datetime


@dataclass
class ParseOutput:
    """Records and diagnostics from one document."""

    format: str
    records: list[ArticleRecord] = field(default_factory=list)
    links: dict[str, str] = field(default_factory=dict)  # record id -> link as written in the feed
    dates: list[datetime] = field(default_factory=list)  # real (non-estimated) publication dates
    hints: FeedHints = field(default_factory=FeedHints)
    problems: list[str] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)
    total_entries: int = 0
    fatal: str | None = None


def run_parse_job(job: ParseJob) -> ParseOutput:
    """Parse and build records; runs in a worker process or thread, never raises for bad documents."""
    connector = choose_connector(job.body, job.content_type, job.connector)
    try:
        parsed = connector.parse(
            job.body, url=job.url, content_type=job.content_type, max_items=job.max_items
        )
    except Exception as exc:
        logger.exception("parser crashed feed_id=%s connector=%s", job.feed_id, connector.name)
        return ParseOutput(format=connector.name, fatal=f"parser error: {type(exc).__name__}: {exc}")
    return _to_output(job, parsed)


def _to_output(job: ParseJob, parsed: ParsedFeed) -> ParseOutput:
    domain = host_of(job.feed_url) or host_of(parsed.link)
    source = ArticleSource(
        feed_id=job.feed_id, name=job.feed_name[:500], domain=domain, feed_url=job.feed_url
    )
    language = language_tag(job.language) or language_tag(parsed.language)
    records, links, skipped = build_records(
        parsed.entries, source, fetched_at=job.fetched_at, language=language
    )
    problems = list(parsed.problems)
    if parsed.total_entries > job.max_items:
        problems.append(f"{parsed.total_entries} entries, only the first {job.max_items} kept")
    return ParseOutput(
        format=parsed.format,
        records=records,
        links=links,
        dates=[r.published_at for r in records if not r.published_at_estimated],
        hints=parsed.hints,
        problems=problems,
        skipped=skipped,
        total_entries=parsed.total_entries,
        fatal=parsed.fatal,
    )
