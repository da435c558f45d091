from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import apache_beam as beam
import pytest
from apache_beam.testing.test_pipeline import TestPipeline

from newsmon.core.settings import AlertsSettings, ElasticsearchSettings
from pipeline.alerts.matcher import alert_id, match_document
from pipeline.alerts.subscriptions import SubscriptionError, load_subscriptions
from pipeline.alerts.transform import DispatchAlerts
from tests.unit.pipeline.fakes import FakeElasticsearch, message

DOC = {
    "id": "a" * 32,
    "title": "Viasna: new arrests in Minsk",
    "summary": "Human rights defenders report detentions.",
    "content": "",
    "url": "https://example.org/a",
    "language": "en",
    "tags": ["belarus", "human_rights", "arbitrary_detention"],
    "entities": [{"id": "org:viasna", "name": "Viasna", "type": "organization", "mentions": 1}],
    "relevance": 0.9,
}


def write_subs(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "subs.yaml"
    path.write_text(body, encoding="utf-8")
    return path


def test_matching_rules_and_reasons(tmp_path: Path) -> None:
    subs = load_subscriptions(
        write_subs(
            tmp_path,
            """
subscriptions:
  - id: detention
    match: {tags_all: [belarus], tags_any: [arbitrary_detention, torture]}
  - id: keyword
    match: {keywords: ["NEW ARRESTS"], languages: [en]}
  - id: entity
    match: {entities_any: [viasna]}
  - id: russian-only
    match: {tags_any: [belarus], languages: [ru]}
  - id: too-relevant
    match: {tags_any: [belarus], min_relevance: 0.95}
  - id: disabled
    enabled: false
    match: {tags_any: [belarus]}
""",
        )
    ).subscriptions
    matches = {m.subscription_id: m.reasons for m in match_document(subs, DOC)}
    assert set(matches) == {"detention", "keyword", "entity"}
    assert matches["detention"] == ("tags belarus", "tag arbitrary_detention")
    assert matches["keyword"] == ("keyword NEW ARRESTS",)
    assert matches["entity"] == ("entity Viasna",)


@pytest.mark.parametrize(
    ("body", "message_part"),
    [
        ("subscriptions:\n  - id: x\n    match: {}\n", "subscription 'x': match"),
        (
            "subscriptions:\n  - id: x\n    match: {tags_any: [a]}\n    notify: [{type: pager}]\n",
            "unknown notifier",
        ),
        (
            "subscriptions:\n  - id: x\n    match: {tags_any: [a]}\n    notify: [{type: webhook}]\n",
            "notify[0] (webhook): url",
        ),
        (
            "subscriptions:\n  - id: x\n    match: {tags_any: [a]}\n  - id: x\n    match: {tags_any: [b]}\n",
            "duplicate",
        ),
    ],
)
def test_bad_subscriptions_name_the_entry(tmp_path: Path, body: str, message_part: str) -> None:
    path = write_subs(tmp_path, body)
    with pytest.raises(SubscriptionError) as err:
        load_subscriptions(path)
    assert str(path) in str(err.value) and message_part in str(err.value)


def test_project_subscriptions_file_is_valid() -> None:
    assert load_subscriptions(AlertsSettings().subscriptions_path).subscriptions


def test_dispatch_notifies_once_per_subscription_and_article(tmp_path: Path) -> None:
    out = tmp_path / "alerts.jsonl"
    subs = write_subs(
        tmp_path,
        f"subscriptions:\n  - id: detention\n    match: {{tags_any: [arbitrary_detention]}}\n"
        f"    notify: [{{type: file, path: '{out}'}}]\n",
    )
    FakeElasticsearch.alerts = {}
    settings = AlertsSettings(subscriptions_path=subs)
    pairs: list[tuple[Any, dict[str, Any]]] = [(message(0), DOC), (message(1), DOC)]  # a replay
    with TestPipeline() as p:
        _ = (
            p
            | beam.Create(pairs)
            | DispatchAlerts(settings, ElasticsearchSettings(), es_factory=FakeElasticsearch)
        )
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(lines) == 1
    assert lines[0]["alert_id"] == alert_id("detention", DOC["id"])
    assert lines[0]["article"]["entities"] == ["Viasna"]
    stored = FakeElasticsearch.alerts[alert_id("detention", DOC["id"])]
    assert stored["deliveries"] == [{"type": "file", "ok": True}]
