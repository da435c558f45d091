"""Analysed articles for matching at a fraction of the cost of fetching every field with positions.

Every text field is indexed under ``standard`` (``title``) and six language analyzers (``title.en``
...). All seven share the ``standard`` tokenizer and then change or drop each token on its own
(lower-casing, stop words, stemming, lemmatising): a token's terms in ``title.ru`` depend on the
token alone, and they keep its position. And positions are what makes term vectors heavy (six times
the bytes and the time). So, per batch of articles:

1. ``_mtermvectors`` of the three ``standard`` fields *without* positions: each term and how often it
   occurs, as indexed;
2. the text is tokenized here (:mod:`alerts.standard_tokens`); where its terms and counts equal the
   indexed ones (nearly always) they give the positions, otherwise the field's positions are fetched;
3. the language fields are derived token by token through a process-wide cache token -> its terms
   under each language analyzer, filled by ``_analyze`` calls on the index for tokens not seen before.

Fetched as indexed instead of derived:

* the ``ukrainian`` analyzer's character filter turns ````` and ``´`` into apostrophes *before*
  tokenizing, joining what ``standard`` splits (``об´єкт``): an article whose text has either between
  two word characters gets its ``*.uk`` fields from ``_mtermvectors``;
* a token whose analysis does not come back as terms of exactly that token (it never happened; a
  guard for analyzers changed later) is marked, and its articles' language fields are fetched.

``tests/integration/alerts/test_derived_analysis.py`` checks that the result equals the fetched fields
on real articles in all six languages and on awkward text. Used by the pipeline's matching step
(:class:`DocumentReader`); :func:`alerts.document.fetch_documents` is the exact, slower reference.
"""

from __future__ import annotations

import threading
from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import regex

from alerts.document import AnalyzedDocument, FieldTerms, keyword_values, term_vector_fields
from alerts.standard_tokens import standard_terms
from newsmon.core.es_schema import LANGUAGE_ANALYZERS
from newsmon.core.query_syntax import TEXT_FIELDS

__all__ = ["CONTEXT_CHARACTERS", "DocumentReader", "TokenAnalyses"]

#: analyzer -> characters that, between two word characters in an article's text, make that
#: analyzer's fields fetched, not derived (its character filter joins the words around them)
CONTEXT_CHARACTERS: dict[str, str] = {"ukrainian": "`\u00b4"}

#: input tokens per ``_analyze`` call (Elasticsearch refuses more than 10,000 output tokens)
_ANALYZE_CHUNK = 2_000

#: terms of one token under each language analyzer, in ``LANGUAGE_ANALYZERS`` order; None when the
#: token must not be derived
TokenTerms = tuple[tuple[str, ...], ...] | None


def _utf16_length(text: str) -> int:
    """Length as Java counts it (Elasticsearch's offsets are UTF-16 code units)."""
    return len(text) if text.isascii() else len(text.encode("utf-16-le")) // 2


