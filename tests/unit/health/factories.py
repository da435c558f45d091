"""Facts of a healthy deployment, for tests to spoil one field at a time."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from newsmon.core.kafka_lag import PartitionLag
from newsmon.health.facts import (
    ArticleFact,
    DeadLetterFact,
    Facts,
    FeedsFact,
    LagFact,
    PipelineFact,
    ServiceFact,
)
from newsmon.health.pipeline_status import LastExit, PipelineStatus

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
KAFKA = ServiceFact("kafka", "127.0.0.1:9092", True, True, "healthy", "reachable", pid=11)
ES = ServiceFact("elasticsearch", "http://127.0.0.1:9201", True, True, "healthy", "green/yellow", pid=12)
PRISM = ServiceFact("prism", "/cache/prism", True, True, "built", "built", required=False)
STATUS = PipelineStatus(
    pid=1234,
    runner="prism",
    state="RUNNING",
    job_state="RUNNING",
    job_started_at=NOW - timedelta(hours=2, minutes=5),
    restarts=1,
    last_exit=LastExit("FAILED", "elasticsearch 503", NOW - timedelta(hours=2, minutes=6)),
    updated_at=NOW - timedelta(seconds=3),
    metrics_port=9464,
    metrics={"kafka_source.records_read": 10.0},
)


def healthy_facts() -> Facts:
    return Facts(
        checked_at=NOW,
        services=(KAFKA, ES, PRISM),
        pipeline=PipelineFact(Path("/state/pipeline/status.json"), STATUS, pid_alive=True),
        lag=LagFact(
            "articles",
            "group",
            (PartitionLag(0, 5, 0, 7, 2), PartitionLag(1, None, 0, 3, 3)),
        ),
        articles=ArticleFact("newsmon-articles", NOW - timedelta(minutes=3), "Minsk news", "a1"),
        dead_letters=DeadLetterFact("dlq", 0),
        feeds=FeedsFact(Path("/state/connectors/articles.sqlite3"), present=True, total=4),
    )


def with_status(facts: Facts, **changes: object) -> Facts:
    assert facts.pipeline is not None and facts.pipeline.status is not None
    status = replace(facts.pipeline.status, **changes)  # type: ignore[arg-type]
    return replace(facts, pipeline=replace(facts.pipeline, status=status))
