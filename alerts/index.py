"""Which subscriptions to evaluate for an article: an inverted index from each subscription's
anchors (terms / prefix keys of which a match must contain one) to subscription ids, so per article
only candidates are evaluated and cost does not grow with the number of subscriptions.

Used by the stream matcher: build once from the compiled subscriptions, then :meth:`match` per
analysed article. Subscriptions without anchors (pure negations) are always candidates; those that
can match nothing (every term analysed away) are never.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from alerts.compile import CompiledQuery
from alerts.document import AnalyzedDocument
from alerts.matchers import PREFIX_KEY_LEN, Matcher

__all__ = ["SubscriptionIndex"]


class SubscriptionIndex:
    """Compiled subscriptions keyed by anchor (see the module docstring)."""

    def __init__(self, subscriptions: Iterable[tuple[str, CompiledQuery]] = ()) -> None:
        self._matchers: dict[str, Matcher] = {}
        self._by_term: dict[str, list[str]] = defaultdict(list)
        self._by_prefix: dict[str, list[str]] = defaultdict(list)
        self._prefix_lengths: set[int] = set()
        self._always: list[str] = []
        for sub_id, compiled in subscriptions:
            self.add(sub_id, compiled)

    def __len__(self) -> int:
        return len(self._matchers)

    def add(self, sub_id: str, compiled: CompiledQuery) -> None:
        if compiled.matcher is None:
            return
        self._matchers[sub_id] = compiled.matcher
        anchors = compiled.anchors
        if anchors is None:
            self._always.append(sub_id)
            return
        for term in anchors.terms:
            self._by_term[term].append(sub_id)
        for key in anchors.prefixes:
            self._by_prefix[key].append(sub_id)
            self._prefix_lengths.add(len(key))

    def candidates(self, doc: AnalyzedDocument) -> set[str]:
        """Ids of the subscriptions that may match ``doc`` (a superset of the matches)."""
        out = set(self._always)
        by_term, by_prefix = self._by_term, self._by_prefix
        for token in doc.tokens & by_term.keys():
            out.update(by_term[token])
        if by_prefix:
            lengths = sorted(n for n in self._prefix_lengths if n <= PREFIX_KEY_LEN)
            keys = {t[:n] for t in doc.tokens for n in lengths if len(t) >= n}
            for key in keys & by_prefix.keys():
                out.update(by_prefix[key])
        return out

    def match(self, doc: AnalyzedDocument) -> list[str]:
        """Ids of the subscriptions whose query matches ``doc``, sorted."""
        return sorted(s for s in self.candidates(doc) if self._matchers[s].matches(doc))
