"""Which index fields a query term searches, and how each is analysed (pure data).

The same resolution as ``newsmon search``: a bare term searches :data:`SEARCH_FIELDS`; ``title:x``
searches ``title*`` (``title``, every language field ``title_ru``... and the ``title.raw`` keyword),
``entities:x`` searches ``entity_names``. Text fields are analysed (``standard`` or the language
field's analyzer; an article has only its own language's fields, ADR 0013); keyword fields compare the
raw term exactly, as Elasticsearch's ``query_string`` does.
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase

from newsmon.core.es_schema import LANGUAGE_FIELDS, SEARCH_FIELDS, TEXT_FIELDS
from newsmon.core.query_syntax import QueryError, index_field

__all__ = [
    "DEFAULT_FIELDS",
    "KEYWORD_FIELDS",
    "RAW_TITLE_LIMIT",
    "TEXT_FIELD_ANALYZERS",
    "FieldSpec",
    "resolve_fields",
]

#: text field (and language field) -> its analyzer
TEXT_FIELD_ANALYZERS: dict[str, str] = {
    **{base: "standard" for base in TEXT_FIELDS},
    **LANGUAGE_FIELDS,
}

#: keyword fields a subscription may name (values compared exactly, case-sensitive)
KEYWORD_FIELDS: tuple[str, ...] = (
    "title.raw",
    "tags",
    "entity_names",
    "entity_ids",
    "entity_types",
    "language",
    "source_names",
    "source_domains",
    "feed_ids",
    "url",
    "authors",
    "categories",
    "id",
)

#: ``title.raw`` has ``ignore_above: 512``: longer titles are not indexed there
RAW_TITLE_LIMIT = 512


@dataclass(frozen=True)
class FieldSpec:
    """One concrete index field a query clause is evaluated against; ``analyzer`` is None for a
    keyword field (the raw term is compared)."""

    name: str
    analyzer: str | None


def _spec(name: str) -> FieldSpec:
    return FieldSpec(name, TEXT_FIELD_ANALYZERS.get(name))


_ALL = (*TEXT_FIELD_ANALYZERS, *KEYWORD_FIELDS)

#: the fields a bare term searches (``SEARCH_FIELDS`` without boosts)
DEFAULT_FIELDS: tuple[FieldSpec, ...] = tuple(_spec(f.split("^")[0]) for f in SEARCH_FIELDS)


def resolve_fields(name: str | None) -> tuple[FieldSpec, ...]:
    """The concrete fields a query field name means (None: the default fields).

    Raises :class:`QueryError` for unknown names and for fields subscriptions cannot match on
    (dates, numbers, ``evidence``).
    """
    if name is None:
        return DEFAULT_FIELDS
    pattern = index_field(name)
    matched = tuple(_spec(f) for f in _ALL if fnmatchcase(f, pattern))
    if not matched:
        raise QueryError(
            f"field {name!r} cannot be used in a subscription: use title, content, summary, tags, "
            "entities, language, source, domain, feed or url"
        )
    return matched
