"""Evaluate the tagger on a labelled set and write the figures into ``docs/TAGGING.md``.

Run as ``python -m pipeline.tagging.evaluate`` (``make eval``). The default data is the dev set in
``tests/data/tagging/dev/*.jsonl``; ``--data`` takes other JSONL files or folders (e.g. a held-out
set) in the same format, one article per line::

    {"id": "en-001", "language": "en", "title": "...", "text": "...",
     "tags": ["belarus", "human_rights", ...], "entities": ["Ales Bialiatski", "Viasna"]}

(``expected_tags``/``expected_entities`` are accepted too; entities may be names or objects with a
``name``). Prints precision, recall and F1 per tag, entity recall and language accuracy, checks the
targets and writes the report between the ``eval`` markers of ``docs/TAGGING.md``. With the default
data it also measures the labelled real-world text of ``../shared/corpora/labelled`` on its
development and held-out halves (``pipeline/tagging/realtext.py``) and the theme tags on feed entries
about other things (``pipeline/tagging/offtopic.py``), each skipped when absent. Always exits
0 when it could run; ``tests/unit/tagging/test_dev_set.py`` and ``test_realtext.py`` assert the targets.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.tagging.enricher import Enricher
from pipeline.tagging.normalize import normalize
from pipeline.tagging.offtopic import load_offtopic, render_offtopic, score_offtopic
from pipeline.tagging.realtext import load_realtext, render_realtext, score_realtext

__all__ = ["EvalResult", "TagScore", "check_targets", "evaluate", "load_items", "main"]

ROOT = Path(__file__).resolve().parents[2]
DEV_SET = ROOT / "tests" / "data" / "tagging" / "dev"
REPORT = ROOT / "docs" / "TAGGING.md"
START, END = "<!-- eval:start -->", "<!-- eval:end -->"

COUNTRY, UMBRELLA = "belarus", "human_rights"
THEMES = (
    "political_prisoners",
    "arbitrary_detention",
    "torture",
    "press_freedom",
    "freedom_of_expression",
    "freedom_of_assembly",
    "death_penalty",
    "enforced_disappearance",
    "fair_trial",
    "civil_society",
)
TARGETS = {
    "belarus_f1": 0.97,
    "human_rights_f1": 0.93,
    "theme_recall": 0.85,
    "theme_precision": 0.90,
    "entity_recall": 0.90,
}


@dataclass
class TagScore:
    """True/false positives and false negatives of one tag, with P/R/F1."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class EvalResult:
    """Scores of a whole labelled set: per tag, entities and language."""

    items: int = 0
    tags: dict[str, TagScore] = field(default_factory=dict)
    entities_expected: int = 0
    entities_found: int = 0
    language_correct: int = 0
    languages: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)

    @property
    def entity_recall(self) -> float:
        return self.entities_found / self.entities_expected if self.entities_expected else 1.0


