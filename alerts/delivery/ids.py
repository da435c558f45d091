"""Deterministic identities of digests and deliveries (pure).

A delivery is one message to one channel: one alert (``kind`` instant) or one digest. Its id is a
hash of what is sent and where, so recording it twice is a conflict, not a second message, and the
receiver gets the same ``Idempotency-Key`` on every attempt and after every restart.
"""

from __future__ import annotations

import hashlib

__all__ = ["delivery_id", "digest_id"]


def _hash(*parts: str) -> str:
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:32]


def digest_id(subscription_id: str, period: str) -> str:
    """The digest of ``subscription_id`` for ``period`` (a period key such as ``2026-11-30T14``)."""
    return _hash("digest", subscription_id, period)


def delivery_id(source_id: str, channel_url: str) -> str:
    """One alert (``source_id`` = alert id) or digest (digest id) sent to the channel ``channel_url``.

    The full URL is hashed (two channels differing only in a token are different channels); the hash
    does not reveal it. ``channel_url`` is ``""`` for a record without a channel (a skipped alert of a
    deleted subscription)."""
    return _hash(source_id, channel_url)
