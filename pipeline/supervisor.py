"""Keep the streaming job running: start it, watch it, restart it with backoff when it ends.

Transient outages are waited out inside the DoFns (:mod:`pipeline.retry`), so a job should not
end. If it does anyway (a bug, the runner process dying, a failed start because Kafka is down),
:class:`JobSupervisor` says why in one line, waits (capped exponential backoff, reset once a job
has run well for a while) and starts a new job, which resumes from the committed Kafka offsets.

It also writes the job's state to a small JSON file (``newsmon status`` reads it) and hands the
job's metrics to a callback (the Prometheus exporter) every ``poll_s`` seconds.

A job can also stay RUNNING and do nothing (seen on Flink: a read that never started, checkpoints
completing, no error). :class:`StallGuard` notices it from Kafka alone, on any runner: records
wait, yet the consumer group's committed offsets have not moved for ``pipeline.stall_timeout_s``.
The supervisor then says so in one line, has the thread stacks dumped (where to find them is in
that line), and restarts the job.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from pipeline.retry import Backoff

__all__ = [
    "JobHandle",
    "JobSupervisor",
    "StallGuard",
    "SupervisorStatus",
    "read_status",
    "reap_after_crash",
    "status_file",
]

logger = logging.getLogger(__name__)


class JobHandle(Protocol):
    """What the supervisor needs of a running job (``pipeline.job.StreamingJob`` in production)."""

    @property
    def state(self) -> str: ...

    def is_running(self) -> bool: ...
    def failure_reason(self) -> str: ...
    def metrics(self) -> dict[str, float]: ...
    def cancel(self) -> None: ...


class StallGuard:
    """Decides when a running job has stalled: the topic has unread records but the committed
    offsets have not moved for ``timeout_s``. Used by :class:`JobSupervisor` (``newsmon pipeline
    run``); ``probe`` returns ``(committed total, records waiting)`` or None when Kafka cannot say."""

    def __init__(
        self,
        timeout_s: float,
        probe: Callable[[], tuple[int, int] | None],
        *,
        check_every_s: float = 15.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.timeout_s = timeout_s
        self._probe = probe
        self._check_every_s = check_every_s
        self._clock = clock
        self._last_check = float("-inf")
        self._committed: int | None = None
        self._since = clock()

    def reset(self) -> None:
        """A new job: its time to show progress starts now."""
        self._committed = None
        self._since = self._clock()
        self._last_check = float("-inf")

    def check(self) -> str | None:
        """None while the job progresses (or has nothing to do); else why it counts as stalled."""
        now = self._clock()
        if self.timeout_s <= 0 or now - self._last_check < self._check_every_s:
            return None
        self._last_check = now
        try:
            answer = self._probe()
        except Exception as exc:  # Kafka away: that is an outage, reported elsewhere, not a stall
            logger.debug("stall probe failed: %s", exc)
            return None
        if answer is None:
            return None
        committed, waiting = answer
        moved = self._committed is not None and committed != self._committed
        self._committed = committed
        if waiting <= 0 or moved:
            self._since = now  # caught up, or progressing: the clock starts again
            return None
        if now - self._since < self.timeout_s:
            return None
        return (
            f"no progress for {now - self._since:.0f} s: {waiting} records wait in Kafka and the "
            "committed offsets have not moved"
        )


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass
class SupervisorStatus:
    """The supervisor's view of its job, as written to the status file."""

    runner: str
    state: str = "STARTING"
    job_state: str = "NOT_STARTED"
    pid: int = field(default_factory=os.getpid)
    supervisor_started_at: str = field(default_factory=_now_iso)
    job_started_at: str | None = None
    restarts: int = 0
    last_exit: dict[str, str] | None = None
    updated_at: str = field(default_factory=_now_iso)
    metrics_port: int | None = None
    metrics: dict[str, float] = field(default_factory=dict)
    runner_pids: list[int] = field(default_factory=list)

    def to_json(self) -> str:
        return json.dumps(self.__dict__, indent=2, sort_keys=True)


