"""Helpers for worker processes that a newsmon process starts with ``multiprocessing`` (pure stdlib).

Used as (part of) a ``ProcessPoolExecutor`` initializer by the enrichment helpers
(``pipeline/enrich_pool.py``) and the feed parse workers (``connectors/poller.py``).
"""

from __future__ import annotations

import os
import signal
import threading
import time

__all__ = ["PARENT_CHECK_S", "become_helper"]

#: how often a helper checks that the process that started it is still there
PARENT_CHECK_S = 1.0


def become_helper() -> None:
    """Make this process a quiet helper of its parent:

    * it ignores SIGINT: Ctrl-C in a terminal reaches the whole process group, and the parent, not
      each helper, decides how to stop (a helper would otherwise print a ``KeyboardInterrupt``
      traceback in the middle of the parent's calm shutdown);
    * it exits when its parent is gone, even after SIGKILL, which leaves the pool's queues open so
      that the helper would otherwise wait on them for ever.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    parent = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(PARENT_CHECK_S)
            if os.getppid() != parent:
                os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()
