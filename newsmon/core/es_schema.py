"""The articles index schema, version 4: Kibana conventions and language analysis (pure data).

* ``@timestamp`` is the published time (Kibana's time field); ``fetched_at`` and ``indexed_at`` too.
* ``dynamic: strict``: a document with a field the mapping does not know is rejected (and
  dead-lettered with Elasticsearch's reason) instead of silently growing the mapping.
* ``title``, ``summary`` and ``content`` are ``standard``-analysed text. Each article's text is also
  indexed in the language fields of its detected language only (ADR 0013, v4): ``title_ru``,
  ``summary_ru``, ``content_ru`` for a Russian article, analysed by the ``russian`` analyzer, so a
  query finds "политзаключённых" for "политзаключенный"; Belarusian articles go to the Belarusian
  *and* the Russian fields (:data:`ANALYSED_AS`); an article in another language has ``standard``
  only. :func:`upgrade_document` fills them, so the pipeline, a copy-upgrade and the alert matcher
  agree. The analyzers have the names the full distribution uses; the local node gets them from the
  newsmon analysis plugin (ADR 0008). Two are defined in the index settings
  (:func:`index_analysis`), identically everywhere: ``belarusian`` and ``polish_newsmon`` (Stempel
  without its one-letter stems, v3).
* Keyword fields for filters and aggregations: tags, entity ids/names/types, language, source names,
  domains, feeds.

Index names: the read alias is ``<base>`` (what search and Kibana use), the write alias
``<base>-write``; concrete indices are ``<base>-v<version>-<6 digits>`` so a rollover or a mapping
upgrade adds a new index behind the same aliases.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = [
    "ANALYSED_AS",
    "ARTICLES_MAPPING",
    "LANGUAGE_ANALYZERS",
    "LANGUAGE_FIELDS",
    "MAPPING_VERSION",
    "POLISH_MIN_TERM_LENGTH",
    "SEARCH_FIELDS",
    "TEXT_FIELDS",
    "analysed_languages",
    "concrete_index",
    "index_analysis",
    "language_field",
    "language_texts",
    "prune_to_mapping",
    "upgrade_document",
    "upgrade_stored_document",
    "write_alias",
]

#: 3: ``*.pl`` analysed with ``polish_newsmon`` instead of ``polish`` (index settings change: the
#: upgrade copies the documents into a new index)
#: 4: the text analysed in the article's own language only: ``title_ru``... instead of six sub-fields
#: ``title.ru``... per text field (ADR 0013; the upgrade copies and fills them from ``language``)
MAPPING_VERSION = 4

#: the analysed text fields of an article
TEXT_FIELDS: tuple[str, ...] = ("title", "summary", "content")

#: Detected language code -> analyzer of its sub-field. Belarusian and Polish: see ADR 0008.
LANGUAGE_ANALYZERS: dict[str, str] = {
    "en": "english",
    "ru": "russian",
    "de": "german",
    "pl": "polish_newsmon",
    "uk": "ukrainian",
    "be": "belarusian",
}

#: An article's detected language -> the languages whose fields its text is indexed in. Belarusian
#: has no stemmer (ADR 0008) and shares much of its vocabulary with Russian: its articles are also
#: analysed as Russian, so a Russian query's stem finds them (ADR 0013 measured what that keeps).
ANALYSED_AS: dict[str, tuple[str, ...]] = {
    **{lang: (lang,) for lang in LANGUAGE_ANALYZERS},
    "be": ("be", "ru"),
}


def language_field(base: str, lang: str) -> str:
    """The field holding text field ``base`` analysed in language ``lang``: ``content_ru``."""
    return f"{base}_{lang}"


#: language field -> its analyzer (``title_en`` -> ``english``...)
LANGUAGE_FIELDS: dict[str, str] = {
    language_field(base, lang): analyzer
    for base in TEXT_FIELDS
    for lang, analyzer in LANGUAGE_ANALYZERS.items()
}


def analysed_languages(language: Any) -> tuple[str, ...]:
    """The languages whose fields an article detected as ``language`` is indexed in (may be none)."""
    return ANALYSED_AS.get(language, ()) if isinstance(language, str) else ()


def language_texts(doc: Mapping[str, Any]) -> dict[str, str]:
    """The language fields of ``doc``: its non-empty text fields under each of its languages."""
    return {
        language_field(base, lang): text
        for lang in analysed_languages(doc.get("language"))
        for base in TEXT_FIELDS
        if isinstance(text := doc.get(base), str) and text
    }


_KEYWORD: dict[str, Any] = {"type": "keyword"}

# The Belarusian stop words, shared with the local analysis plugin (ADR 0008). No Elasticsearch has a
# `belarusian` analyzer built in, so every index defines it from `standard` + `lowercase` + `stop`,
# which every node has; an index-level analyzer takes precedence over the plugin's global one.
BELARUSIAN_STOPWORDS = (
    Path(__file__).resolve().parents[2]
    / "newsmon/services/es_analysis_plugin/src/main/resources/newsmon/analysis/belarusian_stopwords.txt"
)


#: Shortest term ``polish_newsmon`` keeps. Stempel stems many words it does not know (names, English
#: words, acronyms: Takei, Hague, HRW) to the one letter ``ć``; a query for any of them then matched
#: every article with another such word in a ``*.pl`` field. No Polish stem is one letter long.
POLISH_MIN_TERM_LENGTH = 2


def index_analysis() -> dict[str, Any]:
    """Index ``analysis`` settings defining the ``belarusian`` and ``polish_newsmon`` analyzers.

    Both are made of components every node has: the ``standard`` tokenizer and ``lowercase``/``stop``
    (built in), ``polish_stop``/``polish_stem`` (analysis-stempel in production, the newsmon plugin
    locally) and ``length`` (analysis-common in production, the newsmon plugin locally).
    ``polish_newsmon`` is the ``polish`` analyzer's chain (standard, lowercase, Polish stop words,
    Stempel) plus a ``length`` filter that drops one-letter terms (ADR 0008).
    """
    lines = BELARUSIAN_STOPWORDS.read_text(encoding="utf-8").splitlines()
    words = [w.strip() for w in lines if w.strip() and not w.lstrip().startswith("#")]
    return {
        "filter": {
            "belarusian_stop": {"type": "stop", "stopwords": words},
            "polish_newsmon_min_length": {"type": "length", "min": POLISH_MIN_TERM_LENGTH},
        },
        "analyzer": {
            "belarusian": {
                "type": "custom",
                "tokenizer": "standard",
                "filter": ["lowercase", "belarusian_stop"],
            },
            "polish_newsmon": {
                "type": "custom",
                "tokenizer": "standard",
                "filter": ["lowercase", "polish_stop", "polish_stem", "polish_newsmon_min_length"],
            },
        },
    }


def _text(with_raw: bool = False) -> dict[str, Any]:
    spec: dict[str, Any] = {"type": "text", "analyzer": "standard"}
    if with_raw:
        spec["fields"] = {"raw": {"type": "keyword", "ignore_above": 512}}
    return spec


#: Fields a free-text query searches by default (``standard`` and every language field, title boosted).
SEARCH_FIELDS: list[str] = [
    "title^3",
    *(f"{language_field('title', lang)}^3" for lang in LANGUAGE_ANALYZERS),
    "summary",
    *(language_field("summary", lang) for lang in LANGUAGE_ANALYZERS),
    "content",
    *(language_field("content", lang) for lang in LANGUAGE_ANALYZERS),
    "entity_names",
    "tags",
]

ARTICLES_MAPPING: dict[str, Any] = {
    "dynamic": "strict",
    "_meta": {"mapping_version": MAPPING_VERSION, "owner": "newsmon"},
    "properties": {
        "@timestamp": {"type": "date"},
        "schema_version": {"type": "integer"},
        "id": _KEYWORD,
        "url": _KEYWORD,
        "title": _text(with_raw=True),
        "summary": _text(),
        "content": _text(),
        **{name: {"type": "text", "analyzer": analyzer} for name, analyzer in LANGUAGE_FIELDS.items()},
        "authors": _KEYWORD,
        "categories": _KEYWORD,
        "published_at": {"type": "date"},
        "published_at_estimated": {"type": "boolean"},
        "fetched_at": {"type": "date"},
        "indexed_at": {"type": "date"},
        "language_hint": _KEYWORD,
        "language": _KEYWORD,
        "script": _KEYWORD,
        "tags": _KEYWORD,
        "relevance": {"type": "float"},
        "source_domains": _KEYWORD,
        "source_names": _KEYWORD,
        "feed_ids": _KEYWORD,
        "entity_ids": _KEYWORD,
        "entity_names": _KEYWORD,
        "entity_types": _KEYWORD,
        "evidence": {"type": "text", "analyzer": "standard"},
        "kafka_position": _KEYWORD,
        "sources": {
            "properties": {
                "feed_id": _KEYWORD,
                "name": _KEYWORD,
                "domain": _KEYWORD,
                "feed_url": _KEYWORD,
            }
        },
        "tag_details": {
            "type": "nested",
            "properties": {
                "id": _KEYWORD,
                "label": _KEYWORD,
                "score": {"type": "float"},
                "evidence": {
                    "properties": {
                        "rule": _KEYWORD,
                        "role": _KEYWORD,
                        "field": _KEYWORD,
                        "start": {"type": "integer"},
                        "end": {"type": "integer"},
                        "text": _KEYWORD,
                    }
                },
            },
        },
        "entities": {
            "type": "nested",
            "properties": {
                "id": _KEYWORD,
                "name": _KEYWORD,
                "type": _KEYWORD,
                "mentions": {"type": "integer"},
                "aliases": _KEYWORD,
                "variants_seen": _KEYWORD,
                "evidence": {
                    "properties": {
                        "field": _KEYWORD,
                        "start": {"type": "integer"},
                        "end": {"type": "integer"},
                        "text": _KEYWORD,
                    }
                },
            },
        },
    },
}


def write_alias(base: str) -> str:
    """The alias the pipeline writes through (``is_write_index`` on the newest index)."""
    return f"{base}-write"


def concrete_index(base: str, version: int = MAPPING_VERSION, generation: int = 1) -> str:
    """Name of a concrete index behind the aliases (rollover increments ``generation``)."""
    return f"{base}-v{version}-{generation:06d}"


def prune_to_mapping(doc: dict[str, Any], mapping: dict[str, Any]) -> dict[str, Any]:
    """``doc`` without the fields ``mapping`` does not know (older documents written under
    ``dynamic: false`` may carry some; a strict index would reject them)."""
    props = mapping.get("properties", {})
    out: dict[str, Any] = {}
    for key, value in doc.items():
        spec = props.get(key)
        if spec is None:
            continue
        if "properties" in spec and isinstance(value, dict):
            out[key] = prune_to_mapping(value, spec)
        elif "properties" in spec and isinstance(value, list):
            out[key] = [prune_to_mapping(v, spec) if isinstance(v, dict) else v for v in value]
        else:
            out[key] = value
    return out


def upgrade_document(doc: dict[str, Any]) -> dict[str, Any]:
    """A document of any earlier mapping version in the current shape (adds derived fields).

    Also used by the document builder, so new and reindexed documents agree (pure; idempotent).
    """
    out = {key: value for key, value in doc.items() if key not in LANGUAGE_FIELDS}
    out.update(language_texts(out))
    out["@timestamp"] = out.get("@timestamp") or out.get("published_at") or out.get("fetched_at")
    entities = out.get("entities") or []
    out["entity_ids"] = sorted({e["id"] for e in entities if e.get("id")})
    out["entity_names"] = sorted({e["name"] for e in entities if e.get("name")})
    out["entity_types"] = sorted({e["type"] for e in entities if e.get("type")})
    out["source_names"] = sorted({s["name"] for s in out.get("sources") or [] if s.get("name")})
    snippets = [
        ev.get("text", "")
        for detail in out.get("tag_details") or []
        for ev in detail.get("evidence") or []
        if ev.get("text")
    ]
    out["evidence"] = list(dict.fromkeys(snippets))[:50]
    return out


def upgrade_stored_document(doc: dict[str, Any]) -> dict[str, Any]:
    """A stored document of an older version, upgraded and cut to the current mapping (reindex)."""
    return prune_to_mapping(upgrade_document(doc), ARTICLES_MAPPING)
