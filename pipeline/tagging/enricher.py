"""``Enricher``: language, tags with evidence, entities and relevance for one article.

The same object serves the Beam pipeline (built once per worker in ``DoFn.setup``) and the
``newsmon tag`` command::

    enricher = Enricher.load()
    doc = enricher.enrich(title="...", text="...", language_hint=None).to_document()

Title and text are matched as one string (title, blank line, text) so that one automaton pass covers
both; evidence offsets are reported per field (``title``/``text``) in the caller's strings.
"""

from __future__ import annotations

import hashlib
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from newsmon.core.settings import PROJECT_ROOT
from pipeline.tagging.compiler import COUNTRY_TAG, CompiledTaxonomy, Near, compile_taxonomy
from pipeline.tagging.entities import Mentions, collect_mentions, drop_overlapped
from pipeline.tagging.langdetect import detect_language
from pipeline.tagging.matcher import Span
from pipeline.tagging.normalize import normalize
from pipeline.tagging.persons import PERSON_CUE_GROUPS, PersonDetector, PersonFound
from pipeline.tagging.rules import Context, Evidence, TagResult, evaluate_tag
from pipeline.tagging.taxonomy import (
    Entity,
    check_references,
    load_entities,
    load_places,
    load_taxonomy,
)
from pipeline.tagging.translit import latin_slug

__all__ = ["Enricher", "Enrichment", "EntityResult", "TagDetail", "default_config_dir"]

logger = logging.getLogger(__name__)

HUMAN_RIGHTS_TAG = "human_rights"
MAX_ENTITY_EVIDENCE = 5
_SEPARATOR = "\n\n"


def default_config_dir() -> Path:
    """``$NEWSMON_TAGGING_CONFIG`` or the repository's ``config/`` directory."""
    env = os.environ.get("NEWSMON_TAGGING_CONFIG")
    return Path(env) if env else PROJECT_ROOT / "config"


@dataclass(frozen=True)
class TagDetail:
    """One fired tag: label, score in 0..1 and the evidence spans that explain it."""

    id: str
    label: str
    score: float
    evidence: tuple[dict[str, Any], ...]


@dataclass(frozen=True)
class EntityResult:
    """One entity found in an article, with its mention count and surface forms.

    ``detected``: a person found by ``persons.PersonDetector`` rather than the curated list (its
    ``aliases`` hold the name in its own script, its ``evidence`` the sentences with the cue);
    ``spans`` are its mentions in ``title + blank line + text`` (not part of the document).
    """

    id: str
    name: str
    type: str
    mentions: int
    aliases: tuple[str, ...]
    variants_seen: tuple[str, ...]
    evidence: tuple[dict[str, Any], ...]
    detected: bool = False
    spans: tuple[Span, ...] = ()


@dataclass(frozen=True)
class Enrichment:
    """What the enricher found in one article; ``to_document()`` gives the JSON form."""

    language: str
    script: str
    tags: tuple[str, ...]
    tag_details: tuple[TagDetail, ...]
    entities: tuple[EntityResult, ...]
    relevance: float
    language_source: str = "detected"

    def to_document(self) -> dict[str, Any]:
        return {
            "language": self.language,
            "script": self.script,
            "tags": list(self.tags),
            "tag_details": [
                {"id": t.id, "label": t.label, "score": t.score, "evidence": list(t.evidence)}
                for t in self.tag_details
            ],
            "entities": [
                {
                    "id": e.id,
                    "name": e.name,
                    "type": e.type,
                    "mentions": e.mentions,
                    "aliases": list(e.aliases),
                    "variants_seen": list(e.variants_seen),
                    "evidence": list(e.evidence),
                }
                for e in self.entities
            ],
            "relevance": self.relevance,
        }


class _Fields:
    """Maps spans of ``title + SEPARATOR + text`` back to (field, start, end) in the caller's strings."""

    def __init__(self, title: str, text: str) -> None:
        self.title = title
        self.text = text
        self.offset = len(title) + len(_SEPARATOR) if title else 0
        self.combined = title + _SEPARATOR + text if title else text

    def locate(self, span: Span) -> tuple[str, int, int, str]:
        start, end = span
        if self.title and start < len(self.title):
            end = min(end, len(self.title))
            return "title", start, end, self.title[start:end]
        start, end = max(0, start - self.offset), max(0, end - self.offset)
        return "text", start, end, self.text[start:end]

    def evidence(self, item: Evidence) -> dict[str, Any]:
        where, start, end, text = self.locate(item.span)
        out: dict[str, Any] = {"field": where, "start": start, "end": end, "text": text, "rule": item.rule}
        if item.role != "match":
            out["role"] = item.role
        return out


