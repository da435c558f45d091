"""The labelled dev set meets the tagging targets (see docs/TAGGING.md)."""

from __future__ import annotations

from collections import Counter

from pipeline.tagging import Enricher
from pipeline.tagging.evaluate import DEV_SET, check_targets, evaluate, load_items


def test_dev_set_size_and_languages() -> None:
    items = load_items([DEV_SET])
    assert len(items) >= 150
    assert len({item["id"] for item in items}) == len(items)
    per = Counter(
        (i["language"], i.get("script", "Latn" if i["language"] not in {"ru", "uk", "be"} else "Cyrl"))
        for i in items
    )
    for key in [
        ("en", "Latn"),
        ("ru", "Cyrl"),
        ("be", "Cyrl"),
        ("be", "Latn"),
        ("uk", "Cyrl"),
        ("pl", "Latn"),
        ("de", "Latn"),
    ]:
        assert per[key] >= 10, key
    negatives = [i for i in items if not i["tags"]]
    assert len(negatives) >= 40
    for item in items:
        themes = set(item["tags"]) - {"belarus", "human_rights"}
        assert not themes or "human_rights" in item["tags"], item["id"]


def test_dev_set_meets_targets(enricher: Enricher) -> None:
    result = evaluate(enricher, load_items([DEV_SET]))
    assert check_targets(result) == []
