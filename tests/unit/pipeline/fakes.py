"""Fakes for unit tests of pipeline transforms (integration tests use the real services)."""

from __future__ import annotations

import json
import threading
from collections import defaultdict
from typing import Any, ClassVar

from pipeline.kafka_source import KafkaMessage


def message(
    offset: int,
    value: bytes | None = b"{}",
    covered_from: int | None = None,
    partition: int = 0,
    key: bytes | None = None,
    topic: str = "t",
) -> KafkaMessage:
    return KafkaMessage(
        topic=topic,
        partition=partition,
        offset=offset,
        covered_from=offset if covered_from is None else covered_from,
        key=key,
        value=value,
        timestamp_ms=1_700_000_000_000 + offset,
    )


class FakeCommitter:
    """Records commits in a process-wide dict (DoFns are pickled, so state lives at class level)."""

    lock = threading.Lock()
    commits: ClassVar[dict[str, list[int]]] = defaultdict(list)
    initial: ClassVar[dict[str, int | None]] = {}

    def committed(self, topic: str, partition: int) -> int | None:
        return self.initial.get(f"{topic}/{partition}")

    def commit(self, topic: str, partition: int, offset: int) -> None:
        with self.lock:
            self.commits[f"{topic}/{partition}"].append(offset)

    def close(self) -> None:
        pass

    @classmethod
    def reset(cls, initial: dict[str, int | None] | None = None) -> None:
        cls.commits = defaultdict(list)
        cls.initial = dict(initial or {})
        from pipeline import offsets

        offsets._TILERS.clear()


class FakeElasticsearch:
    """Answers bulk requests; documents whose id is in ``reject`` get a 400 (permanent) error."""

    indexed: ClassVar[dict[str, dict[str, Any]]] = {}
    reject: ClassVar[set[str]] = set()

    def bulk(self, operations: bytes, refresh: bool = False) -> dict[str, Any]:
        actions = [json.loads(line) for line in operations.splitlines() if line]  # NDJSON, as sent
        items = []
        for action, doc in zip(actions[::2], actions[1::2], strict=True):
            doc_id = action["index"]["_id"]
            if doc_id in self.reject:
                items.append(
                    {"index": {"_id": doc_id, "status": 400, "error": {"type": "mapper_parsing_exception"}}}
                )
            else:
                type(self).indexed[doc_id] = doc
                items.append({"index": {"_id": doc_id, "status": 201}})
        return {"errors": any(i["index"]["status"] >= 300 for i in items), "items": items}

    alerts: ClassVar[dict[str, dict[str, Any]]] = {}

    def create(self, index: str, id: str, document: dict[str, Any]) -> None:
        from elasticsearch import ConflictError

        if id in self.alerts:
            raise ConflictError("version_conflict_engine_exception", meta=_Meta(409), body={})  # type: ignore[arg-type]
        type(self).alerts[id] = dict(document)

    def update(self, index: str, id: str, doc: dict[str, Any]) -> None:
        type(self).alerts[id].update(doc)

    def close(self) -> None:
        pass


class _Meta:
    status = 409

    def __init__(self, status: int) -> None:
        self.status = status


class _Future:
    def get(self, timeout: float | None = None) -> None:
        return None


class FakeProducer:
    sent: ClassVar[list[tuple[str, bytes | None, bytes]]] = []

    def send(self, topic: str, key: bytes | None = None, value: bytes = b"") -> _Future:
        type(self).sent.append((topic, key, value))
        return _Future()

    def flush(self, timeout: float | None = None) -> None:
        pass

    def close(self, timeout: float | None = None) -> None:
        pass
