"""The local parts of ``newsmon status`` (status file, connector state, arguments), no services needed."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from connectors.state import FeedState, StateStore
from newsmon.cli.main import main
from newsmon.core.settings import ServicesSettings, Settings
from newsmon.health.collect import collect, connectors_state_path


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(services=ServicesSettings(state_dir=tmp_path / "state"))


def test_nothing_there_yet_creates_nothing(settings: Settings, tmp_path: Path) -> None:
    facts = collect(settings, only=("pipeline", "feeds"))
    assert facts.services is None and facts.lag is None
    assert facts.pipeline is not None and facts.pipeline.status is None and facts.pipeline.error is None
    assert facts.feeds is not None and not facts.feeds.present
    assert not (tmp_path / "state").exists()


def test_status_file_and_feed_state_are_read(settings: Settings) -> None:
    status = Path(settings.services.state_dir) / "pipeline" / "status.json"
    status.parent.mkdir(parents=True)
    status.write_text(json.dumps({"pid": os.getpid(), "state": "RUNNING"}), encoding="utf-8")
    store = StateStore(connectors_state_path(settings))
    store.save_feeds(
        [FeedState("a", failures=2, last_error="timeout"), FeedState("b"), FeedState("c", parked_reason="x")]
    )
    store.close()

    facts = collect(settings, only=("pipeline", "feeds"))

    assert facts.pipeline is not None and facts.pipeline.pid_alive is True
    assert facts.pipeline.status is not None and facts.pipeline.status.state == "RUNNING"
    assert facts.feeds is not None and facts.feeds.total == 3
    assert [i.feed_id for i in facts.feeds.failing] == ["a"]
    assert [i.feed_id for i in facts.feeds.parked] == ["c"]


def test_corrupt_state_files_are_reported_not_raised(settings: Settings) -> None:
    status = Path(settings.services.state_dir) / "pipeline" / "status.json"
    status.parent.mkdir(parents=True)
    status.write_text("{truncated", encoding="utf-8")
    feeds = connectors_state_path(settings)
    feeds.parent.mkdir(parents=True)
    feeds.write_bytes(b"this is not a database, just forty-odd bytes of junk")

    facts = collect(settings, only=("pipeline", "feeds"))

    assert (
        facts.pipeline is not None
        and facts.pipeline.error is not None
        and "unreadable" in facts.pipeline.error
    )
    assert facts.feeds is not None and facts.feeds.error is not None


def test_unknown_check_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["status", "--only", "services,bogus"])
    assert exit_info.value.code == 2
    assert "unknown check(s) bogus" in capsys.readouterr().err
