"""Typed model and loader for the tagging configuration (taxonomy, entities, places).

``load_taxonomy``, ``load_entities`` and ``load_places`` read YAML/JSON, validate it with pydantic
and raise ``TaxonomyError`` whose message names the file, the tag/entity/group and the field, e.g.
``config/taxonomy.yaml: tags[id=torture].rules[id=core].near.window: Input should be ...``.
``check_references`` then checks that every group, tag and entity a rule names exists.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

__all__ = [
    "LANGUAGES",
    "EntitiesFile",
    "Entity",
    "EntityVariant",
    "Group",
    "PatternEntry",
    "PlacesFile",
    "Proximity",
    "Rule",
    "Tag",
    "TaxonomyError",
    "TaxonomyFile",
    "check_references",
    "load_entities",
    "load_places",
    "load_taxonomy",
]

# Pattern lists are kept per language for review and lint; all of them are matched on every article.
LANGUAGES: tuple[str, ...] = ("en", "ru", "be", "be_latn", "uk", "pl", "de", "xx")


class TaxonomyError(ValueError):
    """Invalid tagging configuration; the message names the file, the entry and the field."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class PatternEntry(_Strict):
    """A pattern with extras: words it must not match (``not``) and examples it must match (``ex``)."""

    p: str = Field(min_length=1)
    not_: tuple[str, ...] = Field(default=(), alias="not")
    ex: tuple[str, ...] = ()


class Proximity(_Strict):
    """``any`` of these groups within ``window`` words (either side), in the same sentence unless
    ``cross_sentences: true`` (for the rare rule whose context is legitimately in the next sentence).
    """

    any: tuple[str, ...] = Field(min_length=1)
    window: int = Field(default=10, ge=0, le=200)
    cross_sentences: bool = False


class EntityVariant(_Strict):
    """A name variant; options override the entity's own ``requires_belarus``/``unless``/``near``."""

    p: str = Field(min_length=1)
    requires_belarus: bool | None = None
    unless: tuple[str, ...] | None = None
    near: Proximity | None = None
    ex: tuple[str, ...] = ()


class _LangPatterns(_Strict):
    en: tuple[str | PatternEntry, ...] = ()
    ru: tuple[str | PatternEntry, ...] = ()
    be: tuple[str | PatternEntry, ...] = ()
    be_latn: tuple[str | PatternEntry, ...] = ()
    uk: tuple[str | PatternEntry, ...] = ()
    pl: tuple[str | PatternEntry, ...] = ()
    de: tuple[str | PatternEntry, ...] = ()
    xx: tuple[str | PatternEntry, ...] = ()

    def entries(self) -> Iterator[tuple[str, PatternEntry]]:
        """(language, entry) for every pattern, strings promoted to ``PatternEntry``."""
        for lang in LANGUAGES:
            for item in getattr(self, lang):
                yield lang, item if isinstance(item, PatternEntry) else PatternEntry(p=item)


class Group(_LangPatterns):
    """A named list of patterns per language, referenced by rules, masks and entity options."""

    description: str = ""


class Mask(_LangPatterns):
    """Negative phrases: a match inside a mask's span is discarded (of ``applies_to`` groups only,
    when given; otherwise of every group and entity)."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    description: str = ""
    applies_to: tuple[str, ...] = ()


class Rule(_Strict):
    """``weight`` per match of ``match`` groups, filtered by proximity and article context.

    ``near``: keep a match only if a match of those groups is within the window;
    ``unless_near``: drop it if one is; ``with``: the article must contain one of these groups or
    ``tag:<id>`` tags; ``unless``: the article must contain none of them. At most ``max_count``
    matches count.
    """

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    weight: float = Field(default=1.0, gt=0)
    match: tuple[str, ...] = Field(min_length=1)
    near: Proximity | None = None
    unless_near: Proximity | None = None
    with_: tuple[str, ...] = Field(default=(), alias="with")
    unless: tuple[str, ...] = ()
    max_count: int = Field(default=1, ge=1, le=100)


class HuridocsRef(_Strict):
    """A HURIDOCS micro-thesaurus term this tag corresponds to (vocabulary number + term)."""

    vocab: str = Field(pattern=r"^\d{14}$")
    term: str


class Examples(_Strict):
    """Sentences a tag must fire on (positive) and must not fire on (negative); linted."""

    positive: tuple[str, ...] = ()
    negative: tuple[str, ...] = ()


class Tag(_Strict):
    """A tag: id, label, definition, mappings to GDELT/HURIDOCS, threshold and rules."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str = Field(min_length=1)
    definition: str = Field(min_length=1)
    parent: str | None = None
    implied_by_children: bool = False
    gdelt: tuple[str, ...] = ()
    huridocs: tuple[HuridocsRef, ...] = ()
    threshold: float = Field(default=1.0, gt=0)
    rules: tuple[Rule, ...] = ()
    examples: Examples = Examples()


