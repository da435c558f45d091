"""Show ``Facts`` and ``Problem``s: plain text, one block per check, or JSON for scripts (pure)."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from newsmon.cli.common import table
from newsmon.health.facts import (
    ArticleFact,
    DeadLetterFact,
    Facts,
    FeedIssue,
    FeedsFact,
    LagFact,
    PipelineFact,
    Problem,
    ServiceFact,
)
from newsmon.health.timefmt import ago, span, utc

__all__ = ["MAX_FEED_LINES", "render_json", "render_text"]

MAX_FEED_LINES = 10
_MAX_METRICS = 8


def render_text(facts: Facts, problems: list[Problem]) -> str:
    """The human report: blocks for the checks run, then the problems, then the verdict."""
    now = facts.checked_at
    blocks = [
        *([_services(facts.services)] if facts.services is not None else []),
        *([_pipeline(facts.pipeline, now)] if facts.pipeline else []),
        *([_lag(facts.lag)] if facts.lag else []),
        *([_articles(facts.articles, now)] if facts.articles else []),
        *([_dead_letters(facts.dead_letters)] if facts.dead_letters else []),
        *([_feeds(facts.feeds, now)] if facts.feeds else []),
    ]
    if problems:
        blocks.append("\n".join(["problems", *(f"  {p.severity}: {p.message}" for p in problems)]))
    errors = sum(p.severity == "error" for p in problems)
    warnings = len(problems) - errors
    verdict = "healthy" if not errors else f"UNHEALTHY ({errors} error{'s' * (errors != 1)})"
    if warnings:
        verdict += f", {warnings} warning{'s' * (warnings != 1)}"
    blocks.append(f"status: {verdict}")
    return "\n\n".join(blocks)


def _indent(text: str) -> str:
    return "\n".join(f"  {line}" for line in text.splitlines())


def _services(services: tuple[ServiceFact, ...]) -> str:
    rows = [(s.name, s.state, s.endpoint, s.detail) for s in services]
    return "services\n" + _indent(table(("NAME", "STATE", "ENDPOINT", "DETAIL"), rows, max_width=80))


def _pipeline(fact: PipelineFact, now: datetime) -> str:
    status = fact.status
    if status is None:
        return f"pipeline\n  {fact.error or f'no status file at {fact.path}'}"
    pid = "?" if status.pid is None else str(status.pid)
    alive = "" if fact.pid_alive else " (not running)"
    lines = [
        f"state {status.state or '?'} (job {status.job_state or '?'}) on {status.runner or '?'}, "
        f"supervisor pid {pid}{alive}",
        f"job up {span((now - status.job_started_at).total_seconds()) if status.job_started_at else '-'}, "
        f"restarts {status.restarts}",
    ]
    if status.last_exit:
        last = status.last_exit
        when = f" at {utc(last.at)}" if last.at else ""
        lines.append(f"last exit {last.state or '?'}{when}: {last.reason or 'no reason given'}")
    port = f"; metrics port {status.metrics_port}" if status.metrics_port else ""
    lines.append(f"status updated {ago(status.updated_at, now)}{port}")
    if status.metrics:
        shown = sorted(status.metrics.items())[:_MAX_METRICS]
        lines.append("metrics: " + ", ".join(f"{k}={v:g}" for k, v in shown))
    return "pipeline\n" + "\n".join(f"  {line}" for line in lines)


def _lag(fact: LagFact) -> str:
    head = f"consumer lag of {fact.group} on {fact.topic}"
    if fact.topic_missing:
        return f"{head}\n  topic does not exist"
    if fact.error is not None:
        return f"{head}\n  {fact.error}"
    rows = [
        (p.partition, "-" if p.committed is None else p.committed, p.beginning, p.end, p.lag)
        for p in fact.partitions
    ]
    headers = ("PARTITION", "COMMITTED", "BEGINNING", "END", "LAG")
    return f"{head}: {fact.total} in total\n" + _indent(table(headers, rows))


def _articles(fact: ArticleFact, now: datetime) -> str:
    head = f"last article indexed in {fact.index}"
    if fact.index_missing:
        return f"{head}\n  the index does not exist"
    if fact.error is not None:
        return f"{head}\n  {fact.error}"
    if fact.indexed_at is None:
        return f"{head}\n  none yet"
    return f"{head}\n  {ago(fact.indexed_at, now)}: {fact.title or '(untitled)'} [{fact.article_id}]"


def _dead_letters(fact: DeadLetterFact) -> str:
    if fact.topic_missing:
        return f"dead letters in {fact.topic}: topic does not exist"
    if fact.error is not None:
        return f"dead letters in {fact.topic}: {fact.error}"
    return f"dead letters in {fact.topic}: {fact.count}"


def _feeds(fact: FeedsFact, now: datetime) -> str:
    if fact.error is not None:
        return f"feeds\n  {fact.path}: {fact.error}"
    if not fact.present:
        return f"feeds\n  no connector state yet ({fact.path})"
    head = f"feeds: {fact.total} known, {len(fact.failing)} failing, {len(fact.parked)} parked"
    lines = [f"  {_feed_line(i, now)}" for i in fact.failing[:MAX_FEED_LINES]]
    if len(fact.failing) > MAX_FEED_LINES:
        lines.append(f"  … and {len(fact.failing) - MAX_FEED_LINES} more failing")
    lines += [f"  parked {i.feed_id}: {i.parked_reason}" for i in fact.parked[:MAX_FEED_LINES]]
    if len(fact.parked) > MAX_FEED_LINES:
        lines.append(f"  … and {len(fact.parked) - MAX_FEED_LINES} more parked")
    return "\n".join([head, *lines])


def _feed_line(issue: FeedIssue, now: datetime) -> str:
    if issue.last_success_at is None:
        since = "never succeeded"
    else:
        since = f"since last success {ago(datetime.fromtimestamp(issue.last_success_at, UTC), now)}"
    return f"{issue.feed_id}: {issue.last_error or 'unknown error'} (failures {issue.failures}, {since})"


def render_json(facts: Facts, problems: list[Problem]) -> str:
    """Facts and problems as JSON (times ISO 8601, paths as strings, ``null`` for checks not run)."""
    data: dict[str, Any] = {
        "healthy": not any(p.severity == "error" for p in problems),
        "checked_at": facts.checked_at,
        "checks": dict(_check_states(facts, problems)),
        "problems": [dataclasses.asdict(p) for p in problems],
    }
    for field in dataclasses.fields(facts):
        value = getattr(facts, field.name)
        if field.name != "checked_at":
            data[field.name] = _plain(value)
    if facts.lag is not None:
        data["lag"]["total"] = facts.lag.total
    if facts.pipeline is not None and facts.pipeline.status is not None:
        data["pipeline"]["age_s"] = facts.pipeline.status.age_s(facts.checked_at)
    return json.dumps(data, indent=2, default=_default, ensure_ascii=False)


def _check_states(facts: Facts, problems: list[Problem]) -> Iterator[tuple[str, str]]:
    for field in dataclasses.fields(facts):
        if field.name == "checked_at" or getattr(facts, field.name) is None:
            continue
        name = field.name.replace("_", "-")
        found = {p.severity for p in problems if p.check == name}
        yield name, "error" if "error" in found else "warning" if found else "ok"


def _plain(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, tuple):
        return [dataclasses.asdict(v) for v in value]
    return dataclasses.asdict(value)


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