class Enricher:
    """Compiled taxonomy + entity list; ``enrich`` is pure and thread-safe once built.

    With a ``PersonDetector`` (the default of ``load``), articles tagged ``human_rights`` also get
    the people named next to a human-rights cue who are not in the curated list (``type: person``).
    """

    def __init__(
        self, compiled: CompiledTaxonomy, version: str = "", persons: PersonDetector | None = None
    ) -> None:
        self._c = compiled
        self.version = version
        self.persons = persons
        cue_groups = tuple(i for i, name in enumerate(compiled.group_names) if name in PERSON_CUE_GROUPS)
        self._cue_groups = cue_groups
        self._curated_people: dict[str, int] = {}
        for index, entity in enumerate(compiled.entities):
            if entity.type == "person":
                for name in (entity.id.split(":", 1)[1], entity.name, *entity.aliases):
                    self._curated_people.setdefault(latin_slug(name), index)
        self._labels = {t.id: t.label for t in compiled.tags}
        self._signals: list[dict[str, float]] = []
        for entity in compiled.entities:
            signals = dict(entity.signals)
            if entity.belarus:
                signals[COUNTRY_TAG] = max(signals.get(COUNTRY_TAG, 0.0), 1.0)
            self._signals.append(signals)

    @classmethod
    def load(
        cls,
        taxonomy_path: Path | str | None = None,
        entities_path: Path | str | None = None,
        places_path: Path | str | None = None,
        persons: bool = True,
    ) -> Enricher:
        """Load and compile the configuration (defaults: ``default_config_dir()``).

        ``persons``: also detect people outside the curated list (loads the morphological
        dictionaries once).
        """
        base = default_config_dir()
        tax_path = Path(taxonomy_path) if taxonomy_path else base / "taxonomy.yaml"
        ent_path = Path(entities_path) if entities_path else base / "entities.yaml"
        plc_path = Path(places_path) if places_path else base / "places.belarus.json"
        taxonomy = load_taxonomy(tax_path)
        entities = load_entities(ent_path).entities
        places = load_places(plc_path).places if plc_path.exists() or places_path else ()
        if not places:
            logger.warning("no place gazetteer path=%s", plc_path)
        all_entities: tuple[Entity, ...] = (*entities, *places)
        where = {"taxonomy": tax_path, "entities": ent_path, **{p.id: plc_path for p in places}}
        check_references(taxonomy, all_entities, where)
        compiled = compile_taxonomy(taxonomy, all_entities, tax_path)
        digest = hashlib.sha256()
        for path in (tax_path, ent_path, plc_path):
            if path.exists():
                digest.update(path.read_bytes())
        logger.info(
            "tagger loaded patterns=%d entities=%d", compiled.matcher.pattern_count, len(all_entities)
        )
        return cls(compiled, digest.hexdigest()[:12], PersonDetector.load() if persons else None)

    @property
    def compiled(self) -> CompiledTaxonomy:
        return self._c

    def enrich(self, title: str = "", text: str = "", language_hint: str | None = None) -> Enrichment:
        fields = _Fields(title or "", text or "")
        combined = fields.combined
        guess = detect_language(combined, language_hint)
        norm = normalize(combined)
        pattern_hits = self._c.matcher.scan(combined, norm)
        masks = [
            (s, self._c.mask_patterns[pid])
            for pid, spans in pattern_hits.items()
            if pid in self._c.mask_patterns
            for s in spans
        ]
        ctx = Context(
            norm, self._group_hits(pattern_hits, masks), combined, fields.offset if fields.title else None
        )
        accepted, deferred = collect_mentions(
            self._c, pattern_hits, ctx, [m for m, scope in masks if scope is None]
        )
        mentions = drop_overlapped(accepted)
        self._add_pseudo_groups(ctx, mentions, guess.language)
        for tag in self._c.tags:
            evaluate_tag(tag, ctx, self._entity_signals(tag.id, mentions))
            if tag.id == COUNTRY_TAG and deferred and ctx.results[tag.id].fired:
                for entity, spans in deferred.items():
                    mentions.setdefault(entity, []).extend(spans)
                mentions = drop_overlapped(mentions)
        fired = [ctx.results[t] for t in self._c.tag_order if t in ctx.results and ctx.results[t].fired]
        entities = self._entities(mentions, fields)
        if self.persons is not None and ctx.fired((HUMAN_RIGHTS_TAG,)):
            people = self.persons.detect(
                combined,
                guess.language,
                lambda span, window: ctx.near(span, Near(self._cue_groups, window)),
                [s for spans in mentions.values() for s in spans],
                fields.offset,
                ctx.sentences,
            )
            entities = self._with_people(entities, people, mentions, fields)
        return Enrichment(
            language=guess.language,
            script=guess.script,
            tags=tuple(r.id for r in fired),
            tag_details=tuple(self._detail(r, fields) for r in fired),
            entities=entities,
            relevance=_relevance(ctx.results, fields),
            language_source=guess.source,
        )

    def _add_pseudo_groups(self, ctx: Context, mentions: Mentions, language: str) -> None:
        for entity, spans in mentions.items():
            for gid in self._c.entity_roles.get(entity, ()):
                ctx.add(gid, spans)
        lang_gid = self._c.language_groups.get(language)
        if lang_gid is not None:
            ctx.add(lang_gid, [(0, 0)])

    def _group_hits(
        self, pattern_hits: dict[int, list[Span]], masks: list[tuple[Span, frozenset[int] | None]]
    ) -> dict[int, list[Span]]:
        groups: dict[int, list[Span]] = {}
        for pid, spans in pattern_hits.items():
            for gid in self._c.pattern_groups.get(pid, ()):
                kept = spans
                if masks:
                    kept = [
                        s
                        for s in spans
                        if not any(
                            m[0] <= s[0] and s[1] <= m[1] and (scope is None or gid in scope)
                            for m, scope in masks
                        )
                    ]
                groups.setdefault(gid, []).extend(kept)
        for gid, spans in groups.items():
            if len(spans) > 1:
                groups[gid] = sorted(set(spans))
        return {gid: spans for gid, spans in groups.items() if spans}

    def _entity_signals(self, tag_id: str, mentions: Mentions) -> list[tuple[str, float, Span]]:
        out = []
        for entity, spans in mentions.items():
            weight = self._signals[entity].get(tag_id)
            if weight:
                out.append((self._c.entities[entity].id, weight, spans[0]))
        return out

    def _detail(self, result: TagResult, fields: _Fields) -> TagDetail:
        tag = next(t for t in self._c.tags if t.id == result.id)
        score = round(1.0 - 0.5 ** (result.score / tag.threshold), 3)
        evidence = tuple(fields.evidence(item) for item in result.evidence)
        return TagDetail(result.id, self._labels[result.id], score, evidence)

    def _entities(self, mentions: Mentions, fields: _Fields) -> tuple[EntityResult, ...]:
        out = []
        for index, spans in mentions.items():
            entity = self._c.entities[index]
            located = [fields.locate(s) for s in spans]
            seen = tuple(dict.fromkeys(text for _, _, _, text in located))[:MAX_ENTITY_EVIDENCE]
            evidence = tuple(
                {"field": f, "start": s, "end": e, "text": t} for f, s, e, t in located[:MAX_ENTITY_EVIDENCE]
            )
            out.append(
                EntityResult(entity.id, entity.name, entity.type, len(spans), entity.aliases, seen, evidence)
            )
        out.sort(key=lambda r: (-r.mentions, r.name))
        return tuple(out)

    def _with_people(
        self,
        entities: tuple[EntityResult, ...],
        people: list[PersonFound],
        mentions: Mentions,
        fields: _Fields,
    ) -> tuple[EntityResult, ...]:
        """Curated entities plus detected people; a curated person is never reported twice."""
        out = list(entities)
        used: set[int] = set()
        for person in people:
            index = self._curated_people.get(person.id.split(":", 1)[1])
            if index is not None and (index in mentions or index in used):
                continue  # already found through its curated variants
            if index is not None:
                used.add(index)
            aliases: tuple[str, ...] = (person.native,) if person.native else ()
            name, entity_id = person.name, person.id
            if index is not None:
                curated = self._c.entities[index]
                name, aliases, entity_id = curated.name, curated.aliases, curated.id
            evidence = []
            for span in person.evidence:
                where, start, end, text = fields.locate(span)
                evidence.append({"field": where, "start": start, "end": end, "text": text})
            out.append(
                EntityResult(
                    entity_id,
                    name,
                    "person",
                    len(person.mentions),
                    aliases,
                    tuple(person.surfaces[:MAX_ENTITY_EVIDENCE]),
                    tuple(evidence),
                    detected=True,
                    spans=tuple(person.mentions),
                )
            )
        out.sort(key=lambda r: (-r.mentions, r.name))
        return tuple(out)


def _relevance(results: dict[str, TagResult], fields: _Fields) -> float:
    """0..1: how squarely the article is about Belarus and human rights (0.5 each)."""

    def strength(tag_id: str) -> float:
        res = results.get(tag_id)
        if res is None or not res.fired:
            return 0.0
        in_title = any(fields.title and e.span[0] < len(fields.title) for e in res.evidence)
        matches = sum(1 for e in res.evidence if e.role == "match")
        return 0.6 + (0.2 if in_title else 0.0) + 0.2 * min(1.0, (matches - 1) / 4)

    return round(0.5 * strength(COUNTRY_TAG) + 0.5 * strength(HUMAN_RIGHTS_TAG), 3)
