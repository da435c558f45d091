"""Helpers shared by CLI commands: settings loading, progress output, small tables."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from newsmon.core.settings import Settings, load_settings

__all__ = ["PROJECT_ROOT", "load", "progress", "table"]

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def load(args: argparse.Namespace) -> Settings:
    """Settings for this invocation (``--config``, ``$NEWSMON_CONFIG``, defaults, env overrides)."""
    return load_settings(getattr(args, "config", None))


def progress(message: str) -> None:
    """A progress line on stderr (stdout stays for results)."""
    print(f"[newsmon] {message}", file=sys.stderr, flush=True)


def table(headers: Sequence[str], rows: Sequence[Sequence[object]], max_width: int = 60) -> str:
    """Render a plain-text table with columns clipped to ``max_width`` characters."""

    def clip(value: object) -> str:
        text = str(value)
        return text if len(text) <= max_width else text[: max_width - 1] + "…"

    cells = [[clip(h) for h in headers], *[[clip(v) for v in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
