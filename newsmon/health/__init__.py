"""Operator health of a newsmon deployment, behind ``newsmon status``.

    from newsmon.health.collect import collect
    from newsmon.health.verdict import assess, is_healthy
    from newsmon.health.render import render_text
    facts = collect(settings, only=("services", "lag"))
    problems = assess(facts, max_lag=10_000)
    print(render_text(facts, problems)); exit(0 if is_healthy(problems) else 1)

``collect`` talks to the systems (short timeouts); ``verdict`` and ``render`` are pure. This module
only holds the names and defaults, so the CLI can describe the command without importing clients.
"""

from __future__ import annotations

__all__ = ["CHECKS", "DEFAULT_TIMEOUT_S"]

#: The checks ``newsmon status --only`` accepts, in report order.
CHECKS: tuple[str, ...] = ("services", "pipeline", "lag", "articles", "dead-letters", "feeds")

#: Seconds per remote call; a run makes at most a few sequential calls per service.
DEFAULT_TIMEOUT_S = 4.0
