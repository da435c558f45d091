"""``newsmon es setup``: index templates, aliases and mapping upgrades (idempotent)."""

from __future__ import annotations

import argparse
from typing import Any

from newsmon.cli.common import load, progress

__all__ = ["register"]


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("es", help="Elasticsearch index templates, aliases and upgrades")
    sub = parser.add_subparsers(dest="es_command", metavar="ACTION", required=True)
    setup = sub.add_parser(
        "setup",
        help="put the index templates, create or upgrade the articles index behind its aliases (idempotent)",
    )
    setup.set_defaults(func=_setup)


def _setup(args: argparse.Namespace) -> int:
    from elasticsearch import ApiError, TransportError

    from newsmon.core.es_index import setup_articles_index
    from newsmon.core.es_schema import MAPPING_VERSION

    settings = load(args)
    cfg = settings.elasticsearch
    try:
        report = setup_articles_index(cfg, progress=progress)
    except TransportError as exc:
        progress(
            f"elasticsearch at {cfg.url} unreachable ({type(exc).__name__}): start it (`newsmon services up`)"
        )
        return 1
    except ApiError as exc:
        progress(f"elasticsearch refused the setup ({exc.meta.status}): {str(exc)[:400]}")
        return 1
    progress(
        f"articles index {report['action']}: {report['index']} (mapping v{MAPPING_VERSION}); "
        f"search {report['read_alias']}, the pipeline writes {report['write_alias']}"
    )
    return 0
