"""SSRF refusal, hostile XML and broken charsets, end to end: local server -> connectors -> real Kafka."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from newsmon.core.settings import Settings
from tests.integration.connectors.feedtest import FeedServer, Reply, item, read_topic, rss, run, write_feeds

pytestmark = pytest.mark.integration

MakeSettings = Callable[..., Settings]
RSS_TYPE = {"Content-Type": "application/rss+xml"}


def test_private_addresses_are_refused_unless_allowed(
    feed_server: FeedServer, make_settings: MakeSettings, tmp_path: Path
) -> None:
    feed_server.routes["/feed"] = Reply(200, rss(item(1)), RSS_TYPE)
    feeds = write_feeds(
        tmp_path / "feeds.yaml",
        {"id": "loopback-ip", "url": feed_server.url("/feed?ip"), "allow_private_networks": False},
        {
            "id": "loopback-name",
            "url": feed_server.url("/feed", host="localhost"),
            "allow_private_networks": False,
        },
        {"id": "allowed", "url": feed_server.url("/feed"), "allow_private_networks": True},
    )

    report = run(make_settings(), feeds, tmp_path / "state")

    outcomes = {f.feed_id: f for f in report.feeds}
    for refused in ("loopback-ip", "loopback-name"):
        assert not outcomes[refused].ok
        assert "refused" in (outcomes[refused].error or "") and "non-public address" in (
            outcomes[refused].error or ""
        )
        assert outcomes[refused].parked  # a refused URL will not become safe by retrying soon
    assert outcomes["allowed"].ok and outcomes["allowed"].new_items == 1
    assert len(feed_server.hits("/feed")) == 1  # refused feeds never reached the server


def test_every_redirect_hop_is_checked_again(
    feed_server: FeedServer, make_settings: MakeSettings, tmp_path: Path
) -> None:
    feed_server.routes["/feed"] = Reply(200, rss(item(1)), RSS_TYPE)
    feed_server.routes["/to-localhost"] = Reply(
        302, headers={"Location": feed_server.url("/feed", host="localhost")}
    )
    feed_server.routes["/to-file"] = Reply(302, headers={"Location": "file:///etc/passwd"})
    settings = make_settings(trusted_private_hosts=["127.0.0.1"])  # trusted by name, like a local RSS-Bridge
    feeds = write_feeds(
        tmp_path / "feeds.yaml",
        {"id": "trusted", "url": feed_server.url("/feed"), "allow_private_networks": False},
        {"id": "hop-private", "url": feed_server.url("/to-localhost"), "allow_private_networks": False},
        {"id": "hop-file", "url": feed_server.url("/to-file"), "allow_private_networks": False},
    )

    report = run(settings, feeds, tmp_path / "state")

    outcomes = {f.feed_id: f for f in report.feeds}
    assert outcomes["trusted"].ok
    assert "localhost resolves to a non-public address" in (outcomes["hop-private"].error or "")
    assert "only absolute http(s) URLs" in (outcomes["hop-file"].error or "")
    assert len(feed_server.hits("/feed")) == 1


def _laughs(levels: int = 10) -> str:
    lines = ['<!ENTITY lol0 "lol">']
    lines += [f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, levels)]
    return "\n".join(lines)


def test_billion_laughs_and_external_entities_are_not_expanded(
    feed_server: FeedServer, make_settings: MakeSettings, tmp_path: Path
) -> None:
    safe = "<item><title>Safe item</title><link>https://news.example/safe</link><description>ok</description></item>"
    laughs = (
        f'<?xml version="1.0"?>\n<!DOCTYPE rss [\n{_laughs()}\n]>\n'
        f'<rss version="2.0"><channel><title>&lol9;</title><link>https://news.example/</link>{safe}</channel></rss>'
    )
    xxe = (
        f'<?xml version="1.0"?>\n<!DOCTYPE rss [<!ENTITY secret SYSTEM "{feed_server.url("/secret")}">]>'
        f'<rss version="2.0"><channel><title>t</title><item><title>Leak &secret;</title>'
        f"<link>https://news.example/xxe</link></item></channel></rss>"
    )
    feed_server.routes["/laughs"] = Reply(200, laughs.encode(), RSS_TYPE)
    feed_server.routes["/xxe"] = Reply(200, xxe.encode(), RSS_TYPE)
    feed_server.routes["/secret"] = Reply(200, b"TOP-SECRET")
    settings = make_settings()
    feeds = write_feeds(
        tmp_path / "feeds.yaml",
        {"id": "laughs", "url": feed_server.url("/laughs")},
        {"id": "xxe", "url": feed_server.url("/xxe")},
    )
    started = time.monotonic()

    report = run(settings, feeds, tmp_path / "state")

    assert time.monotonic() - started < 10
    for outcome in report.feeds:
        assert outcome.ok and outcome.new_items == 1
        assert any("entity declaration" in p for p in outcome.problems), outcome.problems
    assert not feed_server.hits("/secret")
    records = read_topic(settings, expect=2)
    assert {r.title for r in records} == {"Safe item", "Leak &secret;"}  # left unexpanded
    assert all("lollol" not in r.title and "TOP-SECRET" not in r.title for r in records)


RU_TITLE = "Правозащитники сообщают о новых задержаниях журналистов в Минске"
RU_TEXT = (
    'В Гродно и Гомеле задержаны журналисты независимых изданий. Правозащитный центр "Весна" '
    "сообщает об обысках и изъятии техники; задержанным грозит до шести лет лишения свободы. "
) * 3


def _cyrillic_feed(encoding: str, declared: str | None) -> bytes:
    head = f'<?xml version="1.0" encoding="{declared}"?>' if declared else '<?xml version="1.0"?>'
    doc = (
        f'{head}<rss version="2.0"><channel><title>Новости</title><link>https://by.example/</link>'
        f"<item><title>{RU_TITLE}</title><link>https://by.example/{encoding}/{declared}</link>"
        f"<description>{RU_TEXT}</description></item></channel></rss>"
    )
    return doc.encode(encoding)


def test_wrong_and_undeclared_charsets_are_repaired(
    feed_server: FeedServer, make_settings: MakeSettings, tmp_path: Path
) -> None:
    feed_server.routes["/cp1251-undeclared"] = Reply(
        200, _cyrillic_feed("cp1251", None), {"Content-Type": "text/xml"}
    )
    feed_server.routes["/koi8-declared-latin"] = Reply(
        200, _cyrillic_feed("koi8_r", "windows-1252"), RSS_TYPE
    )
    feed_server.routes["/koi8-http-utf8"] = Reply(
        200, _cyrillic_feed("koi8_r", None), {"Content-Type": "application/rss+xml; charset=utf-8"}
    )
    feed_server.routes["/cp1251-correct"] = Reply(200, _cyrillic_feed("cp1251", "windows-1251"), RSS_TYPE)
    settings = make_settings()
    feeds = write_feeds(
        tmp_path / "feeds.yaml",
        *({"id": path.strip("/"), "url": feed_server.url(path)} for path in feed_server.routes),
    )

    report = run(settings, feeds, tmp_path / "state")

    outcomes = {f.feed_id: f for f in report.feeds}
    assert all(f.ok and f.new_items == 1 for f in outcomes.values()), outcomes
    for broken in ("cp1251-undeclared", "koi8-declared-latin", "koi8-http-utf8"):
        assert any("charset" in p for p in outcomes[broken].problems), outcomes[broken].problems
    assert not any("charset" in p for p in outcomes["cp1251-correct"].problems)
    records = read_topic(settings, expect=4)
    assert [r.title for r in records] == [RU_TITLE] * 4
    assert all(r.summary.startswith("В Гродно и Гомеле") for r in records)
