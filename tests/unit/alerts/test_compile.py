"""Subscription queries compile to matchers with Elasticsearch query_string semantics (a fake
analyzer stands in for ``_analyze``; the differential integration test checks the real node)."""

from __future__ import annotations

import re

import pytest

from alerts import AnalyzedDocument, QueryCompiler, QueryError
from alerts.analysis import Token

_STOP = {"english": {"the", "of", "a", "in", "an"}}


class FakeAnalyzer:
    """Lowercase word tokens; ``english`` drops stop words (keeping position gaps) and a final s."""

    def __init__(self) -> None:
        self.calls = 0

    def analyze(self, analyzer: str, text: str) -> list[Token]:
        self.calls += 1
        out = []
        for pos, word in enumerate(re.findall(r"\w+", text.lower())):
            if word in _STOP.get(analyzer, set()):
                continue
            out.append((word[:-1] if analyzer == "english" and word.endswith("s") else word, pos))
        return out


def doc(doc_id: str, content: str = "", title: str = "", **keywords: list[str]) -> AnalyzedDocument:
    analyzer = FakeAnalyzer()
    fields: dict[str, dict[str, tuple[int, ...]]] = {}
    for base, text in (("content", content), ("title", title)):
        for name, an in ((base, "standard"), (f"{base}_en", "english")):
            terms: dict[str, list[int]] = {}
            for term, pos in analyzer.analyze(an, text):
                terms.setdefault(term, []).append(pos)
            fields[name] = {t: tuple(p) for t, p in terms.items()}
    if title:
        fields["title.raw"] = {title: (0,)}
    for name, values in keywords.items():
        fields[name] = {v: (0,) for v in values}
    return AnalyzedDocument(doc_id, fields)


DOCS = [
    doc(
        "d1",
        "gamma state of the art",
        title="Alpha politicians",
        tags=["belarus"],
        entity_names=["Donald Trump"],
    ),
    doc("d2", "delta politics", title="Beta", tags=["Politics"], language=["ru"]),
    doc("d3", "covid 19 trumpism", title="trumpism rises"),
]


def select(query: str) -> list[str]:
    compiled = QueryCompiler(FakeAnalyzer()).compile(query)
    return [d.id for d in DOCS if compiled.matcher is not None and compiled.matcher.matches(d)]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("alpha OR (NOT beta)", ["d1", "d3"]),  # a negative group matches everything else
        ("NOT beta", ["d1", "d3"]),
        ("alpha AND (NOT beta)", ["d1"]),
        ("alpha AND beta OR delta", []),  # Lucene: +alpha +beta delta (not luqum's precedence)
        ("delta OR alpha AND gamma", ["d1"]),
        ("alpha beta AND gamma", []),  # alpha optional, +beta +gamma
        ("state -art", []),
        ('"state of the art"', ["d1"]),
        ('"state in an art"', ["d1"]),  # stop-word gaps count, not the words
        ('"art state"', []),
        ("Donald Trump", ["d1"]),  # a run of bare terms is one entity_names term
        ("entities:Donald", []),  # keyword: exact
        ('entities:"Donald Trump"', ["d1"]),
        ("tags:Polit*", ["d2"]),
        ("tags:polit*", []),
        ("politic*", ["d1", "d2"]),
        ("title:Trump*", ["d3"]),
        ("lang:ru", ["d2"]),
        ("the", ["d1"]),
        ("title:the", []),
        ("+alpha beta", ["d1"]),
    ],
)
def test_elasticsearch_semantics(query: str, expected: list[str]) -> None:
    assert select(query) == expected


def test_run_of_bare_terms_is_one_keyword_term() -> None:
    # "Donald Trump" as a run is one entity_names term; split by an operator it is not
    assert select('entities:"Donald Trump"') == ["d1"]
    assert select("Donald OR Trump") == []


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        ("alpha AND", "end"),
        ("alpha ) beta", "position 6"),
        ("title:foo~", "takes a term"),
        ("alpha~2", "fuzzy"),
        ('"a b"~3', "proximity"),
        ("relevance:[1 TO 2]", "cannot be used"),
        ("colour:red", "unknown field"),
        ("al*ha", "wildcards"),
        ("a && b", "AND, OR and NOT"),
        ("", "empty"),
        ("NOT -a", "one NOT"),
    ],
)
def test_invalid_queries_are_refused_with_reason(query: str, reason: str) -> None:
    with pytest.raises(QueryError, match=reason):
        QueryCompiler(FakeAnalyzer()).compile(query)


def test_refusal_names_the_position() -> None:
    with pytest.raises(QueryError, match="at position 6"):
        QueryCompiler(FakeAnalyzer()).compile("alpha al*ha")


def test_anchors_required_terms() -> None:
    compiler = QueryCompiler(FakeAnalyzer())
    anchors = compiler.compile("alpha AND (beta OR gamma*)").anchors
    assert anchors is not None and set(anchors.terms) == {"alpha"}
    either = compiler.compile("beta OR gamma*").anchors
    assert either is not None and set(either.terms) == {"beta"} and set(either.prefixes) == {"gamma"}
    assert compiler.compile("NOT beta").anchors is None
    assert compiler.compile("(NOT alpha) OR beta").anchors is None
    required = compiler.compile("alpha OR NOT beta").anchors  # +alpha is implied: -beta alone is no match
    assert required is not None and set(required.terms) == {"alpha"}


def test_term_analysis_is_cached_per_analyzer_and_text() -> None:
    fake = FakeAnalyzer()
    from alerts.analysis import ElasticsearchAnalyzer

    class Client:
        class indices:  # mimics the elasticsearch client's namespace
            @staticmethod
            def analyze(index: str, analyzer: str, text: str) -> dict[str, list[dict[str, object]]]:
                return {"tokens": [{"token": t, "position": p} for t, p in fake.analyze(analyzer, text)]}

    es = ElasticsearchAnalyzer(Client(), "idx")
    compiler = QueryCompiler(es)
    compiler.compile("alpha beta")
    first = es.calls
    compiler.compile("alpha beta")
    assert first == 7 and es.calls == first  # standard + six languages, once
