"""The language fields the matching step derives from the ``standard`` fields (alerts.derived) equal
what Elasticsearch indexed, field by field, term by term, position by position, on real articles in
all six languages and on text made to be awkward, each text as an article of every language (real
node, real analyzers)."""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from elasticsearch import Elasticsearch, helpers

from alerts.derived import DocumentReader, TokenAnalyses
from alerts.document import fetch_documents
from connectors.records import build_records
from connectors.registry import choose_connector
from newsmon.core.es_index import setup_articles_index
from newsmon.core.es_schema import LANGUAGE_ANALYZERS, upgrade_document, write_alias
from newsmon.core.record import ArticleSource

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[3]

AWKWARD = [
    # Ukrainian apostrophes of every kind; the acute and grave accents the ukrainian analyzer's
    # character filter turns into apostrophes before tokenizing (fetched, not derived)
    "Об´єкт, об`єкт, об'єкт, об’єкт, обʼєкт і політв‘язні; м´ята ґанок Ґудзь",
    # the same accents where they join nothing (derived, not fetched)
    "`код` ´цитата´ ` ´ 1´ ´2 політв'язні",
    # stress marks and soft hyphens inside and at the edges of words
    "Украї\u0301на \u0301наголос полі\u00adтична в'язни\u00ad",
    # possessives, dotted acronyms, numbers, hyphens, e-mail, URL, Turkish dotted I, German sharp s
    "Lukashenko's U.S.-backed 3.14 covid-19 a.b@c.org https://x.example/a?b=c İstanbul Straße GROẞE",
    # superscripts, fractions and circled numbers are not tokens; text-style emoji
    "CO₂ 10² ½ ❶ ↩︎ ✴︎ ♭",
    # supplementary-plane characters (UTF-16 surrogate pairs shift Java's offsets), emoji, CJK
    "𝐁𝐞𝐥𝐚𝐫𝐮𝐬 👩‍⚖️ 政治犯 𠀋 Минск 🇧🇾 Białoruś",
    # stop words only, in several languages; one-letter Polish stems; a 300-letter word
    "the and of и в на і та w z und der ў ды " + "a" * 300,
]


def _feed_texts(path: Path, limit: int) -> list[tuple[str, str]]:
    body = path.read_bytes()
    try:
        parsed = choose_connector(body, "").parse(
            body, url="https://c.example/f", content_type="", max_items=limit
        )
    except Exception:  # an unparseable corpus file is not this test's subject
        return []
    source = ArticleSource(feed_id="t", name="T", domain="t.example")
    records, _, _ = build_records(parsed.entries, source, fetched_at=datetime.now(UTC), language=None)
    return [(r.title, r.text) for r in records]


def _texts(shared: Path | None) -> list[tuple[str, str]]:
    texts: list[tuple[str, str]] = []
    for path in sorted((ROOT / "tests" / "data" / "tagging" / "dev").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            item = json.loads(line)
            texts.append((item["title"], item["text"]))
    texts += [(t[:40], t) for t in AWKWARD]
    if shared is not None:
        feeds = shared / "corpora" / "feeds"
        texts += _feed_texts(feeds / "tutby-all-2019-12-30.rss", 60)
        for path in sorted((feeds / "real-world-200").iterdir())[:60]:
            texts += _feed_texts(path, 3)
    return texts


def _documents(shared: Path | None) -> dict[str, dict[str, Any]]:
    """Each text as an article of every language (its language fields filled as the pipeline does)."""
    return {
        f"d{n}-{lang}": upgrade_document(
            {"title": title, "summary": text[:200], "content": text, "tags": ["x"], "language": lang}
        )
        for n, (title, text) in enumerate(_texts(shared))
        for lang in LANGUAGE_ANALYZERS
    }


def _index(client: Elasticsearch, index: str, docs: dict[str, dict[str, Any]]) -> None:
    actions = ({"_index": write_alias(index), "_id": i, "_source": d} for i, d in docs.items())
    helpers.bulk(client, actions, chunk_size=500)


@pytest.fixture
def shared_or_none() -> Path | None:
    shared = ROOT.parent / "shared"
    return shared if shared.is_dir() else None


def test_derived_fields_equal_indexed_fields(es_settings: Any, shared_or_none: Path | None) -> None:
    setup_articles_index(es_settings)
    client = Elasticsearch(**es_settings.client_kwargs())
    docs = _documents(shared_or_none)
    _index(client, es_settings.index, docs)
    reader = DocumentReader(client, es_settings.index)
    ids = list(docs)
    mismatches: list[str] = []
    for start in range(0, len(ids), 100):
        batch = ids[start : start + 100]
        exact = {d.id: d.fields for d in fetch_documents(client, es_settings.index, batch, docs)}
        derived = {d.id: d.fields for d in reader.fetch(batch, docs)}
        assert derived.keys() == exact.keys()
        for doc_id, fields in exact.items():
            for name in sorted(fields.keys() | derived[doc_id].keys()):
                want, got = fields.get(name), derived[doc_id].get(name)
                if want != got:
                    diff = {
                        t
                        for t in (want or {}).keys() | (got or {}).keys()
                        if (want or {}).get(t) != (got or {}).get(t)
                    }
                    mismatches.append(f"{doc_id} {name}: {sorted(diff)[:5]}")
    assert not mismatches, f"{len(mismatches)} fields differ, e.g. {mismatches[:10]}"
    # the cache is what makes it cheap: a second read of the same articles (the first 100: dev-set
    # texts, plain text) analyses nothing new and takes one request
    size, before = len(reader.analyses), reader.requests
    reader.fetch(ids[:100], docs)
    assert len(reader.analyses) == size
    assert reader.requests - before == 1
    client.close()


def test_token_cache_forgets_the_older_half_when_full(es_settings: Any) -> None:
    setup_articles_index(es_settings)
    client = Elasticsearch(**es_settings.client_kwargs())
    analyses = TokenAnalyses(client, es_settings.index, max_tokens=10)
    analyses.ensure([f"w{n}" for n in range(8)])
    analyses.ensure([f"v{n}" for n in range(4)])
    assert len(analyses) == 8  # 8 + 4 > 10: the older 4 of 8 went, then 4 came
    kept = []
    for n in range(8):
        with contextlib.suppress(KeyError):
            kept.append(analyses.get(f"w{n}"))
    assert len(kept) == 4
    for n in range(4):
        assert analyses.get(f"v{n}") == ((f"v{n}",),) * len(analyses.languages)  # no KeyError
    client.close()


def test_a_token_that_cannot_be_derived_makes_its_articles_language_fields_fetched(es_settings: Any) -> None:
    setup_articles_index(es_settings)
    client = Elasticsearch(**es_settings.client_kwargs())
    docs = {
        "a": upgrade_document(
            {
                "title": "Detainees in Minsk",
                "content": "Journalists were detained in Minsk.",
                "language": "be",
            }
        ),
        "b": upgrade_document(
            {"title": "Another story", "content": "Nothing about the city.", "language": "en"}
        ),
    }
    _index(client, es_settings.index, docs)
    reader = DocumentReader(client, es_settings.index)
    reader.analyses._terms["minsk"] = None  # as if its analysis came back split differently
    derived = {d.id: d.fields for d in reader.fetch(["a", "b"], docs)}
    exact = {d.id: d.fields for d in fetch_documents(client, es_settings.index, ["a", "b"], docs)}
    assert derived == exact
    assert reader.fetched_fields == 4  # article a: its 2 text fields x its 2 languages (be, ru); b derived
    client.close()
