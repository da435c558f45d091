"""What a subscription is, and what the pipeline hands to the delivery service (pure data, pydantic).

A user writes a :class:`SubscriptionSpec` (API body, CLI flags, one entry of the YAML import file);
the store adds id, owner, version and times and keeps a :class:`Subscription`. For every match the
pipeline produces one :class:`AlertMessage` to the alerts topic; ``newsmon notify`` delivers it.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = [
    "MASK",
    "MAX_CHANNELS",
    "MAX_QUERY_CHARS",
    "AlertArticle",
    "AlertMessage",
    "Channel",
    "Filters",
    "Mode",
    "RateLimit",
    "Subscription",
    "SubscriptionSpec",
    "alert_id",
    "redact_url",
]

Mode = Literal["instant", "hourly", "daily"]
MAX_QUERY_CHARS = 4000
MAX_CHANNELS = 10

_Label = Annotated[str, Field(min_length=1, max_length=200)]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


MASK = "***"
_SHOWN_HOSTS = ("http", "https", "mailto", "mailtos")


def redact_url(url: str) -> str:
    """What logs, listings, API responses and delivery records show of a channel URL: the scheme, and
    for webhooks and e-mail the user and host; passwords, paths, queries and every other scheme's
    tokens (``tgram://``, ``slack://``, ``discord://`` keep secrets in host and path) are ``***``."""
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    if not scheme or not scheme.replace("+", "").replace("-", "").isalnum():
        return MASK
    if scheme not in _SHOWN_HOSTS:
        return f"{scheme}://{MASK}"
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        return f"{scheme}://{MASK}"
    userinfo = parts.netloc.rsplit("@", 1)[0] if "@" in parts.netloc else ""
    user = userinfo.split(":", 1)[0]
    out = f"{scheme}://"
    if user:
        out += f"{user}:{MASK}@" if ":" in userinfo else f"{user}@"
    out += (f"[{host}]" if ":" in host else host) + (f":{port}" if port else "")
    if parts.path not in ("", "/"):
        out += f"/{MASK}"
    if parts.query:
        out += f"?{MASK}"
    return out


class Filters(_Frozen):
    """Conditions on the article's enrichment, ANDed with the query: every tag of ``tags_all``, one of
    ``tags_any``, one of ``languages``, one of ``sources`` (source name, domain or feed id), and at
    least ``min_relevance``. Empty lists do not filter."""

    tags_all: list[_Label] = Field(default_factory=list, max_length=50)
    tags_any: list[_Label] = Field(default_factory=list, max_length=50)
    languages: list[Annotated[str, Field(pattern=r"^[a-z]{2,3}$")]] = Field(
        default_factory=list, max_length=20
    )
    sources: list[_Label] = Field(default_factory=list, max_length=200)
    min_relevance: float = Field(default=0.0, ge=0.0, le=1.0)

    def accepts(self, doc: dict[str, Any]) -> bool:
        """True when the indexed article ``doc`` passes every filter."""
        tags = set(doc.get("tags") or ())
        if self.tags_all and not set(self.tags_all) <= tags:
            return False
        if self.tags_any and tags.isdisjoint(self.tags_any):
            return False
        if self.languages and doc.get("language") not in self.languages:
            return False
        if self.sources:
            names = {
                *(doc.get("source_names") or ()),
                *(doc.get("source_domains") or ()),
                *(doc.get("feed_ids") or ()),
            }
            if names.isdisjoint(self.sources):
                return False
        return float(doc.get("relevance") or 0.0) >= self.min_relevance


class Channel(_Frozen):
    """Where alerts go. ``http(s)://`` is newsmon's signed JSON webhook (HMAC-SHA256 of the body with
    the secret in the environment variable ``secret_env``, else ``alerts.webhook_secret_env``); any
    other scheme is an Apprise URL (``mailto://``/``mailtos://`` e-mail, ``tgram://``, ``slack://``,
    ``matrix://``, ``signal://``, ``discord://``, ``ntfy://``...). The URL may hold credentials: it is
    shown redacted everywhere except to the store."""

    url: str = Field(min_length=3, max_length=2048)
    secret_env: str | None = Field(default=None, pattern=r"^[A-Z_][A-Z0-9_]{0,99}$")

    @field_validator("url")
    @classmethod
    def _has_scheme(cls, value: str) -> str:
        scheme = value.split("://", 1)[0] if "://" in value else ""
        if not scheme or not scheme.replace("+", "").replace("-", "").isalnum():
            raise ValueError("a channel is a URL such as https://host/hook or mailto://user:pass@host")
        return value

    @property
    def is_webhook(self) -> bool:
        return self.url.lower().startswith(("http://", "https://"))

    @property
    def redacted(self) -> str:
        return redact_url(self.url)


class RateLimit(_Frozen):
    """At most ``max_per_hour`` instant messages per subscription in any rolling hour; matches over the
    limit are not dropped but held and sent together as one digest when the hour ends."""

    max_per_hour: int = Field(default=60, ge=1, le=10_000)


class SubscriptionSpec(_Frozen):
    """What a user writes to create or replace a subscription (API body, CLI, YAML import entry)."""

    name: _Label
    query: str = Field(min_length=1, max_length=MAX_QUERY_CHARS)
    filters: Filters = Field(default_factory=Filters)
    channels: list[Channel] = Field(default_factory=list, max_length=MAX_CHANNELS)
    mode: Mode = "instant"
    rate_limit: RateLimit = Field(default_factory=RateLimit)
    enabled: bool = True


class Subscription(SubscriptionSpec):
    """A stored subscription: the spec plus identity (``id``, ``owner``), the store's ``version``
    (bumped on every change; updates may require it) and times. Used by the pipeline's matcher,
    the delivery service and the API."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]{0,99}$")
    owner: str = Field(min_length=1, max_length=200)
    version: int = Field(default=1, ge=1)
    created_at: datetime
    updated_at: datetime

    def spec(self) -> SubscriptionSpec:
        return SubscriptionSpec.model_validate(self.model_dump(include=set(SubscriptionSpec.model_fields)))


def alert_id(subscription_id: str, article_id: str) -> str:
    """Deterministic alert id: one article alerts one subscription at most once, even when replayed."""
    return hashlib.sha256(f"{subscription_id}\x00{article_id}".encode()).hexdigest()[:32]


class AlertArticle(_Frozen):
    """The part of an indexed article an alert carries (enough to write the message without a lookup)."""

    id: str
    title: str = ""
    url: str | None = None
    published_at: str | None = None
    language: str | None = None
    source: str | None = None
    tags: list[str] = Field(default_factory=list)
    entities: list[str] = Field(default_factory=list)
    relevance: float = 0.0
    snippet: str = ""

    @classmethod
    def from_document(cls, doc: dict[str, Any], snippet_chars: int = 300) -> AlertArticle:
        """From an articles-index document."""
        text = str(doc.get("summary") or doc.get("content") or "")
        snippet = " ".join(text.split())
        if len(snippet) > snippet_chars:
            snippet = snippet[: snippet_chars - 1].rsplit(" ", 1)[0] + "…"
        names = doc.get("source_names") or []
        return cls(
            id=str(doc["id"]),
            title=str(doc.get("title") or ""),
            url=doc.get("url"),
            published_at=doc.get("published_at"),
            language=doc.get("language"),
            source=names[0] if names else doc.get("source_name"),
            tags=list(doc.get("tags") or []),
            entities=[str(e.get("name")) for e in doc.get("entities") or [] if e.get("name")][:20],
            relevance=float(doc.get("relevance") or 0.0),
            snippet=snippet,
        )


class AlertMessage(_Frozen):
    """One match of one subscription by one article: the alerts-topic record (JSON), also indexed in
    the alerts index under ``alert_id``. Produced by the pipeline, consumed by ``newsmon notify``."""

    alert_id: str
    subscription_id: str
    subscription_version: int
    owner: str
    subscription_name: str
    mode: Mode
    query: str
    article: AlertArticle
    matched_at: datetime

    @property
    def key(self) -> bytes:
        """Kafka key: one subscription's alerts stay in order on one partition."""
        return self.subscription_id.encode()
