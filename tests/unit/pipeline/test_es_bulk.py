from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from elastic_transport import ApiResponseMeta, HttpHeaders
from elastic_transport import ConnectionError as TransportConnectionError
from elasticsearch import ApiError

from pipeline.es_bulk import BulkItem, bulk_index
from pipeline.retry import Backoff, OutageLog


class ScriptedClient:
    """Replays scripted per-item statuses (or raises) for successive bulk calls."""

    def __init__(self, script: list[Any]) -> None:
        self.script = script
        self.calls: list[list[str]] = []

    def bulk(self, operations: bytes, refresh: bool = False) -> dict[str, Any]:
        actions = [json.loads(line) for line in operations.splitlines() if line]  # NDJSON, as sent
        ids = [op["index"]["_id"] for op in actions[::2]]
        self.calls.append(ids)
        step = self.script.pop(0)
        if callable(step):
            step = step(ids)
        if isinstance(step, Exception):
            raise step
        return {
            "items": [
                {"index": {"_id": i, "status": s, "error": "e" if s >= 300 else None}}
                for i, s in zip(ids, step, strict=True)
            ]
        }


def api_error(status: int) -> ApiError:
    meta = ApiResponseMeta(
        status=status,
        http_version="1.1",
        headers=HttpHeaders(),
        duration=0.0,
        node=None,  # type: ignore[arg-type]
    )
    return ApiError(f"status {status}", meta=meta, body={})


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
    assert outcome.retried_items == 1


def test_transport_error_retried_with_growing_backoff() -> None:
    client = ScriptedClient([TransportConnectionError("down"), TransportConnectionError("down"), [201, 201]])
    delays: list[float] = []
    outcome = bulk_index(client, "idx", items(2), sleep=delays.append, backoff=Backoff(base_s=1.0))
    assert outcome.indexed == [0, 1] and outcome.attempts == 3
    assert delays[0] <= 1.0 and 1.0 <= delays[1] <= 2.0


def test_outage_is_waited_out_without_limit_and_logged_once_per_state_change(
    caplog: pytest.LogCaptureFixture,
) -> None:
    down = 200  # far beyond any retry budget the old code had
    client = ScriptedClient([TransportConnectionError("refused")] * down + [api_error(503), [201]])
    delays: list[float] = []
    clock = iter(range(0, 10_000, 1))
    outage = OutageLog("elasticsearch", remind_every_s=1e9, clock=lambda: float(next(clock)))
    with caplog.at_level(logging.WARNING):
        outcome = bulk_index(client, "idx", items(1), sleep=delays.append, outage=outage)
    assert outcome.indexed == [0] and outcome.failed == []
    assert len(delays) == down + 1 and max(delays) <= 30.0
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 2, lines
    assert lines[0].startswith("elasticsearch unavailable (ConnectionError")
    assert lines[1].startswith("elasticsearch available again after")


def test_whole_request_refused_for_good_is_split_down_to_the_bad_document() -> None:
    def answer(ids: list[str]) -> Any:
        return api_error(413) if "id2" in ids else [201] * len(ids)

    client = ScriptedClient([answer] * 10)
    outcome = bulk_index(client, "idx", items(4), sleep=lambda _: None)
    assert sorted(outcome.indexed) == [0, 1, 3]
    assert [pos for pos, _ in outcome.failed] == [2]
    assert "413" in outcome.failed[0][1]


def test_non_transport_errors_propagate() -> None:
    client = ScriptedClient([RuntimeError("bug")])
    with pytest.raises(RuntimeError, match="bug"):
        bulk_index(client, "idx", items(1), sleep=lambda _: None)


def test_bulk_body_is_ndjson_of_actions_and_documents_even_with_a_lone_surrogate() -> None:
    from pipeline.es_bulk import _actions

    items = [BulkItem("a", {"title": "Минск «1»", "n": 1}), BulkItem("b", {"title": "bad \ud800 text"})]
    body = _actions("idx", items, [0, 1])
    lines = body.split(b"\n")
    assert lines[-1] == b"" and len(lines) == 5  # NDJSON ends with a newline
    assert json.loads(lines[0]) == {"index": {"_index": "idx", "_id": "a"}}
    assert json.loads(lines[1]) == {"title": "Минск «1»", "n": 1}
    # orjson refuses lone surrogates; the line is then written as the client's own serializer would
    assert lines[3] == '{"title": "bad \ud800 text"}'.encode("utf-8", "surrogatepass")
