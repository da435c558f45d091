"""What the API's endpoints work with: the Elasticsearch client, the subscription and key stores,
the admin key, and the paged, owner-scoped listings of subscriptions, alerts and deliveries.

The indices the API writes (subscriptions, keys) are set up on the first write, not at start, so the
API starts (and answers 503) while Elasticsearch is down and recovers when it is back.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from alerts.model import Subscription
from alerts.store import SubscriptionStore, subscription_from_hit
from newsmon.api.errors import ApiProblem
from newsmon.api.keys import AdminKey, KeyStore
from newsmon.core.settings import Settings

__all__ = ["API_REQUEST_TIMEOUT_S", "Backend"]

API_REQUEST_TIMEOUT_S = 10.0


class Backend:
    """Shared by every request of one app (thread-safe: the Elasticsearch client is)."""

    def __init__(self, settings: Settings, es_client: Any, environ: Mapping[str, str]) -> None:
        self.settings = settings
        self.es = es_client
        self.admin = AdminKey(settings.api.admin_key_env, environ)
        self.keys = KeyStore(es_client, settings.api.keys_index)
        self.subscriptions = SubscriptionStore(es_client, settings.alerts.subscriptions_index)
        self._ready = False
        self._lock = threading.Lock()

    def ensure_ready(self) -> None:
        """Set up the keys and subscriptions indices once (before the first write)."""
        if self._ready:
            return
        with self._lock:
            if not self._ready:
                self.keys.setup(self.settings.elasticsearch)
                self.subscriptions.setup(self.settings.elasticsearch)
                self._ready = True

    def available(self) -> bool:
        """Whether Elasticsearch answers (cluster health: the local node has no ``GET /``)."""
        try:
            health = self.es.options(request_timeout=2.0).cluster.health()
        except Exception:
            return False
        return str(health.get("status")) in ("green", "yellow")

    def _page(
        self,
        index: str,
        filters: list[dict[str, Any]],
        sort: list[dict[str, Any]],
        limit: int,
        after: list[Any] | None,
        **extra: Any,
    ) -> tuple[list[dict[str, Any]], list[Any] | None]:
        from elasticsearch import BadRequestError, NotFoundError

        kwargs: dict[str, Any] = {"search_after": after} if after else {}
        try:
            body = self.es.search(
                index=index,
                query={"bool": {"filter": filters}},
                size=limit,
                sort=sort,
                track_total_hits=False,
                **kwargs,
                **extra,
            )
        except NotFoundError:  # not created yet (nothing matched, nothing delivered)
            return [], None
        except BadRequestError as exc:
            if after:  # a cursor of the right length with values of the wrong types
                raise ApiProblem(422, "after: not a cursor of this listing", field="query.after") from exc
            raise
        hits = body["hits"]["hits"]
        return list(hits), (list(hits[-1]["sort"]) if len(hits) == limit else None)

    def subscription_page(
        self, owner: str | None, limit: int, after: list[Any] | None
    ) -> tuple[list[Subscription], list[Any] | None]:
        """Subscriptions (of ``owner`` when given) ordered by id."""
        filters = [{"term": {"owner": owner}}] if owner is not None else []
        hits, cursor = self._page(
            self.subscriptions.index, filters, [{"id": {"order": "asc"}}], limit, after, version=True
        )
        subs = [subscription_from_hit(h) for h in hits]
        return subs, cursor

    def alert_page(
        self,
        owner: str | None,
        subscription_id: str | None,
        since: datetime | None,
        limit: int,
        after: list[Any] | None,
    ) -> tuple[list[dict[str, Any]], list[Any] | None]:
        """Alert documents, newest match first."""
        filters: list[dict[str, Any]] = []
        if owner is not None:
            filters.append({"term": {"owner": owner}})
        if subscription_id is not None:
            filters.append({"term": {"subscription_id": subscription_id}})
        if since is not None:
            filters.append({"range": {"matched_at": {"gte": since.isoformat()}}})
        sort = [
            {"matched_at": {"order": "desc", "unmapped_type": "date"}},
            {"alert_id": {"order": "asc", "unmapped_type": "keyword"}},
        ]
        hits, cursor = self._page(self.settings.alerts.index, filters, sort, limit, after)
        return [h["_source"] for h in hits], cursor

    def delivery_page(
        self,
        owner: str | None,
        subscription_id: str | None,
        alert_id: str | None,
        status: str | None,
        since: datetime | None,
        limit: int,
        after: list[Any] | None,
    ) -> tuple[list[dict[str, Any]], list[Any] | None]:
        """Delivery documents, newest first (written by ``newsmon notify``; read-only here)."""
        filters: list[dict[str, Any]] = []
        if owner is not None:
            filters.append({"term": {"owner": owner}})
        if subscription_id is not None:
            filters.append({"term": {"subscription_id": subscription_id}})
        if alert_id is not None:
            filters.append({"term": {"alert_ids": alert_id}})
        if status is not None:
            filters.append({"term": {"status": status}})
        if since is not None:
            filters.append({"range": {"created_at": {"gte": since.isoformat()}}})
        sort = [
            {"created_at": {"order": "desc", "unmapped_type": "date"}},
            {"delivery_id": {"order": "asc", "unmapped_type": "keyword"}},
        ]
        hits, cursor = self._page(self.settings.alerts.deliveries_index, filters, sort, limit, after)
        return [h["_source"] for h in hits], cursor
