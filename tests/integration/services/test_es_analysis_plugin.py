"""The newsmon analysis plugin on a real local Elasticsearch: its own node (temporary state dir, free
ports) started by ``LocalServices`` exactly as ``newsmon services up`` does, purged at the end.

The plugin zip is cached in ``services.cache_dir``, so only the first run on a machine (or after a
change of its sources) builds it (about 6 s with Maven's downloads); the node starts in about 15 s.
Also checks ``polish_newsmon``, the index-defined Polish analyzer made of the plugin's token filters.
"""

from __future__ import annotations

import json
import socket
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from newsmon.core.es_index import setup_articles_index
from newsmon.core.es_schema import index_analysis, write_alias
from newsmon.core.settings import load_settings
from newsmon.search.query import build_request
from newsmon.services import LocalServices
from newsmon.services.es_plugin import ANALYZERS, PLUGIN_NAME

pytestmark = pytest.mark.integration


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServices]:
    settings = load_settings().services.model_copy(
        update={
            "state_dir": tmp_path_factory.mktemp("es-analysis") / "state",
            "elasticsearch_port": _free_port(),
            "elasticsearch_transport_port": _free_port(),
            "elasticsearch_analysis_plugin": True,
        }
    )
    lines: list[str] = []
    services = LocalServices(settings, progress=lines.append)
    started = time.monotonic()
    try:
        services.up(components=("elasticsearch",))
        print(f"\nnode with the analysis plugin up in {time.monotonic() - started:.1f}s: {lines}")
        yield services
    finally:
        services.down(components=("elasticsearch",), purge=True)


def _es(node: LocalServices, path: str, body: Any = None, method: str = "POST") -> Any:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        f"{node.elasticsearch_url}{path}",
        data=data,
        method=method,
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as exc:
        raise AssertionError(f"{method} {path}: HTTP {exc.code}: {exc.read().decode()[:500]}") from exc


def _tokens(node: LocalServices, analyzer: str, text: str) -> list[str]:
    answer = _es(node, "/_analyze", {"analyzer": analyzer, "text": text})
    tokens = [t["token"] for t in answer["tokens"]]
    print(f"{analyzer}: {text!r} -> {tokens}")
    return tokens


def test_plugin_is_loaded_from_the_nodes_own_home(node: LocalServices) -> None:
    plugins = _es(node, "/_nodes/_local/plugins?filter_path=nodes.*.plugins.name", method="GET")
    names = [p["name"] for n in plugins["nodes"].values() for p in n["plugins"]]
    assert names == [PLUGIN_NAME]
    es = node.elasticsearch
    assert (es.es_home / "plugins" / PLUGIN_NAME).is_dir()
    assert not (Path(es.dist_dir) / "plugins" / PLUGIN_NAME).exists()  # shared distribution untouched


def test_russian_folds_yo_and_stems(node: LocalServices) -> None:
    tokens = _tokens(node, "russian", "политзаключённых политзаключенный Политзаключенные и")
    assert tokens == ["политзаключен"] * 3  # Snowball 2 folds ё itself; "и" is a stop word


def test_english(node: LocalServices) -> None:
    assert _tokens(node, "english", "the detainees detainee") == ["detaine", "detaine"]


def test_german(node: LocalServices) -> None:
    assert _tokens(node, "german", "die Häftlinge Häftling") == ["haftling", "haftling"]


def test_polish(node: LocalServices) -> None:
    tokens = _tokens(node, "polish", "więźniów więźniowie i zatrzymanych")
    assert tokens == ["więzień", "więzień", "zatrzymać"]


def test_ukrainian_lemmas_from_the_plugins_own_dictionary(node: LocalServices) -> None:
    tokens = _tokens(node, "ukrainian", "політв'язнів політв’язні та затриманих")
    assert tokens == ["політв'язень", "політв'язень", "затриманий"]


def test_belarusian_drops_stop_words_without_stemming(node: LocalServices) -> None:
    assert _tokens(node, "belarusian", "Палітвязні ў Беларусі і ўсё гэта") == ["палітвязні", "беларусі"]


def test_every_analyzer_serves_a_mapping(node: LocalServices) -> None:
    index = f"it-analysis-{uuid.uuid4().hex[:8]}"
    fields = {name: {"type": "text", "analyzer": name} for name in ANALYZERS}
    _es(node, f"/{index}", {"mappings": {"properties": fields}}, method="PUT")
    try:
        doc = {"russian": "Освобождение политзаключённых", "ukrainian": "звільнення політв’язнів"}
        _es(node, f"/{index}/_doc/1?refresh=true", doc, method="PUT")
        for field, query in (("russian", "политзаключенный"), ("ukrainian", "політв'язень")):
            hits = _es(node, f"/{index}/_search", {"query": {"match": {field: query}}})
            assert hits["hits"]["total"]["value"] == 1, (field, query)
    finally:
        _es(node, f"/{index}", method="DELETE")


