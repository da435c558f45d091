"""Delivery records and the alert messages they carry, in Elasticsearch (see ``records``).

Every write that could race is conditional: records are *created* (an existing one means a replay:
nothing new happens) and changed with ``if_seq_no``/``if_primary_term`` (a worker claims a delivery
by bumping its ``attempts`` and only one claim can win). Both index families keep one concrete
index behind their aliases (no rollover: documents are read and updated by id).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
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
from alerts.delivery.retention import Expired, expire
from alerts.model import AlertMessage, Channel, Subscription
from newsmon.core.es_index import IndexSpec, setup_index
from newsmon.core.es_schema import write_alias
from newsmon.core.settings import ElasticsearchSettings

__all__ = ["DIGEST_MAX_ALERTS", "Conflict", "DeliveryStore", "DigestFiling", "StoreError", "Stored"]

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

    def expire(self, alerts_index: str, before: datetime) -> Expired:
        """Delete final records, kept messages and ``alerts_index``'s alerts older than ``before``
        (:mod:`alerts.delivery.retention`)."""
        return expire(self._es, self.index, alerts_index, before)

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

    def instant_counts(
        self, subscription_ids: Sequence[str], since: datetime
    ) -> dict[str, list[tuple[datetime, int]]]:
        """Per subscription of ``subscription_ids``: alerts sent (or being sent) at once since ``since``,
        per minute as (end of the minute, distinct alerts); what seeds the rate limiter after a restart.
        One search for all of them."""
        wanted = list(dict.fromkeys(subscription_ids))
        if not wanted:
            return {}
        body = self._es.search(
            index=self.index,
            size=0,
            query={
                "bool": {
                    "filter": [
                        {"terms": {"subscription_id": wanted}},
                        {"term": {"kind": "instant"}},
                        {"range": {"created_at": {"gte": since.isoformat()}}},
                    ],
                    "must_not": [{"term": {"status": "skipped"}}],
                }
            },
            aggs={
                "subscriptions": {
                    "terms": {"field": "subscription_id", "size": len(wanted)},
                    "aggs": {
                        "minutes": {
                            "date_histogram": {
                                "field": "created_at",
                                "fixed_interval": "1m",
                                "min_doc_count": 1,
                            },
                            "aggs": {"alerts": {"cardinality": {"field": "alert_ids"}}},
                        }
                    },
                }
            },
        )
        out: dict[str, list[tuple[datetime, int]]] = {sub_id: [] for sub_id in wanted}
        for sub in body["aggregations"]["subscriptions"]["buckets"]:
            for bucket in sub["minutes"]["buckets"]:
                end = datetime.fromtimestamp(bucket["key"] / 1000, since.tzinfo) + timedelta(minutes=1)
                out.setdefault(sub["key"], []).append((end, int(bucket["alerts"]["value"])))
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
        """File one message (:meth:`file_into_digests`); returns the period key of its digest."""
        (placed,) = self.file_into_digests(
            [DigestFiling(subscription, channel, first, following, [message])], now
        )
        return placed[message.alert_id]

    def file_into_digests(self, filings: Sequence[DigestFiling], now: datetime) -> list[dict[str, str]]:
        """File each filing's messages into the digest of its subscription x channel for its period
        ``first`` or, when that digest is sealed (being sent, sent, or full), the next open one.
        Idempotent: a message already in one of those digests is not added again. Returns, per
        filing, alert id -> the period key of the digest holding it.

        Batched: each round reads the digests concerned (``mget``) and writes every change in one
        ``_bulk``, creating or conditionally replacing; a write that lost a race is read again next
        round. A digest record is created ``pending`` with ``next_attempt_at`` = the end of its period:
        the worker picks it up then like any due delivery, and its claim (``attempts`` 1) seals it."""
        placed: list[dict[str, str]] = [{} for _ in filings]
        work = [
            _Filing(n, f, f.first, list({m.alert_id: m for m in f.messages}.values()))
            for n, f in enumerate(filings)
        ]
        for _ in range(_MAX_WALK):
            if not work:
                return placed
            current = self.get_many(w.ident() for w in work)
            later: list[_Filing] = []
            writes: list[tuple[_Filing, list[AlertMessage], dict[str, Any], dict[str, Any]]] = []
            touched: set[str] = set()
            for item in work:
                ident = item.ident()
                if ident in touched:  # another filing writes this digest this round: read it again next
                    later.append(item)
                    continue
                stored = current.get(ident)
                if stored is None:
                    take, rest = item.messages[:DIGEST_MAX_ALERTS], item.messages[DIGEST_MAX_ALERTS:]
                    record = item.new_record(take, now)
                    action: dict[str, Any] = {"create": {"_id": ident}}
                else:
                    held = set(stored.record.alert_ids)
                    for m in item.messages:
                        if m.alert_id in held:
                            placed[item.number][m.alert_id] = item.period.key
                    new = [m for m in item.messages if m.alert_id not in held]
                    if not new:
                        continue
                    sealed = stored.record.attempts > 0 or stored.record.status != "pending"
                    room = DIGEST_MAX_ALERTS - len(held)
                    if sealed or room <= 0:
                        later.append(item.moved(new))
                        continue
                    take, rest = new[:room], new[room:]
                    ids = [*stored.record.alert_ids, *(m.alert_id for m in take)]
                    record = stored.record.but(alert_ids=ids, updated_at=now)
                    action = {
                        "index": {
                            "_id": ident,
                            "_index": stored.index,
                            "if_seq_no": stored.seq_no,
                            "if_primary_term": stored.primary_term,
                        }
                    }
                touched.add(ident)
                writes.append((item, rest, action, record.document()))
                item.taken = take
            if writes:
                operations = [part for _, _, action, document in writes for part in (action, document)]
                result = self._es.bulk(index=write_alias(self.index), operations=operations)
                for (item, rest, _, _), answer in zip(writes, result["items"], strict=True):
                    ((_, outcome),) = answer.items()
                    if outcome.get("status") == 409:
                        later.append(item)  # lost a race: read again
                    elif outcome.get("error"):
                        raise StoreError(f"digest {item.ident()} not stored: {outcome['error']}")
                    else:
                        for m in item.taken:
                            placed[item.number][m.alert_id] = item.period.key
                        if rest:
                            later.append(item.moved(rest))
            work = later
        raise StoreError(f"no open digest found for {len(work)} filing(s) after {_MAX_WALK} periods")


@dataclass
class DigestFiling:
    """Alerts of one subscription x channel to file into its digest of period ``first`` (or the next
    open one): what the intake gathers per batch for :meth:`DeliveryStore.file_into_digests`."""

    subscription: Subscription
    channel: Channel
    first: Period
    following: Callable[[Period], Period]
    messages: list[AlertMessage]


@dataclass
class _Filing:
    number: int
    filing: DigestFiling
    period: Period
    messages: list[AlertMessage]
    taken: list[AlertMessage] = field(default_factory=list)

    def ident(self) -> str:
        return delivery_id(digest_id(self.filing.subscription.id, self.period.key), self.filing.channel.url)

    def moved(self, messages: list[AlertMessage]) -> _Filing:
        return _Filing(self.number, self.filing, self.filing.following(self.period), messages)

    def new_record(self, messages: list[AlertMessage], now: datetime) -> DeliveryRecord:
        subscription = self.filing.subscription
        return DeliveryRecord(
            delivery_id=self.ident(),
            kind="digest",
            alert_ids=[m.alert_id for m in messages],
            subscription_id=subscription.id,
            owner=subscription.owner,
            channel=self.filing.channel.redacted,
            status="pending",
            attempts=0,
            created_at=now,
            updated_at=now,
            next_attempt_at=self.period.end,
            period=self.period.key,
        )
