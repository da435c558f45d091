"""Canonical article URLs and the stable article id derived from them.

The article id is the key used everywhere: Kafka message key, Elasticsearch ``_id`` and the
connectors' seen-state. Two URLs that differ only by tracking parameters, scheme/host case,
default port, fragment or a trailing slash map to the same id.
"""

from __future__ import annotations

import hashlib
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

__all__ = ["TRACKING_PARAMS", "article_id", "canonicalize_url"]

TRACKING_PARAMS: frozenset[str] = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "yclid",
        "mc_cid",
        "mc_eid",
        "igshid",
        "ref_src",
        "_ga",
        "_gl",
        "cmpid",
        "ocid",
        "spm",
        "rss",
        "from_rss",
    }
)
_TRACKING_PREFIXES: tuple[str, ...] = ("utm_", "pk_", "mtm_", "hsa_", "__twitter", "at_")
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _is_tracking(name: str) -> bool:
    lowered = name.lower()
    return lowered in TRACKING_PARAMS or lowered.startswith(_TRACKING_PREFIXES)


def canonicalize_url(url: str) -> str:
    """Return the canonical form of an http(s) URL.

    Lower-cases scheme and host, drops default ports, fragments, tracking parameters
    (``utm_*``, ``fbclid``, ``gclid``...), sorts the remaining query parameters and removes a
    trailing slash from non-root paths. ``http`` and ``https`` are unified to ``https``.

    Raises ``ValueError`` for anything that is not an absolute http(s) URL.
    """
    text = url.strip()
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an absolute http(s) URL: {url!r}")
    host = parts.hostname.lower().rstrip(".")
    if host.startswith("www."):
        host = host[4:]
    port = parts.port
    netloc = host if port is None or port == _DEFAULT_PORTS.get(scheme) else f"{host}:{port}"
    path = parts.path or "/"
    if len(path) > 1 and path.endswith("/"):
        path = path.rstrip("/") or "/"
    query_pairs = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _is_tracking(k)]
    query = urlencode(sorted(query_pairs), doseq=True)
    return urlunsplit(("https", netloc, path, query, ""))


def article_id(url: str) -> str:
    """Stable 32-hex-character id of an article: SHA-256 of its canonical URL, truncated."""
    return hashlib.sha256(canonicalize_url(url).encode("utf-8")).hexdigest()[:32]