class TaxonomyFile(_Strict):
    """``config/taxonomy.yaml``: lexicon groups, masks and tags."""

    version: Literal[1]
    lexicon: dict[str, Group]
    masks: tuple[Mask, ...] = ()
    tags: tuple[Tag, ...] = Field(min_length=1)


class _EntityPatterns(_Strict):
    en: tuple[str | EntityVariant, ...] = ()
    ru: tuple[str | EntityVariant, ...] = ()
    be: tuple[str | EntityVariant, ...] = ()
    be_latn: tuple[str | EntityVariant, ...] = ()
    uk: tuple[str | EntityVariant, ...] = ()
    pl: tuple[str | EntityVariant, ...] = ()
    de: tuple[str | EntityVariant, ...] = ()
    xx: tuple[str | EntityVariant, ...] = ()

    def entries(self) -> Iterator[tuple[str, EntityVariant]]:
        for lang in LANGUAGES:
            for item in getattr(self, lang):
                yield lang, item if isinstance(item, EntityVariant) else EntityVariant(p=item)


class Entity(_Strict):
    """A person, organisation, place or facility with a stable id and its cross-script variants.

    ``belarus``: a mention is evidence for the ``belarus`` tag. ``signals``: extra tag weights per
    mention (e.g. Viasna -> human_rights). ``requires_belarus``: ambiguous name, kept only when the
    article is about Belarus on other evidence. ``unless``: dropped when any of these groups occurs
    in the article (Brest + Brittany). ``near``: kept only next to these groups. ``roles``: the
    entity's mentions also count as matches of the pseudo-group ``role:<name>`` in rules (e.g.
    ``role:political_prisoner`` for Bialiatski).
    """

    id: str = Field(pattern=r"^(person|org|place|facility):[a-z0-9][a-z0-9-]*$")
    name: str = Field(min_length=1)
    type: Literal["person", "organisation", "place", "facility"]
    aliases: tuple[str, ...] = ()
    belarus: bool = False
    signals: dict[str, float] = Field(default_factory=dict)
    requires_belarus: bool = False
    unless: tuple[str, ...] = ()
    near: Proximity | None = None
    roles: tuple[str, ...] = ()
    variants: _EntityPatterns
    kind: str | None = None
    geo: tuple[float, float] | None = None


class EntitiesFile(_Strict):
    """``config/entities.yaml``: the entity catalogue."""

    version: Literal[1]
    entities: tuple[Entity, ...]


class PlacesFile(_Strict):
    """``config/places.belarus.json``: gazetteer places (generated), with source and licence."""

    version: Literal[1]
    source: str
    licence: str
    generated_by: str = ""
    places: tuple[Entity, ...]


def _read(path: Path) -> Any:
    try:
        raw = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise TaxonomyError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    try:
        return json.loads(raw) if path.suffix == ".json" else yaml.safe_load(raw)
    except (yaml.YAMLError, json.JSONDecodeError) as exc:
        raise TaxonomyError(
            f"{path}: not valid {'JSON' if path.suffix == '.json' else 'YAML'}: {exc}"
        ) from exc


def _describe_location(data: Any, loc: tuple[int | str, ...]) -> str:
    """``('tags', 3, 'rules', 0, 'near')`` -> ``tags[id=torture].rules[id=core].near``."""
    parts: list[str] = []
    node = data
    for key in loc:
        if isinstance(key, int):
            label = str(key)
            if isinstance(node, list) and key < len(node):
                item = node[key]
                if isinstance(item, dict) and isinstance(item.get("id"), str):
                    label = f"id={item['id']}"
                node = item
            else:
                node = None
            parts[-1:] = [f"{parts[-1] if parts else ''}[{label}]"]
        else:
            parts.append(str(key))
            node = node.get(key) if isinstance(node, dict) else None
    return ".".join(parts) or "<file>"


