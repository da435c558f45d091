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
