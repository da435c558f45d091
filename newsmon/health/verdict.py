"""Judge collected ``Facts``: one ``Problem`` per thing wrong, each naming the next step (pure).

Errors make ``newsmon status`` exit 1: a required service down, the pipeline not RUNNING or its
status file missing/stale, the articles topic missing or its lag above ``--max-lag``. Warnings
(dead letters, failing or parked feeds, Prism not built, no articles index) are shown but keep the
exit code 0, so a container health check does not flap on a single bad feed.
"""

from __future__ import annotations

from collections.abc import Iterator

from newsmon.health.facts import (
    ArticleFact,
    DeadLetterFact,
    Facts,
    FeedsFact,
    LagFact,
    PipelineFact,
    Problem,
    ServiceFact,
    Severity,
)
from newsmon.health.pipeline_status import FRESH_FOR_S
from newsmon.health.timefmt import span

__all__ = ["assess", "is_healthy"]

_START_PIPELINE = "start it with `newsmon pipeline run`"


def assess(facts: Facts, *, max_lag: int | None = None, fresh_for_s: float = FRESH_FOR_S) -> list[Problem]:
    """All problems found in ``facts``, errors first, in report order within each severity."""
    problems = [
        *(p for s in facts.services or () for p in _service(s)),
        *(_pipeline(facts.pipeline, facts, fresh_for_s) if facts.pipeline else ()),
        *(_lag(facts.lag, max_lag) if facts.lag else ()),
        *(_articles(facts.articles) if facts.articles else ()),
        *(_dead_letters(facts.dead_letters) if facts.dead_letters else ()),
        *(_feeds(facts.feeds) if facts.feeds else ()),
    ]
    return sorted(problems, key=lambda p: p.severity != "error")


def is_healthy(problems: list[Problem]) -> bool:
    """Healthy means no errors (warnings allowed)."""
    return not any(p.severity == "error" for p in problems)


def _service(fact: ServiceFact) -> Iterator[Problem]:
    if fact.healthy:
        return
    if fact.name == "prism":
        yield Problem("services", "warning", f"prism runner: {fact.detail}")
        return
    severity: Severity = "error" if fact.required else "warning"
    if fact.local:
        step = "start it with `newsmon services up`"
        if fact.pid is not None:
            step = f"it runs (pid {fact.pid}) but does not answer: see `newsmon services logs {fact.name}`"
        yield Problem("services", severity, f"{fact.name} at {fact.endpoint} unreachable: {step}")
    else:
        setting = "kafka.bootstrap_servers" if fact.name == "kafka" else "elasticsearch.url"
        yield Problem(
            "services",
            severity,
            f"{fact.name} at {fact.endpoint}: {fact.detail}; check the cluster and `{setting}`",
        )


def _pipeline(fact: PipelineFact, facts: Facts, fresh_for_s: float) -> Iterator[Problem]:
    status = fact.status
    if fact.error is not None:
        yield Problem("pipeline", "error", f"pipeline status file {fact.error}: {_START_PIPELINE}")
        return
    if status is None:
        yield Problem(
            "pipeline", "error", f"pipeline not running (no status file {fact.path}): {_START_PIPELINE}"
        )
        return
    who = f"supervisor pid {status.pid}" if status.pid is not None else "supervisor (no pid recorded)"
    if not fact.pid_alive:
        yield Problem("pipeline", "error", f"pipeline {who} is not running: {_START_PIPELINE}")
        return
    if not status.fresh(facts.checked_at, fresh_for_s):
        age = status.age_s(facts.checked_at)
        when = "never" if age is None else f"{span(age)} ago"
        yield Problem(
            "pipeline",
            "error",
            f"pipeline status last updated {when} (limit {span(fresh_for_s)}): the {who} looks hung; "
            "restart it with `newsmon pipeline run`",
        )
        return
    if status.state != "RUNNING":
        yield Problem("pipeline", "error", _not_running(status.state, status.restarts, fact))


def _not_running(state: str | None, restarts: int, fact: PipelineFact) -> str:
    last = fact.status.last_exit if fact.status else None
    why = f"; last exit {last.state or '?'}: {last.reason or 'no reason given'}" if last else ""
    if state in ("STARTING", "RESTARTING"):
        return f"pipeline is {state} (restarts {restarts}{why}): check again in a minute"
    return f"pipeline is {state or 'in an unknown state'} (restarts {restarts}{why}): {_START_PIPELINE}"


def _lag(fact: LagFact, max_lag: int | None) -> Iterator[Problem]:
    if fact.skipped:
        return  # Kafka is down, already reported
    if fact.topic_missing:
        yield Problem(
            "lag", "error", f"kafka topic {fact.topic} does not exist: create it with `newsmon pipeline init`"
        )
    elif fact.error is not None:
        yield Problem("lag", "error", f"consumer lag of {fact.group} unknown: {fact.error}")
    elif max_lag is not None and (fact.total or 0) > max_lag:
        yield Problem(
            "lag",
            "error",
            f"consumer lag {fact.total} on {fact.topic} exceeds --max-lag {max_lag}: the pipeline "
            "is not keeping up; check its state above and its throughput",
        )


def _articles(fact: ArticleFact) -> Iterator[Problem]:
    if fact.skipped:
        return
    if fact.index_missing:
        yield Problem(
            "articles",
            "warning",
            f"elasticsearch index {fact.index} does not exist: create it with `newsmon pipeline init`",
        )
    elif fact.error is not None:
        yield Problem("articles", "warning", f"last indexed article unknown: {fact.error}")


def _dead_letters(fact: DeadLetterFact) -> Iterator[Problem]:
    if fact.skipped:
        return
    if fact.topic_missing:
        yield Problem(
            "dead-letters",
            "warning",
            f"dead-letter topic {fact.topic} does not exist: create it with `newsmon pipeline init`",
        )
    elif fact.error is not None:
        yield Problem("dead-letters", "warning", f"dead-letter count unknown: {fact.error}")
    elif fact.count:
        yield Problem(
            "dead-letters",
            "warning",
            f"{fact.count} record(s) in dead-letter topic {fact.topic}: each is JSON with the failed "
            "stage and error; read them with any Kafka consumer",
        )


def _feeds(fact: FeedsFact) -> Iterator[Problem]:
    if fact.error is not None:
        yield Problem("feeds", "warning", f"connector state {fact.path} unreadable: {fact.error}")
        return
    if fact.failing:
        yield Problem("feeds", "warning", f"{len(fact.failing)} feed(s) failing: see `newsmon feeds status`")
    if fact.parked:
        yield Problem(
            "feeds",
            "warning",
            f"{len(fact.parked)} feed(s) parked (no longer polled often): see `newsmon feeds status`",
        )
