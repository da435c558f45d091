"""Subscription definitions (YAML) with validation errors that name the file, entry and field."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

__all__ = [
    "Match",
    "NotifierSpec",
    "Subscription",
    "SubscriptionError",
    "SubscriptionSet",
    "load_subscriptions",
]


class SubscriptionError(ValueError):
    """The subscriptions file is invalid; the message names the file, subscription and field."""


class Match(BaseModel):
    """What an article must satisfy. All given conditions must hold (AND); lists inside are OR
    except ``tags_all``. Keywords are case-insensitive phrases searched in title, summary and content."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    tags_all: list[str] = Field(default_factory=list)
    tags_any: list[str] = Field(default_factory=list)
    keywords: list[str] = Field(default_factory=list)
    entities_any: list[str] = Field(default_factory=list)
    languages: list[str] = Field(default_factory=list)
    min_relevance: float = Field(default=0.0, ge=0.0)

    @model_validator(mode="after")
    def _not_empty(self) -> Match:
        if not (self.tags_all or self.tags_any or self.keywords or self.entities_any):
            raise ValueError("give at least one of tags_all, tags_any, keywords, entities_any")
        return self


class NotifierSpec(BaseModel):
    """One delivery channel; ``type`` selects the notifier, other keys are its options."""

    model_config = ConfigDict(frozen=True, extra="allow")

    type: str = Field(min_length=1)

    def options(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


class Subscription(BaseModel):
    """A saved query and where to send its alerts."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]{0,99}$")
    name: str = ""
    enabled: bool = True
    match: Match
    notify: list[NotifierSpec] = Field(default_factory=lambda: [NotifierSpec(type="log")])


class SubscriptionSet(BaseModel):
    """The whole subscriptions file."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: int = 1
    subscriptions: list[Subscription] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique_ids(self) -> SubscriptionSet:
        seen: set[str] = set()
        for sub in self.subscriptions:
            if sub.id in seen:
                raise ValueError(f"duplicate subscription id {sub.id!r}")
            seen.add(sub.id)
        return self


def load_subscriptions(path: Path | str) -> SubscriptionSet:
    """Parse and validate a subscriptions YAML file; also checks every notifier's options."""
    from pipeline.alerts.notifiers import validate_spec

    file = Path(path)
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise SubscriptionError(f"{file}: cannot read subscriptions: {exc}") from exc
    try:
        subs = SubscriptionSet.model_validate(data)
    except ValidationError as exc:
        raise SubscriptionError(_describe(file, data, exc)) from exc
    for sub in subs.subscriptions:
        for pos, spec in enumerate(sub.notify):
            try:
                validate_spec(spec)
            except ValueError as exc:
                raise SubscriptionError(
                    f"{file}: subscription {sub.id!r}: notify[{pos}] ({spec.type}): {exc}"
                ) from exc
    return subs


def _describe(file: Path, data: Any, exc: ValidationError) -> str:
    lines = [f"{file}: invalid subscriptions:"]
    for err in exc.errors():
        loc = list(err["loc"])
        where = ".".join(str(p) for p in loc)
        if len(loc) >= 2 and loc[0] == "subscriptions" and isinstance(loc[1], int):
            with contextlib.suppress(KeyError, IndexError, TypeError, AttributeError):
                where = f"subscription {data['subscriptions'][loc[1]].get('id', loc[1])!r}: " + ".".join(
                    str(p) for p in loc[2:]
                )
        lines.append(f"  {where}: {err['msg']}")
    return "\n".join(lines)
