"""The articles index: mapping and idempotent creation.

Text fields use the ``standard`` analyzer so the same mapping works on the local Elasticsearch
(which lacks the analysis-common module, see docs/decisions/0002) and on full distributions.
"""

from __future__ import annotations

import logging
from typing import Any

from newsmon.core.settings import ElasticsearchSettings

__all__ = ["ARTICLES_MAPPING", "ensure_index"]

logger = logging.getLogger(__name__)

_KEYWORD = {"type": "keyword"}
_TEXT = {"type": "text", "analyzer": "standard"}

ARTICLES_MAPPING: dict[str, Any] = {
    "dynamic": "false",
    "properties": {
        "schema_version": {"type": "integer"},
        "id": _KEYWORD,
        "url": _KEYWORD,
        "title": {**_TEXT, "fields": {"raw": {"type": "keyword", "ignore_above": 512}}},
        "summary": _TEXT,
        "content": _TEXT,
        "authors": _KEYWORD,
        "categories": _KEYWORD,
        "published_at": {"type": "date"},
        "published_at_estimated": {"type": "boolean"},
        "fetched_at": {"type": "date"},
        "indexed_at": {"type": "date"},
        "language_hint": _KEYWORD,
        "language": _KEYWORD,
        "script": _KEYWORD,
        "tags": _KEYWORD,
        "relevance": {"type": "float"},
        "source_domains": _KEYWORD,
        "feed_ids": _KEYWORD,
        "entity_names": _KEYWORD,
        "kafka_position": _KEYWORD,
        "sources": {
            "properties": {
                "feed_id": _KEYWORD,
                "name": _KEYWORD,
                "domain": _KEYWORD,
                "feed_url": _KEYWORD,
            }
        },
        "tag_details": {
            "type": "nested",
            "properties": {
                "id": _KEYWORD,
                "label": _KEYWORD,
                "score": {"type": "float"},
                "evidence": {
                    "properties": {
                        "rule": _KEYWORD,
                        "field": _KEYWORD,
                        "start": {"type": "integer"},
                        "end": {"type": "integer"},
                        "text": _KEYWORD,
                    }
                },
            },
        },
        "entities": {
            "type": "nested",
            "properties": {
                "id": _KEYWORD,
                "name": _KEYWORD,
                "type": _KEYWORD,
                "mentions": {"type": "integer"},
                "variants_seen": _KEYWORD,
            },
        },
    },
}


def ensure_index(
    settings: ElasticsearchSettings,
    client: Any = None,
    index: str | None = None,
    mapping: dict[str, Any] | None = None,
) -> bool:
    """Create ``index`` (default: the articles index) with ``mapping`` if absent; True if created.

    An existing index gets the mapping re-applied, which adds new fields and fails loudly on
    incompatible changes.
    """
    from elasticsearch import BadRequestError, Elasticsearch

    name = index or settings.index
    body = mapping or ARTICLES_MAPPING
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
