"""Decode feed documents whose charset is wrong or undeclared, then hand the parser clean UTF-8.

Order: byte-order mark, then the HTTP ``charset``, then the XML declaration, then UTF-8. A declared
charset is distrusted when decoding fails or when a Latin single-byte charset produces text that is
mostly letters from the upper half (the signature of Cyrillic cp1251/koi8-r read as cp1252); then
the charset is detected with ``charset_normalizer``. The XML declaration is rewritten to UTF-8.
"""

from __future__ import annotations

import codecs
import re

import charset_normalizer

__all__ = ["XML_DECL_ENCODING", "to_utf8"]

XML_DECL_ENCODING = re.compile(rb"""^(\s*<\?xml[^>]*?encoding\s*=\s*["'])([A-Za-z0-9._:-]+)(["'])""")
_BOMS = (  # UTF-32 first: its little-endian BOM starts like UTF-16's
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_XML_SNIFF = (  # "<?" in wide encodings without a BOM (XML 1.0 appendix F)
    (b"\x00\x00\x00<", "utf-32-be"),
    (b"<\x00\x00\x00", "utf-32-le"),
    (b"\x00<\x00?", "utf-16-be"),
    (b"<\x00?\x00", "utf-16-le"),
)
_LATIN = {"cp1252", "latin_1", "iso8859_15", "ascii", "cp1250", "iso8859_2"}
_CYRILLIC_FIRST = ("cp1251", "koi8_r", "koi8_u", "iso8859_5", "cp866", "mac_cyrillic")
_SAMPLE = 256 * 1024


def _codec(name: str | None) -> str | None:
    if not name:
        return None
    try:
        return codecs.lookup(name.strip().strip("\"'")).name.replace("-", "_")
    except LookupError:
        return None


def _try(body: bytes, encoding: str) -> str | None:
    try:
        return body.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None


def _mislabelled_latin(text: str) -> bool:
    """A Latin single-byte decode whose letters are mostly in U+00C0-U+00FF: really Cyrillic or similar."""
    sample = text[:_SAMPLE]
    upper = sum(1 for ch in sample if "\u00c0" <= ch <= "\u00ff")
    ascii_letters = sum(1 for ch in sample if ch.isascii() and ch.isalpha())
    return upper > 200 and upper > 0.25 * (upper + ascii_letters)


def _detect(body: bytes) -> str | None:
    """Best guess for an undeclared or wrongly declared charset (Cyrillic single-byte codecs first)."""
    best = charset_normalizer.from_bytes(
        body[:_SAMPLE], cp_isolation=[*_CYRILLIC_FIRST, "utf_8", "cp1252"]
    ).best()
    if best is None or best.encoding in _LATIN:
        wider = charset_normalizer.from_bytes(body[:_SAMPLE]).best()
        best = wider or best
    return _codec(best.encoding) if best else None


def _declared(body: bytes, http_charset: str | None) -> list[str]:
    match = XML_DECL_ENCODING.match(body[:512])
    names = [_codec(http_charset), _codec(match.group(2).decode("ascii")) if match else None]
    return [name for name in dict.fromkeys(names) if name]


def to_utf8(body: bytes, http_charset: str | None = None) -> tuple[bytes, str, str | None]:
    """Return ``(utf8_body, encoding_used, problem)``; ``problem`` says when a charset was overridden."""
    wide = next((name for bom, name in _BOMS if body.startswith(bom)), None)
    wide = wide or next((name for head, name in _XML_SNIFF if body.startswith(head)), None)
    if wide:
        return _rewrite(body.decode(wide, errors="replace")), wide, None
    declared = _declared(body, http_charset)
    for name in declared:
        decoded = _try(body, name)
        if decoded is not None and not (name in _LATIN and _mislabelled_latin(decoded)):
            return _rewrite(decoded), name, None
    if not declared and (decoded := _try(body, "utf-8")) is not None:
        return _rewrite(decoded), "utf_8", None
    detected = _detect(body) or "utf_8"
    text = body.decode(detected, errors="replace")
    problem = (
        f"declared charset {'/'.join(declared)} is wrong; decoded as {detected}"
        if declared
        else f"no charset declared and not UTF-8; detected {detected}"
    )
    return _rewrite(text), detected, problem


def _rewrite(text: str) -> bytes:
    data = text.encode("utf-8")
    return XML_DECL_ENCODING.sub(rb"\g<1>utf-8\g<3>", data, count=1)
