"""An article as the matcher sees it: the analysed terms with positions of every text field (as
Elasticsearch indexed them) and the raw values of the keyword fields.

Built per batch of just-indexed articles from one ``_mtermvectors`` call (real time: it works before
a refresh) plus the documents themselves (the pipeline has them; otherwise a real-time ``mget``).

For matching, every field has a bit (:func:`field_bit`) and a document knows, per term, the bitmask of
the fields containing it (:attr:`AnalyzedDocument.masks`): a term sought in many fields (a bare term
searches 23) is then one dictionary lookup and one ``&`` with the precomputed mask of those fields.
"""

from __future__ import annotations

import threading
from bisect import bisect_left
from collections.abc import Iterable, Mapping, Set
from dataclasses import dataclass, field
from typing import Any

from alerts.fields import KEYWORD_FIELDS, RAW_TITLE_LIMIT, TEXT_FIELD_ANALYZERS

__all__ = [
    "AnalyzedDocument",
    "FieldTerms",
    "fetch_documents",
    "field_bit",
    "field_names",
    "from_term_vectors",
    "keyword_values",
    "term_vector_fields",
]

#: field -> term -> positions
FieldTerms = dict[str, dict[str, tuple[int, ...]]]

_BITS: dict[str, int] = {name: 1 << n for n, name in enumerate((*TEXT_FIELD_ANALYZERS, *KEYWORD_FIELDS))}
_NAMES: dict[int, str] = {bit: name for name, bit in _BITS.items()}
_BITS_LOCK = threading.Lock()


def field_bit(name: str) -> int:
    """The bit standing for field ``name`` in term masks (stable for the life of the process; the
    index fields have fixed bits, any other name gets the next free one on first use)."""
    bit = _BITS.get(name)
    if bit is None:
        with _BITS_LOCK:
            bit = _BITS.get(name)
            if bit is None:
                bit = _BITS[name] = 1 << len(_BITS)
                _NAMES[bit] = name
    return bit


def field_names(mask: int) -> list[str]:
    """The fields whose bits are set in ``mask``."""
    out = []
    while mask:
        low = mask & -mask
        out.append(_NAMES[low])
        mask ^= low
    return out


@dataclass
class AnalyzedDocument:
    """One article ready for matching (see the module docstring for when it is built). The term
    masks and prefix lookups are computed on first use and cached: build a new instance if
    ``fields`` changes."""

    id: str
    fields: FieldTerms
    _masks: dict[str, int] | None = field(default=None, init=False, repr=False, compare=False)
    _sorted: list[str] | None = field(default=None, init=False, repr=False, compare=False)
    _prefixes: dict[str, int] = field(default_factory=dict, init=False, repr=False, compare=False)

    def terms(self, name: str) -> Mapping[str, tuple[int, ...]]:
        return self.fields.get(name, _EMPTY)

    @property
    def masks(self) -> dict[str, int]:
        """Every term of every field -> the bitmask (:func:`field_bit`) of the fields containing it."""
        masks = self._masks
        if masks is None:
            masks = {}
            get = masks.get
            for name, terms in self.fields.items():
                bit = field_bit(name)
                for term in terms:
                    masks[term] = get(term, 0) | bit
            self._masks = masks
        return masks

    @property
    def tokens(self) -> Set[str]:
        """Every term of every field (what candidate lookup keys on)."""
        return self.masks.keys()

    def prefix_mask(self, prefix: str) -> int:
        """The bitmask of the fields having a term that starts with ``prefix``."""
        mask = self._prefixes.get(prefix)
        if mask is None:
            masks = self._masks if self._masks is not None else self.masks
            ordered = self._sorted
            if ordered is None:
                ordered = self._sorted = sorted(masks)
            mask = 0
            i = bisect_left(ordered, prefix)
            end = len(ordered)
            while i < end and ordered[i].startswith(prefix):
                mask |= masks[ordered[i]]
                i += 1
            self._prefixes[prefix] = mask
        return mask


_EMPTY: dict[str, tuple[int, ...]] = {}


def keyword_values(source: Mapping[str, Any]) -> FieldTerms:
    """The keyword fields of a document's source, as the matcher compares them (raw values)."""
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
    return AnalyzedDocument(doc_id, {**keyword_values(source), **term_vector_fields(term_vectors)})


def term_vector_fields(term_vectors: Mapping[str, Any]) -> FieldTerms:
    """field -> term -> positions, from one ``_mtermvectors`` entry's ``term_vectors``."""
    return {
        name: {
            term: tuple(int(t["position"]) for t in info.get("tokens", ()))
            for term, info in body.get("terms", {}).items()
        }
        for name, body in term_vectors.items()
    }


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
