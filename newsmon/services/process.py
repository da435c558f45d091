"""Detached service processes: start with a pid file and a log file, wait for health, stop cleanly.

The pid file is JSON (pid, process create time, argv) so a stale file - process gone, or the pid
reused by an unrelated process after a reboot/container restart - is recognised and removed.
Processes start in their own session (process group = pid): stopping sends SIGTERM to the whole
group (the Elasticsearch launcher and its server JVM), waits, then SIGKILLs what is left.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import psutil

from newsmon.services.base import ServiceError

__all__ = ["ManagedProcess", "PidRecord", "tail_lines"]

# Popen objects of children started by this Python process: kept so they are reaped (no zombies)
# and so ``Popen.__del__`` does not warn about still-running children.
_LAUNCHED: dict[int, subprocess.Popen[bytes]] = {}


@dataclass(frozen=True)
class PidRecord:
    """Contents of a pid file."""

    pid: int
    create_time: float
    argv: list[str]
    started_at: float
    extra: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2)

    @classmethod
    def from_json(cls, text: str) -> PidRecord:
        data = json.loads(text)
        return cls(
            pid=int(data["pid"]),
            create_time=float(data["create_time"]),
            argv=[str(a) for a in data.get("argv", [])],
            started_at=float(data.get("started_at", 0.0)),
            extra={str(k): str(v) for k, v in (data.get("extra") or {}).items()},
        )


def tail_lines(path: Path, lines: int = 40, max_bytes: int = 256 * 1024) -> list[str]:
    """The last ``lines`` lines of a text file (empty list if it does not exist)."""
    try:
        with path.open("rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            fh.seek(max(0, size - max_bytes))
            data = fh.read()
    except OSError:
        return []
    text = data.decode("utf-8", "replace").splitlines()
    return text[-lines:] if lines > 0 else []


def _process_matches(record: PidRecord) -> psutil.Process | None:
    try:
        proc = psutil.Process(record.pid)
        if abs(proc.create_time() - record.create_time) > 1.0:
            return None  # pid reused by another process
        if proc.status() == psutil.STATUS_ZOMBIE:
            return None
        return proc
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
        return None


class ManagedProcess:
    """One detached service process identified by ``pid_file``; output goes to ``log_file``."""

    def __init__(self, name: str, pid_file: Path, log_file: Path) -> None:
        self.name = name
        self.pid_file = pid_file
        self.log_file = log_file

    # -- pid file ---------------------------------------------------------------------------------

    def read(self) -> PidRecord | None:
        """The pid file's record, or None if missing or unreadable."""
        try:
            return PidRecord.from_json(self.pid_file.read_text(encoding="utf-8"))
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def _write(self, record: PidRecord) -> None:
        self.pid_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.pid_file.with_name(f".{self.pid_file.name}.{os.getpid()}")
        tmp.write_text(record.to_json(), encoding="utf-8")
        os.replace(tmp, self.pid_file)

    def running(self) -> PidRecord | None:
        """The record if its process is alive; a stale pid file is removed."""
        record = self.read()
        if record is None:
            if self.pid_file.exists():
                self.pid_file.unlink(missing_ok=True)  # corrupt
            return None
        popen = _LAUNCHED.get(record.pid)
        if popen is not None and popen.poll() is not None:
            _LAUNCHED.pop(record.pid, None)
        if _process_matches(record) is None:
            self.pid_file.unlink(missing_ok=True)
            return None
        return record

    def exit_code(self, pid: int) -> int | None:
        """Exit code of a child this Python process started and that has exited, else None."""
        popen = _LAUNCHED.get(pid)
        return popen.poll() if popen is not None else None

    # -- lifecycle --------------------------------------------------------------------------------

    def start(
        self,
        argv: Sequence[str],
        *,
        env: Mapping[str, str],
        cwd: Path,
        user: tuple[int, int] | None = None,
        extra: Mapping[str, str] | None = None,
    ) -> PidRecord:
        """Start ``argv`` detached (new session), appending output to the log; write the pid file."""
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        with self.log_file.open("ab") as log:
            stamp = time.strftime("%Y-%m-%dT%H:%M:%S%z")
            log.write(f"\n===== newsmon: starting {self.name} at {stamp}: {' '.join(argv)}\n".encode())
            log.flush()
            kwargs: dict[str, Any] = {}
            if user is not None:
                kwargs.update(user=user[0], group=user[1], extra_groups=[])
            try:
                popen = subprocess.Popen(
                    list(argv),
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env=dict(env),
                    cwd=str(cwd),
                    start_new_session=True,
                    close_fds=True,
                    **kwargs,
                )
            except OSError as exc:
                raise ServiceError(f"could not start {self.name} ({argv[0]}): {exc}") from exc
        _LAUNCHED[popen.pid] = popen
        try:
            create_time = psutil.Process(popen.pid).create_time()
        except psutil.Error:
            create_time = time.time()
        record = PidRecord(
            pid=popen.pid,
            create_time=create_time,
            argv=list(argv),
            started_at=time.time(),
            extra=dict(extra or {}),
        )
        self._write(record)
        return record

    def wait_until(
        self,
        check: Callable[[], bool],
        *,
        timeout: float,
        interval: float = 0.5,
        on_wait: Callable[[float], None] | None = None,
        logs: Sequence[Path] = (),
    ) -> None:
        """Poll ``check`` until True; ``ServiceError`` with the log tail if the process dies or times out."""
        started = time.monotonic()
        last_note = started
        while True:
            if check():
                return
            record = self.running()
            now = time.monotonic()
            if record is None:
                raise ServiceError(self._failure("exited during startup", logs))
            if now - started > timeout:
                raise ServiceError(
                    self._failure(
                        f"is running (pid {record.pid}) but not healthy after {timeout:.0f}s; "
                        "stop it with `newsmon services down` or raise services.start_timeout_s",
                        logs,
                    )
                )
            if on_wait is not None and now - last_note >= 15:
                on_wait(now - started)
                last_note = now
            time.sleep(interval)

    def _failure(self, what: str, logs: Sequence[Path]) -> str:
        lines = [f"{self.name} {what}."]
        for path in (self.log_file, *logs):
            tail = tail_lines(path, 25)
            if tail:
                lines.append(f"--- last lines of {path}:")
                lines.extend(f"    {line}" for line in tail)
        lines.append(f"Read the full log with `newsmon services logs {self.name}`.")
        return "\n".join(lines)

    def stop(self, timeout: float = 30.0) -> bool:
        """SIGTERM the process group, wait ``timeout``, then SIGKILL. True if something was stopped."""
        record = self.running()
        if record is None:
            self.pid_file.unlink(missing_ok=True)
            return False
        try:
            leader = psutil.Process(record.pid)
            procs = [leader, *leader.children(recursive=True)]
        except psutil.NoSuchProcess:
            procs = []
        self._signal_all(record.pid, procs, signal.SIGTERM)
        _gone, alive = psutil.wait_procs(procs, timeout=timeout)
        if alive:
            self._signal_all(record.pid, alive, signal.SIGKILL)
            _gone, alive = psutil.wait_procs(alive, timeout=10)
        popen = _LAUNCHED.pop(record.pid, None)
        if popen is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                popen.wait(timeout=5)
        if alive:
            pids = ", ".join(str(p.pid) for p in alive)
            raise ServiceError(
                f"could not stop {self.name}: pids {pids} survived SIGKILL; check `ps -fp {pids}`"
            )
        self.pid_file.unlink(missing_ok=True)
        return True

    @staticmethod
    def _signal_all(pgid: int, procs: Sequence[psutil.Process], sig: signal.Signals) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            if os.getpgid(pgid) == pgid:
                os.killpg(pgid, sig)
        for proc in procs:
            with contextlib.suppress(psutil.Error):
                proc.send_signal(sig)
