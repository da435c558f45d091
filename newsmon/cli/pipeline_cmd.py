"""``newsmon pipeline init|run``: prepare topics and index, run the streaming Beam pipeline."""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from newsmon.cli.common import load, progress
from newsmon.core.settings import Settings

__all__ = ["register", "resolve_prism"]


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("pipeline", help="the Beam streaming pipeline")
    sub = parser.add_subparsers(dest="pipeline_command", metavar="ACTION", required=True)
    init = sub.add_parser("init", help="create the Kafka topics and the Elasticsearch index (idempotent)")
    init.set_defaults(func=_init)
    run = sub.add_parser("run", help="run the streaming pipeline until interrupted")
    run.add_argument(
        "--runner", choices=["prism", "flink", "dataflow", "direct"], help="override pipeline.runner"
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


def _init(args: argparse.Namespace) -> int:
    from pipeline.init import initialise

    settings = load(args)
    result = initialise(settings)
    created = ", ".join(result["topics_created"]) or "none"  # type: ignore[arg-type]
    print(f"topics created: {created}; index {result['index']} created: {result['index_created']}")
    return 0


def _run(args: argparse.Namespace) -> int:
    from pipeline.init import initialise
    from pipeline.job import StreamingJob

    settings = load(args)
    if args.runner:
        settings = settings.model_copy(
            update={"pipeline": settings.pipeline.model_copy(update={"runner": args.runner})}
        )
    initialise(settings)
    extra = [a for a in args.beam_args if a != "--"]
    job = StreamingJob(settings, prism_binary=resolve_prism(settings), extra_args=extra).start()
    progress(
        f"pipeline running on {settings.pipeline.runner}: {settings.kafka.articles_topic} -> "
        f"{settings.elasticsearch.url}/{settings.elasticsearch.index} (Ctrl-C to stop)"
    )
    try:
        while job.is_running():
            time.sleep(10)
            progress(f"state={job.state} indexed={_count(settings)}")
    except KeyboardInterrupt:
        progress("stopping pipeline")
    finally:
        job.cancel()
    return 0


def _count(settings: Settings) -> str:
    from elasticsearch import Elasticsearch, TransportError

    try:
        with Elasticsearch(**settings.elasticsearch.client_kwargs()) as es:
            return str(es.count(index=settings.elasticsearch.index)["count"])
    except TransportError as exc:
        return f"unknown ({type(exc).__name__})"
