"""Analysis of query text with Elasticsearch's own analyzers, so stemming matches the index exactly.

Used when a subscription query is compiled: each distinct (analyzer, text) is sent once to the
``_analyze`` API of the articles index (the index defines ``belarusian``) and cached.
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

__all__ = ["Analyzer", "ElasticsearchAnalyzer", "Token"]

logger = logging.getLogger(__name__)

#: (term, position)
Token = tuple[str, int]


class Analyzer(Protocol):
    """What the query compiler needs: the tokens (term, position) ``analyzer`` makes of ``text``."""

    def analyze(self, analyzer: str, text: str) -> list[Token]: ...


class ElasticsearchAnalyzer:
    """:class:`Analyzer` backed by ``POST <index>/_analyze``; results are cached per (analyzer, text)."""

    def __init__(self, client: Any, index: str) -> None:
        self._client = client
        self._index = index
        self._cache: dict[tuple[str, str], list[Token]] = {}
        self.calls = 0

    def analyze(self, analyzer: str, text: str) -> list[Token]:
        key = (analyzer, text)
        cached = self._cache.get(key)
        if cached is None:
            self.calls += 1
            body = self._client.indices.analyze(index=self._index, analyzer=analyzer, text=text)
            cached = [(t["token"], int(t["position"])) for t in body["tokens"]]
            self._cache[key] = cached
        return cached