class TokenAnalyses:
    """Process-wide cache: a ``standard`` token -> its terms under each language analyzer, filled
    through ``_analyze``. Bounded: past ``max_tokens`` the older half is forgotten."""

    def __init__(
        self, client: Any, index: str, analyzers: Sequence[str] | None = None, max_tokens: int = 200_000
    ) -> None:
        self._client = client
        self._index = index
        self.analyzers = tuple(analyzers or LANGUAGE_ANALYZERS.values())
        self._max = max_tokens
        self._terms: dict[str, TokenTerms] = {}
        self._lock = threading.Lock()
        self.analyze_calls = 0

    def __len__(self) -> int:
        return len(self._terms)

    def get(self, token: str) -> TokenTerms:
        return self._terms[token]

    def ensure(self, tokens: Iterable[str]) -> None:
        """Analyse the tokens not cached yet (one ``_analyze`` call per analyzer and chunk)."""
        with self._lock:
            known = self._terms
            unknown = list({t for t in tokens if t not in known})
            if not unknown:
                return
            if len(known) + len(unknown) > self._max:
                for token in list(known)[: len(known) // 2]:
                    del known[token]
            for start in range(0, len(unknown), _ANALYZE_CHUNK):
                chunk = unknown[start : start + _ANALYZE_CHUNK]
                per_analyzer = [self._analyze(analyzer, chunk) for analyzer in self.analyzers]
                for n, token in enumerate(chunk):
                    results = [terms[n] for terms in per_analyzer]
                    known[token] = None if any(r is None for r in results) else _shared(token, results)

    def _analyze(self, analyzer: str, tokens: list[str]) -> list[tuple[str, ...] | None]:
        """Terms of each token under ``analyzer``: the tokens are analysed as one text, one per line,
        and each output term is given back to the token whose span holds it."""
        starts, ends = [], []
        offset = 0
        for token in tokens:
            starts.append(offset)
            offset += _utf16_length(token)
            ends.append(offset)
            offset += 1  # the newline
        self.analyze_calls += 1
        body = self._client.indices.analyze(index=self._index, analyzer=analyzer, text="\n".join(tokens))
        out: list[list[str] | None] = [[] for _ in tokens]
        for item in body["tokens"]:
            n = bisect_right(starts, int(item["start_offset"])) - 1
            found = out[n] if n >= 0 else None
            if found is None:
                continue
            if int(item["start_offset"]) != starts[n] or int(item["end_offset"]) != ends[n]:
                out[n] = None  # not a term of exactly this token: fetch, do not derive
            else:
                found.append(str(item["token"]))
        return [None if terms is None else tuple(terms) for terms in out]


def _positioned(counts: dict[str, dict[str, int]], source: Mapping[str, Any]) -> tuple[FieldTerms, list[str]]:
    """The ``standard`` fields with positions, from the term frequencies Elasticsearch indexed and the
    source text tokenized here; a field where the two disagree is left out and named (to fetch)."""
    fields: FieldTerms = {}
    unsure: list[str] = []
    for name, indexed in counts.items():
        text = source.get(name)
        positions: dict[str, list[int]] = {}
        if isinstance(text, str):
            for n, term in enumerate(standard_terms(text)):
                found = positions.get(term)
                if found is None:
                    positions[term] = [n]
                else:
                    found.append(n)
        if len(positions) == len(indexed) and all(
            indexed.get(term) == len(at) for term, at in positions.items()
        ):
            fields[name] = {term: tuple(at) for term, at in positions.items()}
        else:
            unsure.append(name)
    return fields, unsure


def _shared(token: str, results: list[tuple[str, ...] | None]) -> tuple[tuple[str, ...], ...]:
    same = (token,)
    return tuple(same if r == same else r for r in results)  # type: ignore[misc]


class DocumentReader:
    """Reads just-indexed articles as the matcher needs them (:class:`AnalyzedDocument`): the
    ``standard`` fields from ``_mtermvectors``, the language fields derived (module docstring).
    One per process, shared by the pipeline's matching steps; thread-safe."""

    def __init__(self, client: Any, index: str, analyses: TokenAnalyses | None = None) -> None:
        self._client = client
        self._index = index
        self._subfields = tuple(LANGUAGE_ANALYZERS)
        self.analyses = analyses or TokenAnalyses(client, index, tuple(LANGUAGE_ANALYZERS.values()))
        if self.analyses.analyzers != tuple(LANGUAGE_ANALYZERS.values()):
            raise ValueError("TokenAnalyses must cover LANGUAGE_ANALYZERS in order")
        self.fetched_fields = 0  # fields fetched with positions: not derivable or not tokenized alike
        self._context = {
            lang: regex.compile(rf"\w[{regex.escape(chars)}]\w")
            for lang, analyzer in LANGUAGE_ANALYZERS.items()
            if (chars := CONTEXT_CHARACTERS.get(analyzer))
        }

    def _fetched_subfields(self, source: Mapping[str, Any]) -> list[str]:
        """Language sub-fields this article's text needs fetched rather than derived."""
        text = " ".join(str(source.get(f) or "") for f in TEXT_FIELDS)
        return [
            f"{base}.{lang}"
            for lang, joined in self._context.items()
            if joined.search(text)
            for base in TEXT_FIELDS
        ]

    def _mtermvectors(self, requests: list[tuple[str, list[str]]], positions: bool) -> dict[str, Any]:
        if not requests:
            return {}
        response = self._client.mtermvectors(
            index=self._index,
            docs=[{"_id": doc_id, "fields": fields} for doc_id, fields in requests],
            positions=positions,
            offsets=False,
            payloads=False,
            term_statistics=False,
            field_statistics=False,
            realtime=True,
        )
        return {e["_id"]: e.get("term_vectors", {}) for e in response["docs"] if e.get("found")}

    def _positions(self, requests: dict[str, list[str]]) -> dict[str, FieldTerms]:
        """field -> term -> positions, fetched, for the documents and fields in ``requests``."""
        self.fetched_fields += sum(len(fields) for fields in requests.values())
        found = self._mtermvectors(list(requests.items()), positions=True)
        return {doc_id: term_vector_fields(vectors) for doc_id, vectors in found.items()}

    def fetch(self, ids: Iterable[str], sources: Mapping[str, Mapping[str, Any]]) -> list[AnalyzedDocument]:
        """Analysed documents for ``ids`` (their sources are in ``sources``; ids Elasticsearch does not
        know, or without a source, are skipped)."""
        wanted = [i for i in ids if i in sources]
        # 1. term frequencies of the standard fields, as indexed; positions from tokenizing here
        indexed = self._mtermvectors([(doc_id, list(TEXT_FIELDS)) for doc_id in wanted], positions=False)
        base: dict[str, FieldTerms] = {}
        to_fetch: dict[str, list[str]] = {}
        for doc_id, vectors in indexed.items():
            counts = {
                name: {term: info["term_freq"] for term, info in body.get("terms", {}).items()}
                for name, body in vectors.items()
            }
            base[doc_id], unsure = _positioned(counts, sources[doc_id])
            needed = [*unsure, *self._fetched_subfields(sources[doc_id])]
            if needed:
                to_fetch[doc_id] = needed
        # 2. positions from Elasticsearch where tokenizing here disagreed, and the context-bound fields
        fetched = self._positions(to_fetch) if to_fetch else {}
        for doc_id, exact in fetched.items():
            base[doc_id].update({name: terms for name, terms in exact.items() if name in TEXT_FIELDS})
        # 3. the language fields, derived token by token
        self.analyses.ensure({t for fields in base.values() for terms in fields.values() for t in terms})
        get = self.analyses.get
        out: list[AnalyzedDocument] = []
        underivable: dict[str, list[str]] = {}
        for doc_id in wanted:
            fields = base.get(doc_id)
            if fields is None:
                continue
            derived = self._derive(fields, get)
            if derived is None:
                underivable[doc_id] = [f"{b}.{lang}" for b in TEXT_FIELDS for lang in self._subfields]
                derived = {}
            fields.update(derived)
            fields.update(fetched.get(doc_id, {}))  # fetched sub-fields replace derived ones
            out.append(AnalyzedDocument(doc_id, {**keyword_values(sources[doc_id]), **fields}))
        if underivable:  # a token that must not be derived: every language field as indexed
            indexed_as = self._positions(underivable)
            for doc in out:
                if doc.id in indexed_as:
                    doc.fields.update(indexed_as[doc.id])
        return out

    def _derive(self, fields: FieldTerms, get: Any) -> FieldTerms | None:
        derived: FieldTerms = {}
        for base in TEXT_FIELDS:
            terms = fields.get(base)
            if not terms:
                continue
            per_lang: list[dict[str, tuple[int, ...]]] = [{} for _ in self._subfields]
            for term, positions in terms.items():
                analysed = get(term)
                if analysed is None:
                    return None
                for out, stems in zip(per_lang, analysed, strict=True):
                    for stem in stems:
                        before = out.get(stem)
                        out[stem] = positions if before is None else tuple(sorted(before + positions))
            for lang, out in zip(self._subfields, per_lang, strict=True):
                if out:
                    derived[f"{base}.{lang}"] = out
        return derived
