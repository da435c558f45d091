"""Flink's REST API, as newsmon uses it: list jobs, cancel them by name, take thread dumps.

Beam's job service does not stop a Flink job when asked to cancel it (it interrupts the thread that
submitted the job, and the job runs on), so ``pipeline.job.StreamingJob`` cancels through Flink
itself. The local job server's embedded clusters listen on ``services.flink_rest_port`` .. +9 (one
per running job); a real cluster's JobManager on ``pipeline.flink_master``.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

__all__ = ["FlinkJob", "FlinkRest"]

_TERMINAL = frozenset({"CANCELED", "FAILED", "FINISHED"})
_ERRORS = (OSError, ValueError, KeyError, urllib.error.URLError)


@dataclass(frozen=True)
class FlinkJob:
    """One job as Flink's REST API lists it."""

    id: str
    name: str
    state: str
    rest_url: str


class FlinkRest:
    """Flink's REST API at one or more base URLs: list jobs, cancel them, take thread dumps.

    Used by ``pipeline.job.StreamingJob`` to cancel Flink jobs (Beam's job service does not) and by
    the progress guard to dump the JobManager's and TaskManagers' threads.
    """

    def __init__(self, urls: Iterable[str], timeout_s: float = 3.0) -> None:
        self.urls = [u.rstrip("/") if "://" in u else f"http://{u.rstrip('/')}" for u in urls]
        self.timeout_s = timeout_s

    def _call(self, url: str, method: str = "GET") -> Any:
        request = urllib.request.Request(url, method=method)
        with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
            body = response.read()
        return json.loads(body) if body else {}

    def jobs(self) -> list[FlinkJob]:
        """Jobs of every reachable endpoint (unreachable ones are skipped)."""
        found: list[FlinkJob] = []
        for base in self.urls:
            try:
                answer = self._call(f"{base}/jobs/overview")
            except _ERRORS:
                continue
            for job in answer.get("jobs", []):
                found.append(FlinkJob(str(job["jid"]), str(job["name"]), str(job["state"]), base))
        return found

    def cancel(self, name: str, timeout_s: float = 30.0) -> list[FlinkJob]:
        """Cancel the unfinished jobs called ``name`` and wait until they end; returns them."""
        terminal = _TERMINAL
        doomed = [j for j in self.jobs() if j.name == name and j.state not in terminal]
        for job in doomed:
            try:
                self._call(f"{job.rest_url}/jobs/{job.id}?mode=cancel", method="PATCH")
            except _ERRORS:
                continue  # its cluster went away with it
        deadline = time.monotonic() + timeout_s
        ids = {j.id for j in doomed}
        while ids and time.monotonic() < deadline:
            live = {j.id for j in self.jobs() if j.id in ids and j.state not in terminal}
            if not live:
                break
            time.sleep(0.3)
        return doomed

    def thread_dumps(self) -> str:
        """The JobManager's and every TaskManager's thread dump, as text ('' where none answers)."""
        parts: list[str] = []
        for base in self.urls:
            try:
                parts.append(
                    _format_dump(f"JobManager at {base}", self._call(f"{base}/jobmanager/thread-dump"))
                )
                managers = self._call(f"{base}/taskmanagers").get("taskmanagers", [])
                for tm in managers:
                    dump = self._call(f"{base}/taskmanagers/{tm['id']}/thread-dump")
                    parts.append(_format_dump(f"TaskManager {tm['id']} at {base}", dump))
            except _ERRORS:
                continue
        return "\n".join(parts)


def _format_dump(title: str, answer: Any) -> str:
    infos = answer.get("threadInfos", []) if isinstance(answer, dict) else []
    body = "".join(str(info.get("stringifiedThreadInfo", "")) for info in infos)
    return f"===== {title}: {len(infos)} threads\n{body}"
