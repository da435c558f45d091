"""Precision and recall of person names on public gold data (not shipped with newsmon).

Datasets (fetched once into ``$NEWSMON_GOLD_DIR``, default ``~/.cache/newsmon-gold``; each one that
is missing is skipped and reported as such):

* ``hrdsattack``: the labelled corpus in ``../shared/corpora/labelled/hrdsattack`` (English news about
  attacks on defenders and journalists). Gold: the ``victim_name`` of each item. The enricher runs on
  the whole article with person detection on, split into the development and held-out halves of
  ``realtext.split_half``. *Recall*: victims named by one of the detected people. *Precision*:
  detected people who are a labelled victim - a lower bound, since an article also names people the
  labels do not list (a colleague who was detained too, a lawyer). A second row counts the curated
  people of ``config/entities.yaml`` too (what a reader of the entities sees).
* ``factrueval``: factRuEval-2016 test set (Russian news), ``factRuEval-2016/testset``. Gold: the
  extent of every ``Person`` object (its name, surname, patronymic and nickname spans).
* ``ner-uk``: lang-uk NER-UK 2.0 test split (Ukrainian), ``ner-uk/v2.0/data``. Gold: ``PERS`` spans.
* ``bsnlp``: the BSNLP shared-task documents in Russian and Ukrainian (``bsnlp/<topic>/raw|annotated/
  <lang>``, from the 2021 task's repository). Gold: the set of ``PER`` surface forms of a document
  (document-level, as the task scores it) and their base forms, which also measure our nominative.

For the NER sets two figures: **names** - the detector with every sentence counted as context (full
names, role-introduced surnames and the later surname-only mentions it links to them; officials kept):
what fraction of all person mentions it finds, and **in context** - the people the enricher keeps
(human-rights tag, cue nearby): how many of them are real persons by the gold (precision only; a
general news set has few human-rights cues, so recall there means nothing). Matching: *strict* - the
same span (document-level sets: the same surface form); *partial* - overlapping spans (sets: sharing a
word). Run: ``python -m pipeline.tagging.evaluate_persons [--misses]``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.tagging.enricher import Enricher, EntityResult
from pipeline.tagging.matcher import Span
from pipeline.tagging.persons import PersonDetector
from pipeline.tagging.realtext import (
    DEV,
    HELD_OUT,
    HRDSATTACK,
    LABELLED,
    default_shared_dir,
    html_paragraphs,
    split_half,
)

__all__ = ["GoldDoc", "Score", "default_gold_dir", "load_bsnlp", "load_factrueval", "load_ner_uk", "main"]


def default_gold_dir() -> Path:
    """``$NEWSMON_GOLD_DIR`` or ``~/.cache/newsmon-gold``."""
    env = os.environ.get("NEWSMON_GOLD_DIR")
    return Path(env) if env else Path.home() / ".cache" / "newsmon-gold"


@dataclass(frozen=True)
class GoldDoc:
    """One gold document: text, language, and person spans or (for BSNLP) surface -> base forms."""

    id: str
    text: str
    language: str
    spans: tuple[Span, ...] = ()
    surfaces: tuple[tuple[str, str], ...] = ()  # (surface, base form), document level


@dataclass
class Score:
    """Counts for precision and recall; ``strict`` and ``partial`` true positives kept apart."""

    predicted: int = 0
    gold: int = 0
    tp_pred_strict: int = 0
    tp_pred_partial: int = 0
    tp_gold_strict: int = 0
    tp_gold_partial: int = 0
    lemma_checked: int = 0
    lemma_right: int = 0
    misses: list[str] = field(default_factory=list)
    false: list[str] = field(default_factory=list)

    def cells(self, recall: bool = True) -> list[str]:
        def ratio(a: int, b: int) -> str:
            return f"{a / b:.3f} ({a}/{b})" if b else "-"

        out = [ratio(self.tp_pred_strict, self.predicted), ratio(self.tp_pred_partial, self.predicted)]
        if recall:
            out += [ratio(self.tp_gold_strict, self.gold), ratio(self.tp_gold_partial, self.gold)]
        else:
            out += ["", ""]
        return out


# ------------------------------------------------------------------------------------- loaders
def load_factrueval(folder: Path) -> list[GoldDoc]:
    """factRuEval-2016 test set: the extent of each Person object's spans."""
    docs = []
    for objects in sorted(folder.glob("*.objects")):
        base = objects.with_suffix("")
        text = base.with_suffix(".txt").read_text(encoding="utf-8-sig")
        spans: dict[str, Span] = {}
        for line in base.with_suffix(".spans").read_text(encoding="utf-8").splitlines():
            parts = line.split()
            if len(parts) >= 4:
                start, length = int(parts[2]), int(parts[3])
                spans[parts[0]] = (start, start + length)
        persons: list[Span] = []
        for line in objects.read_text(encoding="utf-8").splitlines():
            head = line.split("#", 1)[0].split()
            if len(head) >= 3 and head[1] == "Person":
                extent = [spans[s] for s in head[2:] if s in spans]
                if extent:
                    persons.append((min(a for a, _ in extent), max(b for _, b in extent)))
        docs.append(GoldDoc(base.name, text, "ru", tuple(sorted(set(persons)))))
    return docs


