"""API keys (tokens, hashes, the admin key, the store's authentication against a fake client) and the
API's pure helpers: channel URL masking, cursors, If-Match, query error positions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from elastic_transport import ApiResponseMeta, HttpHeaders
from elasticsearch import NotFoundError

from alerts.model import Channel, Subscription
from newsmon.api.app import _if_match
from newsmon.api.errors import query_error_position
from newsmon.api.keys import AdminKey, KeyStore, hash_token, new_token, parse_token
from newsmon.api.models import (
    SubscriptionOut,
    SubscriptionReplace,
    decode_cursor,
    encode_cursor,
    public_channel_url,
)


def test_tokens_have_a_public_id_and_a_random_secret() -> None:
    key_id, token = new_token()
    assert token.startswith(f"nmk_{key_id}_") and len(token) == 4 + 16 + 1 + 43
    assert parse_token(token) == key_id
    assert new_token()[1] != token
    for bad in (
        "",
        "nmk_",
        token[:-1],
        token + "x",
        token.replace("nmk_", "xyz_"),
        f"nmk_{'G' * 16}_{'a' * 43}",
    ):
        assert parse_token(bad) is None, bad
    assert hash_token(token) != token and len(hash_token(token)) == 64


def test_admin_key_from_the_environment() -> None:
    admin = AdminKey("ADMIN", {"ADMIN": "x" * 32})
    assert admin.configured and not admin.too_short
    assert admin.matches("x" * 32) and not admin.matches("x" * 31) and not admin.matches("")
    assert "xxxx" not in repr(admin)
    unset = AdminKey("ADMIN", {})
    assert not unset.configured and not unset.matches("") and not unset.matches("anything")
    assert AdminKey("ADMIN", {"ADMIN": "short"}).too_short


def _not_found() -> NotFoundError:
    meta = ApiResponseMeta(status=404, http_version="1.1", headers=HttpHeaders(), duration=0.0, node=None)  # type: ignore[arg-type]
    return NotFoundError("not found", meta=meta, body={})


class FakeKeysEs:
    """Just enough of the Elasticsearch client for KeyStore: documents by id."""

    def __init__(self) -> None:
        self.docs: dict[str, dict[str, Any]] = {}
        self.updates = 0

    def create(self, index: str, id: str, document: dict[str, Any], refresh: str) -> None:
        self.docs[id] = dict(document)

    def get(self, index: str, id: str) -> dict[str, Any]:
        if id not in self.docs:
            raise _not_found()
        return {"_index": "keys-v1-000001", "_source": dict(self.docs[id])}

    def update(self, index: str, id: str, doc: dict[str, Any]) -> None:
        self.updates += 1
        self.docs[id].update(doc)

    def delete(self, index: str, id: str, refresh: str) -> None:
        del self.docs[id]


def test_key_store_keeps_only_a_hash_and_authenticates() -> None:
    es = FakeKeysEs()
    clock = [datetime(2026, 11, 30, 12, tzinfo=UTC)]
    store = KeyStore(es, "keys", now=lambda: clock[0])
    key, token = store.create("alice", " laptop ")
    assert key.owner == "alice" and key.name == "laptop"
    assert token not in str(es.docs) and es.docs[key.key_id]["hash"] == hash_token(token)
    assert store.authenticate(token) == key.model_copy(update={"last_used_at": clock[0]})
    assert es.updates == 1
    clock[0] += timedelta(seconds=30)
    assert store.authenticate(token) is not None and es.updates == 1  # last use written once a minute
    clock[0] += timedelta(seconds=31)
    assert store.authenticate(token) is not None and es.updates == 2
    wrong_secret = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert store.authenticate(wrong_secret) is None
    assert store.authenticate("nmk_" + "0" * 16 + "_" + "A" * 43) is None
    assert store.authenticate("not a key") is None
    store.revoke(key.key_id)
    assert store.authenticate(token) is None
    with pytest.raises(ValueError, match="owner"):
        store.create("bad owner", "x")
    with pytest.raises(ValueError, match="name"):
        store.create("alice", "  ")


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://hooks.example.org/", "https://hooks.example.org"),
        ("https://hooks.slack.com/services/T000/B000/XXXX", "https://hooks.slack.com/***"),
        ("https://user:pw@hooks.example.org:8443/h?sig=1", "https://user:***@hooks.example.org:8443/***?***"),
        ("mailtos://me:hunter2@smtp.example.org?to=a@b.org", "mailtos://me:***@smtp.example.org?***"),
        ("mailto://me@example.org", "mailto://me@example.org"),
        ("tgram://123456:SECRET/987", "tgram://***"),
        ("discord://webhook_id/webhook_token", "discord://***"),
        ("ntfy://topic", "ntfy://***"),
        ("http://[::1]:8080/x", "http://[::1]:8080/***"),
        ("not a url", "***"),
    ],
)
def test_channel_urls_are_masked(url: str, shown: str) -> None:
    assert public_channel_url(url) == shown


def test_subscription_out_masks_channels_and_replace_carries_a_version() -> None:
    now = datetime(2026, 11, 30, tzinfo=UTC)
    sub = Subscription(
        id="s-1",
        owner="alice",
        name="s",
        query="minsk",
        channels=[Channel(url="tgram://123:SECRET/9", secret_env="X_SECRET")],
        created_at=now,
        updated_at=now,
        version=3,
    )
    out = SubscriptionOut.of(sub)
    assert out.channels[0].url == "tgram://***" and out.channels[0].secret_env == "X_SECRET"
    assert "SECRET/" not in out.model_dump_json() and out.version == 3
    replace = SubscriptionReplace(name="s", query="minsk", version=3)
    assert replace.spec().model_dump() == SubscriptionReplace(name="s", query="minsk").spec().model_dump()


def test_cursors_round_trip_and_refuse_anything_else() -> None:
    values = [1732960000000, "alert-1"]
    cursor = encode_cursor(values)
    assert cursor is not None and decode_cursor(cursor) == values
    assert encode_cursor(None) is None and encode_cursor([]) is None and decode_cursor(None) is None
    for bad in ("!!", "e30", encode_cursor([{"a": 1}]), encode_cursor([1, 2, 3, 4]), encode_cursor([True])):
        with pytest.raises(ValueError):
            decode_cursor(bad)


def test_if_match_values() -> None:
    assert _if_match("*") is None
    assert _if_match('"3"') == {3}
    assert _if_match('W/"3", "4"') == {3, 4}
    assert _if_match("7") == {7}
    assert _if_match('"abc"') == set()
    assert _if_match('"' + "9" * 40 + '"') == set()


def test_query_error_positions() -> None:
    assert query_error_position("fuzzy is not supported at position 4: 'a~2'", "x") == 4
    assert query_error_position("unexpected end of expression at the end!", "minsk AND") == 9
    assert query_error_position("unknown field 'x'", "x:1") is None
