"""Which subscriptions to evaluate for an article: an inverted index from each subscription's
anchors (terms / prefix keys of which a match must contain one) to subscription ids, so per article
only candidates are evaluated and cost does not grow with the number of subscriptions.

Used by the stream matcher: build once from the compiled subscriptions, then :meth:`match` per
analysed article; :meth:`SubscriptionIndex.add` / :meth:`SubscriptionIndex.remove` change single
subscriptions in place (a hot reload touches only the subscriptions that changed). Subscriptions
without anchors (pure negations) are always candidates; those that can match nothing (every term
analysed away) are never.
"""

from __future__ import annotations

from collections.abc import Iterable, Set

from alerts.compile import CompiledQuery
from alerts.document import AnalyzedDocument
from alerts.matchers import Anchors, Predicate

__all__ = ["SubscriptionIndex"]

#: sub id -> its compiled predicate (dicts merge in C: candidates are collected with their predicates)
_Entries = dict[str, Predicate]


class SubscriptionIndex:
    """Compiled subscriptions keyed by anchor (see the module docstring). Not safe for concurrent
    use: add / remove from the thread that matches, or swap whole indexes."""

    def __init__(self, subscriptions: Iterable[tuple[str, CompiledQuery]] = ()) -> None:
        self._anchors: dict[str, Anchors | None] = {}
        self._by_term: dict[str, _Entries] = {}
        self._by_prefix: dict[str, _Entries] = {}
        self._prefix_lengths: dict[int, int] = {}  # key length -> number of keys of that length
        self._always: _Entries = {}
        for sub_id, compiled in subscriptions:
            self.add(sub_id, compiled)

    def __len__(self) -> int:
        return len(self._anchors)

    def __contains__(self, sub_id: object) -> bool:
        return sub_id in self._anchors

    def add(self, sub_id: str, compiled: CompiledQuery) -> None:
        """Add ``sub_id``, replacing an earlier subscription with that id. A query that can match
        nothing is not kept (its earlier version is still removed)."""
        self.remove(sub_id)
        matcher = compiled.matcher
        if matcher is None:
            return
        predicate = matcher.predicate()
        anchors = matcher.anchors()
        self._anchors[sub_id] = anchors
        if anchors is None:
            self._always[sub_id] = predicate
            return
        for term in anchors.terms:
            self._by_term.setdefault(term, {})[sub_id] = predicate
        for key in anchors.prefixes:
            entries = self._by_prefix.get(key)
            if entries is None:
                entries = self._by_prefix[key] = {}
                self._prefix_lengths[len(key)] = self._prefix_lengths.get(len(key), 0) + 1
            entries[sub_id] = predicate

    def remove(self, sub_id: str) -> bool:
        """Forget ``sub_id``; False if it was not indexed (unknown, or its query matched nothing)."""
        if sub_id not in self._anchors:
            return False
        anchors = self._anchors.pop(sub_id)
        if anchors is None:
            del self._always[sub_id]
            return True
        for term in anchors.terms:
            entries = self._by_term[term]
            del entries[sub_id]
            if not entries:
                del self._by_term[term]
        for key in anchors.prefixes:
            entries = self._by_prefix[key]
            del entries[sub_id]
            if not entries:
                del self._by_prefix[key]
                left = self._prefix_lengths[len(key)] - 1
                if left:
                    self._prefix_lengths[len(key)] = left
                else:
                    del self._prefix_lengths[len(key)]
        return True

    def _candidates(self, doc: AnalyzedDocument) -> _Entries:
        out = dict(self._always)
        by_term = self._by_term
        tokens = doc.tokens
        for token in tokens & by_term.keys():
            out.update(by_term[token])
        by_prefix = self._by_prefix
        if by_prefix:
            keys: Set[str] = tokens
            for n in sorted(self._prefix_lengths, reverse=True):
                keys = {k[:n] for k in keys}  # from the longer keys: fewer than the tokens
                for key in keys & by_prefix.keys():
                    out.update(by_prefix[key])
        return out

    def candidates(self, doc: AnalyzedDocument) -> set[str]:
        """Ids of the subscriptions that may match ``doc`` (a superset of the matches)."""
        return set(self._candidates(doc))

    def match(self, doc: AnalyzedDocument) -> list[str]:
        """Ids of the subscriptions whose query matches ``doc``, sorted."""
        masks = doc.masks
        found = [sub_id for sub_id, predicate in self._candidates(doc).items() if predicate(masks, doc)]
        found.sort()
        return found
