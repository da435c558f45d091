"""What ``newsmon status`` found, as plain records: collected by ``collect``, judged by ``verdict``,
shown by ``render``. Nothing here does I/O."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal

from newsmon.core.kafka_lag import PartitionLag
from newsmon.health.pipeline_status import PipelineStatus

__all__ = [
    "ArticleFact",
    "DeadLetterFact",
    "Facts",
    "FeedIssue",
    "FeedsFact",
    "LagFact",
    "PipelineFact",
    "Problem",
    "ServiceFact",
    "Severity",
]

#: How bad a problem is: errors make ``newsmon status`` exit 1, warnings do not.
Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class ServiceFact:
    """One service (kafka, elasticsearch, prism) as seen by the status check.

    ``local``: the configured endpoint is the one ``newsmon services`` manages on this machine (its
    status comes from ``LocalServices``); otherwise the configured cluster was probed directly.
    ``required``: False for what the pipeline can do without right now (the Prism binary).
    """

    name: str
    endpoint: str
    healthy: bool
    local: bool
    state: str
    detail: str
    pid: int | None = None
    required: bool = True


@dataclass(frozen=True)
class PipelineFact:
    """The supervisor's status file: ``status`` is None when the file is missing or unreadable."""

    path: Path
    status: PipelineStatus | None
    error: str | None = None
    pid_alive: bool | None = None


@dataclass(frozen=True)
class LagFact:
    """Consumer lag of the pipeline's group; ``skipped`` when Kafka is already known to be down."""

    topic: str
    group: str
    partitions: tuple[PartitionLag, ...] = ()
    error: str | None = None
    topic_missing: bool = False
    skipped: bool = False

    @property
    def total(self) -> int | None:
        """Sum of the partitions' lag, None when it could not be read."""
        if self.error is not None or self.topic_missing or self.skipped:
            return None
        return sum(p.lag for p in self.partitions)


@dataclass(frozen=True)
class ArticleFact:
    """The most recently indexed article (max ``indexed_at``) of the articles index."""

    index: str
    indexed_at: datetime | None = None
    title: str | None = None
    article_id: str | None = None
    error: str | None = None
    index_missing: bool = False
    skipped: bool = False


@dataclass(frozen=True)
class DeadLetterFact:
    """Records held by the dead-letter topic (end minus beginning offset over its partitions)."""

    topic: str
    count: int | None = None
    error: str | None = None
    topic_missing: bool = False
    skipped: bool = False


@dataclass(frozen=True)
class FeedIssue:
    """A failing or parked feed from the connectors' state (times are Unix seconds)."""

    feed_id: str
    failures: int
    last_error: str | None
    last_error_at: float | None
    last_success_at: float | None
    parked_reason: str | None = None


@dataclass(frozen=True)
class FeedsFact:
    """Feed health from the connectors' ``StateStore`` of the articles topic."""

    path: Path
    present: bool
    total: int = 0
    failing: tuple[FeedIssue, ...] = ()
    parked: tuple[FeedIssue, ...] = ()
    error: str | None = None


@dataclass(frozen=True)
class Facts:
    """Everything one ``newsmon status`` run collected; a None field was not checked (``--only``)."""

    checked_at: datetime
    services: tuple[ServiceFact, ...] | None = None
    pipeline: PipelineFact | None = None
    lag: LagFact | None = None
    articles: ArticleFact | None = None
    dead_letters: DeadLetterFact | None = None
    feeds: FeedsFact | None = None


@dataclass(frozen=True)
class Problem:
    """One line for the operator: what is wrong and the next step. Errors make the check fail."""

    check: str
    severity: Severity
    message: str
