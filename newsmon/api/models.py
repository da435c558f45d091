"""Request and response bodies of the REST API (pydantic; they make the published OpenAPI schema).

Channel URLs may hold credentials (passwords, bot tokens, secret webhook paths): responses show
them masked by :func:`public_channel_url`, and a request that sends a masked URL back is refused,
so a read-modify-write cannot overwrite a secret with its mask. An update resends full URLs.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from alerts.model import (
    MASK,
    MAX_QUERY_CHARS,
    Filters,
    Mode,
    RateLimit,
    Subscription,
    SubscriptionSpec,
    redact_url,
)
from alerts.preview import DEFAULT_LIMIT, MAX_LIMIT
from newsmon.api.keys import OWNER_PATTERN

__all__ = [
    "MASK",
    "AlertOut",
    "AlertPage",
    "ChannelOut",
    "DeliveryOut",
    "DeliveryPage",
    "DeliveryStatus",
    "ErrorDetail",
    "ErrorResponse",
    "Health",
    "KeyCreate",
    "KeyCreated",
    "KeyOut",
    "KeyPage",
    "Me",
    "QueryTest",
    "SubscriptionOut",
    "SubscriptionPage",
    "SubscriptionReplace",
    "SubscriptionTest",
    "decode_cursor",
    "encode_cursor",
    "public_channel_url",
]

DeliveryStatus = Literal["pending", "delivered", "failed", "dead", "skipped"]


def public_channel_url(url: str) -> str:
    """What a response shows of a channel URL (:func:`alerts.model.redact_url`)."""
    return redact_url(url)


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class ErrorDetail(_Out):
    """What went wrong: a stable ``code``, a ``message`` for people and, when one input is at fault,
    its ``field`` (``body.query``, ``query.limit``, ``channels[0]``...) and for a query the
    ``position`` (0-based character offset) of the problem."""

    code: str
    message: str
    field: str | None = None
    position: int | None = None


class ErrorResponse(_Out):
    """The body of every 4xx and 5xx answer."""

    error: ErrorDetail


class Health(_Out):
    """``GET /healthz``: the API answers; whether Elasticsearch does."""

    status: Literal["ok"] = "ok"
    elasticsearch: Literal["available", "unavailable"]


class Me(_Out):
    """Who the presented key belongs to."""

    owner: str
    admin: bool
    key_id: str | None = None


class ChannelOut(_Out):
    """A channel as shown in responses (URL masked, see :func:`public_channel_url`)."""

    url: str
    secret_env: str | None = None


class SubscriptionOut(_Out):
    """A stored subscription as the API shows it: the spec with channel URLs masked, plus id,
    owner, version (send it back as ``If-Match`` or ``version`` to update safely) and times."""

    id: str
    owner: str
    version: int
    name: str
    query: str
    filters: Filters
    channels: list[ChannelOut]
    mode: Mode
    rate_limit: RateLimit
    enabled: bool
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, sub: Subscription) -> SubscriptionOut:
        data = sub.model_dump(exclude={"channels"})
        channels = [ChannelOut(url=public_channel_url(c.url), secret_env=c.secret_env) for c in sub.channels]
        return cls(**data, channels=channels)


class SubscriptionReplace(SubscriptionSpec):
    """The body of ``PUT /api/v1/subscriptions/{id}``: a whole spec (full channel URLs: masked ones
    are refused) and optionally the ``version`` it was based on (409 when it is no longer current)."""

    version: int | None = Field(default=None, ge=1)

    def spec(self) -> SubscriptionSpec:
        return SubscriptionSpec.model_validate(self.model_dump(exclude={"version"}))


class SubscriptionPage(_Out):
    """One page of subscriptions, ordered by id; ``next`` is the ``after`` of the next page."""

    items: list[SubscriptionOut]
    next: str | None = None


class _Since(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    since: str | None = Field(
        default=None,
        max_length=40,
        description="published since: 30m, 12h, 7d, 2w or an ISO date/time (default 7d)",
        examples=["7d", "2026-11-01"],
    )
    limit: int = Field(default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)


class SubscriptionTest(_Since):
    """The (optional) body of ``POST /api/v1/subscriptions/{id}/test``."""


class QueryTest(_Since):
    """The body of ``POST /api/v1/query/test``: a subscription query and filters to try out before
    saving them."""

    query: str = Field(min_length=1, max_length=MAX_QUERY_CHARS, examples=["Bialiatski AND tags:belarus"])
    filters: Filters = Field(default_factory=Filters)


class AlertOut(_Out):
    """One alert (subscription x article) from the alerts index."""

    alert_id: str
    subscription_id: str | None = None
    subscription_name: str | None = None
    owner: str | None = None
    mode: str | None = None
    query: str | None = None
    article_id: str | None = None
    title: str | None = None
    url: str | None = None
    language: str | None = None
    source: str | None = None
    tags: list[str] = Field(default_factory=list)
    entities: list[str] = Field(default_factory=list)
    relevance: float | None = None
    published_at: str | None = None
    matched_at: str | None = None


class AlertPage(_Out):
    """One page of alerts, newest match first; ``next`` is the ``after`` of the next page."""

    items: list[AlertOut]
    next: str | None = None


class DeliveryOut(_Out):
    """One delivery (an instant alert or a digest to one channel) from the deliveries index; the
    channel URL is masked."""

    delivery_id: str
    kind: str | None = None
    alert_ids: list[str] = Field(default_factory=list)
    subscription_id: str | None = None
    owner: str | None = None
    channel: str | None = None
    status: str | None = None
    attempts: int | None = None
    last_error: str | None = None
    created_at: str | None = None
    updated_at: str | None = None
    next_attempt_at: str | None = None
    delivered_at: str | None = None
    period: Any = None


class DeliveryPage(_Out):
    """One page of deliveries, newest first; ``next`` is the ``after`` of the next page."""

    items: list[DeliveryOut]
    next: str | None = None


class KeyCreate(BaseModel):
    """The body of ``POST /api/v1/keys`` (admin): whose key and what it is for."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    owner: str = Field(pattern=OWNER_PATTERN, examples=["alice"])
    name: str = Field(min_length=1, max_length=200, examples=["alice's laptop"])


class KeyOut(_Out):
    """A key as listed: never its secret."""

    key_id: str
    owner: str
    name: str
    created_at: datetime
    last_used_at: datetime | None = None


class KeyCreated(KeyOut):
    """A new key: ``key`` is the token, shown this once (only its hash is stored)."""

    key: str


class KeyPage(_Out):
    """One page of keys, newest first; ``next`` is the ``after`` of the next page."""

    items: list[KeyOut]
    next: str | None = None


def encode_cursor(values: list[Any] | None) -> str | None:
    """The opaque ``next`` cursor of Elasticsearch sort values."""
    if not values:
        return None
    raw = json.dumps(values, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> list[Any] | None:
    """The sort values of a cursor; ``ValueError`` when it is not one this API produced."""
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("not a cursor from a previous page's next") from exc
    if (
        not isinstance(values, list)
        or not 1 <= len(values) <= 3
        or not all(isinstance(v, str | int | float) and not isinstance(v, bool) for v in values)
    ):
        raise ValueError("not a cursor from a previous page's next")
    return values
