"""Types shared by every local service: the error, the status record and the progress callback."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Progress", "ServiceError", "ServiceStatus", "stderr_progress"]

#: Receives one human-readable progress line (downloads, builds, waits). Default: stderr.
Progress = Callable[[str], None]


class ServiceError(RuntimeError):
    """A local service could not be prepared, started or stopped.

    The message always says what to do next (install X, free port Y, read log Z).
    """


@dataclass(frozen=True)
class ServiceStatus:
    """What ``LocalServices.status()`` reports for one component.

    ``running``: a process we started (pid file) is alive; for ``prism`` (a build, not a daemon)
    it is always False and ``healthy`` means "binary built and cached".
    """

    name: str
    running: bool
    healthy: bool
    pid: int | None
    endpoint: str
    detail: str
    version: str = ""
    data_dir: Path | None = None

    @property
    def state(self) -> str:
        """One word for tables: healthy, unhealthy, stopped, built or missing."""
        if self.name == "prism":
            return "built" if self.healthy else "missing"
        if self.running:
            return "healthy" if self.healthy else "unhealthy"
        return "healthy" if self.healthy else "stopped"


def stderr_progress(message: str) -> None:
    """Default progress sink: one line on stderr, flushed (CI logs show it immediately)."""
    print(f"newsmon services: {message}", file=sys.stderr, flush=True)
