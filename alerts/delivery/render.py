"""What a receiver reads (pure): title, plain text and HTML of an instant alert or a digest, and the
JSON body of newsmon's webhook.

Everything taken from an article or a subscription (titles, snippets, names, queries, URLs) is
escaped in HTML, and only ``http(s)`` URLs become links. Titles are single lines (they become
e-mail subjects). The HTML reads well when converted to text (Apprise derives the ``text/plain``
part of an HTML e-mail from it): every link's URL is also shown as text.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from alerts.model import AlertArticle, AlertMessage

__all__ = [
    "DIGEST_MAX_ITEMS",
    "DigestContent",
    "Rendered",
    "digest_payload",
    "instant_payload",
    "render_digest",
    "render_instant",
]

DIGEST_MAX_ITEMS = 100  # articles listed in one digest message; the rest are counted
_TITLE_MAX = 250


@dataclass(frozen=True)
class Rendered:
    """A message ready for a channel, made by :func:`render_instant` or :func:`render_digest` for each
    attempt: ``title`` (one line), ``text`` and ``html`` bodies."""

    title: str
    text: str
    html: str


@dataclass(frozen=True)
class DigestContent:
    """What a digest carries, gathered by the worker when a digest is due: whose, which period, and the
    alerts (in the order they matched); ``total`` counts alerts whose message could not be listed too."""

    subscription_id: str
    subscription_name: str
    query: str
    period: str
    digest_id: str
    alerts: Sequence[AlertMessage]
    total: int


def _line(value: str, limit: int = _TITLE_MAX) -> str:
    text = " ".join(value.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def _safe_url(url: str | None) -> str | None:
    if url and url.strip().lower().startswith(("http://", "https://")) and not any(c.isspace() for c in url):
        return url.strip()
    return None


def _meta(article: AlertArticle) -> str:
    parts = [
        article.source or "",
        (article.published_at or "")[:16].replace("T", " "),
        article.language or "",
    ]
    return " · ".join(p for p in parts if p)


def _article_text(article: AlertArticle, indent: str = "") -> list[str]:
    lines = [f"{indent}{_line(article.title) or '(untitled article)'}"]
    if meta := _meta(article):
        lines.append(f"{indent}{meta}")
    if article.url:
        lines.append(f"{indent}{_line(article.url, 2000)}")
    if article.snippet:
        lines.append(f"{indent}{_line(article.snippet, 2000)}")
    return lines


def _article_html(article: AlertArticle, heading: str) -> str:
    title = _esc(_line(article.title) or "(untitled article)")
    url = _safe_url(article.url)
    link = f'<a href="{_esc(url)}">{title}</a>' if url else title
    parts = [f"<{heading}>{link}</{heading}>"]
    if meta := _meta(article):
        parts.append(f'<p style="color:#555;margin:0">{_esc(meta)}</p>')
    if article.snippet:
        parts.append(f"<p>{_esc(_line(article.snippet, 2000))}</p>")
    if url:
        parts.append(f'<p><a href="{_esc(url)}">{_esc(url)}</a></p>')
    elif article.url:
        parts.append(f"<p>{_esc(article.url)}</p>")
    return "\n".join(parts)


def _page(body: str) -> str:
    return f'<!DOCTYPE html>\n<html><head><meta charset="utf-8"></head><body>\n{body}\n</body></html>\n'


def _footer_text(name: str, query: str) -> str:
    return f"Subscription: {_line(name)} (query: {_line(query, 500)})"


def _footer_html(name: str, query: str) -> str:
    return (
        f'<p style="color:#777;font-size:small">Subscription: <b>{_esc(_line(name))}</b>'
        f" (query: {_esc(_line(query, 500))})</p>"
    )


def render_instant(message: AlertMessage) -> Rendered:
    """One alert: the article's title, source, time, link and snippet, and why it was sent."""
    article = message.article
    title = _line(f"{message.subscription_name}: {_line(article.title) or '(untitled article)'}")
    text_lines = _article_text(article)
    if article.tags:
        text_lines.append("Tags: " + ", ".join(article.tags))
    text_lines += ["", _footer_text(message.subscription_name, message.query)]
    body = [_article_html(article, "h2")]
    if article.tags:
        body.append(f"<p>Tags: {_esc(', '.join(article.tags))}</p>")
    body.append(_footer_html(message.subscription_name, message.query))
    return Rendered(title, "\n".join(text_lines) + "\n", _page("\n".join(body)))


def render_digest(content: DigestContent) -> Rendered:
    """Several alerts of one subscription and period in one message, a numbered list of articles
    (at most :data:`DIGEST_MAX_ITEMS`, the rest counted)."""
    total = max(content.total, len(content.alerts))
    noun = "article" if total == 1 else "articles"
    title = _line(f"{content.subscription_name}: {total} new {noun} ({content.period})")
    shown = list(content.alerts)[:DIGEST_MAX_ITEMS]
    more = total - len(shown)
    intro = f"{total} {noun} matched {_line(content.subscription_name)} in {content.period}."
    text_lines = [intro, ""]
    items = []
    for number, message in enumerate(shown, 1):
        lines = _article_text(message.article, indent="   ")
        text_lines += [f"{number}. {lines[0].strip()}", *lines[1:], ""]
        items.append(f"<li>{_article_html(message.article, 'h3')}</li>")
    if more > 0:
        text_lines += [f"... and {more} more.", ""]
    text_lines.append(_footer_text(content.subscription_name, content.query))
    body = [f"<p>{_esc(intro)}</p>", "<ol>", *items, "</ol>"]
    if more > 0:
        body.append(f"<p>… and {more} more.</p>")
    body.append(_footer_html(content.subscription_name, content.query))
    return Rendered(title, "\n".join(text_lines) + "\n", _page("\n".join(body)))


def _subscription(message: AlertMessage) -> dict[str, Any]:
    return {
        "id": message.subscription_id,
        "name": message.subscription_name,
        "version": message.subscription_version,
    }


def instant_payload(message: AlertMessage, delivery_id: str) -> dict[str, Any]:
    """The webhook body of one alert (same content on every attempt, so the signature is too)."""
    return {
        "type": "alert",
        "delivery_id": delivery_id,
        "alert_id": message.alert_id,
        "subscription": _subscription(message),
        "query": message.query,
        "article": message.article.model_dump(mode="json"),
        "matched_at": message.matched_at.isoformat(),
    }


def digest_payload(content: DigestContent, delivery_id: str) -> dict[str, Any]:
    """The webhook body of a digest: every alert of the period, not only the first
    :data:`DIGEST_MAX_ITEMS` (a program reads it)."""
    return {
        "type": "digest",
        "delivery_id": delivery_id,
        "digest_id": content.digest_id,
        "period": content.period,
        "subscription": {"id": content.subscription_id, "name": content.subscription_name},
        "query": content.query,
        "total": max(content.total, len(content.alerts)),
        "alerts": [
            {
                "alert_id": m.alert_id,
                "article": m.article.model_dump(mode="json"),
                "matched_at": m.matched_at.isoformat(),
            }
            for m in content.alerts
        ],
    }