_M = TypeVar("_M", bound=BaseModel)


def _validate(model: type[_M], data: Any, path: Path) -> _M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors()[:10]:
            # pydantic adds the union branch ("str", "PatternEntry") to the location: drop it
            loc = tuple(k for k in err["loc"] if k not in {"str", "PatternEntry", "EntityVariant"})
            problems.append(f"{path}: {_describe_location(data, loc)}: {err['msg']}")
        raise TaxonomyError("\n".join(problems)) from exc


def load_taxonomy(path: Path) -> TaxonomyFile:
    return _validate(TaxonomyFile, _read(path), path)


def load_entities(path: Path) -> EntitiesFile:
    return _validate(EntitiesFile, _read(path), path)


def load_places(path: Path) -> PlacesFile:
    return _validate(PlacesFile, _read(path), path)


def check_references(taxonomy: TaxonomyFile, entities: tuple[Entity, ...], where: dict[str, Path]) -> None:
    """Raise ``TaxonomyError`` listing every dangling reference (group, tag, duplicate id)."""
    problems: list[str] = []
    tax = where.get("taxonomy", Path("taxonomy.yaml"))
    groups = set(taxonomy.lexicon)
    roles = {f"role:{r}" for entity in entities for r in entity.roles}
    tag_ids = [tag.id for tag in taxonomy.tags]
    for dup in sorted({t for t in tag_ids if tag_ids.count(t) > 1}):
        problems.append(f"{tax}: tags[id={dup}]: duplicate tag id")
    known_tags = set(tag_ids)
    for tag in taxonomy.tags:
        base = f"{tax}: tags[id={tag.id}]"
        if tag.parent is not None and tag.parent not in known_tags:
            problems.append(f"{base}.parent: unknown tag {tag.parent!r}")
        rule_ids = [r.id for r in tag.rules]
        for dup in sorted({r for r in rule_ids if rule_ids.count(r) > 1}):
            problems.append(f"{base}.rules[id={dup}]: duplicate rule id")
        for rule in tag.rules:
            refs: list[tuple[str, str]] = [("match", g) for g in rule.match]
            refs += [("near.any", g) for g in (rule.near.any if rule.near else ())]
            refs += [("unless_near.any", g) for g in (rule.unless_near.any if rule.unless_near else ())]
            refs += [("with", g) for g in rule.with_] + [("unless", g) for g in rule.unless]
            for field, ref in refs:
                where_ = f"{base}.rules[id={rule.id}].{field}"
                article_level = field in {"with", "unless"}
                if ref.startswith("tag:"):
                    if ref[4:] not in known_tags or not article_level:
                        problems.append(f"{where_}: unknown or misplaced {ref!r} (tags only in with/unless)")
                elif ref.startswith("lang:"):
                    if not article_level or len(ref) != 7:
                        problems.append(f"{where_}: misplaced {ref!r} (lang:xx only in with/unless)")
                elif ref.startswith("role:"):
                    if ref not in roles:
                        problems.append(f"{where_}: no entity has {ref!r}")
                elif ref not in groups:
                    problems.append(f"{where_}: unknown lexicon group {ref!r}")
    for mask in taxonomy.masks:
        for ref in mask.applies_to:
            if ref not in groups:
                problems.append(f"{tax}: masks[id={mask.id}].applies_to: unknown lexicon group {ref!r}")
    entity_ids: set[str] = set()
    for entity in entities:
        src = where.get(entity.id, where.get("entities", Path("entities.yaml")))
        base = f"{src}: entities[id={entity.id}]"
        if entity.id in entity_ids:
            problems.append(f"{base}: duplicate entity id")
        entity_ids.add(entity.id)
        for tag_id in entity.signals:
            if tag_id not in known_tags:
                problems.append(f"{base}.signals: unknown tag {tag_id!r}")
        options = [("unless", g) for g in entity.unless] + [
            ("near", g) for g in (entity.near.any if entity.near else ())
        ]
        for lang, variant in entity.variants.entries():
            options += [(f"variants.{lang}.unless", g) for g in (variant.unless or ())]
            options += [(f"variants.{lang}.near", g) for g in (variant.near.any if variant.near else ())]
        for field, ref in options:
            if ref not in groups:
                problems.append(f"{base}.{field}: unknown lexicon group {ref!r}")
    if problems:
        raise TaxonomyError("\n".join(problems))
