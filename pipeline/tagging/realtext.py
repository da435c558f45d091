"""Labelled real-world text from ``../shared/corpora/labelled``: loader, fixed split and recall report.

Two corpora written and labelled by other people (see ``../shared/corpora/labelled/README.md``):

* ``hrdsattack``: news articles about attacks on human-rights defenders, journalists and trade
  unionists (``train.json`` + ``dev.json``, 400 items, English), labelled with violation types and
  victim types;
* ``acled-russia``: one-paragraph ACLED notes on protest events in Russia, 2018-2022 (7,392 rows),
  labelled with an ACLED ``sub_event_type``.

Labels map to our tags as the corpora README suggests (``hrdsattack_tags``, ``acled_tags``). A
label says what an item is about; its absence does not say a tag is wrong (a killing story may also
report torture), so the report gives recall per tag and counts the tags fired on items without the
label (``unlabelled``) as an upper bound of false positives, not as precision.

HRDsAttack labels are wider than some of our definitions: "any violation" includes kidnappings and
murders by private persons, "torture" includes torture by criminals, and a "human rights defender"
victim may be a president, a senator or a professor. ``hrdsattack_scope`` marks, from the corpus's
own labels only, the items inside our definitions (a state perpetrator, a journalist/defender/
unionist victim, a defender described as such); the report shows recall on that subset as a
diagnostic next to the targeted figure.

**Split.** Each corpus is split once and for all into a *development half* and a *held-out half*:
an item is in the development half when the first byte of ``sha256("<corpus>:<item id>")`` is even
(item id: HRDsAttack ``Input.GLOBALEVENTID``, ACLED ``event_id_cnty``). Vocabulary work may look at
development-half items only; the held-out half is measured, never read. The rule does not depend on
file order or on which other items exist.

Pure Python (no Beam); nothing here is needed at run time. ``python -m pipeline.tagging.realtext``
prints the report (``make eval`` includes it).
"""

from __future__ import annotations

import csv
import hashlib
import html
import json
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pipeline.tagging.enricher import Enricher

__all__ = [
    "DEV",
    "HELD_OUT",
    "RECALL_TARGETS",
    "Half",
    "RealItem",
    "RealTextResult",
    "check_realtext_targets",
    "default_shared_dir",
    "load_acled",
    "load_hrdsattack",
    "load_realtext",
    "render_realtext",
    "score_realtext",
    "split_half",
]

ROOT = Path(__file__).resolve().parents[2]
LABELLED = Path("corpora") / "labelled"
HRDSATTACK, ACLED = "hrdsattack", "acled-russia"
CORPORA = (HRDSATTACK, ACLED)

Half = Literal["dev", "held-out"]
DEV: Half = "dev"
HELD_OUT: Half = "held-out"

# Recall targets per (corpus, tag) on both halves; other mapped tags are reported without a target.
RECALL_TARGETS: dict[tuple[str, str], float] = {
    (HRDSATTACK, "human_rights"): 0.92,
    (HRDSATTACK, "civil_society"): 0.85,
    (HRDSATTACK, "enforced_disappearance"): 0.85,
    (HRDSATTACK, "torture"): 0.85,
    (HRDSATTACK, "press_freedom"): 0.85,
    (ACLED, "freedom_of_assembly"): 0.85,
}
# Diagnostic subsets: (corpus, tag) -> what ``RealItem.scoped`` means for that tag.
SCOPES: dict[tuple[str, str], str] = {
    (HRDSATTACK, "human_rights"): "perpetrator a state actor, or a journalist, defender or unionist victim",
    (HRDSATTACK, "torture"): "perpetrator a state actor",
    (HRDSATTACK, "enforced_disappearance"): "perpetrator a state actor",
    (
        HRDSATTACK,
        "civil_society",
    ): "a defender victim described as rights defender, lawyer, union or NGO member",
}
REPORTED: dict[str, tuple[str, ...]] = {
    HRDSATTACK: (
        "human_rights",
        "civil_society",
        "enforced_disappearance",
        "torture",
        "press_freedom",
        "arbitrary_detention",
        "belarus",
    ),
    ACLED: ("freedom_of_assembly", "arbitrary_detention"),
}

