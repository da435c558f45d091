"""Build the Elasticsearch document of an article (pure functions, no I/O).

The document is the article record plus its enrichment (language, tags, tag evidence, entities,
relevance) and bookkeeping (``indexed_at``, Kafka position). Its ``_id`` is the article id, so
re-processing the same record overwrites the same document (idempotent writes).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from newsmon.core.es_schema import upgrade_document
from newsmon.core.record import ArticleRecord

__all__ = ["ENRICHMENT_FIELDS", "build_document"]

ENRICHMENT_FIELDS: tuple[str, ...] = ("language", "tags", "tag_details", "entities", "relevance")
OPTIONAL_ENRICHMENT_FIELDS: tuple[str, ...] = ("script",)


def build_document(
    record: ArticleRecord,
    enrichment: dict[str, Any],
    *,
    kafka_position: str,
    indexed_at: datetime | None = None,
) -> dict[str, Any]:
    """Merge a validated record with its enrichment into the index document."""
    missing = [name for name in ENRICHMENT_FIELDS if name not in enrichment]
    if missing:
        raise ValueError(f"enrichment lacks field(s): {', '.join(missing)}")
    doc = record.model_dump(mode="json")
    doc.update({name: enrichment[name] for name in ENRICHMENT_FIELDS})
    doc.update({name: enrichment[name] for name in OPTIONAL_ENRICHMENT_FIELDS if name in enrichment})
    doc["source_domains"] = sorted({s.domain for s in record.sources if s.domain})
    doc["feed_ids"] = sorted({s.feed_id for s in record.sources})
    doc["entity_names"] = sorted({e["name"] for e in enrichment["entities"] if e.get("name")})
    doc["indexed_at"] = (indexed_at or datetime.now(UTC)).isoformat()
    doc["kafka_position"] = kafka_position
    return upgrade_document(doc)
