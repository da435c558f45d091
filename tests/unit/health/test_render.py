"""The human report and the JSON of ``newsmon status``."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from newsmon.health.facts import FeedIssue, FeedsFact, LagFact, PipelineFact
from newsmon.health.render import render_json, render_text
from newsmon.health.verdict import assess
from tests.unit.health.factories import NOW, healthy_facts, with_status


def test_text_report_of_a_healthy_deployment() -> None:
    facts = healthy_facts()
    text = render_text(facts, assess(facts))
    blocks = text.split("\n\n")
    assert [b.splitlines()[0].split(":")[0].split(" (")[0] for b in blocks] == [
        "services",
        "pipeline",
        "consumer lag of group on articles",
        "last article indexed in newsmon-articles",
        "dead letters in dlq",
        "feeds",
        "status",
    ]
    assert "kafka          healthy  127.0.0.1:9092" in text
    assert "state RUNNING (job RUNNING) on prism, supervisor pid 1234" in text
    assert "job up 2h 05m, restarts 1" in text
    assert "last exit FAILED at 2025-06-01 09:54:00Z: elasticsearch 503" in text
    assert "status updated 2025-06-01 11:59:57Z (3s ago); metrics port 9464" in text
    assert "consumer lag of group on articles: 5 in total" in text
    assert "1          -          0          3    3" in text  # partition without commit
    assert "2025-06-01 11:57:00Z (3m 00s ago): Minsk news [a1]" in text
    assert blocks[-1] == "status: healthy"


def test_text_report_lists_problems_and_verdict() -> None:
    facts = with_status(healthy_facts(), state="STOPPED")
    text = render_text(facts, assess(facts, max_lag=1))
    assert "problems\n  error: pipeline is STOPPED" in text
    assert "\n  error: consumer lag 5 on articles exceeds --max-lag 1" in text
    assert text.endswith("status: UNHEALTHY (2 errors)")


def test_failing_feeds_are_capped_at_ten_lines() -> None:
    last_ok = (NOW - timedelta(days=2)).timestamp()
    failing = tuple(FeedIssue(f"feed{i:02d}", 12 - i, "HTTP 500", None, last_ok) for i in range(12))
    never = FeedIssue("fresh", 1, None, None, None)
    parked = FeedIssue("gone", 10, "HTTP 404", None, None, parked_reason="permanent error: HTTP 404")
    feeds = FeedsFact(Path("/f"), present=True, total=20, failing=(*failing, never), parked=(parked,))
    text = render_text(replace(healthy_facts(), feeds=feeds), [])
    assert "feeds: 20 known, 13 failing, 1 parked" in text
    assert "  feed00: HTTP 500 (failures 12, since last success 2025-05-30 12:00:00Z (2d 0h ago))" in text
    assert "feed09:" in text and "feed10:" not in text and "fresh" not in text
    assert "  … and 3 more failing" in text
    assert "  parked gone: permanent error: HTTP 404" in text


def test_feed_that_never_succeeded() -> None:
    feeds = FeedsFact(Path("/f"), present=True, total=1, failing=(FeedIssue("new", 2, "DNS", None, None),))
    assert "  new: DNS (failures 2, never succeeded)" in render_text(
        replace(healthy_facts(), feeds=feeds), []
    )


def test_missing_pieces_are_said_plainly() -> None:
    facts = replace(
        healthy_facts(),
        pipeline=PipelineFact(Path("/s/status.json"), None),
        lag=LagFact("articles", "group", topic_missing=True),
        feeds=FeedsFact(Path("/f.sqlite3"), present=False),
    )
    text = render_text(facts, assess(facts))
    assert "pipeline\n  no status file at /s/status.json" in text
    assert "consumer lag of group on articles\n  topic does not exist" in text
    assert "feeds\n  no connector state yet (/f.sqlite3)" in text


def test_json_report() -> None:
    facts = with_status(healthy_facts(), state="RESTARTING")
    data = json.loads(render_json(facts, assess(facts)))
    assert data["healthy"] is False
    assert data["checked_at"] == "2025-06-01T12:00:00+00:00"
    assert data["checks"] == {
        "services": "ok",
        "pipeline": "error",
        "lag": "ok",
        "articles": "ok",
        "dead-letters": "ok",
        "feeds": "ok",
    }
    assert data["problems"][0]["check"] == "pipeline"
    assert data["services"][0]["name"] == "kafka"
    assert data["pipeline"]["status"]["state"] == "RESTARTING"
    assert data["pipeline"]["age_s"] == 3.0
    assert data["lag"]["total"] == 5
    assert data["lag"]["partitions"][1] == {
        "partition": 1,
        "committed": None,
        "beginning": 0,
        "end": 3,
        "lag": 3,
    }
    assert data["articles"]["title"] == "Minsk news"
    assert data["feeds"]["path"] == "/state/connectors/articles.sqlite3"


def test_json_marks_checks_not_run_as_null() -> None:
    facts = replace(healthy_facts(), lag=None, feeds=None)
    data = json.loads(render_json(facts, []))
    assert data["lag"] is None and "lag" not in data["checks"] and data["healthy"] is True