# -- polish_newsmon: the index-defined Polish analyzer and the plugin's token filters (ADR 0008) --


@pytest.fixture(scope="module")
def analysis_index(node: LocalServices) -> Iterator[str]:
    """An index with the articles index's analysis settings (``belarusian``, ``polish_newsmon``)."""
    index = f"it-pl-{uuid.uuid4().hex[:8]}"
    _es(node, f"/{index}", {"settings": {"analysis": index_analysis()}}, method="PUT")
    yield index
    _es(node, f"/{index}", method="DELETE")


def _index_tokens(node: LocalServices, index: str, analyzer: str, text: str) -> list[str]:
    answer = _es(node, f"/{index}/_analyze", {"analyzer": analyzer, "text": text})
    tokens = [t["token"] for t in answer["tokens"]]
    print(f"{index} {analyzer}: {text!r} -> {tokens}")
    return tokens


def test_polish_newsmon_keeps_stempel_stems(node: LocalServices, analysis_index: str) -> None:
    text = "Zwolnienie politycznych więźniów i zatrzymanych dziennikarzy w Grodnie"
    assert _index_tokens(node, analysis_index, "polish_newsmon", "politycznych więźniów") == [
        "polityczny",
        "więzień",
    ]
    stempel = _tokens(node, "polish", text)
    assert stempel[-1] == "ć"  # "Grodnie": Stempel's one-letter stems hit some Polish words, too
    assert _index_tokens(node, analysis_index, "polish_newsmon", text) == stempel[:-1]


def test_polish_newsmon_drops_the_one_letter_stems_of_unknown_words(
    node: LocalServices, analysis_index: str
) -> None:
    names = "Takei Hague HRW Delcy"
    assert _tokens(node, "polish", names) == ["ć"] * 4  # the bug: every one of them becomes "ć"
    assert _index_tokens(node, analysis_index, "polish_newsmon", names) == []
    mixed = _index_tokens(node, analysis_index, "polish_newsmon", "Takei w 5 UE więźniów")
    assert mixed == ["ue", "więzień"]  # no 1-character terms at all; two-letter ones stay


def test_token_filters_take_analysis_common_and_stempel_settings(node: LocalServices) -> None:
    def chain(filters: list[Any], text: str) -> list[str]:
        answer = _es(node, "/_analyze", {"tokenizer": "standard", "filter": filters, "text": text})
        return [t["token"] for t in answer["tokens"]]

    assert chain([{"type": "length", "min": 3, "max": 4}], "a ab abc abcd abcde") == ["abc", "abcd"]
    assert chain(["length"], "a ab") == ["a", "ab"]  # defaults: 0 .. Integer.MAX_VALUE
    assert chain(["lowercase", "polish_stop"], "Oraz Takei") == ["takei"]  # Lucene's Polish stop words
    custom = {"type": "polish_stop", "stopwords": ["takei"]}
    assert chain(["lowercase", custom], "oraz Takei") == ["oraz"]
    assert chain(["lowercase", {"type": "polish_stop", "stopwords": "_none_"}], "oraz") == ["oraz"]
    assert chain(["lowercase", "polish_stem"], "więźniów") == ["więzień"]
    with pytest.raises(AssertionError, match="remove_trailing"):  # refused, not silently ignored
        chain([{"type": "polish_stop", "remove_trailing": False}], "oraz")


def test_a_name_query_over_search_fields_does_not_match_unrelated_unknown_words(
    node: LocalServices,
) -> None:
    from elasticsearch import Elasticsearch

    settings = load_settings().elasticsearch.model_copy(
        update={"url": node.elasticsearch_url, "index": f"it-search-{uuid.uuid4().hex[:8]}"}
    )
    setup_articles_index(settings)
    client = Elasticsearch(**settings.client_kwargs())
    try:
        articles = {
            "takei": "George Takei spoke in New York.",
            "hague": "Judges in The Hague ruled on the HRW complaint.",
        }
        for doc_id, text in articles.items():
            doc = {"id": doc_id, "title": text, "summary": text, "content": text}
            client.index(index=write_alias(settings.index), id=doc_id, document=doc, refresh=True)
        for name, expected in (("Takei", {"takei"}), ("Hague", {"hague"}), ("HRW", {"hague"})):
            hits = client.search(index=settings.index, query=build_request(name, limit=10)["query"])
            assert {h["_id"] for h in hits["hits"]["hits"]} == expected, name
    finally:
        client.options(ignore_status=404).indices.delete(index=f"{settings.index}-v*")
        client.options(ignore_status=404).indices.delete_index_template(name=settings.index)
        client.close()
