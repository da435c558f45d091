"""Compatibility: the articles index schema lives in :mod:`newsmon.core.es_schema` (so the pipeline,
search and the ``alerts`` package share one definition); this module re-exports it."""

from __future__ import annotations

from newsmon.core.es_schema import (
    ARTICLES_MAPPING,
    BELARUSIAN_STOPWORDS,
    LANGUAGE_ANALYZERS,
    MAPPING_VERSION,
    SEARCH_FIELDS,
    concrete_index,
    index_analysis,
    prune_to_mapping,
    upgrade_document,
    upgrade_stored_document,
    write_alias,
)

__all__ = [
    "ARTICLES_MAPPING",
    "BELARUSIAN_STOPWORDS",
    "LANGUAGE_ANALYZERS",
    "MAPPING_VERSION",
    "SEARCH_FIELDS",
    "concrete_index",
    "index_analysis",
    "prune_to_mapping",
    "upgrade_document",
    "upgrade_stored_document",
    "write_alias",
]
