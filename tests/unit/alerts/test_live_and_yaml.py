"""LiveSubscriptions reloads (fake store, simple analyzer) and the YAML import/export format."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from alerts.compile import QueryCompiler
from alerts.document import AnalyzedDocument
from alerts.live import LiveSubscriptions
from alerts.model import Filters, Subscription, SubscriptionSpec
from alerts.yaml_io import SubscriptionFileError, dump_subscriptions, load_subscription_file


class _Lowercase:
    """Analyzer stand-in: lower-cased whitespace tokens (enough for matching logic)."""

    def analyze(self, analyzer: str, text: str) -> list[tuple[str, int]]:
        return [(t.lower(), i) for i, t in enumerate(text.split())]


class _FakeStore:
    def __init__(self) -> None:
        self.subs: dict[str, Subscription] = {}
        self.fetched: list[str] = []

    def put(self, sub_id: str, query: str, version: int = 1, **extra: object) -> None:
        now = datetime.now(UTC)
        self.subs[sub_id] = Subscription(
            name=sub_id,
            query=query,
            id=sub_id,
            owner="o",
            version=version,
            created_at=now,
            updated_at=now,
            **extra,
        )

    def versions(self) -> dict[str, int]:
        return {i: s.version for i, s in self.subs.items()}

    def get_many(self, ids: list[str]) -> list[Subscription]:
        self.fetched.extend(ids)
        return [self.subs[i] for i in ids if i in self.subs]


def _doc(text: str) -> AnalyzedDocument:
    terms = {t.lower(): (i,) for i, t in enumerate(text.split())}
    return AnalyzedDocument("d", {"title": terms, "content": terms})


def test_reload_adds_changes_removes_and_only_fetches_what_changed() -> None:
    store = _FakeStore()
    clock = [0.0]
    live = LiveSubscriptions(store, QueryCompiler(_Lowercase()), interval_s=5.0, clock=lambda: clock[0])  # type: ignore[arg-type]
    store.put("a", "minsk")
    store.put("b", "vienna")
    report = live.refresh()
    assert sorted(report.added) == ["a", "b"] and len(live) == 2
    doc = _doc("news from minsk")
    assert [s.id for s in live.match(doc, {"tags": []})] == ["a"]

    store.put("a", "vienna", version=2)
    store.put("c", "minsk")
    clock[0] = 4.0
    assert not live.refresh(), "checked again before the interval"
    clock[0] = 5.0
    store.fetched.clear()
    report = live.refresh()
    assert report.changed == ["a"] and report.added == ["c"] and sorted(store.fetched) == ["a", "c"]
    assert [s.id for s in live.match(doc, {})] == ["c"]

    del store.subs["c"]
    store.put("b", "vienna", version=2, enabled=False)
    report = live.refresh(force=True)
    assert report.removed == ["c"] and report.changed == ["b"]
    assert [s.id for s in live.match(_doc("vienna talks"), {})] == ["a"]
    assert not live.refresh(force=True), "nothing changed"


def test_filters_apply_after_the_query() -> None:
    store = _FakeStore()
    store.put("ru", "minsk", filters=Filters(languages=["ru"]))
    live = LiveSubscriptions(store, QueryCompiler(_Lowercase()))  # type: ignore[arg-type]
    live.refresh()
    assert live.match(_doc("minsk"), {"language": "en"}) == []
    assert [s.id for s in live.match(_doc("minsk"), {"language": "ru"})] == ["ru"]


def test_a_query_that_no_longer_compiles_is_skipped(caplog: pytest.LogCaptureFixture) -> None:
    store = _FakeStore()
    store.put("bad", "nosuchfield:x")
    store.put("good", "minsk")
    live = LiveSubscriptions(store, QueryCompiler(_Lowercase()))  # type: ignore[arg-type]
    report = live.refresh()
    assert report.invalid == ["bad"] and len(live) == 1
    assert "subscription bad skipped" in caplog.text


def test_yaml_round_trip(tmp_path: Path) -> None:
    now = datetime.now(UTC)
    sub = Subscription(
        **SubscriptionSpec(name="Bialiatski", query='"Ales Bialiatski"', mode="daily").model_dump(),
        id="b-1",
        owner="ngo",
        created_at=now,
        updated_at=now,
    )
    path = tmp_path / "subs.yaml"
    path.write_text(dump_subscriptions([sub]), encoding="utf-8")
    entry = load_subscription_file(path).subscriptions[0]
    assert (entry.id, entry.owner, entry.spec()) == ("b-1", "ngo", sub.spec())


def test_project_subscriptions_file_is_valid() -> None:
    path = Path(__file__).resolve().parents[3] / "config" / "subscriptions.yaml"
    assert len(load_subscription_file(path).subscriptions) >= 3


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("version: 2\nsubscriptions: [{id: x, name: X, query: 'a AND'}]\n", "subscription 'x': query"),
        ("version: 2\nsubscriptions: [{name: N, query: q, channels: [{url: 'zz://'}]}]\n", "channels[0]"),
        (
            "version: 2\nsubscriptions: [{id: x, name: X, query: q}, {id: x, name: Y, query: q}]\n",
            "duplicate",
        ),
        (
            "version: 2\nsubscriptions: [{id: x, name: X, query: q, filters: {min_relevance: 3}}]\n",
            "min_relevance",
        ),
        ("version: 2\nsubscriptions: [{id: x, name: X}]\n", "subscription 'x': query"),
    ],
)
def test_yaml_errors_name_entry_and_field(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "subs.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SubscriptionFileError) as err:
        load_subscription_file(path)
    assert expected in str(err.value) and str(path) in str(err.value)