# HRDsAttack violation types that name a violation ("other" and "unknown" do not say which).
_NAMED_VIOLATIONS = frozenset(
    {"arbitrary detention", "killing", "kidnapping", "torture", "enforced disappearance"}
)
_VIOLATION_TAGS = {
    "arbitrary detention": "arbitrary_detention",
    "torture": "torture",
    "enforced disappearance": "enforced_disappearance",
}
_VICTIM_TAGS = {"journalist": "press_freedom", "human rights defender": "civil_society"}
_PROTECTED_VICTIMS = frozenset({"journalist", "human rights defender", "trade unionist"})
_STATE_PERPETRATORS = frozenset({"state actor", "other state actors", "other actors with permissions"})
_DEFENDER_WORDS = re.compile(
    r"human right|defender|lawyer|paralegal|union|\bngo|rights activist|rights worker", re.IGNORECASE
)
# ACLED sub-event types where the authorities intervened in a protest.
_REPRESSED_PROTEST = frozenset({"Protest with intervention", "Excessive force against protesters"})
_ARREST_WORDS = re.compile(r"\b(?:arrest|detain|detention)", re.IGNORECASE)

_PARAGRAPH = re.compile(r"<p>(.*?)</p>", re.DOTALL)
_TAG = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"[ \t\r\f\v]+")


@dataclass(frozen=True)
class RealItem:
    """One labelled item: text, the tags its labels imply, its half and a short label summary."""

    corpus: str
    id: str
    title: str
    text: str
    expected: frozenset[str]
    half: Half
    labels: str = ""
    scoped: frozenset[str] = frozenset()


def default_shared_dir() -> Path:
    """``../shared`` next to the project root (the team's shared data)."""
    return ROOT.parent / "shared"


def split_half(corpus: str, item_id: str) -> Half:
    """The item's half: ``dev`` when ``sha256("<corpus>:<id>")`` starts with an even byte."""
    digest = hashlib.sha256(f"{corpus}:{item_id}".encode()).digest()
    return DEV if digest[0] % 2 == 0 else HELD_OUT


def html_paragraphs(raw: str) -> str:
    """HRDsAttack's ``<p>`` paragraphs as plain text, one paragraph per blank-line-separated block."""
    paragraphs = _PARAGRAPH.findall(raw) or [raw]
    cleaned = (_SPACE.sub(" ", html.unescape(_TAG.sub(" ", p))).strip() for p in paragraphs)
    return "\n\n".join(p for p in cleaned if p)


def _victim_types(victim: dict[str, Any]) -> set[str]:
    raw = victim.get("victim_type") or []
    return {str(t) for t in (raw if isinstance(raw, list) else [raw])}


def hrdsattack_tags(merged: dict[str, Any]) -> frozenset[str]:
    """Tags implied by one HRDsAttack ``merged_sample`` (see the corpora README)."""
    violations = {str(v) for v in merged.get("violation_types") or []}
    tags = {_VIOLATION_TAGS[v] for v in violations if v in _VIOLATION_TAGS}
    if violations & _NAMED_VIOLATIONS:
        tags.add("human_rights")
    for victim in merged.get("victims") or []:
        tags |= {_VICTIM_TAGS[t] for t in _victim_types(victim) if t in _VICTIM_TAGS}
    if str(merged.get("country", "")).strip().lower() == "belarus":
        tags.add("belarus")
    return frozenset(tags)


def hrdsattack_scope(merged: dict[str, Any]) -> frozenset[str]:
    """Expected tags whose label falls inside our definition (see ``SCOPES``); labels only."""
    tags = hrdsattack_tags(merged)
    victims = merged.get("victims") or []
    state = str(merged.get("perpetrator_type")) in _STATE_PERPETRATORS
    protected = any(_victim_types(v) & _PROTECTED_VICTIMS for v in victims)
    described = any(
        "human rights defender" in _victim_types(v)
        and _DEFENDER_WORDS.search(str(v.get("victim_keywords") or ""))
        for v in victims
    )
    inside = {
        "human_rights": state or protected,
        "torture": state,
        "enforced_disappearance": state,
        "civil_society": described,
    }
    return frozenset(t for t, ok in inside.items() if ok and t in tags)


