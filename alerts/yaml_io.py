"""The YAML import/export format of subscriptions (``newsmon subscriptions import|export``; ``newsmon
run`` imports ``config/subscriptions.yaml``). The store in Elasticsearch is the truth; this file is
how subscriptions are versioned in git, reviewed, moved between installations and backed up.

::

    version: 2
    subscriptions:
      - id: belarus-political-prisoners      # optional: kept on import when given
        name: Political prisoners in Belarus
        owner: local                         # optional: the importer's owner otherwise
        query: 'tags:political_prisoners OR "political prisoner"'
        filters: {tags_all: [belarus], min_relevance: 0.3}
        channels: [{url: "https://hooks.example.org/newsmon"}]
        mode: instant                        # instant | hourly | daily
        rate_limit: {max_per_hour: 60}
        enabled: true
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from alerts.model import Subscription, SubscriptionSpec
from alerts.store import SubscriptionNotFound, SubscriptionStore
from alerts.validation import InvalidSubscription, check_spec

__all__ = [
    "FileEntry",
    "ImportReport",
    "SubscriptionFile",
    "SubscriptionFileError",
    "dump_subscriptions",
    "import_subscriptions",
    "load_subscription_file",
]

FORMAT_VERSION = 2


class SubscriptionFileError(ValueError):
    """The subscriptions file is invalid; the message names the file, the entry and the field."""


class FileEntry(SubscriptionSpec):
    """One subscription of the file: a spec with optional ``id`` and ``owner``."""

    id: str | None = Field(default=None, pattern=r"^[a-z0-9][a-z0-9_.-]{0,99}$")
    owner: str | None = Field(default=None, min_length=1, max_length=200)

    def spec(self) -> SubscriptionSpec:
        return SubscriptionSpec.model_validate(self.model_dump(include=set(SubscriptionSpec.model_fields)))


class SubscriptionFile(BaseModel):
    """The whole file."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: int = Field(default=FORMAT_VERSION, ge=FORMAT_VERSION, le=FORMAT_VERSION)
    subscriptions: list[FileEntry] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique_ids(self) -> SubscriptionFile:
        seen: set[str] = set()
        for entry in self.subscriptions:
            if entry.id is not None:
                if entry.id in seen:
                    raise ValueError(f"duplicate subscription id {entry.id!r}")
                seen.add(entry.id)
        return self


def _where(data: Any, loc: list[Any]) -> str:
    where = ".".join(str(p) for p in loc)
    if len(loc) >= 2 and loc[0] == "subscriptions" and isinstance(loc[1], int):
        with contextlib.suppress(KeyError, IndexError, TypeError, AttributeError):
            entry = data["subscriptions"][loc[1]]
            label = entry.get("id") or entry.get("name") or f"#{loc[1] + 1}"
            rest = ".".join(str(p) for p in loc[2:])
            where = f"subscription {label!r}" + (f": {rest}" if rest else "")
    return where


def load_subscription_file(path: Path | str) -> SubscriptionFile:
    """Parse and validate a subscriptions file, queries and channels included."""
    file = Path(path)
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise SubscriptionFileError(f"{file}: cannot read subscriptions: {exc}") from exc
    if isinstance(data, dict) and data.get("version") == 1:
        raise SubscriptionFileError(
            f"{file}: version 1 (match: tags_all/keywords...) is no longer read: write each subscription as "
            "a query (e.g. 'tags:belarus AND (tags:torture OR tags:political_prisoners)') in version 2, "
            "see config/subscriptions.yaml"
        )
    try:
        parsed = SubscriptionFile.model_validate(data)
    except ValidationError as exc:
        lines = [f"{file}: invalid subscriptions:"]
        lines += [f"  {_where(data, list(e['loc']))}: {e['msg']}" for e in exc.errors()]
        raise SubscriptionFileError("\n".join(lines)) from exc
    for n, entry in enumerate(parsed.subscriptions):
        try:
            check_spec(entry.spec())
        except InvalidSubscription as exc:
            label = entry.id or entry.name or f"#{n + 1}"
            raise SubscriptionFileError(f"{file}: subscription {label!r}: {exc}") from exc
    return parsed


def dump_subscriptions(subscriptions: list[Subscription]) -> str:
    """The YAML file of ``subscriptions`` (ids and owners kept; channel URLs in full: treat the file
    as a secret when channels carry credentials)."""
    entries = []
    for sub in subscriptions:
        entry: dict[str, Any] = {"id": sub.id, "owner": sub.owner}
        entry.update(sub.spec().model_dump(mode="json", exclude_defaults=True))
        entry["name"] = sub.name
        entry["query"] = sub.query
        entries.append(entry)
    return yaml.safe_dump(
        {"version": FORMAT_VERSION, "subscriptions": entries}, sort_keys=False, allow_unicode=True, width=110
    )


class ImportReport(BaseModel):
    """What :func:`import_subscriptions` did."""

    created: list[str] = Field(default_factory=list)
    replaced: list[str] = Field(default_factory=list)
    kept: list[str] = Field(default_factory=list)


def import_subscriptions(
    store: SubscriptionStore, parsed: SubscriptionFile, owner: str, replace: bool = False
) -> ImportReport:
    """Create the file's subscriptions in ``store``; an id already stored is kept as it is unless
    ``replace``. Entries without an owner get ``owner``."""
    report = ImportReport()
    for entry in parsed.subscriptions:
        if entry.id is not None:
            try:
                current = store.get(entry.id)
            except SubscriptionNotFound:
                current = None
            if current is not None:
                if replace:
                    store.replace(entry.id, entry.spec(), expected_version=current.version)
                    report.replaced.append(entry.id)
                else:
                    report.kept.append(entry.id)
                continue
        created = store.create(entry.spec(), owner=entry.owner or owner, sub_id=entry.id)
        report.created.append(created.id)
    return report
