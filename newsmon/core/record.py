"""The versioned article record that connectors publish and the pipeline consumes.

``ArticleRecord`` is the Kafka message value (JSON, UTF-8) on the articles topic; its key is the
article id. Bump ``SCHEMA_VERSION`` on any incompatible change and keep a reader for the old one.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from newsmon.core.urls import article_id, canonicalize_url

__all__ = [
    "SCHEMA_VERSION",
    "ArticleRecord",
    "ArticleSource",
    "RecordError",
    "decode_record",
    "encode_record",
]

SCHEMA_VERSION = 1
MAX_TEXT_CHARS = 1_000_000


class RecordError(ValueError):
    """Raised when bytes from Kafka are not a valid ``ArticleRecord``; the message says why."""


class ArticleSource(BaseModel):
    """One feed an article was found in. Used inside ``ArticleRecord.sources``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    feed_id: str = Field(min_length=1, max_length=200)
    name: str = Field(default="", max_length=500)
    domain: str = Field(default="", max_length=255)
    feed_url: str = Field(default="", max_length=4096)


class ArticleRecord(BaseModel):
    """A news article as published by a connector (schema version 1).

    Used as the contract between ``connectors`` (producers) and ``pipeline`` (consumer).
    ``id`` must equal ``article_id(url)``; ``published_at``/``fetched_at`` are timezone-aware UTC.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: Literal[1] = 1
    id: str = Field(pattern=r"^[0-9a-f]{32}$")
    url: str = Field(min_length=1, max_length=4096)
    title: str = Field(default="", max_length=5000)
    summary: str = Field(default="", max_length=MAX_TEXT_CHARS)
    content: str = Field(default="", max_length=MAX_TEXT_CHARS)
    authors: list[str] = Field(default_factory=list)
    categories: list[str] = Field(default_factory=list)
    published_at: datetime
    published_at_estimated: bool = False
    fetched_at: datetime
    language_hint: str | None = Field(default=None, max_length=16)
    sources: list[ArticleSource] = Field(min_length=1)

    @field_validator("published_at", "fetched_at")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("timestamp must be timezone-aware (UTC)")
        return value.astimezone(UTC)

    @field_validator("url")
    @classmethod
    def _canonical(cls, value: str) -> str:
        return canonicalize_url(value)

    @model_validator(mode="after")
    def _id_matches_url(self) -> ArticleRecord:
        expected = article_id(self.url)
        if self.id != expected:
            raise ValueError(f"id {self.id} does not match article_id(url)={expected}")
        if not (self.title.strip() or self.summary.strip() or self.content.strip()):
            raise ValueError("record has no text: title, summary and content are all empty")
        return self

    @property
    def text(self) -> str:
        """Body text used for tagging: content when present, else the summary."""
        return self.content or self.summary

    def merged_with(self, other: ArticleRecord) -> ArticleRecord:
        """Same article seen in another feed: keep this record, union the sources."""
        known = {s.feed_id for s in self.sources}
        extra = [s for s in other.sources if s.feed_id not in known]
        return self if not extra else self.model_copy(update={"sources": [*self.sources, *extra]})


def encode_record(record: ArticleRecord) -> bytes:
    """Serialise a record for Kafka (compact JSON, UTF-8)."""
    return record.model_dump_json().encode("utf-8")


def decode_record(raw: bytes | str) -> ArticleRecord:
    """Parse and validate a Kafka message value; raise ``RecordError`` with a readable reason."""
    try:
        data: Any = orjson.loads(raw)
    except orjson.JSONDecodeError:
        try:  # what orjson refuses and json reads (an escaped lone surrogate) is read as before
            data = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise RecordError(f"not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise RecordError(f"expected a JSON object, got {type(data).__name__}")
    version = data.get("schema_version")
    if version != SCHEMA_VERSION:
        raise RecordError(f"unsupported schema_version {version!r} (this build reads {SCHEMA_VERSION})")
    try:
        return ArticleRecord.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '<record>'}: {err['msg']}" for err in exc.errors()
        )
        raise RecordError(f"invalid article record: {problems}") from exc


def utcnow() -> datetime:
    """Current time, timezone-aware UTC."""
    return datetime.now(UTC)
