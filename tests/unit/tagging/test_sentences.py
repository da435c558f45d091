"""Sentence splitting and sentence-bounded proximity (``near`` stops at sentence boundaries)."""

from __future__ import annotations

import pytest

from pipeline.tagging import Enricher
from pipeline.tagging.compiler import Near
from pipeline.tagging.rules import Context
from pipeline.tagging.sentences import sentence_bounds, sentence_index, split_sentences


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Mr. Smith was detained. Separately, a journalist spoke.",
            ["Mr. Smith was detained.", "Separately, a journalist spoke."],
        ),
        ("The U.S. State Dept. said 3.5 million left.", ["The U.S. State Dept. said 3.5 million left."]),
        (
            "A. Lukashenko met Dr. Who in St. Petersburg! «Nothing» happened… 12 people left.",
            ["A. Lukashenko met Dr. Who in St. Petersburg!", "«Nothing» happened…", "12 people left."],
        ),
        (
            "В г. Минске на ул. Ленина задержали. Журналиста отпустили. По ч. 1 ст. 342 УК.",
            ["В г. Минске на ул. Ленина задержали.", "Журналиста отпустили.", "По ч. 1 ст. 342 УК."],
        ),
        ("Ks. Jan przyszedł. Der Fotograf kam z.B. spät. Das Urteil fiel.", None),
        (
            "Title without a stop\n\nBody starts here. (Second) one?",
            ["Title without a stop", "Body starts here.", "(Second) one?"],
        ),
        ("no capital after. the stop", ["no capital after. the stop"]),
    ],
)
def test_split_sentences(text: str, expected: list[str] | None) -> None:
    if expected is None:
        expected = ["Ks. Jan przyszedł.", "Der Fotograf kam z.B. spät.", "Das Urteil fiel."]
    assert split_sentences(text) == expected


def test_sentence_index() -> None:
    text = "One. Two. Three."
    bounds = sentence_bounds(text)
    assert [sentence_index(bounds, text.index(w)) for w in ("One", "Two", "Three")] == [0, 1, 2]


def test_near_stops_at_sentence_boundary_unless_opted_out() -> None:
    text = "police detained two men. Separately, a journalist spoke."
    detained = (text.index("detained"), text.index("detained") + 8)
    journalist = (text.index("journalist"), text.index("journalist") + 10)
    ctx = Context(text, {0: [detained], 1: [journalist]}, text)
    assert ctx.near(detained, Near((1,), 10)) is None
    assert ctx.near(detained, Near((1,), 10, cross_sentences=True)) == journalist


def test_headline_and_lead_are_one_sentence() -> None:
    title = "Court jails journalist"
    text = "The reporter was sentenced to four years. He denied the charges."
    combined = title + "\n\n" + text
    ctx = Context(combined, {}, combined, len(title) + 2)
    assert ctx.same_sentence((12, 22), (combined.index("sentenced"), combined.index("sentenced") + 9))
    assert not ctx.same_sentence((12, 22), (combined.index("denied"), combined.index("denied") + 6))


@pytest.mark.parametrize(
    "text",
    [
        "Police in Minsk detained two men after a bar brawl on Saturday. Separately, a journalist of the "
        "state agency BelTA presented a new book about the city.",
        "A man was arrested in Gomel for drunk driving. Meanwhile, the opposition leader Sviatlana "
        "Tsikhanouskaya met European ministers in Vilnius.",
        "В Минске задержали двух мужчин за драку. Тем временем журналист государственного агентства "
        "представил книгу о городе.",
    ],
)
def test_no_cross_sentence_detention(enricher: Enricher, text: str) -> None:
    tags = set(enricher.enrich(text=text).tags)
    assert "arbitrary_detention" not in tags
    assert "press_freedom" not in tags


def test_same_sentence_detention_still_fires(enricher: Enricher) -> None:
    tags = set(
        enricher.enrich(text="Mr. Smith, a journalist, was detained by police in Minsk on Monday.").tags
    )
    assert {"arbitrary_detention", "press_freedom"} <= tags
