"""The subscription index evaluates only candidates yet selects exactly what full evaluation does."""

from __future__ import annotations

import random

from alerts import QueryCompiler
from alerts.index import SubscriptionIndex
from tests.unit.alerts.test_compile import DOCS, FakeAnalyzer

QUERIES = [
    "alpha",
    "alpha AND beta OR delta",
    "NOT beta",
    "politic*",
    "tags:Polit*",
    '"state of the art"',
    "Donald Trump",
    "(NOT alpha) OR gamma",
    "the",
    "title:the",
    "zzz OR tri*",
    "lang:ru AND delta",
]


def test_index_selects_exactly_what_full_evaluation_selects() -> None:
    compiler = QueryCompiler(FakeAnalyzer())
    compiled = {f"s{i}": compiler.compile(q) for i, q in enumerate(QUERIES)}
    index = SubscriptionIndex(compiled.items())
    for doc in DOCS:
        full = sorted(s for s, c in compiled.items() if c.matcher is not None and c.matcher.matches(doc))
        assert index.match(doc) == full
        assert len(index.candidates(doc)) < len(QUERIES)


def test_candidates_are_few_among_many_subscriptions() -> None:
    rng = random.Random(7)
    words = [f"w{i}" for i in range(2000)]
    compiler = QueryCompiler(FakeAnalyzer())
    index = SubscriptionIndex(
        (f"s{i}", compiler.compile(f"{rng.choice(words)} AND {rng.choice(words)}")) for i in range(1000)
    )
    assert len(index) == 1000
    assert len(index.candidates(DOCS[0])) == 0
