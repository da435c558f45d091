"""In-memory stand-ins for the delivery unit tests: an Elasticsearch client with the few calls the
delivery store makes (create, get, mget, index with if_seq_no, bulk), a subscription store, a
dead-letter sink and a scripted sender."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from elastic_transport import ApiResponseMeta, HttpHeaders, NodeConfig
from elasticsearch import ConflictError, NotFoundError

from alerts.delivery.channels import Outgoing, SendResult
from alerts.model import Channel, Subscription

_META = ApiResponseMeta(
    status=409,
    http_version="1.1",
    headers=HttpHeaders(),
    duration=0.0,
    node=NodeConfig("http", "localhost", 9200),
)


def _index(name: str) -> str:
    """The concrete index behind an alias (or the concrete index itself)."""
    return name if name.endswith("-v1-000001") else name.removesuffix("-write") + "-v1-000001"


class FakeES:
    """Documents per concrete index, each with a sequence number; ``fail_next`` makes calls raise."""

    def __init__(self) -> None:
        self.docs: dict[str, dict[str, tuple[dict[str, Any], int]]] = {}
        self._seq = itertools.count()
        self.fail_next = 0

    def _maybe_fail(self) -> None:
        if self.fail_next:
            self.fail_next -= 1
            raise ConnectionError("elasticsearch away")

    def _hit(self, index: str, ident: str) -> dict[str, Any]:
        source, seq = self.docs[index][ident]
        return {
            "_index": index,
            "_id": ident,
            "_source": dict(source),
            "_seq_no": seq,
            "_primary_term": 1,
            "found": True,
        }

    def create(self, index: str, id: str, document: dict[str, Any]) -> dict[str, Any]:
        self._maybe_fail()
        docs = self.docs.setdefault(_index(index), {})
        if id in docs:
            raise ConflictError("version_conflict_engine_exception", _META, {})
        docs[id] = (dict(document), next(self._seq))
        return {"_index": _index(index), "_id": id, "_seq_no": docs[id][1], "_primary_term": 1}

    def index(self, index: str, id: str, document: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        self._maybe_fail()
        docs = self.docs.setdefault(_index(index), {})
        if "if_seq_no" in kwargs and (id not in docs or docs[id][1] != kwargs["if_seq_no"]):
            raise ConflictError("version_conflict_engine_exception", _META, {})
        docs[id] = (dict(document), next(self._seq))
        return {"_index": _index(index), "_id": id, "_seq_no": docs[id][1], "_primary_term": 1}

    def get(self, index: str, id: str) -> dict[str, Any]:
        self._maybe_fail()
        if id not in self.docs.get(_index(index), {}):
            raise NotFoundError("not found", _META, {})
        return self._hit(_index(index), id)

    def mget(self, index: str, ids: list[str]) -> dict[str, Any]:
        self._maybe_fail()
        docs = self.docs.get(_index(index), {})
        return {
            "docs": [self._hit(_index(index), i) if i in docs else {"_id": i, "found": False} for i in ids]
        }

    def bulk(self, index: str, operations: list[dict[str, Any]]) -> dict[str, Any]:
        self._maybe_fail()
        items = []
        for action, document in zip(operations[::2], operations[1::2], strict=True):
            ((op, meta),) = action.items()
            if op == "create":
                try:
                    answer = self.create(index, meta["_id"], document)
                    items.append({"create": {**answer, "status": 201}})
                except ConflictError:
                    items.append(
                        {"create": {"_id": meta["_id"], "status": 409, "error": {"type": "conflict"}}}
                    )
            else:
                condition = {k: meta[k] for k in ("if_seq_no", "if_primary_term") if k in meta}
                try:
                    answer = self.index(meta.get("_index", index), meta["_id"], document, **condition)
                    items.append({"index": {**answer, "status": 200}})
                except ConflictError:
                    items.append(
                        {"index": {"_id": meta["_id"], "status": 409, "error": {"type": "conflict"}}}
                    )
        errors = any(next(iter(i.values())).get("status") == 409 for i in items)
        return {"errors": errors, "items": items}

    def source(self, base: str, ident: str) -> dict[str, Any]:
        return self.docs[_index(base)][ident][0]


class FakeSubscriptionStore:
    """``get``/``get_many``/``versions`` over a dict, for the subscription cache."""

    def __init__(self, *subs: Subscription) -> None:
        self.subs = {s.id: s for s in subs}
        self.calls = 0

    def get(self, sub_id: str) -> Subscription:
        from alerts.store import SubscriptionNotFound

        self.calls += 1
        if sub_id not in self.subs:
            raise SubscriptionNotFound(sub_id)
        return self.subs[sub_id]

    def get_many(self, ids: list[str]) -> list[Subscription]:
        self.calls += 1
        return [self.subs[i] for i in ids if i in self.subs]

    def versions(self) -> dict[str, int]:
        self.calls += 1
        return {i: s.version for i, s in self.subs.items()}


def subscription(
    sub_id: str = "sub-1", channels: tuple[str, ...] = ("https://hooks.example/a",), **fields: Any
) -> Subscription:
    now = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    return Subscription(
        id=sub_id,
        owner="alice",
        name="Minsk courts",
        query="minsk",
        channels=[Channel(url=u) for u in channels],
        created_at=now,
        updated_at=now,
        **fields,
    )


@dataclass
class FakeDeadLetters:
    """Collects dead letters; ``topic`` as the real one has."""

    topic: str = "dlq"
    letters: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def publish(self, key: str, value: dict[str, Any]) -> None:
        self.letters.append((key, value))


@dataclass
class ScriptedSender:
    """Answers each send with the next scripted result (the last one repeats)."""

    results: list[SendResult]
    sent: list[Outgoing] = field(default_factory=list)

    def send(self, outgoing: Outgoing) -> SendResult:
        self.sent.append(outgoing)
        return self.results[min(len(self.sent), len(self.results)) - 1]


@dataclass
class FakeChannels:
    """A ChannelFactory stand-in handing out one scripted sender per channel URL."""

    senders: dict[str, ScriptedSender] = field(default_factory=dict)
    default: list[SendResult] = field(default_factory=lambda: [SendResult(True)])

    def sender(self, channel: Channel) -> ScriptedSender:
        return self.senders.setdefault(channel.url, ScriptedSender(list(self.default)))
