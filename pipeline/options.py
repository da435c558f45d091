"""Beam ``PipelineOptions`` for the configured runner (Prism locally; Flink or Dataflow at scale).

Flink, three ways (docs/SCALING.md):

* default: the local job server of ``newsmon services up --only flink`` (an embedded Flink), through
  ``PortableRunner`` with the SDK workers in this process (``LOOPBACK``);
* ``pipeline.flink_job_endpoint``: an already running Beam job server (the docker-compose ``flink``
  profile), with the SDK environment from ``pipeline.flink_environment_type`` / ``_config``;
* ``pipeline.flink_master``: a Flink cluster's REST address; Beam's ``FlinkRunner`` starts a job
  server for the job from newsmon's launcher jar (``--flink_job_server_jar``).

Every runner gets the parallelism of the Kafka read: one instance per partition of the articles
topic unless ``pipeline.parallelism`` says otherwise (Flink ``--parallelism``; Dataflow
``--max_num_workers``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from apache_beam.options.pipeline_options import PipelineOptions

from newsmon.core.settings import Settings

__all__ = ["FlinkJobOptions", "FlinkTarget", "job_name", "pipeline_options", "runner_args"]

# Flink's own restart of a failed job waits this long between attempts.
FLINK_RETRY_DELAY_MS = 10_000
# Beam shuts the Impulse source down at once when checkpoints are off; the stages after it then run
# their "finishing" path, which fires every processing-time timer at once: the SDFs' deferrals are
# ignored (the partition discovery polled Kafka's metadata ten times a second). Ten years keeps the
# source up, as Beam does with checkpoints (Long.MAX_VALUE does not survive the options' JSON).
FLINK_SOURCE_IDLE_MS = 10 * 365 * 24 * 3600 * 1000


class FlinkJobOptions(PipelineOptions):  # type: ignore[misc]
    """Flink runner options newsmon sets that the Python SDK does not define (Beam's job server
    describes them only when a job is submitted): declared so they parse without warnings."""

    @classmethod
    def _add_argparse_args(cls, parser: Any) -> None:
        parser.add_argument("--number_of_execution_retries", type=int, default=None)
        parser.add_argument("--execution_retry_delay", type=int, default=None)
        parser.add_argument("--checkpointing_interval", type=int, default=None)
        parser.add_argument("--finish_bundle_before_checkpointing", action="store_true", default=None)
        parser.add_argument("--shutdown_sources_after_idle_ms", type=int, default=None)
        parser.add_argument("--max_bundle_time_mills", type=int, default=None)  # sic: Beam's spelling


@dataclass(frozen=True)
class FlinkTarget:
    """Where a Flink job is submitted, and where its cluster's REST API answers (newsmon cancels
    jobs and takes thread dumps there). Built by ``newsmon pipeline run`` and the Flink tests."""

    job_endpoint: str | None = None  # a running Beam job service, host:port
    job_server_jar: Path | None = None  # else Beam's FlinkRunner starts this jar per job
    rest_urls: tuple[str, ...] = ()


def job_name(settings: Settings) -> str:
    """A unique, recognisable job name: ``newsmon-<topic>-<8 hex>`` (Flink's REST API finds it)."""
    topic = "".join(c if c.isalnum() else "-" for c in settings.kafka.articles_topic).strip("-")
    return f"newsmon-{topic[:60]}-{uuid.uuid4().hex[:8]}".lower()


def _flink_args(settings: Settings, target: FlinkTarget | None) -> list[str]:
    cfg = settings.pipeline
    target = target or FlinkTarget()
    if target.job_endpoint:
        args = ["--runner=PortableRunner", f"--job_endpoint={target.job_endpoint}"]
    elif cfg.flink_master:
        if target.job_server_jar is None:
            raise ValueError(
                "pipeline.flink_master needs the Flink job server jar: run "
                "`newsmon services up --only flink` once, or set pipeline.flink_job_endpoint"
            )
        args = [
            "--runner=FlinkRunner",
            f"--flink_master={cfg.flink_master}",
            f"--flink_job_server_jar={target.job_server_jar}",
        ]
    else:
        raise ValueError(
            "the Flink runner needs a job server: run `newsmon services up --only flink`, "
            "or set pipeline.flink_job_endpoint or pipeline.flink_master"
        )
    args.append(f"--environment_type={cfg.flink_environment_type}")
    if cfg.flink_environment_config:
        args.append(f"--environment_config={cfg.flink_environment_config}")
    args += [
        f"--number_of_execution_retries={cfg.flink_execution_retries}",
        f"--execution_retry_delay={FLINK_RETRY_DELAY_MS}",
        f"--shutdown_sources_after_idle_ms={FLINK_SOURCE_IDLE_MS}",
        f"--max_bundle_time_mills={cfg.flink_max_bundle_time_ms}",
    ]
    if cfg.flink_checkpointing_interval_ms:
        # Finishing bundles before the checkpoint barrier, not inside the snapshot: a bundle finished
        # inside it has its output buffered until the stage's next element or watermark, and the
        # stages after the Impulse never get another one - the Kafka read never started (ADR 0011).
        args += [
            f"--checkpointing_interval={cfg.flink_checkpointing_interval_ms}",
            "--finish_bundle_before_checkpointing",
        ]
    return args


def runner_args(
    settings: Settings,
    prism_binary: Path | None = None,
    *,
    flink: FlinkTarget | None = None,
    parallelism: int | None = None,
    name: str | None = None,
) -> list[str]:
    """Command-line style Beam options for ``settings.pipeline.runner`` (always streaming).

    ``parallelism``: instances of the pipeline (normally the articles topic's partition count);
    ``name``: the job name (Flink's REST API finds a job by it).
    """
    cfg = settings.pipeline
    args = ["--streaming"]
    if name:
        args.append(f"--job_name={name}")
    if cfg.runner == "prism":
        location = prism_binary or cfg.prism_location
        if location is None:
            raise ValueError(
                "the Prism runner needs a binary: run `newsmon services up --only prism` "
                "or set pipeline.prism_location"
            )
        args += [
            "--runner=PrismRunner",
            f"--prism_location={location}",
            "--environment_type=LOOPBACK",
            # Beam shares one Prism job server per process; one created earlier without our
            # prism_location (e.g. by a DirectRunner delegating to Prism) would try to download
            # Prism from the internet. Our jobs always get a server for our own binary.
            "--experiments=disable_prism_server_singleton",
        ]
    elif cfg.runner == "flink":
        args += _flink_args(settings, flink)
        if parallelism:
            args.append(f"--parallelism={parallelism}")
    elif cfg.runner == "dataflow":
        args += ["--runner=DataflowRunner"]
        if parallelism:
            args.append(f"--max_num_workers={parallelism}")
    else:
        args += ["--runner=DirectRunner"]
    return [*args, *cfg.extra_pipeline_args]


def pipeline_options(
    settings: Settings,
    extra: list[str],
    prism_binary: Path | None = None,
    *,
    flink: FlinkTarget | None = None,
    parallelism: int | None = None,
    name: str | None = None,
) -> PipelineOptions:
    """Runner options from settings, then ``extra`` (later flags win)."""
    args = runner_args(settings, prism_binary, flink=flink, parallelism=parallelism, name=name)
    return PipelineOptions([*args, *extra])