def load_ner_uk(folder: Path) -> list[GoldDoc]:
    """NER-UK 2.0 documents of the standard TEST split: ``PERS`` spans."""
    split = (folder / "dev-test-split.txt").read_text(encoding="utf-8").split()
    test = set(split[split.index("TEST") + 1 :]) if "TEST" in split else set()
    docs = []
    for ann in sorted(folder.glob("*/*.ann")):
        if test and ann.stem not in test:
            continue
        text = ann.with_suffix(".txt").read_text(encoding="utf-8")
        spans = []
        for line in ann.read_text(encoding="utf-8").splitlines():
            fields = line.replace("\t", " ").split()  # "T1 PERS 0 5 text" (tabs or spaces)
            if len(fields) >= 4 and fields[1] == "PERS" and fields[2].isdigit() and fields[3].isdigit():
                spans.append((int(fields[2]), int(fields[3])))
        docs.append(GoldDoc(f"{ann.parent.name}/{ann.stem}", text, "uk", tuple(sorted(set(spans)))))
    return docs


def load_bsnlp(folder: Path, languages: Sequence[str] = ("ru", "uk")) -> list[GoldDoc]:
    """BSNLP documents with annotations: text after the 4 header lines, ``PER`` surfaces and bases."""
    docs = []
    for lang in languages:
        for annotated in sorted(folder.glob(f"*/annotated/{lang}/*")):
            raw_dir = annotated.parent.parent.parent / "raw" / lang
            lines = annotated.read_text(encoding="utf-8-sig").splitlines()
            if not lines:
                continue
            doc_id = lines[0].strip()
            raw = next((p for p in raw_dir.glob("*") if _first_line(p) == doc_id), None)
            if raw is None:
                continue
            text = "\n".join(raw.read_text(encoding="utf-8-sig").splitlines()[4:])
            surfaces = []
            for line in lines[1:]:
                parts = line.split("\t")
                if len(parts) >= 3 and parts[2].strip() == "PER":
                    surfaces.append((parts[0].strip(), parts[1].strip()))
            docs.append(
                GoldDoc(
                    f"{annotated.parent.parent.parent.name}/{lang}/{doc_id}", text, lang, (), tuple(surfaces)
                )
            )
    return docs


def _first_line(path: Path) -> str:
    with path.open(encoding="utf-8-sig") as handle:
        return handle.readline().strip()


# ------------------------------------------------------------------------------------- scoring
def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.replace("’", "'").lower())
    return "".join(ch for ch in text if not unicodedata.combining(ch))


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"\w+", _fold(text)) if len(w) >= 3}


def score_spans(score: Score, doc: GoldDoc, predicted: Iterable[Span], keep_examples: bool) -> None:
    """Span matching: strict = identical span, partial = overlap; each gold span counts once."""
    preds = sorted(set(predicted))
    gold = doc.spans
    score.predicted += len(preds)
    score.gold += len(gold)
    exact = set(gold)
    for p in preds:
        strict = p in exact
        partial = any(a < p[1] and p[0] < b for a, b in gold)
        score.tp_pred_strict += strict
        score.tp_pred_partial += partial
        if not partial and keep_examples:
            score.false.append(f"{doc.id}: {doc.text[p[0] : p[1]]!r}")
    pred_set = set(preds)
    for g in gold:
        score.tp_gold_strict += g in pred_set
        hit = any(a < g[1] and g[0] < b for a, b in preds)
        score.tp_gold_partial += hit
        if not hit and keep_examples:
            score.misses.append(f"{doc.id}: {doc.text[g[0] : g[1]]!r}")


