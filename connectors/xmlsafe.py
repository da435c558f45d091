"""Neutralise DTD internal subsets before XML reaches a parser: no entity expansion, no external entities.

Feeds have no legitimate need for ``<!ENTITY>`` declarations, and they are how "billion laughs"
(exponential expansion) and XXE (``SYSTEM "file:///etc/passwd"``) attacks work. The internal subset
is removed from the DOCTYPE; references to the removed entities are then just undefined entities,
which the parser reports as an ill-formed document and recovers from.
"""

from __future__ import annotations

import re

__all__ = ["strip_internal_subset"]

_PROLOG_LIMIT = 256 * 1024
_DOCTYPE_START = re.compile(rb"<!DOCTYPE\b", re.IGNORECASE)
_SUBSET = re.compile(rb"\[(?:[^\]\"']|\"[^\"]*\"|'[^']*')*\]\s*>", re.DOTALL)


def strip_internal_subset(body: bytes) -> tuple[bytes, str | None]:
    """Return ``(body without the DOCTYPE internal subset, problem or None)``."""
    start = _DOCTYPE_START.search(body, 0, _PROLOG_LIMIT)
    if start is None:
        return body, None
    bracket = body.find(b"[", start.end(), start.end() + 4096)
    close = body.find(b">", start.end())
    if bracket == -1 or (close != -1 and close < bracket):
        return body, None  # a DOCTYPE without internal subset is harmless
    subset = _SUBSET.match(body, bracket)
    end = subset.end() if subset else len(body)
    declared = body[bracket:end]
    entities = declared.upper().count(b"<!ENTITY")
    cleaned = body[:bracket].rstrip() + b">" + (body[end:] if subset else b"")
    external = b"SYSTEM" in declared.upper() or b"PUBLIC" in declared.upper()
    problem = f"DTD internal subset removed ({entities} entity declaration(s)"
    problem += ", external references" if external else ""
    problem += "; possible entity-expansion or XXE attack)" if entities else ")"
    return cleaned, problem
