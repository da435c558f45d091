"""Start, watch and stop the streaming pipeline from Python (CLI ``run``, demo, e2e tests)."""

from __future__ import annotations

import io
import logging
import sys
import threading
from pathlib import Path
from typing import Any, TextIO

import apache_beam as beam

from newsmon.core.settings import Settings
from pipeline.app import build_pipeline
from pipeline.options import FlinkTarget, job_name, pipeline_options

__all__ = ["StreamingJob", "reap_orphaned_runners", "summarise_metrics"]

logger = logging.getLogger(__name__)

# Loggers that report, at cancel time, bundles the runner abandoned on purpose.
_CANCEL_NOISE = ("apache_beam.runners.worker.sdk_worker", "apache_beam.runners.worker.data_plane")


class _CancelNoiseFilter(io.TextIOBase):
    """Wraps stderr to drop the tracebacks Beam's in-process worker prints (not logs) when the
    runner cancels a bundle it was still processing: ``KeyError: 'instN'`` in
    ``bundle_processor_cache.release`` (Prism), ``Channel closed prematurely`` (Flink). Everything
    else passes through unchanged."""

    def __init__(self, target: TextIO) -> None:
        self._target = target

    def write(self, text: str) -> int:
        if "bundle_processor_cache.release" in text and "KeyError: 'inst" in text:
            return len(text)
        if "data_plane.py" in text and "RuntimeError: Channel closed prematurely." in text:
            return len(text)
        return self._target.write(text)

    def flush(self) -> None:
        self._target.flush()

    def fileno(self) -> int:
        return self._target.fileno()


def _silence_cancel_noise() -> None:
    for name in _CANCEL_NOISE:
        logging.getLogger(name).setLevel(logging.CRITICAL)
    if not isinstance(sys.stderr, _CancelNoiseFilter):
        sys.stderr = _CancelNoiseFilter(sys.stderr)
    if threading.excepthook is not _quiet_closed_streams:
        global _previous_excepthook
        _previous_excepthook = threading.excepthook
        threading.excepthook = _quiet_closed_streams


_previous_excepthook = threading.excepthook


def _quiet_closed_streams(args: Any) -> None:
    """After a cancel, Beam's worker threads die on their closed gRPC streams (UNAVAILABLE /
    CANCELLED): expected, so not printed. Any other thread exception is reported as usual."""
    text = str(args.exc_value)
    if "StatusCode.UNAVAILABLE" in text or "StatusCode.CANCELLED" in text or "closed channel" in text:
        return
    _previous_excepthook(args)


def _runner_children(binary: Path | None) -> list[int]:
    """Pids of this process's children running the Prism binary."""
    if binary is None:
        return []
    import psutil

    pids = []
    for child in psutil.Process().children(recursive=False):
        try:
            if child.exe() == str(binary) or Path(child.cmdline()[0]).name == binary.name:
                pids.append(child.pid)
        except (psutil.Error, IndexError):
            continue
    return pids


def reap_orphaned_runners(
    pids: list[int], binary_name: str = "prism", started_before: float | None = None
) -> list[int]:
    """Stop runner processes left behind by a supervisor that was killed (``kill -9``): only those
    still running the runner binary and started before ``started_before`` (Unix time: when the dead
    supervisor last wrote its status), so a reused pid is never hit. (Orphans are re-parented to
    PID 1 or to the nearest subreaper, so the parent pid proves nothing.) Returns the pids stopped."""
    import psutil

    reaped = []
    for pid in pids:
        try:
            process = psutil.Process(pid)
            if process.name() != binary_name or (started_before and process.create_time() > started_before):
                continue  # not a runner, or a newer process that reuses the pid
            process.terminate()
            try:
                process.wait(timeout=10)
            except psutil.TimeoutExpired:
                process.kill()
            reaped.append(pid)
        except psutil.Error:
            continue
    return reaped


def summarise_metrics(results: dict[str, Any]) -> dict[str, float]:
    """Beam ``MetricResults.query()`` -> ``{"namespace.name": value}`` for our own metrics.

    Counters are summed over steps; a distribution gives ``.count``, ``.sum`` and ``.max``.
    Beam's internal ``beam`` namespace is left out.
    """
    out: dict[str, float] = {}
    for counter in results.get("counters", []):
        name = counter.key.metric
        if name.namespace == "beam":
            continue
        key = f"{name.namespace}.{name.name}"
        value = counter.committed if counter.committed is not None else counter.attempted
        out[key] = out.get(key, 0.0) + float(value or 0)
    for dist in results.get("distributions", []):
        name = dist.key.metric
        if name.namespace == "beam":
            continue
        data = dist.committed if dist.committed is not None else dist.attempted
        if data is None:
            continue
        key = f"{name.namespace}.{name.name}"
        out[f"{key}.count"] = out.get(f"{key}.count", 0.0) + float(data.count)
        out[f"{key}.sum"] = out.get(f"{key}.sum", 0.0) + float(data.sum)
        out[f"{key}.max"] = max(out.get(f"{key}.max", 0.0), float(data.max or 0))
    return out


def parallelism_for(settings: Settings) -> int | None:
    """``pipeline.parallelism``, else the articles topic's partition count for the runners that take
    one (Flink, Dataflow); None for Prism and the direct runner."""
    if settings.pipeline.parallelism:
        return settings.pipeline.parallelism
    if settings.pipeline.runner not in ("flink", "dataflow"):
        return None
    from pipeline.kafka_source import list_partitions

    return len(list_partitions(settings.kafka, settings.kafka.articles_topic))


