from __future__ import annotations

from typing import Any

import pytest
from elastic_transport import ConnectionError as TransportConnectionError

from pipeline.es_bulk import BulkItem, BulkRetryExhausted, bulk_index


class ScriptedClient:
    """Replays scripted per-item statuses (or raises) for successive bulk calls."""

    def __init__(self, script: list[Any]) -> None:
        self.script = script
        self.calls: list[list[str]] = []

    def bulk(self, operations: list[dict[str, Any]], refresh: bool = False) -> dict[str, Any]:
        ids = [op["index"]["_id"] for op in operations[::2]]
        self.calls.append(ids)
        step = self.script.pop(0)
        if isinstance(step, Exception):
            raise step
        return {
            "items": [
                {"index": {"_id": i, "status": s, "error": "e" if s >= 300 else None}}
                for i, s in zip(ids, step, strict=True)
            ]
        }


def items(n: int) -> list[BulkItem]:
    return [BulkItem(doc_id=f"id{i}", document={"n": i}) for i in range(n)]


def test_retries_only_retryable_items_then_succeeds() -> None:
    client = ScriptedClient([[201, 429, 400], [200]])
    delays: list[float] = []
    outcome = bulk_index(client, "idx", items(3), sleep=delays.append)
    assert sorted(outcome.indexed) == [0, 1]
    assert outcome.failed == [(2, "elasticsearch status 400: e")]
    assert client.calls == [["id0", "id1", "id2"], ["id1"]]
    assert len(delays) == 1 and 0 < delays[0] <= 0.5


def test_transport_error_retried_with_growing_backoff() -> None:
    client = ScriptedClient([TransportConnectionError("down"), TransportConnectionError("down"), [201, 201]])
    delays: list[float] = []
    outcome = bulk_index(client, "idx", items(2), sleep=delays.append, base_delay_s=1.0)
    assert outcome.indexed == [0, 1] and outcome.attempts == 3
    assert delays[0] <= 1.0 and 1.0 <= delays[1] <= 2.0


def test_gives_up_loudly_instead_of_dropping() -> None:
    client = ScriptedClient([TransportConnectionError("down")] * 3)
    with pytest.raises(BulkRetryExhausted, match="newsmon services status"):
        bulk_index(client, "idx", items(1), max_retries=2, sleep=lambda _: None)


def test_non_transport_errors_propagate() -> None:
    client = ScriptedClient([RuntimeError("bug")])
    with pytest.raises(RuntimeError, match="bug"):
        bulk_index(client, "idx", items(1), sleep=lambda _: None)
