"""Rule evaluation: proximity, co-occurrence and negative context over one article's matches.

``Context`` holds the group matches of one article (after masks removed negative phrases) and the
tags decided so far. ``evaluate_tag`` applies a tag's rules in the EMM style: each rule adds its
weight for each qualifying match (up to ``max_count``), a tag fires when the sum reaches the
threshold, and every contribution is kept as evidence so each tag can be explained.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass, field

from pipeline.tagging.compiler import CompiledRule, CompiledTag, Near
from pipeline.tagging.matcher import Span
from pipeline.tagging.normalize import word_count
from pipeline.tagging.sentences import sentence_bounds, sentence_index

__all__ = ["Context", "Evidence", "TagResult", "evaluate_tag"]

MAX_EVIDENCE = 12
_NEIGHBOURS = 3
_MAX_WORD_CHARS = 30  # a gap longer than window * this many characters cannot be within the window


@dataclass(frozen=True)
class Evidence:
    """A span that made a rule count; ``role`` is ``match`` or ``context`` (the proximity partner)."""

    span: Span
    rule: str
    role: str = "match"


@dataclass
class TagResult:
    """Raw score, decision and evidence of one tag for one article."""

    id: str
    score: float = 0.0
    fired: bool = False
    evidence: list[Evidence] = field(default_factory=list)


class Context:
    """One article: normalised text, group matches, and tag results as they are decided."""

    def __init__(
        self,
        norm: str,
        group_hits: dict[int, list[Span]],
        original: str | None = None,
        lead_join: int | None = None,
    ) -> None:
        self.norm = norm
        self.original = norm if original is None else original
        self.lead_join = lead_join  # offset where the text follows the title: no boundary there
        self.group_hits = group_hits
        self._sentences: list[int] | None = None
        self.results: dict[str, TagResult] = {}
        self._merged: dict[tuple[int, ...], list[Span]] = {}

    def add(self, group: int, spans: list[Span]) -> None:
        """Add matches to a group after the scan (entity roles, language pseudo-groups)."""
        self.group_hits[group] = sorted({*self.group_hits.get(group, ()), *spans})
        self._merged.clear()

    def present(self, groups: tuple[int, ...]) -> bool:
        return any(g in self.group_hits for g in groups)

    def fired(self, tag_ids: tuple[str, ...]) -> bool:
        return any(t in self.results and self.results[t].fired for t in tag_ids)

    def spans(self, groups: tuple[int, ...]) -> list[Span]:
        """Matches of any of ``groups``, sorted, without duplicates (cached per group tuple)."""
        cached = self._merged.get(groups)
        if cached is None:
            if len(groups) == 1:
                cached = self.group_hits.get(groups[0], [])
            else:
                cached = sorted({s for g in groups for s in self.group_hits.get(g, ())})
            self._merged[groups] = cached
        return cached

    @property
    def sentences(self) -> list[int]:
        """Sentence start offsets (``sentences.sentence_bounds`` of the original text), computed once.

        A headline and the first sentence of the text count as one sentence: the lead restates the
        headline, which is elliptical ("Court jails journalist" + "The reporter of Belsat...").
        """
        if self._sentences is None:
            self._sentences = [b for b in sentence_bounds(self.original) if b != self.lead_join]
        return self._sentences

    def same_sentence(self, a: Span, b: Span) -> bool:
        bounds = self.sentences
        if not bounds:
            return True
        return sentence_index(bounds, a[0]) == sentence_index(bounds, b[0])

    def near(self, span: Span, near: Near) -> Span | None:
        """A match of ``near.groups`` within ``near.window`` words of ``span``, if any.

        Partners overlapping ``span`` do not count: a word is not its own context. Unless
        ``near.cross_sentences``, the partner must be in the same sentence as ``span``.
        """
        partners = self.spans(near.groups)
        if not partners:
            return None
        i = bisect_left(partners, span)
        for other in partners[max(0, i - _NEIGHBOURS) : i + _NEIGHBOURS]:
            if other[0] < span[1] and span[0] < other[1]:
                continue  # overlapping
            gap = other[0] - span[1] if other[0] >= span[1] else span[0] - other[1]
            if (
                gap <= near.window * _MAX_WORD_CHARS
                and self.distance(span, other) <= near.window
                and (near.cross_sentences or other == (0, 0) or self.same_sentence(span, other))
            ):
                return other
        return None

    def distance(self, a: Span, b: Span) -> int:
        """Words strictly between two spans; 0 when they touch or overlap."""
        if b[0] >= a[1]:
            return word_count(self.norm, a[1], b[0])
        if a[0] >= b[1]:
            return word_count(self.norm, b[1], a[0])
        return 0


def _rule_matches(rule: CompiledRule, ctx: Context) -> list[tuple[Span, Span | None]]:
    if ctx.group_hits.keys().isdisjoint(rule.match):
        return []  # most rules of most articles: nothing to match, so nothing else to check
    if (rule.with_groups or rule.with_tags) and not (
        ctx.present(rule.with_groups) or ctx.fired(rule.with_tags)
    ):
        return []
    if ctx.present(rule.unless_groups) or ctx.fired(rule.unless_tags):
        return []
    found: list[tuple[Span, Span | None]] = []
    for span in ctx.spans(rule.match):
        partner = None
        if rule.near is not None:
            partner = ctx.near(span, rule.near)
            if partner is None:
                continue
        if rule.unless_near is not None and ctx.near(span, rule.unless_near) is not None:
            continue
        found.append((span, partner))
        if len(found) >= max(rule.max_count, 3):
            break
    return found


def evaluate_tag(tag: CompiledTag, ctx: Context, signals: list[tuple[str, float, Span]]) -> TagResult:
    """Score ``tag`` on ``ctx``; ``signals`` are (entity id, weight, first span) for this tag."""
    result = TagResult(tag.id)
    for rule in tag.rules:
        found = _rule_matches(rule, ctx)
        if not found:
            continue
        result.score += rule.weight * min(len(found), rule.max_count)
        for span, partner in found:
            result.evidence.append(Evidence(span, rule.id))
            if partner is not None:
                result.evidence.append(Evidence(partner, rule.id, "context"))
    for entity_id, weight, span in signals:
        result.score += weight
        result.evidence.append(Evidence(span, f"entity:{entity_id}"))
    for child in tag.implied_by:
        child_result = ctx.results.get(child)
        if child_result is not None and child_result.fired:
            result.score = max(result.score, tag.threshold)
            if child_result.evidence:
                result.evidence.append(Evidence(child_result.evidence[0].span, f"implied_by:{child}"))
    result.fired = result.score >= tag.threshold
    result.evidence = _dedupe(result.evidence)[:MAX_EVIDENCE]
    ctx.results[tag.id] = result
    return result


def _dedupe(evidence: list[Evidence]) -> list[Evidence]:
    seen: set[tuple[Span, str]] = set()
    out = []
    for item in evidence:
        key = (item.span, item.rule)
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out
