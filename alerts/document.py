"""An article as the matcher sees it: the analysed terms with positions of every text field (as
Elasticsearch indexed them) and the raw values of the keyword fields.

Built per batch of just-indexed articles from one ``_mtermvectors`` call (real time: it works before
a refresh) plus the documents themselves (the pipeline has them; otherwise a real-time ``mget``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from alerts.fields import KEYWORD_FIELDS, RAW_TITLE_LIMIT, TEXT_FIELD_ANALYZERS

__all__ = ["AnalyzedDocument", "fetch_documents", "from_term_vectors"]

#: field -> term -> positions
FieldTerms = dict[str, dict[str, tuple[int, ...]]]


@dataclass
class AnalyzedDocument:
    """One article ready for matching (see the module docstring for when it is built)."""

    id: str
    fields: FieldTerms
    _tokens: frozenset[str] | None = field(default=None, repr=False)

    def terms(self, name: str) -> Mapping[str, tuple[int, ...]]:
        return self.fields.get(name, _EMPTY)

    @property
    def tokens(self) -> frozenset[str]:
        """Every term of every field (what candidate lookup keys on)."""
        if self._tokens is None:
            self._tokens = frozenset(t for terms in self.fields.values() for t in terms)
        return self._tokens


_EMPTY: dict[str, tuple[int, ...]] = {}


def _keyword_values(source: Mapping[str, Any]) -> FieldTerms:
    out: FieldTerms = {}
    for name in KEYWORD_FIELDS:
        if name == "title.raw":
            title = source.get("title")
            # ignore_above counts UTF-16 code units, as Java does
            if isinstance(title, str) and len(title.encode("utf-16-le")) // 2 <= RAW_TITLE_LIMIT:
                out[name] = {title: (0,)}
            continue
        value = source.get(name)
        values = value if isinstance(value, list) else [value]
        kept: dict[str, tuple[int, ...]] = {
            str(v): (0,) for v in values if v is not None and not isinstance(v, dict)
        }
        if kept:
            out[name] = kept
    return out


def from_term_vectors(
    doc_id: str, term_vectors: Mapping[str, Any], source: Mapping[str, Any]
) -> AnalyzedDocument:
    """An :class:`AnalyzedDocument` from one ``_mtermvectors`` entry's ``term_vectors`` and the source."""
    fields = _keyword_values(source)
    for name, body in term_vectors.items():
        fields[name] = {
            term: tuple(int(t["position"]) for t in info.get("tokens", ()))
            for term, info in body.get("terms", {}).items()
        }
    return AnalyzedDocument(doc_id, fields)


def fetch_documents(
    client: Any, index: str, ids: Iterable[str], sources: Mapping[str, Mapping[str, Any]] | None = None
) -> list[AnalyzedDocument]:
    """Analysed documents for ``ids`` (one ``_mtermvectors`` call; ``mget`` only when ``sources`` lacks
    some). Ids Elasticsearch does not know are skipped."""
    wanted = list(ids)
    sources = dict(sources or {})
    missing = [i for i in wanted if i not in sources]
    if missing:
        got = client.mget(index=index, ids=missing, realtime=True)
        sources.update({d["_id"]: d["_source"] for d in got["docs"] if d.get("found")})
    response = client.mtermvectors(
        index=index,
        ids=wanted,
        fields=list(TEXT_FIELD_ANALYZERS),
        positions=True,
        offsets=False,
        payloads=False,
        term_statistics=False,
        field_statistics=False,
        realtime=True,
    )
    out = []
    for entry in response["docs"]:
        if entry.get("found") and entry["_id"] in sources:
            out.append(from_term_vectors(entry["_id"], entry.get("term_vectors", {}), sources[entry["_id"]]))
    return out
