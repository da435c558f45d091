"""The Quick start's run command, as a user runs it: `newsmon run` on the demo feeds.

Real Kafka, Elasticsearch and Prism; a unique topic, index and connector state per test run so it
does not see (or disturb) a developer's own data.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from elasticsearch import Elasticsearch

from newsmon.core.settings import Settings

pytestmark = [pytest.mark.integration, pytest.mark.e2e]

SEED_TITLE = "Belarus’ Prisoner Release a Political Diversion, Say Human Rights Activists"


def test_newsmon_run_prints_the_seed_article_tagged(local_services: Settings, tmp_path: Path) -> None:
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
