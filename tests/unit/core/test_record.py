from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from newsmon.core.record import ArticleRecord, ArticleSource, RecordError, decode_record, encode_record
from newsmon.core.urls import article_id

URL = "https://example.org/belarus/prisoners?utm_source=rss"


def make(**overrides: object) -> ArticleRecord:
    fields: dict[str, object] = {
        "id": article_id(URL),
        "url": URL,
        "title": "Belarus frees prisoners",
        "summary": "Rights groups sceptical.",
        "published_at": datetime(2025, 10, 15, 8, 0, tzinfo=UTC),
        "fetched_at": datetime(2025, 10, 15, 9, 0, tzinfo=UTC),
        "sources": [ArticleSource(feed_id="demo", name="Demo", domain="example.org")],
    }
    fields.update(overrides)
    return ArticleRecord.model_validate(fields)


def test_round_trip() -> None:
    record = make()
    assert decode_record(encode_record(record)) == record
    assert record.url == "https://example.org/belarus/prisoners"


def test_id_must_match_url() -> None:
    with pytest.raises(ValueError, match="does not match"):
        make(id="0" * 32)


def test_naive_timestamps_rejected() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        make(published_at=datetime(2025, 10, 15, 8, 0))


def test_empty_text_rejected() -> None:
    with pytest.raises(ValueError, match="no text"):
        make(title="", summary="", content="")


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"\xff\xfe not json", "not JSON"),
        (b"[1, 2]", "JSON object"),
        (b'{"schema_version": 99}', "unsupported schema_version"),
        (b'{"schema_version": 1, "id": "x"}', "invalid article record"),
    ],
)
def test_decode_errors_are_readable(raw: bytes, reason: str) -> None:
    with pytest.raises(RecordError, match=reason):
        decode_record(raw)


def test_decode_names_the_bad_field() -> None:
    data = json.loads(encode_record(make()))
    data["published_at"] = "not a date"
    with pytest.raises(RecordError, match="published_at"):
        decode_record(json.dumps(data))


def test_merged_with_unions_sources() -> None:
    a = make()
    b = make(sources=[ArticleSource(feed_id="other", name="Other")])
    merged = a.merged_with(b)
    assert [s.feed_id for s in merged.sources] == ["demo", "other"]
    assert a.merged_with(a) is a


def test_an_escaped_lone_surrogate_is_refused_as_before() -> None:
    """orjson (the fast path) refuses the JSON; the stdlib reads it, so the reason stays the one the
    record had before orjson: the field that cannot hold it."""
    raw = encode_record(make()).replace(b"Belarus frees prisoners", b"Belarus \\ud800 frees")
    with pytest.raises(RecordError, match="invalid article record: title"):
        decode_record(raw)
