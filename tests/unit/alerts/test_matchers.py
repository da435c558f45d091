"""The compiled predicates (term masks, grouped disjunctions, inline boolean clauses) select exactly
what a plain walk of the matcher tree selects, and anchors prefer rare terms."""

from __future__ import annotations

import random

import pytest

from alerts import AnalyzedDocument, QueryCompiler
from alerts.document import field_bit, field_names
from alerts.matchers import (
    AnyOf,
    AnyTerm,
    BoolMatch,
    MatchAll,
    Matcher,
    PhraseMatch,
    PrefixMatch,
    estimated_share,
    prefix_key,
)
from tests.unit.alerts.test_compile import DOCS, FakeAnalyzer, doc


def reference(m: Matcher, d: AnalyzedDocument) -> bool:
    """The matcher tree evaluated node by node, field by field (the semantics before compilation)."""
    if isinstance(m, AnyTerm):
        return any(t in d.terms(m.field) for t in m.terms)
    if isinstance(m, PrefixMatch):
        return any(t.startswith(m.prefix) for t in d.terms(m.field))
    if isinstance(m, PhraseMatch):
        present = d.terms(m.field)
        sets = [(off, {p for t in alts for p in present.get(t, ())}) for off, alts in m.steps]
        (first, starts), rest = sets[0], sets[1:]
        return any(all(s - first + off in ps for off, ps in rest) for s in starts)
    if isinstance(m, AnyOf):
        return any(reference(c, d) for c in m.children)
    if isinstance(m, MatchAll):
        return True
    assert isinstance(m, BoolMatch)
    if not all(reference(c, d) for c in m.must) or any(reference(c, d) for c in m.must_not):
        return False
    return bool(m.must) or any(reference(c, d) for c in m.should)


WORDS = ["alpha", "beta", "gamma", "delta", "state", "art", "the", "of", "politics", "trumpism", "zeta"]


def _random_doc(rng: random.Random, n: int) -> AnalyzedDocument:
    def text(k: int) -> str:
        return " ".join(rng.choice(WORDS) for _ in range(k))

    return doc(
        f"r{n}",
        text(rng.randint(0, 12)),
        title=text(rng.randint(1, 4)),
        tags=rng.sample(["belarus", "Politics", "alpha"], rng.randint(0, 2)),
        language=[rng.choice(["en", "ru"])],
    )


def _random_query(rng: random.Random, depth: int = 0) -> str:
    def leaf() -> str:
        word = rng.choice(WORDS)
        return rng.choice(
            [
                word,
                f"{word[: rng.randint(1, 4)]}*",
                f'"{word} {rng.choice(WORDS)}"',
                f'"{word} {rng.choice(WORDS)} {rng.choice(WORDS)}"',
                f"title:{word}",
                f"content:{word[:3]}*",
                f"tags:{rng.choice(['belarus', 'Politics', 'alpha', 'Polit*'])}",
                f"lang:{rng.choice(['en', 'ru'])}",
                f"{word} {rng.choice(WORDS)}",
            ]
        )

    parts = [
        leaf() if depth > 1 or rng.random() < 0.6 else f"({_random_query(rng, depth + 1)})"
        for _ in range(rng.randint(1, 4))
    ]
    out = parts[0] if rng.random() < 0.8 else f"NOT {parts[0]}"
    for part in parts[1:]:
        op = rng.choice([" AND ", " OR ", " AND NOT ", " ", " -", " +"])
        out += op + part
    return out


def test_compiled_predicates_agree_with_a_plain_tree_walk() -> None:
    rng = random.Random(3)
    docs = [*DOCS, *(_random_doc(rng, n) for n in range(40))]
    compiler = QueryCompiler(FakeAnalyzer())
    checked = matched = 0
    for _ in range(1500):
        query = _random_query(rng)
        matcher = compiler.compile(query).matcher
        if matcher is None:
            continue
        for d in docs:
            expected = reference(matcher, d)
            assert matcher.matches(d) == expected, (query, d.id)
            checked += 1
            matched += expected
    assert checked > 40_000 and 0.05 < matched / checked < 0.95  # the queries are not trivial


@pytest.mark.parametrize(
    "matcher",
    [
        BoolMatch((), (), ()),  # nothing required, nothing optional: no match
        BoolMatch((MatchAll(),), (AnyTerm("content", frozenset({"zzz"})),), ()),  # should is optional
        BoolMatch((MatchAll(),), (), (AnyTerm("content", frozenset({"gamma"})),)),
        AnyOf((AnyTerm("content", frozenset({"zzz"})), MatchAll())),
        AnyOf((PhraseMatch("content", ((0, frozenset({"state"})), (2, frozenset({"the", "art"})))),)),
        BoolMatch((AnyOf((PrefixMatch("title", "alp"), PrefixMatch("title_en", "pol"))),), (), ()),
    ],
)
def test_edge_cases_agree_with_the_tree_walk(matcher: Matcher) -> None:
    for d in DOCS:
        assert matcher.matches(d) == reference(matcher, d)


def test_document_term_masks_and_prefixes() -> None:
    d = AnalyzedDocument(
        "x", {"title": {"alpha": (0,), "beta": (1,)}, "content": {"alpha": (3,)}, "tags": {"Alps": (0,)}}
    )
    assert d.masks == {
        "alpha": field_bit("title") | field_bit("content"),
        "beta": field_bit("title"),
        "Alps": field_bit("tags"),
    }
    assert set(d.tokens) == {"alpha", "beta", "Alps"}
    assert d.prefix_mask("al") == field_bit("title") | field_bit("content")
    assert d.prefix_mask("A") == field_bit("tags")
    assert d.prefix_mask("alphabet") == 0
    assert d.prefix_mask("") == field_bit("title") | field_bit("content") | field_bit("tags")


def test_field_bits_are_stable_and_distinct() -> None:
    assert field_bit("title") == field_bit("title")
    new = field_bit("a-field-no-index-has")
    assert new & (field_bit("title") | field_bit("content") | field_bit("language")) == 0
    assert field_names(field_bit("title") | new) == ["title", "a-field-no-index-has"]


def test_anchors_prefer_rare_terms() -> None:
    compiler = QueryCompiler(FakeAnalyzer())
    # the language is in (nearly) every article: the subscription is found through the text term
    anchors = compiler.compile("lang:en AND trumpism").anchors
    assert anchors is not None and set(anchors.terms) == {"trumpism"}
    anchors = compiler.compile("trumpism AND lang:en").anchors
    assert anchors is not None and set(anchors.terms) == {"trumpism"}
    # of two text terms, the longer (rarer by the static rule)
    anchors = compiler.compile("the AND politicians").anchors
    assert anchors is not None and set(anchors.terms) == {"politicians", "politician"}
    # a phrase is found through its rarest step (or as the whole keyword value of tags / entities)
    anchors = compiler.compile('"state of the art"').anchors
    assert anchors is not None and set(anchors.terms) == {"state", "state of the art"}
    assert estimated_share("language", "en") > estimated_share("tags", "belarus")
    assert estimated_share("content", "the") > estimated_share("content", "lukashenko")


def test_prefix_keys() -> None:
    assert prefix_key("politic") == "polit"
    assert prefix_key("poli") == "pol"
    assert prefix_key("po") == "po"