class JobSupervisor:
    """Runs ``start_job`` until ``stop`` is set, restarting the job whenever it ends.

    Used by ``newsmon pipeline run`` and ``newsmon run --follow``. ``start_job`` builds and submits
    a job; it may raise (e.g. Kafka unreachable while the graph is built): that counts as a job
    that ended at once.
    """

    def __init__(
        self,
        start_job: Callable[[], JobHandle],
        *,
        runner: str,
        status_path: Path | None = None,
        on_metrics: Callable[[dict[str, float]], None] | None = None,
        on_tick: Callable[[JobHandle, dict[str, float]], None] | None = None,
        progress: Callable[[str], None] = logger.warning,
        backoff: Backoff | None = None,
        healthy_after_s: float = 600.0,
        poll_s: float = 5.0,
        metrics_port: int | None = None,
        stall_guard: StallGuard | None = None,
        on_stall: Callable[[JobHandle], str] | None = None,
    ) -> None:
        """``stall_guard``: restarts a job that stays RUNNING without progress; ``on_stall`` is
        called first (it dumps thread stacks) and returns where it put them."""
        self._start_job = start_job
        self._status_path = status_path
        self._on_metrics = on_metrics
        self._on_tick = on_tick
        self._progress = progress
        self._backoff = backoff or Backoff(base_s=5.0, cap_s=300.0)
        self._healthy_after_s = healthy_after_s
        self._poll_s = poll_s
        self.status = SupervisorStatus(runner=runner, metrics_port=metrics_port)
        self.job: JobHandle | None = None
        self._next_start = 0.0
        self._failures = 0
        self._job_started: float | None = None
        self._stall_guard = stall_guard
        self._on_stall = on_stall

    def run(self, stop: threading.Event) -> None:
        """Supervise until ``stop`` is set; the current job is cancelled before returning."""
        try:
            while not stop.is_set():
                self.step()
                stop.wait(self._poll_s)
        finally:
            self.close()

    def step(self) -> None:
        """One look at the job: start it when due, publish its state, or note that it ended.

        ``run`` calls it every ``poll_s``; a caller with its own loop (``newsmon run``) calls it
        from there instead. Beam installs signal handlers when a job starts, so this must run on
        the main thread.
        """
        now = time.monotonic()
        if self.job is None:
            if now >= self._next_start:
                self._start(now)
            return
        job = self.job
        running = job.is_running()
        self.status.job_state = job.state
        self.status.state = "RUNNING" if running else "RESTARTING"
        self._publish(job)
        if not running:
            reason = job.failure_reason()
            job.cancel()  # releases the runner process of a dead job
            self.job = None
            self._ended(reason, now)
            return
        stalled = self._stall_guard.check() if self._stall_guard is not None else None
        if stalled is not None:
            where = ""
            if self._on_stall is not None:
                try:
                    where = self._on_stall(job)
                except Exception as exc:
                    where = f"(thread dump failed: {type(exc).__name__}: {exc})"
            job.cancel()
            self.job = None
            self.status.job_state = "STALLED"
            detail = f"; thread stacks in {where}" if where else ""
            self._ended(f"{stalled}{detail}", now)

    def close(self) -> None:
        """Cancel the current job (if any) and record that supervision stopped."""
        if self.job is not None:
            self.job.cancel()
            self.job = None
        self.status.state = "STOPPED"
        self._write_status()

    def _start(self, now: float) -> None:
        self.status.state = "STARTING"
        self._write_status()
        try:
            self.job = self._start_job()
            self.status.runner_pids = list(getattr(self.job, "runner_pids", []))
        except Exception as exc:  # a failed start is one more reason to retry later, not to quit
            self.status.job_state = "NOT_STARTED"
            logger.debug("job start failed", exc_info=True)
            self._ended(f"could not start: {type(exc).__name__}: {str(exc)[:300]}", now)
            return
        self._job_started = now
        if self._stall_guard is not None:
            self._stall_guard.reset()
        self.status.job_started_at = _now_iso()
        self.status.state = "RUNNING"
        self._write_status()

    def _ended(self, reason: str, now: float) -> None:
        ran_well = self._job_started is not None and now - self._job_started >= self._healthy_after_s
        self._failures = 1 if ran_well else self._failures + 1
        self._job_started = None
        delay = self._backoff.delay(self._failures)
        self._next_start = now + delay
        self.status.restarts += 1
        self.status.state = "RESTARTING"
        self.status.last_exit = {"state": self.status.job_state, "reason": reason, "at": _now_iso()}
        self._write_status()
        self._progress(
            f"pipeline job ended ({self.status.job_state}: {reason}); "
            f"restarting in {delay:.0f} s (restart #{self.status.restarts})"
        )

    def _publish(self, job: JobHandle) -> None:
        try:
            metrics = job.metrics()
        except Exception as exc:
            logger.debug("metrics unavailable: %s", exc)
            metrics = {}
        if metrics:
            self.status.metrics = metrics
            if self._on_metrics is not None:
                self._on_metrics(metrics)
        if self._on_tick is not None:
            self._on_tick(job, self.status.metrics)
        self._write_status()

    def _write_status(self) -> None:
        self.status.updated_at = _now_iso()
        if self._status_path is None:
            return
        try:
            self._status_path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self._status_path.with_suffix(".tmp")
            tmp.write_text(self.status.to_json(), encoding="utf-8")
            tmp.replace(self._status_path)
        except OSError as exc:
            logger.warning("cannot write pipeline status file %s: %s", self._status_path, exc)


def status_file(state_dir: Path) -> Path:
    """Where the supervisor of the pipeline keeps its status (read by ``newsmon status``)."""
    return state_dir / "pipeline" / "status.json"


def read_status(path: Path) -> dict[str, Any] | None:
    """The last status written at ``path``, or None if there is none (or it is unreadable)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def reap_after_crash(path: Path, progress: Callable[[str], None]) -> list[int]:
    """If the supervisor that last wrote ``path`` died without stopping (``kill -9``, power loss),
    stop the runner processes it left running; say so in one line. Returns the pids stopped."""
    import psutil

    from pipeline.job import reap_orphaned_runners

    previous = read_status(path)
    if not previous or previous.get("state") == "STOPPED":
        return []
    pid = previous.get("pid")
    if isinstance(pid, int) and pid != os.getpid() and psutil.pid_exists(pid):
        return []  # that supervisor is alive: not ours to clean up
    pids = [p for p in previous.get("runner_pids", []) if isinstance(p, int)]
    try:
        last_seen = datetime.fromisoformat(str(previous.get("updated_at"))).timestamp() + 5
    except ValueError:
        last_seen = None
    reaped = reap_orphaned_runners(pids, started_before=last_seen)
    if reaped:
        progress(f"stopped runner process(es) {reaped} left by a supervisor that was killed (pid {pid})")
    return reaped
