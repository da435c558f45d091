"""Decide which subscriptions an indexed article satisfies, and say why (pure, no I/O)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from pipeline.alerts.subscriptions import Subscription

__all__ = ["AlertMatch", "alert_id", "match_document"]


@dataclass(frozen=True)
class AlertMatch:
    """One subscription matched by one article, with the reasons shown to the subscriber."""

    subscription_id: str
    article_id: str
    reasons: tuple[str, ...]

    @property
    def alert_id(self) -> str:
        return alert_id(self.subscription_id, self.article_id)


def alert_id(subscription_id: str, article_id: str) -> str:
    """Deterministic alert id: the same article never alerts the same subscription twice."""
    return hashlib.sha256(f"{subscription_id}\x00{article_id}".encode()).hexdigest()[:32]


def _matches(sub: Subscription, doc: dict[str, Any]) -> tuple[str, ...] | None:
    rule = sub.match
    tags = set(doc.get("tags", []))
    reasons: list[str] = []
    if rule.languages and doc.get("language") not in rule.languages:
        return None
    if float(doc.get("relevance", 0.0)) < rule.min_relevance:
        return None
    if rule.tags_all:
        if not set(rule.tags_all) <= tags:
            return None
        reasons.append("tags " + ", ".join(rule.tags_all))
    if rule.tags_any:
        hit = sorted(tags & set(rule.tags_any))
        if not hit:
            return None
        reasons.append("tag " + ", ".join(hit))
    if rule.keywords:
        text = " ".join(str(doc.get(f, "")) for f in ("title", "summary", "content")).casefold()
        found = [k for k in rule.keywords if k.casefold() in text]
        if not found:
            return None
        reasons.append("keyword " + ", ".join(found))
    if rule.entities_any:
        wanted = {e.casefold() for e in rule.entities_any}
        found = sorted(
            e["name"]
            for e in doc.get("entities", [])
            if {e.get("name", "").casefold(), e.get("id", "")} & wanted
        )
        if not found:
            return None
        reasons.append("entity " + ", ".join(found))
    return tuple(reasons)


def match_document(subscriptions: list[Subscription], doc: dict[str, Any]) -> list[AlertMatch]:
    """Every enabled subscription ``doc`` satisfies."""
    matches = []
    for sub in subscriptions:
        if not sub.enabled:
            continue
        reasons = _matches(sub, doc)
        if reasons is not None:
            matches.append(AlertMatch(sub.id, str(doc["id"]), reasons))
    return matches
