"""The deliveries index: one document per (alert or digest) x channel, ``_id`` = ``delivery_id``.

Written only by ``newsmon notify``; read by the REST API, the CLI and Kibana. The fields are a
contract with those readers:

===============  ========  ==========================================================================
delivery_id      keyword   :func:`alerts.delivery.ids.delivery_id` of (alert id or digest id, channel)
kind             keyword   ``instant`` (one alert) or ``digest`` (the alerts of one period)
alert_ids        keyword   the alert(s) this message carries (a digest's grow until it is sealed)
subscription_id  keyword
owner            keyword
channel          keyword   the channel URL *redacted* (``Channel.redacted``); never the URL itself
status           keyword   ``pending`` (not tried yet, or a digest still collecting), ``delivered``,
                           ``failed`` (last attempt failed, another is scheduled), ``dead`` (given up,
                           dead letter written), ``skipped`` (subscription deleted or disabled, channel
                           removed, or an instant alert over the rate limit, held for a digest)
attempts         integer   attempts started so far
last_error       text      why the last attempt failed or the alert was skipped (secrets scrubbed)
created_at       date
updated_at       date
next_attempt_at  date      when the next attempt is due (a digest: the end of its period); null once
                           final; while an attempt is running, the end of its lease
delivered_at     date
period           keyword   digests: the period key, ``2026-11-30T14`` (hourly) or ``2026-11-30`` (daily)
===============  ========  ==========================================================================

A second index, ``<deliveries_index>-messages``, keeps each alert message the service accepted
(``_id`` = alert id), so a retry, a digest or a restarted service can render it again without
depending on the pipeline's alerts index.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from alerts.model import AlertMessage

__all__ = [
    "DELIVERIES_MAPPING",
    "DELIVERIES_MAPPING_VERSION",
    "FINAL_STATUSES",
    "MESSAGES_MAPPING",
    "MESSAGES_MAPPING_VERSION",
    "RATE_LIMITED",
    "DeliveryRecord",
    "Kind",
    "Status",
    "message_document",
    "messages_index",
]

Kind = Literal["instant", "digest"]
Status = Literal["pending", "delivered", "failed", "dead", "skipped"]
FINAL_STATUSES: frozenset[str] = frozenset({"delivered", "dead", "skipped"})
# ``last_error`` of an instant record skipped because its subscription was over the rate limit: the
# alert went into the hourly digest instead (a replay looks for this to re-file it idempotently).
RATE_LIMITED = "over the rate limit"

DELIVERIES_MAPPING_VERSION = 1
_KEYWORD: dict[str, Any] = {"type": "keyword"}
_DATE: dict[str, Any] = {"type": "date"}
DELIVERIES_MAPPING: dict[str, Any] = {
    "dynamic": "strict",
    "_meta": {"mapping_version": DELIVERIES_MAPPING_VERSION, "owner": "newsmon"},
    "properties": {
        "delivery_id": _KEYWORD,
        "kind": _KEYWORD,
        "alert_ids": _KEYWORD,
        "subscription_id": _KEYWORD,
        "owner": _KEYWORD,
        "channel": _KEYWORD,
        "status": _KEYWORD,
        "attempts": {"type": "integer"},
        "last_error": {"type": "text"},
        "created_at": _DATE,
        "updated_at": _DATE,
        "next_attempt_at": _DATE,
        "delivered_at": _DATE,
        "period": _KEYWORD,
    },
}

MESSAGES_MAPPING_VERSION = 1
MESSAGES_MAPPING: dict[str, Any] = {
    "dynamic": "strict",
    "_meta": {"mapping_version": MESSAGES_MAPPING_VERSION, "owner": "newsmon"},
    "properties": {
        "alert_id": _KEYWORD,
        "subscription_id": _KEYWORD,
        "matched_at": _DATE,
        "message": {"type": "object", "enabled": False},
    },
}


def messages_index(deliveries_index: str) -> str:
    """Base name of the alert-messages index kept beside ``deliveries_index``."""
    return f"{deliveries_index}-messages"


def message_document(message: AlertMessage) -> dict[str, Any]:
    """The messages-index document of ``message`` (indexed under its alert id)."""
    return {
        "alert_id": message.alert_id,
        "subscription_id": message.subscription_id,
        "matched_at": message.matched_at.isoformat(),
        "message": message.model_dump(mode="json"),
    }


class DeliveryRecord(BaseModel):
    """One deliveries-index document (see the module docstring); what the service creates, claims and
    updates, and what the API lists."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    delivery_id: str
    kind: Kind
    alert_ids: list[str]
    subscription_id: str
    owner: str
    channel: str
    status: Status
    attempts: int = 0
    last_error: str | None = None
    created_at: datetime
    updated_at: datetime
    next_attempt_at: datetime | None = None
    delivered_at: datetime | None = None
    period: str | None = None

    @property
    def final(self) -> bool:
        return self.status in FINAL_STATUSES

    @property
    def rate_limited(self) -> bool:
        """An instant alert skipped because its subscription was over the rate limit (sent in a digest)."""
        return self.status == "skipped" and (self.last_error or "").startswith(RATE_LIMITED)

    def document(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    @classmethod
    def from_document(cls, source: dict[str, Any]) -> DeliveryRecord:
        return cls.model_validate(source)

    def but(self, **changes: Any) -> DeliveryRecord:
        """A copy with ``changes`` (validated)."""
        return DeliveryRecord.model_validate({**self.model_dump(), **changes})
