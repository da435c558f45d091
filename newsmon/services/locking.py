"""Inter-process file locks: one ``up``/``down``/build at a time per component, across processes."""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from newsmon.services.base import Progress, ServiceError

__all__ = ["file_lock"]


@contextmanager
def file_lock(path: Path, *, what: str, timeout: float, progress: Progress | None = None) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``path``; wait up to ``timeout`` seconds for another holder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + timeout
        announced = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if not announced and progress is not None:
                    progress(f"waiting for another newsmon process working on {what} (lock {path})")
                    announced = True
                if time.monotonic() > deadline:
                    raise ServiceError(
                        f"another newsmon process has held {path} for over {timeout:.0f}s ({what}): "
                        "wait for it to finish, or stop it"
                    ) from None
                time.sleep(0.5)
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        yield
    finally:
        os.close(fd)  # releases the lock