class StreamingJob:
    """A submitted streaming pipeline; used where a caller must watch or stop it (the supervisor of
    ``newsmon pipeline run`` / ``newsmon run``, tests).

    On Flink, ``cancel`` also cancels the job through Flink's REST API (``flink.rest_urls``): Beam's
    job service reports a cancelled job as CANCELLED but leaves it running on Flink.
    """

    def __init__(
        self,
        settings: Settings,
        prism_binary: Path | None = None,
        extra_args: list[str] | None = None,
        *,
        flink: FlinkTarget | None = None,
    ):
        self._settings = settings
        self._prism_binary = prism_binary
        self._extra = list(extra_args or [])
        self._flink = flink
        self.name = job_name(settings)
        self.parallelism: int | None = None
        self._result: Any = None
        self._runner_pids: list[int] = []
        self._lost: str | None = None

    def start(self) -> StreamingJob:
        from pipeline.retry import reset_shutdown

        reset_shutdown()
        self.parallelism = parallelism_for(self._settings)
        options = pipeline_options(
            self._settings,
            self._extra,
            self._prism_binary,
            flink=self._flink,
            parallelism=self.parallelism,
            name=self.name,
        )
        before = set(_runner_children(self._prism_binary))
        pipeline = beam.Pipeline(options=options)
        build_pipeline(pipeline, self._settings)
        self._result = pipeline.run()
        self._runner_pids = [p for p in _runner_children(self._prism_binary) if p not in before]
        logger.info("pipeline %s submitted state=%s", self.name, self.state)
        return self

    @property
    def state(self) -> str:
        if self._result is None:
            return "NOT_STARTED"
        if self._lost is not None:
            return "UNKNOWN"
        try:
            return str(self._result.state)
        except Exception as exc:  # the job service (runner) is gone: the job is lost with it
            detail = " ".join(str(exc).split())[:160]
            self._lost = f"the runner stopped answering ({type(exc).__name__}: {detail})"
            return "UNKNOWN"

    def is_running(self) -> bool:
        from apache_beam.runners.runner import PipelineState

        state = self.state
        return state not in ("NOT_STARTED", "UNKNOWN") and not PipelineState.is_terminal(state)

    def failure_reason(self) -> str:
        """Why a job that is no longer running ended, in one line (the runner's last error)."""
        if self._lost is not None:
            return self._lost
        if self._result is None:
            return "not started"
        try:
            self._result.wait_until_finish(duration=1000)
        except Exception as exc:
            lines = [line.strip() for line in str(exc).strip().splitlines() if line.strip()]
            return lines[-1][:300] if lines else type(exc).__name__
        return f"ended in state {self.state}"

    def metrics(self) -> dict[str, float]:
        """Current values of the job's own metrics (``namespace.name``, summed over steps)."""
        if self._result is None or self._lost is not None:
            return {}
        self._result._metrics = None  # the portable result caches its first answer; ask again
        try:
            results = self._result.metrics().query()
        except Exception as exc:
            logger.debug("metrics query failed: %s", exc)
            return {}
        return summarise_metrics(results)

    def wait(self, timeout_s: float | None = None) -> str:
        """Block until the job ends (or ``timeout_s`` passes); return its state."""
        if self._result is None:
            raise RuntimeError("job not started")
        self._result.wait_until_finish(duration=int(timeout_s * 1000) if timeout_s else None)
        return self.state

    def cancel(self) -> None:
        if self._result is None:
            return
        from pipeline.retry import request_shutdown

        _silence_cancel_noise()
        request_shutdown()  # DoFns waiting out an outage give up quietly
        if self._lost is None:
            try:
                self._result.cancel()
            except Exception as exc:
                logger.info("cancel: %s", exc)
        self.cancel_on_flink()
        self.release_runner()

    def cancel_on_flink(self) -> None:
        """Cancel this job on its Flink cluster (Beam's job service leaves it running there)."""
        if self._flink is None or not self._flink.rest_urls:
            return
        from newsmon.core.flink_rest import FlinkRest

        for job in FlinkRest(self._flink.rest_urls).cancel(self.name):
            logger.info("cancelled Flink job %s (%s) at %s", job.name, job.id, job.rest_url)

    def flink_thread_dumps(self) -> str:
        """Thread dumps of the Flink JobManager and TaskManagers running this job ('' if none)."""
        if self._flink is None or not self._flink.rest_urls:
            return ""
        from newsmon.core.flink_rest import FlinkRest

        return FlinkRest(self._flink.rest_urls).thread_dumps()

    def release_runner(self) -> None:
        """Stop the runner process this job started (Prism), so restarts do not pile them up."""
        import psutil

        for pid in self._runner_pids:
            try:
                process = psutil.Process(pid)
                process.terminate()
                process.wait(timeout=10)
            except psutil.TimeoutExpired:
                process.kill()
            except psutil.Error:
                continue
        self._runner_pids = []

    @property
    def runner_pids(self) -> list[int]:
        """Pids of the runner processes (Prism) this job started."""
        return list(self._runner_pids)

    def kill_runner_for_test(self) -> None:
        """Kill -9 the runner process (fault tests: "the runner dies")."""
        import psutil

        for pid in self._runner_pids:
            try:
                psutil.Process(pid).kill()
            except psutil.Error:
                continue

    def __enter__(self) -> StreamingJob:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.cancel()