def load_items(paths: Iterable[Path]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for path in paths:
        files = sorted(path.glob("*.jsonl")) if path.is_dir() else [path]
        for file in files:
            for number, line in enumerate(file.read_text(encoding="utf-8").splitlines(), start=1):
                if line.strip():
                    try:
                        items.append(json.loads(line))
                    except json.JSONDecodeError as exc:
                        raise ValueError(f"{file}:{number}: not JSON: {exc.msg}") from exc
    return items


def _expected_entities(item: dict[str, Any]) -> list[str]:
    raw = item.get("entities", item.get("expected_entities", [])) or []
    return [e["name"] if isinstance(e, dict) else str(e) for e in raw]


def _tokens(name: str) -> set[str]:
    return set(normalize(name).replace("-", " ").replace(".", " ").split())


def entity_matches(expected: str, entity: dict[str, Any]) -> bool:
    """Same entity if the names agree on all tokens of the shorter one (surname alone matches)."""
    want = _tokens(expected)
    for name in (entity.get("name", ""), *entity.get("aliases", ()), entity.get("id", "").split(":")[-1]):
        have = _tokens(str(name))
        if have and want and (want <= have or have <= want):
            return True
    return False


def evaluate(enricher: Enricher, items: Sequence[dict[str, Any]]) -> EvalResult:
    result = EvalResult(items=len(items))
    for tag in (COUNTRY, UMBRELLA, *THEMES):
        result.tags[tag] = TagScore()
    for item in items:
        doc = enricher.enrich(item.get("title", ""), item.get("text", "")).to_document()
        got, want = set(doc["tags"]), set(item.get("tags", item.get("expected_tags", [])))
        for tag in got | want:
            score = result.tags.setdefault(tag, TagScore())
            if tag in got and tag in want:
                score.tp += 1
            elif tag in got:
                score.fp += 1
                result.errors.append(f"{item.get('id')}: false positive {tag}")
            else:
                score.fn += 1
                result.errors.append(f"{item.get('id')}: missed {tag}")
        for name in _expected_entities(item):
            result.entities_expected += 1
            if any(entity_matches(name, e) for e in doc["entities"]):
                result.entities_found += 1
            else:
                result.errors.append(f"{item.get('id')}: missed entity {name!r}")
        language = item.get("language")
        if language:
            result.languages[language] += 1
            result.language_correct += doc["language"] == language
    return result


def check_targets(result: EvalResult) -> list[str]:
    """Human-readable list of missed targets (empty when all are met)."""
    missed = []
    if result.tags[COUNTRY].f1 < TARGETS["belarus_f1"]:
        missed.append(f"belarus F1 {result.tags[COUNTRY].f1:.3f} < {TARGETS['belarus_f1']}")
    if result.tags[UMBRELLA].f1 < TARGETS["human_rights_f1"]:
        missed.append(f"human_rights F1 {result.tags[UMBRELLA].f1:.3f} < {TARGETS['human_rights_f1']}")
    for theme in THEMES:
        score = result.tags[theme]
        if score.recall < TARGETS["theme_recall"]:
            missed.append(f"{theme} recall {score.recall:.3f} < {TARGETS['theme_recall']}")
        if score.precision < TARGETS["theme_precision"]:
            missed.append(f"{theme} precision {score.precision:.3f} < {TARGETS['theme_precision']}")
    if result.entity_recall < TARGETS["entity_recall"]:
        missed.append(f"entity recall {result.entity_recall:.3f} < {TARGETS['entity_recall']}")
    return missed


def render(result: EvalResult, sources: Sequence[Path]) -> str:
    lines = [
        f"Data: {', '.join(str(_rel(p)) for p in sources)} - {result.items} articles "
        f"({', '.join(f'{k} {v}' for k, v in sorted(result.languages.items()))}).",
        "",
        "| tag | support | precision | recall | F1 | target |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for tag, score in result.tags.items():
        target = {
            COUNTRY: f"F1 ≥ {TARGETS['belarus_f1']}",
            UMBRELLA: f"F1 ≥ {TARGETS['human_rights_f1']}",
        }.get(
            tag, f"P ≥ {TARGETS['theme_precision']}, R ≥ {TARGETS['theme_recall']}" if tag in THEMES else ""
        )
        figures = f"{score.precision:.3f} | {score.recall:.3f} | {score.f1:.3f}"
        lines.append(f"| {tag} | {score.tp + score.fn} | {figures} | {target} |")
    language_acc = result.language_correct / sum(result.languages.values()) if result.languages else 1.0
    missed = check_targets(result)
    lines += [
        "",
        f"Entity recall: {result.entity_recall:.3f} ({result.entities_found}/{result.entities_expected}; "
        f"target ≥ {TARGETS['entity_recall']}). Language accuracy: {language_acc:.3f}.",
        "",
        "Targets: " + ("all met." if not missed else "MISSED - " + "; ".join(missed)),
    ]
    if result.errors:
        lines += ["", "Remaining errors:", ""] + [f"- {e}" for e in result.errors]
    return "\n".join(lines)


def _rel(path: Path) -> Path:
    try:
        return path.resolve().relative_to(ROOT)
    except ValueError:
        return path


def write_report(text: str, report: Path = REPORT) -> None:
    block = f"{START}\n{text}\n{END}"
    current = report.read_text(encoding="utf-8") if report.exists() else "# Tagging\n"
    if START in current and END in current:
        head, _, rest = current.partition(START)
        _, _, tail = rest.partition(END)
        updated = head + block + tail
    else:
        updated = current.rstrip("\n") + "\n\n## Evaluation\n\n" + block + "\n"
    report.write_text(updated, encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m pipeline.tagging.evaluate", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--data", type=Path, nargs="+", default=[DEV_SET], help="JSONL files or folders")
    parser.add_argument("--no-write", action="store_true", help=f"do not update {_rel(REPORT)}")
    parser.add_argument(
        "--no-realtext",
        action="store_true",
        help="skip the labelled real-world text and the off-topic feed entries of ../shared",
    )
    args = parser.parse_args(argv)
    try:
        items = load_items(args.data)
    except (OSError, ValueError) as exc:
        print(f"evaluate: {exc}", file=sys.stderr)
        return 2
    enricher = Enricher.load()
    result = evaluate(enricher, items)
    text = render(result, args.data)
    if args.data == [DEV_SET] and not args.no_realtext:
        text += "\n\n" + render_realtext(score_realtext(enricher, load_realtext()))
        text += "\n\n" + render_offtopic(score_offtopic(enricher, load_offtopic()))
    print(text)
    if not args.no_write and args.data == [DEV_SET]:
        write_report(text)
        print(f"\nwrote {_rel(REPORT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