def load_hrdsattack(folder: Path) -> list[RealItem]:
    """``train.json`` and ``dev.json`` of HRDsAttack (both files; their own split is not ours)."""
    items: list[RealItem] = []
    for name in ("train.json", "dev.json"):
        for record in json.loads((folder / name).read_text(encoding="utf-8")):
            sample, merged = record["sample"], record["merged_sample"]
            item_id = str(sample["Input.GLOBALEVENTID"])
            victims = sorted({t for v in merged.get("victims") or [] for t in _victim_types(v)})
            items.append(
                RealItem(
                    corpus=HRDSATTACK,
                    id=item_id,
                    title=str(sample.get("Input.title") or ""),
                    text=html_paragraphs(str(sample.get("Input.article_interface") or "")),
                    expected=hrdsattack_tags(merged),
                    half=split_half(HRDSATTACK, item_id),
                    labels="; ".join([", ".join(merged.get("violation_types") or []), ", ".join(victims)]),
                    scoped=hrdsattack_scope(merged),
                )
            )
    return items


def acled_tags(row: dict[str, str]) -> frozenset[str]:
    """Tags implied by one ACLED row: an intervention in a protest is a freedom-of-assembly case."""
    if row.get("sub_event_type") not in _REPRESSED_PROTEST:
        return frozenset()
    tags = {"freedom_of_assembly"}
    if _ARREST_WORDS.search(row.get("notes", "")):
        tags.add("arbitrary_detention")
    return frozenset(tags)


