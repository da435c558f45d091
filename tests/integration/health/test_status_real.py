"""``newsmon status`` end to end against the real Kafka and Elasticsearch: a unique articles topic,
dead-letter topic and index per test, a supervisor status file and connector state in a tmp state dir."""

from __future__ import annotations

import json
import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from elasticsearch import Elasticsearch

from connectors.state import FeedState, StateStore, state_file
from newsmon.cli.main import main
from newsmon.core.kafka_topics import ensure_topics
from newsmon.core.settings import Settings
from tests.integration.health.kafka_helpers import commit, produce

pytestmark = pytest.mark.integration


@pytest.fixture
def status_settings(test_settings: Settings, tmp_path: Path) -> Settings:
    """This test's topics and index, with ``services.state_dir`` in tmp (the services stay the same)."""
    services = test_settings.services.model_copy(update={"state_dir": tmp_path / "state"})
    return test_settings.model_copy(update={"services": services})


def _config(settings: Settings, tmp_path: Path) -> Path:
    path = tmp_path / "newsmon.yaml"
    path.write_text(yaml.safe_dump(settings.model_dump(mode="json")), encoding="utf-8")
    return path


def _write_status(settings: Settings, **overrides: Any) -> Path:
    now = datetime.now(UTC)
    status = {
        "pid": os.getpid(),
        "runner": "prism",
        "state": "RUNNING",
        "job_state": "RUNNING",
        "supervisor_started_at": (now - timedelta(minutes=10)).isoformat(),
        "job_started_at": (now - timedelta(minutes=9)).isoformat(),
        "restarts": 1,
        "last_exit": {"state": "FAILED", "reason": "elasticsearch 503", "at": now.isoformat()},
        "updated_at": now.isoformat(),
        "metrics_port": None,
        "metrics": {"kafka_source.records_read": 6},
        **overrides,
    }
    path = Path(settings.services.state_dir) / "pipeline" / "status.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(status), encoding="utf-8")
    return path


def _seed(settings: Settings) -> None:
    kafka = settings.kafka
    ensure_topics(kafka, [kafka.articles_topic, kafka.dead_letter_topic])
    produce(kafka, kafka.articles_topic, {0: 4, 1: 2})
    commit(kafka, kafka.consumer_group, kafka.articles_topic, {0: 3})  # lag: 1 + 2 (no commit on 1)
    produce(kafka, kafka.dead_letter_topic, {0: 2, 1: 1})
    es = Elasticsearch(**settings.elasticsearch.client_kwargs())
    try:
        for ident, title, minutes in (("old", "Older story", 30), ("new", "Newest story", 2)):
            at = (datetime.now(UTC) - timedelta(minutes=minutes)).isoformat()
            es.index(
                index=settings.elasticsearch.index, id=ident, document={"title": title, "indexed_at": at}
            )
        es.indices.refresh(index=settings.elasticsearch.index)
    finally:
        es.close()
    store = StateStore(state_file(Path(settings.services.state_dir) / "connectors", kafka.articles_topic))
    try:
        store.save_feeds(
            [
                FeedState("ok-feed", url="https://a.example/rss", last_success_at=time.time()),
                FeedState("bad-feed", failures=3, last_error="HTTP 500", last_error_at=time.time()),
                FeedState(
                    "gone-feed", failures=10, last_error="HTTP 404", parked_reason="permanent error: 404"
                ),
            ]
        )
    finally:
        store.close()


def _status(config: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    started = time.monotonic()
    code = main(["--config", str(config), "status", *args])
    assert time.monotonic() - started < 15
    return code, capsys.readouterr().out


def test_status_of_a_running_deployment(
    status_settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _seed(status_settings)
    _write_status(status_settings)
    config = _config(status_settings, tmp_path)

    code, out = _status(config, capsys, "--json")
    data = json.loads(out)

    assert code == 0, data["problems"]
    assert data["healthy"] is True
    assert [(s["name"], s["healthy"], s["local"]) for s in data["services"][:2]] == [
        ("kafka", True, True),
        ("elasticsearch", True, True),
    ]
    assert [(p["partition"], p["committed"], p["end"], p["lag"]) for p in data["lag"]["partitions"]] == [
        (0, 3, 4, 1),
        (1, None, 2, 2),
    ]
    assert data["lag"]["total"] == 3
    assert data["dead_letters"]["count"] == 3
    assert data["articles"]["title"] == "Newest story" and data["articles"]["article_id"] == "new"
    assert data["pipeline"]["pid_alive"] is True and data["pipeline"]["status"]["restarts"] == 1
    assert [f["feed_id"] for f in data["feeds"]["failing"]] == ["bad-feed"]
    assert [f["feed_id"] for f in data["feeds"]["parked"]] == ["gone-feed"]
    assert {p["severity"] for p in data["problems"]} == {"warning"}
    assert {"dead-letters", "feeds"} <= {p["check"] for p in data["problems"]}

    code, text = _status(config, capsys, "--max-lag", "2")
    assert code == 1
    assert f"error: consumer lag 3 on {status_settings.kafka.articles_topic} exceeds --max-lag 2" in text
    assert "bad-feed: HTTP 500 (failures 3, never succeeded)" in text
    assert "\nstatus: UNHEALTHY (1 error), " in text


def test_stale_or_missing_status_file_is_unhealthy(
    status_settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _config(status_settings, tmp_path)
    only = ("--only", "services,pipeline")

    code, text = _status(config, capsys, *only)
    assert code == 1 and "error: pipeline not running (no status file" in text

    _write_status(status_settings, updated_at=(datetime.now(UTC) - timedelta(minutes=5)).isoformat())
    code, text = _status(config, capsys, *only)
    assert code == 1 and "error: pipeline status last updated 5m" in text

    _write_status(status_settings)
    code, text = _status(config, capsys, *only)
    assert code == 0 and "\nstatus: healthy" in text, text


def test_clusters_other_than_the_local_services_are_probed_directly(
    status_settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Local services "live" on other ports, so the configured endpoints count as remote clusters.
    services = status_settings.services.model_copy(update={"kafka_port": 1025, "elasticsearch_port": 1026})
    config = _config(status_settings.model_copy(update={"services": services}), tmp_path)

    code, out = _status(config, capsys, "--json", "--only", "services")
    data = json.loads(out)

    assert code == 0, data["problems"]
    kafka, es = data["services"][:2]
    assert (kafka["local"], kafka["healthy"], kafka["endpoint"]) == (
        False,
        True,
        status_settings.kafka.bootstrap_servers,
    )
    assert kafka["detail"].startswith("answers (")
    assert (es["local"], es["healthy"]) == (False, True) and es["detail"].startswith("cluster ")
