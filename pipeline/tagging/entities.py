"""Entity mentions: which name variants count, and which entity wins overlapping mentions.

A variant match counts unless the article contains one of its ``unless`` groups (Brest next to
Brittany), and only next to its ``near`` groups when it has some (Cyrillic «Вясна» next to
"праваабарончы цэнтр", since вясна is also the word for spring). Variants marked
``requires_belarus`` (ambiguous names such as Lida or Borisov) are held back and accepted only if
the article is tagged ``belarus`` on other evidence. Where two entities' mentions overlap, the
longer one wins (``UN Human Rights Council`` hides its ``UN``).
"""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.tagging.compiler import CompiledTaxonomy
from pipeline.tagging.matcher import Span
from pipeline.tagging.rules import Context

__all__ = ["Mentions", "collect_mentions", "drop_overlapped"]

Mentions = dict[int, list[Span]]


@dataclass
class _Candidates:
    accepted: Mentions
    deferred: Mentions


def collect_mentions(
    compiled: CompiledTaxonomy, pattern_hits: dict[int, list[Span]], ctx: Context, masked: list[Span]
) -> tuple[Mentions, Mentions]:
    """(accepted, deferred) mentions per entity index; deferred ones need the country tag."""
    found = _Candidates({}, {})
    for pid, spans in pattern_hits.items():
        infos = compiled.pattern_variants.get(pid)
        if not infos:
            continue
        for span in spans:
            if masked and _inside_any(span, masked):
                continue
            for info in infos:
                if info.unless and ctx.present(info.unless):
                    continue
                if info.near is not None and ctx.near(span, info.near) is None:
                    continue
                target = found.deferred if info.requires_belarus else found.accepted
                target.setdefault(info.entity, []).append(span)
    return found.accepted, found.deferred


def drop_overlapped(mentions: Mentions) -> Mentions:
    """Sorted unique spans per entity, without spans strictly inside another entity's span."""
    flat = sorted(
        {(span, entity) for entity, spans in mentions.items() for span in spans},
        key=lambda x: (x[0][0], -x[0][1]),
    )
    out: Mentions = {}
    cover: tuple[Span, int] | None = None  # the span reaching furthest right so far, and its entity
    for span, entity in flat:
        covered = cover is not None and cover[1] != entity and cover[0] != span and span[1] <= cover[0][1]
        if not covered:
            out.setdefault(entity, []).append(span)
        if cover is None or span[1] > cover[0][1]:
            cover = (span, entity)
    for spans in out.values():
        spans.sort()
    return out


def _inside_any(span: Span, masks: list[Span]) -> bool:
    return any(m[0] <= span[0] and span[1] <= m[1] for m in masks)
