"""Turns the validated configuration into the structures the enricher runs on.

Every pattern of every lexicon group, mask and entity variant is parsed once and registered with a
single ``Matcher``; groups, masks and entity variants keep the indices of their patterns. Tags are
ordered so that a tag is evaluated after the tags its rules depend on (``with: tag:x``, implication
by child tags).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pipeline.tagging.matcher import CompiledPattern, Matcher
from pipeline.tagging.patterns import PatternError, parse_pattern
from pipeline.tagging.taxonomy import Entity, PatternEntry, Proximity, Tag, TaxonomyError, TaxonomyFile
from pipeline.tagging.translit import be_to_latin

__all__ = ["CompiledRule", "CompiledTag", "CompiledTaxonomy", "Near", "VariantInfo", "compile_taxonomy"]

COUNTRY_TAG = "belarus"


@dataclass(frozen=True)
class Near:
    """A proximity condition: any of ``groups`` within ``window`` words (of the same sentence unless
    ``cross_sentences``)."""

    groups: tuple[int, ...]
    window: int
    cross_sentences: bool = False


@dataclass(frozen=True)
class CompiledRule:
    """A rule with group names resolved to group indices (see ``taxonomy.Rule``)."""

    id: str
    weight: float
    match: tuple[int, ...]
    near: Near | None
    unless_near: Near | None
    with_groups: tuple[int, ...]
    with_tags: tuple[str, ...]
    unless_groups: tuple[int, ...]
    unless_tags: tuple[str, ...]
    max_count: int


@dataclass(frozen=True)
class CompiledTag:
    """A tag ready for evaluation; ``implied_by`` lists child tags that imply it."""

    id: str
    label: str
    threshold: float
    rules: tuple[CompiledRule, ...]
    implied_by: tuple[str, ...]


@dataclass(frozen=True)
class VariantInfo:
    """How one entity name variant is accepted (country evidence, counter-context, proximity)."""

    entity: int
    requires_belarus: bool
    unless: tuple[int, ...]
    near: Near | None


@dataclass
class CompiledTaxonomy:
    """Everything the enricher needs: the matcher, group/mask/entity tables and ordered tags."""

    matcher: Matcher
    group_names: tuple[str, ...]
    pattern_groups: dict[int, tuple[int, ...]]
    mask_patterns: dict[int, frozenset[int] | None]  # mask pattern -> groups it masks (None: all)
    pattern_variants: dict[int, tuple[VariantInfo, ...]]
    tags: tuple[CompiledTag, ...]  # evaluation order
    tag_order: tuple[str, ...]  # output order (as in the file)
    entities: tuple[Entity, ...]
    entity_roles: dict[int, tuple[int, ...]]  # entity index -> role pseudo-group ids
    language_groups: dict[str, int]  # language code -> lang:xx pseudo-group id


class _Registry:
    def __init__(self) -> None:
        self.patterns: list[CompiledPattern] = []
        self.index: dict[CompiledPattern, int] = {}

    def add(self, entry: PatternEntry, where: str) -> list[int]:
        try:
            specs = parse_pattern(entry.p)
            excludes = tuple(e for ex in entry.not_ for spec in parse_pattern(ex) for e in spec.elements)
        except PatternError as exc:
            raise TaxonomyError(f"{where}: {exc}") from exc
        ids = []
        for spec in specs:
            compiled = CompiledPattern(spec, excludes)
            if compiled not in self.index:
                self.index[compiled] = len(self.patterns)
                self.patterns.append(compiled)
            ids.append(self.index[compiled])
        return ids


def compile_taxonomy(
    taxonomy: TaxonomyFile, entities: tuple[Entity, ...], taxonomy_path: Path
) -> CompiledTaxonomy:
    registry = _Registry()
    roles = sorted({f"role:{r}" for entity in entities for r in entity.roles})
    languages = sorted(
        {
            ref
            for tag in taxonomy.tags
            for rule in tag.rules
            for ref in (*rule.with_, *rule.unless)
            if ref.startswith("lang:")
        }
    )
    group_names = (*taxonomy.lexicon, *roles, *languages)
    group_index = {name: i for i, name in enumerate(group_names)}
    pattern_groups: dict[int, list[int]] = {}
    for name, group in taxonomy.lexicon.items():
        for n, (lang, entry) in enumerate(group.entries()):
            for pid in registry.add(entry, f"{taxonomy_path}: lexicon.{name}.{lang}[{n}]"):
                if group_index[name] not in pattern_groups.setdefault(pid, []):
                    pattern_groups[pid].append(group_index[name])
    masks: dict[int, frozenset[int] | None] = {}
    for mask in taxonomy.masks:
        scope = frozenset(group_index[g] for g in mask.applies_to) if mask.applies_to else None
        for n, (lang, entry) in enumerate(mask.entries()):
            for pid in registry.add(entry, f"{taxonomy_path}: masks[id={mask.id}].{lang}[{n}]"):
                previous = masks.get(pid, frozenset())
                masks[pid] = None if scope is None or previous is None else previous | scope
    variants: dict[int, list[VariantInfo]] = {}
    for e_index, entity in enumerate(entities):
        for n, (lang, variant) in enumerate(entity.variants.entries()):
            info = VariantInfo(
                entity=e_index,
                requires_belarus=entity.requires_belarus
                if variant.requires_belarus is None
                else variant.requires_belarus,
                unless=tuple(
                    group_index[g] for g in (entity.unless if variant.unless is None else variant.unless)
                ),
                near=_near(variant.near or entity.near, group_index),
            )
            sources = [variant.p]
            if lang == "be" and not variant.p.startswith("="):
                sources.append(be_to_latin(variant.p))  # Łacinka spelling of the same name
            for source in sources:
                entry = PatternEntry(p=source, ex=variant.ex)
                for pid in registry.add(entry, f"entities[id={entity.id}].variants.{lang}[{n}]"):
                    if info not in variants.setdefault(pid, []):
                        variants[pid].append(info)
    tags = _order_tags(taxonomy.tags, taxonomy_path)
    compiled_tags = tuple(_compile_tag(tag, taxonomy.tags, group_index) for tag in tags)
    return CompiledTaxonomy(
        matcher=Matcher(registry.patterns),
        group_names=group_names,
        pattern_groups={pid: tuple(g) for pid, g in pattern_groups.items()},
        mask_patterns=masks,
        pattern_variants={pid: tuple(v) for pid, v in variants.items()},
        tags=compiled_tags,
        tag_order=tuple(tag.id for tag in taxonomy.tags),
        entities=entities,
        entity_roles={
            i: tuple(group_index[f"role:{r}"] for r in entity.roles)
            for i, entity in enumerate(entities)
            if entity.roles
        },
        language_groups={ref[5:]: group_index[ref] for ref in languages},
    )


def _near(proximity: Proximity | None, group_index: dict[str, int]) -> Near | None:
    if proximity is None:
        return None
    return Near(tuple(group_index[g] for g in proximity.any), proximity.window, proximity.cross_sentences)


def _compile_tag(tag: Tag, all_tags: tuple[Tag, ...], group_index: dict[str, int]) -> CompiledTag:
    rules = []
    for rule in tag.rules:
        rules.append(
            CompiledRule(
                id=rule.id,
                weight=rule.weight,
                match=tuple(group_index[g] for g in rule.match),
                near=_near(rule.near, group_index),
                unless_near=_near(rule.unless_near, group_index),
                with_groups=tuple(group_index[g] for g in rule.with_ if not g.startswith("tag:")),
                with_tags=tuple(g[4:] for g in rule.with_ if g.startswith("tag:")),
                unless_groups=tuple(group_index[g] for g in rule.unless if not g.startswith("tag:")),
                unless_tags=tuple(g[4:] for g in rule.unless if g.startswith("tag:")),
                max_count=rule.max_count,
            )
        )
    children = tuple(t.id for t in all_tags if t.parent == tag.id) if tag.implied_by_children else ()
    return CompiledTag(tag.id, tag.label, tag.threshold, tuple(rules), children)


def _order_tags(tags: tuple[Tag, ...], path: Path) -> list[Tag]:
    """Dependencies first: the country tag, then tags named by ``with``/``unless``, then parents."""
    by_id = {t.id: t for t in tags}
    deps: dict[str, set[str]] = {}
    for tag in tags:
        needed = {
            ref[4:] for rule in tag.rules for ref in (*rule.with_, *rule.unless) if ref.startswith("tag:")
        }
        if tag.implied_by_children:
            needed |= {t.id for t in tags if t.parent == tag.id}
        if tag.id != COUNTRY_TAG and COUNTRY_TAG in by_id:
            needed.add(COUNTRY_TAG)  # ambiguous entities are resolved once the country tag is known
        deps[tag.id] = needed
    ordered: list[Tag] = []
    state: dict[str, int] = {}

    def visit(tag_id: str, chain: tuple[str, ...]) -> None:
        if state.get(tag_id) == 2:
            return
        if state.get(tag_id) == 1:
            raise TaxonomyError(f"{path}: tags: dependency cycle {' -> '.join((*chain, tag_id))}")
        state[tag_id] = 1
        for dep in sorted(deps[tag_id]):
            visit(dep, (*chain, tag_id))
        state[tag_id] = 2
        ordered.append(by_id[tag_id])

    for tag in tags:
        visit(tag.id, ())
    return ordered
