"""Pid files, stale detection, health waiting and process-group shutdown (with real tiny processes)."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import psutil
import pytest

from newsmon.services.base import ServiceError
from newsmon.services.locking import file_lock
from newsmon.services.process import ManagedProcess, PidRecord, tail_lines

# A parent that starts a child and then sleeps: stopping must take both down.
PARENT_WITH_CHILD = (
    "import subprocess, sys, time\n"
    "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)'])\n"
    "print('ready', flush=True)\n"
    "time.sleep(120)\n"
)


def _proc(tmp_path: Path) -> ManagedProcess:
    return ManagedProcess("demo", tmp_path / "demo.pid", tmp_path / "logs" / "demo.log")


def test_pid_record_round_trip() -> None:
    record = PidRecord(pid=42, create_time=1.5, argv=["a", "b"], started_at=2.0, extra={"version": "1"})
    assert PidRecord.from_json(record.to_json()) == record


def test_missing_and_corrupt_pid_files(tmp_path: Path) -> None:
    proc = _proc(tmp_path)
    assert proc.running() is None
    proc.pid_file.write_text("not json")
    assert proc.running() is None
    assert not proc.pid_file.exists()


def test_stale_pid_file_of_dead_process_is_removed(tmp_path: Path) -> None:
    proc = _proc(tmp_path)
    done = psutil.Popen([sys.executable, "-c", "pass"])
    done.wait()
    record = PidRecord(pid=done.pid, create_time=time.time(), argv=["x"], started_at=time.time())
    proc.pid_file.write_text(record.to_json())
    assert proc.running() is None
    assert not proc.pid_file.exists()


def test_pid_reused_by_another_process_is_stale(tmp_path: Path) -> None:
    proc = _proc(tmp_path)
    me = psutil.Process(os.getpid())
    # our own pid is alive, but with a different start time it is "someone else"
    record = PidRecord(pid=me.pid, create_time=me.create_time() - 3600, argv=["x"], started_at=0.0)
    proc.pid_file.write_text(record.to_json())
    assert proc.running() is None
    assert not proc.pid_file.exists()


def test_start_wait_and_stop_whole_process_group(tmp_path: Path) -> None:
    proc = _proc(tmp_path)
    record = proc.start(
        [sys.executable, "-c", PARENT_WITH_CHILD], env=dict(os.environ), cwd=tmp_path, extra={"version": "9"}
    )
    try:
        assert json.loads(proc.pid_file.read_text())["extra"] == {"version": "9"}
        assert proc.running() == record
        proc.wait_until(lambda: "ready" in proc.log_file.read_text(), timeout=30, interval=0.05)
        leader = psutil.Process(record.pid)
        deadline = time.monotonic() + 10
        while not leader.children() and time.monotonic() < deadline:
            time.sleep(0.05)
        children = leader.children(recursive=True)
        assert children
        assert os.getpgid(record.pid) == record.pid  # own session / process group
    finally:
        assert proc.stop(timeout=10) is True
    assert not proc.pid_file.exists()
    for child in children:
        assert not child.is_running() or child.status() == psutil.STATUS_ZOMBIE
    assert proc.stop() is False  # idempotent


def test_sigterm_ignoring_process_is_killed(tmp_path: Path) -> None:
    proc = _proc(tmp_path)
    code = (
        "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
        "print('x', flush=True); time.sleep(60)"
    )
    proc.start([sys.executable, "-c", code], env=dict(os.environ), cwd=tmp_path)
    proc.wait_until(lambda: "x" in proc.log_file.read_text().splitlines(), timeout=30, interval=0.05)
    started = time.monotonic()
    assert proc.stop(timeout=1) is True
    assert time.monotonic() - started < 10


def test_wait_until_reports_early_exit_with_log_tail(tmp_path: Path) -> None:
    proc = _proc(tmp_path)
    proc.start(
        [sys.executable, "-c", "print('boom: bad config', flush=True); raise SystemExit(3)"],
        env=dict(os.environ),
        cwd=tmp_path,
    )
    with pytest.raises(ServiceError) as info:
        proc.wait_until(lambda: False, timeout=30, interval=0.05)
    message = str(info.value)
    assert "demo exited during startup" in message
    assert "boom: bad config" in message
    assert "newsmon services logs demo" in message


def test_wait_until_times_out_naming_the_pid(tmp_path: Path) -> None:
    proc = _proc(tmp_path)
    record = proc.start(
        [sys.executable, "-c", "import time; time.sleep(60)"], env=dict(os.environ), cwd=tmp_path
    )
    try:
        with pytest.raises(ServiceError, match=f"pid {record.pid}.*not healthy after"):
            proc.wait_until(lambda: False, timeout=0.3, interval=0.05)
    finally:
        proc.stop(timeout=5)


def test_log_is_appended_across_starts(tmp_path: Path) -> None:
    proc = _proc(tmp_path)
    for text in ("first", "second"):
        proc.start([sys.executable, "-c", f"print({text!r})"], env=dict(os.environ), cwd=tmp_path)
        proc.wait_until(lambda t=text: t in proc.log_file.read_text(), timeout=30, interval=0.05)  # type: ignore[misc]
        proc.stop(timeout=5)
    log = proc.log_file.read_text()
    assert log.index("first") < log.index("second")
    assert log.count("===== newsmon: starting demo") == 2


def test_tail_lines(tmp_path: Path) -> None:
    path = tmp_path / "x.log"
    assert tail_lines(path) == []
    path.write_text("".join(f"line {i}\n" for i in range(100)))
    assert tail_lines(path, 3) == ["line 97", "line 98", "line 99"]
    assert tail_lines(path, 0) == []


def test_file_lock_times_out_while_held(tmp_path: Path) -> None:
    path = tmp_path / "x.lock"
    notes: list[str] = []
    with (
        file_lock(path, what="x", timeout=5),
        pytest.raises(ServiceError, match="another newsmon process"),
        file_lock(path, what="x", timeout=0.2, progress=notes.append),
    ):
        pass
    assert notes and "waiting for another newsmon process" in notes[0]
    with file_lock(path, what="x", timeout=0.2):
        pass
