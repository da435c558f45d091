"""JobSupervisor with scripted jobs: restarts with backoff, says why, writes its status file."""

from __future__ import annotations

import threading
from pathlib import Path

from pipeline.retry import Backoff
from pipeline.supervisor import JobSupervisor, read_status


class ScriptedJob:
    """Runs for ``polls`` state checks, then ends in ``end_state`` with ``reason``."""

    def __init__(self, polls: int, end_state: str = "FAILED", reason: str = "boom") -> None:
        self.polls = polls
        self.end_state = end_state
        self.reason = reason
        self.cancelled = False

    @property
    def state(self) -> str:
        return "RUNNING" if self.polls > 0 else self.end_state

    def is_running(self) -> bool:
        self.polls -= 1
        return self.polls >= 0

    def failure_reason(self) -> str:
        return self.reason

    def metrics(self) -> dict[str, float]:
        return {"elasticsearch.documents_indexed": 7.0}

    def cancel(self) -> None:
        self.cancelled = True


def test_restarts_ended_jobs_and_failed_starts_until_stopped(tmp_path: Path) -> None:
    stop = threading.Event()
    jobs = [ScriptedJob(2, reason="bundle failed: KafkaTimeoutError"), ScriptedJob(1, "DONE", "drained")]
    starts: list[int] = []
    messages: list[str] = []

    def start() -> ScriptedJob:
        starts.append(1)
        if len(starts) == 2:
            raise ConnectionError("kafka unreachable")
        if not jobs:
            stop.set()
            return ScriptedJob(10**6)
        return jobs.pop(0)

    exported: list[dict[str, float]] = []
    supervisor = JobSupervisor(
        start,
        runner="prism",
        status_path=tmp_path / "pipeline" / "status.json",
        on_metrics=exported.append,
        progress=messages.append,
        backoff=Backoff(base_s=0.001, cap_s=0.002),
        poll_s=0.001,
    )
    supervisor.run(stop)
    assert len(starts) == 4
    assert supervisor.status.restarts == 3
    assert "bundle failed: KafkaTimeoutError" in messages[0] and "restarting in" in messages[0]
    assert "could not start: ConnectionError: kafka unreachable" in messages[1]
    assert "drained" in messages[2]
    assert exported and exported[0]["elasticsearch.documents_indexed"] == 7.0
    status = read_status(tmp_path / "pipeline" / "status.json")
    assert status is not None
    assert status["state"] == "STOPPED" and status["restarts"] == 3
    assert status["last_exit"]["reason"] == "drained"
    assert status["metrics"]["elasticsearch.documents_indexed"] == 7.0


def test_backoff_grows_while_jobs_keep_failing_fast(tmp_path: Path) -> None:
    stop = threading.Event()
    delays: list[float] = []

    class RecordingBackoff(Backoff):
        def delay(self, attempt: int, rng: object = None) -> float:  # type: ignore[override]
            delays.append(attempt)
            if len(delays) == 4:
                stop.set()
            return 0.0

    supervisor = JobSupervisor(
        lambda: ScriptedJob(0),
        runner="prism",
        backoff=RecordingBackoff(),
        poll_s=0.001,
        progress=lambda _: None,
    )
    supervisor.run(stop)
    assert delays == [1, 2, 3, 4]


def test_stop_cancels_the_running_job(tmp_path: Path) -> None:
    stop = threading.Event()
    job = ScriptedJob(10**6)
    supervisor = JobSupervisor(lambda: job, runner="prism", poll_s=0.01, progress=lambda _: None)
    thread = threading.Thread(target=supervisor.run, args=(stop,))
    thread.start()
    stop.set()
    thread.join(5)
    assert not thread.is_alive() and job.cancelled
    assert supervisor.status.restarts == 0


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_stall_guard_fires_only_when_records_wait_and_commits_stand_still() -> None:
    from pipeline.supervisor import StallGuard

    clock = _Clock()
    answers = iter([(0, 0), (0, 5), (0, 5), (3, 2), (3, 2), (3, 2), (3, 2)])
    guard = StallGuard(60, lambda: next(answers), check_every_s=10, clock=clock)
    seen = []
    for t in (0, 10, 50, 60, 70, 100, 130):
        clock.now = t
        seen.append(guard.check())
    # nothing waits (t=0); records wait from t=10 (clock starts); commits move at t=60 (clock restarts);
    # still at t=130, 70 s after the last move
    assert seen[:6] == [None] * 6
    assert seen[6] is not None and "2 records wait" in seen[6] and "70 s" in seen[6]


def test_stall_guard_ignores_kafka_outages_and_a_zero_timeout() -> None:
    from pipeline.supervisor import StallGuard

    def broken() -> tuple[int, int]:
        raise ConnectionError("kafka away")

    clock = _Clock()
    guard = StallGuard(1, broken, check_every_s=0, clock=clock)
    clock.now = 100
    assert guard.check() is None
    assert StallGuard(0, lambda: (0, 9), check_every_s=0).check() is None


def test_supervisor_restarts_a_stalled_job_after_dumping_stacks(tmp_path: Path) -> None:
    from pipeline.supervisor import StallGuard

    clock = _Clock()
    stuck = ScriptedJob(10**6)
    started: list[ScriptedJob] = []
    messages: list[str] = []

    def start() -> ScriptedJob:
        job = stuck if not started else ScriptedJob(10**6)
        started.append(job)
        return job

    guard = StallGuard(30, lambda: (0, 4), check_every_s=0, clock=clock)
    supervisor = JobSupervisor(
        start,
        runner="flink",
        status_path=tmp_path / "status.json",
        progress=messages.append,
        backoff=Backoff(base_s=0, cap_s=0),
        stall_guard=guard,
        on_stall=lambda job: "/tmp/stall.txt",
    )
    supervisor.step()  # starts the job; the guard's clock starts
    clock.now = 10
    supervisor.step()
    assert supervisor.job is stuck and not stuck.cancelled
    clock.now = 45
    supervisor.step()  # 45 s without progress: dumped, cancelled, restart scheduled
    assert stuck.cancelled and supervisor.job is None
    assert "no progress for 45 s" in messages[-1] and "/tmp/stall.txt" in messages[-1]
    assert read_status(tmp_path / "status.json")["last_exit"]["state"] == "STALLED"
    supervisor.step()
    assert len(started) == 2
