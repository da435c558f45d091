"""The labelled real-text loader: label mapping, the fixed dev/held-out split, and the shared corpora."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from pipeline.tagging import Enricher
from pipeline.tagging.realtext import (
    ACLED,
    DEV,
    HELD_OUT,
    HRDSATTACK,
    Half,
    RealItem,
    html_paragraphs,
    load_realtext,
    render_realtext,
    score_realtext,
    split_half,
)


def _hrds_record(
    event_id: int,
    violations: list[str],
    victims: list[list[str]],
    country: str = "",
    perpetrator: str = "state actor",
    keywords: str = "",
) -> dict[str, object]:
    return {
        "sample": {
            "Input.GLOBALEVENTID": event_id,
            "Input.title": f"Title {event_id}",
            "Input.article_interface": "<p>First &amp; one.</p> <p>Second <b>two</b>.</p>",
        },
        "merged_sample": {
            "violation_types": violations,
            "country": country,
            "perpetrator_type": perpetrator,
            "victims": [{"victim_type": v, "victim_keywords": keywords} for v in victims],
        },
    }


def _write_shared(root: Path) -> None:
    hrds = root / "corpora" / "labelled" / "hrdsattack"
    hrds.mkdir(parents=True)
    train = [
        _hrds_record(1, ["torture", "killing"], [["journalist"]]),
        _hrds_record(
            2,
            ["enforced disappearance"],
            [["human rights defender", "trade unionist"]],
            "Belarus",
            keywords="lawyer",
        ),
        _hrds_record(3, ["other"], [["insufficient information"]]),
        _hrds_record(
            5, ["kidnapping", "torture"], [["insufficient information"]], perpetrator="other non-state actors"
        ),
        _hrds_record(6, ["arbitrary detention"], [["human rights defender"]], keywords="senator, arrested"),
    ]
    (hrds / "train.json").write_text(json.dumps(train), encoding="utf-8")
    (hrds / "dev.json").write_text(json.dumps([_hrds_record(4, ["unknown"], [])]), encoding="utf-8")
    acled = root / "corpora" / "labelled" / "acled-russia"
    acled.mkdir(parents=True)
    with (acled / "acled_war_gov_MT.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["event_id_cnty", "sub_event_type", "notes"])
        writer.writeheader()
        writer.writerow(
            {"event_id_cnty": "RUS1", "sub_event_type": "Peaceful protest", "notes": "People gathered."}
        )
        writer.writerow(
            {
                "event_id_cnty": "RUS2",
                "sub_event_type": "Protest with intervention",
                "notes": "Police detained 3.",
            }
        )
        writer.writerow(
            {
                "event_id_cnty": "RUS3",
                "sub_event_type": "Excessive force against protesters",
                "notes": "Beaten.",
            }
        )


def test_split_is_a_fixed_function_of_corpus_and_id() -> None:
    assert split_half(HRDSATTACK, "873189810") == split_half(HRDSATTACK, "873189810")
    halves = [split_half(ACLED, f"RUS{i}") for i in range(2000)]
    assert 0.45 < halves.count(DEV) / len(halves) < 0.55
    # The same id may fall into different halves in different corpora: the corpus is part of the key.
    assert any(split_half(ACLED, str(i)) != split_half(HRDSATTACK, str(i)) for i in range(50))


def test_html_paragraphs_become_blank_line_separated_text() -> None:
    assert (
        html_paragraphs("<p>First &amp; one.</p> <p>Second <b>two</b>.</p>") == "First & one.\n\nSecond two ."
    )


def test_loader_maps_labels_as_the_corpora_readme_suggests(tmp_path: Path) -> None:
    _write_shared(tmp_path)
    items = {(i.corpus, i.id): i for i in load_realtext(tmp_path)}
    assert len(items) == 9
    assert items[HRDSATTACK, "1"].expected == {"human_rights", "torture", "press_freedom"}
    assert items[HRDSATTACK, "2"].expected == {
        "human_rights",
        "enforced_disappearance",
        "civil_society",
        "belarus",
    }
    assert items[HRDSATTACK, "3"].expected == frozenset()  # "other" names no violation
    assert items[HRDSATTACK, "4"].expected == frozenset()
    assert items[HRDSATTACK, "1"].text == "First & one.\n\nSecond two ."
    assert items[ACLED, "RUS1"].expected == frozenset()
    assert items[ACLED, "RUS2"].expected == {"freedom_of_assembly", "arbitrary_detention"}
    assert items[ACLED, "RUS3"].expected == {"freedom_of_assembly"}
    assert all(i.half == split_half(i.corpus, i.id) for i in items.values())


def test_scope_marks_labels_inside_our_definitions(tmp_path: Path) -> None:
    _write_shared(tmp_path)
    items = {(i.corpus, i.id): i for i in load_realtext(tmp_path)}
    assert items[HRDSATTACK, "1"].scoped == {"human_rights", "torture"}  # state perpetrator
    assert items[HRDSATTACK, "2"].scoped == {"human_rights", "enforced_disappearance", "civil_society"}
    # A kidnapping and torture by private persons is outside; so is a senator labelled a defender.
    assert items[HRDSATTACK, "5"].scoped == frozenset()
    assert items[HRDSATTACK, "6"].scoped == {"human_rights"}


def test_loader_skips_cleanly_without_shared_data(tmp_path: Path) -> None:
    assert load_realtext(tmp_path / "missing") == []
    assert "not present" in render_realtext(score_realtext(Enricher.load(), []))


def test_score_keeps_misses_of_the_development_half_only(enricher: Enricher) -> None:
    def item(half: Half, item_id: str) -> RealItem:
        return RealItem(
            ACLED, item_id, "", "People gathered in a park.", frozenset({"freedom_of_assembly"}), half
        )

    result = score_realtext(enricher, [item(DEV, "a"), item(HELD_OUT, "b")])
    assert result.count(ACLED, DEV, "freedom_of_assembly").support == 1
    assert result.count(ACLED, HELD_OUT, "freedom_of_assembly").hits == 0
    assert result.dev_misses == ["acled-russia:a: missed freedom_of_assembly"]


def test_shared_corpora_load_and_split_in_halves(shared: Path) -> None:
    items = load_realtext(shared)
    if not items:
        pytest.skip("../shared/corpora/labelled is not present")
    per = {
        (c, h): sum(1 for i in items if i.corpus == c and i.half == h)
        for c in (HRDSATTACK, ACLED)
        for h in (DEV, HELD_OUT)
    }
    assert per[HRDSATTACK, DEV] + per[HRDSATTACK, HELD_OUT] == 400
    assert per[ACLED, DEV] + per[ACLED, HELD_OUT] == 7392
    for corpus in (HRDSATTACK, ACLED):
        share = per[corpus, DEV] / (per[corpus, DEV] + per[corpus, HELD_OUT])
        assert 0.4 < share < 0.6, corpus
    assert len({(i.corpus, i.id) for i in items}) == len(items)
    assert [(i.id, i.half) for i in items] == [(i.id, i.half) for i in load_realtext(shared)]


# Recall on both halves as measured after the second real-text round (docs/TAGGING.md, "Real
# labelled text"), rounded down: a regression guard, not the targets (several are not met).
FLOORS = {
    (HRDSATTACK, "human_rights"): (0.89, 0.83),
    (HRDSATTACK, "civil_society"): (0.70, 0.56),
    (HRDSATTACK, "enforced_disappearance"): (0.66, 0.50),
    (HRDSATTACK, "torture"): (0.88, 0.82),
    (HRDSATTACK, "press_freedom"): (0.86, 0.81),
    (ACLED, "freedom_of_assembly"): (0.91, 0.92),
}


def test_real_text_recall_does_not_regress(enricher: Enricher, shared: Path) -> None:
    items = load_realtext(shared)
    if not items:
        pytest.skip("../shared/corpora/labelled is not present")
    result = score_realtext(enricher, items)
    for (corpus, tag), floors in FLOORS.items():
        for half, floor in zip((DEV, HELD_OUT), floors, strict=True):
            recall = result.count(corpus, half, tag).recall
            assert recall >= floor, f"{corpus} {half} {tag}: recall {recall:.3f} < {floor}"
