from __future__ import annotations

import pickle

from pipeline.tagging.matcher import CompiledPattern, Matcher
from pipeline.tagging.normalize import normalize
from pipeline.tagging.patterns import parse_pattern


def _matcher(*sources: str, excludes: tuple[str, ...] = ()) -> tuple[Matcher, list[str]]:
    ex = tuple(e for x in excludes for spec in parse_pattern(x) for e in spec.elements)
    patterns = [CompiledPattern(spec, ex) for src in sources for spec in parse_pattern(src)]
    return Matcher(patterns), [p.spec.source for p in patterns]


def _found(sources: tuple[str, ...], text: str, excludes: tuple[str, ...] = ()) -> dict[str, list[str]]:
    matcher, names = _matcher(*sources, excludes=excludes)
    out: dict[str, list[str]] = {}
    for pid, spans in matcher.scan(text, normalize(text)).items():
        out.setdefault(names[pid], []).extend(text[a:b] for a, b in spans)
    return out


def test_word_boundaries_and_endings() -> None:
    found = _found(("arrest*", "минск~", "лид~"), "Unarrested men were arrested in Минске; лидер Лиды")
    assert found == {"arrest*": ["arrested"], "минск~": ["Минске"], "лид~": ["Лиды"]}


def test_phrases_gaps_and_anchors() -> None:
    text = "Freedom of the press; political  prisoners. Die Polizei nahm 15 Menschen in Minsk fest."
    found = _found(("freedom of the press", "political prisoner*", "nahm* ... fest", "polizei .. fest"), text)
    assert found == {
        "freedom of the press": ["Freedom of the press"],
        "political prisoner*": ["political  prisoners"],
        "nahm* ... fest": ["nahm 15 Menschen in Minsk fest"],
    }


def test_case_sensitive_and_infix() -> None:
    found = _found(("=KGB~", "=UN", "*haft"), "The KGB's men; un jour; UN experts; Untersuchungshaft")
    assert found == {"=KGB~": ["KGB's"], "=UN": ["UN"], "*haft": ["Untersuchungshaft"]}


def test_excluded_word_forms() -> None:
    found = _found(("задерж*",), "Рейс задержался, активиста задержали", excludes=("*ся", "задержк*"))
    assert found == {"задерж*": ["задержали"]}


def test_pickle_round_trip() -> None:
    matcher, _ = _matcher("political prisoner*", "=KGB")
    text = "KGB and political prisoners"
    clone = pickle.loads(pickle.dumps(matcher))
    assert clone.scan(text, normalize(text)) == matcher.scan(text, normalize(text))


def test_shared_anchor_with_different_neighbours() -> None:
    sources = (
        "where he is",
        "where she is being held",
        "where they are",
        "don't know where",
        "=UN experts",
        "human right* defender*",
        "held .. without charge",
        "*haft ohne",
    )
    text = (
        "Nobody knows where she is being held; we don't know where he is. "
        "UN experts and un experts; human rights defenders; held for months without charge; "
        "Untersuchungshaft ohne Anklage; where they were"
    )
    assert _found(sources, text) == {
        "where she is being held": ["where she is being held"],
        "don't know where": ["don't know where"],
        "where he is": ["where he is"],
        "=UN experts": ["UN experts"],
        "human right* defender*": ["human rights defenders"],
        "held .. without charge": ["held for months without charge"],
        "*haft ohne": ["Untersuchungshaft ohne"],
    }


def _every_anchor_verified(matcher: Matcher, text: str) -> dict[int, list[tuple[int, int]]]:
    """What the matcher finds when every anchor hit of every pattern is verified in full (no quick
    look at the neighbouring word first): the reference the quick look must not change."""
    from pipeline.tagging.matcher import _Neighbours

    norm = normalize(text)
    hits: dict[int, list[tuple[int, int]]] = {}
    matcher.scan(text, norm)  # builds the automaton
    matcher._collect(matcher._automaton.iter(norm), text, norm, hits)
    around = _Neighbours(norm)
    out: dict[int, list[tuple[int, int]]] = {}
    for sid, spans in hits.items():
        for pid in matcher._by_slot[sid]:
            for span in spans:
                if len(matcher._patterns[pid].spec.elements) == 1:
                    out.setdefault(pid, []).append(span)
                elif (found := matcher._verify(text, norm, around, pid, span)) is not None:
                    out.setdefault(pid, []).append(found)
    return out


def test_quick_neighbour_look_finds_what_full_verification_finds() -> None:
    from pipeline.tagging import Enricher
    from pipeline.tagging.enricher import default_config_dir
    from pipeline.tagging.taxonomy import load_taxonomy

    compiled = Enricher.load(persons=False).compiled
    taxonomy = load_taxonomy(default_config_dir() / "taxonomy.yaml")
    texts = [text for tag in taxonomy.tags for text in (*tag.examples.positive, *tag.examples.negative)]
    texts.append(" ".join(texts))  # anchors near other phrases, words split by every punctuation
    assert len(texts) > 50
    for text in texts:
        got = compiled.matcher.scan(text, normalize(text))
        want = _every_anchor_verified(compiled.matcher, text)
        assert {k: sorted(v) for k, v in got.items()} == {k: sorted(v) for k, v in want.items()}, text


def test_a_long_gap_spans_all_its_words() -> None:
    # "..." allows LONG_GAP_WORDS (7) words between two elements; the matcher reads that far.
    seven = "Die Polizei nahm am Sonntag in der Innenstadt zwei junge fest."
    eight = "Die Polizei nahm am Sonntag in der Innenstadt von Minsk zwei fest."
    assert _found(("nahm* ... fest",), seven) == {
        "nahm* ... fest": ["nahm am Sonntag in der Innenstadt zwei junge fest"]
    }
    assert _found(("nahm* ... fest",), eight) == {}


def test_reach_counts_words_beside_the_anchor() -> None:
    from pipeline.tagging.patterns import REACH_WORDS, reach

    (spec,) = parse_pattern("rapporteur on the rights to freedom of peaceful assembly and of association")
    assert reach(spec, gaps=False) == (11, 0)  # anchor "association": never found by the matcher
    assert max(reach(spec, gaps=False)) > REACH_WORDS
    (gapped,) = parse_pattern("freedom* of ... peaceful assembly")
    assert reach(gapped) == (9, 1) and reach(gapped, gaps=False) == (2, 1)
