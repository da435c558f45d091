"""Short human renderings of durations and instants for ``newsmon status``."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

__all__ = ["ago", "parse_time", "span", "utc"]

logger = logging.getLogger(__name__)


def span(seconds: float) -> str:
    """``42s``, ``5m 03s``, ``2h 05m``, ``3d 4h`` (sign ignored)."""
    total = int(abs(seconds))
    days, rest = divmod(total, 86_400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes:02d}m"
    if minutes:
        return f"{minutes}m {secs:02d}s"
    return f"{secs}s"


def utc(when: datetime) -> str:
    """``2025-06-01 10:00:00Z``."""
    return when.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%SZ")


def ago(when: datetime | None, now: datetime) -> str:
    """``2025-06-01 10:00:00Z (5m 03s ago)``, or ``never``."""
    if when is None:
        return "never"
    delta = (now - when).total_seconds()
    relative = f"{span(delta)} ago" if delta >= 0 else f"in {span(delta)}"
    return f"{utc(when)} ({relative})"


def parse_time(value: Any) -> datetime | None:
    """An aware UTC datetime from ISO 8601 text (naive values are taken as UTC), else None."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        logger.debug("ignoring malformed time value=%r", value)
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
