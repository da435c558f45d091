"""API keys: random tokens of which only a SHA-256 hash is stored, in the Elasticsearch index
``settings.api.keys_index`` (one document per key, id = the key's public id).

A key reads ``nmk_<key id>_<secret>``: the key id (16 hex characters) is public and finds the stored
document; the secret is 32 random bytes (base64url). The whole token is hashed with SHA-256 (a
random 256-bit secret needs no slow hash) and compared in constant time. A key belongs to one owner
and sees that owner's subscriptions, alerts and deliveries only. The admin key is not stored: it is
the value of the environment variable ``settings.api.admin_key_env`` (:class:`AdminKey`).

Used by the API (authentication, ``/api/v1/keys``) and by ``newsmon api keys`` at the console.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import re
import secrets
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from newsmon.core.es_index import IndexSpec, SetupReport, setup_index
from newsmon.core.es_schema import write_alias
from newsmon.core.settings import ElasticsearchSettings

__all__ = [
    "KEYS_MAPPING",
    "KEYS_MAPPING_VERSION",
    "KEY_ID_PATTERN",
    "MIN_ADMIN_KEY_CHARS",
    "OWNER_PATTERN",
    "AdminKey",
    "ApiKey",
    "KeyNotFound",
    "KeyStore",
    "hash_token",
    "new_token",
    "parse_token",
]

logger = logging.getLogger(__name__)

KEYS_MAPPING_VERSION = 1
KEYS_MAPPING: dict[str, Any] = {
    "dynamic": "strict",
    "_meta": {"mapping_version": KEYS_MAPPING_VERSION, "owner": "newsmon"},
    "properties": {
        "key_id": {"type": "keyword"},
        "owner": {"type": "keyword"},
        "name": {"type": "keyword", "ignore_above": 256},
        "hash": {"type": "keyword", "index": False, "doc_values": False},
        "created_at": {"type": "date"},
        "last_used_at": {"type": "date"},
    },
}

KEY_ID_PATTERN = r"^[0-9a-f]{16}$"
OWNER_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.@+-]{0,99}$"
MIN_ADMIN_KEY_CHARS = 24
_PREFIX = "nmk"
_TOKEN = re.compile(r"^nmk_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$")
_LAST_USED_EVERY = timedelta(seconds=60)  # last_used_at is written at most once a minute per key


def new_token() -> tuple[str, str]:
    """A fresh ``(key_id, token)``."""
    key_id = secrets.token_hex(8)
    secret = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("=")
    return key_id, f"{_PREFIX}_{key_id}_{secret}"


def parse_token(token: str) -> str | None:
    """The key id of a well-formed token, else None."""
    match = _TOKEN.match(token)
    return match.group(1) if match else None


def hash_token(token: str) -> str:
    """What is stored instead of the token: its SHA-256, hex."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class ApiKey(BaseModel):
    """A stored key as listed (never with its hash or token): who it belongs to, its name, when it
    was created and last used."""

    model_config = ConfigDict(frozen=True)

    key_id: str = Field(pattern=KEY_ID_PATTERN)
    owner: str
    name: str
    created_at: datetime
    last_used_at: datetime | None = None


class KeyNotFound(KeyError):
    """No key has this id (or it was revoked)."""


class AdminKey:
    """The admin key, from the environment variable ``env_name`` (never stored, never logged: only its
    hash is kept in memory). ``configured`` is False when the variable is unset or empty; then no
    request is an admin request."""

    def __init__(self, env_name: str, environ: Mapping[str, str]) -> None:
        value = environ.get(env_name, "")
        self.env_name = env_name
        self.configured = bool(value)
        self.too_short = 0 < len(value) < MIN_ADMIN_KEY_CHARS
        self._digest = hash_token(value) if value else None

    def matches(self, token: str) -> bool:
        if self._digest is None:
            return False
        return hmac.compare_digest(hash_token(token), self._digest)

    def __repr__(self) -> str:
        return f"AdminKey(env_name={self.env_name!r}, configured={self.configured})"


