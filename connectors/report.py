"""What a polling pass reports: one ``FeedOutcome`` per polled feed and the ``PollReport`` of the pass.

Re-exported by ``connectors.runner`` (the public entry point).
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["FeedOutcome", "PollReport"]


@dataclass(frozen=True)
class FeedOutcome:
    """How polling one feed went. ``new_items``: records new for this feed, handed to Kafka."""

    feed_id: str
    ok: bool
    http_status: int | None
    new_items: int
    error: str | None
    not_modified: bool = False
    parked: str | None = None
    problems: tuple[str, ...] = ()
    elapsed_s: float = 0.0


@dataclass
class PollReport:
    """Result of one pass. ``published``: ids acknowledged by Kafka (including outbox re-sends)."""

    published: list[str] = field(default_factory=list)
    feeds: list[FeedOutcome] = field(default_factory=list)
    not_due: int = 0
    kafka_error: str | None = None
    outbox_pending: int = 0
    duration_s: float = 0.0

    @property
    def failed(self) -> list[FeedOutcome]:
        return [f for f in self.feeds if not f.ok]
