"""Feed registry: YAML schema, errors naming file/entry/field, local paths, OPML import."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.feedlist import FeedListError, load_feed_list, parse_duration
from connectors.opml import import_opml, read_opml


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "feeds.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_feed_list_applies_defaults_and_resolves_local_paths(tmp_path: Path) -> None:
    (tmp_path / "fixtures").mkdir()
    path = _write(
        tmp_path,
        "version: 1\n"
        "defaults: {min_interval: 15m, max_interval: 2h, tags: [default]}\n"
        "feeds:\n"
        "  - {id: web, url: 'https://example.org/rss', language: ru, max_interval: 1d}\n"
        "  - {id: local, path: fixtures/a.xml}\n"
        "  - {id: local2, url: 'file:fixtures/b.xml', enabled: false}\n",
    )

    feeds = load_feed_list(path)

    web, local, local2 = feeds.feeds
    assert (web.min_interval, web.max_interval, web.tags, web.language) == (900, 86400, ["default"], "ru")
    assert local.local_path == (tmp_path / "fixtures" / "a.xml").resolve()
    assert local2.local_path == (tmp_path / "fixtures" / "b.xml").resolve()
    assert [f.id for f in feeds.enabled()] == ["web", "local"]


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (
            "{id: a, url: 'ftp://x/feed'}",
            "feeds[0] (id 'a'): field <entry>: Value error, url must be http(s)",
        ),
        ("{id: a, url: 'https://x/', min_interval: 2h, max_interval: 1h}", "min_interval (7200s) exceeds"),
        ("{id: 'bad id!', url: 'https://x/'}", "field id: String should match pattern"),
        ("{id: a, url: 'https://x/', min_interval: soon}", "field min_interval: Value error, not a duration"),
        ("{id: a, url: 'https://x/', colour: red}", "field colour: Extra inputs are not permitted"),
        ("{id: a, url: 'https://x/', connector: atom9}", "unknown connector 'atom9'"),
        ("just-a-string", "feeds[0]: expected a mapping"),
    ],
)
def test_invalid_entries_are_named_with_file_entry_and_field(
    tmp_path: Path, entry: str, message: str
) -> None:
    path = _write(tmp_path, f"feeds:\n  - {entry}\n")

    with pytest.raises(FeedListError) as error:
        load_feed_list(path)

    assert str(error.value).startswith(str(path)) and message in str(error.value)


def test_duplicate_ids_and_urls_are_rejected(tmp_path: Path) -> None:
    dup_id = _write(tmp_path, "feeds:\n  - {id: a, url: 'https://x/1'}\n  - {id: a, url: 'https://x/2'}\n")
    with pytest.raises(
        FeedListError, match=r"feeds\[1\] \(id 'a'\): duplicate id 'a', already used by feeds\[0\]"
    ):
        load_feed_list(dup_id)
    dup_url = _write(tmp_path, "feeds:\n  - {id: a, url: 'https://x/1'}\n  - {id: b, url: 'https://x/1'}\n")
    with pytest.raises(FeedListError, match="duplicate url"):
        load_feed_list(dup_url)


def test_durations() -> None:
    assert [parse_duration(v) for v in (30, "90s", "10m", "6h", "1d", "1.5h")] == [
        30,
        90,
        600,
        21600,
        86400,
        5400,
    ]
    with pytest.raises(ValueError):
        parse_duration("ten minutes")


def test_shipped_feed_lists_are_valid(project_root: Path) -> None:
    demo = load_feed_list(project_root / "config/feeds.demo.yaml")
    real = load_feed_list(project_root / "config/feeds.yaml")
    assert all(f.local_path and f.local_path.is_file() for f in demo.feeds)
    assert len(real.feeds) >= 20 and all(f.url.startswith("https://") for f in real.feeds)


OPML = b"""<?xml version="1.0"?>
<opml version="2.0"><head><title>Subscriptions</title></head><body>
  <outline text="Belarus">
    <outline text="Nasha Niva" type="rss" xmlUrl="https://nashaniva.com/rss" language="be"/>
    <outline text="Zerkalo" type="rss" xmlUrl="https://news.zerkalo.io/rss/all.rss"/>
  </outline>
  <outline text="UN News" type="rss" xmlUrl="https://news.un.org/feed/subscribe/en/news/all/rss.xml"/>
</body></opml>"""


def test_opml_import_appends_new_feeds_and_keeps_comments(tmp_path: Path) -> None:
    opml = tmp_path / "subs.opml"
    opml.write_bytes(OPML)
    feeds = _write(
        tmp_path,
        "# my feeds\nversion: 1\nfeeds:\n  - id: zerkalo\n    url: https://news.zerkalo.io/rss/all.rss\n",
    )

    result = import_opml(opml, feeds)
    again = import_opml(opml, feeds)

    assert result.added == ["nasha-niva", "un-news"] and result.already_present == 1
    assert again.added == [] and again.already_present == 3
    loaded = load_feed_list(feeds)
    assert feeds.read_text().startswith("# my feeds")
    nasha = next(f for f in loaded.feeds if f.id == "nasha-niva")
    assert (nasha.tags, nasha.language, nasha.name) == (["belarus"], "be", "Nasha Niva")


def test_opml_import_creates_a_missing_list_and_refuses_entities(tmp_path: Path) -> None:
    opml = tmp_path / "subs.opml"
    opml.write_bytes(OPML)
    target = tmp_path / "new.yaml"

    assert len(import_opml(opml, target).added) == 3
    assert len(load_feed_list(target).feeds) == 3
    bomb = b'<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY a "aaaa">]><opml><body/></opml>'
    with pytest.raises(FeedListError, match="not a readable OPML"):
        read_opml(bomb)


def test_shards_split_a_feed_list_by_feed_id_without_overlap() -> None:
    from connectors.feedlist import FeedList, FeedSpec, shard_of

    feeds = FeedList(feeds=[FeedSpec(id=f"feed-{i}", url=f"https://example.org/{i}.xml") for i in range(400)])
    shards = [feeds.shard(i, 4) for i in range(4)]
    ids = [f.id for shard in shards for f in shard.feeds]
    assert sorted(ids) == sorted(f.id for f in feeds.feeds)  # each feed in exactly one shard
    assert all(60 < len(shard.feeds) < 140 for shard in shards)  # roughly even
    assert shard_of("feed-7", 4) == shard_of("feed-7", 4)  # stable across processes (not hash())
    with pytest.raises(ValueError, match="need 0 <= index < count"):
        feeds.shard(4, 4)


def test_shard_option_parses_and_refuses_nonsense(capsys: pytest.CaptureFixture[str]) -> None:
    from newsmon.cli.main import build_parser

    assert build_parser().parse_args(["connectors", "run", "--shard", "1/3"]).shard == (1, 3)
    for bad in ("3/3", "x/2", "1"):
        with pytest.raises(SystemExit):
            build_parser().parse_args(["connectors", "run", "--shard", bad])
    assert "expected I/N" in capsys.readouterr().err
