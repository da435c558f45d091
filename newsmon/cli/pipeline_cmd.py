"""``newsmon pipeline init|run``: prepare topics and index, run the streaming Beam pipeline."""

from __future__ import annotations

import argparse
import os
import signal
import threading
import time
from pathlib import Path
from typing import Any

from newsmon.cli.common import load, progress
from newsmon.core.settings import Settings

__all__ = ["make_supervisor", "register", "resolve_flink", "resolve_prism", "supervise"]


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("pipeline", help="the Beam streaming pipeline")
    sub = parser.add_subparsers(dest="pipeline_command", metavar="ACTION", required=True)
    init = sub.add_parser("init", help="create the Kafka topics and the Elasticsearch index (idempotent)")
    init.set_defaults(func=_init)
    run = sub.add_parser("run", help="run the streaming pipeline until interrupted")
    run.add_argument(
        "--runner", choices=["prism", "flink", "dataflow", "direct"], help="override pipeline.runner"
    )
    run.add_argument(
        "--report-every", type=float, default=60.0, help="seconds between progress lines (0: none)"
    )
    run.add_argument(
        "--metrics-port",
        type=int,
        default=9464,
        help="Prometheus /metrics on 127.0.0.1:PORT (0: any free port, -1: off; default 9464)",
    )
    run.add_argument(
        "--metrics-host", default="127.0.0.1", help="address for /metrics (default loopback only)"
    )
    run.add_argument("beam_args", nargs=argparse.REMAINDER, help="extra Beam options after --")
    run.set_defaults(func=_run)


def resolve_prism(settings: Settings) -> Path | None:
    """The Prism binary to use: configured path, else the locally built one (built on demand)."""
    if settings.pipeline.runner != "prism":
        return None
    if settings.pipeline.prism_location:
        return settings.pipeline.prism_location
    from newsmon.services import LocalServices

    return LocalServices(settings.services).prism_binary()


def resolve_flink(settings: Settings) -> Any:
    """Where Flink jobs go (a ``pipeline.options.FlinkTarget``), or None for other runners.

    ``pipeline.flink_job_endpoint``: that job server; ``pipeline.flink_master``: the cluster, through
    a job server Beam starts per job from newsmon's launcher jar (resolved on first use); neither:
    the local job server of ``newsmon services``, started (or reused) here.
    """
    if settings.pipeline.runner != "flink":
        return None
    from newsmon.services import LocalServices
    from pipeline.options import FlinkTarget

    cfg = settings.pipeline
    rest = (cfg.flink_master,) if cfg.flink_master else ()
    if cfg.flink_job_endpoint:
        return FlinkTarget(job_endpoint=cfg.flink_job_endpoint, rest_urls=rest)
    services = LocalServices(settings.services, progress=progress)
    if cfg.flink_master:
        return FlinkTarget(job_server_jar=services.flink_launcher(), rest_urls=rest)
    services.up(["flink"])
    return FlinkTarget(job_endpoint=services.flink.endpoint, rest_urls=tuple(services.flink.rest_urls))


def _init(args: argparse.Namespace) -> int:
    from pipeline.init import initialise

    settings = load(args)
    result = initialise(settings, progress=progress)
    created = ", ".join(result["topics_created"]) or "none"  # type: ignore[arg-type]
    print(f"topics created: {created}; index {result['index']} created: {result['index_created']}")
    return 0


def _run(args: argparse.Namespace) -> int:
    from pipeline.init import initialise

    settings = load(args)
    if args.runner:
        settings = settings.model_copy(
            update={"pipeline": settings.pipeline.model_copy(update={"runner": args.runner})}
        )
    initialise(settings, progress=progress)
    extra = [a for a in args.beam_args if a != "--"]
    progress(
        f"pipeline on {settings.pipeline.runner}: {settings.kafka.articles_topic} -> "
        f"{settings.elasticsearch.url}/{settings.elasticsearch.index}; supervised: restarted if it ends "
        "(Ctrl-C to stop)"
    )
    port = None if args.metrics_port < 0 else args.metrics_port
    supervise(
        settings, extra, report_every_s=args.report_every, metrics_port=port, metrics_host=args.metrics_host
    )
    return 0


def make_supervisor(
    settings: Settings,
    extra_args: list[str] | None = None,
    *,
    report_every_s: float = 60.0,
    metrics_port: int | None = None,
    metrics_host: str = "127.0.0.1",
) -> Any:
    """A ``JobSupervisor`` for the configured runner that reports progress, writes its status file
    and (with ``metrics_port``) serves Prometheus metrics on loopback."""
    from pipeline.job import StreamingJob
    from pipeline.supervisor import JobSupervisor, StallGuard, reap_after_crash, status_file

    reap_after_crash(status_file(settings.services.state_dir), progress)
    prism = resolve_prism(settings)
    flink = resolve_flink(settings)
    reporter = _ProgressReporter(settings, report_every_s)
    exporter = None
    if metrics_port is not None:
        from newsmon.cli.pipeline_metrics import PipelineMetrics

        exporter = PipelineMetrics(settings, metrics_port, host=metrics_host)
        progress(f"metrics for Prometheus on http://{metrics_host}:{exporter.port}/metrics")

    def start_job() -> Any:
        job = StreamingJob(settings, prism_binary=prism, extra_args=extra_args, flink=flink).start()
        _take_back_sigint()  # Beam's job server installed its own Ctrl-C handler
        return job

    def tick(job: Any, metrics: dict[str, float]) -> None:
        reporter.tick(job, metrics)
        if exporter is not None:
            exporter.on_tick(job)

    timeout = settings.pipeline.stall_timeout_s
    guard = StallGuard(timeout, lambda: kafka_progress(settings)) if timeout > 0 else None
    return JobSupervisor(
        start_job,
        runner=settings.pipeline.runner,
        status_path=status_file(settings.services.state_dir),
        on_metrics=exporter.on_metrics if exporter is not None else None,
        on_tick=tick,
        progress=progress,
        metrics_port=exporter.port if exporter is not None else None,
        stall_guard=guard,
        on_stall=lambda job: str(dump_stacks(settings, job)),
    )


