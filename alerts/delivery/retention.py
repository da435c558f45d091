"""Retention of the alert stores: what ``newsmon notify`` deletes once it is older than
``alerts.retention_days``, so that months of unattended running do not grow them without bound.

* the deliveries index: records that are final (delivered, dead, skipped) and last changed before
  the cut-off. Records still pending or failing are never deleted, however old;
* the alert messages kept beside it (``<deliveries_index>-messages``): matched before the cut-off;
* the pipeline's alerts index (``alerts.index``): matched before the cut-off.

The articles index is not touched: it is the archive users search.

A deleted delivery record no longer stops a replay of its alert from being delivered again, so the
retention must be longer than the alerts topic keeps records (Kafka's default: 7 days); the setting
is checked against a floor of 8 days.

The local Elasticsearch has no reindex module, so no ``_delete_by_query``: expired ids are read
with a scroll and deleted with ``_bulk`` (idempotent: an id deleted twice is fine).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from alerts.delivery.records import FINAL_STATUSES, messages_index

__all__ = ["Expired", "expire"]

_BATCH = 1000


@dataclass(frozen=True)
class Expired:
    """How many documents one retention sweep deleted, per store."""

    deliveries: int = 0
    messages: int = 0
    alerts: int = 0

    @property
    def total(self) -> int:
        return self.deliveries + self.messages + self.alerts


def _older_than(field: str, before: datetime) -> dict[str, Any]:
    return {"range": {field: {"lt": before.isoformat()}}}


def _delete(client: Any, index: str, query: dict[str, Any]) -> int:
    from elasticsearch import NotFoundError, helpers

    def actions() -> Iterator[dict[str, Any]]:
        hits = helpers.scan(
            client,
            index=index,
            query={"query": query, "_source": False},
            size=_BATCH,
            ignore_unavailable=True,
        )
        for hit in hits:
            yield {"_op_type": "delete", "_index": hit["_index"], "_id": hit["_id"]}

    deleted = 0
    try:
        # an item deleted meanwhile (404) is not counted; the sweep goes on
        for ok, _ in helpers.streaming_bulk(client, actions(), chunk_size=_BATCH, raise_on_error=False):
            deleted += int(ok)
    except NotFoundError:
        pass  # the index does not exist (yet): nothing to expire
    return deleted


def expire(client: Any, deliveries_index: str, alerts_index: str, before: datetime) -> Expired:
    """Delete what the retention allows (see the module docstring); returns the counts."""
    final_and_old = {
        "bool": {
            "filter": [
                {"terms": {"status": sorted(FINAL_STATUSES)}},
                _older_than("updated_at", before),
            ]
        }
    }
    return Expired(
        deliveries=_delete(client, deliveries_index, final_and_old),
        messages=_delete(client, messages_index(deliveries_index), _older_than("matched_at", before)),
        alerts=_delete(client, alerts_index, _older_than("matched_at", before)),
    )
