"""Healthy or not, from collected facts: which conditions are errors (exit 1) and which warnings."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from newsmon.health.facts import DeadLetterFact, FeedIssue, FeedsFact, LagFact, PipelineFact, Problem
from newsmon.health.verdict import assess, is_healthy
from tests.unit.health.factories import ES, KAFKA, NOW, PRISM, healthy_facts, with_status


def _errors(problems: list[Problem]) -> list[str]:
    return [p.message for p in problems if p.severity == "error"]


def test_healthy_deployment_has_no_problems() -> None:
    problems = assess(healthy_facts())
    assert problems == [] and is_healthy(problems)


def test_local_service_down_names_endpoint_and_next_step() -> None:
    down = replace(KAFKA, healthy=False, pid=None, state="stopped")
    problems = assess(replace(healthy_facts(), services=(down, ES, PRISM)))
    assert _errors(problems) == ["kafka at 127.0.0.1:9092 unreachable: start it with `newsmon services up`"]
    assert not is_healthy(problems)


def test_local_service_running_but_silent_points_at_its_logs() -> None:
    hung = replace(ES, healthy=False, state="unhealthy")
    assert (
        "`newsmon services logs elasticsearch`"
        in _errors(assess(replace(healthy_facts(), services=(KAFKA, hung))))[0]
    )


def test_remote_service_down_points_at_the_setting() -> None:
    remote = replace(ES, local=False, healthy=False, pid=None, detail="cluster prod is red")
    (message,) = _errors(assess(replace(healthy_facts(), services=(KAFKA, remote))))
    assert "cluster prod is red" in message and "`elasticsearch.url`" in message


def test_prism_not_built_is_only_a_warning() -> None:
    problems = assess(replace(healthy_facts(), services=(KAFKA, ES, replace(PRISM, healthy=False))))
    assert [p.severity for p in problems] == ["warning"] and is_healthy(problems)


def test_missing_status_file() -> None:
    facts = replace(healthy_facts(), pipeline=PipelineFact(Path("/s/pipeline/status.json"), None))
    (message,) = _errors(assess(facts))
    assert "no status file /s/pipeline/status.json" in message and "`newsmon pipeline run`" in message


def test_unreadable_status_file() -> None:
    facts = replace(healthy_facts(), pipeline=PipelineFact(Path("/s"), None, error="/s: unreadable (x)"))
    assert _errors(assess(facts)) == [
        "pipeline status file /s: unreadable (x): start it with `newsmon pipeline run`"
    ]


def test_stale_status_file() -> None:
    facts = with_status(healthy_facts(), updated_at=NOW - timedelta(seconds=61))
    (message,) = _errors(assess(facts))
    assert "last updated 1m 01s ago (limit 1m 00s)" in message and "pid 1234" in message
    assert is_healthy(assess(with_status(healthy_facts(), updated_at=NOW - timedelta(seconds=60))))


def test_status_file_without_updated_at_is_stale() -> None:
    assert "last updated never" in _errors(assess(with_status(healthy_facts(), updated_at=None)))[0]


def test_dead_supervisor_pid() -> None:
    facts = healthy_facts()
    assert facts.pipeline is not None
    facts = replace(facts, pipeline=replace(facts.pipeline, pid_alive=False))
    assert _errors(assess(facts)) == [
        "pipeline supervisor pid 1234 is not running: start it with `newsmon pipeline run`"
    ]


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        (
            "RESTARTING",
            "pipeline is RESTARTING (restarts 1; last exit FAILED: elasticsearch 503): check again",
        ),
        ("STARTING", "pipeline is STARTING"),
        ("STOPPED", "pipeline is STOPPED (restarts 1; last exit FAILED: elasticsearch 503): start it with"),
        (None, "pipeline is in an unknown state"),
    ],
)
def test_pipeline_not_running(state: str | None, expected: str) -> None:
    (message,) = _errors(assess(with_status(healthy_facts(), state=state)))
    assert message.startswith(expected)


def test_lag_threshold_is_on_the_total() -> None:
    facts = healthy_facts()  # total lag 5
    assert is_healthy(assess(facts, max_lag=5))
    (message,) = _errors(assess(facts, max_lag=4))
    assert message.startswith("consumer lag 5 on articles exceeds --max-lag 4")
    assert is_healthy(assess(facts))  # no limit by default


def test_missing_articles_topic_is_an_error() -> None:
    facts = replace(healthy_facts(), lag=LagFact("articles", "group", topic_missing=True))
    assert _errors(assess(facts)) == [
        "kafka topic articles does not exist: create it with `newsmon pipeline init`"
    ]


def test_skipped_checks_do_not_repeat_the_service_problem() -> None:
    down = replace(KAFKA, healthy=False, pid=None)
    facts = replace(
        healthy_facts(),
        services=(down, ES),
        lag=LagFact("articles", "group", error="skipped", skipped=True),
        dead_letters=DeadLetterFact("dlq", error="skipped", skipped=True),
    )
    assert len(assess(facts, max_lag=0)) == 1


def test_dead_letters_and_feeds_are_warnings() -> None:
    issue = FeedIssue("f1", 3, "HTTP 500", 1.0, None)
    parked = FeedIssue("f2", 10, "HTTP 404", 1.0, None, parked_reason="permanent error: HTTP 404")
    facts = replace(
        healthy_facts(),
        dead_letters=DeadLetterFact("dlq", 7),
        feeds=FeedsFact(Path("/f"), present=True, total=5, failing=(issue,), parked=(parked,)),
    )
    problems = assess(facts)
    assert is_healthy(problems)
    assert [p.check for p in problems] == ["dead-letters", "feeds", "feeds"]
    assert problems[0].message.startswith("7 record(s) in dead-letter topic dlq")
    assert problems[1].message == "1 feed(s) failing: see `newsmon feeds status`"


def test_errors_come_first() -> None:
    facts = replace(with_status(healthy_facts(), state="STOPPED"), dead_letters=DeadLetterFact("dlq", 1))
    facts = replace(facts, services=(KAFKA, ES, replace(PRISM, healthy=False)))
    assert [p.severity for p in assess(facts)] == ["error", "warning", "warning"]
