"""Persistent connector state in one SQLite file per articles topic.

* ``feeds``: per-feed ``FeedState`` (validators, content hash, schedule, failures, parked reason, stats).
* ``seen``: article ids acknowledged by Kafka, with the sources they were published with. Rows are
  refreshed whenever the article is still in a feed and pruned after ``retention`` without a sighting,
  so the table is bounded by what feeds currently carry plus the retention window.
* ``outbox``: records Kafka did not acknowledge, re-sent first on the next pass (never dropped).

All methods run on one thread (the runner's event loop); each write is its own short transaction.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from newsmon.core.record import ArticleRecord, ArticleSource, decode_record, encode_record

__all__ = ["FeedState", "StateStore", "state_file"]

_CHUNK = 500
_SCHEMA = """
CREATE TABLE IF NOT EXISTS feeds (feed_id TEXT PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS seen (id TEXT PRIMARY KEY, sources TEXT NOT NULL, first_seen REAL, last_seen REAL);
CREATE INDEX IF NOT EXISTS seen_last_seen ON seen(last_seen);
CREATE TABLE IF NOT EXISTS outbox (id TEXT PRIMARY KEY, payload BLOB NOT NULL, queued_at REAL NOT NULL);
"""


@dataclass
class FeedState:
    """What newsmon remembers about one feed between polls (times are Unix seconds)."""

    feed_id: str
    url: str = ""
    moved_to: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    content_hash: str | None = None
    validators_unreliable: bool = False
    polls_since_revalidation: int = 0
    last_parsed_at: float | None = None
    next_poll_at: float = 0.0
    interval_s: float | None = None
    failures: int = 0
    parked_reason: str | None = None
    last_success_at: float | None = None
    last_error: str | None = None
    last_error_at: float | None = None
    last_status: int | None = None
    items_per_day: float | None = None
    observed_per_day: float | None = None
    recent_dates: list[float] = field(default_factory=list)
    feed_hint_s: float | None = None  # longest of the feed's own <ttl> / sy:updatePeriod
    new_items_total: int = 0
    polls: int = 0
    format: str | None = None
    problems: list[str] = field(default_factory=list)

    @classmethod
    def from_json(cls, text: str) -> FeedState:
        data = json.loads(text)
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)


def state_file(state_dir: Path, topic: str) -> Path:
    """The state database for ``topic``: what was published to one topic says nothing about another."""
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", topic) or "default"
    return state_dir / f"{safe}.sqlite3"


def _chunks(items: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


class StateStore:
    """SQLite-backed feed state, seen-set and outbox."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(path, timeout=30.0)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        self._db.close()

    # feeds -------------------------------------------------------------------------------------------
    def load_feeds(self) -> dict[str, FeedState]:
        rows = self._db.execute("SELECT data FROM feeds").fetchall()
        states = (FeedState.from_json(data) for (data,) in rows)
        return {s.feed_id: s for s in states}

    def save_feeds(self, states: Iterable[FeedState]) -> None:
        with self._db:
            self._db.executemany(
                "INSERT OR REPLACE INTO feeds (feed_id, data) VALUES (?, ?)",
                [(s.feed_id, s.to_json()) for s in states],
            )

    # seen --------------------------------------------------------------------------------------------
    def seen_sources(self, ids: Iterable[str]) -> dict[str, list[ArticleSource]]:
        """For each already-published id among ``ids``: the sources it was published with."""
        found: dict[str, list[ArticleSource]] = {}
        for chunk in _chunks(list(ids)):
            marks = ",".join("?" * len(chunk))
            for ident, sources in self._db.execute(
                f"SELECT id, sources FROM seen WHERE id IN ({marks})", chunk
            ):
                found[ident] = [ArticleSource.model_validate(s) for s in json.loads(sources)]
        return found

    def mark_published(self, records: Iterable[ArticleRecord], now: float) -> None:
        rows = [(r.id, json.dumps([s.model_dump() for s in r.sources]), now, now) for r in records]
        with self._db:
            self._db.executemany(
                "INSERT INTO seen (id, sources, first_seen, last_seen) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(id) DO UPDATE SET sources = excluded.sources, last_seen = excluded.last_seen",
                rows,
            )
            self._db.executemany("DELETE FROM outbox WHERE id = ?", [(row[0],) for row in rows])

    def touch(self, ids: Iterable[str], now: float) -> None:
        """Record that these articles are still carried by a feed (keeps them from being pruned)."""
        with self._db:
            self._db.executemany("UPDATE seen SET last_seen = ? WHERE id = ?", [(now, i) for i in ids])

    def prune(self, older_than: float, max_rows: int = 5_000_000) -> int:
        """Forget articles not seen since ``older_than``, and the oldest beyond ``max_rows``."""
        with self._db:
            removed = self._db.execute("DELETE FROM seen WHERE last_seen < ?", (older_than,)).rowcount
            excess = self.seen_count() - max_rows
            if excess > 0:
                removed += self._db.execute(
                    "DELETE FROM seen WHERE id IN (SELECT id FROM seen ORDER BY last_seen LIMIT ?)", (excess,)
                ).rowcount
        return int(removed)

    def seen_count(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM seen").fetchone()[0])

    # outbox ------------------------------------------------------------------------------------------
    def outbox_add(self, records: Iterable[ArticleRecord], now: float) -> None:
        with self._db:
            self._db.executemany(
                "INSERT OR REPLACE INTO outbox (id, payload, queued_at) VALUES (?, ?, ?)",
                [(r.id, encode_record(r), now) for r in records],
            )

    def outbox_records(self, limit: int) -> list[ArticleRecord]:
        rows = self._db.execute("SELECT payload FROM outbox ORDER BY queued_at LIMIT ?", (limit,))
        return [decode_record(payload) for (payload,) in rows]

    def outbox_remove(self, ids: Iterable[str]) -> None:
        with self._db:
            self._db.executemany("DELETE FROM outbox WHERE id = ?", [(i,) for i in ids])

    def outbox_count(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0])
