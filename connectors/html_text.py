"""HTML fragments (feed summaries and content) to clean plain text that keeps the words and paragraphs.

Scripts, styles and embedded frames are dropped; block elements and ``<br>`` become line breaks;
runs of spaces collapse; entities are decoded. Never raises: unparsable markup falls back to a
regex tag-stripper.
"""

from __future__ import annotations

import html
import re

import lxml.etree
import lxml.html

__all__ = ["clean_text", "html_to_text", "looks_like_html"]

_DROP = ("script", "style", "noscript", "iframe", "object", "embed", "svg", "template", "form", "button")
_BLOCKS = frozenset(
    {
        "address",
        "article",
        "aside",
        "blockquote",
        "dd",
        "div",
        "dl",
        "dt",
        "figcaption",
        "figure",
        "footer",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "table",
        "tbody",
        "td",
        "th",
        "thead",
        "tr",
        "ul",
    }
)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SPACES = re.compile(r"[ \t\r\f\v\u00a0\u2000-\u200b\u202f\u205f\u3000]+")
_BLANK_LINES = re.compile(r"\n\s*\n\s*(\n\s*)+")
_TAG = re.compile(r"<[^>]{0,2000}>")
_HTML_HINT = re.compile(r"<(/?[A-Za-z][A-Za-z0-9]*)[\s/>]|&(#\d+|#x[0-9a-fA-F]+|[A-Za-z]+);")


def looks_like_html(text: str) -> bool:
    """True if ``text`` contains a tag or an entity reference."""
    return _HTML_HINT.search(text) is not None


def clean_text(text: str) -> str:
    """Normalise whitespace of plain text: collapse spaces, trim lines, at most one blank line in a row."""
    text = _CONTROL.sub("", text)
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def _fallback(markup: str) -> str:
    return clean_text(html.unescape(_TAG.sub(" ", markup)))


def html_to_text(markup: str) -> str:
    """Plain text of an HTML fragment (see module docstring)."""
    if not markup or not looks_like_html(markup):
        return clean_text(markup or "")
    try:
        root = lxml.html.fragment_fromstring(_CONTROL.sub("", markup), create_parent="div")
    except (lxml.etree.ParserError, ValueError):
        return _fallback(markup)
    for element in root.iter(*_DROP):
        element.drop_tree()
    for element in root.iter():
        tag = element.tag if isinstance(element.tag, str) else ""
        if tag == "br":
            element.tail = "\n" + (element.tail or "")
        elif tag in _BLOCKS:
            element.text = "\n" + (element.text or "")
            element.tail = "\n" + (element.tail or "")
    return clean_text(root.text_content())