def load_acled(folder: Path) -> list[RealItem]:
    """Every row of ``acled_war_gov_MT.csv``; the text is the event's ``notes``."""
    items: list[RealItem] = []
    with (folder / "acled_war_gov_MT.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            item_id = row["event_id_cnty"]
            items.append(
                RealItem(
                    corpus=ACLED,
                    id=item_id,
                    title="",
                    text=row.get("notes", ""),
                    expected=acled_tags(row),
                    half=split_half(ACLED, item_id),
                    labels=row.get("sub_event_type", ""),
                )
            )
    return items


def load_realtext(shared: Path | None = None) -> list[RealItem]:
    """Both corpora when ``shared`` (default ``../shared``) has them; an empty list otherwise."""
    labelled = (shared or default_shared_dir()) / LABELLED
    items: list[RealItem] = []
    if (labelled / HRDSATTACK / "train.json").exists():
        items += load_hrdsattack(labelled / HRDSATTACK)
    if (labelled / ACLED / "acled_war_gov_MT.csv").exists():
        items += load_acled(labelled / ACLED)
    return items


@dataclass
class Count:
    """Items with the label (``support``), of those tagged (``hits``); tagged items without it."""

    support: int = 0
    hits: int = 0
    unlabelled: int = 0
    unlabelled_of: int = 0

    @property
    def recall(self) -> float:
        return self.hits / self.support if self.support else 1.0


@dataclass
class RealTextResult:
    """Counts per (corpus, half, tag), item counts per (corpus, half), and development-half misses."""

    counts: dict[tuple[str, str, str], Count] = field(default_factory=dict)
    sizes: dict[tuple[str, str], int] = field(default_factory=dict)
    dev_misses: list[str] = field(default_factory=list)

    def count(self, corpus: str, half: str, tag: str) -> Count:
        return self.counts.setdefault((corpus, half, tag), Count())


def score_realtext(enricher: Enricher, items: Iterable[RealItem]) -> RealTextResult:
    """Tag every item and count per corpus, half and reported tag. Misses are kept for ``dev`` only."""
    result = RealTextResult()
    for item in items:
        key = (item.corpus, item.half)
        result.sizes[key] = result.sizes.get(key, 0) + 1
        got = set(enricher.enrich(item.title, item.text).tags)
        for tag in REPORTED[item.corpus]:
            count = result.count(item.corpus, item.half, tag)
            if tag in item.expected:
                count.support += 1
                count.hits += tag in got
                if tag not in got and item.half == DEV:
                    result.dev_misses.append(f"{item.corpus}:{item.id}: missed {tag}")
            else:
                count.unlabelled_of += 1
                count.unlabelled += tag in got
        for tag in item.scoped:
            scoped = result.count(item.corpus, item.half, f"{tag}*")
            scoped.support += 1
            scoped.hits += tag in got
    return result


def check_realtext_targets(result: RealTextResult) -> list[str]:
    """Missed recall targets, e.g. ``hrdsattack held-out torture recall 0.800 < 0.85``."""
    missed = []
    for (corpus, tag), target in RECALL_TARGETS.items():
        for half in (DEV, HELD_OUT):
            count = result.counts.get((corpus, half, tag))
            if count is not None and count.support and count.recall < target:
                missed.append(f"{corpus} {half} {tag} recall {count.recall:.3f} < {target}")
    return missed


def render_realtext(result: RealTextResult) -> str:
    """Markdown: recall per tag and half, and tags fired on items without the label."""
    if not result.sizes:
        return "Real labelled text: ../shared/corpora/labelled is not present - not measured."
    lines = [
        "Real labelled text (`python -m pipeline.tagging.realtext`; split and label mapping in "
        "`pipeline/tagging/realtext.py`): recall on items with the label, and how many items "
        "without the label got the tag (labels are not exhaustive: an upper bound of false positives).",
        "",
        "| corpus | tag | dev recall | held-out recall | target | dev tagged without label | "
        "held-out tagged without label |",
        "|---|---|---:|---:|---|---:|---:|",
    ]
    for corpus in CORPORA:
        if (corpus, DEV) not in result.sizes:
            continue
        for tag in REPORTED[corpus]:
            cells = [corpus, tag]
            for half in (DEV, HELD_OUT):
                count = result.count(corpus, half, tag)
                cells.append(f"{count.recall:.3f} ({count.hits}/{count.support})")
            target = RECALL_TARGETS.get((corpus, tag))
            cells.append(f"R ≥ {target}" if target else "")
            for half in (DEV, HELD_OUT):
                count = result.count(corpus, half, tag)
                cells.append(f"{count.unlabelled}/{count.unlabelled_of}")
            lines.append("| " + " | ".join(cells) + " |")
    lines += _render_scopes(result)
    sizes = ", ".join(f"{c} {h} {n}" for (c, h), n in sorted(result.sizes.items()))
    missed = check_realtext_targets(result)
    lines += [
        "",
        f"Items: {sizes}.",
        "",
        "Real-text targets: " + ("all met." if not missed else "MISSED - " + "; ".join(missed)),
    ]
    return "\n".join(lines)


def _render_scopes(result: RealTextResult) -> list[str]:
    rows = []
    for (corpus, tag), meaning in SCOPES.items():
        dev, held = (result.counts.get((corpus, h, f"{tag}*")) for h in (DEV, HELD_OUT))
        if dev is None or held is None:
            continue
        cells = [f"{c.recall:.3f} ({c.hits}/{c.support})" for c in (dev, held)]
        rows.append(f"| {corpus} | {tag} | {meaning} | {cells[0]} | {cells[1]} |")
    if not rows:
        return []
    return [
        "",
        "Diagnostic: recall on the items whose label falls inside our definition, by the corpus's own "
        "labels (no target; see `hrdsattack_scope`).",
        "",
        "| corpus | tag | subset | dev recall | held-out recall |",
        "|---|---|---|---:|---:|",
        *rows,
    ]


def main(argv: Sequence[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m pipeline.tagging.realtext", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--shared", type=Path, default=None, help="shared data folder (default ../shared)")
    parser.add_argument("--misses", action="store_true", help="list development-half misses")
    args = parser.parse_args(argv)
    result = score_realtext(Enricher.load(), load_realtext(args.shared))
    print(render_realtext(result))
    if args.misses:
        print("\n".join(["", "Development-half misses:", *result.dev_misses]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
