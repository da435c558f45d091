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


def _state(index: SubscriptionIndex) -> tuple[object, ...]:
    """Everything the index keeps, for comparing an edited index with a freshly built one."""
    return (
        dict(index._anchors),
        {t: set(e) for t, e in index._by_term.items()},
        {k: set(e) for k, e in index._by_prefix.items()},
        dict(index._prefix_lengths),
        set(index._always),
    )


def test_remove_forgets_a_subscription_entirely() -> None:
    compiler = QueryCompiler(FakeAnalyzer())
    compiled = {f"s{i}": compiler.compile(q) for i, q in enumerate(QUERIES)}
    index = SubscriptionIndex(compiled.items())
    assert "s1" in index and "s4" in index and "s2" in index
    assert index.remove("s0") and index.remove("s4") and index.remove("s2")  # term, prefix, negation
    assert not index.remove("s0") and not index.remove("unknown")
    assert "s0" not in index and len(index) == len(QUERIES) - 3
    for d in DOCS:
        assert not {"s0", "s4", "s2"} & index.candidates(d)
    for sub_id in list(compiled):
        index.remove(sub_id)
    assert len(index) == 0 and _state(index) == _state(SubscriptionIndex())


def test_add_replaces_a_subscription_with_the_same_id() -> None:
    compiler = QueryCompiler(FakeAnalyzer())
    index = SubscriptionIndex([("s", compiler.compile("alpha")), ("t", compiler.compile("politic*"))])
    assert index.match(DOCS[0]) == ["s", "t"]
    index.add("s", compiler.compile("delta"))
    assert index.match(DOCS[0]) == ["t"] and index.match(DOCS[1]) == ["s", "t"]
    assert len(index) == 2
    index.add("t", compiler.compile("the"))
    index.add("s", compiler.compile('content:"--"'))  # analysed to nothing: the old version goes too
    assert "s" not in index and len(index) == 1
    assert index.match(DOCS[0]) == ["t"] and index.match(DOCS[1]) == []


def test_random_edits_leave_the_index_as_if_built_from_scratch() -> None:
    rng = random.Random(11)
    compiler = QueryCompiler(FakeAnalyzer())
    pool = [
        *QUERIES,
        "gamma*",
        "al*",
        "a*",
        "politicians",
        '"delta politics"',
        "tags:belarus OR trumpi*",
        'content:"--"',
    ]
    index = SubscriptionIndex()
    live: dict[str, str] = {}
    for step in range(600):
        sub_id = f"s{rng.randrange(25)}"
        if rng.random() < 0.4:
            assert index.remove(sub_id) == (
                sub_id in live and compiler.compile(live[sub_id]).matcher is not None
            )
            live.pop(sub_id, None)
        else:
            live[sub_id] = rng.choice(pool)
            index.add(sub_id, compiler.compile(live[sub_id]))
        if step % 50 == 0 or step == 599:
            fresh = SubscriptionIndex((s, compiler.compile(q)) for s, q in live.items())
            assert _state(index) == _state(fresh)
            for d in DOCS:
                assert index.match(d) == fresh.match(d)
                expected = sorted(
                    s for s, q in live.items() if (m := compiler.compile(q).matcher) and m.matches(d)
                )
                assert index.match(d) == expected
