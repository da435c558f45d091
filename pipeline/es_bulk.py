"""Bulk indexing with retries and backoff (no Beam here; the Beam sink wraps it).

Items answered 429/502/503/504, and whole requests that fail on the transport, are retried with
exponential backoff and jitter. Items rejected for good (e.g. 400 mapping errors) are returned as
permanent failures for the dead-letter output. If retries run out on a retryable failure the call
raises ``BulkRetryExhausted``: the caller must not acknowledge those records (nothing is lost; the
Kafka offsets stay uncommitted and the bundle is retried).
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["BulkItem", "BulkOutcome", "BulkRetryExhausted", "bulk_index"]

logger = logging.getLogger(__name__)

RETRYABLE_STATUS = frozenset({429, 502, 503, 504})


class BulkRetryExhausted(RuntimeError):
    """Elasticsearch stayed unavailable (or kept rejecting with 429) through every retry."""


@dataclass(frozen=True)
class BulkItem:
    """One document to index under ``doc_id`` (the article id)."""

    doc_id: str
    document: dict[str, Any]


@dataclass
class BulkOutcome:
    """Which items were indexed and which failed permanently (position in the input, reason)."""

    indexed: list[int]
    failed: list[tuple[int, str]]
    attempts: int


def _actions(index: str, items: Sequence[BulkItem], positions: Sequence[int]) -> list[dict[str, Any]]:
    body: list[dict[str, Any]] = []
    for pos in positions:
        body.append({"index": {"_index": index, "_id": items[pos].doc_id}})
        body.append(items[pos].document)
    return body


def _is_transport_error(exc: Exception) -> bool:
    from elastic_transport import ConnectionError as TransportConnectionError
    from elastic_transport import ConnectionTimeout
    from elasticsearch import ApiError

    if isinstance(exc, TransportConnectionError | ConnectionTimeout):
        return True
    return isinstance(exc, ApiError) and exc.meta.status in RETRYABLE_STATUS


def bulk_index(
    client: Any,
    index: str,
    items: Sequence[BulkItem],
    *,
    max_retries: int = 5,
    base_delay_s: float = 0.5,
    max_delay_s: float = 30.0,
    sleep: Callable[[float], None] = time.sleep,
) -> BulkOutcome:
    """Index ``items`` with the bulk API; retry what is retryable; report the rest."""
    outcome = BulkOutcome(indexed=[], failed=[], attempts=0)
    pending = list(range(len(items)))
    while pending:
        outcome.attempts += 1
        retry: list[int] = []
        try:
            response = client.bulk(operations=_actions(index, items, pending), refresh=False)
        except Exception as exc:
            if not _is_transport_error(exc):
                raise
            retry = pending
            last_error = f"{type(exc).__name__}: {exc}"
        else:
            last_error = ""
            for pos, result in zip(pending, response["items"], strict=True):
                info = result.get("index", {})
                status = int(info.get("status", 500))
                if status < 300:
                    outcome.indexed.append(pos)
                elif status in RETRYABLE_STATUS:
                    retry.append(pos)
                    last_error = str(info.get("error"))
                else:
                    outcome.failed.append((pos, f"elasticsearch status {status}: {info.get('error')}"))
        if not retry:
            break
        if outcome.attempts > max_retries:
            raise BulkRetryExhausted(
                f"{len(retry)} document(s) not indexed into {index} after {outcome.attempts} attempts: "
                f"{last_error}. Check that Elasticsearch is up (`newsmon services status`)."
            )
        delay = min(max_delay_s, base_delay_s * 2 ** (outcome.attempts - 1)) * random.uniform(0.5, 1.0)
        logger.warning(
            "bulk retry index=%s pending=%d delay_s=%.2f error=%s", index, len(retry), delay, last_error
        )
        sleep(delay)
        pending = retry
    return outcome
