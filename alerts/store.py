"""Subscriptions stored in Elasticsearch, as Kibana keeps its saved objects: one document per
subscription in a versioned index behind aliases, every change bumping its ``version`` (the document's
Elasticsearch ``_version``), which a writer may require to detect a concurrent change.

Used by the API and the CLI to create, change and delete subscriptions, by the pipeline's matcher to
reload what changed (:meth:`SubscriptionStore.versions` is cheap: ids and versions only) and by the
delivery service to look up channels. Every save is validated first (:func:`alerts.validation.check_spec`).
"""

from __future__ import annotations

import builtins
import secrets
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

from alerts.model import Subscription, SubscriptionSpec
from alerts.validation import check_spec
from newsmon.core.es_index import IndexSpec, SetupReport, setup_index
from newsmon.core.es_schema import write_alias
from newsmon.core.settings import ElasticsearchSettings

__all__ = [
    "SUBSCRIPTIONS_MAPPING",
    "SUBSCRIPTIONS_MAPPING_VERSION",
    "SubscriptionNotFound",
    "SubscriptionStore",
    "VersionConflict",
    "new_subscription_id",
    "subscription_from_hit",
    "subscriptions_spec",
]

SUBSCRIPTIONS_MAPPING_VERSION = 1
_KEYWORD: dict[str, Any] = {"type": "keyword"}
SUBSCRIPTIONS_MAPPING: dict[str, Any] = {
    "dynamic": "strict",
    "_meta": {"mapping_version": SUBSCRIPTIONS_MAPPING_VERSION, "owner": "newsmon"},
    "properties": {
        "id": _KEYWORD,
        "owner": _KEYWORD,
        "name": {"type": "text", "fields": {"raw": {"type": "keyword", "ignore_above": 256}}},
        "query": {"type": "text", "fields": {"raw": {"type": "keyword", "ignore_above": 1024}}},
        "filters": {
            "properties": {
                "tags_all": _KEYWORD,
                "tags_any": _KEYWORD,
                "languages": _KEYWORD,
                "sources": _KEYWORD,
                "min_relevance": {"type": "float"},
            }
        },
        # channel URLs may carry credentials: stored, never indexed for search
        "channels": {"type": "object", "enabled": False},
        "mode": _KEYWORD,
        "rate_limit": {"properties": {"max_per_hour": {"type": "integer"}}},
        "enabled": {"type": "boolean"},
        "created_at": {"type": "date"},
        "updated_at": {"type": "date"},
    },
}

_PAGE = 1000


class SubscriptionNotFound(LookupError):
    """No subscription has this id (or it belongs to somebody else, for an owner-scoped call)."""

    def __init__(self, sub_id: str) -> None:
        super().__init__(f"no subscription {sub_id!r} (see `newsmon subscriptions list`)")
        self.sub_id = sub_id


class VersionConflict(RuntimeError):
    """The subscription changed since the version the caller read; re-read it and try again."""


def subscription_from_hit(hit: dict[str, Any]) -> Subscription:
    """A :class:`Subscription` from a get or search hit of the subscriptions index."""
    return Subscription.model_validate({**hit["_source"], "version": int(hit["_version"])})


def subscriptions_spec(base: str) -> IndexSpec:
    """The subscriptions index family: one index (no rollover: gets and conditional writes by id go
    through the alias, which Elasticsearch refuses once it spans several indices)."""
    return IndexSpec(base, SUBSCRIPTIONS_MAPPING, SUBSCRIPTIONS_MAPPING_VERSION, rollover=False)


def new_subscription_id(name: str) -> str:
    """A readable, unique id: a slug of the name plus 8 random hex characters."""
    slug = "".join(c if c.isascii() and c.isalnum() else "-" for c in name.lower()).strip("-")
    slug = "-".join(p for p in slug.split("-") if p)[:40].strip("-")
    return f"{slug}-{secrets.token_hex(4)}" if slug else f"sub-{secrets.token_hex(6)}"