class KeyStore:
    """The keys index (see the module docstring). ``client`` is an ``elasticsearch.Elasticsearch``."""

    def __init__(
        self,
        client: Any,
        index: str = "newsmon-api-keys",
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._es = client
        self.index = index
        self._now = now

    def setup(
        self, settings: ElasticsearchSettings, progress: Callable[[str], None] | None = None
    ) -> SetupReport:
        """Create or upgrade the index (idempotent)."""
        spec = IndexSpec(self.index, KEYS_MAPPING, KEYS_MAPPING_VERSION, rollover=False)
        if progress is None:
            return setup_index(settings, spec, self._es)
        return setup_index(settings, spec, self._es, progress)

    @staticmethod
    def _key(source: dict[str, Any]) -> ApiKey:
        return ApiKey.model_validate({k: v for k, v in source.items() if k != "hash"})

    def create(self, owner: str, name: str) -> tuple[ApiKey, str]:
        """Store a new key for ``owner``; returns it and its token (the only time the token exists)."""
        if not re.match(OWNER_PATTERN, owner):
            raise ValueError(f"owner {owner!r}: letters, digits and _ . @ + - (at most 100 characters)")
        name = name.strip()
        if not 1 <= len(name) <= 200:
            raise ValueError("a key needs a name of 1 to 200 characters (what it is for)")
        key_id, token = new_token()
        key = ApiKey(key_id=key_id, owner=owner, name=name, created_at=self._now())
        document = {**key.model_dump(mode="json", exclude_none=True), "hash": hash_token(token)}
        self._es.create(index=write_alias(self.index), id=key_id, document=document, refresh="wait_for")
        return key, token

    def _get_source(self, key_id: str) -> tuple[dict[str, Any], str]:
        from elasticsearch import NotFoundError

        if not re.match(KEY_ID_PATTERN, key_id):
            raise KeyNotFound(key_id)
        try:
            hit = self._es.get(index=self.index, id=key_id)
        except NotFoundError as exc:
            raise KeyNotFound(key_id) from exc
        return dict(hit["_source"]), str(hit["_index"])

    def get(self, key_id: str) -> ApiKey:
        """The key ``key_id``; raises :class:`KeyNotFound`."""
        return self._key(self._get_source(key_id)[0])

    def list(
        self, owner: str | None = None, limit: int = 100, after: list[Any] | None = None
    ) -> tuple[list[ApiKey], list[Any] | None]:
        """Keys (of ``owner`` when given), newest first: one page of at most ``limit`` and the sort
        values to pass as ``after`` for the next page (None on the last page)."""
        from elasticsearch import NotFoundError

        query: dict[str, Any] = {"term": {"owner": owner}} if owner is not None else {"match_all": {}}
        kwargs: dict[str, Any] = {"search_after": after} if after else {}
        try:
            body = self._es.search(
                index=self.index,
                query=query,
                size=limit,
                sort=[{"created_at": {"order": "desc"}}, {"key_id": {"order": "asc"}}],
                source_excludes=["hash"],
                track_total_hits=False,
                **kwargs,
            )
        except NotFoundError:
            return [], None
        hits = body["hits"]["hits"]
        keys = [self._key(h["_source"]) for h in hits]
        return keys, (list(hits[-1]["sort"]) if len(hits) == limit else None)

    def revoke(self, key_id: str) -> ApiKey:
        """Delete the key ``key_id`` (it stops working at once); raises :class:`KeyNotFound`."""
        from elasticsearch import NotFoundError

        source, index = self._get_source(key_id)
        try:
            self._es.delete(index=index, id=key_id, refresh="wait_for")
        except NotFoundError as exc:
            raise KeyNotFound(key_id) from exc
        return self._key(source)

    def authenticate(self, token: str) -> ApiKey | None:
        """The key ``token`` belongs to, or None (malformed, unknown, revoked or a wrong secret)."""
        key_id = parse_token(token)
        if key_id is None:
            return None
        try:
            source, index = self._get_source(key_id)
        except KeyNotFound:
            return None
        stored = str(source.get("hash") or "")
        if not hmac.compare_digest(hash_token(token), stored):
            return None
        key = self._key(source)
        now = self._now()
        if key.last_used_at is None or now - key.last_used_at >= _LAST_USED_EVERY:
            self._touch(index, key_id, now)
            key = key.model_copy(update={"last_used_at": now})
        return key

    def _touch(self, index: str, key_id: str, now: datetime) -> None:
        from elasticsearch import ApiError, TransportError

        try:
            self._es.update(index=index, id=key_id, doc={"last_used_at": now.isoformat()})
        except (ApiError, TransportError) as exc:  # bookkeeping only: never fails a request
            logger.debug("could not record the use of key %s: %s", key_id, type(exc).__name__)
