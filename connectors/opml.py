"""OPML import: turn a reader's subscription export into feed-list entries and add them to a YAML file.

Parsing uses ``defusedxml`` (no DTDs, no entity expansion). Nested outlines become tags. Entries are
appended as text so the target file keeps its comments; the result is re-validated before writing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from xml.etree.ElementTree import Element

import defusedxml.ElementTree as SafeET
import yaml
from defusedxml import DefusedXmlException

from connectors.feedlist import FeedListError, load_feed_list, parse_feed_list

__all__ = ["ImportResult", "import_opml", "read_opml"]

_SLUG = re.compile(r"[^a-z0-9]+")
_HEADER = "# Feed list (see config/feeds.yaml for the format).\nversion: 1\nfeeds:\n"


@dataclass
class ImportResult:
    """Ids of the feeds an OPML import added, and how many were already in the list."""

    added: list[str]
    already_present: int


def _slug(text: str) -> str:
    return _SLUG.sub("-", text.lower()).strip("-")[:60] or "feed"


def _walk(node: Element, tags: list[str], out: list[dict[str, Any]]) -> None:
    for outline in node.findall("outline"):
        url = (outline.get("xmlUrl") or "").strip()
        title = (outline.get("title") or outline.get("text") or "").strip()
        if url:
            entry: dict[str, Any] = {"url": url, "name": title or urlsplit(url).hostname or url}
            if tags:
                entry["tags"] = [_slug(t) for t in tags]
            if outline.get("language"):
                entry["language"] = outline.get("language")
            out.append(entry)
        _walk(outline, [*tags, title] if title and not url else tags, out)


def read_opml(data: bytes, origin: str = "OPML") -> list[dict[str, Any]]:
    """Feed entries (url, name, tags) from an OPML document; raise ``FeedListError`` if unreadable."""
    try:
        root = SafeET.fromstring(data)
    except (SafeET.ParseError, DefusedXmlException) as exc:
        raise FeedListError(f"{origin}: not a readable OPML file: {exc}") from exc
    body = root.find("body")
    if root.tag != "opml" or body is None:
        raise FeedListError(f"{origin}: not an OPML document (no <opml><body>)")
    entries: list[dict[str, Any]] = []
    _walk(body, [], entries)
    return entries


def _with_ids(entries: list[dict[str, Any]], taken: set[str]) -> list[dict[str, Any]]:
    result = []
    for entry in entries:
        base = _slug(entry["name"]) if entry.get("name") else _slug(urlsplit(entry["url"]).netloc)
        ident, n = base, 2
        while ident in taken:
            ident, n = f"{base}-{n}", n + 1
        taken.add(ident)
        result.append({"id": ident, **entry})
    return result


def import_opml(opml_path: Path, feeds_path: Path) -> ImportResult:
    """Add the OPML's feeds that are not yet in ``feeds_path`` (created if missing)."""
    entries = read_opml(opml_path.read_bytes(), str(opml_path))
    existing = load_feed_list(feeds_path) if feeds_path.exists() else None
    known_urls = {f.url for f in existing.feeds} if existing else set()
    fresh = [e for e in entries if e["url"] not in known_urls]
    fresh = list({e["url"]: e for e in fresh}.values())
    new = _with_ids(fresh, {f.id for f in existing.feeds} if existing else set())
    if not new:
        return ImportResult([], len(entries))
    text = feeds_path.read_text(encoding="utf-8") if existing else _HEADER
    block = yaml.safe_dump(new, allow_unicode=True, sort_keys=False, default_flow_style=None)
    appended = text.rstrip("\n") + "\n\n" + "".join(f"  {line}\n" for line in block.splitlines())
    merged = parse_feed_list(yaml.safe_load(appended), str(feeds_path), feeds_path.resolve().parent)
    if len(merged.feeds) != len(existing.feeds if existing else []) + len(new):
        raise FeedListError(
            f"{feeds_path}: cannot append safely (is 'feeds:' the last key, as a block list?)"
        )
    feeds_path.write_text(appended, encoding="utf-8")
    return ImportResult([e["id"] for e in new], len(entries) - len(new))
