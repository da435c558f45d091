"""Beam ``PipelineOptions`` for the configured runner (Prism locally; Flink or Dataflow at scale)."""

from __future__ import annotations

from pathlib import Path

from apache_beam.options.pipeline_options import PipelineOptions

from newsmon.core.settings import Settings

__all__ = ["pipeline_options", "runner_args"]


def runner_args(settings: Settings, prism_binary: Path | None = None) -> list[str]:
    """Command-line style Beam options for ``settings.pipeline.runner`` (always streaming)."""
    cfg = settings.pipeline
    args = ["--streaming"]
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
        args += ["--runner=FlinkRunner", f"--flink_master={cfg.flink_master or '[local]'}"]
    elif cfg.runner == "dataflow":
        args += ["--runner=DataflowRunner"]
    else:
        args += ["--runner=DirectRunner"]
    return [*args, *cfg.extra_pipeline_args]


def pipeline_options(
    settings: Settings, extra: list[str], prism_binary: Path | None = None
) -> PipelineOptions:
    """Runner options from settings, then ``extra`` (later flags win)."""
    return PipelineOptions([*runner_args(settings, prism_binary), *extra])