class SubscriptionStore:
    """CRUD over the subscriptions index (see the module docstring). ``client`` is an
    ``elasticsearch.Elasticsearch``; writes wait for a refresh so a listing sees them at once."""

    def __init__(
        self,
        client: Any,
        index: str = "newsmon-subscriptions",
        check: Callable[[SubscriptionSpec], None] = check_spec,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._es = client
        self.index = index
        self._check = check
        self._now = now

    def setup(
        self, settings: ElasticsearchSettings, progress: Callable[[str], None] | None = None
    ) -> SetupReport:
        """Create or upgrade the index (idempotent)."""
        spec = subscriptions_spec(self.index)
        if progress is None:
            return setup_index(settings, spec, self._es)
        return setup_index(settings, spec, self._es, progress)

    # --- reads

    def get(self, sub_id: str, owner: str | None = None) -> Subscription:
        """The subscription ``sub_id`` (owned by ``owner`` when given)."""
        return self._current(sub_id, owner, None)[1]

    def _current(
        self, sub_id: str, owner: str | None, expected_version: int | None
    ) -> tuple[dict[str, Any], Subscription]:
        """The stored hit and subscription ``sub_id``, checked against ``owner`` and ``expected_version``."""
        from elasticsearch import NotFoundError

        try:
            hit = self._es.get(index=self.index, id=sub_id)
        except NotFoundError as exc:
            raise SubscriptionNotFound(sub_id) from exc
        current = subscription_from_hit(hit)
        if owner is not None and current.owner != owner:
            raise SubscriptionNotFound(sub_id)
        if expected_version is not None and expected_version != current.version:
            raise VersionConflict(
                f"subscription {sub_id!r} is at version {current.version}, not {expected_version}: "
                "read it again and re-apply your change"
            )
        return hit, current

    def get_many(self, ids: Iterable[str]) -> list[Subscription]:
        """The subscriptions among ``ids`` that exist (one real-time ``mget``)."""
        wanted = list(ids)
        if not wanted:
            return []
        body = self._es.mget(index=self.index, ids=wanted)
        return [subscription_from_hit(d) for d in body["docs"] if d.get("found")]

    def _scan(self, query: dict[str, Any], source: bool | list[str]) -> Iterator[dict[str, Any]]:
        from elasticsearch import NotFoundError

        after: list[Any] | None = None
        while True:
            kwargs: dict[str, Any] = {"search_after": after} if after else {}
            try:
                body = self._es.search(
                    index=self.index,
                    query=query,
                    size=_PAGE,
                    sort=[{"id": "asc"}],
                    version=True,
                    source=source,
                    track_total_hits=False,
                    **kwargs,
                )
            except NotFoundError:
                return
            hits = body["hits"]["hits"]
            yield from hits
            if len(hits) < _PAGE:
                return
            after = hits[-1]["sort"]

    def list(self, owner: str | None = None, enabled_only: bool = False) -> list[Subscription]:
        """Every subscription (of ``owner`` when given), ordered by id."""
        filters: list[dict[str, Any]] = []
        if owner is not None:
            filters.append({"term": {"owner": owner}})
        if enabled_only:
            filters.append({"term": {"enabled": True}})
        query = {"bool": {"filter": filters}} if filters else {"match_all": {}}
        return [subscription_from_hit(h) for h in self._scan(query, True)]

    def versions(self) -> dict[str, int]:
        """id -> version of every subscription (what a reloader compares; no sources fetched)."""
        return {h["_id"]: int(h["_version"]) for h in self._scan({"match_all": {}}, False)}

    # --- writes

    def _body(self, sub: Subscription) -> dict[str, Any]:
        return sub.model_dump(mode="json", exclude={"version"})

    def create(self, spec: SubscriptionSpec, owner: str, sub_id: str | None = None) -> Subscription:
        """Validate and store a new subscription; ``sub_id`` defaults to :func:`new_subscription_id`.
        Raises :class:`VersionConflict` when ``sub_id`` is taken."""
        from elasticsearch import ConflictError

        self._check(spec)
        now = self._now()
        sub = Subscription(
            **spec.model_dump(),
            id=sub_id or new_subscription_id(spec.name),
            owner=owner,
            created_at=now,
            updated_at=now,
        )
        try:
            result = self._es.create(
                index=write_alias(self.index), id=sub.id, document=self._body(sub), refresh="wait_for"
            )
        except ConflictError as exc:
            raise VersionConflict(f"subscription {sub.id!r} already exists") from exc
        return sub.model_copy(update={"version": int(result["_version"])})

    def create_many(self, specs: Iterable[tuple[SubscriptionSpec, str]]) -> builtins.list[Subscription]:
        """Validate and store many new subscriptions ``(spec, owner)`` with generated ids in bulk
        requests with one refresh each (imports, benchmarks); all are validated before any is written."""
        now = self._now()
        subs = []
        for spec, owner in specs:
            self._check(spec)
            subs.append(
                Subscription(
                    **spec.model_dump(),
                    id=new_subscription_id(spec.name),
                    owner=owner,
                    created_at=now,
                    updated_at=now,
                )
            )
        out: builtins.list[Subscription] = []
        for start in range(0, len(subs), _PAGE):
            chunk = subs[start : start + _PAGE]
            operations: list[dict[str, Any]] = []
            for sub in chunk:
                operations += [{"create": {"_id": sub.id}}, self._body(sub)]
            result = self._es.bulk(index=write_alias(self.index), operations=operations, refresh="wait_for")
            for sub, item in zip(chunk, result["items"], strict=True):
                outcome = item["create"]
                if outcome.get("error"):
                    raise VersionConflict(f"subscription {sub.id!r} not stored: {outcome['error']}")
                out.append(sub.model_copy(update={"version": int(outcome["_version"])}))
        return out

    def replace(
        self,
        sub_id: str,
        spec: SubscriptionSpec,
        owner: str | None = None,
        expected_version: int | None = None,
    ) -> Subscription:
        """Validate ``spec`` and make it the new content of ``sub_id``; raises
        :class:`VersionConflict` when ``expected_version`` is given and is not the current one."""
        from elasticsearch import ConflictError

        self._check(spec)
        hit, current = self._current(sub_id, owner, expected_version)
        sub = Subscription(
            **spec.model_dump(),
            id=sub_id,
            owner=current.owner,
            created_at=current.created_at,
            updated_at=self._now(),
        )
        try:
            result = self._es.index(
                index=hit["_index"],
                id=sub_id,
                document=self._body(sub),
                if_seq_no=hit["_seq_no"],
                if_primary_term=hit["_primary_term"],
                refresh="wait_for",
            )
        except ConflictError as exc:
            raise VersionConflict(f"subscription {sub_id!r} changed meanwhile: read it again") from exc
        return sub.model_copy(update={"version": int(result["_version"])})

    def delete(self, sub_id: str, owner: str | None = None, expected_version: int | None = None) -> None:
        """Delete ``sub_id`` (its past alerts and deliveries stay)."""
        from elasticsearch import ConflictError, NotFoundError

        hit, _ = self._current(sub_id, owner, expected_version)
        try:
            self._es.delete(
                index=hit["_index"],
                id=sub_id,
                if_seq_no=hit["_seq_no"],
                if_primary_term=hit["_primary_term"],
                refresh="wait_for",
            )
        except NotFoundError as exc:
            raise SubscriptionNotFound(sub_id) from exc
        except ConflictError as exc:
            raise VersionConflict(f"subscription {sub_id!r} changed meanwhile: read it again") from exc
