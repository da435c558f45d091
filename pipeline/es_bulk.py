"""Bulk indexing that waits out outages (no Beam here; the Beam sink wraps it).

Items answered 429/5xx-retryable, and whole requests that fail on the transport (connection refused,
timeout) or with a retryable status, are retried with capped exponential backoff and jitter **without
a time limit** (:mod:`pipeline.retry`): an Elasticsearch outage stalls the stream, it never fails the
job and never dead-letters good records. Items rejected for good (e.g. 400 mapping errors) are
returned as permanent failures for the dead-letter output. A whole request refused for good (e.g.
413, too large) is split in halves until the offending document stands alone and is reported as a
permanent failure of its own.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from pipeline.retry import Backoff, OutageLog, wait

__all__ = ["RETRYABLE_STATUS", "BulkItem", "BulkOutcome", "bulk_index", "is_transient_es_error"]

RETRYABLE_STATUS = frozenset({408, 429, 500, 502, 503, 504})


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
    retried_items: int = 0
    latency_s: float = 0.0


def _json(value: Any) -> bytes:
    try:
        return orjson.dumps(value)
    except orjson.JSONEncodeError:  # e.g. a lone surrogate: written as the client would write it
        return json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass")


def _actions(index: str, items: Sequence[BulkItem], positions: Sequence[int]) -> bytes:
    """The bulk request body (NDJSON), serialised here with orjson: the stdlib encoder the client
    would use was a third of the pipeline worker's time during a backlog drain."""
    lines: list[bytes] = []
    for pos in positions:
        lines.append(_json({"index": {"_index": index, "_id": items[pos].doc_id}}))
        lines.append(_json(items[pos].document))
    lines.append(b"")
    return b"\n".join(lines)


def is_transient_es_error(exc: Exception) -> bool:
    """Connection problems, timeouts and retryable HTTP statuses: wait them out."""
    from elastic_transport import ConnectionError as TransportConnectionError
    from elastic_transport import ConnectionTimeout, SerializationError, TransportError
    from elasticsearch import ApiError

    if isinstance(exc, ApiError):
        return exc.meta.status in RETRYABLE_STATUS
    if isinstance(exc, TransportConnectionError | ConnectionTimeout):
        return True
    return isinstance(exc, TransportError) and not isinstance(exc, SerializationError)


def _permanent_request_error(exc: Exception) -> str | None:
    """The reason when Elasticsearch refused the whole request for good (e.g. 400, 413), else None."""
    from elasticsearch import ApiError

    if isinstance(exc, ApiError) and exc.meta.status not in RETRYABLE_STATUS:
        return f"elasticsearch status {exc.meta.status}: {str(exc)[:500]}"
    return None


def bulk_index(
    client: Any,
    index: str,
    items: Sequence[BulkItem],
    *,
    outage: OutageLog | None = None,
    backoff: Backoff | None = None,
    sleep: Callable[[float], None] | None = None,
) -> BulkOutcome:
    """Index ``items`` with the bulk API; wait out what is retryable; report permanent failures."""
    outage = outage or OutageLog("elasticsearch")
    backoff = backoff or Backoff()
    outcome = BulkOutcome(indexed=[], failed=[], attempts=0)
    started = time.monotonic()
    queue: list[list[int]] = [list(range(len(items)))]
    failures = 0
    while queue:
        pending = queue.pop()
        outcome.attempts += 1
        try:
            response = client.bulk(operations=_actions(index, items, pending), refresh=False)
        except Exception as exc:
            reason = _permanent_request_error(exc)
            if reason is not None:
                if len(pending) == 1:
                    outcome.failed.append((pending[0], reason))
                else:
                    half = len(pending) // 2
                    queue.extend([pending[half:], pending[:half]])
                continue
            if not is_transient_es_error(exc):
                raise
            failures += 1
            outcome.retried_items += len(pending)
            outage.failed(f"{type(exc).__name__}: {str(exc)[:200]}")
            wait(backoff.delay(failures), sleep)
            queue.append(pending)
            continue
        retry: list[int] = []
        last_error = ""
        for pos, result in zip(pending, response["items"], strict=True):
            info = result.get("index", {})
            status = int(info.get("status", 500))
            if status < 300:
                outcome.indexed.append(pos)
            elif status in RETRYABLE_STATUS:
                retry.append(pos)
                last_error = f"status {status}: {str(info.get('error'))[:200]}"
            else:
                outcome.failed.append((pos, f"elasticsearch status {status}: {info.get('error')}"))
        if retry:
            failures += 1
            outcome.retried_items += len(retry)
            outage.failed(f"{len(retry)} of {len(pending)} document(s) refused for now, {last_error}")
            wait(backoff.delay(failures), sleep)
            queue.append(retry)
        else:
            failures = 0
            outage.recovered()
    outcome.latency_s = time.monotonic() - started
    return outcome
