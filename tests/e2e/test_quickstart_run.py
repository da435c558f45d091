"""The Quick start's run command, as a user runs it: `newsmon run` on the demo feeds.

Real Kafka, Elasticsearch and Prism; a unique topic, index and connector state per test run so it
does not see (or disturb) a developer's own data.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from elasticsearch import Elasticsearch

from newsmon.core.settings import Settings

pytestmark = [pytest.mark.integration, pytest.mark.e2e]

SEED_TITLE = "Belarus’ Prisoner Release a Political Diversion, Say Human Rights Activists"


@pytest.fixture
def quickstart_env(local_services: Settings, tmp_path: Path) -> Iterator[dict[str, str]]:
    """``newsmon run``'s environment with this test's own topics, group and indices, all deleted
    afterwards."""
    suffix = uuid.uuid4().hex[:8]
    env = {
        **os.environ,
        "NEWSMON_KAFKA__ARTICLES_TOPIC": f"quickstart.articles.{suffix}",
        "NEWSMON_KAFKA__DEAD_LETTER_TOPIC": f"quickstart.dlq.{suffix}",
        "NEWSMON_KAFKA__CONSUMER_GROUP": f"quickstart-{suffix}",
        "NEWSMON_ELASTICSEARCH__INDEX": f"quickstart-articles-{suffix}",
        "NEWSMON_ALERTS__INDEX": f"quickstart-alerts-{suffix}",
        "NEWSMON_ALERTS__SUBSCRIPTIONS_INDEX": f"quickstart-subs-{suffix}",
        "NEWSMON_ALERTS__DELIVERIES_INDEX": f"quickstart-deliveries-{suffix}",
        "NEWSMON_ALERTS__TOPIC": f"quickstart.alerts.{suffix}",
        "NEWSMON_ALERTS__DEAD_LETTER_TOPIC": f"quickstart.alerts.dlq.{suffix}",
        "NEWSMON_CONNECTORS__STATE_DIR": str(tmp_path / "connectors"),
    }
    yield env
    with Elasticsearch(local_services.elasticsearch.url) as es:
        quiet = es.options(ignore_status=(400, 404))
        for name, value in env.items():
            if name.startswith("NEWSMON_") and name.endswith("_INDEX") and value.startswith("quickstart"):
                quiet.indices.delete(index=f"{value}*", expand_wildcards="all")
                for template in (value, f"{value}-messages"):
                    quiet.indices.delete_index_template(name=template)
    from kafka.admin import KafkaAdminClient

    admin = KafkaAdminClient(**local_services.kafka.client_kwargs())
    try:
        ours = [v for n, v in env.items() if n.startswith("NEWSMON_") and n.endswith("TOPIC")]
        topics = [t for t in ours if suffix in t]
        with contextlib.suppress(Exception):
            admin.delete_topics([t for t in topics if t in set(admin.list_topics())])
    finally:
        admin.close()


def test_newsmon_run_prints_the_seed_article_tagged(
    local_services: Settings, tmp_path: Path, quickstart_env: dict[str, str]
) -> None:
    env = quickstart_env
    newsmon = Path(sys.executable).with_name("newsmon")
    proc = subprocess.run(
        [str(newsmon), "run", "--timeout", "120"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    out = proc.stdout
    lines = out.splitlines()
    assert f"* {SEED_TITLE}" in lines, out
    tags_line = lines[lines.index(f"* {SEED_TITLE}") + 1]
    assert tags_line.startswith("  tags: "), out
    tags = set(tags_line.removeprefix("  tags: ").split(", "))
    assert {"belarus", "human_rights", "political_prisoners", "torture", "press_freedom"} <= tags, tags_line
    assert "_search?q=tags:political_prisoners" in out
    assert "indexed" in proc.stderr and "feed demo-belarus-rights-monitor: ok" in proc.stderr
    # The subscriptions of config/subscriptions.yaml were imported into the store and matched.
    assert "imported 3 subscription(s)" in proc.stderr, proc.stderr[-3000:]
    with Elasticsearch(local_services.elasticsearch.url) as es:
        es.indices.refresh(index=env["NEWSMON_ALERTS__INDEX"])
        wanted = {"term": {"subscription_id": "belarus-political-prisoners"}}
        hits = es.search(index=env["NEWSMON_ALERTS__INDEX"], query=wanted)["hits"]["hits"]
    assert SEED_TITLE in [h["_source"]["title"] for h in hits]
    assert "alert(s) raised for these articles" in out
    # The "done when": the same words in other forms find them, with highlights.
    for query, title, marked in (
        ("политзаключенный", "за решёткой более 1100 политзаключённых", "»политзаключённых«"),
        ("detainee", SEED_TITLE, "»detainees«"),
    ):
        found = subprocess.run(
            [str(newsmon), "search", query], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
        )
        assert found.returncode == 0, found.stderr
        assert title in found.stdout and marked in found.stdout, found.stdout

    # Issue 9's "done when": a subscription added from the CLI lists the seed article, and a new
    # matching article published afterwards reaches its webhook once (pipeline + notifier run by
    # `newsmon run` on a feed that carries it; a second run publishes nothing new and sends nothing).
    hook = _Receiver()
    try:
        added = subprocess.run(
            [
                str(newsmon),
                "subscriptions",
                "add",
                "--name",
                "t",
                "--query",
                "Bialiatski AND tags:belarus",
                "--channel",
                hook.url,
            ],
            cwd=tmp_path,
            env={**env, "NEWSMON_WEBHOOK_SECRET": "quickstart-secret"},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert added.returncode == 0, added.stderr
        sub_id = added.stdout.strip()
        tested = subprocess.run(
            [str(newsmon), "subscriptions", "test", sub_id],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
        )
        assert tested.returncode == 0 and f"* {SEED_TITLE}" in tested.stdout, tested.stdout + tested.stderr
        feeds = _new_article_feed(tmp_path)
        for _ in range(2):
            again = subprocess.run(
                [str(newsmon), "run", "--feeds", str(feeds), "--timeout", "120"],
                cwd=tmp_path,
                env={**env, "NEWSMON_WEBHOOK_SECRET": "quickstart-secret"},
                capture_output=True,
                text=True,
                timeout=600,
            )
            assert again.returncode == 0, again.stderr[-4000:]
        calls = hook.calls
        titles = [json.loads(body)["article"]["title"] for _, body in calls]
        assert titles == [NEW_TITLE], f"webhook calls: {titles}"
        headers = calls[0][0]
        expected = hmac.new(b"quickstart-secret", calls[0][1], hashlib.sha256).hexdigest()
        assert headers["X-Newsmon-Signature"] == f"sha256={expected}" and headers["Idempotency-Key"]
    finally:
        hook.close()


NEW_TITLE = "Court in Minsk extends the sentence of Ales Bialiatski"


def _new_article_feed(tmp_path: Path) -> Path:
    """A local RSS feed with one new article matching 'Bialiatski AND tags:belarus', and its list."""
    rss = tmp_path / "new.rss.xml"
    rss.write_text(
        f"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Quickstart follow-up</title><link>https://follow-up.example/</link>
<description>follow-up</description>
<item><title>{NEW_TITLE}</title><link>https://follow-up.example/2026/bialiatski-sentence</link>
<pubDate>Mon, 30 Nov 2026 06:00:00 GMT</pubDate>
<description>A court in Minsk, Belarus, extended the prison sentence of Ales Bialiatski, the jailed
founder of the Viasna human rights centre, human rights defenders said.</description></item>
</channel></rss>
""",
        encoding="utf-8",
    )
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text(
        "version: 1\nfeeds:\n"
        "  - id: follow-up\n    name: Follow-up\n    path: new.rss.xml\n    language: en\n",
        encoding="utf-8",
    )
    return feeds


class _Receiver:
    """A webhook receiver on loopback recording (headers, body) of each call."""

    def __init__(self) -> None:
        calls: list[tuple[dict[str, str], bytes]] = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                calls.append((dict(self.headers.items()), body))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                return

        self.calls = calls
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/hook"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self._server.shutdown()