def kafka_progress(settings: Settings) -> tuple[int, int]:
    """``(committed offsets summed over partitions, records waiting)`` of the pipeline's group."""
    from newsmon.core.kafka_lag import consumer_lag

    lags = consumer_lag(settings.kafka, settings.kafka.articles_topic, settings.kafka.consumer_group, 5)
    return sum(p.committed or 0 for p in lags), sum(p.lag for p in lags)


def dump_stacks(settings: Settings, job: Any) -> Path:
    """Write the thread stacks of this process (Beam's SDK workers run here with LOOPBACK) and of
    the Flink job server / cluster running ``job`` to one file under the state dir; return it."""
    import faulthandler

    out = settings.services.state_dir / "pipeline" / f"stall-{time.strftime('%Y%m%dT%H%M%S')}.txt"
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as fh:
        fh.write(f"# newsmon: threads of the pipeline process (pid {os.getpid()}), job {job.name}\n")
        fh.flush()
        faulthandler.dump_traceback(file=fh, all_threads=True)
    parts: list[str] = []
    if settings.pipeline.runner == "flink" and not (
        settings.pipeline.flink_master or settings.pipeline.flink_job_endpoint
    ):
        from newsmon.services import LocalServices

        flink = LocalServices(settings.services, progress=progress).flink
        server = flink.thread_dump(out.with_suffix(".jobserver.txt"))
        if server is not None:
            parts.append(f"# the Flink job server's threads: {server}\n")
    elif hasattr(job, "flink_thread_dumps"):
        parts.append(job.flink_thread_dumps())
    if parts:
        with out.open("a", encoding="utf-8") as fh:
            fh.write("\n".join(parts))
    return out


def supervise(
    settings: Settings,
    extra_args: list[str] | None = None,
    *,
    stop: threading.Event | None = None,
    report_every_s: float = 60.0,
    metrics_port: int | None = None,
    metrics_host: str = "127.0.0.1",
) -> None:
    """Run the streaming job under a ``JobSupervisor`` until ``stop`` is set, Ctrl-C or SIGTERM."""
    stop = stop or threading.Event()
    supervisor = make_supervisor(
        settings,
        extra_args,
        report_every_s=report_every_s,
        metrics_port=metrics_port,
        metrics_host=metrics_host,
    )
    previous = _stop_on_sigterm(stop)
    try:
        supervisor.run(stop)
    except KeyboardInterrupt:
        progress("stopping pipeline")
        stop.set()
        supervisor.close()
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _take_back_sigint() -> None:
    """Ctrl-C raises KeyboardInterrupt in the supervisor (which cancels the job and stops the runner
    once) instead of Beam's handler stopping the job server under the running job."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.default_int_handler)


def _stop_on_sigterm(stop: threading.Event) -> Any:
    """SIGTERM (docker stop, systemd) stops the supervisor like Ctrl-C; returns the old handler."""
    if threading.current_thread() is not threading.main_thread():
        return None
    return signal.signal(signal.SIGTERM, lambda *_: stop.set())


class _ProgressReporter:
    """Prints one calm progress line every ``every_s`` seconds while the job runs."""

    def __init__(self, settings: Settings, every_s: float) -> None:
        self._settings = settings
        self._every_s = every_s
        self._last = time.monotonic()

    def tick(self, job: Any, metrics: dict[str, float]) -> None:
        if self._every_s <= 0 or time.monotonic() - self._last < self._every_s:
            return
        self._last = time.monotonic()
        if not metrics and self._settings.pipeline.runner == "flink":
            # Beam's Flink runner reports a job's counters only when it ends
            progress(f"state={job.state} in index={_count(self._settings)} (Flink: no live job counters)")
            return
        read = int(metrics.get("kafka_source.records_read", 0))
        indexed = int(metrics.get("elasticsearch.documents_indexed", 0))
        dead = int(metrics.get("dead_letter.written", 0))
        progress(
            f"state={job.state} read={read} indexed={indexed} dead-lettered={dead} "
            f"in index={_count(self._settings)}"
        )


def _count(settings: Settings) -> str:
    from elasticsearch import Elasticsearch, TransportError

    try:
        with Elasticsearch(**settings.elasticsearch.client_kwargs()) as es:
            answer = es.options(request_timeout=3, max_retries=0).count(index=settings.elasticsearch.index)
            return str(answer["count"])
    except TransportError as exc:
        return f"unknown ({type(exc).__name__})"
