"""Elasticsearch indices: the versioned articles template behind read/write aliases, and plain
indices (alerts) created idempotently.

:func:`setup_articles_index` (``newsmon es setup``, ``newsmon pipeline init``, every pipeline start)
puts the index template (``newsmon.core.es_schema``), creates the first concrete index behind the aliases,
and when the mapping version changed, copies every document into a new versioned index (client-side
scroll + bulk: the local node has no reindex module) and moves both aliases there in one atomic step.
An older layout (a plain index named like the read alias) is migrated the same way, so existing
local data keeps working. An ILM policy (rollover at 30 days or 25 GB per shard) is applied where
the node has ILM.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from newsmon.core.es_schema import (
    ARTICLES_MAPPING,
    MAPPING_VERSION,
    concrete_index,
    index_analysis,
    upgrade_stored_document,
    write_alias,
)
from newsmon.core.settings import ElasticsearchSettings

__all__ = [
    "ARTICLES_MAPPING",
    "IndexSetupError",
    "IndexSpec",
    "SetupReport",
    "ensure_index",
    "setup_articles_index",
    "setup_index",
]

logger = logging.getLogger(__name__)

ILM_POLICY: dict[str, Any] = {
    "phases": {"hot": {"actions": {"rollover": {"max_age": "30d", "max_primary_shard_size": "25gb"}}}}
}


@dataclass(frozen=True)
class IndexSpec:
    """One index family newsmon writes (articles, alerts): its aliases' base name, mapping and
    version, and how a document of an older version is brought up to date during an upgrade.

    ``rollover=False`` keeps the family in one index (no ILM rollover): for stores that get, create
    and update documents by id through the aliases, which Elasticsearch refuses once an alias
    points at more than one index (the delivery records)."""

    base: str
    mapping: dict[str, Any]
    version: int
    upgrade: Callable[[dict[str, Any]], dict[str, Any]] | None = None  # None: copied unchanged
    rollover: bool = True


def articles_spec(base: str) -> IndexSpec:
    return IndexSpec(base, ARTICLES_MAPPING, MAPPING_VERSION, upgrade_stored_document)


class IndexSetupError(RuntimeError):
    """An index could not be set up or upgraded; the message says what and what to do next."""


class SetupReport(dict[str, Any]):
    """What :func:`setup_articles_index` did (printed by the CLI): ``action`` is one of
    ``created``, ``up-to-date``, ``upgraded``, ``migrated``; plus index names and counts."""


def _analyzers(mapping: Any) -> set[str]:
    """Every analyzer a mapping names (any depth)."""
    if isinstance(mapping, dict):
        found = {v for k, v in mapping.items() if k in ("analyzer", "search_analyzer") and isinstance(v, str)}
        return found.union(*(_analyzers(v) for v in mapping.values()))
    if isinstance(mapping, list):
        return set().union(*(_analyzers(v) for v in mapping))
    return set()


def _template(settings: ElasticsearchSettings, spec: IndexSpec, ilm: bool) -> dict[str, Any]:
    base = spec.base
    index_settings: dict[str, Any] = {
        "number_of_shards": settings.number_of_shards,
        "number_of_replicas": settings.number_of_replicas,
        "refresh_interval": settings.refresh_interval,
    }
    analysis = index_analysis()
    if _analyzers(spec.mapping) & set(analysis["analyzer"]):
        index_settings["analysis"] = analysis
    if ilm:
        index_settings["index.lifecycle.name"] = f"{base}-policy"
        index_settings["index.lifecycle.rollover_alias"] = write_alias(base)
    return {
        "index_patterns": [f"{base}-v*"],
        "version": spec.version,
        "priority": 200,
        "template": {"settings": index_settings, "mappings": spec.mapping},
        "_meta": {"owner": "newsmon", "mapping_version": spec.version},
    }


def _ilm_available(es: Any, base: str) -> bool:
    from elasticsearch import ApiError

    try:
        es.ilm.put_lifecycle(name=f"{base}-policy", policy=ILM_POLICY)
    except ApiError as exc:
        if exc.meta.status in (400, 404, 405, 410):
            logger.info("ILM not available on this node (%s): no lifecycle policy", exc.meta.status)
            return False
        raise
    return True


def _alias_indices(es: Any, alias: str) -> dict[str, Any]:
    from elasticsearch import NotFoundError

    try:
        return dict(es.indices.get_alias(name=alias))
    except NotFoundError:
        return {}


def _index_version(es: Any, index: str) -> int:
    meta = es.indices.get_mapping(index=index)[index]["mappings"].get("_meta") or {}
    return int(meta.get("mapping_version", 1))


def _copy(
    es: Any,
    sources: list[str],
    target: str,
    progress: Callable[[str], None],
    total: int,
    upgrade: Callable[[dict[str, Any]], dict[str, Any]] | None,
) -> int:
    from elasticsearch import helpers

    def actions() -> Iterator[dict[str, Any]]:
        for hit in helpers.scan(es, index=",".join(sources), query={"query": {"match_all": {}}}, size=500):
            source = upgrade(hit["_source"]) if upgrade is not None else hit["_source"]
            yield {"_index": target, "_id": hit["_id"], "_source": source}

    copied = 0
    for ok, item in helpers.streaming_bulk(es, actions(), chunk_size=500, raise_on_error=False):
        if not ok:
            raise IndexSetupError(
                f"copying into {target} failed, the old index is untouched and still in use: {item}; "
                "fix the cause and run `newsmon es setup` again (copying is idempotent)"
            )
        copied += 1
        if copied % 5000 == 0:
            progress(f"copied {copied}/{total} documents into {target}")
    return copied


def setup_articles_index(
    settings: ElasticsearchSettings, client: Any = None, progress: Callable[[str], None] = logger.info
) -> SetupReport:
    """Idempotently bring the articles template, aliases and index to the current mapping version."""
    return setup_index(settings, articles_spec(settings.index), client, progress)


def setup_index(
    settings: ElasticsearchSettings,
    spec: IndexSpec,
    client: Any = None,
    progress: Callable[[str], None] = logger.info,
) -> SetupReport:
    """Idempotently bring ``spec``'s template, aliases and index to its mapping version."""
    from elasticsearch import Elasticsearch

    es = client or Elasticsearch(**settings.client_kwargs())
    try:
        return _setup(es, settings, spec, progress)
    finally:
        if client is None:
            es.close()


