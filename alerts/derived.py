"""Analysed articles for matching at a fraction of the cost of fetching every field with positions.

Every text field is indexed under ``standard`` (``title``) and the analyzers of the article's own
language (``title_ru``; ADR 0013). They all share the ``standard`` tokenizer and then change or drop
each token on its own (lower-casing, stop words, stemming, lemmatising): a token's terms in
``title_ru`` depend on the token alone, and they keep its position. And positions are what makes
term vectors heavy (several times the bytes and the time). So, per batch of articles:

1. the text is tokenized here (:mod:`alerts.standard_tokens`), giving terms with positions;
2. one ``_mtermvectors`` request on the write index brings, for artificial documents (so no
   real-time read forces a refresh of the shard just written), the three ``standard`` fields' terms
   and counts *without* positions, exactly as the index analyses the article's text, and the
   analysis of the tokens not seen before: one more artificial document (the tokens one per line in
   every language field) which the index analyses as it indexes them; the answers fill a
   process-wide cache token -> its terms under each language analyzer;
3. where the local terms and counts equal the index's (nearly always) they stand, otherwise that
   field's positions are fetched;
4. the article's language fields are derived token by token from the cache.

Fetched as indexed instead of derived:

* the ``ukrainian`` analyzer's character filter turns ````` and ``´`` into apostrophes *before*
  tokenizing, joining what ``standard`` splits (``об´єкт``): an article whose text has either between
  two word characters gets its ``*_uk`` fields from ``_mtermvectors``;
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
from newsmon.core.es_schema import (
    LANGUAGE_ANALYZERS,
    TEXT_FIELDS,
    analysed_languages,
    language_field,
    language_texts,
    write_alias,
)

__all__ = ["CONTEXT_CHARACTERS", "DocumentReader", "TokenAnalyses"]

#: analyzer -> characters that, between two word characters in an article's text, make that
#: analyzer's fields fetched, not derived (its character filter joins the words around them)
CONTEXT_CHARACTERS: dict[str, str] = {"ukrainian": "`\u00b4"}

#: tokens per artificial document analysed at once
_ANALYZE_CHUNK = 2_000

#: ``_mtermvectors`` options for an article's term frequencies
_COUNTS_ONLY: dict[str, Any] = {
    "positions": False,
    "offsets": False,
    "payloads": False,
    "term_statistics": False,
    "field_statistics": False,
}

#: ``_mtermvectors`` options for fields fetched with positions
_WITH_POSITIONS: dict[str, Any] = {**_COUNTS_ONLY, "positions": True}

#: the text field whose language fields analyse tokens for the cache (any text field would do)
_PROBE_FIELD = "title"

#: terms of one token under each language analyzer, in ``LANGUAGE_ANALYZERS`` order; None when the
#: token must not be derived
TokenTerms = tuple[tuple[str, ...], ...] | None


def _utf16_length(text: str) -> int:
    """Length as Java counts it (Elasticsearch's offsets are UTF-16 code units)."""
    return len(text) if text.isascii() else len(text.encode("utf-16-le")) // 2


class TokenAnalyses:
    """Process-wide cache: a ``standard`` token -> its terms under each language analyzer. Filled for
    the tokens not seen yet with one ``_mtermvectors`` call on an artificial document (the tokens one
    per line in each language field ``title_<lang>``, analysed as the index defines them, with offsets
    to give each term back to its token). Bounded: past ``max_tokens`` the older half is forgotten."""

    def __init__(
        self, client: Any, index: str, languages: Sequence[str] | None = None, max_tokens: int = 200_000
    ) -> None:
        self._client = client
        self._target = write_alias(index)  # one concrete index (the read alias may span several)
        self.languages = tuple(languages or LANGUAGE_ANALYZERS)
        self._fields = [language_field(_PROBE_FIELD, lang) for lang in self.languages]
        self._max = max_tokens
        self._terms: dict[str, TokenTerms] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._terms)

    def get(self, token: str) -> TokenTerms:
        return self._terms[token]

    def unknown(self, tokens: Iterable[str]) -> list[list[str]]:
        """The tokens not cached yet, in chunks (one artificial document each)."""
        known = self._terms
        new = list({t for t in tokens if t not in known})
        return [new[i : i + _ANALYZE_CHUNK] for i in range(0, len(new), _ANALYZE_CHUNK)]

    def requests(self, chunks: list[list[str]]) -> list[dict[str, Any]]:
        """``_mtermvectors`` entries analysing ``chunks`` (to send alone or beside other documents)."""
        out = []
        for chunk in chunks:
            joined = "\n".join(chunk)
            doc = {name: joined for name in self._fields}
            out.append({"doc": doc, "fields": self._fields, **_COUNTS_ONLY, "offsets": True})
        return out

    def absorb(self, chunks: list[list[str]], entries: Sequence[Mapping[str, Any]]) -> None:
        """Cache the analyses of ``chunks`` from the ``_mtermvectors`` answers to :meth:`requests`."""
        results = [self._read(chunk, entry) for chunk, entry in zip(chunks, entries, strict=True)]
        with self._lock:
            known = self._terms
            added = sum(len(chunk) for chunk in chunks)
            if len(known) + added > self._max:
                for token in list(known)[: len(known) // 2]:
                    del known[token]
            for chunk, per_language in zip(chunks, results, strict=True):
                for n, token in enumerate(chunk):
                    terms = [found[n] for found in per_language]
                    known[token] = None if any(t is None for t in terms) else _shared(token, terms)

    def ensure(self, tokens: Iterable[str]) -> bool:
        """Analyse the tokens not cached yet (one request); whether a request was needed."""
        chunks = self.unknown(tokens)
        if chunks:
            response = self._client.mtermvectors(index=self._target, docs=self.requests(chunks))
            self.absorb(chunks, response["docs"])
        return bool(chunks)

    def _read(self, chunk: list[str], entry: Mapping[str, Any]) -> list[list[tuple[str, ...] | None]]:
        """Per language, per token of ``chunk``: its terms (None: not exactly this token's)."""
        starts, ends = _spans(chunk)
        vectors = entry.get("term_vectors", {})
        per_language = []
        for name in self._fields:
            found: list[list[str] | None] = [[] for _ in chunk]
            for term, info in vectors.get(name, {}).get("terms", {}).items():
                for occurrence in info.get("tokens", ()):
                    start, end = int(occurrence["start_offset"]), int(occurrence["end_offset"])
                    n = bisect_right(starts, start) - 1
                    terms = found[n] if n >= 0 else None
                    if terms is None:
                        continue
                    if start != starts[n] or end != ends[n]:
                        found[n] = None  # not a term of exactly this token: fetch, do not derive
                    else:
                        terms.append(term)
            per_language.append([None if t is None else tuple(t) for t in found])
        return per_language


def _spans(tokens: list[str]) -> tuple[list[int], list[int]]:
    """Start and end offsets (UTF-16, as Java counts) of each token in the tokens joined by newlines."""
    starts, ends = [], []
    offset = 0
    for token in tokens:
        starts.append(offset)
        offset += _utf16_length(token)
        ends.append(offset)
        offset += 1  # the newline
    return starts, ends


def _texts(source: Mapping[str, Any], fields: Iterable[str] = TEXT_FIELDS) -> dict[str, str]:
    """The texts of ``fields`` (text or language fields) of ``source``, as an artificial document."""
    texts = {name: text for name in TEXT_FIELDS if isinstance(text := source.get(name), str)}
    wanted = list(fields)
    if any(name not in texts for name in wanted):  # language fields: as upgrade_document fills them
        texts.update(language_texts(source))
    return {name: texts[name] for name in wanted if name in texts}


def _tokenized(source: Mapping[str, Any]) -> FieldTerms:
    """The ``standard`` fields of ``source`` tokenized here: field -> term -> positions (fields with
    equal texts, such as a summary equal to the content, share one dict: derived once)."""
    fields: FieldTerms = {}
    seen: dict[str, dict[str, tuple[int, ...]]] = {}
    for name in TEXT_FIELDS:
        text = source.get(name)
        if not isinstance(text, str) or not text:
            continue
        terms = seen.get(text)
        if terms is None:
            positions: dict[str, list[int]] = {}
            for n, term in enumerate(standard_terms(text)):
                found = positions.get(term)
                if found is None:
                    positions[term] = [n]
                else:
                    found.append(n)
            terms = seen[text] = {term: tuple(at) for term, at in positions.items()}
        fields[name] = terms
    return fields


def _verified(local: FieldTerms, counts: dict[str, dict[str, int]]) -> tuple[FieldTerms, list[str]]:
    """The fields of ``local`` whose terms and counts equal those Elasticsearch indexed, and the names
    of the fields where they differ (their positions are fetched)."""
    fields: FieldTerms = {}
    unsure: list[str] = []
    for name in TEXT_FIELDS:
        indexed = counts.get(name, {})
        terms = local.get(name, {})
        if len(terms) == len(indexed) and all(indexed.get(term) == len(at) for term, at in terms.items()):
            if terms:
                fields[name] = terms
        else:
            unsure.append(name)
    return fields, unsure


def _shared(token: str, results: list[tuple[str, ...] | None]) -> tuple[tuple[str, ...], ...]:
    same = (token,)
    return tuple(same if r == same else r for r in results)  # type: ignore[misc]


class DocumentReader:
    """Reads articles as the matcher needs them (:class:`AnalyzedDocument`), analysed as the index
    analyses them: the ``standard`` fields checked through ``_mtermvectors``, the language fields
    derived (module docstring).
    One per process, shared by the pipeline's matching steps; thread-safe."""

    def __init__(self, client: Any, index: str, analyses: TokenAnalyses | None = None) -> None:
        self._client = client
        self._target = write_alias(index)  # one concrete index, whose mapping analyses the texts
        self._subfields = tuple(LANGUAGE_ANALYZERS)
        self.analyses = analyses or TokenAnalyses(client, index)
        if self.analyses.languages != self._subfields:
            raise ValueError("TokenAnalyses must cover LANGUAGE_ANALYZERS in order")
        self.fetched_fields = 0  # fields fetched with positions: not derivable or not tokenized alike
        self.requests = 0  # requests to Elasticsearch
        self._context = {
            lang: regex.compile(rf"\w[{regex.escape(chars)}]\w")
            for lang, analyzer in LANGUAGE_ANALYZERS.items()
            if (chars := CONTEXT_CHARACTERS.get(analyzer))
        }

    def _fetched_subfields(self, source: Mapping[str, Any]) -> list[str]:
        """Language fields of this article that need fetching rather than deriving."""
        languages = [lang for lang in analysed_languages(source.get("language")) if lang in self._context]
        if not languages:
            return []
        text = " ".join(str(source.get(f) or "") for f in TEXT_FIELDS)
        return [
            language_field(base, lang)
            for lang in languages
            if self._context[lang].search(text)
            for base in TEXT_FIELDS
            if source.get(base)
        ]

    def _positions(
        self, requests: dict[str, list[str]], sources: Mapping[str, Mapping[str, Any]]
    ) -> dict[str, FieldTerms]:
        """field -> term -> positions as the index analyses them, for the documents and fields in
        ``requests`` (their texts sent as artificial documents)."""
        if not requests:
            return {}
        self.fetched_fields += sum(len(fields) for fields in requests.values())
        self.requests += 1
        ids = list(requests)
        response = self._client.mtermvectors(
            index=self._target,
            docs=[
                {
                    "doc": _texts(sources[doc_id], requests[doc_id]),
                    "fields": requests[doc_id],
                    **_WITH_POSITIONS,
                }
                for doc_id in ids
            ],
        )
        return {
            doc_id: term_vector_fields(entry.get("term_vectors", {}))
            for doc_id, entry in zip(ids, response["docs"], strict=True)
        }

    def fetch(self, ids: Iterable[str], sources: Mapping[str, Mapping[str, Any]]) -> list[AnalyzedDocument]:
        """Analysed documents for ``ids`` (their sources are in ``sources``; ids without a source are
        skipped). The articles need not be indexed: their texts are analysed by the index's mapping."""
        wanted = [i for i in ids if i in sources]
        # 1. tokenize here; then one request: the term frequencies of the standard fields as indexed,
        #    and the analysis of the tokens not cached yet
        local = {doc_id: _tokenized(sources[doc_id]) for doc_id in wanted}
        chunks = self.analyses.unknown(
            t for fields in local.values() for terms in fields.values() for t in terms
        )
        self.requests += 1
        response = self._client.mtermvectors(
            index=self._target,
            docs=[
                *(
                    {"doc": _texts(sources[doc_id]), "fields": list(TEXT_FIELDS), **_COUNTS_ONLY}
                    for doc_id in wanted
                ),
                *self.analyses.requests(chunks),
            ],
        )
        entries = response["docs"]
        if chunks:
            self.analyses.absorb(chunks, entries[len(wanted) :])
        base: dict[str, FieldTerms] = {}
        to_fetch: dict[str, list[str]] = {}
        for doc_id, entry in zip(wanted, entries, strict=False):
            counts = {
                name: {term: info["term_freq"] for term, info in body.get("terms", {}).items()}
                for name, body in entry.get("term_vectors", {}).items()
            }
            base[doc_id], unsure = _verified(local[doc_id], counts)
            needed = [*unsure, *self._fetched_subfields(sources[doc_id])]
            if needed:
                to_fetch[doc_id] = needed
        # 2. positions from Elasticsearch where tokenizing here disagreed, and the context-bound fields
        fetched = self._positions(to_fetch, sources)
        for doc_id, exact in fetched.items():
            base[doc_id].update({name: terms for name, terms in exact.items() if name in TEXT_FIELDS})
        if fetched:  # their tokens may be new
            self.requests += self.analyses.ensure(
                t for fields in fetched.values() for terms in fields.values() for t in terms
            )
        # 3. the language fields, derived token by token
        get = self.analyses.get
        out: list[AnalyzedDocument] = []
        underivable: dict[str, list[str]] = {}
        for doc_id in wanted:
            fields = base.get(doc_id)
            if fields is None:
                continue
            languages = analysed_languages(sources[doc_id].get("language"))
            derived = self._derive(fields, get, languages)
            if derived is None:
                underivable[doc_id] = [
                    language_field(b, lang) for b in TEXT_FIELDS if b in fields for lang in languages
                ]
                derived = {}
            fields.update(derived)
            fields.update(fetched.get(doc_id, {}))  # fetched sub-fields replace derived ones
            out.append(AnalyzedDocument(doc_id, {**keyword_values(sources[doc_id]), **fields}))
        if underivable:  # a token that must not be derived: every language field as indexed
            indexed_as = self._positions(underivable, sources)
            for doc in out:
                if doc.id in indexed_as:
                    doc.fields.update(indexed_as[doc.id])
        return out

    def _derive(self, fields: FieldTerms, get: Any, languages: Sequence[str]) -> FieldTerms | None:
        """The language fields of ``languages`` derived from the ``standard`` ``fields`` (None: a
        token must not be derived)."""
        if not languages:
            return {}
        slots = [self._subfields.index(lang) for lang in languages]
        derived: FieldTerms = {}
        done: dict[int, list[dict[str, tuple[int, ...]]]] = {}  # id of a shared terms dict -> its result
        for base in TEXT_FIELDS:
            terms = fields.get(base)
            if not terms:
                continue
            per_lang = done.get(id(terms))
            if per_lang is None:
                per_lang = done[id(terms)] = [{} for _ in languages]
                for term, positions in terms.items():
                    analysed = get(term)
                    if analysed is None:
                        return None
                    for out, slot in zip(per_lang, slots, strict=True):
                        for stem in analysed[slot]:
                            before = out.get(stem)
                            out[stem] = positions if before is None else tuple(sorted(before + positions))
            for lang, out in zip(languages, per_lang, strict=True):
                if out:
                    derived[language_field(base, lang)] = out
        return derived
