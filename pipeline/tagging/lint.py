"""``newsmon taxonomy check``: lint the tagging configuration beyond schema validation.

Problems (errors) make the check fail; warnings are printed but pass:

* error: a pattern that does not match its own examples (``ex``), a tag that does not fire on one of
  its positive examples or fires on a negative one, a pattern mixing Latin and Cyrillic letters
  (a typo that can never match);
* warning: the same pattern listed twice for one language of a group (after normalisation), an
  anchor literal shorter than 3 characters (slow: it is found inside many words).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.tagging.enricher import Enricher
from pipeline.tagging.matcher import CompiledPattern, Matcher
from pipeline.tagging.normalize import normalize
from pipeline.tagging.patterns import REACH_WORDS, PatternError, anchor_index, parse_pattern, reach
from pipeline.tagging.taxonomy import PatternEntry, TaxonomyFile, load_taxonomy

__all__ = ["LintReport", "lint"]

_LATIN = re.compile(r"[a-z]")
_CYRILLIC = re.compile(r"[а-яєїґўё]")


@dataclass
class LintReport:
    """Errors (fail the check), warnings and size statistics of a lint run."""

    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    stats: dict[str, int] = field(default_factory=dict)


def lint(
    taxonomy_path: Path, entities_path: Path | None = None, places_path: Path | None = None
) -> LintReport:
    """Load (schema + references), then run the checks above; schema errors raise ``TaxonomyError``."""
    enricher = Enricher.load(taxonomy_path, entities_path, places_path)
    taxonomy = load_taxonomy(taxonomy_path)
    report = LintReport()
    _check_groups(taxonomy, taxonomy_path, report)
    _check_tag_examples(taxonomy, taxonomy_path, enricher, report)
    _check_entity_examples(enricher, report)
    report.stats = {
        "tags": len(taxonomy.tags),
        "groups": len(taxonomy.lexicon),
        "patterns": enricher.compiled.matcher.pattern_count,
        "entities": len(enricher.compiled.entities),
    }
    return report


def _check_groups(taxonomy: TaxonomyFile, path: Path, report: LintReport) -> None:
    for name, group in taxonomy.lexicon.items():
        seen: set[tuple[str, str]] = set()
        for lang, entry in group.entries():
            where = f"{path}: lexicon.{name}.{lang}: {entry.p!r}"
            _check_entry(entry, where, report)
            key = (lang, normalize(entry.p))  # the same word in two languages is fine
            if key in seen:
                report.warnings.append(f"{where}: listed twice (after normalisation)")
            seen.add(key)
    for mask in taxonomy.masks:
        for lang, entry in mask.entries():
            _check_entry(entry, f"{path}: masks[id={mask.id}].{lang}: {entry.p!r}", report)


def _check_entry(entry: PatternEntry, where: str, report: LintReport) -> None:
    text = normalize(entry.p)
    if _LATIN.search(text.replace("i", "")) and _CYRILLIC.search(text):
        report.errors.append(f"{where}: mixes Latin and Cyrillic letters")
    try:
        specs = parse_pattern(entry.p)
    except PatternError as exc:  # already reported by the loader; keep the linter total
        report.errors.append(f"{where}: {exc}")
        return
    for spec in specs:
        anchor = spec.elements[anchor_index(spec)]
        if len(anchor.key) < 3 and not anchor.case_sensitive:
            report.warnings.append(f"{where}: anchor {anchor.key!r} is shorter than 3 characters (slow)")
        fewest, most = max(reach(spec, gaps=False)), max(reach(spec))
        if fewest > REACH_WORDS:
            report.errors.append(
                f"{where}: has {fewest} words on one side of its longest word "
                f"{anchor.key!r}; the matcher reads {REACH_WORDS}, so it never matches - shorten or split it"
            )
        elif most > REACH_WORDS:
            report.warnings.append(
                f"{where}: its gaps reach {most} words from its longest word "
                f"{anchor.key!r}; the matcher reads {REACH_WORDS}, so longer gaps do not match"
            )
    if entry.ex:
        excludes = tuple(e for ex in entry.not_ for spec in parse_pattern(ex) for e in spec.elements)
        matcher = Matcher([CompiledPattern(spec, excludes) for spec in specs])
        for example in entry.ex:
            if not matcher.scan(example, normalize(example)):
                report.errors.append(f"{where}: does not match its example {example!r}")


def _check_tag_examples(taxonomy: TaxonomyFile, path: Path, enricher: Enricher, report: LintReport) -> None:
    for tag in taxonomy.tags:
        for example in tag.examples.positive:
            if tag.id not in enricher.enrich(text=example).tags:
                report.errors.append(
                    f"{path}: tags[id={tag.id}].examples.positive: does not fire on {example!r}"
                )
        for example in tag.examples.negative:
            if tag.id in enricher.enrich(text=example).tags:
                report.errors.append(f"{path}: tags[id={tag.id}].examples.negative: fires on {example!r}")


def _check_entity_examples(enricher: Enricher, report: LintReport) -> None:
    for entity in enricher.compiled.entities:
        for lang, variant in entity.variants.entries():
            if not variant.ex:
                continue
            found = {e.id for ex in variant.ex for e in enricher.enrich(text=ex).entities}
            if entity.id not in found:
                report.errors.append(
                    f"entities[id={entity.id}].variants.{lang}: {variant.p!r} misses its examples"
                )