def score_surfaces(
    score: Score, doc: GoldDoc, predicted: Iterable[tuple[str, str]], keep_examples: bool
) -> None:
    """Document-level sets of surface forms; also checks our nominative against the base form."""
    gold = {s.lower(): b for s, b in doc.surfaces}
    preds = {s.lower(): native for s, native in predicted}
    score.predicted += len(preds)
    score.gold += len(gold)
    gold_words = [(s, _words(s)) for s in gold]
    for surface, native in preds.items():
        strict = surface in gold
        words = _words(surface)
        partial = strict or any(words & w for _, w in gold_words)
        score.tp_pred_strict += strict
        score.tp_pred_partial += partial
        if strict and native:
            score.lemma_checked += 1
            score.lemma_right += _fold(native) == _fold(gold[surface])
        if not partial and keep_examples:
            score.false.append(f"{doc.id}: {surface!r}")
    pred_words = [_words(s) for s in preds]
    for surface, words in gold_words:
        score.tp_gold_strict += surface in preds
        hit = surface in preds or any(words & w for w in pred_words)
        score.tp_gold_partial += hit
        if not hit and keep_examples:
            score.misses.append(f"{doc.id}: {surface!r}")


def _person_entities(enricher: Enricher, title: str, text: str, language: str | None) -> list[EntityResult]:
    return [e for e in enricher.enrich(title, text, language).entities if e.detected]


def evaluate_ner(
    detector: PersonDetector, enricher: Enricher, docs: Sequence[GoldDoc], examples: bool
) -> tuple[Score, Score]:
    """(names, in context) scores on one gold set."""
    names, context = Score(), Score()
    for doc in docs:
        everyone = detector.detect(doc.text, doc.language, lambda span, _: span, officials=True)
        people = _person_entities(enricher, "", doc.text, doc.language)
        if doc.surfaces:
            natives = {n.surface: n.native for n in detector.names(doc.text, doc.language)}
            found = [(s, natives.get(s, "")) for p in everyone for s in p.surfaces]
            score_surfaces(names, doc, found, examples)
            score_surfaces(context, doc, [(s, "") for p in people for s in p.variants_seen], examples)
        else:
            score_spans(names, doc, [s for p in everyone for s in p.mentions], examples)
            score_spans(context, doc, [s for p in people for s in p.spans], examples)
    return names, context


def evaluate_hrdsattack(enricher: Enricher, folder: Path, examples: bool) -> dict[tuple[str, str], Score]:
    """Victim-name recall and (lower-bound) precision per half of HRDsAttack, for the detected people
    (``detected``) and for every person entity, curated ones included (``all``)."""
    scores: dict[tuple[str, str], Score] = {
        (half, kind): Score() for half in (DEV, HELD_OUT) for kind in ("detected", "all")
    }
    for name in ("train.json", "dev.json"):
        for record in json.loads((folder / name).read_text(encoding="utf-8")):
            sample, merged = record["sample"], record["merged_sample"]
            item_id = str(sample["Input.GLOBALEVENTID"])
            half = split_half(HRDSATTACK, item_id)
            title = str(sample.get("Input.title") or "")
            text = html_paragraphs(str(sample.get("Input.article_interface") or ""))
            victims = {
                str(v["victim_name"]).strip()
                for v in merged.get("victims") or []
                if v.get("victim_name") and str(v["victim_name"]).strip()
            }
            people = [e for e in enricher.enrich(title, text, "en").entities if e.type == "person"]
            for kind in ("detected", "all"):
                chosen = [p for p in people if p.detected or kind == "all"]
                keep = examples and half == DEV and kind == "detected"
                _score_victims(scores[half, kind], item_id, victims, chosen, keep)
    return scores


def _score_victims(
    score: Score, item_id: str, victims: set[str], people: Sequence[EntityResult], keep: bool
) -> None:
    found = [(p.name, p.variants_seen) for p in people]
    score.predicted += len(found)
    score.gold += len(victims)
    victim_words = {v: _words(v) for v in victims}
    for name, seen in found:
        forms = {_fold(name), *(_fold(s) for s in seen)}
        strict = any(_fold(v) in forms for v in victims)
        words = _words(name) | {w for s in seen for w in _words(s)}
        partial = strict or any(words & w for w in victim_words.values())
        score.tp_pred_strict += strict
        score.tp_pred_partial += partial
        if not partial and keep:
            score.false.append(f"{item_id}: {name!r}")
    for victim, words in victim_words.items():
        strict = any(_fold(victim) in {_fold(n), *(_fold(s) for s in seen)} for n, seen in found)
        partial = strict or any(
            words & (_words(n) | {w for s in seen for w in _words(s)}) for n, seen in found
        )
        score.tp_gold_strict += strict
        score.tp_gold_partial += partial
        if not partial and keep:
            score.misses.append(f"{item_id}: {victim!r}")


