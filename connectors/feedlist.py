"""The feed registry: a YAML list of feeds, validated with an error that names file, entry and field.

Example (``config/feeds.yaml``)::

    version: 1
    defaults: {min_interval: 10m, max_interval: 24h}
    feeds:
      - id: un-news-human-rights
        url: https://news.un.org/feed/subscribe/en/news/topic/human-rights/feed/rss.xml
        name: UN News — Human rights
        language: en
        tags: [un, human-rights]
      - id: demo-local
        path: fixtures/feeds/demo.xml      # or url: file:fixtures/feeds/demo.xml (relative to this file)

Durations are seconds or strings such as ``90s``, ``10m``, ``6h``, ``1d``.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import unquote, urlsplit

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

__all__ = ["FeedList", "FeedListError", "FeedSpec", "load_feed_list", "parse_duration", "shard_of"]

_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*$")


class FeedListError(ValueError):
    """The feed list is invalid; the message names the file, the entry and the field."""


def parse_duration(value: object) -> float:
    """Seconds from a number or a string like ``"15m"``; raise ``ValueError`` otherwise."""
    if isinstance(value, bool):
        raise ValueError(f"not a duration: {value!r}")
    if isinstance(value, int | float):
        return float(value)
    match = _DURATION.match(str(value))
    if not match:
        raise ValueError(f"not a duration: {value!r} (use seconds or e.g. 90s, 10m, 6h, 1d)")
    return float(match.group(1)) * _UNITS[match.group(2) or "s"]


Duration = Annotated[float, BeforeValidator(parse_duration), Field(ge=0, le=30 * 86400)]


class FeedDefaults(BaseModel):
    """Values every feed inherits unless it sets its own."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    min_interval: Duration = 600.0
    max_interval: Duration = 86400.0
    fulltext: bool = False
    allow_private_networks: bool = False
    max_items: int | None = Field(default=None, ge=1, le=10_000)
    language: str | None = Field(default=None, pattern=r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{1,8})*$")
    tags: list[str] = Field(default_factory=list)


class FeedSpec(FeedDefaults):
    """One feed: where to fetch it, how often, and what to record about its articles."""

    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
    url: str = Field(min_length=1, max_length=4096)
    name: str = Field(default="", max_length=500)
    enabled: bool = True
    connector: str = "auto"

    @model_validator(mode="after")
    def _check(self) -> FeedSpec:
        scheme = urlsplit(self.url).scheme.lower()
        if scheme not in ("http", "https", "file"):
            raise ValueError(f"url must be http(s):// or file:, got {self.url!r}")
        if self.min_interval > self.max_interval:
            raise ValueError(
                f"min_interval ({self.min_interval:g}s) exceeds max_interval ({self.max_interval:g}s)"
            )
        from connectors.registry import connector_names  # late import: registry imports parsers

        if self.connector != "auto" and self.connector not in connector_names():
            raise ValueError(
                f"unknown connector {self.connector!r} (known: auto, {', '.join(connector_names())})"
            )
        return self

    @property
    def local_path(self) -> Path | None:
        """The file to read for ``file:`` feeds, else ``None``."""
        parts = urlsplit(self.url)
        return Path(unquote(parts.path)) if parts.scheme.lower() == "file" else None

    @property
    def display_name(self) -> str:
        return self.name or self.id


class FeedList(BaseModel):
    """A validated feed list; ``source`` is the file it came from."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: Literal[1] = 1
    defaults: FeedDefaults = FeedDefaults()
    feeds: list[FeedSpec] = Field(default_factory=list)
    source: Path | None = None

    def enabled(self) -> list[FeedSpec]:
        return [feed for feed in self.feeds if feed.enabled]

    def shard(self, index: int, count: int) -> FeedList:
        """The feeds of shard ``index`` of ``count`` (0-based): each feed id always lands in the same
        shard (a stable hash), so ``count`` connector processes split a feed list between them."""
        if count < 1 or not 0 <= index < count:
            raise ValueError(f"shard {index} of {count}: need 0 <= index < count")
        return self.model_copy(update={"feeds": [f for f in self.feeds if shard_of(f.id, count) == index]})


def _resolve_location(entry: dict[str, Any], base: Path) -> None:
    """Turn ``path:`` / ``url: file:relative`` into an absolute ``file://`` URL, in place."""
    if "path" in entry:
        if "url" in entry:
            raise ValueError("give either url or path, not both")
        entry["url"] = "file:" + str(entry.pop("path"))
    url = entry.get("url")
    if isinstance(url, str) and url.lower().startswith("file:"):
        raw = unquote(url[5:].removeprefix("//"))
        path = Path(raw).expanduser()
        entry["url"] = (path if path.is_absolute() else (base / path)).resolve().as_uri()


