"""The alerts index: one document per alert (subscription x article), written by the pipeline under
the alert's deterministic id, read by ``newsmon alerts list``, the API and Kibana."""

from __future__ import annotations

from typing import Any

from alerts.model import AlertMessage

__all__ = ["ALERTS_MAPPING", "ALERTS_MAPPING_VERSION", "alert_document", "upgrade_alert_document"]

ALERTS_MAPPING_VERSION = 2
_KEYWORD: dict[str, Any] = {"type": "keyword"}
ALERTS_MAPPING: dict[str, Any] = {
    "dynamic": "false",
    "_meta": {"mapping_version": ALERTS_MAPPING_VERSION, "owner": "newsmon"},
    "properties": {
        "alert_id": _KEYWORD,
        "subscription_id": _KEYWORD,
        "subscription_name": {"type": "text", "fields": {"raw": {"type": "keyword", "ignore_above": 256}}},
        "subscription_version": {"type": "integer"},
        "owner": _KEYWORD,
        "mode": _KEYWORD,
        "query": {"type": "text"},
        "article_id": _KEYWORD,
        "title": {"type": "text"},
        "url": _KEYWORD,
        "language": _KEYWORD,
        "source": _KEYWORD,
        "tags": _KEYWORD,
        "entities": _KEYWORD,
        "relevance": {"type": "float"},
        "published_at": {"type": "date", "ignore_malformed": True},
        "matched_at": {"type": "date"},
        "@timestamp": {"type": "date"},
    },
}


def alert_document(message: AlertMessage) -> dict[str, Any]:
    """The alerts-index document of ``message`` (indexed under ``message.alert_id``)."""
    article = message.article
    return {
        "alert_id": message.alert_id,
        "subscription_id": message.subscription_id,
        "subscription_name": message.subscription_name,
        "subscription_version": message.subscription_version,
        "owner": message.owner,
        "mode": message.mode,
        "query": message.query,
        "article_id": article.id,
        "title": article.title,
        "url": article.url,
        "language": article.language,
        "source": article.source,
        "tags": article.tags,
        "entities": article.entities,
        "relevance": article.relevance,
        "published_at": article.published_at,
        "matched_at": message.matched_at.isoformat(),
        "@timestamp": message.matched_at.isoformat(),
    }


def upgrade_alert_document(doc: dict[str, Any]) -> dict[str, Any]:
    """A version-1 alert (YAML subscriptions era) in the version-2 layout."""
    out = dict(doc)
    created = out.pop("created_at", None)
    out.pop("reasons", None)
    out.pop("deliveries", None)
    if created and "matched_at" not in out:
        out["matched_at"] = created
        out["@timestamp"] = created
    out.setdefault("owner", "admin")
    out.setdefault("mode", "instant")
    return out
