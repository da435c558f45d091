"""``LocalServices``: bring the local Kafka, Elasticsearch, Prism and (on request) the Flink job
server up, report on them, stop them.

``up`` is idempotent and safe to call from several processes at once: per-component file locks
serialise work, a healthy instance recorded in the state dir's pid file is reused (whoever started
it), and a healthy instance of the right kind already answering on the configured port (started
from another checkout) is reused too, but never stopped by ``down``.
"""

from __future__ import annotations

import concurrent.futures
import functools
import shutil
import threading
import time
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Protocol

from newsmon.core.settings import ServicesSettings
from newsmon.services.base import Progress, ServiceError, ServiceStatus, stderr_progress
from newsmon.services.elasticsearch import ElasticsearchService
from newsmon.services.flink import FlinkJobServer
from newsmon.services.java import JavaInstall, find_java
from newsmon.services.kafka import KafkaService
from newsmon.services.locking import file_lock
from newsmon.services.ports import port_owner
from newsmon.services.prism import PrismBuilder
from newsmon.services.process import ManagedProcess

__all__ = ["COMPONENTS", "DAEMONS", "DEFAULT_COMPONENTS", "LocalServices"]

DAEMONS: tuple[str, ...] = ("kafka", "elasticsearch", "flink")
COMPONENTS: tuple[str, ...] = ("kafka", "elasticsearch", "prism", "flink")
#: What ``up`` and ``status`` mean without a list: Flink's job server is optional (``--only flink``).
DEFAULT_COMPONENTS: tuple[str, ...] = ("kafka", "elasticsearch", "prism")
#: How long ``up`` waits for another process that holds a component's lock (downloads included).
LOCK_WAIT_S = 1800.0


class _Daemon(Protocol):
    name: str
    process: ManagedProcess

    @property
    def version(self) -> str: ...

    def ports(self) -> dict[str, int]: ...
    def log_files(self) -> list[Path]: ...
    def healthy(self) -> bool: ...
    def prepare(self) -> object: ...
    def start(self) -> None: ...
    def stop(self, timeout: float = ...) -> bool: ...
    def status(self, check_health: bool = ...) -> ServiceStatus: ...


