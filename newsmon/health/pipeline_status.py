"""The pipeline supervisor's status file, ``<services.state_dir>/pipeline/status.json``, read tolerantly.

The supervisor rewrites the file every few seconds with this shape (every field optional here)::

    {"pid": 1234, "runner": "prism", "state": "RUNNING", "job_state": "RUNNING",
     "supervisor_started_at": "2025-06-01T10:00:00+00:00", "job_started_at": "...", "restarts": 0,
     "last_exit": {"state": "FAILED", "reason": "...", "at": "..."}, "updated_at": "...",
     "metrics_port": 9464, "metrics": {"kafka_source.records_read": 10}}
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import psutil

from newsmon.health.timefmt import parse_time

__all__ = [
    "FRESH_FOR_S",
    "LastExit",
    "PipelineStatus",
    "StatusFileError",
    "parse_status",
    "pid_alive",
    "read_status",
    "status_path",
]

logger = logging.getLogger(__name__)

#: A status file older than this means the supervisor is gone or hung.
FRESH_FOR_S = 60.0


class StatusFileError(ValueError):
    """The status file exists but is not a JSON object (the message names the file)."""


@dataclass(frozen=True)
class LastExit:
    """How the previous job run ended, as recorded by the supervisor."""

    state: str | None
    reason: str | None
    at: datetime | None


@dataclass(frozen=True)
class PipelineStatus:
    """The supervisor's view of the pipeline job; missing or malformed fields are None/empty."""

    pid: int | None = None
    runner: str | None = None
    state: str | None = None
    job_state: str | None = None
    supervisor_started_at: datetime | None = None
    job_started_at: datetime | None = None
    restarts: int = 0
    last_exit: LastExit | None = None
    updated_at: datetime | None = None
    metrics_port: int | None = None
    metrics: dict[str, float] = field(default_factory=dict)

    def age_s(self, now: datetime) -> float | None:
        """Seconds since the supervisor last wrote the file (None without ``updated_at``)."""
        return None if self.updated_at is None else (now - self.updated_at).total_seconds()

    def fresh(self, now: datetime, fresh_for_s: float = FRESH_FOR_S) -> bool:
        """True if ``updated_at`` is at most ``fresh_for_s`` old (a clock a little ahead counts as fresh)."""
        age = self.age_s(now)
        return age is not None and age <= fresh_for_s


def status_path(state_dir: Path) -> Path:
    """Where the supervisor writes its status for the services state dir ``state_dir``."""
    from pipeline.supervisor import status_file

    return status_file(Path(state_dir).expanduser().resolve())


def parse_status(data: Mapping[str, Any]) -> PipelineStatus:
    """A ``PipelineStatus`` from the decoded JSON; wrong types become None rather than errors."""
    last = data.get("last_exit")
    metrics = data.get("metrics")
    return PipelineStatus(
        pid=_int(data.get("pid")),
        runner=_str(data.get("runner")),
        state=_str(data.get("state")),
        job_state=_str(data.get("job_state")),
        supervisor_started_at=parse_time(data.get("supervisor_started_at")),
        job_started_at=parse_time(data.get("job_started_at")),
        restarts=_int(data.get("restarts")) or 0,
        last_exit=(
            LastExit(_str(last.get("state")), _str(last.get("reason")), parse_time(last.get("at")))
            if isinstance(last, dict)
            else None
        ),
        updated_at=parse_time(data.get("updated_at")),
        metrics_port=_int(data.get("metrics_port")),
        metrics=(
            {str(k): float(v) for k, v in metrics.items() if _number(v)} if isinstance(metrics, dict) else {}
        ),
    )


def read_status(path: Path, retries: int = 1) -> PipelineStatus | None:
    """The parsed status file, None if it does not exist; raises ``StatusFileError`` if unreadable.

    A file caught mid-write (invalid JSON) is read ``retries`` more times after a short pause.
    """
    problem: Exception | None = None
    for _ in range(retries + 1):
        if problem is not None:
            time.sleep(0.2)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:  # ValueError: invalid JSON or UTF-8
            problem = exc
            continue
        if not isinstance(data, dict):
            raise StatusFileError(f"{path}: expected a JSON object, found {type(data).__name__}")
        return parse_status(data)
    raise StatusFileError(f"{path}: unreadable ({problem})")


def pid_alive(pid: int | None) -> bool:
    """True if process ``pid`` exists on this machine and is not a zombie."""
    if pid is None or pid <= 0:
        return False
    try:
        return bool(psutil.Process(pid).status() != psutil.STATUS_ZOMBIE)
    except psutil.AccessDenied:
        return True  # it exists, owned by another user
    except psutil.NoSuchProcess:  # includes ZombieProcess
        return False


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _int(value: Any) -> int | None:
    return int(value) if _number(value) else None
