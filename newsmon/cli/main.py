"""``newsmon`` console entry point: one sub-command per module in ``newsmon.cli``.

Each command module exposes ``register(subparsers) -> None`` which adds its parser and sets
``func(args) -> int`` as the default. Modules are imported lazily so ``newsmon --help`` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from newsmon.core.settings import SettingsError

__all__ = ["main"]

# (module under newsmon.cli, sub-command names it registers)
COMMAND_MODULES: tuple[str, ...] = (
    "services_cmd",
    "status_cmd",
    "connectors_cmd",
    "pipeline_cmd",
    "run_cmd",
    "tag_cmd",
    "taxonomy_cmd",
    "feeds_cmd",
    "alerts_cmd",
    "subscriptions_cmd",
    "notify_cmd",
    "search_cmd",
    "es_cmd",
    "api_cmd",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="newsmon",
        description="Streaming news monitoring: feeds -> Kafka -> Beam -> Elasticsearch.",
    )
    parser.add_argument("--config", help="settings YAML (default: $NEWSMON_CONFIG or config/newsmon.yaml)")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more logging (-vv for debug)")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"newsmon.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"newsmon.cli.{name}":
                continue  # command not built into this installation
            raise
        module.register(subparsers)
    return parser


# Errors that describe a problem the user can fix (bad config file, missing tool, busy port):
# print their message, not a traceback.
USER_ERRORS: frozenset[str] = frozenset(
    {
        "newsmon.core.settings.SettingsError",
        "newsmon.services.base.ServiceError",
        "connectors.feedlist.FeedListError",
        "pipeline.tagging.taxonomy.TaxonomyError",
        "alerts.yaml_io.SubscriptionFileError",
        "alerts.validation.InvalidSubscription",
        "alerts.query.QueryError",
        "newsmon.core.query_syntax.QueryError",
        "alerts.store.SubscriptionNotFound",
        "alerts.store.VersionConflict",
        "pydantic_core._pydantic_core.ValidationError",
        "newsmon.search.query.QueryError",
        "newsmon.core.es_index.IndexSetupError",
    }
)


def _is_user_error(exc: BaseException) -> bool:
    return any(f"{cls.__module__}.{cls.__qualname__}" in USER_ERRORS for cls in type(exc).__mro__)


# Loggers whose records are progress for people (an outage waited out, an alert raised): printed as
# calm "[newsmon] ..." lines like the CLI's own progress, not as WARNING records.
CALM_LOGGERS: tuple[str, ...] = ("pipeline.retry", "newsmon.alerts", "pipeline.supervisor", "alerts.delivery")


def _configure_logging(verbosity: int) -> None:
    level = logging.WARNING if verbosity == 0 else logging.INFO if verbosity == 1 else logging.DEBUG
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    calm = logging.StreamHandler(sys.stderr)
    calm.setFormatter(logging.Formatter("[newsmon] %(message)s"))
    for name in CALM_LOGGERS:
        calm_logger = logging.getLogger(name)
        calm_logger.handlers = [calm]
        calm_logger.propagate = False
        calm_logger.setLevel(min(level, logging.INFO))


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    _configure_logging(args.verbose)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args))
    except SettingsError as exc:
        print(f"newsmon: configuration error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:
        if not _is_user_error(exc):
            raise
        print(f"newsmon: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("newsmon: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