def _entry_label(index: int, entry: object) -> str:
    ident = entry.get("id") if isinstance(entry, dict) else None
    return f"feeds[{index}]" + (f" (id {ident!r})" if ident else "")


def _validate_entry(index: int, entry: object, defaults: FeedDefaults, origin: str, base: Path) -> FeedSpec:
    label = _entry_label(index, entry)
    if not isinstance(entry, dict):
        raise FeedListError(f"{origin}: {label}: expected a mapping, got {type(entry).__name__}")
    merged = {**defaults.model_dump(exclude_unset=True), **entry}
    try:
        _resolve_location(merged, base)
        return FeedSpec.model_validate(merged)
    except ValidationError as exc:
        problems = "; ".join(
            f"field {'.'.join(str(p) for p in err['loc']) or '<entry>'}: {err['msg']}" for err in exc.errors()
        )
        raise FeedListError(f"{origin}: {label}: {problems}") from exc
    except ValueError as exc:
        raise FeedListError(f"{origin}: {label}: {exc}") from exc


def parse_feed_list(data: object, origin: str, base: Path) -> FeedList:
    """Validate already-loaded YAML data (``origin`` names it in errors)."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise FeedListError(f"{origin}: expected a mapping with a 'feeds' list at the top level")
    unknown = set(data) - {"version", "defaults", "feeds"}
    if unknown:
        raise FeedListError(f"{origin}: unknown top-level keys: {', '.join(sorted(unknown))}")
    try:
        defaults = FeedDefaults.model_validate(data.get("defaults") or {})
    except ValidationError as exc:
        raise FeedListError(f"{origin}: defaults: {exc.errors()[0]['msg']}") from exc
    entries = data.get("feeds") or []
    if not isinstance(entries, list):
        raise FeedListError(f"{origin}: 'feeds' must be a list")
    feeds = [_validate_entry(i, entry, defaults, origin, base) for i, entry in enumerate(entries)]
    _check_unique(feeds, origin)
    try:
        return FeedList(version=data.get("version", 1), defaults=defaults, feeds=feeds, source=Path(origin))
    except ValidationError as exc:
        raise FeedListError(f"{origin}: {exc.errors()[0]['msg']}") from exc


def _check_unique(feeds: list[FeedSpec], origin: str) -> None:
    seen_ids: dict[str, int] = {}
    seen_urls: dict[str, int] = {}
    for index, feed in enumerate(feeds):
        for key, seen, what in ((feed.id, seen_ids, "id"), (feed.url, seen_urls, "url")):
            if key in seen:
                raise FeedListError(
                    f"{origin}: feeds[{index}] (id {feed.id!r}): duplicate {what} {key!r}, "
                    f"already used by feeds[{seen[key]}]"
                )
            seen[key] = index


def shard_of(feed_id: str, count: int) -> int:
    """The shard (0..count-1) of a feed id: the first 8 bytes of its SHA-256, modulo ``count``."""
    digest = hashlib.sha256(feed_id.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % count


def load_feed_list(path: Path | str) -> FeedList:
    """Read and validate a feed list YAML file; raise ``FeedListError`` naming the bad entry."""
    file = Path(path)
    if not file.is_file():
        raise FeedListError(f"feed list not found: {file}")
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise FeedListError(f"{file}: not valid YAML: {exc}") from exc
    return parse_feed_list(data, str(file), file.resolve().parent)
