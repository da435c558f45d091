"""Start, watch and stop the streaming pipeline from Python (CLI ``run``, demo, e2e tests)."""

from __future__ import annotations

import io
import logging
import sys
from pathlib import Path
from typing import Any, TextIO

import apache_beam as beam

from newsmon.core.settings import Settings
from pipeline.app import build_pipeline
from pipeline.options import pipeline_options

__all__ = ["StreamingJob"]

logger = logging.getLogger(__name__)

# Loggers that report, at cancel time, bundles the runner abandoned on purpose.
_CANCEL_NOISE = ("apache_beam.runners.worker.sdk_worker", "apache_beam.runners.worker.data_plane")


class _CancelNoiseFilter(io.TextIOBase):
    """Wraps stderr to drop the one traceback Beam's in-process worker prints (not logs) when the
    runner cancels a bundle it was still processing: ``KeyError: 'instN'`` in
    ``bundle_processor_cache.release``. Everything else passes through unchanged."""

    def __init__(self, target: TextIO) -> None:
        self._target = target

    def write(self, text: str) -> int:
        if "bundle_processor_cache.release" in text and "KeyError: 'inst" in text:
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


class StreamingJob:
    """A submitted streaming pipeline; used where a caller must stop it (demo run, tests)."""

    def __init__(
        self, settings: Settings, prism_binary: Path | None = None, extra_args: list[str] | None = None
    ):
        self._settings = settings
        self._options = pipeline_options(settings, list(extra_args or []), prism_binary)
        self._result: Any = None

    def start(self) -> StreamingJob:
        pipeline = beam.Pipeline(options=self._options)
        build_pipeline(pipeline, self._settings)
        self._result = pipeline.run()
        logger.info("pipeline submitted state=%s", self.state)
        return self

    @property
    def state(self) -> str:
        return str(self._result.state) if self._result is not None else "NOT_STARTED"

    def is_running(self) -> bool:
        from apache_beam.runners.runner import PipelineState

        return self._result is not None and not PipelineState.is_terminal(self._result.state)

    def wait(self, timeout_s: float | None = None) -> str:
        """Block until the job ends (or ``timeout_s`` passes); return its state."""
        if self._result is None:
            raise RuntimeError("job not started")
        self._result.wait_until_finish(duration=int(timeout_s * 1000) if timeout_s else None)
        return self.state

    def cancel(self) -> None:
        if self._result is None:
            return
        _silence_cancel_noise()
        try:
            self._result.cancel()
        except Exception as exc:
            logger.info("cancel: %s", exc)

    def __enter__(self) -> StreamingJob:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.cancel()
