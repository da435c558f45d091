from __future__ import annotations

import pytest

from newsmon.core.urls import article_id, canonicalize_url


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        (
            "HTTP://WWW.Example.COM:80/News/Story/?utm_source=rss&id=7#top",
            "https://example.com/News/Story?id=7",
        ),
        ("https://example.com/a?b=2&a=1&fbclid=XYZ&gclid=1", "https://example.com/a?a=1&b=2"),
        ("https://example.com", "https://example.com/"),
        ("https://example.com:8443/x/", "https://example.com:8443/x"),
        (
            "https://news.tut.by/economics/1.html?utm_medium=rss&utm_campaign=all",
            "https://news.tut.by/economics/1.html",
        ),
    ],
)
def test_canonicalize_url(raw: str, canonical: str) -> None:
    assert canonicalize_url(raw) == canonical


def test_article_id_is_stable_across_tracking_variants() -> None:
    a = article_id("https://example.com/story?utm_source=x")
    b = article_id("http://www.example.com/story/#comments")
    assert a == b
    assert len(a) == 32 and int(a, 16) >= 0
    assert article_id("https://example.com/other") != a


@pytest.mark.parametrize("bad", ["", "ftp://example.com/x", "/relative/path", "mailto:a@b.c"])
def test_canonicalize_rejects_non_http(bad: str) -> None:
    with pytest.raises(ValueError, match="http"):
        canonicalize_url(bad)
