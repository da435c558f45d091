"""Reading the supervisor's status file: tolerant parsing, freshness, unreadable files, live pids."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from newsmon.health.pipeline_status import (
    LastExit,
    PipelineStatus,
    StatusFileError,
    parse_status,
    pid_alive,
    read_status,
    status_path,
)

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)

FULL = {
    "pid": 1234,
    "runner": "prism",
    "state": "RUNNING",
    "job_state": "RUNNING",
    "supervisor_started_at": "2025-06-01T10:00:00+00:00",
    "job_started_at": "2025-06-01T11:00:00Z",
    "restarts": 2,
    "last_exit": {"state": "FAILED", "reason": "ES 503", "at": "2025-06-01T10:59:00+02:00"},
    "updated_at": "2025-06-01T11:59:50",
    "metrics_port": 9464,
    "metrics": {"kafka_source.records_read": 10, "elasticsearch.documents_indexed": 9.5, "bad": "x"},
}


def test_parse_full_status() -> None:
    status = parse_status(FULL)
    assert status == PipelineStatus(
        pid=1234,
        runner="prism",
        state="RUNNING",
        job_state="RUNNING",
        supervisor_started_at=datetime(2025, 6, 1, 10, 0, tzinfo=UTC),
        job_started_at=datetime(2025, 6, 1, 11, 0, tzinfo=UTC),
        restarts=2,
        last_exit=LastExit("FAILED", "ES 503", datetime(2025, 6, 1, 8, 59, tzinfo=UTC)),
        updated_at=datetime(2025, 6, 1, 11, 59, 50, tzinfo=UTC),  # naive: taken as UTC
        metrics_port=9464,
        metrics={"kafka_source.records_read": 10.0, "elasticsearch.documents_indexed": 9.5},
    )


def test_missing_and_malformed_fields_degrade_to_none() -> None:
    status = parse_status(
        {
            "pid": "12",
            "state": "",
            "restarts": None,
            "last_exit": None,
            "updated_at": "yesterday",
            "metrics": [],
        }
    )
    assert status == PipelineStatus()
    assert parse_status({"restarts": True, "metrics_port": None}).restarts == 0


@pytest.mark.parametrize(
    ("updated", "fresh"),
    [
        (NOW - timedelta(seconds=59), True),
        (NOW - timedelta(seconds=60), True),
        (NOW - timedelta(seconds=61), False),
        (NOW + timedelta(seconds=5), True),  # supervisor clock slightly ahead
        (None, False),
    ],
)
def test_freshness(updated: datetime | None, fresh: bool) -> None:
    assert PipelineStatus(updated_at=updated).fresh(NOW) is fresh


def test_read_status_file(tmp_path: Path) -> None:
    path = status_path(tmp_path)
    assert path == tmp_path.resolve() / "pipeline" / "status.json"
    assert read_status(path) is None
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(FULL), encoding="utf-8")
    status = read_status(path)
    assert status is not None and status.state == "RUNNING" and status.restarts == 2


@pytest.mark.parametrize(
    ("content", "message"), [("{not json", "unreadable"), ("[1, 2]", "expected a JSON object")]
)
def test_unreadable_status_file(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "status.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(StatusFileError, match=message) as info:
        read_status(path, retries=0)
    assert str(path) in str(info.value)


def test_pid_alive() -> None:
    assert pid_alive(os.getpid())
    assert not pid_alive(None)
    assert not pid_alive(0)
    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    assert not pid_alive(int(done.stdout))  # exited and reaped