# ------------------------------------------------------------------------------------- report
def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m pipeline.tagging.evaluate_persons", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--gold", type=Path, default=None, help="gold data folder (default ~/.cache/newsmon-gold)"
    )
    parser.add_argument("--shared", type=Path, default=None, help="shared data folder (default ../shared)")
    parser.add_argument("--misses", action="store_true", help="list misses and false persons (dev half only)")
    parser.add_argument("--only", default="", help="comma-separated datasets to run")
    args = parser.parse_args(argv)
    gold = args.gold or default_gold_dir()
    only = set(filter(None, args.only.split(",")))
    started = time.perf_counter()
    enricher = Enricher.load()
    detector = enricher.persons
    if detector is None:
        print("person detection is off", file=sys.stderr)
        return 1
    rows: list[str] = []
    examples: list[str] = []
    hrds = (args.shared or default_shared_dir()) / LABELLED / HRDSATTACK
    if (not only or "hrdsattack" in only) and (hrds / "train.json").exists():
        for (half, kind), score in evaluate_hrdsattack(enricher, hrds, args.misses).items():
            mode = "in context" if kind == "detected" else "in context, curated people too"
            rows.append(
                "| " + " | ".join(["HRDsAttack victim names (en)", half, mode, *score.cells()]) + " |"
            )
            if args.misses and half == DEV and kind == "detected":
                examples += [f"HRDsAttack dev miss {m}" for m in score.misses]
                examples += [f"HRDsAttack dev not a victim {m}" for m in score.false]
    elif not only or "hrdsattack" in only:
        rows.append("| HRDsAttack | - | not present | | | | |")
    sets = (
        ("factRuEval-2016 test (ru)", "factrueval", gold / "factRuEval-2016" / "testset", load_factrueval),
        (
            "NER-UK 2.0 test, news of Nashi Groshi (uk)",
            "ner-uk",
            gold / "ner-uk" / "v2.0" / "data",
            lambda p: [d for d in load_ner_uk(p) if d.id.startswith("ng/")],
        ),
        (
            "NER-UK 2.0 test, BRUK mixed genres (uk)",
            "ner-uk",
            gold / "ner-uk" / "v2.0" / "data",
            lambda p: [d for d in load_ner_uk(p) if not d.id.startswith("ng/")],
        ),
        ("BSNLP 2019-2021 (ru)", "bsnlp", gold / "bsnlp", lambda p: load_bsnlp(p, ("ru",))),
        ("BSNLP 2019-2021 (uk)", "bsnlp", gold / "bsnlp", lambda p: load_bsnlp(p, ("uk",))),
    )
    lemma_lines = []
    for label, key, folder, loader in sets:
        if only and key not in only:
            continue
        if not folder.exists():
            rows.append(f"| {label} | - | not present ({folder}) | | | | |")
            continue
        docs = loader(folder)
        names, context = evaluate_ner(detector, enricher, docs, args.misses)
        rows.append("| " + " | ".join([label, f"{len(docs)} docs", "names", *names.cells()]) + " |")
        rows.append(
            "| " + " | ".join([label, f"{len(docs)} docs", "in context", *context.cells(False)]) + " |"
        )
        if names.lemma_checked:
            lemma_lines.append(
                f"{label}: our nominative equals the gold base form for {names.lemma_right}/"
                f"{names.lemma_checked} names found with the gold surface form "
                f"({names.lemma_right / names.lemma_checked:.3f})."
            )
        if args.misses:
            examples += [f"{label} miss {m}" for m in names.misses[:40]]
            examples += [f"{label} false {m}" for m in names.false[:40]]
            examples += [f"{label} false in context {m}" for m in context.false[:40]]
    print(
        "| dataset | half / size | mode | precision strict | precision partial | recall strict | "
        "recall partial |"
    )
    print("|---|---|---|---:|---:|---:|---:|")
    print("\n".join(rows))
    if lemma_lines:
        print("\n" + "\n".join(lemma_lines))
    print(f"\n({time.perf_counter() - started:.0f} s)")
    if examples:
        print("\n" + "\n".join(examples))
    return 0


if __name__ == "__main__":
    sys.exit(main())