def _put_template(es: Any, name: str, template: dict[str, Any]) -> None:
    from elasticsearch import BadRequestError

    try:
        es.indices.put_index_template(name=name, **template)
    except BadRequestError as exc:
        if "failed to find" not in str(exc) and "Unknown filter type" not in str(exc):
            raise
        raise IndexSetupError(
            f"Elasticsearch refused the index settings of {name}: {exc}. The node lacks an analysis "
            "component they name (ADR 0008). Local node: it runs an older newsmon analysis plugin, "
            "restart it with `newsmon services down --only elasticsearch && newsmon services up`. "
            "Elsewhere: install analysis-stempel (polish_stem, polish_stop) and keep analysis-common "
            "(length), as config/elasticsearch/Dockerfile does. Nothing was changed."
        ) from exc


def _setup(
    es: Any, settings: ElasticsearchSettings, spec: IndexSpec, progress: Callable[[str], None]
) -> SetupReport:
    base, writer = spec.base, write_alias(spec.base)
    ilm = spec.rollover and _ilm_available(es, base)
    _put_template(es, base, _template(settings, spec, ilm))
    target = concrete_index(base, spec.version)
    current = _alias_indices(es, writer)
    legacy = not current and es.indices.exists(index=base) and not _alias_indices(es, base)
    if current and all(_index_version(es, name) == spec.version for name in current):
        for name in current:
            es.indices.put_mapping(index=name, **spec.mapping)  # adds fields of a same-version edit
            es.indices.put_settings(index=name, settings={"refresh_interval": settings.refresh_interval})
        return SetupReport(
            action="up-to-date", index=next(iter(current)), read_alias=base, write_alias=writer
        )
    if not current and not legacy:
        if not es.indices.exists(index=target):
            es.indices.create(index=target, aliases={base: {}, writer: {"is_write_index": True}})
            progress(f"created {target} behind aliases {base} (read) and {writer} (write)")
            return SetupReport(action="created", index=target, read_alias=base, write_alias=writer)
        es.indices.update_aliases(
            actions=[
                {"add": {"index": target, "alias": base}},
                {"add": {"index": target, "alias": writer, "is_write_index": True}},
            ]
        )
        return SetupReport(action="created", index=target, read_alias=base, write_alias=writer)
    sources = [base] if legacy else sorted(_alias_indices(es, base) or current)
    es.indices.refresh(index=",".join(sources))
    total = int(es.count(index=",".join(sources))["count"])
    progress(f"upgrading {', '.join(sources)} to mapping v{spec.version}: copying {total} documents")
    if es.indices.exists(index=target):  # left by an interrupted upgrade: bring its mapping up to date
        es.indices.put_mapping(index=target, **spec.mapping)
    else:
        es.indices.create(index=target)
    copied = _copy(es, sources, target, progress, total, spec.upgrade)
    es.indices.refresh(index=target)
    if legacy:
        es.indices.delete(index=base)  # an alias cannot share the old index's name
        actions: list[dict[str, Any]] = []
    else:
        actions = [{"remove": {"index": name, "alias": base}} for name in _alias_indices(es, base)]
        actions += [{"remove": {"index": name, "alias": writer}} for name in current]
    actions += [
        {"add": {"index": target, "alias": base}},
        {"add": {"index": target, "alias": writer, "is_write_index": True}},
    ]
    es.indices.update_aliases(actions=actions)
    progress(f"upgraded: {copied} documents now in {target}; aliases {base} and {writer} moved")
    return SetupReport(
        action="migrated" if legacy else "upgraded",
        index=target,
        read_alias=base,
        write_alias=writer,
        copied=copied,
        previous=sources,
    )


def ensure_index(
    settings: ElasticsearchSettings,
    client: Any = None,
    index: str | None = None,
    mapping: dict[str, Any] | None = None,
) -> bool:
    """Create a plain ``index`` with ``mapping`` if absent (alerts); True if created.

    An existing index gets the mapping re-applied, which adds new fields and fails loudly on
    incompatible changes.
    """
    from elasticsearch import BadRequestError, Elasticsearch

    if index is None or mapping is None:
        raise ValueError("ensure_index needs an index and its mapping (articles: setup_articles_index)")
    name, body = index, mapping
    es = client or Elasticsearch(**settings.client_kwargs())
    try:
        if es.indices.exists(index=name):
            es.indices.put_mapping(index=name, **body)
            return False
        try:
            es.indices.create(
                index=name,
                mappings=body,
                settings={
                    "number_of_shards": settings.number_of_shards,
                    "number_of_replicas": settings.number_of_replicas,
                    "refresh_interval": "1s",
                },
            )
        except BadRequestError as exc:
            if "resource_already_exists_exception" not in str(exc):
                raise
            return False
        logger.info("created index=%s", name)
        return True
    finally:
        if client is None:
            es.close()
