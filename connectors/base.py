"""The connector base class and the parsed-feed model every connector returns.

A *connector* turns the bytes of one fetched feed document into a ``ParsedFeed``. Fetching,
scheduling, de-duplication and publishing are not its business: ``connectors.runner`` does those
for every connector alike. Add a format by writing one module with one ``Connector`` subclass and
listing it in ``connectors.registry``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import datetime
from typing import ClassVar

__all__ = ["Connector", "FeedHints", "ParsedEntry", "ParsedFeed"]


@dataclass
class ParsedEntry:
    """One item of a feed, text already cleaned (HTML converted to plain text)."""

    url: str | None
    title: str = ""
    summary: str = ""
    content: str = ""
    guid: str | None = None
    authors: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    published: datetime | None = None  # timezone-aware UTC, or None when the feed gave none we could parse


@dataclass
class FeedHints:
    """How often the publisher says the feed changes (all optional, in seconds)."""

    ttl_s: float | None = None  # RSS <ttl>
    update_period_s: float | None = None  # sy:updatePeriod / sy:updateFrequency


@dataclass
class ParsedFeed:
    """What a connector recovered from one document, and what was wrong with it.

    ``problems`` lists recoverable issues (ill-formed XML, charset overridden, entities removed,
    entries capped...). A document that yields nothing usable has ``fatal`` set instead.
    """

    format: str
    title: str = ""
    link: str | None = None
    language: str | None = None
    entries: list[ParsedEntry] = field(default_factory=list)
    total_entries: int = 0
    hints: FeedHints = field(default_factory=FeedHints)
    problems: list[str] = field(default_factory=list)
    fatal: str | None = None


class Connector(ABC):
    """Parses one feed format. Subclasses set ``name`` and implement ``sniff`` and ``parse``.

    Lifecycle and calling rules:

    * The registry creates **one instance per class at import time**; it is shared by every feed, so a
      connector keeps no per-feed state.
    * ``sniff(head, content_type)`` is called after each 200 response whose body changed, for feeds
      whose ``connector`` is ``auto``, on every registered connector; the highest score wins. It must
      be cheap: it sees only the first few kilobytes.
    * ``parse(body, ...)`` is called once per changed document on the chosen connector, in a worker
      process or thread. It must be pure (no I/O, no globals), must never raise for bad input and
      must not expand XML entities or fetch anything: it returns what it could recover and lists the
      problems in ``ParsedFeed.problems`` (``fatal`` when nothing is usable).
    """

    name: ClassVar[str]

    @abstractmethod
    def sniff(self, head: bytes, content_type: str) -> float:
        """Confidence in [0, 1] that ``head`` (the document's first bytes) is this connector's format."""

    @abstractmethod
    def parse(self, body: bytes, *, url: str, content_type: str, max_items: int) -> ParsedFeed:
        """Parse a whole document; keep at most ``max_items`` entries (in document order)."""
