"""Delivery records and the alert messages they carry, in Elasticsearch (see ``records``).

Every write that could race is conditional: records are *created* (an existing one means a replay:
nothing new happens) and changed with ``if_seq_no``/``if_primary_term`` (a worker claims a delivery
by bumping its ``attempts`` and only one claim can win). Both index families keep one concrete
index behind their aliases (no rollover: documents are read and updated by id).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from alerts.delivery.ids import delivery_id, digest_id
from alerts.delivery.periods import Period
from alerts.delivery.records import (
    DELIVERIES_MAPPING,
    DELIVERIES_MAPPING_VERSION,
    MESSAGES_MAPPING,
    MESSAGES_MAPPING_VERSION,
    DeliveryRecord,
    message_document,
    messages_index,
)
from alerts.model import AlertMessage, Channel, Subscription
from newsmon.core.es_index import IndexSpec, setup_index
from newsmon.core.es_schema import write_alias
from newsmon.core.settings import ElasticsearchSettings

__all__ = ["DIGEST_MAX_ALERTS", "Conflict", "DeliveryStore", "StoreError", "Stored"]

DIGEST_MAX_ALERTS = 1000  # a digest record holding this many alerts is sealed; more go to the next one
_MAX_WALK = 5000


class Conflict(RuntimeError):
    """The record changed since it was read (another worker claimed it, or a digest grew)."""


class StoreError(RuntimeError):
    """Elasticsearch refused a write for a reason other than a conflict (the caller retries)."""


@dataclass(frozen=True)
class Stored:
    """A delivery record as the store returned it, with the position (index, seq_no, primary term) that
    the next conditional write (a claim, an outcome) must name."""

    record: DeliveryRecord
    index: str
    seq_no: int
    primary_term: int


def _stored(hit: dict[str, Any]) -> Stored:
    return Stored(
        DeliveryRecord.from_document(hit["_source"]),
        hit["_index"],
        int(hit["_seq_no"]),
        int(hit["_primary_term"]),
    )


class DeliveryStore:
    """The deliveries and messages indices; used only by ``newsmon notify`` (the API reads the
    deliveries index directly). ``client`` is an ``elasticsearch.Elasticsearch``."""

    def __init__(self, client: Any, index: str = "newsmon-deliveries") -> None:
        self._es = client
        self.index = index
        self.messages_index = messages_index(index)

    def setup(self, settings: ElasticsearchSettings, progress: Callable[[str], None] | None = None) -> None:
        """Create or upgrade both indices (idempotent)."""
        for spec in (
            IndexSpec(self.index, DELIVERIES_MAPPING, DELIVERIES_MAPPING_VERSION, rollover=False),
            IndexSpec(self.messages_index, MESSAGES_MAPPING, MESSAGES_MAPPING_VERSION, rollover=False),
        ):
            if progress is None:
                setup_index(settings, spec, self._es)
            else:
                setup_index(settings, spec, self._es, progress)

    # --- alert messages

    def save_messages(self, messages: Sequence[AlertMessage]) -> None:
        """Keep ``messages`` (idempotent: indexed under their alert ids)."""
        if not messages:
            return
        operations: list[dict[str, Any]] = []
        for message in messages:
            operations += [{"index": {"_id": message.alert_id}}, message_document(message)]
        result = self._es.bulk(index=write_alias(self.messages_index), operations=operations)
        if result.get("errors"):
            failed = [i["index"] for i in result["items"] if i["index"].get("error")]
            raise StoreError(f"{len(failed)} alert message(s) not stored: {failed[0].get('error')}")

    def messages(self, alert_ids: Iterable[str]) -> dict[str, AlertMessage]:
        """The stored messages among ``alert_ids`` (real-time)."""
        wanted = list(dict.fromkeys(alert_ids))
        if not wanted:
            return {}
        body = self._es.mget(index=self.messages_index, ids=wanted)
        return {
            d["_id"]: AlertMessage.model_validate(d["_source"]["message"])
            for d in body["docs"]
            if d.get("found")
        }

    # --- delivery records

    def create(self, records: Sequence[DeliveryRecord]) -> list[Stored | None]:
        """Create ``records``; per record the stored version, or None if it already existed (a replay)."""
        if not records:
            return []
        operations: list[dict[str, Any]] = []
        for record in records:
            operations += [{"create": {"_id": record.delivery_id}}, record.document()]
        result = self._es.bulk(index=write_alias(self.index), operations=operations)
        out: list[Stored | None] = []
        for record, item in zip(records, result["items"], strict=True):
            answer = item["create"]
            if answer.get("status") == 409:
                out.append(None)
            elif answer.get("error"):
                raise StoreError(f"delivery record {record.delivery_id} not stored: {answer['error']}")
            else:
                out.append(
                    Stored(record, answer["_index"], int(answer["_seq_no"]), int(answer["_primary_term"]))
                )
        return out

    def create_one(self, record: DeliveryRecord) -> Stored | None:
        """Create ``record``; None if it already existed."""
        from elasticsearch import ConflictError

        try:
            answer = self._es.create(
                index=write_alias(self.index), id=record.delivery_id, document=record.document()
            )
        except ConflictError:
            return None
        return Stored(record, answer["_index"], int(answer["_seq_no"]), int(answer["_primary_term"]))

    def get(self, ident: str) -> Stored | None:
        from elasticsearch import NotFoundError

        try:
            hit = self._es.get(index=self.index, id=ident)
        except NotFoundError:
            return None
        return _stored(hit)

    def get_many(self, ids: Iterable[str]) -> dict[str, Stored]:
        wanted = list(dict.fromkeys(ids))
        if not wanted:
            return {}
        body = self._es.mget(index=self.index, ids=wanted)
        return {d["_id"]: _stored(d) for d in body["docs"] if d.get("found")}

    def replace(self, stored: Stored, record: DeliveryRecord) -> Stored:
        """Write ``record`` over ``stored`` if nobody changed it meanwhile, else raise :class:`Conflict`."""
        from elasticsearch import ConflictError

        try:
            answer = self._es.index(
                index=stored.index,
                id=record.delivery_id,
                document=record.document(),
                if_seq_no=stored.seq_no,
                if_primary_term=stored.primary_term,
            )
        except ConflictError as exc:
            raise Conflict(record.delivery_id) from exc
        return Stored(record, answer["_index"], int(answer["_seq_no"]), int(answer["_primary_term"]))

    def due(self, now: datetime, limit: int = 100, exclude: Iterable[str] = ()) -> list[Stored]:
        """Pending or failed deliveries whose ``next_attempt_at`` has come, oldest first (near real
        time: a record written in the last second may be missing, a stale one is caught by the claim)."""
        from elasticsearch import NotFoundError

        query: dict[str, Any] = {
            "bool": {
                "filter": [
                    {"terms": {"status": ["pending", "failed"]}},
                    {"range": {"next_attempt_at": {"lte": now.isoformat()}}},
                ]
            }
        }
        skip = list(exclude)
        if skip:
            query["bool"]["must_not"] = [{"ids": {"values": skip}}]
        try:
            body = self._es.search(
                index=self.index,
                query=query,
                sort=[{"next_attempt_at": "asc"}],
                size=limit,
                seq_no_primary_term=True,
                track_total_hits=False,
            )
        except NotFoundError:
            return []
        return [_stored(h) for h in body["hits"]["hits"]]

    def instant_counts(self, subscription_id: str, since: datetime) -> list[tuple[datetime, int]]:
        """Alerts sent (or being sent) at once for ``subscription_id`` since ``since``, per minute:
        (end of the minute, distinct alerts); what seeds the rate limiter after a restart."""
        body = self._es.search(
            index=self.index,
            size=0,
            query={
                "bool": {
                    "filter": [
                        {"term": {"subscription_id": subscription_id}},
                        {"term": {"kind": "instant"}},
                        {"range": {"created_at": {"gte": since.isoformat()}}},
                    ],
                    "must_not": [{"term": {"status": "skipped"}}],
                }
            },
            aggs={
                "minutes": {
                    "date_histogram": {"field": "created_at", "fixed_interval": "1m", "min_doc_count": 1},
                    "aggs": {"alerts": {"cardinality": {"field": "alert_ids"}}},
                }
            },
        )
        out = []
        for bucket in body["aggregations"]["minutes"]["buckets"]:
            end = datetime.fromtimestamp(bucket["key"] / 1000, since.tzinfo) + timedelta(minutes=1)
            out.append((end, int(bucket["alerts"]["value"])))
        return out

    # --- digests

    def add_to_digest(
        self,
        message: AlertMessage,
        subscription: Subscription,
        channel: Channel,
        first: Period,
        following: Callable[[Period], Period],
        now: datetime,
    ) -> str:
        """File ``message`` into the digest of ``subscription`` x ``channel`` for period ``first``,
        or, when that digest is sealed (being sent, sent, or full), the next open one. Idempotent:
        a message already in one of those digests is not added again. Returns the period key.

        A digest record is created ``pending`` with ``next_attempt_at`` = the end of its period: the
        worker picks it up then like any due delivery, and its claim (``attempts`` 1) seals it."""
        period = first
        for _ in range(_MAX_WALK):
            ident = delivery_id(digest_id(subscription.id, period.key), channel.url)
            stored = self.get(ident)
            if stored is None:
                record = DeliveryRecord(
                    delivery_id=ident,
                    kind="digest",
                    alert_ids=[message.alert_id],
                    subscription_id=subscription.id,
                    owner=subscription.owner,
                    channel=channel.redacted,
                    status="pending",
                    attempts=0,
                    created_at=now,
                    updated_at=now,
                    next_attempt_at=period.end,
                    period=period.key,
                )
                if self.create_one(record) is not None:
                    return period.key
                continue  # created meanwhile: read it
            current = stored.record
            if message.alert_id in current.alert_ids:
                return period.key
            if (
                current.attempts > 0
                or current.status != "pending"
                or len(current.alert_ids) >= DIGEST_MAX_ALERTS
            ):
                period = following(period)
                continue
            try:
                self.replace(
                    stored, current.but(alert_ids=[*current.alert_ids, message.alert_id], updated_at=now)
                )
            except Conflict:
                continue
            return period.key
        raise StoreError(f"no open digest found for subscription {subscription.id} after {_MAX_WALK} periods")
