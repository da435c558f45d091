"""Seed article served as RSS over HTTP -> connector -> Kafka -> Beam on Prism -> Elasticsearch."""

from __future__ import annotations

import functools
import http.server
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from elasticsearch import Elasticsearch

from connectors.runner import poll_once
from newsmon.core.settings import Settings
from tests.integration.pipeline.helpers import eventually

pytestmark = [pytest.mark.integration, pytest.mark.e2e]

FIXTURES = Path(__file__).resolve().parents[2] / "config" / "fixtures" / "feeds"
SEED_TITLE = "Belarus’ Prisoner Release a Political Diversion, Say Human Rights Activists"
INDEXING_BOUND_S = 60.0


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def feed_server() -> Iterator[str]:
    """A real HTTP server on 127.0.0.1 serving the bundled feed fixtures."""
    handler = functools.partial(_QuietHandler, directory=str(FIXTURES))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_seed_article_is_searchable_with_tags_within_bound(
    test_settings: Settings, streaming_job: Any, feed_server: str, tmp_path: Path
) -> None:
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text(
        "version: 1\nfeeds:\n"
        "  - id: e2e-rights-monitor\n"
        "    name: Belarus Rights Monitor (e2e)\n"
        f"    url: {feed_server}/belarus-rights-monitor.rss.xml\n"
        "    allow_private_networks: true\n",
        encoding="utf-8",
    )
    streaming_job(test_settings)
    started = time.monotonic()
    report = poll_once(test_settings, feeds, state_dir=tmp_path / "state")
    assert [f.ok for f in report.feeds] == [True], report.feeds
    assert report.published, "the connector published nothing"

    es = Elasticsearch(**test_settings.elasticsearch.client_kwargs())
    index = test_settings.elasticsearch.index
    query = {
        "bool": {
            "filter": [
                {"term": {"tags": "belarus"}},
                {"term": {"tags": "human_rights"}},
                {"match_phrase": {"title": "Prisoner Release a Political Diversion"}},
            ]
        }
    }

    def seed_found() -> list[dict[str, Any]]:
        es.indices.refresh(index=index)
        return list(es.search(index=index, query=query)["hits"]["hits"])

    hits = eventually(
        seed_found, INDEXING_BOUND_S, "the seed article to be searchable as belarus + human_rights"
    )
    elapsed = time.monotonic() - started
    doc = hits[0]["_source"]
    assert doc["title"] == SEED_TITLE
    assert {"belarus", "human_rights", "political_prisoners", "torture", "press_freedom"} <= set(doc["tags"])
    names = set(doc["entity_names"])
    expected = {
        "Alexander Lukashenko",
        "Ales Bialiatski",
        "Viasna",
        "Belarusian Association of Journalists",
        "Amnesty International",
        "Minsk",
    }
    assert expected <= names, names
    assert doc["url"].startswith("https://belarus-rights-monitor.example/") and "utm_" not in doc["url"]
    assert doc["sources"][0]["feed_id"] == "e2e-rights-monitor"
    evidence = [e for detail in doc["tag_details"] for e in detail["evidence"]]
    assert evidence and all(e["text"] for e in evidence)
    assert elapsed < INDEXING_BOUND_S
    # Every published article of the feed ends up indexed (nothing lost between Kafka and ES).
    eventually(
        lambda: es.count(index=index)["count"] == len(report.published),
        30,
        f"all {len(report.published)} published articles to be indexed",
    )
    es.close()
