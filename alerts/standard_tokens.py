"""Lucene's ``standard`` analyzer (UAX #29 word boundaries, lower-cased) re-done in Python, to give the
terms of a text their positions without asking Elasticsearch for them.

It is a close approximation, not a copy: the ``regex`` module's Unicode word boundaries follow a newer
Unicode than Lucene's tokenizer, and South-East Asian scripts are split differently. So it is never
trusted alone: :class:`alerts.derived.DocumentReader` compares the terms it finds, with their counts,
to the term frequencies Elasticsearch indexed, and fetches the positions of any field where the two
differ. Used only there.
"""

from __future__ import annotations

import regex

__all__ = ["MAX_TOKEN_LENGTH", "standard_terms"]

#: Lucene's default ``max_token_length``: longer tokens are split into pieces of this many characters
MAX_TOKEN_LENGTH = 255

_BOUNDARIES = regex.compile(r"\b", flags=regex.WORD | regex.V1)
# a segment is a token if it has a letter, a decimal digit or an emoji (not ², ½, ₂: those are "No")
_TOKEN_CHARACTER = regex.compile(r"[\p{Alphabetic}\p{Nd}\p{Extended_Pictographic}\p{Regional_Indicator}]")
# Java lower-cases character by character (simple case mapping); Python's str.lower uses the full one,
# which differs for these two: İ -> "i̇" (two characters), and Σ -> ς at the end of a word
_JAVA_LOWER = str.maketrans({"\u0130": "i", "\u03a3": "\u03c3"})


def standard_terms(text: str) -> list[str]:
    """The terms of ``text`` in order (position = index), as the ``standard`` analyzer would make
    them - most of the time; see the module docstring."""
    lowered = text.lower() if text.isascii() else text.translate(_JAVA_LOWER).lower()
    search = _TOKEN_CHARACTER.search
    terms = [
        segment.removesuffix("\ufe0e")  # text presentation selector: Lucene leaves it out
        for segment in _BOUNDARIES.split(lowered)
        if segment.isalpha() or segment.isdecimal() or (not segment.isspace() and search(segment))
    ]
    if any(len(term) > MAX_TOKEN_LENGTH for term in terms):
        terms = [
            term[i : i + MAX_TOKEN_LENGTH] for term in terms for i in range(0, len(term), MAX_TOKEN_LENGTH)
        ]
    return terms