class LocalServices:
    """Local development/test services described by ``ServicesSettings``."""

    def __init__(self, settings: ServicesSettings, *, progress: Progress | None = None) -> None:
        self.settings = settings.model_copy(
            update={
                "state_dir": Path(settings.state_dir).expanduser().resolve(),
                "cache_dir": Path(settings.cache_dir).expanduser().resolve(),
            }
        )
        self.progress: Progress = progress or stderr_progress
        self._java: JavaInstall | None = None
        self._java_lock = threading.Lock()
        self.kafka = KafkaService(self.settings, self.java, self.progress)
        self.elasticsearch = ElasticsearchService(self.settings, self.java, self.progress)
        self.prism = PrismBuilder(self.settings, self.progress)
        self.flink = FlinkJobServer(self.settings, self.java, self.progress)

    # -- public API -------------------------------------------------------------------------------

    @property
    def kafka_bootstrap(self) -> str:
        """``host:port`` for Kafka clients."""
        return self.kafka.endpoint

    @property
    def elasticsearch_url(self) -> str:
        """``http://host:port`` for Elasticsearch clients."""
        return self.elasticsearch.url

    def java(self) -> JavaInstall:
        """The Java used for Kafka, Elasticsearch and Maven (found once)."""
        with self._java_lock:
            if self._java is None:
                self._java = find_java(self.settings.java_home)
                self.progress(f"using Java {self._java.version} from {self._java.home} ({self._java.source})")
            return self._java

    def up(self, components: Iterable[str] | None = None) -> list[ServiceStatus]:
        """Start (or reuse) the components, in parallel; return their status once healthy.

        Raises ``ServiceError`` (one paragraph per failed component) if any cannot be made healthy.
        """
        names = self._select(components)
        if "prism" in names:
            self.prism.check_beam_version()  # fail fast, before any download
        self.settings.state_dir.mkdir(parents=True, exist_ok=True)
        jobs: dict[str, Callable[[], object]] = {}
        for name in names:
            if name == "prism":
                jobs[name] = self.prism.build
            else:
                daemon = self._daemon(name)
                jobs[name] = functools.partial(self._up_daemon, daemon)
        self._run_all(jobs)
        return self.status(names)

    def status(self, components: Iterable[str] | None = None) -> list[ServiceStatus]:
        """Current state of the components (default: all but an idle Flink job server), without
        starting anything."""
        result = []
        for name in self._select(components):
            result.append(self.prism.status() if name == "prism" else self._daemon(name).status())
        return result

    def down(self, components: Iterable[str] | None = None, *, purge: bool = False) -> list[str]:
        """Stop the components this state dir started (default: all); return the names stopped.

        ``purge=True`` also deletes their data and logs. The Prism binary cache is never deleted.
        """
        names = [n for n in self._select(components, everything=True) if n in DAEMONS]
        stopped: list[str] = []
        lock = threading.Lock()

        def stop(daemon: _Daemon) -> None:
            with self._lock(daemon.name):
                record = daemon.process.running()
                if record is not None:
                    self.progress(f"stopping {daemon.name} (pid {record.pid})")
                    started = time.monotonic()
                    daemon.stop()
                    self.progress(f"{daemon.name} stopped in {time.monotonic() - started:.1f}s")
                    with lock:
                        stopped.append(daemon.name)
                if purge:
                    self._purge(daemon)

        self._run_all({name: functools.partial(stop, self._daemon(name)) for name in names})
        return [n for n in names if n in stopped]

    def prism_binary(self) -> Path:
        """Path of the Prism runner executable (built and cached on first use)."""
        return self.prism.build()

    def log_files(self, name: str) -> list[Path]:
        """Log files of component ``name``, most useful first."""
        (only,) = self._select([name])
        return self.prism.log_files() if only == "prism" else self._daemon(only).log_files()

    # -- internals --------------------------------------------------------------------------------

    def flink_launcher(self) -> Path:
        """The Flink job server's launcher jar (jars resolved and launcher built on first use): Beam's
        ``--flink_job_server_jar`` for a remote cluster."""
        with self._lock("flink"):
            return self.flink.prepare()

    def _select(self, components: Iterable[str] | None, *, everything: bool = False) -> tuple[str, ...]:
        if components is None:
            if everything:
                return COMPONENTS
            running = self.flink.process.running() is not None
            return (*DEFAULT_COMPONENTS, "flink") if running else DEFAULT_COMPONENTS
        if isinstance(components, str):
            components = [c for c in components.split(",") if c.strip()]
        wanted = [c.strip().lower() for c in components]
        unknown = [c for c in wanted if c not in COMPONENTS]
        if unknown:
            raise ServiceError(
                f"unknown component(s) {', '.join(unknown)}: choose from {', '.join(COMPONENTS)}"
            )
        return tuple(c for c in COMPONENTS if c in wanted)

    def _daemon(self, name: str) -> _Daemon:
        if name == "kafka":
            return self.kafka
        if name == "elasticsearch":
            return self.elasticsearch
        if name == "flink":
            return self.flink
        raise ServiceError(f"{name} is not a daemon")

    def _lock(self, name: str, timeout: float = LOCK_WAIT_S) -> AbstractContextManager[None]:
        return file_lock(
            self.settings.state_dir / "locks" / f"{name}.lock",
            what=name,
            timeout=timeout,
            progress=self.progress,
        )

    def _up_daemon(self, daemon: _Daemon) -> None:
        timeout = self.settings.start_timeout_s
        name = daemon.name
        with self._lock(name):
            record = daemon.process.running()
            if record is not None:
                wanted = daemon.version
                running_version = record.extra.get("version", wanted)
                if running_version != wanted:
                    self.progress(
                        f"WARNING: {name} {running_version} is running but {wanted} is configured: "
                        f"run `newsmon services down --only {name}` and `up` again to switch"
                    )
                if isinstance(daemon, ElasticsearchService) and (stale := daemon.stale_plugin(record)):
                    self.progress(f"WARNING: {stale}")
                if daemon.healthy():
                    self.progress(f"{name} already running (pid {record.pid}): reusing it")
                    return
                self.progress(f"{name} is running (pid {record.pid}) but not healthy yet: waiting")
                daemon.process.wait_until(daemon.healthy, timeout=timeout, logs=daemon.log_files())
                self.progress(f"{name} healthy")
                return
            if daemon.healthy():
                port = next(iter(daemon.ports().values()))
                owner = port_owner(port)
                who = f"pid {owner[0]}" if owner else "another process"
                self.progress(
                    f"{name}: a healthy instance started elsewhere ({who}) already serves port {port}: "
                    f"reusing it (`newsmon services down` will not stop it)"
                )
                return
            daemon.prepare()
            started = time.monotonic()
            daemon.start()
            pid = daemon.process.running()
            self.progress(f"started {name} (pid {pid.pid if pid else '?'}); waiting until healthy")
            daemon.process.wait_until(
                daemon.healthy,
                timeout=timeout,
                logs=daemon.log_files(),
                on_wait=lambda s: self.progress(f"  still waiting for {name} ({s:.0f}s)"),
            )
            self.progress(f"{name} healthy after {time.monotonic() - started:.1f}s")

    def _purge(self, daemon: _Daemon) -> None:
        if daemon is self.elasticsearch:
            self.elasticsearch.purge()
        elif daemon is self.flink:
            self.flink.purge()
        else:
            shutil.rmtree(self.kafka.home, ignore_errors=True)
        self.progress(f"{daemon.name}: data and logs deleted")

    def _run_all(self, jobs: dict[str, Callable[[], object]]) -> None:
        if not jobs:
            return
        errors: list[str] = []
        with concurrent.futures.ThreadPoolExecutor(
            max_workers=len(jobs), thread_name_prefix="newsmon"
        ) as pool:
            futures = {pool.submit(job): name for name, job in jobs.items()}
            for future in concurrent.futures.as_completed(futures):
                exc = future.exception()
                if isinstance(exc, ServiceError):
                    errors.append(f"{futures[future]}: {exc}")
                elif exc is not None:
                    errors.append(f"{futures[future]}: unexpected {type(exc).__name__}: {exc}")
        if errors:
            raise ServiceError("\n\n".join(errors))
